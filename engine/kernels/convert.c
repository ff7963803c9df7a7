/* engine/kernels/convert.c - the maps that convert and saturate: clip and
 * cast.
 *
 * clip:LO:HI   LO <= HI (else SHMX_EOP).  x < LO gives LO, x > HI gives
 *              HI, anything else (NaN included: no comparison holds)
 *              stays.  Floats keep their dtype (bounds rounded to it, as
 *              numpy does).  Integer bounds on an integer array keep its
 *              dtype, each bound saturated to the dtype's range (clip:-1:300
 *              on u8 is clip:0:255); a bound that is not an integer literal
 *              makes the result f64, as numpy's.
 *
 * cast:DTYPE   a C conversion, except where C has none:
 *              - integer -> integer wraps modulo 2^bits (numpy's astype),
 *                done through uint64_t, which is defined for every value;
 *              - float -> integer of NaN or of a value outside the target's
 *                range is UB in C, and numpy's result there is whatever the
 *                CPU gives.  shmx saturates: NaN -> 0, below the range ->
 *                its minimum, above -> its maximum (so +inf -> max).  In
 *                range it truncates toward zero, as C and numpy do;
 *              - f64 -> f32 out of range gives +-inf (IEEE), as numpy's.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3") /* -O2 (RelWithDebInfo) vectorises too little */
#endif

#include "kernels/args.h"
#include "base/internal.h"
#include "kernels/map.h"
#include "kernels/ops.h"

/* ---- clip --------------------------------------------------------------- */

/* clip's element for an integer array's float bounds (map_tmpl.h's
 * clamp_<SFX> for f64 comes after the integers' loops) */
static inline double clamp_f64_(double v, double lo, double hi)
{
	if (v < lo)
		return lo;
	if (v > hi)
		return hi;
	return v;
}

/* sat_<sfx>, then the loops per input dtype (map_tmpl.h): clip_int_<sfx>,
 * clip_flt_<sfx>, cast_<sfx>_<out>. */
#define SHMX__TEMPLATE "kernels/map_tmpl.h"
#define SHMX__MAP_SAT
#include "kernels/each_int.h"
#undef SHMX__MAP_SAT
#define SHMX__MAP_CONVERT
#include "kernels/each_int.h"
#include "kernels/each_float.h"
#undef SHMX__MAP_CONVERT
#undef SHMX__TEMPLATE

SHMX__MAP_FNS_INT(clip_int);
SHMX__MAP_FNS(clip_flt);

/* LO <= HI: exactly for int64 literals, as doubles otherwise (false for
 * a NaN bound). */
static int bounds_ordered(const struct shmx__opargs *a)
{
	if (a->is_int[0] == SHMX__ARG_INT && a->is_int[1] == SHMX__ARG_INT)
		return a->i[0] <= a->i[1];
	return a->f[0] <= a->f[1];
}

static int clip_prepare(struct shmx__kstate *job, struct shmx_error *err)
{
	const struct shmx__opargs *a = &job->args;
	char lo[64], hi[64];

	if (!bounds_ordered(a)) {
		shmx__arg_format(a, 0, lo, sizeof(lo));
		shmx__arg_format(a, 1, hi, sizeof(hi));
		return shmx__fail(err, SHMX_EOP,
				  "operation 'clip': LO (%s) must not be "
				  "greater than HI (%s)",
				  lo, hi);
	}
	if (shmx_dtype_is_float(job->in_dtype) ||
	    (a->is_int[0] && a->is_int[1]))
		return shmx__map_set_out(job, job->in_dtype);
	return shmx__map_set_out(job, SHMX_F64);
}

static void clip_chunk(const struct shmx__kstate *job, const void *in,
		       uint64_t row0, uint64_t nrows, void *out, void *partial)
{
	int keep_int = !shmx_dtype_is_float(job->out_dtype);

	(void)row0;
	(void)partial;
	shmx__map_apply(keep_int ? clip_int_fns[job->in_dtype]
				 : clip_flt_fns[job->in_dtype],
			job, in, nrows, out);
}

/* ---- cast --------------------------------------------------------------- */

/* cast_fns[in][out]: map_tmpl.h's row cast_row_<in> of the loops
 * cast_<in>_<out> */
static shmx__map_fn *const (*const cast_fns[SHMX_DTYPE_COUNT])
	[SHMX_DTYPE_COUNT] = {
	SHMX__TABLE_INT(cast_row) SHMX__TABLE_FLOAT(cast_row)
};

static int cast_prepare(struct shmx__kstate *job, struct shmx_error *err)
{
	(void)err;
	return shmx__map_set_out(job, job->args.to);
}

static void cast_chunk(const struct shmx__kstate *job, const void *in,
		       uint64_t row0, uint64_t nrows, void *out, void *partial)
{
	(void)row0;
	(void)partial;
	shmx__map_apply((*cast_fns[job->in_dtype])[job->out_dtype], job, in,
			nrows, out);
}

SHMX__MAP_KERNEL(clip, 2, 0);
SHMX__MAP_KERNEL(cast, 1, 1);
