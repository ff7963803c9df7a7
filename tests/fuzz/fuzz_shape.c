/* tests/fuzz/fuzz_shape.c - shmx_shape_parse (--shape) on any string, and
 * shmx_shape_format, shmx_shape_count and shmx_shape_bytes on what it
 * accepts.
 *
 * Properties: exactly the strings of the grammar DIGITS or DIGITS[xX,]DIGITS
 * are accepted unless the element count passes 2^62 (checked here with
 * 128-bit arithmetic); accepted values are the decimal values written;
 * format then parse gives the same shape; a format into a short buffer is
 * a prefix of the full one; bytes = count x itemsize or -EOVERFLOW above
 * 2^62; a refusal is SHMX_ESHAPE with a one-line message.
 */
#include <errno.h>

#include "shmx/shape.h"
#include "fuzz.h"

#define LIMIT ((unsigned __int128)1 << 62)

/* One decimal number at *p; its value, saturated just above LIMIT. */
static int ref_dim(const char **p, unsigned __int128 *v)
{
	const char *s = *p;

	*v = 0;
	if (*s < '0' || *s > '9')
		return 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		*v = *v * 10 + (unsigned)(*s - '0');
		if (*v > LIMIT)
			*v = LIMIT + 1;
	}
	*p = s;
	return 1;
}

/* 1 when s is N or RxC; fills ndim and the (saturated) dims. */
static int ref_parse(const char *s, int *ndim, unsigned __int128 dim[2])
{
	dim[1] = 0;
	if (!ref_dim(&s, &dim[0]))
		return 0;
	*ndim = 1;
	if (*s == 'x' || *s == 'X' || *s == ',') {
		s++;
		if (!ref_dim(&s, &dim[1]))
			return 0;
		*ndim = 2;
	}
	return *s == '\0';
}

static void check_accepted(const struct shmx_shape *sh, int ndim,
			   const unsigned __int128 dim[2])
{
	struct shmx_shape back;
	struct shmx_error err = { 0 };
	char full[64], part[64];
	uint64_t count;

	FUZZ_CHECK(sh->ndim == ndim, "ndim %d, expected %d", sh->ndim, ndim);
	for (int i = 0; i < ndim; i++)
		FUZZ_CHECK(sh->dim[i] == dim[i], "dim %d differs", i);
	FUZZ_CHECK(shmx_shape_count(sh, &count) == 0, "count refused");
	shmx_shape_format(sh, full, sizeof(full));
	FUZZ_CHECK(shmx_shape_parse(full, &back, &err) == 0 &&
			   memcmp(&back, sh, sizeof(back)) == 0,
		   "format '%s' does not parse back", full);
	for (size_t n = 1; n < strlen(full) + 2; n++) {
		shmx_shape_format(sh, part, n);
		FUZZ_CHECK(strlen(part) == (n - 1 < strlen(full) ? n - 1
								 : strlen(full)) &&
				   strncmp(part, full, strlen(part)) == 0,
			   "format into %zu bytes gave '%s'", n, part);
	}
	FUZZ_CHECK(shmx_shape_rows(sh) == sh->dim[0] &&
			   shmx_shape_cols(sh) == (ndim == 2 ? sh->dim[1] : 1),
		   "rows/cols");
	for (int t = 0; t < SHMX_DTYPE_COUNT; t++) {
		unsigned __int128 want =
			(unsigned __int128)count * shmx_dtype_size(t);
		uint64_t bytes;
		int rc = shmx_shape_bytes(sh, (enum shmx_dtype)t, &bytes);

		if (want > LIMIT)
			FUZZ_CHECK(rc == -EOVERFLOW, "bytes did not overflow");
		else
			FUZZ_CHECK(rc == 0 && bytes == want, "bytes wrong");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	struct shmx_shape sh;
	struct shmx_error err = { 0 };
	unsigned __int128 dim[2], count;
	int ndim = 0, ok = ref_parse(s, &ndim, dim);
	int rc = shmx_shape_parse(s, &sh, &err);

	count = ok ? dim[0] * (ndim == 2 ? dim[1] : 1) : 0;
	if (ok && (dim[0] > LIMIT || dim[1] > LIMIT || count > LIMIT))
		ok = 0;
	FUZZ_CHECK(ok ? rc == 0 : rc == SHMX_ESHAPE,
		   "shape '%s': rc %d, grammar says %s", s, rc,
		   ok ? "accept" : "refuse");
	FUZZ_CHECK(shmx_shape_parse(s, &sh, NULL) == rc,
		   "without an error struct the code differs");
	if (rc == 0)
		check_accepted(&sh, ndim, dim);
	else
		fuzz_check_error(&err, rc);
	free(s);
	return 0;
}
