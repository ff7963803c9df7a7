/* engine/format/npy.c - NPY header parsing (strict, bounded) and writing.
 *
 * The header is a Python dict literal; we accept exactly the subset numpy
 * writes: the keys 'descr' (a string), 'fortran_order' (True/False) and
 * 'shape' (a tuple of non-negative integers), each once, in any order,
 * with optional whitespace and trailing commas.  Pure: no system calls,
 * never reads past len.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "shmx/npy.h"
#include "base/internal.h"

static const unsigned char magic[6] = { 0x93, 'N', 'U', 'M', 'P', 'Y' };

/* A cursor over the header text, [p, end). */
struct lex {
	const char *p, *end;
};

static void skip_ws(struct lex *l)
{
	while (l->p < l->end && (*l->p == ' ' || *l->p == '\t' ||
				 *l->p == '\n' || *l->p == '\r'))
		l->p++;
}

static int eat(struct lex *l, char c)
{
	skip_ws(l);
	if (l->p < l->end && *l->p == c) {
		l->p++;
		return 1;
	}
	return 0;
}

/* A quoted string into buf (at most len-1 bytes).  No escapes: numpy's
 * keys and simple descrs never need them. */
static int lex_string(struct lex *l, char *buf, size_t len)
{
	char q;
	size_t n = 0;

	skip_ws(l);
	if (l->p >= l->end || (*l->p != '\'' && *l->p != '"'))
		return -1;
	q = *l->p++;
	while (l->p < l->end && *l->p != q) {
		/* a NUL would cut the C string short: '<f8\0junk' is not '<f8' */
		if (*l->p == '\\' || *l->p == '\0' || n + 1 >= len)
			return -1;
		buf[n++] = *l->p++;
	}
	if (l->p >= l->end)
		return -1;
	l->p++;
	buf[n] = '\0';
	return 0;
}

static int lex_word(struct lex *l, const char *w)
{
	size_t n = strlen(w);

	skip_ws(l);
	if ((size_t)(l->end - l->p) >= n && memcmp(l->p, w, n) == 0) {
		l->p += n;
		return 1;
	}
	return 0;
}

/* A non-negative integer of at most 2^62, as Python 3 reads it: no
 * leading zero unless every digit is one ("00" is 0, "03" is an error). */
static int lex_uint(struct lex *l, uint64_t *out)
{
	uint64_t v = 0;
	int digits = 0, lead0;

	skip_ws(l);
	lead0 = l->p < l->end && *l->p == '0';
	while (l->p < l->end && *l->p >= '0' && *l->p <= '9') {
		if (lead0 && *l->p != '0')
			return -1;
		uint64_t d = (uint64_t)(*l->p++ - '0');

		if (v > ((UINT64_C(1) << 62) - d) / 10) /* v * 10 + d > 2^62 */
			return -1;
		v = v * 10 + d;
		digits++;
	}
	if (!digits)
		return -1;
	if (l->p < l->end && *l->p == 'L') /* Python 2 longs */
		l->p++;
	*out = v;
	return 0;
}

struct fields {
	char descr[32];
	int fortran;
	uint64_t dim[8];
	int ndim;
	int seen; /* bit per key */
};

static int parse_shape(struct lex *l, struct fields *f, const char *what,
		       struct shmx_error *err)
{
	if (!eat(l, '('))
		return -1;
	f->ndim = 0;
	while (!eat(l, ')')) {
		if (f->ndim == 8) /* numpy allows 32; we support 2 anyway */
			return shmx__fail(err, SHMX_ESHAPE,
					  "%s: too many dimensions", what);
		if (eat(l, '-'))
			return shmx__fail(err, SHMX_ESHAPE,
					  "%s: negative dimension in shape",
					  what);
		if (lex_uint(l, &f->dim[f->ndim]) < 0)
			return shmx__fail(err, SHMX_EBADNPY,
					  "%s: bad shape in NPY header", what);
		f->ndim++;
		if (!eat(l, ',')) {
			/* "(3)" is the integer 3, not a tuple: numpy refuses it */
			if (f->ndim == 1 || !eat(l, ')'))
				return -1;
			break;
		}
	}
	return 0;
}

/* One "'key': value" pair. */
static int parse_item(struct lex *l, struct fields *f, const char *what,
		      struct shmx_error *err)
{
	char key[32];
	int bit, rc;

	if (lex_string(l, key, sizeof(key)) < 0 || !eat(l, ':'))
		return -1;
	if (strcmp(key, "descr") == 0) {
		bit = 1;
		if (lex_string(l, f->descr, sizeof(f->descr)) < 0)
			return shmx__fail(err, SHMX_EDTYPE,
					  "%s: unsupported dtype (structured "
					  "or not a plain type)",
					  what);
	} else if (strcmp(key, "fortran_order") == 0) {
		bit = 2;
		if (lex_word(l, "True"))
			f->fortran = 1;
		else if (lex_word(l, "False"))
			f->fortran = 0;
		else
			return -1;
	} else if (strcmp(key, "shape") == 0) {
		bit = 4;
		rc = parse_shape(l, f, what, err);
		if (rc)
			return rc;
	} else {
		return shmx__fail(err, SHMX_EBADNPY,
				  "%s: unexpected key '%s' in NPY header", what,
				  key);
	}
	if (f->seen & bit)
		return shmx__fail(err, SHMX_EBADNPY,
				  "%s: key '%s' twice in NPY header", what, key);
	f->seen |= bit;
	return 0;
}

