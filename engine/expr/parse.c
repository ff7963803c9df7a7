/* engine/expr/parse.c - tokens to a tree with Python's precedence, by
 * shunting-yard over explicit stacks (no recursion: a 100,000-deep input
 * is refused with a message, never a stack overflow).
 *
 * Precedence, loosest first, as Python's grammar has it: comparisons
 * (chains such as a < b < c are refused: Python evaluates them with
 * `and`, which numpy refuses for arrays), |, ^, &, + -, * / // %, unary
 * - + ~, ** (right-associative; its right operand may be unary, so -x**2
 * is -(x**2) and 2**-1 is 2**(-1)), then calls, subscripts and atoms.
 */
#include <string.h>

#include "base/internal.h"
#include "expr/ast.h"

enum frame_kind { FR_UNARY = 1, FR_BINARY, FR_PAREN, FR_CALL };

struct frame {
	enum frame_kind kind;
	int op, prec, func;
	unsigned col, base, commas;
	int has_kw;
	int64_t axis_raw;
	unsigned axis_col;
};

struct parser {
	struct shmx__expr *e;
	const struct shmx__tok *t; /* the current token */
	struct shmx__expr_node **vals;
	unsigned nvals;
	struct frame ops[SHMX__EXPR_DEPTH_MAX];
	unsigned nops;
	struct shmx_error *err;
};

static int prec_of(int op)
{
	switch (op) {
	case SHMX__OP_OR:
		return 2;
	case SHMX__OP_XOR:
		return 3;
	case SHMX__OP_AND:
		return 4;
	case SHMX__OP_ADD: case SHMX__OP_SUB:
		return 6;
	case SHMX__OP_MUL: case SHMX__OP_DIV: case SHMX__OP_FDIV:
	case SHMX__OP_MOD:
		return 7;
	case SHMX__OP_POW:
		return 9;
	default:
		return 1; /* comparisons */
	}
}

#define PREC_UNARY 8

static int is_compare(int op)
{
	return op >= SHMX__OP_LT && op <= SHMX__OP_NE;
}

static int tok_is(const struct shmx__tok *t, const char *word)
{
	return t->kind == TOK_NAME && t->len == strlen(word) &&
	       memcmp(t->at, word, t->len) == 0;
}

static int fail_tok(struct parser *p, const struct shmx__tok *t,
		    const char *what)
{
	char text[200];

	if (t->kind == TOK_END)
		return shmx__expr_fail(p->err, t->col,
				       "unexpected end of expression");
	shmx__tok_text(t, text, sizeof(text));
	return shmx__expr_fail(p->err, t->col, "%s, found '%s'", what, text);
}

static struct shmx__expr_node *new_node(struct parser *p,
					enum shmx__expr_kind kind,
					unsigned col)
{
	struct shmx__expr_node *n = &p->e->nodes[p->e->nnodes++];

	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->col = col;
	n->pass = -1;
	n->depth = 1;
	return n;
}

/* Give n its arguments (popped off vals) and its depth. */
static int adopt(struct parser *p, struct shmx__expr_node *n, unsigned nargs)
{
	p->nvals -= nargs;
	n->nargs = nargs;
	for (unsigned k = 0; k < nargs; k++) {
		n->arg[k] = p->vals[p->nvals + k];
		if (n->arg[k]->depth + 1 > n->depth)
			n->depth = n->arg[k]->depth + 1;
	}
	if (n->depth > SHMX__EXPR_DEPTH_MAX)
		return shmx__expr_fail(p->err, n->col, "nested deeper than %u",
				       SHMX__EXPR_DEPTH_MAX);
	p->vals[p->nvals++] = n;
	return 0;
}

