/* engine/expr/promote.c - numpy 1.24's dtype rules over shmx's types:
 * np.promote_types, and np.result_type's value-based casting of 0-d
 * operands (Python scalars and numpy scalars alike) beside arrays.
 *
 * numpy's float16 never appears: shmx has no f16, and wherever numpy would
 * give float16 shmx gives f32 (as its built-in sqrt/exp/log do).  The
 * minimal type of a small float scalar is then f32, which changes no
 * result: it is only ever promoted with an f32 or f64 array.
 */
#include <math.h>

#include "expr/ast.h"

static unsigned size_of(enum shmx__xtype t)
{
	return t == SHMX__X_BOOL ? 1 : (unsigned)shmx_dtype_size((enum shmx_dtype)t);
}

static enum shmx__xtype int_of(int is_unsigned, unsigned size)
{
	static const enum shmx__xtype s[] = { SHMX__X_I8, SHMX__X_I16,
					      SHMX__X_I32, SHMX__X_I64 };
	static const enum shmx__xtype u[] = { SHMX__X_U8, SHMX__X_U16,
					      SHMX__X_U32, SHMX__X_U64 };
	unsigned k = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;

	return is_unsigned ? u[k] : s[k];
}

enum shmx__xtype shmx__promote(enum shmx__xtype a, enum shmx__xtype b)
{
	enum shmx__xtype s, u;

	if (a == b || b == SHMX__X_BOOL)
		return a;
	if (a == SHMX__X_BOOL)
		return b;
	if (shmx__x_is_float(a) || shmx__x_is_float(b)) {
		/* f32 holds the ints of up to 2 bytes exactly, f64 the rest */
		enum shmx__xtype f = shmx__x_is_float(a) ? a : b;
		enum shmx__xtype o = f == a ? b : a;

		if (shmx__x_is_float(o))
			return SHMX__X_F64;
		return f == SHMX__X_F32 && size_of(o) <= 2 ? SHMX__X_F32
							     : SHMX__X_F64;
	}
	if (shmx__x_is_unsigned(a) == shmx__x_is_unsigned(b))
		return size_of(a) > size_of(b) ? a : b;
	s = shmx__x_is_unsigned(a) ? b : a;
	u = s == a ? b : a;
	if (size_of(s) > size_of(u))
		return s;
	return u == SHMX__X_U64 ? SHMX__X_F64 : int_of(0, 2 * size_of(u));
}

int shmx__x_category(enum shmx__xtype t)
{
	return t == SHMX__X_BOOL ? 0 : shmx__x_is_float(t) ? 2 : 1;
}

/* np.min_scalar_type of a known 0-d value; *small when it is an unsigned
 * type whose value also fits the signed type of its size (numpy then uses
 * the signed one beside signed integers and floats). */
/* The highest kind (shmx__x_category) among the array operands and among
 * the 0-d ones; -1 where there is none. */
static void categories(struct shmx__expr_node *const *ops, unsigned n,
		       int *cat_arr, int *cat_sc)
{
	for (unsigned k = 0; k < n; k++) {
		int c = shmx__x_category(ops[k]->dtype);

		if (ops[k]->ndim)
			*cat_arr = c > *cat_arr ? c : *cat_arr;
		else
			*cat_sc = c > *cat_sc ? c : *cat_sc;
	}
}

static enum shmx__xtype min_scalar(const struct shmx__expr_node *n,
				   int *small)
{
	const shmx__i128 one = 1;
	shmx__i128 v = n->i;
	double f = n->f;

	*small = 0;
	if (n->dtype == SHMX__X_BOOL)
		return SHMX__X_BOOL;
	if (shmx__x_is_float(n->dtype)) {
		if (!isfinite(f) || (f > -65000 && f < 65000))
			return SHMX__X_F32; /* numpy: float16 */
		return f > -3.4e38 && f < 3.4e38 ? SHMX__X_F32 : SHMX__X_F64;
	}
	if (v < 0)
		return v >= -128 ? SHMX__X_I8 : v >= -32768 ? SHMX__X_I16
		       : v >= -(one << 31) ? SHMX__X_I32 : SHMX__X_I64;
	for (unsigned bits = 8; bits < 64; bits *= 2)
		if (v < (one << bits)) {
			*small = v < (one << (bits - 1));
			return int_of(1, bits / 8);
		}
	*small = v < (one << 63);
	return SHMX__X_U64;
}