/* After the dict: blanks and Python comments, which numpy's literal_eval
 * skips (shmx keeps a CSV's column names in one, npy.h).  A comment ends
 * at '\n' or '\r' as in Python; other control bytes (NUL makes Python
 * refuse the header) are not taken. */
static void skip_comments(struct lex *l)
{
	skip_ws(l);
	while (l->p < l->end && *l->p == '#') {
		while (l->p < l->end && *l->p != '\n' && *l->p != '\r') {
			unsigned char c = (unsigned char)*l->p;

			if (c < 0x20 && c != '\t')
				return; /* refused: not at the end */
			l->p++;
		}
		skip_ws(l);
	}
}

static int parse_dict(struct lex *l, struct fields *f, const char *what,
		      struct shmx_error *err)
{
	int rc;

	if (!eat(l, '{'))
		return -1;
	while (!eat(l, '}')) {
		rc = parse_item(l, f, what, err);
		if (rc)
			return rc;
		if (!eat(l, ',')) {
			if (!eat(l, '}'))
				return -1;
			break;
		}
	}
	skip_comments(l);
	if (l->p != l->end)
		return -1;
	if (f->seen != 7)
		return shmx__fail(err, SHMX_EBADNPY,
				  "%s: NPY header lacks descr, fortran_order "
				  "or shape",
				  what);
	return 0;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Magic, version and header length: where the dict starts and ends. */
static int parse_preamble(const unsigned char *b, size_t len, const char *what,
			  struct shmx_npy_header *h, size_t *dict_at,
			  size_t *dict_len, struct shmx_error *err)
{
	size_t pre;

	if (len < 10)
		return shmx__fail(err, SHMX_EBADNPY,
				  "%s: too short for an NPY header (%zu bytes)",
				  what, len);
	if (memcmp(b, magic, sizeof(magic)) != 0)
		return shmx__fail(err, SHMX_EBADNPY,
				  "%s: not an NPY file (bad magic); raw data "
				  "needs --dtype and --shape",
				  what);
	if (b[6] < 1 || b[6] > 3 || b[7] != 0)
		return shmx__fail(err, SHMX_EBADNPY,
				  "%s: unsupported NPY version %u.%u", what,
				  b[6], b[7]);
	h->version = b[6];
	pre = h->version == 1 ? 10 : 12;
	if (len < pre)
		return shmx__fail(err, SHMX_EBADNPY, "%s: truncated NPY header",
				  what);
	*dict_len = h->version == 1 ? (size_t)(b[8] | b[9] << 8) : le32(b + 8);
	if (*dict_len > SHMX_NPY_MAX_HEADER)
		return shmx__fail(err, SHMX_EBADNPY,
				  "%s: NPY header length %zu is too large",
				  what, *dict_len);
	if (len - pre < *dict_len)
		return shmx__fail(err, SHMX_EBADNPY,
				  "%s: truncated NPY header (%zu of %zu bytes)",
				  what, len - pre, *dict_len);
	*dict_at = pre;
	h->data_offset = pre + *dict_len;
	return 0;
}

/* Turn parsed fields into dtype and shape. */
static int check_fields(const struct fields *f, const char *what,
			struct shmx_npy_header *h, struct shmx_error *err)
{
	int rc = shmx_dtype_from_descr(f->descr, &h->dtype, err);

	if (rc) {
		char msg[SHMX_ERROR_MSG_MAX];

		if (!err)
			return rc;
		snprintf(msg, sizeof(msg), "%s", err->msg);
		return shmx__fail(err, rc, "%s: %s", what, msg);
	}
	/* numpy aligns the data to 64 (16 in old versions); a hand-made
	 * header may not, and typed loads from a misaligned mapping are
	 * undefined (and vectorised loops may fault on them). */
	if (h->data_offset % shmx_dtype_size(h->dtype))
		return shmx__fail(err, SHMX_EBADNPY,
				  "%s: NPY data at byte %llu is not aligned "
				  "for %s",
				  what, (unsigned long long)h->data_offset,
				  shmx_dtype_name(h->dtype));
	if (f->ndim > SHMX_MAX_NDIM)
		return shmx__fail(err, SHMX_ESHAPE,
				  "%s: %d-D arrays are not supported (shmx "
				  "handles N or RxC)",
				  what, f->ndim);
	if (f->fortran && f->ndim == 2 && f->dim[0] > 1 && f->dim[1] > 1)
		return shmx__fail(err, SHMX_EBADNPY,
				  "%s: fortran_order arrays are not supported "
				  "(save with np.ascontiguousarray)",
				  what);
	memset(&h->shape, 0, sizeof(h->shape));
	h->shape.ndim = f->ndim;
	for (int i = 0; i < f->ndim; i++)
		h->shape.dim[i] = f->dim[i];
	if (shmx_shape_bytes(&h->shape, h->dtype, &h->data_bytes) < 0)
		return shmx__fail(err, SHMX_ESHAPE,
				  "%s: shape in NPY header overflows", what);
	return 0;
}

int shmx_npy_parse(const void *buf, size_t len, const char *what,
		   struct shmx_npy_header *h, struct shmx_error *err)
{
	const unsigned char *b = buf;
	struct fields f = { 0 };
	size_t at = 0, dlen = 0;
	struct lex l;
	int rc;

