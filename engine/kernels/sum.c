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

/* The merges depend only on the result type: W is int64_t or uint64_t. */
#define DEFINE_ISUM_MERGE(wsfx, W)                                          \
	static void isum_merge_all_##wsfx(const struct shmx__red_op *op,    \
					  const char *slots, size_t stride, \
					  uint64_t nchunks, void *out)      \
	{                                                                   \
		(void)op;                                                   \
		*(W *)out = (W)isum_fold(slots, stride, nchunks, 0, 0, 0);  \
	}                                                                   \
	static void isum_merge_cols_##wsfx(const struct shmx__red_op *op,   \
					   const char *slots, size_t stride,\
					   uint64_t nchunks, uint64_t cols, \
					   void *out)                       \
	{                                                                   \
		(void)op;                                                   \
		for (uint64_t c = 0; c < cols; c++)                         \
			((W *)out)[c] = (W)isum_fold(slots, stride, nchunks,\
						     c, cols, 1);           \
	}
DEFINE_ISUM_MERGE(s, int64_t)
DEFINE_ISUM_MERGE(u, uint64_t)

/* var: plain or sq; W: the widened type (int64_t / uint64_t), wsfx its
 * merge. */
#define DEFINE_ISUM(var, wsfx, W, sfx, T)                                   \
	static uint64_t isum_##var##_##sfx##_run(const T *x, uint64_t n)    \
	{                                                                   \
		uint64_t s = 0;                                             \
                                                                            \
		for (uint64_t i = 0; i < n; i++) {                          \
			uint64_t w = (uint64_t)(W)x[i];                     \
			s += ISUM_TERM_##var(w);                            \
		}                                                           \
		return s;                                                   \
	}                                                                   \
	static void isum_##var##_##sfx##_all(const struct shmx__red_op *op, \
					     const void *x, uint64_t n,     \
					     uint64_t index0, void *slot)   \
	{                                                                   \
		(void)op;                                                   \
		(void)index0;                                               \
		*(uint64_t *)slot = isum_##var##_##sfx##_run(x, n);         \
	}                                                                   \
	static void isum_##var##_##sfx##_rows(const struct shmx__red_op *op,\
					      const void *x, uint64_t nrows,\
					      uint64_t cols, void *out)     \
	{                                                                   \
		const T *p = x;                                             \
		W *o = out;                                                 \
                                                                            \
		(void)op;                                                   \
		for (uint64_t r = 0; r < nrows; r++)                        \
			o[r] = (W)isum_##var##_##sfx##_run(p + r * cols,    \
							   cols);           \
	}                                                                   \
	static void isum_##var##_##sfx##_cols(const struct shmx__red_op *op,\
					      const void *x, uint64_t nrows,\
					      uint64_t cols, uint64_t row0, \
					      void *slot)                   \
	{                                                                   \
		uint64_t *acc = shmx__slot_array(slot, cols, 0);            \
		const T *p = x;                                             \
                                                                            \
		(void)op;                                                   \
		(void)row0;                                                 \
		for (uint64_t r = 0; r < nrows; r++, p += cols)             \
			for (uint64_t c = 0; c < cols; c++) {               \
				uint64_t w = (uint64_t)(W)p[c];             \
				acc[c] += ISUM_TERM_##var(w);               \
			}                                                   \
	}                                                                   \
	static const struct shmx__red_impl isum_##var##_##sfx = {           \
		8,                                                          \
		isum_##var##_##sfx##_all,                                   \
		isum_##var##_##sfx##_rows,                                  \
		isum_##var##_##sfx##_cols,                                  \
		isum_merge_all_##wsfx,                                      \
		isum_merge_cols_##wsfx,                                     \
	};

#define DEFINE_ISUM_S(E, sfx, T)                                            \
	DEFINE_ISUM(plain, s, int64_t, sfx, T) DEFINE_ISUM(sq, s, int64_t, sfx, T)
