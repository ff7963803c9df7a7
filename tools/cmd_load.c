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

static int parse(int argc, char **argv, struct cli_array *a,
		 const char **source)
{
	static const struct option opts[] = {
		CLI_OUTPUT_OPTIONS,
		CLI_ARRAY_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char *const missing[] = { "no source given" };
	int c, rc;

	while ((c = cli_getopt("load", argc, argv,
			       CLI_OUTPUT_SHORTOPTS CLI_ARRAY_SHORTOPTS "h",
			       opts)) != -1) {
		if (c == 'h')
			return fputs(help, stdout), -1;
		if ((rc = cli_array_option(c, a)))
			return rc == CLI_NOT_SHARED ? EXIT_USAGE : rc;
	}
	if ((rc = cli_operands("load", argc, argv, 1, source, missing)) ||
	    (rc = cli_array_need_output("load", a)))
		return rc;
	return cli_array_raw("load", "source", a);
}

int cmd_load(int argc, char **argv)
{
	struct cli_array a = { 0 };
	const char *source;
	struct shmx_error err = { 0 };
	struct shmx_array *in;
	struct shmx_output *out;
	int rc = parse(argc, argv, &a, &source);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (shmx_array_open(source, &a.input, &in, &err))
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
