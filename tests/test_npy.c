/* tests/test_npy.c - engine/format/npy.c: the strict NPY header parser (every
 * documented refusal with its exact code and message), the size check, and
 * the writer (4096-byte header, round trip). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shmx/npy.h"
#include "support.h"

#define WHAT "x.npy"

/* An NPY image in img: magic, version major.minor, the header length, then
 * dict padded with spaces and ended by '\n' so that the data starts at
 * data_at (0: right after dict and its '\n').  Returns the image length
 * (no data bytes follow). */
static size_t build(unsigned char *img, size_t cap, int major, int minor,
		    const char *dict, size_t data_at)
{
	size_t pre = major == 1 ? 10 : 12, dl = strlen(dict), hlen;

	if (!data_at)
		data_at = pre + dl + 1;
	cr_assert(data_at >= pre + dl + 1 && data_at <= cap);
	hlen = data_at - pre;
	memcpy(img, "\x93NUMPY", 6);
	img[6] = (unsigned char)major;
	img[7] = (unsigned char)minor;
	if (pre == 10) {
		cr_assert(hlen <= 0xffff);
		img[8] = (unsigned char)hlen;
		img[9] = (unsigned char)(hlen >> 8);
	} else {
		for (int i = 0; i < 4; i++)
			img[8 + i] = (unsigned char)(hlen >> (8 * i));
	}
	memcpy(img + pre, dict, dl);
	memset(img + pre + dl, ' ', data_at - pre - dl - 1);
	img[data_at - 1] = '\n';
	return data_at;
}

/* Parse a copy of exactly len bytes, so that ASan sees any read past it. */
static int parse_exact(const void *img, size_t len, struct shmx_npy_header *h,
		       struct shmx_error *err)
{
	void *copy = malloc(len ? len : 1);
	int rc;

	cr_assert(copy);
	memcpy(copy, img, len);
	memset(err, 0, sizeof(*err));
	rc = shmx_npy_parse(copy, len, WHAT, h, err);
	free(copy);
	return rc;
}

/* The header for dict (v1, data right after it) must parse. */
static struct shmx_npy_header parse_dict_ok(const char *dict)
{
	unsigned char img[1024];
	struct shmx_npy_header h;
	struct shmx_error err;
	size_t len = build(img, sizeof(img), 1, 0, dict, 128);

	cr_assert_eq(parse_exact(img, len, &h, &err), 0, "%s: %s", dict,
		     err.msg);
	return h;
}

/* The header for dict (v1, data at 128) must fail with code and msg. */
static void parse_dict_bad(const char *dict, int code, const char *msg)
{
	unsigned char img[1024];
	struct shmx_npy_header h;
	struct shmx_error err;
	size_t len = build(img, sizeof(img), 1, 0, dict,
			   strlen(dict) < 117 ? 128 : 0);

	cr_expect_eq(parse_exact(img, len, &h, &err), code, "%s -> %s", dict,
		     err.msg);
	cr_expect_eq(err.code, code, "%s", dict);
	cr_expect_str_eq(err.msg, msg, "for %s", dict);
}

static void image_bad(const unsigned char *img, size_t len, int code,
		      const char *msg)
{
	struct shmx_npy_header h;
	struct shmx_error err;

	cr_expect_eq(parse_exact(img, len, &h, &err), code, "-> %s", err.msg);
	cr_expect_eq(err.code, code);
	cr_expect_str_eq(err.msg, msg);
}

#define DICT(descr, fortran, shape)                                      \
	"{'descr': '" descr "', 'fortran_order': " fortran ", 'shape': " \
	shape ", }"

/* --- what numpy writes ------------------------------------------------ */

Test(npy, parses_what_numpy_writes_with_data_at_128)
{
	unsigned char img[256];
	struct shmx_npy_header h;
	struct shmx_error err;
	size_t len = build(img, sizeof(img), 1, 0,
			   DICT("<f8", "False", "(3, 5)"), 128);

	cr_assert_eq(parse_exact(img, len, &h, &err), 0, "%s", err.msg);
	cr_expect_eq(h.dtype, SHMX_F64);
	cr_expect_eq(h.shape.ndim, 2);
	cr_expect_eq(h.shape.dim[0], 3);
	cr_expect_eq(h.shape.dim[1], 5);
	cr_expect_eq(h.data_offset, 128);
	cr_expect_eq(h.data_bytes, 120);
	cr_expect_eq(h.version, 1);
}

Test(npy, parses_headers_with_data_at_64_and_at_80)
{
	/* numpy pads to 64 (16 before 1.14: old files put data at 80) */
	unsigned char img[256];
	struct shmx_npy_header h;
	struct shmx_error err;
	const char *d = "{'descr':'<i4','fortran_order':False,'shape':(3,)}";
	size_t len = build(img, sizeof(img), 1, 0, d, 64);

	cr_assert_eq(parse_exact(img, len, &h, &err), 0, "%s", err.msg);
	cr_expect_eq(h.data_offset, 64);
	cr_expect_eq(h.dtype, SHMX_I32);
	cr_expect(h.shape.ndim == 1 && h.shape.dim[0] == 3);
	len = build(img, sizeof(img), 1, 0, DICT("<f8", "False", "(2,)"), 80);
	cr_assert_eq(parse_exact(img, len, &h, &err), 0, "%s", err.msg);
	cr_expect_eq(h.data_offset, 80);
}