#define DEFINE_ISUM_U(E, sfx, T)                                            \
	DEFINE_ISUM(plain, u, uint64_t, sfx, T)                             \
	DEFINE_ISUM(sq, u, uint64_t, sfx, T)
SHMX__SINT(DEFINE_ISUM_S)
SHMX__UINT(DEFINE_ISUM_U)

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

/* var: plain, sq or nan; OUT: the result type (float for f32, else
 * double). */
#define DEFINE_FSUM(var, sfx, T, OUT)                                       \
	static double fsum_##var##_##sfx##_pw(const T *x, size_t n,         \
					      double *k)                    \
	{                                                                   \
		double a;                                                   \
		size_t h;                                                   \
                                                                            \
		if (n <= SHMX__PW_BLOCK) {                                  \
			double buf[SHMX__PW_BLOCK];                         \
			return fleaf_##var(shmx__widen_##sfx(x, n, buf), n, \
					   k);                              \
		}                                                           \
		h = n / 2;                                                  \
		h -= h % SHMX__LANES;                                       \
		a = fsum_##var##_##sfx##_pw(x, h, k);                       \
		return a + fsum_##var##_##sfx##_pw(x + h, n - h, k);        \
	}                                                                   \
	static void fsum_##var##_##sfx##_all(const struct shmx__red_op *op, \
					     const void *x, uint64_t n,     \
					     uint64_t index0, void *slot)   \
	{                                                                   \
		struct fsum_state *st = slot;                               \
                                                                            \
		(void)op;                                                   \
		(void)index0;                                               \
		st->k = 0;                                                  \
		st->s = fsum_##var##_##sfx##_pw(x, n, &st->k);              \
	}                                                                   \
	/* Short rows are widened a batch at a time (one long vectorised    \
	 * loop, not one per row), then summed as f64 rows. */              \
	static void fsum_##var##_##sfx##_rows(const struct shmx__red_op *op,\
					      const void *x, uint64_t nrows,\
					      uint64_t cols, void *out)     \
	{                                                                   \
		const T *p = x;                                             \
		OUT *o = out;                                               \
		double buf[SHMX__VAR_BLOCK], k, s;                          \
		uint64_t batch = SHMX__VAR_BLOCK / (cols ? cols : 1);       \
                                                                            \
		for (uint64_t r0 = 0; r0 < nrows && batch; r0 += batch) {   \
			uint64_t h = nrows - r0 < batch ? nrows - r0 : batch;\
			const double *d = shmx__widen_##sfx(p + r0 * cols,  \
							    h * cols, buf); \
                                                                            \
			for (uint64_t r = 0; r < h; r++) {                  \
				k = 0;                                      \
				s = fsum_##var##_f64_pw(d + r * cols, cols, \
							&k);                \
				o[r0 + r] = (OUT)fsum_finish(op, s, k);     \
			}                                                   \
		}                                                           \
		for (uint64_t r = 0; r < nrows && !batch; r++) {            \
			k = 0;                                              \
			s = fsum_##var##_##sfx##_pw(p + r * cols, cols, &k);\
			o[r] = (OUT)fsum_finish(op, s, k);                  \
		}                                                           \
	}                                                                   \
	static void fsum_##var##_##sfx##_cols(const struct shmx__red_op *op,\
					      const void *x, uint64_t nrows,\
					      uint64_t cols, uint64_t row0, \
					      void *slot)                   \
	{                                                                   \
		double *s = shmx__slot_array(slot, cols, 0);                \
		double *e = shmx__slot_array(slot, cols, 1);                \
		double *b = shmx__slot_array(slot, cols, 2);                \
		double *k = shmx__slot_array(slot, cols, 3);                \
		const T *p = x;                                             \
                                                                            \
		(void)op;                                                   \
		(void)row0;                                                 \
		for (uint64_t r = 0; r < nrows; r++, p += cols) {           \
			for (uint64_t c = 0; c < cols; c++) {               \
				double v = (double)p[c];                    \
				b[c] += FTERM_##var(v);                     \
				if (FCOUNTS_##var)                          \
					k[c] += v == v ? 1.0 : 0.0;         \
			}                                                   \
			if ((r + 1) % COLS_BLOCK_ROWS == 0 || r + 1 == nrows)\
				fsum_cols_close(s, e, b, cols);             \
		}                                                           \
	}                                                                   \
	static void fsum_##var##_##sfx##_merge_all(                         \
		const struct shmx__red_op *op, const char *slots,           \
		size_t stride, uint64_t nchunks, void *out)                 \
	{                                                                   \
		double k, s = fsum_fold(slots, stride, nchunks, &k);        \
                                                                            \
		*(OUT *)out = (OUT)fsum_finish(op, s, k);                   \
	}                                                                   \
	static void fsum_##var##_##sfx##_merge_cols(                        \
		const struct shmx__red_op *op, const char *slots,           \
		size_t stride, uint64_t nchunks, uint64_t cols, void *out)  \
	{                                                                   \
		for (uint64_t c = 0; c < cols; c++) {                       \
			double k, s = fsum_fold_col(slots, stride, nchunks, \
						    c, cols, FCOUNTS_##var, \
						    &k);                    \
			((OUT *)out)[c] = (OUT)fsum_finish(op, s, k);       \
		}                                                           \
	}                                                                   \
	static const struct shmx__red_impl fsum_##var##_##sfx = {           \
		4 * 8,                                                      \
		fsum_##var##_##sfx##_all,                                   \
		fsum_##var##_##sfx##_rows,                                  \
		fsum_##var##_##sfx##_cols,                                  \
		fsum_##var##_##sfx##_merge_all,                             \
		fsum_##var##_##sfx##_merge_cols,                            \
	};

