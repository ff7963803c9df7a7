/* engine/exec/pool.h - forked workers over chunks, supervised.
 *
 * The parent maps everything the workers need (input, output, partial
 * slots) before fork; workers inherit the MAP_SHARED mappings, claim chunk
 * numbers from an atomic cursor in a shared control page (exec/claim.h),
 * run the task's function on each, and _exit.  The parent reaps them: a
 * worker that dies has its unfinished chunks handed to a replacement, up
 * to `retries` deaths; past that the run fails naming the worker, its
 * signal and its rows.  A worker that takes SIGBUS on a mapping (a file
 * truncated under the run) is not retried: the run fails with
 * SHMX_ETRUNCATED.  Workers die with the parent (PR_SET_PDEATHSIG).  The
 * parent waits for its own workers by pid, so the caller's other children
 * are left alone.  Fork only from the main thread of a single-threaded
 * process.
 *
 * The pieces, one file each in exec/: claim.c (control page, claim
 * protocol), pool.c (spawning and supervision), progress.c (the bar),
 * perfctl.c (perf stat's control protocol and the start gate), workers.c
 * (the default worker count).
 */
#ifndef SHMX_ENGINE_POOL_H
#define SHMX_ENGINE_POOL_H

#include <stdint.h>
#include <sys/types.h>
#include "shmx/error.h"
#include "shmx/stats.h"
#include "format/plan.h"
#include "exec/claim.h"
#include "exec/perfctl.h"

/* Compute one chunk.  Runs in a worker.  0, or a negative code: the
 * worker then stops and the run fails with that code (not retried). */
typedef int (*shmx__chunk_fn)(void *ctx, uint64_t chunk, uint64_t row0,
			      uint64_t nrows);

/* A worker's whole loop, for sources that claim ahead (streaming): claim,
 * compute, claim_done until claim says none is left.  Runs in the worker.
 * 0, or a negative code that fails the run. */
typedef int (*shmx__worker_fn)(void *ctx, struct shmx__claimer *k);

struct shmx__pool_task {
	const struct shmx__plan *plan;
	shmx__chunk_fn run;      /* per chunk, used when worker is NULL */
	shmx__worker_fn worker;  /* or the whole loop */
	void *ctx;
	uint64_t bytes_per_row; /* for the progress bar's rate */
	/* The chunks to run, [first, end): end 0 means every chunk of the
	 * plan (a split run gives each process a range: shmx/part.h). */
	uint64_t first, end;

	/* NULL, or nchunks flags: chunks already done (a resumed run) */
	const uint8_t *done;
	/* NULL, or called in the parent after a worker of `lane` died and
	 * before its chunks are freed for its replacement (which takes the
	 * same lane): an --in-place run rolls its rows back there.  0, or
	 * an error that fails the run. */
	int (*retry)(void *ctx, unsigned lane, struct shmx_error *err);
};

struct shmx__pool_opts {
	unsigned workers;  /* >= 1 */
	unsigned retries;  /* worker deaths survived */
	int progress;      /* draw a bar on stderr (when it is a terminal) */
	const char *what;  /* names the run in messages */
	/* names the mapped input in the message of a worker that takes
	 * SIGBUS (the input shrank during the run); NULL: "the input" */
	const char *input;
	/* `perf stat --control`, or NULL: "enable" is sent once the workers
	 * exist (they wait for it), "disable" after the last is reaped. */
	const struct shmx__perf_ctl *perf;
};

struct shmx__pool_report {
	unsigned workers;  /* started at first */
	unsigned spawned;  /* including replacements */
	unsigned deaths;
	struct shmx_worker_stats *w; /* spawned entries; free with _free,
				      or take it and set NULL */
	double compute_s;  /* first fork to last reap */
};

/* Run every chunk of the task's range to completion.  0 when every one
 * is done;
 * SHMX_EWORKER (message filled), SHMX_ETRUNCATED (a worker took SIGBUS:
 * the input shrank), -EAGAIN when fork fails, or the code a chunk
 * function returned.  rep may be NULL. */
int shmx__pool_run(const struct shmx__pool_task *t,
		   const struct shmx__pool_opts *o,
		   struct shmx__pool_report *rep, struct shmx_error *err);
void shmx__pool_report_free(struct shmx__pool_report *rep);

/* Workers to start: asked (0: the default), at most one per chunk, at
 * least one (workers.c). */
unsigned shmx__workers_for(unsigned asked, uint64_t nchunks);

/* CPUs this process may run on ($SHMX_WORKERS overrides; workers.c). */
unsigned shmx__default_workers(void);

#endif
