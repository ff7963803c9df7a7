/* engine/format/dtype.c - the dtype table: shmx names, numpy aliases, sizes and
 * NPY descrs.  Pure: no system calls. */
#include <string.h>

#include "shmx/dtype.h"
#include "base/internal.h"

struct dtype_info {
	const char *name;    /* shmx's */
	const char *numpy;   /* numpy's long name */
	const char *descr;   /* NPY descr, little-endian */
	const char *aliases; /* more numpy spellings, space separated */
	size_t size;
	int is_float, is_signed;
};

static const struct dtype_info dtypes[SHMX_DTYPE_COUNT] = {
	[SHMX_I8] = { "i8", "int8", "|i1", "<i1 i1 b byte", 1, 0, 1 },
	[SHMX_I16] = { "i16", "int16", "<i2", "i2 h short", 2, 0, 1 },
	[SHMX_I32] = { "i32", "int32", "<i4", "i4 intc", 4, 0, 1 },
	[SHMX_I64] = { "i64", "int64", "<i8", "i8 l q long int_ longlong", 8, 0, 1 },
	[SHMX_U8] = { "u8", "uint8", "|u1", "<u1 u1 B ubyte", 1, 0, 0 },
	[SHMX_U16] = { "u16", "uint16", "<u2", "u2 H ushort", 2, 0, 0 },
	[SHMX_U32] = { "u32", "uint32", "<u4", "u4 I uintc", 4, 0, 0 },
	[SHMX_U64] = { "u64", "uint64", "<u8", "u8 L Q ulonglong uint", 8, 0, 0 },
	[SHMX_F32] = { "f32", "float32", "<f4", "f4 f single", 4, 1, 1 },
	[SHMX_F64] = { "f64", "float64", "<f8", "f8 d double float_ float", 8, 1, 1 },
	[SHMX_BOOL] = { "bool", "bool", "|b1", "<b1 b1 ? bool_ bool8", 1, 0, 0 },
};

/* 1 when word is one of the space-separated words of list. */
static int in_list(const char *list, const char *word)
{
	size_t n = strlen(word);

	while (*list) {
		size_t k = strcspn(list, " ");

		if (k == n && memcmp(list, word, n) == 0)
			return 1;
		list += k;
		list += strspn(list, " ");
	}
	return 0;
}

int shmx_dtype_parse(const char *s, enum shmx_dtype *out,
		     struct shmx_error *err)
{
	/* "i8" is shmx's int8 but numpy's int64: shmx's names win, as the
	 * contract lists them first; numpy's "<i8" / "int64" stay exact. */
	for (int t = 0; t < SHMX_DTYPE_COUNT; t++) {
		if (strcmp(s, dtypes[t].name) == 0) {
			*out = (enum shmx_dtype)t;
			return 0;
		}
	}
	for (int t = 0; t < SHMX_DTYPE_COUNT; t++) {
		const struct dtype_info *d = &dtypes[t];

		if (strcmp(s, d->numpy) == 0 || strcmp(s, d->descr) == 0 ||
		    in_list(d->aliases, s)) {
			*out = (enum shmx_dtype)t;
			return 0;
		}
	}
	return shmx__fail(err, SHMX_EDTYPE,
			  "unsupported dtype '%s' (use bool i8 i16 i32 i64 u8 u16 "
			  "u32 u64 f32 f64 or numpy's names)",
			  s);
}

int shmx_dtype_from_descr(const char *descr, enum shmx_dtype *out,
			  struct shmx_error *err)
{
	char kind;
	size_t size;

	/* '|' and '<' are the only byte orders we read; '=' is native, which
	 * on every machine we run on is little-endian. */
	if (strlen(descr) != 3 || descr[2] < '1' || descr[2] > '8')
		goto bad;
	if (!strchr("<|=", descr[0]) && !(descr[0] == '>' && descr[2] == '1'))
		goto bad;
	kind = descr[1];
	size = (size_t)(descr[2] - '0');
	for (int t = 0; t < SHMX_DTYPE_COUNT; t++) {
		const struct dtype_info *d = &dtypes[t];

		if (d->descr[1] == kind && d->size == size) {
			*out = (enum shmx_dtype)t;
			return 0;
		}
	}
bad:
	if (descr[0] == '>' && strlen(descr) == 3 && descr[2] != '1')
		return shmx__fail(err, SHMX_EDTYPE,
				  "big-endian dtype '%s' is not supported "
				  "(convert with a.astype('<%s'))",
				  descr, descr + 1);
	return shmx__fail(err, SHMX_EDTYPE, "unsupported dtype '%s'", descr);
}

size_t shmx_dtype_size(enum shmx_dtype t)
{
	return dtypes[t].size;
}

const char *shmx_dtype_name(enum shmx_dtype t)
{
	return dtypes[t].name;
}

const char *shmx_dtype_descr(enum shmx_dtype t)
{
	return dtypes[t].descr;
}

int shmx_dtype_is_float(enum shmx_dtype t)
{
	return dtypes[t].is_float;
}

int shmx_dtype_is_signed(enum shmx_dtype t)
{
	return dtypes[t].is_signed;
}