enum shmx__xtype shmx__result_type(struct shmx__expr_node *const *ops,
				   unsigned n, unsigned *flags)
{
	int cat_arr = -1, cat_sc = -1, have = 0;
	enum shmx__xtype acc = SHMX__X_BOOL;

	categories(ops, n, &cat_arr, &cat_sc);
	/* only arrays, only scalars, or a scalar of a higher kind: plain
	 * promotion of every dtype */
	if (cat_arr < 0 || cat_sc < 0 || cat_sc > cat_arr) {
		for (unsigned k = 0; k < n; k++)
			acc = k ? shmx__promote(acc, ops[k]->dtype)
				: ops[k]->dtype;
		return acc;
	}
	for (unsigned k = 0; k < n; k++)
		if (ops[k]->ndim) {
			acc = have ? shmx__promote(acc, ops[k]->dtype)
				   : ops[k]->dtype;
			have = 1;
		}
	for (unsigned k = 0; k < n; k++) {
		enum shmx__xtype m;
		int small;

		if (ops[k]->ndim)
			continue;
		if (!(ops[k]->flags & SHMX__N_CONST)) {
			/* no value of its dtype could change acc: no flag */
			if (shmx__promote(acc, ops[k]->dtype) != acc)
				*flags |= SHMX__N_VALUE_BASED;
			continue;
		}
		m = min_scalar(ops[k], &small);
		if (small && acc != SHMX__X_BOOL && !shmx__x_is_unsigned(acc))
			m = int_of(0, size_of(m));
		acc = shmx__promote(acc, m);
	}
	return acc;
}

/* The float loop numpy picks for a math function of an input of type t
 * (float16 for bool and 1-byte ints, which shmx gives as f32). */
enum shmx__xtype shmx__float_of(enum shmx__xtype t)
{
	if (shmx__x_is_float(t))
		return t;
	return size_of(t) <= 2 ? SHMX__X_F32 : SHMX__X_F64;
}

/* numpy's can_cast(from, to, 'safe') over shmx's types. */
static int can_cast(enum shmx__xtype from, enum shmx__xtype to)
{
	if (from == SHMX__X_BOOL || from == to)
		return 1;
	if (to == SHMX__X_BOOL)
		return 0;
	if (shmx__x_is_float(from))
		return shmx__x_is_float(to) && size_of(to) >= size_of(from);
	if (shmx__x_is_float(to)) /* f32 holds 2-byte ints, f64 all */
		return size_of(from) <= 2 || to == SHMX__X_F64;
	if (shmx__x_is_unsigned(from) == shmx__x_is_unsigned(to))
		return size_of(to) >= size_of(from);
	return !shmx__x_is_unsigned(to) && size_of(to) > size_of(from);
}

static int scalar_can_cast(const struct shmx__expr_node *n,
			   enum shmx__xtype to)
{
	int small;
	enum shmx__xtype m = min_scalar(n, &small);

	return can_cast(m, to) || (small && can_cast(int_of(0, size_of(m)), to));
}

enum shmx__xtype shmx__loop_type(struct shmx__expr_node *const *ops,
				 unsigned n, int with_bool, int with_float,
				 unsigned *flags)
{
	/* the loops of numpy's integer ufuncs, in numpy's order */
	static const enum shmx__xtype loops[] = {
		SHMX__X_BOOL, SHMX__X_I8, SHMX__X_U8, SHMX__X_I16,
		SHMX__X_U16, SHMX__X_I32, SHMX__X_U32, SHMX__X_I64,
		SHMX__X_U64, SHMX__X_F32, SHMX__X_F64,
	};
	int cat_arr = -1, cat_sc = -1, by_value;

	categories(ops, n, &cat_arr, &cat_sc);
	by_value = cat_arr >= 0 && cat_sc >= 0 && cat_sc <= cat_arr;
	for (unsigned l = with_bool ? 0 : 1; l < sizeof(loops) / sizeof(loops[0]); l++) {
		int ok = 1;

		if (!with_float && shmx__x_is_float(loops[l]))
			break;
		for (unsigned k = 0; k < n && ok; k++) {
			const struct shmx__expr_node *a = ops[k];

			if (!by_value || a->ndim)
				ok = can_cast(a->dtype, loops[l]);
			else if (a->flags & SHMX__N_CONST)
				ok = scalar_can_cast(a, loops[l]);
		}
		if (ok) {
			if (by_value)
				for (unsigned k = 0; k < n; k++)
					if (!ops[k]->ndim &&
					    !(ops[k]->flags & SHMX__N_CONST) &&
					    !can_cast(ops[k]->dtype, loops[l]))
						*flags |= SHMX__N_VALUE_BASED;
			return loops[l];
		}
	}
	return SHMX__X_COUNT;
}
