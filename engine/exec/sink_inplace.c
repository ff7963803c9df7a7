/* engine/exec/sink_inplace.c - --in-place: a chunk's results are its own
 * input rows, rewritten under the undo journal (store/journal.h).
 *
 *	get(c)   save c's original bytes to this worker's lane of the
 *	         journal, in the area after the last one, and fdatasync it;
 *	         that sync also makes the previous chunk's done mark durable
 *	the kernel rewrites the rows in the mapping
 *	put(c)   msync c's rows, then mark c done in the journal's table,
 *	         then DONE in the control page
 *
 * So a chunk is changed only once its original is durable, and marked done
 * only once its new bytes are; a lane's area is overwritten only two
 * chunks later, after the sync that made its chunk's mark durable
 * (docs/ARCHITECTURE.md has the whole argument).
 */
#include <errno.h>

#include "base/internal.h"
#include "store/journal.h"
#include "exec/job.h"

struct lane {
	unsigned lane, area;
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
	l->area ^= 1;
	return rc;
}

static int commit(struct shmx__sink_state *s, uint64_t chunk, void *out,
		  uint64_t compute_ns, struct shmx_error *err)
{
	const struct shmx__job *job = s->job;
	uint64_t off, len;
	int rc;

	span(job, chunk, &off, &len);
	rc = shmx__journal_sync_target(job->target_fd, job->data_foff + off,
				       out, len, err);
	if (!rc && job->journal)
		rc = shmx__journal_mark(job->journal, chunk, err);
	if (!rc)
		shmx__claim_done(s->k, chunk, compute_ns);
	return rc;
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
	.flush = NULL,
	.figures = no_figures,
	.close = lane_close,
};
