/* tools/cmd_run.c - `shmx run OP SOURCE`: an operation over an array. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char help_usage[] =
	"usage: shmx run OP SOURCE... [-o TARGET] [--axis 0|1] [-j N] [--chunk BYTES]\n"
	"                [--io auto|mmap|stream] [--queue-depth N]\n"
	"                [--retries N] [--in-place] [--stats] [--progress]\n"
	"                [--dtype T --shape S] [--force] [--mode OCTAL]\n"
	"\n"
	"OP, reductions (no --axis: one value; --axis 0: per column; --axis 1: per row):\n";
/* then the reductions' names, "OP, element-wise maps (output has the
 * input's shape):" and the maps' forms (print_ops), then: */
static const char help_options[] =
	"\n"
	"  -o, --output TARGET  publish the result there (default: print it)\n"
	"  -a, --axis 0|1       numpy's axis\n"
	"  -j, --workers N      worker processes (default: CPUs, or $SHMX_WORKERS)\n"
	"  --chunk BYTES        chunk size (default 4M, 64M --in-place); k, M, G suffixes\n"
	"  --retries N          worker deaths survived (default 1)\n"
	"  --in-place           rewrite the input (maps that keep the dtype) under a\n"
	"                       journal: a killed run is finished by shmx resume\n"
	"  --io auto|mmap|stream  how to read a file: stream = each worker reads its\n"
	"                       chunks with io_uring and O_DIRECT, prefetching; auto\n"
	"                       (default) streams a file mostly not in the page cache\n"
	"  --queue-depth N      streaming: chunk reads in flight per worker (default:\n"
	"                       32 MiB of chunks a worker, 256 MiB in all)\n"
	"  --stats              one JSON object with phases and workers on stderr\n"
	"  --progress           a progress bar on stderr when it is a terminal\n"
	"  --perf-ctl CTL[,ACK] FIFOs of `perf stat --control fifo:CTL[,ACK] -D -1`:\n"
	"                       counters run only while the workers compute\n"
	"  --dtype T --shape S  read a raw SOURCE\n"
	"  -f, --force          replace an existing TARGET\n"
	"  --mode OCTAL         permissions of TARGET (default 0600)\n";

/* The engine's built-in ops of one kind (shmx_op_form), in its order,
 * indented by two on lines of at most 79 characters; the reductions'
 * nan forms (nansum ...) on a line of their own.  A new op is listed
 * without an edit here. */
static void print_ops(enum shmx_kernel_kind want)
{
	enum shmx_kernel_kind kind;
	const char *form;
	size_t col = 0;
	int nan = 0;

	for (unsigned i = 0; (form = shmx_op_form(i, &kind)); i++) {
		int is_nan = want == SHMX_KERNEL_REDUCE && !strncmp(form, "nan", 3);

		if (kind != want)
			continue;
		if (col && (is_nan != nan || col + 1 + strlen(form) > 79)) {
			putchar('\n');
			col = 0;
		}
		col += (size_t)printf("%s%s", col ? " " : "  ", form);
		nan = is_nan;
	}
	if (col)
		putchar('\n');
}

static void print_help(void)
{
	fputs(help_usage, stdout);
	print_ops(SHMX_KERNEL_REDUCE);
	fputs("OP, element-wise maps (output has the input's shape):\n", stdout);
	print_ops(SHMX_KERNEL_MAP);
	fputs(help_options, stdout);
}

enum { OPT_CHUNK = 256, OPT_RETRIES, OPT_INPLACE, OPT_STATS, OPT_PROGRESS,
       OPT_PERF, OPT_IO, OPT_QD };

