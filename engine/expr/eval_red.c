/* engine/expr/eval_red.c - the evaluator's reductions (eval_ops.h): one
 * state per value or column (struct shmx__ev_acc), filled a block at a
 * time, merged in chunk order, finished into numpy's result dtype.
 *
 * Accuracy: float sums add each block pairwise in 8 lanes (numpy's
 * scheme) and the blocks with TwoSum; means divide that sum; var and std
 * (ddof=0) merge two-pass block moments (kernels/accum.h, as the
 * built-in var does).  min/max propagate NaN, the nan forms skip it;
 * argmin/argmax give the first extreme, or the first NaN, as numpy does.
 * Integer sums and products wrap in 64 bits.  Everything is in a fixed
 * order given by the chunk and block geometry, never by the workers. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

#include <math.h>
#include <string.h>

#include "expr/eval_ops.h"

enum shmx_dtype shmx__ev_red_kind(int func, enum shmx_dtype t,
				  enum shmx__ev_kind *kind)
{
	int flt = shmx_dtype_is_float(t);
	int uns = !flt && t != SHMX_BOOL && !shmx_dtype_is_signed(t);

	switch (func) {
	case SHMX__F_COUNT_NONZERO: case SHMX__F_ANY: case SHMX__F_ALL:
		*kind = SHMX__EV_KB;
		return SHMX_BOOL;
	case SHMX__F_MEAN: case SHMX__F_VAR: case SHMX__F_STD:
	case SHMX__F_NANMEAN: case SHMX__F_NANVAR: case SHMX__F_NANSTD:
		*kind = SHMX__EV_KF;
		return SHMX_F64;
	default:
		break;
	}
	*kind = flt ? SHMX__EV_KF : uns ? SHMX__EV_KU : SHMX__EV_KI;
	return flt ? SHMX_F64 : uns ? SHMX_U64 : SHMX_I64;
}

static int is_nan_form(int f)
{
	return f == SHMX__F_NANSUM || f == SHMX__F_NANMEAN ||
	       f == SHMX__F_NANMIN || f == SHMX__F_NANMAX ||
	       f == SHMX__F_NANVAR || f == SHMX__F_NANSTD;
}

/* ---- float sums ---------------------------------------------------------- */

static double pw_sum(const double *x, size_t n)
{
	size_t h;

	if (n <= SHMX__PW_BLOCK)
		return shmx__blk_sum(x, n);
	h = n / 2;
	h -= h % SHMX__LANES;
	return pw_sum(x, h) + pw_sum(x + h, n - h);
}

/* the numbers of x[0..n) summed, *k their count */
static double nan_sum(const double *x, size_t n, double *k)
{
	double s = 0, c;

	*k = 0;
	for (size_t i = 0; i < n; i += SHMX__PW_BLOCK) {
		size_t m = n - i < SHMX__PW_BLOCK ? n - i : SHMX__PW_BLOCK;

		s += shmx__blk_nansum(x + i, m, &c);
		*k += c;
	}
	return s;
}

static void mom_add(struct shmx__ev_acc *a, const double *x, size_t n,
		    int skip)
{
	for (size_t i = 0; i < n; i += SHMX__VAR_BLOCK) {
		size_t m = n - i < SHMX__VAR_BLOCK ? n - i : SHMX__VAR_BLOCK;
		struct shmx__mom b = shmx__blk_mom(x + i, m, skip);

		shmx__mom_merge(&a->m, &b);
	}
}

/* ---- one value at a time ------------------------------------------------- */

static int less_u(enum shmx__ev_kind k, uint64_t x, uint64_t y)
{
	return k == SHMX__EV_KI ? (int64_t)x < (int64_t)y : x < y;
}

/* one integer value v (bits) at flat index i */
static inline void upd_u(int f, enum shmx__ev_kind k, struct shmx__ev_acc *a,
			 uint64_t v, int64_t i)
{
	int first = a->m.n == 0;

	a->m.n += 1;
	switch (f) {
	case SHMX__F_SUM: case SHMX__F_NANSUM:
		a->u += v;
		break;
	case SHMX__F_PROD:
		a->u = first ? v : a->u * v;
		break;
	case SHMX__F_MIN: case SHMX__F_NANMIN:
		a->u = first || less_u(k, v, a->u) ? v : a->u;
		break;
	case SHMX__F_MAX: case SHMX__F_NANMAX:
		a->u = first || less_u(k, a->u, v) ? v : a->u;
		break;
	case SHMX__F_ARGMIN:
		if (first || less_u(k, v, a->u)) {
			a->u = v;
			a->idx = i;
		}
		break;
	case SHMX__F_ARGMAX:
		if (first || less_u(k, a->u, v)) {
			a->u = v;
			a->idx = i;
		}
		break;
	case SHMX__F_COUNT_NONZERO: case SHMX__F_ANY:
		a->u += v != 0;
		break;
	case SHMX__F_ALL:
		a->u += v == 0;
		break;
	default:
		break;
	}
}

