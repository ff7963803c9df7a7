/* engine/expr/eval_ops.c - the evaluator's element-wise loops (eval_ops.h):
 * every binary, unary, cast, where and clip loop per dtype, with numpy
 * 1.24's semantics: integers wrap (computed in the unsigned type of their
 * size, which C defines), x // 0 and x % 0 are 0 for integers, floats
 * divide as npy_divmod does, integer powers by squaring, NaN propagates
 * through minimum, maximum and clip, comparisons give bool (one byte, 0
 * or 1).  Float-to-integer casts are what numpy's C casts give on x86-64
 * (a value out of range becomes the "integer indefinite"), without C's
 * undefined behaviour. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3") /* -O2 (RelWithDebInfo) vectorises too little */
#endif

#include <math.h>

#include "base/internal.h"
#include "expr/eval_ops.h"

/* X(sfx, T, U): the integer types with the unsigned type of their size. */
#define SINTS(X) X(i8, int8_t, uint8_t) X(i16, int16_t, uint16_t)          \
	X(i32, int32_t, uint32_t) X(i64, int64_t, uint64_t)
#define UINTS(X) X(u8, uint8_t, uint8_t) X(u16, uint16_t, uint16_t)         \
	X(u32, uint32_t, uint32_t) X(u64, uint64_t, uint64_t)
#define FLTS(X) X(f32, float, float) X(f64, double, double)
#define BOOLS(X) X(b, uint8_t, uint8_t)
#define INTS(X) SINTS(X) UINTS(X)
#define NUMS(X) INTS(X) FLTS(X)
#define ALLT(X) NUMS(X) BOOLS(X)

/* The loop body for the four modes of two operands: x, y the operands'
 * values, E the result. */
#define LOOP2(OT, T, E)                                                    \
	OT *restrict o = o_;                                               \
	const T *a = a_, *b = b_;                                          \
	switch (mode & 3u) {                                               \
	case 0:                                                            \
		for (size_t i = 0; i < n; i++) {                           \
			T x = a[i], y = b[i];                              \
			o[i] = (E);                                        \
		}                                                          \
		break;                                                     \
	case 1: {                                                          \
		T x = a[0];                                                \
		for (size_t i = 0; i < n; i++) {                           \
			T y = b[i];                                        \
			o[i] = (E);                                        \
		}                                                          \
		break;                                                     \
	}                                                                  \
	case 2: {                                                          \
		T y = b[0];                                                \
		for (size_t i = 0; i < n; i++) {                           \
			T x = a[i];                                        \
			o[i] = (E);                                        \
		}                                                          \
		break;                                                     \
	}                                                                  \
	default: {                                                         \
		T x = a[0], y = b[0];                                      \
		OT v = (E);                                                \
		for (size_t i = 0; i < n; i++)                             \
			o[i] = v;                                          \
	}                                                                  \
	}

#define DEF_BIN(name, sfx, OT, T, E)                                       \
	static int name##_##sfx(void *o_, const void *a_, const void *b_,  \
				size_t n, unsigned mode,                   \
				struct shmx_error *err)                    \
	{                                                                  \
		(void)err;                                                 \
		LOOP2(OT, T, E)                                            \
		return 0;                                                  \
	}

/* ---- scalar helpers ------------------------------------------------------ */

#define INT_HELPERS(sfx, T, U)                                             \
	static inline T add_e_##sfx(T x, T y)                              \
	{                                                                  \
		return (T)(U)((U)x + (U)y);                                \
	}                                                                  \
	static inline T sub_e_##sfx(T x, T y)                              \
	{                                                                  \
		return (T)(U)((U)x - (U)y);                                \
	}                                                                  \
	static inline T mul_e_##sfx(T x, T y)                              \
	{                                                                  \
		return (T)(U)((uint64_t)(U)x * (uint64_t)(U)y);            \
	}                                                                  \
	static inline T pow_e_##sfx(T x, T y)                              \
	{                                                                  \
		uint64_t r = 1, b = (U)x, e = (U)y;                        \
		while (e) {                                                \
			if (e & 1u)                                        \
				r *= b;                                    \
			b *= b;                                            \
			e >>= 1;                                           \
		}                                                          \
		return (T)(U)r;                                            \
	}
