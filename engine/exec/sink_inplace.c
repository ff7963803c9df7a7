/* engine/exec/sink_inplace.c - --in-place: a chunk's results are its own
 * input rows, rewritten under the undo journal (store/journal.h).
 *
 * A lane's chunks use the journal's three areas in turn.  For chunk c:
 *
 *	get(c)   save c's original bytes to the lane's next area and
 *	         fdatasync the journal; then mark the lane's previous chunk
 *	         done (its new bytes were written before this sync's flush)
 *	the kernel rewrites the rows in the mapping
 *	put(c)   write c's rows back to the disk and wait; c is marked done
 *	         at the next get (or at the end, after a sync of its own)
 *
 * So each chunk costs one flush of the disk's cache, the save's, which
 * also makes the previous chunk's new bytes durable (they were written
 * before it) and the chunk before that's mark.  That holds when an
 * overwrite of the target changes no metadata (journal.h,
 * shmx__journal_overwrite_only: ext4 or XFS, every extent written);
 * otherwise put(c) msyncs c's rows, a flush of its own, before the mark.
 * Either way a chunk changes only once its original is durable and is
 * marked done only once its new bytes are; its area is written again
 * three chunks of the lane later, after the flush that made its mark
 * durable (docs/ARCHITECTURE.md has the whole argument).
 */
#include <errno.h>

#include "base/internal.h"
#include "store/journal.h"
#include "exec/job.h"

struct lane {
	unsigned lane, area;
	int pending;      /* a chunk written back, not yet marked */
	uint64_t chunk, compute_ns;
};

static int lane_open(struct shmx__sink_state *s, struct shmx_error *err)
{
	struct lane *l = shmx__calloc(1, sizeof(*l));

	if (!l)
		return shmx__fail(err, -ENOMEM, "out of memory");
	l->lane = shmx__claimer_lane(s->k);
	s->priv = l;
	return 0;
}

static void span(const struct shmx__job *job, uint64_t chunk, uint64_t *off,
		 uint64_t *len)
{
	uint64_t w = job->out_row_bytes;

	*off = shmx__plan_row0(&job->plan, chunk) * w;
	*len = shmx__plan_nrows(&job->plan, chunk) * w;
}

/* The chunk's new bytes are durable: mark it done, then DONE. */
static int mark(struct shmx__sink_state *s, uint64_t chunk,
		uint64_t compute_ns, struct shmx_error *err)
{
	int rc = s->job->journal ? shmx__journal_mark(s->job->journal, chunk,
						      err)
				 : 0;

	if (!rc)
		shmx__claim_done(s->k, chunk, compute_ns);
	return rc;
}

static int save(struct shmx__sink_state *s, uint64_t chunk, void **out,
		struct shmx_error *err)
{
	const struct shmx__job *job = s->job;
	struct lane *l = s->priv;
	uint64_t off, len;
	int rc;

	span(job, chunk, &off, &len);
	*out = (char *)job->out_data + off;
	if (!job->journal)
		return 0; /* no bytes to rewrite (rows of no columns) */
	rc = shmx__journal_save(job->journal, l->lane, l->area, chunk, *out,
				len, err);
	l->area = (l->area + 1) % SHMX__JOURNAL_AREAS;
	if (!rc && l->pending) {
		l->pending = 0;
		rc = mark(s, l->chunk, l->compute_ns, err);
	}
	return rc;
}

static int commit(struct shmx__sink_state *s, uint64_t chunk, void *out,
		  uint64_t compute_ns, struct shmx_error *err)
{
	const struct shmx__job *job = s->job;
	struct lane *l = s->priv;
	uint64_t off, len;
	int rc;

	span(job, chunk, &off, &len);
	if (!job->overwrite_only) {
		rc = shmx__journal_sync_target(job->target_fd,
					       job->data_foff + off, out, len,
					       err);
		return rc ? rc : mark(s, chunk, compute_ns, err);
	}
	rc = shmx__journal_write_target(job->target_fd, job->data_foff + off,
					len, err);
	l->pending = !rc;
	l->chunk = chunk;
	l->compute_ns = compute_ns;
	return rc;
}

/* The lane's last chunk: a flush of its own, then its mark. */
static int finish(struct shmx__sink_state *s, struct shmx_error *err)
{
	const struct shmx__job *job = s->job;
	struct lane *l = s->priv;
	uint64_t off, len;
	int rc;

	if (!l->pending)
		return 0;
	l->pending = 0;
	span(job, l->chunk, &off, &len);
	rc = shmx__journal_sync_target(job->target_fd, job->data_foff + off,
				       (char *)job->out_data + off, len, err);
	return rc ? rc : mark(s, l->chunk, l->compute_ns, err);
}

static void no_figures(struct shmx__sink_state *s, struct shmx__sink_figures *f)
{
	(void)s;
	f->wait_ns = f->bytes = 0;
	f->fallback[0] = '\0';
}

static void lane_close(struct shmx__sink_state *s)
{
	shmx__free(s->priv);
}

const struct shmx__sink_ops shmx__sink_inplace = {
	.name = "inplace",
	.open = lane_open,
	.get = save,
	.put = commit,
	.flush = finish,
	.figures = no_figures,
	.close = lane_close,
};
