/* engine/format/csv.c - numeric CSV, the pure part (see csv.h): the
 * five-state record scanner and its lanes, the record and field splitter,
 * values, and the helpers that place an error.  Pure: no system calls. */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "format/csv.h"
#include "format/digits8.h"
#include "format/number.h"

/* byte classes of the scanner */
enum { K_OTHER, K_BLANK, K_QUOTE, K_NL, K_COMMENT };

static int is_blank(const struct shmx__csv_dialect *d, unsigned char c)
{
	if (c == ' ' || c == '\r')
		return 1;
	return c == '\t' && d->delim != '\t';
}

static void classes(const struct shmx__csv_dialect *d, unsigned char *cls)
{
	for (int c = 0; c < 256; c++)
		cls[c] = is_blank(d, (unsigned char)c) ? K_BLANK : K_OTHER;
	cls['"'] = K_QUOTE;
	cls['\n'] = K_NL;
	if (d->comment)
		cls[(unsigned char)d->comment] = K_COMMENT;
}

/* One byte of class k from state st; *end: a record ended here, *row:
 * and it had content. */
static uint8_t step(uint8_t st, int k, int *end, int *row)
{
	*end = *row = 0;
	switch (st) {
	case SHMX__CSV_IN:
		return k == K_QUOTE ? SHMX__CSV_OUT1 : SHMX__CSV_IN;
	case SHMX__CSV_CMT0:
	case SHMX__CSV_CMT1:
		if (k != K_NL)
			return st;
		*end = 1;
		*row = st == SHMX__CSV_CMT1;
		return SHMX__CSV_OUT0;
	default:
		break;
	}
	switch (k) {
	case K_QUOTE: return SHMX__CSV_IN;
	case K_NL:
		*end = 1;
		*row = st == SHMX__CSV_OUT1;
		return SHMX__CSV_OUT0;
	case K_COMMENT:
		return st == SHMX__CSV_OUT1 ? SHMX__CSV_CMT1 : SHMX__CSV_CMT0;
	case K_BLANK: return st;
	default: return SHMX__CSV_OUT1;
	}
}

/* ---- the scan, every start state at once ------------------------------
 *
 * A group is a set of start states whose lanes are in the same state: from
 * then on they see the same record ends, so one walk serves them all.  A
 * start state s keeps what it had counted before it joined its group:
 * rows(s) = group rows + drows[s]; its last record end is the group's if
 * the group has seen one since s joined (ends > ends0[s]), else own[s]. */
struct group {
	uint8_t st;
	uint64_t rows, ends, last;
};

struct lanes {
	struct group g[SHMX__CSV_NSTATES];
	int ng;
	int gi[SHMX__CSV_NSTATES];
	int64_t drows[SHMX__CSV_NSTATES];
	uint64_t ends0[SHMX__CSV_NSTATES], own[SHMX__CSV_NSTATES];
};

static void join(struct lanes *L, int a, int b)
{
	const struct group *ga = &L->g[a], *gb = &L->g[b];

	for (int s = 0; s < SHMX__CSV_NSTATES; s++) {
		if (L->gi[s] != b)
			continue;
		L->drows[s] += (int64_t)gb->rows - (int64_t)ga->rows;
		if (gb->ends > L->ends0[s])
			L->own[s] = gb->last;
		L->ends0[s] = ga->ends;
		L->gi[s] = a;
	}
	L->ng--;
	if (b != L->ng) { /* the last group takes b's place */
		L->g[b] = L->g[L->ng];
		for (int s = 0; s < SHMX__CSV_NSTATES; s++)
			if (L->gi[s] == L->ng)
				L->gi[s] = b;
	}
}

static void join_equal(struct lanes *L)
{
	for (int a = 0; a < L->ng; a++)
		for (int b = a + 1; b < L->ng; b++)
			if (L->g[a].st == L->g[b].st) {
				join(L, a, b);
				b--; /* b now holds another group */
			}
}

static void advance(struct lanes *L, int k, size_t i)
{
	int end, row;

	for (int j = 0; j < L->ng; j++) {
		struct group *g = &L->g[j];

		g->st = step(g->st, k, &end, &row);
		if (end) {
			g->ends++;
			g->rows += (uint64_t)row;
			g->last = i + 1;
		}
	}
	if (L->ng > 1)
		join_equal(L);
}

