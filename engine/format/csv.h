/* engine/format/csv.h - numeric CSV, the pure part: dialect, records,
 * where a record starts in any byte range, fields, the header, values.
 *
 * Records.  A record ends at a '\n' outside quotes (a '\r' before it is
 * a blank), or at the end of the data.  A '"' anywhere outside quotes
 * opens a quoted section and the next '"' closes it ("" inside is a
 * quote, as two sections side by side); the comment character outside
 * quotes hides the rest of its line.  A record of nothing but blanks and
 * comment is not a row.  So where records end depends only on five
 * states, and the scan of any byte range can be run from every one of
 * them (shmx__csv_scan): a parallel split picks, range by range, the lane
 * of the state the previous range ended in, and the ranges tile the data
 * exactly as one serial scan would.
 *
 * Fields.  Split at the delimiter outside quotes; blanks (' ', '\t'
 * unless it is the delimiter, '\r') around a field are dropped; with
 * the space delimiter a run of blanks is one separator and blanks at a
 * record's ends none.  A field that is one quoted section is its
 * content with "" as ".  A value is a number as Python's float() reads
 * it (format/number.h; empty: NaN) for f32/f64, a whole decimal in range
 * for the integer dtypes.
 *
 * Pure: no system calls (the fuzz target fuzz_csv.c).
 */
#ifndef SHMX_FORMAT_CSV_H
#define SHMX_FORMAT_CSV_H

#include <stddef.h>
#include <stdint.h>
#include "shmx/dtype.h"

struct shmx__csv_dialect {
	char delim;   /* ',', '\t', ';', ' ', or any other byte but '"' */
	char comment; /* 0: none */
};

/* The scanner's states at a byte boundary: outside quotes, in quotes, in
 * a comment; _1: the record so far has content. */
enum shmx__csv_state {
	SHMX__CSV_OUT0,
	SHMX__CSV_OUT1,
	SHMX__CSV_IN,
	SHMX__CSV_CMT0,
	SHMX__CSV_CMT1,
	SHMX__CSV_NSTATES
};

/* What scanning a byte range does from one start state. */
struct shmx__csv_lane {
	uint8_t end;       /* the state after the range */
	uint64_t rows;     /* records with content ending in the range */
	uint64_t last_end; /* 1 + the offset of the range's last record end
			      ('\n'), 0 when none ends in it */
};

struct shmx__csv_span {
	struct shmx__csv_lane lane[SHMX__CSV_NSTATES];
	uint64_t newlines; /* every '\n' in the range, quoted or not */
};

/* Scan p[0..n) from every start state.  Lanes that meet go on as one. */
void shmx__csv_scan(const struct shmx__csv_dialect *d, const char *p,
		    size_t n, struct shmx__csv_span *s);

/* Span a of a range, then span b of the range that follows it from
 * offset `at` of a's: a becomes the span of the two as one range. */
void shmx__csv_span_append(struct shmx__csv_span *a,
			   const struct shmx__csv_span *b, uint64_t at);

/* The end of the data from state st: a record with content left open
 * (quoted included: the parse reports the unterminated quote) is one
 * more row. */
static inline int shmx__csv_open_row(uint8_t st)
{
	return st == SHMX__CSV_OUT1 || st == SHMX__CSV_IN ||
	       st == SHMX__CSV_CMT1;
}

/* ---- records and fields, parsed --------------------------------------- */

struct shmx__csv_field {
	size_t at;  /* offset of the field's text in the data (blanks
		       dropped; quotes kept) */
	size_t len;
};

/* One record from data[at] (a record start) to its end, at most n bytes
 * of data in all.  *next: where the next record starts; *fields: the
 * number of fields (0: a blank or comment-only record).  Field i is
 * stored in f[i] for i < cap.  Returns 0, or -1 for an unterminated quote
 * (*bad: the offset of its opening quote). */
int shmx__csv_record(const struct shmx__csv_dialect *d, const char *data,
		     size_t n, size_t at, size_t *next,
		     struct shmx__csv_field *f, size_t cap, size_t *fields,
		     size_t *bad);

