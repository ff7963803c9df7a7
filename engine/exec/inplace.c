/* engine/exec/inplace.c - crash-safe --in-place runs: the journal's life
 * around the pool, the retry of a dead worker, and shmx_resume.
 *
 *   run     create the journal (durable before any row changes), run the
 *           pool with the in-place sink (exec/sink_inplace.c), remove the
 *           journal once every chunk is done
 *   failed  roll the chunks in progress back; no chunk done: the input is
 *           as it was, the journal goes; else it stays for resume
 *   retry   a worker died: roll its lane's chunk back, sync, and let its
 *           replacement take the lane
 *   resume  the journal's run again: roll back, sync, a new epoch, then the
 *           pool over the chunks not done, with the same kernel and plan,
 *           so the bytes are those of an uninterrupted run
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shmx/journal.h"
#include "base/internal.h"
#include "store/journal.h"
#include "exec/job.h"

/* ---- the run's description --------------------------------------------- */

static int fingerprint(int fd, uint64_t len, uint64_t *sum,
		       struct shmx_error *err)
{
	char *buf = shmx__malloc(len ? len : 1);
	ssize_t n;

	if (!buf)
		return shmx__fail(err, -ENOMEM, "out of memory");
	n = len ? pread(fd, buf, len, 0) : 0;
	if (n >= 0 && (uint64_t)n == len)
		*sum = shmx__journal_sum(buf, len, len);
	shmx__free(buf);
	if (n < 0 || (uint64_t)n != len)
		return shmx__fail(err, n < 0 ? -errno : -EIO, "cannot read the "
				  "header: %s", n < 0 ? strerror(errno) : "short");
	return 0;
}

static int describe(const struct shmx__job *job, const struct shmx_run_opts *o,
		    unsigned lanes, struct shmx__journal_run *r,
		    struct shmx_error *err)
{
	const struct shmx_kernel_input *in = &job->call.in[0];
	struct stat st;

	memset(r, 0, sizeof(*r));
	if (strlen(job->what) >= sizeof(r->op))
		return shmx__fail(err, SHMX_EUSAGE, "--in-place: the operation "
				  "is too long to journal");
	snprintf(r->op, sizeof(r->op), "%s", job->what);
	r->axis = (uint32_t)o->axis;
	r->raw = o->input.raw != 0;
	r->dtype = (uint32_t)in->dtype;
	r->ndim = (uint32_t)in->shape.ndim;
	for (int i = 0; i < in->shape.ndim && i < 2; i++)
		r->dims[i] = in->shape.dim[i];
	r->raw_offset = o->input.raw_offset;
	r->chunk_bytes = job->chunk_bytes;
	r->rows = job->plan.rows;
	r->chunk_rows = job->plan.chunk_rows;
	r->nchunks = job->plan.nchunks;
	r->row_bytes = job->out_row_bytes;
	r->data_offset = job->data_foff;
	r->data_bytes = job->out_bytes;
	if (fstat(job->target_fd, &st) < 0)
		return shmx__fail(err, -errno, "%s", strerror(errno));
	r->file_size = (uint64_t)st.st_size;
	r->lanes = lanes;
	return fingerprint(job->target_fd, r->data_offset, &r->fingerprint, err);
}

/* ---- around the pool --------------------------------------------------- */

/* Sync the input as it is, and learn whether its rows can be rewritten
 * with one flush a chunk (store/journal.h). */
static int overwrite_only(struct shmx__job *job, struct shmx_error *err)
{
	char msg[SHMX_ERROR_MSG_MAX];
	int rc = shmx__journal_overwrite_only(job->target_fd, job->data_foff,
					      job->out_bytes, err);

	job->overwrite_only = rc > 0;
	if (rc >= 0)
		return 0;
	snprintf(msg, sizeof(msg), "%s", err->msg);
	return shmx__fail(err, rc, "%s: %s", shmx_array_target(job->in[0].array)->spec,
			  msg);
}

static const struct shmx_target *target(const struct shmx__job *job)
{
	return shmx_array_target(job->in[0].array);
}

int shmx__inplace_begin(struct shmx__job *job, const struct shmx_run_opts *o,
			unsigned lanes, struct shmx_error *err)
{
	struct shmx__journal_run run;
	int rc;

	if (job->journal || !job->out_bytes)
		return 0; /* resumed (it has one), or nothing to rewrite */
	rc = describe(job, o, lanes, &run, err);
	if (!rc)
		rc = overwrite_only(job, err);
	if (rc)
		return rc;
	job->journal = shmx__calloc(1, sizeof(*job->journal));
	if (!job->journal)
		return shmx__fail(err, -ENOMEM, "out of memory");
	rc = shmx__journal_create(target(job), &run, job->journal, err);
	if (rc) {
		shmx__free(job->journal);
		job->journal = NULL;
	}
	return rc;
}

