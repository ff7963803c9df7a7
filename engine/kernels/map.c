/* engine/kernels/map.c - the arithmetic element-wise maps, and what every
 * map shares (map.h).  clip and cast, which saturate, are in convert.c.
 *
 * Result dtypes (numpy's, a Python scalar K read the NEP 50 way):
 *   square abs neg   keep the dtype; integers wrap as numpy's do:
 *                    abs(INT_MIN) == INT_MIN, neg of an unsigned wraps.
 *   sqrt exp log     f32 -> f32, f64 -> f64; i16 u16 -> f32 (numpy's
 *                    float32); i32 u32 i64 u64 -> f64; i8 u8 -> f32 where
 *                    numpy gives float16, which shmx does not have.
 *                    Computed in the result type (sqrtf for f32).
 *   scale:K add:K    a*K, a+K.  An integer literal K on an integer array
 *                    keeps the dtype and wraps; K must be a value of that
 *                    dtype (else SHMX_EOP).  Otherwise the result is a
 *                    float: f32 stays f32 (K rounded to f32, as numpy
 *                    does), every other dtype gives f64.
 *
 * Integer arithmetic is done in an unsigned type U (signed overflow is UB
 * in C; unsigned arithmetic wraps) and converted back to the signed type,
 * which gcc defines as reduction modulo 2^N.  U is unsigned int below 64
 * bits, so that uint16_t * uint16_t is not promoted to a signed int.
 *
 * sqrt, exp and log stay scalar libm calls: without -ffast-math gcc has no
 * vector exp/log, and sqrt keeps its errno path (-fno-math-errno cannot be
 * set per file: gcc ignores it in #pragma GCC optimize).
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3") /* -O2 (RelWithDebInfo) vectorises too little */
#endif

#include <math.h>

#include "kernels/args.h"
#include "base/internal.h"
#include "kernels/map.h"
#include "kernels/ops.h"

void shmx__map_apply(shmx__map_fn *fn, const struct shmx__kstate *job,
		     const void *in_rows, uint64_t nrows, void *out)
{
	fn(job, in_rows, out, nrows * job->cols);
}

int shmx__map_kprepare(struct shmx_kernel_call *c, const char *name,
		       int is_dtype,
		       int (*prepare)(struct shmx__kstate *, struct shmx_error *),
		       struct shmx_error *err)
{
	struct shmx__kstate *job = shmx__kstate_of(c);
	int rc = shmx__kstate_init(c, name, err);

	if (!rc)
		rc = shmx__args_read(name, is_dtype, c->nargs, c->args,
				     &job->args, err);
	if (!rc)
		rc = prepare(job, err);
	if (!rc)
		shmx__kstate_export(c, SHMX_KERNEL_MAP);
	return rc;
}

int shmx__map_set_out(struct shmx__kstate *job, enum shmx_dtype t)
{
	job->out_dtype = t;
	job->out_shape = job->in_shape;
	job->partial_bytes = 0;
	return 0;
}

/* The loops, per input dtype (map_tmpl.h): square_<sfx>, neg_, abs_,
 * sqrt_, exp_, log_, scale_int_, add_int_, scale_flt_, add_flt_. */
#define SHMX__TEMPLATE "kernels/map_tmpl.h"
#define SHMX__MAP_ARITH
#include "kernels/each_int.h"
#include "kernels/each_float.h"
#undef SHMX__MAP_ARITH
#undef SHMX__TEMPLATE

SHMX__MAP_FNS(square);
SHMX__MAP_FNS(abs);
SHMX__MAP_FNS(neg);

/* ---- sqrt, exp, log: a float result ------------------------------------ */

/* The float dtype of sqrt/exp/log of t: f32 for f32 and up to 16-bit
 * integers (exact in f32's 24-bit mantissa), f64 for the rest. */
static enum shmx_dtype float_of(enum shmx_dtype t)
{
	switch (t) {
	case SHMX_I8: case SHMX_U8: case SHMX_I16: case SHMX_U16:
	case SHMX_F32:
		return SHMX_F32;
	default:
		return SHMX_F64;
	}
}

