/* engine/kernels/sum.c - sum, nansum, sumsq, mean and nanmean.
 *
 * Integer sums (sum, nansum, sumsq of ints): numpy adds in int64 or uint64
 * and wraps.  We add in uint64_t, which wraps by definition (signed
 * overflow would be UB) and gives the same bits; a square is taken in the
 * widened type, so sumsq of i8 is (a.astype(i64) ** 2).sum().
 *
 * Everything else accumulates in f64, f32 and the means of integers
 * included: widening is exact, so an f32 sum is more accurate than numpy's
 * f32 pairwise sum and is rounded once, at the end.
 *   - contiguous runs (AXIS_ALL: the chunk; AXIS_ROWS: a row) sum pairwise
 *     down to blocks of 128 summed in 8 lanes (numpy's scheme);
 *   - AXIS_COLS adds a row at a time into per-column block sums
 *     (vectorised across columns), and folds each block of 128 rows into
 *     the column's compensated sum, where numpy adds naively;
 *   - chunk partials fold in chunk order with TwoSum.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3") /* -O2 (RelWithDebInfo) vectorises too little */
#endif

#include "kernels/accum.h"
#include "kernels/ops.h"
#include "kernels/reduce.h"

#define COLS_BLOCK_ROWS 128

/* ---- integers ---------------------------------------------------------- */

#define ISUM_TERM_plain(w) (w)
#define ISUM_TERM_sq(w) ((w) * (w))

static uint64_t isum_fold(const char *slots, size_t stride, uint64_t nchunks,
			  uint64_t col, uint64_t cols, int axis_cols)
{
	uint64_t s = 0;

	for (uint64_t k = 0; k < nchunks; k++) {
		const char *slot = slots + k * stride;

		s += axis_cols ? ((const uint64_t *)shmx__slot_array_c(
					 slot, cols, 0))[col]
			       : *(const uint64_t *)slot;
	}
	return s;
}

/* The merges store the uint64_t bits, which are numpy's int64 or uint64
 * result alike. */
static void isum_merge_all(const struct shmx__red_op *op, const char *slots,
			   size_t stride, uint64_t nchunks, void *out)
{
	(void)op;
	*(uint64_t *)out = isum_fold(slots, stride, nchunks, 0, 0, 0);
}

static void isum_merge_cols(const struct shmx__red_op *op, const char *slots,
			    size_t stride, uint64_t nchunks, uint64_t cols,
			    void *out)
{
	(void)op;
	for (uint64_t c = 0; c < cols; c++)
		((uint64_t *)out)[c] = isum_fold(slots, stride, nchunks, c,
						 cols, 1);
}

/* isum_plain_<sfx>, isum_sq_<sfx> for every integer dtype */
#define SHMX__TEMPLATE "kernels/sum_int.h"
#define TERM plain
#include "kernels/each_int.h"
#undef TERM
#define TERM sq
#include "kernels/each_int.h"
#undef TERM
#undef SHMX__TEMPLATE

/* ---- f64 accumulation -------------------------------------------------- */

/* One chunk's AXIS_ALL state: the sum and how many values it has. */
struct fsum_state {
	double s, k;
};

/* The f64 leaves of the pairwise sum; *k += the count of values. */
static double fleaf_plain(const double *x, size_t n, double *k)
{
	*k += (double)n;
	return shmx__blk_sum(x, n);
}

static double fleaf_sq(const double *x, size_t n, double *k)
{
	*k += (double)n;
	return shmx__blk_sumsq(x, n);
}

static double fleaf_nan(const double *x, size_t n, double *k)
{
	double c, s = shmx__blk_nansum(x, n, &c);

	*k += c;
	return s;
}

#define FTERM_plain(v) (v)
#define FTERM_sq(v) ((v) * (v))
#define FTERM_nan(v) ((v) == (v) ? (v) : 0.0)
#define FCOUNTS_plain 0
#define FCOUNTS_sq 0
#define FCOUNTS_nan 1

static double fsum_finish(const struct shmx__red_op *op, double s, double k)
{
	if (op->fin == SHMX__FIN_MEAN)
		return k > 0 ? s / k : NAN; /* numpy: mean of nothing is nan */
	return s;
}

