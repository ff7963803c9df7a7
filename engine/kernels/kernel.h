/* engine/kernels/kernel.h - the contract between the engine and its
 * operations (private to libshmx).
 *
 * An operation is a struct shmx__kernel found by name in the registry.  The
 * engine (plan, pool) knows nothing about arithmetic; a kernel knows
 * nothing about processes, files or chunks beyond the rows it is handed.
 *
 *   shmx__job_prepare()  parent, once: parse "OP[:ARGS]", pick the kernel,
 *                        normalise the axis, decide the output dtype/shape
 *                        and the size of one chunk's partial-result slot.
 *   kernel->chunk()      a worker, once per chunk, any order, any process:
 *                        rows [row0, row0 + nrows) of the input.
 *                        Maps and --axis 1 reductions write their own rows
 *                        of `out` directly (disjoint, no locks); other
 *                        reductions write only their chunk's `partial` slot.
 *   kernel->merge()      parent, once, after every chunk is done: folds the
 *                        slots in chunk order into `out` (NULL when the
 *                        kernel writes `out` directly).
 *
 * The input is a rows x cols C-order matrix: a 1-D array of N is N x 1, a
 * scalar 1 x 1.  Chunk boundaries depend only on shape, dtype and --chunk,
 * and merge folds partials in chunk order, so the result is bit-identical
 * for any worker count.
 *
 * Partial slots live in one MAP_SHARED region, slot i at
 * partials + i * job->partial_bytes; partial_bytes is a multiple of 64 so
 * two workers never write the same cache line.  Slots start zeroed.
 */
#ifndef SHMX_KERNELS_KERNEL_H
#define SHMX_KERNELS_KERNEL_H

#include <stddef.h>
#include <stdint.h>
#include "shmx/dtype.h"
#include "shmx/error.h"
#include "shmx/shape.h"

enum shmx__axis {
	SHMX__AXIS_ALL = -1, /* one value for the whole array */
	SHMX__AXIS_COLS = 0, /* one value per column (numpy axis=0) */
	SHMX__AXIS_ROWS = 1, /* one value per row (numpy axis=1) */
};

enum shmx__kind { SHMX__REDUCE, SHMX__MAP };

/* Arguments after the op name: "scale:2.5", "clip:0:1", "cast:f32". */
struct shmx__opargs {
	int n;              /* how many were given */
	double f[2];        /* as numbers */
	int64_t i[2];       /* as integers, when is_int[k] */
	int is_int[2];      /* the text was an integer literal: 1 in int64,
			     * 2 above INT64_MAX (i[k] holds the uint64
			     * bits), 3 beyond both (f[k] only); see
			     * kernels/args.h */
	enum shmx_dtype to; /* cast:DTYPE */
};

struct shmx__job;

struct shmx__kernel {
	const char *name;
	enum shmx__kind kind;
	int nargs; /* arguments the op takes after ':' */
	/* Fill job->out_dtype, out_shape, partial_bytes from the input
	 * fields; reject what numpy rejects (zero-size min, bad axis) with a
	 * message.  0 or a negative code. */
	int (*prepare)(struct shmx__job *job, struct shmx_error *err);
	void (*chunk)(const struct shmx__job *job, const void *in_rows,
		      uint64_t row0, uint64_t nrows, void *out, void *partial);
	void (*merge)(const struct shmx__job *job, const void *partials,
		      uint64_t nchunks, void *out); /* NULL: none needed */
};

struct shmx__job {
	/* set by shmx__job_prepare from the caller's input */
	const struct shmx__kernel *kernel;
	struct shmx__opargs args;
	enum shmx_dtype in_dtype;
	struct shmx_shape in_shape;
	uint64_t rows, cols; /* the input as a matrix */
	int axis;            /* enum shmx__axis, after normalisation */
	/* set by kernel->prepare */
	enum shmx_dtype out_dtype;
	struct shmx_shape out_shape;
	size_t partial_bytes; /* per chunk, multiple of 64; 0 if unused */
};

/* Parse op ("sum", "scale:2", "cast:f32"), axis (-1 for none given, else
 * 0 or 1 as the user wrote it, numpy's meaning) against an input of dtype
 * and shape; fill job.  0, or SHMX_EOP / SHMX_EEMPTY with a message. */
int shmx__job_prepare(struct shmx__job *job, const char *op, int axis,
		      enum shmx_dtype dtype, const struct shmx_shape *shape,
		      struct shmx_error *err);

/* The checks of shmx__job_prepare that need no input: a known op name
 * and well-formed arguments.  0, or SHMX_EOP with a message. */
int shmx__op_check(const char *op, struct shmx_error *err);

const struct shmx__kernel *shmx__kernel_find(const char *name, size_t len);

/* The names of all ops, NULL-terminated (for --help). */
extern const char *const shmx__op_names[];

#endif