Test(npy, parses_v2_and_v3_headers_with_a_32_bit_length)
{
	unsigned char img[256];
	struct shmx_npy_header h;
	struct shmx_error err;
	size_t len;

	for (int v = 2; v <= 3; v++) {
		len = build(img, sizeof(img), v, 0,
			    DICT("<u2", "False", "(4, 2)"), 128);
		cr_assert_eq(parse_exact(img, len, &h, &err), 0, "v%d: %s", v,
			     err.msg);
		cr_expect_eq(h.version, v);
		cr_expect_eq(h.data_offset, 128);
		cr_expect_eq(h.dtype, SHMX_U16);
		cr_expect(h.shape.ndim == 2 && h.shape.dim[0] == 4 &&
			  h.shape.dim[1] == 2);
		cr_expect_eq(h.data_bytes, 16);
	}
}

Test(npy, parses_every_supported_descr)
{
	static const struct {
		const char *d;
		enum shmx_dtype t;
	} ds[] = { { "|i1", SHMX_I8 },  { "<i2", SHMX_I16 }, { "<i4", SHMX_I32 },
		   { "<i8", SHMX_I64 }, { "|u1", SHMX_U8 },  { "<u2", SHMX_U16 },
		   { "<u4", SHMX_U32 }, { "<u8", SHMX_U64 }, { "<f4", SHMX_F32 },
		   { "<f8", SHMX_F64 }, { ">i1", SHMX_I8 },  { ">u1", SHMX_U8 },
		   { "<i1", SHMX_I8 },  { "<u1", SHMX_U8 } };
	char dict[128];

	for (size_t i = 0; i < sizeof(ds) / sizeof(ds[0]); i++) {
		snprintf(dict, sizeof(dict),
			 "{'descr': '%s', 'fortran_order': False, "
			 "'shape': (6,), }",
			 ds[i].d);
		struct shmx_npy_header h = parse_dict_ok(dict);

		cr_expect_eq(h.dtype, ds[i].t, "%s", ds[i].d);
		cr_expect_eq(h.data_bytes, 6 * shmx_dtype_size(ds[i].t));
	}
}

Test(npy, parses_scalar_and_empty_shapes)
{
	struct shmx_npy_header h = parse_dict_ok(DICT("<f8", "False", "()"));

	cr_expect_eq(h.shape.ndim, 0);
	cr_expect_eq(h.data_bytes, 8, "a scalar holds one element");
	h = parse_dict_ok(DICT("<f8", "False", "(0,)"));
	cr_expect(h.shape.ndim == 1 && h.shape.dim[0] == 0);
	cr_expect_eq(h.data_bytes, 0);
	h = parse_dict_ok(DICT("<f8", "False", "(0, 4)"));
	cr_expect(h.shape.ndim == 2 && h.shape.dim[0] == 0 &&
		  h.shape.dim[1] == 4);
	cr_expect_eq(h.data_bytes, 0);
	h = parse_dict_ok(DICT("<f8", "False", "(4, 0)"));
	cr_expect(h.shape.ndim == 2 && h.shape.dim[0] == 4 &&
		  h.shape.dim[1] == 0);
	h = parse_dict_ok(DICT("<f8", "False", "(1,)"));
	cr_expect(h.shape.ndim == 1 && h.shape.dim[0] == 1);
}

Test(npy, accepts_any_key_order_quotes_spacing_and_trailing_commas)
{
	static const char *const dicts[] = {
		"{'shape': (3, 5), 'fortran_order': False, 'descr': '<f8'}",
		"{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (3, 5)}",
		"{'descr':'<f8','fortran_order':False,'shape':(3,5),}",
		"{ 'descr' : '<f8' ,\t'fortran_order' : False ,\n 'shape' : ( 3 , 5 , ) , }",
		"{'descr': '<f8', 'fortran_order': False, 'shape': (3L, 5L)}",
	};

	for (size_t i = 0; i < sizeof(dicts) / sizeof(dicts[0]); i++) {
		struct shmx_npy_header h = parse_dict_ok(dicts[i]);

		cr_expect_eq(h.dtype, SHMX_F64, "%s", dicts[i]);
		cr_expect(h.shape.ndim == 2 && h.shape.dim[0] == 3 &&
			  h.shape.dim[1] == 5, "%s", dicts[i]);
	}
}

Test(npy, accepts_a_header_of_exactly_64_kib)
{
	size_t hlen = SHMX_NPY_MAX_HEADER, len = 12 + hlen;
	unsigned char *img = malloc(len);
	struct shmx_npy_header h;
	struct shmx_error err;

	cr_assert(img);
	build(img, len, 2, 0, DICT("|u1", "False", "(5,)"), len);
	cr_expect_eq(parse_exact(img, len, &h, &err), 0, "%s", err.msg);
	cr_expect_eq(h.data_offset, 12 + SHMX_NPY_MAX_HEADER);
	free(img);
}

