/* tests/test_job.c - engine/exec/job.c (and worker.c, the sources and
 * sinks): a job of several inputs with broadcasting, through the real
 * pipeline (fork, chunks, sinks, merge, publish), with kernels defined
 * here: "axpy" (a map over two inputs), "dot" (a reduction over two), and
 * "fail" (a chunk that returns an error).  Every result is compared with a
 * plain loop, for -j 1, 2, 3 and more workers than chunks. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shmx/shmx.h"
#include "exec/job.h"
#include "support.h"

static char dir[256];

static void job_init_dir(void)
{
	shm_guard_begin();
	make_tmpdir(dir, sizeof(dir));
}

static void job_fini(void)
{
	if (dir[0])
		rm_rf(dir);
	dir[0] = '\0';
	shm_guard_end();
}

TestSuite(job, .init = job_init_dir, .fini = job_fini);

/* ---- test kernels ---------------------------------------------------- */

/* out = 2 * x + y, f64; x is R x C, y is R x C, 1 x C or C (a row). */
static int axpy_prepare(struct shmx_kernel_call *c, struct shmx_error *err)
{
	if (c->in[1].cols != c->in[0].cols)
		return snprintf(err->msg, sizeof(err->msg), "axpy: columns differ"),
		       err->code = SHMX_ESHAPE;
	c->out_dtype = SHMX_F64;
	c->out_shape = c->in[0].shape;
	c->out_cols = c->in[0].cols;
	return 0;
}

static int axpy_chunk(const struct shmx_kernel_call *c,
		      const struct shmx_chunk *k, struct shmx_error *err)
{
	const double *x = k->in[0], *y = k->in[1];
	double *o = k->out;
	uint64_t cols = c->in[0].cols;

	(void)err;
	for (uint64_t r = 0; r < k->nrows; r++)
		for (uint64_t j = 0; j < cols; j++)
			o[r * cols + j] = 2 * x[r * cols + j] +
					  y[(c->in[1].broadcast ? 0 : r) * cols + j];
	return 0;
}

static const struct shmx_kernel axpy = {
	.abi = SHMX_KERNEL_ABI, .size = sizeof(struct shmx_kernel),
	.name = "axpy", .kind = SHMX_KERNEL_MAP,
	.min_inputs = 2, .max_inputs = 2,
	.prepare = axpy_prepare, .chunk = axpy_chunk,
};

/* sum of x * y over everything, in chunk order. */
static int dot_prepare(struct shmx_kernel_call *c, struct shmx_error *err)
{
	(void)err;
	c->out_dtype = SHMX_F64;
	c->out_shape = (struct shmx_shape){ .ndim = 0 };
	c->partial_bytes = sizeof(double);
	return 0;
}

static int dot_chunk(const struct shmx_kernel_call *c,
		     const struct shmx_chunk *k, struct shmx_error *err)
{
	const double *x = k->in[0], *y = k->in[1];
	double s = 0;

	(void)err;
	for (uint64_t i = 0; i < k->nrows * c->in[0].cols; i++)
		s += x[i] * y[i];
	*(double *)k->partial = s;
	return 0;
}

static int dot_merge(const struct shmx_kernel_call *c, const void *partials,
		     uint64_t n, void *out, struct shmx_error *err)
{
	double s = 0;

	(void)err;
	for (uint64_t i = 0; i < n; i++)
		s += *(const double *)((const char *)partials +
				       i * shmx_kernel_slot_bytes(c));
	*(double *)out = s;
	return 0;
}

static const struct shmx_kernel dot = {
	.abi = SHMX_KERNEL_ABI, .size = sizeof(struct shmx_kernel),
	.name = "dot", .kind = SHMX_KERNEL_REDUCE,
	.min_inputs = 2, .max_inputs = 2,
	.prepare = dot_prepare, .chunk = dot_chunk, .merge = dot_merge,
};

static int fail_chunk(const struct shmx_kernel_call *c,
		      const struct shmx_chunk *k, struct shmx_error *err)
{
	(void)c;
	if (k->row0 < 5)
		return 0;
	snprintf(err->msg, sizeof(err->msg), "fail: refused row %llu",
		 (unsigned long long)k->row0);
	return err->code = -EIO;
}

static const struct shmx_kernel failing = {
	.abi = SHMX_KERNEL_ABI, .size = sizeof(struct shmx_kernel),
	.name = "fail", .kind = SHMX_KERNEL_MAP,
	.min_inputs = 2, .max_inputs = 2,
	.prepare = axpy_prepare, .chunk = fail_chunk,
};

/* ---- running a job as shmx_run_inputs does --------------------------- */

struct outcome {
	int rc;
	struct shmx_error err;
	struct shmx_result res;
};

