/* tests/fuzz/fuzz_csv.c - the CSV parser (engine/format/csv.c) on any
 * bytes: the parallel range splitter against a serial split, the record
 * and field splitter, and the values against strtod / strtoll.
 *
 * Input: byte 0 picks the dialect (delimiter , \t ; or space, comment
 * none # or %), byte 1 the range size (1..64 bytes), the rest is the CSV.
 *
 * Properties: the ranges, each scanned from every start state and chained
 * as exec/load_csv.c chains them, give exactly the records of one serial
 * walk with shmx__csv_record from byte 0: each range's first record, its
 * rows (records with content ending in it, plus the open one at the
 * end), its last state (in quotes at the end exactly when the serial
 * walk meets an unterminated quote, at a '"'); fields lie inside their
 * record, in order, apart; every float shmx accepts strtod reads whole
 * to the same bits, every i64 strtoll to the same value; the parse's fast
 * path, where it takes a record, ends it and reads its values as the
 * general path does (both ways it reads a simple number's digits: a
 * byte shuffle, eight in a word); a range scanned in two pieces whose
 * spans are chained (shmx__csv_span_append, as a worker chains its
 * reads) is the range scanned whole.
 */
#include <errno.h>
#include <math.h>

#include "format/csv.h"
#include "fuzz.h"

#define MAXF 64

struct serial {
	size_t nrec;
	size_t *end;  /* record i ends at end[i] ('\n', or n: at the end) */
	int *row;     /* ... and has content */
	size_t *start;
	int bad;      /* an unterminated quote */
};

static void check_value(const char *p, size_t n)
{
	char buf[128];
	double v, w;
	int64_t i;
	char *endp;
	int q;
	long len;

	if (shmx__csv_value(p, n, SHMX_F64, &v) == SHMX__CSV_OK && n) {
		len = shmx__csv_unquote(p, n, buf, sizeof(buf) - 1, &q);
		if (len <= 0 || (size_t)len >= sizeof(buf) - 1)
			return;
		buf[len] = '\0';
		if (!buf[strspn(buf, " \t\n\v\f\r")]) {
			FUZZ_CHECK(isnan(v), "a blank field is %a", v);
			return; /* empty: NaN, no number for strtod */
		}
		w = strtod(buf, &endp);
		while (*endp == ' ' || (*endp >= '\t' && *endp <= '\r'))
			endp++;
		FUZZ_CHECK(*endp == '\0', "shmx reads '%s', strtod stops", buf);
		FUZZ_CHECK((isnan(v) && isnan(w)) || memcmp(&v, &w, 8) == 0,
			   "'%s': %a, strtod %a", buf, v, w);
	}
	if (shmx__csv_value(p, n, SHMX_I64, &i) == SHMX__CSV_OK) {
		len = shmx__csv_unquote(p, n, buf, sizeof(buf) - 1, &q);
		if (len <= 0 || (size_t)len >= sizeof(buf) - 1)
			return;
		buf[len] = '\0';
		errno = 0;
		FUZZ_CHECK(strtoll(buf, &endp, 10) == i && errno == 0,
			   "'%s' as i64", buf);
	}
}

/* The fast path, where it takes a record, reads what the general one
 * does. */
static void check_fast(const struct shmx__csv_dialect *d, const char *p,
		       size_t n, size_t at, size_t next,
		       const struct shmx__csv_field *f, size_t nf)
{
	static struct shmx__csv_fast fz;
	double fast[MAXF], slow;
	size_t fnext, cols = nf ? nf : 1;
	int had;

	if (nf > MAXF)
		return;
	shmx__csv_fast_init(d, &fz);
	fz.ssse3 = (int)(at & 1) && fz.ssse3; /* both digit paths */
	if (!shmx__csv_fast_record(&fz, p, n, at, SHMX_F64, cols, NULL,
				   (char *)fast, &fnext, &had))
		return;
	FUZZ_CHECK(fnext == next, "fast path ends at %zu, not %zu", fnext, next);
	FUZZ_CHECK(had == (nf != 0), "fast path: row %d, fields %zu", had, nf);
	for (size_t i = 0; i < nf; i++) {
		FUZZ_CHECK(shmx__csv_value(p + f[i].at, f[i].len, SHMX_F64,
					   &slow) == SHMX__CSV_OK,
			   "fast path took field %zu, the general one refuses", i);
		FUZZ_CHECK(memcmp(&slow, &fast[i], 8) == 0,
			   "field %zu: fast %a, general %a", i, fast[i], slow);
	}
}

static void walk(const struct shmx__csv_dialect *d, const char *p, size_t n,
		 struct serial *s)
{
	struct shmx__csv_field f[MAXF];
	size_t at = 0, next, nf, bad;

