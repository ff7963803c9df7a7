/* engine/expr/dump.c - the typed tree as text, for tests and debugging:
 * fully parenthesised Python that parses back to the same tree, with
 * optional ":dtype[shape]" and "@row" / "@passN" annotations. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/ast.h"

struct out {
	char *buf;
	size_t len, used;
};

static void put(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	size_t room = o->used < o->len ? o->len - o->used : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? o->buf + o->used : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n;
}

static void put_i128(struct out *o, shmx__i128 v)
{
	char d[48];
	unsigned k = sizeof(d) - 1;
	unsigned __int128 u = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;

	d[k] = '\0';
	do {
		d[--k] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u);
	put(o, "%s%s", v < 0 ? "-" : "", d + k);
}

static void put_zeros(struct out *o, int n)
{
	for (int k = 0; k < n; k++)
		put(o, "0");
}

/* Python's repr of a float: the shortest digits that read back as f,
 * positional for exponents -4 .. 15 (with ".0" when whole), else
 * scientific ("1e+16", "1.5e-05"). */
static void put_double(struct out *o, double f)
{
	char s[40], digits[24];
	int exp, nd = 0, prec;

	if (isnan(f) || isinf(f)) {
		put(o, "%s", isnan(f) ? "nan" : f < 0 ? "-inf" : "inf");
		return;
	}
	for (prec = 0; prec < 17; prec++) {
		snprintf(s, sizeof(s), "%.*e", prec, f);
		if (strtod(s, NULL) == f)
			break;
	}
	/* s is [-]d[.ddd]e[+-]XX */
	for (const char *p = s; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			digits[nd++] = *p;
	digits[nd] = '\0';
	exp = atoi(strchr(s, 'e') + 1);
	put(o, "%s", signbit(f) ? "-" : "");
	if (exp < -4 || exp >= 16) {
		put(o, "%c%s%s", digits[0], nd > 1 ? "." : "", digits + 1);
		put(o, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
	} else if (exp < 0) {
		put(o, "0.");
		put_zeros(o, -exp - 1);
		put(o, "%s", digits);
	} else if (nd <= exp + 1) {
		put(o, "%s", digits);
		put_zeros(o, exp + 1 - nd);
		put(o, ".0");
	} else {
		put(o, "%.*s.%s", exp + 1, digits, digits + exp + 1);
	}
}

static const char *cast_name(enum shmx__xtype t)
{
	static const char *const names[SHMX__X_COUNT] = {
		[SHMX__X_I8] = "int8", [SHMX__X_I16] = "int16",
		[SHMX__X_I32] = "int32", [SHMX__X_I64] = "int64",
		[SHMX__X_U8] = "uint8", [SHMX__X_U16] = "uint16",
		[SHMX__X_U32] = "uint32", [SHMX__X_U64] = "uint64",
		[SHMX__X_F32] = "float32", [SHMX__X_F64] = "float64",
		[SHMX__X_BOOL] = "bool",
	};
	return names[t];
}

static void put_value(struct out *o, const struct shmx__expr_node *n)
{
	if (n->dtype == SHMX__X_BOOL)
		put(o, "%s", n->i ? "True" : "False");
	else if (shmx__x_is_float(n->dtype))
		put_double(o, n->f);
	else
		put_i128(o, n->i);
}

static void put_num(struct out *o, const struct shmx__expr_node *n)
{
	int neg = n->dtype == SHMX__X_BOOL ? 0
		  : shmx__x_is_float(n->dtype) ? !isnan(n->f) && signbit(n->f)
					       : n->i < 0;

	if (!(n->flags & SHMX__N_PY)) {
		put(o, "%s(", cast_name(n->dtype));
		put_value(o, n);
		put(o, ")");
		return;
	}
	/* parenthesised when negative, so that (-2) ** 2 stays itself */
	put(o, "%s", neg ? "(" : "");
	put_value(o, n);
	put(o, "%s", neg ? ")" : "");
}

static void put_node(struct out *o, const struct shmx__expr *e,
		     const struct shmx__expr_node *n, unsigned flags);

static void put_call(struct out *o, const struct shmx__expr *e,
		     const struct shmx__expr_node *n, unsigned flags)
{
	put(o, "%s(", shmx__funcs[n->op].name);
	for (unsigned k = 0; k < n->nargs; k++) {
		put(o, "%s", k ? ", " : "");
		put_node(o, e, n->arg[k], flags);
	}
	if (n->axis != SHMX_AXIS_NONE)
		put(o, ", axis=%d", n->axis == SHMX_AXIS_0 ? 0 : 1);
	put(o, ")");
}

static void put_type(struct out *o, const struct shmx__expr_node *n)
{
	put(o, ":%s[", shmx__xtype_name(n->dtype));
	for (int d = 0; d < n->ndim; d++)
		put(o, "%s%" PRIu64, d ? "x" : "", n->dim[d]);
	put(o, "]");
	if (n->place == SHMX__AT_ROW)
		put(o, "@row");
	else if (n->place == SHMX__AT_PASS)
		put(o, "@pass%d", n->pass);
	if (n->flags & SHMX__N_VALUE_BASED)
		put(o, "~");
}

static void put_node(struct out *o, const struct shmx__expr *e,
		     const struct shmx__expr_node *n, unsigned flags)
{
	switch (n->kind) {
	case SHMX__EXPR_NUM:
		put_num(o, n);
		break;
	case SHMX__EXPR_INPUT:
		put(o, "%s", e->in[n->input].name);
		break;
	case SHMX__EXPR_UNARY:
		put(o, "(%s", shmx__op_text(n->op));
		put_node(o, e, n->arg[0], flags);
		put(o, ")");
		break;
	case SHMX__EXPR_BINARY:
		put(o, "(");
		put_node(o, e, n->arg[0], flags);
		put(o, " %s ", shmx__op_text(n->op));
		put_node(o, e, n->arg[1], flags);
		put(o, ")");
		break;
	case SHMX__EXPR_CALL:
		put_call(o, e, n, flags);
		break;
	case SHMX__EXPR_COLUMNS:
		put_node(o, e, n->arg[0], flags);
		if (n->single)
			put(o, "[:, %" PRId64 "]", n->start);
		else
			put(o, "[:, %" PRId64 ":%" PRId64 "]", n->start, n->stop);
		break;
	}
	if (flags & SHMX__DUMP_TYPES)
		put_type(o, n);
}

size_t shmx__expr_dump(const struct shmx__expr *e, unsigned flags, char *buf,
		       size_t len)
{
	struct out o = { buf, len, 0 };

	if (len)
		buf[0] = '\0';
	put_node(&o, e, e->root, flags);
	return o.used;
}
