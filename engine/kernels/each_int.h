/* engine/kernels/each_int.h - include the template named by the macro
 * SHMX__TEMPLATE once per integer dtype, i8 .. u64 (no include guard), with
 *   E    the dtype's enum (SHMX_I8 ...)   T  its C type   SFX  its suffix
 *   W    what numpy widens it to in sums: int64_t or uint64_t
 *   U    the unsigned type of its wrapping arithmetic (unsigned int below
 *        64 bits, so that uint16_t * uint16_t is not promoted to int)
 *   TF   the type of its float results (sums in f64, means): double
 *   TMIN, TMAX  its range
 *   FLOAT 0; SIGNED 1 for i8 .. i64; SMALL 1 when sqrt, exp and log give
 *        f32 (8 and 16 bits: exact in f32's mantissa), else 0
 * defined.  The template defines its functions with names built from SFX
 * and undefines nothing of these.  Each dtype below names what is its
 * own; each_int1.h adds what follows from it (FLOAT, W, TF) and includes
 * the template.
 */
#define E SHMX_I8
#define T int8_t
#define SFX i8
#define TMIN INT8_MIN
#define TMAX INT8_MAX
#define SIGNED 1
#define SMALL 1
#define U unsigned
#include "kernels/each_int1.h"

#define E SHMX_I16
#define T int16_t
#define SFX i16
#define TMIN INT16_MIN
#define TMAX INT16_MAX
#define SIGNED 1
#define SMALL 1
#define U unsigned
#include "kernels/each_int1.h"

#define E SHMX_I32
#define T int32_t
#define SFX i32
#define TMIN INT32_MIN
#define TMAX INT32_MAX
#define SIGNED 1
#define SMALL 0
#define U unsigned
#include "kernels/each_int1.h"

#define E SHMX_I64
#define T int64_t
#define SFX i64
#define TMIN INT64_MIN
#define TMAX INT64_MAX
#define SIGNED 1
#define SMALL 0
#define U uint64_t
#include "kernels/each_int1.h"

#define E SHMX_U8
#define T uint8_t
#define SFX u8
#define TMIN 0
#define TMAX UINT8_MAX
#define SIGNED 0
#define SMALL 1
#define U unsigned
#include "kernels/each_int1.h"

#define E SHMX_U16
#define T uint16_t
#define SFX u16
#define TMIN 0
#define TMAX UINT16_MAX
#define SIGNED 0
#define SMALL 1
#define U unsigned
#include "kernels/each_int1.h"

#define E SHMX_U32
#define T uint32_t
#define SFX u32
#define TMIN 0
#define TMAX UINT32_MAX
#define SIGNED 0
#define SMALL 0
#define U unsigned
#include "kernels/each_int1.h"

#define E SHMX_U64
#define T uint64_t
#define SFX u64
#define TMIN 0
#define TMAX UINT64_MAX
#define SIGNED 0
#define SMALL 0
#define U uint64_t
#include "kernels/each_int1.h"
