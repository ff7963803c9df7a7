/* engine/exec/worker.c - the one loop every worker runs.
 *
 *	claim chunks ahead (depth: 1, or a stream's queue depth)
 *	  and submit each to every source
 *	take the oldest, or the first whose rows the first source says are
 *	  in (a stream's reads complete out of order): wait for its rows
 *	  from every source,
 *	  get its place from the sink, run the kernel, release the rows,
 *	  put the results (the sink marks the chunk done, now or once written)
 *	until nothing is left to claim; flush the sink.
 *
 * A chunk a worker has claimed is its own until it is done: if the worker
 * dies, the parent frees it for a replacement (exec/pool.h).  A failure
 * here (a read, a write, a kernel's own error) stops the worker with its
 * message in the shared page; the run then fails with it, not retried.
 */
#include <string.h>

#include "base/internal.h"
#include "exec/job.h"

/* What one worker holds. */
struct worker {
	const struct shmx__job *job;
	struct shmx__claimer *k;
	void *src[SHMX_KERNEL_INPUTS_MAX]; /* each source's state */
	struct shmx__sink_state sink;
	int sink_open;
	uint64_t fifo[SHMX__SOURCE_AHEAD_MAX]; /* claimed, submitted chunks */
	unsigned head, count, depth;
	int more; /* the pool may still have chunks for us */
	/* I/O figures already in our slot, for live progress */
	uint64_t read_wait, read_bytes, write_wait, write_bytes;
};

static unsigned depth_of(const struct shmx__job *job)
{
	unsigned d = 1;

	for (unsigned i = 0; i < job->ninputs; i++) {
		unsigned di = job->in[i].source->depth(&job->in[i]);

		d = di > d ? di : d;
	}
	return d < SHMX__SOURCE_AHEAD_MAX ? d : SHMX__SOURCE_AHEAD_MAX;
}

static int open_all(struct worker *w, struct shmx_error *err)
{
	const struct shmx__job *job = w->job;
	int rc = 0;

	for (unsigned i = 0; !rc && i < job->ninputs; i++)
		rc = job->in[i].source->open(&job->in[i], &job->plan,
					     &w->src[i], err);
	if (!rc)
		rc = job->sink->open(&w->sink, err);
	w->sink_open = !rc;
	return rc;
}

static void close_all(struct worker *w)
{
	const struct shmx__job *job = w->job;

	if (w->sink_open && job->sink->close)
		job->sink->close(&w->sink);
	for (unsigned i = 0; i < job->ninputs; i++)
		if (w->src[i] && job->in[i].source->close)
			job->in[i].source->close(w->src[i]);
}

/* Claim and submit until depth chunks are on their way. */
static int fill(struct worker *w, struct shmx_error *err)
{
	const struct shmx__job *job = w->job;
	uint64_t c;
	int rc;

	while (w->more && w->count < w->depth) {
		if (!shmx__claim(w->k, &c)) {
			w->more = 0;
			break;
		}
		for (unsigned i = 0; i < job->ninputs; i++)
			if ((rc = job->in[i].source->submit(w->src[i], c, err)))
				return rc;
		w->fifo[(w->head + w->count++) % w->depth] = c;
	}
	return 0;
}

/* Move what the sources and the sink did since last time into the
 * worker's slot, where --progress and --stats find it. */
static void note_io(struct worker *w)
{
	const struct shmx__job *job = w->job;
	struct shmx__source_figures sf;
	struct shmx__sink_figures kf;
	uint64_t rw = 0, rb = 0;

	for (unsigned i = 0; i < job->ninputs; i++) {
		job->in[i].source->figures(w->src[i], &sf);
		rw += sf.wait_ns;
		rb += sf.bytes;
	}
	shmx__claim_note_io(w->k, rw - w->read_wait, rb - w->read_bytes);
	w->read_wait = rw;
	w->read_bytes = rb;
	job->sink->figures(&w->sink, &kf);
	shmx__claim_note_write(w->k, kf.wait_ns - w->write_wait,
			       kf.bytes - w->write_bytes);
	w->write_wait = kf.wait_ns;
	w->write_bytes = kf.bytes;
}

