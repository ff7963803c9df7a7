/* shmx/dtype.h - the element types shmx computes on.
 *
 * Names are shmx's short ones (i8 .. f64, bool); numpy's names ("float64",
 * "int32", "<f8", "uint8", ...) are accepted by shmx_dtype_parse too.
 * Everything is little-endian: a big-endian NPY descr is rejected.
 */
#ifndef SHMX_DTYPE_H
#define SHMX_DTYPE_H

#include <stddef.h>
#include "common.h"
#include "error.h"

enum shmx_dtype {
	SHMX_I8,
	SHMX_I16,
	SHMX_I32,
	SHMX_I64,
	SHMX_U8,
	SHMX_U16,
	SHMX_U32,
	SHMX_U64,
	SHMX_F32,
	SHMX_F64,
	SHMX_BOOL, /* numpy's bool (|b1): one byte, 0 or 1; comparisons give it */
	SHMX_DTYPE_COUNT
};

/* Parse a user-given name.  Returns 0, or SHMX_EDTYPE (message filled). */
SHMX_API int shmx_dtype_parse(const char *s, enum shmx_dtype *out,
			      struct shmx_error *err);
/* Parse an NPY descr ("<f8", "|u1", "<i4").  0, or SHMX_EDTYPE. */
SHMX_API int shmx_dtype_from_descr(const char *descr, enum shmx_dtype *out,
				   struct shmx_error *err);

SHMX_API size_t shmx_dtype_size(enum shmx_dtype t);
SHMX_API const char *shmx_dtype_name(enum shmx_dtype t);  /* "f64" */
SHMX_API const char *shmx_dtype_descr(enum shmx_dtype t); /* "<f8" */
SHMX_API int shmx_dtype_is_float(enum shmx_dtype t);
SHMX_API int shmx_dtype_is_signed(enum shmx_dtype t); /* floats too */

#endif
