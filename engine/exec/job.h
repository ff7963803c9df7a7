/* engine/exec/job.h - one run of a kernel, as the engine sees it.
 *
 * `shmx run`, `shmx gen` (and later `shmx eval`) all build a job and hand
 * it to the same pipeline:
 *
 *	inputs ---> sources ---> plan ---> pool of workers ---> kernel ---> sink
 *	(0..32 arrays) (map|stream)  (chunks)  (worker.c: claim,         (rows|write|
 *	                                         read, compute, put)      partial)
 *	                                                 |
 *	                         parent: merge partials in chunk order ---> publish
 *
 * The parent builds everything the workers need before fork (mappings,
 * the kernel call, the partial slots, the shared message page) and reads
 * only the control page and that shared memory afterwards.
 *
 * Rows of a job: the kernel sees every input as a rows x cols matrix.  If
 * any input is 2-D, the 2-D inputs set the job's rows R (each has R rows,
 * or 1); otherwise the 1-D inputs do (each has R elements, or 1); a 0-d
 * input is one row.  An input with other rows than R (one row, or a 1-D
 * input beside a 2-D one) is broadcast: every chunk sees all of it, as
 * numpy's broadcasting would.  A job without inputs (gen) takes R from
 * its output.  The plan cuts R rows by the bytes of a row summed over the
 * inputs that are not broadcast (the output's, without any), so chunks
 * depend only on shapes, dtypes and --chunk.
 */
#ifndef SHMX_EXEC_JOB_H
#define SHMX_EXEC_JOB_H

#include <stdint.h>
#include "shmx/kernel.h"
#include "shmx/run.h"
#include "format/plan.h"
#include "kernels/registry.h"
#include "exec/pool.h"
#include "exec/shared.h"
#include "exec/sink.h"
#include "exec/source.h"

struct shmx__input {
	struct shmx_array *array;      /* owned by the job */
	const char *spec;              /* as the user named it */
	const char *data;              /* its data, mapped */
	uint64_t row_bytes;            /* one row: cols x the dtype's size */
	int broadcast;                 /* every chunk sees all of it */
	const struct shmx__plan *plan; /* the job's */
	const struct shmx__source_ops *source;
	unsigned queue_depth;          /* a stream's reads in flight */
	char io_note[192];             /* why this source ("" if as asked) */
};

struct shmx__job {
	const char *what;              /* names the run: the op as written */
	struct shmx__op op;
	struct shmx_kernel_call call;
	unsigned ninputs;
	struct shmx__input in[SHMX_KERNEL_INPUTS_MAX];
	struct shmx__plan plan;
	uint64_t plan_row_bytes;
	uint64_t first, end;           /* the chunks this process runs:
					* all of them, unless shmx__job_range */

	uint64_t chunk_bytes;          /* as planned (0: the default) */

	/* where results go */
	const struct shmx__sink_ops *sink;
	struct shmx_output *out;       /* a new target, or NULL */
	void *out_data;                /* the result's data: target, input
					* (in place) or memory */
	uint64_t out_row_bytes;        /* MAP, ROWS: a row of results */
	uint64_t out_bytes;
	int reserve;                   /* workers reserve their rows of out */
	int populate;                  /* workers populate their rows */
	void *anon;                    /* an in-memory result */
	uint64_t anon_len;
	char *partials;                /* REDUCE: slot i at i * slot_bytes */
	uint64_t partials_len;
	size_t slot_bytes;
	int write_fd;                  /* shmx__sink_write: the output file */
	struct shmx__shared *shared;

	struct shmx__pool_report rep;  /* shmx__job_compute's */
	double t_compute0, t_compute1; /* when it began and ended */

	/* --in-place: the input rewritten under an undo journal (inplace.c) */
	int in_place;
	int resuming;                  /* shmx_resume: open past the journal */
	struct shmx__journal *journal; /* NULL until the run has one */
	uint8_t *done;                 /* resumed: chunks done before, or NULL */
	int target_fd;                 /* the input's, for its syncs */
	int overwrite_only;            /* rewriting it changes no metadata:
					  one flush a chunk (sink_inplace.c) */
	uint64_t data_foff;            /* its data's offset in the file */
	char op_buf[512];              /* resumed: the op, as the journal has it */

	struct shmx__perf_ctl perf;    /* fds -1 without --perf-ctl */
	struct shmx_error quiet;       /* errors when the caller takes none */
};

/* The caller's run options as this version reads them (run.c): NULL is
 * the defaults, size 0 this version's layout, a smaller size an older
 * caller's (its missing fields zero). */
void shmx__run_opts_read(const struct shmx_run_opts *in,
			 struct shmx_run_opts *o);

/* `shmx run`'s checks, the op, inputs, kernel and plan, in the order a
 * user meets them (run.c): everything but the sink. */
int shmx__run_plan(struct shmx__job *job, const struct shmx_run_opts *o,
		   const char *op, const char *const *sources, unsigned n,
		   struct shmx_error *err);