	rc = parse_preamble(b, len, what, h, &at, &dlen, err);
	if (rc)
		return rc;
	l.p = (const char *)b + at;
	l.end = l.p + dlen;
	rc = parse_dict(&l, &f, what, err);
	if (rc == -1)
		return shmx__fail(err, SHMX_EBADNPY,
				  "%s: malformed NPY header dictionary", what);
	if (rc)
		return rc;
	return check_fields(&f, what, h, err);
}

int shmx_npy_check_size(const struct shmx_npy_header *h, uint64_t file_size,
			const char *what, struct shmx_error *err)
{
	uint64_t want;

	if (shmx__add_u64(h->data_offset, h->data_bytes, &want) < 0)
		return shmx__fail(err, SHMX_ESIZE, "%s: size overflows", what);
	if (file_size < want)
		return shmx__fail(err, SHMX_ESIZE,
				  "%s: data is %llu bytes, shorter than the "
				  "%llu its header says",
				  what,
				  (unsigned long long)(file_size > h->data_offset ? file_size - h->data_offset : 0),
				  (unsigned long long)h->data_bytes);
	if (h->data_bytes == 0 && file_size == want + 1)
		return 0; /* the pad byte of an empty array (npy.h) */
	if (file_size > want)
		return shmx__fail(err, SHMX_ESIZE,
				  "%s: data is %llu bytes, longer than the "
				  "%llu its header says",
				  what,
				  (unsigned long long)(file_size - h->data_offset),
				  (unsigned long long)h->data_bytes);
	return 0;
}

void shmx_npy_write_header(void *buf, enum shmx_dtype t,
			   const struct shmx_shape *s)
{
	char *b = buf;
	const size_t dict_len = SHMX_NPY_DATA_OFFSET - 10;
	char shape[64];
	int n;

	if (s->ndim == 0)
		snprintf(shape, sizeof(shape), "()");
	else if (s->ndim == 1)
		snprintf(shape, sizeof(shape), "(%llu,)",
			 (unsigned long long)s->dim[0]);
	else
		snprintf(shape, sizeof(shape), "(%llu, %llu)",
			 (unsigned long long)s->dim[0],
			 (unsigned long long)s->dim[1]);
	memcpy(b, magic, sizeof(magic));
	b[6] = 1;
	b[7] = 0;
	b[8] = (char)(dict_len & 0xff);
	b[9] = (char)(dict_len >> 8);
	n = snprintf(b + 10, dict_len,
		     "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
		     shmx_dtype_descr(t), shape);
	/* numpy pads with spaces and ends the header with a newline */
	memset(b + 10 + n, ' ', dict_len - (size_t)n - 1);
	b[SHMX_NPY_DATA_OFFSET - 1] = '\n';
}

/* ---- column names in a comment after the dict ------------------------ */

static const char columns_tag[] = "  # columns: ";

int shmx_npy_set_columns(void *buf, const char *json)
{
	char *b = buf;
	const size_t dict_len = SHMX_NPY_DATA_OFFSET - 10;
	char *end = memchr(b + 10, '}', dict_len);
	size_t at, tag = sizeof(columns_tag) - 1, len = strlen(json);

	if (!end || strpbrk(json, "\r\n"))
		return -EINVAL;
	at = (size_t)(end + 1 - b);
	/* the comment, then at least the newline that ends the header */
	if (at + tag + len + 1 > SHMX_NPY_DATA_OFFSET)
		return -ENOSPC;
	memcpy(b + at, columns_tag, tag);
	memcpy(b + at + tag, json, len);
	return 0;
}

size_t shmx_npy_columns(const void *buf, size_t len, char *out, size_t cap)
{
	const char *b = buf, *p, *e;
	size_t tag = sizeof(columns_tag) - 1, n;

	if (len < 10 || !cap)
		return 0;
	len = len < SHMX_NPY_DATA_OFFSET ? len : SHMX_NPY_DATA_OFFSET;
	p = memmem(b, len, columns_tag, tag);
	if (!p)
		return 0;
	p += tag;
	for (e = p; e < b + len && *e != '\n' && *e != '\r'; e++)
		;
	while (e > p && e[-1] == ' ')
		e--;
	n = (size_t)(e - p) < cap - 1 ? (size_t)(e - p) : cap - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return n;
}
