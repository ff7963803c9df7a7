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

/* The merges of `name`: the best over the chunks' states by CMP(v, a),
 * as in one pass, since chunks come in order and CMP keeps the earlier of
 * equals.  IDX 0: the result is the value (COLS slot array 0: values);
 * IDX 1: its index (slot arrays 0: indices as i64, 1: values). */
#define DEFINE_MERGE(name, CMP, T, IDX)                                     \
	static void name##_merge_all(const struct shmx__red_op *op,         \
				     const char *slots, size_t stride,      \
				     uint64_t nchunks, void *out)           \
	{                                                                   \
		int have = 0;                                               \
		int64_t best_i = 0;                                         \
		T best = 0;                                                 \
                                                                            \
		(void)op;                                                   \
		for (uint64_t i = 0; i < nchunks; i++) {                    \
			const EXT_STATE(T) *st =                            \
				(const void *)(slots + i * stride);         \
                                                                            \
			if (st->n && (!have || CMP(st->val, best))) {       \
				best = st->val;                             \
				best_i = IDX ? st->idx : 0;                 \
			}                                                   \
			have |= st->n != 0;                                 \
		}                                                           \
		if (IDX)                                                    \
			*(int64_t *)out = best_i;                           \
		else                                                        \
			*(T *)out = best;                                   \
	}                                                                   \
	static void name##_merge_cols(const struct shmx__red_op *op,        \
				      const char *slots, size_t stride,     \
				      uint64_t nchunks, uint64_t cols,      \
				      void *out)                            \
	{                                                                   \
		(void)op;                                                   \
		for (uint64_t c = 0; c < cols; c++) {                       \
			int have = 0;                                       \
			int64_t best_i = 0;                                 \
			T best = 0;                                         \
                                                                            \
			for (uint64_t i = 0; i < nchunks; i++) {            \
				const char *slot = slots + i * stride;      \
				const T *val =                              \
					shmx__slot_array_c(slot, cols, IDX);\
                                                                            \
				if (!shmx__slot_nrows_c(slot))              \
					continue;                           \
				if (!have || CMP(val[c], best)) {           \
					best = val[c];                      \
					best_i = IDX ? ((const int64_t *)   \
						shmx__slot_array_c(slot,    \
							cols, 0))[c] : 0;   \
				}                                           \
				have = 1;                                   \
			}                                                   \
			if (IDX)                                            \
				((int64_t *)out)[c] = best_i;               \
			else                                                \
				((T *)out)[c] = best;                       \
		}                                                           \
	}

/* var: min_int, max_int (integers), min_prop, max_prop, min_skip or
 * max_skip (floats). */
#define DEFINE_EXT(var, sfx, T)                                             \
	NOIPA static void ext_##var##_##sfx##_fold(                         \
		const T *x, uint64_t nrows, uint64_t cols, T *acc)          \
	{                                                                   \
		for (uint64_t r = 0; r < nrows; r++, x += cols)             \
			for (uint64_t c = 0; c < cols; c++) {               \
				T v = x[c], a = acc[c];                     \
				acc[c] = BETTER_##var(v, a) ? v : a;        \
			}                                                   \
	}                                                                   \
	/* The best of x[0..n), n >= 1. */                                  \
	static T ext_##var##_##sfx##_run(const T *x, uint64_t n)            \
	{                                                                   \
		const uint64_t w = WIDTH(T);                                \
		uint64_t i = 1;                                             \
		T best = x[0];                                              \
                                                                            \
		if (n >= 2 * w) {                                           \
			T acc[WIDTH(T)];                                    \
                                                                            \
			memcpy(acc, x, sizeof acc);                         \
			ext_##var##_##sfx##_fold(x + w, n / w - 1, w, acc); \
			best = acc[0];                                      \
			for (uint64_t j = 1; j < w; j++)                    \
				best = BETTER_##var(acc[j], best) ? acc[j]  \
								  : best;   \
			i = n / w * w;                                      \
		}                                                           \
		for (; i < n; i++)                                          \
			best = BETTER_##var(x[i], best) ? x[i] : best;      \
		return best;                                                \
	}                                                                   \
	static void ext_##var##_##sfx##_all(const struct shmx__red_op *op,  \
					    const void *x, uint64_t n,      \
					    uint64_t index0, void *slot)    \
	{                                                                   \
		EXT_STATE(T) *st = slot;                                    \
                                                                            \
		(void)op;                                                   \
		(void)index0;                                               \
		st->val = ext_##var##_##sfx##_run(x, n);                    \
		st->n = n;                                                  \
	}                                                                   \
	static void ext_##var##_##sfx##_rows(const struct shmx__red_op *op, \
					     const void *x, uint64_t nrows, \
					     uint64_t cols, void *out)      \
	{                                                                   \
		const T *p = x;                                             \
                                                                            \
		(void)op;                                                   \
		for (uint64_t r = 0; r < nrows; r++, p += cols)             \
			((T *)out)[r] = ext_##var##_##sfx##_run(p, cols);   \
	}                                                                   \
	static void ext_##var##_##sfx##_cols(const struct shmx__red_op *op, \
					     const void *x, uint64_t nrows, \
					     uint64_t cols, uint64_t row0,  \
					     void *slot)                    \
	{                                                                   \
		T *acc = shmx__slot_array(slot, cols, 0);                   \
                                                                            \
		(void)op;                                                   \
		(void)row0;                                                 \
		memcpy(acc, x, cols * sizeof(T));                           \
		ext_##var##_##sfx##_fold((const T *)x + cols, nrows - 1,    \
					 cols, acc);                        \
	}                                                                   \
	DEFINE_MERGE(ext_##var##_##sfx, BETTER_##var, T, 0)                 \
	static const struct shmx__red_impl ext_##var##_##sfx = {            \
		8,                                                          \
		ext_##var##_##sfx##_all,                                    \
		ext_##var##_##sfx##_rows,                                   \
		ext_##var##_##sfx##_cols,                                   \
		ext_##var##_##sfx##_merge_all,                              \
		ext_##var##_##sfx##_merge_cols,                             \
	};

