/* shmx/stats.h - what a run did and how long each phase took.
 *
 * Phases: setup (open, plan, create the output), compute (first fork to
 * the last worker reaped), merge (partials folded in the parent), publish
 * (rename into place), total.  Per worker: its pid, chunks, rows, and
 * where its time went.  In the JSON, per worker:
 *
 *   seconds   start to exit                  compute  inside chunk work
 *   user,sys  CPU (sys: page faults, output  wait     seconds - user - sys:
 *             reservation)                            off CPU (I/O, preempted)
 *   idle      seconds - compute: claiming, the perf gate, the rescue pass
 *   page_faults
 *
 * gb_per_s is the throughput of the compute phase, the same for every
 * command: (bytes_in + bytes_out) / compute_s / 1e9, the bytes the workers
 * read plus the bytes of output they wrote, per second of the phase in
 * which they ran; 0 when compute_s is 0 (nothing to compute).  Setup,
 * merge and publish are left out: they are their own fields.  (run sums
 * the input and its output, so a map counts both sides; gen reads
 * nothing and counts what it wrote; a reduction's few output bytes add
 * next to nothing.)
 */
#ifndef SHMX_STATS_H
#define SHMX_STATS_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "common.h"

struct shmx_worker_stats {
	pid_t pid;
	uint64_t chunks, rows;
	double compute_s; /* inside chunk computations */
	double busy_s;    /* start to exit (0 if it died) */
	double user_s;    /* CPU in user mode */
	double sys_s;     /* CPU in the kernel: mostly page faults and
			     reserving output pages */
	uint64_t faults;  /* page faults, minor and major */
	double io_wait_s; /* streaming: blocked waiting for reads */
	uint64_t bytes_read; /* streaming: bytes read from the file */
	double write_wait_s; /* streamed output: blocked waiting for writes */
	uint64_t bytes_written; /* streamed output: bytes written */
	int died;         /* killed or failed; its chunks were rerun */
};

struct shmx_stats {
	char op[64];
	unsigned workers;  /* started at first */
	unsigned spawned;  /* with replacements */
	unsigned deaths;
	uint64_t chunks, chunk_rows, rows, bytes_in, bytes_out;
	double setup_s, compute_s, merge_s, publish_s, total_s;
	double gb_per_s; /* (bytes_in + bytes_out) / compute_s / 1e9 */
	char io[8];        /* "mmap" or "stream" */
	char io_note[400]; /* why, and any fallback taken ("" if none) */
	struct shmx_worker_stats *worker; /* spawned entries */
	unsigned queue_depth; /* streamed: chunk reads in flight a worker (0: mapped) */
};

/* One JSON object on one line, then '\n': every field above and per
 * worker, numbers in plain decimal (a number that is not finite prints
 * as 0, so the line is always valid JSON). */
SHMX_API void shmx_stats_print_json(const struct shmx_stats *s, FILE *f);
/* Free what the stats own (the worker array).  NULL ok. */
SHMX_API void shmx_stats_free(struct shmx_stats *s);

#endif
