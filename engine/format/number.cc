// engine/format/number.cc - number.h's two calls on fast_float.
//
// The library's only C++: compiled with -fno-exceptions -fno-rtti, it
// uses nothing of libstdc++ beyond header-only templates (checked with
// nm on the shmx binary: no std:: or __cxa symbols), so consumers link
// libshmx as C.  fast_float's from_chars takes no leading '+' and
// Python's float() does: the sign is handled here.
#include <fast_float/fast_float.h>

#include "format/number.h"

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