/* dir: min or max; kind: int or prop, the comparisons (ext_<dir>_<kind>
 * gives the best of each block). */
#define DEFINE_ARG(dir, kind, sfx, T)                                       \
	/* The first index of the best of x[0..n), n >= 1. */               \
	static uint64_t arg_##dir##_##sfx##_run(const T *x, uint64_t n,     \
						T *val)                     \
	{                                                                   \
		uint64_t best_i = 0;                                        \
		T best = x[0];                                              \
                                                                            \
		for (uint64_t j = 1; n < 2 * WIDTH(T) && j < n; j++) {      \
			if (STRICT_##dir##_##kind(x[j], best)) {            \
				best = x[j]; /* a short row: one pass */    \
				best_i = j;                                 \
			}                                                   \
		}                                                           \
		for (uint64_t b = 0; n >= 2 * WIDTH(T) && b < n;            \
		     b += ARG_BLOCK) {                                      \
			uint64_t m = n - b < ARG_BLOCK ? n - b : ARG_BLOCK; \
			T v = ext_##dir##_##kind##_##sfx##_run(x + b, m);       \
			uint64_t j = 0;                                     \
                                                                            \
			if (b && !STRICT_##dir##_##kind(v, best))                    \
				continue;                                   \
			FIRST_##kind(x + b, v, j);                          \
			best = v;                                           \
			best_i = b + j;                                     \
		}                                                           \
		*val = best;                                                \
		return best_i;                                              \
	}                                                                   \
	static void arg_##dir##_##sfx##_all(const struct shmx__red_op *op,  \
					    const void *x, uint64_t n,      \
					    uint64_t index0, void *slot)    \
	{                                                                   \
		EXT_STATE(T) *st = slot;                                    \
                                                                            \
		(void)op;                                                   \
		st->idx = (int64_t)(index0 +                                \
				    arg_##dir##_##sfx##_run(x, n, &st->val));\
		st->n = n;                                                  \
	}                                                                   \
	static void arg_##dir##_##sfx##_rows(const struct shmx__red_op *op, \
					     const void *x, uint64_t nrows, \
					     uint64_t cols, void *out)      \
	{                                                                   \
		const T *p = x;                                             \
		T v;                                                        \
                                                                            \
		(void)op;                                                   \
		for (uint64_t r = 0; r < nrows; r++, p += cols)             \
			((int64_t *)out)[r] =                               \
				(int64_t)arg_##dir##_##sfx##_run(p, cols, &v);\
	}                                                                   \
	/* COLS slot arrays: 0 the index (i64), 1 the value (T). */         \
	static void arg_##dir##_##sfx##_cols(const struct shmx__red_op *op, \
					     const void *x, uint64_t nrows, \
					     uint64_t cols, uint64_t row0,  \
					     void *slot)                    \
	{                                                                   \
		int64_t *idx = shmx__slot_array(slot, cols, 0);             \
		T *val = shmx__slot_array(slot, cols, 1);                   \
		const T *p = x;                                             \
                                                                            \
		(void)op;                                                   \
		memcpy(val, p, cols * sizeof(T));                           \
		for (uint64_t c = 0; c < cols; c++)                         \
			idx[c] = (int64_t)row0;                             \
		for (uint64_t r = 1; r < nrows; r++) {                      \
			p += cols;                                          \
			for (uint64_t c = 0; c < cols; c++) {               \
				T v = p[c], a = val[c];                     \
				int b = STRICT_##dir##_##kind(v, a);                 \
                                                                            \
				val[c] = b ? v : a;                         \
				idx[c] = b ? (int64_t)(row0 + r) : idx[c];  \
			}                                                   \
		}                                                           \
	}                                                                   \
	DEFINE_MERGE(arg_##dir##_##sfx, STRICT_##dir##_##kind, T, 1)        \
	static const struct shmx__red_impl arg_##dir##_##sfx = {            \
		16,                                                         \
		arg_##dir##_##sfx##_all,                                    \
		arg_##dir##_##sfx##_rows,                                   \
		arg_##dir##_##sfx##_cols,                                   \
		arg_##dir##_##sfx##_merge_all,                              \
		arg_##dir##_##sfx##_merge_cols,                             \
	};

