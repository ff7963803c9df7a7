/* engine/expr/eval.h - the evaluator of a compiled expression (expr.h):
 * the typed tree lowered into a program of block instructions, and the
 * loops that run it over a chunk of rows.  Pure: the engine (exec/eval.c)
 * owns the inputs, the workers, the passes' slots and the output.
 *
 * numexpr's design: every instruction of the pass has a register of one
 * block of rows (about SHMX__EVAL_BLOCK elements), so a chunk is computed
 * block by block with every temporary in L1/L2, never one the size of the
 * data.  An instruction is either rowwise (a value per row of the pass,
 * computed per block) or a constant (a value that does not depend on the
 * row: a number, a broadcast input, the result of an earlier pass), which
 * the parent computes once, before the workers that read it are forked.
 *
 * Passes (expr.h's PASS nodes): pass k's job runs the instructions its
 * reductions need over every chunk, accumulating each reduction's state
 * into the chunk's slot; the parent merges the slots in chunk order
 * (shmx__prog_pass_merge), which makes the value a constant for the
 * passes after it and for the main pass.  A per-row vector that numpy
 * broadcasts along the columns (expr.h) is a pass too: its rows are
 * written into a buffer the engine maps shared.
 */
#ifndef SHMX_EXPR_EVAL_H
#define SHMX_EXPR_EVAL_H

#include <stddef.h>
#include <stdint.h>
#include "expr/expr.h"

#define SHMX__EVAL_BLOCK 1024u /* elements of a block's register */

struct shmx__prog;

/* Lower e (compiled over inputs whose mapped data is data[i]; a rowwise
 * input's pointer is not read) into a program.  0, or SHMX_EEXPR /
 * -ENOMEM with err.  e must outlive the program. */
int shmx__prog_build(const struct shmx__expr *e, const void *const *data,
		     struct shmx__prog **out, struct shmx_error *err);
void shmx__prog_free(struct shmx__prog *p);

/* Pass k (0 .. e->npasses - 1): the bytes of a chunk's slot (0 when no
 * reduction of the pass reads the rows), and the bytes of the rows of its
 * per-row vectors (0 if none), which the engine maps shared and hands in
 * with shmx__prog_pass_vectors before the workers start. */
size_t shmx__prog_pass_slot(const struct shmx__prog *p, unsigned k);
uint64_t shmx__prog_pass_vec_bytes(const struct shmx__prog *p, unsigned k);
void shmx__prog_pass_vectors(struct shmx__prog *p, unsigned k, void *buf);
/* A worker: rows [row0, row0 + nrows) of pass k into its slot. */
int shmx__prog_pass_chunk(const struct shmx__prog *p, unsigned k,
			  const void *const *in, uint64_t row0, uint64_t nrows,
			  void *slot, struct shmx_error *err);
/* The parent: fold the slots in chunk order into pass k's values.  0 or
 * -ENOMEM. */
int shmx__prog_pass_merge(struct shmx__prog *p, unsigned k, const char *slots,
			  size_t stride, uint64_t nchunks,
			  struct shmx_error *err);
/* The parent, after pass k: the constants now known, checking what
 * numpy's value-based casting assumed of the pass's values.  0, or
 * SHMX_EEXPR (bad input: nothing is published). */
int shmx__prog_pass_done(struct shmx__prog *p, unsigned k,
			 struct shmx_error *err);

/* Pass k split over processes (exec/part.c): each computes some chunks
 * of the pass; one merges every chunk's slot (shmx__prog_pass_merge) and
 * hands the others the merged values as value_bytes bytes (export); they
 * take them in place of a merge (import) before shmx__prog_pass_done.
 * The rows of a per-row vector are the vector's own: vector v (0, 1, ..;
 * NULL past the last) of pass k is one value of *size bytes per row, in
 * the buffer shmx__prog_pass_vectors gave; every process needs all its
 * rows before the merge (or import), which tiles them. */
uint64_t shmx__prog_pass_value_bytes(const struct shmx__prog *p, unsigned k);
void shmx__prog_pass_export(const struct shmx__prog *p, unsigned k, void *buf);
int shmx__prog_pass_import(struct shmx__prog *p, unsigned k, const void *buf,
			   struct shmx_error *err);
void *shmx__prog_pass_vector(const struct shmx__prog *p, unsigned k,
			     unsigned v, size_t *size);

/* When the result is rowwise the main pass (shmx__prog_main_chunk)
 * computes it; otherwise, once the passes are merged, its value is
 * shmx__prog_const_result. */
int shmx__prog_rowwise(const struct shmx__prog *p);
uint64_t shmx__prog_out_cols(const struct shmx__prog *p);
const void *shmx__prog_const_result(const struct shmx__prog *p);
/* A worker: rows [row0, row0 + nrows) of the result into out (the
 * chunk's first output row). */
int shmx__prog_main_chunk(const struct shmx__prog *p, const void *const *in,
			  uint64_t row0, uint64_t nrows, void *out,
			  struct shmx_error *err);

#endif
