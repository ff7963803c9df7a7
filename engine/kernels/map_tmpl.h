/* engine/kernels/map_tmpl.h - a template (no include guard): the loops
 * of the maps and of clip and cast for one input dtype, out[i] = f(in[i])
 * over n elements, included by map.c and convert.c through each_int.h /
 * each_float.h (E, T, SFX, U, TF, FLOAT, SIGNED, SMALL) with one of
 *   SHMX__MAP_ARITH    map.c's: square_, neg_, abs_, sqrt_, exp_, log_,
 *                      scale_int_, add_int_, scale_flt_, add_flt_<SFX>
 *   SHMX__MAP_SAT      convert.c's sat_<SFX>, integers only
 *   SHMX__MAP_CONVERT  convert.c's: clip_int_, clip_flt_<SFX> and
 *                      cast_<SFX>_<out> for every output dtype, in
 *                      the table cast_row_<SFX>[out]
 * defined.  Each op is an ordinary static inline element function
 * <op>_1_<SFX>(v, k, k2) (E1 opens it), stamped into map.h's one loop by
 * MAP(op, result type, type of k and k2, their values): every loop reads
 * in[i] before it writes out[i] and touches nothing else, so out may be in
 * (--in-place).
 */
#define MAP(op, OT, KT, kinit, k2init)                                      \
	SHMX__MAP_LOOP(SHMX__CAT(op##_, SFX), SHMX__CAT(op##_1_, SFX), OT, \
		       KT, kinit, k2init)
#define UNUSED __attribute__((unused))
#define E1(op, OT, KT)                                                      \
	static inline OT SHMX__CAT(op##_1_, SFX)(T v, UNUSED KT k,         \
						 UNUSED KT k2)

#ifdef SHMX__MAP_ARITH
/* sqrt, exp, log: f32 results for f32 and 8, 16-bit integers, f64 for
 * the rest (FR, with MATH(f) the libm function of that type) */
#if SMALL
#define FR float
#define MATH(fn) fn##f
#else
#define FR double
#define MATH(fn) fn
#endif

#if !FLOAT
/* integers wrap as numpy's: computed in U, converted back */
E1(square, T, U) { return (T)((U)v * (U)v); }
MAP(square, T, U, 0, 0)
E1(neg, T, U) { return (T)((U)0 - (U)v); }
MAP(neg, T, U, 0, 0)
E1(abs, T, U)
{
#if SIGNED
	return v < 0 ? (T)((U)0 - (U)v) : v;
#else
	return v;
#endif
}
MAP(abs, T, U, 0, 0)

/* an integer K, a value of T (prepare checked): its bits modulo 2^bits */
E1(scale_int, T, U) { return (T)((U)v * k); }
MAP(scale_int, T, U, (U)(uint64_t)job->args.i[0], 0)
E1(add_int, T, U) { return (T)((U)v + k); }
MAP(add_int, T, U, (U)(uint64_t)job->args.i[0], 0)

/* a float K: an f64 result */
E1(scale_flt, double, double) { return (double)v * k; }
MAP(scale_flt, double, double, job->args.f[0], 0)
E1(add_flt, double, double) { return (double)v + k; }
MAP(add_flt, double, double, job->args.f[0], 0)

#else
E1(square, T, int) { return v * v; }
MAP(square, T, int, 0, 0)
E1(neg, T, int) { return -v; }
MAP(neg, T, int, 0, 0)
E1(abs, T, int) { return MATH(fabs)(v); }
MAP(abs, T, int, 0, 0)

/* K rounded to T first, as numpy does for f32 */
E1(scale_flt, T, T) { return v * k; }
MAP(scale_flt, T, T, (T)job->args.f[0], 0)
E1(add_flt, T, T) { return v + k; }
MAP(add_flt, T, T, (T)job->args.f[0], 0)

#endif
E1(sqrt, FR, int) { return MATH(sqrt)((FR)v); }
E1(exp, FR, int) { return MATH(exp)((FR)v); }
E1(log, FR, int) { return MATH(log)((FR)v); }
MAP(sqrt, FR, int, 0, 0)
MAP(exp, FR, int, 0, 0)
MAP(log, FR, int, 0, 0)

#undef FR
#undef MATH
#endif /* SHMX__MAP_ARITH */
#ifdef SHMX__MAP_SAT
/* A double to T, saturating where C's conversion would be UB.  Below the
 * minimum (-2^(bits-1) or 0, exact) truncation toward zero could still
 * land in range only at the minimum itself, which saturation also gives.
 * TMAX + 1.0 is 2^(bits-1) or 2^bits exactly (the rounding of 2^63 - 1
 * and 2^64 - 1 to double gives those powers already). */
static inline T SHMX__CAT(sat_, SFX)(double v)
{
	if (v != v)
		return 0;
	if (v < (double)(TMIN))
		return TMIN;
	if (v >= (double)(TMAX) + 1.0)
		return TMAX;
	return (T)v;
}
#endif /* SHMX__MAP_SAT */
#ifdef SHMX__MAP_CONVERT
/* clip's element: v < lo gives lo, v > hi gives hi, anything else (NaN
 * too) stays.  Statements, not nested ?:, which gcc 12 vectorises to
 * minpd/maxpd only when the loop has them in place. */
static inline T SHMX__CAT(clamp_, SFX)(T v, T lo, T hi)
{
	if (v < lo)
		return lo;
	if (v > hi)
		return hi;
	return v;
}

#if !FLOAT
/* integer bounds, saturated to T */
SHMX__MAP_LOOP(SHMX__CAT(clip_int_, SFX), SHMX__CAT(clamp_, SFX), T, T,
	       (T)shmx__arg_saturate(&job->args, 0, E),
	       (T)shmx__arg_saturate(&job->args, 1, E))

/* float bounds: an f64 result */
E1(clip_flt, double, double) { return clamp_f64_((double)v, k, k2); }
MAP(clip_flt, double, double, job->args.f[0], job->args.f[1])

#else
/* bounds rounded to T, as numpy does */
SHMX__MAP_LOOP(SHMX__CAT(clip_flt_, SFX), SHMX__CAT(clamp_, SFX), T, T,
	       (T)job->args.f[0], (T)job->args.f[1])

#endif
/* cast_<SFX>_<osfx>, one per output dtype (ops.h's lists): integer ->
 * integer wraps modulo 2^bits (through uint64_t), float -> integer
 * saturates (sat_<osfx>), anything -> float converts */
#if FLOAT
#define TO_INT(v, osfx, TO) (SHMX__CAT(sat_, osfx)((double)(v)))
#else
#define TO_INT(v, osfx, TO) ((TO)(uint64_t)(v))
#endif
#define TO_FLT(v, osfx, TO) ((TO)(v))
#define CAST(osfx, TO, conv)                                                \
	E1(cast_##osfx, TO, int) { return conv(v, osfx, TO); }              \
	SHMX__MAP_LOOP(SHMX__NAME3(cast, SFX, osfx),                        \
		       SHMX__CAT(cast_##osfx##_1_, SFX), TO, int, 0, 0)
#define CAST_INT(OE, osfx, TO) CAST(osfx, TO, TO_INT)
#define CAST_FLT(OE, osfx, TO) CAST(osfx, TO, TO_FLT)
SHMX__INT(CAST_INT)
SHMX__FLOAT(CAST_FLT)
#define CAST_ROW(OE, osfx, TO) [OE] = SHMX__NAME3(cast, SFX, osfx),
static shmx__map_fn *const SHMX__CAT(cast_row_, SFX)[SHMX_DTYPE_COUNT] = {
	SHMX__ALL(CAST_ROW)
};

#undef TO_INT
#undef TO_FLT
#undef CAST
#undef CAST_INT
#undef CAST_FLT
#undef CAST_ROW
#endif /* SHMX__MAP_CONVERT */
#undef MAP
#undef E1
#undef UNUSED
