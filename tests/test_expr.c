/* tests/test_expr.c - engine/expr/: precedence and associativity (the dump
 * of the tree), every error message with its column, nesting and length
 * bounds, Python-scalar folding, value-based typing flags, and the
 * planner's placement of reductions and the order of passes.  The dtypes
 * themselves are checked against numpy by tests/py/test_expr_types.py. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr.h"
#include "support.h"

/* x, y: f64 4x3; w: f64 3; b: i32 4x3; v: f64 4; z: f64 5x3; s: f32 0-d;
 * u: u8 4x3.  square: m, f64 3x3, where a per-row vector broadcasts. */
static const struct shmx__expr_binding inputs[] = {
	{ "x", SHMX_F64, { 2, { 4, 3 } } }, { "y", SHMX_F64, { 2, { 4, 3 } } },
	{ "w", SHMX_F64, { 1, { 3, 0 } } }, { "b", SHMX_I32, { 2, { 4, 3 } } },
	{ "v", SHMX_F64, { 1, { 4, 0 } } }, { "z", SHMX_F64, { 2, { 5, 3 } } },
	{ "s", SHMX_F32, { 0, { 0, 0 } } }, { "u", SHMX_U8, { 2, { 4, 3 } } },
};
#define NIN (sizeof(inputs) / sizeof(inputs[0]))
static const struct shmx__expr_binding square[] = {
	{ "m", SHMX_F64, { 2, { 3, 3 } } },
};

static char *dump_in(const struct shmx__expr_binding *in, unsigned n,
		     const char *text, unsigned flags)
{
	struct shmx_error err = { 0 };
	struct shmx__expr *e;
	char buf[16384];

	cr_assert_eq(shmx__expr_compile(text, in, n, &e, &err), 0,
		     "'%s' refused: %s", text, err.msg);
	cr_assert_lt(shmx__expr_dump(e, flags, buf, sizeof(buf)), sizeof(buf));
	shmx__expr_free(e);
	return strdup(buf);
}

static char *dump_of(const char *text, unsigned flags)
{
	return dump_in(inputs, NIN, text, flags);
}

static void expect_square(const char *text, const char *want)
{
	char *got = dump_in(square, 1, text, SHMX__DUMP_TYPES);

	cr_expect_str_eq(got, want, "'%s'", text);
	free(got);
}

static void expect_dump(const char *text, const char *want)
{
	char *got = dump_of(text, 0), *again;

	cr_expect_str_eq(got, want, "'%s'", text);
	again = dump_of(got, 0); /* the dump parses back to itself */
	cr_expect_str_eq(again, got, "reparse of '%s'", text);
	free(again);
	free(got);
}

static void expect_typed(const char *text, const char *want)
{
	char *got = dump_of(text, SHMX__DUMP_TYPES);

	cr_expect_str_eq(got, want, "'%s'", text);
	free(got);
}

static void expect_error(const char *text, const char *msg)
{
	struct shmx_error err = { 0 };
	struct shmx__expr *e = (void *)1;

	cr_expect_eq(shmx__expr_compile(text, inputs, NIN, &e, &err),
		     SHMX_EEXPR, "'%s' accepted", text);
	cr_expect_eq(err.code, SHMX_EEXPR);
	cr_expect_null(e, "'%s': *out set on failure", text);
	cr_expect_str_eq(err.msg, msg, "'%s'", text);
}

