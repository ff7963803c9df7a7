/* tests/fuzz/fuzz_expr.c - shmx__expr_compile (engine/expr/: lexer, parser,
 * type checker, folding, placement) on any string, over inputs whose dtypes
 * and shapes the first two bytes choose.
 *
 * Properties: a refusal is SHMX_EEXPR with a one-line message
 * "expression: col N: ..." whose N is a column of the text (1 to its
 * length + 1), or the length bound's message; an accepted expression has
 * a well-formed typed tree (dtypes, ranks, places, passes after the
 * passes they contain, the pass list in order); its dump compiles again
 * to the same dump, typed and plain (while the dump stays inside the
 * bounds: a parenthesised dump nests up to twice as deep).
 */
#include "expr/expr.h"
#include "fuzz.h"

static const struct shmx_shape shapes[4][3] = {
	{ { 2, { 4, 3 } }, { 1, { 3, 0 } }, { 0, { 0, 0 } } },
	{ { 2, { 3, 3 } }, { 2, { 3, 1 } }, { 1, { 3, 0 } } },
	{ { 1, { 5, 0 } }, { 1, { 5, 0 } }, { 0, { 0, 0 } } },
	{ { 2, { 2, 0 } }, { 2, { 1, 2 } }, { 2, { 2, 1 } } },
};

static unsigned bindings(const uint8_t *data, struct shmx__expr_binding *in)
{
	static const char *const names[] = { "x", "y", "w", "b", "v" };
	const struct shmx_shape *sh = shapes[data[1] & 3];

	for (unsigned k = 0; k < 5; k++) {
		in[k].name = names[k];
		in[k].dtype = (enum shmx_dtype)((k < 2 ? data[0] & 15 : data[0] >> 4) %
						SHMX_DTYPE_COUNT);
		in[k].shape = sh[k < 2 ? 0 : k - 2];
	}
	return 5;
}

static void check_node(const struct shmx__expr_node *n, int outer_pass)
{
	FUZZ_CHECK((unsigned)n->dtype < SHMX__X_COUNT, "dtype %d", n->dtype);
	FUZZ_CHECK(n->ndim >= 0 && n->ndim <= 2, "ndim %d", n->ndim);
	FUZZ_CHECK(n->depth <= SHMX__EXPR_DEPTH_MAX, "depth %u", n->depth);
	FUZZ_CHECK(n->nargs <= 3, "nargs %u", n->nargs);
	if (n->place == SHMX__AT_PASS) {
		FUZZ_CHECK(n->pass >= 0 && (outer_pass < 0 || n->pass < outer_pass),
			   "pass %d inside pass %d", n->pass, outer_pass);
		outer_pass = n->pass;
	} else {
		FUZZ_CHECK(n->pass == -1, "pass %d of a non-pass node", n->pass);
	}
	if (n->place == SHMX__AT_ROW)
		FUZZ_CHECK(n->kind == SHMX__EXPR_CALL && n->arg[0]->ndim == 2 &&
				   n->axis == SHMX_AXIS_1 && n->ndim == 1,
			   "a per-row node that is not a row reduction");
	if (n->flags & SHMX__N_CONST)
		FUZZ_CHECK(n->ndim == 0 && n->kind == SHMX__EXPR_NUM,
			   "a constant that is not a 0-d number");
	for (unsigned k = 0; k < n->nargs; k++)
		check_node(n->arg[k], outer_pass);
}

static void check_tree(const struct shmx__expr *e)
{
	check_node(e->root, -1);
	for (unsigned k = 0; k < e->npass_nodes; k++) {
		FUZZ_CHECK(e->passes[k]->place == SHMX__AT_PASS, "not a pass");
		FUZZ_CHECK((unsigned)e->passes[k]->pass < e->npasses, "pass %d",
			   e->passes[k]->pass);
		if (k)
			FUZZ_CHECK(e->passes[k]->pass >= e->passes[k - 1]->pass,
				   "pass list out of order");
	}
}

static char *dump(const struct shmx__expr *e, unsigned flags, size_t *len)
{
	char *buf;

	*len = shmx__expr_dump(e, flags, NULL, 0);
	buf = malloc(*len + 1);
	if (!buf)
		abort();
	FUZZ_CHECK(shmx__expr_dump(e, flags, buf, *len + 1) == *len,
		   "dump length changed");
	FUZZ_CHECK(strlen(buf) == *len, "dump of %zu bytes for %zu", strlen(buf),
		   *len);
	return buf;
}

static void check_refusal(const char *text, const struct shmx_error *err,
			  int rc)
{
	unsigned col;
	int used = 0;

	fuzz_check_error(err, rc);
	FUZZ_CHECK(rc == SHMX_EEXPR, "code %d: %s", rc, err->msg);
	if (strncmp(err->msg, "expression: longer than ", 24) == 0) {
		FUZZ_CHECK(strlen(text) > SHMX__EXPR_LEN_MAX, "not that long");
		return;
	}
	FUZZ_CHECK(sscanf(err->msg, "expression: col %u: %n", &col, &used) == 1 &&
			   used > 0,
		   "message without a column: %s", err->msg);
	FUZZ_CHECK(col >= 1 && col <= strlen(text) + 1, "col %u of %zu: %s", col,
		   strlen(text), err->msg);
}

static void check_reparse(const char *text, const struct shmx__expr *e,
			  const struct shmx__expr_binding *in, unsigned n)
{
	struct shmx_error err = { 0 };
	struct shmx__expr *again;
	size_t len, tlen, len2, tlen2;
	char *plain = dump(e, 0, &len), *typed = dump(e, SHMX__DUMP_TYPES, &tlen);

	if (len <= SHMX__EXPR_LEN_MAX &&
	    2 * e->root->depth + 2 < SHMX__EXPR_DEPTH_MAX) {
		int rc = shmx__expr_compile(plain, in, n, &again, &err);

		FUZZ_CHECK(rc == 0, "'%s' -> '%s' does not compile: %s", text,
			   plain, err.msg);
		char *plain2 = dump(again, 0, &len2);
		char *typed2 = dump(again, SHMX__DUMP_TYPES, &tlen2);

		FUZZ_CHECK(strcmp(plain, plain2) == 0, "'%s' -> '%s' -> '%s'",
			   text, plain, plain2);
		FUZZ_CHECK(strcmp(typed, typed2) == 0, "'%s' -> '%s' -> '%s'",
			   text, typed, typed2);
		free(plain2);
		free(typed2);
		shmx__expr_free(again);
	}
	free(plain);
	free(typed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shmx__expr_binding in[5];
	struct shmx_error err = { 0 };
	struct shmx__expr *e = NULL;
	unsigned n;
	char *text;
	int rc;

	if (size < 2)
		return 0;
	n = bindings(data, in);
	text = fuzz_cstr(data + 2, size - 2);
	rc = shmx__expr_compile(text, in, n, &e, &err);
	if (rc < 0) {
		FUZZ_CHECK(!e, "*out set on failure");
		check_refusal(text, &err, rc);
	} else {
		check_tree(e);
		check_reparse(text, e, in, n);
		shmx__expr_free(e);
	}
	free(text);
	return 0;
}
