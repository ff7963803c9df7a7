/* engine/exec/part.c - one run split over processes (shmx/part.h): the
 * job of `shmx run`, or the steps of `shmx eval` (exec/eval_job.h),
 * planned whole by every process, each computing a range of each step's
 * chunks; the publisher merges every chunk's partial and publishes.
 * Nothing here moves bytes between processes: the caller does (shmx-mpi,
 * with MPI). */
#include <errno.h>
#include <string.h>

#include "shmx/part.h"
#include "base/internal.h"
#include "store/output.h"
#include "exec/job.h"
#include "exec/eval_job.h"

struct shmx_part {
	struct shmx__job job;    /* a run's (an eval's built-in op too) */
	struct shmx__eval *ev;   /* an eval's inputs, program and main job */
	struct shmx__job pj;     /* an eval's current pass */
	struct shmx__job *cur;   /* the step's job */
	int pass;                /* an eval's current pass, -1 none */
	int constant;            /* its main step: a constant result */
	void *values;            /* the pass's merged values */
	uint64_t values_len;
	int merged;              /* here, not imported */
	struct shmx_run_opts o;
	const char *input; /* names a SIGBUS's input in messages */
	double t0;
};

static struct shmx_error *where(struct shmx_part *p, struct shmx_error *err)
{
	return err ? err : &p->cur->quiet;
}

static struct shmx_part *part_new(void)
{
	struct shmx_part *p = shmx__calloc(1, sizeof(*p));

	if (p) {
		p->t0 = shmx__now();
		p->cur = &p->job;
		p->pass = -1;
	}
	return p;
}

int shmx_part_open(const char *op, const char *const *sources, unsigned n,
		   const struct shmx_run_opts *opts, struct shmx_part **out,
		   struct shmx_error *err)
{
	struct shmx_part *p = part_new();
	int rc;

	*out = NULL;
	if (!p)
		return shmx__fail(err, -ENOMEM, "%s: out of memory", op);
	err = shmx__job_begin(&p->job, op, opts, &p->o, err);
	p->input = n ? sources[0] : NULL;
	rc = shmx__run_plan(&p->job, &p->o, op, sources, n, err);
	if (rc) {
		shmx_part_close(p);
		return rc;
	}
	*out = p;
	return 0;
}

/* An expression a built-in op computes is that op's run, as shmx_eval
 * hands it to shmx_run. */
static int eval_builtin(struct shmx_part *p, const char *op,
			const char *source, enum shmx_axis axis,
			struct shmx_error *err)
{
	struct shmx_run_opts ro = p->o;

	shmx__eval_close(p->ev);
	p->ev = NULL;
	ro.axis = axis;
	shmx__job_begin(&p->job, op, &ro, &p->o, err);
	p->input = source;
	return shmx__run_plan(&p->job, &p->o, op, &source, 1, err);
}

int shmx_part_eval_open(const char *expr,
			const struct shmx_eval_input *inputs, unsigned n,
			const struct shmx_run_opts *opts,
			struct shmx_part **out, struct shmx_error *err)
{
	struct shmx_part *p = part_new();
	enum shmx_axis axis;
	const char *op, *source;
	int rc;

	*out = NULL;
	if (!p)
		return shmx__fail(err, -ENOMEM, "eval: out of memory");
	err = shmx__job_begin(&p->job, "eval", opts, &p->o, err);
	p->input = n ? inputs[0].source : NULL;
	rc = shmx__eval_open(expr, inputs, n, &p->o, &p->ev, err);
	if (!rc && (op = shmx__eval_builtin(p->ev, &axis, &source)) != NULL)
		rc = eval_builtin(p, op, source, axis, err);
	if (rc) {
		shmx_part_close(p);
		return rc;
	}
	*out = p;
	return 0;
}

unsigned shmx_part_passes(const struct shmx_part *p)
{
	return p->ev ? shmx__eval_passes(p->ev) : 0;
}

