/* engine/expr/expr.h - the expression language of `shmx eval`, compiled:
 * parsed, typed with numpy 1.24's rules, its Python-scalar subtrees
 * folded, and each node placed for the planner.  Pure: no system calls,
 * no recursion deeper than SHMX__EXPR_DEPTH_MAX, fuzzed (fuzz_expr).
 *
 * The evaluator reads the tree below and nothing else:
 *   - every node has its dtype (shmx's, SHMX__X_BOOL included) and numpy
 *     shape;
 *   - `place` says where its value comes from: computed element by element
 *     in the pass over the rows (ELEMENT), a reduction over each row
 *     computed inside that same pass (ROW), or a value computed by an
 *     earlier pass over the data and then used as a constant (PASS: a
 *     reduction with axis=0 or None, or a per-row vector that numpy
 *     broadcasts along the columns of a 2-D operand, which needs all of
 *     its rows);
 *   - PASS nodes carry `pass`, their pass number: a PASS node that contains
 *     other PASS nodes runs after them.  expr->passes lists them in an
 *     order that respects that (by pass, then left to right).
 */
#ifndef SHMX_EXPR_H
#define SHMX_EXPR_H

#include <stddef.h>
#include <stdint.h>
#include "shmx/dtype.h"
#include "shmx/error.h"
#include "shmx/kernel.h"
#include "shmx/shape.h"

/* characters of an expression: Linux's MAX_ARG_STRLEN, the longest that
 * one command-line argument can be */
#define SHMX__EXPR_LEN_MAX 131072u
#define SHMX__EXPR_DEPTH_MAX 1000u /* nesting, and depth of the tree */
#define SHMX__EXPR_NAME_MAX 64u    /* bytes of an input's name */

/* A result type: shmx's dtypes by their own numbers (SHMX__X_BOOL is
 * SHMX_BOOL, numpy's bool, which comparisons give). */
enum shmx__xtype {
	SHMX__X_I8 = SHMX_I8,
	SHMX__X_I16 = SHMX_I16,
	SHMX__X_I32 = SHMX_I32,
	SHMX__X_I64 = SHMX_I64,
	SHMX__X_U8 = SHMX_U8,
	SHMX__X_U16 = SHMX_U16,
	SHMX__X_U32 = SHMX_U32,
	SHMX__X_U64 = SHMX_U64,
	SHMX__X_F32 = SHMX_F32,
	SHMX__X_F64 = SHMX_F64,
	SHMX__X_BOOL = SHMX_BOOL,
	SHMX__X_COUNT = SHMX_DTYPE_COUNT
};

const char *shmx__xtype_name(enum shmx__xtype t); /* "f64", "bool" */

enum shmx__expr_kind {
	SHMX__EXPR_NUM = 1, /* a constant */
	SHMX__EXPR_INPUT,   /* a bound input */
	SHMX__EXPR_UNARY,
	SHMX__EXPR_BINARY,
	SHMX__EXPR_CALL,
	SHMX__EXPR_COLUMNS, /* arg[0][:, j] or arg[0][:, start:stop] */
};

enum shmx__expr_op {
	SHMX__OP_NEG = 1, SHMX__OP_POS, SHMX__OP_INV, /* unary - + ~ */
	SHMX__OP_ADD, SHMX__OP_SUB, SHMX__OP_MUL, SHMX__OP_DIV,
	SHMX__OP_FDIV, SHMX__OP_MOD, SHMX__OP_POW,
	SHMX__OP_LT, SHMX__OP_LE, SHMX__OP_GT, SHMX__OP_GE,
	SHMX__OP_EQ, SHMX__OP_NE,
	SHMX__OP_AND, SHMX__OP_OR, SHMX__OP_XOR,
	SHMX__OP_COUNT
};