static void run_job(const struct shmx_kernel *k, const char *const *src,
		    unsigned n, const char *output, unsigned workers,
		    uint64_t chunk, struct outcome *o)
{
	struct shmx__job job;
	int rc;

	memset(o, 0, sizeof(*o));
	shmx__job_init(&job, k->name);
	job.op.kernel = k;
	rc = shmx__job_inputs(&job, src, n, NULL, 0, &o->err);
	if (!rc)
		rc = shmx__job_prepare(&job, SHMX_AXIS_NONE, &o->err);
	if (!rc)
		rc = shmx__job_plan(&job, chunk, SHMX_IO_MMAP, 0, &o->err);
	if (!rc)
		rc = shmx__job_sink(&job, output, NULL, 0, &o->err);
	if (!rc) {
		struct shmx_run_opts ro = { .workers = workers };

		rc = shmx__job_execute(&job, &ro, NULL, 0, NULL, &o->err);
	}
	if (!rc)
		shmx__job_result(&job, &o->res);
	shmx__job_close(&job);
	o->rc = rc;
}

/* An f64 NPY file of the given shape, value(i) at flat index i. */
static void make_f64(const char *name, int ndim, uint64_t r, uint64_t c,
		     double base, char *path, size_t len)
{
	struct shmx_shape s = { .ndim = ndim, .dim = { r, c } };
	struct shmx_output *out;
	struct shmx_error err = { 0 };
	uint64_t n = ndim == 2 ? r * c : ndim == 1 ? r : 1;
	double *d;

	snprintf(path, len, "%s/%s.npy", dir, name);
	unlink(path);
	cr_assert_eq(shmx_output_create(path, SHMX_F64, &s, NULL, &out, &err),
		     0, "%s", err.msg);
	d = shmx_output_data(out);
	for (uint64_t i = 0; i < n; i++)
		d[i] = base + (double)(i * 7 % 13) - 0.25 * (double)i;
	cr_assert_eq(shmx_output_publish(out, &err), 0, "%s", err.msg);
}

static const double *npy_data(const char *path, size_t *len)
{
	static char *buf;

	free(buf);
	buf = read_whole_file(path, len);
	*len -= SHMX_NPY_DATA_OFFSET;
	return (const double *)(buf + SHMX_NPY_DATA_OFFSET);
}

static const unsigned workers[] = { 1, 2, 3, 64 };

/* y of every broadcastable shape against x of R x C. */
static void check_axpy(uint64_t R, uint64_t C, int yndim, uint64_t yrows)
{
	char x[512], y[512], out[512];
	const char *src[2] = { x, y };
	struct outcome o;

	make_f64("x", 2, R, C, 1.5, x, sizeof(x));
	make_f64("y", yndim, yndim == 1 ? C : yrows, C, -3, y, sizeof(y));
	for (size_t w = 0; w < sizeof(workers) / sizeof(*workers); w++) {
		size_t len;
		const double *got;

		snprintf(out, sizeof(out), "%s/out%zu.npy", dir, w);
		unlink(out);
		run_job(&axpy, src, 2, out, workers[w], 64, &o);
		cr_assert_eq(o.rc, 0, "%s", o.err.msg);
		got = npy_data(out, &len);
		cr_assert_eq(len, R * C != 0 ? R * C * 8 : 1);
		for (uint64_t r = 0; r < R; r++)
			for (uint64_t j = 0; j < C; j++) {
				uint64_t i = r * C + j;
				uint64_t iy = (yrows == 1 || yndim == 1) ? j : i;
				double want = 2 * (1.5 + (double)(i * 7 % 13) - 0.25 * (double)i) +
					      (-3 + (double)(iy * 7 % 13) - 0.25 * (double)iy);

				cr_assert_eq(got[i], want, "-j %u at %llu: %g != %g",
					     workers[w], (unsigned long long)i,
					     got[i], want);
			}
	}
}

Test(job, two_inputs_same_rows)
{
	check_axpy(1009, 3, 2, 1009); /* a prime, chunks of 64 bytes: 2 rows */
}

Test(job, a_one_row_input_is_broadcast)
{
	check_axpy(101, 5, 2, 1);
}

Test(job, a_1d_input_beside_a_2d_one_is_a_row)
{
	check_axpy(37, 4, 1, 4);
}

Test(job, fewer_rows_than_workers_and_none)
{
	check_axpy(1, 3, 2, 1);
	check_axpy(0, 3, 2, 0);
}

