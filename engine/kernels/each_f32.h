/* engine/kernels/each_f32.h - include the template named by SHMX__TEMPLATE
 * for f32 (no include guard); see each_float.h. */
#define E SHMX_F32
#define T float
#define SFX f32
#define FLOAT 1
#define SIGNED 1
#define SMALL 1
#define TF float
#include SHMX__TEMPLATE
#include "kernels/each_end.h"
