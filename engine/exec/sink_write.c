/* engine/exec/sink_write.c - a map's rows into a file on a disk, written
 * by the worker's own writer (io/writer.h) while it computes the next
 * chunk, so that a map larger than memory stays bounded in memory and
 * leaves the page cache alone.  A chunk is done once its bytes are
 * written (the writer's done callback), not when the kernel returns. */
#include <stdio.h>

#include "shmx/npy.h"
#include "shmx/array.h"
#include "io/writer.h"
#include "store/output.h"
#include "exec/job.h"

static void written(void *ctx, uint64_t chunk, uint64_t compute_ns)
{
	struct shmx__sink_state *s = ctx;

	shmx__claim_done(s->k, chunk, compute_ns);
}

static int write_open(struct shmx__sink_state *s, struct shmx_error *err)
{
	const struct shmx__job *job = s->job;
	struct shmx__writer_opts o = {
		.fd = job->write_fd,
		.data_offset = SHMX_NPY_DATA_OFFSET,
		.row_bytes = job->out_row_bytes,
		.plan = &job->plan,
		.what = shmx_output_target(job->out)->spec,
		.done = written,
		.ctx = s,
	};

	return shmx__writer_open((struct shmx__writer **)&s->priv, &o, err);
}

static int write_get(struct shmx__sink_state *s, uint64_t chunk, void **out,
		     struct shmx_error *err)
{
	return shmx__writer_get(s->priv, chunk, out, err);
}

static int write_put(struct shmx__sink_state *s, uint64_t chunk, void *out,
		     uint64_t compute_ns, struct shmx_error *err)
{
	(void)chunk;
	return shmx__writer_put(s->priv, out, compute_ns, err);
}

static int write_flush(struct shmx__sink_state *s, struct shmx_error *err)
{
	return shmx__writer_flush(s->priv, err);
}

static void write_figures(struct shmx__sink_state *s,
			  struct shmx__sink_figures *f)
{
	struct shmx__writer_stats st;

	shmx__writer_stats(s->priv, &st);
	f->wait_ns = st.wait_ns;
	f->bytes = st.bytes_written;
	snprintf(f->fallback, sizeof(f->fallback), "%s", st.fallback);
}

static void write_close(struct shmx__sink_state *s)
{
	shmx__writer_close(s->priv);
	s->priv = NULL;
}

const struct shmx__sink_ops shmx__sink_write = {
	.name = "write",
	.open = write_open,
	.get = write_get,
	.put = write_put,
	.flush = write_flush,
	.figures = write_figures,
	.close = write_close,
};
