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

#define SKIP_plain 0
#define SKIP_nan 1

/* mom_merge_{all,cols}_<double|float>: the merges depend only on the
 * result type. */
#define SHMX__TEMPLATE "kernels/moments_merge.h"
#include "kernels/each_float.h"
#undef SHMX__TEMPLATE

/* mom_<term>_<sfx>: plain and nan for floats, plain for integers. */
#define SHMX__TEMPLATE "kernels/moments_tmpl.h"
#define TERM plain
#include "kernels/each_float.h"
#include "kernels/each_int.h"
#undef TERM
#define TERM nan
#include "kernels/each_float.h"
#undef TERM
#undef SHMX__TEMPLATE

static const struct shmx__red_op var_op = {
	.name = "var",
	.result = SHMX__RES_FLOAT,
	.fin = SHMX__FIN_VAR,
	.no_identity = 0,
	.impl = { SHMX__TABLE_INT(mom_plain) SHMX__TABLE_FLOAT(mom_plain) },
};
static const struct shmx__red_op std_op = {
	.name = "std",
	.result = SHMX__RES_FLOAT,
	.fin = SHMX__FIN_STD,
	.no_identity = 0,
	.impl = { SHMX__TABLE_INT(mom_plain) SHMX__TABLE_FLOAT(mom_plain) },
};
static const struct shmx__red_op nanvar_op = {
	.name = "nanvar",
	.result = SHMX__RES_FLOAT,
	.fin = SHMX__FIN_VAR,
	.no_identity = 0,
	.impl = { SHMX__TABLE_INT(mom_plain) SHMX__TABLE_FLOAT(mom_nan) },
};
static const struct shmx__red_op nanstd_op = {
	.name = "nanstd",
	.result = SHMX__RES_FLOAT,
	.fin = SHMX__FIN_STD,
	.no_identity = 0,
	.impl = { SHMX__TABLE_INT(mom_plain) SHMX__TABLE_FLOAT(mom_nan) },
};

SHMX__REDUCTION(var, var_op);
SHMX__REDUCTION(std, std_op);
SHMX__REDUCTION(nanvar, nanvar_op);
SHMX__REDUCTION(nanstd, nanstd_op);