/* Every chunk not done back to its original bytes, durably. */
static int roll_back(struct shmx__job *job, int lane, uint8_t *done,
		     uint64_t *ndone, struct shmx_error *err)
{
	int rc = shmx__journal_table(job->journal, done, ndone, err);

	if (!rc)
		rc = shmx__journal_rollback(job->journal, lane, job->out_data,
					    done, NULL, err);
	if (!rc)
		rc = shmx__journal_sync_target(job->target_fd, job->data_foff,
					       job->out_data, job->out_bytes, err);
	/* and the marks of the chunks done, before a lane is reused */
	if (!rc)
		rc = shmx__journal_sync(job->journal, err);
	return rc;
}

int shmx__inplace_retry(void *ctx, unsigned lane, struct shmx_error *err)
{
	struct shmx__job *job = ctx;
	uint8_t *done = shmx__malloc(job->plan.nchunks);
	uint64_t ndone;
	int rc;

	if (!done)
		return shmx__fail(err, -ENOMEM, "out of memory");
	rc = roll_back(job, (int)lane, done, &ndone, err);
	shmx__free(done);
	return rc;
}

/* The run failed with err: what became of the input, in the same line. */
static void after_failure(struct shmx__job *job, struct shmx_error *err)
{
	const char *spec = target(job)->spec;
	uint8_t *done = shmx__malloc(job->plan.nchunks);
	struct shmx_error e2 = { 0 };
	uint64_t ndone = 1;
	char msg[SHMX_ERROR_MSG_MAX];
	int rc = done ? roll_back(job, -1, done, &ndone, &e2) : -ENOMEM;

	shmx__free(done);
	if (!rc && !ndone)
		rc = shmx__journal_remove(job->journal, &e2);
	snprintf(msg, sizeof(msg), "%s", err->msg);
	if (!rc && !ndone)
		shmx__fail(err, err->code, "%s (%s is unchanged)", msg, spec);
	else
		shmx__fail(err, err->code, "%s; %s is interrupted: finish it "
			   "with 'shmx resume %s'", msg, spec, spec);
}

int shmx__inplace_end(struct shmx__job *job, int rc, struct shmx_error *err)
{
	if (!job->journal)
		return rc;
	if (rc)
		after_failure(job, err);
	else
		rc = shmx__journal_remove(job->journal, err);
	shmx__inplace_close(job);
	return rc;
}

void shmx__inplace_close(struct shmx__job *job)
{
	if (job->journal)
		shmx__journal_close(job->journal);
	shmx__free(job->journal);
	shmx__free(job->done);
	job->journal = NULL;
	job->done = NULL;
}

/* ---- shmx_resume ------------------------------------------------------- */

static int open_journal(const char *spec, struct shmx__journal *j,
			struct shmx_error *err)
{
	struct shmx_target t;
	int damaged, rc = shmx_target_parse(spec, &t, err);

	if (rc)
		return rc;
	rc = shmx__journal_open(&t, j, 1, &damaged, err);
	if (rc == -ENOENT)
		return shmx__fail(err, SHMX_EUSAGE, "%s: nothing to resume (no "
				  "interrupted --in-place run)", spec);
	if (rc && damaged && !shmx__journal_remove(j, NULL))
		return shmx__fail(err, SHMX_EINTERRUPTED,
				  "%s: the interrupted run had not begun (its "
				  "journal was incomplete, now removed): %s is "
				  "unchanged, run it again", spec, spec);
	if (rc)
		shmx__journal_close(j);
	return rc;
}

/* The input the journal describes, opened past the refusal. */
static int open_input(struct shmx__job *job, const char *spec,
		      const struct shmx__journal_run *r, struct shmx_error *err)
{
	struct shmx_open_opts io = { .raw = (int)r->raw,
				     .dtype = (enum shmx_dtype)r->dtype,
				     .raw_offset = r->raw_offset };

	io.shape.ndim = (int)r->ndim;
	for (unsigned i = 0; i < r->ndim && i < 2; i++)
		io.shape.dim[i] = r->dims[i];
	job->resuming = 1;
	return shmx__job_inputs(job, &spec, 1, &io, 1, err);
}