#define DEFINE_EXTREMA_INT(E, sfx, T)                                       \
	DEFINE_EXT(min_int, sfx, T)                                         \
	DEFINE_EXT(max_int, sfx, T)                                         \
	DEFINE_ARG(min, int, sfx, T)                                        \
	DEFINE_ARG(max, int, sfx, T)
#define DEFINE_EXTREMA_FLOAT(E, sfx, T)                                     \
	DEFINE_EXT(min_prop, sfx, T)                                        \
	DEFINE_EXT(max_prop, sfx, T)                                        \
	DEFINE_EXT(min_skip, sfx, T)                                        \
	DEFINE_EXT(max_skip, sfx, T)                                        \
	DEFINE_ARG(min, prop, sfx, T)                                       \
	DEFINE_ARG(max, prop, sfx, T)
SHMX__INT(DEFINE_EXTREMA_INT)
SHMX__FLOAT(DEFINE_EXTREMA_FLOAT)

static const struct shmx__red_op min_op = {
	"min", SHMX__RES_SAME, SHMX__FIN_SUM, 1,
	{ SHMX__TABLE_INT(ext_min_int) SHMX__TABLE_FLOAT(ext_min_prop) },
};
static const struct shmx__red_op max_op = {
	"max", SHMX__RES_SAME, SHMX__FIN_SUM, 1,
	{ SHMX__TABLE_INT(ext_max_int) SHMX__TABLE_FLOAT(ext_max_prop) },
};
static const struct shmx__red_op nanmin_op = {
	"nanmin", SHMX__RES_SAME, SHMX__FIN_SUM, 1,
	{ SHMX__TABLE_INT(ext_min_int) SHMX__TABLE_FLOAT(ext_min_skip) },
};
static const struct shmx__red_op nanmax_op = {
	"nanmax", SHMX__RES_SAME, SHMX__FIN_SUM, 1,
	{ SHMX__TABLE_INT(ext_max_int) SHMX__TABLE_FLOAT(ext_max_skip) },
};
static const struct shmx__red_op argmin_op = {
	"argmin", SHMX__RES_INDEX, SHMX__FIN_SUM, 1,
	{ SHMX__TABLE_INT(arg_min) SHMX__TABLE_FLOAT(arg_min) },
};
static const struct shmx__red_op argmax_op = {
	"argmax", SHMX__RES_INDEX, SHMX__FIN_SUM, 1,
	{ SHMX__TABLE_INT(arg_max) SHMX__TABLE_FLOAT(arg_max) },
};

SHMX__REDUCTION(min, min_op);
SHMX__REDUCTION(max, max_op);
SHMX__REDUCTION(nanmin, nanmin_op);
SHMX__REDUCTION(nanmax, nanmax_op);
SHMX__REDUCTION(argmin, argmin_op);
SHMX__REDUCTION(argmax, argmax_op);