INTS(INT_HELPERS)

/* numpy: x // 0 == 0; MIN // -1 wraps to MIN; otherwise the floor */
#define SINT_DIV(sfx, T, U)                                                \
	static inline T fdiv_e_##sfx(T x, T y)                             \
	{                                                                  \
		T q;                                                       \
		if (y == 0)                                                \
			return 0;                                          \
		if (y == -1)                                               \
			return (T)(U)(0 - (U)x);                           \
		q = (T)(x / y);                                            \
		if (((x < 0) != (y < 0)) && (T)(q * y) != x)               \
			q--;                                               \
		return q;                                                  \
	}                                                                  \
	static inline T mod_e_##sfx(T x, T y)                              \
	{                                                                  \
		T r;                                                       \
		if (y == 0 || y == -1)                                     \
			return 0;                                          \
		r = (T)(x % y);                                            \
		if (r != 0 && ((r < 0) != (y < 0)))                        \
			r = (T)(r + y);                                    \
		return r;                                                  \
	}                                                                  \
	static inline T abs_e_##sfx(T x)                                   \
	{                                                                  \
		return x < 0 ? (T)(U)(0 - (U)x) : x;                       \
	}                                                                  \
	static inline T sign_e_##sfx(T x)                                  \
	{                                                                  \
		return (T)((x > 0) - (x < 0));                             \
	}
SINTS(SINT_DIV)

#define UINT_DIV(sfx, T, U)                                                \
	static inline T fdiv_e_##sfx(T x, T y)                             \
	{                                                                  \
		return y == 0 ? 0 : (T)(x / y);                            \
	}                                                                  \
	static inline T mod_e_##sfx(T x, T y)                              \
	{                                                                  \
		return y == 0 ? 0 : (T)(x % y);                            \
	}                                                                  \
	static inline T abs_e_##sfx(T x)                                   \
	{                                                                  \
		return x;                                                  \
	}                                                                  \
	static inline T sign_e_##sfx(T x)                                  \
	{                                                                  \
		return x > 0;                                              \
	}
UINTS(UINT_DIV)

/* npy_divmod, npy_floor_divide and npy_remainder of numpy 1.24 */
#define FLT_HELPERS(sfx, T, U)                                             \
	static inline T divmod_e_##sfx(T a, T b, T *modulus)               \
	{                                                                  \
		T mod = (T)fmod(a, b), div, floordiv;                      \
		if (!b) {                                                  \
			*modulus = mod;                                    \
			return a / b;                                      \
		}                                                          \
		div = (a - mod) / b;                                       \
		if (mod) {                                                 \
			if (isless(b, 0) != isless(mod, 0)) {              \
				mod += b;                                  \
				div -= (T)1;                               \
			}                                                  \
		} else {                                                   \
			mod = (T)copysign(0, b);                           \
		}                                                          \
		if (div) {                                                 \
			floordiv = (T)floor(div);                          \
			if (isgreater(div - floordiv, (T)0.5))             \
				floordiv += (T)1;                          \
		} else {                                                   \
			floordiv = (T)copysign(0, a / b);                  \
		}                                                          \
		*modulus = mod;                                            \
		return floordiv;                                           \
	}                                                                  \
	static inline T fdiv_e_##sfx(T a, T b)                             \
	{                                                                  \
		T m;                                                       \
		return !b ? a / b : divmod_e_##sfx(a, b, &m);              \
	}                                                                  \
	static inline T mod_e_##sfx(T a, T b)                              \
	{                                                                  \
		T m;                                                       \
		if (!b)                                                    \
			return (T)fmod(a, b);                              \
		divmod_e_##sfx(a, b, &m);                                  \
		return m;                                                  \
	}                                                                  \
	static inline T sign_e_##sfx(T x)                                  \
	{                                                                  \
		return x > 0 ? (T)1 : x < 0 ? (T)-1 : x == 0 ? (T)0 : x;   \
	}
