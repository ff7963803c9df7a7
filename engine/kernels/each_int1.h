/* engine/kernels/each_int1.h - one integer dtype of each_int.h (no include
 * guard): from its E, T, SFX, TMIN, TMAX, SIGNED, SMALL and U, the
 * parameters every integer shares or derives from SIGNED, then the
 * template SHMX__TEMPLATE, then each_end.h's undefinitions. */
#define FLOAT 0
#define TF double
#if SIGNED
#define W int64_t
#else
#define W uint64_t
#endif
#include SHMX__TEMPLATE
#include "kernels/each_end.h"
