/* tests/fuzz/fuzz_target.c - shmx_target_parse and shmx_shm_name_valid on
 * any string, as every command meets its TARGET and SOURCE arguments.
 *
 * Properties: a refusal is SHMX_ETARGET with a one-line message (the same
 * code without an error struct); shmx_shm_name_valid agrees with the
 * rule written independently here; an accepted shm:// target has a valid
 * name and lives at $SHMX_SHM_DIR/NAME; an accepted file target keeps the
 * path as written, and dir + base name exactly that path, with base its
 * whole last component (never truncated, never "", "." or "..").
 *
 * The input is parsed twice: with $SHMX_SHM_DIR unset (/dev/shm), and
 * with a directory long enough that a long NAME overflows the path.
 */
#include <stdlib.h>

#include "shmx/target.h"
#include "fuzz.h"

static char long_dir[SHMX_PATH_MAX - 100];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	memset(long_dir, 'd', sizeof(long_dir) - 1);
	long_dir[0] = '/';
	return 0;
}

static int name_rule(const char *n)
{
	size_t len = strlen(n);

	if (len < 1 || len > 200 || n[0] == '.')
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = n[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return 0;
	}
	return 1;
}

static void check_shm(const char *spec, const struct shmx_target *t)
{
	const char *name = spec + 6, *dir = shmx_shm_dir();
	size_t dn = strlen(dir);

	FUZZ_CHECK(name_rule(name), "accepted bad name '%s'", name);
	FUZZ_CHECK(strcmp(t->base, name) == 0, "base '%s'", t->base);
	FUZZ_CHECK(strcmp(t->dir, dir) == 0, "dir '%s'", t->dir);
	FUZZ_CHECK(strncmp(t->path, dir, dn) == 0 && t->path[dn] == '/' &&
			   strcmp(t->path + dn + 1, name) == 0,
		   "path '%s'", t->path);
}

static void check_file(const char *spec, const struct shmx_target *t)
{
	const char *path = strncmp(spec, "file://", 7) == 0 ? spec + 7 : spec;
	const char *slash = strrchr(path, '/');
	const char *last = slash ? slash + 1 : path;
	size_t dn;

	FUZZ_CHECK(strcmp(t->path, path) == 0, "path '%s'", t->path);
	FUZZ_CHECK(strcmp(t->base, last) == 0,
		   "base '%.40s...' (%zu bytes) is not the last component "
		   "(%zu bytes)",
		   t->base, strlen(t->base), strlen(last));
	FUZZ_CHECK(*last && strcmp(last, ".") && strcmp(last, ".."),
		   "accepted a directory name '%s'", last);
	if (!slash) {
		FUZZ_CHECK(strcmp(t->dir, ".") == 0, "dir '%s'", t->dir);
		return;
	}
	dn = strlen(t->dir);
	FUZZ_CHECK(slash == path ? strcmp(t->dir, "/") == 0
				 : dn == (size_t)(slash - path) &&
					   strncmp(t->dir, path, dn) == 0,
		   "dir '%s' of '%s'", t->dir, path);
}

static void parse_one(const char *spec)
{
	static struct shmx_target t, t2;
	struct shmx_error err = { 0 };
	int rc = shmx_target_parse(spec, &t, &err);

	FUZZ_CHECK(shmx_target_parse(spec, &t2, NULL) == rc,
		   "without an error struct the code differs");
	if (rc) {
		FUZZ_CHECK(rc == SHMX_ETARGET, "unexpected code %d", rc);
		fuzz_check_error(&err, rc);
		return;
	}
	FUZZ_CHECK(strcmp(t.spec, spec) == 0, "spec not kept");
	FUZZ_CHECK(strlen(t.base) < sizeof(t.base), "base overflows");
	if (strncmp(spec, "shm://", 6) == 0) {
		FUZZ_CHECK(t.kind == SHMX_TARGET_SHM, "shm:// is not shm");
		check_shm(spec, &t);
	} else {
		FUZZ_CHECK(t.kind == SHMX_TARGET_FILE, "a path is not a file");
		FUZZ_CHECK(!strstr(spec, "://") ||
				   strncmp(spec, "file://", 7) == 0,
			   "accepted an unknown scheme");
		check_file(spec, &t);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *spec = fuzz_cstr(data, size);

	FUZZ_CHECK(shmx_shm_name_valid(spec) == name_rule(spec),
		   "shmx_shm_name_valid('%s') disagrees with the rule", spec);
	unsetenv("SHMX_SHM_DIR");
	parse_one(spec);
	setenv("SHMX_SHM_DIR", long_dir, 1);
	parse_one(spec);
	unsetenv("SHMX_SHM_DIR");
	free(spec);
	return 0;
}