/* Zero the job; what = the op's name in messages. */
void shmx__job_init(struct shmx__job *job, const char *what);
/* What every public entry does first: init the job, read the caller's
 * options into *o (shmx__run_opts_read), and return where errors go: err,
 * or the job's own report when the caller gave none (kernels write their
 * refusals into it). */
struct shmx_error *shmx__job_begin(struct shmx__job *job, const char *what,
				   const struct shmx_run_opts *opts,
				   struct shmx_run_opts *o,
				   struct shmx_error *err);
/* Open and map sources[0..n) (a writable mapping for --in-place), set
 * the job's rows and broadcasts.  0, or the error of the first that
 * fails. */
int shmx__job_inputs(struct shmx__job *job, const char *const *sources,
		     unsigned n, const struct shmx_open_opts *io, int writable,
		     struct shmx_error *err);
/* A job without inputs of `rows` rows. */
void shmx__job_no_inputs(struct shmx__job *job, uint64_t rows);
/* Resolve the op as written (shmx__op_open): before any input is opened,
 * so that a misspelt op is reported before a file is touched. */
int shmx__job_op(struct shmx__job *job, const char *spec,
		 struct shmx_error *err);
/* Prepare the kernel for the inputs (shmx__op_prepare). */
int shmx__job_prepare(struct shmx__job *job, enum shmx_axis axis,
		      struct shmx_error *err);
/* Plan the chunks and choose each input's source (io: SHMX_IO_*). */
int shmx__job_plan(struct shmx__job *job, uint64_t chunk_bytes, int io,
		   unsigned queue_depth, struct shmx_error *err);
/* Where results go: the input itself (in_place), a new target (output,
 * not NULL) or memory; and the partial slots of a reduction. */
int shmx__job_sink(struct shmx__job *job, const char *output,
		   const struct shmx_create_opts *create, int in_place,
		   struct shmx_error *err);
/* The sink of a process that writes some rows of an output another
 * process created (shmx/part.h): the temporary at tmp, for the target
 * output; and the partial slots of a reduction. */
int shmx__job_sink_attach(struct shmx__job *job, const char *output,
			  const char *tmp, struct shmx_error *err);
/* Run chunks [first, end) only (after shmx__job_plan; the default is
 * every chunk). */
void shmx__job_range(struct shmx__job *job, uint64_t first, uint64_t end);
/* Run the pool over the job's range with o's workers, retries and
 * progress.  0, or the first error. */
int shmx__job_compute(struct shmx__job *job, const struct shmx_run_opts *o,
		      const char *input, struct shmx_error *err);
/* After every chunk is computed (here, or partials imported from
 * elsewhere): merge the partials of every chunk in chunk order, publish,
 * fill st (phases from t0).  0, or the first error; on error nothing is
 * published. */
int shmx__job_finish(struct shmx__job *job, const struct shmx_run_opts *o,
		     double t0, struct shmx_stats *st, struct shmx_error *err);
/* Write the range's rows of a file output (or of the input rewritten in
 * place) back to the file and wait, for a publisher on another host.
 * 0, or the error. */
int shmx__job_sync(struct shmx__job *job, struct shmx_error *err);
/* Run the pool over every chunk with o's workers, retries and progress,
 * merge, publish (shmx__job_compute, then shmx__job_finish).  input names what a SIGBUS came from (NULL: "the
 * input").  Phase times (from t0, when the caller began) and the
 * workers' figures go to st (when o->want_stats).  0, or the first error;
 * on error nothing is published. */
int shmx__job_execute(struct shmx__job *job, const struct shmx_run_opts *o,
		      const char *input, double t0, struct shmx_stats *st,
		      struct shmx_error *err);
/* Workers to start for opts.workers (0: the default) and the plan. */
unsigned shmx__job_workers(const struct shmx__job *job, unsigned asked);
/* Hand the in-memory result to res (the job no longer owns it). */
void shmx__job_result(struct shmx__job *job, struct shmx_result *res);
/* Close what the job holds; discards an unpublished output. */
void shmx__job_close(struct shmx__job *job);

/* --in-place (inplace.c): before the pool, the journal (or none for an
 * empty array); after it, rc the pool's result: on success the journal
 * goes; on failure the rows in progress are rolled back, and the journal
 * goes too when no chunk was done (the message then says the input is
 * unchanged) or stays for shmx resume (the message says so). */
int shmx__inplace_begin(struct shmx__job *job, const struct shmx_run_opts *o,
			unsigned lanes, struct shmx_error *err);
int shmx__inplace_end(struct shmx__job *job, int rc, struct shmx_error *err);
/* The pool's retry hook: roll a dead worker's rows back (pool.h). */
int shmx__inplace_retry(void *ctx, unsigned lane, struct shmx_error *err);
void shmx__inplace_close(struct shmx__job *job);

/* A pool worker (ctx: the job): claims chunks, reads their rows from
 * every source, runs the kernel into the sink (worker.c). */
int shmx__job_worker(void *ctx, struct shmx__claimer *k);

#endif
