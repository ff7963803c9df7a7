/* tools/cmd_rm.c - `shmx rm`: remove arrays, and temporaries of dead runs.
 *
 * Only NPY arrays are removed: /dev/shm is shared with other programs,
 * and a typo must not delete their segments. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char help[] =
	"usage: shmx rm [-f] TARGET...\n"
	"       shmx rm --stale\n"
	"\n"
	"  TARGET       an array (shm://NAME, file://PATH or PATH); anything that\n"
	"               is not an NPY array is refused\n"
	"  -f, --force  no error for targets that do not exist\n"
	"  --stale      remove the temporaries of shmx runs that no longer run\n";

/* An array with an interrupted --in-place run is not removed: its journal
 * would be left without it (shmx/journal.h). */
static int interrupted(const char *spec, struct shmx_error *err)
{
	struct shmx_interrupted in;

	if (shmx_interrupted(spec, &in, NULL) != 1)
		return 0;
	err->code = SHMX_EINTERRUPTED;
	snprintf(err->msg, sizeof(err->msg), "%s: an --in-place run was "
		 "interrupted (%.64s, %llu of %llu chunks done): finish it with "
		 "'shmx resume %s'", spec, in.op[0] ? in.op : "?",
		 (unsigned long long)in.done, (unsigned long long)in.chunks,
		 spec);
	return 1;
}

static int remove_one(const char *spec, int force)
{
	struct shmx_error err = { 0 };
	struct shmx_target t;
	struct shmx_entry e;
	int rc;

	if (shmx_target_parse(spec, &t, &err))
		return cli_error(&err);
	if (interrupted(spec, &err))
		return cli_error(&err);
	rc = shmx_describe(t.path, &e, &err);
	if (rc == -ENOENT && force)
		return EXIT_OK;
	if (rc == -ENOENT)
		return cli_usage("%s: no such %s", spec,
				 t.kind == SHMX_TARGET_SHM ? "segment" : "file");
	if (rc && rc > -1000) /* an errno: we could not even look */
		return cli_error(&err);
	if (rc)
		return cli_usage("%s: not an NPY array; shmx rm removes only "
				 "arrays",
				 spec);
	if (unlink(t.path) < 0 && !(errno == ENOENT && force)) {
		err.code = -errno;
		snprintf(err.msg, sizeof(err.msg), "%s: cannot remove: %s",
			 spec, strerror(errno));
		return cli_error(&err);
	}
	return EXIT_OK;
}

static int remove_stale(const struct shmx_entry *e, void *ctx)
{
	char path[4096];

	if (!e->is_temporary || e->creator_alive)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", shmx_shm_dir(), e->name);
	if (unlink(path) == 0) {
		printf("removed %s\n", e->name);
		++*(int *)ctx;
	}
	return 0;
}

int cmd_rm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "stale", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct shmx_error err = { 0 };
	int c, force = 0, stale = 0, rc = EXIT_OK, n = 0;

	while ((c = cli_getopt("rm", argc, argv, "fh", opts)) != -1) {
		switch (c) {
		case 'f': force = 1; break;
		case 'S': stale = 1; break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (stale) {
		if (optind < argc)
			return cli_usage("rm: --stale takes no targets");
		if (shmx_catalog_each(remove_stale, &n, &err))
			return cli_error(&err);
		return EXIT_OK;
	}
	if (optind >= argc)
		return cli_usage("rm: no target given");
	for (int i = optind; i < argc; i++) {
		int r = remove_one(argv[i], force);

		if (r > rc)
			rc = r;
	}
	return rc;
}
