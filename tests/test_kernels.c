/* tests/test_kernels.c - every operation against a straightforward
 * single-threaded reference written here (long double, or exact integer
 * math in __int128), driven the way the engine drives a kernel: the rows
 * cut into chunks of k rows for several k, the chunks run in a shuffled
 * order into zeroed 64-byte-aligned partial slots, then merged.  Checks:
 * the values (exact for integers, extrema and indices; 1e-12 relative for
 * f64 and 1e-5 for f32 results), bit-identical results for two different
 * chunk orders, the result dtypes and shapes, NaN semantics, integer
 * wrap-around, cast saturation, in-place maps, accuracy on hard sums and
 * variances, and every documented error with its exact code and message.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/job.h"
#include "kernels/registry.h"

/* ---- dtypes ------------------------------------------------------------ */

static const enum shmx_dtype all_dtypes[] = {
	SHMX_I8, SHMX_I16, SHMX_I32, SHMX_I64, SHMX_U8,
	SHMX_U16, SHMX_U32, SHMX_U64, SHMX_F32, SHMX_F64,
};
#define NDTYPES (sizeof(all_dtypes) / sizeof(all_dtypes[0]))

static int is_flt(enum shmx_dtype t)
{
	return t == SHMX_F32 || t == SHMX_F64;
}

static int is_sgn(enum shmx_dtype t)
{
	return t == SHMX_I8 || t == SHMX_I16 || t == SHMX_I32 || t == SHMX_I64;
}

static size_t tsize(enum shmx_dtype t)
{
	return shmx_dtype_size(t);
}

static int bits_of(enum shmx_dtype t)
{
	return (int)tsize(t) * 8;
}

/* The value of integer element i, exactly. */
static __int128 get_int(enum shmx_dtype t, const void *p, uint64_t i)
{
	const char *c = (const char *)p + i * tsize(t);
	uint64_t u = 0;
	int b = bits_of(t);

	memcpy(&u, c, tsize(t)); /* little-endian */
	if (is_sgn(t) && b < 64 && (u >> (b - 1)) & 1)
		return (__int128)u - ((__int128)1 << b);
	if (is_sgn(t) && b == 64)
		return (int64_t)u;
	return u;
}

static long double get_flt(enum shmx_dtype t, const void *p, uint64_t i)
{
	const char *c = (const char *)p + i * tsize(t);

	if (t == SHMX_F32) {
		float f;

		memcpy(&f, c, 4);
		return f;
	}
	if (t == SHMX_F64) {
		double d;

		memcpy(&d, c, 8);
		return d;
	}
	return (long double)get_int(t, p, i);
}

/* Store the low bits of v (two's complement) as element i. */
static void put_int(enum shmx_dtype t, void *p, uint64_t i, __int128 v)
{
	uint64_t u = (uint64_t)(unsigned __int128)v;

	memcpy((char *)p + i * tsize(t), &u, tsize(t));
}

static void put_f32(void *p, uint64_t i, float f)
{
	memcpy((char *)p + i * 4, &f, 4);
}

static void put_f64(void *p, uint64_t i, double d)
{
	memcpy((char *)p + i * 8, &d, 8);
}

static __int128 int_min(enum shmx_dtype t)
{
	return is_sgn(t) ? -((__int128)1 << (bits_of(t) - 1)) : 0;
}

static __int128 int_max(enum shmx_dtype t)
{
	return is_sgn(t) ? ((__int128)1 << (bits_of(t) - 1)) - 1
			 : ((__int128)1 << bits_of(t)) - 1;
}

/* v reduced modulo 2^bits into t's range. */
static __int128 wrap(enum shmx_dtype t, __int128 v)
{
	int b = bits_of(t);
	unsigned __int128 m = ((unsigned __int128)1 << b) - 1;
	__int128 u = (__int128)((unsigned __int128)v & m);

	if (is_sgn(t) && u > int_max(t))
		u -= (__int128)1 << b;
	return u;
}

/* ---- inputs ------------------------------------------------------------ */

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double rnd_unit(void)
{
	return (double)(rnd() >> 11) * 0x1p-53;
}

enum variant {
	V_SMALL,   /* small values with many ties */
	V_WIDE,    /* ints: full range; floats: wide magnitudes */
	V_NAN,     /* floats: V_SMALL with NaNs, an all-NaN row and column */
	V_SPECIAL, /* boundaries: INT_MIN, inf, -0.0, 2^63, ... */
};

static const double special_f[] = {
	NAN, INFINITY, -INFINITY, -0.0, 0.0, 1e300, -1e300, 127.9, -128.9,
	255.5, 256.0, -0.5, -1.0, 0x1p31, -0x1p31 - 1, 0x1p63, -0x1p63,
	0x1p64, 1e19, 3.5e38, 65535.9, 4294967295.5, 1.5, -7.25,
};

static void fill_one(enum shmx_dtype t, void *p, uint64_t i, enum variant v)
{
	double f;

	if (!is_flt(t)) {
		static const int edge[] = { 0, 1, -1, 2, -2 };
		__int128 x;

		if (v == V_SMALL)
			x = (__int128)(rnd() % 41) - (is_sgn(t) ? 20 : 0);
		else if (v == V_WIDE)
			x = wrap(t, (__int128)rnd());
		else if (i % 3 == 0)
			x = i % 2 ? int_min(t) : int_max(t);
		else
			x = wrap(t, edge[i % 5] + (i % 4 ? 0 : int_min(t)));
		put_int(t, p, i, x);
		return;
	}
	if (v == V_SMALL || v == V_NAN)
		f = (double)((int)(rnd() % 81) - 40) * 0.5;
	else if (v == V_WIDE)
		f = (rnd_unit() - 0.5) * ldexp(1.0, (int)(rnd() % 41) - 20);
	else
		f = special_f[i % (sizeof(special_f) / sizeof(*special_f))];
	if (t == SHMX_F32)
		put_f32(p, i, (float)f);
	else
		put_f64(p, i, f);
}

static void *make_input(enum shmx_dtype t, uint64_t rows, uint64_t cols,
			enum variant v)
{
	uint64_t n = rows * cols;
	void *p = malloc(n * tsize(t) + 1);

	for (uint64_t i = 0; i < n; i++)
		fill_one(t, p, i, v);
	if (v != V_NAN || !is_flt(t))
		return p;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t r = i / cols, c = i % cols;
		int nan = rnd() % 5 == 0 || (r == 0 && rows > 2) ||
			  (c == 1 && cols > 2);

		if (!nan)
			continue;
		if (t == SHMX_F32)
			put_f32(p, i, NAN);
		else
			put_f64(p, i, NAN);
	}
	return p;
}

/* ---- a kernel prepared as the engine prepares it ---------------------- */

/* The op and call, and the fields the checks read. */
struct tjob {
	struct shmx__op op;
	struct shmx_kernel_call c;
	const struct shmx_kernel *kernel;
	enum shmx_kernel_kind kind;
	enum shmx_dtype in_dtype, out_dtype;
	struct shmx_shape out_shape;
	uint64_t rows, cols;
	int axis;             /* numpy's, normalised: -1 (none), 0 or 1 */
	size_t partial_bytes; /* the engine's slot; 0 unless REDUCE */
};

/* numpy's -1 (none), 0, 1; anything else as a raw enum shmx_axis. */
static enum shmx_axis axis_of(int axis)
{
	return axis == -1 ? SHMX_AXIS_NONE
	       : axis == 0 ? SHMX_AXIS_0
	       : axis == 1 ? SHMX_AXIS_1 : (enum shmx_axis)axis;
}

static int job_prepare(struct tjob *j, const char *op, int axis,
		       enum shmx_dtype t, const struct shmx_shape *shape,
		       struct shmx_error *err)
{
	enum shmx_axis a;
	int rc;

	memset(j, 0, sizeof(*j));
	rc = shmx__op_open(op, &j->op, err);
	if (rc)
		return rc;
	j->c.size = sizeof(j->c);
	j->c.ninputs = 1;
	j->c.in[0] = (struct shmx_kernel_input){
		.dtype = t, .shape = *shape, .rows = shmx_shape_rows(shape),
		.cols = shmx_shape_cols(shape),
	};
	j->c.rows = j->c.in[0].rows;
	j->c.axis = axis_of(axis);
	rc = shmx__op_prepare(&j->op, &j->c, err);
	if (rc)
		return rc;
	a = shmx__kstate_of_c(&j->c)->axis;
	j->kernel = j->op.kernel;
	j->kind = j->c.kind;
	j->in_dtype = t;
	j->out_dtype = j->c.out_dtype;
	j->out_shape = j->c.out_shape;
	j->rows = j->c.rows;
	j->cols = j->c.in[0].cols;
	j->axis = a == SHMX_AXIS_0 ? 0 : a == SHMX_AXIS_1 ? 1 : -1;
	if (j->kind == SHMX_KERNEL_REDUCE)
		j->partial_bytes = shmx_kernel_slot_bytes(&j->c);
	return 0;
}

