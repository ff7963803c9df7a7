/* tests/fuzz/fuzz_dtype.c - shmx_dtype_parse (--dtype, cast:DTYPE) and
 * shmx_dtype_from_descr (an NPY 'descr') on any string.
 *
 * Properties: a refusal is SHMX_EDTYPE with a one-line message (the same
 * code without an error struct); an accepted name is one of the table's
 * spellings of that dtype (its shmx name, numpy name or descr parse back
 * to it); an accepted descr is three characters, a little-endian or
 * byte-order-free (size 1) type code whose kind and size are the dtype's.
 */
#include "shmx/dtype.h"
#include "fuzz.h"

static void check_names_of(enum shmx_dtype t)
{
	enum shmx_dtype back;

	FUZZ_CHECK((unsigned)t < SHMX_DTYPE_COUNT, "dtype %d", (int)t);
	FUZZ_CHECK(shmx_dtype_parse(shmx_dtype_name(t), &back, NULL) == 0 &&
			   back == t,
		   "name %s does not parse back", shmx_dtype_name(t));
	FUZZ_CHECK(shmx_dtype_from_descr(shmx_dtype_descr(t), &back, NULL) ==
				   0 &&
			   back == t,
		   "descr %s does not parse back", shmx_dtype_descr(t));
}

static void check_parse(const char *s)
{
	enum shmx_dtype t;
	struct shmx_error err = { 0 };
	int rc = shmx_dtype_parse(s, &t, &err);

	FUZZ_CHECK(shmx_dtype_parse(s, &t, NULL) == rc,
		   "without an error struct the code differs");
	if (rc) {
		FUZZ_CHECK(rc == SHMX_EDTYPE, "unexpected code %d", rc);
		fuzz_check_error(&err, rc);
		return;
	}
	check_names_of(t);
	/* every accepted name is a short identifier-like word */
	FUZZ_CHECK(*s && strlen(s) <= 16 && !strpbrk(s, " \t\n:"),
		   "accepted '%s'", s);
}

static void check_descr(const char *s)
{
	enum shmx_dtype t;
	struct shmx_error err = { 0 };
	int rc = shmx_dtype_from_descr(s, &t, &err);
	const char *d;

	FUZZ_CHECK(shmx_dtype_from_descr(s, &t, NULL) == rc,
		   "without an error struct the code differs");
	if (rc) {
		FUZZ_CHECK(rc == SHMX_EDTYPE, "unexpected code %d", rc);
		fuzz_check_error(&err, rc);
		return;
	}
	check_names_of(t);
	d = shmx_dtype_descr(t);
	FUZZ_CHECK(strlen(s) == 3 && s[1] == d[1] &&
			   (size_t)(s[2] - '0') == shmx_dtype_size(t),
		   "descr '%s' gave %s", s, d);
	FUZZ_CHECK(strchr("<|=", s[0]) || (s[0] == '>' && s[2] == '1'),
		   "descr '%s' accepted with byte order '%c'", s, s[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);

	check_parse(s);
	check_descr(s);
	free(s);
	return 0;
}
