/* engine/store/catalog.c - describing arrays by path and listing the shm
 * directory: what `shmx info`, `shmx ls` and `shmx rm` see.
 *
 * Test builds fail the open (open-input: EMFILE), the header read (read:
 * EIO) and the listing's allocations (alloc: ENOMEM) where SHMX_FAULT
 * says (fault.h). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shmx/catalog.h"
#include "shmx/npy.h"
#include "shmx/target.h"
#include "base/fault.h"
#include "base/internal.h"

static int read_header(int fd, const char *path, const struct stat *st,
		       struct shmx_entry *e, struct shmx_error *err)
{
	unsigned char buf[SHMX_NPY_MAX_HEADER + 16];
	struct shmx_npy_header h;
	ssize_t n = shmx__fault_hit("read") ? (errno = EIO, -1)
					    : pread(fd, buf, sizeof(buf), 0);
	int rc;

	if (n < 0)
		return shmx__fail(err, -errno, "%s: cannot read the header: %s",
				  path, strerror(errno));
	/* No NPY magic: not an array at all (catalog.h promises
	 * SHMX_ENOTARRAY), as opposed to a damaged or unsupported one. */
	if (n < 6 || memcmp(buf, "\x93NUMPY", 6) != 0)
		return shmx__fail(err, SHMX_ENOTARRAY, "%s: not an NPY array",
				  path);
	rc = shmx_npy_parse(buf, (size_t)n, path, &h, err);
	if (!rc)
		rc = shmx_npy_check_size(&h, (uint64_t)st->st_size, path, err);
	if (rc)
		return rc;
	e->is_array = 1;
	e->dtype = h.dtype;
	e->shape = h.shape;
	return 0;
}

int shmx_describe(const char *path, struct shmx_entry *e,
		  struct shmx_error *err)
{
	const char *slash = strrchr(path, '/');
	struct stat st;
	int fd, rc;

	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", slash ? slash + 1 : path);
	e->is_temporary = shmx_temporary_parse(e->name, &e->creator);
	if (e->is_temporary)
		e->creator_alive = kill(e->creator, 0) == 0 || errno == EPERM;
	fd = shmx__fault_hit("open-input")
		? (errno = EMFILE, -1)
		: open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return shmx__fail(err, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = shmx__fail(err, -errno, "%s: %s", path, strerror(errno));
	} else {
		e->bytes = (uint64_t)st.st_size;
		e->owner = st.st_uid;
		e->mode = st.st_mode & 07777;
		e->mtime = st.st_mtime;
		rc = S_ISREG(st.st_mode) ? read_header(fd, path, &st, e, err)
					 : shmx__fail(err, SHMX_ENOTARRAY,
						      "%s: not a regular file",
						      path);
	}
	close(fd);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir, sorted, into *names (caller frees each and the list). */
static int list_dir(const char *dir, char ***names, size_t *count,
		    struct shmx_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t n = 0, cap = 0;

	if (!d)
		return shmx__fail(err, -errno, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			char **nv = shmx__realloc(v, (cap ? cap * 2 : 64) *
							 sizeof(*v));

			if (!nv)
				goto oom;
			v = nv;
			cap = cap ? cap * 2 : 64;
		}
		if (!(v[n] = shmx__strdup(de->d_name)))
			goto oom;
		n++;
	}
	closedir(d);
	if (n) /* v is NULL for an empty directory: qsort wants a pointer */
		qsort(v, n, sizeof(*v), by_name);
	*names = v;
	*count = n;
	return 0;
oom:
	closedir(d);
	while (n)
		shmx__free(v[--n]);
	shmx__free(v);
	return shmx__fail(err, -ENOMEM, "%s: out of memory", dir);
}

/* A describe error that says the system failed us, not that the entry is
 * no array of ours: listing on would quietly leave an array out. */
static int system_failure(int code)
{
	return code == -EMFILE || code == -ENFILE || code == -ENOMEM ||
	       code == -EIO;
}

/* Describe every name into v (count of them) before anything is shown:
 * an entry that cannot be read fails the listing as a whole. */
static int describe_all(const char *dir, char **names, size_t n,
			struct shmx_entry *v, size_t *count,
			struct shmx_error *err)
{
	char path[PATH_MAX];
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		struct shmx_error derr = { 0 };
		int rc;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		rc = shmx_describe(path, &v[k], &derr);
		if (rc == -ENOENT)
			continue; /* removed while we listed */
		if (system_failure(rc))
			return shmx__fail(err, rc, "%s", derr.msg);
		k++;
	}
	*count = k;
	return 0;
}

int shmx_catalog_each(shmx_entry_fn fn, void *ctx, struct shmx_error *err)
{
	const char *dir = shmx_shm_dir();
	struct shmx_entry *v = NULL;
	char **names = NULL;
	size_t n = 0, count = 0;
	int rc = list_dir(dir, &names, &n, err);

	if (!rc && !(v = shmx__calloc(n, sizeof(*v))))
		rc = shmx__fail(err, -ENOMEM, "%s: out of memory", dir);
	if (!rc)
		rc = describe_all(dir, names, n, v, &count, err);
	for (size_t i = 0; !rc && i < count; i++)
		rc = fn(&v[i], ctx);
	shmx__free(v);
	for (size_t i = 0; i < n; i++)
		shmx__free(names[i]);
	shmx__free(names);
	return rc;
}