/* Chunk [row0, row0 + nr) of in into out (the whole output) or its
 * partial slot, as the engine calls it. */
static void run_chunk(const struct tjob *job, const void *in, uint64_t c,
		      uint64_t row0, uint64_t nr, void *out, void *partial)
{
	const void *rows[1] = {
		(const char *)in + row0 * job->cols * tsize(job->in_dtype)
	};
	struct shmx_chunk k = { .index = c, .row0 = row0, .nrows = nr,
				.in = rows, .partial = partial };
	struct shmx_error err = { 0, "" };

	if (job->kind != SHMX_KERNEL_REDUCE)
		k.out = (char *)out + row0 * job->c.out_cols *
					      tsize(job->out_dtype);
	cr_assert_eq(job->kernel->chunk(&job->c, &k, &err), 0, "%s", err.msg);
}

/* ---- driving a kernel as the engine does ------------------------------- */

static uint64_t count_of(const struct shmx_shape *s)
{
	uint64_t n = 1;

	for (int d = 0; d < s->ndim; d++)
		n *= s->dim[d];
	return n;
}

/* Chunks of k rows, run in an order shuffled by seed, then merged.  Out
 * starts filled with 0xA5 so that an element no one wrote shows. */
static void *run_job(const struct tjob *job, const void *in,
		     uint64_t k, uint64_t seed)
{
	size_t osz = tsize(job->out_dtype);
	uint64_t nout = count_of(&job->out_shape);
	uint64_t nchunks = job->rows ? (job->rows + k - 1) / k : 0;
	size_t pb = job->partial_bytes;
	size_t plen = nchunks * pb + 64;
	char *out = malloc(nout * osz + 1);
	char *partials = aligned_alloc(64, (plen + 63) / 64 * 64);
	uint64_t *order = malloc((nchunks + 1) * sizeof(*order));
	uint64_t saved = rng;

	memset(out, 0xA5, nout * osz + 1);
	memset(partials, 0, plen);
	for (uint64_t i = 0; i < nchunks; i++)
		order[i] = i;
	rng = seed * 0x9E3779B97F4A7C15ull + 1;
	for (uint64_t i = nchunks; i > 1; i--) {
		uint64_t j = rnd() % i, t = order[i - 1];

		order[i - 1] = order[j];
		order[j] = t;
	}
	rng = saved;
	for (uint64_t i = 0; i < nchunks; i++) {
		uint64_t c = order[i], row0 = c * k;
		uint64_t nr = job->rows - row0 < k ? job->rows - row0 : k;

		run_chunk(job, in, c, row0, nr, out,
			  pb ? partials + c * pb : NULL);
	}
	if (job->kind == SHMX_KERNEL_REDUCE) {
		struct shmx_error err = { 0, "" };

		cr_assert_eq(job->kernel->merge(&job->c, partials, nchunks, out,
						&err), 0);
	}
	free(order);
	free(partials);
	return out;
}

/* ---- reduction references ---------------------------------------------- */

enum rop {
	R_SUM, R_MEAN, R_MIN, R_MAX, R_SUMSQ, R_VAR, R_STD, R_ARGMIN,
	R_ARGMAX, R_NANSUM, R_NANMEAN, R_NANMIN, R_NANMAX, R_NANVAR,
	R_NANSTD, R_COUNT
};

enum mop { M_SQUARE, M_SQRT, M_ABS, M_NEG, M_EXP, M_LOG, M_SCALE, M_ADD,
	   M_CLIP, M_CAST, M_NONE };

/* Every op in the registry's list (shmx__op_names) has one entry here,
 * keyed by its name: the reference that checks it and, for a map, the
 * forms to run.  A new op needs its entry (and its reference's case);
 * every_op_name_is_listed_and_found fails until it has one. */
struct op_ref {
	const char *name;
	enum rop rop;            /* R_COUNT for a map */
	enum mop mop;            /* M_NONE for a reduction */
	const char *specs[12];   /* a map's forms, NULL-terminated */
};

#define RED(name, r) { name, r, M_NONE, { NULL } }
static const struct op_ref refs[] = {
	RED("sum", R_SUM), RED("mean", R_MEAN), RED("min", R_MIN),
	RED("max", R_MAX), RED("sumsq", R_SUMSQ), RED("var", R_VAR),
	RED("std", R_STD), RED("argmin", R_ARGMIN), RED("argmax", R_ARGMAX),
	RED("nansum", R_NANSUM), RED("nanmean", R_NANMEAN),
	RED("nanmin", R_NANMIN), RED("nanmax", R_NANMAX),
	RED("nanvar", R_NANVAR), RED("nanstd", R_NANSTD),
	{ "square", R_COUNT, M_SQUARE, { "square" } },
	{ "sqrt", R_COUNT, M_SQRT, { "sqrt" } },
	{ "abs", R_COUNT, M_ABS, { "abs" } },
	{ "neg", R_COUNT, M_NEG, { "neg" } },
	{ "exp", R_COUNT, M_EXP, { "exp" } },
	{ "log", R_COUNT, M_LOG, { "log" } },
	{ "scale", R_COUNT, M_SCALE,
	  { "scale:3", "scale:-2", "scale:2.5", "scale:0", "scale:-0.1" } },
	{ "add", R_COUNT, M_ADD,
	  { "add:7", "add:-1", "add:1.5", "add:-inf", "add:100000",
	    "add:0.1" } },
	{ "clip", R_COUNT, M_CLIP,
	  { "clip:-5:5", "clip:0:1000000", "clip:-0.5:2.5", "clip:3:3",
	    "clip:-1e300:1e300", "clip:-200:-100" } },
	{ "cast", R_COUNT, M_CAST,
	  { "cast:i8", "cast:i16", "cast:i32", "cast:i64", "cast:u8",
	    "cast:u16", "cast:u32", "cast:u64", "cast:f32", "cast:f64" } },
};
#undef RED
#define NREFS (sizeof(refs) / sizeof(refs[0]))

static const struct op_ref *find_ref(const char *name, size_t len)
{
	for (size_t i = 0; i < NREFS; i++)
		if (strlen(refs[i].name) == len &&
		    !strncmp(refs[i].name, name, len))
			return &refs[i];
	return NULL;
}

static const char *rop_name(enum rop op)
{
	for (size_t i = 0; i < NREFS; i++)
		if (refs[i].rop == op)
			return refs[i].name;
	return "?";
}

static int rop_skips_nan(enum rop op)
{
	return op >= R_NANSUM;
}

struct expect {
	int exact;        /* compare bits / values exactly */
	__int128 i;       /* exact integer result (sum bits, index, min) */
	long double f;    /* float result */
	long double tolerance_of; /* |got - f| <= tol * this */
};

/* The n values of one reduced slice: element ix(s, j) of the input. */
struct slice {
	enum shmx_dtype t;
	const void *p;
	uint64_t start, step, n;
};

static long double sl_f(const struct slice *s, uint64_t j)
{
	return get_flt(s->t, s->p, s->start + j * s->step);
}

static __int128 sl_i(const struct slice *s, uint64_t j)
{
	return get_int(s->t, s->p, s->start + j * s->step);
}

static struct expect ref_int_sum(const struct slice *s, int sq)
{
	unsigned __int128 acc = 0;
	struct expect e = { 1, 0, 0, 0 };

	for (uint64_t j = 0; j < s->n; j++) {
		unsigned __int128 x = (unsigned __int128)sl_i(s, j);

		acc += sq ? x * x : x;
	}
	e.i = (__int128)(uint64_t)acc; /* modulo 2^64, as bits */
	return e;
}

static struct expect ref_sum(const struct slice *s, enum rop op)
{
	long double sum = 0, abs = 0, k = 0;
	struct expect e = { 0, 0, 0, 0 };

	for (uint64_t j = 0; j < s->n; j++) {
		long double v = sl_f(s, j);

		if (rop_skips_nan(op) && isnan(v))
			continue;
		if (op == R_SUMSQ)
			v *= v;
		sum += v;
		abs += fabsl(v);
		k++;
	}
	e.f = sum;
	e.tolerance_of = abs;
	if (op == R_MEAN || op == R_NANMEAN) {
		e.f = k ? sum / k : NAN;
		e.tolerance_of = k ? abs / k : 0;
	}
	return e;
}

