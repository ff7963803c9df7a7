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

#define CLAMP(v, lo, hi) ((v) < (lo) ? (lo) : (v) > (hi) ? (hi) : (v))

/* Integer bounds on an integer array, saturated to T by prepare's rules. */
#define DEFINE_CLIP_INT(E, sfx, T)                                          \
	SHMX__DEFINE_MAP(clip_int_##sfx, T, T,                              \
			 const T lo = (T)shmx__arg_saturate(&job->args, 0,  \
							    E);             \
			 const T hi = (T)shmx__arg_saturate(&job->args, 1,  \
							    E),             \
			 CLAMP(v, lo, hi))
/* Float bounds: f32 for f32, f64 for everything else. */
#define DEFINE_CLIP_F64(E, sfx, T)                                          \
	SHMX__DEFINE_MAP(clip_flt_##sfx, T, double,                         \
			 const double lo = job->args.f[0];                  \
			 const double hi = job->args.f[1],                  \
			 CLAMP((double)v, lo, hi))
SHMX__INT(DEFINE_CLIP_INT)
SHMX__INT(DEFINE_CLIP_F64)
DEFINE_CLIP_F64(SHMX_F64, f64, double)
SHMX__DEFINE_MAP(clip_flt_f32, float, float,
		 const float lo = (float)job->args.f[0];
		 const float hi = (float)job->args.f[1], CLAMP(v, lo, hi))

static shmx__map_fn *const clip_int_fns[SHMX_DTYPE_COUNT] = {
	SHMX__TABLE_INT(clip_int)
};
static shmx__map_fn *const clip_flt_fns[SHMX_DTYPE_COUNT] = {
	SHMX__TABLE_INT(clip_flt) SHMX__TABLE_FLOAT(clip_flt)
};

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

/* X(sfx, T, min, max, 2^bits of the range: the first value above it).
 * The bounds are exact doubles (powers of two and their negatives). */
#define SAT_LIMITS(X)                                                       \
	X(i8, int8_t, INT8_MIN, INT8_MAX, 0x1p7)                            \
	X(i16, int16_t, INT16_MIN, INT16_MAX, 0x1p15)                       \
	X(i32, int32_t, INT32_MIN, INT32_MAX, 0x1p31)                       \
	X(i64, int64_t, INT64_MIN, INT64_MAX, 0x1p63)                       \
	X(u8, uint8_t, 0, UINT8_MAX, 0x1p8)                                 \
	X(u16, uint16_t, 0, UINT16_MAX, 0x1p16)                             \
	X(u32, uint32_t, 0, UINT32_MAX, 0x1p32)                             \
	X(u64, uint64_t, 0, UINT64_MAX, 0x1p64)

/* A double to T, saturating where C's conversion would be UB.  Below the
 * minimum (-2^(bits-1) or 0, exact) truncation toward zero could still
 * land in range only at the minimum itself, which saturation also gives. */
#define DEFINE_SAT(sfx, T, MIN, MAX, ABOVE)                                 \
	static inline T sat_##sfx(double v)                                 \
	{                                                                   \
		if (v != v)                                                 \
			return 0;                                           \
		if (v < (double)(MIN))                                      \
			return MIN;                                         \
		if (v >= (ABOVE))                                           \
			return MAX;                                         \
		return (T)v;                                                \
	}
SAT_LIMITS(DEFINE_SAT)

#define CONV_WRAP(v, osfx, TO) ((TO)(uint64_t)(v))
#define CONV_SAT(v, osfx, TO) (sat_##osfx((double)(v)))
#define CONV_FLOAT(v, osfx, TO) ((TO)(v))

/* Y(IE, isfx, TI, OE, osfx, TO, CONV): every output dtype for one input. */
#define TO_EACH(Y, IE, isfx, TI, INT_CONV)                                  \
	Y(IE, isfx, TI, SHMX_I8, i8, int8_t, INT_CONV)                      \
	Y(IE, isfx, TI, SHMX_I16, i16, int16_t, INT_CONV)                   \
	Y(IE, isfx, TI, SHMX_I32, i32, int32_t, INT_CONV)                   \
	Y(IE, isfx, TI, SHMX_I64, i64, int64_t, INT_CONV)                   \
	Y(IE, isfx, TI, SHMX_U8, u8, uint8_t, INT_CONV)                     \
	Y(IE, isfx, TI, SHMX_U16, u16, uint16_t, INT_CONV)                  \
	Y(IE, isfx, TI, SHMX_U32, u32, uint32_t, INT_CONV)                  \
	Y(IE, isfx, TI, SHMX_U64, u64, uint64_t, INT_CONV)                  \
	Y(IE, isfx, TI, SHMX_F32, f32, float, CONV_FLOAT)                   \
	Y(IE, isfx, TI, SHMX_F64, f64, double, CONV_FLOAT)

#define DEFINE_CAST(IE, isfx, TI, OE, osfx, TO, CONV)                       \
	SHMX__DEFINE_MAP(cast_##isfx##_##osfx, TI, TO, , CONV(v, osfx, TO))
#define CAST_ENTRY(IE, isfx, TI, OE, osfx, TO, CONV)                        \
	[IE][OE] = cast_##isfx##_##osfx,

#define DEFINE_CASTS_FROM_INT(E, sfx, T) TO_EACH(DEFINE_CAST, E, sfx, T, CONV_WRAP)
#define DEFINE_CASTS_FROM_FLOAT(E, sfx, T) TO_EACH(DEFINE_CAST, E, sfx, T, CONV_SAT)
#define CAST_ENTRIES(E, sfx, T) TO_EACH(CAST_ENTRY, E, sfx, T, CONV_WRAP)
SHMX__INT(DEFINE_CASTS_FROM_INT)
SHMX__FLOAT(DEFINE_CASTS_FROM_FLOAT)

static shmx__map_fn *const cast_fns[SHMX_DTYPE_COUNT][SHMX_DTYPE_COUNT] = {
	SHMX__ALL(CAST_ENTRIES)
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
	shmx__map_apply(cast_fns[job->in_dtype][job->out_dtype], job, in,
			nrows, out);
}

SHMX__MAP_KERNEL(clip, 2, 0);
SHMX__MAP_KERNEL(cast, 1, 1);