static void pass_close(struct shmx_part *p)
{
	if (p->cur == &p->pj)
		shmx__eval_pass_close(&p->pj);
	p->cur = &p->job;
	shmx__free(p->values);
	p->values = NULL;
	p->values_len = 0;
	p->merged = 0;
}

int shmx_part_pass(struct shmx_part *p, unsigned k, struct shmx_error *err)
{
	struct shmx__prog *prog;
	int rc;

	if (!p->ev || k >= shmx__eval_passes(p->ev) || (int)k != p->pass + 1)
		return shmx__fail(where(p, err), SHMX_EUSAGE, "%s: no pass %u "
				  "to begin", p->job.what, k);
	pass_close(p);
	prog = shmx__eval_prog(p->ev);
	p->pass = (int)k;
	p->cur = &p->pj; /* initialised by eval_pass_job, even when it fails */
	rc = shmx__eval_pass_job(p->ev, k, &p->o, &p->pj, where(p, err));
	if (rc)
		return rc;
	p->values_len = shmx__prog_pass_value_bytes(prog, k);
	p->values = shmx__calloc(1, p->values_len + 1);
	if (!p->values)
		return shmx__fail(where(p, err), -ENOMEM, "eval: out of memory");
	return 0;
}

void *shmx_part_pass_vector(struct shmx_part *p, unsigned v, uint64_t *item)
{
	size_t size = 0;
	void *base = p->cur == &p->pj
		? shmx__prog_pass_vector(shmx__eval_prog(p->ev),
					 (unsigned)p->pass, v, &size)
		: NULL;

	*item = size;
	return base;
}

int shmx_part_pass_merge(struct shmx_part *p, struct shmx_error *err)
{
	int rc;

	err = where(p, err);
	if (p->cur != &p->pj)
		return shmx__fail(err, SHMX_EUSAGE, "%s: no pass to merge",
				  p->job.what);
	rc = shmx__job_finish(&p->pj, &p->o, p->t0, NULL, err);
	if (!rc)
		shmx__prog_pass_export(shmx__eval_prog(p->ev),
				       (unsigned)p->pass, p->values);
	p->merged = !rc;
	return rc;
}

void *shmx_part_pass_values(struct shmx_part *p, uint64_t *len)
{
	*len = p->cur == &p->pj ? p->values_len : 0;
	return *len ? p->values : NULL;
}

int shmx_part_pass_done(struct shmx_part *p, struct shmx_error *err)
{
	struct shmx__prog *prog;
	unsigned k = (unsigned)p->pass;
	int rc = 0;

	err = where(p, err);
	if (p->cur != &p->pj)
		return shmx__fail(err, SHMX_EUSAGE, "%s: no pass to end",
				  p->job.what);
	prog = shmx__eval_prog(p->ev);
	if (!p->merged)
		rc = shmx__prog_pass_import(prog, k, p->values, err);
	pass_close(p);
	return rc ? rc : shmx__eval_pass_done(p->ev, k, err);
}

int shmx_part_main(struct shmx_part *p, struct shmx_error *err)
{
	err = where(p, err);
	if (!p->ev)
		return 0; /* a run: planned when opened */
	if (p->cur != &p->job || p->pass + 1 != (int)shmx__eval_passes(p->ev))
		return shmx__fail(err, SHMX_EUSAGE, "eval: its passes first");
	p->pass = (int)shmx__eval_passes(p->ev);
	p->constant = !shmx__prog_rowwise(shmx__eval_prog(p->ev));
	if (p->constant)
		return 0;
	return shmx__eval_main_job(p->ev, &p->o, &p->cur, err);
}

