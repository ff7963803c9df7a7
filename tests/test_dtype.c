/* tests/test_dtype.c - engine/format/dtype.c: names, numpy spellings, NPY descrs,
 * and the exact messages for what is refused. */
#include <criterion/criterion.h>
#include <string.h>

#include "shmx/dtype.h"
#include "support.h"

#define BAD_NAME_MSG(s)                                                     \
	"unsupported dtype '" s "' (use bool i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 " \
	"or numpy's names)"

static const struct {
	const char *name, *numpy, *descr;
	enum shmx_dtype t;
	size_t size;
	int is_float, is_signed;
} table[] = {
	{ "i8", "int8", "|i1", SHMX_I8, 1, 0, 1 },
	{ "i16", "int16", "<i2", SHMX_I16, 2, 0, 1 },
	{ "i32", "int32", "<i4", SHMX_I32, 4, 0, 1 },
	{ "i64", "int64", "<i8", SHMX_I64, 8, 0, 1 },
	{ "u8", "uint8", "|u1", SHMX_U8, 1, 0, 0 },
	{ "u16", "uint16", "<u2", SHMX_U16, 2, 0, 0 },
	{ "u32", "uint32", "<u4", SHMX_U32, 4, 0, 0 },
	{ "u64", "uint64", "<u8", SHMX_U64, 8, 0, 0 },
	{ "f32", "float32", "<f4", SHMX_F32, 4, 1, 1 },
	{ "f64", "float64", "<f8", SHMX_F64, 8, 1, 1 },
	{ "bool", "bool", "|b1", SHMX_BOOL, 1, 0, 0 },
};
#define NTYPES (sizeof(table) / sizeof(table[0]))

static void expect_parse(const char *s, enum shmx_dtype want)
{
	struct shmx_error err = { 0 };
	enum shmx_dtype t = SHMX_DTYPE_COUNT;
	int rc = shmx_dtype_parse(s, &t, &err);

	cr_expect_eq(rc, 0, "'%s' refused: %s", s, err.msg);
	cr_expect_eq(t, want, "'%s' parsed as %s, not %s", s,
		     t < SHMX_DTYPE_COUNT ? shmx_dtype_name(t) : "?",
		     shmx_dtype_name(want));
}

static void expect_bad_name(const char *s, const char *msg)
{
	struct shmx_error err = { 0 };
	enum shmx_dtype t = SHMX_F32;

	cr_expect_eq(shmx_dtype_parse(s, &t, &err), SHMX_EDTYPE, "'%s'", s);
	cr_expect_eq(err.code, SHMX_EDTYPE);
	cr_expect_str_eq(err.msg, msg);
	cr_expect_eq(t, SHMX_F32, "output written on failure for '%s'", s);
}

static void expect_descr(const char *d, enum shmx_dtype want)
{
	struct shmx_error err = { 0 };
	enum shmx_dtype t = SHMX_DTYPE_COUNT;

	cr_expect_eq(shmx_dtype_from_descr(d, &t, &err), 0, "'%s' refused: %s",
		     d, err.msg);
	cr_expect_eq(t, want, "descr '%s'", d);
}

static void expect_bad_descr(const char *d, const char *msg)
{
	struct shmx_error err = { 0 };
	enum shmx_dtype t = SHMX_F32;

	cr_expect_eq(shmx_dtype_from_descr(d, &t, &err), SHMX_EDTYPE, "'%s'",
		     d);
	cr_expect_eq(err.code, SHMX_EDTYPE);
	cr_expect_str_eq(err.msg, msg);
	cr_expect_eq(t, SHMX_F32);
}

Test(dtype, table_has_every_type_with_its_size_name_and_descr)
{
	cr_assert_eq(NTYPES, SHMX_DTYPE_COUNT);
	for (size_t i = 0; i < NTYPES; i++) {
		cr_expect_str_eq(shmx_dtype_name(table[i].t), table[i].name);
		cr_expect_str_eq(shmx_dtype_descr(table[i].t), table[i].descr);
		cr_expect_eq(shmx_dtype_size(table[i].t), table[i].size);
		cr_expect_eq(shmx_dtype_is_float(table[i].t),
			     table[i].is_float, "%s", table[i].name);
		cr_expect_eq(shmx_dtype_is_signed(table[i].t),
			     table[i].is_signed, "%s", table[i].name);
	}
}

Test(dtype, parses_shmx_names)
{
	for (size_t i = 0; i < NTYPES; i++)
		expect_parse(table[i].name, table[i].t);
}

Test(dtype, parses_numpy_long_names)
{
	for (size_t i = 0; i < NTYPES; i++)
		expect_parse(table[i].numpy, table[i].t);
}

Test(dtype, parses_numpy_descrs_as_names)
{
	for (size_t i = 0; i < NTYPES; i++)
		expect_parse(table[i].descr, table[i].t);
	expect_parse("<i1", SHMX_I8);
	expect_parse("<u1", SHMX_U8);
}

