// engine/format/number.cc - number.h's two calls on fast_float.
//
// The library's only C++: compiled with -fno-exceptions -fno-rtti, it
// uses nothing of libstdc++ beyond header-only templates (checked with
// nm on the shmx binary: no std:: or __cxa symbols), so consumers link
// libshmx as C.  fast_float's from_chars takes no leading '+' and
// Python's float() does: the sign is handled here.
#include <stdint.h>

#include <fast_float/fast_float.h>

#include "format/digits8.h"
#include "format/number.h"

static const double pow10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

// The common case, exactly: at most 15 significant digits with a point
// and no exponent ("-123.456789012").  The digits as an integer m < 2^53
// and 10^k (k <= 22) are both exact doubles, so m / 10^k is one correctly
// rounded IEEE division: the nearest double, as fast_float would give
// (Clinger's fast path, which fast_float takes too, after more checks).
// 1: done, 0: leave it to fast_float.
// Digits from *pp while they last (at most 19 read): into *m, counted.
static inline int run_of_digits(const char **pp, const char *end, uint64_t *m)
{
	const char *p = *pp;
	int n = 0;

	while (end - p >= 8 && n <= 11 && shmx__all_digits8(shmx__load8(p))) {
		*m = *m * 100000000u + shmx__digits8(shmx__load8(p));
		p += 8;
		n += 8;
	}
	while (p < end && (unsigned char)(*p - '0') < 10 && n < 19) {
		*m = *m * 10 + (uint64_t)(*p - '0');
		p++;
		n++;
	}
	*pp = p;
	return n;
}

// The digits and point of [p, end) as far as they go: where they stop,
// or NULL when they do not make a simple number.
static const char *simple_prefix(const char *p, const char *end, double *out)
{
	uint64_t m = 0;
	int digits = run_of_digits(&p, end, &m), frac = 0;

	if (p < end && *p == '.') {
		p++;
		frac = run_of_digits(&p, end, &m);
		digits += frac;
	}
	if (digits == 0 || digits > 15 || (p < end && *p >= '0' && *p <= '9'))
		return NULL;
	*out = frac ? (double)m / pow10[frac] : (double)m;
	return p;
}

static int simple(const char *p, const char *end, double *out)
{
	return simple_prefix(p, end, out) == end;
}

extern "C" size_t shmx__parse_f64_simple(const char *p, const char *end,
					 double *out)
{
	const char *q = p + (p < end && (*p == '+' || *p == '-'));
	const char *e = simple_prefix(q, end, out);

	if (!e)
		return 0;
	if (*p == '-')
		*out = -*out;
	return (size_t)(e - p);
}

template <typename T> static int parse(const char *p, size_t n, T *out)
{
	const char *end = p + n;
	int neg = 0;

	// fast_float takes C's "nan(chars)"; Python's float() does not
	if (n && end[-1] == ')')
		return -1;

	if (n && (*p == '+' || *p == '-')) {
		neg = *p == '-';
		p++;
	}
	// a second sign ("+-1", "--1") is not a number, as for float()
	if (p == end || *p == '+' || *p == '-')
		return -1;
	T v;
	double d;
	if (sizeof(T) == sizeof(double) && simple(p, end, &d)) {
		*out = (T)(neg ? -d : d);
		return 0;
	}
	fast_float::from_chars_result r = fast_float::from_chars(p, end, v);
	if (r.ec != std::errc() || r.ptr != end) {
		// fast_float reports ERANGE for nothing in 3.9 (it rounds to
		// inf or 0 as strtod does); anything else is not a number
		return -1;
	}
	*out = neg ? -v : v;
	return 0;
}

extern "C" int shmx__parse_f64(const char *p, size_t n, double *out)
{
	return parse(p, n, out);
}

extern "C" int shmx__parse_f32(const char *p, size_t n, float *out)
{
	return parse(p, n, out);
}
