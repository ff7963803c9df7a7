/* engine/kernels/reduce.h - how a reduction is written (private to
 * engine/kernels/).
 *
 * A reduction op (struct shmx__red_op) is a name, a result-dtype rule and,
 * per input dtype, a struct shmx__red_impl: the loops for that element
 * type.  reduce.c turns the engine's calls (job, chunk of rows) into calls
 * of those loops, so a loop sees only pointers and counts:
 *
 *   all()   n contiguous elements (a chunk of whole rows, flattened) into
 *           one state in the chunk's slot;
 *   rows()  one result per row, written straight into the output;
 *   cols()  nrows x cols into per-column states in the chunk's slot;
 *   merge_all() / merge_cols()  fold the slots in chunk order into out.
 *
 * Partial slots (one per chunk, zeroed, 64-byte aligned):
 *
 *   AXIS_ALL   +------------------+
 *              | state (<= 64 B)  |            partial_bytes = 64
 *              +------------------+
 *   AXIS_COLS  +--------+----------------------------------+
 *              | header | col_bytes x cols, as arrays      |
 *              | 64 B   | (e.g. s[cols] c[cols] ...)       |
 *              +--------+----------------------------------+
 *              partial_bytes = 64 + cols * col_bytes, rounded up to 64
 *
 * The header holds the chunk's row count; merges skip slots whose chunk
 * had no rows.  AXIS_ROWS has no slot and no merge: prepare makes the
 * call's kind SHMX_KERNEL_ROWS and rows() writes each chunk's rows.
 *
 * Axes, as numpy's: none given reduces everything to a scalar; on a 2-D
 * input 0 gives one value per column, 1 one per row; on a 1-D input 0 is
 * the whole array and 1 is out of bounds; a 0-D input takes no axis.
 */
#ifndef SHMX_KERNELS_REDUCE_H
#define SHMX_KERNELS_REDUCE_H

#include "kernels/job.h"

#define SHMX__SLOT_HDR 64

struct shmx__red_op;

struct shmx__red_impl {
	size_t col_bytes; /* AXIS_COLS state per column */
	void (*all)(const struct shmx__red_op *op, const void *x, uint64_t n,
		    uint64_t index0, void *slot);
	void (*rows)(const struct shmx__red_op *op, const void *x,
		     uint64_t nrows, uint64_t cols, void *out);
	void (*cols)(const struct shmx__red_op *op, const void *x,
		     uint64_t nrows, uint64_t cols, uint64_t row0, void *slot);
	void (*merge_all)(const struct shmx__red_op *op, const char *slots,
			  size_t stride, uint64_t nchunks, void *out);
	void (*merge_cols)(const struct shmx__red_op *op, const char *slots,
			   size_t stride, uint64_t nchunks, uint64_t cols,
			   void *out);
};

/* In a reduction template whose F(run)(x, n) gives a whole STATE: F(all),
 * x[0..n) into the slot. */
#define SHMX__RED_ALL(state)                                              \
	static void F(all)(const struct shmx__red_op *op, const void *x,  \
			   uint64_t n, uint64_t index0, void *slot)       \
	{                                                                 \
		(void)op;                                                 \
		(void)index0;                                             \
		*(state *)slot = F(run)(x, n);                            \
	}

/* In a reduction template whose F(x) names its loops: the struct
 * shmx__red_impl NAME of F(all), F(rows), F(cols) and the merges MALL,
 * MCOLS, with BYTES of AXIS_COLS state per column. */
#define SHMX__RED_IMPL(name, bytes, mall, mcols)                          \
	static const struct shmx__red_impl name = {                       \
		.col_bytes = (bytes), .all = F(all), .rows = F(rows),     \
		.cols = F(cols), .merge_all = (mall), .merge_cols = (mcols) }

/* The result dtype, numpy 1.24 on x86-64 Linux. */
enum shmx__red_result {
	SHMX__RES_SUM,   /* signed -> i64, unsigned -> u64, floats keep */
	SHMX__RES_FLOAT, /* ints -> f64, floats keep (mean, var, std) */
	SHMX__RES_SAME,  /* min, max */
	SHMX__RES_INDEX, /* argmin, argmax: i64 */
};

