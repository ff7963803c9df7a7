/* engine/expr/ast.h - what the expression compiler's files share: tokens,
 * the function table, the error helper and the steps of
 * shmx__expr_compile (lex, parse, type + fold, place).  Private to expr/.
 */
#ifndef SHMX_EXPR_AST_H
#define SHMX_EXPR_AST_H

#include "expr/expr.h"

enum tok_kind {
	TOK_END = 1,
	TOK_INT,    /* decimal integer: value in i */
	TOK_FLOAT,  /* value in f */
	TOK_NAME,
	TOK_OP,     /* a binary or unary operator: op */
	TOK_LPAREN, TOK_RPAREN, TOK_LBRACK, TOK_RBRACK,
	TOK_COMMA, TOK_COLON, TOK_ASSIGN,
};

struct shmx__tok {
	enum tok_kind kind;
	int op;       /* TOK_OP: the binary operator (SUB also unary NEG) */
	unsigned col; /* 1-based */
	unsigned len;
	const char *at;
	shmx__i128 i;
	double f;
};

/* Classes of functions (the last field of SHMX__EXPR_FUNCS). */
enum func_class { FC_SAME, FC_FLOAT, FC_PRED, FC_WHERE, FC_CAST, FC_REDUCE };

struct shmx__func_info {
	const char *name;
	unsigned lo, hi;
	enum func_class cls;
};

extern const struct shmx__func_info shmx__funcs[SHMX__F_COUNT];

/* The function called name[0, len), or -1. */
int shmx__func_find(const char *name, size_t len);
/* The word of words[] (n of them) closest to name by edit distance when
 * it is close enough to be a likely typo, or NULL. */
const char *shmx__closest(const char *name, size_t len,
			  const char *const *words, unsigned n);

/* "expression: col N: <fmt>", SHMX_EEXPR. */
int shmx__expr_fail(struct shmx_error *err, unsigned col, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));
/* A token's text for a message: at most 40 characters, anything not
 * printable ASCII as \xNN. */
void shmx__tok_text(const struct shmx__tok *t, char *buf, size_t len);

/* Tokens of text into toks (room for strlen(text) + 1), TOK_END last.
 * Returns the count, or SHMX_EEXPR. */
int shmx__expr_lex(const char *text, struct shmx__tok *toks,
		   struct shmx_error *err);

/* The tree of the tokens into e->nodes, e->root.  0 or SHMX_EEXPR. */
int shmx__expr_parse(struct shmx__expr *e, const struct shmx__tok *toks,
		     struct shmx_error *err);

/* dtypes and shapes of every node, folding Python-scalar subtrees as
 * Python would.  0 or SHMX_EEXPR. */
int shmx__expr_type(struct shmx__expr *e, struct shmx_error *err);

/* place and pass of every node, e->passes.  0 or -ENOMEM. */
int shmx__expr_place(struct shmx__expr *e, struct shmx_error *err);

/* numpy's type promotion (np.promote_types) over shmx's types. */
enum shmx__xtype shmx__promote(enum shmx__xtype a, enum shmx__xtype b);
/* 0 bool, 1 integers, 2 floats: the kinds numpy 1.24's value-based
 * casting compares. */
int shmx__x_category(enum shmx__xtype t);
/* np.result_type of the operands, a 0-d one beside arrays by its value
 * (when known: SHMX__N_CONST; else SHMX__N_VALUE_BASED into *flags). */
enum shmx__xtype shmx__result_type(struct shmx__expr_node *const *ops,
				   unsigned n, unsigned *flags);
/* An operator as written ("**"). */
const char *shmx__op_text(int op);
/* The loop numpy's default type resolver picks for //, %, ** and the
 * bitwise operators: the first of its integer loops (bool first when
 * with_bool, then the floats when with_float) that every operand casts to
 * safely, a 0-d one by its value.  SHMX__X_COUNT when there is none. */
enum shmx__xtype shmx__loop_type(struct shmx__expr_node *const *ops,
				 unsigned n, int with_bool, int with_float,
				 unsigned *flags);
/* The result type of sqrt & co. for an input of type t. */
enum shmx__xtype shmx__float_of(enum shmx__xtype t);

/* Fold a UNARY or BINARY node whose operands are Python scalars as Python
 * would compute it: 1 folded, 0 left as it is, or SHMX_EEXPR (Python
 * would raise: division by zero, overflow). */
int shmx__fold_python(struct shmx__expr_node *n, struct shmx_error *err);
/* Fold a cast of a constant when numpy's value is certain: 1 or 0. */
int shmx__fold_cast(struct shmx__expr_node *n, enum shmx__xtype to);

static inline int shmx__x_is_float(enum shmx__xtype t)
{
	return t == SHMX__X_F32 || t == SHMX__X_F64;
}

static inline int shmx__x_is_int(enum shmx__xtype t)
{
	return t <= SHMX__X_U64;
}

static inline int shmx__x_is_unsigned(enum shmx__xtype t)
{
	return t >= SHMX__X_U8 && t <= SHMX__X_U64;
}

#endif