/* Fold chunk (or column) partials in chunk order; *k gets the count. */
static double fsum_fold(const char *slots, size_t stride, uint64_t nchunks,
			double *k)
{
	struct shmx__csum a = { 0, 0 };

	*k = 0;
	for (uint64_t i = 0; i < nchunks; i++) {
		const struct fsum_state *st =
			(const void *)(slots + i * stride);

		shmx__csum_add(&a, st->s);
		*k += st->k;
	}
	return shmx__csum_value(&a);
}

/* COLS slot arrays: 0 sum, 1 its compensation, 2 the current block's sum,
 * 3 the count of numbers (nan variant only; others count rows). */
static double fsum_fold_col(const char *slots, size_t stride,
			    uint64_t nchunks, uint64_t c, uint64_t cols,
			    int counts, double *k)
{
	struct shmx__csum a = { 0, 0 };

	*k = 0;
	for (uint64_t i = 0; i < nchunks; i++) {
		const char *slot = slots + i * stride;
		const double *s = shmx__slot_array_c(slot, cols, 0);
		const double *e = shmx__slot_array_c(slot, cols, 1);
		const double *n = shmx__slot_array_c(slot, cols, 3);

		shmx__csum_add(&a, s[c]);
		a.c += e[c];
		*k += counts ? n[c] : (double)shmx__slot_nrows_c(slot);
	}
	return shmx__csum_value(&a);
}

/* One block of rows into the column sums (s, e) via the block sums b. */
static void fsum_cols_close(double *s, double *e, double *b, uint64_t cols)
{
	for (uint64_t c = 0; c < cols; c++) {
		double t;

		shmx__two_sum(s[c], b[c], &s[c], &t);
		e[c] += t;
		b[c] = 0;
	}
}

/* fsum_<term>_<sfx>: plain, sq and nan for floats, plain for integers
 * (means); f64 first: the others' rows() use its pairwise sums.  (The
 * order the definitions had as macros.) */
#define SHMX__TEMPLATE "kernels/sum_fterms.h"
#include "kernels/each_float.h"
#undef SHMX__TEMPLATE
#define SHMX__TEMPLATE "kernels/sum_float.h"
#define TERM plain
#include "kernels/each_int.h"
#undef TERM
#undef SHMX__TEMPLATE

/* ---- the ops ----------------------------------------------------------- */

static const struct shmx__red_op sum_op = {
	.name = "sum",
	.result = SHMX__RES_SUM,
	.fin = SHMX__FIN_SUM,
	.no_identity = 0,
	.impl = { SHMX__TABLE_INT(isum_plain) SHMX__TABLE_FLOAT(fsum_plain) },
};
static const struct shmx__red_op nansum_op = {
	.name = "nansum",
	.result = SHMX__RES_SUM,
	.fin = SHMX__FIN_SUM,
	.no_identity = 0,
	.impl = { SHMX__TABLE_INT(isum_plain) SHMX__TABLE_FLOAT(fsum_nan) },
};
static const struct shmx__red_op sumsq_op = {
	.name = "sumsq",
	.result = SHMX__RES_SUM,
	.fin = SHMX__FIN_SUM,
	.no_identity = 0,
	.impl = { SHMX__TABLE_INT(isum_sq) SHMX__TABLE_FLOAT(fsum_sq) },
};
static const struct shmx__red_op mean_op = {
	.name = "mean",
	.result = SHMX__RES_FLOAT,
	.fin = SHMX__FIN_MEAN,
	.no_identity = 0,
	.impl = { SHMX__TABLE_INT(fsum_plain) SHMX__TABLE_FLOAT(fsum_plain) },
};
static const struct shmx__red_op nanmean_op = {
	.name = "nanmean",
	.result = SHMX__RES_FLOAT,
	.fin = SHMX__FIN_MEAN,
	.no_identity = 0,
	.impl = { SHMX__TABLE_INT(fsum_plain) SHMX__TABLE_FLOAT(fsum_nan) },
};

SHMX__REDUCTION(sum, sum_op);
SHMX__REDUCTION(nansum, nansum_op);
SHMX__REDUCTION(sumsq, sumsq_op);
SHMX__REDUCTION(mean, mean_op);
SHMX__REDUCTION(nanmean, nanmean_op);