static struct expect ref_var(const struct slice *s, enum rop op)
{
	long double sum = 0, k = 0, m, m2 = 0, sq = 0;
	struct expect e = { 0, 0, NAN, 0 };

	for (uint64_t j = 0; j < s->n; j++) {
		long double v = sl_f(s, j);

		if (!(rop_skips_nan(op) && isnan(v))) {
			sum += v;
			sq += v * v;
			k++;
		}
	}
	if (k == 0)
		return e;
	m = sum / k;
	for (uint64_t j = 0; j < s->n; j++) {
		long double v = sl_f(s, j);

		if (!(rop_skips_nan(op) && isnan(v)))
			m2 += (v - m) * (v - m);
	}
	e.f = m2 / k;
	/* the error of any f64 variance grows with the mean's size too */
	e.tolerance_of = e.f + 1e-4L * sq / k;
	if (op == R_STD || op == R_NANSTD) {
		e.f = sqrtl(e.f);
		e.tolerance_of = sqrtl(e.tolerance_of);
	}
	return e;
}

/* min, max (NaN propagates), nanmin, nanmax (NaN skipped), argmin, argmax
 * (first index; the first NaN wins). */
static struct expect ref_extreme(const struct slice *s, enum rop op)
{
	int is_max = op == R_MAX || op == R_NANMAX || op == R_ARGMAX;
	int is_arg = op == R_ARGMIN || op == R_ARGMAX;
	struct expect e = { 1, 0, NAN, 0 };
	int have = 0;
	uint64_t best_j = 0;
	long double best = 0;

	for (uint64_t j = 0; j < s->n; j++) {
		long double v = sl_f(s, j);

		if (isnan(v)) {
			if (op == R_NANMIN || op == R_NANMAX)
				continue;
			e.i = (__int128)j; /* min/max: NaN; arg: this index */
			e.f = NAN;
			return e;
		}
		if (!have || (is_max ? v > best : v < best)) {
			best = v;
			best_j = j;
			have = 1;
		}
	}
	if (is_arg) {
		e.i = (__int128)best_j;
		return e;
	}
	if (have) {
		e.f = best;
		e.i = is_flt(s->t) ? 0 : sl_i(s, best_j);
	}
	return e;
}

static struct expect ref_reduce(enum rop op, const struct slice *s)
{
	int flt = is_flt(s->t);

	switch (op) {
	case R_SUM:
	case R_NANSUM:
		return flt ? ref_sum(s, op) : ref_int_sum(s, 0);
	case R_SUMSQ:
		return flt ? ref_sum(s, op) : ref_int_sum(s, 1);
	case R_MEAN:
	case R_NANMEAN:
		return ref_sum(s, op);
	case R_VAR:
	case R_STD:
	case R_NANVAR:
	case R_NANSTD:
		return ref_var(s, op);
	default:
		return ref_extreme(s, op);
	}
}

/* numpy 1.24's result dtype. */
static enum shmx_dtype ref_out_dtype(enum rop op, enum shmx_dtype t)
{
	switch (op) {
	case R_SUM:
	case R_NANSUM:
	case R_SUMSQ:
		return is_flt(t) ? t : is_sgn(t) ? SHMX_I64 : SHMX_U64;
	case R_MEAN:
	case R_NANMEAN:
	case R_VAR:
	case R_STD:
	case R_NANVAR:
	case R_NANSTD:
		return is_flt(t) ? t : SHMX_F64;
	case R_ARGMIN:
	case R_ARGMAX:
		return SHMX_I64;
	default:
		return t;
	}
}

/* One output element against its expectation; 0 or a message in msg. */
static int check_value(const struct tjob *job, const void *out,
		       uint64_t i, const struct expect *e, char *msg,
		       size_t len)
{
	enum shmx_dtype ot = job->out_dtype;
	long double tol = ot == SHMX_F32 ? 1e-5L : 1e-12L;
	long double got = get_flt(ot, out, i);

	if (!is_flt(ot)) {
		__int128 g = get_int(ot, out, i);
		__int128 want = ot == SHMX_I64 ? (__int128)(int64_t)(uint64_t)e->i
						: ot == SHMX_U64 ? (__int128)(uint64_t)e->i
								 : e->i;

		if (g == want)
			return 0;
		snprintf(msg, len, "element %llu: got %lld, want %lld",
			 (unsigned long long)i, (long long)g, (long long)want);
		return -1;
	}
	if (isnan(e->f) && isnan(got))
		return 0;
	if (e->exact || isinf(e->f) ? got == e->f
				    : fabsl(got - e->f) <=
					      tol * e->tolerance_of) {
		if (!isnan(got) && !isnan(e->f))
			return 0;
	}
	snprintf(msg, len, "element %llu: got %.21Lg, want %.21Lg (tol %Lg)",
		 (unsigned long long)i, got, e->f, tol * e->tolerance_of);
	return -1;
}

/* The slice that output element i reduces. */
static struct slice slice_of(const struct tjob *job, const void *in,
			     uint64_t i)
{
	struct slice s = { job->in_dtype, in, 0, 1, job->rows * job->cols };

	if (job->axis == 0) /* column i */
		s = (struct slice){ job->in_dtype, in, i, job->cols, job->rows };
	else if (job->axis == 1) /* row i */
		s = (struct slice){ job->in_dtype, in, i * job->cols, 1,
				    job->cols };
	return s;
}

struct config {
	struct shmx_shape shape;
	const char *name;
};

static const struct config shapes[] = {
	{ { 2, { 0, 5 } }, "0x5" },     { { 2, { 4, 0 } }, "4x0" },
	{ { 2, { 0, 0 } }, "0x0" },     { { 2, { 1, 1 } }, "1x1" },
	{ { 2, { 7, 13 } }, "7x13" },   { { 2, { 101, 3 } }, "101x3" },
	{ { 2, { 300, 7 } }, "300x7" }, { { 2, { 2, 1500 } }, "2x1500" },
	{ { 2, { 5, 300 } }, "5x300" }, { { 1, { 17, 0 } }, "17" },
	{ { 1, { 0, 0 } }, "0" },       { { 1, { 3000, 0 } }, "3000" },
	{ { 0, { 0, 0 } }, "()" },
};
#define NSHAPES (sizeof(shapes) / sizeof(shapes[0]))

/* Chunk sizes: 1, 3, one that does not divide rows, all rows at once. */
static void chunk_sizes(uint64_t rows, uint64_t ks[4])
{
	ks[0] = 1;
	ks[1] = 3;
	ks[2] = rows > 5 ? rows / 2 + 1 : 2;
	ks[3] = rows ? rows : 1;
}

static int expects_empty_error(enum rop op, int axis, uint64_t rows,
			       uint64_t cols)
{
	int no_identity = op == R_MIN || op == R_MAX || op == R_NANMIN ||
			  op == R_NANMAX || op == R_ARGMIN || op == R_ARGMAX;

	if (!no_identity)
		return 0;
	if (axis == 0)
		return rows == 0 && cols > 0;
	if (axis == 1)
		return cols == 0 && rows > 0;
	return rows * cols == 0;
}

