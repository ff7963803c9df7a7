/* tests/fuzz/fuzz_op.c - `shmx run OP[:ARGS]` as the registry meets it:
 * the op name and its arguments (kernels/args.c), then the job for an
 * input of some dtype, shape and axis, then the kernel on a small array.
 *
 * Input: byte 0 the dtype, byte 1 ndim and axis, byte 2 rows and columns
 * (0-7 each), byte 3 --chunk in bytes (1-256), then OP up to a newline,
 * then the array's bytes (repeated to fill it; zeros when none).
 *
 * Properties: an op that shmx__op_check refuses, shmx__job_prepare refuses
 * with the same code; refusals are SHMX_EOP, SHMX_EEMPTY, SHMX_EDTYPE,
 * SHMX_ESHAPE or -EOVERFLOW with a one-line message; a prepared job has a
 * kernel, a result dtype, a result shape of the op's kind (a map keeps the
 * input's; a reduction gives a scalar, one per column or one per row),
 * partial slots in whole cache lines; integer arguments saturate into
 * every integer dtype's range; and the kernel run over the chunks of the
 * plan, in either order, writes bit-identical results (determinism for
 * any -j), with no read or write outside the buffers (ASan) and no UB
 * (UBSan: float-to-int conversions included).
 */
#include <errno.h>

#include "kernels/args.h"
#include "kernels/kernel.h"
#include "format/plan.h"
#include "fuzz.h"

static const int axes[] = { -1, 0, 1, -2, 2, -1, -1, 0 };

struct input {
	enum shmx_dtype dtype;
	struct shmx_shape shape;
	int axis;
	uint64_t chunk_bytes;
	char *op;
	const uint8_t *bytes;
	size_t nbytes;
};

static int decode(const uint8_t *data, size_t size, struct input *in)
{
	const uint8_t *nl;
	size_t oplen;

	if (size < 4)
		return -1;
	in->dtype = (enum shmx_dtype)(data[0] % SHMX_DTYPE_COUNT);
	in->shape.ndim = data[1] % 3;
	in->axis = axes[(data[1] >> 2) % 8];
	in->shape.dim[0] = in->shape.ndim >= 1 ? data[2] & 7 : 0;
	in->shape.dim[1] = in->shape.ndim == 2 ? (data[2] >> 3) & 7 : 0;
	in->chunk_bytes = 1 + (uint64_t)data[3];
	data += 4;
	size -= 4;
	nl = memchr(data, '\n', size);
	oplen = nl ? (size_t)(nl - data) : size;
	in->op = fuzz_cstr(data, oplen);
	in->bytes = nl ? nl + 1 : data + size;
	in->nbytes = nl ? size - oplen - 1 : 0;
	return 0;
}

static void check_refusal(int rc, const struct shmx_error *err)
{
	FUZZ_CHECK(rc == SHMX_EOP || rc == SHMX_EEMPTY || rc == SHMX_EDTYPE ||
			   rc == SHMX_ESHAPE || rc == -EOVERFLOW,
		   "unexpected code %d", rc);
	fuzz_check_error(err, rc);
}

static void check_args(const struct shmx__opargs *a)
{
	static const enum shmx_dtype ints[] = { SHMX_I8,  SHMX_I16, SHMX_I32,
						SHMX_I64, SHMX_U8,  SHMX_U16,
						SHMX_U32, SHMX_U64 };
	char buf[64];

	for (int k = 0; k < a->n && k < 2; k++) {
		shmx__arg_format(a, k, buf, sizeof(buf));
		FUZZ_CHECK(buf[0] != '\0', "argument %d formats as nothing", k);
		for (size_t d = 0; d < sizeof(ints) / sizeof(ints[0]); d++) {
			enum shmx_dtype t = ints[d];
			uint64_t v = shmx__arg_saturate(a, k, t);
			unsigned bits = 8 * (unsigned)shmx_dtype_size(t);

			if (shmx__arg_fits(a, k, t))
				FUZZ_CHECK(v == (uint64_t)a->i[k],
					   "argument %d fits %s but saturates",
					   k, shmx_dtype_name(t));
			if (bits == 64)
				continue;
			if (shmx_dtype_is_signed(t)) {
				int64_t s = (int64_t)v;

				FUZZ_CHECK(s >= -(INT64_C(1) << (bits - 1)) &&
						   s < (INT64_C(1) << (bits - 1)),
					   "saturated into %s as %lld",
					   shmx_dtype_name(t), (long long)s);
			} else {
				FUZZ_CHECK(v < (UINT64_C(1) << bits),
					   "saturated into %s as %llu",
					   shmx_dtype_name(t),
					   (unsigned long long)v);
			}
		}
	}
}

