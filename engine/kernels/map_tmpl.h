/* engine/kernels/map_tmpl.h - a template (no include guard): the loops
 * of the maps and of clip and cast for one input dtype, out[i] = f(in[i])
 * over n elements, included by map.c and convert.c through each_int.h /
 * each_float.h (E, T, SFX, U, TF, FLOAT, SIGNED, SMALL) with one of
 *   SHMX__MAP_ARITH    map.c's: square_, neg_, abs_, sqrt_, exp_, log_,
 *                      scale_int_, add_int_, scale_flt_, add_flt_<SFX>
 *   SHMX__MAP_SAT      convert.c's sat_<SFX>, integers only
 *   SHMX__MAP_CONVERT  convert.c's: clip_int_, clip_flt_<SFX> and
 *                      cast_<SFX>_<out> for every output dtype
 * defined.  Every loop reads in[i] before it writes out[i] and touches
 * nothing else, so out may be in (--in-place).
 */
#ifdef SHMX__MAP_ARITH

#if !FLOAT
/* integers wrap as numpy's: computed in U, converted back */
static void SHMX__CAT(square_, SFX)(const struct shmx__kstate *job,
				    const void *in, void *out, uint64_t n)
{
	const T *a = in;
	T *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = (T)((U)v * (U)v);
	}
}

static void SHMX__CAT(neg_, SFX)(const struct shmx__kstate *job,
				 const void *in, void *out, uint64_t n)
{
	const T *a = in;
	T *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = (T)((U)0 - (U)v);
	}
}

#if SIGNED
static void SHMX__CAT(abs_, SFX)(const struct shmx__kstate *job,
				 const void *in, void *out, uint64_t n)
{
	const T *a = in;
	T *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = v < 0 ? (T)((U)0 - (U)v) : v;
	}
}

#else
static void SHMX__CAT(abs_, SFX)(const struct shmx__kstate *job,
				 const void *in, void *out, uint64_t n)
{
	const T *a = in;
	T *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = v;
	}
}

#endif
/* an integer K, a value of T (prepare checked): its bits modulo 2^bits */
static void SHMX__CAT(scale_int_, SFX)(const struct shmx__kstate *job,
				       const void *in, void *out, uint64_t n)
{
	const T *a = in;
	T *o = out;
	const U k = (U)(uint64_t)job->args.i[0];

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = (T)((U)v * k);
	}
}

static void SHMX__CAT(add_int_, SFX)(const struct shmx__kstate *job,
				     const void *in, void *out, uint64_t n)
{
	const T *a = in;
	T *o = out;
	const U k = (U)(uint64_t)job->args.i[0];

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = (T)((U)v + k);
	}
}

/* a float K: an f64 result */
static void SHMX__CAT(scale_flt_, SFX)(const struct shmx__kstate *job,
				       const void *in, void *out, uint64_t n)
{
	const T *a = in;
	double *o = out;
	const double k = job->args.f[0];

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = (double)v * k;
	}
}

static void SHMX__CAT(add_flt_, SFX)(const struct shmx__kstate *job,
				     const void *in, void *out, uint64_t n)
{
	const T *a = in;
	double *o = out;
	const double k = job->args.f[0];

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = (double)v + k;
	}
}

#else
static void SHMX__CAT(square_, SFX)(const struct shmx__kstate *job,
				    const void *in, void *out, uint64_t n)
{
	const T *a = in;
	T *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = v * v;
	}
}

static void SHMX__CAT(neg_, SFX)(const struct shmx__kstate *job,
				 const void *in, void *out, uint64_t n)
{
	const T *a = in;
	T *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = -v;
	}
}

#if SMALL
static void SHMX__CAT(abs_, SFX)(const struct shmx__kstate *job,
				 const void *in, void *out, uint64_t n)
{
	const T *a = in;
	T *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = fabsf(v);
	}
}

#else
static void SHMX__CAT(abs_, SFX)(const struct shmx__kstate *job,
				 const void *in, void *out, uint64_t n)
{
	const T *a = in;
	T *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = fabs(v);
	}
}

#endif
/* K rounded to T first, as numpy does for f32 */
static void SHMX__CAT(scale_flt_, SFX)(const struct shmx__kstate *job,
				       const void *in, void *out, uint64_t n)
{
	const T *a = in;
	T *o = out;
	const T k = (T)job->args.f[0];

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = v * k;
	}
}

static void SHMX__CAT(add_flt_, SFX)(const struct shmx__kstate *job,
				     const void *in, void *out, uint64_t n)
{
	const T *a = in;
	T *o = out;
	const T k = (T)job->args.f[0];

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = v + k;
	}
}

#endif
#if SMALL
/* f32 results for f32 and 8, 16-bit integers, f64 for the rest */
static void SHMX__CAT(sqrt_, SFX)(const struct shmx__kstate *job,
				  const void *in, void *out, uint64_t n)
{
	const T *a = in;
	float *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = sqrtf((float)v);
	}
}

static void SHMX__CAT(exp_, SFX)(const struct shmx__kstate *job,
				 const void *in, void *out, uint64_t n)
{
	const T *a = in;
	float *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = expf((float)v);
	}
}

