/* engine/run.c - `shmx run`: source -> plan -> pool -> kernel -> sink ->
 * merge -> publish, with each phase timed.
 *
 * Where rows come from (the source, source.c): the input's mapping, or,
 * for a file not in the page cache, each worker's own stream of reads
 * (stream.c) that it claims ahead of computing.
 *
 * Where results go (the sink):
 *   maps, --axis 1   each worker writes its own rows of the output
 *   other reductions each chunk writes its own 64-byte-aligned partial
 *                    slot; the parent merges them in chunk order
 *   the output is a published target, the input itself (--in-place), or
 *   an anonymous shared mapping handed back to the caller.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "shmx/npy.h"
#include "shmx/run.h"
#include "kernels/registry.h"
#include "base/fault.h"
#include "store/output.h"
#include "format/plan.h"
#include "exec/pool.h"
#include "exec/source.h"
#include "base/internal.h"

struct run {
	const struct shmx_run_opts *o;
	struct shmx_array *in;
	struct shmx__op op;
	struct shmx_kernel_call call;
	size_t slot_bytes; /* a chunk's partial slot, rounded */
	struct shmx__plan plan;
	const char *in_data;
	uint64_t row_bytes;
	struct shmx_output *out; /* a target being written */
	void *out_data;          /* where results are written */
	void *anon;              /* in-memory result */
	uint64_t anon_len, out_bytes;
	char *partials;
	uint64_t partials_len;
	struct shmx__perf_ctl perf; /* fds -1 without --perf-ctl */
	enum shmx__io io;
	char io_note[192];
	struct shmx__stream_src stream;
	struct shmx__src_shared *shared; /* streaming: workers' notes */
};