static void check_job(const struct shmx__job *job, const struct input *in)
{
	const struct shmx_shape *o = &job->out_shape;
	uint64_t rows = shmx_shape_rows(&in->shape);
	uint64_t cols = shmx_shape_cols(&in->shape);

	FUZZ_CHECK(job->kernel && job->kernel->chunk && job->kernel->prepare,
		   "no kernel");
	FUZZ_CHECK((unsigned)job->out_dtype < SHMX_DTYPE_COUNT,
		   "result dtype %d", (int)job->out_dtype);
	FUZZ_CHECK(job->partial_bytes % 64 == 0, "slot of %zu bytes",
		   job->partial_bytes);
	FUZZ_CHECK(job->rows == rows && job->cols == cols, "rows/cols");
	if (job->kernel->kind == SHMX__MAP) {
		FUZZ_CHECK(in->axis == -1, "a map took axis %d", in->axis);
		FUZZ_CHECK(memcmp(o, &in->shape, sizeof(*o)) == 0,
			   "a map changed the shape");
		return;
	}
	switch (job->axis) {
	case SHMX__AXIS_ALL:
		FUZZ_CHECK(o->ndim == 0, "a full reduction is not a scalar");
		break;
	case SHMX__AXIS_COLS:
		FUZZ_CHECK(in->shape.ndim == 2 && in->axis == 0 &&
				   o->ndim == 1 && o->dim[0] == cols,
			   "axis 0 result shape");
		break;
	case SHMX__AXIS_ROWS:
		FUZZ_CHECK(in->shape.ndim == 2 && in->axis == 1 &&
				   o->ndim == 1 && o->dim[0] == rows,
			   "axis 1 result shape");
		break;
	default:
		FUZZ_CHECK(0, "axis %d", job->axis);
	}
}

static void *zalloc(size_t n)
{
	void *p = aligned_alloc(64, n ? (n + 63) & ~(size_t)63 : 64);

	if (!p)
		abort();
	memset(p, 0, n ? (n + 63) & ~(size_t)63 : 64);
	return p;
}

/* Run the job over the plan's chunks (forward or backward) into out. */
static void compute(const struct shmx__job *job, const struct shmx__plan *p,
		    const char *data, int backward, void *out, size_t out_bytes)
{
	size_t row_bytes = job->cols * shmx_dtype_size(job->in_dtype);
	char *parts = zalloc(p->nchunks * job->partial_bytes);

	memset(out, 0, out_bytes);
	for (uint64_t n = 0; n < p->nchunks; n++) {
		uint64_t i = backward ? p->nchunks - 1 - n : n;
		uint64_t row0 = shmx__plan_row0(p, i);

		job->kernel->chunk(job, data + row0 * row_bytes, row0,
				   shmx__plan_nrows(p, i), out,
				   job->partial_bytes ? parts + i * job->partial_bytes
						      : NULL);
	}
	if (job->kernel->merge)
		job->kernel->merge(job, parts, p->nchunks, out);
	free(parts);
}

static void run_job(const struct shmx__job *job, const struct input *in)
{
	size_t in_bytes = job->rows * job->cols * shmx_dtype_size(job->in_dtype);
	uint64_t out_count;
	size_t out_bytes;
	struct shmx__plan plan;
	char *data = zalloc(in_bytes);
	void *out1, *out2;

	FUZZ_CHECK(shmx_shape_count(&job->out_shape, &out_count) == 0,
		   "result shape");
	out_bytes = out_count * shmx_dtype_size(job->out_dtype);
	for (size_t i = 0; in->nbytes && i < in_bytes; i++)
		data[i] = (char)in->bytes[i % in->nbytes];
	shmx__plan_make(&plan, job->rows,
			job->cols * shmx_dtype_size(job->in_dtype),
			in->chunk_bytes);
	out1 = zalloc(out_bytes);
	out2 = zalloc(out_bytes);
	compute(job, &plan, data, 0, out1, out_bytes);
	compute(job, &plan, data, 1, out2, out_bytes);
	FUZZ_CHECK(memcmp(out1, out2, out_bytes) == 0,
		   "result depends on the order chunks ran in");
	free(out2);
	free(out1);
	free(data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in;
	struct shmx__job job;
	struct shmx_error err = { 0 }, err2 = { 0 };
	int rc, checked;

	if (decode(data, size, &in) < 0)
		return 0;
	checked = shmx__op_check(in.op, &err);
	if (checked) {
		FUZZ_CHECK(checked == SHMX_EOP, "op_check code %d", checked);
		fuzz_check_error(&err, checked);
	}
	rc = shmx__job_prepare(&job, in.op, in.axis, in.dtype, &in.shape,
			       &err2);
	if (checked)
		FUZZ_CHECK(rc == checked && strcmp(err.msg, err2.msg) == 0,
			   "op_check said '%s', prepare %d '%s'", err.msg, rc,
			   err2.msg);
	if (rc) {
		check_refusal(rc, &err2);
	} else {
		check_args(&job.args);
		check_job(&job, &in);
		run_job(&job, &in);
	}
	free(in.op);
	return 0;
}
