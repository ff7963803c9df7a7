/* engine/store/array.c - opening an input: a file or a segment, NPY or raw,
 * checked against its size and mapped MAP_SHARED without a copy.
 *
 * The header is read with pread before anything is mapped, so malformed
 * input is rejected without touching the mapping machinery; the data is
 * then mapped whole.  The mapping is inherited by forked workers.
 *
 * Test builds fail the open (open-input: EMFILE), the header read (read:
 * EIO) and the mapping (mmap: ENOMEM) where SHMX_FAULT says (fault.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shmx/array.h"
#include "shmx/npy.h"
#include "base/fault.h"
#include "base/internal.h"
#include "store/journal.h"

struct shmx_array {
	struct shmx_target target;
	int fd;
	void *map;        /* whole file, NULL when the file is empty */
	uint64_t map_len;
	enum shmx_dtype dtype;
	struct shmx_shape shape;
	uint64_t data_offset, data_bytes;
	int writable;
};

static int open_input(const char *path, int flags)
{
	if (shmx__fault_hit("open-input"))
		return errno = EMFILE, -1;
	return open(path, flags);
}

static ssize_t read_at(int fd, void *buf, size_t len, off_t off)
{
	if (shmx__fault_hit("read"))
		return errno = EIO, -1;
	return pread(fd, buf, len, off);
}

/* Open the target's path, refusing what is not a regular file. */
static int open_regular(struct shmx_array *a, int writable,
			struct shmx_error *err)
{
	struct stat st;
	int flags = (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC;

	/* A segment is never followed through a symlink: /dev/shm is shared
	 * by every user. */
	if (a->target.kind == SHMX_TARGET_SHM)
		flags |= O_NOFOLLOW;
	a->fd = open_input(a->target.path, flags | O_NONBLOCK);
	if (a->fd < 0) {
		int e = errno;

		if (e == ENOENT)
			return shmx__fail(err, -e, "%s: no such %s",
					  a->target.spec,
					  a->target.kind == SHMX_TARGET_SHM ? "segment" : "file");
		return shmx__fail(err, -e, "%s: %s", a->target.spec, strerror(e));
	}
	if (fstat(a->fd, &st) < 0)
		return shmx__fail(err, -errno, "%s: %s", a->target.spec,
				  strerror(errno));
	if (!S_ISREG(st.st_mode))
		return shmx__fail(err, SHMX_ENOTARRAY,
				  "%s: not a regular file", a->target.spec);
	/* O_NONBLOCK only guarded the open against FIFOs */
	fcntl(a->fd, F_SETFL, fcntl(a->fd, F_GETFL) & ~O_NONBLOCK);
	a->map_len = (uint64_t)st.st_size;
	return 0;
}

static int read_npy(struct shmx_array *a, struct shmx_error *err)
{
	unsigned char buf[SHMX_NPY_MAX_HEADER + 16];
	struct shmx_npy_header h;
	ssize_t n;
	int rc;

	n = read_at(a->fd, buf, sizeof(buf), 0);
	if (n < 0)
		return shmx__fail(err, -errno, "%s: cannot read the header: %s",
				  a->target.spec, strerror(errno));
	rc = shmx_npy_parse(buf, (size_t)n, a->target.spec, &h, err);
	if (rc)
		return rc;
	rc = shmx_npy_check_size(&h, a->map_len, a->target.spec, err);
	if (rc)
		return rc;
	a->dtype = h.dtype;
	a->shape = h.shape;
	a->data_offset = h.data_offset;
	a->data_bytes = h.data_bytes;
	return 0;
}

static int check_raw(struct shmx_array *a, const struct shmx_open_opts *o,
		     struct shmx_error *err)
{
	uint64_t bytes, row_bytes, have;
	const char *dt = shmx_dtype_name(o->dtype);