void shmx_part_layout(const struct shmx_part *p, struct shmx_part_layout *l)
{
	const struct shmx__job *job = p->cur;
	const struct shmx_kernel_call *c = &job->call;

	memset(l, 0, sizeof(*l)); /* bytewise comparable: padding too */
	if (p->constant) {
		l->kind = SHMX_KERNEL_REDUCE; /* no chunks: the publisher's */
		return;
	}
	l->nchunks = job->plan.nchunks;
	l->rows = job->plan.rows;
	l->chunk_rows = job->plan.chunk_rows;
	l->kind = c->kind;
	l->slot_bytes = c->kind == SHMX_KERNEL_REDUCE
		? shmx_kernel_slot_bytes(c) : 0;
	l->row_bytes = c->kind == SHMX_KERNEL_REDUCE ? 0
		: shmx__row_bytes(c->out_cols, shmx_dtype_size(c->out_dtype));
	if (shmx_shape_bytes(&c->out_shape, c->out_dtype, &l->out_bytes) < 0)
		l->out_bytes = UINT64_MAX;
	l->out_dtype = c->out_dtype;
	l->out_shape = c->out_shape;
}

int shmx_part_create(struct shmx_part *p, struct shmx_error *err)
{
	if (p->constant) /* created and published by shmx_part_finish */
		return 0;
	return shmx__job_sink(p->cur, p->o.output, &p->o.create,
			      p->o.in_place, where(p, err));
}

const char *shmx_part_temporary(const struct shmx_part *p)
{
	return p->cur->out ? shmx__output_temporary(p->cur->out) : "";
}

int shmx_part_attach(struct shmx_part *p, const char *tmp,
		     struct shmx_error *err)
{
	if (p->constant)
		return 0;
	if (!p->o.output) /* in place, or memory: as the publisher's */
		return shmx__job_sink(p->cur, NULL, NULL, p->o.in_place,
				      where(p, err));
	return shmx__job_sink_attach(p->cur, p->o.output, tmp, where(p, err));
}

int shmx_part_compute(struct shmx_part *p, uint64_t c0, uint64_t c1,
		      struct shmx_error *err)
{
	struct shmx__job *job = p->cur;

	err = where(p, err);
	if (c0 > c1 || c1 > job->plan.nchunks)
		return shmx__fail(err, SHMX_EUSAGE, "%s: chunks %llu-%llu are "
				  "not a range of its %llu", job->what,
				  (unsigned long long)c0, (unsigned long long)c1,
				  (unsigned long long)job->plan.nchunks);
	if (p->constant)
		return 0;
	shmx__job_range(job, c0, c1);
	return shmx__job_compute(job, &p->o, p->input, err);
}

int shmx_part_sync(struct shmx_part *p, struct shmx_error *err)
{
	if (p->constant)
		return 0;
	return shmx__job_sync(p->cur, where(p, err));
}

void *shmx_part_partials(struct shmx_part *p)
{
	return p->cur->partials;
}

void *shmx_part_rows(struct shmx_part *p, uint64_t c0, uint64_t c1,
		     uint64_t *off, uint64_t *len)
{
	const struct shmx__job *job = p->cur;
	const struct shmx__plan *pl = &job->plan;
	uint64_t r0, r1;

	*off = *len = 0;
	if (!job->anon || job->call.kind == SHMX_KERNEL_REDUCE)
		return NULL;
	if (c0 < c1 && c1 <= pl->nchunks) {
		r0 = shmx__plan_row0(pl, c0);
		r1 = shmx__plan_row0(pl, c1 - 1) + shmx__plan_nrows(pl, c1 - 1);
		*off = r0 * job->out_row_bytes;
		*len = (r1 - r0) * job->out_row_bytes;
	}
	return job->anon;
}

int shmx_part_finish(struct shmx_part *p, struct shmx_result *res,
		     struct shmx_error *err)
{
	int rc;

	memset(res, 0, sizeof(*res));
	err = where(p, err);
	if (p->constant)
		return shmx__eval_publish_const(p->ev, &p->o, res, err);
	rc = shmx__job_finish(p->cur, &p->o, p->t0, &res->stats, err);
	if (!rc)
		shmx__job_result(p->cur, res);
	return rc;
}

void shmx_part_close(struct shmx_part *p)
{
	if (!p)
		return;
	pass_close(p);
	shmx__eval_close(p->ev); /* its main job, and its output */
	shmx__job_close(&p->job);
	shmx__free(p);
}