/* The journal's run must be what this input and kernel give again. */
static int check_same(struct shmx__job *job, const char *spec,
		      const struct shmx__journal_run *r, struct shmx_error *err)
{
	const struct shmx_kernel_call *c = &job->call;
	struct shmx__journal_run now;
	struct shmx_run_opts o = { .axis = (enum shmx_axis)r->axis };
	int rc;

	if (c->kind != SHMX_KERNEL_MAP || c->out_dtype != c->in[0].dtype ||
	    c->out_cols != c->in[0].cols)
		return shmx__fail(err, SHMX_EINTERRUPTED, "%s: '%s' no longer "
				  "rewrites it in place: the journal is kept",
				  spec, r->op);
	o.input.raw = (int)r->raw;
	o.input.raw_offset = r->raw_offset;
	rc = describe(job, &o, r->lanes, &now, err);
	if (rc)
		return rc;
	if (now.fingerprint != r->fingerprint || now.file_size != r->file_size ||
	    now.data_offset != r->data_offset || now.nchunks != r->nchunks ||
	    now.chunk_rows != r->chunk_rows || now.rows != r->rows ||
	    now.row_bytes != r->row_bytes || now.dtype != r->dtype)
		return shmx__fail(err, SHMX_EINTERRUPTED, "%s: not the array "
				  "the interrupted run began on (its header or "
				  "size changed): the journal is kept", spec);
	return 0;
}

/* Roll back, make it durable, and begin a new epoch with enough lanes. */
static int recover(struct shmx__job *job, unsigned lanes,
		   struct shmx_error *err)
{
	uint64_t ndone;
	int rc;

	job->done = shmx__malloc(job->plan.nchunks);
	if (!job->done)
		return shmx__fail(err, -ENOMEM, "out of memory");
	rc = roll_back(job, -1, job->done, &ndone, err);
	if (!rc)
		rc = overwrite_only(job, err);
	return rc ? rc : shmx__journal_renew(job->journal, lanes, err);
}

static int resume_setup(struct shmx__job *job, const char *spec,
			const struct shmx_run_opts *o, struct shmx_error *err)
{
	const struct shmx__journal_run *r = &job->journal->run;
	int rc;

	snprintf(job->op_buf, sizeof(job->op_buf), "%s", r->op);
	job->what = job->op_buf;
	rc = shmx__job_op(job, job->op_buf, err);
	if (!rc)
		rc = open_input(job, spec, r, err);
	if (!rc)
		rc = shmx__job_prepare(job, (enum shmx_axis)r->axis, err);
	if (!rc)
		rc = shmx__job_plan(job, r->chunk_bytes, SHMX_IO_MMAP, 0, err);
	if (!rc)
		rc = shmx__job_sink(job, NULL, NULL, 1, err);
	if (!rc)
		rc = check_same(job, spec, r, err);
	if (!rc)
		rc = recover(job, shmx__job_workers(job, o->workers), err);
	return rc;
}

static void still_interrupted(const char *spec, struct shmx_error *err)
{
	char msg[SHMX_ERROR_MSG_MAX];

	snprintf(msg, sizeof(msg), "%s", err->msg);
	shmx__fail(err, err->code, "%s; %s is still interrupted: finish it with "
		   "'shmx resume %s'", msg, spec, spec);
}

int shmx_resume(const char *spec, const struct shmx_run_opts *opts,
		struct shmx_result *res, struct shmx_error *err)
{
	double t0 = shmx__now();
	struct shmx_run_opts o;
	struct shmx__job job;
	int rc;

	err = shmx__job_begin(&job, "resume", opts, &o, err);
	memset(res, 0, sizeof(*res));
	job.journal = shmx__calloc(1, sizeof(*job.journal));
	if (!job.journal)
		rc = shmx__fail(err, -ENOMEM, "out of memory");
	else
		rc = open_journal(spec, job.journal, err);
	if (rc) {
		shmx__free(job.journal);
		job.journal = NULL;
	}
	if (!rc && (rc = resume_setup(&job, spec, &o, err)) &&
	    rc != SHMX_EINTERRUPTED) /* the journal stays, as it was */
		still_interrupted(spec, err);
	if (!rc)
		rc = shmx__job_execute(&job, &o, spec, t0, &res->stats, err);
	shmx__job_close(&job);
	return rc;
}

int shmx_interrupted(const char *spec, struct shmx_interrupted *info,
		     struct shmx_error *err)
{
	struct shmx_target t;
	struct shmx__journal j;
	uint8_t *done;
	int damaged, rc = shmx_target_parse(spec, &t, err);

	if (rc)
		return rc;
	if (info)
		memset(info, 0, sizeof(*info));
	rc = shmx__journal_open(&t, &j, 0, &damaged, NULL);
	if (rc == -ENOENT)
		return 0;
	if (!rc && info && (done = shmx__malloc(j.run.nchunks))) {
		snprintf(info->op, sizeof(info->op), "%s", j.run.op);
		info->chunks = j.run.nchunks;
		if (shmx__journal_table(&j, done, &info->done, NULL))
			info->done = 0;
		shmx__free(done);
	}
	shmx__journal_close(&j);
	return 1;
}
