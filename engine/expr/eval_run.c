/* engine/expr/eval_run.c - running the evaluator's program (eval_prog.h):
 * a chunk block by block through the registers (workers), the constants
 * and the passes' merges (the parent). */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "base/internal.h"
#include "expr/eval_prog.h"

/* ---- one instruction over n values --------------------------------------- */

/* Operand k of instruction in, for a block whose first row is b0 (of the
 * pass), and whether it is a scalar. */
static const void *opnd(const struct shmx__prog *p, const struct ins *in,
			unsigned k, const void *const *val, uint64_t b0,
			unsigned *mode)
{
	const struct ins *a = &p->ins[in->a[k]];

	switch (in->mode[k]) {
	case M_SCALAR:
		*mode |= 1u << k;
		return a->cdata;
	case M_TILE:
		return a->tile;
	case M_ROWIDX:
		return (const char *)a->cdata + b0 * shmx__ins_size(a);
	default:
		return val ? val[in->a[k]] : a->cdata;
	}
}

/* A masked I_UN (eval_prog.h): the taken elements packed, computed, and
 * put back, without a branch per element (the signs of data are not
 * predictable); the others get any value, never read.  Only floats are
 * masked (expensive functions); the packed buffers have room for one
 * value more than a block and are zeroed once, so every read is of a
 * defined value. */
#define PACKED(T)                                                          \
	do {                                                               \
		const T *src = a;                                          \
		T *dst = o, *px = (T *)(void *)x, *py = (T *)(void *)y;    \
		for (size_t i = 0; i < n; i++) {                           \
			px[k] = src[i];                                    \
			k += (c[i] != 0) == in->sense;                     \
		}                                                          \
		fn(py, px, k);                                             \
		k = 0;                                                     \
		for (size_t i = 0; i < n; i++) {                           \
			dst[i] = py[k];                                    \
			k += (c[i] != 0) == in->sense;                     \
		}                                                          \
	} while (0)

static void masked_un(const struct shmx__prog *p, const struct ins *in,
		      void *o, const void *a, const uint8_t *c, size_t n)
{
	char *x = p->packed, *y = p->packed + p->packed_half;
	shmx__ev_un_fn *fn = shmx__ev_un((enum shmx__ev_un_op)in->op, in->t);
	size_t k = 0;

	if (in->t == SHMX_F32)
		PACKED(float);
	else
		PACKED(double);
}

static int apply(const struct shmx__prog *p, const struct ins *in, void *o,
		 const void *const *val, uint64_t b0, size_t n,
		 struct shmx_error *err)
{
	unsigned mode = 0;
	const void *x[3] = { NULL, NULL, NULL };
	enum shmx_dtype at = p->ins[in->a[0]].t;

	for (unsigned k = 0; k < in->na; k++)
		x[k] = opnd(p, in, k, val, b0, &mode);
	switch (in->kind) {
	case I_CAST:
		shmx__ev_cast(at, in->t)(o, x[0], n);
		return 0;
	case I_UN:
		if (in->mask && val)
			masked_un(p, in, o, x[0], val[in->mask - 1], n);
		else
			shmx__ev_un((enum shmx__ev_un_op)in->op, at)(o, x[0], n);
		return 0;
	case I_BIN:
		return shmx__ev_bin((enum shmx__ev_bin_op)in->op, at)(
			o, x[0], x[1], n, mode, err);
	case I_WHERE:
		shmx__ev_where(in->t)(o, x[0], x[1], x[2], n, mode);
		return 0;
	case I_CLIP:
		shmx__ev_clip(in->t)(o, x[0], x[1], x[2], n, mode);
		return 0;
	default:
		return 0;
	}
}

/* rows x w values of src (w_src a row) from column start into dst */
static void gather(void *dst, const void *src, uint64_t rows, uint64_t w,
		   uint64_t w_src, uint64_t start, size_t size)
{
	for (uint64_t r = 0; r < rows; r++)
		memcpy((char *)dst + r * w * size,
		       (const char *)src + (r * w_src + start) * size,
		       w * size);
}

static void expand(void *dst, const void *src, uint64_t rows, uint64_t w,
		   size_t size)
{
	for (uint64_t r = 0; r < rows; r++)
		for (uint64_t c = 0; c < w; c++)
			memcpy((char *)dst + (r * w + c) * size,
			       (const char *)src + r * size, size);
}

/* ---- a block ---------------------------------------------------------------- */

