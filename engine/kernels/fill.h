/* engine/kernels/fill.h - what the gen job needs to name a fill in the
 * "fill:FILL:SEED:DTYPE:SHAPE" spec of the fill kernel (private). */
#ifndef SHMX_KERNELS_FILL_H
#define SHMX_KERNELS_FILL_H

#include "shmx/gen.h"

/* "uniform", "normal", "range", "zeros"; NULL for another value. */
const char *shmx__fill_name(enum shmx_fill f);

#endif