/* Whether a byte of class k can change any group's state: content
 * changes only OUT0. */
static int matters(const struct lanes *L, int k)
{
	if (k != K_OTHER && k != K_BLANK)
		return 1;
	if (k == K_BLANK)
		return 0;
	for (int j = 0; j < L->ng; j++)
		if (L->g[j].st == SHMX__CSV_OUT0)
			return 1;
	return 0;
}

/* Whether p[0..n) holds a non-blank byte. */
static int has_content(const struct shmx__csv_dialect *d, const char *p,
		       size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_blank(d, (unsigned char)p[i]))
			return 1;
	return 0;
}

/* The scan of a range without quotes or comment characters (most of
 * them): every lane is OUT or CMT up to the first '\n' and OUT0 after
 * it, but IN, which stays IN.  Line by line with memchr. */
static void scan_plain(const struct shmx__csv_dialect *d, const char *p,
		       size_t n, struct shmx__csv_span *s)
{
	const char *nl = memchr(p, '\n', n), *q;
	uint64_t rows = 0, lines = 1;
	size_t at, last;
	int c0;

	memset(s, 0, sizeof(*s));
	for (int j = 0; j < SHMX__CSV_NSTATES; j++)
		s->lane[j].end = (uint8_t)j;
	if (!nl) { /* no record ends: only OUT0 can change, to OUT1 */
		if (has_content(d, p, n))
			s->lane[SHMX__CSV_OUT0].end = SHMX__CSV_OUT1;
		return;
	}
	c0 = has_content(d, p, (size_t)(nl - p));
	at = last = (size_t)(nl - p) + 1;
	while (at < n && (q = memchr(p + at, '\n', n - at))) {
		size_t len = (size_t)(q - p) - at;

		rows += len && (!is_blank(d, (unsigned char)p[at]) ||
				has_content(d, p + at, len));
		lines++;
		at = last = (size_t)(q - p) + 1;
	}
	for (int j = 0; j < SHMX__CSV_NSTATES; j++) {
		struct shmx__csv_lane *l = &s->lane[j];
		int first = j == SHMX__CSV_OUT1 || j == SHMX__CSV_CMT1 ||
			    (j == SHMX__CSV_OUT0 && c0);

		if (j == SHMX__CSV_IN)
			continue;
		l->rows = rows + (uint64_t)first;
		l->last_end = last;
		l->end = has_content(d, p + at, n - at) ? SHMX__CSV_OUT1
							: SHMX__CSV_OUT0;
	}
	s->newlines = lines;
}

void shmx__csv_scan(const struct shmx__csv_dialect *d, const char *p,
		    size_t n, struct shmx__csv_span *s)
{
	unsigned char cls[256];
	struct lanes L;
	uint64_t nl = 0;

	if (!memchr(p, '"', n) && !(d->comment && memchr(p, d->comment, n))) {
		scan_plain(d, p, n, s);
		return;
	}
	classes(d, cls);
	memset(&L, 0, sizeof(L));
	L.ng = SHMX__CSV_NSTATES;
	for (int j = 0; j < SHMX__CSV_NSTATES; j++) {
		L.g[j].st = (uint8_t)j;
		L.gi[j] = j;
	}
	for (size_t i = 0; i < n; i++) {
		int k = cls[(unsigned char)p[i]];

		nl += k == K_NL;
		if (matters(&L, k))
			advance(&L, k, i);
	}
	s->newlines = nl;
	for (int j = 0; j < SHMX__CSV_NSTATES; j++) {
		const struct group *g = &L.g[L.gi[j]];

		s->lane[j].end = g->st;
		s->lane[j].rows = (uint64_t)((int64_t)g->rows + L.drows[j]);
		s->lane[j].last_end = g->ends > L.ends0[j] ? g->last : L.own[j];
	}
}

void shmx__csv_span_append(struct shmx__csv_span *a,
			   const struct shmx__csv_span *b, uint64_t at)
{
	for (int j = 0; j < SHMX__CSV_NSTATES; j++) {
		struct shmx__csv_lane *l = &a->lane[j];
		const struct shmx__csv_lane *m = &b->lane[l->end];

		l->rows += m->rows;
		if (m->last_end)
			l->last_end = at + m->last_end;
		l->end = m->end;
	}
	a->newlines += b->newlines;
}

/* ---- one record, split into fields ------------------------------------ */

