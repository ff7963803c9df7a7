/* engine/kernels/map.h - how an element-wise map is written (private to
 * engine/kernels/).
 *
 * A map is one loop per input dtype (map_tmpl.h), out[i] = f(in[i]) over
 * the n = nrows * cols elements of a chunk; shmx__map_apply() runs one on
 * a chunk.  Out may be the very same memory as in
 * (--in-place, when the dtypes match): every loop reads in[i] before it
 * writes out[i] and touches nothing else, so that alias is harmless (and
 * nothing is declared restrict; gcc's run-time overlap check lets an exact
 * alias take the vector path).
 */
#ifndef SHMX_KERNELS_MAP_H
#define SHMX_KERNELS_MAP_H

#include "kernels/job.h"

typedef void shmx__map_fn(const struct shmx__kstate *job, const void *in,
			  void *out, uint64_t n);

/* In map_tmpl.h (T the input's C type): the shmx__map_fn NAME, the loop
 * every map shares, o[i] = F(a[i], k, k2), with OT the output's C type
 * and k = K, k2 = K2 (KTs from job->args: scale's K, clip's two bounds)
 * read once before it.  F is an ordinary static inline function, where
 * gdb and gcov see each op's line. */
#define SHMX__MAP_LOOP(name, f, OT, KT, kinit, k2init)                      \
	static void name(const struct shmx__kstate *job, const void *in,    \
			 void *out, uint64_t n)                             \
	{                                                                   \
		const T *a = in;                                            \
		OT *o = out;                                                \
		const KT k = kinit, k2 = k2init;                            \
		(void)job;                                                  \
		for (uint64_t i = 0; i < n; i++)                            \
			o[i] = f(a[i], k, k2);                              \
	}

/* The static table op_fns[input dtype] of map_tmpl.h's op_<sfx> loops,
 * for every dtype or (_INT) the integers only. */
#define SHMX__MAP_FNS(op)                                                   \
	static shmx__map_fn *const op##_fns[SHMX_DTYPE_COUNT] = {           \
		SHMX__TABLE_INT(op) SHMX__TABLE_FLOAT(op) }
#define SHMX__MAP_FNS_INT(op)                                               \
	static shmx__map_fn *const op##_fns[SHMX_DTYPE_COUNT] = {           \
		SHMX__TABLE_INT(op) }

/* Run fn on a chunk: nrows rows of in_rows into out (the chunk's first
 * output row). */
void shmx__map_apply(shmx__map_fn *fn, const struct shmx__kstate *job,
		     const void *in_rows, uint64_t nrows, void *out);

/* A map's prepare() for the kernel ABI: the call's input and arguments
 * (dtype names when is_dtype, else numbers) into the job, then the op's
 * own prepare (which sets the output with shmx__map_set_out). */
int shmx__map_kprepare(struct shmx_kernel_call *c, const char *name,
		       int is_dtype,
		       int (*prepare)(struct shmx__kstate *, struct shmx_error *),
		       struct shmx_error *err);

/* Set job's output to dtype t with the input's shape, no slots.  0. */
int shmx__map_set_out(struct shmx__kstate *job, enum shmx_dtype t);

/* The kernel of map `id` taking n arguments, from id_prepare(job, err)
 * and id_chunk(job, in_rows, row0, nrows, out, partial): shmx__k_<id>. */
#define SHMX__MAP_KERNEL(id, n, is_dtype)                                   \
	static int id##_kprepare(struct shmx_kernel_call *c,                \
				 struct shmx_error *err)                    \
	{                                                                   \
		return shmx__map_kprepare(c, #id, is_dtype, id##_prepare, err);\
	}                                                                   \
	static int id##_kchunk(const struct shmx_kernel_call *c,            \
			       const struct shmx_chunk *k,                  \
			       struct shmx_error *err)                      \
	{                                                                   \
		(void)err;                                                  \
		id##_chunk(shmx__kstate_of_c(c), k->in[0], k->row0, k->nrows,  \
			   k->out, NULL);                                   \
		return 0;                                                   \
	}                                                                   \
	const struct shmx_kernel shmx__k_##id = {                           \
		.abi = SHMX_KERNEL_ABI,                                     \
		.size = sizeof(struct shmx_kernel),                         \
		.name = #id,                                                \
		.kind = SHMX_KERNEL_MAP,                                    \
		.min_args = n,                                              \
		.max_args = n,                                              \
		.prepare = id##_kprepare,                                   \
		.chunk = id##_kchunk,                                       \
	}

#endif