Test(npy, accepts_the_largest_shape_that_fits)
{
	struct shmx_npy_header h =
		parse_dict_ok(DICT("|u1", "False", "(4611686018427387904,)"));

	cr_expect_eq(h.data_bytes, UINT64_C(1) << 62);
	h = parse_dict_ok(DICT("<f8", "False", "(1073741824, 67108864)"));
	cr_expect_eq(h.data_bytes, UINT64_C(1) << 59);
}

/* --- fortran order ---------------------------------------------------- */

Test(npy, fortran_order_is_fine_when_it_is_also_c_order)
{
	struct shmx_npy_header h = parse_dict_ok(DICT("<f8", "True", "(7,)"));

	cr_expect(h.shape.ndim == 1 && h.shape.dim[0] == 7);
	h = parse_dict_ok(DICT("<f8", "True", "()"));
	cr_expect_eq(h.shape.ndim, 0);
	h = parse_dict_ok(DICT("<f8", "True", "(1, 5)"));
	cr_expect(h.shape.ndim == 2 && h.shape.dim[1] == 5);
	h = parse_dict_ok(DICT("<f8", "True", "(5, 1)"));
	cr_expect(h.shape.ndim == 2 && h.shape.dim[0] == 5);
	h = parse_dict_ok(DICT("<f8", "True", "(0, 4)"));
	cr_expect_eq(h.data_bytes, 0);
}

Test(npy, refuses_fortran_order_for_a_real_matrix)
{
	parse_dict_bad(DICT("<f8", "True", "(3, 4)"), SHMX_EBADNPY,
		       WHAT ": fortran_order arrays are not supported "
			    "(save with np.ascontiguousarray)");
}

/* --- the preamble ----------------------------------------------------- */

Test(npy, refuses_input_too_short_for_a_preamble)
{
	unsigned char img[256];
	char msg[128];

	build(img, sizeof(img), 1, 0, DICT("<f8", "False", "(3,)"), 128);
	for (size_t n = 0; n < 10; n++) {
		snprintf(msg, sizeof(msg),
			 WHAT ": too short for an NPY header (%zu bytes)", n);
		image_bad(img, n, SHMX_EBADNPY, msg);
	}
}

Test(npy, refuses_a_v2_preamble_cut_before_its_length)
{
	unsigned char img[256];

	build(img, sizeof(img), 2, 0, DICT("<f8", "False", "(3,)"), 128);
	image_bad(img, 10, SHMX_EBADNPY, WHAT ": truncated NPY header");
	image_bad(img, 11, SHMX_EBADNPY, WHAT ": truncated NPY header");
}

Test(npy, refuses_a_truncated_header_saying_how_much_is_there)
{
	unsigned char img[256];

	build(img, sizeof(img), 1, 0, DICT("<f8", "False", "(3,)"), 128);
	image_bad(img, 30, SHMX_EBADNPY,
		  WHAT ": truncated NPY header (20 of 118 bytes)");
	image_bad(img, 127, SHMX_EBADNPY,
		  WHAT ": truncated NPY header (117 of 118 bytes)");
	build(img, sizeof(img), 3, 0, DICT("<f8", "False", "(3,)"), 128);
	image_bad(img, 12, SHMX_EBADNPY,
		  WHAT ": truncated NPY header (0 of 116 bytes)");
}

Test(npy, refuses_bad_magic)
{
	static const char msg[] = WHAT ": not an NPY file (bad magic); raw "
				       "data needs --dtype and --shape";
	unsigned char img[256];
	size_t len = build(img, sizeof(img), 1, 0,
			   DICT("<f8", "False", "(3,)"), 128);

	for (int i = 0; i < 6; i++) {
		unsigned char save = img[i];

		img[i] ^= 0x20;
		image_bad(img, len, SHMX_EBADNPY, msg);
		img[i] = save;
	}
	image_bad((const unsigned char *)"hello, world, this is text", 26,
		  SHMX_EBADNPY, msg);
}

Test(npy, refuses_unknown_versions)
{
	static const struct {
		unsigned char major, minor;
		const char *msg;
	} vs[] = { { 4, 0, WHAT ": unsupported NPY version 4.0" },
		   { 1, 1, WHAT ": unsupported NPY version 1.1" },
		   { 0, 0, WHAT ": unsupported NPY version 0.0" },
		   { 2, 1, WHAT ": unsupported NPY version 2.1" },
		   { 255, 255, WHAT ": unsupported NPY version 255.255" } };
	unsigned char img[256];
	size_t len = build(img, sizeof(img), 1, 0,
			   DICT("<f8", "False", "(3,)"), 128);

	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		img[6] = vs[i].major;
		img[7] = vs[i].minor;
		image_bad(img, len, SHMX_EBADNPY, vs[i].msg);
	}
}

