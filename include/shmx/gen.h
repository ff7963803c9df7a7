/* shmx/gen.h - generated data for benchmarks and tests.
 *
 * Element i of a generated array depends only on (fill, seed, i): the
 * generator is counter-based (splitmix64 of seed and index), so any split
 * of the work across workers gives the same bytes.
 *
 *   uniform  floats in [0, 1); signed ints in [-100, 100]; unsigned in
 *            [0, 200]
 *   normal   floats N(0, 1) (Box-Muller); ints round(10 * N(0, 1))
 *   range    the flat index i, converted as C converts (ints wrap)
 *   zeros    0
 */
#ifndef SHMX_GEN_H
#define SHMX_GEN_H

#include <stdint.h>
#include "common.h"
#include "dtype.h"
#include "error.h"

enum shmx_fill {
	SHMX_FILL_UNIFORM,
	SHMX_FILL_NORMAL,
	SHMX_FILL_RANGE,
	SHMX_FILL_ZEROS,
};

/* 0 or SHMX_EUSAGE with a message. */
SHMX_API int shmx_fill_parse(const char *s, enum shmx_fill *out,
			     struct shmx_error *err);

/* Write elements [first, first + count) of the array whose data starts at
 * base.  Pure computation; safe to call from any worker on disjoint
 * ranges. */
SHMX_API void shmx_fill(void *base, enum shmx_dtype t, uint64_t first,
			uint64_t count, enum shmx_fill fill, uint64_t seed);

#endif
