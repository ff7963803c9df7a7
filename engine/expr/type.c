/* engine/expr/type.c - the typed tree: every node's dtype and shape by
 * numpy 1.24's rules (promotion in promote.c), checked before anything
 * runs, with Python-scalar subtrees folded (fold.c).  Recursion follows
 * the tree, whose depth the parser bounds (SHMX__EXPR_DEPTH_MAX). */
#include <inttypes.h>
#include <stdio.h>

#include "expr/ast.h"

static void shape_text(const struct shmx__expr_node *n, char *buf, size_t len)
{
	if (n->ndim == 0)
		snprintf(buf, len, "()");
	else if (n->ndim == 1)
		snprintf(buf, len, "(%" PRIu64 ",)", n->dim[0]);
	else
		snprintf(buf, len, "(%" PRIu64 ",%" PRIu64 ")", n->dim[0],
			 n->dim[1]);
}

/* numpy's broadcasting of n's operands into n's shape. */
static int broadcast(struct shmx__expr_node *n, struct shmx_error *err)
{
	n->ndim = 0;
	for (unsigned k = 0; k < n->nargs; k++)
		if (n->arg[k]->ndim > n->ndim)
			n->ndim = n->arg[k]->ndim;
	for (int d = 0; d < n->ndim; d++) {
		uint64_t size = 1;
		unsigned by = 0;

		for (unsigned k = 0; k < n->nargs; k++) {
			const struct shmx__expr_node *a = n->arg[k];
			int ad = d - (n->ndim - a->ndim); /* right-aligned */
			uint64_t s = ad < 0 ? 1 : a->dim[ad];

			if (s == size || s == 1)
				continue;
			if (size == 1) {
				size = s;
				by = k;
				continue;
			}
			char sa[48], sb[48];

			shape_text(n->arg[by], sa, sizeof(sa));
			shape_text(a, sb, sizeof(sb));
			return shmx__expr_fail(err, n->col,
					       "operands could not be "
					       "broadcast together with "
					       "shapes %s %s", sa, sb);
		}
		n->dim[d] = size;
	}
	return 0;
}

static const char *op_text(int op)
{
	static const char *const t[SHMX__OP_COUNT] = {
		[SHMX__OP_NEG] = "-", [SHMX__OP_POS] = "+", [SHMX__OP_INV] = "~",
		[SHMX__OP_ADD] = "+", [SHMX__OP_SUB] = "-", [SHMX__OP_MUL] = "*",
		[SHMX__OP_DIV] = "/", [SHMX__OP_FDIV] = "//",
		[SHMX__OP_MOD] = "%", [SHMX__OP_POW] = "**",
		[SHMX__OP_LT] = "<", [SHMX__OP_LE] = "<=", [SHMX__OP_GT] = ">",
		[SHMX__OP_GE] = ">=", [SHMX__OP_EQ] = "==",
		[SHMX__OP_NE] = "!=", [SHMX__OP_AND] = "&",
		[SHMX__OP_OR] = "|", [SHMX__OP_XOR] = "^",
	};
	return t[op];
}

const char *shmx__op_text(int op)
{
	return op_text(op);
}

static int type_unary(struct shmx__expr_node *n, struct shmx_error *err)
{
	enum shmx__xtype t = n->arg[0]->dtype;

	n->dtype = t;
	if (n->op == SHMX__OP_NEG && t == SHMX__X_BOOL)
		return shmx__expr_fail(err, n->col,
				       "numpy has no '-' for bool: use ~");
	if (n->op == SHMX__OP_INV && shmx__x_is_float(t))
		return shmx__expr_fail(err, n->col,
				       "bitwise '~' needs booleans or "
				       "integers, not %s", shmx__xtype_name(t));
	return 0;
}

/* numpy squares array ** 2 (any scalar 2): an int array with a float 2
 * as f64, a bool array as int8 (it has no bool square).  0 when this
 * fast path does not apply. */
static enum shmx__xtype pow_fast_path(const struct shmx__expr_node *a,
				      const struct shmx__expr_node *b)
{
	int two;

	if (!a->ndim || b->ndim || !(b->flags & SHMX__N_CONST) ||
	    shmx__x_is_float(a->dtype))
		return SHMX__X_COUNT;
	two = shmx__x_is_float(b->dtype) ? b->f == 2.0
	      : b->dtype != SHMX__X_BOOL && b->i == 2;
	if (!two)
		return SHMX__X_COUNT;
	if (a->dtype == SHMX__X_BOOL)
		return SHMX__X_I8;
	return shmx__x_is_float(b->dtype) ? SHMX__X_F64 : a->dtype;
}

static int type_pow(struct shmx__expr_node *n, struct shmx_error *err)
{
	struct shmx__expr_node *b = n->arg[1];

	n->dtype = pow_fast_path(n->arg[0], b);
	if (n->dtype != SHMX__X_COUNT)
		return 0;
	n->dtype = shmx__loop_type(n->arg, 2, 0, 1, &n->flags);
	if (shmx__x_is_int(n->dtype) && (b->flags & SHMX__N_CONST) &&
	    shmx__x_is_int(b->dtype) && b->i < 0)
		return shmx__expr_fail(err, n->col,
				       "integers to negative integer powers "
				       "are not allowed");
	return 0;
}