static int push_frame(struct parser *p, enum frame_kind kind, int op)
{
	struct frame *f;

	if (p->nops == SHMX__EXPR_DEPTH_MAX)
		return shmx__expr_fail(p->err, p->t->col,
				       "nested deeper than %u",
				       SHMX__EXPR_DEPTH_MAX);
	f = &p->ops[p->nops++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->op = op;
	f->col = p->t->col;
	f->base = p->nvals;
	f->prec = kind == FR_UNARY ? PREC_UNARY : prec_of(op);
	return 0;
}

/* Apply the operator on top of the stack to its operands. */
static int reduce(struct parser *p)
{
	struct frame *f = &p->ops[--p->nops];
	struct shmx__expr_node *n;

	n = new_node(p, f->kind == FR_UNARY ? SHMX__EXPR_UNARY
					     : SHMX__EXPR_BINARY, f->col);
	n->op = f->op;
	return adopt(p, n, f->kind == FR_UNARY ? 1 : 2);
}

static int is_operator(const struct frame *f)
{
	return f->kind == FR_UNARY || f->kind == FR_BINARY;
}

static int reduce_operators(struct parser *p)
{
	while (p->nops && is_operator(&p->ops[p->nops - 1]))
		if (reduce(p) < 0)
			return SHMX_EEXPR;
	return 0;
}

static int binary(struct parser *p)
{
	int op = p->t->op, prec = prec_of(op), right = op == SHMX__OP_POW;

	if (op == SHMX__OP_INV)
		return fail_tok(p, p->t, "expected an operator");
	while (p->nops && is_operator(&p->ops[p->nops - 1])) {
		const struct frame *top = &p->ops[p->nops - 1];

		if (top->kind == FR_BINARY && is_compare(top->op) &&
		    is_compare(op))
			return shmx__expr_fail(
				p->err, p->t->col,
				"chained comparisons (a < b < c) are ambiguous "
				"for arrays: write (a < b) & (b < c)");
		if (top->prec < prec || (top->prec == prec && right))
			break;
		if (reduce(p) < 0)
			return SHMX_EEXPR;
	}
	return push_frame(p, FR_BINARY, op);
}

/* Names Python has that this subset refuses, with what to write. */
static const struct {
	const char *word, *why;
} keywords[] = {
	{ "and", "'and' is not supported on arrays: use & "
		 "((a > 0) & (b > 0))" },
	{ "or", "'or' is not supported on arrays: use | ((a > 0) | (b > 0))" },
	{ "not", "'not' is not supported on arrays: use ~ (~(a > 0))" },
	{ "if", "conditional expressions are not supported: use "
		"where(cond, a, b)" },
	{ "else", "conditional expressions are not supported: use "
		  "where(cond, a, b)" },
	{ "lambda", "lambdas are not supported" },
	{ "in", "'in' is not supported" },
	{ "is", "'is' is not supported: use ==" },
	{ "for", "comprehensions are not supported" },
	{ "None", "None is only allowed as axis=None" },
	{ "await", "'await' is not supported" },
	{ "yield", "'yield' is not supported" },
};

static int refuse_keyword(struct parser *p)
{
	for (size_t k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++)
		if (tok_is(p->t, keywords[k].word))
			return shmx__expr_fail(p->err, p->t->col, "%s",
					       keywords[k].why);
	return 0;
}

static const char *const constants[] = { "True", "False", "nan", "inf" };

static int push_constant(struct parser *p, unsigned which)
{
	struct shmx__expr_node *n = new_node(p, SHMX__EXPR_NUM, p->t->col);

	n->flags = SHMX__N_CONST | SHMX__N_PY;
	if (which < 2) {
		n->dtype = SHMX__X_BOOL;
		n->i = which == 0;
	} else {
		n->dtype = SHMX__X_F64;
		n->f = which == 2 ? __builtin_nan("") : __builtin_inf();
	}
	return adopt(p, n, 0);
}

static int unknown_name(struct parser *p)
{
	const char *words[SHMX_KERNEL_INPUTS_MAX + 4];
	const char *near;
	char text[200];
	unsigned n = 0;

	for (unsigned k = 0; k < p->e->ninputs; k++)
		words[n++] = p->e->in[k].name;
	for (unsigned k = 0; k < 4; k++)
		words[n++] = constants[k];
	shmx__tok_text(p->t, text, sizeof(text));
	near = shmx__closest(p->t->at, p->t->len, words, n);
	if (near)
		return shmx__expr_fail(p->err, p->t->col,
				       "unknown name '%s' (did you mean '%s'?)",
				       text, near);
	return shmx__expr_fail(p->err, p->t->col, "unknown name '%s'", text);
}

/* A name in an operand's place: an input, a constant, or an error. */
static int atom_name(struct parser *p)
{
	const struct shmx__tok *t = p->t;
	struct shmx__expr_node *n;
	char text[200];

	if (refuse_keyword(p) < 0)
		return SHMX_EEXPR;
	for (unsigned k = 0; k < 4; k++)
		if (tok_is(t, constants[k]))
			return push_constant(p, k);
	for (unsigned k = 0; k < p->e->ninputs; k++)
		if (tok_is(t, p->e->in[k].name)) {
			n = new_node(p, SHMX__EXPR_INPUT, t->col);
			n->input = k;
			return adopt(p, n, 0);
		}
	if (shmx__func_find(t->at, t->len) >= 0) {
		shmx__tok_text(t, text, sizeof(text));
		return shmx__expr_fail(p->err, t->col,
				       "'%s' is a function: call it as %s(...)",
				       text, text);
	}
	return unknown_name(p);
}

static int unknown_function(struct parser *p)
{
	const char *words[SHMX__F_COUNT];
	const char *near;
	char text[200];

	for (unsigned k = 0; k < SHMX__F_COUNT; k++)
		words[k] = shmx__funcs[k].name;
	shmx__tok_text(p->t, text, sizeof(text));
	for (unsigned k = 0; k < p->e->ninputs; k++)
		if (tok_is(p->t, p->e->in[k].name))
			return shmx__expr_fail(p->err, p->t->col,
					       "'%s' is an input, not a "
					       "function", text);
	near = shmx__closest(p->t->at, p->t->len, words, SHMX__F_COUNT);
	if (near)
		return shmx__expr_fail(p->err, p->t->col,
				       "unknown function '%s' (did you mean "
				       "'%s'?)", text, near);
	return shmx__expr_fail(p->err, p->t->col, "unknown function '%s'",
			       text);
}

/* NAME '(': a call's frame; its arguments follow as operands. */
static int call_open(struct parser *p)
{
	int f;

	if (refuse_keyword(p) < 0)
		return SHMX_EEXPR;
	f = shmx__func_find(p->t->at, p->t->len);
	if (f < 0)
		return unknown_function(p);
	if (push_frame(p, FR_CALL, 0) < 0)
		return SHMX_EEXPR;
	p->ops[p->nops - 1].func = f;
	p->t += 2; /* the name and its '(' */
	return 0;
}

static int call_close(struct parser *p)
{
	struct frame f = p->ops[--p->nops];
	const struct shmx__func_info *fi = &shmx__funcs[f.func];
	unsigned nargs = p->nvals - f.base;
	struct shmx__expr_node *n;

	if (nargs < fi->lo || nargs > fi->hi)
		return shmx__expr_fail(p->err, f.col,
				       "%s takes %u argument%s, not %u",
				       fi->name, fi->lo, fi->lo == 1 ? "" : "s",
				       nargs);
	n = new_node(p, SHMX__EXPR_CALL, f.col);
	n->op = f.func;
	n->has_axis = f.has_kw;
	n->axis_raw = f.axis_raw;
	n->axis_col = f.axis_col;
	return adopt(p, n, nargs);
}

/* An optionally signed integer literal at p->t, clamped to +-2^62 (an
 * index that far is out of bounds anyway); advances past it. */
static int signed_int(struct parser *p, int64_t *v)
{
	int neg = 0;

	if (p->t->kind == TOK_OP &&
	    (p->t->op == SHMX__OP_SUB || p->t->op == SHMX__OP_ADD)) {
		neg = p->t->op == SHMX__OP_SUB;
		p->t++;
	}
	if (p->t->kind != TOK_INT)
		return 0;
	*v = p->t->i > ((shmx__i128)1 << 62) ? (int64_t)1 << 62
					      : (int64_t)p->t->i;
	if (neg)
		*v = -*v;
	p->t++;
	return 1;
}

/* axis=VALUE inside a call: None, or an integer literal. */
static int keyword(struct parser *p)
{
	struct frame *f = &p->ops[p->nops - 1];
	const struct shmx__func_info *fi = &shmx__funcs[f->func];
	char text[200];
	int64_t v = 0;

	shmx__tok_text(p->t, text, sizeof(text));
	if (!tok_is(p->t, "axis"))
		return shmx__expr_fail(p->err, p->t->col,
				       "keyword '%s' is not supported (only "
				       "axis=)", text);
	if (fi->cls != FC_REDUCE)
		return shmx__expr_fail(p->err, p->t->col,
				       "%s takes no axis", fi->name);
	p->t += 2;
	f->axis_col = p->t->col;
	if (tok_is(p->t, "None")) {
		p->t++;
		f->has_kw = 0;
	} else if (signed_int(p, &v)) {
		f->has_kw = 1;
		f->axis_raw = v;
	} else {
		return fail_tok(p, p->t,
				"axis must be None, 0, 1, -1 or -2 written as "
				"a number");
	}
	if (p->t->kind == TOK_COMMA && p->t[1].kind == TOK_RPAREN)
		p->t++;
	if (p->t->kind != TOK_RPAREN)
		return fail_tok(p, p->t, "axis= must be the last argument");
	p->t++;
	return call_close(p);
}

#define NO_BOUND INT64_MIN

/* '[' after an operand: only [:, j] and [:, a:b] (either bound optional). */
static int subscript(struct parser *p)
{
	static const char only[] =
		"only column selection x[:, j] or x[:, a:b] is supported";
	struct shmx__expr_node *n = new_node(p, SHMX__EXPR_COLUMNS, p->t->col);
	int64_t v;

	p->t++;
	if (p->t->kind != TOK_COLON || p->t[1].kind != TOK_COMMA)
		return fail_tok(p, p->t, only);
	p->t += 2;
	n->start = n->stop = NO_BOUND;
	if (signed_int(p, &v)) {
		n->index = n->start = v;
		n->single = p->t->kind != TOK_COLON;
	} else if (p->t->kind != TOK_COLON) {
		return fail_tok(p, p->t, only);
	}
	if (!n->single) {
		p->t++; /* the ':' */
		if (signed_int(p, &v))
			n->stop = v;
		else if (p->t->kind != TOK_RBRACK)
			return fail_tok(p, p->t, only);
	}
	if (p->t->kind != TOK_RBRACK)
		return fail_tok(p, p->t, only);
	p->t++;
	return adopt(p, n, 1);
}

static int close_paren(struct parser *p)
{
	struct frame *f;

	if (reduce_operators(p) < 0)
		return SHMX_EEXPR;
	if (!p->nops)
		return shmx__expr_fail(p->err, p->t->col, "unmatched ')'");
	f = &p->ops[p->nops - 1];
	p->t++;
	if (f->kind == FR_CALL)
		return call_close(p);
	p->nops--;
	p->vals[p->nvals - 1]->flags |= SHMX__N_PAREN;
	return 0;
}

static int comma(struct parser *p)
{
	if (reduce_operators(p) < 0)
		return SHMX_EEXPR;
	if (!p->nops || p->ops[p->nops - 1].kind != FR_CALL)
		return shmx__expr_fail(p->err, p->t->col,
				       "tuples are not supported");
	p->ops[p->nops - 1].commas++;
	p->t++;
	return 0;
}

/* A token where an operand must start. */
static int operand(struct parser *p, int *want_operand)
{
	const struct shmx__tok *t = p->t;
	struct frame *top = p->nops ? &p->ops[p->nops - 1] : NULL;
	struct shmx__expr_node *n;

	switch (t->kind) {
	case TOK_INT:
	case TOK_FLOAT:
		n = new_node(p, SHMX__EXPR_NUM, t->col);
		n->flags = SHMX__N_CONST | SHMX__N_PY;
		n->dtype = t->kind == TOK_INT ? SHMX__X_I64 : SHMX__X_F64;
		n->i = t->i;
		n->f = t->f;
		p->t++;
		*want_operand = 0;
		return adopt(p, n, 0);
	case TOK_NAME:
		if (t[1].kind == TOK_ASSIGN && top && top->kind == FR_CALL) {
			*want_operand = 0; /* the call is closed with it */
			return keyword(p);
		}
		if (t[1].kind == TOK_LPAREN)
			return call_open(p);
		*want_operand = 0;
		if (atom_name(p) < 0)
			return SHMX_EEXPR;
		p->t++;
		return 0;
	case TOK_LPAREN:
		if (push_frame(p, FR_PAREN, 0) < 0)
			return SHMX_EEXPR;
		p->t++;
		return 0;
	case TOK_OP:
		if (t->op != SHMX__OP_SUB && t->op != SHMX__OP_ADD &&
		    t->op != SHMX__OP_INV)
			break;
		if (push_frame(p, FR_UNARY,
			       t->op == SHMX__OP_SUB   ? SHMX__OP_NEG
			       : t->op == SHMX__OP_ADD ? SHMX__OP_POS
						       : SHMX__OP_INV) < 0)
			return SHMX_EEXPR;
		p->t++;
		return 0;
	case TOK_RPAREN: /* f() or f(a, b,) */
		if (top && top->kind == FR_CALL &&
		    p->nvals - top->base == top->commas) {
			p->t++;
			*want_operand = 0;
			return call_close(p);
		}
		break;
	default:
		break;
	}
	return fail_tok(p, t, "expected an operand");
}

/* A token where an operator (or the end) must come. */
static int operator(struct parser *p, int *want_operand)
{
	const struct shmx__tok *t = p->t;

	switch (t->kind) {
	case TOK_OP:
		*want_operand = 1;
		if (binary(p) < 0)
			return SHMX_EEXPR;
		p->t++;
		return 0;
	case TOK_RPAREN:
		return close_paren(p);
	case TOK_COMMA:
		*want_operand = 1;
		return comma(p);
	case TOK_LBRACK:
		return subscript(p);
	case TOK_LPAREN:
		return shmx__expr_fail(p->err, t->col,
				       "only named functions can be called");
	case TOK_ASSIGN:
		return shmx__expr_fail(p->err, t->col,
				       "'=' is only for axis= in a call (== "
				       "compares)");
	case TOK_NAME:
		if (refuse_keyword(p) < 0)
			return SHMX_EEXPR;
		break;
	default:
		break;
	}
	return fail_tok(p, t, "expected an operator");
}

static int finish(struct parser *p)
{
	if (reduce_operators(p) < 0)
		return SHMX_EEXPR;
	if (p->nops)
		return shmx__expr_fail(p->err, p->ops[p->nops - 1].col,
				       "'(' is never closed");
	p->e->root = p->vals[0];
	return 0;
}

int shmx__expr_parse(struct shmx__expr *e, const struct shmx__tok *toks,
		     struct shmx_error *err)
{
	struct parser *p = shmx__calloc(1, sizeof(*p));
	int want_operand = 1, rc = 0;

	if (!p || !(p->vals = shmx__calloc(e->cap, sizeof(*p->vals)))) {
		if (p)
			shmx__free(p);
		return shmx__fail(err, -12 /* ENOMEM */, "expression: out of "
				  "memory");
	}
	p->e = e;
	p->t = toks;
	p->err = err;
	while (rc == 0 && !(p->t->kind == TOK_END && !want_operand))
		rc = want_operand ? operand(p, &want_operand)
				  : operator(p, &want_operand);
	if (rc == 0)
		rc = finish(p);
	shmx__free(p->vals);
	shmx__free(p);
	return rc;
}
