/* tools/cmd_gen.c - `shmx gen`: a generated array into a new target. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char help[] =
	"usage: shmx gen -o TARGET --shape S [--dtype T] [--fill F] [--seed N]\n"
	"                [--force] [--mode OCTAL]\n"
	"\n"
	"  -o, --output TARGET  shm://NAME, file://PATH or PATH (an NPY image)\n"
	"  -s, --shape S        N or RxC, e.g. 100000x10\n"
	"  -t, --dtype T        i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 (default f64)\n"
	"  --fill F             uniform (default), normal, range or zeros\n"
	"  --seed N             generator seed (default 0); same seed, same data\n"
	"  -j, --workers N      worker processes (default: CPUs)\n"
	"  --stats              timings as one JSON object on stderr\n"
	"  -f, --force          replace an existing target\n"
	"  --mode OCTAL         permissions of the new array (default 0600)\n";

struct gen_args {
	struct cli_array arr; /* -o, --dtype, --shape, --force, --mode */
	enum shmx_fill fill;
	uint64_t seed;
	struct shmx_run_opts run;
	int stats;
};

static int parse_opt(int c, struct gen_args *a)
{
	struct shmx_error err = { 0 };
	uint64_t workers;
	int rc = cli_array_option(c, &a->arr);

	if (rc != CLI_NOT_SHARED)
		return rc;
	switch (c) {
	case 'F':
		return shmx_fill_parse(optarg, &a->fill, &err) ? cli_error(&err) : 0;
	case 'S':
		return cli_parse_u64("--seed", optarg, 0, &a->seed) ? EXIT_USAGE : 0;
	case 'j':
		if (cli_parse_between("gen", "-j", optarg, 1, 4096, &workers))
			return EXIT_USAGE;
		a->run.workers = (unsigned)workers;
		return 0;
	case 'T': a->stats = 1; return 0;
	case 'h': fputs(help, stdout); return -1;
	default: return EXIT_USAGE;
	}
}

static int parse(int argc, char **argv, struct gen_args *a)
{
	static const struct option opts[] = {
		CLI_OUTPUT_OPTIONS,
		CLI_ARRAY_OPTIONS,
		{ "fill", required_argument, NULL, 'F' },
		{ "seed", required_argument, NULL, 'S' },
		{ "workers", required_argument, NULL, 'j' },
		{ "stats", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, rc;

	while ((c = cli_getopt("gen", argc, argv,
			       CLI_OUTPUT_SHORTOPTS CLI_ARRAY_SHORTOPTS "j:h",
			       opts)) != -1)
		if ((rc = parse_opt(c, a)))
			return rc;
	if ((rc = cli_operands("gen", argc, argv, 0, NULL, NULL)) ||
	    (rc = cli_array_need_output("gen", &a->arr)))
		return rc;
	if (!a->arr.have_shape)
		return cli_usage("gen: no shape given (--shape N or RxC)");
	a->run.create = a->arr.create;
	return 0;
}

int cmd_gen(int argc, char **argv)
{
	struct gen_args a = { .arr.input.dtype = SHMX_F64, .run = SHMX_RUN_OPTS_INIT,
			      .fill = SHMX_FILL_UNIFORM };
	struct shmx_error err = { 0 };
	struct shmx_stats st = { 0 };
	int rc = parse(argc, argv, &a);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (shmx_gen(a.arr.output, a.arr.input.dtype, &a.arr.input.shape,
		     a.fill, a.seed, &a.run,
		     a.stats ? &st : NULL, &err))
		return cli_error(&err);
	if (a.stats)
		shmx_stats_print_json(&st, stderr);
	shmx_stats_free(&st);
	return EXIT_OK;
}
