/* shmx/shape.h - array shapes: a scalar (ndim 0), N (ndim 1) or RxC.
 *
 * shmx computes on rows: a 1-D array of N is seen as N rows of 1, a scalar
 * as 1 row of 1.  Element and byte counts are checked for overflow.
 */
#ifndef SHMX_SHAPE_H
#define SHMX_SHAPE_H

#include <stdint.h>
#include "common.h"
#include "error.h"
#include "dtype.h"

#define SHMX_MAX_NDIM 2

struct shmx_shape {
	int ndim;                     /* 0, 1 or 2 */
	uint64_t dim[SHMX_MAX_NDIM];  /* unused dims are 0 */
};

/* "N" or "RxC" (decimal; "0" and "0x5" are valid). 0 or SHMX_ESHAPE. */
SHMX_API int shmx_shape_parse(const char *s, struct shmx_shape *out,
			      struct shmx_error *err);
/* "100000x10", "7", "()" into buf. */
SHMX_API void shmx_shape_format(const struct shmx_shape *s, char *buf,
				size_t len);
SHMX_API uint64_t shmx_shape_rows(const struct shmx_shape *s);
SHMX_API uint64_t shmx_shape_cols(const struct shmx_shape *s);
/* Element count and byte count of dtype t; -EOVERFLOW when they do not fit
 * in 63 bits. */
SHMX_API int shmx_shape_count(const struct shmx_shape *s, uint64_t *count);
SHMX_API int shmx_shape_bytes(const struct shmx_shape *s, enum shmx_dtype t,
			      uint64_t *bytes);

#endif
