/* shmx/eval.h - evaluating a numpy expression over arrays in parallel.
 *
 *   struct shmx_eval_input in[] = { { "x", "shm://data" } };
 *   struct shmx_run_opts o = SHMX_RUN_OPTS_INIT;
 *   o.output = "shm://dist";
 *   shmx_eval("sqrt(sum((x - 0.5)**2, axis=1))", in, 1, &o, &result, &err)
 *
 * binds each input to its name, compiles the expression with numpy 1.24's
 * rules (dtype and shape of every step, checked before any worker
 * starts), runs the passes its reductions over columns or the whole array
 * need, then one fused pass over the rows, chunk by chunk in blocks that
 * stay in the cache, on opts.workers workers, and publishes the result as
 * shmx_run does (or hands it back in memory).  The result is bit-identical
 * for any worker count.  The language is docs/REFERENCE.md's "shmx eval".
 *
 * opts as for shmx_run (output, create, input, workers, chunk_bytes, io,
 * want_stats, progress, ...); opts->axis must be SHMX_AXIS_NONE and
 * in_place 0 (SHMX_EUSAGE otherwise).  A bad expression is SHMX_EEXPR
 * with "expression: col N: ..." in err.
 */
#ifndef SHMX_EVAL_H
#define SHMX_EVAL_H

#include "common.h"
#include "error.h"
#include "run.h"

struct shmx_eval_input {
	const char *name;   /* an identifier the expression names */
	const char *source; /* a target spec, as for shmx_run */
};

SHMX_API int shmx_eval(const char *expr, const struct shmx_eval_input *inputs,
		       unsigned n, const struct shmx_run_opts *opts,
		       struct shmx_result *result, struct shmx_error *err);

#endif
