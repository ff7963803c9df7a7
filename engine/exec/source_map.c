/* engine/exec/source_map.c - rows straight from the input's mapping.
 *
 * Nothing is read ahead: the pages come in by fault-around as the kernel
 * touches them, which measured faster than populating each chunk first
 * (perf/README.md, design measurements).  A broadcast input hands every
 * chunk the whole array.
 */
#include "exec/job.h"

static unsigned map_depth(const struct shmx__input *in)
{
	(void)in;
	return 1;
}

static int map_open(const struct shmx__input *in, const struct shmx__plan *plan,
		    void **state, struct shmx_error *err)
{
	(void)plan;
	(void)err;
	*state = (void *)in; /* read only: the input outlives the worker */
	return 0;
}

static int map_submit(void *state, uint64_t chunk, struct shmx_error *err)
{
	(void)state;
	(void)chunk;
	(void)err;
	return 0;
}

static int map_wait(void *state, uint64_t chunk, const void **rows,
		    struct shmx_error *err)
{
	const struct shmx__input *in = state;

	(void)err;
	*rows = in->broadcast
		? in->data
		: in->data + shmx__plan_row0(in->plan, chunk) * in->row_bytes;
	return 0;
}

static void map_release(void *state, const void *rows)
{
	(void)state;
	(void)rows;
}

static void map_figures(void *state, struct shmx__source_figures *f)
{
	(void)state;
	f->wait_ns = f->bytes = 0;
	f->fallback[0] = '\0';
}

const struct shmx__source_ops shmx__source_map = {
	.name = "mmap",
	.depth = map_depth,
	.open = map_open,
	.submit = map_submit,
	.wait = map_wait,
	.release = map_release,
	.figures = map_figures,
	.close = NULL,
};