/* Memory the workers write and the parent reads (NULL, errno set). */
static void *map_shared(uint64_t len)
{
	void *p;

	if (shmx__fault_hit("mmap"))
		return errno = ENOMEM, NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		 -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

unsigned shmx_default_workers(void)
{
	return shmx__default_workers();
}

/* Bytes of output per input row when workers write the output directly
 * (kinds MAP and ROWS), else 0. */
static uint64_t out_row_bytes(const struct shmx_kernel_call *c)
{
	if (c->kind == SHMX_KERNEL_REDUCE)
		return 0;
	return shmx__row_bytes(c->out_cols, shmx_dtype_size(c->out_dtype));
}

/* The output rows of this chunk: reserved (a target) or populated
 * (memory, or the input itself) before the kernel writes them. */
static int prepare_out_rows(struct run *r, uint64_t row0, uint64_t nrows)
{
	uint64_t w = out_row_bytes(&r->call);

	if (r->out)
		return shmx__output_reserve(r->out, row0 * w, nrows * w);
	if (r->out_data && !r->o->in_place)
		shmx__populate((char *)r->out_data + row0 * w, nrows * w, 1);
	return 0;
}

/* In a worker: the kernel's chunk() failed.  Its message goes to the
 * parent through the notes page (the first one wins); the pool fails the
 * run with the code. */
static int chunk_failed(struct run *r, int rc, const struct shmx_error *kerr)
{
	struct shmx_error e = { 0 };
	int expect = 0;

	rc = shmx__op_failed(&r->op, rc, kerr, &e);
	if (r->shared &&
	    atomic_compare_exchange_strong(&r->shared->failed, &expect, 1))
		snprintf(r->shared->msg, sizeof(r->shared->msg), "%s", e.msg);
	return rc;
}

/* Rows [row0, row0 + nrows) of chunk `chunk`, wherever they came from,
 * through the kernel into the sink. */
static int compute_rows(void *ctx, uint64_t chunk, uint64_t row0,
			uint64_t nrows, const char *rows, void *out)
{
	struct run *r = ctx;
	const void *in[1] = { rows };
	uint64_t w = out_row_bytes(&r->call);
	struct shmx_chunk k = {
		.index = chunk, .row0 = row0, .nrows = nrows, .in = in,
		.partial = r->partials ? r->partials + chunk * r->slot_bytes
				       : NULL,
	};
	struct shmx_error err = { 0 };
	int rc;

	if (out) { /* a map whose rows a writer streams: rows row0.. at out */
		k.out = out;
	} else if (w) {
		if ((rc = prepare_out_rows(r, row0, nrows)))
			return rc;
		k.out = (char *)r->out_data + row0 * w;
	}
	/* The input is left to fault-around (16 pages a fault): measured on
	 * a 2 GiB segment, sum -j 2, MADV_POPULATE_READ per chunk was slower
	 * (0.184-0.193 s vs 0.169-0.179 s).  Outputs are populated: writing
	 * through faults was up to 4x slower than MADV_POPULATE_WRITE. */
	rc = r->op.kernel->chunk(&r->call, &k, &err);
	return rc ? chunk_failed(r, rc, &err) : 0;
}

static int compute_chunk(void *ctx, uint64_t chunk, uint64_t row0,
			 uint64_t nrows)
{
	struct run *r = ctx;

	return compute_rows(r, chunk, row0, nrows,
			    r->in_data + row0 * r->row_bytes, NULL);
}

/* Choose mmap or stream; a stream needs its shared notes page. */
static int choose_source(struct run *r, const char *source,
			 struct shmx_error *err)
{
	if (r->o->io < SHMX_IO_AUTO || r->o->io > SHMX_IO_STREAM)
		return shmx__fail(err, SHMX_EUSAGE, "bad io mode");
	if (r->o->in_place && r->o->io == SHMX_IO_STREAM)
		return shmx__fail(err, SHMX_EUSAGE,
				  "--in-place rewrites the mapping: it cannot "
				  "be used with --io stream");
	r->io = r->o->in_place ? SHMX__IO_MMAP
			       : shmx__io_choose(r->in, r->o->io, r->io_note,
						 sizeof(r->io_note));
	/* the workers' notes: a stream's, or a plugin's chunk() errors */
	if (r->io != SHMX__IO_STREAM && !r->op.dl)
		return 0;
	r->shared = map_shared(sizeof(*r->shared));
	if (!r->shared)
		return shmx__fail(err, -errno, "%s: cannot map the workers' "
				  "notes: %s", source, strerror(errno));
	if (r->io != SHMX__IO_STREAM)
		return 0;
	r->stream = (struct shmx__stream_src){
		.fd = shmx_array_fd(r->in),
		.data_offset = shmx_array_data_offset(r->in),
		.file_size = shmx_array_data_offset(r->in) + shmx_array_nbytes(r->in),
		.plan = &r->plan, .row_bytes = r->row_bytes,
		.queue_depth = r->o->queue_depth, .what = source,
		.compute = compute_rows, .ctx = r, .shared = r->shared,
		.out_fd = -1,
	};
	return 0;
}

/* A streamed map into a file on a disk streams its writes too, so that a
 * map larger than memory stays bounded (writer.h).  Segments and tmpfs
 * files are memory: they are written through the mapping. */
static void choose_writes(struct run *r)
{
	const struct shmx_target *t;

	if (r->io != SHMX__IO_STREAM || !r->out ||
	    r->call.kind != SHMX_KERNEL_MAP)
		return;
	t = shmx_output_target(r->out);
	if (t->kind != SHMX_TARGET_FILE || shmx__on_tmpfs(shmx__output_fd(r->out)))
		return;
	r->stream.out_fd = shmx__output_fd(r->out);
	r->stream.out_offset = SHMX_NPY_DATA_OFFSET;
	r->stream.out_row_bytes = out_row_bytes(&r->call);
	r->stream.out_what = t->spec;
}

static int check_in_place(struct run *r, struct shmx_error *err)
{
	const struct shmx_kernel_call *c = &r->call;

	if (c->kind != SHMX_KERNEL_MAP)
		return shmx__fail(err, SHMX_EUSAGE,
				  "--in-place needs an element-wise map, not "
				  "the reduction '%s'",
				  r->op.kernel->name);
	if (c->out_dtype != c->in[0].dtype || c->out_cols != c->in[0].cols)
		return shmx__fail(err, SHMX_EUSAGE,
				  "--in-place needs a map that keeps the dtype "
				  "(%s gives %s from %s)",
				  r->op.kernel->name,
				  shmx_dtype_name(c->out_dtype),
				  shmx_dtype_name(c->in[0].dtype));
	if (r->o->output)
		return shmx__fail(err, SHMX_EUSAGE,
				  "--in-place and -o cannot be used together");
	return 0;
}

/* Decide where results go: the input, a new target, or memory. */
static int open_sink(struct run *r, const char *op, struct shmx_error *err)
{
	int rc;

	if (shmx_shape_bytes(&r->call.out_shape, r->call.out_dtype,
			     &r->out_bytes) < 0)
		return shmx__fail(err, SHMX_ESHAPE, "result size overflows");
	if (r->o->in_place) {
		r->out_data = shmx_array_data_mut(r->in);
		return 0;
	}
	if (r->o->output) {
		/* rows written by workers are reserved by those workers */
		rc = shmx__output_create(r->o->output, r->call.out_dtype,
					 &r->call.out_shape, &r->o->create,
					 out_row_bytes(&r->call) != 0, &r->out, err);
		if (!rc)
			r->out_data = shmx_output_data(r->out);
		return rc;
	}
	r->anon_len = r->out_bytes;
	if (!r->anon_len)
		return 0;
	r->anon = map_shared(r->anon_len);
	if (!r->anon)
		return shmx__fail(err, -errno, "%s: cannot map the result: %s",
				  op, strerror(errno));
	r->out_data = r->anon;
	return 0;
}

/* The call's input half: the one input array, the axis. */
static void fill_call(struct run *r)
{
	const struct shmx_shape *s = shmx_array_shape(r->in);

	r->call.size = sizeof(r->call);
	r->call.ninputs = 1;
	r->call.in[0] = (struct shmx_kernel_input){
		.dtype = shmx_array_dtype(r->in), .shape = *s,
		.rows = shmx_shape_rows(s), .cols = shmx_shape_cols(s),
	};
	r->call.rows = r->call.in[0].rows;
	r->call.axis = r->o->axis;
}

static int setup(struct run *r, const char *op, const char *source,
		 struct shmx_error *err)
{
	struct shmx_open_opts io = r->o->input;
	int rc;

	if ((unsigned)r->o->axis > SHMX_AXIS_1)
		return shmx__fail(err, SHMX_EUSAGE, "bad axis");
	io.writable = r->o->in_place;
	/* a misspelt op is reported before any file is touched */
	rc = shmx__op_open(op, &r->op, err);
	if (!rc)
		rc = shmx_array_open(source, &io, &r->in, err);
	if (!rc) {
		fill_call(r);
		rc = shmx__op_prepare(&r->op, &r->call, err);
	}
	if (!rc && r->o->in_place)
		rc = check_in_place(r, err);
	if (!rc && r->o->perf_ctl)
		rc = shmx__perf_ctl_open(r->o->perf_ctl, &r->perf, err);
	if (rc)
		return rc;
	r->in_data = r->o->in_place ? shmx_array_data_mut(r->in)
				    : shmx_array_data(r->in);
	r->row_bytes = shmx__row_bytes(r->call.in[0].cols,
				       shmx_dtype_size(r->call.in[0].dtype));
	shmx__plan_make(&r->plan, r->call.rows, r->row_bytes, r->o->chunk_bytes);
	rc = choose_source(r, source, err);
	if (rc)
		return rc;
	if (r->call.kind == SHMX_KERNEL_REDUCE)
		r->slot_bytes = shmx_kernel_slot_bytes(&r->call);
	if (r->slot_bytes && r->plan.nchunks) {
		if (shmx__mul_u64(r->plan.nchunks, r->slot_bytes,
				  &r->partials_len) < 0)
			return shmx__fail(err, -EOVERFLOW, "too many chunks");
		r->partials = map_shared(r->partials_len);
		if (!r->partials)
			return shmx__fail(err, -errno,
					  "%s: cannot map partial results: %s",
					  op, strerror(errno));
	}
	rc = open_sink(r, op, err);
	if (!rc)
		choose_writes(r);
	return rc;
}

static void teardown(struct run *r)
{
	shmx__perf_ctl_close(&r->perf);
	shmx_output_discard(r->out);
	if (r->partials)
		munmap(r->partials, r->partials_len);
	if (r->shared)
		munmap(r->shared, sizeof(*r->shared));
	shmx_array_close(r->in);
	shmx__op_close(&r->op);
}


static void fill_stats(struct run *r, const char *op,
		       struct shmx__pool_report *rep, struct shmx_stats *st)
{
	char *n = st->io_note;

	snprintf(st->op, sizeof(st->op), "%s", op);
	st->workers = rep->workers;
	st->spawned = rep->spawned;
	st->deaths = rep->deaths;
	st->chunks = r->plan.nchunks;
	st->chunk_rows = r->plan.chunk_rows;
	st->rows = r->plan.rows;
	st->bytes_in = shmx_array_nbytes(r->in);
	st->bytes_out = r->out_bytes;
	st->worker = rep->w; /* the report's array becomes the stats' */
	rep->w = NULL;
	snprintf(st->io, sizeof(st->io), "%s",
		 r->io == SHMX__IO_STREAM ? "stream" : "mmap");
	n[0] = '\0';
	if (r->io_note[0])
		shmx__note(n, sizeof(st->io_note), "%s", r->io_note);
	if (r->shared && r->shared->noted)
		shmx__note(n, sizeof(st->io_note), "%s", r->shared->note);
	if (r->io == SHMX__IO_STREAM && r->stream.out_fd >= 0)
		shmx__note(n, sizeof(st->io_note), "output streamed by io_uring writes");
	if (r->shared && r->shared->wnoted)
		shmx__note(n, sizeof(st->io_note), "%s", r->shared->wnote);
}

static int compute(struct run *r, const char *op, struct shmx__pool_report *rep,
		   struct shmx_error *err)
{
	struct shmx__pool_task task = {
		.plan = &r->plan, .run = compute_chunk, .ctx = r,
		.bytes_per_row = r->row_bytes,
	};
	int rc;

	if (r->io == SHMX__IO_STREAM) {
		task.worker = shmx__stream_worker;
		task.ctx = &r->stream;
	}
	struct shmx__pool_opts po = {
		.workers = shmx__workers_for(r->o->workers, r->plan.nchunks),
		.retries = shmx__retries_for(r->o->retries),
		.progress = r->o->progress,
		.what = op,
		.input = shmx_array_target(r->in)->spec,
		.perf = r->perf.ctl_fd >= 0 ? &r->perf : NULL,
	};

	if (!r->plan.nchunks) {
		memset(rep, 0, sizeof(*rep));
		return 0;
	}
	rc = shmx__pool_run(&task, &po, rep, err);
	/* a worker's own message says more than its error code */
	if (rc && r->shared && r->shared->failed)
		shmx__fail(err, rc, "%s", r->shared->msg);
	else if (rc == -ENOSPC && r->out) /* reserving its output rows */
		rc = shmx__output_nospace(r->out, err);
	return rc;
}

/* The parent folds the partials into the output (reductions). */
static int merge(struct run *r, struct shmx_error *err)
{
	struct shmx_error kerr = { 0 };
	int rc = r->op.kernel->merge(&r->call, r->partials, r->plan.nchunks,
				     r->out_data, &kerr);

	return rc ? shmx__op_failed(&r->op, rc, &kerr, err) : 0;
}

int shmx_run(const char *op, const char *source,
	     const struct shmx_run_opts *opts, struct shmx_result *res,
	     struct shmx_error *err)
{
	static const struct shmx_run_opts defaults;
	struct run r = { .o = opts ? opts : &defaults,
			 .perf = { .ctl_fd = -1, .ack_fd = -1 } };
	struct shmx__pool_report rep = { 0 };
	double t0 = shmx__now(), t1, t2, t3;
	int rc;

	memset(res, 0, sizeof(*res));
	rc = setup(&r, op, source, err);
	t1 = shmx__now();
	if (!rc)
		rc = compute(&r, op, &rep, err);
	t2 = shmx__now();
	if (!rc && r.call.kind == SHMX_KERNEL_REDUCE)
		rc = merge(&r, err);
	t3 = shmx__now();
	if (!rc && r.out) {
		rc = shmx_output_publish(r.out, err);
		r.out = NULL; /* publish frees it, whatever the result */
	}
	if (!rc && r.o->want_stats) {
		fill_stats(&r, op, &rep, &res->stats);
		res->stats.setup_s = t1 - t0;
		res->stats.compute_s = t2 - t1;
		res->stats.merge_s = t3 - t2;
		res->stats.publish_s = shmx__now() - t3;
		res->stats.total_s = shmx__now() - t0;
		res->stats.gb_per_s = res->stats.compute_s > 0
			? (double)res->stats.bytes_in / res->stats.compute_s / 1e9 : 0;
	}
	shmx__pool_report_free(&rep);
	if (!rc) {
		res->dtype = r.call.out_dtype;
		res->shape = r.call.out_shape;
		res->data = r.o->output || r.o->in_place ? NULL : r.anon;
		res->priv_map = r.anon;
		res->priv_len = r.anon_len;
	} else if (r.anon) {
		munmap(r.anon, r.anon_len);
	}
	teardown(&r);
	return rc;
}

void shmx_result_free(struct shmx_result *res)
{
	if (!res)
		return;
	if (res->priv_map)
		munmap(res->priv_map, res->priv_len);
	shmx_stats_free(&res->stats);
	memset(res, 0, sizeof(*res));
}