int shmx__prog_block(const struct shmx__prog *p, unsigned lk,
		     const void *const *in, uint64_t row0, uint64_t b0,
		     uint64_t m, void *root_out, struct shmx_error *err)
{
	const void **val = p->vals; /* the worker's own (scratch) */
	const unsigned *list = p->list[lk];
	unsigned n = p->nlist[lk];
	uint64_t fw = p->flat[lk];
	int rc = 0;

	for (unsigned k = 0; !rc && k < n; k++) {
		unsigned i = list[k];
		const struct ins *x = &p->ins[i];
		size_t size = shmx__ins_size(x);
		void *o = (int)i == p->root && root_out
				  ? root_out
				  : p->scratch + x->reg;
		const struct ins *a = &p->ins[x->a[0]];

		switch (x->kind) {
		case I_INPUT:
			o = (void *)((const char *)in[x->input] +
				     (fw ? b0 - row0 * fw
					 : (b0 - row0) * x->in_cols) * size);
			break;
		case I_COLS:
			gather(o, val[x->a[0]], m, x->w, a->w, x->start, size);
			break;
		case I_EXPAND:
			expand(o, val[x->a[0]], m, x->w, size);
			break;
		case I_ROWRED:
			shmx__ev_red_rows(&x->red, val[x->a[0]], m, a->w, o);
			break;
		default:
			rc = apply(p, x, o, val, b0, fw ? m : m * x->w, err);
			break;
		}
		val[i] = o;
	}
	if (!rc && root_out && val[p->root] != root_out)
		memcpy(root_out, val[p->root],
		       (fw ? m : m * p->ins[p->root].w) *
			       shmx__ins_size(&p->ins[p->root]));
	return rc;
}

/* The pass's reductions of a block: each into its state in the slot, or
 * a vector's rows into its buffer.  A flat block's b0 and m count
 * elements (then a vector has one a row). */
static void accumulate(const struct shmx__prog *p, unsigned k, char *slot,
		       uint64_t b0, uint64_t m)
{
	uint64_t fw = p->flat[k];

	for (unsigned i = 0; i < p->n; i++) {
		const struct ins *x = &p->ins[i];
		const struct ins *a = &p->ins[x->a[0]];
		const void *v = p->vals[x->a[0]];
		struct shmx__ev_acc *acc = (void *)(slot + x->slot_off);

		if (x->kind != I_PASS || x->pass != (int)k || !a->rowwise)
			continue;
		if (x->vec)
			memcpy((char *)x->cdata + b0 * shmx__ins_size(x), v,
			       m * shmx__ins_size(x));
		else if (x->per_col)
			shmx__ev_red_cols(&x->red, acc, v, m, a->w,
					  (int64_t)b0, p->colbuf);
		else
			shmx__ev_red_all(&x->red, acc, v, fw ? m : m * a->w,
					 (int64_t)(fw ? b0 : b0 * a->w));
	}
}

int shmx__prog_pass_chunk(const struct shmx__prog *p, unsigned k,
			  const void *const *in, uint64_t row0, uint64_t nrows,
			  void *slot, struct shmx_error *err)
{
	int rc = 0;

	uint64_t fw = p->flat[k], step = fw ? SHMX__EVAL_BLOCK : p->nb;
	uint64_t b = fw ? row0 * fw : row0, end = fw ? (row0 + nrows) * fw
						    : row0 + nrows;

	memset(slot, 0, p->slot_bytes[k]);
	for (uint64_t b0 = b; !rc && b0 < end; b0 += step) {
		uint64_t m = end - b0 < step ? end - b0 : step;

		rc = shmx__prog_block(p, k, in, row0, b0, m, NULL, err);
		if (!rc)
			accumulate(p, k, slot, b0, m);
	}
	return rc;
}

int shmx__prog_main_chunk(const struct shmx__prog *p, const void *const *in,
			  uint64_t row0, uint64_t nrows, void *out,
			  struct shmx_error *err)
{
	const struct ins *r = &p->ins[p->root];
	unsigned k = p->npasses;
	uint64_t fw = p->flat[k], step = fw ? SHMX__EVAL_BLOCK : p->nb;
	uint64_t b = fw ? row0 * fw : row0, end = fw ? (row0 + nrows) * fw
						    : row0 + nrows;
	size_t unit = (fw ? 1 : r->w) * shmx__ins_size(r);
	int rc = 0;

	for (uint64_t b0 = b; !rc && b0 < end; b0 += step) {
		uint64_t m = end - b0 < step ? end - b0 : step;

		rc = shmx__prog_block(p, k, in, row0, b0, m,
				      (char *)out + (b0 - b) * unit, err);
	}
	return rc;
}

