/* engine/kernels/moments.c - var, std, nanvar and nanstd (ddof=0).
 *
 * Never a naive sum of squares, which loses everything to cancellation
 * when the mean is large next to the spread (1e9 + noise).  Values are
 * widened to f64 a block at a time; each block (1024 contiguous values, a
 * short row, or a tile of up to 256 columns x 2048 / width rows for
 * AXIS_COLS) is done two-pass while it sits in L1: the mean, then the
 * deviations from it.
 * Blocks, then chunks in chunk order, are merged with Chan's formula, the
 * mean carried as a double-double (struct shmx__mom in accum.h).
 *
 * Results are f64, or f32 for f32 input (rounded once at the end), as
 * numpy's dtypes.  Empty (or, for nan*, all-NaN) slices give NaN.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3") /* -O2 (RelWithDebInfo) vectorises too little */
#endif

#include "kernels/accum.h"
#include "kernels/ops.h"
#include "kernels/reduce.h"

#define TILE 256        /* AXIS_COLS: columns per tile */
#define TILE_VALUES 2048 /* AXIS_COLS: values per block of a tile (16 KiB) */

/* Ask for the next block while this one is done two-pass from L1: the
 * hardware prefetcher sees no misses during the second pass and stops
 * running ahead.  A prefetch never faults, but stay inside the array. */
static void prefetch_next(const void *p, size_t left)
{
	size_t n = left < SHMX__VAR_BLOCK * 8 ? left : SHMX__VAR_BLOCK * 8;

	for (size_t b = 0; b < n; b += 64)
		__builtin_prefetch((const char *)p + b);
}

static double var_finish(const struct shmx__red_op *op, double var)
{
	return op->fin == SHMX__FIN_STD ? sqrt(var) : var;
}

static double mom_finish(const struct shmx__red_op *op,
			 const struct shmx__mom *a)
{
	return var_finish(op, shmx__mom_var(a));
}

/* COLS slot arrays: 0 n, 1 mean (high), 2 mean (low), 3 m2. */
static void col_load(const void *slot, uint64_t cols, uint64_t c,
		     struct shmx__mom *a)
{
	a->n = ((const double *)shmx__slot_array_c(slot, cols, 0))[c];
	a->mh = ((const double *)shmx__slot_array_c(slot, cols, 1))[c];
	a->ml = ((const double *)shmx__slot_array_c(slot, cols, 2))[c];
	a->m2 = ((const double *)shmx__slot_array_c(slot, cols, 3))[c];
}

static void col_merge(void *slot, uint64_t cols, uint64_t c,
		      const struct shmx__mom *b)
{
	struct shmx__mom a;

	col_load(slot, cols, c, &a);
	shmx__mom_merge(&a, b);
	((double *)shmx__slot_array(slot, cols, 0))[c] = a.n;
	((double *)shmx__slot_array(slot, cols, 1))[c] = a.mh;
	((double *)shmx__slot_array(slot, cols, 2))[c] = a.ml;
	((double *)shmx__slot_array(slot, cols, 3))[c] = a.m2;
}

/* Merge a tile's w column states into the slot: column c has n[c] values
 * with mean m[c]; sd[c] and sq[c] sum their deviations from m[c] and the
 * squares of those (the correction as in shmx__blk_mom). */
static void tile_close(void *slot, uint64_t cols, uint64_t c0, uint64_t w,
		       const double *n, const double *m, const double *sd,
		       const double *sq)
{
	for (uint64_t c = 0; c < w; c++) {
		struct shmx__mom b = { n[c], m[c], 0, 0 };
		double m2;

		if (n[c] == 0)
			continue;
		b.ml = sd[c] / n[c];
		m2 = sq[c] - sd[c] * sd[c] / n[c];
		b.m2 = m2 < 0 ? 0 : m2;
		col_merge(slot, cols, c0 + c, &b);
	}
}