struct splitter {
	const struct shmx__csv_dialect *d;
	struct shmx__csv_field *f;
	size_t cap, nf;
	size_t first, last; /* the open field's text: [first, last) */
	int open;           /* a field is open (has text or was started) */
	int text;           /* ... and first is where its text starts */
};

static void close_field(struct splitter *s)
{
	if (s->nf < s->cap) {
		s->f[s->nf].at = s->first;
		s->f[s->nf].len = s->last - s->first;
	}
	s->nf++;
	s->open = s->text = 0;
}

/* Text at [i, i + 1) belongs to the open field (opening one if none). */
static void take(struct splitter *s, size_t i)
{
	if (!s->text) {
		s->open = s->text = 1;
		s->first = i;
	}
	s->last = i + 1;
}

/* A delimiter (not the space one) at i: closes the field, opens the next
 * (empty until text comes). */
static void delimiter(struct splitter *s, size_t i)
{
	if (!s->text)
		s->first = s->last = i;
	close_field(s);
	s->open = 1;
	s->first = s->last = i + 1;
}

int shmx__csv_record(const struct shmx__csv_dialect *d, const char *data,
		     size_t n, size_t at, size_t *next,
		     struct shmx__csv_field *f, size_t cap, size_t *fields,
		     size_t *bad)
{
	struct splitter s = { .d = d, .f = f, .cap = cap };
	int space = d->delim == ' ', content = 0, in = 0;
	size_t i, quote_at = 0;

	for (i = at; i < n; i++) {
		unsigned char c = (unsigned char)data[i];

		if (in) {
			if (c == '"')
				in = 0;
			s.last = i + 1;
			continue;
		}
		if (c == '\n' || (d->comment && c == (unsigned char)d->comment))
			break;
		if (c == '"') {
			in = 1;
			quote_at = i;
			content = 1;
			take(&s, i);
		} else if (!space && c == (unsigned char)d->delim) {
			content = 1;
			delimiter(&s, i);
		} else if (is_blank(d, c)) {
			if (space && s.open)
				close_field(&s);
		} else {
			content = 1;
			take(&s, i);
		}
	}
	if (in) {
		*bad = quote_at;
		return -1;
	}
	if (i < n && data[i] != '\n') /* a comment: on to the line's end */
		while (i < n && data[i] != '\n')
			i++;
	*next = i < n ? i + 1 : n;
	if (content && (s.open || !space))
		close_field(&s);
	*fields = content ? s.nf : 0;
	return 0;
}

long shmx__csv_unquote(const char *p, size_t n, char *buf, size_t cap,
		       int *quoted)
{
	size_t o = 0;

	*quoted = n >= 2 && p[0] == '"' && p[n - 1] == '"';
	if (!*quoted) {
		if (memchr(p, '"', n))
			return -1;
		for (size_t i = 0; i < n && o < cap; i++)
			buf[o++] = p[i];
		return (long)o;
	}
	for (size_t i = 1; i + 1 < n; i++) {
		if (p[i] == '"') {
			if (i + 2 >= n || p[i + 1] != '"')
				return -1; /* a quote that is not "" inside */
			i++;
		}
		if (o < cap)
			buf[o++] = p[i];
	}
	return (long)o;
}

/* ---- values ----------------------------------------------------------- */

/* A whole decimal with an optional sign into [lo, hi] (as i64 or u64). */
static enum shmx__csv_bad whole(const char *p, size_t n, int is_signed,
				int64_t lo, uint64_t hi, void *v)
{
	size_t i = 0;
	int neg = 0;
	uint64_t x = 0, lim;
	int over = 0;

	if (n && (p[0] == '+' || p[0] == '-'))
		neg = p[i++] == '-';
	if (i == n)
		return SHMX__CSV_NOT_NUMBER;
	/* |lo| without overflow; an unsigned column never comes here with
	 * a '-' (integer() reads it as signed) */
	lim = neg ? (uint64_t)(-(lo + 1)) + 1 : hi;
	for (; i < n; i++) {
		unsigned d = (unsigned char)p[i] - '0';

		if (d > 9)
			return shmx__csv_is_number(p, n) ? SHMX__CSV_FRACTION
							 : SHMX__CSV_NOT_NUMBER;
		if (x > (UINT64_MAX - d) / 10)
			over = 1; /* out of any range: digits still checked */
		else
			x = x * 10 + d;
	}
	if (over || x > lim)
		return SHMX__CSV_RANGE;
	if (is_signed)
		*(int64_t *)v = neg ? (int64_t)(0 - x) : (int64_t)x;
	else
		*(uint64_t *)v = x;
	return SHMX__CSV_OK;
}

