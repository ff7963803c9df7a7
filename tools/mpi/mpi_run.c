/* tools/mpi/mpi_run.c - `mpirun -n R shmx-mpi run OP SOURCE...`: `shmx
 * run` with the same options, its chunks split over R ranks: the command
 * line checked and parsed on every rank, the run opened (shmx_part_open),
 * then steps.c's steps. */
#include <stdio.h>
#include <string.h>

#include "../cli.h"
#include "steps.h"

/* The parser prints its errors (and --help): capture them, so that the
 * one line comes from one rank. */
static int parse(struct job *j, struct run_args *a, int argc, char **argv)
{
	struct capture cap;
	int rc, captured = capture_begin(&cap, j->r->rank != 0) == 0;

	rc = cmd_run_parse(argc, argv, a);
	if (captured)
		capture_end(&cap, j->msg, sizeof(j->msg));
	return rc;
}

int mpi_run(const struct ranks *r, int argc, char **argv)
{
	struct run_args a = { .o = SHMX_RUN_OPTS_INIT };
	struct job j = { .r = r, .cmd = "run", .o = &a.o };
	int code = ranks_same_argv(argc, argv, j.msg, sizeof(j.msg));

	if ((code = ranks_agree(r, code, j.msg)))
		return code;
	code = parse(&j, &a, argc, argv);
	if ((code = job_agree(&j, code > 0 ? code : 0)))
		return code;
	if (a.op == NULL) /* --help, printed by rank 0 */
		return EXIT_OK;
	memcpy(j.src, a.src, sizeof(j.src));
	j.nsrc = a.nsrc;
	j.stats = a.stats;
	code = job_agree(&j, job_check_targets(&j));
	if (!code)
		code = job_agree(&j, job_failed(&j, shmx_part_open(
			a.op, a.src, a.nsrc, &a.o, &j.p, &j.err)));
	if (!code)
		code = job_steps(&j);
	shmx_part_close(j.p); /* an unpublished temporary goes with it */
	return code;
}
