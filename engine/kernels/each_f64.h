/* engine/kernels/each_f64.h - include the template named by SHMX__TEMPLATE
 * for f64 (no include guard); see each_float.h. */
#define E SHMX_F64
#define T double
#define SFX f64
#define FLOAT 1
#define SIGNED 1
#define SMALL 0
#define TF double
#include SHMX__TEMPLATE
#include "kernels/each_end.h"
