/* engine/expr/funcs.c - the function table of the expression language, its
 * look-up, the "did you mean" suggestion, and the names of result types. */
#include <string.h>

#include "shmx/dtype.h"
#include "expr/ast.h"

const struct shmx__func_info shmx__funcs[SHMX__F_COUNT] = {
#define SHMX__FUNC_ROW(id, nm, l, h, c) [SHMX__F_##id] = { nm, l, h, FC_##c },
	SHMX__EXPR_FUNCS(SHMX__FUNC_ROW)
#undef SHMX__FUNC_ROW
};

const char *shmx__expr_func_name(enum shmx__expr_func f)
{
	return shmx__funcs[f].name;
}

int shmx__func_find(const char *name, size_t len)
{
	for (int f = 0; f < SHMX__F_COUNT; f++)
		if (strlen(shmx__funcs[f].name) == len &&
		    memcmp(shmx__funcs[f].name, name, len) == 0)
			return f;
	return -1;
}

#define WORD_MAX 64

/* Levenshtein distance of a[0, n) and b (both at most WORD_MAX long). */
static unsigned distance(const char *a, size_t n, const char *b)
{
	unsigned row[WORD_MAX + 1], m = (unsigned)strlen(b);

	for (unsigned j = 0; j <= m; j++)
		row[j] = j;
	for (size_t i = 1; i <= n; i++) {
		unsigned diag = row[0];

		row[0] = (unsigned)i;
		for (unsigned j = 1; j <= m; j++) {
			unsigned up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[m];
}

const char *shmx__closest(const char *name, size_t len,
			  const char *const *words, unsigned n)
{
	const char *best = NULL;
	unsigned best_d = 0;
	unsigned limit = len <= 1 ? 0 : len <= 3 ? 1 : len <= 6 ? 2 : 3;

	if (len > WORD_MAX)
		return NULL;
	for (unsigned k = 0; k < n; k++) {
		unsigned d;

		if (strlen(words[k]) > WORD_MAX)
			continue;
		d = distance(name, len, words[k]);
		if (d <= limit && (!best || d < best_d)) {
			best = words[k];
			best_d = d;
		}
	}
	return best;
}

const char *shmx__xtype_name(enum shmx__xtype t)
{
	return shmx_dtype_name((enum shmx_dtype)t);
}