	s->nrec = 0;
	s->bad = 0;
	while (at < n) {
		if (shmx__csv_record(d, p, n, at, &next, f, MAXF, &nf, &bad)) {
			FUZZ_CHECK(bad >= at && bad < n && p[bad] == '"',
				   "unterminated quote at %zu", bad);
			s->bad = 1;
			s->start[s->nrec] = at;
			s->end[s->nrec] = n;
			s->row[s->nrec++] = 1;
			return;
		}
		FUZZ_CHECK(next > at && next <= n, "next %zu after %zu", next, at);
		for (size_t i = 0; i < nf && i < MAXF; i++) {
			FUZZ_CHECK(f[i].at >= at && f[i].at + f[i].len <= next,
				   "field %zu outside its record", i);
			FUZZ_CHECK(i == 0 || f[i].at >= f[i - 1].at + f[i - 1].len,
				   "fields %zu and %zu overlap", i - 1, i);
			check_value(p + f[i].at, f[i].len);
		}
		check_fast(d, p, n, at, next, f, nf);
		s->start[s->nrec] = at;
		s->end[s->nrec] = p[next - 1] == '\n' ? next - 1 : n;
		s->row[s->nrec++] = nf != 0;
		at = next;
	}
}

/* The range p[0..n) scanned in two pieces, their spans chained, is its
 * whole scan sp. */
static void check_pieces(const struct shmx__csv_dialect *d, const char *p,
			 size_t n, const struct shmx__csv_span *sp)
{
	struct shmx__csv_span a, b;
	size_t cut = n / 2 + (n ? (unsigned char)p[0] % (n / 2 + 1) : 0);

	if (cut == 0 || cut >= n)
		return;
	shmx__csv_scan(d, p, cut, &a);
	shmx__csv_scan(d, p + cut, n - cut, &b);
	shmx__csv_span_append(&a, &b, cut);
	FUZZ_CHECK(a.newlines == sp->newlines, "chained newlines %llu, %llu",
		   (unsigned long long)a.newlines,
		   (unsigned long long)sp->newlines);
	for (int j = 0; j < SHMX__CSV_NSTATES; j++)
		FUZZ_CHECK(a.lane[j].end == sp->lane[j].end &&
			   a.lane[j].rows == sp->lane[j].rows &&
			   a.lane[j].last_end == sp->lane[j].last_end,
			   "lane %d chained at %zu of %zu differs", j, cut, n);
}

/* The ranges of `chunk` bytes chained as the loader chains them, against
 * the serial records. */
static void check_split(const struct shmx__csv_dialect *d, const char *p,
			size_t n, size_t chunk, const struct serial *s)
{
	uint8_t st = SHMX__CSV_OUT0;
	size_t rec = 0, r = 0;

	for (size_t b = 0; b < n; b += chunk) {
		size_t e = b + chunk < n ? b + chunk : n;
		struct shmx__csv_span sp;
		const struct shmx__csv_lane *l;
		uint64_t rows = 0;
		size_t first = r;

		shmx__csv_scan(d, p + b, e - b, &sp);
		check_pieces(d, p + b, e - b, &sp);
		l = &sp.lane[st];
		while (r < s->nrec && (s->end[r] < e || (e == n && s->end[r] == n))) {
			rows += (uint64_t)s->row[r];
			r++;
		}
		if (r > first)
			FUZZ_CHECK(s->start[first] == rec,
				   "range at %zu starts its records at %zu, "
				   "serially %zu", b, rec, s->start[first]);
		FUZZ_CHECK(l->rows + (e == n && shmx__csv_open_row(l->end)) == rows,
			   "range [%zu,%zu): %llu rows, serially %llu", b, e,
			   (unsigned long long)l->rows, (unsigned long long)rows);
		if (l->last_end)
			rec = b + l->last_end;
		st = l->end;
	}
	FUZZ_CHECK(r == s->nrec, "ranges took %zu of %zu records", r, s->nrec);
	FUZZ_CHECK((st == SHMX__CSV_IN) == s->bad, "ends in state %d, bad %d",
		   st, s->bad);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char delims[] = { ',', '\t', ';', ' ' };
	static const char comments[] = { 0, '#', '%' };
	struct shmx__csv_dialect d;
	struct serial s;
	const char *p;
	size_t n, chunk;

	if (size < 2)
		return 0;
	d.delim = delims[data[0] & 3];
	d.comment = comments[(data[0] >> 2) % 3];
	chunk = (size_t)(data[1] & 63) + 1;
	n = size - 2;
	p = (const char *)data + 2;
	s.end = calloc(n + 1, sizeof(size_t));
	s.start = calloc(n + 1, sizeof(size_t));
	s.row = calloc(n + 1, sizeof(int));
	if (!s.end || !s.start || !s.row)
		abort();
	walk(&d, p, n, &s);
	check_split(&d, p, n, chunk, &s);
	check_split(&d, p, n, n ? n : 1, &s);
	free(s.end);
	free(s.start);
	free(s.row);
	return 0;
}
