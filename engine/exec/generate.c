/* engine/generate.c - the gen job: a new target filled by the pool with
 * the "fill" kernel, each worker writing its own chunks (the generator is
 * counter-based, so the bytes do not depend on who wrote what). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "shmx/run.h"
#include "kernels/fill.h"
#include "kernels/registry.h"
#include "store/output.h"
#include "format/plan.h"
#include "exec/pool.h"
#include "base/internal.h"

struct gen {
	struct shmx_output *out;
	void *data;
	uint64_t row_bytes;
	struct shmx__op op;
	struct shmx_kernel_call call;
};

static int gen_chunk(void *ctx, uint64_t chunk, uint64_t row0, uint64_t nrows)
{
	struct gen *g = ctx;
	struct shmx_chunk k = {
		.index = chunk, .row0 = row0, .nrows = nrows,
		.out = (char *)g->data + row0 * g->row_bytes,
	};
	struct shmx_error err = { 0 };
	int rc = shmx__output_reserve(g->out, row0 * g->row_bytes,
				      nrows * g->row_bytes);

	if (rc)
		return rc;
	return g->op.kernel->chunk(&g->call, &k, &err);
}

/* The fill kernel for this array: "fill:FILL:SEED:DTYPE:SHAPE". */
static int open_fill(struct gen *g, enum shmx_dtype t,
		     const struct shmx_shape *s, enum shmx_fill fill,
		     uint64_t seed, struct shmx_error *err)
{
	char spec[160], shape[64];
	const char *fname = shmx__fill_name(fill);
	int rc;

	if (!fname || (unsigned)t >= SHMX_DTYPE_COUNT)
		return shmx__fail(err, SHMX_EUSAGE, "bad fill or dtype");
	shmx_shape_format(s, shape, sizeof(shape));
	snprintf(spec, sizeof(spec), "fill:%s:%llu:%s:%s", fname,
		 (unsigned long long)seed, shmx_dtype_name(t), shape);
	rc = shmx__op_open(spec, &g->op, err);
	if (rc)
		return rc;
	g->call.size = sizeof(g->call);
	g->call.rows = shmx_shape_rows(s);
	return shmx__op_prepare(&g->op, &g->call, err);
}

int shmx_gen(const char *spec, enum shmx_dtype t, const struct shmx_shape *s,
	     enum shmx_fill fill, uint64_t seed, const struct shmx_run_opts *o,
	     struct shmx_stats *stats, struct shmx_error *err)
{
	static const struct shmx_run_opts defaults;
	struct gen g = { 0 };
	struct shmx__pool_report rep = { 0 };
	struct shmx__plan plan;
	struct shmx__pool_task task = { .plan = &plan, .run = gen_chunk,
					.ctx = &g };
	struct shmx__pool_opts po = { .what = "gen", .input = "the output" };
	struct shmx_output *out;
	double t0 = shmx__now(), t1, t2;
	int rc;

	o = o ? o : &defaults;
	rc = open_fill(&g, t, s, fill, seed, err);
	if (!rc)
		rc = shmx__output_create(spec, t, s, &o->create, 1, &out, err);
	if (rc) {
		shmx__op_close(&g.op);
		return rc;
	}
	g.out = out;
	g.data = shmx_output_data(out);
	g.row_bytes = shmx__row_bytes(g.call.out_cols, shmx_dtype_size(t));
	task.bytes_per_row = g.row_bytes;
	shmx__plan_make(&plan, shmx_shape_rows(s), task.bytes_per_row,
			o->chunk_bytes);
	po.workers = shmx__workers_for(o->workers, plan.nchunks);
	po.retries = shmx__retries_for(o->retries);
	po.progress = o->progress;
	t1 = shmx__now();
	if (plan.nchunks) /* zeros too: its pages must be reserved */
		rc = shmx__pool_run(&task, &po, &rep, err);
	t2 = shmx__now();
	if (rc == -ENOSPC) /* a worker could not reserve its chunk: say where */
		rc = shmx__output_nospace(out, err);
	rc = rc ? (shmx_output_discard(out), rc) : shmx_output_publish(out, err);
	if (!rc && stats) {
		memset(stats, 0, sizeof(*stats));
		snprintf(stats->op, sizeof(stats->op), "gen");
		stats->workers = rep.workers;
		stats->spawned = rep.spawned;
		stats->worker = rep.w; /* the stats own the per-worker array */
		rep.w = NULL;
		stats->deaths = rep.deaths;
		stats->chunks = plan.nchunks;
		stats->rows = plan.rows;
		stats->bytes_out = plan.rows * task.bytes_per_row;
		stats->setup_s = t1 - t0;
		stats->compute_s = t2 - t1;
		stats->total_s = shmx__now() - t0;
		stats->publish_s = stats->total_s - (t2 - t0);
		stats->gb_per_s = stats->total_s > 0 ? (double)stats->bytes_out / stats->total_s / 1e9 : 0;
	}
	shmx__pool_report_free(&rep);
	shmx__op_close(&g.op);
	return rc;
}
