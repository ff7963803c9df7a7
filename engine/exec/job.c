/* engine/exec/job.c - building a job and running it (job.h): inputs and
 * their rows, the kernel, the plan and sources, the sink, then the pool,
 * the merge and the publish, each phase timed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/internal.h"
#include "store/journal.h"
#include "store/output.h"
#include "exec/io_choice.h"
#include "exec/job.h"
#include "exec/stats.h"

void shmx__job_init(struct shmx__job *job, const char *what)
{
	memset(job, 0, sizeof(*job));
	job->what = what;
	job->perf.ctl_fd = job->perf.ack_fd = -1;
	job->write_fd = -1;
	job->target_fd = -1;
	job->call.size = sizeof(job->call);
}

struct shmx_error *shmx__job_begin(struct shmx__job *job, const char *what,
				   const struct shmx_run_opts *opts,
				   struct shmx_run_opts *o,
				   struct shmx_error *err)
{
	shmx__job_init(job, what);
	shmx__run_opts_read(opts, o);
	return err ? err : &job->quiet;
}

/* ---- inputs and their rows ------------------------------------------- */

static void describe(struct shmx__job *job, unsigned i)
{
	struct shmx__input *in = &job->in[i];
	struct shmx_kernel_input *k = &job->call.in[i];

	k->dtype = shmx_array_dtype(in->array);
	k->shape = *shmx_array_shape(in->array);
	k->rows = shmx_shape_rows(&k->shape);
	k->cols = shmx_shape_cols(&k->shape);
	in->data = shmx_array_data(in->array);
	in->row_bytes = shmx__row_bytes(k->cols, shmx_dtype_size(k->dtype));
}

/* The rows the inputs of this ndim agree on (see job.h): the first row
 * count other than 1, which every other must match (or be 1); 1 when all
 * have one row.  *found: whether any input has this ndim. */
static int agree(struct shmx__job *job, int ndim, uint64_t *rows, int *found,
		 struct shmx_error *err)
{
	const char *who = NULL;

	*found = 0;
	*rows = 1;
	for (unsigned i = 0; i < job->ninputs; i++) {
		const struct shmx_kernel_input *k = &job->call.in[i];

		if (k->shape.ndim != ndim)
			continue;
		*found = 1;
		if (k->rows == 1)
			continue;
		if (!who) {
			*rows = k->rows;
			who = job->in[i].spec;
		} else if (k->rows != *rows) {
			return shmx__fail(err, SHMX_ESHAPE,
					  "%s has %llu rows and %s %llu: inputs "
					  "must have the same rows (or one)",
					  who, (unsigned long long)*rows,
					  job->in[i].spec,
					  (unsigned long long)k->rows);
		}
	}
	return 0;
}

/* The job's rows from the inputs of the most dimensions; an input of
 * fewer dimensions or other rows is broadcast. */
static int set_rows(struct shmx__job *job, struct shmx_error *err)
{
	uint64_t rows = 1;
	int ndim = 2, found = 0, rc = 0;

	for (; ndim > 0; ndim--) {
		rc = agree(job, ndim, &rows, &found, err);
		if (rc || found)
			break;
	}
	if (rc)
		return rc;
	job->call.rows = rows;
	for (unsigned i = 0; i < job->ninputs; i++) {
		struct shmx_kernel_input *k = &job->call.in[i];

		k->broadcast = k->shape.ndim < ndim || k->rows != rows;
		job->in[i].broadcast = k->broadcast;
		if (k->broadcast && k->shape.ndim == 1 && ndim == 2) {
			k->cols = k->rows; /* a row, as numpy aligns it */
			k->rows = 1;
		}
	}
	return 0;
}

int shmx__job_inputs(struct shmx__job *job, const char *const *sources,
		     unsigned n, const struct shmx_open_opts *io, int writable,
		     struct shmx_error *err)
{
	struct shmx_open_opts o = io ? *io : (struct shmx_open_opts){ 0 };
	int rc = shmx__op_check_inputs(&job->op, n, err); /* before any open */