static const struct { int64_t lo; uint64_t hi; } range[] = {
	[SHMX_I8] = { INT8_MIN, INT8_MAX },
	[SHMX_I16] = { INT16_MIN, INT16_MAX },
	[SHMX_I32] = { INT32_MIN, INT32_MAX },
	[SHMX_I64] = { INT64_MIN, INT64_MAX },
	[SHMX_U8] = { 0, UINT8_MAX },
	[SHMX_U16] = { 0, UINT16_MAX },
	[SHMX_U32] = { 0, UINT32_MAX },
	[SHMX_U64] = { 0, UINT64_MAX },
};

static enum shmx__csv_bad integer(const char *p, size_t n, enum shmx_dtype t,
				  void *out)
{
	int sgn = t <= SHMX_I64;
	union { int64_t i; uint64_t u; } v;
	enum shmx__csv_bad b;

	if (!n)
		return SHMX__CSV_EMPTY_INT;
	if (!sgn && p[0] == '-') {
		/* a negative in an unsigned column: -0 is 0, others range */
		b = whole(p, n, 1, INT64_MIN, INT64_MAX, &v);
		if (b != SHMX__CSV_OK && b != SHMX__CSV_RANGE)
			return b;
		if (b == SHMX__CSV_RANGE || v.i != 0)
			return SHMX__CSV_RANGE;
		v.u = 0;
	} else if ((b = whole(p, n, sgn, range[t].lo, range[t].hi, &v))) {
		return b;
	}
	switch (t) {
	case SHMX_I8: *(int8_t *)out = (int8_t)v.i; break;
	case SHMX_I16: *(int16_t *)out = (int16_t)v.i; break;
	case SHMX_I32: *(int32_t *)out = (int32_t)v.i; break;
	case SHMX_I64: *(int64_t *)out = v.i; break;
	case SHMX_U8: *(uint8_t *)out = (uint8_t)v.u; break;
	case SHMX_U16: *(uint16_t *)out = (uint16_t)v.u; break;
	case SHMX_U32: *(uint32_t *)out = (uint32_t)v.u; break;
	default: *(uint64_t *)out = v.u; break;
	}
	return SHMX__CSV_OK;
}

static int is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r'); /* \t \n \v \f \r */
}

/* A quoted field's text without its quotes (numbers have no "" inside:
 * one left is simply not a number). */
static void strip_quotes(const char **p, size_t *n)
{
	if (*n >= 2 && (*p)[0] == '"' && (*p)[*n - 1] == '"') {
		(*p)++;
		*n -= 2;
		/* white space inside the quotes is dropped, as float()
		 * drops it: line breaks included */
		while (*n && is_space((*p)[0]))
			(*p)++, (*n)--;
		while (*n && is_space((*p)[*n - 1]))
			(*n)--;
	}
}

enum shmx__csv_bad shmx__csv_value(const char *p, size_t n,
				   enum shmx_dtype t, void *out)
{
	strip_quotes(&p, &n);
	if (t == SHMX_F64) {
		if (!n)
			return *(double *)out = NAN, SHMX__CSV_OK;
		return shmx__parse_f64(p, n, out) ? SHMX__CSV_NOT_NUMBER
						  : SHMX__CSV_OK;
	}
	if (t == SHMX_F32) {
		if (!n)
			return *(float *)out = NAN, SHMX__CSV_OK;
		return shmx__parse_f32(p, n, out) ? SHMX__CSV_NOT_NUMBER
						  : SHMX__CSV_OK;
	}
	return integer(p, n, t, out);
}

int shmx__csv_is_number(const char *p, size_t n)
{
	double v;

	strip_quotes(&p, &n);
	return shmx__parse_f64(p, n, &v) == 0;
}

/* ---- places ----------------------------------------------------------- */