Test(dtype, shmx_i8_is_int8_but_numpy_spellings_of_int64_stay_exact)
{
	expect_parse("i8", SHMX_I8);
	expect_parse("<i8", SHMX_I64);
	expect_parse("int64", SHMX_I64);
	expect_parse("u8", SHMX_U8);
	expect_parse("<u8", SHMX_U64);
}

Test(dtype, parses_numpy_aliases)
{
	expect_parse("float", SHMX_F64);
	expect_parse("double", SHMX_F64);
	expect_parse("f8", SHMX_F64);
	expect_parse("single", SHMX_F32);
	expect_parse("f4", SHMX_F32);
	expect_parse("intc", SHMX_I32);
	expect_parse("i4", SHMX_I32);
	expect_parse("i2", SHMX_I16);
	expect_parse("i1", SHMX_I8);
	expect_parse("byte", SHMX_I8);
	expect_parse("ubyte", SHMX_U8);
	expect_parse("B", SHMX_U8);
	expect_parse("uintc", SHMX_U32);
	expect_parse("ulonglong", SHMX_U64);
	expect_parse("longlong", SHMX_I64);
	expect_parse("?", SHMX_BOOL);
	expect_parse("bool_", SHMX_BOOL);
	expect_parse("b", SHMX_I8); /* numpy's 'b' is int8, '?' is bool */
}

Test(dtype, refuses_unknown_names_with_the_exact_message)
{
	expect_bad_name("f16", BAD_NAME_MSG("f16"));
	expect_bad_name("complex128", BAD_NAME_MSG("complex128"));
	expect_bad_name("Bool", BAD_NAME_MSG("Bool"));
	expect_bad_name("F64", BAD_NAME_MSG("F64"));
	expect_bad_name(" f64", BAD_NAME_MSG(" f64"));
	expect_bad_name("f64 ", BAD_NAME_MSG("f64 "));
	expect_bad_name("float16", BAD_NAME_MSG("float16"));
	expect_bad_name("", BAD_NAME_MSG(""));
	expect_bad_name("i", BAD_NAME_MSG("i"));
}

Test(dtype, refuses_big_endian_names)
{
	expect_bad_name(">f8", BAD_NAME_MSG(">f8"));
	expect_bad_name(">i4", BAD_NAME_MSG(">i4"));
}

Test(dtype, parse_without_an_error_struct_returns_the_code)
{
	enum shmx_dtype t;

	cr_expect_eq(shmx_dtype_parse("nope", &t, NULL), SHMX_EDTYPE);
	cr_expect_eq(shmx_dtype_from_descr(">f8", &t, NULL), SHMX_EDTYPE);
	cr_expect_eq(shmx_dtype_from_descr("<c16", &t, NULL), SHMX_EDTYPE);
}

Test(dtype, reads_every_little_endian_descr)
{
	for (size_t i = 0; i < NTYPES; i++)
		expect_descr(table[i].descr, table[i].t);
}

Test(dtype, reads_one_byte_descrs_in_any_byte_order)
{
	expect_descr("|u1", SHMX_U8);
	expect_descr("<u1", SHMX_U8);
	expect_descr(">u1", SHMX_U8);
	expect_descr("|i1", SHMX_I8);
	expect_descr("<i1", SHMX_I8);
	expect_descr(">i1", SHMX_I8);
}

Test(dtype, reads_native_order_descrs)
{
	expect_descr("=f8", SHMX_F64);
	expect_descr("=i4", SHMX_I32);
}

Test(dtype, refuses_big_endian_descrs_with_a_hint)
{
	expect_bad_descr(">f8", "big-endian dtype '>f8' is not supported "
				"(convert with a.astype('<f8'))");
	expect_bad_descr(">i4", "big-endian dtype '>i4' is not supported "
				"(convert with a.astype('<i4'))");
	expect_bad_descr(">u2", "big-endian dtype '>u2' is not supported "
				"(convert with a.astype('<u2'))");
	expect_bad_descr(">f4", "big-endian dtype '>f4' is not supported "
				"(convert with a.astype('<f4'))");
}

Test(dtype, refuses_unsupported_descrs_naming_them)
{
	expect_bad_descr("<c16", "unsupported dtype '<c16'");
	expect_bad_descr("<c8", "unsupported dtype '<c8'");
	expect_bad_descr("<f2", "unsupported dtype '<f2'");
	expect_bad_descr("|b2", "unsupported dtype '|b2'");
	expect_bad_descr("<U5", "unsupported dtype '<U5'");
	expect_bad_descr("|S3", "unsupported dtype '|S3'");
	expect_bad_descr("<M8[ns]", "unsupported dtype '<M8[ns]'");
	expect_bad_descr("|V8", "unsupported dtype '|V8'");
	expect_bad_descr("<i3", "unsupported dtype '<i3'");
	expect_bad_descr("<i16", "unsupported dtype '<i16'");
	expect_bad_descr("f8", "unsupported dtype 'f8'");
	expect_bad_descr("<f8 ", "unsupported dtype '<f8 '");
	expect_bad_descr("", "unsupported dtype ''");
	expect_bad_descr(">f1", "unsupported dtype '>f1'");
	expect_bad_descr(">c16", "unsupported dtype '>c16'");
}
