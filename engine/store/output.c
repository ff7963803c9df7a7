/* engine/store/output.c - creating an output under a temporary name, reserving
 * its space, and publishing it by rename.
 *
 *   create:  open(.shmx-<pid>-<seq>-NAME, O_CREAT|O_EXCL|O_NOFOLLOW, mode)
 *            fchmod(mode)          umask must not widen or narrow it
 *            posix_fallocate       a full tmpfs fails here, as -ENOSPC,
 *                                  not later as SIGBUS on a page fault;
 *                                  ftruncate alone would leave it sparse
 *            (or, for outputs the pool fills: ftruncate now, and each
 *            worker fallocates the chunk it is about to write, so the
 *            kernel zeroes pages on every CPU at once; see output.h)
 *            mmap MAP_SHARED, write the NPY header
 *   publish: renameat2(RENAME_NOREPLACE), or rename with --force: atomic,
 *            so a reader sees the old array, the new one, or nothing
 *   discard: unlink the temporary
 *
 * Test builds fail these calls where SHMX_FAULT says (fault.h):
 * open-output (EMFILE), ftruncate (EFBIG), fallocate (ENOSPC, at create
 * and in each worker's reserve), mmap (ENOMEM), rename (EIO).
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shmx/array.h"
#include "shmx/catalog.h"
#include "shmx/npy.h"
#include "base/fault.h"
#include "store/journal.h"
#include "store/output.h"
#include "store/temporary.h"
#include "base/internal.h"

struct shmx_output {
	struct shmx_target target;
	char tmp[PATH_MAX];
	int slot; /* in the live-temporaries registry */
	int force;
	int fd;   /* kept for per-chunk reservations */
	void *map;
	uint64_t map_len;
	uint64_t data_bytes;
};

/* The system calls below, each behind its fault site.  They return what
 * the real call does: -1 with errno set, or (fallocate) the error. */
static int open_new(const char *path, mode_t mode)
{
	if (shmx__fault_hit("open-output"))
		return errno = EMFILE, -1;
	return open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    mode);
}

static int truncate_to(int fd, off_t len)
{
	if (shmx__fault_hit("ftruncate"))
		return errno = EFBIG, -1;
	return ftruncate(fd, len);
}

/* A signal can interrupt a long fallocate (the kernel zeroes tmpfs pages
 * in it); what it reserved stays reserved, so asking again is safe. */
static int reserve(int fd, off_t off, off_t len)
{
	int e;

	if (shmx__fault_hit("fallocate"))
		return ENOSPC;
	do
		e = posix_fallocate(fd, off, len);
	while (e == EINTR);
	return e;
}

static void *map_rw(int fd, size_t len)
{
	if (shmx__fault_hit("mmap"))
		return errno = ENOMEM, MAP_FAILED;
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
}

static int move_into_place(const char *from, const char *to, int replace)
{
	if (shmx__fault_hit("rename"))
		return errno = EIO, -1;
	if (replace)
		return rename(from, to);
	return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
}

/* What may stand at the target's name: nothing (0), something we may
 * replace with --force (1), or something another user owns (-1).  Root
 * could rename over another user's array in a sticky /dev/shm; shmx does
 * not: --force replaces the caller's own arrays only. */
