/* tools/cmd_info.c - `shmx info`: what an array is and where it lives. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char help[] =
	"usage: shmx info TARGET...\n"
	"\n"
	"Prints name, path, dtype, shape, bytes, owner, mode and age, and the\n"
	"column names a CSV's header gave (shmx load), and an --in-place run that\n"
	"was interrupted (finish it with shmx resume).\n";

/* The column names kept in the header (shmx/npy.h), if any. */
static void show_columns(const char *path)
{
	static char hdr[SHMX_NPY_DATA_OFFSET];
	char cols[SHMX_NPY_DATA_OFFSET];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	n = pread(fd, hdr, sizeof(hdr), 0);
	close(fd);
	if (n > 0 && shmx_npy_columns(hdr, (size_t)n, cols, sizeof(cols)))
		printf("columns: %s\n", cols);
}

/* An --in-place run that was interrupted (shmx/journal.h). */
static void show_interrupted(const char *spec)
{
	struct shmx_interrupted in;

	if (shmx_interrupted(spec, &in, NULL) == 1)
		printf("state: interrupted --in-place run (%s, %llu of %llu "
		       "chunks done): finish it with 'shmx resume %s'\n",
		       in.op[0] ? in.op : "?", (unsigned long long)in.done,
		       (unsigned long long)in.chunks, spec);
}

void cli_format_age(time_t mtime, char *buf, size_t len)
{
	long s = (long)(time(NULL) - mtime);

	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(buf, len, "%lds", s);
	else if (s < 7200)
		snprintf(buf, len, "%ldm", s / 60);
	else if (s < 172800)
		snprintf(buf, len, "%ldh", s / 3600);
	else
		snprintf(buf, len, "%ldd", s / 86400);
}

static int show(const char *spec)
{
	struct shmx_error err = { 0 };
	struct shmx_target t;
	struct shmx_entry e;
	struct passwd *pw;
	char shape[64], age[32];
	uint64_t data;

	int rc;

	if (shmx_target_parse(spec, &t, &err))
		return cli_error(&err);
	rc = shmx_describe(t.path, &e, &err);
	if (rc == -ENOENT)
		return cli_usage("%s: no such %s", spec,
				 t.kind == SHMX_TARGET_SHM ? "segment" : "file");
	if (rc == SHMX_ENOTARRAY)
		return cli_usage("%s: not an NPY array", spec);
	if (rc)
		return cli_error(&err);
	shmx_shape_format(&e.shape, shape, sizeof(shape));
	shmx_shape_bytes(&e.shape, e.dtype, &data);
	cli_format_age(e.mtime, age, sizeof(age));
	pw = getpwuid(e.owner);
	printf("name:  %s\n", spec);
	printf("where: %s (%s)\n", t.path,
	       t.kind == SHMX_TARGET_SHM ? "shm segment" : "file");
	printf("dtype: %s\n", shmx_dtype_name(e.dtype));
	printf("shape: %s\n", shape);
	printf("bytes: %llu data, %llu in all\n", (unsigned long long)data,
	       (unsigned long long)e.bytes);
	printf("owner: %s (uid %u), mode %04o\n", pw ? pw->pw_name : "?",
	       (unsigned)e.owner, (unsigned)e.mode);
	printf("age:   %s\n", age);
	show_columns(t.path);
	show_interrupted(spec);
	return EXIT_OK;
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, rc = EXIT_OK;

	while ((c = cli_getopt("info", argc, argv, "h", opts)) != -1) {
		if (c != 'h')
			return EXIT_USAGE;
		fputs(help, stdout);
		return EXIT_OK;
	}
	if (optind >= argc)
		return cli_usage("info: no target given");
	for (int i = optind; i < argc; i++) {
		int r = show(argv[i]);

		if (r > rc)
			rc = r;
		if (i + 1 < argc)
			putchar('\n');
	}
	return rc;
}
