/* engine/expr/compile.c - shmx__expr_compile: the bindings checked, then
 * lex, parse, type (with folding) and place; and shmx__expr_free. */
#include <string.h>

#include "base/internal.h"
#include "expr/ast.h"

static int is_identifier(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static int reserved(const char *s)
{
	static const char *const words[] = {
		"True", "False", "None", "nan", "inf", "and", "or", "not",
		"if", "else", "lambda", "in", "is", "for", "await", "yield",
	};

	for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++)
		if (strcmp(s, words[k]) == 0)
			return 1;
	return shmx__func_find(s, strlen(s)) >= 0;
}

static int bind(struct shmx__expr *e, const struct shmx__expr_binding *in,
		unsigned n, struct shmx_error *err)
{
	if (n > SHMX_KERNEL_INPUTS_MAX)
		return shmx__fail(err, SHMX_EUSAGE, "expression: %u inputs, "
				  "at most %u", n, SHMX_KERNEL_INPUTS_MAX);
	for (unsigned k = 0; k < n; k++) {
		const char *name = in[k].name ? in[k].name : "";

		if (!is_identifier(name) || strlen(name) >= SHMX__EXPR_NAME_MAX)
			return shmx__fail(err, SHMX_EUSAGE, "expression: input "
					  "name '%.64s' is not an identifier "
					  "(up to %u characters)", name,
					  SHMX__EXPR_NAME_MAX - 1);
		if (reserved(name))
			return shmx__fail(err, SHMX_EUSAGE, "expression: input "
					  "name '%s' is a function or a "
					  "constant", name);
		for (unsigned j = 0; j < k; j++)
			if (strcmp(in[j].name, name) == 0)
				return shmx__fail(err, SHMX_EUSAGE,
						  "expression: input '%s' is "
						  "named twice", name);
		if ((unsigned)in[k].dtype >= SHMX_DTYPE_COUNT ||
		    in[k].shape.ndim < 0 || in[k].shape.ndim > 2)
			return shmx__fail(err, SHMX_EUSAGE, "expression: input "
					  "'%s' has a bad dtype or shape", name);
		e->in[k] = in[k];
		strcpy(e->names[k], name);
		e->in[k].name = e->names[k];
	}
	e->ninputs = n;
	return 0;
}

static int build(struct shmx__expr *e, const char *text,
		 struct shmx_error *err)
{
	size_t len = strlen(text);
	struct shmx__tok *toks;
	int rc;

	if (len > SHMX__EXPR_LEN_MAX)
		return shmx__fail(err, SHMX_EEXPR, "expression: longer than "
				  "%u characters", SHMX__EXPR_LEN_MAX);
	toks = shmx__calloc(len + 1, sizeof(*toks));
	if (!toks)
		return shmx__fail(err, -12, "expression: out of memory");
	rc = shmx__expr_lex(text, toks, err);
	if (rc > 0) {
		e->cap = (unsigned)rc;
		e->nodes = shmx__calloc(e->cap, sizeof(*e->nodes));
		rc = e->nodes ? shmx__expr_parse(e, toks, err)
			      : shmx__fail(err, -12, "expression: out of memory");
	}
	shmx__free(toks);
	return rc < 0 ? rc : 0;
}

int shmx__expr_compile(const char *text,
		       const struct shmx__expr_binding *inputs, unsigned n,
		       struct shmx__expr **out, struct shmx_error *err)
{
	struct shmx__expr *e = shmx__calloc(1, sizeof(*e));
	int rc;

	*out = NULL;
	if (!e)
		return shmx__fail(err, -12, "expression: out of memory");
	rc = bind(e, inputs, n, err);
	if (rc == 0)
		rc = build(e, text, err);
	if (rc == 0)
		rc = shmx__expr_type(e, err);
	if (rc == 0)
		rc = shmx__expr_place(e, err);
	if (rc < 0) {
		shmx__expr_free(e);
		return rc;
	}
	*out = e;
	return 0;
}

void shmx__expr_free(struct shmx__expr *e)
{
	if (!e)
		return;
	shmx__free(e->passes);
	shmx__free(e->nodes);
	shmx__free(e);
}
