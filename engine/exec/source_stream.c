/* engine/exec/source_stream.c - rows read by the worker's own stream
 * (io/stream.h: io_uring, O_DIRECT, queue_depth chunks in flight). */
#include <errno.h>
#include <stdio.h>

#include "shmx/array.h"
#include "base/internal.h"
#include "io/stream.h"
#include "exec/job.h"

static unsigned stream_depth(const struct shmx__input *in)
{
	return in->queue_depth ? in->queue_depth : SHMX__STREAM_DEPTH_DEFAULT;
}

static int stream_open(const struct shmx__input *in,
		       const struct shmx__plan *plan, void **state,
		       struct shmx_error *err)
{
	struct shmx__stream_opts o = {
		.fd = shmx_array_fd(in->array),
		.data_offset = shmx_array_data_offset(in->array),
		.file_size = shmx_array_data_offset(in->array) +
			     shmx_array_nbytes(in->array),
		.plan = plan,
		.row_bytes = in->row_bytes,
		.queue_depth = stream_depth(in),
		.what = in->spec,
	};

	return shmx__stream_open((struct shmx__stream **)state, &o, err);
}

static int stream_submit(void *state, uint64_t chunk, struct shmx_error *err)
{
	int rc = shmx__stream_submit(state, chunk);

	return rc ? shmx__fail(err, rc, "stream: cannot submit chunk %llu: %s",
			       (unsigned long long)chunk, shmx_strerror(rc))
		  : 0;
}

static int stream_wait(void *state, uint64_t chunk, const void **rows,
		       struct shmx_error *err)
{
	return shmx__stream_wait_chunk(state, chunk, rows, err);
}

static int stream_ready(void *state, uint64_t *chunk)
{
	return shmx__stream_ready(state, chunk);
}

static void stream_release(void *state, const void *rows)
{
	shmx__stream_release(state, rows);
}

static void stream_figures(void *state, struct shmx__source_figures *f)
{
	struct shmx__stream_stats st;

	shmx__stream_stats(state, &st);
	f->wait_ns = st.wait_ns;
	f->bytes = st.bytes_read;
	snprintf(f->fallback, sizeof(f->fallback), "%s", st.fallback);
}

static void stream_close(void *state)
{
	shmx__stream_close(state);
}

const struct shmx__source_ops shmx__source_stream = {
	.name = "stream",
	.depth = stream_depth,
	.open = stream_open,
	.submit = stream_submit,
	.wait = stream_wait,
	.ready = stream_ready,
	.release = stream_release,
	.figures = stream_figures,
	.close = stream_close,
};
