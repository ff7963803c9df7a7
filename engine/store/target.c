/* engine/store/target.c - parsing target strings (shm://NAME, file://PATH, PATH)
 * into the directory and name that storage opens.  No system calls but
 * getenv. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shmx/target.h"
#include "base/internal.h"

const char *shmx_shm_dir(void)
{
	const char *d = getenv("SHMX_SHM_DIR");

	return d && *d ? d : "/dev/shm";
}

int shmx_shm_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n < 1 || n > SHMX_SHM_NAME_MAX || name[0] == '.')
		return 0;
	return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			     "0123456789._-") == n;
}

static int parse_shm(const char *spec, const char *name, struct shmx_target *t,
		     struct shmx_error *err)
{
	if (!shmx_shm_name_valid(name))
		return shmx__fail(err, SHMX_ETARGET,
				  "%s: bad shm name (1-%d of A-Za-z0-9._-, "
				  "not starting with '.')",
				  spec, SHMX_SHM_NAME_MAX);
	t->kind = SHMX_TARGET_SHM;
	snprintf(t->dir, sizeof(t->dir), "%s", shmx_shm_dir());
	snprintf(t->base, sizeof(t->base), "%s", name);
	if ((size_t)snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name) >=
	    sizeof(t->path))
		return shmx__fail(err, SHMX_ETARGET, "%s: path too long", spec);
	return 0;
}

static int parse_file(const char *spec, const char *path, struct shmx_target *t,
		      struct shmx_error *err)
{
	const char *slash;
	size_t n = strlen(path);

	if (n == 0)
		return shmx__fail(err, SHMX_ETARGET, "empty file name");
	if (n >= sizeof(t->path))
		return shmx__fail(err, SHMX_ETARGET, "%.64s...: path too long",
				  spec);
	if (path[n - 1] == '/')
		return shmx__fail(err, SHMX_ETARGET,
				  "%s: names a directory, not a file", spec);
	t->kind = SHMX_TARGET_FILE;
	memcpy(t->path, path, n + 1);
	slash = strrchr(path, '/');
	/* with or without a directory: base is never a truncated name */
	if (strlen(slash ? slash + 1 : path) >= sizeof(t->base))
		return shmx__fail(err, SHMX_ETARGET, "%s: file name too long",
				  spec);
	if (!slash) {
		snprintf(t->dir, sizeof(t->dir), ".");
		snprintf(t->base, sizeof(t->base), "%s", path);
	} else {
		size_t dn = slash == path ? 1 : (size_t)(slash - path);

		memcpy(t->dir, path, dn);
		t->dir[dn] = '\0';
		snprintf(t->base, sizeof(t->base), "%s", slash + 1);
	}
	if (strcmp(t->base, ".") == 0 || strcmp(t->base, "..") == 0)
		return shmx__fail(err, SHMX_ETARGET,
				  "%s: names a directory, not a file", spec);
	return 0;
}

int shmx_target_parse(const char *spec, struct shmx_target *t,
		      struct shmx_error *err)
{
	memset(t, 0, sizeof(*t));
	if (strlen(spec) >= sizeof(t->spec))
		return shmx__fail(err, SHMX_ETARGET, "%.64s...: name too long",
				  spec);
	snprintf(t->spec, sizeof(t->spec), "%s", spec);
	if (spec[0] == '\0')
		return shmx__fail(err, SHMX_ETARGET, "empty target name");
	if (strncmp(spec, "shm://", 6) == 0)
		return parse_shm(spec, spec + 6, t, err);
	if (strncmp(spec, "file://", 7) == 0)
		return parse_file(spec, spec + 7, t, err);
	if (strstr(spec, "://"))
		return shmx__fail(err, SHMX_ETARGET,
				  "%s: unknown scheme (use shm://NAME, "
				  "file://PATH or a path)",
				  spec);
	return parse_file(spec, spec, t, err);
}