/* f64 first: the others' rows() use its pairwise sums. */
DEFINE_FSUM(plain, f64, double, double)
DEFINE_FSUM(sq, f64, double, double)
DEFINE_FSUM(nan, f64, double, double)
DEFINE_FSUM(plain, f32, float, float)
DEFINE_FSUM(sq, f32, float, float)
DEFINE_FSUM(nan, f32, float, float)
#define DEFINE_FSUM_INT(E, sfx, T) DEFINE_FSUM(plain, sfx, T, double)
SHMX__INT(DEFINE_FSUM_INT)

/* ---- the ops ----------------------------------------------------------- */

static const struct shmx__red_op sum_op = {
	"sum", SHMX__RES_SUM, SHMX__FIN_SUM, 0,
	{ SHMX__TABLE_INT(isum_plain) SHMX__TABLE_FLOAT(fsum_plain) },
};
static const struct shmx__red_op nansum_op = {
	"nansum", SHMX__RES_SUM, SHMX__FIN_SUM, 0,
	{ SHMX__TABLE_INT(isum_plain) SHMX__TABLE_FLOAT(fsum_nan) },
};
static const struct shmx__red_op sumsq_op = {
	"sumsq", SHMX__RES_SUM, SHMX__FIN_SUM, 0,
	{ SHMX__TABLE_INT(isum_sq) SHMX__TABLE_FLOAT(fsum_sq) },
};
static const struct shmx__red_op mean_op = {
	"mean", SHMX__RES_FLOAT, SHMX__FIN_MEAN, 0,
	{ SHMX__TABLE_INT(fsum_plain) SHMX__TABLE_FLOAT(fsum_plain) },
};
static const struct shmx__red_op nanmean_op = {
	"nanmean", SHMX__RES_FLOAT, SHMX__FIN_MEAN, 0,
	{ SHMX__TABLE_INT(fsum_plain) SHMX__TABLE_FLOAT(fsum_nan) },
};

SHMX__REDUCTION(sum, sum_op);
SHMX__REDUCTION(nansum, nansum_op);
SHMX__REDUCTION(sumsq, sumsq_op);
SHMX__REDUCTION(mean, mean_op);
SHMX__REDUCTION(nanmean, nanmean_op);
