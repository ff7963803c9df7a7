/* shmx/run.h - running an operation over arrays in parallel.
 *
 *   struct shmx_run_opts o = SHMX_RUN_OPTS_INIT;
 *   o.output = "shm://rowsumsq"; o.axis = SHMX_AXIS_1;
 *   shmx_run("sumsq", "shm://data", &o, &result, &err)
 *
 * maps the sources, plans chunks of whole rows (independent of the worker
 * count), forks opts.workers workers that compute their chunks into their
 * own output rows or partial slots, merges partials in chunk order in the
 * parent, and publishes the output atomically (or hands it back in
 * memory).  The result is bit-identical for any worker count.
 *
 * Operations: the built-in kernels (reductions sum mean min max sumsq var
 * std argmin argmax and nansum nanmean nanmin nanmax nanvar nanstd, with
 * or without an axis; maps square sqrt abs neg exp log scale:K add:K
 * clip:LO:HI cast:DTYPE) and users' kernels, "plugin:PATH.so:NAME"
 * (shmx/kernel.h).
 *
 * Processes and signals.  shmx_run and shmx_gen fork worker processes
 * from the calling thread and wait for them before they return; call them
 * from one thread at a time.  The workers are reaped by pid (the caller's
 * other children are left alone), die with the caller (PR_SET_PDEATHSIG)
 * and never return into the caller's code: they _exit.  While they run,
 * SIGCHLD is blocked in the calling thread and restored afterwards; no
 * signal disposition of the process is changed.  A signal that kills the
 * caller kills the workers; the CLI's shmx_signals_install() also removes
 * the unpublished output first (store: shmx/array.h).
 */
#ifndef SHMX_RUN_H
#define SHMX_RUN_H

#include <stdint.h>
#include "common.h"
#include "error.h"
#include "array.h"
#include "gen.h"
#include "kernel.h"
#include "stats.h"

/* opts.io: how the input is read */
#define SHMX_IO_AUTO 0   /* stream a file mostly not in the page cache (or
			    larger than memory), map otherwise */
#define SHMX_IO_MMAP 1   /* map it */
#define SHMX_IO_STREAM 2 /* each worker reads its chunks with its own
			    io_uring and O_DIRECT, prefetching the next ones */

/* Options.  Start from SHMX_RUN_OPTS_INIT (or shmx_run_opts_init): it
 * sets size, so that a caller built against this header keeps working
 * when later versions append fields, and the defaults that are not zero.
 * A size of 0 is read as this version's layout, so an all-zero struct is
 * accepted too: every field zero, retries included (no retry). */
struct shmx_run_opts {
	uint32_t size;        /* sizeof(struct shmx_run_opts) */
	const char *output;   /* target spec; NULL: result in memory */
	struct shmx_create_opts create;
	struct shmx_open_opts input; /* raw inputs; .writable is set for you */
	enum shmx_axis axis;  /* SHMX_AXIS_NONE (the default), _0, _1 */
	unsigned workers;     /* 0: shmx_default_workers() */
	uint64_t chunk_bytes; /* 0: the default (4 MiB) */
	unsigned retries;     /* worker deaths survived (SHMX_RUN_OPTS_INIT:
				 1); past that the run fails */
	int in_place;         /* rewrite the input (maps that keep the dtype),
				 crash-safe (shmx/journal.h); chunk_bytes 0
				 is 64 MiB then */
	int progress;         /* progress bar on stderr */
	int want_stats;       /* fill result.stats */
	/* "CTL[,ACK]": the FIFOs of `perf stat --control fifo:CTL[,ACK]`;
	 * counters are enabled only while the workers compute (they wait for
	 * the ack), not during setup, fork, merge or publish.  NULL: none. */
	const char *perf_ctl;
	int io;               /* SHMX_IO_* */
	unsigned queue_depth; /* streaming: chunk reads in flight per worker
				 (0: 32 MiB of chunks a worker, 256 MiB
				 for all, at least 2) */
};

#define SHMX_RUN_RETRIES_DEFAULT 1u
#define SHMX_RUN_OPTS_INIT                                                 \
	{ .size = sizeof(struct shmx_run_opts),                           \
	  .retries = SHMX_RUN_RETRIES_DEFAULT }
SHMX_API void shmx_run_opts_init(struct shmx_run_opts *o);

struct shmx_result {
	enum shmx_dtype dtype;
	struct shmx_shape shape;
	const void *data; /* without an output: the values, else NULL */
	struct shmx_stats stats;
	void *priv_map;   /* internal */
	uint64_t priv_len;
};

/* Run op over source (opts NULL: the defaults).  0, or a negative code
 * with err filled; on failure nothing is published, no temporary is
 * left, the input is untouched (except --in-place, which rewrites chunks
 * under a journal: a failed run leaves the input as it was, or
 * interrupted for shmx_resume, shmx/journal.h). */
SHMX_API int shmx_run(const char *op, const char *source,
		      const struct shmx_run_opts *opts,
		      struct shmx_result *result, struct shmx_error *err);
/* The same over n sources (a kernel that takes several inputs).  Inputs
 * have the same rows, or are broadcast: one of fewer dimensions (a 1-D
 * array beside a 2-D one is a row vector, as in numpy) or of one row is
 * seen whole by every row. */
SHMX_API int shmx_run_inputs(const char *op, const char *const *sources,
			     unsigned n, const struct shmx_run_opts *opts,
			     struct shmx_result *result,
			     struct shmx_error *err);
SHMX_API void shmx_result_free(struct shmx_result *r); /* NULL ok */

/* The built-in operations, to list them (`shmx run --help`): the i-th
 * one's form as it is written ("sum", "clip:LO:HI") and, when kind is
 * not NULL, its kind (SHMX_KERNEL_REDUCE or SHMX_KERNEL_MAP); NULL past
 * the last. */
SHMX_API const char *shmx_op_form(unsigned i, enum shmx_kernel_kind *kind);

/* CPUs this process may run on, or $SHMX_WORKERS. */
SHMX_API unsigned shmx_default_workers(void);

/* Generate an array into a new target with opts.workers workers (see
 * shmx/gen.h for the values). */
SHMX_API int shmx_gen(const char *spec, enum shmx_dtype t,
		      const struct shmx_shape *s, enum shmx_fill fill,
		      uint64_t seed, const struct shmx_run_opts *opts,
		      struct shmx_stats *stats, struct shmx_error *err);

#endif
