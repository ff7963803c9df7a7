/* shmx/run.h - running an operation over an array in parallel.
 *
 *   shmx_run("sum", "shm://data", &opts, &result, &err)
 *
 * maps the source, plans chunks of whole rows (independent of the worker
 * count), forks opts.workers workers that compute their chunks into their
 * own output rows or partial slots, merges partials in chunk order in the
 * parent, and publishes the output atomically (or hands it back in
 * memory).  The result is bit-identical for any worker count.
 *
 * Operations: reductions sum mean min max sumsq var std argmin argmax and
 * nansum nanmean nanmin nanmax nanvar nanstd (with or without an axis);
 * maps square sqrt abs neg exp log scale:K add:K clip:LO:HI cast:DTYPE.
 */
#ifndef SHMX_RUN_H
#define SHMX_RUN_H

#include <stdint.h>
#include "common.h"
#include "error.h"
#include "array.h"
#include "gen.h"
#include "kernel.h" /* enum shmx_axis */
#include "stats.h"

#define SHMX_RETRIES_NONE (-1)

/* opts.io: how the input is read */
#define SHMX_IO_AUTO 0   /* stream a file mostly not in the page cache (or
			    larger than memory), map otherwise */
#define SHMX_IO_MMAP 1   /* map it */
#define SHMX_IO_STREAM 2 /* each worker reads its chunks with its own
			    io_uring and O_DIRECT, prefetching the next ones */

struct shmx_run_opts {
	const char *output;   /* target spec; NULL: result in memory */
	struct shmx_create_opts create;
	struct shmx_open_opts input; /* raw inputs; .writable is set for you */
	enum shmx_axis axis;  /* the zero value: none (reduce everything) */
	unsigned workers;     /* 0: shmx_default_workers() */
	uint64_t chunk_bytes; /* 0: the default (4 MiB) */
	int retries;          /* worker deaths survived: 0 means 1,
				 SHMX_RETRIES_NONE means none */
	int in_place;         /* rewrite the input (maps that keep the dtype) */
	int progress;         /* progress bar on stderr */
	int want_stats;       /* fill result.stats */
	/* "CTL[,ACK]": the FIFOs of `perf stat --control fifo:CTL[,ACK]`;
	 * counters are enabled only while the workers compute (they wait for
	 * the ack), not during setup, fork, merge or publish.  NULL: none. */
	const char *perf_ctl;
	int io;               /* SHMX_IO_* */
	unsigned queue_depth; /* streaming: chunk reads in flight per worker
				 (0: the default, 8) */
};

struct shmx_result {
	enum shmx_dtype dtype;
	struct shmx_shape shape;
	const void *data; /* without an output: the values, else NULL */
	struct shmx_stats stats;
	void *priv_map;   /* internal */
	uint64_t priv_len;
};

/* Run op over source.  0, or a negative code with err filled; on failure
 * nothing is published, no temporary is left, the input is untouched
 * (except --in-place, which rewrites chunks as they complete). */
SHMX_API int shmx_run(const char *op, const char *source,
		      const struct shmx_run_opts *opts,
		      struct shmx_result *result, struct shmx_error *err);
SHMX_API void shmx_result_free(struct shmx_result *r); /* NULL ok */

/* CPUs this process may run on, or $SHMX_WORKERS. */
SHMX_API unsigned shmx_default_workers(void);

/* Generate an array into a new target with opts.workers workers (see
 * shmx/gen.h for the values). */
SHMX_API int shmx_gen(const char *spec, enum shmx_dtype t,
		      const struct shmx_shape *s, enum shmx_fill fill,
		      uint64_t seed, const struct shmx_run_opts *opts,
		      struct shmx_stats *stats, struct shmx_error *err);

#endif