size_t shmx__csv_bom(const char *p, size_t n)
{
	return n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

size_t shmx__csv_skip_lines(const char *p, size_t n, size_t at, uint64_t k)
{
	while (k-- && at < n) {
		const char *nl = memchr(p + at, '\n', n - at);

		at = nl ? (size_t)(nl - p) + 1 : n;
	}
	return at;
}

uint64_t shmx__csv_count_newlines(const char *p, size_t a, size_t b)
{
	uint64_t c = 0;

	while (a < b) {
		const char *nl = memchr(p + a, '\n', b - a);

		if (!nl)
			break;
		c++;
		a = (size_t)(nl - p) + 1;
	}
	return c;
}

void shmx__csv_where(const char *p, size_t from, uint64_t line0, size_t at,
		     size_t bom, uint64_t *line, uint64_t *col)
{
	size_t start = at;

	*line = line0 + shmx__csv_count_newlines(p, from, at);
	while (start > 0 && p[start - 1] != '\n')
		start--;
	if (start == 0)
		start = bom < at ? bom : at;
	*col = at - start + 1;
}

void shmx__csv_quote(const char *p, size_t n, char *buf, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	for (i = 0; i < n && i < 40 && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			buf[o++] = (char)c;
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	if (i < n && o + 4 < cap) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	if (cap)
		buf[o < cap ? o : cap - 1] = '\0';
}

size_t shmx__csv_json_names(const struct shmx__csv_name *names, size_t n,
			    char *buf, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

#define PUT(c) do { if (o + 1 >= cap) return 0; buf[o++] = (c); } while (0)
	PUT('[');
	for (size_t i = 0; i < n; i++) {
		if (i) {
			PUT(',');
			PUT(' ');
		}
		PUT('"');
		for (size_t j = 0; j < names[i].len; j++) {
			unsigned char c = (unsigned char)names[i].p[j];

			if (c == '"' || c == '\\') {
				PUT('\\');
				PUT((char)c);
			} else if (c < 0x20 || c == 0x7f) {
				PUT('\\'); PUT('u'); PUT('0'); PUT('0');
				PUT(hex[c >> 4]);
				PUT(hex[c & 15]);
			} else {
				PUT((char)c);
			}
		}
		PUT('"');
	}
	PUT(']');
#undef PUT
	buf[o] = '\0';
	return o;
}

/* ---- the fast path: a record of plain fields ----------------------------- */

/* The fastest of it: a record of f64 fields that are each a simple
 * number (a sign, at most 15 digits with a point, no exponent) directly
 * followed by the delimiter, the last by '\n' or "\r\n".  Such a
 * number's digits m (< 10^15 < 2^53) and 10^k (k <= 15) are exact
 * doubles, so m / 10^k is one correctly rounded division: the bits
 * shmx__parse_f64 (fast_float) gives, and number.cc's simple path too.
 * A field is read from one 16-byte load (SSE2: the first byte that is
 * not a digit) and the digits eight at a time; any record that is not
 * all such fields is left to the per-field walk below. */
static const double pow10d[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15,
};
static const uint64_t pow10u[] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000, 10000000000u, 100000000000u, 1000000000000u,
	10000000000000u, 100000000000000u, 1000000000000000u,
};

/* The L <= 15 digits at s (s[0..16) readable), as an integer: the last
 * min(L, 8) of them moved to the top of a word of '0's. */
static inline uint64_t digits_to(const char *s, int L)
{
	uint64_t hi = 0;

	if (L > 8) {
		hi = digits_to(s, L - 8) * 100000000u;
		s += L - 8;
		L = 8;
	}
	if (L == 0)
		return hi;
	if (L == 8)
		return hi + shmx__digits8(shmx__load8(s));
	return hi + shmx__digits8((shmx__load8(s) << (8 * (8 - L))) |
				   (UINT64_C(0x3030303030303030) >> (8 * L)));
}

#ifdef __SSE2__
#include <emmintrin.h>

/* Bit i set: q[i] is not an ASCII digit (i < 16); bits 16..31 all set. */
static inline unsigned nondigits16(const char *q)
{
	__m128i v = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)q),
				 _mm_set1_epi8('0'));
	__m128i d = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(9)), v);

	return ~(unsigned)_mm_movemask_epi8(d);
}
#else
static inline unsigned nondigits16(const char *q)
{
	unsigned m = ~0u << 16;

	for (int i = 0; i < 16; i++)
		m |= (unsigned)((unsigned char)(q[i] - '0') > 9) << i;
	return m;
}
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_SSSE3_PATH 1
#include <tmmintrin.h>
/* a function attribute, not #pragma GCC target: clang (the fuzz build's
 * compiler) knows only the attribute */
