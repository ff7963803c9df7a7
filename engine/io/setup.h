/* engine/io/setup.h - what the stream reader (stream.c) and the streamed
 * writer (writer.c) both set up before their first transfer, and tear
 * down after their last: a file description with O_DIRECT of their own,
 * an io_uring ring owned by one process, and the aligned buffers that
 * the kernel reads into or writes from.
 *
 *	struct shmx__io (inside a stream or a writer, one per process)
 *	  owner      getpid() at shmx__io_init: the only process that may
 *	             use the ring and the buffers
 *	  direct_fd  /proc/self/fd/N reopened with O_DIRECT, or -1
 *	  ring       io_uring, set up when `uring` says so
 *	  buf[n]     n buffers of buf_bytes, aligned; pinned in the ring
 *	             (READ_FIXED) when `registered` says so: all at once
 *	             (shmx__io_bufs_register), or each just before its
 *	             first transfer (shmx__io_bufs_register_lazy, then
 *	             shmx__io_buf_pin: `pinned` says which are in)
 *
 * Every function here only sets things up and says how it went; which
 * fallback that means, and the note that says so, stay with the caller.
 * Also here: the part of the SHMX_FAULT hooks that both parse the same
 * way (a short-transfer cap and a table of failing transfers).
 */
#ifndef SHMX_ENGINE_IO_SETUP_H
#define SHMX_ENGINE_IO_SETUP_H

#include <liburing.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

#include "base/fault.h"

/* The most buffers an io holds (a stream's SHMX__STREAM_DEPTH_MAX; the
 * writer's limit is lower).  A fixed array: no allocation of its own. */
#define SHMX__IO_BUFS_MAX 256u

/* The alignment of O_DIRECT offsets and lengths where the kernel does not
 * say (a multiple of every logical block size up to 4096). */
#define SHMX__IO_DIRECT_ALIGN UINT64_C(4096)

struct shmx__io {
	struct io_uring ring;
	int uring;          /* the ring is set up (shmx__io_ring_init) */
	int registered;     /* buf[] is registered with it (lazily: a table
			     * whose entries shmx__io_buf_pin fills) */
	int lazy;           /* registered by shmx__io_bufs_register_lazy */
	int direct_fd;      /* our O_DIRECT file description, -1 without */
	pid_t owner;        /* the process that set all this up */
	unsigned nbufs;
	size_t buf_bytes;
	unsigned char *buf[SHMX__IO_BUFS_MAX];
	bool pinned[SHMX__IO_BUFS_MAX]; /* lazy: buf[i] is in the table */
};

/* Start an io that has nothing set up yet, owned by this process.  Call
 * it after fork, in the process that will do the I/O. */
void shmx__io_init(struct shmx__io *io);

/* Whether this process made io.  The ring's submission and completion
 * queues are memory shared with the kernel, so two processes using one
 * would race on their indices; a SINGLE_ISSUER ring refuses any task but
 * its creator; registered buffers are pinned pages of its address space. */
static inline bool shmx__io_mine(const struct shmx__io *io)
{
	return getpid() == io->owner;
}

/* ---- O_DIRECT --------------------------------------------------------- */

/* Reopen fd (a regular file) through /proc/self/fd with flags | O_DIRECT
 * | O_CLOEXEC, into io->direct_fd: a file description of our own, since
 * O_DIRECT set on the caller's (fcntl F_SETFL) would change its transfers
 * too.  The new descriptor, or -1 with errno (EINVAL: a filesystem that
 * refuses O_DIRECT).  fault_site, if not NULL, is the SHMX_FAULT site
 * that fails this call with EMFILE in test builds. */
int shmx__io_reopen_direct(struct shmx__io *io, int fd, int flags,
			   const char *fault_site);

/* The O_DIRECT offset alignment of fd's filesystem (statx STATX_DIOALIGN,
 * Linux 6.1), never less than SHMX__IO_DIRECT_ALIGN: 0 when the
 * filesystem says it has no O_DIRECT; SHMX__IO_DIRECT_ALIGN when the
 * kernel does not say (then opening with O_DIRECT decides).  *mem is the
 * buffer alignment, likewise at least SHMX__IO_DIRECT_ALIGN. */
uint64_t shmx__io_direct_align(int fd, uint64_t *mem);

/* ---- the ring ---------------------------------------------------------- */