Test(npy, refuses_a_header_longer_than_64_kib)
{
	unsigned char img[256];
	size_t len = build(img, sizeof(img), 2, 0,
			   DICT("<f8", "False", "(3,)"), 128);

	/* the length is refused before anything is read past the preamble */
	img[8] = 0x01, img[9] = 0x00, img[10] = 0x01, img[11] = 0x00;
	image_bad(img, len, SHMX_EBADNPY,
		  WHAT ": NPY header length 65537 is too large");
	img[6] = 3;
	img[8] = img[9] = img[10] = img[11] = 0xff;
	image_bad(img, len, SHMX_EBADNPY,
		  WHAT ": NPY header length 4294967295 is too large");
}

Test(npy, refuses_data_not_aligned_for_its_type)
{
	unsigned char img[256];
	size_t len = build(img, sizeof(img), 1, 0,
			   DICT("<f8", "False", "(3,)"), 75);

	image_bad(img, len, SHMX_EBADNPY,
		  WHAT ": NPY data at byte 75 is not aligned for f64");
	len = build(img, sizeof(img), 1, 0, DICT("<i4", "False", "(3,)"), 130);
	image_bad(img, len, SHMX_EBADNPY,
		  WHAT ": NPY data at byte 130 is not aligned for i32");
}

Test(npy, bytes_may_start_anywhere)
{
	unsigned char img[256];
	struct shmx_npy_header h;
	struct shmx_error err;
	size_t len = build(img, sizeof(img), 1, 0,
			   DICT("|u1", "False", "(3,)"), 75);

	cr_expect_eq(parse_exact(img, len, &h, &err), 0, "%s", err.msg);
	cr_expect_eq(h.data_offset, 75);
}

/* --- the dictionary ---------------------------------------------------- */

Test(npy, refuses_a_negative_dimension)
{
	parse_dict_bad(DICT("<f8", "False", "(-1, 3)"), SHMX_ESHAPE,
		       WHAT ": negative dimension in shape");
	parse_dict_bad(DICT("<f8", "False", "(3, -4)"), SHMX_ESHAPE,
		       WHAT ": negative dimension in shape");
}

Test(npy, refuses_an_overflowing_shape)
{
	parse_dict_bad(DICT("<f8", "False", "(4611686018427387904, 4)"),
		       SHMX_ESHAPE, WHAT ": shape in NPY header overflows");
	parse_dict_bad(DICT("<f8", "False", "(4611686018427387904,)"),
		       SHMX_ESHAPE, WHAT ": shape in NPY header overflows");
	parse_dict_bad(DICT("|u1", "False", "(4294967296, 4294967296)"),
		       SHMX_ESHAPE, WHAT ": shape in NPY header overflows");
}

Test(npy, refuses_a_dimension_too_large_to_read)
{
	parse_dict_bad(DICT("<f8", "False", "(99999999999999999999,)"),
		       SHMX_EBADNPY, WHAT ": bad shape in NPY header");
}

/* Found by tests/fuzz/fuzz_npy.c: a dimension just above 2^62 was read
 * (only a product above 2^62 was refused), so 0 rows of it passed. */
Test(npy, no_dimension_passes_two_to_the_62)
{
	struct shmx_npy_header h =
		parse_dict_ok(DICT("|u1", "False", "(0, 4611686018427387904)"));

	cr_expect_eq(h.shape.dim[1], UINT64_C(1) << 62);
	parse_dict_bad(DICT("|u1", "False", "(0, 4611686018427387905)"),
		       SHMX_EBADNPY, WHAT ": bad shape in NPY header");
	parse_dict_bad(DICT("<f8", "False", "(4611686018427387909, 0)"),
		       SHMX_EBADNPY, WHAT ": bad shape in NPY header");
}

Test(npy, refuses_more_than_two_dimensions)
{
	parse_dict_bad(DICT("<f8", "False", "(2, 3, 4)"), SHMX_ESHAPE,
		       WHAT ": 3-D arrays are not supported (shmx handles N "
			    "or RxC)");
	parse_dict_bad(DICT("<f8", "False", "(1, 1, 1, 1, 1, 1, 1, 1)"),
		       SHMX_ESHAPE,
		       WHAT ": 8-D arrays are not supported (shmx handles N "
			    "or RxC)");
	parse_dict_bad(DICT("<f8", "False", "(1, 1, 1, 1, 1, 1, 1, 1, 1)"),
		       SHMX_ESHAPE, WHAT ": too many dimensions");
}

Test(npy, refuses_unsupported_dtypes_naming_them)
{
	parse_dict_bad(DICT("<c16", "False", "(3,)"), SHMX_EDTYPE,
		       WHAT ": unsupported dtype '<c16'");
	parse_dict_bad(DICT("|b2", "False", "(3,)"), SHMX_EDTYPE,
		       WHAT ": unsupported dtype '|b2'");
	parse_dict_bad(DICT("<f2", "False", "(3,)"), SHMX_EDTYPE,
		       WHAT ": unsupported dtype '<f2'");
	parse_dict_bad(DICT("<U4", "False", "(3,)"), SHMX_EDTYPE,
		       WHAT ": unsupported dtype '<U4'");
}