static void SHMX__CAT(log_, SFX)(const struct shmx__kstate *job,
				 const void *in, void *out, uint64_t n)
{
	const T *a = in;
	float *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = logf((float)v);
	}
}

#else
static void SHMX__CAT(sqrt_, SFX)(const struct shmx__kstate *job,
				  const void *in, void *out, uint64_t n)
{
	const T *a = in;
	double *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = sqrt((double)v);
	}
}

static void SHMX__CAT(exp_, SFX)(const struct shmx__kstate *job,
				 const void *in, void *out, uint64_t n)
{
	const T *a = in;
	double *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = exp((double)v);
	}
}

static void SHMX__CAT(log_, SFX)(const struct shmx__kstate *job,
				 const void *in, void *out, uint64_t n)
{
	const T *a = in;
	double *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = log((double)v);
	}
}

#endif
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

#if !FLOAT
/* integer bounds, saturated to T */
static void SHMX__CAT(clip_int_, SFX)(const struct shmx__kstate *job,
				      const void *in, void *out, uint64_t n)
{
	const T *a = in;
	T *o = out;
	const T lo = (T)shmx__arg_saturate(&job->args, 0, E);
	const T hi = (T)shmx__arg_saturate(&job->args, 1, E);

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = CLAMP(v, lo, hi);
	}
}

/* float bounds: an f64 result */
static void SHMX__CAT(clip_flt_, SFX)(const struct shmx__kstate *job,
				      const void *in, void *out, uint64_t n)
{
	const T *a = in;
	double *o = out;
	const double lo = job->args.f[0];
	const double hi = job->args.f[1];

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = CLAMP((double)v, lo, hi);
	}
}

#else
/* bounds rounded to T, as numpy does */
static void SHMX__CAT(clip_flt_, SFX)(const struct shmx__kstate *job,
				      const void *in, void *out, uint64_t n)
{
	const T *a = in;
	T *o = out;
	const T lo = (T)job->args.f[0];
	const T hi = (T)job->args.f[1];

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = CLAMP(v, lo, hi);
	}
}

#endif
/* casts: integer -> integer wraps modulo 2^bits (through uint64_t),
 * float -> integer saturates (sat_<out>), anything -> float converts */
#if FLOAT
#define CAST_TO_INT(v, osfx, TO) (SHMX__CAT(sat_, osfx)((double)(v)))
#else
#define CAST_TO_INT(v, osfx, TO) ((TO)(uint64_t)(v))
#endif

static void SHMX__NAME3(cast, SFX, i8)(const struct shmx__kstate *job,
				       const void *in, void *out, uint64_t n)
{
	const T *a = in;
	int8_t *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = CAST_TO_INT(v, i8, int8_t);
	}
}

static void SHMX__NAME3(cast, SFX, i16)(const struct shmx__kstate *job,
					const void *in, void *out, uint64_t n)
{
	const T *a = in;
	int16_t *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = CAST_TO_INT(v, i16, int16_t);
	}
}

static void SHMX__NAME3(cast, SFX, i32)(const struct shmx__kstate *job,
					const void *in, void *out, uint64_t n)
{
	const T *a = in;
	int32_t *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = CAST_TO_INT(v, i32, int32_t);
	}
}

static void SHMX__NAME3(cast, SFX, i64)(const struct shmx__kstate *job,
					const void *in, void *out, uint64_t n)
{
	const T *a = in;
	int64_t *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = CAST_TO_INT(v, i64, int64_t);
	}
}

static void SHMX__NAME3(cast, SFX, u8)(const struct shmx__kstate *job,
				       const void *in, void *out, uint64_t n)
{
	const T *a = in;
	uint8_t *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = CAST_TO_INT(v, u8, uint8_t);
	}
}

static void SHMX__NAME3(cast, SFX, u16)(const struct shmx__kstate *job,
					const void *in, void *out, uint64_t n)
{
	const T *a = in;
	uint16_t *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = CAST_TO_INT(v, u16, uint16_t);
	}
}

static void SHMX__NAME3(cast, SFX, u32)(const struct shmx__kstate *job,
					const void *in, void *out, uint64_t n)
{
	const T *a = in;
	uint32_t *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = CAST_TO_INT(v, u32, uint32_t);
	}
}

static void SHMX__NAME3(cast, SFX, u64)(const struct shmx__kstate *job,
					const void *in, void *out, uint64_t n)
{
	const T *a = in;
	uint64_t *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = CAST_TO_INT(v, u64, uint64_t);
	}
}

static void SHMX__NAME3(cast, SFX, f32)(const struct shmx__kstate *job,
					const void *in, void *out, uint64_t n)
{
	const T *a = in;
	float *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = (float)(v);
	}
}

static void SHMX__NAME3(cast, SFX, f64)(const struct shmx__kstate *job,
					const void *in, void *out, uint64_t n)
{
	const T *a = in;
	double *o = out;

	(void)job;
	for (uint64_t i = 0; i < n; i++) {
		T v = a[i];
		o[i] = (double)(v);
	}
}

#undef CAST_TO_INT

#endif /* SHMX__MAP_CONVERT */
