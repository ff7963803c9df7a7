/* engine/exec/eval_job.h - the steps of `shmx eval` (eval.c), which
 * shmx_eval takes in one process and a run split over processes
 * (part.c, shmx/part.h) takes one by one:
 *
 *	open         the inputs opened, the expression compiled and lowered
 *	             (every error of the expression, before any worker)
 *	builtin      or: the built-in op that computes it (shmx_run's job)
 *	pass k       a job over the open inputs whose chunks fill partial
 *	             slots; its merge (the kernel's) makes pass k's values,
 *	             and pass_done the constants they give
 *	main         the job of the result's rows (MAP or ROWS), or, when
 *	             the result is a constant, publish_const
 */
#ifndef SHMX_EXEC_EVAL_JOB_H
#define SHMX_EXEC_EVAL_JOB_H

#include "shmx/eval.h"
#include "expr/eval.h"
#include "exec/job.h"

struct shmx__eval;

/* o: the caller's options as read (shmx__job_begin).  *ev is set even on
 * error (or NULL): shmx__eval_close it. */
int shmx__eval_open(const char *expr, const struct shmx_eval_input *inputs,
		    unsigned n, const struct shmx_run_opts *o,
		    struct shmx__eval **ev, struct shmx_error *err);
void shmx__eval_close(struct shmx__eval *ev);

/* The built-in op whose tuned kernel computes the expression as the
 * evaluator would, its axis and its one source; NULL when there is none. */
const char *shmx__eval_builtin(const struct shmx__eval *ev,
			       enum shmx_axis *axis, const char **source);

unsigned shmx__eval_passes(const struct shmx__eval *ev);
struct shmx__prog *shmx__eval_prog(struct shmx__eval *ev);
/* Pass k's job, planned, its slots mapped, over the open inputs (which it
 * borrows): run it, merge, then shmx__eval_pass_close and
 * shmx__eval_pass_done. */
int shmx__eval_pass_job(struct shmx__eval *ev, unsigned k,
			const struct shmx_run_opts *o, struct shmx__job *pj,
			struct shmx_error *err);
void shmx__eval_pass_close(struct shmx__job *pj);
int shmx__eval_pass_done(struct shmx__eval *ev, unsigned k,
			 struct shmx_error *err);

/* After the passes, a rowwise result (shmx__prog_rowwise): the main job,
 * planned (its sink is the caller's); the eval owns it. */
int shmx__eval_main_job(struct shmx__eval *ev, const struct shmx_run_opts *o,
			struct shmx__job **main, struct shmx_error *err);
/* Otherwise the result is a constant: published to o->output, or handed
 * back in memory. */
int shmx__eval_publish_const(struct shmx__eval *ev,
			     const struct shmx_run_opts *o,
			     struct shmx_result *res, struct shmx_error *err);

#endif
