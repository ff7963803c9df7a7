/* engine/expr/lex.c - the expression's tokens: Python's numbers (decimal,
 * with '_' between digits, floats with exponents), names and the operators
 * of the subset; everything else is refused here with its column. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/internal.h"
#include "expr/ast.h"

int shmx__expr_fail(struct shmx_error *err, unsigned col, const char *fmt,
		    ...)
{
	char msg[SHMX_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return shmx__fail(err, SHMX_EEXPR, "expression: col %u: %s", col, msg);
}

void shmx__tok_text(const struct shmx__tok *t, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned k = 0; k < t->len && o + 5 < len && k < 40; k++) {
		unsigned char c = (unsigned char)t->at[k];

		if (c >= 0x20 && c < 0x7f)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		buf[o] = '\0';
	}
	if (t->len > 40 && o + 4 < len)
		strcpy(buf + o, "...");
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       is_digit(c);
}

/* Digits with single '_' between them from s; the end. */
static const char *digits(const char *s)
{
	while (is_digit(*s) || (*s == '_' && is_digit(s[1]) && is_digit(s[-1])))
		s++;
	return s;
}

static int bad_number(struct shmx__tok *t, const char *end,
		      struct shmx_error *err, const char *why)
{
	char text[200];

	while (is_name_char(*end) || *end == '.')
		end++;
	t->len = (unsigned)(end - t->at);
	shmx__tok_text(t, text, sizeof(text));
	return shmx__expr_fail(err, t->col, "%s '%s'", why, text);
}

/* A float's value through strtod (correctly rounded), '_' dropped. */
static int float_value(struct shmx__tok *t, struct shmx_error *err)
{
	char buf[400];
	unsigned o = 0;

	if (t->len >= sizeof(buf))
		return bad_number(t, t->at + t->len, err, "number too long");
	for (unsigned k = 0; k < t->len; k++)
		if (t->at[k] != '_')
			buf[o++] = t->at[k];
	buf[o] = '\0';
	t->f = strtod(buf, NULL);
	return 0;
}

static int int_value(struct shmx__tok *t, struct shmx_error *err)
{
	const shmx__i128 max = ((shmx__i128)1 << 64) - 1;
	char text[64];

	t->i = 0;
	for (unsigned k = 0; k < t->len; k++) {
		if (t->at[k] == '_')
			continue;
		t->i = t->i * 10 + (t->at[k] - '0');
		if (t->i > max) {
			shmx__tok_text(t, text, sizeof(text));
			return shmx__expr_fail(err, t->col,
					       "integer %s is too large for "
					       "numpy (at most 2**64 - 1)",
					       text);
		}
	}
	return 0;
}

static int lex_number(const char *s, struct shmx__tok *t,
		      struct shmx_error *err)
{
	const char *p = s;
	int is_float = 0;

	if (*s == '0' && (s[1] == 'x' || s[1] == 'X' || s[1] == 'o' ||
			  s[1] == 'O' || s[1] == 'b' || s[1] == 'B'))
		return bad_number(t, s, err,
				  "only decimal numbers are supported, not");
	p = digits(p);
	if (*p == '.') {
		is_float = 1;
		p = is_digit(p[1]) ? digits(p + 1) : p + 1;
	}
	if ((*p == 'e' || *p == 'E') &&
	    (is_digit(p[1]) || ((p[1] == '+' || p[1] == '-') && is_digit(p[2])))) {
		is_float = 1;
		p = digits(p + (is_digit(p[1]) ? 1 : 2));
	}
	if (*p == 'j' || *p == 'J')
		return bad_number(t, p, err, "complex numbers are not supported:");
	if (is_name_char(*p) || *p == '.')
		return bad_number(t, p, err, "invalid number");
	t->len = (unsigned)(p - s);
	if (is_float) {
		t->kind = TOK_FLOAT;
		return float_value(t, err);
	}
	for (const char *q = s; q < p; q++)
		if (*s == '0' && *q != '0' && *q != '_')
			return bad_number(t, p, err,
					  "leading zeros are not allowed in");
	t->kind = TOK_INT;
	return int_value(t, err);
}