/* The fallbacks the sources and the sink took, for the parent's --stats. */
static void share_notes(struct worker *w)
{
	const struct shmx__job *job = w->job;
	struct shmx__source_figures sf;
	struct shmx__sink_figures kf;

	for (unsigned i = 0; i < job->ninputs; i++)
		if (w->src[i]) {
			job->in[i].source->figures(w->src[i], &sf);
			shmx__shared_read_note(job->shared, sf.fallback);
		}
	if (w->sink_open) {
		job->sink->figures(&w->sink, &kf);
		shmx__shared_write_note(job->shared, kf.fallback);
	}
}

/* The claimed chunk to compute next, out of the fifo: the oldest whose
 * rows the first source has in already, else the oldest.  The order is
 * free: every chunk's results go to its own place. */
static uint64_t take_next(struct worker *w)
{
	const struct shmx__source_ops *src =
		w->job->ninputs ? w->job->in[0].source : NULL;
	unsigned pos = 0;
	uint64_t c;

	if (w->count > 1 && src && src->ready && src->ready(w->src[0], &c))
		while (pos < w->count && w->fifo[(w->head + pos) % w->depth] != c)
			pos++;
	if (pos == w->count)
		pos = 0;
	c = w->fifo[(w->head + pos) % w->depth];
	for (; pos > 0; pos--)
		w->fifo[(w->head + pos) % w->depth] =
			w->fifo[(w->head + pos - 1) % w->depth];
	w->head = (w->head + 1) % w->depth;
	w->count--;
	return c;
}

/* The next claimed chunk: its rows, the kernel, its results. */
static int compute_next(struct worker *w, struct shmx_error *err)
{
	const struct shmx__job *job = w->job;
	const void *rows[SHMX_KERNEL_INPUTS_MAX];
	struct shmx_chunk ch = { .in = rows };
	void *out = NULL;
	uint64_t t0;
	unsigned n = 0;
	int rc = 0;

	ch.index = take_next(w);
	ch.row0 = shmx__plan_row0(&job->plan, ch.index);
	ch.nrows = shmx__plan_nrows(&job->plan, ch.index);
	for (; !rc && n < job->ninputs; n++)
		rc = job->in[n].source->wait(w->src[n], ch.index, &rows[n], err);
	if (!rc)
		rc = job->sink->get(&w->sink, ch.index, &out, err);
	t0 = shmx__now_ns();
	if (!rc) {
		if (job->call.kind == SHMX_KERNEL_REDUCE)
			ch.partial = out;
		else
			ch.out = out;
		struct shmx_error kerr = { 0 };

		rc = job->op.kernel->chunk(&job->call, &ch, &kerr);
		if (rc)
			rc = shmx__op_failed(&job->op, rc, &kerr, err);
	}
	t0 = shmx__now_ns() - t0;
	for (unsigned i = 0; i < n; i++)
		job->in[i].source->release(w->src[i], rows[i]);
	if (!rc)
		rc = job->sink->put(&w->sink, ch.index, out, t0, err);
	return rc;
}

int shmx__job_worker(void *ctx, struct shmx__claimer *k)
{
	struct worker w = { .job = ctx, .k = k, .more = 1,
			   .sink = { .job = ctx, .k = k } };
	struct shmx_error err = { 0 };
	int rc;

	/* after fork: rings and buffers belong to the process that made them */
	w.depth = depth_of(w.job);
	rc = open_all(&w, &err);
	while (!rc) {
		rc = fill(&w, &err);
		if (rc || !w.count)
			break;
		rc = compute_next(&w, &err);
		note_io(&w);
	}
	if (!rc && w.job->sink->flush)
		rc = w.job->sink->flush(&w.sink, &err);
	if (w.sink_open)
		note_io(&w);
	share_notes(&w);
	if (rc)
		shmx__shared_error(w.job->shared, &err);
	close_all(&w);
	return rc;
}
