/* shmx/part.h - one run split over several processes, each computing a
 * contiguous range of its chunks: what shmx-mpi builds on, without
 * knowing anything of MPI itself.
 *
 * Every process opens the same run (the same op, sources and options),
 * so they all plan the same chunks (chunks depend only on shapes, dtypes
 * and --chunk) and agree on shmx_part_layout.  Then:
 *
 *   one process (the publisher)         every other process
 *   ---------------------------         -------------------
 *   shmx_part_create                    (learns the temporary's name)
 *   (sends shmx_part_temporary)  ---->  shmx_part_attach(name)
 *   shmx_part_compute(c0, c1)           shmx_part_compute(c0, c1)
 *                                       shmx_part_sync
 *   receives the others' partial slots  sends its slots
 *   (reductions) or result rows         (shmx_part_partials, _rows)
 *   (printed results) into its own
 *   shmx_part_finish: merge every chunk's partial in chunk order,
 *   publish the output, hand the result
 *   shmx_part_close                     shmx_part_close
 *
 * An expression (shmx_part_eval_open) is steps: the passes that its
 * reductions over columns or the whole array need, then the main step,
 * the same as a run's.  Each pass is a reduction every process computes
 * a range of and the publisher merges, whose values every process needs
 * before the next step:
 *
 *   for k in 0 .. shmx_part_passes - 1, every process:
 *     shmx_part_pass(k), shmx_part_layout (compare), shmx_part_compute
 *     the publisher receives the others' slots; every process receives
 *     the rows of the pass's per-row vectors (shmx_part_pass_vector)
 *     that the others computed
 *     the publisher: shmx_part_pass_merge, then sends the values
 *     (shmx_part_pass_values) to the others, into theirs
 *     shmx_part_pass_done
 *   shmx_part_main, then as a run from shmx_part_layout on.
 *
 * The merge folds the partials of all chunks in chunk order whoever
 * computed them, so the result is the bits of shmx_run for any split.
 * Maps and per-row results are written by each process straight into its
 * rows of the output file the publisher created; only the publisher
 * publishes or removes it.  The caller moves the bytes (slot c of the
 * partials is at c x slot_bytes; the rows of chunks [c0, c1) are one
 * contiguous byte range, shmx_part_rows), and makes every process fail
 * when one does: nothing is published then.
 */
#ifndef SHMX_PART_H
#define SHMX_PART_H

#include <stddef.h>
#include <stdint.h>
#include "common.h"
#include "error.h"
#include "eval.h"
#include "run.h"

struct shmx_part;

/* What every process of one run must agree on (compare it bytewise). */
struct shmx_part_layout {
	uint64_t nchunks, rows, chunk_rows;
	uint64_t slot_bytes;   /* a reduction's partial slot per chunk, else 0 */
	uint64_t row_bytes;    /* results per row (maps, per-row), else 0 */
	uint64_t out_bytes;    /* the whole result */
	int32_t kind;          /* SHMX_KERNEL_* of the result */
	int32_t out_dtype;
	struct shmx_shape out_shape;
};

/* Open the op over the sources with opts (as shmx_run_inputs checks
 * them), and plan it.  0, or the error (nothing is created). */
SHMX_API int shmx_part_open(const char *op, const char *const *sources,
			    unsigned n, const struct shmx_run_opts *opts,
			    struct shmx_part **p, struct shmx_error *err);
SHMX_API void shmx_part_layout(const struct shmx_part *p,
			       struct shmx_part_layout *l);

/* shmx_eval's expression over its inputs with opts (as shmx_eval checks
 * them), compiled: every error of the expression here, before any
 * worker.  Its steps follow; an expression a built-in op computes (as
 * shmx_eval hands it to shmx_run) has no passes. */
SHMX_API int shmx_part_eval_open(const char *expr,
				 const struct shmx_eval_input *inputs,
				 unsigned n, const struct shmx_run_opts *opts,
				 struct shmx_part **p, struct shmx_error *err);
/* The passes before the main step (0 for a run). */
SHMX_API unsigned shmx_part_passes(const struct shmx_part *p);
/* Begin pass k (0, 1, .. in order): the layout, compute and partials are
 * then the pass's, a reduction's without a result (out_bytes 0). */
SHMX_API int shmx_part_pass(struct shmx_part *p, unsigned k,
			    struct shmx_error *err);
/* The pass's per-row vector v (0, 1, ..; NULL past the last): one value
 * of *item bytes per row of the layout (row r at r x *item; chunk c's
 * rows from c x chunk_rows), writable, so that a process imports the
 * others' rows in place. */
SHMX_API void *shmx_part_pass_vector(struct shmx_part *p, unsigned v,
				     uint64_t *item);
/* The publisher, once every chunk's slot is in: merge them in chunk
 * order into the pass's values (all vectors' rows must be in too). */
SHMX_API int shmx_part_pass_merge(struct shmx_part *p,
				  struct shmx_error *err);
/* The pass's merged values, *len bytes (NULL when 0): the publisher's
 * after the merge; every other process's, writable, to receive them. */
SHMX_API void *shmx_part_pass_values(struct shmx_part *p, uint64_t *len);
/* End the pass, every process: the constants its values give. */
SHMX_API int shmx_part_pass_done(struct shmx_part *p,
				 struct shmx_error *err);
/* After the passes: the main step (nothing for a run).  A constant
 * result has no chunks (layout nchunks 0): shmx_part_finish publishes
 * it. */
SHMX_API int shmx_part_main(struct shmx_part *p, struct shmx_error *err);

/* The publisher's sink, as shmx_run makes it: opts.output's temporary, the
 * input (in place), or memory. */
SHMX_API int shmx_part_create(struct shmx_part *p, struct shmx_error *err);
/* The temporary's path after shmx_part_create with an output, else "". */
SHMX_API const char *shmx_part_temporary(const struct shmx_part *p);
/* Another process's sink: its rows of the temporary at tmp (with an
 * output), the input (in place), or memory. */
SHMX_API int shmx_part_attach(struct shmx_part *p, const char *tmp,
			      struct shmx_error *err);

/* Compute chunks [c0, c1) with this process's workers. */
SHMX_API int shmx_part_compute(struct shmx_part *p, uint64_t c0, uint64_t c1,
			       struct shmx_error *err);
/* Write this process's rows of a file output (or of the input rewritten
 * in place) back to the file, for a publisher on another host. */
SHMX_API int shmx_part_sync(struct shmx_part *p, struct shmx_error *err);

/* Every chunk's partial slot (reductions; NULL for others): slot c at
 * c x slot_bytes, nchunks of them, writable, so that a process imports
 * the others' slots in place. */
SHMX_API void *shmx_part_partials(struct shmx_part *p);
/* An in-memory result (no output): the data, and where the rows of
 * chunks [c0, c1) lie in it (*off, *len bytes).  NULL when the result is
 * not in memory or is a reduction's. */
SHMX_API void *shmx_part_rows(struct shmx_part *p, uint64_t c0, uint64_t c1,
			      uint64_t *off, uint64_t *len);

/* The publisher, once every chunk's results are in (computed here or
 * imported): merge, publish, and the result as shmx_run_inputs gives it
 * (stats: this process's workers). */
SHMX_API int shmx_part_finish(struct shmx_part *p, struct shmx_result *res,
			      struct shmx_error *err);
/* Close; an output created here and not published is removed. */
SHMX_API void shmx_part_close(struct shmx_part *p);

#endif