Test(job, a_reduction_over_two_inputs_in_chunk_order)
{
	char x[512], y[512];
	const char *src[2] = { x, y };
	double want = 0, first = 0;
	struct outcome o;

	make_f64("x", 2, 2003, 3, 0.5, x, sizeof(x));
	make_f64("y", 2, 2003, 3, 2, y, sizeof(y));
	for (uint64_t i = 0; i < 2003 * 3; i++)
		want += (0.5 + (double)(i * 7 % 13) - 0.25 * (double)i) *
			(2 + (double)(i * 7 % 13) - 0.25 * (double)i);
	for (size_t w = 0; w < sizeof(workers) / sizeof(*workers); w++) {
		run_job(&dot, src, 2, NULL, workers[w], 4096, &o);
		cr_assert_eq(o.rc, 0, "%s", o.err.msg);
		cr_assert_eq(o.res.dtype, SHMX_F64);
		cr_assert(fabs(*(const double *)o.res.data - want) <= 1e-9 * fabs(want));
		if (!w)
			first = *(const double *)o.res.data;
		cr_assert_eq(*(const double *)o.res.data, first,
			     "-j %u differs in its bits", workers[w]);
		shmx_result_free(&o.res);
	}
}

Test(job, inputs_with_other_rows_are_refused)
{
	char x[512], y[512];
	const char *src[2] = { x, y };
	struct outcome o;

	make_f64("x", 2, 10, 3, 0, x, sizeof(x));
	make_f64("y", 2, 7, 3, 0, y, sizeof(y));
	run_job(&axpy, src, 2, NULL, 2, 0, &o);
	cr_assert_eq(o.rc, SHMX_ESHAPE);
	cr_assert(strstr(o.err.msg, "has 10 rows and") &&
		  strstr(o.err.msg, "7: inputs must have the same rows"),
		  "%s", o.err.msg);
}

Test(job, a_failing_chunk_fails_the_run_with_its_message)
{
	char x[512], y[512], out[512];
	const char *src[2] = { x, y };
	struct outcome o;

	make_f64("x", 2, 40, 2, 0, x, sizeof(x));
	make_f64("y", 2, 40, 2, 0, y, sizeof(y));
	snprintf(out, sizeof(out), "%s/never.npy", dir);
	run_job(&failing, src, 2, out, 2, 32, &o);
	cr_assert_eq(o.rc, -EIO);
	cr_assert(strstr(o.err.msg, "fail: refused row"), "%s", o.err.msg);
	cr_assert(!path_exists(out), "a failed run published its output");
	expect_dir_holds(dir, "x.npy\ny.npy\n");
}

/* The options as the library reads them: NULL is the defaults, size 0
 * this version's layout, a smaller size an older caller's. */
Test(job, run_options_by_size)
{
	struct shmx_run_opts in = SHMX_RUN_OPTS_INIT, o;

	shmx__run_opts_read(NULL, &o);
	cr_assert_eq(o.size, sizeof(o));
	cr_assert_eq(o.retries, SHMX_RUN_RETRIES_DEFAULT);
	cr_assert_eq(o.workers, 0);

	memset(&in, 0, sizeof(in));
	in.workers = 3; /* size 0: all of it, retries 0 meaning none */
	shmx__run_opts_read(&in, &o);
	cr_assert_eq(o.workers, 3);
	cr_assert_eq(o.retries, 0);
	cr_assert_eq(o.size, sizeof(o));

	in.size = offsetof(struct shmx_run_opts, retries); /* an older caller */
	in.retries = 7;
	in.queue_depth = 5;
	shmx__run_opts_read(&in, &o);
	cr_assert_eq(o.workers, 3);
	cr_assert_eq(o.retries, 0, "a field past the caller's size was read");
	cr_assert_eq(o.queue_depth, 0);
}

static int silent_prepare(struct shmx_kernel_call *c, struct shmx_error *err)
{
	(void)c;
	(void)err;
	return SHMX_EDTYPE; /* refuses, and says nothing */
}

static const struct shmx_kernel silent = {
	.abi = SHMX_KERNEL_ABI, .size = sizeof(struct shmx_kernel),
	.name = "silent", .kind = SHMX_KERNEL_MAP,
	.min_inputs = 2, .max_inputs = 2,
	.prepare = silent_prepare, .chunk = axpy_chunk,
};

Test(job, a_refusal_without_a_message_names_the_kernel)
{
	char x[512], y[512];
	const char *src[2] = { x, y };
	struct outcome o;

	make_f64("x", 2, 4, 2, 0, x, sizeof(x));
	make_f64("y", 2, 4, 2, 0, y, sizeof(y));
	run_job(&silent, src, 2, NULL, 2, 0, &o);
	cr_assert_eq(o.rc, SHMX_EDTYPE);
	cr_assert_str_eq(o.err.msg, "operation 'silent': unsupported dtype");
}

Test(job, the_error_report_may_be_null)
{
	char missing[512];
	struct shmx_result res;

	snprintf(missing, sizeof(missing), "%s/none.npy", dir);
	cr_assert_eq(shmx_run("sum", missing, NULL, &res, NULL), -ENOENT);
	cr_assert_eq(shmx_run("nosuchop", missing, NULL, &res, NULL), SHMX_EOP);
}