/* The functions: X(ID, name, min args, max args, class). */
#define SHMX__EXPR_FUNCS(X)                                                 \
	X(ABS, "abs", 1, 1, SAME) X(SQRT, "sqrt", 1, 1, FLOAT)               \
	X(EXP, "exp", 1, 1, FLOAT) X(EXPM1, "expm1", 1, 1, FLOAT)            \
	X(LOG, "log", 1, 1, FLOAT) X(LOG1P, "log1p", 1, 1, FLOAT)            \
	X(LOG2, "log2", 1, 1, FLOAT) X(LOG10, "log10", 1, 1, FLOAT)          \
	X(SIN, "sin", 1, 1, FLOAT) X(COS, "cos", 1, 1, FLOAT)                \
	X(TAN, "tan", 1, 1, FLOAT) X(ARCSIN, "arcsin", 1, 1, FLOAT)          \
	X(ARCCOS, "arccos", 1, 1, FLOAT) X(ARCTAN, "arctan", 1, 1, FLOAT)    \
	X(SINH, "sinh", 1, 1, FLOAT) X(COSH, "cosh", 1, 1, FLOAT)            \
	X(TANH, "tanh", 1, 1, FLOAT) X(ARCTAN2, "arctan2", 2, 2, FLOAT)      \
	X(HYPOT, "hypot", 2, 2, FLOAT) X(FLOOR, "floor", 1, 1, FLOAT)        \
	X(CEIL, "ceil", 1, 1, FLOAT) X(RINT, "rint", 1, 1, FLOAT)            \
	X(TRUNC, "trunc", 1, 1, FLOAT) X(SIGN, "sign", 1, 1, SAME)           \
	X(ISNAN, "isnan", 1, 1, PRED) X(ISINF, "isinf", 1, 1, PRED)          \
	X(ISFINITE, "isfinite", 1, 1, PRED)                                  \
	X(MINIMUM, "minimum", 2, 2, SAME) X(MAXIMUM, "maximum", 2, 2, SAME)  \
	X(CLIP, "clip", 3, 3, SAME) X(WHERE, "where", 3, 3, WHERE)           \
	X(FLOAT32, "float32", 1, 1, CAST) X(FLOAT64, "float64", 1, 1, CAST)  \
	X(INT8, "int8", 1, 1, CAST) X(INT16, "int16", 1, 1, CAST)            \
	X(INT32, "int32", 1, 1, CAST) X(INT64, "int64", 1, 1, CAST)          \
	X(UINT8, "uint8", 1, 1, CAST) X(UINT16, "uint16", 1, 1, CAST)        \
	X(UINT32, "uint32", 1, 1, CAST) X(UINT64, "uint64", 1, 1, CAST)      \
	X(BOOL, "bool", 1, 1, CAST)                                          \
	X(SUM, "sum", 1, 1, REDUCE) X(PROD, "prod", 1, 1, REDUCE)            \
	X(MEAN, "mean", 1, 1, REDUCE) X(MIN, "min", 1, 1, REDUCE)            \
	X(MAX, "max", 1, 1, REDUCE) X(VAR, "var", 1, 1, REDUCE)              \
	X(STD, "std", 1, 1, REDUCE) X(ARGMIN, "argmin", 1, 1, REDUCE)        \
	X(ARGMAX, "argmax", 1, 1, REDUCE)                                    \
	X(COUNT_NONZERO, "count_nonzero", 1, 1, REDUCE)                      \
	X(ANY, "any", 1, 1, REDUCE) X(ALL, "all", 1, 1, REDUCE)              \
	X(NANSUM, "nansum", 1, 1, REDUCE) X(NANMEAN, "nanmean", 1, 1, REDUCE) \
	X(NANMIN, "nanmin", 1, 1, REDUCE) X(NANMAX, "nanmax", 1, 1, REDUCE)  \
	X(NANVAR, "nanvar", 1, 1, REDUCE) X(NANSTD, "nanstd", 1, 1, REDUCE)

enum shmx__expr_func {
#define SHMX__FUNC_ENUM(id, name, lo, hi, cls) SHMX__F_##id,
	SHMX__EXPR_FUNCS(SHMX__FUNC_ENUM)
#undef SHMX__FUNC_ENUM
	SHMX__F_COUNT
};