Test(npy, refuses_structured_dtypes)
{
	parse_dict_bad("{'descr': [('a', '<f8'), ('b', '<i4')], "
		       "'fortran_order': False, 'shape': (3,), }",
		       SHMX_EDTYPE,
		       WHAT ": unsupported dtype (structured or not a plain "
			    "type)");
	parse_dict_bad("{'descr': '<f\\x38', 'fortran_order': False, "
		       "'shape': (3,), }",
		       SHMX_EDTYPE,
		       WHAT ": unsupported dtype (structured or not a plain "
			    "type)");
}

Test(npy, refuses_big_endian_data_with_a_hint)
{
	parse_dict_bad(DICT(">f8", "False", "(3,)"), SHMX_EDTYPE,
		       WHAT ": big-endian dtype '>f8' is not supported "
			    "(convert with a.astype('<f8'))");
	parse_dict_bad(DICT(">i2", "False", "(3,)"), SHMX_EDTYPE,
		       WHAT ": big-endian dtype '>i2' is not supported "
			    "(convert with a.astype('<i2'))");
}

Test(npy, refuses_a_missing_key)
{
	static const char msg[] =
		WHAT ": NPY header lacks descr, fortran_order or shape";

	parse_dict_bad("{'fortran_order': False, 'shape': (3,), }",
		       SHMX_EBADNPY, msg);
	parse_dict_bad("{'descr': '<f8', 'shape': (3,), }", SHMX_EBADNPY, msg);
	parse_dict_bad("{'descr': '<f8', 'fortran_order': False, }",
		       SHMX_EBADNPY, msg);
	parse_dict_bad("{}", SHMX_EBADNPY, msg);
}

Test(npy, refuses_a_key_given_twice)
{
	parse_dict_bad("{'descr': '<f8', 'fortran_order': False, 'shape': "
		       "(3,), 'descr': '<f8'}",
		       SHMX_EBADNPY, WHAT ": key 'descr' twice in NPY header");
	parse_dict_bad("{'descr': '<f8', 'shape': (3,), 'fortran_order': "
		       "False, 'shape': (4,)}",
		       SHMX_EBADNPY, WHAT ": key 'shape' twice in NPY header");
	parse_dict_bad("{'fortran_order': True, 'descr': '<f8', "
		       "'fortran_order': False, 'shape': (3,)}",
		       SHMX_EBADNPY,
		       WHAT ": key 'fortran_order' twice in NPY header");
}

Test(npy, refuses_an_unexpected_key)
{
	parse_dict_bad("{'descr': '<f8', 'fortran_order': False, 'shape': "
		       "(3,), 'extra': 1}",
		       SHMX_EBADNPY,
		       WHAT ": unexpected key 'extra' in NPY header");
	parse_dict_bad("{'Descr': '<f8', 'fortran_order': False, 'shape': "
		       "(3,)}",
		       SHMX_EBADNPY,
		       WHAT ": unexpected key 'Descr' in NPY header");
}

Test(npy, refuses_malformed_dictionaries)
{
	static const char *const bad[] = {
		"",
		"[1, 2, 3]",
		"{'descr': '<f8', 'fortran_order': False, 'shape': (3,)",
		"{'descr': '<f8', 'fortran_order': False, 'shape': (3,)} x",
		"{'descr': '<f8', 'fortran_order': False, 'shape': (3,)}}",
		"{'descr' '<f8', 'fortran_order': False, 'shape': (3,)}",
		"{'descr': '<f8' 'fortran_order': False, 'shape': (3,)}",
		"{'descr': '<f8, 'fortran_order': False, 'shape': (3,)}",
		"{'descr': '<f8', 'fortran_order': false, 'shape': (3,)}",
		"{'descr': '<f8', 'fortran_order': 0, 'shape': (3,)}",
		"{'descr': '<f8', 'fortran_order': False, 'shape': 3}",
		"{'descr': '<f8', 'fortran_order': False, 'shape': [3]}",
		"{'descr': '<f8', 'fortran_order': False, 'shape': (3 4)}",
		"{descr: '<f8', 'fortran_order': False, 'shape': (3,)}",
		"{'descr': '<f8',, 'fortran_order': False, 'shape': (3,)}",
		"{'a_key_that_is_far_too_long_to_be_one_of_ours': 1}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_dict_bad(bad[i], SHMX_EBADNPY,
			       WHAT ": malformed NPY header dictionary");
}

Test(npy, refuses_a_shape_that_is_not_numbers)
{
	parse_dict_bad(DICT("<f8", "False", "(,)"), SHMX_EBADNPY,
		       WHAT ": bad shape in NPY header");
	parse_dict_bad(DICT("<f8", "False", "(3, x)"), SHMX_EBADNPY,
		       WHAT ": bad shape in NPY header");
	parse_dict_bad("{'descr': '<f8', 'fortran_order': False, "
		       "'shape': (3,}",
		       SHMX_EBADNPY, WHAT ": bad shape in NPY header");
	parse_dict_bad(DICT("<f8", "False", "(3.0,)"), SHMX_EBADNPY,
		       WHAT ": malformed NPY header dictionary");
}

