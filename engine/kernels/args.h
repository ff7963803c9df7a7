/* engine/kernels/args.h - the arguments after an op's name ("scale:2.5",
 * "clip:0:255", "cast:f32"): parsing, and what an integer literal means for
 * an integer dtype (private to engine/kernels/).  Pure: no system calls.
 */
#ifndef SHMX_KERNELS_ARGS_H
#define SHMX_KERNELS_ARGS_H

#include "kernels/job.h"

/* What the text of argument k was: shmx__opargs.is_int[k].  Every kind
 * but FLOAT is an integer literal (decimal digits, optional sign); f[k]
 * always holds the value as a double. */
enum shmx__argkind {
	SHMX__ARG_FLOAT = 0, /* anything strtod reads: 2.5, 1e3, nan, -inf */
	SHMX__ARG_INT = 1,   /* fits int64: i[k] */
	SHMX__ARG_UINT = 2,  /* above INT64_MAX, fits uint64: (uint64_t)i[k] */
	SHMX__ARG_HUGE = 3,  /* fits no 64-bit integer: only f[k] */
};

/* Read the n argument fields of op `name` (split at ':' by the registry,
 * which has checked their count) into a: dtype names when is_dtype, else
 * numbers.  0, or SHMX_EOP with a message. */
int shmx__args_read(const char *name, int is_dtype, unsigned n,
		    const char *const *fields, struct shmx__opargs *a,
		    struct shmx_error *err);

/* 1 when integer literal k is a value of integer dtype t. */
int shmx__arg_fits(const struct shmx__opargs *a, int k, enum shmx_dtype t);

/* Integer literal k clamped to the range of integer dtype t, as uint64
 * bits (convert to t's C type to get the value). */
uint64_t shmx__arg_saturate(const struct shmx__opargs *a, int k,
			    enum shmx_dtype t);

/* Argument k as the user would recognise it ("300", "2.5") into buf. */
void shmx__arg_format(const struct shmx__opargs *a, int k, char *buf,
		      size_t len);

#endif