/* ---- the parent: constants and merges --------------------------------------- */

static void put_num(const struct shmx__expr_node *n, enum shmx_dtype t,
		    void *o)
{
	uint64_t u = (uint64_t)n->i;

	switch (t) {
	case SHMX_F32: *(float *)o = (float)n->f; break;
	case SHMX_F64: *(double *)o = n->f; break;
	case SHMX_BOOL: *(uint8_t *)o = n->i != 0; break;
	default:
		switch (shmx_dtype_size(t)) {
		case 1: *(uint8_t *)o = (uint8_t)u; break;
		case 2: *(uint16_t *)o = (uint16_t)u; break;
		case 4: *(uint32_t *)o = (uint32_t)u; break;
		default: *(uint64_t *)o = u; break;
		}
	}
}

/* a reduction of a constant */
static void reduce_const(const struct ins *x, const struct ins *a)
{
	size_t as = shmx__ins_size(a), os = shmx__ins_size(x);
	uint64_t outs = x->per_col ? a->count : 1;

	for (uint64_t c = 0; c < outs; c++) {
		struct shmx__ev_acc acc;

		memset(&acc, 0, sizeof(acc));
		shmx__ev_red_all(&x->red, &acc,
				 (const char *)a->cdata + c * as,
				 x->per_col ? 1 : a->count, 0);
		shmx__ev_red_finish(&x->red, &acc, (char *)x->cdata + c * os);
	}
}

static int tile(const struct shmx__prog *p, struct ins *x)
{
	size_t row = x->count * shmx__ins_size(x);

	x->tile = shmx__malloc(p->nb * row + 1);
	if (!x->tile)
		return -ENOMEM;
	for (uint64_t r = 0; r < p->nb; r++)
		memcpy((char *)x->tile + r * row, x->cdata, row);
	return 0;
}

static int owned(struct ins *x)
{
	x->cdata = shmx__calloc(x->count ? x->count : 1, shmx__ins_size(x));
	x->owned = 1;
	return x->cdata ? 0 : -ENOMEM;
}

static int category(enum shmx_dtype t)
{
	return t == SHMX_BOOL ? 0 : shmx_dtype_is_float(t) ? 2 : 1;
}

/* Whether the one value v of dtype `from` is exactly a value of `to`. */
static int fits(const void *v, enum shmx_dtype from, enum shmx_dtype to)
{
	unsigned char back[8] = { 0 };
	unsigned char there[8] = { 0 };
	double d;

	if (shmx_dtype_is_float(from)) {
		d = from == SHMX_F32 ? *(const float *)v : *(const double *)v;
		return !isfinite(d) || fabs(d) <= FLT_MAX || to == SHMX_F64;
	}
	shmx__ev_cast(from, to)(there, v, 1);
	shmx__ev_cast(to, from)(back, there, 1);
	return memcmp(back, v, shmx_dtype_size(from)) == 0;
}

/* The dtype a 0-d value computed at run time was given assumed, as
 * numpy 1.24's value-based casting would, that the value fits the other
 * operands' dtype: a cast of it into a dtype of its kind must keep it. */
static int check_value(const struct shmx__prog *p, const struct ins *x,
		       struct shmx_error *err)
{
	const struct ins *a = &p->ins[x->a[0]];

	if (x->explicit_cast || a->count != 1 || a->kind == I_NUM ||
	    category(a->t) != category(x->t) || fits(a->cdata, a->t, x->t))
		return 0;
	return shmx__fail(err, SHMX_EEXPR,
			  "expression: col %u: this %s value does not fit %s, "
			  "which numpy 1.24's value-based casting assumed "
			  "for the result's dtype: cast it (%s(...))",
			  a->node->col, shmx_dtype_name(a->t),
			  shmx_dtype_name(x->t),
			  shmx_dtype_is_float(a->t) ? "float32" : "int64");
}

static int constant(struct shmx__prog *p, struct ins *x,
		    struct shmx_error *err)
{
	const struct ins *a = &p->ins[x->a[0]];
	int rc = 0;

	switch (x->kind) {
	case I_INPUT:
		return 0;
	case I_NUM:
		rc = owned(x);
		if (!rc)
			put_num(x->node, x->t, x->cdata);
		return rc;
	case I_COLS: /* a row vector's columns are its values */
		x->cdata = (char *)a->cdata + x->start * shmx__ins_size(x);
		return 0;
	case I_PASS:
		rc = owned(x);
		if (!rc)
			reduce_const(x, a);
		return rc;
	default:
		if (x->kind == I_CAST && (rc = check_value(p, x, err)) != 0)
			return rc;
		rc = owned(x);
		return rc ? rc : apply(p, x, x->cdata, NULL, 0, x->count, err);
	}
}

