/* engine/kernels/job.h - what a built-in kernel keeps in the call's state
 * (private to engine/kernels/).
 *
 * The built-ins are struct shmx_kernel (shmx/kernel.h) like any plugin.
 * Their prepare() reads the call's input half into a struct shmx__kstate
 * that lives in c->state, parses the arguments there, decides the output,
 * and copies that output into the call; chunk() and merge() then read
 * only the job.  So the families (sum.c, moments.c, ...) see a job and
 * pointers: nothing of the ABI beyond this file, job.c and the kernel
 * definitions.
 *
 * The input is a rows x cols C-order matrix: a 1-D array of N is N x 1, a
 * scalar 1 x 1.  A family chunk function gets the chunk's input rows, its
 * first row number row0, nrows, `out` at the chunk's first output row
 * (maps, --axis 1) and its partial slot (other reductions).
 */
#ifndef SHMX_KERNELS_JOB_H
#define SHMX_KERNELS_JOB_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include "shmx/kernel.h"

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

struct shmx__red_op;

struct shmx__kstate {
	const char *name; /* the op's, for messages */
	struct shmx__opargs args;
	enum shmx_dtype in_dtype;
	struct shmx_shape in_shape;
	uint64_t rows, cols; /* the input as a matrix */
	/* after numpy's normalisation: AXIS_0 only on a 2-D input */
	enum shmx_axis axis;
	const struct shmx__red_op *red; /* reductions: the op */
	/* set by the family's prepare */
	enum shmx_dtype out_dtype;
	struct shmx_shape out_shape;
	size_t partial_bytes; /* per chunk, multiple of 64; 0 if unused */
};

static_assert(sizeof(struct shmx__kstate) <= SHMX_KERNEL_STATE_BYTES,
	      "a built-in's job must fit in the call's state");

static inline struct shmx__kstate *shmx__kstate_of(struct shmx_kernel_call *c)
{
	return (struct shmx__kstate *)(void *)c->state;
}

static inline const struct shmx__kstate *
shmx__kstate_of_c(const struct shmx_kernel_call *c)
{
	return (const struct shmx__kstate *)(const void *)c->state;
}

/* Read the call's one input into the job (c->state): 0, or SHMX_EDTYPE /
 * SHMX_ESHAPE for an input no built-in handles. */
int shmx__kstate_init(struct shmx_kernel_call *c, const char *name,
		   struct shmx_error *err);

/* Copy the job's output into the call, as kind. */
void shmx__kstate_export(struct shmx_kernel_call *c, enum shmx_kernel_kind kind);

#endif
