/* tests/test_shape.c - engine/format/shape.c: parsing "N" and "RxC", formatting,
 * rows and columns, and element/byte counts with overflow. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "shmx/shape.h"
#include "support.h"

#define BAD_MSG(s) "bad shape '" s "' (use N or RxC, e.g. 100000x10)"
#define BIG_MSG(s) "shape '" s "' has too many elements"

static struct shmx_shape parse_ok(const char *s)
{
	struct shmx_error err = { 0 };
	struct shmx_shape sh;

	memset(&sh, 0x5a, sizeof(sh));
	cr_assert_eq(shmx_shape_parse(s, &sh, &err), 0, "'%s' refused: %s", s,
		     err.msg);
	return sh;
}

static void parse_bad(const char *s, const char *msg)
{
	struct shmx_error err = { 0 };
	struct shmx_shape sh = { .ndim = 1, .dim = { 42, 0 } };

	cr_expect_eq(shmx_shape_parse(s, &sh, &err), SHMX_ESHAPE, "'%s'", s);
	cr_expect_eq(err.code, SHMX_ESHAPE);
	cr_expect_str_eq(err.msg, msg);
	cr_expect(sh.ndim == 1 && sh.dim[0] == 42,
		  "output written on failure for '%s'", s);
}

Test(shape, parses_a_length_as_one_dimension)
{
	struct shmx_shape s = parse_ok("7");

	cr_expect_eq(s.ndim, 1);
	cr_expect_eq(s.dim[0], 7);
	cr_expect_eq(s.dim[1], 0, "unused dims are 0");
}

Test(shape, parses_rows_by_columns)
{
	struct shmx_shape s = parse_ok("100000x10");

	cr_expect_eq(s.ndim, 2);
	cr_expect_eq(s.dim[0], 100000);
	cr_expect_eq(s.dim[1], 10);
	s = parse_ok("3X4");
	cr_expect(s.ndim == 2 && s.dim[0] == 3 && s.dim[1] == 4);
	s = parse_ok("3,4");
	cr_expect(s.ndim == 2 && s.dim[0] == 3 && s.dim[1] == 4);
}

Test(shape, parses_empty_shapes)
{
	struct shmx_shape s = parse_ok("0");

	cr_expect(s.ndim == 1 && s.dim[0] == 0);
	s = parse_ok("0x5");
	cr_expect(s.ndim == 2 && s.dim[0] == 0 && s.dim[1] == 5);
	s = parse_ok("5x0");
	cr_expect(s.ndim == 2 && s.dim[0] == 5 && s.dim[1] == 0);
	s = parse_ok("007");
	cr_expect(s.ndim == 1 && s.dim[0] == 7);
}

Test(shape, refuses_malformed_shapes_with_the_exact_message)
{
	parse_bad("", BAD_MSG(""));
	parse_bad("x", BAD_MSG("x"));
	parse_bad("5x", BAD_MSG("5x"));
	parse_bad("x5", BAD_MSG("x5"));
	parse_bad("-1", BAD_MSG("-1"));
	parse_bad("+5", BAD_MSG("+5"));
	parse_bad(" 5", BAD_MSG(" 5"));
	parse_bad("5 ", BAD_MSG("5 "));
	parse_bad("1x2x3", BAD_MSG("1x2x3"));
	parse_bad("abc", BAD_MSG("abc"));
	parse_bad("5.0", BAD_MSG("5.0"));
	parse_bad("1e6", BAD_MSG("1e6"));
	parse_bad("3x-4", BAD_MSG("3x-4"));
	parse_bad("(3, 4)", BAD_MSG("(3, 4)"));
	parse_bad("99999999999999999999x", BAD_MSG("99999999999999999999x"));
}

Test(shape, accepts_two_to_the_62_elements)
{
	struct shmx_shape s = parse_ok("4611686018427387904");

	cr_expect_eq(s.dim[0], UINT64_C(1) << 62);
	s = parse_ok("2147483648x2147483648");
	cr_expect(s.dim[0] == UINT64_C(1) << 31 && s.dim[1] == UINT64_C(1) << 31);
}

Test(shape, refuses_too_many_elements)
{
	parse_bad("4611686018427387905", BIG_MSG("4611686018427387905"));
	parse_bad("4294967296x4294967296", BIG_MSG("4294967296x4294967296"));
	parse_bad("2147483648x2147483649", BIG_MSG("2147483648x2147483649"));
}

Test(shape, a_dimension_too_large_to_read_has_too_many_elements)
{
	parse_bad("99999999999999999999", BIG_MSG("99999999999999999999"));
	parse_bad("3x99999999999999999999", BIG_MSG("3x99999999999999999999"));
	parse_bad("18446744073709551617", BIG_MSG("18446744073709551617"));
}

/* Found by tests/fuzz/fuzz_shape.c: a dimension just above 2^62 was read
 * (only a product above 2^62 was refused), so 0 rows of it passed. */
Test(shape, no_dimension_passes_two_to_the_62)
{
	struct shmx_shape s = parse_ok("0x4611686018427387904");

	cr_expect_eq(s.dim[1], UINT64_C(1) << 62);
	parse_bad("0x4611686018427387905", BIG_MSG("0x4611686018427387905"));
	parse_bad("4611686018427387909x0", BIG_MSG("4611686018427387909x0"));
}

