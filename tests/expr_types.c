/* tests/expr_types.c - shmx's typed tree for tests/py/test_expr_types.py:
 * reads lines "EXPR<TAB>NAME=DTYPE:SHAPE ..." (SHAPE as --shape takes it,
 * "()" for 0-d) on stdin and prints for each one line:
 *   ok DTYPE SHAPE VALUE_BASED DUMP     (SHAPE "4x3", "4" or "()")
 *   error MESSAGE
 * (with $EXPR_TYPES_TYPED set, DUMP has the types: SHMX__DUMP_TYPES).
 * so that numpy can be asked the same questions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr.h"
#include "shmx/shmx.h"

static int binding(char *word, struct shmx__expr_binding *b,
		   struct shmx_error *err)
{
	char *eq = strchr(word, '='), *colon = eq ? strchr(eq, ':') : NULL;

	if (!colon)
		return -1;
	*eq = *colon = '\0';
	b->name = word;
	if (shmx_dtype_parse(eq + 1, &b->dtype, err) < 0)
		return -1;
	if (strcmp(colon + 1, "()") == 0) {
		memset(&b->shape, 0, sizeof(b->shape));
		return 0;
	}
	return shmx_shape_parse(colon + 1, &b->shape, err);
}

static void one(char *line)
{
	struct shmx__expr_binding in[SHMX_KERNEL_INPUTS_MAX];
	struct shmx_error err = { 0 };
	struct shmx__expr *e;
	char *tab = strchr(line, '\t'), *save = NULL, dump[8192];
	unsigned n = 0;

	if (tab) {
		*tab = '\0';
		for (char *w = strtok_r(tab + 1, " ", &save); w && n < 32;
		     w = strtok_r(NULL, " ", &save))
			if (binding(w, &in[n++], &err) < 0) {
				printf("error bad binding '%s'\n", w);
				return;
			}
	}
	if (shmx__expr_compile(line, in, n, &e, &err) < 0) {
		printf("error %s\n", err.msg);
		return;
	}
	shmx__expr_dump(e, getenv("EXPR_TYPES_TYPED") ? SHMX__DUMP_TYPES : 0,
			dump, sizeof(dump));
	printf("ok %s ", shmx__xtype_name(e->root->dtype));
	if (e->root->ndim == 0)
		printf("()");
	for (int d = 0; d < e->root->ndim; d++)
		printf("%s%llu", d ? "x" : "", (unsigned long long)e->root->dim[d]);
	printf(" %d %s\n", !!(e->root->flags & SHMX__N_VALUE_BASED), dump);
	shmx__expr_free(e);
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	while ((len = getline(&line, &cap, stdin)) > 0) {
		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		one(line);
		fflush(stdout);
	}
	free(line);
	return 0;
}
