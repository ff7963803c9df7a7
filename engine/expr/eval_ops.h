/* engine/expr/eval_ops.h - the evaluator's element-wise loops, one per
 * operation and dtype (eval_ops.c), and its reductions (eval_red.c).
 * Private to expr/.
 *
 * A loop takes n elements; an operand is a vector (n contiguous values)
 * or a scalar (one value, broadcast), as `mode` says: bit k set when
 * operand k is a scalar.  Every loop over vectors is a plain C loop over
 * contiguous arrays, which gcc vectorises where the operation allows (the
 * f64 comparisons, which it does not vectorise, are written with GCC
 * vector types); no -ffast-math, so each value is numpy's (IEEE, in
 * numpy's order).
 */
#ifndef SHMX_EXPR_EVAL_OPS_H
#define SHMX_EXPR_EVAL_OPS_H

#include <stddef.h>
#include <stdint.h>
#include "expr/expr.h"
#include "kernels/accum.h"

/* Binary operations whose operands and result have the loop's dtype. */
enum shmx__ev_bin_op {
	SHMX__EV_ADD, SHMX__EV_SUB, SHMX__EV_MUL, SHMX__EV_DIV,
	SHMX__EV_FDIV, SHMX__EV_MOD, SHMX__EV_POW, SHMX__EV_AND,
	SHMX__EV_OR, SHMX__EV_XOR, SHMX__EV_MIN, SHMX__EV_MAX,
	SHMX__EV_ATAN2, SHMX__EV_HYPOT,
	/* comparisons: bool results */
	SHMX__EV_LT, SHMX__EV_LE, SHMX__EV_GT, SHMX__EV_GE, SHMX__EV_EQ,
	SHMX__EV_NE,
	SHMX__EV_BIN_COUNT
};

/* Unary operations: the loop's dtype in and out (predicates: bool out). */
enum shmx__ev_un_op {
	SHMX__EV_NEG, SHMX__EV_INV, SHMX__EV_ABS, SHMX__EV_SIGN,
	SHMX__EV_SQRT, SHMX__EV_EXP, SHMX__EV_EXPM1, SHMX__EV_LOG,
	SHMX__EV_LOG1P, SHMX__EV_LOG2, SHMX__EV_LOG10, SHMX__EV_SIN,
	SHMX__EV_COS, SHMX__EV_TAN, SHMX__EV_ASIN, SHMX__EV_ACOS,
	SHMX__EV_ATAN, SHMX__EV_SINH, SHMX__EV_COSH, SHMX__EV_TANH,
	SHMX__EV_FLOOR, SHMX__EV_CEIL, SHMX__EV_RINT, SHMX__EV_TRUNC,
	SHMX__EV_SQUARE, SHMX__EV_RECIP,
	SHMX__EV_ISNAN, SHMX__EV_ISINF, SHMX__EV_ISFINITE,
	SHMX__EV_UN_COUNT
};

/* 0, or SHMX_EEXPR with err (integers to negative powers). */
typedef int shmx__ev_bin_fn(void *o, const void *a, const void *b, size_t n,
			    unsigned mode, struct shmx_error *err);
typedef void shmx__ev_un_fn(void *o, const void *a, size_t n);
/* where(c, a, b) (c bool), clip(x, lo, hi): three operands */
typedef void shmx__ev_tern_fn(void *o, const void *a, const void *b,
			      const void *c, size_t n, unsigned mode);

/* NULL where numpy has no such loop (the typing never asks for one). */
shmx__ev_bin_fn *shmx__ev_bin(enum shmx__ev_bin_op op, enum shmx_dtype t);
shmx__ev_un_fn *shmx__ev_un(enum shmx__ev_un_op op, enum shmx_dtype t);
shmx__ev_un_fn *shmx__ev_cast(enum shmx_dtype from, enum shmx_dtype to);
shmx__ev_tern_fn *shmx__ev_where(enum shmx_dtype t);
shmx__ev_tern_fn *shmx__ev_clip(enum shmx_dtype t);

/* ---- reductions (eval_red.c) --------------------------------------------
 *
 * A reduction's operand is first cast to its accumulation kind: f64 for
 * the floats' sums and moments and every mean/var/std, i64 or u64 for the
 * integers' (sums wrap in u64, as numpy's int64/uint64 sums do), bool for
 * count_nonzero/any/all.  The state of a value, or of a column, is one
 * struct shmx__ev_acc; all zero is the empty state, so a zeroed slot is
 * ready. */
enum shmx__ev_kind { SHMX__EV_KF, SHMX__EV_KI, SHMX__EV_KU, SHMX__EV_KB };

struct shmx__ev_acc {
	struct shmx__mom m; /* m.n: how many values (numbers for nan forms) */
	double s, c;        /* f64: sum + compensation, or prod, min, max */
	uint64_t u;         /* integers: sum, prod, min, max bits; counts */
	int64_t idx;        /* argmin, argmax: where */
};

struct shmx__ev_red {
	int func;                /* enum shmx__expr_func */
	enum shmx__ev_kind kind; /* of the operand, as cast */
	enum shmx_dtype out;     /* the result's dtype */
};

/* The accumulation dtype of func over an operand of dtype t. */
enum shmx_dtype shmx__ev_red_kind(int func, enum shmx_dtype t,
				  enum shmx__ev_kind *kind);
/* n contiguous values (of the kind's dtype) into a; index0: the flat
 * index of x[0] (argmin, argmax). */
void shmx__ev_red_all(const struct shmx__ev_red *r, struct shmx__ev_acc *a,
		      const void *x, size_t n, int64_t index0);
/* nrows x cols values into the columns' states a[cols]; row0 is the row
 * of x's first (argmin, argmax). */
void shmx__ev_red_cols(const struct shmx__ev_red *r, struct shmx__ev_acc *a,
		       const void *x, size_t nrows, size_t cols, int64_t row0,
		       double *scratch);
/* a := a then b. */
void shmx__ev_red_merge(const struct shmx__ev_red *r, struct shmx__ev_acc *a,
			const struct shmx__ev_acc *b);
/* The value of a into out (r->out). */
void shmx__ev_red_finish(const struct shmx__ev_red *r,
			 const struct shmx__ev_acc *a, void *out);
/* One result per row of nrows x cols values into out (r->out). */
void shmx__ev_red_rows(const struct shmx__ev_red *r, const void *x,
		       size_t nrows, size_t cols, void *out);

#endif