static const char *const precedence[][2] = {
	{ "x + y * 2", "(x + (y * 2))" },
	{ "x * y + 2", "((x * y) + 2)" },
	{ "x - y - w", "((x - y) - w)" },
	{ "x / y / 2", "((x / y) / 2)" },
	{ "x ** y ** 2", "(x ** (y ** 2))" },
	{ "-x ** 2", "(-(x ** 2))" },
	{ "-x ** -y", "(-(x ** (-y)))" },
	{ "2 ** -x * 3", "((2 ** (-x)) * 3)" },
	{ "-x * y", "((-x) * y)" },
	{ "--x", "(-(-x))" },
	{ "-~b", "(-(~b))" },
	{ "~b & b | b ^ b", "(((~b) & b) | (b ^ b))" },
	{ "b & b ^ b | b", "(((b & b) ^ b) | b)" },
	{ "b | b < 3", "((b | b) < 3)" },
	{ "x + 1 < y * 2", "((x + 1) < (y * 2))" },
	{ "(x < y) & (y < 2)", "((x < y) & (y < 2))" },
	{ "x // y % 2", "((x // y) % 2)" },
	{ "x % y ** 2", "(x % (y ** 2))" },
	{ "+x - -y", "((+x) - (-y))" },
	{ "x[:, 1] + y[:, -1]", "(x[:, 1] + y[:, 2])" },
	{ "(x + y)[:, 0:2]", "(x + y)[:, 0:2]" },
	{ "-x[:, 1]", "(-x[:, 1])" },
	{ "x[:, 1:] ** 2", "(x[:, 1:3] ** 2)" },
	{ "x[:, -2:]", "x[:, 1:3]" },
	{ "x[:, :]", "x[:, 0:3]" },
	{ "x[:, 2:1]", "x[:, 2:2]" },
	{ "x[:, -9:99]", "x[:, 0:3]" },
	{ "sum(x, axis=1) + v", "(sum(x, axis=1) + v)" },
	{ "sum(x * y, axis=-1)", "sum((x * y), axis=1)" },
	{ "sum(x, axis=-2)", "sum(x, axis=0)" },
	{ "sum(x, axis=None)", "sum(x)" },
	{ "sum(x,)", "sum(x)" },
	{ "where(x > 0, x, -x)", "where((x > 0), x, (-x))" },
	{ "maximum(x, y) - minimum(x, y)", "(maximum(x, y) - minimum(x, y))" },
	{ "abs(x - y) ** 0.5", "(abs((x - y)) ** 0.5)" },
	{ "sqrt(sum((x - 0.5)**2, axis=1))",
	  "sqrt(sum(((x - 0.5) ** 2), axis=1))" },
	{ "(x - mean(x, axis=0)) / std(x, axis=0)",
	  "((x - mean(x, axis=0)) / std(x, axis=0))" },
	{ "x == y != True", NULL }, /* chained: refused below */
	{ "b ^ ~b", "(b ^ (~b))" },
	{ "x*2+y/3-w**2", "(((x * 2) + (y / 3)) - (w ** 2))" },
	{ "x - (y - w)", "(x - (y - w))" },
	{ "(((x)))", "x" },
	{ "2 * 3 + x", "(6 + x)" },
	{ "x * (2 + 3)", "(x * 5)" },
	{ "x ** -1", "(x ** (-1))" },
	{ "x - -1.5", "(x - (-1.5))" },
	{ "1e3 * x", "(1000.0 * x)" },
	{ "x * .5", "(x * 0.5)" },
	{ "x * 1_000", "(x * 1000)" },
	{ "float32(x) * 2.5", "(float32(x) * 2.5)" },
	{ "x + int8(-5)", "(x + int8(-5))" },
	{ "x + float32(0.1)", "(x + float32(0.10000000149011612))" },
	{ "x > nan", "(x > nan)" },
	{ "x * -inf", "(x * (-inf))" },
	{ "x\t+\ty", "(x + y)" },
};

Test(expr, precedence_and_associativity_are_pythons)
{
	for (size_t k = 0; k < sizeof(precedence) / sizeof(precedence[0]); k++)
		if (precedence[k][1])
			expect_dump(precedence[k][0], precedence[k][1]);
}

static const char *const folds[][2] = {
	{ "2 ** -1", "0.5" },      { "1 + 2 * 3 ** 2", "19" },
	{ "7 // -2", "(-4)" },     { "-7 % 3", "2" },
	{ "7 % -3", "(-2)" },      { "7.5 // 2", "3.0" },
	{ "-7.5 % 2", "0.5" },     { "1 / 4", "0.25" },
	{ "True + True", "2" },    { "~True", "(-2)" },
	{ "-True", "(-1)" },       { "True & False", "False" },
	{ "True | 2", "3" },       { "2 < 2.5", "True" },
	{ "nan == nan", "False" }, { "nan != nan", "True" },
	{ "2**63 > 2.0**63", "False" }, { "2**63 + 1 > 2.0**63", "True" },
	{ "-0.0", "(-0.0)" },      { "0.1 + 0.2", "0.30000000000000004" },
	{ "2 ** 64 - 1", "18446744073709551615" },
	{ "-2 ** 63", "(-9223372036854775808)" },
	{ "1e308 * 10", "inf" },   { "inf - inf", "nan" },
	{ "uint8(200)", "uint8(200)" }, { "int8(2.7)", "int8(2)" },
	{ "bool(0.0)", "bool(False)" }, { "float32(1e300)", "float32(inf)" },
	{ "(2 + 3) * (4 - 1)", "15" },  { "2 ** 0.5", "1.4142135623730951" },
};