/* The merges depend only on the result type. */
#define DEFINE_MOM_MERGE(osfx, OUT)                                         \
	static void mom_merge_all_##osfx(const struct shmx__red_op *op,     \
					 const char *slots, size_t stride,  \
					 uint64_t nchunks, void *out)       \
	{                                                                   \
		struct shmx__mom a = { 0, 0, 0, 0 };                        \
                                                                            \
		for (uint64_t i = 0; i < nchunks; i++)                      \
			shmx__mom_merge(&a, (const void *)(slots +          \
							   i * stride));    \
		*(OUT *)out = (OUT)mom_finish(op, &a);                      \
	}                                                                   \
	static void mom_merge_cols_##osfx(const struct shmx__red_op *op,    \
					  const char *slots, size_t stride, \
					  uint64_t nchunks, uint64_t cols,  \
					  void *out)                        \
	{                                                                   \
		for (uint64_t c = 0; c < cols; c++) {                       \
			struct shmx__mom a = { 0, 0, 0, 0 }, b;             \
                                                                            \
			for (uint64_t i = 0; i < nchunks; i++) {            \
				col_load(slots + i * stride, cols, c, &b);  \
				shmx__mom_merge(&a, &b);                    \
			}                                                   \
			((OUT *)out)[c] = (OUT)mom_finish(op, &a);          \
		}                                                           \
	}
DEFINE_MOM_MERGE(f32, float)
DEFINE_MOM_MERGE(f64, double)

/* var: plain or nan (SKIP 0 or 1); OUT: the result type, osfx its name. */
#define DEFINE_MOM(var, SKIP, sfx, T, osfx, OUT)                            \
	static struct shmx__mom mom_##var##_##sfx##_run(const T *x,         \
							uint64_t n)         \
	{                                                                   \
		struct shmx__mom a = { 0, 0, 0, 0 }, b;                     \
		double buf[SHMX__VAR_BLOCK];                                \
                                                                            \
		for (uint64_t i = 0; i < n; i += SHMX__VAR_BLOCK) {         \
			size_t m = n - i < SHMX__VAR_BLOCK ? n - i          \
							   : SHMX__VAR_BLOCK;\
			prefetch_next(x + i + m, (n - i - m) * sizeof(T));  \
			b = shmx__blk_mom(shmx__widen_##sfx(x + i, m, buf), \
					  m, SKIP);                         \
			shmx__mom_merge(&a, &b);                            \
		}                                                           \
		return a;                                                   \
	}                                                                   \
	static void mom_##var##_##sfx##_all(const struct shmx__red_op *op,  \
					    const void *x, uint64_t n,      \
					    uint64_t index0, void *slot)    \
	{                                                                   \
		(void)op;                                                   \
		(void)index0;                                               \
		*(struct shmx__mom *)slot = mom_##var##_##sfx##_run(x, n);  \
	}                                                                   \
	/* Short rows are widened a batch at a time (one long vectorised    \
	 * loop, not one per row), then done as f64 blocks. */              \
	static void mom_##var##_##sfx##_rows(const struct shmx__red_op *op, \
					     const void *x, uint64_t nrows, \
					     uint64_t cols, void *out)      \
	{                                                                   \
		const T *p = x;                                             \
		double buf[SHMX__VAR_BLOCK];                                \
		uint64_t batch = SHMX__VAR_BLOCK / (cols ? cols : 1);       \
		struct shmx__mom a;                                         \
                                                                            \
		for (uint64_t r0 = 0; r0 < nrows && batch; r0 += batch) {   \
			uint64_t h = nrows - r0 < batch ? nrows - r0 : batch;\
			const double *d = shmx__widen_##sfx(p + r0 * cols,  \
							    h * cols, buf); \
                                                                            \
			for (uint64_t r = 0; r < h; r++)                    \
				((OUT *)out)[r0 + r] = (OUT)var_finish(     \
					op, shmx__blk_var(d + r * cols,     \
							  cols, SKIP));     \
		}                                                           \
		for (uint64_t r = 0; r < nrows && !batch; r++) {            \
			a = mom_##var##_##sfx##_run(p + r * cols, cols);    \
			((OUT *)out)[r] = (OUT)mom_finish(op, &a);          \
		}                                                           \
	}                                                                   \
	/* h rows x w columns at p (row stride `cols`), two-pass, into the  \
	 * column states c0 .. c0 + w of slot. */                           \
	static void mom_##var##_##sfx##_tile(const T *p, uint64_t h,        \
					     uint64_t w, uint64_t cols,     \
					     uint64_t c0, void *slot)       \
	{                                                                   \
		double m[TILE], n[TILE], sd[TILE], sq[TILE];                \
                                                                            \
		for (uint64_t c = 0; c < w; c++)                            \
			m[c] = n[c] = sd[c] = sq[c] = 0;                    \
		for (uint64_t r = 0; r < h; r++)                            \
			for (uint64_t c = 0; c < w; c++) {                  \
				double v = (double)p[r * cols + c];         \
				m[c] += SKIP && v != v ? 0.0 : v;           \
				if (SKIP)                                   \
					n[c] += v == v ? 1.0 : 0.0;         \
			}                                                   \
		for (uint64_t c = 0; c < w; c++) {                          \
			if (!SKIP)                                          \
				n[c] = (double)h;                           \
			m[c] = n[c] > 0 ? m[c] / n[c] : 0;                  \
		}                                                           \
		for (uint64_t r = 0; r < h; r++)                            \
			for (uint64_t c = 0; c < w; c++) {                  \
				double v = (double)p[r * cols + c];         \
				double d = SKIP && v != v ? 0.0 : v - m[c]; \
				sd[c] += d;                                 \
				sq[c] += d * d;                             \
			}                                                   \
		tile_close(slot, cols, c0, w, n, m, sd, sq);                \
	}                                                                   \
	static void mom_##var##_##sfx##_cols(const struct shmx__red_op *op, \
					     const void *x, uint64_t nrows, \
					     uint64_t cols, uint64_t row0,  \
					     void *slot)                    \
	{                                                                   \
		const T *p = x;                                             \
                                                                            \
		(void)op;                                                   \
		(void)row0;                                                 \
		for (uint64_t c0 = 0; c0 < cols; c0 += TILE) {              \
			uint64_t w = cols - c0 < TILE ? cols - c0 : TILE;   \
			uint64_t rb = TILE_VALUES / w;                      \
                                                                            \
			for (uint64_t r0 = 0; r0 < nrows; r0 += rb)         \
				mom_##var##_##sfx##_tile(                   \
					p + r0 * cols + c0,                 \
					nrows - r0 < rb ? nrows - r0 : rb,  \
					w, cols, c0, slot);                 \
		}                                                           \
	}                                                                   \
	static const struct shmx__red_impl mom_##var##_##sfx = {            \
		4 * 8,                                                      \
		mom_##var##_##sfx##_all,                                    \
		mom_##var##_##sfx##_rows,                                   \
		mom_##var##_##sfx##_cols,                                   \
		mom_merge_all_##osfx,                                       \
		mom_merge_cols_##osfx,                                      \
	};