Test(npy, refuses_a_header_with_a_nul_inside)
{
	unsigned char img[256];
	size_t len = build(img, sizeof(img), 1, 0,
			   DICT("<f8", "False", "(3,)"), 128);

	img[len - 3] = '\0'; /* in the padding */
	image_bad(img, len, SHMX_EBADNPY,
		  WHAT ": malformed NPY header dictionary");
}

/* Found by comparing the fuzz corpus with numpy's reader: shmx took a
 * NUL inside a quoted string as its end ('<f8\0junk' as '<f8'), a
 * one-element shape without its comma (Python's integer 3, not a tuple)
 * and decimal numbers with leading zeros (a syntax error in Python 3). */
Test(npy, refuses_headers_numpy_cannot_read)
{
	unsigned char img[256];
	size_t len = build(img, sizeof(img), 1, 0,
			   DICT("<f8#junk", "False", "(3,)"), 128);

	*(unsigned char *)memchr(img, '#', len) = '\0';
	image_bad(img, len, SHMX_EDTYPE,
		  WHAT ": unsupported dtype (structured or not a plain type)");
	len = build(img, sizeof(img), 1, 0,
		    "{'descr#x': '<f8', 'fortran_order': False, 'shape': (3,)}",
		    128);
	*(unsigned char *)memchr(img, '#', len) = '\0';
	image_bad(img, len, SHMX_EBADNPY,
		  WHAT ": malformed NPY header dictionary");
	parse_dict_bad(DICT("<f8", "False", "(3)"), SHMX_EBADNPY,
		       WHAT ": malformed NPY header dictionary");
	parse_dict_bad(DICT("<f8", "False", "(03,)"), SHMX_EBADNPY,
		       WHAT ": bad shape in NPY header");
	parse_dict_bad(DICT("<f8", "False", "(2, 010)"), SHMX_EBADNPY,
		       WHAT ": bad shape in NPY header");
}

Test(npy, reads_zeros_and_python_2_longs_as_numpy_does)
{
	struct shmx_npy_header h =
		parse_dict_ok(DICT("<f8", "False", "(00, 3L)"));

	cr_expect(h.shape.ndim == 2 && h.shape.dim[0] == 0 &&
		  h.shape.dim[1] == 3);
	h = parse_dict_ok(DICT("<f8", "False", "(10,)"));
	cr_expect(h.shape.ndim == 1 && h.shape.dim[0] == 10);
}

Test(npy, parse_without_an_error_struct_returns_the_code)
{
	unsigned char img[256];
	struct shmx_npy_header h;
	size_t len = build(img, sizeof(img), 1, 0,
			   DICT(">f8", "False", "(3,)"), 128);

	cr_expect_eq(shmx_npy_parse(img, len, WHAT, &h, NULL), SHMX_EDTYPE);
	cr_expect_eq(shmx_npy_parse(img, 5, WHAT, &h, NULL), SHMX_EBADNPY);
	len = build(img, sizeof(img), 1, 0, DICT("<f8", "False", "(3, 4, 5)"),
		    128);
	cr_expect_eq(shmx_npy_parse(img, len, WHAT, &h, NULL), SHMX_ESHAPE);
}

/* Every prefix and every single-byte change of a valid header parses or
 * fails cleanly: never a read past len (ASan), never another code. */
Test(npy, survives_every_truncation_and_byte_flip)
{
	static const unsigned char vals[] = { 0, ' ', '\'', '"', '(', ')',
					      ',', ':', '{', '}', '-', '9',
					      'L', 0x80, 0xff };
	unsigned char img[256];
	struct shmx_npy_header h;
	struct shmx_error err;
	size_t len = build(img, sizeof(img), 1, 0,
			   DICT("<f8", "False", "(3, 5)"), 128);

	for (size_t n = 0; n < len; n++) {
		int rc = parse_exact(img, n, &h, &err);

		cr_expect_eq(rc, SHMX_EBADNPY, "prefix of %zu bytes", n);
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char save = img[i];

		for (size_t v = 0; v < sizeof(vals); v++) {
			int rc;

			img[i] = vals[v];
			rc = parse_exact(img, len, &h, &err);
			cr_expect(rc == 0 || rc == SHMX_EBADNPY ||
				  rc == SHMX_EDTYPE || rc == SHMX_ESHAPE,
				  "byte %zu = %#x: %d", i, vals[v], rc);
			if (rc)
				cr_expect(err.code == rc && err.msg[0] &&
					  !strchr(err.msg, '\n'));
		}
		img[i] = save;
	}
}

/* --- the size check ---------------------------------------------------- */

static struct shmx_npy_header header_of(uint64_t offset, uint64_t bytes)
{
	struct shmx_npy_header h = { .dtype = SHMX_F64,
				     .shape = { 1, { bytes / 8, 0 } },
				     .data_offset = offset,
				     .data_bytes = bytes,
				     .version = 1 };
	return h;
}