Test(expr, python_scalars_fold_as_python_computes_them)
{
	for (size_t k = 0; k < sizeof(folds) / sizeof(folds[0]); k++)
		expect_dump(folds[k][0], folds[k][1]);
	/* a cast numpy would wrap or saturate is left to the evaluator */
	expect_dump("int8(300)", "int8(300)");
	expect_typed("int8(300)", "int8(300:i64[]):i8[]");
}

static const char *const errors[][2] = {
	{ "sqr(x)", "expression: col 1: unknown function 'sqr' (did you mean 'sqrt'?)" },
	{ "x + summ(x, axis=1)", "expression: col 5: unknown function 'summ' (did you mean 'sum'?)" },
	{ "foo(x)", "expression: col 1: unknown function 'foo'" },
	{ "x + yy", "expression: col 5: unknown name 'yy' (did you mean 'y'?)" },
	{ "x + q", "expression: col 5: unknown name 'q'" },
	{ "x + nann", "expression: col 5: unknown name 'nann' (did you mean 'nan'?)" },
	{ "sqrt", "expression: col 1: 'sqrt' is a function: call it as sqrt(...)" },
	{ "x(1)", "expression: col 1: 'x' is an input, not a function" },
	{ "sqrt(x, y)", "expression: col 1: sqrt takes 1 argument, not 2" },
	{ "clip(x, 1)", "expression: col 1: clip takes 3 arguments, not 2" },
	{ "sum()", "expression: col 1: sum takes 1 argument, not 0" },
	{ "sum(x, axis=2)", "expression: col 13: axis 2 is out of bounds for array of dimension 2" },
	{ "sum(w, axis=1)", "expression: col 13: axis 1 is out of bounds for array of dimension 1" },
	{ "sum(x, axis=123456789012)", "expression: col 13: axis 123456789012 is out of bounds for array of dimension 2" },
	{ "sum(x, axis=-3)", "expression: col 13: axis -3 is out of bounds for array of dimension 2" },
	{ "sum(s, axis=0)", "expression: col 13: axis 0 is out of bounds for array of dimension 0" },
	{ "sum(x, axis=y)", "expression: col 13: axis must be None, 0, 1, -1 or -2 written as a number, found 'y'" },
	{ "sum(x, axis=1.0)", "expression: col 13: axis must be None, 0, 1, -1 or -2 written as a number, found '1.0'" },
	{ "sqrt(x, axis=1)", "expression: col 9: sqrt takes no axis" },
	{ "sum(x, dtype=1)", "expression: col 8: keyword 'dtype' is not supported (only axis=)" },
	{ "sum(axis=1, x)", "expression: col 11: axis= must be the last argument, found ','" },
	{ "x.T", "expression: col 2: attributes are not supported (write functions: sum(x), not x.sum())" },
	{ "x @ y", "expression: col 3: matrix multiplication '@' is not supported" },
	{ "x[0]", "expression: col 3: only column selection x[:, j] or x[:, a:b] is supported, found '0'" },
	{ "x[:, 1:2:3]", "expression: col 9: only column selection x[:, j] or x[:, a:b] is supported, found ':'" },
	{ "x[:, y]", "expression: col 6: only column selection x[:, j] or x[:, a:b] is supported, found 'y'" },
	{ "x[:, ]", "expression: col 6: only column selection x[:, j] or x[:, a:b] is supported, found ']'" },
	{ "w[:, 0]", "expression: col 2: too many indices for array: array is 1-dimensional, but 2 were indexed" },
	{ "x[:, 3]", "expression: col 2: index 3 is out of bounds for axis 1 with size 3" },
	{ "x[:, -4]", "expression: col 2: index -4 is out of bounds for axis 1 with size 3" },
	{ "'a'", "expression: col 1: strings are not supported" },
	{ "x if x else y", "expression: col 3: conditional expressions are not supported: use where(cond, a, b)" },
	{ "x and y", "expression: col 3: 'and' is not supported on arrays: use & ((a > 0) & (b > 0))" },
	{ "x or y", "expression: col 3: 'or' is not supported on arrays: use | ((a > 0) | (b > 0))" },
	{ "not x", "expression: col 1: 'not' is not supported on arrays: use ~ (~(a > 0))" },
	{ "lambda: 1", "expression: col 1: lambdas are not supported" },
	{ "x in y", "expression: col 3: 'in' is not supported" },
	{ "x is y", "expression: col 3: 'is' is not supported: use ==" },
	{ "None", "expression: col 1: None is only allowed as axis=None" },
	{ "x + ", "expression: col 5: unexpected end of expression" },
	{ "", "expression: col 1: unexpected end of expression" },
	{ "x + * y", "expression: col 5: expected an operand, found '*'" },
	{ "(x + y", "expression: col 1: '(' is never closed" },
	{ "sum(x", "expression: col 1: '(' is never closed" },
	{ "x + y)", "expression: col 6: unmatched ')'" },
	{ "()", "expression: col 2: expected an operand, found ')'" },
	{ "x y", "expression: col 3: expected an operator, found 'y'" },
	{ "x = 1", "expression: col 3: '=' is only for axis= in a call (== compares)" },
	{ "(x, y)", "expression: col 3: tuples are not supported" },
	{ "x, y", "expression: col 2: tuples are not supported" },
	{ "(x)(y)", "expression: col 4: only named functions can be called" },
	{ "x << 1", "expression: col 3: shift operators are not supported" },
	{ "x & 1.5", "expression: col 3: bitwise '&' needs booleans or integers, not f64" },
	{ "x ^ y", "expression: col 3: bitwise '^' needs booleans or integers, not f64" },
	{ "s | b", "expression: col 3: bitwise '|' needs booleans or integers, not f64" },
	{ "~x", "expression: col 1: bitwise '~' needs booleans or integers, not f64" },
	{ "1.5 & 1", "expression: col 5: bitwise operators need booleans or integers, not float" },
	{ "~1.5", "expression: col 1: bitwise '~' needs booleans or integers, not float" },
	{ "-(x > 0)", "expression: col 1: numpy has no '-' for bool: use ~" },
	{ "(x > 0) - (y > 0)", "expression: col 9: numpy has no '-' for two bools: use ^" },
	{ "b ** -1", "expression: col 3: integers to negative integer powers are not allowed" },
	{ "sign(x > 0)", "expression: col 1: sign is not defined for bool" },
	{ "x + z", "expression: col 3: operands could not be broadcast together with shapes (4,3) (5,3)" },
	{ "x + v", "expression: col 3: operands could not be broadcast together with shapes (4,3) (4,)" },
	{ "where(x > 0, z, x)", "expression: col 1: operands could not be broadcast together with shapes (4,3) (5,3)" },
	{ "a < b < c", "expression: col 1: unknown name 'a'" },
	{ "x < y < 2", "expression: col 7: chained comparisons (a < b < c) are ambiguous for arrays: write (a < b) & (b < c)" },
	{ "x == y != True", "expression: col 8: chained comparisons (a < b < c) are ambiguous for arrays: write (a < b) & (b < c)" },
	{ "1 / 0", "expression: col 3: division by zero" },
	{ "x + 1 // 0", "expression: col 7: division by zero" },
	{ "1.5 % 0", "expression: col 5: division by zero" },
	{ "0 ** -1", "expression: col 3: 0 cannot be raised to a negative power" },
	{ "0.0 ** -1", "expression: col 5: 0.0 cannot be raised to a negative power" },
	{ "(-8) ** 0.5", "expression: col 6: a negative number to a fractional power is complex" },
	{ "10.0 ** 400", "expression: col 6: numerical result out of range" },
	{ "2 ** 64", "expression: col 3: integer constant out of numpy's range (-2**63 to 2**64 - 1)" },
	{ "-2 ** 63 - 1", "expression: col 10: integer constant out of numpy's range (-2**63 to 2**64 - 1)" },
	{ "x + 2 ** 200", "expression: col 7: integer constant out of numpy's range (-2**63 to 2**64 - 1)" },
	{ "18446744073709551616", "expression: col 1: integer 18446744073709551616 is too large for numpy (at most 2**64 - 1)" },
	{ "0x10", "expression: col 1: only decimal numbers are supported, not '0x10'" },
	{ "1j", "expression: col 1: complex numbers are not supported: '1j'" },
	{ "2x", "expression: col 1: invalid number '2x'" },
	{ "012", "expression: col 1: leading zeros are not allowed in '012'" },
	{ "1.5.", "expression: col 1: invalid number '1.5.'" },
	{ "x + $", "expression: col 5: unexpected character '$'" },
	{ "x + \x01", "expression: col 5: unexpected character '\\x01'" },
	{ "x + \xc3\xa9", "expression: col 5: unexpected character '\\xc3'" },
	{ "x; y", "expression: col 2: unexpected character ';'" },
	{ "{x}", "expression: col 1: sets and dicts are not supported" },
	{ "# x", "expression: col 1: unexpected character '#'" },
	{ "min(x[:, 0:0], axis=1)", "expression: col 1: zero-size array to reduction operation min which has no identity" },
	{ "argmax(x[:, 3:])", "expression: col 1: zero-size array to reduction operation argmax which has no identity" },
};

