/* shmx/kernel.h - the kernel ABI: what an operation is, for the built-in
 * operations and for users' plugins alike.
 *
 * A kernel is a struct shmx_kernel.  The engine owns everything around it
 * (mapping or streaming the inputs, cutting rows into chunks, forking
 * workers, reserving and publishing the output); the kernel owns only the
 * arithmetic over the rows it is handed:
 *
 *   prepare()  the parent, once, before any worker exists: read the
 *              inputs' dtypes and shapes, the axis and the arguments in
 *              `c`; refuse what is not supported (a message in err); set
 *              the output's dtype and shape, the kind of result and the
 *              size of one chunk's partial slot; parse the arguments
 *              into c->state.
 *   chunk()    a worker, once per chunk, chunks in any order and in any
 *              process (forked after prepare, so c and c->state are the
 *              parent's, copied): rows [row0, row0 + nrows) of every
 *              input into that chunk's output rows or partial slot.
 *   merge()    the parent, once every chunk is done (reductions only):
 *              fold the partial slots in chunk order into the output.
 *
 * Chunk boundaries depend only on the inputs' shape, dtype and the chunk
 * size, never on the number of workers, and merge() sees the partials in
 * chunk order, so a kernel whose chunk() and merge() are deterministic
 * gives the same bits for any -j, on one machine or several.
 *
 * Kinds of result:
 *   SHMX_KERNEL_MAP     out_cols values per input row (usually the
 *                       input's cols): chunk() writes its rows of out.
 *                       out may be in[0] itself (--in-place) when the
 *                       dtypes and widths agree.
 *   SHMX_KERNEL_ROWS    the same, for a per-row result (one value, or
 *                       out_cols values, per row); never in place.
 *   SHMX_KERNEL_REDUCE  chunk() writes only its partial slot (zeroed
 *                       before the run, partial_bytes long, never shared
 *                       with another chunk); merge() writes out.
 * A reduction that takes an axis declares kind REDUCE and sets c->kind to
 * SHMX_KERNEL_ROWS in prepare() for axis 1 if it writes rows directly.
 *
 * Versioning: the engine checks abi == SHMX_KERNEL_ABI and size ==
 * sizeof(struct shmx_kernel) before it calls anything, and a plugin built
 * against another ABI is refused with a clear error.  The ABI number
 * changes whenever a struct here changes layout; abi, size and name stay
 * the first three fields of struct shmx_kernel in every version, so that
 * they can be read (and a plugin's names listed) before the ABI is known
 * to match.
 *
 * A plugin is a shared object that exports the NULL-terminated list
 * `shmx_plugin_kernels` (write SHMX_PLUGIN(&k1, &k2) once):
 *
 *	static int l2_prepare(struct shmx_kernel_call *c, struct shmx_error *e);
 *	static int l2_chunk(const struct shmx_kernel_call *c,
 *			    const struct shmx_chunk *k, struct shmx_error *e);
 *	static const struct shmx_kernel l2norm = {
 *		.abi = SHMX_KERNEL_ABI, .size = sizeof(struct shmx_kernel),
 *		.name = "l2norm", .kind = SHMX_KERNEL_ROWS,
 *		.prepare = l2_prepare, .chunk = l2_chunk,
 *	};
 *	SHMX_PLUGIN(&l2norm);
 *
 * and is run with `shmx run plugin:./rownorm.so:l2norm data.npy` (the
 * path must contain a '/': it is never searched for; arguments follow the
 * name: plugin:PATH:NAME:A:B).  A plugin calls nothing of libshmx (the
 * program that loads it need not export it): everything it needs is in
 * the call, and it reports errors by filling err's code and msg itself.
 * See tools/plugins/rownorm.c.
 */
#ifndef SHMX_KERNEL_H
#define SHMX_KERNEL_H

#include <stddef.h>
#include <stdint.h>
#include "common.h"
#include "dtype.h"
#include "error.h"
#include "shape.h"

#define SHMX_KERNEL_ABI 1u

#define SHMX_KERNEL_INPUTS_MAX 32u /* inputs of one run */
#define SHMX_KERNEL_ARGS_MAX 4u    /* "op:a:b:c:d" */
#define SHMX_KERNEL_STATE_BYTES 256u

/* The axis of a reduction, numpy's meaning.  The zero value is none. */
enum shmx_axis {
	SHMX_AXIS_NONE = 0, /* one value for the whole array (axis=None) */
	SHMX_AXIS_0 = 1,    /* one value per column (axis=0) */
	SHMX_AXIS_1 = 2,    /* one value per row (axis=1) */
};

