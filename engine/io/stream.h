/* engine/io/stream.h - reading the chunks of an array that lives in a file,
 * for inputs that are not in the page cache (or larger than memory).
 *
 * A stream belongs to one process: a worker opens its own after fork()
 * and closes it before it exits.  It keeps up to queue_depth chunk reads
 * in flight (io_uring, O_DIRECT, registered buffers where the system
 * allows) so that the disk works on the next chunks while the worker
 * computes on the current one:
 *
 *	submit(c0) submit(c1) submit(c2) submit(c3)     queue full
 *	wait -> c0, compute, release(c0), submit(c4)    c1..c4 in flight
 *	wait -> c1, compute, release(c1), submit(c5)    ...
 *
 * Chunks come back in the order they were submitted (wait), or in any
 * order the caller picks (wait_chunk; ready says which have arrived).
 * Each buffer is held from submit until release, so the queue depth
 * counts both the reads in
 * flight and the chunks the caller still holds.
 *
 * Whatever the system lacks is replaced, never silently: a filesystem
 * without O_DIRECT gets buffered reads, a kernel without io_uring (or with
 * it disabled) gets pread() with readahead hints, a memlock limit too low
 * to pin the buffers gets unregistered buffers, and a read that io_uring
 * drops (-ECANCELED: no worker thread) is done with pread.  O_DIRECT is
 * also left out where it would misalign the rows (data at an odd offset)
 * and dropped when a read refuses it (EINVAL).  stats.fallback says
 * which, and why.
 *
 * Test builds read SHMX_FAULT=stream-short:N, stream-again:K,
 * stream-eio:K, stream-einval:K or stream-ecanceled:K at open to inject
 * short reads and errors (see stream.c).
 */
#ifndef SHMX_ENGINE_STREAM_H
#define SHMX_ENGINE_STREAM_H

#include <stdbool.h>
#include <stdint.h>
#include "shmx/error.h"
#include "format/plan.h"

/* Chunk reads in flight (and buffers) when queue_depth is 0 and the
 * caller knows no better (a run asks shmx__stream_default_depth). */
#define SHMX__STREAM_DEPTH_DEFAULT 8u
#define SHMX__STREAM_DEPTH_MAX 256u

/* What a disk needs is bytes in flight, whatever the chunk, in requests
 * it takes whole: with the buffers in 2 MiB pages (base/internal.h,
 * shmx__pages_alloc) a 4 MiB read is one request.  The buffers cost too:
 * each is faulted in just before its first read (about 5 ms for 4 MiB in
 * huge pages on the development VM), so a deep queue fills slowly.  On
 * that VM's disk a cold 2 GiB file streamed with 2 workers x 4, 8, 16 and
 * 32 x 4 MiB at 4.55, 4.49, 4.43 and 4.19 GB/s (row sumsq; column mean
 * 4.77, 4.60, 4.69, 3.79), against fio's 4.85 with 2 x 16 (perf/run --size
 * full --only cold, medians of 7).  So a worker keeps
 * SHMX__STREAM_INFLIGHT bytes of chunks in flight (8 chunks of 4 MiB), the
 * workers together at most SHMX__STREAM_INFLIGHT_ALL (the memory bound:
 * depth x chunk buffers a worker). */
#define SHMX__STREAM_INFLIGHT (UINT64_C(32) << 20)
#define SHMX__STREAM_INFLIGHT_ALL (UINT64_C(256) << 20)

/* The queue depth for `workers` workers each reading chunks of
 * chunk_bytes (all its streamed inputs together) of a plan of nchunks:
 * min(SHMX__STREAM_INFLIGHT, SHMX__STREAM_INFLIGHT_ALL / workers) /
 * chunk_bytes, at least 2 (one read in flight while one chunk is
 * computed), at most SHMX__STREAM_DEPTH_MAX and never more than nchunks
 * (at least 1). */
unsigned shmx__stream_default_depth(unsigned workers, uint64_t chunk_bytes,
				    uint64_t nchunks);

struct shmx__stream;