static int target_state(const struct shmx_target *t, uid_t *owner)
{
	struct stat st;

	if (fstatat(AT_FDCWD, t->path, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return 0;
	*owner = st.st_uid;
	return st.st_uid == geteuid() ? 1 : -1;
}

static int check_target(const struct shmx_output *o, const char *spec,
			struct shmx_error *err)
{
	uid_t owner = 0;
	int state = target_state(&o->target, &owner);

	if (state < 0)
		return shmx__fail(err, -EEXIST,
				  "%s: already exists and belongs to another "
				  "user (uid %ld): not replaced", spec, (long)owner);
	if (state > 0 && !o->force)
		return shmx__fail(err, -EEXIST,
				  "%s: already exists (use --force to replace it)",
				  spec);
	return 0;
}

static int fail_errno(struct shmx_error *err, int e, const struct shmx_output *o,
		      const char *doing)
{
	if (e == ENOSPC)
		return shmx__fail(err, -e,
				  "%s: no space left in %s for %llu bytes",
				  o->target.spec, o->target.dir,
				  (unsigned long long)o->map_len);
	return shmx__fail(err, -e, "%s: cannot %s: %s", o->target.spec, doing,
			  strerror(e));
}

/* Create, size and map the temporary.  On failure the caller discards. */
static int make_temporary(struct shmx_output *o, mode_t mode, int lazy,
			  struct shmx_error *err)
{
	int fd, e;

	if (shmx__temp_path(&o->target, o->tmp, sizeof(o->tmp)) < 0)
		return shmx__fail(err, SHMX_ETARGET, "%s: path too long",
				  o->target.spec);
	o->slot = shmx__temp_register(o->tmp);
	if (o->slot < 0)
		return shmx__fail(err, o->slot, "too many outputs at once");
	fd = open_new(o->tmp, mode);
	if (fd < 0) {
		e = errno;
		o->tmp[0] = '\0'; /* nothing to unlink: it is not ours */
		return fail_errno(err, e, o, "create");
	}
	o->fd = fd;
	e = fchmod(fd, mode) < 0 ? errno : 0;
	if (!e && lazy) /* the header page now, the data chunk by chunk */
		e = truncate_to(fd, (off_t)o->map_len) < 0 ? errno
			: reserve(fd, 0, SHMX_NPY_DATA_OFFSET);
	else if (!e)
		e = reserve(fd, 0, (off_t)o->map_len);
	if (!e) {
		o->map = map_rw(fd, o->map_len);
		if (o->map == MAP_FAILED) {
			o->map = NULL;
			e = errno;
		}
	}
	return e ? fail_errno(err, e, o, "create") : 0;
}

int shmx_output_create(const char *spec, enum shmx_dtype t,
		       const struct shmx_shape *s,
		       const struct shmx_create_opts *opts,
		       struct shmx_output **out, struct shmx_error *err)
{
	return shmx__output_create(spec, t, s, opts, 0, out, err);
}

int shmx__output_create(const char *spec, enum shmx_dtype t,
			const struct shmx_shape *s,
			const struct shmx_create_opts *opts, int lazy,
			struct shmx_output **out, struct shmx_error *err)
{
	struct shmx_output *o;
	uint64_t bytes;
	int rc;

	o = shmx__calloc(1, sizeof(*o));
	if (!o)
		return shmx__fail(err, -ENOMEM, "%s: out of memory", spec);
	o->slot = -1;
	o->fd = -1;
	o->force = opts && opts->force;
	rc = shmx_target_parse(spec, &o->target, err);
	if (!rc && shmx_shape_bytes(s, t, &bytes) < 0)
		rc = shmx__fail(err, SHMX_ESHAPE, "%s: shape overflows", spec);
	if (!rc) /* an interrupted --in-place run first: resume it */
		rc = shmx__journal_refuse(&o->target, err);
	if (!rc)
		rc = check_target(o, spec, err);
	if (!rc) {
		/* an empty array gets one pad byte: numpy's mmap cannot map
		 * zero bytes at the very end of a file (see npy.h) */
		o->data_bytes = bytes;
		o->map_len = SHMX_NPY_DATA_OFFSET + (bytes ? bytes : 1);
		rc = make_temporary(o, opts && opts->mode ? opts->mode : 0600,
				    lazy, err);
	}
	if (rc) {
		shmx_output_discard(o);
		return rc;
	}
	shmx_npy_write_header(o->map, t, s);
	*out = o;
	return 0;
}

/* tmp names a temporary (".shmx-<pid>-...") in t's directory. */
static int is_temporary_of(const struct shmx_target *t, const char *tmp)
{
	size_t n = strlen(t->dir);
	pid_t pid;

	return !strncmp(tmp, t->dir, n) && tmp[n] == '/' &&
	       !strchr(tmp + n + 1, '/') && shmx_temporary_parse(tmp + n + 1, &pid);
}

/* Open and map o->tmp; its size and header must be what o expects. */
static int open_created(struct shmx_output *o, const char *tmp,
			enum shmx_dtype t, const struct shmx_shape *s,
			struct shmx_error *err)
{
	static char want[SHMX_NPY_DATA_OFFSET];
	struct stat st;

	o->fd = open(tmp, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (o->fd < 0)
		return shmx__fail(err, -errno, "%s: cannot open the temporary "
				  "%s: %s", o->target.spec, tmp, strerror(errno));
	if (fstat(o->fd, &st) < 0 || (uint64_t)st.st_size != o->map_len)
		return shmx__fail(err, SHMX_ESHAPE, "%s: the temporary %s is "
				  "not the size of this result", o->target.spec,
				  tmp);
	o->map = map_rw(o->fd, o->map_len);
	if (o->map == MAP_FAILED) {
		o->map = NULL;
		return fail_errno(err, errno, o, "map");
	}
	shmx_npy_write_header(want, t, s);
	if (memcmp(o->map, want, sizeof(want)))
		return shmx__fail(err, SHMX_ESHAPE, "%s: the temporary %s holds "
				  "another result", o->target.spec, tmp);
	return 0;
}

int shmx__output_attach(const char *spec, const char *tmp, enum shmx_dtype t,
			const struct shmx_shape *s, struct shmx_output **out,
			struct shmx_error *err)
{
	struct shmx_output *o = shmx__calloc(1, sizeof(*o));
	uint64_t bytes;
	int rc;

	if (!o)
		return shmx__fail(err, -ENOMEM, "%s: out of memory", spec);
	o->slot = -1;
	o->fd = -1; /* o->tmp stays "": never ours to unlink */
	rc = shmx_target_parse(spec, &o->target, err);
	if (!rc && shmx_shape_bytes(s, t, &bytes) < 0)
		rc = shmx__fail(err, SHMX_ESHAPE, "%s: shape overflows", spec);
	if (!rc && !is_temporary_of(&o->target, tmp))
		rc = shmx__fail(err, SHMX_ETARGET, "%s: '%s' is not a temporary "
				"beside it", spec, tmp);
	if (!rc) {
		o->data_bytes = bytes;
		o->map_len = SHMX_NPY_DATA_OFFSET + (bytes ? bytes : 1);
		rc = open_created(o, tmp, t, s, err);
	}
	if (rc) {
		shmx_output_discard(o);
		return rc;
	}
	*out = o;
	return 0;
}

int shmx__output_sync(struct shmx_output *o, uint64_t off, uint64_t len)
{
	char *p = shmx_output_data(o);
	uintptr_t lo = (uintptr_t)(p + off) & ~(uintptr_t)4095;
	uintptr_t hi = (uintptr_t)(p + off + len);

	if (!len)
		return 0;
	return msync((void *)lo, hi - lo, MS_SYNC) < 0 ? -errno : 0;
}

void *shmx_output_data(struct shmx_output *o)
{
	return (char *)o->map + SHMX_NPY_DATA_OFFSET;
}

uint64_t shmx_output_nbytes(const struct shmx_output *o)
{
	return o->data_bytes;
}

const struct shmx_target *shmx_output_target(const struct shmx_output *o)
{
	return &o->target;
}

int shmx__output_nospace(const struct shmx_output *o, struct shmx_error *err)
{
	return fail_errno(err, ENOSPC, o, "reserve");
}

int shmx__output_reserve(struct shmx_output *o, uint64_t off, uint64_t len)
{
	char *p = shmx_output_data(o);
	uintptr_t lo = (uintptr_t)(p + off) & ~(uintptr_t)4095;
	uintptr_t hi = (uintptr_t)(p + off + len);
	int e;

	if (!len)
		return 0;
	e = reserve(o->fd, (off_t)(SHMX_NPY_DATA_OFFSET + off), (off_t)len);
	if (e)
		return -e;
	/* map the pages in one call instead of a fault per page */
	shmx__populate((void *)lo, hi - lo, 1);
	return 0;
}

int shmx_output_publish(struct shmx_output *o, struct shmx_error *err)
{
	int rc = move_into_place(o->tmp, o->target.path, o->force);

	if (rc < 0) {
		int e = errno;

		rc = e == EEXIST ? shmx__fail(err, -e,
					      "%s: already exists (use --force "
					      "to replace it)",
					      o->target.spec)
				 : fail_errno(err, e, o, "publish");
	} else {
		o->tmp[0] = '\0'; /* published: no longer ours to remove */
	}
	shmx_output_discard(o);
	return rc;
}

void shmx_output_discard(struct shmx_output *o)
{
	if (!o)
		return;
	if (o->map)
		munmap(o->map, o->map_len);
	if (o->fd >= 0)
		close(o->fd);
	if (o->tmp[0])
		unlink(o->tmp);
	shmx__temp_forget(o->slot);
	shmx__free(o);
}

int shmx__output_fd(const struct shmx_output *o)
{
	return o->fd;
}

void *shmx__output_header(struct shmx_output *o)
{
	return o->map;
}

const char *shmx__output_temporary(const struct shmx_output *o)
{
	return o->tmp;
}