enum shmx__expr_place {
	SHMX__AT_ELEMENT = 0, /* element by element in the pass over rows */
	SHMX__AT_ROW,         /* a reduction over each row, in that pass */
	SHMX__AT_PASS,        /* computed by an earlier pass, then constant */
};

/* node flags */
#define SHMX__N_CONST 0x1u       /* a 0-d constant whose value is known */
#define SHMX__N_PY 0x2u          /* ... and a Python scalar (weak, foldable) */
#define SHMX__N_VALUE_BASED 0x4u /* dtype assumes that a 0-d value computed
				  * by a pass fits the other operands' dtype,
				  * as numpy 1.24's value-based casting would
				  * find for most values: the evaluator checks
				  * the value once its pass is done */
#define SHMX__N_ROWWISE 0x8u     /* axis 0 of its shape runs along the rows
				  * of the inputs (the pass's rows) */
#define SHMX__N_PAREN 0x10u      /* written in parentheses (parser only) */

__extension__ typedef __int128 shmx__i128;

struct shmx__expr_node {
	enum shmx__expr_kind kind;
	int op;       /* enum shmx__expr_op, or enum shmx__expr_func */
	unsigned col; /* 1-based column of the token that made it */
	unsigned nargs;
	struct shmx__expr_node *arg[3];
	/* CALL of a reduction: the axis as numpy normalises it */
	enum shmx_axis axis;
	int64_t axis_raw; /* as written (parse), for the messages */
	int has_axis;
	unsigned axis_col;
	/* INPUT: which binding */
	unsigned input;
	/* COLUMNS: [start, stop) normalised by the typing (INT64_MIN for a
	 * bound not written before it); single for x[:, j] (1-D) */
	int64_t start, stop, index;
	int single;
	/* NUM: the value (i for ints and bools, f for floats) */
	shmx__i128 i;
	double f;
	/* the typed tree */
	enum shmx__xtype dtype;
	int ndim;
	uint64_t dim[2];
	unsigned flags, depth;
	/* the planner's input */
	enum shmx__expr_place place;
	int pass; /* PASS nodes: 0 runs first; -1 otherwise */
};

/* An input the expression may name. */
struct shmx__expr_binding {
	const char *name; /* an identifier, not a function's name */
	enum shmx_dtype dtype;
	struct shmx_shape shape;
};

struct shmx__expr {
	struct shmx__expr_node *root;
	struct shmx__expr_node *nodes; /* all of them, one allocation */
	unsigned nnodes, cap;
	unsigned ninputs;
	struct shmx__expr_binding in[SHMX_KERNEL_INPUTS_MAX];
	char names[SHMX_KERNEL_INPUTS_MAX][SHMX__EXPR_NAME_MAX];
	int rows_ndim;  /* 2 when a 2-D input sets the rows, 1, or 0 */
	uint64_t rows;  /* the pass's rows */
	unsigned npasses; /* passes before the main one */
	unsigned npass_nodes;
	struct shmx__expr_node **passes; /* by pass, then left to right */
};

/* Parse, type, fold and place `text` over the inputs.  0 and *out, or
 * SHMX_EEXPR with "expression: col N: ..." in err (SHMX_EUSAGE for bad
 * bindings, -ENOMEM). */
int shmx__expr_compile(const char *text,
		       const struct shmx__expr_binding *inputs, unsigned n,
		       struct shmx__expr **out, struct shmx_error *err);
void shmx__expr_free(struct shmx__expr *e);

/* The tree as text into buf (NUL-terminated, cut short to len - 1):
 * fully parenthesised Python that parses back to the same tree; with
 * SHMX__DUMP_TYPES every node is followed by ":dtype[shape]" and, for
 * reductions, "@row" or "@passN".  Returns the length it needed. */
#define SHMX__DUMP_TYPES 0x1u
size_t shmx__expr_dump(const struct shmx__expr *e, unsigned flags, char *buf,
		       size_t len);

const char *shmx__expr_func_name(enum shmx__expr_func f);

#endif