	if (shmx_shape_bytes(&o->shape, o->dtype, &bytes) < 0)
		return shmx__fail(err, SHMX_ESHAPE, "%s: shape overflows",
				  a->target.spec);
	have = a->map_len > o->raw_offset ? a->map_len - o->raw_offset : 0;
	row_bytes = shmx__row_bytes(shmx_shape_cols(&o->shape),
				    shmx_dtype_size(o->dtype));
	if (have != bytes && row_bytes && have % row_bytes)
		return shmx__fail(err, SHMX_ESIZE,
				  "%s: %llu bytes is not a whole number of %s "
				  "rows of %llu",
				  a->target.spec, (unsigned long long)have, dt,
				  (unsigned long long)shmx_shape_cols(&o->shape));
	if (have != bytes)
		return shmx__fail(err, SHMX_ESIZE,
				  "%s: %llu bytes, but %s x %llu elements need "
				  "%llu",
				  a->target.spec, (unsigned long long)have, dt,
				  (unsigned long long)(bytes / shmx_dtype_size(o->dtype)),
				  (unsigned long long)bytes);
	a->dtype = o->dtype;
	a->shape = o->shape;
	a->data_offset = o->raw_offset;
	a->data_bytes = bytes;
	return 0;
}

static int map_all(struct shmx_array *a, struct shmx_error *err)
{
	int prot = PROT_READ | (a->writable ? PROT_WRITE : 0);

	if (a->map_len == 0)
		return 0;
	a->map = shmx__fault_hit("mmap")
		? (errno = ENOMEM, MAP_FAILED)
		: mmap(NULL, a->map_len, prot, MAP_SHARED, a->fd, 0);
	if (a->map == MAP_FAILED) {
		a->map = NULL;
		return shmx__fail(err, -errno, "%s: cannot map: %s",
				  a->target.spec, strerror(errno));
	}
	return 0;
}

int shmx_array_open(const char *spec, const struct shmx_open_opts *opts,
		    struct shmx_array **out, struct shmx_error *err)
{
	return shmx__array_open(spec, opts, 0, out, err);
}

int shmx__array_open(const char *spec, const struct shmx_open_opts *opts,
		     int journaled, struct shmx_array **out,
		     struct shmx_error *err)
{
	static const struct shmx_open_opts defaults;
	const struct shmx_open_opts *o = opts ? opts : &defaults;
	struct shmx_array *a;
	int rc;

	shmx__fault_storm(); /* test builds: EINTR for load, cat, info too */
	a = shmx__calloc(1, sizeof(*a));
	if (!a)
		return shmx__fail(err, -ENOMEM, "%s: out of memory", spec);
	a->fd = -1;
	a->writable = o->writable;
	rc = shmx_target_parse(spec, &a->target, err);
	if (!rc && !journaled) /* an interrupted --in-place run: resume it */
		rc = shmx__journal_refuse(&a->target, err);
	if (!rc)
		rc = open_regular(a, o->writable, err);
	if (!rc)
		rc = o->raw ? check_raw(a, o, err) : read_npy(a, err);
	if (!rc)
		rc = map_all(a, err);
	if (rc) {
		shmx_array_close(a);
		return rc;
	}
	*out = a;
	return 0;
}

void shmx_array_close(struct shmx_array *a)
{
	if (!a)
		return;
	if (a->map)
		munmap(a->map, a->map_len);
	if (a->fd >= 0)
		close(a->fd);
	shmx__free(a);
}

enum shmx_dtype shmx_array_dtype(const struct shmx_array *a)
{
	return a->dtype;
}

const struct shmx_shape *shmx_array_shape(const struct shmx_array *a)
{
	return &a->shape;
}

const void *shmx_array_data(const struct shmx_array *a)
{
	return a->map ? (const char *)a->map + a->data_offset : NULL;
}

void *shmx_array_data_mut(struct shmx_array *a)
{
	return a->writable && a->map ? (char *)a->map + a->data_offset : NULL;
}

uint64_t shmx_array_nbytes(const struct shmx_array *a)
{
	return a->data_bytes;
}

const struct shmx_target *shmx_array_target(const struct shmx_array *a)
{
	return &a->target;
}

int shmx_array_fd(const struct shmx_array *a)
{
	return a->fd;
}

uint64_t shmx_array_data_offset(const struct shmx_array *a)
{
	return a->data_offset;
}

/* shmx_array_read: a SIGBUS while copying out of the mapping (the file
 * was truncated under it) jumps back here instead of killing the process.
 * One copy at a time per process: the CLI's parent is single-threaded. */
static sigjmp_buf *volatile bus_jump;

static void on_bus(int sig)
{
	if (bus_jump)
		siglongjmp(*bus_jump, 1);
	signal(sig, SIG_DFL); /* not ours: die of it as before */
	raise(sig);
}

int shmx_array_read(const struct shmx_array *a, uint64_t off, void *dst,
		    uint64_t len, struct shmx_error *err)
{
	struct sigaction sa, old;
	sigjmp_buf jb;
	uint64_t end;
	struct stat st;

	if (shmx__add_u64(off, len, &end) < 0 || end > a->data_bytes)
		return shmx__fail(err, -EINVAL, "%s: bytes [%llu, +%llu) are "
				  "outside the array", a->target.spec,
				  (unsigned long long)off, (unsigned long long)len);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_bus;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(jb, 1)) {
		bus_jump = NULL;
		sigaction(SIGBUS, &old, NULL);
		if (fstat(a->fd, &st) < 0)
			st.st_size = -1;
		return shmx__fail(err, SHMX_ETRUNCATED,
				  "%s: the input shrank while it was read (now "
				  "%jd bytes, it had %llu)", a->target.spec,
				  (intmax_t)st.st_size,
				  (unsigned long long)(a->data_offset + a->data_bytes));
	}
	bus_jump = &jb;
	if (len)
		memcpy(dst, (const char *)shmx_array_data(a) + off, len);
	bus_jump = NULL;
	sigaction(SIGBUS, &old, NULL);
	return 0;
}
