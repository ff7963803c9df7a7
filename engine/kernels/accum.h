/* engine/kernels/accum.h - arithmetic building blocks of the reductions
 * (private to engine/kernels/): lanes, block sums, error-free sums and the
 * mergeable mean/variance state.  Header-only: everything is static
 * inline.
 *
 * Why lanes.  Without -ffast-math gcc must keep the order of a
 * floating-point sum, so `s += x[i]` is one serial chain and never
 * vectorises.  LANES independent accumulators (lane j adds x[i + j]) fix an
 * association that maps onto vector registers as written.  It is also
 * numpy's pairwise base case (8 lanes over blocks of 128), so we are never
 * less accurate than numpy for contiguous data.
 *
 * Why vector types for the lanes.  gcc 12 vectorises `double r[8]` lanes
 * only for a single accumulator of one type: two accumulators (sum and
 * count, or d and d*d) or an f32 -> f64 conversion in the loop make its
 * SLP-reduction analysis give up, and the loop stays scalar.  Lanes held in
 * GCC vector types (shmx__v2d, two f64 per SSE2 register, four of them for
 * eight lanes) are plain element-wise arithmetic: the same association,
 * always vectorised, at -O2 as at -O3, no intrinsics, no -ffast-math.
 * Other dtypes are widened to f64 a block at a time (an element-wise loop
 * that vectorises) into a buffer that stays in L1.
 *
 * Element-wise loops across columns (AXIS_COLS) need none of this: they
 * are not reductions, and gcc vectorises them as written.
 */
#ifndef SHMX_KERNELS_ACCUM_H
#define SHMX_KERNELS_ACCUM_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels/ops.h"

#define SHMX__LANES 8
#define SHMX__PW_BLOCK 128   /* pairwise base block, as numpy's */
#define SHMX__VAR_BLOCK 1024 /* two-pass block: 8 KiB of f64, stays in L1 */

/* Eight f64 lanes: four vectors of two.  Lane j of vector k adds the
 * elements i + 2k + j of each step of 8. */
typedef double shmx__v2d __attribute__((vector_size(16)));
typedef int64_t shmx__v2l __attribute__((vector_size(16)));
#define SHMX__NVEC (SHMX__LANES / 2)

static inline shmx__v2d shmx__v2d_load(const double *p)
{
	shmx__v2d v;

	memcpy(&v, p, sizeof v); /* an unaligned load, without aliasing games */
	return v;
}

static inline shmx__v2d shmx__v2d_splat(double a)
{
	return (shmx__v2d){ a, a };
}

/* a where v is a number, 0 where v is NaN (an AND with v == v). */
static inline shmx__v2d shmx__v2d_ifnum(shmx__v2d v, shmx__v2d a)
{
	return (shmx__v2d)((v == v) & (shmx__v2l)a);
}

/* Fold the eight lanes as a balanced tree. */
static inline double shmx__lanes_fold(const shmx__v2d r[SHMX__NVEC])
{
	shmx__v2d a = (r[0] + r[1]) + (r[2] + r[3]);

	return a[0] + a[1];
}

/* The block loops take n contiguous f64 named x; callers keep n small
 * (PW_BLOCK, VAR_BLOCK, a row) so that a second pass finds it in L1.  The
 * body sees v, the next two elements, and k_, its vector of lanes. */
#define SHMX__LANE_LOOP(i, n, ...)                                        \
	for (i = 0; i + SHMX__LANES <= (n); i += SHMX__LANES)             \
		for (int k_ = 0; k_ < SHMX__NVEC; k_++) {                 \
			shmx__v2d v = shmx__v2d_load(x + i + 2 * k_);     \
			__VA_ARGS__;                                      \
		}

static inline double shmx__blk_sum(const double *x, size_t n)
{
	shmx__v2d r[SHMX__NVEC] = { 0 };
	double s;
	size_t i;

	SHMX__LANE_LOOP(i, n, r[k_] += v);
	s = shmx__lanes_fold(r);
	for (; i < n; i++)
		s += x[i];
	return s;
}

static inline double shmx__blk_sumsq(const double *x, size_t n)
{
	shmx__v2d r[SHMX__NVEC] = { 0 };
	double s;
	size_t i;

	SHMX__LANE_LOOP(i, n, r[k_] += v * v);
	s = shmx__lanes_fold(r);
	for (; i < n; i++)
		s += x[i] * x[i];
	return s;
}

/* The sum of the numbers (NaN skipped); *k = how many there are. */
static inline double shmx__blk_nansum(const double *x, size_t n, double *k)
{
	shmx__v2d r[SHMX__NVEC] = { 0 }, q[SHMX__NVEC] = { 0 };
	shmx__v2d one = shmx__v2d_splat(1.0);
	double s, c;
	size_t i;

	SHMX__LANE_LOOP(i, n, r[k_] += shmx__v2d_ifnum(v, v);
			q[k_] += shmx__v2d_ifnum(v, one));
	s = shmx__lanes_fold(r);
	c = shmx__lanes_fold(q);
	for (; i < n; i++) {
		if (x[i] == x[i]) {
			s += x[i];
			c += 1;
		}
	}
	*k = c;
	return s;
}

/* *sd = sum of (x - m), *sq = sum of (x - m)^2; with skip_nan a NaN x
 * adds nothing. */