/* one float value v at flat index i (sums, means, moments go by blocks) */
static inline void upd_f(int f, struct shmx__ev_acc *a, double v, int64_t i)
{
	int first = a->m.n == 0;

	switch (f) {
	case SHMX__F_PROD:
		a->s = first ? v : a->s * v;
		break;
	case SHMX__F_MIN: /* a NaN, once met, is the result */
		if (first || (a->s == a->s && (v != v || v < a->s)))
			a->s = v;
		break;
	case SHMX__F_MAX:
		if (first || (a->s == a->s && (v != v || v > a->s)))
			a->s = v;
		break;
	case SHMX__F_NANMIN: case SHMX__F_NANMAX:
		if (v != v)
			return;
		if (first || (f == SHMX__F_NANMIN ? v < a->s : v > a->s))
			a->s = v;
		break;
	case SHMX__F_ARGMIN: case SHMX__F_ARGMAX:
		if (!first && a->s != a->s)
			break;
		if (first || v != v ||
		    (f == SHMX__F_ARGMIN ? v < a->s : v > a->s)) {
			a->s = v;
			a->idx = i;
		}
		break;
	default:
		break;
	}
	a->m.n += 1;
}

/* ---- the interface ------------------------------------------------------- */

static int by_blocks(int f)
{
	return f == SHMX__F_SUM || f == SHMX__F_NANSUM || f == SHMX__F_MEAN ||
	       f == SHMX__F_NANMEAN || f == SHMX__F_VAR || f == SHMX__F_STD ||
	       f == SHMX__F_NANVAR || f == SHMX__F_NANSTD;
}

static int is_moment(int f)
{
	return f == SHMX__F_VAR || f == SHMX__F_STD || f == SHMX__F_NANVAR ||
	       f == SHMX__F_NANSTD;
}

static uint64_t bits_of(enum shmx__ev_kind k, const void *x, size_t i)
{
	if (k == SHMX__EV_KB)
		return ((const uint8_t *)x)[i];
	return ((const uint64_t *)x)[i];
}

/* a float block: sum (compensated across blocks) or moments */
static void block_f(int f, struct shmx__ev_acc *a, const double *x, size_t n)
{
	double s, k = (double)n, e;

	if (is_moment(f)) {
		mom_add(a, x, n, is_nan_form(f));
		return;
	}
	s = is_nan_form(f) ? nan_sum(x, n, &k) : pw_sum(x, n);
	shmx__two_sum(a->s, s, &a->s, &e);
	a->c += e;
	a->m.n += k;
}

void shmx__ev_red_all(const struct shmx__ev_red *r, struct shmx__ev_acc *a,
		      const void *x, size_t n, int64_t index0)
{
	const double *d = x;

	if (r->kind == SHMX__EV_KF && by_blocks(r->func)) {
		block_f(r->func, a, d, n);
		return;
	}
	if (r->kind == SHMX__EV_KF) {
		for (size_t i = 0; i < n; i++)
			upd_f(r->func, a, d[i], index0 + (int64_t)i);
		return;
	}
	if (r->func == SHMX__F_SUM || r->func == SHMX__F_NANSUM) {
		const uint64_t *u = x;
		uint64_t s = 0;

		for (size_t i = 0; i < n; i++)
			s += u[i];
		a->u += s;
		a->m.n += (double)n;
		return;
	}
	for (size_t i = 0; i < n; i++)
		upd_u(r->func, r->kind, a, bits_of(r->kind, x, i),
		      index0 + (int64_t)i);
}

/* Sums and means over columns: each block's column sums (one loop across
 * the columns per row, vectorised), then added with TwoSum. */
static void cols_sum(int f, struct shmx__ev_acc *a, const double *x,
		     size_t nrows, size_t cols, double *b, double *k)
{
	int nan = is_nan_form(f);

	for (size_t c = 0; c < cols; c++) {
		b[c] = 0;
		k[c] = nan ? 0 : (double)nrows;
	}
	for (size_t r = 0; r < nrows && !nan; r++, x += cols)
		for (size_t c = 0; c < cols; c++)
			b[c] += x[c];
	for (size_t r = 0; r < nrows && nan; r++, x += cols)
		for (size_t c = 0; c < cols; c++) {
			double v = x[c];

			b[c] += v == v ? v : 0.0;
			k[c] += v == v ? 1.0 : 0.0;
		}
	for (size_t c = 0; c < cols; c++) {
		double e;

		shmx__two_sum(a[c].s, b[c], &a[c].s, &e);
		a[c].c += e;
		a[c].m.n += k[c];
	}
}

