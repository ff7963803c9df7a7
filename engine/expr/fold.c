/* engine/expr/fold.c - constant folding, only where the value is certain:
 * operators on Python scalars computed as Python computes them (numpy
 * never sees `2 * 3`: Python folds it first, with exact integers, floor
 * division and modulo by the divisor's sign, and ZeroDivisionError or
 * OverflowError where Python raises them), and casts of constants whose
 * numpy value is certain (in range for an integer type; rounded to
 * nearest for float32, as numpy rounds).  Big-int true division and
 * anything else stay for the evaluator. */
#include <float.h>
#include <math.h>

#include "expr/ast.h"

/* A comparison's truth, the same for folded integers and floats. */
#define COMPARE(op, a, b)                                                  \
	((op) == SHMX__OP_LT ? (a) < (b) : (op) == SHMX__OP_LE ? (a) <= (b) \
	 : (op) == SHMX__OP_GT ? (a) > (b) : (op) == SHMX__OP_GE ? (a) >= (b) \
	 : (op) == SHMX__OP_EQ ? (a) == (b) : (a) != (b))

#define EXACT ((shmx__i128)1 << 53) /* ints a double holds exactly */

struct pyval {
	int kind; /* 0 bool, 1 int, 2 float */
	shmx__i128 i;
	double f;
};

static struct pyval val_of(const struct shmx__expr_node *n)
{
	struct pyval v = { 1, n->i, n->f };

	if (n->dtype == SHMX__X_BOOL)
		v.kind = 0;
	else if (shmx__x_is_float(n->dtype))
		v.kind = 2;
	return v;
}

static void set_num(struct shmx__expr_node *n, struct pyval v)
{
	n->kind = SHMX__EXPR_NUM;
	n->nargs = 0;
	n->flags = SHMX__N_CONST | SHMX__N_PY;
	n->ndim = 0;
	n->i = v.i;
	n->f = v.f;
	n->dtype = v.kind == 0 ? SHMX__X_BOOL
		   : v.kind == 1 ? SHMX__X_I64 : SHMX__X_F64;
}

/* Python's float floor division and modulo (CPython's float_divmod). */
static void float_divmod(double a, double b, double *q, double *r)
{
	double mod = fmod(a, b), div = (a - mod) / b, fl;

	if (mod) {
		if ((b < 0) != (mod < 0)) {
			mod += b;
			div -= 1.0;
		}
	} else {
		mod = copysign(0.0, b);
	}
	if (div) {
		fl = floor(div);
		if (div - fl > 0.5)
			fl += 1.0;
	} else {
		fl = copysign(0.0, a / b);
	}
	*q = fl;
	*r = mod;
}

static int range_error(const struct shmx__expr_node *n,
		       struct shmx_error *err)
{
	return shmx__expr_fail(err, n->col, "integer constant out of numpy's "
			       "range (-2**63 to 2**64 - 1)");
}

static int int_pow(const struct shmx__expr_node *n, shmx__i128 a,
		   shmx__i128 b, shmx__i128 *out, struct shmx_error *err)
{
	shmx__i128 r = 1;

	while (b > 0) {
		if (b & 1 && __builtin_mul_overflow(r, a, &r))
			return range_error(n, err);
		b >>= 1;
		if (b && __builtin_mul_overflow(a, a, &a))
			return range_error(n, err);
	}
	*out = r;
	return 0;
}

