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
	const char *output;
	struct shmx_shape shape;
	int have_shape;
	enum shmx_dtype dtype;
	enum shmx_fill fill;
	uint64_t seed;
	struct shmx_run_opts run;
	int stats;
};

static int parse(int argc, char **argv, struct gen_args *a)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "shape", required_argument, NULL, 's' },
		{ "dtype", required_argument, NULL, 't' },
		{ "fill", required_argument, NULL, 'F' },
		{ "seed", required_argument, NULL, 'S' },
		{ "workers", required_argument, NULL, 'j' },
		{ "stats", no_argument, NULL, 'T' },
		{ "force", no_argument, NULL, 'f' },
		{ "mode", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct shmx_error err = { 0 };
	unsigned mode;
	uint64_t workers;
	int c;

	while ((c = cli_getopt("gen", argc, argv, "o:s:t:j:fh", opts)) != -1) {
		switch (c) {
		case 'o': a->output = optarg; break;
		case 's':
			if (shmx_shape_parse(optarg, &a->shape, &err))
				return cli_error(&err);
			a->have_shape = 1;
			break;
		case 't':
			if (shmx_dtype_parse(optarg, &a->dtype, &err))
				return cli_error(&err);
			break;
		case 'F':
			if (shmx_fill_parse(optarg, &a->fill, &err))
				return cli_error(&err);
			break;
		case 'S':
			if (cli_parse_u64("--seed", optarg, 0, &a->seed))
				return EXIT_USAGE;
			break;
		case 'j':
			if (cli_parse_u64("-j", optarg, 0, &workers))
				return EXIT_USAGE;
			if (workers < 1 || workers > 4096)
				return cli_usage("gen: -j must be between 1 and 4096");
			a->run.workers = (unsigned)workers;
			break;
		case 'T': a->stats = 1; break;
		case 'f': a->run.create.force = 1; break;
		case 'm':
			if (cli_parse_mode(optarg, &mode))
				return EXIT_USAGE;
			a->run.create.mode = mode;
			break;
		case 'h': fputs(help, stdout); return -1;
		default: return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage("gen: unexpected argument '%s'", argv[optind]);
	if (!a->output)
		return cli_usage("gen: no output given (-o TARGET)");
	if (!a->have_shape)
		return cli_usage("gen: no shape given (--shape N or RxC)");
	return 0;
}

int cmd_gen(int argc, char **argv)
{
	struct gen_args a = { .dtype = SHMX_F64, .fill = SHMX_FILL_UNIFORM };
	struct shmx_error err = { 0 };
	struct shmx_stats st = { 0 };
	int rc = parse(argc, argv, &a);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (shmx_gen(a.output, a.dtype, &a.shape, a.fill, a.seed, &a.run,
		     a.stats ? &st : NULL, &err))
		return cli_error(&err);
	if (a.stats)
		shmx_stats_print_json(&st, stderr);
	shmx_stats_free(&st);
	return EXIT_OK;
}
