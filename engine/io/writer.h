/* engine/io/writer.h - writing the finished chunks of an element-wise map to
 * an output file with io_uring and O_DIRECT, so that a map larger than
 * memory stays bounded in memory and leaves the page cache alone.
 *
 * A writer belongs to one process: a streaming worker opens its own after
 * fork.  The worker asks for a buffer for chunk c, computes the chunk's
 * output rows into it, and puts it back; the write then runs while the
 * worker computes the next chunk.  A chunk counts as finished (the done
 * callback, where the worker marks it DONE in the pool) only once every
 * byte of it is on its way to the disk, so a worker that dies leaves its
 * unfinished chunks to be computed and written again.
 *
 *	get(c0) compute put(c0)   get(c1) compute put(c1)   ...
 *	                 write(c0) ------>done(c0)
 *	                                          write(c1) ---->done(c1)
 *
 * Direct I/O wants 4096-aligned offsets and lengths.  A chunk's output
 * bytes [off, end) rarely are (rows of any size, chunks of whole rows), so
 * each chunk is written in up to three pieces: the partial block at the
 * head and the one at the tail through the page cache (two chunks may
 * share those blocks; buffered writes merge them in the page), and the
 * aligned middle, almost all of it, with O_DIRECT.
 *
 * Whatever the system lacks is replaced and said in stats.fallback: a
 * filesystem that refuses O_DIRECT gets buffered writes, each range
 * written back and dropped from the page cache once done (so the cache
 * still does not fill); a kernel without io_uring gets pwrite.
 *
 * Test builds read SHMX_FAULT=write-eio:K (the Kth write fails with EIO),
 * write-enospc:K (with ENOSPC), write-short:N (every write stops after N
 * bytes, at least a block) and write-einval:K (a direct write refused).
 */
#ifndef SHMX_ENGINE_WRITER_H
#define SHMX_ENGINE_WRITER_H

#include <stdint.h>
#include "shmx/error.h"
#include "format/plan.h"

/* Buffers in flight per worker: at most this many, and at most
 * SHMX__WRITER_BYTES_MAX of them in all (a map may widen each row 8x). */
#define SHMX__WRITER_DEPTH_MAX 8u
#define SHMX__WRITER_BYTES_MAX (64u << 20)

struct shmx__writer;

struct shmx__writer_opts {
	int fd;               /* the output file, O_RDWR, sized already */
	uint64_t data_offset; /* where the array's data starts (4096) */
	uint64_t row_bytes;   /* output bytes per row */
	const struct shmx__plan *plan; /* the input's plan: same chunks */
	unsigned depth;       /* buffers; 0: the most the limits allow */
	int no_direct, no_uring;
	const char *what;     /* names the output in messages */
	/* chunk's bytes are all written; compute_ns as given to put */
	void (*done)(void *ctx, uint64_t chunk, uint64_t compute_ns);
	void *ctx;
};

struct shmx__writer_stats {
	uint64_t bytes_written, writes, short_writes, wait_ns;
	uint64_t direct_bytes; /* of bytes_written, with O_DIRECT */
	int used_uring, used_direct;
	char fallback[128];
};

/* Open a writer (after fork).  0, or a negative errno / SHMX_E* code with
 * err filled.  No O_DIRECT or io_uring is not an error (see fallback). */
int shmx__writer_open(struct shmx__writer **out,
		      const struct shmx__writer_opts *o, struct shmx_error *err);

/* A buffer for the output rows of chunk `chunk`, in *rows, at the same
 * offset modulo 4096 as the rows are in the file: so aligned to the
 * element size (the data starts at byte 4096 and rows are whole
 * elements), not necessarily to 8.  Waits for an earlier write when every buffer is in
 * flight (its done callback runs here).  0, or the error of a write that
 * failed (err says which chunk and bytes). */
int shmx__writer_get(struct shmx__writer *w, uint64_t chunk, void **rows,
		     struct shmx_error *err);

/* Start writing the chunk whose buffer get returned. */
int shmx__writer_put(struct shmx__writer *w, void *rows, uint64_t compute_ns,
		     struct shmx_error *err);

/* Wait until every write put so far is done (callbacks run).  0 or the
 * first write error. */
int shmx__writer_flush(struct shmx__writer *w, struct shmx_error *err);

void shmx__writer_stats(const struct shmx__writer *w,
			struct shmx__writer_stats *st);

/* Wait for writes still in flight (they read our buffers) and free
 * everything.  NULL is ignored. */
void shmx__writer_close(struct shmx__writer *w);

#endif