Test(expr, every_error_names_its_column_and_token)
{
	for (size_t k = 0; k < sizeof(errors) / sizeof(errors[0]); k++)
		expect_error(errors[k][0], errors[k][1]);
}

static char *repeat(const char *head, size_t n, const char *mid,
		    const char *tail, size_t m)
{
	size_t hl = strlen(head), tl = strlen(tail), ml = strlen(mid);
	char *s = malloc(n * hl + ml + m * tl + 1), *p = s;

	cr_assert_not_null(s);
	for (size_t k = 0; k < n; k++, p += hl)
		memcpy(p, head, hl);
	memcpy(p, mid, ml);
	p += ml;
	for (size_t k = 0; k < m; k++, p += tl)
		memcpy(p, tail, tl);
	*p = '\0';
	return s;
}

Test(expr, deep_nesting_is_a_clear_error_never_a_crash)
{
	static const struct {
		const char *head, *mid, *tail;
		size_t n, m;
		const char *msg;
	} deep[] = {
		{ "(", "x", "", 100000, 0,
		  "expression: col 1001: nested deeper than 1000" },
		{ "(", "x", ")", 65000, 65000,
		  "expression: col 1001: nested deeper than 1000" },
		{ "(", "x", ")", 100000, 100000,
		  "expression: longer than 131072 characters" },
		{ "-", "x", "", 100000, 0,
		  "expression: col 1001: nested deeper than 1000" },
		{ "sqrt(", "x", "", 20000, 0,
		  "expression: col 5001: nested deeper than 1000" },
		{ "~", "b", "", 1001, 0,
		  "expression: col 1001: nested deeper than 1000" },
		{ "sum(", "x", ")", 2000, 2000,
		  "expression: col 4001: nested deeper than 1000" },
		{ "", "x", " + x", 0, 1000,
		  "expression: col 3999: nested deeper than 1000" },
		{ "x ** ", "2", "", 1000, 0,
		  "expression: col 3: nested deeper than 1000" },
	};

	for (size_t k = 0; k < sizeof(deep) / sizeof(deep[0]); k++) {
		char *s = repeat(deep[k].head, deep[k].n, deep[k].mid,
				 deep[k].tail, deep[k].m);

		expect_error(s, deep[k].msg);
		free(s);
	}
}