#define SSSE3_FN __attribute__((target("ssse3")))

/* The digits of q[0..16) that shuf (fz->shuf) picks, as an integer:
 * moved right-aligned over zeros without the point, then pairs, fours
 * and eights of them summed with their weights. */
static inline SSSE3_FN uint64_t digits_ssse3(const char *q,
					      const unsigned char *shuf)
{
	__m128i d = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)q),
				 _mm_set1_epi8('0'));
	__m128i x = _mm_shuffle_epi8(d, _mm_loadu_si128((const __m128i *)(const void *)shuf));
	uint64_t r;

	x = _mm_maddubs_epi16(x, _mm_setr_epi8(10, 1, 10, 1, 10, 1, 10, 1, 10,
					       1, 10, 1, 10, 1, 10, 1));
	x = _mm_madd_epi16(x, _mm_setr_epi16(100, 1, 100, 1, 100, 1, 100, 1));
	x = _mm_packs_epi32(x, x);
	x = _mm_madd_epi16(x, _mm_setr_epi16(10000, 1, 10000, 1, 10000, 1,
					     10000, 1));
	r = (uint64_t)_mm_cvtsi128_si64(x);
	return (r & 0xffffffffu) * 100000000u + (r >> 32);
}
#endif

/* A simple number at p (p[0..32) readable): where it ends, or NULL.
 * shuf: fz->shuf (an SSSE3 machine), or NULL (eight digits at a time in
 * a word). */
static inline __attribute__((always_inline)) const char *
simple16(const char *p, double *out, const unsigned char (*shuf)[16])
{
	uint64_t neg = *p == '-', m, bits;
	const char *q = p + (neg | (*p == '+'));
	unsigned nd = nondigits16(q);
	int ni = __builtin_ctz(nd), nf = 0, e = ni;
	double v;

	if (ni < 16 && q[ni] == '.') {
		nf = __builtin_ctz(nd >> (ni + 1));
		e = ni + 1 + nf;
	}
	if (e >= 16 || ni + nf == 0 || ni + nf > 15)
		return NULL;
#ifdef HAVE_SSSE3_PATH
	if (shuf)
		m = digits_ssse3(q, shuf[ni * 16 + nf]);
	else
#endif
		m = digits_to(q, ni) * pow10u[nf] + digits_to(q + ni + 1, nf);
	v = (double)m / pow10d[nf]; /* nf 0: exact, as (double)m is */
	memcpy(&bits, &v, sizeof(bits));
	bits |= neg << 63; /* the sign without a branch: it is random */
	memcpy(out, &bits, sizeof(bits));
	return q + e;
}

static inline __attribute__((always_inline)) int
row_of_numbers(const struct shmx__csv_fast *fz, const char *p, size_t n,
	       size_t at, size_t ncols, const long *dest, char *out,
	       size_t *next, const unsigned char (*shuf)[16])
{
	const char *s = p + at, *end = p + n;

	for (size_t j = 0; j < ncols; j++) {
		long o = dest ? dest[j] : (long)j;
		const char *e;
		double v;

		if (end - s < 32 || !(e = simple16(s, &v, shuf)))
			return 0;
		if (j + 1 < ncols) {
			if (*e != fz->delim)
				return 0;
		} else if (*e != '\n') {
			if (*e != '\r' || e[1] != '\n')
				return 0;
			e++;
		}
		if (o >= 0)
			memcpy(out + (size_t)o * sizeof(double), &v, sizeof(v));
		s = e + 1;
	}
	*next = (size_t)(s - p);
	return 1;
}

static int numbers_word(const struct shmx__csv_fast *fz, const char *p,
			size_t n, size_t at, size_t ncols, const long *dest,
			char *out, size_t *next)
{
	return row_of_numbers(fz, p, n, at, ncols, dest, out, next, NULL);
}

#ifdef HAVE_SSSE3_PATH
static SSSE3_FN int numbers_ssse3(const struct shmx__csv_fast *fz,
				  const char *p, size_t n, size_t at,
				  size_t ncols, const long *dest, char *out,
				  size_t *next)
{
	return row_of_numbers(fz, p, n, at, ncols, dest, out, next, fz->shuf);
}
#endif

