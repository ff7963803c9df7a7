/* engine/expr/eval_build.c - the typed tree lowered into the evaluator's
 * program (eval_prog.h): numpy's loop dtypes made explicit as casts,
 * numpy's fast paths for powers (x**2 is a square, x**0.5 a sqrt, x**-1 a
 * reciprocal), each node rowwise or constant, the lists of the passes and
 * of the main pass, the block geometry and the scratch.  Recursion
 * follows the tree, whose depth the parser bounds. */
#include <errno.h>
#include <string.h>

#include "base/internal.h"
#include "expr/ast.h"
#include "expr/eval_prog.h"

#define POW_IDENTITY (-2) /* x ** 1: x itself */

static int add_ins(struct shmx__prog *p, const struct ins *in)
{
	if (p->n == p->cap) {
		unsigned cap = p->cap ? 2 * p->cap : 32;
		struct ins *q = shmx__realloc(p->ins, cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		p->ins = q;
		p->cap = cap;
	}
	p->ins[p->n] = *in;
	return (int)p->n++;
}

static int max_ready(const struct shmx__prog *p, const int *a, unsigned na)
{
	int r = -1;

	for (unsigned k = 0; k < na; k++)
		if (!p->ins[a[k]].rowwise && p->ins[a[k]].ready > r)
			r = p->ins[a[k]].ready;
	return r;
}

static uint64_t elements(const struct shmx__expr_node *n)
{
	return n->ndim == 0 ? 1 : n->ndim == 1 ? n->dim[0]
					       : n->dim[0] * n->dim[1];
}

/* An element-wise instruction of node n's shape over operands a[] (of
 * its loop dtype already).  Returns its index or -ENOMEM. */
static int elem(struct shmx__prog *p, const struct shmx__expr_node *n,
		enum ins_kind kind, int op, enum shmx_dtype t, int *a,
		unsigned na)
{
	struct ins in = { .kind = kind, .op = op, .t = t, .na = na,
			  .node = n, .ready = -1 };

	for (unsigned k = 0; k < na; k++)
		in.rowwise |= p->ins[a[k]].rowwise;
	in.w = n->ndim == 2 ? n->dim[1] : 1;
	in.count = elements(n);
	for (unsigned k = 0; k < na; k++) {
		const struct ins *o = &p->ins[a[k]];

		if (o->rowwise && o->w != in.w) {
			struct ins x = { .kind = I_EXPAND, .t = o->t, .na = 1,
					 .a = { a[k] }, .rowwise = 1,
					 .w = in.w, .ready = -1, .node = n };
			int j = add_ins(p, &x);

			if (j < 0)
				return j;
			a[k] = j;
			o = &p->ins[j];
		}
		in.a[k] = a[k];
		if (o->rowwise || (!in.rowwise && o->count == in.count &&
				   o->count != 1))
			in.mode[k] = M_VEC;
		else if (o->count == 1)
			in.mode[k] = M_SCALAR;
		else
			in.mode[k] = n->ndim == 2 ? M_TILE : M_ROWIDX;
		p->ins[a[k]].tiled |= in.mode[k] == M_TILE;
	}
	if (!in.rowwise)
		in.ready = max_ready(p, a, na);
	return add_ins(p, &in);
}

/* j as dtype t: j itself, or a cast of it. */
static int cast_to(struct shmx__prog *p, int j, enum shmx_dtype t)
{
	const struct ins *o;

	if (j < 0 || p->ins[j].t == t)
		return j;
	o = &p->ins[j];
	return elem(p, o->node, I_CAST, 0, t, &j, 1);
}

static int lower(struct shmx__prog *p, const struct shmx__expr_node *n);

/* the operands of n lowered and cast to t (t == SHMX_DTYPE_COUNT: kept) */
static int operands(struct shmx__prog *p, const struct shmx__expr_node *n,
		    enum shmx_dtype t, int *a)
{
	for (unsigned k = 0; k < n->nargs; k++) {
		a[k] = lower(p, n->arg[k]);
		if (t != SHMX_DTYPE_COUNT)
			a[k] = cast_to(p, a[k], t);
		if (a[k] < 0)
			return a[k];
	}
	return 0;
}

static int leaf(struct shmx__prog *p, const struct shmx__expr_node *n)
{
	struct ins in = { .t = (enum shmx_dtype)n->dtype, .node = n,
			  .ready = -1, .w = n->ndim == 2 ? n->dim[1] : 1,
			  .count = elements(n) };

	if (n->kind == SHMX__EXPR_INPUT) {
		in.kind = I_INPUT;
		in.input = n->input;
		in.in_cols = in.w;
		in.rowwise = (n->flags & SHMX__N_ROWWISE) &&
			     n->place != SHMX__AT_PASS;
		return add_ins(p, &in);
	}
	in.kind = I_NUM;
	in.count = 1;
	return add_ins(p, &in);
}

static const enum shmx__ev_bin_op bin_of[SHMX__OP_COUNT] = {
	[SHMX__OP_ADD] = SHMX__EV_ADD, [SHMX__OP_SUB] = SHMX__EV_SUB,
	[SHMX__OP_MUL] = SHMX__EV_MUL, [SHMX__OP_DIV] = SHMX__EV_DIV,
	[SHMX__OP_FDIV] = SHMX__EV_FDIV, [SHMX__OP_MOD] = SHMX__EV_MOD,
	[SHMX__OP_POW] = SHMX__EV_POW, [SHMX__OP_LT] = SHMX__EV_LT,
	[SHMX__OP_LE] = SHMX__EV_LE, [SHMX__OP_GT] = SHMX__EV_GT,
	[SHMX__OP_GE] = SHMX__EV_GE, [SHMX__OP_EQ] = SHMX__EV_EQ,
	[SHMX__OP_NE] = SHMX__EV_NE, [SHMX__OP_AND] = SHMX__EV_AND,
	[SHMX__OP_OR] = SHMX__EV_OR, [SHMX__OP_XOR] = SHMX__EV_XOR,
};

/* numpy's fast paths of array ** scalar: the unary op, or -1 */
static int pow_fast(const struct shmx__expr_node *n, enum shmx_dtype t)
{
	const struct shmx__expr_node *b = n->arg[1];
	double v;

	if (!n->arg[0]->ndim || b->ndim || !(b->flags & SHMX__N_CONST))
		return -1;
	v = shmx__x_is_float(b->dtype) ? b->f : (double)b->i;
	if (v == 2)
		return SHMX__EV_SQUARE;
	if (!shmx_dtype_is_float(t))
		return -1;
	return v == 0.5 ? SHMX__EV_SQRT : v == -1 ? SHMX__EV_RECIP
					: v == 1 ? POW_IDENTITY : -1;
}

static int binary(struct shmx__prog *p, const struct shmx__expr_node *n)
{
	enum shmx_dtype t = (enum shmx_dtype)n->dtype, lt = t;
	int a[3], rc, fast;

	if (n->op >= SHMX__OP_LT && n->op <= SHMX__OP_NE) {
		unsigned flags = 0;

		lt = (enum shmx_dtype)shmx__result_type(
			(struct shmx__expr_node *const *)n->arg, 2, &flags);
	}
	if (n->op == SHMX__OP_POW && (fast = pow_fast(n, t)) != -1) {
		a[0] = cast_to(p, lower(p, n->arg[0]), t);
		if (a[0] < 0 || fast == POW_IDENTITY)
			return a[0];
		return elem(p, n, I_UN, fast, t, a, 1);
	}
	rc = operands(p, n, lt, a);
	if (rc < 0)
		return rc;
	return elem(p, n, I_BIN, (int)bin_of[n->op], t, a, 2);
}

static int unary(struct shmx__prog *p, const struct shmx__expr_node *n)
{
	enum shmx_dtype t = (enum shmx_dtype)n->dtype;
	int a[1], rc = operands(p, n, t, a);

	if (rc < 0 || n->op == SHMX__OP_POS)
		return rc < 0 ? rc : a[0];
	return elem(p, n, I_UN,
		    n->op == SHMX__OP_NEG ? SHMX__EV_NEG : SHMX__EV_INV, t, a,
		    1);
}

static const int un_of[SHMX__F_COUNT] = {
	[SHMX__F_ABS] = SHMX__EV_ABS, [SHMX__F_SQRT] = SHMX__EV_SQRT,
	[SHMX__F_EXP] = SHMX__EV_EXP, [SHMX__F_EXPM1] = SHMX__EV_EXPM1,
	[SHMX__F_LOG] = SHMX__EV_LOG, [SHMX__F_LOG1P] = SHMX__EV_LOG1P,
	[SHMX__F_LOG2] = SHMX__EV_LOG2, [SHMX__F_LOG10] = SHMX__EV_LOG10,
	[SHMX__F_SIN] = SHMX__EV_SIN, [SHMX__F_COS] = SHMX__EV_COS,
	[SHMX__F_TAN] = SHMX__EV_TAN, [SHMX__F_ARCSIN] = SHMX__EV_ASIN,
	[SHMX__F_ARCCOS] = SHMX__EV_ACOS, [SHMX__F_ARCTAN] = SHMX__EV_ATAN,
	[SHMX__F_SINH] = SHMX__EV_SINH, [SHMX__F_COSH] = SHMX__EV_COSH,
	[SHMX__F_TANH] = SHMX__EV_TANH, [SHMX__F_FLOOR] = SHMX__EV_FLOOR,
	[SHMX__F_CEIL] = SHMX__EV_CEIL, [SHMX__F_RINT] = SHMX__EV_RINT,
	[SHMX__F_TRUNC] = SHMX__EV_TRUNC, [SHMX__F_SIGN] = SHMX__EV_SIGN,
	[SHMX__F_ISNAN] = SHMX__EV_ISNAN, [SHMX__F_ISINF] = SHMX__EV_ISINF,
	[SHMX__F_ISFINITE] = SHMX__EV_ISFINITE,
	[SHMX__F_ARCTAN2] = SHMX__EV_ATAN2, [SHMX__F_HYPOT] = SHMX__EV_HYPOT,
	[SHMX__F_MINIMUM] = SHMX__EV_MIN, [SHMX__F_MAXIMUM] = SHMX__EV_MAX,
};

/* A PASS wrapper of j, a rowwise per-row vector of node n. */
static int vector_pass(struct shmx__prog *p, const struct shmx__expr_node *n,
		       int j)
{
	struct ins in = { .kind = I_PASS, .t = p->ins[j].t, .na = 1,
			  .a = { j }, .vec = 1, .pass = n->pass,
			  .ready = n->pass, .count = p->e->rows, .w = 1,
			  .node = n };

	return j < 0 ? j : add_ins(p, &in);
}

static int reduction(struct shmx__prog *p, const struct shmx__expr_node *n)
{
	const struct shmx__expr_node *x = n->arg[0];
	struct ins in = { .kind = I_PASS, .t = (enum shmx_dtype)n->dtype,
			  .na = 1, .node = n, .w = 1, .count = elements(n) };
	enum shmx_dtype ct = shmx__ev_red_kind(n->op, (enum shmx_dtype)x->dtype,
					       &in.red.kind);
	int j = cast_to(p, lower(p, x), ct);

	if (j < 0)
		return j;
	in.a[0] = j;
	in.red.func = n->op;
	in.red.out = in.t;
	in.per_col = x->ndim == 2 && n->axis == SHMX_AXIS_0;
	if (p->ins[j].rowwise && x->ndim == 2 && n->axis == SHMX_AXIS_1) {
		in.kind = I_ROWRED;
		in.rowwise = 1;
		in.ready = -1;
		j = add_ins(p, &in);
		return n->place == SHMX__AT_PASS ? vector_pass(p, n, j) : j;
	}
	if (p->ins[j].rowwise) {
		in.pass = n->pass;
		in.ready = n->pass;
	} else {
		in.pass = -1; /* the parent reduces the constant */
		in.ready = p->ins[j].ready;
	}
	return add_ins(p, &in);
}

static int call(struct shmx__prog *p, const struct shmx__expr_node *n)
{
	enum shmx_dtype t = (enum shmx_dtype)n->dtype;
	enum func_class cls = shmx__funcs[n->op].cls;
	int a[3], rc;

	if (cls == FC_REDUCE)
		return reduction(p, n);
	if (cls == FC_CAST) {
		int from = lower(p, n->arg[0]), j = cast_to(p, from, t);

		if (j >= 0 && j != from)
			p->ins[j].explicit_cast = 1;
		return j;
	}
	if (cls == FC_PRED) {
		/* the loop is the operand's (eval_run.c dispatches I_UN on
		 * it), the result one byte a value */
		rc = operands(p, n, SHMX_DTYPE_COUNT, a);
		return rc < 0 ? rc : elem(p, n, I_UN, un_of[n->op],
					  SHMX_BOOL, a, 1);
	}
	if (cls == FC_WHERE) {
		a[0] = cast_to(p, lower(p, n->arg[0]), SHMX_BOOL);
		a[1] = a[0] < 0 ? a[0] : cast_to(p, lower(p, n->arg[1]), t);
		a[2] = a[1] < 0 ? a[1] : cast_to(p, lower(p, n->arg[2]), t);
		return a[2] < 0 ? a[2] : elem(p, n, I_WHERE, 0, t, a, 3);
	}
	rc = operands(p, n, t, a);
	if (rc < 0)
		return rc;
	if (n->op == SHMX__F_CLIP)
		return elem(p, n, I_CLIP, 0, t, a, 3);
	return elem(p, n, n->nargs == 2 ? I_BIN : I_UN, un_of[n->op], t, a,
		    n->nargs);
}

static int columns(struct shmx__prog *p, const struct shmx__expr_node *n)
{
	int j = lower(p, n->arg[0]);
	struct ins in = { .kind = I_COLS, .t = (enum shmx_dtype)n->dtype,
			  .na = 1, .a = { j }, .start = (uint64_t)n->start,
			  .w = (uint64_t)(n->stop - n->start),
			  .node = n, .ready = -1 };

	if (j < 0)
		return j;
	in.rowwise = p->ins[j].rowwise;
	in.count = in.w;
	in.ready = in.rowwise ? -1 : p->ins[j].ready;
	return add_ins(p, &in);
}

static int lower(struct shmx__prog *p, const struct shmx__expr_node *n)
{
	int j;

	switch (n->kind) {
	case SHMX__EXPR_NUM:
	case SHMX__EXPR_INPUT:
		return leaf(p, n);
	case SHMX__EXPR_UNARY:
		j = unary(p, n);
		break;
	case SHMX__EXPR_BINARY:
		j = binary(p, n);
		break;
	case SHMX__EXPR_COLUMNS:
		return columns(p, n);
	default:
		return call(p, n);
	}
	/* an element-wise per-row vector that numpy aligns with columns */
	if (j >= 0 && n->place == SHMX__AT_PASS && p->ins[j].rowwise)
		return vector_pass(p, n, j);
	return j;
}

/* ---- where's branches ------------------------------------------------------ */

static int expensive(int op)
{
	return op >= SHMX__EV_EXP && op <= SHMX__EV_TANH &&
	       op != SHMX__EV_SQRT;
}

/* numpy computes both branches of where() everywhere; so do we, except
 * that a transcendental function read by nothing but one branch is
 * computed only where that branch is taken (its other values are never
 * read, so nothing else changes). */
static int mask_branches(struct shmx__prog *p)
{
	unsigned *uses = shmx__calloc(p->n, sizeof(*uses));

	if (!uses)
		return -ENOMEM;
	for (unsigned i = 0; i < p->n; i++)
		for (unsigned k = 0; k < p->ins[i].na; k++)
			uses[p->ins[i].a[k]]++;
	for (unsigned i = 0; i < p->n; i++) {
		const struct ins *w = &p->ins[i];

		if (w->kind != I_WHERE || !w->rowwise || w->mode[0] != M_VEC)
			continue;
		for (unsigned k = 1; k < 3; k++) {
			struct ins *b = &p->ins[w->a[k]];

			if (w->mode[k] != M_VEC || b->kind != I_UN ||
			    !expensive(b->op) || uses[w->a[k]] != 1 ||
			    w->a[k] == p->root || !b->rowwise || b->w != w->w ||
			    b->mode[0] != M_VEC)
				continue;
			b->mask = w->a[0] + 1;
			b->sense = k == 1;
		}
	}
	shmx__free(uses);
	return 0;
}

/* ---- the programs -------------------------------------------------------- */

/* The rowwise instructions that seeds need, in dependency order. */
static int collect(struct shmx__prog *p, unsigned list_k, const char *seed)
{
	char *need = shmx__calloc(p->n ? p->n : 1, 1);
	unsigned cnt = 0;

	if (!need)
		return -ENOMEM;
	memcpy(need, seed, p->n);
	for (unsigned i = p->n; i-- > 0;) {
		if (!need[i] || !p->ins[i].rowwise)
			continue;
		cnt++;
		for (unsigned k = 0; k < p->ins[i].na; k++)
			need[p->ins[i].a[k]] = 1;
	}
	p->list[list_k] = shmx__calloc(cnt ? cnt : 1, sizeof(unsigned));
	if (!p->list[list_k]) {
		shmx__free(need);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < p->n; i++)
		if (need[i] && p->ins[i].rowwise)
			p->list[list_k][p->nlist[list_k]++] = i;
	shmx__free(need);
	return 0;
}

static int programs(struct shmx__prog *p)
{
	char *seed = shmx__calloc(p->n, 1);
	int rc = 0;

	p->list = shmx__calloc(p->npasses + 1, sizeof(*p->list));
	p->nlist = shmx__calloc(p->npasses + 1, sizeof(*p->nlist));
	p->flat = shmx__calloc(p->npasses + 1, sizeof(*p->flat));
	p->slot_bytes = shmx__calloc(p->npasses + 1, sizeof(size_t));
	if (!seed || !p->list || !p->nlist || !p->slot_bytes || !p->flat) {
		shmx__free(seed);
		return -ENOMEM;
	}
	for (unsigned k = 0; !rc && k < p->npasses; k++) {
		memset(seed, 0, p->n);
		for (unsigned i = 0; i < p->n; i++) {
			struct ins *in = &p->ins[i];
			const struct ins *a = &p->ins[in->a[0]];

			if (in->kind != I_PASS || in->pass != (int)k ||
			    !a->rowwise)
				continue;
			seed[in->a[0]] = 1;
			in->slot_off = p->slot_bytes[k];
			if (!in->vec)
				p->slot_bytes[k] += (in->per_col ? a->w : 1) *
						    sizeof(struct shmx__ev_acc);
		}
		rc = collect(p, k, seed);
	}
	memset(seed, 0, p->n);
	seed[p->root] = 1;
	if (!rc)
		rc = collect(p, p->npasses, seed);
	shmx__free(seed);
	return rc;
}

static int flat_ins(const struct shmx__prog *p, const struct ins *x,
		    uint64_t w)
{
	if (x->w != w || (x->kind != I_INPUT && x->kind != I_CAST &&
			  x->kind != I_BIN && x->kind != I_UN &&
			  x->kind != I_WHERE && x->kind != I_CLIP))
		return 0;
	for (unsigned k = 0; k < x->na; k++)
		if (x->mode[k] != M_VEC && x->mode[k] != M_SCALAR)
			return 0;
	(void)p;
	return 1;
}

/* Whether list k is element-wise over values of one width (and, for a
 * pass, reduces them whole): its blocks may then cut rows. */
static uint64_t flat_width(const struct shmx__prog *p, unsigned k)
{
	uint64_t w;

	if (!p->nlist[k])
		return 0;
	w = p->ins[p->list[k][0]].w;
	for (unsigned j = 0; j < p->nlist[k]; j++)
		if (!flat_ins(p, &p->ins[p->list[k][j]], w))
			return 0;
	for (unsigned i = 0; k < p->npasses && i < p->n; i++) {
		const struct ins *x = &p->ins[i];

		if (x->kind == I_PASS && x->pass == (int)k &&
		    p->ins[x->a[0]].rowwise && (x->per_col || (x->vec && w != 1)))
			return 0;
	}
	return w ? w : 0;
}

/* Block rows from the widest rowwise value of the lists that go by rows;
 * a register per rowwise instruction (inputs are read where they are):
 * a block of rows, or of SHMX__EVAL_BLOCK elements, whichever is larger
 * for the lists it is in. */
static int layout(struct shmx__prog *p)
{
	char *by_rows = shmx__calloc(p->n, 1);
	size_t off = 0;

	if (!by_rows)
		return -ENOMEM;
	p->widest = 1;
	for (unsigned k = 0; k <= p->npasses; k++) {
		p->flat[k] = flat_width(p, k);
		for (unsigned j = 0; !p->flat[k] && j < p->nlist[k]; j++) {
			unsigned i = p->list[k][j];

			by_rows[i] = 1;
			if (p->ins[i].w > p->widest)
				p->widest = p->ins[i].w;
		}
	}
	p->nb = SHMX__EVAL_BLOCK / p->widest ? SHMX__EVAL_BLOCK / p->widest : 1;
	for (unsigned i = 0; i < p->n; i++) {
		struct ins *in = &p->ins[i];
		uint64_t vals = by_rows[i] ? p->nb * in->w : 0;

		if (!in->rowwise || in->kind == I_INPUT)
			continue;
		in->reg = off;
		vals = vals > SHMX__EVAL_BLOCK ? vals : SHMX__EVAL_BLOCK;
		off += SHMX__ALIGN_UP(vals * shmx__ins_size(in), 64);
		if (in->mask && vals * 8 > p->packed_half)
			p->packed_half = vals * 8;
	}
	shmx__free(by_rows);
	p->packed = shmx__calloc(1, 2 * p->packed_half + 64);
	if (!p->packed)
		return -ENOMEM;
	p->scratch_bytes = off;
	p->scratch = shmx__aligned_alloc(64, off ? off : 64);
	p->colbuf = shmx__calloc(4 * p->widest, sizeof(double));
	p->vals = shmx__calloc(p->n, sizeof(*p->vals));
	return p->scratch && p->colbuf && p->vals ? 0 : -ENOMEM;
}

int shmx__prog_build(const struct shmx__expr *e, const void *const *data,
		     struct shmx__prog **out, struct shmx_error *err)
{
	struct shmx__prog *p = shmx__calloc(1, sizeof(*p));
	int rc;

	*out = NULL;
	if (!p)
		return shmx__fail(err, -ENOMEM, "expression: out of memory");
	p->e = e;
	p->npasses = e->npasses;
	p->root = lower(p, e->root);
	rc = p->root < 0 ? p->root : programs(p);
	if (!rc)
		rc = mask_branches(p);
	for (unsigned i = 0; !rc && i < p->n; i++)
		if (p->ins[i].kind == I_INPUT && !p->ins[i].rowwise)
			p->ins[i].cdata = (void *)data[p->ins[i].input];
	if (!rc)
		rc = layout(p);
	if (rc) {
		shmx__prog_free(p);
		return shmx__fail(err, rc, "expression: out of memory");
	}
	rc = shmx__prog_consts(p, -1, err);
	if (rc) {
		shmx__prog_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void shmx__prog_free(struct shmx__prog *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < p->n; i++) {
		if (p->ins[i].owned)
			shmx__free(p->ins[i].cdata);
		shmx__free(p->ins[i].tile);
	}
	for (unsigned k = 0; p->list && k <= p->npasses; k++)
		shmx__free(p->list[k]);
	shmx__free(p->list);
	shmx__free(p->nlist);
	shmx__free(p->flat);
	shmx__free(p->slot_bytes);
	shmx__free(p->scratch);
	shmx__free(p->colbuf);
	shmx__free(p->packed);
	shmx__free(p->vals);
	shmx__free(p->ins);
	shmx__free(p);
}

size_t shmx__prog_pass_slot(const struct shmx__prog *p, unsigned k)
{
	return p->slot_bytes[k];
}

static int is_vec_of(const struct ins *in, unsigned k)
{
	return in->kind == I_PASS && in->vec && in->pass == (int)k;
}

uint64_t shmx__prog_pass_vec_bytes(const struct shmx__prog *p, unsigned k)
{
	uint64_t bytes = 0;

	for (unsigned i = 0; i < p->n; i++)
		if (is_vec_of(&p->ins[i], k))
			bytes += SHMX__ALIGN_UP(p->ins[i].count *
						shmx__ins_size(&p->ins[i]), 64);
	return bytes;
}

void shmx__prog_pass_vectors(struct shmx__prog *p, unsigned k, void *buf)
{
	char *at = buf;

	for (unsigned i = 0; i < p->n; i++) {
		struct ins *in = &p->ins[i];

		if (!is_vec_of(in, k))
			continue;
		in->cdata = at;
		at += SHMX__ALIGN_UP(in->count * shmx__ins_size(in), 64);
	}
}

int shmx__prog_rowwise(const struct shmx__prog *p)
{
	return p->ins[p->root].rowwise;
}

uint64_t shmx__prog_out_cols(const struct shmx__prog *p)
{
	return p->ins[p->root].w;
}

const void *shmx__prog_const_result(const struct shmx__prog *p)
{
	return p->ins[p->root].cdata;
}

void *shmx__prog_pass_vector(const struct shmx__prog *p, unsigned k,
			     unsigned v, size_t *size)
{
	for (unsigned i = 0; i < p->n; i++)
		if (is_vec_of(&p->ins[i], k) && v-- == 0) {
			*size = shmx__ins_size(&p->ins[i]);
			return p->ins[i].cdata;
		}
	return NULL;
}
