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
static int reduces_nothing(const struct shmx__job *job)
{
	switch (job->axis) {
	case SHMX__AXIS_COLS:
		return job->rows == 0 && job->cols > 0;
	case SHMX__AXIS_ROWS:
		return job->cols == 0 && job->rows > 0;
	default:
		return job->rows == 0 || job->cols == 0;
	}
}

/* 64-byte header + col_bytes per column, rounded up to a cache line. */
static int cols_slot_bytes(struct shmx__job *job, size_t col_bytes,
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

int shmx__red_prepare(const struct shmx__red_op *op, struct shmx__job *job,
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
	case SHMX__AXIS_COLS:
		job->out_shape = (struct shmx_shape){ 1, { job->cols, 0 } };
		return cols_slot_bytes(job, op->impl[job->in_dtype]->col_bytes,
				       err);
	case SHMX__AXIS_ROWS:
		job->out_shape = (struct shmx_shape){ 1, { job->rows, 0 } };
		return 0;
	default:
		job->partial_bytes = SHMX__CACHELINE; /* every state fits */
		return 0;
	}
}

void shmx__red_chunk_all(const struct shmx__red_op *op,
			 const struct shmx__job *job, const void *in,
			 uint64_t row0, uint64_t nrows, void *partial)
{
	uint64_t n = nrows * job->cols;

	if (n == 0)
		return; /* a zeroed slot is every family's empty state */
	op->impl[job->in_dtype]->all(op, in, n, row0 * job->cols, partial);
}

void shmx__red_chunk_cols(const struct shmx__red_op *op,
			  const struct shmx__job *job, const void *in,
			  uint64_t row0, uint64_t nrows, void *partial)
{
	if (nrows == 0)
		return; /* the header stays 0: merges skip this slot */
	op->impl[job->in_dtype]->cols(op, in, nrows, job->cols, row0,
				      partial);
	*shmx__slot_nrows(partial) = nrows;
}

void shmx__red_chunk_rows(const struct shmx__red_op *op,
			  const struct shmx__job *job, const void *in,
			  uint64_t row0, uint64_t nrows, void *out)
{
	char *o = (char *)out + row0 * shmx_dtype_size(job->out_dtype);

	op->impl[job->in_dtype]->rows(op, in, nrows, job->cols, o);
}

void shmx__red_merge_all(const struct shmx__red_op *op,
			 const struct shmx__job *job, const void *partials,
			 uint64_t nchunks, void *out)
{
	op->impl[job->in_dtype]->merge_all(op, partials, job->partial_bytes,
					   nchunks, out);
}

void shmx__red_merge_cols(const struct shmx__red_op *op,
			  const struct shmx__job *job, const void *partials,
			  uint64_t nchunks, void *out)
{
	op->impl[job->in_dtype]->merge_cols(op, partials, job->partial_bytes,
					    nchunks, job->cols, out);
}