/* All-zero fields (but fd, plan and row_bytes) mean the defaults. */
struct shmx__stream_opts {
	int fd;               /* the input, O_RDONLY; the caller keeps it
			       * open until close (O_DIRECT gets its own
			       * file description, reopened through /proc) */
	uint64_t data_offset; /* where the array's data starts (NPY: 64, 128,
			       * 4096, anything for raw files) */
	uint64_t file_size;   /* the size the caller saw: the plan must fit in
			       * it, and a file found shorter is truncated */
	const struct shmx__plan *plan; /* chunk i is rows [row0, row0 + nrows) */
	uint64_t row_bytes;   /* bytes per row; rows start every row_bytes */
	unsigned queue_depth; /* 0: SHMX__STREAM_DEPTH_DEFAULT */
	int no_direct;        /* buffered reads even where O_DIRECT works */
	int no_uring;         /* pread() even where io_uring works */
	const char *what;     /* names the input in messages (NULL: "input") */
};

struct shmx__stream_stats {
	uint64_t bytes_read;  /* as transferred, block padding included */
	uint64_t reads;       /* read requests issued (resubmissions too) */
	uint64_t short_reads; /* reads that returned less and were resumed */
	uint64_t wait_ns;     /* time spent blocked in shmx__stream_wait */
	int used_uring, used_direct, registered_buffers;
	char fallback[128];   /* why each fallback was taken; "" if none */
};

/* Open a stream over the chunks of o->plan.  Call it in the process that
 * will read (after fork: an io_uring instance must not be shared by two
 * processes).  0, or -EINVAL for contradictory options (a plan that does
 * not fit in file_size, a queue depth over SHMX__STREAM_DEPTH_MAX),
 * SHMX_ETRUNCATED when the file is already shorter than file_size,
 * -ENOMEM, or another negative errno; err says what.  A missing O_DIRECT,
 * io_uring or memlock allowance is not an error (see stats.fallback). */
int shmx__stream_open(struct shmx__stream **out,
		      const struct shmx__stream_opts *o,
		      struct shmx_error *err);

/* Start reading chunk `chunk` (< plan->nchunks; any order, repeats
 * allowed).  0; -EBUSY when queue_depth chunks are already submitted and
 * not yet released; -EINVAL for a chunk outside the plan; -ECHILD when
 * called from another process than the one that opened the stream. */
int shmx__stream_submit(struct shmx__stream *s, uint64_t chunk);

/* Wait for the oldest submitted chunk that wait has not returned yet.
 * 0 with *chunk its number and *rows its first row (aligned to the
 * element size: to min(8, the largest power of two dividing row_bytes)),
 * valid until it is released.  SHMX_ETRUNCATED when the file ended before
 * the chunk's last byte (the message names the bytes), -ENODATA when
 * nothing is submitted, -ECHILD from another process, or the read's
 * negative errno; err says what.  After an error the chunk's buffer is
 * free again.  EINTR, EAGAIN and short reads are retried inside. */
int shmx__stream_wait(struct shmx__stream *s, uint64_t *chunk,
		      const void **rows, struct shmx_error *err);

/* Like wait, for the oldest submitted chunk numbered `chunk` rather than
 * the oldest of all: the caller may take its chunks in the order their
 * reads complete (shmx__stream_ready).  -ENODATA when no such chunk is
 * submitted (and not yet returned). */
int shmx__stream_wait_chunk(struct shmx__stream *s, uint64_t chunk,
			    const void **rows, struct shmx_error *err);

/* Whether a submitted chunk has its bytes (or its error) in now, without
 * waiting: true with *chunk the oldest such.  A disk completes reads out
 * of order; a caller that takes that chunk first (wait_chunk) frees its
 * buffer for the next read sooner than one that waits for the oldest,
 * so more reads stay in flight.  Always false for pread (its reads happen
 * in wait) and outside the opener's process. */
bool shmx__stream_ready(struct shmx__stream *s, uint64_t *chunk);

/* Give back the buffer of a chunk that wait returned (rows as returned);
 * the next submit may reuse it.  A pointer that is not held is ignored. */
void shmx__stream_release(struct shmx__stream *s, const void *rows);

void shmx__stream_stats(const struct shmx__stream *s,
			struct shmx__stream_stats *st);

/* Wait for the reads still in flight (the kernel may be writing into the
 * buffers) and free everything.  NULL is ignored.  In a process other
 * than the opener's (a child forked with the stream open) it only frees
 * this process's copy and touches nothing the opener uses. */
void shmx__stream_close(struct shmx__stream *s);

#endif
