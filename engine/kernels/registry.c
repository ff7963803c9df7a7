/* engine/kernels/registry.c - the table of operations: finding one by
 * name, the names for --help, and shmx__job_prepare(), which turns
 * "OP[:ARGS]" + axis + the input's dtype and shape into a job: the kernel
 * for that axis, its arguments, and (from the kernel's prepare) the output.
 * Pure: no system calls.
 *
 * Axes, as numpy's: none given (-1) reduces everything to a scalar; on a
 * 2-D input 0 gives one value per column, 1 one per row; on a 1-D input 0
 * is the whole array and 1 is out of bounds; a 0-D input takes no axis.
 * Maps take none.
 */
#include <string.h>

#include "kernels/args.h"
#include "base/internal.h"
#include "kernels/ops.h"

struct op_entry {
	const char *name;
	const char *form;             /* as the user writes it: "clip:LO:HI" */
	const struct shmx__kernel *k; /* reductions: [axis + 1]; maps: one */
};

#define REDUCTION_ENTRY(op) { #op, #op, shmx__k_##op },
#define MAP_ENTRY(op, form) { #op, form, &shmx__k_##op },
static const struct op_entry ops[] = {
	SHMX__REDUCTIONS(REDUCTION_ENTRY) SHMX__MAPS(MAP_ENTRY)
};

#define REDUCTION_NAME(op) #op,
#define MAP_NAME(op, form) #op,
const char *const shmx__op_names[] = {
	SHMX__REDUCTIONS(REDUCTION_NAME) SHMX__MAPS(MAP_NAME) NULL
};

static const struct op_entry *find_entry(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strlen(ops[i].name) == len &&
		    memcmp(ops[i].name, name, len) == 0)
			return &ops[i];
	return NULL;
}

const struct shmx__kernel *shmx__kernel_find(const char *name, size_t len)
{
	const struct op_entry *e = find_entry(name, len);

	return e ? e->k : NULL;
}

static int set_input(struct shmx__job *job, enum shmx_dtype dtype,
		     const struct shmx_shape *shape, struct shmx_error *err)
{
	uint64_t n;

	if ((unsigned)dtype >= SHMX_DTYPE_COUNT)
		return shmx__fail(err, SHMX_EDTYPE, "unsupported dtype %d",
				  (int)dtype);
	if (shape->ndim < 0 || shape->ndim > SHMX_MAX_NDIM)
		return shmx__fail(err, SHMX_ESHAPE,
				  "%d-D arrays are not supported (0, 1 or 2)",
				  shape->ndim);
	job->in_dtype = dtype;
	job->in_shape = *shape;
	job->rows = shmx_shape_rows(shape);
	job->cols = shmx_shape_cols(shape);
	if (shmx__mul_u64(job->rows, job->cols, &n) < 0 || n > INT64_MAX)
		return shmx__fail(err, SHMX_ESHAPE,
				  "shape has too many elements");
	return 0;
}

/* Pick the kernel for the axis; see the file comment for the rules. */
static int set_axis(struct shmx__job *job, const struct op_entry *e,
		    int axis, struct shmx_error *err)
{
	int ndim = job->in_shape.ndim;

	job->axis = SHMX__AXIS_ALL;
	job->kernel = e->k;
	if (e->k->kind == SHMX__MAP) {
		if (axis != -1)
			return shmx__fail(err, SHMX_EOP,
					  "operation '%s' is element-wise and "
					  "takes no axis",
					  e->name);
		return 0;
	}
	if (axis < -1)
		return shmx__fail(err, SHMX_EOP,
				  "axis %d is not supported (use 0 or 1)",
				  axis);
	if (axis >= ndim)
		return shmx__fail(err, SHMX_EOP,
				  "axis %d is out of bounds for a %d-D array",
				  axis, ndim);
	if (axis != -1 && ndim == 2)
		job->axis = axis;
	job->kernel = &e->k[job->axis + 1];
	return 0;
}

/* The op's entry and its parsed arguments: what needs no input. */
static int parse_op(const char *op, const struct op_entry **out,
		    struct shmx__opargs *args, struct shmx_error *err)
{
	const char *colon = strchr(op, ':');
	size_t len = colon ? (size_t)(colon - op) : strlen(op);
	const struct op_entry *e = find_entry(op, len);

	if (!e)
		return shmx__fail(err, SHMX_EOP,
				  "unknown operation '%.*s' (see shmx run "
				  "--help)",
				  (int)len, op);
	*out = e;
	return shmx__args_parse(e->name, e->form, e->k->nargs,
				e->k == &shmx__k_cast, colon ? colon + 1 : NULL,
				args, err);
}

int shmx__op_check(const char *op, struct shmx_error *err)
{
	const struct op_entry *e;
	struct shmx__opargs args;

	return parse_op(op, &e, &args, err);
}

int shmx__job_prepare(struct shmx__job *job, const char *op, int axis,
		      enum shmx_dtype dtype, const struct shmx_shape *shape,
		      struct shmx_error *err)
{
	const struct op_entry *e = NULL;
	int rc;

	memset(job, 0, sizeof(*job));
	rc = parse_op(op, &e, &job->args, err);
	if (rc == 0)
		rc = set_input(job, dtype, shape, err);
	if (rc == 0)
		rc = set_axis(job, e, axis, err);
	if (rc == 0)
		rc = job->kernel->prepare(job, err);
	return rc;
}