static int parse_opt(int c, struct run_args *a)
{
	uint64_t v;
	int rc = cli_array_option(c, &a->arr);

	if (rc != CLI_NOT_SHARED)
		return rc;
	switch (c) {
	case 'a':
		if (strcmp(optarg, "0") && strcmp(optarg, "1"))
			return cli_usage("run: --axis must be 0 or 1, not '%s'", optarg);
		a->o.axis = optarg[0] == '0' ? SHMX_AXIS_0 : SHMX_AXIS_1;
		return 0;
	case 'j':
		if (cli_parse_between("run", "-j", optarg, 1, 4096, &v))
			return EXIT_USAGE;
		a->o.workers = (unsigned)v;
		return 0;
	case OPT_CHUNK:
		if (cli_parse_u64("--chunk", optarg, 1, &v))
			return EXIT_USAGE;
		if (v < 1)
			return cli_usage("run: --chunk must be at least 1 byte");
		a->o.chunk_bytes = v;
		return 0;
	case OPT_RETRIES:
		if (cli_parse_u64("--retries", optarg, 0, &v))
			return EXIT_USAGE;
		if (v > 1000)
			return cli_usage("run: --retries must be at most 1000");
		a->o.retries = (unsigned)v;
		return 0;
	case OPT_INPLACE: a->o.in_place = 1; return 0;
	case OPT_STATS: a->stats = 1; return 0;
	case OPT_PROGRESS: a->o.progress = isatty(2); return 0;
	case OPT_PERF: a->o.perf_ctl = optarg; return 0;
	case OPT_IO:
		if (!strcmp(optarg, "auto"))
			a->o.io = SHMX_IO_AUTO;
		else if (!strcmp(optarg, "mmap"))
			a->o.io = SHMX_IO_MMAP;
		else if (!strcmp(optarg, "stream"))
			a->o.io = SHMX_IO_STREAM;
		else
			return cli_usage("run: --io must be auto, mmap or stream, not '%s'", optarg);
		return 0;
	case OPT_QD:
		if (cli_parse_between("run", "--queue-depth", optarg, 1, 256, &v))
			return EXIT_USAGE;
		a->o.queue_depth = (unsigned)v;
		return 0;
	case 'h': print_help(); return -1;
	default: return EXIT_USAGE;
	}
}

/* OP SOURCE [SOURCE...]: a kernel may take several inputs (the library
 * checks how many before it opens any). */
static int operands(int argc, char **argv, struct run_args *a,
		    const char *const *missing)
{
	if (optind >= argc)
		return cli_usage("run: %s", missing[0]);
	a->op = argv[optind++];
	if (optind >= argc)
		return cli_usage("run: %s", missing[1]);
	while (optind < argc) {
		if (a->nsrc == SHMX_KERNEL_INPUTS_MAX)
			return cli_usage("run: at most %u sources",
					 SHMX_KERNEL_INPUTS_MAX);
		a->src[a->nsrc++] = argv[optind++];
	}
	return 0;
}

int cmd_run_parse(int argc, char **argv, struct run_args *a)
{
	static const struct option opts[] = {
		CLI_OUTPUT_OPTIONS,
		CLI_ARRAY_OPTIONS,
		{ "axis", required_argument, NULL, 'a' },
		{ "workers", required_argument, NULL, 'j' },
		{ "chunk", required_argument, NULL, OPT_CHUNK },
		{ "retries", required_argument, NULL, OPT_RETRIES },
		{ "in-place", no_argument, NULL, OPT_INPLACE },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "perf-ctl", required_argument, NULL, OPT_PERF },
		{ "io", required_argument, NULL, OPT_IO },
		{ "queue-depth", required_argument, NULL, OPT_QD },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char *const missing[] = {
		"no operation given (see shmx run --help)", "no source given"
	};
	int c, rc;

	while ((c = cli_getopt("run", argc, argv,
			       CLI_OUTPUT_SHORTOPTS CLI_ARRAY_SHORTOPTS "a:j:h",
			       opts)) != -1)
		if ((rc = parse_opt(c, a)))
			return rc;
	if ((rc = operands(argc, argv, a, missing)) ||
	    (rc = cli_array_raw("run", "source", &a->arr)))
		return rc;
	a->o.output = a->arr.output;
	a->o.create = a->arr.create;
	a->o.input = a->arr.input;
	a->o.want_stats = a->stats;
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct run_args a = { .o = SHMX_RUN_OPTS_INIT };
	struct shmx_error err = { 0 };
	struct shmx_result res;
	int rc = cmd_run_parse(argc, argv, &a);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (shmx_run_inputs(a.op, a.src, a.nsrc, &a.o, &res, &err))
		return cli_error(&err);
	return cli_finish_result(&res, a.stats, !a.o.output && !a.o.in_place);
}