DEFINE_MOM(plain, 0, f64, double, f64, double)
DEFINE_MOM(nan, 1, f64, double, f64, double)
DEFINE_MOM(plain, 0, f32, float, f32, float)
DEFINE_MOM(nan, 1, f32, float, f32, float)
#define DEFINE_MOM_INT(E, sfx, T) DEFINE_MOM(plain, 0, sfx, T, f64, double)
SHMX__INT(DEFINE_MOM_INT)

static const struct shmx__red_op var_op = {
	"var", SHMX__RES_FLOAT, SHMX__FIN_VAR, 0,
	{ SHMX__TABLE_INT(mom_plain) SHMX__TABLE_FLOAT(mom_plain) },
};
static const struct shmx__red_op std_op = {
	"std", SHMX__RES_FLOAT, SHMX__FIN_STD, 0,
	{ SHMX__TABLE_INT(mom_plain) SHMX__TABLE_FLOAT(mom_plain) },
};
static const struct shmx__red_op nanvar_op = {
	"nanvar", SHMX__RES_FLOAT, SHMX__FIN_VAR, 0,
	{ SHMX__TABLE_INT(mom_plain) SHMX__TABLE_FLOAT(mom_nan) },
};
static const struct shmx__red_op nanstd_op = {
	"nanstd", SHMX__RES_FLOAT, SHMX__FIN_STD, 0,
	{ SHMX__TABLE_INT(mom_plain) SHMX__TABLE_FLOAT(mom_nan) },
};

SHMX__REDUCTION(var, var_op);
SHMX__REDUCTION(std, std_op);
SHMX__REDUCTION(nanvar, nanvar_op);
SHMX__REDUCTION(nanstd, nanstd_op);