Test(npy, check_size_accepts_exactly_the_data)
{
	struct shmx_npy_header h = header_of(128, 24);
	struct shmx_error err = { 0 };

	cr_expect_eq(shmx_npy_check_size(&h, 152, WHAT, &err), 0);
	h = header_of(4096, 0);
	cr_expect_eq(shmx_npy_check_size(&h, 4096, WHAT, &err), 0);
}

Test(npy, check_size_accepts_the_pad_byte_of_an_empty_array_only)
{
	struct shmx_npy_header h = header_of(4096, 0);
	struct shmx_error err = { 0 };

	cr_expect_eq(shmx_npy_check_size(&h, 4097, WHAT, &err), 0);
	cr_expect_eq(shmx_npy_check_size(&h, 4098, WHAT, &err), SHMX_ESIZE);
	h = header_of(4096, 8);
	cr_expect_eq(shmx_npy_check_size(&h, 4105, WHAT, &err), SHMX_ESIZE);
}

Test(npy, check_size_refuses_data_shorter_than_the_header_says)
{
	struct shmx_npy_header h = header_of(128, 24);
	struct shmx_error err = { 0 };

	cr_expect_eq(shmx_npy_check_size(&h, 151, WHAT, &err), SHMX_ESIZE);
	cr_expect_eq(err.code, SHMX_ESIZE);
	cr_expect_str_eq(err.msg, WHAT ": data is 23 bytes, shorter than the "
				       "24 its header says");
	cr_expect_eq(shmx_npy_check_size(&h, 128, WHAT, &err), SHMX_ESIZE);
	cr_expect_str_eq(err.msg, WHAT ": data is 0 bytes, shorter than the "
				       "24 its header says");
	cr_expect_eq(shmx_npy_check_size(&h, 100, WHAT, &err), SHMX_ESIZE);
	cr_expect_str_eq(err.msg, WHAT ": data is 0 bytes, shorter than the "
				       "24 its header says");
}

Test(npy, check_size_refuses_data_longer_than_the_header_says)
{
	struct shmx_npy_header h = header_of(128, 24);
	struct shmx_error err = { 0 };

	cr_expect_eq(shmx_npy_check_size(&h, 153, WHAT, &err), SHMX_ESIZE);
	cr_expect_eq(err.code, SHMX_ESIZE);
	cr_expect_str_eq(err.msg, WHAT ": data is 25 bytes, longer than the "
				       "24 its header says");
}

Test(npy, check_size_refuses_a_size_that_overflows)
{
	struct shmx_npy_header h = header_of(128, UINT64_MAX - 100);
	struct shmx_error err = { 0 };

	cr_expect_eq(shmx_npy_check_size(&h, 152, WHAT, &err), SHMX_ESIZE);
	cr_expect_str_eq(err.msg, WHAT ": size overflows");
	cr_expect_eq(shmx_npy_check_size(&h, 152, WHAT, NULL), SHMX_ESIZE);
}

/* --- the writer -------------------------------------------------------- */

Test(npy, writes_a_4096_byte_v1_header_ending_in_a_newline)
{
	unsigned char buf[SHMX_NPY_DATA_OFFSET + 64];
	struct shmx_shape s = { 2, { 3, 5 } };
	static const char dict[] =
		"{'descr': '<f8', 'fortran_order': False, 'shape': (3, 5), }";

	memset(buf, 0xee, sizeof(buf));
	shmx_npy_write_header(buf, SHMX_F64, &s);
	cr_expect_eq(memcmp(buf, "\x93NUMPY\x01\x00", 8), 0);
	cr_expect_eq(buf[8] | buf[9] << 8, SHMX_NPY_DATA_OFFSET - 10);
	cr_expect_eq(memcmp(buf + 10, dict, sizeof(dict) - 1), 0,
		     "header text: %.80s", buf + 10);
	for (size_t i = 10 + sizeof(dict) - 1; i < SHMX_NPY_DATA_OFFSET - 1;
	     i++)
		cr_assert_eq(buf[i], ' ', "padding byte %zu is %#x", i, buf[i]);
	cr_expect_eq(buf[SHMX_NPY_DATA_OFFSET - 1], '\n');
	for (size_t i = SHMX_NPY_DATA_OFFSET; i < sizeof(buf); i++)
		cr_assert_eq(buf[i], 0xee, "wrote past the header at %zu", i);
}

Test(npy, writes_shapes_as_numpy_spells_them)
{
	unsigned char buf[SHMX_NPY_DATA_OFFSET];
	struct shmx_shape s0 = { 0 }, s1 = { 1, { 7, 0 } };

	shmx_npy_write_header(buf, SHMX_U8, &s0);
	cr_expect(strncmp((char *)buf + 10,
			  "{'descr': '|u1', 'fortran_order': False, "
			  "'shape': (), }",
			  55) == 0,
		  "%.60s", buf + 10);
	shmx_npy_write_header(buf, SHMX_I32, &s1);
	cr_expect(strncmp((char *)buf + 10,
			  "{'descr': '<i4', 'fortran_order': False, "
			  "'shape': (7,), }",
			  57) == 0,
		  "%.60s", buf + 10);
}

