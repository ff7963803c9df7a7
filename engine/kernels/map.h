/* engine/kernels/map.h - how an element-wise map is written (private to
 * engine/kernels/).
 *
 * A map is one loop per input dtype, out[i] = f(in[i]) over the n =
 * nrows * cols elements of a chunk; shmx__map_apply() finds where the
 * chunk's rows go in the output.  Out may be the very same memory as in
 * (--in-place, when the dtypes match): every loop reads in[i] before it
 * writes out[i] and touches nothing else, so that alias is harmless (and
 * nothing is declared restrict; gcc's run-time overlap check lets an exact
 * alias take the vector path).
 */
#ifndef SHMX_KERNELS_MAP_H
#define SHMX_KERNELS_MAP_H

#include "kernels/kernel.h"

typedef void shmx__map_fn(const struct shmx__job *job, const void *in,
			  void *out, uint64_t n);

/* Run fn on a chunk: rows [row0, row0 + nrows) of in_rows, written at their
 * place in out (out + row0 * cols * out itemsize). */
void shmx__map_apply(shmx__map_fn *fn, const struct shmx__job *job,
		     const void *in_rows, uint64_t row0, uint64_t nrows,
		     void *out);

/* Set job's output to dtype t with the input's shape, no slots.  0. */
int shmx__map_set_out(struct shmx__job *job, enum shmx_dtype t);

/* One loop: out[i] = EXPR, where EXPR reads v = in[i] (type TI), after
 * PRE (declarations that read job, e.g. a constant). */
#define SHMX__DEFINE_MAP(fn, TI, TO, PRE, EXPR)                             \
	static void fn(const struct shmx__job *job, const void *in,         \
		       void *out, uint64_t n)                               \
	{                                                                   \
		const TI *a = in;                                           \
		TO *o = out;                                                \
		PRE;                                                        \
                                                                            \
		(void)job;                                                  \
		for (uint64_t i = 0; i < n; i++) {                          \
			TI v = a[i];                                        \
			o[i] = (EXPR);                                      \
		}                                                           \
	}

#define SHMX__MAP_KERNEL(id, n)                                             \
	const struct shmx__kernel shmx__k_##id = {                          \
		.name = #id, .kind = SHMX__MAP, .nargs = n,                 \
		.prepare = id##_prepare, .chunk = id##_chunk, .merge = NULL,\
	}

#endif