	if (rc)
		return rc;
	if (n > SHMX_KERNEL_INPUTS_MAX)
		return shmx__fail(err, SHMX_EUSAGE, "%s: %u inputs, at most %u",
				  job->what, n, SHMX_KERNEL_INPUTS_MAX);
	o.writable = writable;
	for (unsigned i = 0; i < n; i++) {
		job->in[i].spec = sources[i];
		rc = shmx__array_open(sources[i], &o, job->resuming,
				      &job->in[i].array, err);
		if (rc)
			return rc;
		job->ninputs = job->call.ninputs = i + 1;
		describe(job, i);
	}
	return set_rows(job, err);
}

void shmx__job_no_inputs(struct shmx__job *job, uint64_t rows)
{
	job->ninputs = job->call.ninputs = 0;
	job->call.rows = rows;
}

/* ---- the kernel ------------------------------------------------------ */

int shmx__job_op(struct shmx__job *job, const char *spec,
		 struct shmx_error *err)
{
	return shmx__op_open(spec, &job->op, err);
}

int shmx__job_prepare(struct shmx__job *job, enum shmx_axis axis,
		      struct shmx_error *err)
{
	job->call.axis = axis;
	return shmx__op_prepare(&job->op, &job->call, err);
}

/* ---- the plan and the sources --------------------------------------- */

/* Bytes of one row of results that workers write (MAP, ROWS), else 0. */
static uint64_t result_row_bytes(const struct shmx__job *job)
{
	if (job->call.kind == SHMX_KERNEL_REDUCE)
		return 0;
	return shmx__row_bytes(job->call.out_cols,
			       shmx_dtype_size(job->call.out_dtype));
}

/* What a chunk's bytes are counted by: the rows of the inputs it reads,
 * or without any, the rows it writes. */
static uint64_t plan_row_bytes(const struct shmx__job *job)
{
	uint64_t sum = 0;
	int sliced = 0;

	for (unsigned i = 0; i < job->ninputs; i++) {
		if (job->in[i].broadcast)
			continue;
		sliced = 1;
		if (shmx__add_u64(sum, job->in[i].row_bytes, &sum) < 0)
			return UINT64_MAX;
	}
	return sliced ? sum : result_row_bytes(job);
}

int shmx__job_plan(struct shmx__job *job, uint64_t chunk_bytes, int io,
		   unsigned queue_depth, struct shmx_error *err)
{
	job->plan_row_bytes = plan_row_bytes(job);
	job->chunk_bytes = chunk_bytes;
	shmx__plan_make(&job->plan, job->call.rows, job->plan_row_bytes,
			chunk_bytes);
	shmx__job_range(job, 0, job->plan.nchunks);
	for (unsigned i = 0; i < job->ninputs; i++) {
		struct shmx__input *in = &job->in[i];

		in->plan = &job->plan;
		in->queue_depth = queue_depth;
		in->source = in->broadcast
			? &shmx__source_map
			: shmx__io_choose(in->array, io, in->io_note,
					  sizeof(in->io_note));
	}
	job->shared = shmx__shared_map();
	if (!job->shared)
		return shmx__fail(err, -errno, "%s: cannot map the workers' "
				  "messages: %s", job->what, strerror(errno));
	return 0;
}

void shmx__job_range(struct shmx__job *job, uint64_t first, uint64_t end)
{
	job->first = first;
	job->end = end;
}

unsigned shmx__job_workers(const struct shmx__job *job, unsigned asked)
{
	return shmx__workers_for(asked, job->end - job->first);
}

/* ---- the sink -------------------------------------------------------- */

static int streamed(const struct shmx__job *job)
{
	for (unsigned i = 0; i < job->ninputs; i++)
		if (job->in[i].source == &shmx__source_stream)
			return 1;
	return 0;
}

/* A streamed map into a file on a disk streams its writes too, so that a
 * map larger than memory stays bounded (io/writer.h).  Segments and tmpfs
 * files are memory: they are written through the mapping. */
static void choose_writes(struct shmx__job *job)
{
	const struct shmx_target *t = shmx_output_target(job->out);

	if (!streamed(job) || job->call.kind != SHMX_KERNEL_MAP ||
	    t->kind != SHMX_TARGET_FILE ||
	    shmx__on_tmpfs(shmx__output_fd(job->out)))
		return;
	job->sink = &shmx__sink_write;
	job->write_fd = shmx__output_fd(job->out);
	job->reserve = 0;
}