/* Operators and punctuation, longest first. */
static const struct {
	const char *text;
	enum tok_kind kind;
	int op;
} puncts[] = {
	{ "**", TOK_OP, SHMX__OP_POW }, { "//", TOK_OP, SHMX__OP_FDIV },
	{ "<=", TOK_OP, SHMX__OP_LE },  { ">=", TOK_OP, SHMX__OP_GE },
	{ "==", TOK_OP, SHMX__OP_EQ },  { "!=", TOK_OP, SHMX__OP_NE },
	{ "+", TOK_OP, SHMX__OP_ADD },  { "-", TOK_OP, SHMX__OP_SUB },
	{ "*", TOK_OP, SHMX__OP_MUL },  { "/", TOK_OP, SHMX__OP_DIV },
	{ "%", TOK_OP, SHMX__OP_MOD },  { "<", TOK_OP, SHMX__OP_LT },
	{ ">", TOK_OP, SHMX__OP_GT },   { "&", TOK_OP, SHMX__OP_AND },
	{ "|", TOK_OP, SHMX__OP_OR },   { "^", TOK_OP, SHMX__OP_XOR },
	{ "~", TOK_OP, SHMX__OP_INV },  { "(", TOK_LPAREN, 0 },
	{ ")", TOK_RPAREN, 0 },         { "[", TOK_LBRACK, 0 },
	{ "]", TOK_RBRACK, 0 },         { ",", TOK_COMMA, 0 },
	{ ":", TOK_COLON, 0 },          { "=", TOK_ASSIGN, 0 },
};

/* What Python has and this subset does not, with what to write. */
static int refuse_punct(const char *s, struct shmx__tok *t,
			struct shmx_error *err)
{
	static const struct {
		const char *text, *why;
	} no[] = {
		{ "<<", "shift operators are not supported" },
		{ ">>", "shift operators are not supported" },
		{ ":=", "assignment expressions are not supported" },
		{ "->", "annotations are not supported" },
		{ "@", "matrix multiplication '@' is not supported" },
		{ ".", "attributes are not supported (write functions: "
		       "sum(x), not x.sum())" },
		{ "'", "strings are not supported" },
		{ "\"", "strings are not supported" },
		{ "{", "sets and dicts are not supported" },
		{ "}", "sets and dicts are not supported" },
	};
	char text[64];

	for (size_t k = 0; k < sizeof(no) / sizeof(no[0]); k++)
		if (strncmp(s, no[k].text, strlen(no[k].text)) == 0) {
			if (no[k].text[0] == '.' && is_digit(s[1]))
				break;
			return shmx__expr_fail(err, t->col, "%s", no[k].why);
		}
	t->len = 1;
	shmx__tok_text(t, text, sizeof(text));
	return shmx__expr_fail(err, t->col, "unexpected character '%s'", text);
}

static int lex_punct(const char *s, struct shmx__tok *t,
		     struct shmx_error *err)
{
	if (s[0] == '<' && s[1] == '<')
		return refuse_punct(s, t, err);
	if (s[0] == '>' && s[1] == '>')
		return refuse_punct(s, t, err);
	if (s[0] == ':' && s[1] == '=')
		return refuse_punct(s, t, err);
	if (s[0] == '-' && s[1] == '>')
		return refuse_punct(s, t, err);
	for (size_t k = 0; k < sizeof(puncts) / sizeof(puncts[0]); k++) {
		size_t n = strlen(puncts[k].text);

		if (strncmp(s, puncts[k].text, n) == 0) {
			t->kind = puncts[k].kind;
			t->op = puncts[k].op;
			t->len = (unsigned)n;
			return 0;
		}
	}
	return refuse_punct(s, t, err);
}

int shmx__expr_lex(const char *text, struct shmx__tok *toks,
		   struct shmx_error *err)
{
	const char *s = text;
	int n = 0, rc;

	for (;;) {
		struct shmx__tok *t = &toks[n];

		while (*s == ' ' || *s == '\t')
			s++;
		memset(t, 0, sizeof(*t));
		t->at = s;
		t->col = (unsigned)(s - text) + 1;
		if (!*s) {
			t->kind = TOK_END;
			return n + 1;
		}
		if (is_digit(*s) || (*s == '.' && is_digit(s[1])))
			rc = lex_number(s, t, err);
		else if (is_name_char(*s)) {
			t->kind = TOK_NAME;
			while (is_name_char(s[t->len]))
				t->len++;
			rc = 0;
		} else
			rc = lex_punct(s, t, err);
		if (rc < 0)
			return rc;
		s += t->len;
		n++;
	}
}