FLTS(FLT_HELPERS)

/* numpy's maximum/minimum: a NaN operand is the result */
#define MAXF(x, y) ((x) >= (y) || (x) != (x) ? (x) : (y))
#define MINF(x, y) ((x) <= (y) || (x) != (x) ? (x) : (y))
#define MAXI(x, y) ((x) >= (y) ? (x) : (y))
#define MINI(x, y) ((x) <= (y) ? (x) : (y))

/* ---- binary loops -------------------------------------------------------- */

#define INT_BINS(sfx, T, U)                                                \
	DEF_BIN(add, sfx, T, T, add_e_##sfx(x, y))                         \
	DEF_BIN(sub, sfx, T, T, sub_e_##sfx(x, y))                         \
	DEF_BIN(mul, sfx, T, T, mul_e_##sfx(x, y))                         \
	DEF_BIN(fdiv, sfx, T, T, fdiv_e_##sfx(x, y))                       \
	DEF_BIN(mod, sfx, T, T, mod_e_##sfx(x, y))                         \
	DEF_BIN(and, sfx, T, T, (T)(x & y))                                \
	DEF_BIN(or, sfx, T, T, (T)(x | y))                                 \
	DEF_BIN(xor, sfx, T, T, (T)(x ^ y))                                \
	DEF_BIN(min, sfx, T, T, MINI(x, y))                                \
	DEF_BIN(max, sfx, T, T, MAXI(x, y))
INTS(INT_BINS)

/* numpy refuses a negative exponent of an integer power at run time */
#define SINT_POW(sfx, T, U)                                                \
	DEF_BIN(powu, sfx, T, T, pow_e_##sfx(x, y))                        \
	static int pow_##sfx(void *o_, const void *a_, const void *b_,     \
			     size_t n, unsigned mode,                      \
			     struct shmx_error *err)                       \
	{                                                                  \
		const T *e = b_;                                           \
		size_t m = (mode & 2u) ? 1 : n;                            \
		for (size_t i = 0; i < m; i++)                             \
			if (e[i] < 0)                                      \
				return shmx__fail(                         \
					err, SHMX_EEXPR,                   \
					"expression: integers to negative "\
					"integer powers are not allowed"); \
		return powu_##sfx(o_, a_, b_, n, mode, err);               \
	}
SINTS(SINT_POW)
#define UINT_POW(sfx, T, U) DEF_BIN(pow, sfx, T, T, pow_e_##sfx(x, y))
UINTS(UINT_POW)

#define FLT_BINS(sfx, T, U)                                                \
	DEF_BIN(add, sfx, T, T, x + y)                                     \
	DEF_BIN(sub, sfx, T, T, x - y)                                     \
	DEF_BIN(mul, sfx, T, T, x * y)                                     \
	DEF_BIN(div, sfx, T, T, x / y)                                     \
	DEF_BIN(fdiv, sfx, T, T, fdiv_e_##sfx(x, y))                       \
	DEF_BIN(mod, sfx, T, T, mod_e_##sfx(x, y))                         \
	DEF_BIN(min, sfx, T, T, MINF(x, y))                                \
	DEF_BIN(max, sfx, T, T, MAXF(x, y))
FLTS(FLT_BINS)
DEF_BIN(pow, f32, float, float, powf(x, y))
DEF_BIN(pow, f64, double, double, pow(x, y))
DEF_BIN(atan2, f32, float, float, atan2f(x, y))
DEF_BIN(atan2, f64, double, double, atan2(x, y))
DEF_BIN(hypot, f32, float, float, hypotf(x, y))
DEF_BIN(hypot, f64, double, double, hypot(x, y))

/* bool: + is or, * is and, minimum and, maximum or */
DEF_BIN(add, b, uint8_t, uint8_t, (uint8_t)(x | y))
DEF_BIN(mul, b, uint8_t, uint8_t, (uint8_t)(x & y))
DEF_BIN(and, b, uint8_t, uint8_t, (uint8_t)(x & y))
DEF_BIN(or, b, uint8_t, uint8_t, (uint8_t)(x | y))
DEF_BIN(xor, b, uint8_t, uint8_t, (uint8_t)(x ^ y))
DEF_BIN(min, b, uint8_t, uint8_t, (uint8_t)(x & y))
DEF_BIN(max, b, uint8_t, uint8_t, (uint8_t)(x | y))

#define CMPS(sfx, T, U)                                                    \
	DEF_BIN(lt, sfx, uint8_t, T, x < y)                                \
	DEF_BIN(le, sfx, uint8_t, T, x <= y)                               \
	DEF_BIN(gt, sfx, uint8_t, T, x > y)                                \
	DEF_BIN(ge, sfx, uint8_t, T, x >= y)                               \
	DEF_BIN(eq, sfx, uint8_t, T, x == y)                               \
	DEF_BIN(ne, sfx, uint8_t, T, x != y)
INTS(CMPS)
CMPS(f32, float, float)
BOOLS(CMPS)

/* f64 comparisons eight at a time (where, the row counts): gcc 12 does
 * not vectorise a loop that narrows f64 to bytes, so each pair of lanes'
 * masks (-1 or 0, IEEE comparisons: NaN is unordered), ANDed with 1, are
 * shifted into the bytes of one 64-bit word, in element order.  Loads
 * and stores by memcpy: unaligned, no aliasing games. */
typedef double ev_v2d __attribute__((vector_size(16)));
typedef int64_t ev_v2l __attribute__((vector_size(16)));

static inline ev_v2d ld2(const double *p, int scalar)
{
	ev_v2d v;

	if (scalar)
		return (ev_v2d){ p[0], p[0] };
	memcpy(&v, p, sizeof v);
	return v;
}

#define CMP8(OP, a, b, sa, sb, i)                                           \
	do {                                                               \
		ev_v2l m[4];                                               \
		ev_v2l w;                                                  \
		uint64_t u;                                                \
		for (int k = 0; k < 4; k++)                                \
			m[k] = (ld2(a + (sa ? 0 : i + 2 * k), sa)          \
				OP ld2(b + (sb ? 0 : i + 2 * k), sb)) & 1; \
		w = m[0] | (m[1] << 16) | (m[2] << 32) | (m[3] << 48);     \
		u = (uint64_t)(w[0] | (w[1] << 8));                        \
		memcpy(o + i, &u, 8);                                      \
	} while (0)

#define DEF_CMP_F64(name, OP)                                              \
	DEF_BIN(name##_tail, f64, uint8_t, double, x OP y)                 \
	static int name##_f64(void *o_, const void *a_, const void *b_,    \
			      size_t n, unsigned mode,                     \
			      struct shmx_error *err)                      \
	{                                                                  \
		uint8_t *restrict o = o_;                                  \
		const double *a = a_, *b = b_;                             \
		size_t i = 0;                                              \
		for (; (mode & 3u) == 0 && i + 8 <= n; i += 8)                    \
			CMP8(OP, a, b, 0, 0, i);                           \
		for (; (mode & 3u) == 1 && i + 8 <= n; i += 8)                    \
			CMP8(OP, a, b, 1, 0, i);                           \
		for (; (mode & 3u) == 2 && i + 8 <= n; i += 8)                    \
			CMP8(OP, a, b, 0, 1, i);                           \
		return name##_tail_f64(o + i, mode & 1 ? a : a + i,        \
				       mode & 2 ? b : b + i, n - i, mode,  \
				       err);                               \
	}
DEF_CMP_F64(lt, <)
DEF_CMP_F64(le, <=)
DEF_CMP_F64(gt, >)
DEF_CMP_F64(ge, >=)
DEF_CMP_F64(eq, ==)
DEF_CMP_F64(ne, !=)

#define ROW_INT(name) { [SHMX_I8] = name##_i8, [SHMX_I16] = name##_i16,     \
	[SHMX_I32] = name##_i32, [SHMX_I64] = name##_i64,                   \
	[SHMX_U8] = name##_u8, [SHMX_U16] = name##_u16,                     \
	[SHMX_U32] = name##_u32, [SHMX_U64] = name##_u64
#define ROW_FLT(name) [SHMX_F32] = name##_f32, [SHMX_F64] = name##_f64
#define ROW_NUM(name) ROW_INT(name), ROW_FLT(name)
#define ROW_ALL(name) ROW_NUM(name), [SHMX_BOOL] = name##_b }

static shmx__ev_bin_fn *const bins[SHMX__EV_BIN_COUNT][SHMX_DTYPE_COUNT] = {
	[SHMX__EV_ADD] = ROW_ALL(add),
	[SHMX__EV_SUB] = ROW_NUM(sub) },
	[SHMX__EV_MUL] = ROW_ALL(mul),
	[SHMX__EV_DIV] = { ROW_FLT(div) },
	[SHMX__EV_FDIV] = ROW_NUM(fdiv) },
	[SHMX__EV_MOD] = ROW_NUM(mod) },
	[SHMX__EV_POW] = ROW_NUM(pow) },
	[SHMX__EV_AND] = ROW_INT(and), [SHMX_BOOL] = and_b },
	[SHMX__EV_OR] = ROW_INT(or), [SHMX_BOOL] = or_b },
	[SHMX__EV_XOR] = ROW_INT(xor), [SHMX_BOOL] = xor_b },
	[SHMX__EV_MIN] = ROW_ALL(min),
	[SHMX__EV_MAX] = ROW_ALL(max),
	[SHMX__EV_ATAN2] = { ROW_FLT(atan2) },
	[SHMX__EV_HYPOT] = { ROW_FLT(hypot) },
	[SHMX__EV_LT] = ROW_ALL(lt), [SHMX__EV_LE] = ROW_ALL(le),
	[SHMX__EV_GT] = ROW_ALL(gt), [SHMX__EV_GE] = ROW_ALL(ge),
	[SHMX__EV_EQ] = ROW_ALL(eq), [SHMX__EV_NE] = ROW_ALL(ne),
};