static int map_partials(struct shmx__job *job, struct shmx_error *err)
{
	job->slot_bytes = shmx_kernel_slot_bytes(&job->call);
	if (!job->plan.nchunks)
		return 0;
	if (shmx__mul_u64(job->plan.nchunks, job->slot_bytes,
			  &job->partials_len) < 0)
		return shmx__fail(err, -EOVERFLOW, "too many chunks");
	job->partials = shmx__map_shared(job->partials_len);
	if (!job->partials)
		return shmx__fail(err, -errno,
				  "%s: cannot map partial results: %s",
				  job->what, strerror(errno));
	return 0;
}

static int map_memory(struct shmx__job *job, struct shmx_error *err)
{
	job->anon_len = job->out_bytes;
	if (!job->anon_len)
		return 0;
	job->anon = shmx__map_shared(job->anon_len);
	if (!job->anon)
		return shmx__fail(err, -errno, "%s: cannot map the result: %s",
				  job->what, strerror(errno));
	job->out_data = job->anon;
	job->populate = job->call.kind != SHMX_KERNEL_REDUCE;
	return 0;
}

int shmx__job_sink(struct shmx__job *job, const char *output,
		   const struct shmx_create_opts *create, int in_place,
		   struct shmx_error *err)
{
	int reduce = job->call.kind == SHMX_KERNEL_REDUCE, rc = 0;

	if (shmx_shape_bytes(&job->call.out_shape, job->call.out_dtype,
			     &job->out_bytes) < 0)
		return shmx__fail(err, SHMX_ESHAPE, "result size overflows");
	job->out_row_bytes = result_row_bytes(job);
	job->sink = reduce ? &shmx__sink_partial : &shmx__sink_rows;
	if (reduce)
		rc = map_partials(job, err);
	if (rc)
		return rc;
	if (in_place) {
		job->sink = &shmx__sink_inplace;
		job->in_place = 1;
		job->out_data = shmx_array_data_mut(job->in[0].array);
		job->target_fd = shmx_array_fd(job->in[0].array);
		job->data_foff = shmx_array_data_offset(job->in[0].array);
		return 0;
	}
	if (!output)
		return map_memory(job, err);
	/* rows written by workers are reserved by those workers */
	rc = shmx__output_create(output, job->call.out_dtype,
				 &job->call.out_shape, create, !reduce,
				 &job->out, err);
	if (rc)
		return rc;
	job->out_data = shmx_output_data(job->out);
	job->reserve = !reduce;
	choose_writes(job);
	return 0;
}

int shmx__job_sink_attach(struct shmx__job *job, const char *output,
			  const char *tmp, struct shmx_error *err)
{
	int rc;

	if (job->call.kind == SHMX_KERNEL_REDUCE)
		return shmx__job_sink(job, NULL, NULL, 0, err); /* its slots */
	if (shmx_shape_bytes(&job->call.out_shape, job->call.out_dtype,
			     &job->out_bytes) < 0)
		return shmx__fail(err, SHMX_ESHAPE, "result size overflows");
	job->out_row_bytes = result_row_bytes(job);
	job->sink = &shmx__sink_rows;
	rc = shmx__output_attach(output, tmp, job->call.out_dtype,
				 &job->call.out_shape, &job->out, err);
	if (rc)
		return rc;
	job->out_data = shmx_output_data(job->out);
	job->reserve = 1;
	choose_writes(job);
	return 0;
}

/* The first row of the job's range, and how many rows it has. */
static uint64_t range_row0(const struct shmx__job *job)
{
	return job->first < job->end ? shmx__plan_row0(&job->plan, job->first)
				     : 0;
}

static uint64_t range_rows(const struct shmx__job *job)
{
	const struct shmx__plan *p = &job->plan;

	if (job->first == job->end)
		return 0;
	return shmx__plan_row0(p, job->end - 1) +
	       shmx__plan_nrows(p, job->end - 1) - range_row0(job);
}

