/* engine/format/plan.h - cutting an array into chunks of whole rows.
 *
 * The plan depends only on the row count, the row size and the byte
 * target, never on the number of workers: that is what makes results
 * bit-identical for any -j.  Pure: no system calls.
 */
#ifndef SHMX_ENGINE_PLAN_H
#define SHMX_ENGINE_PLAN_H

#include <stdint.h>

/* 4 MiB: large enough that per-chunk overhead (claim, populate, partial)
 * is noise, small enough that 2 GiB gives hundreds of chunks to balance. */
#define SHMX__CHUNK_DEFAULT (UINT64_C(4) << 20)
/* 64 MiB for --in-place: each chunk costs a flush of the disk's cache
 * (its saved original, exec/sink_inplace.c), and a disk writes few large
 * synced blocks much faster than many small ones (README "Benchmarks"). */
#define SHMX__CHUNK_INPLACE (UINT64_C(64) << 20)

struct shmx__plan {
	uint64_t rows;       /* rows in the array */
	uint64_t chunk_rows; /* rows per chunk; the last may have fewer */
	uint64_t nchunks;    /* 0 when rows == 0 */
};

/* chunk_bytes 0 means the default.  A row larger than chunk_bytes makes
 * a chunk of one row. */
void shmx__plan_make(struct shmx__plan *p, uint64_t rows, uint64_t row_bytes,
		     uint64_t chunk_bytes);

/* First row and row count of chunk i (i < nchunks). */
static inline uint64_t shmx__plan_row0(const struct shmx__plan *p, uint64_t i)
{
	return i * p->chunk_rows;
}

static inline uint64_t shmx__plan_nrows(const struct shmx__plan *p, uint64_t i)
{
	uint64_t r0 = i * p->chunk_rows;

	return p->rows - r0 < p->chunk_rows ? p->rows - r0 : p->chunk_rows;
}

#endif
