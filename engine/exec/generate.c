/* engine/generate.c - the gen job: a new target filled by the pool, each
 * worker writing its own chunks (the generator is counter-based, so the
 * bytes do not depend on who wrote what). */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "shmx/run.h"
#include "store/output.h"
#include "format/plan.h"
#include "exec/pool.h"
#include "base/internal.h"

struct gen {
	struct shmx_output *out;
	void *data;
	enum shmx_dtype dtype;
	enum shmx_fill fill;
	uint64_t seed, cols;
};

static int gen_chunk(void *ctx, uint64_t chunk, uint64_t row0, uint64_t nrows)
{
	struct gen *g = ctx;
	size_t esz = shmx_dtype_size(g->dtype);
	int rc = shmx__output_reserve(g->out, row0 * g->cols * esz,
				      nrows * g->cols * esz);

	(void)chunk;
	if (rc)
		return rc;
	shmx_fill(g->data, g->dtype, row0 * g->cols, nrows * g->cols, g->fill,
		  g->seed);
	return 0;
}

int shmx_gen(const char *spec, enum shmx_dtype t, const struct shmx_shape *s,
	     enum shmx_fill fill, uint64_t seed, const struct shmx_run_opts *o,
	     struct shmx_stats *stats, struct shmx_error *err)
{
	static const struct shmx_run_opts defaults;
	struct gen g = { .dtype = t, .fill = fill, .seed = seed,
			 .cols = shmx_shape_cols(s) };
	struct shmx__pool_report rep = { 0 };
	struct shmx__plan plan;
	struct shmx__pool_task task = { .plan = &plan, .run = gen_chunk,
					.ctx = &g };
	struct shmx__pool_opts po = { .what = "gen", .input = "the output" };
	struct shmx_output *out;
	double t0 = shmx__now(), t1, t2;
	int rc;

	o = o ? o : &defaults;
	rc = shmx__output_create(spec, t, s, &o->create, 1, &out, err);
	if (rc)
		return rc;
	g.out = out;
	g.data = shmx_output_data(out);
	task.bytes_per_row = shmx__row_bytes(g.cols, shmx_dtype_size(t));
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
	return rc;
}