/* The range's rows of the results: their offset and length in bytes. */
static void range_bytes(const struct shmx__job *job, uint64_t *off,
			uint64_t *len)
{
	*off = range_row0(job) * job->out_row_bytes;
	*len = range_rows(job) * job->out_row_bytes;
}

int shmx__job_sync(struct shmx__job *job, struct shmx_error *err)
{
	uint64_t off, len;
	char *base;
	int rc = 0;

	if (job->call.kind == SHMX_KERNEL_REDUCE || (!job->out && job->anon))
		return 0; /* in this process's memory */
	range_bytes(job, &off, &len);
	if (job->out) {
		rc = shmx__output_sync(job->out, off, len);
		if (!rc && job->write_fd >= 0 && fdatasync(job->write_fd) < 0)
			rc = -errno;
	} else if (len) { /* in place: the input's own rows */
		base = (char *)job->out_data + off;
		uintptr_t lo = (uintptr_t)base & ~(uintptr_t)4095;

		if (msync((void *)lo, (uintptr_t)(base + len) - lo, MS_SYNC) < 0)
			rc = -errno;
	}
	return rc ? shmx__fail(err, rc, "%s: cannot write the results back: %s",
			       job->what, strerror(-rc)) : 0;
}

/* ---- running it ------------------------------------------------------ */

/* Streamed inputs without --queue-depth keep the bytes in flight the
 * disk needs (io/stream.h), shared out among the workers and the inputs
 * (each worker reads every input's chunk). */
static void stream_depths(struct shmx__job *job, unsigned workers)
{
	uint64_t rows = job->plan.chunk_rows < job->plan.rows
				? job->plan.chunk_rows : job->plan.rows;
	uint64_t chunk = 0;
	unsigned d;

	for (unsigned i = 0; i < job->ninputs; i++)
		if (job->in[i].source == &shmx__source_stream &&
		    !job->in[i].queue_depth)
			chunk += rows * job->in[i].row_bytes;
	if (!chunk)
		return;
	d = shmx__stream_default_depth(workers, chunk, job->plan.nchunks);
	for (unsigned i = 0; i < job->ninputs; i++)
		if (job->in[i].source == &shmx__source_stream &&
		    !job->in[i].queue_depth)
			job->in[i].queue_depth = d;
}

static int compute(struct shmx__job *job, const struct shmx__pool_opts *po,
		   struct shmx__pool_report *rep, struct shmx_error *err)
{
	struct shmx__pool_task task = {
		.plan = &job->plan,
		.worker = shmx__job_worker,
		.ctx = job,
		.bytes_per_row = job->plan_row_bytes,
		.first = job->first,
		.end = job->end,
		.done = job->done,
		.retry = job->journal ? shmx__inplace_retry : NULL,
	};
	int rc;

	if (job->first == job->end) {
		memset(rep, 0, sizeof(*rep));
		return 0;
	}
	rc = shmx__pool_run(&task, po, rep, err);
	/* a worker's own message says more than its error code */
	if (rc && job->shared->failed)
		shmx__fail(err, rc, "%s", job->shared->msg);
	else if (rc == -ENOSPC && job->out) /* reserving its output rows */
		rc = shmx__output_nospace(job->out, err);
	return rc;
}

static int merge(struct shmx__job *job, struct shmx_error *err)
{
	struct shmx_error kerr = { 0 };
	int rc;

	if (job->call.kind != SHMX_KERNEL_REDUCE)
		return 0;

	rc = job->op.kernel->merge(&job->call, job->partials, job->plan.nchunks,
				   job->out_data, &kerr);
	return rc ? shmx__op_failed(&job->op, rc, &kerr, err) : 0;
}

static void fill_notes(const struct shmx__job *job, struct shmx_stats *st)
{
	char *n = st->io_note;
	size_t len = sizeof(st->io_note);

	n[0] = '\0';
	for (unsigned i = 0; i < job->ninputs; i++)
		if (job->in[i].io_note[0])
			shmx__note(n, len, "%s", job->in[i].io_note);
	if (job->shared->read_noted)
		shmx__note(n, len, "%s", job->shared->read_note);
	if (job->sink == &shmx__sink_write)
		shmx__note(n, len, "output streamed by io_uring writes");
	if (job->shared->write_noted)
		shmx__note(n, len, "%s", job->shared->write_note);
}