/* A field's text unquoted into buf (cap bytes; longer is cut): its
 * length.  *quoted: whether it was one quoted section.  -1: it has
 * quotes that are not one section ('1"2', '"1"x'). */
long shmx__csv_unquote(const char *p, size_t n, char *buf, size_t cap,
		       int *quoted);

/* ---- values ----------------------------------------------------------- */

enum shmx__csv_bad {
	SHMX__CSV_OK = 0,
	SHMX__CSV_NOT_NUMBER,  /* not a number (or not an integer) */
	SHMX__CSV_FRACTION,    /* a number, but not whole: integer dtypes */
	SHMX__CSV_RANGE,       /* a whole number out of the dtype's range */
	SHMX__CSV_EMPTY_INT,   /* an empty field in an integer column */
};

/* The field's text (as shmx__csv_record gave it) as dtype t, stored at
 * out.  SHMX__CSV_OK or why not. */
enum shmx__csv_bad shmx__csv_value(const char *p, size_t n,
				   enum shmx_dtype t, void *out);

/* Whether a field's text reads as a float (a header has one that does
 * not). */
int shmx__csv_is_number(const char *p, size_t n);

/* 0, or the length of a UTF-8 byte order mark at p[0..n). */
size_t shmx__csv_bom(const char *p, size_t n);

/* Where line k (0-based: after k '\n') starts, from at; n if the data
 * has fewer lines. */
size_t shmx__csv_skip_lines(const char *p, size_t n, size_t at, uint64_t k);

/* '\n' in p[a..b). */
uint64_t shmx__csv_count_newlines(const char *p, size_t a, size_t b);

/* The line (1-based) and column (1-based, in bytes) of offset at, given
 * the line of offset from (<= at; line0) and where the file's first line
 * starts after its byte order mark (its column 1). */
void shmx__csv_where(const char *p, size_t from, uint64_t line0, size_t at,
		     size_t bom, uint64_t *line, uint64_t *col);

/* A field's text for a message: at most 40 bytes, non-printable bytes
 * as \xHH, cut ones end in "...". */
void shmx__csv_quote(const char *p, size_t n, char *buf, size_t cap);

/* Column names as a JSON list ("[\"a\", \"b\"]") into buf: its length,
 * or 0 when it does not fit in cap bytes (with the NUL). */
struct shmx__csv_name {
	const char *p;
	size_t len;
};
size_t shmx__csv_json_names(const struct shmx__csv_name *names, size_t n,
			    char *buf, size_t cap);

/* The fast path of the parse: a record whose fields are plain tokens (no
 * quote, no comment character, no blank inside a field) is read in one
 * walk without splitting it first.  Its values are what
 * shmx__csv_record + shmx__csv_value give (the same text is parsed);
 * anything else, errors included, is left to them. */
struct shmx__csv_fast {
	unsigned char stop[256];
	int ok;  /* not for the space delimiter */
	char delim;
	/* f64 records of simple numbers: their digits picked by one byte
	 * shuffle (shuf, on a machine with SSSE3: ssse3 1), else eight at a
	 * time in a word; the two read the same values (tests clear ssse3
	 * to check the second) */
	int ssse3;
	unsigned char shuf[256][16];
	int num; /* numbers read in one walk: no digit, '.' or sign stops */
};
void shmx__csv_fast_init(const struct shmx__csv_dialect *d,
			 struct shmx__csv_fast *fz);
/* 1: the record at `at` was read (*had: it was a row of ncols fields,
 * field i's value at column dest[i] of out, not read when dest[i] < 0;
 * dest NULL: field i at column i; *next: the next record), 0: take the
 * general path. */
int shmx__csv_fast_record(const struct shmx__csv_fast *fz, const char *p,
			  size_t n, size_t at, enum shmx_dtype t, size_t ncols,
			  const long *dest, char *out, size_t *next, int *had);

#endif