int shmx__prog_consts(struct shmx__prog *p, int upto, struct shmx_error *err)
{
	int rc = 0;

	for (unsigned i = 0; !rc && i < p->n; i++) {
		struct ins *x = &p->ins[i];

		if (x->rowwise || x->done || x->ready > upto ||
		    (x->kind == I_PASS && x->pass >= 0))
			continue;
		rc = constant(p, x, err);
		if (!rc && x->tiled)
			rc = tile(p, x);
		x->done = !rc;
	}
	if (rc == -ENOMEM)
		return shmx__fail(err, rc, "expression: out of memory");
	return rc;
}

int shmx__prog_pass_merge(struct shmx__prog *p, unsigned k, const char *slots,
			  size_t stride, uint64_t nchunks,
			  struct shmx_error *err)
{
	int rc = 0;

	for (unsigned i = 0; !rc && i < p->n; i++) {
		struct ins *x = &p->ins[i];
		const struct ins *a = &p->ins[x->a[0]];
		uint64_t outs = x->per_col ? a->w : 1;

		if (x->kind != I_PASS || x->pass != (int)k)
			continue;
		if (!x->vec && a->rowwise && (rc = owned(x)) == 0)
			for (uint64_t c = 0; c < outs; c++) {
				struct shmx__ev_acc acc;

				memset(&acc, 0, sizeof(acc));
				for (uint64_t j = 0; j < nchunks; j++)
					shmx__ev_red_merge(
						&x->red, &acc,
						(const struct shmx__ev_acc *)(
							slots + j * stride +
							x->slot_off) + c);
				shmx__ev_red_finish(
					&x->red, &acc,
					(char *)x->cdata + c * shmx__ins_size(x));
			}
		if (!rc && x->tiled)
			rc = tile(p, x);
		x->done = !rc;
	}
	return rc ? shmx__fail(err, rc, "expression: out of memory") : 0;
}

int shmx__prog_pass_done(struct shmx__prog *p, unsigned k,
			 struct shmx_error *err)
{
	return shmx__prog_consts(p, (int)k, err);
}

/* ---- a merge done by another process (exec/part.c) --------------------- */

/* x is one of pass k's values that the merge folds from the slots (not a
 * per-row vector, whose rows the workers write whole) */
static int merged_value(const struct shmx__prog *p, const struct ins *x,
			unsigned k)
{
	return x->kind == I_PASS && x->pass == (int)k && !x->vec &&
	       p->ins[x->a[0]].rowwise;
}

static uint64_t value_bytes(const struct shmx__prog *p, const struct ins *x)
{
	return (x->per_col ? p->ins[x->a[0]].w : 1) * shmx__ins_size(x);
}

uint64_t shmx__prog_pass_value_bytes(const struct shmx__prog *p, unsigned k)
{
	uint64_t bytes = 0;

	for (unsigned i = 0; i < p->n; i++)
		if (merged_value(p, &p->ins[i], k))
			bytes += value_bytes(p, &p->ins[i]);
	return bytes;
}

void shmx__prog_pass_export(const struct shmx__prog *p, unsigned k, void *buf)
{
	char *at = buf;

	for (unsigned i = 0; i < p->n; i++)
		if (merged_value(p, &p->ins[i], k)) {
			memcpy(at, p->ins[i].cdata, value_bytes(p, &p->ins[i]));
			at += value_bytes(p, &p->ins[i]);
		}
}

/* What shmx__prog_pass_merge leaves, from another process's merge. */
int shmx__prog_pass_import(struct shmx__prog *p, unsigned k, const void *buf,
			   struct shmx_error *err)
{
	const char *at = buf;
	int rc = 0;

	for (unsigned i = 0; !rc && i < p->n; i++) {
		struct ins *x = &p->ins[i];

		if (x->kind != I_PASS || x->pass != (int)k)
			continue;
		if (merged_value(p, x, k) && (rc = owned(x)) == 0) {
			memcpy(x->cdata, at, value_bytes(p, x));
			at += value_bytes(p, x);
		}
		if (!rc && x->tiled)
			rc = tile(p, x);
		x->done = !rc;
	}
	return rc ? shmx__fail(err, rc, "expression: out of memory") : 0;
}
