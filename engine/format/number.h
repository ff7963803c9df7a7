/* engine/format/number.h - decimal text to a float, correctly rounded.
 *
 * The one C interface to number.cc, which wraps fast_float (Debian's
 * libfast-float-dev, Lemire's algorithm): the value is the IEEE double
 * (or float) nearest to the decimal, ties to even, as strtod and
 * Python's float() give, for any number of digits; overflow is +-inf,
 * underflow a subnormal or +-0.  Accepted: what Python's float() takes
 * apart from underscores and surrounding blanks (the caller trims them):
 * an optional sign, digits with an optional point and exponent
 * ("1.", ".5", "1e-5"), and nan / inf / infinity in any case.  Up to 15
 * digits with a point and no exponent are one exact IEEE division
 * (number.cc), which, like strtod, follows the caller's rounding mode:
 * the default, to nearest, is assumed.  Pure: no
 * system calls, no allocation, no C++ runtime (no exceptions, no
 * iostreams), so the library still links as C.
 */
#ifndef SHMX_FORMAT_NUMBER_H
#define SHMX_FORMAT_NUMBER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The whole of p[0..n) as a number: 0 and *out, or -1 (nothing of it
 * left unread, else it is not a number). */
int shmx__parse_f64(const char *p, size_t n, double *out);
int shmx__parse_f32(const char *p, size_t n, float *out);

/* The fast path's number: at p, an optional sign and at most 15 digits
 * with an optional point (no exponent), exactly as shmx__parse_f64 reads
 * them.  The bytes it took (the value at out), or 0 when p does not
 * start that way; what follows them is the caller's to check. */
size_t shmx__parse_f64_simple(const char *p, const char *end, double *out);

#ifdef __cplusplus
}
#endif

#endif
