/* engine/kernels/ops.h - the list of operations and of dtypes (private to
 * engine/kernels/).  One X-macro list is the single place an op is named:
 * the registry builds its table and shmx__op_names from it, and each
 * kernel file defines the shmx__k_<op> objects declared here.  The dtype
 * lists let a kernel file stamp out one loop per element type.
 *
 * Every op is one struct shmx_kernel (shmx/kernel.h), shmx__k_<op>.
 */
#ifndef SHMX_KERNELS_OPS_H
#define SHMX_KERNELS_OPS_H

#include "kernels/job.h"

/* X(op), in the order `shmx run --help` lists them. */
#define SHMX__REDUCTIONS(X)                                               \
	X(sum) X(mean) X(min) X(max) X(sumsq) X(var) X(std) X(argmin)     \
	X(argmax) X(nansum) X(nanmean) X(nanmin) X(nanmax) X(nanvar)      \
	X(nanstd)

/* X(op, the form the user writes, what its arguments are: NUMBER or
 * DTYPE names, checked when the op is opened) */
#define SHMX__MAPS(X)                                                     \
	X(square, "square", NUMBER) X(sqrt, "sqrt", NUMBER)               \
	X(abs, "abs", NUMBER) X(neg, "neg", NUMBER) X(exp, "exp", NUMBER) \
	X(log, "log", NUMBER) X(scale, "scale:K", NUMBER)                 \
	X(add, "add:K", NUMBER) X(clip, "clip:LO:HI", NUMBER)             \
	X(cast, "cast:DTYPE", DTYPE)

/* X(ENUM, suffix, C type), by kind, so each file can stamp out what it
 * needs per dtype: SHMX__SINT(DEFINE_FOO) defines foo for i8 .. i64.
 * The lists are written once, as SHMX__<KIND>_P(X, p): X(p, ENUM, suffix,
 * C type), p passed through (the tables below pass their prefix). */
#define SHMX__SINT_P(X, p)                                               \
	X(p, SHMX_I8, i8, int8_t)                                        \
	X(p, SHMX_I16, i16, int16_t)                                     \
	X(p, SHMX_I32, i32, int32_t)                                     \
	X(p, SHMX_I64, i64, int64_t)
#define SHMX__UINT_P(X, p)                                               \
	X(p, SHMX_U8, u8, uint8_t)                                       \
	X(p, SHMX_U16, u16, uint16_t)                                    \
	X(p, SHMX_U32, u32, uint32_t)                                    \
	X(p, SHMX_U64, u64, uint64_t)
#define SHMX__FLOAT_P(X, p)                                              \
	X(p, SHMX_F32, f32, float)                                       \
	X(p, SHMX_F64, f64, double)
#define SHMX__CALL_P(X, E, sfx, T) X(E, sfx, T)
#define SHMX__SINT(X) SHMX__SINT_P(SHMX__CALL_P, X)
#define SHMX__UINT(X) SHMX__UINT_P(SHMX__CALL_P, X)
#define SHMX__FLOAT(X) SHMX__FLOAT_P(SHMX__CALL_P, X)
#define SHMX__INT(X) SHMX__SINT(X) SHMX__UINT(X)
#define SHMX__ALL(X) SHMX__INT(X) SHMX__FLOAT(X)

/* Names built from a template's parameters (the arguments are expanded
 * first): SHMX__NAME3(fsum, sq, f32) is fsum_sq_f32. */
#define SHMX__CAT_(a, b) a##b
#define SHMX__CAT(a, b) SHMX__CAT_(a, b)
#define SHMX__NAME3_(a, b, c) a##_##b##_##c
#define SHMX__NAME3(a, b, c) SHMX__NAME3_(a, b, c)
#define SHMX__NAME4_(a, b, c, d) a##_##b##_##c##_##d
#define SHMX__NAME4(a, b, c, d) SHMX__NAME4_(a, b, c, d)

/* Designated initialisers [SHMX_I8] = &prefix_i8, ... for per-dtype
 * tables. */
#define SHMX__TABLE_ENTRY(prefix, E, sfx, T) [E] = &prefix##_##sfx,
#define SHMX__TABLE_SINT(p) SHMX__SINT_P(SHMX__TABLE_ENTRY, p)
#define SHMX__TABLE_UINT(p) SHMX__UINT_P(SHMX__TABLE_ENTRY, p)
#define SHMX__TABLE_FLOAT(p) SHMX__FLOAT_P(SHMX__TABLE_ENTRY, p)
#define SHMX__TABLE_INT(p) SHMX__TABLE_SINT(p) SHMX__TABLE_UINT(p)

#define SHMX__DECLARE_REDUCTION(op) extern const struct shmx_kernel shmx__k_##op;
#define SHMX__DECLARE_MAP(op, form, args) extern const struct shmx_kernel shmx__k_##op;
SHMX__REDUCTIONS(SHMX__DECLARE_REDUCTION)
SHMX__MAPS(SHMX__DECLARE_MAP)
#undef SHMX__DECLARE_REDUCTION
#undef SHMX__DECLARE_MAP
extern const struct shmx_kernel shmx__k_fill; /* gen's: no input */

#endif