/* One reduction on one input: every axis, every chunk size, two orders. */
static void check_reduction_input(enum rop op, enum shmx_dtype t,
				  const struct config *cf, enum variant v)
{
	uint64_t rows = cf->shape.ndim ? cf->shape.dim[0] : 1;
	uint64_t cols = cf->shape.ndim == 2 ? cf->shape.dim[1] : 1;
	void *in = make_input(t, rows, cols, v);

	for (int axis = -1; axis <= 1; axis++) {
		struct tjob job;
		struct shmx_error err = { 0, "" };
		int norm = cf->shape.ndim == 2 ? axis : -1;
		uint64_t ks[4];
		int rc;

		if (axis >= cf->shape.ndim)
			continue; /* out of bounds: tested on its own */
		rc = job_prepare(&job, rop_name(op), axis, t, &cf->shape,
				       &err);
		if (expects_empty_error(op, norm, rows, cols)) {
			cr_assert_eq(rc, SHMX_EEMPTY, "%s %s %s axis %d: %d",
				     rop_name(op), shmx_dtype_name(t),
				     cf->name, axis, rc);
			continue;
		}
		cr_assert_eq(rc, 0, "%s %s %s axis %d: %s", rop_name(op),
			     shmx_dtype_name(t), cf->name, axis, err.msg);
		cr_assert_eq(job.axis, norm);
		cr_assert_eq(job.out_dtype, ref_out_dtype(op, t));
		chunk_sizes(rows, ks);
		for (int ki = 0; ki < 4; ki++) {
			char *a = run_job(&job, in, ks[ki], 1);
			char *b = run_job(&job, in, ks[ki], 2 + (uint64_t)ki);
			uint64_t nout = count_of(&job.out_shape);
			char msg[256];

			cr_assert(memcmp(a, b, nout * tsize(job.out_dtype)) == 0,
				  "%s %s %s axis %d k %llu: chunk order "
				  "changed the result",
				  rop_name(op), shmx_dtype_name(t), cf->name,
				  axis, (unsigned long long)ks[ki]);
			for (uint64_t i = 0; i < nout; i++) {
				struct slice s = slice_of(&job, in, i);
				struct expect e = ref_reduce(op, &s);

				if (check_value(&job, a, i, &e, msg,
						sizeof(msg)) < 0)
					cr_assert_fail("%s %s %s axis %d k %llu "
						 "variant %d: %s",
						 rop_name(op),
						 shmx_dtype_name(t), cf->name,
						 axis,
						 (unsigned long long)ks[ki],
						 (int)v, msg);
			}
			free(a);
			free(b);
		}
	}
	free(in);
}

static void check_reduction(enum rop op)
{
	for (size_t d = 0; d < NDTYPES; d++) {
		enum shmx_dtype t = all_dtypes[d];

		for (size_t s = 0; s < NSHAPES; s++) {
			check_reduction_input(op, t, &shapes[s], V_SMALL);
			check_reduction_input(op, t, &shapes[s],
					      is_flt(t) ? V_NAN : V_WIDE);
			if (is_flt(t))
				check_reduction_input(op, t, &shapes[s],
						      V_WIDE);
		}
	}
}

/* ---- result dtypes, shapes and the kernel contract --------------------- */

Test(kernels, reductions_give_numpy_dtypes_shapes_and_slots)
{
	struct shmx_shape s = { 2, { 6, 4 } };

	for (enum rop op = 0; op < R_COUNT; op++)
		for (size_t d = 0; d < NDTYPES; d++)
			for (int axis = -1; axis <= 1; axis++) {
				struct tjob job;
				struct shmx_error err;
				int rc = job_prepare(&job, rop_name(op),
							   axis, all_dtypes[d],
							   &s, &err);

				cr_assert_eq(rc, 0, "%s", err.msg);
				cr_assert_eq(job.kernel->kind, SHMX_KERNEL_REDUCE);
				cr_assert_eq(job.kind, axis == 1
					     ? SHMX_KERNEL_ROWS
					     : SHMX_KERNEL_REDUCE);
				cr_assert_str_eq(job.kernel->name, rop_name(op));
				cr_assert_eq(job.out_dtype,
					     ref_out_dtype(op, all_dtypes[d]));
				cr_assert_eq(job.partial_bytes % 64, 0);
				if (axis == -1) {
					cr_assert_eq(job.out_shape.ndim, 0);
					cr_assert_neq(job.kernel->merge, NULL);
					cr_assert_gt(job.partial_bytes, 0);
				} else if (axis == 0) {
					cr_assert_eq(job.out_shape.ndim, 1);
					cr_assert_eq(job.out_shape.dim[0], 4);
					cr_assert_neq(job.kernel->merge, NULL);
					cr_assert_gt(job.partial_bytes, 0);
				} else {
					cr_assert_eq(job.out_shape.ndim, 1);
					cr_assert_eq(job.out_shape.dim[0], 6);
					cr_assert_eq(job.partial_bytes, 0);
				}
			}
}

Test(kernels, one_d_axis_0_and_no_axis_reduce_everything_to_a_scalar)
{
	struct shmx_shape v = { 1, { 9, 0 } }, z = { 0, { 0, 0 } };
	struct tjob job;
	struct shmx_error err;

	cr_assert_eq(job_prepare(&job, "sum", 0, SHMX_F64, &v, &err), 0);
	cr_assert_eq(job.axis, -1);
	cr_assert_eq(job.out_shape.ndim, 0);
	cr_assert_eq(job.rows, 9);
	cr_assert_eq(job.cols, 1);
	cr_assert_eq(job_prepare(&job, "max", -1, SHMX_I8, &z, &err), 0);
	cr_assert_eq(job.axis, -1);
	cr_assert_eq(job.rows, 1);
	cr_assert_eq(job.cols, 1);
}

Test(kernels, every_op_name_is_listed_and_found)
{
	static struct shmx__op op;
	struct shmx_error err;
	size_t n = 0;

	for (; shmx__op_names[n]; n++) {
		const char *name = shmx__op_names[n];
		const struct op_ref *r = find_ref(name, strlen(name));
		/* a map's first form has its arguments */
		const char *spec = r && r->specs[0] ? r->specs[0] : name;

		cr_assert_not_null(r, "%s has no reference entry", name);
		cr_assert_eq(shmx__op_open(spec, &op, &err), 0, "%s: %s",
			     spec, err.msg);
		cr_assert_str_eq(op.kernel->name, name);
		cr_assert_eq(op.kernel->abi, SHMX_KERNEL_ABI);
		cr_assert_eq(op.kernel->size, sizeof(struct shmx_kernel));
		cr_assert_eq(op.dl, NULL);
		shmx__op_close(&op);
	}
	for (size_t i = 0; i < NREFS; i++) {
		size_t k = 0;

		while (shmx__op_names[k] &&
		       strcmp(shmx__op_names[k], refs[i].name))
			k++;
		cr_assert_not_null(shmx__op_names[k], "%s is not listed",
				   refs[i].name);
	}
	cr_assert_eq(n, NREFS);
	cr_assert_eq(shmx__op_open("summ", &op, &err), SHMX_EOP);
	cr_assert_eq(shmx__op_open("clip:1:2", &op, &err), 0);
	cr_assert_eq(op.kernel->max_args, 2);
	cr_assert_eq(op.nargs, 2);
	cr_assert_str_eq(op.args[1], "2");
	cr_assert_eq(shmx__op_open("scale:2", &op, &err), 0);
	cr_assert_eq(op.kernel->kind, SHMX_KERNEL_MAP);
	cr_assert_eq(shmx__op_open("sum", &op, &err), 0);
	cr_assert_eq(op.kernel->flags & SHMX_KERNEL_TAKES_AXIS,
		     SHMX_KERNEL_TAKES_AXIS);
}

/* ---- errors: exact codes and messages ---------------------------------- */

struct error_case {
	const char *op;
	int axis;
	enum shmx_dtype t;
	struct shmx_shape shape;
	int code;
	const char *msg;
};

#define M2(r, c) { 2, { r, c } }
#define M1(n) { 1, { n, 0 } }
#define M0 { 0, { 0, 0 } }

