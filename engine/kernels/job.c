/* engine/kernels/job.c - the built-ins' side of the kernel ABI: the
 * call's input into a job in c->state, the job's output back into the
 * call (see job.h).  Pure: no system calls.
 */
#include <string.h>

#include "base/internal.h"
#include "kernels/job.h"

int shmx__kstate_init(struct shmx_kernel_call *c, const char *name,
		   struct shmx_error *err)
{
	struct shmx__kstate *job = shmx__kstate_of(c);
	const struct shmx_kernel_input *in = &c->in[0];
	uint64_t n;

	memset(job, 0, sizeof(*job));
	job->name = name;
	if ((unsigned)in->dtype >= SHMX_DTYPE_COUNT)
		return shmx__fail(err, SHMX_EDTYPE, "unsupported dtype %d",
				  (int)in->dtype);
	if (in->dtype == SHMX_BOOL) /* numpy's bool has its own rules */
		return shmx__fail(err, SHMX_EDTYPE,
				  "operation '%s' does not take bool input "
				  "(shmx eval computes on booleans)", name);
	if (in->shape.ndim < 0 || in->shape.ndim > SHMX_MAX_NDIM)
		return shmx__fail(err, SHMX_ESHAPE,
				  "%d-D arrays are not supported (0, 1 or 2)",
				  in->shape.ndim);
	job->in_dtype = in->dtype;
	job->in_shape = in->shape;
	job->rows = shmx_shape_rows(&in->shape);
	job->cols = shmx_shape_cols(&in->shape);
	if (shmx__mul_u64(job->rows, job->cols, &n) < 0 || n > INT64_MAX)
		return shmx__fail(err, SHMX_ESHAPE,
				  "shape has too many elements");
	return 0;
}

void shmx__kstate_export(struct shmx_kernel_call *c, enum shmx_kernel_kind kind)
{
	const struct shmx__kstate *job = shmx__kstate_of_c(c);

	c->kind = kind;
	c->out_dtype = job->out_dtype;
	c->out_shape = job->out_shape;
	c->out_cols = kind == SHMX_KERNEL_MAP ? job->cols
		      : kind == SHMX_KERNEL_ROWS ? 1 : 0;
	c->partial_bytes = kind == SHMX_KERNEL_REDUCE ? job->partial_bytes : 0;
}
