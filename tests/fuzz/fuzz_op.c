/* tests/fuzz/fuzz_op.c - `shmx run OP[:ARGS]` as the registry meets it:
 * the op name and its arguments (kernels/args.c), then the job for an
 * input of some dtype, shape and axis, then the kernel on a small array.
 *
 * Input: byte 0 the dtype, byte 1 ndim and axis, byte 2 rows and columns
 * (0-7 each), byte 3 --chunk in bytes (1-256), then OP up to a newline,
 * then the array's bytes (repeated to fill it; zeros when none).
 *
 * Properties: shmx__op_open refuses only with SHMX_EOP; shmx__op_prepare
 * refuses with SHMX_EOP, SHMX_EEMPTY, SHMX_EDTYPE, SHMX_ESHAPE or
 * -EOVERFLOW, each with a one-line message; a prepared call has a
 * result dtype, a result shape of the op's kind (a map keeps the input's;
 * a reduction gives a scalar, one per column or one per row), partial
 * slots in whole cache lines; integer arguments saturate into
 * every integer dtype's range; and the kernel run over the chunks of the
 * plan, in either order, writes bit-identical results (determinism for
 * any -j), with no read or write outside the buffers (ASan) and no UB
 * (UBSan: float-to-int conversions included).
 */
#include <errno.h>

#include "kernels/args.h"
#include "kernels/job.h"
#include "kernels/registry.h"
#include "format/plan.h"
#include "fuzz.h"

/* the last three are not enum shmx_axis values */
static const int axes[] = { SHMX_AXIS_NONE, SHMX_AXIS_0, SHMX_AXIS_1,
			    SHMX_AXIS_NONE, SHMX_AXIS_0, 3, -1, 7 };

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

