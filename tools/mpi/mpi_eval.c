/* tools/mpi/mpi_eval.c - `mpirun -n R shmx-mpi eval EXPR [SOURCE |
 * NAME=SOURCE]...`: `shmx eval` with the same options, each of its steps
 * (the passes its reductions over columns or the whole array need, then
 * the main one) split over R ranks: the command line checked and parsed
 * on every rank, the expression compiled on every rank
 * (shmx_part_eval_open: a bad one fails on all of them alike, before any
 * worker starts), then steps.c's steps. */
#include <stdio.h>

#include "../cli.h"
#include "steps.h"

static int parse(struct job *j, struct eval_args *a, int argc, char **argv)
{
	struct capture cap;
	int rc, captured = capture_begin(&cap, j->r->rank != 0) == 0;

	rc = cmd_eval_parse(argc, argv, a);
	if (captured)
		capture_end(&cap, j->msg, sizeof(j->msg));
	return rc;
}

int mpi_eval(const struct ranks *r, int argc, char **argv)
{
	struct eval_args a = { .o = SHMX_RUN_OPTS_INIT };
	struct job j = { .r = r, .cmd = "eval", .o = &a.o };
	int code = ranks_same_argv(argc, argv, j.msg, sizeof(j.msg));

	if ((code = ranks_agree(r, code, j.msg)))
		return code;
	code = parse(&j, &a, argc, argv);
	if (code < 0) /* --help, printed by rank 0 */
		return job_agree(&j, 0);
	if ((code = job_agree(&j, code)))
		return code;
	for (unsigned i = 0; i < a.n; i++)
		j.src[i] = a.in[i].source;
	j.nsrc = a.n;
	j.stats = a.stats;
	code = job_agree(&j, job_check_targets(&j));
	if (!code)
		code = job_agree(&j, job_failed(&j, shmx_part_eval_open(
			a.expr, a.in, a.n, &a.o, &j.p, &j.err)));
	if (!code)
		code = job_steps(&j);
	shmx_part_close(j.p); /* an unpublished temporary goes with it */
	return code;
}
