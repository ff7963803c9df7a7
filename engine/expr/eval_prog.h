/* engine/expr/eval_prog.h - the evaluator's program (private to expr/):
 * what eval_build.c makes of the typed tree and eval_run.c runs.
 *
 * Instructions are in dependency order (operands first).  A rowwise one
 * has a register of nb rows x w values in the worker's scratch; a
 * constant one has `count` values in cdata, computed by the parent once
 * the passes it depends on (`ready`) are done.  An operand of a rowwise
 * instruction is read as a vector (a rowwise operand of the same width,
 * or a constant row vector tiled to a block's rows, or a constant indexed
 * by the row) or as a scalar (a constant of one value); a rowwise operand
 * of one value per row beside a wider one is expanded first (I_EXPAND).
 */
#ifndef SHMX_EXPR_EVAL_PROG_H
#define SHMX_EXPR_EVAL_PROG_H

#include "expr/eval.h"
#include "expr/eval_ops.h"

enum ins_kind {
	I_INPUT,  /* a bound input: rowwise rows of the chunk, or constant */
	I_NUM,    /* a number */
	I_CAST,
	I_BIN,    /* op: enum shmx__ev_bin_op */
	I_UN,     /* op: enum shmx__ev_un_op */
	I_WHERE,
	I_CLIP,
	I_COLS,   /* columns [start, start + w) of a */
	I_EXPAND, /* a's one value per row, w times */
	I_ROWRED, /* a reduction over each row of a */
	I_PASS,   /* a value of a pass (or a reduction of a constant) */
};

enum opnd_mode {
	M_VEC,    /* a's register (or cdata when both are constants) */
	M_SCALAR, /* a's one value */
	M_TILE,   /* a's row vector, tiled to the block's rows */
	M_ROWIDX, /* a's values, one per row of the pass: from the row */
};

struct ins {
	enum ins_kind kind;
	enum shmx_dtype t;
	int op;
	unsigned na;
	int a[3];
	enum opnd_mode mode[3];
	int rowwise;
	uint64_t w;     /* rowwise: values per row */
	uint64_t count; /* constant: values */
	/* I_INPUT */
	unsigned input;
	uint64_t in_cols;
	/* I_COLS */
	uint64_t start;
	/* I_ROWRED, I_PASS */
	struct shmx__ev_red red;
	int per_col; /* I_PASS: one state per column of a (axis 0 of 2-D) */
	int vec;     /* I_PASS: a's rows written whole (a per-row vector) */
	int pass;    /* I_PASS of a rowwise a: the pass that computes it */
	size_t slot_off;
	/* constants */
	int ready; /* the last pass it needs, -1 none */
	int done;
	void *cdata;
	int owned;
	void *tile; /* M_TILE operands: nb rows of cdata */
	int tiled;  /* some rowwise instruction reads it as M_TILE */
	int explicit_cast; /* I_CAST written by the user (int8(...)) */
	/* rowwise: the register's offset in the scratch */
	size_t reg;
	const struct shmx__expr_node *node;
};

struct shmx__prog {
	const struct shmx__expr *e;
	struct ins *ins;
	unsigned n, cap;
	int root;
	uint64_t nb; /* rows of a block */
	char *scratch;
	size_t scratch_bytes;
	const void **vals; /* each instruction's values in the current block */
	double *colbuf; /* per-column sums of a block (4 x widest) */
	uint64_t widest;
	/* programs: instruction indices, dependency order; [npasses] is the
	 * main pass */
	unsigned **list;
	unsigned *nlist;
	uint64_t *flat; /* a list whose values all have this many per row and
			 * are element-wise: its blocks are ranges of
			 * elements, whatever the rows' width (0: rows) */
	size_t *slot_bytes;
	unsigned npasses;
	/* the values of the result when it is constant */
	const void *result;
};

/* evaluate the constants known after pass `upto` (-1: at build) */
int shmx__prog_consts(struct shmx__prog *p, int upto, struct shmx_error *err);
/* run list k over rows [b0, b0 + m) of a chunk whose first row is row0
 * (for a flat list: its elements [b0, b0 + m), counted from row 0) */
int shmx__prog_block(const struct shmx__prog *p, unsigned k,
		     const void *const *in, uint64_t row0, uint64_t b0,
		     uint64_t m, void *root_out, struct shmx_error *err);

static inline size_t shmx__ins_size(const struct ins *i)
{
	return shmx_dtype_size(i->t);
}

#endif