static const struct error_case error_cases[] = {
	{ "foo", -1, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "unknown operation 'foo' (see shmx run --help)" },
	{ "foo:3", -1, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "unknown operation 'foo' (see shmx run --help)" },
	{ "", -1, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "unknown operation '' (see shmx run --help)" },
	{ "Sum", -1, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "unknown operation 'Sum' (see shmx run --help)" },
	{ "sum:3", -1, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "operation 'sum' takes no arguments" },
	{ "sqrt:", -1, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "operation 'sqrt' takes no arguments" },
	{ "scale", -1, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "operation 'scale' needs the form scale:K" },
	{ "scale:1:2", -1, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "operation 'scale' needs the form scale:K" },
	{ "clip:1", -1, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "operation 'clip' needs the form clip:LO:HI" },
	{ "clip:1:2:3", -1, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "operation 'clip' needs the form clip:LO:HI" },
	{ "cast", -1, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "operation 'cast' needs the form cast:DTYPE" },
	{ "scale:", -1, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "operation 'scale': '' is not a number" },
	{ "scale:abc", -1, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "operation 'scale': 'abc' is not a number" },
	{ "scale:2x", -1, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "operation 'scale': '2x' is not a number" },
	{ "add: 2", -1, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "operation 'add': ' 2' is not a number" },
	{ "add:2 ", -1, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "operation 'add': '2 ' is not a number" },
	{ "clip:1:b", -1, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "operation 'clip': 'b' is not a number" },
	{ "clip::1", -1, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "operation 'clip': '' is not a number" },
	{ "cast:f16", -1, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "operation 'cast': unknown dtype 'f16' (use i8 i16 i32 i64 u8 "
	  "u16 u32 u64 f32 f64)" },
	{ "cast:", -1, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "operation 'cast': unknown dtype '' (use i8 i16 i32 i64 u8 u16 "
	  "u32 u64 f32 f64)" },
	{ "add:300", -1, SHMX_U8, M2(2, 2), SHMX_EOP,
	  "operation 'add': 300 is out of range for u8" },
	{ "add:-1", -1, SHMX_U8, M2(2, 2), SHMX_EOP,
	  "operation 'add': -1 is out of range for u8" },
	{ "scale:128", -1, SHMX_I8, M2(2, 2), SHMX_EOP,
	  "operation 'scale': 128 is out of range for i8" },
	{ "scale:-2147483649", -1, SHMX_I32, M2(2, 2), SHMX_EOP,
	  "operation 'scale': -2147483649 is out of range for i32" },
	{ "add:18446744073709551615", -1, SHMX_I64, M2(2, 2), SHMX_EOP,
	  "operation 'add': 18446744073709551615 is out of range for i64" },
	{ "add:18446744073709551616", -1, SHMX_U64, M2(2, 2), SHMX_EOP,
	  "operation 'add': 1.84467e+19 is out of range for u64" },
	{ "clip:5:1", -1, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "operation 'clip': LO (5) must not be greater than HI (1)" },
	{ "clip:0.5:0.25", -1, SHMX_I32, M2(2, 2), SHMX_EOP,
	  "operation 'clip': LO (0.5) must not be greater than HI (0.25)" },
	{ "clip:nan:1", -1, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "operation 'clip': LO (nan) must not be greater than HI (1)" },
	{ "square", 0, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "operation 'square' is element-wise and takes no axis" },
	{ "cast:i8", 1, SHMX_F64, M2(2, 2), SHMX_EOP,
	  "operation 'cast' is element-wise and takes no axis" },
	{ "sum", 1, SHMX_F64, M1(5), SHMX_EOP,
	  "axis 1 is out of bounds for a 1-D array" },
	{ "sum", 0, SHMX_F64, M0, SHMX_EOP,
	  "axis 0 is out of bounds for a 0-D array" },
	/* not an enum shmx_axis */
	{ "mean", 7, SHMX_F64, M2(2, 2), SHMX_EOP, "bad axis 7" },
	{ "mean", -2, SHMX_F64, M2(2, 2), SHMX_EOP, "bad axis -2" },
	{ "min", 0, SHMX_F64, M2(0, 3), SHMX_EEMPTY,
	  "zero-size array to reduction operation min which has no "
	  "identity" },
	{ "max", 1, SHMX_I32, M2(3, 0), SHMX_EEMPTY,
	  "zero-size array to reduction operation max which has no "
	  "identity" },
	{ "argmax", -1, SHMX_U8, M1(0), SHMX_EEMPTY,
	  "zero-size array to reduction operation argmax which has no "
	  "identity" },
	{ "nanmin", -1, SHMX_F32, M2(0, 3), SHMX_EEMPTY,
	  "zero-size array to reduction operation nanmin which has no "
	  "identity" },
	{ "argmin", 0, SHMX_I64, M1(0), SHMX_EEMPTY,
	  "zero-size array to reduction operation argmin which has no "
	  "identity" },
};

Test(kernels, every_documented_error_has_its_code_and_message)
{
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(*error_cases);
	     i++) {
		const struct error_case *c = &error_cases[i];
		struct tjob job;
		struct shmx_error err = { 0, "" };
		int rc = job_prepare(&job, c->op, c->axis, c->t,
					   &c->shape, &err);

		cr_assert_eq(rc, c->code, "'%s': rc %d, want %d (%s)", c->op,
			     rc, c->code, err.msg);
		cr_assert_eq(err.code, c->code, "'%s'", c->op);
		cr_assert_str_eq(err.msg, c->msg, "'%s'", c->op);
	}
}

Test(kernels, zero_size_reductions_that_numpy_allows_are_empty_or_identity)
{
	struct shmx_shape e03 = { 2, { 0, 3 } }, e30 = { 2, { 3, 0 } };
	struct tjob job;
	struct shmx_error err;
	char *out;

	/* np.zeros((0,3)).min(axis=1) is an empty array */
	cr_assert_eq(job_prepare(&job, "min", 1, SHMX_F64, &e03, &err), 0);
	cr_assert_eq(job.out_shape.ndim, 1);
	cr_assert_eq(job.out_shape.dim[0], 0);
	/* sums of nothing are 0; means and variances nan */
	cr_assert_eq(job_prepare(&job, "sum", 0, SHMX_I16, &e03, &err), 0);
	out = run_job(&job, "", 1, 1);
	cr_assert_eq(((int64_t *)out)[0], 0);
	cr_assert_eq(((int64_t *)out)[2], 0);
	free(out);
	cr_assert_eq(job_prepare(&job, "mean", 1, SHMX_F32, &e30, &err), 0);
	out = run_job(&job, "", 2, 1);
	cr_assert(isnan(((float *)out)[0]) && isnan(((float *)out)[2]));
	free(out);
	cr_assert_eq(job_prepare(&job, "var", -1, SHMX_U8, &e30, &err), 0);
	out = run_job(&job, "", 2, 1);
	cr_assert(isnan(((double *)out)[0]));
	free(out);
}

/* ---- maps -------------------------------------------------------------- */

/* An op text read independently of the library. */
struct mspec {
	enum mop op;
	int nk;
	int k_int[2];   /* an integer literal that fits int64 */
	int64_t ki[2];
	double kf[2];
	enum shmx_dtype to;
};

static struct mspec read_spec(const char *text)
{
	struct mspec m = { 0 };
	const char *p = strchr(text, ':');
	size_t len = p ? (size_t)(p - text) : strlen(text);
	const struct op_ref *r = find_ref(text, len);

	cr_assert(r && r->mop != M_NONE, "%s is not a map", text);
	m.op = r->mop;
	while (p) {
		const char *a = p + 1;
		size_t n = strcspn(a, ":");
		char buf[64];

		snprintf(buf, sizeof(buf), "%.*s", (int)n, a);
		if (m.op == M_CAST) {
			struct shmx_error err;

			cr_assert_eq(shmx_dtype_parse(buf, &m.to, &err), 0);
		}
		m.kf[m.nk] = strtod(buf, NULL);
		m.k_int[m.nk] = buf[strspn(buf, "-0123456789")] == '\0';
		m.ki[m.nk] = strtoll(buf, NULL, 10);
		m.nk++;
		p = strchr(a, ':');
	}
	return m;
}

/* numpy's result dtype (NEP 50 for K), or SHMX_DTYPE_COUNT for "refused"
 * (an integer K that is not a value of the integer dtype). */
static enum shmx_dtype map_out_dtype(const struct mspec *m, enum shmx_dtype t)
{
	int small = t == SHMX_I8 || t == SHMX_U8 || t == SHMX_I16 ||
		    t == SHMX_U16;

	switch (m->op) {
	case M_SQRT:
	case M_EXP:
	case M_LOG:
		return t == SHMX_F32 || small ? SHMX_F32 : SHMX_F64;
	case M_SCALE:
	case M_ADD:
		if (is_flt(t))
			return t;
		if (!m->k_int[0])
			return SHMX_F64;
		return m->ki[0] >= int_min(t) && m->ki[0] <= int_max(t)
			       ? t
			       : SHMX_DTYPE_COUNT;
	case M_CLIP:
		return is_flt(t) || (m->k_int[0] && m->k_int[1]) ? t : SHMX_F64;
	case M_CAST:
		return m->to;
	default:
		return t;
	}
}