/* Integer arithmetic; 1 done, 0 not folded, or an error. */
static int fold_int(const struct shmx__expr_node *n, shmx__i128 a,
		    shmx__i128 b, struct pyval *r, struct shmx_error *err)
{
	int ovf = 0;

	r->kind = 1;
	switch (n->op) {
	case SHMX__OP_ADD: ovf = __builtin_add_overflow(a, b, &r->i); break;
	case SHMX__OP_SUB: ovf = __builtin_sub_overflow(a, b, &r->i); break;
	case SHMX__OP_MUL: ovf = __builtin_mul_overflow(a, b, &r->i); break;
	case SHMX__OP_DIV:
		if (b == 0)
			return shmx__expr_fail(err, n->col, "division by zero");
		if (a > EXACT || a < -EXACT || b > EXACT || b < -EXACT)
			return 0;
		r->kind = 2;
		r->f = (double)a / (double)b;
		return 1;
	case SHMX__OP_FDIV:
	case SHMX__OP_MOD:
		if (b == 0)
			return shmx__expr_fail(err, n->col, "division by zero");
		r->i = a / b;
		if (a % b != 0 && ((a < 0) != (b < 0)))
			r->i -= 1;
		if (n->op == SHMX__OP_MOD)
			r->i = a - r->i * b;
		return 1;
	case SHMX__OP_POW:
		if (b >= 0)
			return int_pow(n, a, b, &r->i, err) < 0 ? SHMX_EEXPR : 1;
		if (a == 0)
			return shmx__expr_fail(err, n->col,
					       "0 cannot be raised to a "
					       "negative power");
		if (a > EXACT || a < -EXACT)
			return 0;
		r->kind = 2;
		r->f = pow((double)a, (double)b);
		return 1;
	case SHMX__OP_AND: r->i = a & b; break;
	case SHMX__OP_OR: r->i = a | b; break;
	case SHMX__OP_XOR: r->i = a ^ b; break;
	default:
		r->kind = 0;
		r->i = COMPARE(n->op, a, b);
		return 1;
	}
	return ovf ? range_error(n, err) : 1;
}

static int float_pow(const struct shmx__expr_node *n, double a, double b,
		     double *out, struct shmx_error *err)
{
	if (a == 0 && b < 0)
		return shmx__expr_fail(err, n->col,
				       "0.0 cannot be raised to a negative "
				       "power");
	if (a < 0 && isfinite(a) && isfinite(b) && b != floor(b))
		return shmx__expr_fail(err, n->col,
				       "a negative number to a fractional "
				       "power is complex");
	*out = pow(a, b);
	if (isinf(*out) && isfinite(a) && isfinite(b))
		return shmx__expr_fail(err, n->col,
				       "numerical result out of range");
	return 0;
}

static int fold_float(const struct shmx__expr_node *n, double a, double b,
		      struct pyval *r, struct shmx_error *err)
{
	double q, m;

	r->kind = 2;
	switch (n->op) {
	case SHMX__OP_ADD: r->f = a + b; return 1;
	case SHMX__OP_SUB: r->f = a - b; return 1;
	case SHMX__OP_MUL: r->f = a * b; return 1;
	case SHMX__OP_DIV:
	case SHMX__OP_FDIV:
	case SHMX__OP_MOD:
		if (b == 0)
			return shmx__expr_fail(err, n->col, "division by zero");
		float_divmod(a, b, &q, &m);
		r->f = n->op == SHMX__OP_DIV ? a / b
		       : n->op == SHMX__OP_FDIV ? q : m;
		return 1;
	case SHMX__OP_POW:
		return float_pow(n, a, b, &r->f, err) < 0 ? SHMX_EEXPR : 1;
	case SHMX__OP_AND:
	case SHMX__OP_OR:
	case SHMX__OP_XOR:
		return shmx__expr_fail(err, n->col,
				       "bitwise operators need booleans or "
				       "integers, not float");
	default:
		r->kind = 0;
		r->i = COMPARE(n->op, a, b);
		return 1;
	}
}

static int fold_unary(struct shmx__expr_node *n, struct pyval a,
		      struct shmx_error *err)
{
	if (a.kind == 2 && n->op == SHMX__OP_INV)
		return shmx__expr_fail(err, n->col,
				       "bitwise '~' needs booleans or "
				       "integers, not float");
	if (a.kind == 2)
		a.f = n->op == SHMX__OP_NEG ? -a.f : a.f;
	else
		a.i = n->op == SHMX__OP_NEG ? -a.i
		      : n->op == SHMX__OP_INV ? ~a.i : a.i;
	if (a.kind == 0)
		a.kind = 1; /* -True is -1, ~True is -2 */
	set_num(n, a);
	return 1;
}

static int is_compare(int op)
{
	return op >= SHMX__OP_LT && op <= SHMX__OP_NE;
}

/* -1, 0, 1 as int i compares with float f, exactly (as Python does);
 * 2 when f is NaN. */
static int cmp_int_float(shmx__i128 i, double f)
{
	const double big = 0x1p126;
	double fl;

	if (isnan(f))
		return 2;
	if (f >= big)
		return -1;
	if (f < -big)
		return 1;
	fl = floor(f);
	if (i != (shmx__i128)fl)
		return i < (shmx__i128)fl ? -1 : 1;
	return f > fl ? -1 : 0;
}