static int type_binary(struct shmx__expr_node *n, struct shmx_error *err)
{
	enum shmx__xtype t;

	switch (n->op) {
	case SHMX__OP_POW:
		return type_pow(n, err);
	case SHMX__OP_FDIV:
	case SHMX__OP_MOD:
		n->dtype = shmx__loop_type(n->arg, 2, 0, 1, &n->flags);
		return 0;
	case SHMX__OP_AND:
	case SHMX__OP_OR:
	case SHMX__OP_XOR:
		t = shmx__loop_type(n->arg, 2, 1, 0, &n->flags);
		if (t == SHMX__X_COUNT)
			return shmx__expr_fail(
				err, n->col,
				"bitwise '%s' needs booleans or integers, not "
				"%s", op_text(n->op),
				shmx__xtype_name(shmx__result_type(n->arg, 2,
								   &n->flags)));
		n->dtype = t;
		return 0;
	default:
		break;
	}
	t = shmx__result_type(n->arg, 2, &n->flags);
	if (n->op == SHMX__OP_SUB && t == SHMX__X_BOOL)
		return shmx__expr_fail(err, n->col,
				       "numpy has no '-' for two bools: use ^");
	if (n->op == SHMX__OP_DIV && !shmx__x_is_float(t))
		t = SHMX__X_F64;
	if (n->op >= SHMX__OP_LT && n->op <= SHMX__OP_NE)
		t = SHMX__X_BOOL;
	n->dtype = t;
	return 0;
}

static enum shmx__xtype reduce_type(int f, enum shmx__xtype t)
{
	switch (f) {
	case SHMX__F_SUM: case SHMX__F_PROD: case SHMX__F_NANSUM:
		if (t == SHMX__X_BOOL || (shmx__x_is_int(t) && !shmx__x_is_unsigned(t)))
			return SHMX__X_I64;
		return shmx__x_is_unsigned(t) ? SHMX__X_U64 : t;
	case SHMX__F_MEAN: case SHMX__F_VAR: case SHMX__F_STD:
	case SHMX__F_NANMEAN: case SHMX__F_NANVAR: case SHMX__F_NANSTD:
		return shmx__x_is_float(t) ? t : SHMX__X_F64;
	case SHMX__F_ARGMIN: case SHMX__F_ARGMAX: case SHMX__F_COUNT_NONZERO:
		return SHMX__X_I64;
	case SHMX__F_ANY: case SHMX__F_ALL:
		return SHMX__X_BOOL;
	default: /* min max nanmin nanmax */
		return t;
	}
}

static int no_identity(int f)
{
	return f == SHMX__F_MIN || f == SHMX__F_MAX || f == SHMX__F_ARGMIN ||
	       f == SHMX__F_ARGMAX || f == SHMX__F_NANMIN ||
	       f == SHMX__F_NANMAX;
}

static int type_reduce(struct shmx__expr_node *n, struct shmx_error *err)
{
	const struct shmx__expr_node *a = n->arg[0];
	int64_t ax = n->axis_raw;
	int empty = 0;

	n->dtype = reduce_type(n->op, a->dtype);
	n->axis = SHMX_AXIS_NONE;
	n->ndim = 0;
	for (int d = 0; d < a->ndim; d++)
		empty |= a->dim[d] == 0;
	if (n->has_axis) {
		if (ax < -a->ndim || ax >= a->ndim)
			return shmx__expr_fail(err, n->axis_col,
					       "axis %" PRId64 " is out of bounds "
					       "for array of dimension %d", ax,
					       a->ndim);
		ax = ax < 0 ? ax + a->ndim : ax;
		n->axis = ax == 0 ? SHMX_AXIS_0 : SHMX_AXIS_1;
		empty = a->dim[ax] == 0;
		if (a->ndim == 2) {
			n->ndim = 1;
			n->dim[0] = a->dim[1 - ax];
		}
	}
	if (empty && no_identity(n->op) && (n->ndim == 0 || n->dim[0]))
		return shmx__expr_fail(err, n->col,
				       "zero-size array to reduction operation "
				       "%s which has no identity",
				       shmx__funcs[n->op].name);
	return 0;
}

static int type_columns(struct shmx__expr_node *n, struct shmx_error *err)
{
	const struct shmx__expr_node *a = n->arg[0];
	int64_t c;

	if (a->ndim != 2)
		return shmx__expr_fail(err, n->col,
				       "too many indices for array: array is "
				       "%d-dimensional, but 2 were indexed",
				       a->ndim);
	c = (int64_t)a->dim[1];
	n->dtype = a->dtype;
	n->dim[0] = a->dim[0];
	if (n->single) {
		int64_t j = n->index < 0 ? n->index + c : n->index;

		if (j < 0 || j >= c)
			return shmx__expr_fail(err, n->col,
					       "index %" PRId64 " is out of bounds "
					       "for axis 1 with size %" PRId64,
					       n->index, c);
		n->start = j;
		n->stop = j + 1;
		n->ndim = 1;
		return 0;
	}
	/* Python's slice with step 1: missing bounds, negatives, clamping */
	n->start = n->start == INT64_MIN ? 0 : n->start < 0 ? n->start + c : n->start;
	n->stop = n->stop == INT64_MIN ? c : n->stop < 0 ? n->stop + c : n->stop;
	n->start = n->start < 0 ? 0 : n->start > c ? c : n->start;
	n->stop = n->stop < n->start ? n->start : n->stop > c ? c : n->stop;
	n->ndim = 2;
	n->dim[1] = (uint64_t)(n->stop - n->start);
	return 0;
}