static __int128 clamp_int(__int128 v, __int128 lo, __int128 hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Float -> integer as shmx documents it: NaN 0, else truncate and
 * saturate. */
static __int128 saturate(long double v, enum shmx_dtype to)
{
	if (isnan(v))
		return 0;
	v = truncl(v);
	if (v < (long double)int_min(to))
		return int_min(to);
	if (v > (long double)int_max(to))
		return int_max(to);
	return (__int128)v;
}

static void ref_map_int(const struct mspec *m, enum shmx_dtype t,
			enum shmx_dtype ot, const void *in, uint64_t i,
			void *out)
{
	__int128 x = is_flt(t) ? 0 : get_int(t, in, i), r = 0;
	unsigned __int128 ux = (unsigned __int128)x;

	switch (m->op) {
	case M_SQUARE:
		r = (__int128)(ux * ux);
		break;
	case M_ABS:
		r = x < 0 ? -x : x;
		break;
	case M_NEG:
		r = -x;
		break;
	case M_SCALE:
		r = (__int128)(ux * (unsigned __int128)(__int128)m->ki[0]);
		break;
	case M_ADD:
		r = x + m->ki[0];
		break;
	case M_CLIP:
		r = clamp_int(x, clamp_int(m->ki[0], int_min(t), int_max(t)),
			      clamp_int(m->ki[1], int_min(t), int_max(t)));
		break;
	case M_CAST:
		r = is_flt(t) ? saturate(get_flt(t, in, i), ot) : x;
		break;
	default:
		cr_assert_fail("no integer result for op %d", (int)m->op);
	}
	put_int(ot, out, i, wrap(ot, r));
}

static float ref_map_f32(const struct mspec *m, float v)
{
	float lo = (float)m->kf[0], hi = (float)m->kf[1];

	switch (m->op) {
	case M_SQUARE: return v * v;
	case M_SQRT: return sqrtf(v);
	case M_ABS: return fabsf(v);
	case M_NEG: return -v;
	case M_EXP: return expf(v);
	case M_LOG: return logf(v);
	case M_SCALE: return v * (float)m->kf[0];
	case M_ADD: return v + (float)m->kf[0];
	case M_CLIP: return v < lo ? lo : v > hi ? hi : v;
	default: return v; /* cast */
	}
}

static double ref_map_f64(const struct mspec *m, double v)
{
	double lo = m->kf[0], hi = m->kf[1];

	switch (m->op) {
	case M_SQUARE: return v * v;
	case M_SQRT: return sqrt(v);
	case M_ABS: return fabs(v);
	case M_NEG: return -v;
	case M_EXP: return exp(v);
	case M_LOG: return log(v);
	case M_SCALE: return v * m->kf[0];
	case M_ADD: return v + m->kf[0];
	case M_CLIP: return v < lo ? lo : v > hi ? hi : v;
	default: return v; /* cast */
	}
}

static void ref_map(const struct mspec *m, enum shmx_dtype t,
		    enum shmx_dtype ot, const void *in, uint64_t n, void *out)
{
	for (uint64_t i = 0; i < n; i++) {
		long double v = get_flt(t, in, i);

		if (!is_flt(ot))
			ref_map_int(m, t, ot, in, i, out);
		else if (ot == SHMX_F32) /* one rounding from the exact v */
			put_f32(out, i, ref_map_f32(m, (float)v));
		else
			put_f64(out, i, ref_map_f64(m, (double)v));
	}
}

/* Element i of a and b agree: same bits, or both NaN. */
static int same_elem(enum shmx_dtype t, const void *a, const void *b,
		     uint64_t i)
{
	size_t sz = tsize(t);

	if (memcmp((const char *)a + i * sz, (const char *)b + i * sz, sz) == 0)
		return 1;
	return is_flt(t) && isnan(get_flt(t, a, i)) && isnan(get_flt(t, b, i));
}

/* The map applied in place: out and in the same memory, as --in-place. */
static void run_in_place(const struct tjob *job, void *buf, uint64_t k)
{
	size_t rb = job->cols * tsize(job->in_dtype);

	for (uint64_t row0 = 0; row0 < job->rows; row0 += k) {
		uint64_t nr = job->rows - row0 < k ? job->rows - row0 : k;

		(void)rb;
		run_chunk(job, buf, row0 / k, row0, nr, buf, NULL);
	}
}

static const struct config map_shapes[] = {
	{ { 2, { 0, 5 } }, "0x5" },   { { 2, { 4, 0 } }, "4x0" },
	{ { 2, { 1, 1 } }, "1x1" },   { { 2, { 7, 13 } }, "7x13" },
	{ { 2, { 101, 3 } }, "101x3" }, { { 1, { 17, 0 } }, "17" },
	{ { 1, { 1000, 0 } }, "1000" }, { { 0, { 0, 0 } }, "()" },
};

static void check_map_input(const char *spec, enum shmx_dtype t,
			    const struct config *cf, enum variant v)
{
	struct mspec m = read_spec(spec);
	enum shmx_dtype ot = map_out_dtype(&m, t);
	uint64_t rows = cf->shape.ndim ? cf->shape.dim[0] : 1;
	uint64_t cols = cf->shape.ndim == 2 ? cf->shape.dim[1] : 1;
	uint64_t n = rows * cols, ks[4];
	struct tjob job;
	struct shmx_error err = { 0, "" };
	void *in, *want;
	int rc = job_prepare(&job, spec, -1, t, &cf->shape, &err);

	if (ot == SHMX_DTYPE_COUNT) {
		cr_assert_eq(rc, SHMX_EOP, "%s on %s", spec, shmx_dtype_name(t));
		return;
	}
	cr_assert_eq(rc, 0, "%s on %s: %s", spec, shmx_dtype_name(t), err.msg);
	cr_assert_eq(job.out_dtype, ot, "%s on %s", spec, shmx_dtype_name(t));
	cr_assert_eq(job.kernel->merge, NULL);
	cr_assert_eq(job.partial_bytes, 0);
	cr_assert_eq(job.out_shape.ndim, cf->shape.ndim);
	in = make_input(t, rows, cols, v);
	want = malloc(n * tsize(ot) + 1);
	ref_map(&m, t, ot, in, n, want);
	chunk_sizes(rows, ks);
	for (int ki = 0; ki < 4; ki++) {
		char *got = run_job(&job, in, ks[ki], (uint64_t)ki);

		for (uint64_t i = 0; i < n; i++)
			cr_assert(same_elem(ot, got, want, i),
				  "%s on %s %s variant %d k %llu: element "
				  "%llu: got %.17Lg, want %.17Lg",
				  spec, shmx_dtype_name(t), cf->name, (int)v,
				  (unsigned long long)ks[ki],
				  (unsigned long long)i, get_flt(ot, got, i),
				  get_flt(ot, want, i));
		free(got);
	}
	if (ot == t) {
		char *buf = malloc(n * tsize(t) + 1);

		memcpy(buf, in, n * tsize(t));
		run_in_place(&job, buf, ks[1]);
		for (uint64_t i = 0; i < n; i++)
			cr_assert(same_elem(t, buf, want, i),
				  "%s on %s in place: element %llu", spec,
				  shmx_dtype_name(t), (unsigned long long)i);
		free(buf);
	}
	free(want);
	free(in);
}

static void check_map(const struct op_ref *r)
{
	for (size_t s = 0; r->specs[s]; s++)
		for (size_t d = 0; d < NDTYPES; d++)
			for (size_t c = 0;
			     c < sizeof(map_shapes) / sizeof(*map_shapes); c++)
				for (int v = V_SMALL; v <= V_SPECIAL; v++)
					check_map_input(r->specs[s],
							all_dtypes[d],
							&map_shapes[c],
							(enum variant)v);
}

/* Each op of the registry's list against its reference, in its own
 * process (a test per op would be a line per op here). */
static void check_listed(int maps)
{
	for (size_t n = 0; shmx__op_names[n]; n++) {
		const char *name = shmx__op_names[n];
		const struct op_ref *r = find_ref(name, strlen(name));

		cr_assert_not_null(r, "%s has no reference entry", name);
		if (maps && r->mop != M_NONE)
			check_map(r);
		else if (!maps && r->rop != R_COUNT)
			check_reduction(r->rop);
	}
}

Test(kernels, every_map_matches_its_reference_in_and_out_of_place)
{
	check_listed(1);
}

Test(kernels, every_reduction_matches_reference_for_every_dtype_and_axis)
{
	check_listed(0);
}

/* ---- semantics, one example at a time ---------------------------------- */

/* Run op on data (k rows a chunk); the job in *job, the output returned. */
static void *run_op(struct tjob *job, const char *op, int axis,
		    enum shmx_dtype t, struct shmx_shape shape,
		    const void *data, uint64_t k)
{
	struct shmx_error err = { 0, "" };
	int rc = job_prepare(job, op, axis, t, &shape, &err);

	cr_assert_eq(rc, 0, "%s: %s", op, err.msg);
	return run_job(job, data, k, 3);
}

/* The scalar result of op over a 1-D f64 array, for each chunk size. */
static void expect_f64(const char *op, const double *x, uint64_t n,
		       double want)
{
	for (uint64_t k = 1; k <= n; k++) {
		struct tjob job;
		char *out = run_op(&job, op, -1, SHMX_F64,
				   (struct shmx_shape){ 1, { n, 0 } }, x, k);
		double got = job.out_dtype == SHMX_I64 ? (double)*(int64_t *)out
						       : *(double *)out;

		if (isnan(want))
			cr_assert(isnan(got), "%s k %llu: got %.17g, want nan",
				  op, (unsigned long long)k, got);
		else
			cr_assert(got == want ||
					  fabs(got - want) <= 1e-15 * fabs(want),
				  "%s k %llu: got %.17g, want %.17g", op,
				  (unsigned long long)k, got, want);
		free(out);
	}
}

Test(kernels, nan_propagates_and_the_nan_ops_skip_it)
{
	static const double x[] = { 1, NAN, 3, NAN, -2 };

	expect_f64("sum", x, 5, NAN);
	expect_f64("sumsq", x, 5, NAN);
	expect_f64("mean", x, 5, NAN);
	expect_f64("var", x, 5, NAN);
	expect_f64("std", x, 5, NAN);
	expect_f64("min", x, 5, NAN);
	expect_f64("max", x, 5, NAN);
	expect_f64("argmin", x, 5, 1); /* the first NaN, as numpy */
	expect_f64("argmax", x, 5, 1);
	expect_f64("nansum", x, 5, 2);
	expect_f64("nanmean", x, 5, 2.0 / 3);
	expect_f64("nanmin", x, 5, -2);
	expect_f64("nanmax", x, 5, 3);
	expect_f64("nanvar", x, 5, 114.0 / 27);
	expect_f64("nanstd", x, 5, sqrt(114.0 / 27));
}

Test(kernels, infinities_sum_and_compare_as_in_numpy)
{
	static const double a[] = { INFINITY, 1 }, b[] = { INFINITY, -INFINITY };
	static const double c[] = { NAN, -INFINITY, 2 };

	expect_f64("sum", a, 2, INFINITY);
	expect_f64("mean", a, 2, INFINITY);
	expect_f64("var", a, 2, NAN);
	expect_f64("max", a, 2, INFINITY);
	expect_f64("argmax", a, 2, 0);
	expect_f64("sum", b, 2, NAN);
	expect_f64("min", b, 2, -INFINITY);
	expect_f64("nanmin", c, 3, -INFINITY);
	expect_f64("nansum", c, 3, -INFINITY);
	expect_f64("argmin", c, 3, 0);
}

Test(kernels, all_nan_slices_give_nan_and_nansum_gives_zero)
{
	static const float x[] = { NAN, NAN, NAN, 4, NAN, 6 };
	static const char *const ops[] = { "nanmin", "nanmax", "nanmean",
					   "nanvar", "nanstd" };
	struct shmx_shape s = { 2, { 2, 3 } };
	struct tjob job;
	float *out;

	for (size_t i = 0; i < sizeof(ops) / sizeof(*ops); i++) {
		out = run_op(&job, ops[i], 1, SHMX_F32, s, x, 1);
		cr_assert(isnan(out[0]), "%s of an all-NaN row", ops[i]);
		cr_assert(!isnan(out[1]), "%s of a row with numbers", ops[i]);
		free(out);
		out = run_op(&job, ops[i], 0, SHMX_F32, s, x, 1);
		cr_assert(isnan(out[1]), "%s of an all-NaN column", ops[i]);
		cr_assert(!isnan(out[0]) && !isnan(out[2]), "%s", ops[i]);
		free(out);
	}
	out = run_op(&job, "nansum", 1, SHMX_F32, s, x, 2);
	cr_assert(out[0] == 0 && out[1] == 10);
	free(out);
	out = run_op(&job, "nanmax", -1, SHMX_F32, s, x, 1);
	cr_assert(out[0] == 6);
	free(out);
}

Test(kernels, integer_sums_wrap_modulo_2_to_the_64_as_numpy)
{
	static const uint64_t u[] = { UINT64_MAX, 2 }, big[] = { 1ull << 32 };
	static const int64_t i[] = { INT64_MAX, 1 }, sq[] = { INT64_MAX, 3 };
	static const int32_t i32[] = { INT32_MIN };
	int8_t i8[1000];
	uint8_t u8[1000];
	struct tjob job;
	void *out;

	memset(i8, 0x80, sizeof(i8)); /* -128 */
	memset(u8, 0xff, sizeof(u8));
	out = run_op(&job, "sum", -1, SHMX_U64, (struct shmx_shape){ 1, { 2 } }, u, 1);
	cr_assert_eq(*(uint64_t *)out, 1);
	free(out);
	out = run_op(&job, "sum", -1, SHMX_I64, (struct shmx_shape){ 1, { 2 } }, i, 1);
	cr_assert_eq(*(int64_t *)out, INT64_MIN);
	free(out);
	out = run_op(&job, "sumsq", -1, SHMX_I64, (struct shmx_shape){ 1, { 2 } }, sq, 2);
	cr_assert_eq(*(int64_t *)out, 10); /* (2^63-1)^2 == 1 mod 2^64 */
	free(out);
	out = run_op(&job, "sumsq", -1, SHMX_U64, (struct shmx_shape){ 1, { 1 } }, big, 1);
	cr_assert_eq(*(uint64_t *)out, 0);
	free(out);
	/* squares of small ints are taken in i64: no wrap at 8 bits */
	out = run_op(&job, "sumsq", -1, SHMX_I8, (struct shmx_shape){ 1, { 1000 } }, i8, 7);
	cr_assert_eq(job.out_dtype, SHMX_I64);
	cr_assert_eq(*(int64_t *)out, 16384000);
	free(out);
	out = run_op(&job, "sumsq", 0, SHMX_I8, (struct shmx_shape){ 2, { 100, 10 } }, i8, 7);
	cr_assert_eq(((int64_t *)out)[9], 1638400);
	free(out);
	out = run_op(&job, "sum", 1, SHMX_U8, (struct shmx_shape){ 2, { 2, 500 } }, u8, 1);
	cr_assert_eq(job.out_dtype, SHMX_U64);
	cr_assert_eq(((uint64_t *)out)[1], 127500);
	free(out);
	out = run_op(&job, "sumsq", -1, SHMX_I32, (struct shmx_shape){ 1, { 1 } }, i32, 1);
	cr_assert_eq(*(int64_t *)out, INT64_C(1) << 62);
	free(out);
}

Test(kernels, integer_maps_wrap_as_numpy)
{
	static const int8_t sq[] = { -128, 127, 16, -3 }, ab[] = { -128, -5, 5 };
	static const uint8_t ng[] = { 1, 0, 255 };
	static const int32_t ad[] = { INT32_MAX };
	static const uint16_t sc[] = { 40000 };
	static const int16_t sn[] = { -32768 };
	static const int64_t a64[] = { INT64_MIN };
	struct tjob job;
	void *out;

	out = run_op(&job, "square", -1, SHMX_I8, (struct shmx_shape){ 1, { 4 } }, sq, 3);
	cr_assert(!memcmp(out, (int8_t[]){ 0, 1, 0, 9 }, 4));
	free(out);
	out = run_op(&job, "abs", -1, SHMX_I8, (struct shmx_shape){ 1, { 3 } }, ab, 3);
	cr_assert(!memcmp(out, (int8_t[]){ -128, 5, 5 }, 3));
	free(out);
	out = run_op(&job, "abs", -1, SHMX_I64, (struct shmx_shape){ 1, { 1 } }, a64, 1);
	cr_assert_eq(*(int64_t *)out, INT64_MIN);
	free(out);
	out = run_op(&job, "neg", -1, SHMX_U8, (struct shmx_shape){ 1, { 3 } }, ng, 1);
	cr_assert(!memcmp(out, (uint8_t[]){ 255, 0, 1 }, 3));
	free(out);
	out = run_op(&job, "add:1", -1, SHMX_I32, (struct shmx_shape){ 1, { 1 } }, ad, 1);
	cr_assert_eq(*(int32_t *)out, INT32_MIN);
	free(out);
	out = run_op(&job, "scale:2", -1, SHMX_U16, (struct shmx_shape){ 1, { 1 } }, sc, 1);
	cr_assert_eq(job.out_dtype, SHMX_U16);
	cr_assert_eq(*(uint16_t *)out, 14464);
	free(out);
	out = run_op(&job, "scale:-1", -1, SHMX_I16, (struct shmx_shape){ 1, { 1 } }, sn, 1);
	cr_assert_eq(*(int16_t *)out, -32768);
	free(out);
	out = run_op(&job, "scale:0.5", -1, SHMX_I16, (struct shmx_shape){ 1, { 1 } }, sn, 1);
	cr_assert_eq(job.out_dtype, SHMX_F64);
	cr_assert(*(double *)out == -16384.0);
	free(out);
}

Test(kernels, cast_saturates_floats_and_wraps_integers)
{
	static const double f[] = { NAN, 1e300, -1e300, 127.9, -128.9, -0.5,
				    INFINITY, -INFINITY, 42.7 };
	static const double fu[] = { 0x1p64, -1, 1.8e19, INFINITY, 0x1p63 };
	static const double fi[] = { 0x1p63, -0x1p63, NAN, 9.2e18 };
	static const float f32[] = { -1, 255.9f, 256, NAN };
	static const int16_t i16[] = { -1, 300, 256 };
	static const uint64_t u64[] = { 255, 128 };
	static const double big[] = { 1e300, -1e300, 0.1 };
	static const int64_t i64[] = { (INT64_C(1) << 53) + 1 };
	struct tjob job;
	void *out;

	out = run_op(&job, "cast:i8", -1, SHMX_F64, (struct shmx_shape){ 1, { 9 } }, f, 2);
	cr_assert(!memcmp(out, (int8_t[]){ 0, 127, -128, 127, -128, 0, 127, -128, 42 }, 9));
	free(out);
	out = run_op(&job, "cast:u64", -1, SHMX_F64, (struct shmx_shape){ 1, { 5 } }, fu, 2);
	cr_assert(!memcmp(out, (uint64_t[]){ UINT64_MAX, 0, 18000000000000000000ull,
					     UINT64_MAX, 1ull << 63 }, 40));
	free(out);
	out = run_op(&job, "cast:i64", -1, SHMX_F64, (struct shmx_shape){ 1, { 4 } }, fi, 2);
	cr_assert(!memcmp(out, (int64_t[]){ INT64_MAX, INT64_MIN, 0,
					    9200000000000000000 }, 32));
	free(out);
	out = run_op(&job, "cast:u8", -1, SHMX_F32, (struct shmx_shape){ 1, { 4 } }, f32, 2);
	cr_assert(!memcmp(out, (uint8_t[]){ 0, 255, 255, 0 }, 4));
	free(out);
	out = run_op(&job, "cast:uint8", -1, SHMX_I16, (struct shmx_shape){ 1, { 3 } }, i16, 2);
	cr_assert(!memcmp(out, (uint8_t[]){ 255, 44, 0 }, 3));
	free(out);
	out = run_op(&job, "cast:i8", -1, SHMX_U64, (struct shmx_shape){ 1, { 2 } }, u64, 2);
	cr_assert(!memcmp(out, (int8_t[]){ -1, -128 }, 2));
	free(out);
	out = run_op(&job, "cast:f32", -1, SHMX_F64, (struct shmx_shape){ 1, { 3 } }, big, 2);
	cr_assert(((float *)out)[0] == INFINITY && ((float *)out)[1] == -INFINITY);
	cr_assert(((float *)out)[2] == 0.1f);
	free(out);
	out = run_op(&job, "cast:f64", -1, SHMX_I64, (struct shmx_shape){ 1, { 1 } }, i64, 1);
	cr_assert(*(double *)out == 0x1p53);
	free(out);
}

Test(kernels, clip_saturates_integer_bounds_and_keeps_nan)
{
	static const uint8_t u8[] = { 0, 7, 255 };
	static const int8_t i8[] = { -128, 0, 100 };
	static const double f[] = { NAN, -1, 2, 0.5 };
	static const int32_t i32[] = { 0, 1, 3 };
	struct tjob job;
	void *out;

	out = run_op(&job, "clip:-1:300", -1, SHMX_U8, (struct shmx_shape){ 1, { 3 } }, u8, 1);
	cr_assert_eq(job.out_dtype, SHMX_U8);
	cr_assert(!memcmp(out, u8, 3));
	free(out);
	out = run_op(&job, "clip:-1000:5", -1, SHMX_I8, (struct shmx_shape){ 1, { 3 } }, i8, 1);
	cr_assert(!memcmp(out, (int8_t[]){ -128, 0, 5 }, 3));
	free(out);
	out = run_op(&job, "clip:0:1", -1, SHMX_F64, (struct shmx_shape){ 1, { 4 } }, f, 1);
	cr_assert(isnan(((double *)out)[0]));
	cr_assert(!memcmp((double *)out + 1, (double[]){ 0, 1, 0.5 }, 24));
	free(out);
	out = run_op(&job, "clip:0.5:2.5", -1, SHMX_I32, (struct shmx_shape){ 1, { 3 } }, i32, 1);
	cr_assert_eq(job.out_dtype, SHMX_F64);
	cr_assert(!memcmp(out, (double[]){ 0.5, 1, 2.5 }, 24));
	free(out);
}

Test(kernels, small_integer_sqrt_is_f32_where_numpy_would_give_f16)
{
	static const uint8_t x[] = { 0, 4, 255 };
	struct tjob job;
	float *out = run_op(&job, "sqrt", -1, SHMX_U8,
			    (struct shmx_shape){ 1, { 3 } }, x, 1);

	cr_assert_eq(job.out_dtype, SHMX_F32);
	cr_assert(out[0] == 0 && out[1] == 2 && out[2] == sqrtf(255));
	free(out);
}

/* ---- accuracy ---------------------------------------------------------- */

Test(kernels, sum_of_a_million_tenths_is_accurate)
{
	enum { N = 1000000 };
	double *x = malloc(N * sizeof(*x));
	float *y = malloc(N * sizeof(*y));
	long double want = 0, wantf = 0;
	struct tjob job;
	double *out;
	float *outf;

	for (int i = 0; i < N; i++) {
		x[i] = 0.1;
		y[i] = 0.1f;
		want += x[i];
		wantf += y[i];
	}
	/* a naive f64 loop is off by ~1e-11 relative here */
	out = run_op(&job, "sum", -1, SHMX_F64, (struct shmx_shape){ 1, { N } }, x, 65536);
	cr_assert(fabsl(*out - want) <= 1e-14L * want, "%.17g", *out);
	free(out);
	out = run_op(&job, "sum", 0, SHMX_F64, (struct shmx_shape){ 2, { N / 2, 2 } }, x, N / 2);
	cr_assert(fabsl(out[1] - want / 2) <= 1e-14L * want, "%.17g", out[1]);
	free(out);
	out = run_op(&job, "mean", 1, SHMX_F64, (struct shmx_shape){ 2, { 2, N / 2 } }, x, 1);
	cr_assert(fabsl(out[1] - want / N) <= 1e-15L, "%.17g", out[1]);
	free(out);
	outf = run_op(&job, "sum", -1, SHMX_F32, (struct shmx_shape){ 1, { N } }, y, 65536);
	cr_assert(fabsl(*outf - wantf) <= 1e-7L * wantf, "%.9g", *outf);
	free(outf);
	free(x);
	free(y);
}

/* var of 1e9 + noise: a naive sum of squares loses every digit here. */
Test(kernels, variance_of_a_large_offset_is_accurate)
{
	enum { N = 1000000, C = 10 };
	double *x = malloc(N * sizeof(*x));
	long double m = 0, v = 0, mc[C] = { 0 }, vc[C] = { 0 };
	struct tjob job;
	double *out;

	for (int i = 0; i < N; i++) {
		x[i] = 1e9 + rnd_unit() - 0.5;
		m += x[i];
		mc[i % C] += x[i];
	}
	m /= N;
	for (int c = 0; c < C; c++)
		mc[c] /= N / C;
	for (int i = 0; i < N; i++) {
		v += (x[i] - m) * (x[i] - m);
		vc[i % C] += (x[i] - mc[i % C]) * (x[i] - mc[i % C]);
	}
	v /= N;
	out = run_op(&job, "var", -1, SHMX_F64, (struct shmx_shape){ 1, { N } }, x, 100003);
	cr_assert(fabsl(*out - v) <= 1e-12L * v, "%.17g vs %.17Lg", *out, v);
	free(out);
	out = run_op(&job, "var", 0, SHMX_F64, (struct shmx_shape){ 2, { N / C, C } }, x, 7777);
	for (int c = 0; c < C; c++)
		cr_assert(fabsl(out[c] - vc[c] / (N / C)) <= 1e-12L * v,
			  "column %d: %.17g", c, out[c]);
	free(out);
	out = run_op(&job, "std", 1, SHMX_F64, (struct shmx_shape){ 2, { 1, N } }, x, 1);
	cr_assert(fabsl(*out - sqrtl(v)) <= 1e-12L * sqrtl(v), "%.17g", *out);
	free(out);
	free(x);
}
