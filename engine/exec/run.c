/* engine/exec/run.c - `shmx run`: a job from an op and its sources
 * (exec/job.h), with the options' checks in the order a user meets them:
 * the op before any file is touched, then the inputs, the kernel's own
 * checks, then how to read and where to write. */
#include <string.h>
#include <sys/mman.h>

#include "shmx/run.h"
#include "base/internal.h"
#include "exec/job.h"

unsigned shmx_default_workers(void)
{
	return shmx__default_workers();
}

void shmx_run_opts_init(struct shmx_run_opts *o)
{
	*o = (struct shmx_run_opts)SHMX_RUN_OPTS_INIT;
}

/* The caller's options as this version reads them: NULL is the defaults;
 * a size of 0 this version's layout; a smaller size an older caller's,
 * whose missing fields stay zero. */
void shmx__run_opts_read(const struct shmx_run_opts *in,
			 struct shmx_run_opts *o)
{
	size_t n;

	if (!in) {
		shmx_run_opts_init(o);
		return;
	}
	memset(o, 0, sizeof(*o));
	n = in->size ? in->size : sizeof(*o);
	memcpy(o, in, n < sizeof(*o) ? n : sizeof(*o));
	o->size = sizeof(*o);
}

static int check_in_place(const struct shmx__job *job,
			  const struct shmx_run_opts *o,
			  struct shmx_error *err)
{
	const struct shmx_kernel_call *c = &job->call;
	const char *name = job->op.kernel->name;

	if (c->kind != SHMX_KERNEL_MAP)
		return shmx__fail(err, SHMX_EUSAGE,
				  "--in-place needs an element-wise map, not "
				  "the reduction '%s'", name);
	if (c->out_dtype != c->in[0].dtype || c->out_cols != c->in[0].cols)
		return shmx__fail(err, SHMX_EUSAGE,
				  "--in-place needs a map that keeps the dtype "
				  "(%s gives %s from %s)", name,
				  shmx_dtype_name(c->out_dtype),
				  shmx_dtype_name(c->in[0].dtype));
	if (job->ninputs != 1)
		return shmx__fail(err, SHMX_EUSAGE,
				  "--in-place rewrites one input, not %u",
				  job->ninputs);
	if (o->output)
		return shmx__fail(err, SHMX_EUSAGE,
				  "--in-place and -o cannot be used together");
	return 0;
}

static int check_io(const struct shmx_run_opts *o, struct shmx_error *err)
{
	if (o->io < SHMX_IO_AUTO || o->io > SHMX_IO_STREAM)
		return shmx__fail(err, SHMX_EUSAGE, "bad io mode");
	if (o->in_place && o->io == SHMX_IO_STREAM)
		return shmx__fail(err, SHMX_EUSAGE,
				  "--in-place rewrites the mapping: it cannot "
				  "be used with --io stream");
	return 0;
}

int shmx__run_plan(struct shmx__job *job, const struct shmx_run_opts *o,
		   const char *op, const char *const *sources, unsigned n,
		   struct shmx_error *err)
{
	int rc = 0;

	if ((unsigned)o->axis > SHMX_AXIS_1)
		return shmx__fail(err, SHMX_EUSAGE, "bad axis");
	rc = shmx__job_op(job, op, err);
	if (!rc)
		rc = shmx__job_inputs(job, sources, n, &o->input, o->in_place, err);
	if (!rc)
		rc = shmx__job_prepare(job, o->axis, err);
	if (!rc && o->in_place)
		rc = check_in_place(job, o, err);
	if (!rc && o->perf_ctl)
		rc = shmx__perf_ctl_open(o->perf_ctl, &job->perf, err);
	if (!rc)
		rc = check_io(o, err);
	if (!rc)
		rc = shmx__job_plan(job, o->chunk_bytes || !o->in_place
					 ? o->chunk_bytes : SHMX__CHUNK_INPLACE,
				    o->in_place ? SHMX_IO_MMAP : o->io,
				    o->queue_depth, err);
	return rc;
}

static int setup(struct shmx__job *job, const struct shmx_run_opts *o,
		 const char *op, const char *const *sources, unsigned n,
		 struct shmx_error *err)
{
	int rc = shmx__run_plan(job, o, op, sources, n, err);

	return rc ? rc
		  : shmx__job_sink(job, o->output, &o->create, o->in_place, err);
}

int shmx_run_inputs(const char *op, const char *const *sources, unsigned n,
		    const struct shmx_run_opts *opts, struct shmx_result *res,
		    struct shmx_error *err)
{
	double t0 = shmx__now();
	struct shmx_run_opts o;
	struct shmx__job job;
	int rc;

	err = shmx__job_begin(&job, op, opts, &o, err);
	memset(res, 0, sizeof(*res));
	rc = setup(&job, &o, op, sources, n, err);
	if (!rc)
		rc = shmx__job_execute(&job, &o, n ? sources[0] : NULL, t0,
				       &res->stats, err);
	if (!rc)
		shmx__job_result(&job, res);
	shmx__job_close(&job);
	return rc;
}

int shmx_run(const char *op, const char *source,
	     const struct shmx_run_opts *opts, struct shmx_result *res,
	     struct shmx_error *err)
{
	return shmx_run_inputs(op, &source, 1, opts, res, err);
}

void shmx_result_free(struct shmx_result *res)
{
	if (!res)
		return;
	if (res->priv_map)
		munmap(res->priv_map, res->priv_len);
	shmx_stats_free(&res->stats);
	memset(res, 0, sizeof(*res));
}
