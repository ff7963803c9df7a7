/* tools/mpi/steps.h - the steps of one shmx/part.h run across the ranks,
 * which shmx-mpi's commands share (steps.c): `run` and `eval` differ only
 * in their command line and in how they open the part. */
#ifndef SHMX_MPI_STEPS_H
#define SHMX_MPI_STEPS_H

#include <shmx/shmx.h>
#include "ranks.h"

struct job {
	const struct ranks *r;
	const char *cmd;               /* "run", "eval": in the refusals */
	struct shmx_run_opts *o;       /* as parsed */
	const char *src[SHMX_KERNEL_INPUTS_MAX];
	unsigned nsrc;
	int stats;
	struct shmx_part *p;
	struct shmx_part_layout l;     /* the current step's */
	uint64_t c0, c1;               /* this rank's chunks of the step */
	uint64_t chunks, mine;   /* --stats: the last step with chunks */
	double collect_s;        /* rank 0: the gathers (or sync) and waits */
	uint64_t collect_bytes;  /* what the gathers moved into rank 0 */
	struct shmx_error err;
	char msg[SHMX_ERROR_MSG_MAX + 128];
};

/* The exit code of the library's rc (0, EXIT_USAGE, EXIT_RUNTIME), its
 * message into j->msg. */
int job_failed(struct job *j, int rc);
/* ranks_agree with j's message. */
int job_agree(struct job *j, int code);
/* What cannot work across hosts: segments, --in-place, --perf-ctl.  0 or
 * EXIT_USAGE with j->msg (not agreed yet). */
int job_check_targets(struct job *j);
/* After j->p is opened on every rank (agreed): its passes, then its main
 * step: sink, chunks, gathers, and rank 0's merge, publish and print.
 * The job's agreed code. */
int job_steps(struct job *j);

#endif
