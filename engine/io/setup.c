/* engine/io/setup.c - the O_DIRECT reopen, the ring, the buffers and the
 * fault-spec parsing that stream.c and writer.c share (see setup.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "base/internal.h"
#include "io/setup.h"

void shmx__io_init(struct shmx__io *io)
{
	memset(io, 0, sizeof(*io));
	io->direct_fd = -1;
	io->owner = getpid();
}

/* ---- O_DIRECT --------------------------------------------------------- */

int shmx__io_reopen_direct(struct shmx__io *io, int fd, int flags,
			   const char *fault_site)
{
	char path[64];

	if (fault_site && shmx__fault_hit(fault_site)) {
		errno = EMFILE;
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	io->direct_fd = open(path, flags | O_DIRECT | O_CLOEXEC);
	return io->direct_fd;
}

uint64_t shmx__io_direct_align(int fd, uint64_t *mem)
{
	struct statx sx;

	*mem = SHMX__IO_DIRECT_ALIGN;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) < 0 ||
	    !(sx.stx_mask & STATX_DIOALIGN))
		return SHMX__IO_DIRECT_ALIGN;
	if (sx.stx_dio_mem_align > *mem)
		*mem = sx.stx_dio_mem_align;
	if (!sx.stx_dio_offset_align)
		return 0;
	return sx.stx_dio_offset_align > SHMX__IO_DIRECT_ALIGN
		? sx.stx_dio_offset_align
		: SHMX__IO_DIRECT_ALIGN;
}

/* ---- the ring ---------------------------------------------------------- */

int shmx__io_ring_init(struct shmx__io *io, unsigned entries)
{
	int rc;

	if (shmx__fault_hit("uring-setup"))
		return -ENOSYS;
	rc = io_uring_queue_init(entries, &io->ring,
				 IORING_SETUP_SINGLE_ISSUER |
					 IORING_SETUP_DEFER_TASKRUN);
	if (rc == -EINVAL)
		rc = io_uring_queue_init(entries, &io->ring, 0);
	io->uring = rc == 0;
	return rc;
}

const char *shmx__io_ring_why(char *buf, size_t n, int rc)
{
	FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "re");
	struct rlimit rl;
	int v = 0;

	buf[0] = 0;
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 0;
		fclose(f);
	}
	if (v)
		snprintf(buf, n, " (io_uring_disabled=%d)", v);
	else if (rc == -ENOMEM && getrlimit(RLIMIT_MEMLOCK, &rl) == 0 &&
		 rl.rlim_cur != RLIM_INFINITY)
		snprintf(buf, n, " (memlock %ju KiB)", (uintmax_t)rl.rlim_cur >> 10);
	return buf;
}

/* ---- buffers ----------------------------------------------------------- */

/* From here a buffer is whole pages of its own (base/internal.h). */
#define BIG_BUF_ (UINT64_C(1) << 20)

int shmx__io_bufs_alloc(struct shmx__io *io, unsigned n, size_t align,
			size_t bytes)
{
	if (n > SHMX__IO_BUFS_MAX)
		return -EINVAL;
	io->nbufs = n;
	io->buf_bytes = bytes;
	for (unsigned i = 0; i < n; i++) {
		io->buf[i] = bytes >= BIG_BUF_ ? shmx__pages_alloc(bytes)
					       : shmx__aligned_alloc(align, bytes);
		if (!io->buf[i])
			return -ENOMEM;
	}
	return 0;
}

int shmx__io_bufs_register(struct shmx__io *io)
{
	struct iovec *iov = shmx__calloc(io->nbufs, sizeof(*iov));
	int rc = -ENOMEM;

	if (!iov)
		return rc;
	for (unsigned i = 0; i < io->nbufs; i++) {
		iov[i].iov_base = io->buf[i];
		iov[i].iov_len = io->buf_bytes;
	}
	rc = shmx__fault_hit("uring-register")
		? -ENOMEM
		: io_uring_register_buffers(&io->ring, iov, io->nbufs);
	shmx__free(iov);
	io->registered = rc == 0;
	return rc;
}

int shmx__io_bufs_register_lazy(struct shmx__io *io)
{
	int rc = shmx__fault_hit("uring-register")
			 ? -ENOMEM
			 : io_uring_register_buffers_sparse(&io->ring, io->nbufs);

	io->registered = io->lazy = rc == 0;
	memset(io->pinned, 0, sizeof(io->pinned));
	return rc;
}

int shmx__io_buf_pin(struct shmx__io *io, unsigned i)
{
	struct iovec iov = { io->buf[i], io->buf_bytes };
	__u64 tag = 0;
	int rc;

	if (!io->registered)
		return -ENOENT;
	if (!io->lazy || io->pinned[i])
		return 0;
	rc = io_uring_register_buffers_update_tag(&io->ring, i, &iov, &tag, 1);
	if (rc < 0)
		return rc;
	io->pinned[i] = true;
	return 0;
}

void shmx__io_close(struct shmx__io *io, bool leak_bufs)
{
	if (io->uring)
		io_uring_queue_exit(&io->ring);
	io->uring = io->registered = io->lazy = 0;
	if (io->direct_fd >= 0)
		close(io->direct_fd);
	io->direct_fd = -1;
	for (unsigned i = 0; !leak_bufs && i < io->nbufs; i++)
		if (io->buf_bytes >= BIG_BUF_)
			shmx__pages_free(io->buf[i], io->buf_bytes);
		else
			shmx__free(io->buf[i]);
	io->nbufs = 0;
}

/* ---- fault hooks (test builds) ----------------------------------------- */

void shmx__io_fault_parse(struct shmx__io_fault *f, const char *short_site,
			  const struct shmx__fault_code *fails, size_t n)
{
	uint64_t v = 0;

	memset(f, 0, sizeof(*f));
	if (shmx__fault_arg(short_site, &v, NULL))
		f->short_cap = v;
	f->fail_code = shmx__fault_code(fails, n, &v, &f->persist);
	if (f->fail_code)
		f->fail_at = v;
}