static void fill_stats(const struct shmx__job *job,
		       struct shmx__pool_report *rep, struct shmx_stats *st)
{
	snprintf(st->op, sizeof(st->op), "%s", job->what);
	st->workers = rep->workers;
	st->spawned = rep->spawned;
	st->deaths = rep->deaths;
	st->chunks = job->end - job->first; /* this process's */
	st->chunk_rows = job->plan.chunk_rows;
	st->rows = range_rows(job);
	st->bytes_in = 0;
	for (unsigned i = 0; i < job->ninputs; i++)
		st->bytes_in += shmx_array_nbytes(job->in[i].array);
	st->bytes_out = job->out_bytes;
	st->worker = rep->w; /* the report's array becomes the stats' */
	rep->w = NULL;
	snprintf(st->io, sizeof(st->io), "%s",
		 !job->ninputs ? "" : streamed(job) ? "stream" : "mmap");
	st->queue_depth = 0;
	for (unsigned i = 0; i < job->ninputs; i++)
		if (job->in[i].source == &shmx__source_stream &&
		    job->in[i].queue_depth > st->queue_depth)
			st->queue_depth = job->in[i].queue_depth;
	fill_notes(job, st);
}

int shmx__job_compute(struct shmx__job *job, const struct shmx_run_opts *o,
		      const char *input, struct shmx_error *err)
{
	struct shmx__pool_opts po = {
		.workers = shmx__job_workers(job, o->workers),
		.retries = o->retries,
		.progress = o->progress,
		.what = job->what,
		.input = input,
		.perf = job->perf.ctl_fd >= 0 ? &job->perf : NULL,
	};
	int rc;

	stream_depths(job, po.workers);
	rc = job->in_place ? shmx__inplace_begin(job, o, po.workers, err) : 0;

	job->t_compute0 = shmx__now();
	if (!rc)
		rc = compute(job, &po, &job->rep, err);
	job->t_compute1 = shmx__now();
	if (job->in_place)
		rc = shmx__inplace_end(job, rc, err);
	return rc;
}

int shmx__job_finish(struct shmx__job *job, const struct shmx_run_opts *o,
		     double t0, struct shmx_stats *st, struct shmx_error *err)
{
	double t2 = shmx__now(), t3;
	int rc = merge(job, err);

	t3 = shmx__now();
	if (!rc && job->out) {
		rc = shmx_output_publish(job->out, err);
		job->out = NULL; /* publish frees it, whatever the result */
	}
	if (!rc && o->want_stats && st) {
		fill_stats(job, &job->rep, st);
		st->setup_s = job->t_compute0 - t0;
		st->compute_s = job->t_compute1 - job->t_compute0;
		st->merge_s = t3 - t2;
		st->publish_s = shmx__now() - t3;
		st->total_s = shmx__now() - t0;
		shmx__stats_finish(st);
	}
	return rc;
}

int shmx__job_execute(struct shmx__job *job, const struct shmx_run_opts *o,
		      const char *input, double t0, struct shmx_stats *st,
		      struct shmx_error *err)
{
	int rc = shmx__job_compute(job, o, input, err);

	return rc ? rc : shmx__job_finish(job, o, t0, st, err);
}

void shmx__job_result(struct shmx__job *job, struct shmx_result *res)
{
	res->dtype = job->call.out_dtype;
	res->shape = job->call.out_shape;
	res->data = job->anon;
	res->priv_map = job->anon;
	res->priv_len = job->anon_len;
	job->anon = NULL; /* the result owns it now */
}

void shmx__job_close(struct shmx__job *job)
{
	shmx__perf_ctl_close(&job->perf);
	shmx__pool_report_free(&job->rep);
	shmx__inplace_close(job);
	shmx_output_discard(job->out);
	if (job->anon)
		munmap(job->anon, job->anon_len);
	if (job->partials)
		munmap(job->partials, job->partials_len);
	shmx__shared_unmap(job->shared);
	for (unsigned i = 0; i < job->ninputs; i++)
		shmx_array_close(job->in[i].array);
	shmx__op_close(&job->op);
	memset(job, 0, sizeof(*job));
}
