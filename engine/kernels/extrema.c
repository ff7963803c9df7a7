/* engine/kernels/extrema.c - min, max, nanmin, nanmax, argmin, argmax.
 *
 * Everything here is one comparison, better(v, a): "v should replace a".
 *   min / max        v < a (v > a), or v is NaN: NaN propagates, as numpy's
 *                    minimum.reduce; once a is NaN nothing replaces it.
 *   nanmin / nanmax  v < a (v > a), or a is NaN: NaN is skipped, and only
 *                    an all-NaN slice gives NaN.
 *   argmin / argmax  strictly better (ties keep the first index), or v is
 *                    the first NaN.
 * For integers there is no NaN and every variant is the plain comparison.
 *
 * Vectorising.  gcc cannot vectorise a floating-point min *reduction*
 * without -ffinite-math-only, but `acc[c] = better(x[c], acc[c]) ? ...`
 * across columns is element-wise and vectorises as written.  So one
 * column loop, ext_*_fold(), serves AXIS_COLS and, viewing a contiguous
 * run as a matrix WIDTH elements wide, AXIS_ALL and AXIS_ROWS too.  It is
 * noipa so that gcc cannot specialise it for the constant width, unroll
 * it, and get back the reduction it cannot vectorise.  (argmin: the best
 * value of each block that way, then a scan of that block, in L1, for
 * its first index.)
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3") /* -O2 (RelWithDebInfo) vectorises too little */
#endif

#include "kernels/accum.h"
#include "kernels/ops.h"
#include "kernels/reduce.h"

#if defined(__clang__)
#define NOIPA __attribute__((noinline))
#else
#define NOIPA __attribute__((noipa))
#endif

#define ARG_BLOCK 1024 /* argmin: block best first, then a scan in L1 */

/* AXIS_ALL state, one layout per element type. */
#define EXT_STATE(T)                                                        \
	struct {                                                            \
		uint64_t n;                                                 \
		int64_t idx;                                                \
		T val;                                                      \
	}

#define BETTER_min_int(v, a) ((v) < (a))
#define BETTER_max_int(v, a) ((v) > (a))
#define BETTER_min_prop(v, a) ((v) < (a) || (v) != (v))
#define BETTER_max_prop(v, a) ((v) > (a) || (v) != (v))
#define BETTER_min_skip(v, a) ((v) < (a) || (a) != (a))
#define BETTER_max_skip(v, a) ((v) > (a) || (a) != (a))
#define STRICT_min_int(v, a) ((v) < (a))
#define STRICT_max_int(v, a) ((v) > (a))
#define STRICT_min_prop(v, a) ((v) < (a) || ((v) != (v) && (a) == (a)))
#define STRICT_max_prop(v, a) ((v) > (a) || ((v) != (v) && (a) == (a)))

/* j := the first index at or after j where x holds v (v is there).  For
 * floats a NaN v finds the first NaN: numpy's argmin returns that. */
#define FIRST_int(x, v, j)                                                  \
	do {                                                                \
		while ((x)[j] != (v))                                       \
			(j)++;                                              \
	} while (0)
#define FIRST_prop(x, v, j)                                                 \
	do {                                                                \
		if ((v) == (v)) {                                           \
			while ((x)[j] != (v))                               \
				(j)++;                                      \
		} else {                                                    \
			while ((x)[j] == (x)[j])                            \
				(j)++;                                      \
		}                                                           \
	} while (0)

/* The width of the matrix view of a contiguous run: two cache lines. */
#define WIDTH(T) (128 / sizeof(T))

/* ext_<var>_<sfx>: min_int and max_int for integers, min_prop, max_prop,
 * min_skip and max_skip for floats. */
#define SHMX__TEMPLATE "kernels/extrema_ext.h"
#define VAR min_int
#include "kernels/each_int.h"
#undef VAR
#define VAR max_int
#include "kernels/each_int.h"
#undef VAR
#define VAR min_prop
#include "kernels/each_float.h"
#undef VAR
#define VAR max_prop
#include "kernels/each_float.h"
#undef VAR
#define VAR min_skip
#include "kernels/each_float.h"
#undef VAR
#define VAR max_skip
#include "kernels/each_float.h"
#undef VAR
#undef SHMX__TEMPLATE

/* arg_<dir>_<sfx>: from the int comparisons for integers, prop for
 * floats. */
#define SHMX__TEMPLATE "kernels/extrema_arg.h"
#define KIND int
#define DIR min
#include "kernels/each_int.h"
#undef DIR
#define DIR max
#include "kernels/each_int.h"
#undef DIR
#undef KIND
#define KIND prop
#define DIR min
#include "kernels/each_float.h"
#undef DIR
#define DIR max
#include "kernels/each_float.h"
#undef DIR
#undef KIND
#undef SHMX__TEMPLATE

static const struct shmx__red_op min_op = {
	.name = "min",
	.result = SHMX__RES_SAME,
	.fin = SHMX__FIN_SUM,
	.no_identity = 1,
	.impl = { SHMX__TABLE_INT(ext_min_int) SHMX__TABLE_FLOAT(ext_min_prop) },
};
static const struct shmx__red_op max_op = {
	.name = "max",
	.result = SHMX__RES_SAME,
	.fin = SHMX__FIN_SUM,
	.no_identity = 1,
	.impl = { SHMX__TABLE_INT(ext_max_int) SHMX__TABLE_FLOAT(ext_max_prop) },
};
static const struct shmx__red_op nanmin_op = {
	.name = "nanmin",
	.result = SHMX__RES_SAME,
	.fin = SHMX__FIN_SUM,
	.no_identity = 1,
	.impl = { SHMX__TABLE_INT(ext_min_int) SHMX__TABLE_FLOAT(ext_min_skip) },
};
static const struct shmx__red_op nanmax_op = {
	.name = "nanmax",
	.result = SHMX__RES_SAME,
	.fin = SHMX__FIN_SUM,
	.no_identity = 1,
	.impl = { SHMX__TABLE_INT(ext_max_int) SHMX__TABLE_FLOAT(ext_max_skip) },
};
static const struct shmx__red_op argmin_op = {
	.name = "argmin",
	.result = SHMX__RES_INDEX,
	.fin = SHMX__FIN_SUM,
	.no_identity = 1,
	.impl = { SHMX__TABLE_INT(arg_min) SHMX__TABLE_FLOAT(arg_min) },
};
static const struct shmx__red_op argmax_op = {
	.name = "argmax",
	.result = SHMX__RES_INDEX,
	.fin = SHMX__FIN_SUM,
	.no_identity = 1,
	.impl = { SHMX__TABLE_INT(arg_max) SHMX__TABLE_FLOAT(arg_max) },
};

SHMX__REDUCTION(min, min_op);
SHMX__REDUCTION(max, max_op);
SHMX__REDUCTION(nanmin, nanmin_op);
SHMX__REDUCTION(nanmax, nanmax_op);
SHMX__REDUCTION(argmin, argmin_op);
SHMX__REDUCTION(argmax, argmax_op);