static inline void shmx__blk_dev(const double *x, size_t n, double m,
				 int skip_nan, double *sd, double *sq)
{
	shmx__v2d r[SHMX__NVEC] = { 0 }, q[SHMX__NVEC] = { 0 };
	shmx__v2d vm = shmx__v2d_splat(m);
	double a, b;
	size_t i;

	if (skip_nan) {
		SHMX__LANE_LOOP(i, n, shmx__v2d d = shmx__v2d_ifnum(v, v - vm);
				r[k_] += d; q[k_] += d * d);
	} else {
		SHMX__LANE_LOOP(i, n, shmx__v2d d = v - vm; r[k_] += d;
				q[k_] += d * d);
	}
	a = shmx__lanes_fold(r);
	b = shmx__lanes_fold(q);
	for (; i < n; i++) {
		double d = x[i] - m;

		if (skip_nan && x[i] != x[i])
			continue;
		a += d;
		b += d * d;
	}
	*sd = a;
	*sq = b;
}

/* Widen n elements of any dtype to f64 in buf (n <= the buffer's size);
 * f64 is returned as is.  An element-wise loop: it vectorises. */
#define SHMX__DEFINE_WIDEN(E, sfx, T)                                      \
	static inline const double *shmx__widen_##sfx(const T *x, size_t n,\
						      double *buf)         \
	{                                                                  \
		for (size_t i = 0; i < n; i++)                             \
			buf[i] = (double)x[i];                             \
		return buf;                                                \
	}
SHMX__INT(SHMX__DEFINE_WIDEN)
SHMX__DEFINE_WIDEN(SHMX_F32, f32, float)
#undef SHMX__DEFINE_WIDEN

static inline const double *shmx__widen_f64(const double *x, size_t n,
					    double *buf)
{
	(void)n;
	(void)buf;
	return x;
}

/* Knuth's TwoSum: s + e == a + b exactly, s = fl(a + b).  Branch-free,
 * so it vectorises across columns. */
static inline void shmx__two_sum(double a, double b, double *s, double *e)
{
	double t = a + b, z = t - a;

	*s = t;
	*e = (a - (t - z)) + (b - z);
}

/* A compensated running sum (s + c).  Once s is inf or NaN the error
 * terms are NaN (inf - inf), so the value is s alone: a sum that reached
 * inf stays inf, as numpy's does. */
struct shmx__csum {
	double s, c;
};

static inline void shmx__csum_add(struct shmx__csum *a, double x)
{
	double e;

	shmx__two_sum(a->s, x, &a->s, &e);
	a->c += e;
}

static inline double shmx__csum_value(const struct shmx__csum *a)
{
	return isfinite(a->s) ? a->s + a->c : a->s;
}

/* The mergeable state of mean and variance: n values with mean mh + ml
 * (a double-double: a mean like 1e9 keeps its low bits, so that merging
 * blocks does not round the small deltas between their means) and m2,
 * the sum of squared deviations from it.  All zero is the empty state. */
struct shmx__mom {
	double n, mh, ml, m2;
};

/* Chan, Golub and LeVeque's pairwise update: a := a (+) b. */
static inline void shmx__mom_merge(struct shmx__mom *a,
				   const struct shmx__mom *b)
{
	double n, delta, fb, hi, lo;

	if (b->n == 0)
		return;
	if (a->n == 0) {
		*a = *b;
		return;
	}
	n = a->n + b->n;
	delta = (b->mh - a->mh) + (b->ml - a->ml);
	fb = b->n / n;
	a->m2 = (a->m2 + b->m2) + delta * delta * a->n * fb;
	shmx__two_sum(a->mh, delta * fb, &hi, &lo);
	lo += a->ml;
	a->mh = hi + lo; /* renormalise: |lo| is tiny next to hi */
	a->ml = lo - (a->mh - hi);
	a->n = n;
}

/* The state of one block, two-pass: the mean m, then the deviations
 * d = x - m.  Summing d as well gives the mean's low part (sd / n) and the
 * correction sq - sd^2 / n, which removes what m's rounding added to sq. */
static inline struct shmx__mom shmx__blk_mom(const double *x, size_t n,
					     int skip_nan)
{
	struct shmx__mom a = { 0, 0, 0, 0 };
	double k = (double)n, s, sd, sq, m2;

	s = skip_nan ? shmx__blk_nansum(x, n, &k) : shmx__blk_sum(x, n);
	if (k == 0)
		return a;
	a.n = k;
	a.mh = s / k;
	shmx__blk_dev(x, n, a.mh, skip_nan, &sd, &sq);
	a.ml = sd / k;
	m2 = sq - sd * sd / k;
	a.m2 = m2 < 0 ? 0 : m2; /* rounding; NaN stays NaN */
	return a;
}

/* var (ddof=0) of one block, the same two passes without a state to
 * merge: what a short row needs.  One division: the mean is only the
 * shift of the second pass, so its last bit does not matter. */
static inline double shmx__blk_var(const double *x, size_t n, int skip_nan)
{
	double k = (double)n, s, inv, sd, sq, m2;

	s = skip_nan ? shmx__blk_nansum(x, n, &k) : shmx__blk_sum(x, n);
	if (k == 0)
		return NAN;
	inv = 1 / k;
	shmx__blk_dev(x, n, s * inv, skip_nan, &sd, &sq);
	m2 = sq - sd * sd * inv;
	return (m2 < 0 ? 0 : m2) * inv; /* rounding; NaN stays NaN */
}

/* var (ddof=0) of a state; NaN when empty, as numpy's. */
static inline double shmx__mom_var(const struct shmx__mom *a)
{
	return a->n > 0 ? a->m2 / a->n : NAN;
}

#endif