static int type_call(struct shmx__expr_node *n, struct shmx_error *err)
{
	enum func_class cls = shmx__funcs[n->op].cls;

	if (cls == FC_REDUCE)
		return type_reduce(n, err);
	if (broadcast(n, err) < 0)
		return SHMX_EEXPR;
	switch (cls) {
	case FC_FLOAT:
		n->dtype = shmx__float_of(shmx__result_type(n->arg, n->nargs,
							    &n->flags));
		return 0;
	case FC_PRED:
		n->dtype = SHMX__X_BOOL;
		return 0;
	case FC_WHERE:
		n->dtype = shmx__result_type(n->arg + 1, 2, &n->flags);
		return 0;
	case FC_CAST:
		n->dtype = n->op == SHMX__F_BOOL    ? SHMX__X_BOOL
			   : n->op == SHMX__F_FLOAT32 ? SHMX__X_F32
			   : n->op == SHMX__F_FLOAT64 ? SHMX__X_F64
			   : (enum shmx__xtype)(SHMX__X_I8 + (n->op - SHMX__F_INT8));
		shmx__fold_cast(n, n->dtype);
		return 0;
	default:
		n->dtype = shmx__result_type(n->arg, n->nargs, &n->flags);
		if (n->op == SHMX__F_SIGN && n->dtype == SHMX__X_BOOL)
			return shmx__expr_fail(err, n->col,
					       "sign is not defined for bool");
		return 0;
	}
}

static int type_leaf(struct shmx__expr *e, struct shmx__expr_node *n)
{
	const shmx__i128 one = 1;

	if (n->kind == SHMX__EXPR_INPUT) {
		const struct shmx__expr_binding *b = &e->in[n->input];

		n->dtype = (enum shmx__xtype)b->dtype;
		n->ndim = b->shape.ndim;
		n->dim[0] = b->shape.dim[0];
		n->dim[1] = b->shape.dim[1];
	} else if ((n->flags & SHMX__N_PY) && shmx__x_is_int(n->dtype)) {
		/* a Python int becomes numpy's int64, or uint64 above it */
		n->dtype = n->i >= (one << 63) ? SHMX__X_U64 : SHMX__X_I64;
	}
	return 0;
}

/* A Python int may be any size while Python computes with it (2**64 - 1),
 * but numpy takes only -2**63 .. 2**64 - 1 where it meets an array. */
static int check_pyint(const struct shmx__expr_node *n, struct shmx_error *err)
{
	const shmx__i128 one = 1;

	if (!(n->flags & SHMX__N_PY) || !shmx__x_is_int(n->dtype))
		return 0;
	if (n->i < -(one << 63) || n->i >= (one << 64))
		return shmx__expr_fail(err, n->col,
				       "integer constant out of numpy's range "
				       "(-2**63 to 2**64 - 1)");
	return 0;
}

static int check_args(const struct shmx__expr_node *n, struct shmx_error *err)
{
	for (unsigned k = 0; k < n->nargs; k++)
		if (check_pyint(n->arg[k], err) < 0)
			return SHMX_EEXPR;
	return 0;
}

static int type_node(struct shmx__expr *e, struct shmx__expr_node *n,
		     struct shmx_error *err)
{
	int rc;

	for (unsigned k = 0; k < n->nargs; k++) {
		if (type_node(e, n->arg[k], err) < 0)
			return SHMX_EEXPR;
		n->flags |= n->arg[k]->flags & SHMX__N_VALUE_BASED;
	}
	switch (n->kind) {
	case SHMX__EXPR_UNARY:
	case SHMX__EXPR_BINARY:
		rc = shmx__fold_python(n, err);
		if (rc != 0)
			return rc < 0 ? rc : type_leaf(e, n);
		if (check_args(n, err) < 0 || broadcast(n, err) < 0)
			return SHMX_EEXPR;
		return n->kind == SHMX__EXPR_UNARY ? type_unary(n, err)
						   : type_binary(n, err);
	case SHMX__EXPR_CALL:
		return check_args(n, err) < 0 ? SHMX_EEXPR : type_call(n, err);
	case SHMX__EXPR_COLUMNS:
		return check_args(n, err) < 0 ? SHMX_EEXPR
					      : type_columns(n, err);
	default:
		return type_leaf(e, n);
	}
}

int shmx__expr_type(struct shmx__expr *e, struct shmx_error *err)
{
	if (type_node(e, e->root, err) < 0)
		return SHMX_EEXPR;
	return check_pyint(e->root, err);
}
