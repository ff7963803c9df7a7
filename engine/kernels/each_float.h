/* engine/kernels/each_float.h - include the template named by the macro
 * SHMX__TEMPLATE once per float dtype, f64 then f32 (no include guard),
 * with E, T, SFX as in each_int.h, TF the type itself, FLOAT and SIGNED
 * 1, SMALL 1 for f32.  (f64 comes
 * first: f32's loops may call f64's.)
 */
#include "kernels/each_f64.h"
#include "kernels/each_f32.h"