static int fold_mixed_compare(const struct shmx__expr_node *n, struct pyval a,
			      struct pyval b, struct pyval *r)
{
	int c = a.kind == 2 ? -cmp_int_float(b.i, a.f) : cmp_int_float(a.i, b.f);

	r->kind = 0;
	if (c == 2 || c == -2)
		r->i = n->op == SHMX__OP_NE;
	else
		r->i = n->op == SHMX__OP_LT ? c < 0 : n->op == SHMX__OP_LE ? c <= 0
		     : n->op == SHMX__OP_GT ? c > 0 : n->op == SHMX__OP_GE ? c >= 0
		     : n->op == SHMX__OP_EQ ? c == 0 : c != 0;
	return 1;
}

static int is_bitwise(int op)
{
	return op == SHMX__OP_AND || op == SHMX__OP_OR || op == SHMX__OP_XOR;
}

int shmx__fold_python(struct shmx__expr_node *n, struct shmx_error *err)
{
	struct pyval a, b, r = { 0, 0, 0 };
	int rc;

	for (unsigned k = 0; k < n->nargs; k++)
		if (!(n->arg[k]->flags & SHMX__N_PY))
			return 0;
	a = val_of(n->arg[0]);
	if (n->kind == SHMX__EXPR_UNARY)
		return fold_unary(n, a, err);
	b = val_of(n->arg[1]);
	if (a.kind == 0 && b.kind == 0 && is_bitwise(n->op)) {
		r.i = n->op == SHMX__OP_AND ? a.i & b.i
		      : n->op == SHMX__OP_OR ? a.i | b.i : a.i ^ b.i;
		set_num(n, r);
		return 1;
	}
	if (a.kind < 2 && b.kind < 2)
		rc = fold_int(n, a.i, b.i, &r, err);
	else if (a.kind == 2 && b.kind == 2)
		rc = fold_float(n, a.f, b.f, &r, err);
	else if (is_compare(n->op))
		rc = fold_mixed_compare(n, a, b, &r);
	else /* Python rounds the int to the nearest float, as C does */
		rc = fold_float(n, a.kind == 2 ? a.f : (double)a.i,
				b.kind == 2 ? b.f : (double)b.i, &r, err);
	if (rc == 1)
		set_num(n, r);
	return rc;
}

static int int_range(enum shmx__xtype t, shmx__i128 *lo, shmx__i128 *hi)
{
	const shmx__i128 one = 1;
	unsigned bits = 8u * (unsigned)shmx_dtype_size((enum shmx_dtype)t);

	if (shmx__x_is_unsigned(t)) {
		*lo = 0;
		*hi = (one << bits) - 1;
	} else {
		*lo = -(one << (bits - 1));
		*hi = (one << (bits - 1)) - 1;
	}
	return 0;
}

int shmx__fold_cast(struct shmx__expr_node *n, enum shmx__xtype to)
{
	const struct shmx__expr_node *a = n->arg[0];
	int from_float = shmx__x_is_float(a->dtype);
	shmx__i128 lo, hi;
	double f = from_float ? a->f : (double)a->i;

	if (!(a->flags & SHMX__N_CONST))
		return 0;
	if (to == SHMX__X_BOOL) {
		n->i = from_float ? a->f != 0 : a->i != 0;
	} else if (shmx__x_is_float(to)) {
		if (to == SHMX__X_F32 && isfinite(f) && fabs(f) > FLT_MAX)
			f = copysign(HUGE_VAL, f); /* numpy: inf */
		n->f = to == SHMX__X_F32 ? (double)(float)f : f;
	} else {
		int_range(to, &lo, &hi);
		if (from_float && !(isfinite(f) && trunc(f) >= (double)lo &&
				    trunc(f) <= (double)hi))
			return 0;
		n->i = from_float ? (shmx__i128)trunc(f) : a->i;
		if (n->i < lo || n->i > hi)
			return 0;
	}
	n->kind = SHMX__EXPR_NUM;
	n->nargs = 0;
	n->flags = SHMX__N_CONST;
	n->ndim = 0;
	n->dtype = to;
	return 1;
}