static int fast_numbers(const struct shmx__csv_fast *fz, const char *p,
			size_t n, size_t at, size_t ncols, const long *dest,
			char *out, size_t *next)
{
#ifdef HAVE_SSSE3_PATH
	if (fz->ssse3)
		return numbers_ssse3(fz, p, n, at, ncols, dest, out, next);
#endif
	return numbers_word(fz, p, n, at, ncols, dest, out, next);
}

/* shuf[ni * 16 + nf]: the pshufb mask that moves ni digits, a point and
 * nf digits right-aligned over zeros (0x80) without the point. */
static void shuffles(struct shmx__csv_fast *fz)
{
	for (int ni = 0; ni < 16; ni++)
		for (int nf = 0; ni + nf < 16; nf++) {
			unsigned char *m = fz->shuf[ni * 16 + nf];
			int dd = ni + nf;

			for (int j = 0; j < 16; j++) {
				int t = j - (16 - dd);

				m[j] = t < 0 ? 0x80 : (unsigned char)(t + (t >= ni));
			}
		}
}

enum { F_TOKEN, F_BLANK, F_DELIM, F_NL, F_OTHER };

void shmx__csv_fast_init(const struct shmx__csv_dialect *d,
			 struct shmx__csv_fast *fz)
{
	for (int c = 0; c < 256; c++)
		fz->stop[c] = is_blank(d, (unsigned char)c) ? F_BLANK : F_TOKEN;
	fz->stop[(unsigned char)d->delim] = F_DELIM;
	fz->stop['\n'] = F_NL;
	fz->stop['"'] = F_OTHER;
	if (d->comment)
		fz->stop[(unsigned char)d->comment] = F_OTHER;
	fz->ok = d->delim != ' ';
	fz->delim = d->delim;
	shuffles(fz);
#ifdef HAVE_SSSE3_PATH
	fz->ssse3 = __builtin_cpu_supports("ssse3");
#else
	fz->ssse3 = 0;
#endif
	/* numbers read without finding their token's end first: only when
	 * no byte of them can end a token */
	fz->num = 1;
	for (const char *c = "0123456789.+-"; *c; c++)
		fz->num &= fz->stop[(unsigned char)*c] == F_TOKEN;
}

static size_t skip_blanks(const struct shmx__csv_fast *fz, const char *p,
			  size_t n, size_t i)
{
	while (i < n && fz->stop[(unsigned char)p[i]] == F_BLANK)
		i++;
	return i;
}

int shmx__csv_fast_record(const struct shmx__csv_fast *fz, const char *p,
			  size_t n, size_t at, enum shmx_dtype t, size_t ncols,
			  const long *dest, char *out, size_t *next, int *had)
{
	size_t i = skip_blanks(fz, p, n, at), esize = shmx_dtype_size(t);

	if (!fz->ok)
		return 0;
	if (t == SHMX_F64 && fz->num && ncols &&
	    fast_numbers(fz, p, n, at, ncols, dest, out, next))
		return *had = 1;
	if (i == n || p[i] == '\n') { /* a blank record */
		*next = i < n ? i + 1 : n;
		*had = 0;
		return 1;
	}
	for (size_t j = 0; j < ncols; j++) {
		size_t tok = i = skip_blanks(fz, p, n, i), len = 0;
		long o = dest ? dest[j] : (long)j;
		char *v = out + (size_t)(o < 0 ? 0 : o) * esize;
		int k;

		/* a plain number that a stop byte ends is the whole token */
		if (o >= 0 && t == SHMX_F64 && fz->num &&
		    (len = shmx__parse_f64_simple(p + i, p + n,
						  (double *)(void *)v)) &&
		    (i + len == n || fz->stop[(unsigned char)p[i + len]] != F_TOKEN)) {
			i += len;
		} else {
			while (i < n && fz->stop[(unsigned char)p[i]] == F_TOKEN)
				i++;
			if (o >= 0 && shmx__csv_value(p + tok, i - tok, t, v))
				return 0;
		}
		i = skip_blanks(fz, p, n, i);
		k = i < n ? fz->stop[(unsigned char)p[i]] : F_NL;
		if (k != (j + 1 < ncols ? F_DELIM : F_NL))
			return 0;
		i++;
	}
	*next = i < n ? i : n;
	*had = 1;
	return 1;
}
