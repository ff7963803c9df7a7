/* engine/exec/sink_rows.c - results written through a mapping, and the
 * partial slots of a reduction.
 *
 * shmx__sink_rows: a chunk's output rows are out_data + row0 x
 * out_row_bytes, the worker's own and no one else's (chunks are disjoint
 * row ranges).  Before the kernel writes them:
 *   a new target   the worker reserves them (store/output.h), so a full
 *                  tmpfs is ENOSPC here and never a SIGBUS later, and the
 *                  pages are made on every CPU at once
 *   memory         the worker populates them (one call, not a fault a page)
 * (--in-place has its own sink, exec/sink_inplace.c.)
 * shmx__sink_partial: chunk c's slot is partials + c x slot_bytes, zeroed
 * when the run began; slots are whole cache lines, so no two chunks share
 * one.
 * Both mark the chunk done as soon as the kernel returns: the results are
 * in shared memory, complete.
 */
#include "base/internal.h"
#include "store/output.h"
#include "exec/job.h"

static int mem_open(struct shmx__sink_state *s, struct shmx_error *err)
{
	(void)s;
	(void)err;
	return 0;
}

static int rows_get(struct shmx__sink_state *s, uint64_t chunk, void **out,
		    struct shmx_error *err)
{
	const struct shmx__job *job = s->job;
	uint64_t w = job->out_row_bytes;
	uint64_t off = shmx__plan_row0(&job->plan, chunk) * w;
	uint64_t len = shmx__plan_nrows(&job->plan, chunk) * w;
	int rc = 0;

	*out = (char *)job->out_data + off;
	if (job->reserve)
		rc = shmx__output_reserve(job->out, off, len);
	else if (job->populate)
		shmx__populate(*out, len, 1);
	(void)err; /* ENOSPC: the parent names the output (job.c) */
	return rc;
}

static int done_now(struct shmx__sink_state *s, uint64_t chunk, void *out,
		    uint64_t compute_ns, struct shmx_error *err)
{
	(void)out;
	(void)err;
	shmx__claim_done(s->k, chunk, compute_ns);
	return 0;
}

static void no_figures(struct shmx__sink_state *s, struct shmx__sink_figures *f)
{
	(void)s;
	f->wait_ns = f->bytes = 0;
	f->fallback[0] = '\0';
}

const struct shmx__sink_ops shmx__sink_rows = {
	.name = "rows",
	.open = mem_open,
	.get = rows_get,
	.put = done_now,
	.flush = NULL,
	.figures = no_figures,
	.close = NULL,
};

static int partial_get(struct shmx__sink_state *s, uint64_t chunk, void **out,
		       struct shmx_error *err)
{
	(void)err;
	*out = s->job->partials + chunk * s->job->slot_bytes;
	return 0;
}

const struct shmx__sink_ops shmx__sink_partial = {
	.name = "partial",
	.open = mem_open,
	.get = partial_get,
	.put = done_now,
	.flush = NULL,
	.figures = no_figures,
	.close = NULL,
};