Test(expr, nesting_up_to_the_bound_compiles)
{
	char *s = repeat("(", 999, "x", ")", 999);

	expect_dump(s, "x");
	free(s);
	s = repeat("", 0, "x", " + x", 998);
	free(dump_of(s, 0));
	free(s);
	s = repeat("-", 999, "x", "", 0);
	free(dump_of(s, 0));
	free(s);
}

Test(expr, typed_tree_places_reductions_and_orders_passes)
{
	/* per-row reductions in the pass; axis 0 / None in earlier passes */
	expect_typed("sqrt(sum((x - 0.5)**2, axis=1))",
		     "sqrt(sum(((x:f64[4x3] - 0.5:f64[]):f64[4x3] ** 2:i64[])"
		     ":f64[4x3], axis=1):f64[4]@row):f64[4]");
	expect_typed("x - mean(x, axis=0)",
		     "(x:f64[4x3] - mean(x:f64[4x3], axis=0):f64[3]@pass0)"
		     ":f64[4x3]");
	expect_typed("std(x - mean(x), axis=0)",
		     "std((x:f64[4x3] - mean(x:f64[4x3]):f64[]@pass0):f64[4x3]"
		     ", axis=0):f64[3]@pass1");
	expect_typed("sum(x > 0.5, axis=1)",
		     "sum((x:f64[4x3] > 0.5:f64[]):bool[4x3], axis=1):i64[4]@row");
	/* a per-row vector that numpy broadcasts along columns needs every
	 * row first */
	expect_square("m + sum(m, axis=1)",
		      "(m:f64[3x3] + sum(m:f64[3x3], axis=1):f64[3]@pass0)"
		      ":f64[3x3]");
	expect_square("m * m[:, 0]",
		      "(m:f64[3x3] * m:f64[3x3][:, 0]:f64[3]@pass0):f64[3x3]");
	expect_square("m * sqrt(sum(m, axis=1))",
		      "(m:f64[3x3] * sqrt(sum(m:f64[3x3], axis=1):f64[3]@row)"
		      ":f64[3]@pass0):f64[3x3]");
	expect_square("sum(m, axis=1) * m[:, 0]",
		      "(sum(m:f64[3x3], axis=1):f64[3]@row * m:f64[3x3][:, 0]"
		      ":f64[3]):f64[3]");
	expect_typed("sum(x, axis=1) * v",
		     "(sum(x:f64[4x3], axis=1):f64[4]@row * v:f64[4]):f64[4]");
	expect_typed("sum(w)", "sum(w:f64[3]):f64[]@pass0");
	expect_typed("mean(sum(x, axis=1))",
		     "mean(sum(x:f64[4x3], axis=1):f64[4]@row):f64[]@pass0");
}