/* What a family's shared loops finish with. */
enum shmx__red_fin {
	SHMX__FIN_SUM,
	SHMX__FIN_MEAN,
	SHMX__FIN_VAR,
	SHMX__FIN_STD,
};

struct shmx__red_op {
	const char *name;
	enum shmx__red_result result;
	enum shmx__red_fin fin;
	int no_identity; /* zero-size is an error (min, max, arg*) */
	const struct shmx__red_impl *impl[SHMX_DTYPE_COUNT];
};

/* The row count a COLS slot's header holds. */
static inline uint64_t *shmx__slot_nrows(void *slot)
{
	return (uint64_t *)slot;
}

static inline uint64_t shmx__slot_nrows_c(const void *slot)
{
	return *(const uint64_t *)slot;
}

/* Array k (of `elem` bytes per column) of a COLS slot, after the header
 * and k arrays of 8 bytes per column. */
static inline void *shmx__slot_array(void *slot, uint64_t cols, int k)
{
	return (char *)slot + SHMX__SLOT_HDR + (size_t)k * 8 * cols;
}

static inline const void *shmx__slot_array_c(const void *slot, uint64_t cols,
					     int k)
{
	return (const char *)slot + SHMX__SLOT_HDR + (size_t)k * 8 * cols;
}

int shmx__red_prepare(const struct shmx__red_op *op, struct shmx__kstate *job,
		      struct shmx_error *err);
void shmx__red_chunk_all(const struct shmx__red_op *op,
			 const struct shmx__kstate *job, const void *in,
			 uint64_t row0, uint64_t nrows, void *partial);
void shmx__red_chunk_cols(const struct shmx__red_op *op,
			  const struct shmx__kstate *job, const void *in,
			  uint64_t row0, uint64_t nrows, void *partial);
void shmx__red_chunk_rows(const struct shmx__red_op *op,
			  const struct shmx__kstate *job, const void *in,
			  uint64_t nrows, void *out);
void shmx__red_merge_all(const struct shmx__red_op *op,
			 const struct shmx__kstate *job, const void *partials,
			 uint64_t nchunks, void *out);
void shmx__red_merge_cols(const struct shmx__red_op *op,
			  const struct shmx__kstate *job, const void *partials,
			  uint64_t nchunks, void *out);

/* The kernel ABI's three functions for any reduction: prepare() reads the
 * call into the job (the axis rules above), chunk() and merge() go to the
 * op's loops for the job's axis and dtype. */
int shmx__red_kprepare(const struct shmx__red_op *op,
		       struct shmx_kernel_call *c, struct shmx_error *err);
int shmx__red_kchunk(const struct shmx_kernel_call *c,
		     const struct shmx_chunk *k, struct shmx_error *err);
int shmx__red_kmerge(const struct shmx_kernel_call *c, const void *partials,
		     uint64_t nchunks, void *out, struct shmx_error *err);

/* The kernel of reduction `id` described by the struct shmx__red_op
 * `desc`: shmx__k_<id>. */
#define SHMX__REDUCTION(id, desc)                                          \
	static int id##_prepare(struct shmx_kernel_call *c,                \
				struct shmx_error *err)                    \
	{                                                                  \
		return shmx__red_kprepare(&(desc), c, err);                \
	}                                                                  \
	const struct shmx_kernel shmx__k_##id = {                          \
		.abi = SHMX_KERNEL_ABI,                                    \
		.size = sizeof(struct shmx_kernel),                        \
		.name = #id,                                               \
		.kind = SHMX_KERNEL_REDUCE,                                \
		.flags = SHMX_KERNEL_TAKES_AXIS,                           \
		.prepare = id##_prepare,                                   \
		.chunk = shmx__red_kchunk,                                 \
		.merge = shmx__red_kmerge,                                 \
	}

#endif