Test(shape, parse_without_an_error_struct_returns_the_code)
{
	struct shmx_shape s;

	cr_expect_eq(shmx_shape_parse("nope", &s, NULL), SHMX_ESHAPE);
	cr_expect_eq(shmx_shape_parse("99999999999999999999", &s, NULL),
		     SHMX_ESHAPE);
}

Test(shape, formats_scalar_vector_and_matrix)
{
	struct shmx_shape s0 = { 0 }, s1 = { 1, { 7, 0 } },
			  s2 = { 2, { 100000, 10 } };
	char buf[64];

	shmx_shape_format(&s0, buf, sizeof(buf));
	cr_expect_str_eq(buf, "()");
	shmx_shape_format(&s1, buf, sizeof(buf));
	cr_expect_str_eq(buf, "7");
	shmx_shape_format(&s2, buf, sizeof(buf));
	cr_expect_str_eq(buf, "100000x10");
}

Test(shape, format_round_trips_through_parse)
{
	static const char *const in[] = { "0", "1", "7", "0x4", "4x0",
					  "3x5", "4611686018427387904" };
	char buf[64];

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct shmx_shape s = parse_ok(in[i]);

		shmx_shape_format(&s, buf, sizeof(buf));
		cr_expect_str_eq(buf, in[i]);
	}
}

Test(shape, format_truncates_to_the_buffer)
{
	struct shmx_shape s = { 2, { 123456, 789 } };
	char buf[6];

	memset(buf, 'z', sizeof(buf));
	shmx_shape_format(&s, buf, sizeof(buf));
	cr_expect_str_eq(buf, "12345");
}

Test(shape, rows_and_columns_see_everything_as_rows)
{
	struct shmx_shape s0 = { 0 }, s1 = { 1, { 7, 0 } },
			  s2 = { 2, { 3, 5 } };

	cr_expect_eq(shmx_shape_rows(&s0), 1);
	cr_expect_eq(shmx_shape_cols(&s0), 1);
	cr_expect_eq(shmx_shape_rows(&s1), 7);
	cr_expect_eq(shmx_shape_cols(&s1), 1);
	cr_expect_eq(shmx_shape_rows(&s2), 3);
	cr_expect_eq(shmx_shape_cols(&s2), 5);
}

Test(shape, counts_elements_and_bytes)
{
	struct shmx_shape s0 = { 0 }, s2 = { 2, { 3, 5 } },
			  e = { 2, { 0, 5 } };
	uint64_t n = 99, b = 99;

	cr_expect_eq(shmx_shape_count(&s0, &n), 0);
	cr_expect_eq(n, 1, "a scalar has one element");
	cr_expect_eq(shmx_shape_bytes(&s0, SHMX_F64, &b), 0);
	cr_expect_eq(b, 8);
	cr_expect_eq(shmx_shape_count(&s2, &n), 0);
	cr_expect_eq(n, 15);
	cr_expect_eq(shmx_shape_bytes(&s2, SHMX_I16, &b), 0);
	cr_expect_eq(b, 30);
	cr_expect_eq(shmx_shape_count(&e, &n), 0);
	cr_expect_eq(n, 0);
	cr_expect_eq(shmx_shape_bytes(&e, SHMX_F64, &b), 0);
	cr_expect_eq(b, 0);
}

Test(shape, counts_overflow_instead_of_wrapping)
{
	struct shmx_shape wrap = { 2, { UINT64_C(1) << 32, UINT64_C(1) << 32 } },
			  big = { 1, { (UINT64_C(1) << 62) + 1, 0 } },
			  edge = { 1, { UINT64_C(1) << 62, 0 } },
			  bytes = { 1, { UINT64_C(1) << 60, 0 } };
	uint64_t n = 7, b = 7;

	cr_expect_eq(shmx_shape_count(&wrap, &n), -EOVERFLOW);
	cr_expect_eq(shmx_shape_count(&big, &n), -EOVERFLOW);
	cr_expect_eq(n, 7, "count written on overflow");
	cr_expect_eq(shmx_shape_count(&edge, &n), 0);
	cr_expect_eq(n, UINT64_C(1) << 62);
	cr_expect_eq(shmx_shape_bytes(&edge, SHMX_U8, &b), 0);
	cr_expect_eq(shmx_shape_bytes(&edge, SHMX_I16, &b), -EOVERFLOW);
	/* 2^60 elements fit, 2^63 bytes of f64 do not */
	cr_expect_eq(shmx_shape_bytes(&bytes, SHMX_F32, &b), 0);
	cr_expect_eq(b, UINT64_C(1) << 62);
	cr_expect_eq(shmx_shape_bytes(&bytes, SHMX_F64, &b), -EOVERFLOW);
}

Test(shape, count_refuses_an_impossible_ndim)
{
	struct shmx_shape three = { 3, { 1, 1 } }, neg = { -1, { 1, 1 } };
	uint64_t n;

	cr_expect_eq(shmx_shape_count(&three, &n), -EINVAL);
	cr_expect_eq(shmx_shape_count(&neg, &n), -EINVAL);
	cr_expect_eq(shmx_shape_bytes(&three, SHMX_U8, &n), -EINVAL);
}
