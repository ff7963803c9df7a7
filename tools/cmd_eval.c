/* tools/cmd_eval.c - `shmx eval EXPR [SOURCE | NAME=SOURCE]...`: a numpy
 * expression over arrays (shmx/eval.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char help[] =
	"usage: shmx eval EXPR [SOURCE | NAME=SOURCE]... [-o TARGET] [-j N]\n"
	"                 [--chunk BYTES] [--io auto|mmap|stream] [--stats]\n"
	"                 [--progress] [--force] [--mode OCTAL]\n"
	"\n"
	"EXPR is a numpy expression over the sources, computed in one fused pass\n"
	"(reductions over columns or the whole array in earlier passes):\n"
	"  shmx eval 'sqrt(sum((x - 0.5)**2, axis=1))' shm://data -o shm://dist\n"
	"  shmx eval '2*a + 3*b' a=shm://a b=b.npy -o out.npy\n"
	"One bare SOURCE is named x.  Numbers, True, False, nan, inf;\n"
	"+ - * / // % ** (unary - + ~), comparisons, & | ^; x[:, j], x[:, a:b];\n"
	"abs sqrt exp expm1 log log1p log2 log10 sin cos tan arcsin arccos arctan\n"
	"sinh cosh tanh arctan2 hypot floor ceil rint trunc sign isnan isinf\n"
	"isfinite minimum maximum clip where; casts float32 float64 int8 .. uint64\n"
	"bool; reductions sum prod mean min max var std argmin argmax\n"
	"count_nonzero any all nansum nanmean nanmin nanmax nanvar nanstd, with\n"
	"axis=None|0|1.  dtypes, shapes and values are numpy 1.24's.\n"
	"\n"
	"  -o, --output TARGET  publish the result there (default: print it)\n"
	"  -j, --workers N      worker processes (default: CPUs, or $SHMX_WORKERS)\n"
	"  --chunk BYTES        chunk size (default 4M); k, M, G suffixes\n"
	"  --io auto|mmap|stream  how to read a file (as for shmx run)\n"
	"  --stats              one JSON object with phases and workers on stderr\n"
	"  --progress           a progress bar on stderr when it is a terminal\n"
	"  -f, --force          replace an existing TARGET\n"
	"  --mode OCTAL         permissions of TARGET (default 0600)\n";

enum { OPT_CHUNK = 256, OPT_STATS, OPT_PROGRESS, OPT_IO };

static int parse_opt(int c, struct eval_args *a)
{
	uint64_t v;
	int rc = cli_array_option(c, &a->arr);

	if (rc != CLI_NOT_SHARED)
		return rc;
	switch (c) {
	case 'j':
		if (cli_parse_between("eval", "-j", optarg, 1, 4096, &v))
			return EXIT_USAGE;
		a->o.workers = (unsigned)v;
		return 0;
	case OPT_CHUNK:
		if (cli_parse_u64("--chunk", optarg, 1, &v))
			return EXIT_USAGE;
		if (v < 1)
			return cli_usage("eval: --chunk must be at least 1 byte");
		a->o.chunk_bytes = v;
		return 0;
	case OPT_STATS: a->stats = 1; return 0;
	case OPT_PROGRESS: a->o.progress = isatty(2); return 0;
	case OPT_IO:
		if (!strcmp(optarg, "auto"))
			a->o.io = SHMX_IO_AUTO;
		else if (!strcmp(optarg, "mmap"))
			a->o.io = SHMX_IO_MMAP;
		else if (!strcmp(optarg, "stream"))
			a->o.io = SHMX_IO_STREAM;
		else
			return cli_usage("eval: --io must be auto, mmap or stream, not '%s'", optarg);
		return 0;
	case 'h': fputs(help, stdout); return -1;
	default: return EXIT_USAGE;
	}
}

/* The length of NAME in "NAME=SOURCE" (an identifier), or 0. */
static size_t name_len(const char *s)
{
	size_t k = 0;

	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return 0;
	while (isalnum((unsigned char)s[k]) || s[k] == '_')
		k++;
	return s[k] == '=' ? k : 0;
}

static int bind(struct eval_args *a, const char *arg, int *bare)
{
	size_t k = name_len(arg);

	if (a->n == SHMX_KERNEL_INPUTS_MAX)
		return cli_usage("eval: at most %u sources",
				 SHMX_KERNEL_INPUTS_MAX);
	if (!k && (*bare)++)
		return cli_usage("eval: name the sources (NAME=SOURCE): only "
				 "one may be the bare x");
	if (k >= sizeof(a->names[0]))
		return cli_usage("eval: the name of '%s' is too long", arg);
	memcpy(a->names[a->n], k ? arg : "x", k ? k : 1);
	a->names[a->n][k ? k : 1] = '\0';
	a->in[a->n].name = a->names[a->n];
	a->in[a->n].source = k ? arg + k + 1 : arg;
	if (!a->in[a->n].source[0])
		return cli_usage("eval: '%s' names no source", arg);
	a->n++;
	return 0;
}

/* An expression may begin with '-' ("-x ** 2"): the first operand is
 * EXPR unless it is one of the options. */
static int is_option(const char *s)
{
	return s[0] == '-' && (s[1] == '-' || (s[1] && strchr("ojfh", s[1])));
}

int cmd_eval_parse(int argc, char **argv, struct eval_args *a)
{
	static const struct option opts[] = {
		CLI_OUTPUT_OPTIONS,
		{ "workers", required_argument, NULL, 'j' },
		{ "chunk", required_argument, NULL, OPT_CHUNK },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "io", required_argument, NULL, OPT_IO },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, rc, bare = 0;

	if (argc > 1 && argv[1][0] == '-' && !is_option(argv[1])) {
		a->expr = argv[1]; /* out of getopt's sight */
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	while ((c = cli_getopt("eval", argc, argv,
			       CLI_OUTPUT_SHORTOPTS "j:h", opts)) != -1)
		if ((rc = parse_opt(c, a)))
			return rc;
	if (!a->expr && optind >= argc)
		return cli_usage("eval: no expression given (see shmx eval --help)");
	if (!a->expr)
		a->expr = argv[optind++];
	while (optind < argc)
		if ((rc = bind(a, argv[optind++], &bare)))
			return rc;
	a->o.output = a->arr.output;
	a->o.create = a->arr.create;
	a->o.want_stats = a->stats;
	return 0;
}

int cmd_eval(int argc, char **argv)
{
	struct eval_args a = { .o = SHMX_RUN_OPTS_INIT };
	struct shmx_error err = { 0 };
	struct shmx_result res;
	int rc = cmd_eval_parse(argc, argv, &a);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (shmx_eval(a.expr, a.in, a.n, &a.o, &res, &err))
		return cli_error(&err);
	return cli_finish_result(&res, a.stats, !a.o.output);
}
