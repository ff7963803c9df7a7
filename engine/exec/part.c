/* engine/exec/part.c - one run split over processes (shmx/part.h): the
 * job of `shmx run`, planned whole by every process, each computing a
 * range of its chunks; the publisher merges every chunk's partial and
 * publishes.  Nothing here moves bytes between processes: the caller
 * does (shmx-mpi, with MPI). */
#include <errno.h>
#include <string.h>

#include "shmx/part.h"
#include "base/internal.h"
#include "store/output.h"
#include "exec/job.h"

struct shmx_part {
	struct shmx__job job;
	struct shmx_run_opts o;
	const char *input; /* names a SIGBUS's input in messages */
	double t0;
};

static struct shmx_error *where(struct shmx_part *p, struct shmx_error *err)
{
	return err ? err : &p->job.quiet;
}

int shmx_part_open(const char *op, const char *const *sources, unsigned n,
		   const struct shmx_run_opts *opts, struct shmx_part **out,
		   struct shmx_error *err)
{
	struct shmx_part *p = shmx__calloc(1, sizeof(*p));
	int rc;

	*out = NULL;
	if (!p)
		return shmx__fail(err, -ENOMEM, "%s: out of memory", op);
	p->t0 = shmx__now();
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

void shmx_part_layout(const struct shmx_part *p, struct shmx_part_layout *l)
{
	const struct shmx__job *job = &p->job;
	const struct shmx_kernel_call *c = &job->call;

	memset(l, 0, sizeof(*l)); /* bytewise comparable: padding too */
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
	return shmx__job_sink(&p->job, p->o.output, &p->o.create,
			      p->o.in_place, where(p, err));
}

const char *shmx_part_temporary(const struct shmx_part *p)
{
	return p->job.out ? shmx__output_temporary(p->job.out) : "";
}

int shmx_part_attach(struct shmx_part *p, const char *tmp,
		     struct shmx_error *err)
{
	if (!p->o.output) /* in place, or memory: as the publisher's */
		return shmx__job_sink(&p->job, NULL, NULL, p->o.in_place,
				      where(p, err));
	return shmx__job_sink_attach(&p->job, p->o.output, tmp, where(p, err));
}

int shmx_part_compute(struct shmx_part *p, uint64_t c0, uint64_t c1,
		      struct shmx_error *err)
{
	err = where(p, err);
	if (c0 > c1 || c1 > p->job.plan.nchunks)
		return shmx__fail(err, SHMX_EUSAGE, "%s: chunks %llu-%llu are "
				  "not a range of its %llu", p->job.what,
				  (unsigned long long)c0, (unsigned long long)c1,
				  (unsigned long long)p->job.plan.nchunks);
	shmx__job_range(&p->job, c0, c1);
	return shmx__job_compute(&p->job, &p->o, p->input, err);
}

int shmx_part_sync(struct shmx_part *p, struct shmx_error *err)
{
	return shmx__job_sync(&p->job, where(p, err));
}

void *shmx_part_partials(struct shmx_part *p)
{
	return p->job.partials;
}

void *shmx_part_rows(struct shmx_part *p, uint64_t c0, uint64_t c1,
		     uint64_t *off, uint64_t *len)
{
	const struct shmx__plan *pl = &p->job.plan;
	uint64_t r0, r1;

	*off = *len = 0;
	if (!p->job.anon || p->job.call.kind == SHMX_KERNEL_REDUCE)
		return NULL;
	if (c0 < c1 && c1 <= pl->nchunks) {
		r0 = shmx__plan_row0(pl, c0);
		r1 = shmx__plan_row0(pl, c1 - 1) + shmx__plan_nrows(pl, c1 - 1);
		*off = r0 * p->job.out_row_bytes;
		*len = (r1 - r0) * p->job.out_row_bytes;
	}
	return p->job.anon;
}

int shmx_part_finish(struct shmx_part *p, struct shmx_result *res,
		     struct shmx_error *err)
{
	int rc;

	memset(res, 0, sizeof(*res));
	rc = shmx__job_finish(&p->job, &p->o, p->t0, &res->stats,
			      where(p, err));
	if (!rc)
		shmx__job_result(&p->job, res);
	return rc;
}

void shmx_part_close(struct shmx_part *p)
{
	if (!p)
		return;
	shmx__job_close(&p->job);
	shmx__free(p);
}