/* Moments over columns: a block's two passes per column, across the
 * columns, merged into each column's state. */
static void cols_mom(int f, struct shmx__ev_acc *a, const double *x,
		     size_t nrows, size_t cols, double *s)
{
	double *k = s + cols, *sd = k + cols, *sq = sd + cols;
	int nan = is_nan_form(f);
	const double *p = x;

	for (size_t c = 0; c < cols; c++) {
		s[c] = sd[c] = sq[c] = 0;
		k[c] = nan ? 0 : (double)nrows;
	}
	for (size_t r = 0; r < nrows && !nan; r++, p += cols)
		for (size_t c = 0; c < cols; c++)
			s[c] += p[c];
	for (size_t r = 0; r < nrows && nan; r++, p += cols)
		for (size_t c = 0; c < cols; c++) {
			double v = p[c];

			s[c] += v == v ? v : 0.0;
			k[c] += v == v ? 1.0 : 0.0;
		}
	for (size_t c = 0; c < cols; c++)
		s[c] = k[c] > 0 ? s[c] / k[c] : 0; /* the block's means */
	for (p = x; p < x + nrows * cols; p += cols)
		for (size_t c = 0; c < cols; c++) {
			double d = p[c] - s[c];

			if (nan)
				d = p[c] != p[c] ? 0.0 : d;
			sd[c] += d;
			sq[c] += d * d;
		}
	for (size_t c = 0; c < cols; c++) {
		struct shmx__mom b = { 0, 0, 0, 0 };
		double m2;

		if (k[c] == 0)
			continue;
		b.n = k[c];
		b.mh = s[c];
		b.ml = sd[c] / k[c];
		m2 = sq[c] - sd[c] * sd[c] / k[c];
		b.m2 = m2 < 0 ? 0 : m2;
		shmx__mom_merge(&a[c].m, &b);
	}
}

void shmx__ev_red_cols(const struct shmx__ev_red *r, struct shmx__ev_acc *a,
		       const void *x, size_t nrows, size_t cols, int64_t row0,
		       double *scratch)
{
	const double *d = x;

	if (r->kind == SHMX__EV_KF && is_moment(r->func)) {
		cols_mom(r->func, a, d, nrows, cols, scratch);
		return;
	}
	if (r->kind == SHMX__EV_KF && by_blocks(r->func)) {
		cols_sum(r->func, a, d, nrows, cols, scratch, scratch + cols);
		return;
	}
	for (size_t i = 0; i < nrows; i++)
		for (size_t c = 0; c < cols; c++) {
			size_t at = i * cols + c;

			if (r->kind == SHMX__EV_KF)
				upd_f(r->func, &a[c], d[at], row0 + (int64_t)i);
			else
				upd_u(r->func, r->kind, &a[c],
				      bits_of(r->kind, x, at),
				      row0 + (int64_t)i);
		}
}

static void merge_f(int f, struct shmx__ev_acc *a, const struct shmx__ev_acc *b)
{
	double e;

	if (is_moment(f)) {
		shmx__mom_merge(&a->m, &b->m);
		return;
	}
	if (by_blocks(f)) {
		shmx__two_sum(a->s, b->s, &a->s, &e);
		a->c += e + b->c;
		a->m.n += b->m.n;
		return;
	}
	/* the others: b's value as one more element, its index kept */
	if (f == SHMX__F_NANMIN || f == SHMX__F_NANMAX) {
		if (b->m.n == 0)
			return;
		if (a->m.n == 0 || (f == SHMX__F_NANMIN ? b->s < a->s
							: b->s > a->s))
			a->s = b->s;
		a->m.n += b->m.n;
		return;
	}
	upd_f(f, a, b->s, b->idx);
	a->m.n += b->m.n - 1;
}

void shmx__ev_red_merge(const struct shmx__ev_red *r, struct shmx__ev_acc *a,
			const struct shmx__ev_acc *b)
{
	if (b->m.n == 0 && !(r->kind == SHMX__EV_KF && by_blocks(r->func)))
		return;
	if (r->kind == SHMX__EV_KF) {
		merge_f(r->func, a, b);
		return;
	}
	switch (r->func) {
	case SHMX__F_SUM: case SHMX__F_NANSUM: case SHMX__F_COUNT_NONZERO:
	case SHMX__F_ANY: case SHMX__F_ALL:
		a->u += b->u;
		a->m.n += b->m.n;
		return;
	default:
		upd_u(r->func, r->kind, a, b->u, b->idx);
		a->m.n += b->m.n - 1;
		return;
	}
}