SHMX__MAP_FNS(sqrt);
SHMX__MAP_FNS(exp);
SHMX__MAP_FNS(log);

/* ---- scale:K, add:K ---------------------------------------------------- */

SHMX__MAP_FNS_INT(scale_int);
SHMX__MAP_FNS_INT(add_int);
SHMX__MAP_FNS(scale_flt);
SHMX__MAP_FNS(add_flt);

/* ---- prepare and chunk ------------------------------------------------- */

static int same_prepare(struct shmx__kstate *job, struct shmx_error *err)
{
	(void)err;
	return shmx__map_set_out(job, job->in_dtype);
}

static int float_prepare(struct shmx__kstate *job, struct shmx_error *err)
{
	(void)err;
	return shmx__map_set_out(job, float_of(job->in_dtype));
}

static int arith_prepare(struct shmx__kstate *job, struct shmx_error *err)
{
	enum shmx_dtype t = job->in_dtype;
	char k[64];

	if (shmx_dtype_is_float(t))
		return shmx__map_set_out(job, t);
	if (!job->args.is_int[0])
		return shmx__map_set_out(job, SHMX_F64);
	if (!shmx__arg_fits(&job->args, 0, t)) {
		shmx__arg_format(&job->args, 0, k, sizeof(k));
		return shmx__fail(err, SHMX_EOP,
				  "operation '%s': %s is out of range for %s",
				  job->name, k, shmx_dtype_name(t));
	}
	return shmx__map_set_out(job, t);
}

/* The integer path when the result kept an integer dtype. */
static shmx__map_fn *arith_fn(const struct shmx__kstate *job,
			      shmx__map_fn *const *int_fns,
			      shmx__map_fn *const *flt_fns)
{
	if (!shmx_dtype_is_float(job->out_dtype))
		return int_fns[job->in_dtype];
	return flt_fns[job->in_dtype];
}

#define square_prepare same_prepare
#define abs_prepare same_prepare
#define neg_prepare same_prepare
#define sqrt_prepare float_prepare
#define exp_prepare float_prepare
#define log_prepare float_prepare
#define scale_prepare arith_prepare
#define add_prepare arith_prepare

/* id_chunk: the loop pick(job, id) gives, on the chunk (TABLE_FN: the
 * one of the input's dtype, ARITH_FN: arith_fn's) */
#define TABLE_FN(job, id) id##_fns[(job)->in_dtype]
#define ARITH_FN(job, id) arith_fn(job, id##_int_fns, id##_flt_fns)
#define DEFINE_CHUNK(id, pick)                                              \
	static void id##_chunk(const struct shmx__kstate *job, const void *in, \
			       uint64_t row0, uint64_t nrows, void *out,    \
			       void *partial)                               \
	{                                                                   \
		(void)row0;                                                 \
		(void)partial;                                              \
		shmx__map_apply(pick(job, id), job, in, nrows, out);        \
	}
DEFINE_CHUNK(square, TABLE_FN)
DEFINE_CHUNK(abs, TABLE_FN)
DEFINE_CHUNK(neg, TABLE_FN)
DEFINE_CHUNK(sqrt, TABLE_FN)
DEFINE_CHUNK(exp, TABLE_FN)
DEFINE_CHUNK(log, TABLE_FN)
DEFINE_CHUNK(scale, ARITH_FN)
DEFINE_CHUNK(add, ARITH_FN)

SHMX__MAP_KERNEL(square, 0, 0);
SHMX__MAP_KERNEL(abs, 0, 0);
SHMX__MAP_KERNEL(neg, 0, 0);
SHMX__MAP_KERNEL(sqrt, 0, 0);
SHMX__MAP_KERNEL(exp, 0, 0);
SHMX__MAP_KERNEL(log, 0, 0);
SHMX__MAP_KERNEL(scale, 1, 0);
SHMX__MAP_KERNEL(add, 1, 0);