shmx__ev_bin_fn *shmx__ev_bin(enum shmx__ev_bin_op op, enum shmx_dtype t)
{
	return bins[op][t];
}

/* ---- unary loops --------------------------------------------------------- */

#define DEF_UN(name, sfx, OT, T, E)                                        \
	static void name##_##sfx(void *o_, const void *a_, size_t n)       \
	{                                                                  \
		OT *restrict o = o_;                                       \
		const T *a = a_;                                           \
		for (size_t i = 0; i < n; i++) {                           \
			T x = a[i];                                        \
			o[i] = (E);                                        \
		}                                                          \
	}

#define INT_UNS(sfx, T, U)                                                 \
	DEF_UN(neg, sfx, T, T, (T)(U)(0 - (U)x))                           \
	DEF_UN(inv, sfx, T, T, (T)(U)~(U)x)                                \
	DEF_UN(abs, sfx, T, T, abs_e_##sfx(x))                             \
	DEF_UN(sign, sfx, T, T, sign_e_##sfx(x))                           \
	DEF_UN(square, sfx, T, T, mul_e_##sfx(x, x))                       \
	DEF_UN(isnan, sfx, uint8_t, T, ((void)x, 0))                       \
	DEF_UN(isinf, sfx, uint8_t, T, ((void)x, 0))                       \
	DEF_UN(isfinite, sfx, uint8_t, T, ((void)x, 1))
INTS(INT_UNS)

#define FLT_UNS(sfx, T, U, f)                                              \
	DEF_UN(neg, sfx, T, T, -x)                                         \
	DEF_UN(abs, sfx, T, T, fabs##f(x))                                 \
	DEF_UN(sign, sfx, T, T, sign_e_##sfx(x))                           \
	DEF_UN(sqrt, sfx, T, T, sqrt##f(x))                                \
	DEF_UN(exp, sfx, T, T, exp##f(x))                                  \
	DEF_UN(expm1, sfx, T, T, expm1##f(x))                              \
	DEF_UN(log, sfx, T, T, log##f(x))                                  \
	DEF_UN(log1p, sfx, T, T, log1p##f(x))                              \
	DEF_UN(log2, sfx, T, T, log2##f(x))                                \
	DEF_UN(log10, sfx, T, T, log10##f(x))                              \
	DEF_UN(sin, sfx, T, T, sin##f(x))                                  \
	DEF_UN(cos, sfx, T, T, cos##f(x))                                  \
	DEF_UN(tan, sfx, T, T, tan##f(x))                                  \
	DEF_UN(asin, sfx, T, T, asin##f(x))                                \
	DEF_UN(acos, sfx, T, T, acos##f(x))                                \
	DEF_UN(atan, sfx, T, T, atan##f(x))                                \
	DEF_UN(sinh, sfx, T, T, sinh##f(x))                                \
	DEF_UN(cosh, sfx, T, T, cosh##f(x))                                \
	DEF_UN(tanh, sfx, T, T, tanh##f(x))                                \
	DEF_UN(floor, sfx, T, T, floor##f(x))                              \
	DEF_UN(ceil, sfx, T, T, ceil##f(x))                                \
	DEF_UN(rint, sfx, T, T, rint##f(x))                                \
	DEF_UN(trunc, sfx, T, T, trunc##f(x))                              \
	DEF_UN(square, sfx, T, T, x * x)                                   \
	DEF_UN(recip, sfx, T, T, (T)1 / x)                                 \
	DEF_UN(isnan, sfx, uint8_t, T, x != x)                             \
	DEF_UN(isinf, sfx, uint8_t, T, fabs##f(x) == (T)INFINITY)          \
	DEF_UN(isfinite, sfx, uint8_t, T, x - x == x - x)
FLT_UNS(f32, float, float, f)
FLT_UNS(f64, double, double, )

DEF_UN(inv, b, uint8_t, uint8_t, (uint8_t)!x)
DEF_UN(abs, b, uint8_t, uint8_t, x)
DEF_UN(isnan, b, uint8_t, uint8_t, ((void)x, 0))
DEF_UN(isinf, b, uint8_t, uint8_t, ((void)x, 0))
DEF_UN(isfinite, b, uint8_t, uint8_t, ((void)x, 1))

#define UROW_F(name) { ROW_FLT(name) }
static shmx__ev_un_fn *const uns[SHMX__EV_UN_COUNT][SHMX_DTYPE_COUNT] = {
	[SHMX__EV_NEG] = ROW_NUM(neg) },
	[SHMX__EV_INV] = ROW_INT(inv), [SHMX_BOOL] = inv_b },
	[SHMX__EV_ABS] = ROW_NUM(abs), [SHMX_BOOL] = abs_b },
	[SHMX__EV_SIGN] = ROW_NUM(sign) },
	[SHMX__EV_SQRT] = UROW_F(sqrt), [SHMX__EV_EXP] = UROW_F(exp),
	[SHMX__EV_EXPM1] = UROW_F(expm1), [SHMX__EV_LOG] = UROW_F(log),
	[SHMX__EV_LOG1P] = UROW_F(log1p), [SHMX__EV_LOG2] = UROW_F(log2),
	[SHMX__EV_LOG10] = UROW_F(log10), [SHMX__EV_SIN] = UROW_F(sin),
	[SHMX__EV_COS] = UROW_F(cos), [SHMX__EV_TAN] = UROW_F(tan),
	[SHMX__EV_ASIN] = UROW_F(asin), [SHMX__EV_ACOS] = UROW_F(acos),
	[SHMX__EV_ATAN] = UROW_F(atan), [SHMX__EV_SINH] = UROW_F(sinh),
	[SHMX__EV_COSH] = UROW_F(cosh), [SHMX__EV_TANH] = UROW_F(tanh),
	[SHMX__EV_FLOOR] = UROW_F(floor), [SHMX__EV_CEIL] = UROW_F(ceil),
	[SHMX__EV_RINT] = UROW_F(rint), [SHMX__EV_TRUNC] = UROW_F(trunc),
	[SHMX__EV_SQUARE] = ROW_NUM(square) },
	[SHMX__EV_RECIP] = UROW_F(recip),
	[SHMX__EV_ISNAN] = ROW_ALL(isnan), [SHMX__EV_ISINF] = ROW_ALL(isinf),
	[SHMX__EV_ISFINITE] = ROW_ALL(isfinite),
};

shmx__ev_un_fn *shmx__ev_un(enum shmx__ev_un_op op, enum shmx_dtype t)
{
	return uns[op][t];
}

/* ---- casts --------------------------------------------------------------- */

/* What x86-64's cvttsd2si gives, and so numpy's C casts: the value
 * truncated, or the integer indefinite (the type's minimum) when it does
 * not fit or is NaN. */
static inline int32_t cvt32(double x)
{
	return x > -2147483649.0 && x < 2147483648.0 ? (int32_t)x : INT32_MIN;
}

static inline int64_t cvt64(double x)
{
	return x >= -9223372036854775808.0 && x < 9223372036854775808.0
		       ? (int64_t)x
		       : INT64_MIN;
}

static inline uint64_t cvtu64(double x)
{
	const double two63 = 9223372036854775808.0;

	return x < two63 ? (uint64_t)cvt64(x)
			 : (uint64_t)cvt64(x - two63) ^ (UINT64_C(1) << 63);
}

#define TO_i8(x) ((int8_t)cvt32(x))
#define TO_i16(x) ((int16_t)cvt32(x))
#define TO_i32(x) (cvt32(x))
#define TO_i64(x) (cvt64(x))
#define TO_u8(x) ((uint8_t)cvt32(x))
#define TO_u16(x) ((uint16_t)cvt32(x))
#define TO_u32(x) ((uint32_t)cvt64(x))
#define TO_u64(x) (cvtu64(x))

/* integer and bool sources: C's conversions (modular into integers) */
#define CAST_FROM_INT(fs, FT, FU)                                          \
	DEF_UN(cast_##fs##_to, i8, int8_t, FT, (int8_t)x)                  \
	DEF_UN(cast_##fs##_to, i16, int16_t, FT, (int16_t)x)               \
	DEF_UN(cast_##fs##_to, i32, int32_t, FT, (int32_t)x)               \
	DEF_UN(cast_##fs##_to, i64, int64_t, FT, (int64_t)x)               \
	DEF_UN(cast_##fs##_to, u8, uint8_t, FT, (uint8_t)x)                \
	DEF_UN(cast_##fs##_to, u16, uint16_t, FT, (uint16_t)x)             \
	DEF_UN(cast_##fs##_to, u32, uint32_t, FT, (uint32_t)x)             \
	DEF_UN(cast_##fs##_to, u64, uint64_t, FT, (uint64_t)x)             \
	DEF_UN(cast_##fs##_to, f32, float, FT, (float)x)                   \
	DEF_UN(cast_##fs##_to, f64, double, FT, (double)x)                 \
	DEF_UN(cast_##fs##_to, b, uint8_t, FT, x != 0)
INTS(CAST_FROM_INT)
BOOLS(CAST_FROM_INT)

#define CAST_FROM_FLT(fs, FT, FU)                                          \
	DEF_UN(cast_##fs##_to, i8, int8_t, FT, TO_i8(x))                   \
	DEF_UN(cast_##fs##_to, i16, int16_t, FT, TO_i16(x))                \
	DEF_UN(cast_##fs##_to, i32, int32_t, FT, TO_i32(x))                \
	DEF_UN(cast_##fs##_to, i64, int64_t, FT, TO_i64(x))                \
	DEF_UN(cast_##fs##_to, u8, uint8_t, FT, TO_u8(x))                  \
	DEF_UN(cast_##fs##_to, u16, uint16_t, FT, TO_u16(x))               \
	DEF_UN(cast_##fs##_to, u32, uint32_t, FT, TO_u32(x))               \
	DEF_UN(cast_##fs##_to, u64, uint64_t, FT, TO_u64(x))               \
	DEF_UN(cast_##fs##_to, f32, float, FT, (float)x)                   \
	DEF_UN(cast_##fs##_to, f64, double, FT, (double)x)                 \
	DEF_UN(cast_##fs##_to, b, uint8_t, FT, x != 0)
FLTS(CAST_FROM_FLT)

#define CAST_ROW(fs, FT, FU) ROW_ALL(cast_##fs##_to),
static shmx__ev_un_fn *const casts[SHMX_DTYPE_COUNT][SHMX_DTYPE_COUNT] = {
	[SHMX_I8] = ROW_ALL(cast_i8_to), [SHMX_I16] = ROW_ALL(cast_i16_to),
	[SHMX_I32] = ROW_ALL(cast_i32_to), [SHMX_I64] = ROW_ALL(cast_i64_to),
	[SHMX_U8] = ROW_ALL(cast_u8_to), [SHMX_U16] = ROW_ALL(cast_u16_to),
	[SHMX_U32] = ROW_ALL(cast_u32_to), [SHMX_U64] = ROW_ALL(cast_u64_to),
	[SHMX_F32] = ROW_ALL(cast_f32_to), [SHMX_F64] = ROW_ALL(cast_f64_to),
	[SHMX_BOOL] = ROW_ALL(cast_b_to),
};

shmx__ev_un_fn *shmx__ev_cast(enum shmx_dtype from, enum shmx_dtype to)
{
	return casts[from][to];
}

/* ---- where and clip ------------------------------------------------------ */

/* operand k of element i: a scalar when mode's bit k is set */
#define AT(p, k, i) ((p)[(mode >> (k)) & 1u ? 0 : (i)])

#define DEF_TERN(sfx, T, U, MX, MN)                                        \
	static void where_##sfx(void *o_, const void *c_, const void *a_,  \
				const void *b_, size_t n, unsigned mode)   \
	{                                                                  \
		T *restrict o = o_;                                        \
		const uint8_t *c = c_;                                     \
		const T *a = a_, *b = b_;                                  \
		if (mode == 0) { /* both read: a select, no branch */      \
			for (size_t i = 0; i < n; i++) {                   \
				T x = a[i], y = b[i];                      \
				o[i] = c[i] ? x : y;                       \
			}                                                  \
			return;                                            \
		}                                                          \
		for (size_t i = 0; i < n; i++) {                           \
			T x = AT(a, 1, i), y = AT(b, 2, i);                \
			o[i] = AT(c, 0, i) ? x : y;                        \
		}                                                          \
	}                                                                  \
	static void clip_##sfx(void *o_, const void *x_, const void *lo_,  \
			       const void *hi_, size_t n, unsigned mode)   \
	{                                                                  \
		T *restrict o = o_;                                        \
		const T *x = x_, *lo = lo_, *hi = hi_;                     \
		if (mode == 6) {                                           \
			T l = lo[0], h = hi[0];                            \
			for (size_t i = 0; i < n; i++) {                   \
				T v = MX(x[i], l);                         \
				o[i] = MN(v, h);                           \
			}                                                  \
			return;                                            \
		}                                                          \
		for (size_t i = 0; i < n; i++) {                           \
			T v = MX(AT(x, 0, i), AT(lo, 1, i));               \
			o[i] = MN(v, AT(hi, 2, i));                        \
		}                                                          \
	}
#define TERN_INT(sfx, T, U) DEF_TERN(sfx, T, U, MAXI, MINI)
#define TERN_FLT(sfx, T, U) DEF_TERN(sfx, T, U, MAXF, MINF)
INTS(TERN_INT)
FLTS(TERN_FLT)
BOOLS(TERN_INT)

static shmx__ev_tern_fn *const wheres[SHMX_DTYPE_COUNT] = ROW_ALL(where);
static shmx__ev_tern_fn *const clips[SHMX_DTYPE_COUNT] = ROW_ALL(clip);

shmx__ev_tern_fn *shmx__ev_where(enum shmx_dtype t)
{
	return wheres[t];
}

shmx__ev_tern_fn *shmx__ev_clip(enum shmx_dtype t)
{
	return clips[t];
}
