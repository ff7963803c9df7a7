/* tools/cmd_load.c - `shmx load`: a raw or NPY file into a new target. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char help[] =
	"usage: shmx load SOURCE -o TARGET [--dtype T --shape S] [--force]\n"
	"                 [--mode OCTAL]\n"
	"\n"
	"  SOURCE               an NPY file or segment; with --dtype and --shape,\n"
	"                       a raw little-endian C-order file of exactly that size\n"
	"  -o, --output TARGET  shm://NAME, file://PATH or PATH\n"
	"  -t, --dtype T        dtype of a raw SOURCE\n"
	"  -s, --shape S        shape of a raw SOURCE (N or RxC)\n"
	"  -f, --force          replace an existing target\n"
	"  --mode OCTAL         permissions of the new array (default 0600)\n";

struct load_args {
	const char *source, *output;
	struct shmx_open_opts open;
	int have_dtype, have_shape;
	struct shmx_create_opts create;
};

static int parse(int argc, char **argv, struct load_args *a)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "shape", required_argument, NULL, 's' },
		{ "dtype", required_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'f' },
		{ "mode", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct shmx_error err = { 0 };
	unsigned mode;
	int c;

	while ((c = cli_getopt("load", argc, argv, "o:s:t:fh", opts)) != -1) {
		switch (c) {
		case 'o': a->output = optarg; break;
		case 's':
			if (shmx_shape_parse(optarg, &a->open.shape, &err))
				return cli_error(&err);
			a->have_shape = 1;
			break;
		case 't':
			if (shmx_dtype_parse(optarg, &a->open.dtype, &err))
				return cli_error(&err);
			a->have_dtype = 1;
			break;
		case 'f': a->create.force = 1; break;
		case 'm':
			if (cli_parse_mode(optarg, &mode))
				return EXIT_USAGE;
			a->create.mode = mode;
			break;
		case 'h': fputs(help, stdout); return -1;
		default: return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage("load: no source given");
	a->source = argv[optind++];
	if (optind < argc)
		return cli_usage("load: unexpected argument '%s'", argv[optind]);
	if (!a->output)
		return cli_usage("load: no output given (-o TARGET)");
	if (a->have_dtype != a->have_shape)
		return cli_usage("load: a raw source needs both --dtype and --shape");
	a->open.raw = a->have_dtype;
	return 0;
}

int cmd_load(int argc, char **argv)
{
	struct load_args a = { 0 };
	struct shmx_error err = { 0 };
	struct shmx_array *in;
	struct shmx_output *out;
	int rc = parse(argc, argv, &a);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (shmx_array_open(a.source, &a.open, &in, &err))
		return cli_error(&err);
	rc = shmx_output_create(a.output, shmx_array_dtype(in),
				shmx_array_shape(in), &a.create, &out, &err);
	if (!rc) {
		/* guarded: an input truncated under us is an error, not SIGBUS */
		rc = shmx_array_read(in, 0, shmx_output_data(out),
				     shmx_array_nbytes(in), &err);
		if (rc)
			shmx_output_discard(out);
		else
			rc = shmx_output_publish(out, &err);
	}
	shmx_array_close(in);
	return rc ? cli_error(&err) : EXIT_OK;
}
