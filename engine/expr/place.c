/* engine/expr/place.c - the planner's input: where each node's value comes
 * from (expr.h: ELEMENT, ROW or PASS) and the order of the earlier passes.
 *
 * The pass runs over the rows of the inputs (the 2-D inputs' rows, else
 * the 1-D inputs' elements).  A node is ROWWISE when its axis 0 runs along
 * those rows.  A reduction with axis=1 of a rowwise 2-D node is computed
 * per row inside the pass (ROW).  Every other reduction needs all the rows
 * first (PASS), and so does a rowwise 1-D node that numpy broadcasts
 * against a 2-D one: numpy aligns it with the columns, so row i of the
 * result needs its element j for every column j.
 */
#include "base/internal.h"
#include "expr/ast.h"

static void rows_of(struct shmx__expr *e)
{
	e->rows_ndim = 0;
	e->rows = 1;
	for (unsigned k = 0; k < e->ninputs; k++) {
		const struct shmx_shape *s = &e->in[k].shape;

		if (s->ndim > e->rows_ndim) {
			e->rows_ndim = s->ndim;
			e->rows = s->dim[0];
		} else if (s->ndim == e->rows_ndim && s->ndim &&
			   e->rows == 1) {
			e->rows = s->dim[0];
		}
	}
}

static int is_rowwise(const struct shmx__expr_node *n)
{
	return (n->flags & SHMX__N_ROWWISE) && n->place != SHMX__AT_PASS;
}

static void place_reduce(struct shmx__expr_node *n)
{
	const struct shmx__expr_node *a = n->arg[0];

	if (is_rowwise(a) && a->ndim == 2 && n->axis == SHMX_AXIS_1) {
		n->place = SHMX__AT_ROW;
		n->flags |= SHMX__N_ROWWISE;
	} else {
		n->place = SHMX__AT_PASS;
	}
}

/* An element-wise node: rowwise when a rowwise operand has its shape's
 * rank; a rowwise operand of lower rank is broadcast along columns. */
static void place_elementwise(struct shmx__expr_node *n)
{
	for (unsigned k = 0; k < n->nargs; k++) {
		struct shmx__expr_node *a = n->arg[k];

		if (!is_rowwise(a))
			continue;
		if (a->ndim == n->ndim)
			n->flags |= SHMX__N_ROWWISE;
		else
			a->place = SHMX__AT_PASS;
	}
}

static void place_node(struct shmx__expr *e, struct shmx__expr_node *n)
{
	for (unsigned k = 0; k < n->nargs; k++)
		place_node(e, n->arg[k]);
	switch (n->kind) {
	case SHMX__EXPR_INPUT:
		if (n->ndim && n->ndim == e->rows_ndim && n->dim[0] == e->rows)
			n->flags |= SHMX__N_ROWWISE;
		break;
	case SHMX__EXPR_NUM:
		break;
	case SHMX__EXPR_COLUMNS:
		if (is_rowwise(n->arg[0]))
			n->flags |= SHMX__N_ROWWISE;
		break;
	case SHMX__EXPR_CALL:
		if (shmx__funcs[n->op].cls == FC_REDUCE) {
			place_reduce(n);
			break;
		}
		/* fall through */
	default:
		place_elementwise(n);
		break;
	}
}

/* The pass of every PASS node: one after the last pass it contains.
 * Returns the number of passes n's value needs before it. */
static int pass_of(struct shmx__expr_node *n)
{
	int need = 0;

	for (unsigned k = 0; k < n->nargs; k++) {
		int c = pass_of(n->arg[k]);

		if (c > need)
			need = c;
	}
	if (n->place != SHMX__AT_PASS)
		return need;
	n->pass = need;
	return need + 1;
}

static void collect(struct shmx__expr *e, struct shmx__expr_node *n, int pass)
{
	for (unsigned k = 0; k < n->nargs; k++)
		collect(e, n->arg[k], pass);
	if (n->place == SHMX__AT_PASS && n->pass == pass)
		e->passes[e->npass_nodes++] = n;
}

int shmx__expr_place(struct shmx__expr *e, struct shmx_error *err)
{
	unsigned count = 0;

	rows_of(e);
	place_node(e, e->root);
	e->npasses = (unsigned)pass_of(e->root);
	for (unsigned k = 0; k < e->nnodes; k++)
		count += e->nodes[k].place == SHMX__AT_PASS;
	e->passes = shmx__calloc(count ? count : 1, sizeof(*e->passes));
	if (!e->passes)
		return shmx__fail(err, -12 /* ENOMEM */,
				  "expression: out of memory");
	for (unsigned p = 0; p < e->npasses; p++)
		collect(e, e->root, (int)p);
	return 0;
}
