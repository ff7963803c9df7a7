/* tools/cmd_ls.c - `shmx ls`: the arrays in the shm directory. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char help[] =
	"usage: shmx ls [--all]\n"
	"\n"
	"Lists the NPY arrays in the shm directory (/dev/shm, or $SHMX_SHM_DIR):\n"
	"name, dtype, shape, size and age; \"(interrupted)\" after an array whose\n"
	"--in-place run was interrupted (finish it with shmx resume).\n"
	"  -a, --all   also list temporaries of running or dead shmx runs and\n"
	"              entries that are not arrays\n";

struct ls_ctx {
	int all;
	int header; /* printed */
};

/* The header goes out with the first entry (or after a listing with
 * none), so that a directory we cannot list leaves stdout empty. */
static void print_header(struct ls_ctx *c)
{
	if (c->header++)
		return;
	printf("%-32s %-5s %-16s %14s %6s\n", "NAME", "DTYPE", "SHAPE", "BYTES",
	       "AGE");
}

/* "  (interrupted)" for an array with an interrupted --in-place run. */
static const char *interrupted(const char *name)
{
	char spec[300];

	if (!shmx_shm_name_valid(name))
		return "";
	snprintf(spec, sizeof(spec), "shm://%s", name);
	return shmx_interrupted(spec, NULL, NULL) == 1 ? "  (interrupted)" : "";
}

static int print_entry(const struct shmx_entry *e, void *ctx)
{
	struct ls_ctx *c = ctx;
	char shape[64], age[32];

	if (!c->all && (!e->is_array || e->is_temporary || e->name[0] == '.'))
		return 0;
	print_header(c);
	cli_format_age(e->mtime, age, sizeof(age));
	if (!e->is_array) {
		printf("%-32s %-5s %-16s %14llu %6s\n", e->name, "-",
		       "(not an array)", (unsigned long long)e->bytes, age);
		return 0;
	}
	shmx_shape_format(&e->shape, shape, sizeof(shape));
	printf("%-32s %-5s %-16s %14llu %6s%s\n", e->name,
	       shmx_dtype_name(e->dtype), shape, (unsigned long long)e->bytes,
	       age,
	       e->is_temporary ? (e->creator_alive ? "  (temporary)"
						   : "  (stale temporary)")
			       : interrupted(e->name));
	return 0;
}

int cmd_ls(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct shmx_error err = { 0 };
	struct ls_ctx ctx = { 0 };
	int c;

	while ((c = cli_getopt("ls", argc, argv, "ah", opts)) != -1) {
		if (c == 'a')
			ctx.all = 1;
		else if (c == 'h')
			return fputs(help, stdout), EXIT_OK;
		else
			return EXIT_USAGE;
	}
	if (optind < argc)
		return cli_usage("ls: unexpected argument '%s'", argv[optind]);
	if (shmx_catalog_each(print_entry, &ctx, &err))
		return cli_error(&err);
	print_header(&ctx);
	return EXIT_OK;
}