static void check_job(const struct shmx_kernel_call *c,
		      const struct input *in)
{
	const struct shmx__kstate *job = shmx__kstate_of_c(c);
	const struct shmx_shape *o = &c->out_shape;
	uint64_t rows = shmx_shape_rows(&in->shape);
	uint64_t cols = shmx_shape_cols(&in->shape);

	FUZZ_CHECK((unsigned)c->out_dtype < SHMX_DTYPE_COUNT,
		   "result dtype %d", (int)c->out_dtype);
	FUZZ_CHECK(job->partial_bytes % 64 == 0, "slot of %zu bytes",
		   job->partial_bytes);
	FUZZ_CHECK(job->rows == rows && job->cols == cols, "rows/cols");
	if (c->kind == SHMX_KERNEL_MAP) {
		FUZZ_CHECK(in->axis == SHMX_AXIS_NONE, "a map took axis %d",
			   in->axis);
		FUZZ_CHECK(memcmp(o, &in->shape, sizeof(*o)) == 0,
			   "a map changed the shape");
		FUZZ_CHECK(c->out_cols == cols, "a map's row width");
		return;
	}
	switch (job->axis) {
	case SHMX_AXIS_NONE:
		FUZZ_CHECK(o->ndim == 0 && c->kind == SHMX_KERNEL_REDUCE,
			   "a full reduction is not a scalar");
		break;
	case SHMX_AXIS_0:
		FUZZ_CHECK(in->shape.ndim == 2 && in->axis == SHMX_AXIS_0 &&
				   o->ndim == 1 && o->dim[0] == cols &&
				   c->kind == SHMX_KERNEL_REDUCE,
			   "axis 0 result shape");
		break;
	case SHMX_AXIS_1:
		FUZZ_CHECK(in->shape.ndim == 2 && in->axis == SHMX_AXIS_1 &&
				   o->ndim == 1 && o->dim[0] == rows &&
				   c->kind == SHMX_KERNEL_ROWS,
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

/* Run the call over the plan's chunks (forward or backward) into out. */
static void compute(const struct shmx_kernel *kn,
		    const struct shmx_kernel_call *c, const struct shmx__plan *p,
		    const char *data, int backward, void *out, size_t out_bytes)
{
	size_t row_bytes = c->in[0].cols * shmx_dtype_size(c->in[0].dtype);
	size_t slot = c->kind == SHMX_KERNEL_REDUCE ? shmx_kernel_slot_bytes(c)
						    : 0;
	size_t out_row = c->out_cols * shmx_dtype_size(c->out_dtype);
	char *parts = zalloc(p->nchunks * slot);
	struct shmx_error err = { 0 };

	memset(out, 0, out_bytes);
	for (uint64_t n = 0; n < p->nchunks; n++) {
		uint64_t i = backward ? p->nchunks - 1 - n : n;
		uint64_t row0 = shmx__plan_row0(p, i);
		const void *in[1] = { data + row0 * row_bytes };
		struct shmx_chunk k = {
			.index = i, .row0 = row0,
			.nrows = shmx__plan_nrows(p, i), .in = in,
			.out = slot ? NULL : (char *)out + row0 * out_row,
			.partial = slot ? parts + i * slot : NULL,
		};

		FUZZ_CHECK(kn->chunk(c, &k, &err) == 0, "chunk failed");
	}
	if (slot)
		FUZZ_CHECK(kn->merge(c, parts, p->nchunks, out, &err) == 0,
			   "merge failed");
	free(parts);
}

static void run_call(const struct shmx_kernel *kn,
		     const struct shmx_kernel_call *c, const struct input *in)
{
	size_t in_bytes = c->in[0].rows * c->in[0].cols *
			  shmx_dtype_size(c->in[0].dtype);
	uint64_t out_count;
	size_t out_bytes;
	struct shmx__plan plan;
	char *data = zalloc(in_bytes);
	void *out1, *out2;

	FUZZ_CHECK(shmx_shape_count(&c->out_shape, &out_count) == 0,
		   "result shape");
	out_bytes = out_count * shmx_dtype_size(c->out_dtype);
	for (size_t i = 0; in->nbytes && i < in_bytes; i++)
		data[i] = (char)in->bytes[i % in->nbytes];
	shmx__plan_make(&plan, c->rows,
			c->in[0].cols * shmx_dtype_size(c->in[0].dtype),
			in->chunk_bytes);
	out1 = zalloc(out_bytes);
	out2 = zalloc(out_bytes);
	compute(kn, c, &plan, data, 0, out1, out_bytes);
	compute(kn, c, &plan, data, 1, out2, out_bytes);
	FUZZ_CHECK(memcmp(out1, out2, out_bytes) == 0,
		   "result depends on the order chunks ran in");
	free(out2);
	free(out1);
	free(data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct shmx__op op;
	static struct shmx_kernel_call c;
	struct input in;
	struct shmx_error err = { 0 };
	int rc;

	if (decode(data, size, &in) < 0)
		return 0;
	/* a plugin would dlopen whatever path the fuzzer wrote */
	if (strncmp(in.op, "plugin:", 7) == 0) {
		free(in.op);
		return 0;
	}
	rc = shmx__op_open(in.op, &op, &err);
	if (rc) {
		FUZZ_CHECK(rc == SHMX_EOP, "op_open code %d", rc);
		fuzz_check_error(&err, rc);
		free(in.op);
		return 0;
	}
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.ninputs = 1;
	c.in[0] = (struct shmx_kernel_input){
		.dtype = in.dtype, .shape = in.shape,
		.rows = shmx_shape_rows(&in.shape),
		.cols = shmx_shape_cols(&in.shape),
	};
	c.rows = c.in[0].rows;
	c.axis = (enum shmx_axis)in.axis;
	rc = shmx__op_prepare(&op, &c, &err);
	if (rc) {
		check_refusal(rc, &err);
	} else {
		check_args(&shmx__kstate_of_c(&c)->args);
		check_job(&c, &in);
		run_call(op.kernel, &c, &in);
	}
	shmx__op_close(&op);
	free(in.op);
	return 0;
}