enum shmx_kernel_kind {
	SHMX_KERNEL_MAP = 1,
	SHMX_KERNEL_ROWS = 2,
	SHMX_KERNEL_REDUCE = 3,
};

/* flags of struct shmx_kernel */
#define SHMX_KERNEL_TAKES_AXIS 0x1u /* without it, an axis is refused */
#define SHMX_KERNEL_NO_INPUT 0x2u   /* a generator: exactly 0 inputs
				     * (min_inputs, max_inputs must be 0) */

/* One input as the kernel sees it: a rows x cols C-order matrix (a 1-D
 * array of N is N x 1, a scalar 1 x 1). */
struct shmx_kernel_input {
	enum shmx_dtype dtype;
	struct shmx_shape shape; /* as the array has it */
	uint64_t rows, cols;
	/* 1 when every row of the run sees all of this input (it has one
	 * row, or fewer dimensions than the run's widest input; a 1-D input
	 * beside a 2-D one is then described as 1 x N, a row, as numpy
	 * broadcasts it): its in[] pointer is always its first row. */
	int broadcast;
};

/* A run of a kernel.  The engine fills the input half; prepare() fills
 * the output half.  Workers get a copy (fork). */
struct shmx_kernel_call {
	uint32_t size; /* sizeof(struct shmx_kernel_call), set by the engine */
	/* --- the inputs, set by the engine --- */
	unsigned ninputs;
	struct shmx_kernel_input in[SHMX_KERNEL_INPUTS_MAX];
	uint64_t rows;       /* rows of the run (the inputs' rows) */
	enum shmx_axis axis; /* as asked; NONE unless TAKES_AXIS */
	unsigned nargs;      /* the arguments after "name:" as written */
	const char *args[SHMX_KERNEL_ARGS_MAX];
	/* --- the output, set by prepare() --- */
	enum shmx_kernel_kind kind; /* preset to the kernel's kind */
	enum shmx_dtype out_dtype;
	struct shmx_shape out_shape;
	uint64_t out_cols;    /* MAP, ROWS: values per input row */
	size_t partial_bytes; /* REDUCE: one chunk's slot (the engine rounds
			       * it up to a cache line) */
	/* the kernel's own parsed arguments and constants */
	_Alignas(16) unsigned char state[SHMX_KERNEL_STATE_BYTES];
};

/* One chunk, as chunk() gets it. */
struct shmx_chunk {
	uint64_t index;         /* chunk number, 0.. in row order */
	uint64_t row0, nrows;   /* the run's rows [row0, row0 + nrows) */
	const void *const *in;  /* in[i]: input i's row row0 (or its one
				 * row when broadcast), C order */
	void *out;              /* MAP, ROWS: output row row0; else NULL */
	void *partial;          /* REDUCE: this chunk's zeroed slot */
};

struct shmx_kernel {
	uint32_t abi;  /* SHMX_KERNEL_ABI */
	uint32_t size; /* sizeof(struct shmx_kernel) */
	const char *name;
	enum shmx_kernel_kind kind;
	uint32_t flags; /* SHMX_KERNEL_TAKES_AXIS, SHMX_KERNEL_NO_INPUT */
	unsigned min_args, max_args;  /* after "name:", at most ARGS_MAX */
	/* 0, 0 means exactly 1 (0 inputs: flag SHMX_KERNEL_NO_INPUT) */
	unsigned min_inputs, max_inputs;
	/* 0, or a negative code with err filled (bad input: the CLI exits
	 * 2 for SHMX_EOP, SHMX_EDTYPE, SHMX_ESHAPE, SHMX_EUSAGE). */
	int (*prepare)(struct shmx_kernel_call *c, struct shmx_error *err);
	/* 0, or a negative code with err filled: the run fails (exit 1),
	 * nothing is published. */
	int (*chunk)(const struct shmx_kernel_call *c,
		     const struct shmx_chunk *k, struct shmx_error *err);
	/* REDUCE: slot i is at partials + i * partial_bytes (rounded). */
	int (*merge)(const struct shmx_kernel_call *c, const void *partials,
		     uint64_t nchunks, void *out, struct shmx_error *err);
};

/* The engine's rounded slot size, for merge(): partial_bytes rounded up
 * to a multiple of 64. */
static inline size_t shmx_kernel_slot_bytes(const struct shmx_kernel_call *c)
{
	return (c->partial_bytes + 63u) & ~(size_t)63u;
}

/* The one symbol a plugin exports. */
#define SHMX_PLUGIN_SYMBOL "shmx_plugin_kernels"
#define SHMX_PLUGIN(...)                                                  \
	SHMX_API const struct shmx_kernel *const shmx_plugin_kernels[] = {  \
		__VA_ARGS__, NULL}

#endif