Test(expr, pass_list_is_in_pass_order)
{
	static const char text[] =
		"(x - mean(x, axis=0)) / std(x - mean(x, axis=0), axis=0) + max(x)";
	struct shmx_error err = { 0 };
	struct shmx__expr *e;

	cr_assert_eq(shmx__expr_compile(text, inputs, NIN, &e, &err), 0, "%s",
		     err.msg);
	cr_expect_eq(e->npasses, 2);
	cr_expect_eq(e->npass_nodes, 4);
	for (unsigned k = 0; k < e->npass_nodes; k++)
		cr_expect_eq(e->passes[k]->pass, k < 3 ? 0 : 1, "node %u", k);
	cr_expect_eq(e->passes[3]->op, SHMX__F_STD);
	cr_expect_eq(e->rows, 4);
	cr_expect_eq(e->rows_ndim, 2);
	shmx__expr_free(e);
}

Test(expr, value_based_dtypes_are_flagged)
{
	/* numpy 1.24 types a 0-d value beside an array by its value: known
	 * for constants, assumed to fit (and flagged) for a pass's value */
	expect_typed("u + 300", "(u:u8[4x3] + 300:i64[]):u16[4x3]");
	expect_typed("u // 300", "(u:u8[4x3] // 300:i64[]):i16[4x3]");
	expect_typed("u + sum(u)",
		     "(u:u8[4x3] + sum(u:u8[4x3]):u64[]@pass0):u8[4x3]~");
	expect_typed("x + s", "(x:f64[4x3] + s:f32[]):f64[4x3]"); /* any f32 fits */
	/* a float 0-d beside integers: plain promotion, by dtype */
	expect_typed("u * s", "(u:u8[4x3] * s:f32[]):f32[4x3]");
	expect_typed("s * 2", "(s:f32[] * 2:i64[]):f64[]");
}

Test(expr, bindings_are_checked)
{
	struct shmx__expr_binding b[2] = {
		{ "x", SHMX_F64, { 1, { 3, 0 } } },
		{ "x", SHMX_F64, { 1, { 3, 0 } } },
	};
	struct shmx_error err = { 0 };
	struct shmx__expr *e;

	cr_expect_eq(shmx__expr_compile("x", b, 2, &e, &err), SHMX_EUSAGE);
	cr_expect_str_eq(err.msg, "expression: input 'x' is named twice");
	b[1].name = "sum";
	cr_expect_eq(shmx__expr_compile("x", b, 2, &e, &err), SHMX_EUSAGE);
	cr_expect_str_eq(err.msg, "expression: input name 'sum' is a function "
				  "or a constant");
	b[1].name = "2x";
	cr_expect_eq(shmx__expr_compile("x", b, 2, &e, &err), SHMX_EUSAGE);
	cr_expect_str_eq(err.msg, "expression: input name '2x' is not an "
				  "identifier (up to 63 characters)");
	cr_expect_eq(shmx__expr_compile("x", b, 1, &e, &err), 0);
	shmx__expr_free(e);
}

Test(expr, dump_cuts_short_and_says_the_length_it_needed)
{
	struct shmx_error err = { 0 };
	struct shmx__expr *e;
	char buf[8];
	size_t n;

	cr_assert_eq(shmx__expr_compile("x + y * 2", inputs, NIN, &e, &err), 0);
	n = shmx__expr_dump(e, 0, buf, sizeof(buf));
	cr_expect_eq(n, strlen("(x + (y * 2))"));
	cr_expect_str_eq(buf, "(x + (y");
	shmx__expr_free(e);
}