Test(npy, parse_of_write_gives_back_every_dtype_and_shape)
{
	static const struct shmx_shape shapes[] = {
		{ 0, { 0, 0 } },   { 1, { 0, 0 } },  { 1, { 1, 0 } },
		{ 1, { 7, 0 } },   { 2, { 3, 5 } },  { 2, { 0, 4 } },
		{ 2, { 4, 0 } },   { 2, { 1, 1 } },
		{ 1, { UINT64_C(1) << 40, 0 } },
		{ 2, { 123456789, 10 } },
	};
	unsigned char buf[SHMX_NPY_DATA_OFFSET];

	for (int t = 0; t < SHMX_DTYPE_COUNT; t++)
		for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
			struct shmx_npy_header h;
			struct shmx_error err;
			uint64_t bytes;

			memset(buf, 0, sizeof(buf));
			shmx_npy_write_header(buf, (enum shmx_dtype)t,
					      &shapes[i]);
			cr_assert_eq(parse_exact(buf, sizeof(buf), &h, &err), 0,
				     "%s #%zu: %s",
				     shmx_dtype_name((enum shmx_dtype)t), i,
				     err.msg);
			cr_expect_eq(h.dtype, (enum shmx_dtype)t);
			cr_expect_eq(h.shape.ndim, shapes[i].ndim);
			cr_expect_eq(h.shape.dim[0], shapes[i].dim[0]);
			cr_expect_eq(h.shape.dim[1], shapes[i].dim[1]);
			cr_expect_eq(h.data_offset, SHMX_NPY_DATA_OFFSET);
			cr_expect_eq(h.version, 1);
			shmx_shape_bytes(&shapes[i], (enum shmx_dtype)t, &bytes);
			cr_expect_eq(h.data_bytes, bytes);
			cr_expect_eq(buf[SHMX_NPY_DATA_OFFSET - 1], '\n');
			cr_expect_eq(memchr(buf, '\0', SHMX_NPY_DATA_OFFSET),
				     buf + 7, "only the version has a NUL");
		}
}

/* Column names (a CSV's header) ride in a Python comment after the dict,
 * which numpy's literal_eval skips: shmx reads such headers too. */
Test(npy, accepts_comments_after_the_dict)
{
	struct shmx_npy_header h;

	h = parse_dict_ok("{'descr': '<f8', 'fortran_order': False, "
			  "'shape': (3, 2), }  # columns: [\"a\", \"b\"]");
	cr_assert_eq(h.shape.dim[1], 2);
	h = parse_dict_ok("{'descr': '<f8', 'fortran_order': False, "
			  "'shape': (3,), }\n# one\n  # two\t\n");
	cr_assert_eq(h.shape.dim[0], 3);
}

Test(npy, refuses_control_bytes_in_a_comment)
{
	static const char *const bad[] = {
		"{'descr': '<f8', 'fortran_order': False, 'shape': (3,), } # a\x01",
		"{'descr': '<f8', 'fortran_order': False, 'shape': (3,), } # a\rb",
		"{'descr': '<f8', 'fortran_order': False, 'shape': (3,), } x # a",
	};
	unsigned char img[1024];
	struct shmx_npy_header h;
	struct shmx_error err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		size_t len = build(img, sizeof(img), 1, 0, bad[i], 128);

		cr_assert_eq(parse_exact(img, len, &h, &err), SHMX_EBADNPY, "%zu", i);
	}
}

Test(npy, column_names_set_and_read_back)
{
	static unsigned char hdr[SHMX_NPY_DATA_OFFSET];
	struct shmx_shape s = { .ndim = 2, .dim = { 5, 2 } };
	struct shmx_npy_header h;
	struct shmx_error err;
	char cols[64], big[SHMX_NPY_DATA_OFFSET];

	shmx_npy_write_header(hdr, SHMX_F64, &s);
	cr_assert_eq(shmx_npy_columns(hdr, sizeof(hdr), cols, sizeof(cols)), 0);
	cr_assert_eq(shmx_npy_set_columns(hdr, "[\"x\", \"y\"]"), 0);
	cr_assert_eq(shmx_npy_columns(hdr, sizeof(hdr), cols, sizeof(cols)), 10);
	cr_assert_str_eq(cols, "[\"x\", \"y\"]");
	cr_assert_eq(parse_exact(hdr, sizeof(hdr), &h, &err), 0, "%s", err.msg);
	cr_assert_eq(h.data_offset, SHMX_NPY_DATA_OFFSET);
	cr_assert_eq(hdr[SHMX_NPY_DATA_OFFSET - 1], '\n');
	cr_assert_eq(shmx_npy_set_columns(hdr, "[\"a\nb\"]"), -EINVAL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(shmx_npy_set_columns(hdr, big), -ENOSPC);
	cr_assert_str_eq((shmx_npy_columns(hdr, sizeof(hdr), cols, sizeof(cols)), cols),
			 "[\"x\", \"y\"]");
}