static void put_f(enum shmx_dtype t, double v, void *out)
{
	if (t == SHMX_F32)
		*(float *)out = (float)v;
	else
		*(double *)out = v;
}

static void put_u(enum shmx_dtype t, uint64_t v, void *out)
{
	switch (shmx_dtype_size(t)) {
	case 1: *(uint8_t *)out = (uint8_t)(t == SHMX_BOOL ? v != 0 : v); break;
	case 2: *(uint16_t *)out = (uint16_t)v; break;
	case 4: *(uint32_t *)out = (uint32_t)v; break;
	default: *(uint64_t *)out = v; break;
	}
}

static void finish_f(const struct shmx__ev_red *r, const struct shmx__ev_acc *a,
		     void *out)
{
	double s = isfinite(a->s) ? a->s + a->c : a->s, v;

	switch (r->func) {
	case SHMX__F_SUM: case SHMX__F_NANSUM:
		v = s;
		break;
	case SHMX__F_MEAN: case SHMX__F_NANMEAN:
		v = a->m.n > 0 ? s / a->m.n : NAN;
		break;
	case SHMX__F_VAR: case SHMX__F_NANVAR:
		v = shmx__mom_var(&a->m);
		break;
	case SHMX__F_STD: case SHMX__F_NANSTD:
		v = sqrt(shmx__mom_var(&a->m));
		break;
	case SHMX__F_PROD:
		v = a->m.n > 0 ? a->s : 1.0;
		break;
	case SHMX__F_ARGMIN: case SHMX__F_ARGMAX:
		*(int64_t *)out = a->idx;
		return;
	default: /* min max nanmin nanmax: NaN when there was no number */
		v = a->m.n > 0 ? a->s : NAN;
		break;
	}
	put_f(r->out, v, out);
}

void shmx__ev_red_finish(const struct shmx__ev_red *r,
			 const struct shmx__ev_acc *a, void *out)
{
	if (r->kind == SHMX__EV_KF) {
		finish_f(r, a, out);
		return;
	}
	switch (r->func) {
	case SHMX__F_PROD:
		put_u(r->out, a->m.n > 0 ? a->u : 1, out);
		return;
	case SHMX__F_ARGMIN: case SHMX__F_ARGMAX:
		*(int64_t *)out = a->idx;
		return;
	case SHMX__F_ANY:
		put_u(r->out, a->u != 0, out);
		return;
	case SHMX__F_ALL:
		put_u(r->out, a->u == 0, out);
		return;
	default:
		put_u(r->out, a->u, out);
		return;
	}
}

void shmx__ev_red_rows(const struct shmx__ev_red *r, const void *x,
		       size_t nrows, size_t cols, void *out)
{
	size_t in_size = r->kind == SHMX__EV_KB ? 1 : 8;
	size_t out_size = shmx_dtype_size(r->out);

	if (r->kind == SHMX__EV_KF && r->func == SHMX__F_SUM &&
	    r->out == SHMX_F64) {
		const double *d = x;

		for (size_t i = 0; i < nrows; i++)
			((double *)out)[i] = pw_sum(d + i * cols, cols);
		return;
	}
	if (r->kind != SHMX__EV_KF && (r->func == SHMX__F_SUM ||
				       r->func == SHMX__F_NANSUM)) {
		const uint64_t *u = x;

		for (size_t i = 0; i < nrows; i++, u += cols) {
			uint64_t s = 0;

			for (size_t c = 0; c < cols; c++)
				s += u[c];
			((uint64_t *)out)[i] = s;
		}
		return;
	}
	for (size_t i = 0; i < nrows; i++) {
		struct shmx__ev_acc a;

		memset(&a, 0, sizeof(a));
		if (r->kind == SHMX__EV_KF && is_moment(r->func) &&
		    cols <= SHMX__VAR_BLOCK) {
			double v = shmx__blk_var((const double *)x + i * cols,
						 cols, is_nan_form(r->func));

			if (r->func == SHMX__F_STD || r->func == SHMX__F_NANSTD)
				v = sqrt(v);
			put_f(r->out, v, (char *)out + i * out_size);
			continue;
		}
		shmx__ev_red_all(r, &a, (const char *)x + i * cols * in_size,
				 cols, 0);
		shmx__ev_red_finish(r, &a, (char *)out + i * out_size);
	}
}