/* Set up io->ring with `entries` submission entries:
 * SINGLE_ISSUER|DEFER_TASKRUN (6.1), so that completions are posted when
 * we wait rather than by interrupting the computation; a plain ring where
 * the kernel says EINVAL to those flags.  0 (io->uring set), or the
 * negative errno of io_uring_queue_init; test builds fail it with -ENOSYS
 * at SHMX_FAULT=uring-setup. */
int shmx__io_ring_init(struct shmx__io *io, unsigned entries);

/* What may explain an io_uring failure rc, for a note: "
 * (io_uring_disabled=N)" when the system-wide switch is on, " (memlock N
 * KiB)" for -ENOMEM under a finite RLIMIT_MEMLOCK (rings and registered
 * buffers count against it unless the process has CAP_IPC_LOCK), ""
 * otherwise.  Written to buf (n bytes), which is returned. */
const char *shmx__io_ring_why(char *buf, size_t n, int rc);

/* The next completion, if one is there (it does not wait): true with
 * *tag its user data and *res its result, the entry consumed; false when
 * none is ready. */
static inline bool shmx__io_take(struct shmx__io *io, uint64_t *tag, int *res)
{
	struct io_uring_cqe *cqe;

	if (io_uring_peek_cqe(&io->ring, &cqe) != 0)
		return false;
	*tag = io_uring_cqe_get_data64(cqe);
	*res = cqe->res;
	io_uring_cqe_seen(&io->ring, cqe);
	return true;
}

/* ---- buffers ----------------------------------------------------------- */

/* n (<= SHMX__IO_BUFS_MAX) buffers of `bytes` each, aligned to align, in
 * io->buf[0..n).  0, or -ENOMEM (-EINVAL for n over the maximum); those
 * allocated before a failure are freed by shmx__io_close. */
int shmx__io_bufs_alloc(struct shmx__io *io, unsigned n, size_t align,
			size_t bytes);

/* Register io->buf[] with the ring, so that fixed reads and writes pin
 * them once rather than on every transfer.  That counts against
 * RLIMIT_MEMLOCK (unless CAP_IPC_LOCK), so it may be refused.  0
 * (io->registered set), or a negative errno; test builds fail it with
 * -ENOMEM at SHMX_FAULT=uring-register. */
int shmx__io_bufs_register(struct shmx__io *io);

/* Register a table of io->nbufs empty entries, and pin each buffer only
 * when shmx__io_buf_pin asks, just before its first transfer.  Pinning
 * faults the buffer's pages in (on this kind of VM the first touch of a
 * page costs about 1 ms a MiB): all at once, a stream of 32 buffers of 4
 * MiB starts its first read some 100 ms late; one at a time, the disk
 * reads into the first buffers while the next are pinned.  0 (io->registered
 * set), or a negative errno: -EINVAL from a kernel without sparse tables
 * (5.19), where shmx__io_bufs_register is the fallback; test builds fail it
 * with -ENOMEM at SHMX_FAULT=uring-register, like shmx__io_bufs_register. */
int shmx__io_bufs_register_lazy(struct shmx__io *io);

/* Pin buffer i into the lazy table unless it is in already: 0 when a
 * fixed transfer may use it (also after shmx__io_bufs_register), -ENOENT
 * when nothing is registered, or the negative errno of the update
 * (-ENOMEM: over RLIMIT_MEMLOCK; the buffer then stays plain). */
int shmx__io_buf_pin(struct shmx__io *io, unsigned i);

/* Tear down what is set up: the ring, direct_fd and the buffers, unless
 * leak_bufs (the kernel may still be transferring into or out of them
 * after a ring failure: leaking them is the only safe thing).  The caller
 * has waited for its transfers in flight.  In a process other than the
 * owner's it only drops this process's copy. */
void shmx__io_close(struct shmx__io *io, bool leak_bufs);

/* ---- fault hooks (test builds) ----------------------------------------- */

/* What SHMX_FAULT asks of the transfers, in the shape both share:
 * SHORT_SITE:N caps every transfer at N bytes; one site of a table
 * fails the Kth transfer with its code (with :persist, every one after). */
struct shmx__io_fault {
	uint64_t short_cap; /* 0: no cap */
	uint64_t fail_at;   /* 0: no failure */
	int fail_code;      /* negative errno */
	bool persist;
};

/* Read SHMX_FAULT for short_site and the n sites of fails into f (all
 * zero when none of them is armed; always in Release builds). */
void shmx__io_fault_parse(struct shmx__io_fault *f, const char *short_site,
			  const struct shmx__fault_code *fails, size_t n);

#endif
