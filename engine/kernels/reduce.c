/* engine/kernels/reduce.c - the reduction driver: result dtype and shape,
 * the zero-size rule, slot sizes, and the step from the engine's chunk of
 * rows to one dtype's loops (see reduce.h for the slot layout).  No
 * arithmetic lives here. */
#include <errno.h>

#include "base/internal.h"
#include "kernels/reduce.h"

static enum shmx_dtype result_dtype(enum shmx__red_result r,
				    enum shmx_dtype in)
{
	int is_float = shmx_dtype_is_float(in);

	switch (r) {
	case SHMX__RES_SUM:
		if (is_float)
			return in;
		return shmx_dtype_is_signed(in) ? SHMX_I64 : SHMX_U64;
	case SHMX__RES_FLOAT:
		return is_float ? in : SHMX_F64;
	case SHMX__RES_INDEX:
		return SHMX_I64;
	case SHMX__RES_SAME:
		break;
	}
	return in;
}

/* numpy: an op without identity (min, argmax, ...) needs at least one
 * element along the reduced extent, unless the result itself is empty:
 * zeros((0,3)).min(axis=1) is [], zeros((0,3)).min(axis=0) an error. */
static int reduces_nothing(const struct shmx__kstate *job)
{
	switch (job->axis) {
	case SHMX_AXIS_0:
		return job->rows == 0 && job->cols > 0;
	case SHMX_AXIS_1:
		return job->cols == 0 && job->rows > 0;
	default:
		return job->rows == 0 || job->cols == 0;
	}
}

/* 64-byte header + col_bytes per column, rounded up to a cache line. */
static int cols_slot_bytes(struct shmx__kstate *job, size_t col_bytes,
			   struct shmx_error *err)
{
	uint64_t n;

	if (shmx__mul_u64(job->cols, col_bytes, &n) < 0 ||
	    shmx__add_u64(n, SHMX__SLOT_HDR + SHMX__CACHELINE - 1, &n) < 0)
		return shmx__fail(err, SHMX_ESHAPE,
				  "%llu columns are too many for --axis 0",
				  (unsigned long long)job->cols);
	job->partial_bytes = n & ~(uint64_t)(SHMX__CACHELINE - 1);
	return 0;
}

int shmx__red_prepare(const struct shmx__red_op *op, struct shmx__kstate *job,
		      struct shmx_error *err)
{
	if (op->no_identity && reduces_nothing(job))
		return shmx__fail(err, SHMX_EEMPTY,
				  "zero-size array to reduction operation %s "
				  "which has no identity",
				  op->name);
	job->out_dtype = result_dtype(op->result, job->in_dtype);
	job->out_shape = (struct shmx_shape){ 0, { 0, 0 } };
	job->partial_bytes = 0;
	switch (job->axis) {
	case SHMX_AXIS_0:
		job->out_shape = (struct shmx_shape){ 1, { job->cols, 0 } };
		return cols_slot_bytes(job, op->impl[job->in_dtype]->col_bytes,
				       err);
	case SHMX_AXIS_1:
		job->out_shape = (struct shmx_shape){ 1, { job->rows, 0 } };
		return 0;
	default:
		job->partial_bytes = SHMX__CACHELINE; /* every state fits */
		return 0;
	}
}

void shmx__red_chunk_all(const struct shmx__red_op *op,
			 const struct shmx__kstate *job, const void *in,
			 uint64_t row0, uint64_t nrows, void *partial)
{
	uint64_t n = nrows * job->cols;

	if (n == 0)
		return; /* a zeroed slot is every family's empty state */
	op->impl[job->in_dtype]->all(op, in, n, row0 * job->cols, partial);
}

void shmx__red_chunk_cols(const struct shmx__red_op *op,
			  const struct shmx__kstate *job, const void *in,
			  uint64_t row0, uint64_t nrows, void *partial)
{
	if (nrows == 0)
		return; /* the header stays 0: merges skip this slot */
	op->impl[job->in_dtype]->cols(op, in, nrows, job->cols, row0,
				      partial);
	*shmx__slot_nrows(partial) = nrows;
}

void shmx__red_chunk_rows(const struct shmx__red_op *op,
			  const struct shmx__kstate *job, const void *in,
			  uint64_t nrows, void *out)
{
	op->impl[job->in_dtype]->rows(op, in, nrows, job->cols, out);
}

void shmx__red_merge_all(const struct shmx__red_op *op,
			 const struct shmx__kstate *job, const void *partials,
			 uint64_t nchunks, void *out)
{
	op->impl[job->in_dtype]->merge_all(op, partials, job->partial_bytes,
					   nchunks, out);
}

void shmx__red_merge_cols(const struct shmx__red_op *op,
			  const struct shmx__kstate *job, const void *partials,
			  uint64_t nchunks, void *out)
{
	op->impl[job->in_dtype]->merge_cols(op, partials, job->partial_bytes,
					    nchunks, job->cols, out);
}

/* ---- the kernel ABI ---------------------------------------------------- */

/* numpy's rules (reduce.h) for the axis asked. */
static int set_axis(struct shmx__kstate *job, enum shmx_axis axis,
		    struct shmx_error *err)
{
	int ndim = job->in_shape.ndim;
	int numpy = axis == SHMX_AXIS_0 ? 0 : 1;

	job->axis = SHMX_AXIS_NONE;
	if (axis != SHMX_AXIS_NONE && numpy >= ndim)
		return shmx__fail(err, SHMX_EOP,
				  "axis %d is out of bounds for a %d-D array",
				  numpy, ndim);
	if (ndim == 2)
		job->axis = axis;
	return 0;
}

int shmx__red_kprepare(const struct shmx__red_op *op,
		       struct shmx_kernel_call *c, struct shmx_error *err)
{
	struct shmx__kstate *job = shmx__kstate_of(c);
	int rc = shmx__kstate_init(c, op->name, err);

	if (!rc)
		rc = set_axis(job, c->axis, err);
	if (!rc)
		rc = shmx__red_prepare(op, job, err);
	if (rc)
		return rc;
	job->red = op;
	shmx__kstate_export(c, job->axis == SHMX_AXIS_1 ? SHMX_KERNEL_ROWS
						     : SHMX_KERNEL_REDUCE);
	return 0;
}

int shmx__red_kchunk(const struct shmx_kernel_call *c,
		     const struct shmx_chunk *k, struct shmx_error *err)
{
	const struct shmx__kstate *job = shmx__kstate_of_c(c);

	(void)err;
	switch (job->axis) {
	case SHMX_AXIS_0:
		shmx__red_chunk_cols(job->red, job, k->in[0], k->row0,
				     k->nrows, k->partial);
		break;
	case SHMX_AXIS_1:
		shmx__red_chunk_rows(job->red, job, k->in[0], k->nrows, k->out);
		break;
	default:
		shmx__red_chunk_all(job->red, job, k->in[0], k->row0, k->nrows,
				    k->partial);
		break;
	}
	return 0;
}

int shmx__red_kmerge(const struct shmx_kernel_call *c, const void *partials,
		     uint64_t nchunks, void *out, struct shmx_error *err)
{
	const struct shmx__kstate *job = shmx__kstate_of_c(c);

	(void)err;
	if (job->axis == SHMX_AXIS_0)
		shmx__red_merge_cols(job->red, job, partials, nchunks, out);
	else
		shmx__red_merge_all(job->red, job, partials, nchunks, out);
	return 0;
}
