/* engine/source.h - where a worker's input rows come from: the mapping,
 * or a stream of reads (io_uring, O_DIRECT) for files that are not in the
 * page cache.  Both feed the same chunks to the same kernels, so results
 * are bit-identical. */
#ifndef SHMX_ENGINE_SOURCE_H
#define SHMX_ENGINE_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include "shmx/array.h"
#include "format/plan.h"
#include "exec/pool.h"

enum shmx__io { SHMX__IO_MMAP, SHMX__IO_STREAM };

/* Decide how to read `a` for the mode asked (SHMX_IO_*).  A segment or a
 * file on tmpfs is always mapped (there is nothing to stream from); auto
 * streams a file that is mostly not in the page cache (mincore on a
 * sample of pages) or larger than the memory available.  note receives
 * why, for --stats ("" when it is simply what was asked). */
enum shmx__io shmx__io_choose(const struct shmx_array *a, int asked,
			      char *note, size_t len);

/* What the workers share about a streamed run: written by them, read by
 * the parent after they are reaped (MAP_SHARED, made before fork). */
struct shmx__src_shared {
	_Atomic int noted;             /* the first fallback wins */
	char note[192];
	_Atomic int wnoted;            /* the same, for the writes */
	char wnote[160];
	_Atomic int failed;            /* the first error message wins */
	char msg[SHMX_ERROR_MSG_MAX];
};

/* A streamed input, set up by the parent before fork. */
struct shmx__stream_src {
	int fd;
	uint64_t data_offset, file_size, row_bytes;
	const struct shmx__plan *plan;
	unsigned queue_depth;
	const char *what;
	/* compute chunk `chunk` (rows [row0, row0 + nrows)) from rows; out
	 * NULL: into the sink, else into out (its row 0 is row0) */
	int (*compute)(void *ctx, uint64_t chunk, uint64_t row0,
		       uint64_t nrows, const char *rows, void *out);
	void *ctx;
	struct shmx__src_shared *shared;
	/* a map into an output file: its rows are written with a writer
	 * (writer.h) instead of through the mapping; out_fd -1 otherwise */
	int out_fd;
	uint64_t out_offset, out_row_bytes;
	const char *out_what;
};

/* A shmx__worker_fn (ctx: a struct shmx__stream_src): opens the worker's
 * own stream, keeps queue_depth chunk reads in flight by claiming ahead,
 * computes each chunk as its read completes.  With out_fd, each chunk's
 * output goes to a buffer whose write runs while the next is computed,
 * and the chunk is done once written. */
int shmx__stream_worker(void *ctx, struct shmx__claimer *k);

/* Whether fd is a file on tmpfs (memory: nothing to stream to or from). */
int shmx__on_tmpfs(int fd);

/* Fraction (0..1) of the pages under [data, data + len) of a mapping
 * that are in the page cache, from a sample; 1 when it cannot tell. */
double shmx__resident_fraction(const void *data, uint64_t len);

#endif
