/* engine/kernels/extrema_arg.h - a template (no include guard): argmin or
 * argmax loops of one element type, included by extrema.c through
 * each_int.h / each_float.h (T, SFX) with
 *   DIR   min or max
 *   KIND  int (integers) or prop (floats): the comparisons STRICT_<DIR>_
 *         <KIND> (as CMP) and FIRST_<KIND>, and ext_<DIR>_<KIND>_<SFX>_run
 *         for the best of each block
 * It defines arg_<DIR>_<SFX>_{run,all,rows,cols,merge_all,merge_cols} and
 * the struct shmx__red_impl arg_<DIR>_<SFX>.
 */
#define F(x) SHMX__NAME4(arg, DIR, SFX, x)
#define CMP SHMX__NAME3(STRICT, DIR, KIND)
#define FIRST SHMX__CAT(FIRST_, KIND)
#define EXT_RUN SHMX__CAT(SHMX__NAME4(ext, DIR, KIND, SFX), _run)

/* The first index of the best of x[0..n), n >= 1. */
static uint64_t F(run)(const T *x, uint64_t n, T *val)
{
	uint64_t best_i = 0;
	T best = x[0];

	for (uint64_t j = 1; n < 2 * WIDTH(T) && j < n; j++) {
		if (CMP(x[j], best)) {
			best = x[j]; /* a short row: one pass */
			best_i = j;
		}
	}
	for (uint64_t b = 0; n >= 2 * WIDTH(T) && b < n; b += ARG_BLOCK) {
		uint64_t m = n - b < ARG_BLOCK ? n - b : ARG_BLOCK;
		T v = EXT_RUN(x + b, m);
		uint64_t j = 0;

		if (b && !CMP(v, best))
			continue;
		FIRST(x + b, v, j);
		best = v;
		best_i = b + j;
	}
	*val = best;
	return best_i;
}

static void F(all)(const struct shmx__red_op *op, const void *x, uint64_t n,
		   uint64_t index0, void *slot)
{
	EXT_STATE(T) *st = slot;

	(void)op;
	st->idx = (int64_t)(index0 + F(run)(x, n, &st->val));
	st->n = n;
}

static void F(rows)(const struct shmx__red_op *op, const void *x,
		    uint64_t nrows, uint64_t cols, void *out)
{
	const T *p = x;
	T v;

	(void)op;
	for (uint64_t r = 0; r < nrows; r++, p += cols)
		((int64_t *)out)[r] = (int64_t)F(run)(p, cols, &v);
}

/* COLS slot arrays: 0 the index (i64), 1 the value (T). */
static void F(cols)(const struct shmx__red_op *op, const void *x,
		    uint64_t nrows, uint64_t cols, uint64_t row0, void *slot)
{
	int64_t *idx = shmx__slot_array(slot, cols, 0);
	T *val = shmx__slot_array(slot, cols, 1);
	const T *p = x;

	(void)op;
	memcpy(val, p, cols * sizeof(T));
	for (uint64_t c = 0; c < cols; c++)
		idx[c] = (int64_t)row0;
	for (uint64_t r = 1; r < nrows; r++) {
		p += cols;
		for (uint64_t c = 0; c < cols; c++) {
			T v = p[c], a = val[c];
			int b = CMP(v, a);

			val[c] = b ? v : a;
			idx[c] = b ? (int64_t)(row0 + r) : idx[c];
		}
	}
}

#define MIDX 1
#include "kernels/extrema_merge.h"
#undef MIDX

SHMX__RED_IMPL(SHMX__NAME3(arg, DIR, SFX), 16, F(merge_all),
	       F(merge_cols));

#undef F
#undef CMP
#undef FIRST
#undef EXT_RUN
