/* engine/exec/load_csv.c - shmx_load_csv (shmx/csv.h): a CSV file into a
 * new array, in two parallel passes over byte ranges.
 *
 *   parent   map the file; BOM, --skip, header, the first record's fields
 *   pass 1   workers: each range scanned from every start state
 *            (shmx__csv_scan) into a MAP_SHARED span per range
 *   parent   prefix over the ranges: each range's state at its first
 *            byte, so its lane, its first record, rows and first line;
 *            create the output (rows x columns), its column names
 *   pass 2   workers: each range's records parsed into its own rows
 *   parent   publish; on a CSV error, the ranges are parsed again in
 *            order in the parent up to the first error, so that the one
 *            reported is the first in the file whatever -j and --chunk
 *
 * The ranges are a shmx__plan whose "rows" are the data's bytes, so the
 * pool and its claim protocol are used as they are: a range's first
 * byte is its row0.  A range of the parse pass reads the bytes from its
 * first record (which may start in an earlier range) to its last record
 * end, and writes only its own rows; a range in which no record ends
 * (inside a long quoted field) has no rows and is skipped.
 *
 * Workers read the file with pread in blocks (BLOCK), not through the
 * mapping, in both passes (a record that runs past a block is read again
 * from its start with the next), and write their rows with pwrite from a
 * row buffer (ROWS_BYTES); bad data, a short read or no memory for the
 * buffers send a range to the mapping path, which writes through the
 * output's mapping and gives the messages.  A cold input on a disk is
 * not left in the page cache: see `cold`.  The io_uring stream of
 * exec/source_stream.c is not used (the records of a range need not fit
 * its aligned reads).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shmx/csv.h"
#include "shmx/npy.h"
#include "base/internal.h"
#include "format/csv.h"
#include "store/output.h"
#include "exec/io_choice.h"
#include "exec/pool.h"
#include "exec/shared.h"
#include "exec/stats.h"

/* At most this many ranges (their spans take 128 bytes each): a smaller
 * --chunk is raised to fit, by the file's size alone, so the ranges
 * still do not depend on -j. */
#define RANGES_MAX (UINT64_C(1) << 22)

/* A range after the prefix. */
struct range {
	uint64_t rec_start; /* its first record (may start before it) */
	uint64_t row0;      /* that record's output row */
	uint64_t rows;      /* records with content ending in it */
	uint64_t line;      /* the line of its first byte */
	uint64_t rec_end;   /* its last record's end (rows > 0) */
};

/* A worker reads its ranges with pread in blocks of this size rather than
 * through the mapping: a fresh worker would take a page fault (about a
 * microsecond here) per 4 KiB of it in each pass, where a copy into a
 * buffer that stays in the cache costs a fifth of that, and the parse
 * then reads from the cache.  The mapping remains for the parent (the
 * head, errors) and for a worker whose read comes up short or fails: it
 * redoes the range on the mapping, which reports what the file did. */
#define BLOCK (128u << 10)

/* The parse from reads writes its rows with pwrite too, this many bytes
 * of them at a time (at least a row): a page of a segment written whole
 * is not cleared first, as a reserved and mapped one is, nor mapped. */
#define ROWS_BYTES (64u << 10)

struct load {
	const char *path;
	const char *data;
	size_t n;
	struct shmx__csv_dialect d;
	size_t bom, data_start;
	struct shmx__plan plan;
	struct shmx__csv_span *spans; /* MAP_SHARED, one per range */
	struct range *r;
	uint64_t rows;
	size_t ncols;                 /* fields of every record */
	struct shmx__csv_field *f;    /* ncols + 1 */
	size_t *sel, nsel;            /* array column j is field sel[j] */
	struct shmx__csv_name *names; /* the header's fields, or NULL */
	size_t nnames;
	char *name_buf;
	enum shmx_dtype t;
	size_t esize;
	struct shmx_output *out;
	char *out_data;
	struct shmx__shared *shared;
	int in_worker;               /* errors go to the shared page */
	struct shmx_error *err;      /* the parent's */
	char note[160];
	struct shmx__csv_fast fast;
	int fast_ok;                 /* no field selected twice */
	long *dest;                  /* field i -> array column, or -1 */
	/* A cold input on a disk (mostly not in the page cache, so possibly
	 * larger than memory): workers drop the pages of each range behind
	 * them, the input's and, for an output file on a disk, the
	 * output's once written, so the load runs in bounded memory and
	 * leaves the page cache as it found it.  The input is read twice
	 * (one read per pass). */
	int cold;
	int fd, out_fd;              /* out_fd: -1 unless dropped behind */
	char *buf;                   /* a worker's read buffer (BLOCK or */
	size_t buf_cap;              /* more for a longer record) */
	char *rows_buf;              /* and its rows, rows_cap of them */
	uint64_t rows_cap;
};

/* ---- errors that name the place ---------------------------------------- */

static int at_fail(struct load *L, size_t from, uint64_t line0, size_t pos,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* "FILE:LINE:COL: ..." for offset pos, the line of offset from being
 * line0. */
static int at_fail(struct load *L, size_t from, uint64_t line0, size_t pos,
		   const char *fmt, ...)
{
	struct shmx_error e = { 0 };
	char what[SHMX_ERROR_MSG_MAX];
	uint64_t line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	shmx__csv_where(L->data, from, line0, pos, L->bom, &line, &col);
	shmx__fail(&e, SHMX_ECSV, "%s:%llu:%llu: %s", L->path,
		   (unsigned long long)line, (unsigned long long)col, what);
	if (L->in_worker)
		shmx__shared_error(L->shared, &e);
	else if (L->err)
		*L->err = e;
	return SHMX_ECSV;
}

/* A '\r' is a blank (CRLF, or before a delimiter), so a file whose lines
 * end in '\r' alone (old Mac) would be one long record, its line breaks
 * inside fields: such a field (not quoted) fails with this message. */
static const char *lone_cr(const struct load *L,
			   const struct shmx__csv_field *f, size_t nf)
{
	for (size_t i = 0; i < nf; i++) {
		const char *p = L->data + f[i].at, *cr;

		if (f[i].len && p[0] != '"' && (cr = memchr(p, '\r', f[i].len)))
			return cr;
	}
	return NULL;
}

static int cr_fail(struct load *L, size_t from, uint64_t line0,
		   const char *cr)
{
	return at_fail(L, from, line0, (size_t)(cr - L->data),
		       "a carriage return inside a field: lines that end in "
		       "'\\r' alone (old Mac files) are not read; make them "
		       "'\\n' (tr '\\r' '\\n')");
}

static int bad_value(struct load *L, size_t from, uint64_t line0,
		     const struct shmx__csv_field *f, enum shmx__csv_bad why)
{
	const char *t = shmx_dtype_name(L->t), *cr = lone_cr(L, f, 1);
	char q[200];

	if (cr)
		return cr_fail(L, from, line0, cr);
	shmx__csv_quote(L->data + f->at, f->len, q, sizeof(q));
	switch (why) {
	case SHMX__CSV_FRACTION:
		return at_fail(L, from, line0, f->at,
			       "'%s' is not a whole number (%s)", q, t);
	case SHMX__CSV_RANGE:
		return at_fail(L, from, line0, f->at,
			       "'%s' is out of range for %s", q, t);
	case SHMX__CSV_EMPTY_INT:
		return at_fail(L, from, line0, f->at,
			       "empty field in an integer column (%s)", t);
	default:
		if (L->t == SHMX_F32 || L->t == SHMX_F64)
			return at_fail(L, from, line0, f->at,
				       "'%s' is not a number", q);
		return at_fail(L, from, line0, f->at,
			       "'%s' is not an integer (%s)", q, t);
	}
}

/* ---- one record -------------------------------------------------------- */

/* The record at `at` (a record start; its line: from/line0): *next, and
 * its values into row `row` (out NULL: only checked).  *had: whether it
 * was a row. */
static int record(struct load *L, size_t from, uint64_t line0, size_t at,
		  size_t *next, char *out, int *had)
{
	size_t nf, bad;
	const struct shmx__csv_field *f = L->f;

	if (out && L->fast_ok &&
	    shmx__csv_fast_record(&L->fast, L->data, L->n, at, L->t, L->ncols,
				  L->dest, out, next, had))
		return 0;
	if (shmx__csv_record(&L->d, L->data, L->n, at, next, L->f,
			     L->ncols + 1, &nf, &bad))
		return at_fail(L, from, line0, bad, "unterminated quote");
	*had = nf != 0;
	if (!nf)
		return 0;
	if (nf != L->ncols) {
		size_t pos = nf > L->ncols ? f[L->ncols].at
					   : f[nf - 1].at + f[nf - 1].len;
		const char *cr = lone_cr(L, f, nf < L->ncols + 1 ? nf
							       : L->ncols + 1);

		if (cr)
			return cr_fail(L, from, line0, cr);

		return at_fail(L, from, line0, pos,
			       "row has %zu field%s, expected %zu", nf,
			       nf == 1 ? "" : "s", L->ncols);
	}
	for (size_t j = 0; j < L->nsel; j++) {
		const struct shmx__csv_field *fj = &f[L->sel[j]];
		uint64_t scratch;
		void *dst = out ? (void *)(out + j * L->esize) : (void *)&scratch;
		enum shmx__csv_bad why = shmx__csv_value(L->data + fj->at,
							 fj->len, L->t, dst);

		if (why)
			return bad_value(L, from, line0, fj, why);
	}
	return 0;
}

/* ---- the passes ---------------------------------------------------------- */

#define FOLIO_MAX (UINT64_C(2) << 20)

/* Drop the pages of [off, off + len) of a file mapped at map from this
 * process and from the page cache (written back first if dirty). */
static void drop_behind(int fd, char *map, uint64_t off, uint64_t len,
			int dirty)
{
	/* the pages at the edges too, shared with a neighbour: unmapped here
	 * (or its folio stays mapped until this worker exits); dropped if
	 * the neighbour is done with it, else when the neighbour drops */
	uint64_t lo = off & ~(uint64_t)4095;
	uint64_t hi = (off + len + 4095) & ~(uint64_t)4095;

	if (hi <= lo)
		return;
	if (dirty)
		msync(map + lo, hi - lo, MS_SYNC);
	madvise(map + lo, hi - lo, MADV_DONTNEED);
	/* The page cache keeps large folios (up to 2 MiB): one that reaches
	 * past the range is not dropped with it, so the output's drop
	 * reaches over the neighbours; what of theirs is dirty or mapped
	 * (still being written) stays, the rest is on the disk already. */
	if (dirty) {
		lo = lo > FOLIO_MAX ? lo - FOLIO_MAX : 0;
		hi += FOLIO_MAX;
	}
	posix_fadvise(fd, (off_t)lo, (off_t)(hi - lo), POSIX_FADV_DONTNEED);
}

/* Exactly len bytes of the input at off into p: 0, or -1 (short, or an
 * error: the caller goes to the mapping, which shows which). */
static int read_at(const struct load *L, char *p, size_t len, uint64_t off)
{
	while (len) {
		ssize_t r = pread(L->fd, p, len, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

/* The worker's buffer holds at least cap bytes: 0 or -1. */
static int buffer(struct load *L, size_t cap)
{
	char *b;

	if (L->buf_cap >= cap)
		return 0;
	if (!(b = shmx__malloc(cap)))
		return -1;
	if (L->buf_cap)
		memcpy(b, L->buf, L->buf_cap);
	shmx__free(L->buf);
	L->buf = b;
	L->buf_cap = cap;
	return 0;
}

/* Range [off, off + len) of the data scanned block by block from reads,
 * the blocks' spans chained: 0, or -1. */
static int scan_read(struct load *L, uint64_t off, uint64_t len,
		     struct shmx__csv_span *s)
{
	struct shmx__csv_span b;

	size_t n;

	if (buffer(L, BLOCK))
		return -1;
	for (uint64_t o = 0; o < len; o += n) {
		n = len - o < BLOCK ? (size_t)(len - o) : BLOCK;
		if (read_at(L, L->buf, n, L->data_start + off + o))
			return -1;
		shmx__csv_scan(&L->d, L->buf, n, o ? &b : s);
		if (o)
			shmx__csv_span_append(s, &b, o);
	}
	return 0;
}

/* Cold: the bytes [off, off + len) read ahead, all of them and no more
 * (the kernel's own readahead is off: map_file). */
static void ahead_of(const struct load *L, uint64_t off, uint64_t len)
{
	if (L->cold)
		posix_fadvise(L->fd, (off_t)off, (off_t)len, POSIX_FADV_WILLNEED);
}

static int count_range(void *ctx, uint64_t k, uint64_t off, uint64_t len)
{
	struct load *L = ctx;

	ahead_of(L, L->data_start + off, len);
	if (scan_read(L, off, len, &L->spans[k]))
		shmx__csv_scan(&L->d, L->data + L->data_start + off, len,
			       &L->spans[k]);
	if (L->cold)
		drop_behind(L->fd, (char *)L->data, L->data_start + off, len, 0);
	return 0;
}

/* Range g's rows of the output, reserved and mapped in (for writes
 * through the mapping). */
static int reserve_rows(struct load *L, const struct range *g)
{
	uint64_t row_bytes = L->nsel * L->esize;

	return row_bytes ? shmx__output_reserve(L->out, g->row0 * row_bytes,
						g->rows * row_bytes)
			 : 0;
}

/* Range k's records into their rows (store: into the output). */
static int parse_range(struct load *L, uint64_t k, int store)
{
	const struct range *g = &L->r[k];
	size_t b = L->data_start + shmx__plan_row0(&L->plan, k);
	size_t from = g->rec_start, at = from, next;
	uint64_t line0, done = 0, row_bytes = L->nsel * L->esize;
	int rc, had = 0;

	if (!g->rows)
		return 0;
	line0 = g->line - shmx__csv_count_newlines(L->data, from, b);
	if (store && (rc = reserve_rows(L, g)))
		return rc;
	while (done < g->rows && at < L->n) {
		char *out = store ? L->out_data + (g->row0 + done) * row_bytes
				  : NULL;

		if ((rc = record(L, from, line0, at, &next, out, &had)))
			return rc;
		done += (uint64_t)had;
		at = next;
	}
	if (done != g->rows)
		return at_fail(L, from, line0, at,
			       "internal error: %llu rows, scanned %llu",
			       (unsigned long long)done,
			       (unsigned long long)g->rows);
	return 0;
}

/* The record at buf[at] of the `have` bytes read (`last`: they reach
 * the range's last record end) into the row out, as record() reads it
 * from the mapping: 1 (*next, *had), 0: the bytes read end before the
 * record does, -1: bad data (the range is parsed again on the mapping,
 * for the message). */
static int buffered_record(struct load *L, size_t have, int last, size_t at,
			   size_t *next, char *out, int *had)
{
	const char *p = L->buf;
	size_t nf, bad;

	if (L->fast_ok &&
	    shmx__csv_fast_record(&L->fast, p, have, at, L->t, L->ncols,
				  L->dest, out, next, had))
		return last || p[*next - 1] == '\n';
	if (shmx__csv_record(&L->d, p, have, at, next, L->f, L->ncols + 1,
			     &nf, &bad))
		return last ? -1 : 0;
	if (!last && p[*next - 1] != '\n')
		return 0;
	*had = nf != 0;
	if (!nf)
		return 1;
	if (nf != L->ncols)
		return -1;
	for (size_t j = 0; j < L->nsel; j++) {
		const struct shmx__csv_field *fj = &L->f[L->sel[j]];

		if (shmx__csv_value(p + fj->at, fj->len, L->t, out + j * L->esize))
			return -1;
	}
	return 1;
}

/* The worker's row buffer: 0, or -1. */
static int row_buffer(struct load *L, uint64_t row_bytes)
{
	if (L->rows_buf)
		return 0;
	L->rows_cap = ROWS_BYTES / row_bytes ? ROWS_BYTES / row_bytes : 1;
	L->rows_buf = shmx__malloc(L->rows_cap * row_bytes);
	return L->rows_buf ? 0 : -1;
}

/* Rows [row, row + nrows) from the row buffer into the output: 0, or a
 * negative errno (-ENOSPC: a full file system). */
static int write_rows(const struct load *L, uint64_t row, uint64_t nrows)
{
	uint64_t row_bytes = L->nsel * L->esize;
	const char *p = L->rows_buf;
	size_t len = (size_t)(nrows * row_bytes);
	uint64_t off = SHMX_NPY_DATA_OFFSET + row * row_bytes;
	int fd = shmx__output_fd(L->out);

	while (len) {
		ssize_t w = pwrite(fd, p, len, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		len -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* Range k's records into their rows from reads of its bytes, block by
 * block (a record that runs past a block is read again from its start
 * with the next), the rows written from a buffer: 0, 1: do it on the
 * mapping, or a negative code. */
static int parse_read(struct load *L, uint64_t k)
{
	const struct range *g = &L->r[k];
	uint64_t base = g->rec_start, done = 0, row_bytes = L->nsel * L->esize;
	uint64_t flushed = 0;
	size_t have = 0, at = 0, next, n;
	int rc, had, r;

	if (!g->rows || !row_bytes)
		return g->rows ? 1 : 0;
	if (buffer(L, BLOCK) || row_buffer(L, row_bytes))
		return 1;
	ahead_of(L, base, g->rec_end - base);
	while (done < g->rows) {
		char *out = L->rows_buf + (done - flushed) * row_bytes;

		r = at < have ? buffered_record(L, have, base + have == g->rec_end,
						at, &next, out, &had)
			      : 0;
		if (r < 0)
			return 1;
		if (r) {
			done += (uint64_t)had;
			at = next;
			if (done - flushed == L->rows_cap || done == g->rows) {
				if ((rc = write_rows(L, g->row0 + flushed,
						     done - flushed)))
					return rc;
				flushed = done;
			}
			continue;
		}
		if (base + have == g->rec_end)
			return 1; /* no more to read: the mapping's message */
		memmove(L->buf, L->buf + at, have - at);
		base += at;
		have -= at;
		at = 0;
		if (have == L->buf_cap && buffer(L, 2 * L->buf_cap))
			return 1;
		n = L->buf_cap - have;
		if (n > g->rec_end - (base + have))
			n = (size_t)(g->rec_end - (base + have));
		if (read_at(L, L->buf + have, n, base + have))
			return 1;
		have += n;
	}
	return 0;
}

static int parse_chunk(void *ctx, uint64_t k, uint64_t off, uint64_t len)
{
	struct load *L = ctx;
	const struct range *g = &L->r[k];
	uint64_t row_bytes = L->nsel * L->esize;
	int rc = parse_read(L, k);

	if (rc == 1)
		rc = parse_range(L, k, 1);

	if (rc || !L->cold)
		return rc;
	drop_behind(L->fd, (char *)L->data, L->data_start + off, len, 0);
	if (L->out_fd >= 0 && g->rows)
		drop_behind(L->out_fd, L->out_data - SHMX_NPY_DATA_OFFSET,
			    SHMX_NPY_DATA_OFFSET + g->row0 * row_bytes,
			    g->rows * row_bytes, 1);
	return 0;
}

/* ---- the parent's steps -------------------------------------------------- */

/* Each range's lane from the state the previous one ended in. */
static int prefix(struct load *L)
{
	uint8_t st = SHMX__CSV_OUT0;
	uint64_t rec = L->data_start, row = 0;
	uint64_t line = 1 + shmx__csv_count_newlines(L->data, 0, L->data_start);

	L->r = shmx__calloc(L->plan.nchunks ? L->plan.nchunks : 1,
			    sizeof(*L->r));
	if (!L->r)
		return shmx__fail(L->err, -ENOMEM, "load: out of memory");
	for (uint64_t k = 0; k < L->plan.nchunks; k++) {
		const struct shmx__csv_lane *ln = &L->spans[k].lane[st];
		struct range *g = &L->r[k];

		g->rec_start = rec;
		g->row0 = row;
		g->rows = ln->rows;
		g->line = line;
		if (ln->last_end)
			rec = L->data_start + shmx__plan_row0(&L->plan, k) +
			      ln->last_end;
		g->rec_end = rec;
		if (k + 1 == L->plan.nchunks && shmx__csv_open_row(ln->end)) {
			g->rows++;
			g->rec_end = L->n;
		}
		st = ln->end;
		row += g->rows;
		line += L->spans[k].newlines;
	}
	L->rows = row;
	return 0;
}

static int map_file(struct load *L, int *fd)
{
	struct stat sb;

	*fd = open(L->path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return shmx__fail(L->err, -errno, "%s: %s", L->path,
				  strerror(errno));
	if (fstat(*fd, &sb) < 0 || !S_ISREG(sb.st_mode))
		return shmx__fail(L->err, SHMX_EUSAGE,
				  "%s: not a regular file", L->path);
	L->n = (size_t)sb.st_size;
	if (!L->n)
		return 0;
	L->data = mmap(NULL, L->n, PROT_READ, MAP_SHARED, *fd, 0);
	if (L->data == MAP_FAILED) {
		L->data = NULL;
		return shmx__fail(L->err, -errno, "%s: cannot map it: %s",
				  L->path, strerror(errno));
	}
	L->fd = *fd;
	L->cold = !shmx__on_tmpfs(*fd) &&
		  shmx__resident_fraction(L->data, L->n) < 0.5;
	/* cold: no readahead beyond what a worker asks for (ahead_of), or
	 * it would bring back pages of ranges another worker has dropped */
	if (L->cold)
		posix_fadvise(*fd, 0, 0, POSIX_FADV_RANDOM);
	return 0;
}

/* The first record with content from `at`: its offset (n: none), its
 * fields in L->f (grown to fit), their count. */
static int first_record(struct load *L, size_t at, size_t *rec, size_t *nf)
{
	size_t next, bad, cap = 0;

	for (;;) {
		*rec = at;
		if (at >= L->n) {
			*nf = 0;
			return 0;
		}
		if (shmx__csv_record(&L->d, L->data, L->n, at, &next, L->f,
				     cap, nf, &bad))
			return at_fail(L, 0, 1, bad, "unterminated quote");
		if (*nf)
			break;
		at = next;
	}
	shmx__free(L->f);
	L->f = shmx__calloc(*nf + 1, sizeof(*L->f));
	if (!L->f)
		return shmx__fail(L->err, -ENOMEM, "load: out of memory");
	shmx__csv_record(&L->d, L->data, L->n, at, &next, L->f, *nf + 1, nf,
			 &bad);
	L->data_start = next; /* if it is the header */
	return 0;
}

static int is_header(const struct load *L, size_t nf)
{
	for (size_t i = 0; i < nf; i++) {
		const struct shmx__csv_field *f = &L->f[i];

		if (f->len && !shmx__csv_is_number(L->data + f->at, f->len))
			return 1;
	}
	return 0;
}

static int keep_names(struct load *L, size_t nf)
{
	size_t total = 0, o = 0;
	int quoted;

	for (size_t i = 0; i < nf; i++)
		total += L->f[i].len;
	L->names = shmx__calloc(nf ? nf : 1, sizeof(*L->names));
	L->name_buf = shmx__malloc(total + 1);
	if (!L->names || !L->name_buf)
		return shmx__fail(L->err, -ENOMEM, "load: out of memory");
	for (size_t i = 0; i < nf; i++) {
		const struct shmx__csv_field *f = &L->f[i];
		long len = shmx__csv_unquote(L->data + f->at, f->len,
					     L->name_buf + o, total - o,
					     &quoted);

		if (len < 0) { /* quotes inside: keep the text as it is */
			memcpy(L->name_buf + o, L->data + f->at, f->len);
			len = (long)f->len;
		}
		L->names[i].p = L->name_buf + o;
		L->names[i].len = (size_t)len;
		o += (size_t)len;
	}
	L->nnames = nf;
	return 0;
}

/* BOM, --skip, the header, and the number of fields. */
static int read_head(struct load *L, const struct shmx_csv_opts *o)
{
	size_t at, rec, nf;
	int rc;

	L->bom = shmx__csv_bom(L->data, L->n);
	at = shmx__csv_skip_lines(L->data, L->n, L->bom, o->skip);
	if ((rc = first_record(L, at, &rec, &nf)))
		return rc;
	if (lone_cr(L, L->f, nf)) /* before it passes for a header */
		return cr_fail(L, 0, 1, lone_cr(L, L->f, nf));
	L->ncols = nf;
	if (nf && (o->header == SHMX_CSV_HEADER_YES ||
		   (o->header == SHMX_CSV_HEADER_AUTO && is_header(L, nf))))
		return keep_names(L, nf); /* data_start: after it */
	if (!nf && o->header == SHMX_CSV_HEADER_YES)
		L->nnames = 0;
	L->data_start = at;
	return 0;
}

static int column(struct load *L, const char *s, size_t len, size_t *idx)
{
	size_t i = 0, v = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9' && v < ((size_t)1 << 40))
		v = v * 10 + (size_t)(s[i++] - '0');
	if (len && i == len) {
		if (v >= L->ncols)
			return shmx__fail(L->err, SHMX_EUSAGE,
					  "load: --columns: column %zu is out "
					  "of range (%s has %zu)",
					  v, L->path, L->ncols);
		*idx = v;
		return 0;
	}
	for (i = 0; i < L->nnames; i++)
		if (L->names[i].len == len &&
		    memcmp(L->names[i].p, s, len) == 0)
			return (int)(*idx = i, 0);
	return shmx__fail(L->err, SHMX_EUSAGE,
			  "load: --columns: '%.*s' is not a column %s", (int)len,
			  s, L->nnames ? "of the header" : "(no header)");
}

static int select_columns(struct load *L, const char *spec)
{
	size_t cap = 1;

	if (!spec) {
		L->nsel = L->ncols;
		L->sel = shmx__calloc(L->ncols ? L->ncols : 1, sizeof(size_t));
		if (!L->sel)
			return shmx__fail(L->err, -ENOMEM, "load: out of memory");
		for (size_t j = 0; j < L->ncols; j++)
			L->sel[j] = j;
		return 0;
	}
	for (const char *p = spec; *p; p++)
		cap += *p == ',';
	L->sel = shmx__calloc(cap, sizeof(size_t));
	if (!L->sel)
		return shmx__fail(L->err, -ENOMEM, "load: out of memory");
	for (const char *p = spec;; ) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		int rc = column(L, p, len, &L->sel[L->nsel]);

		if (rc)
			return rc;
		L->nsel++;
		if (!e)
			return 0;
		p = e + 1;
	}
}

/* The fast path puts each field in at most one column: dest, or 0 when
 * a field is selected twice (or memory is short: the general path then
 * does it all). */
static int fast_columns(struct load *L)
{
	L->dest = shmx__malloc((L->ncols ? L->ncols : 1) * sizeof(long));
	if (!L->dest)
		return 0;
	for (size_t i = 0; i < L->ncols; i++)
		L->dest[i] = -1;
	for (size_t j = 0; j < L->nsel; j++) {
		if (L->dest[L->sel[j]] >= 0)
			return 0;
		L->dest[L->sel[j]] = (long)j;
	}
	return 1;
}

static int check_opts(const struct shmx_csv_opts *o, struct shmx__csv_dialect *d,
		      const char *path, struct shmx_error *err)
{
	size_t len = strlen(path);
	unsigned char c, m;

	d->delim = o->delimiter ? o->delimiter
		   : len >= 4 && strcmp(path + len - 4, ".tsv") == 0 ? '\t'
								   : ',';
	d->comment = o->comment;
	c = (unsigned char)d->delim;
	m = (unsigned char)d->comment;
	if (c == '"' || c == '\n' || c == '\r' || c == '\0')
		return shmx__fail(err, SHMX_EUSAGE,
				  "load: --delimiter cannot be a quote or a "
				  "line break");
	if (m && (m == '"' || m == '\n' || m == '\r' || m == ' ' ||
		  m == '\t' || m == c))
		return shmx__fail(err, SHMX_EUSAGE,
				  "load: --comment cannot be a quote, a blank, "
				  "a line break or the delimiter");
	if ((unsigned)o->dtype >= SHMX_DTYPE_COUNT)
		return shmx__fail(err, SHMX_EDTYPE, "load: unknown dtype");
	if (o->dtype == SHMX_BOOL)
		return shmx__fail(err, SHMX_EDTYPE,
				  "load: a CSV is numbers, not bool");
	if (o->header < SHMX_CSV_HEADER_AUTO || o->header > SHMX_CSV_HEADER_NO)
		return shmx__fail(err, SHMX_EUSAGE, "load: bad header mode");
	return 0;
}

static void read_opts(const struct shmx_csv_opts *in, struct shmx_csv_opts *o)
{
	struct shmx_csv_opts def = SHMX_CSV_OPTS_INIT;
	size_t n = in && in->size ? in->size : sizeof(*o);

	if (!in) {
		*o = def;
		return;
	}
	memset(o, 0, sizeof(*o));
	memcpy(o, in, n < sizeof(*o) ? n : sizeof(*o));
	o->size = sizeof(*o);
}

void shmx_csv_opts_init(struct shmx_csv_opts *o)
{
	struct shmx_csv_opts def = SHMX_CSV_OPTS_INIT;

	*o = def;
}

/* ---- running it ---------------------------------------------------------- */

/* After a cold pass, with the workers gone: what they could not drop
 * (pages another worker had mapped around a fault, the edges of ranges). */
static void sweep(struct load *L, int output)
{
	posix_fadvise(L->fd, 0, 0, POSIX_FADV_DONTNEED);
	if (!output || L->out_fd < 0)
		return;
	sync_file_range(L->out_fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE |
			SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
	posix_fadvise(L->out_fd, 0, 0, POSIX_FADV_DONTNEED);
}

static int pass(struct load *L, shmx__chunk_fn fn, const struct shmx_csv_opts *o,
		struct shmx__pool_report *rep)
{
	struct shmx__pool_task task = {
		.plan = &L->plan, .run = fn, .ctx = L, .bytes_per_row = 1,
	};
	struct shmx__pool_opts po = {
		.workers = shmx__workers_for(o->workers, L->plan.nchunks),
		.retries = o->retries,
		.progress = o->progress && fn == parse_chunk,
		.what = "load",
		.input = L->path,
	};

	int rc;

	memset(rep, 0, sizeof(*rep));
	if (!L->plan.nchunks)
		return 0;
	L->in_worker = 1;
	rc = shmx__pool_run(&task, &po, rep, L->err);
	L->in_worker = 0;
	if (L->cold)
		sweep(L, fn == parse_chunk);
	return rc;
}

/* After a failed parse pass: the first error in the file, found by
 * parsing the ranges again in order here (the workers that failed first
 * need not have had the earliest ranges). */
static int first_error(struct load *L, int rc)
{
	L->in_worker = 0;
	if (rc == SHMX_ECSV || rc == SHMX_EWORKER) {
		for (uint64_t k = 0; k < L->plan.nchunks; k++) {
			int r = parse_range(L, k, 0);

			if (r)
				return r;
		}
	}
	if (L->shared->failed)
		return shmx__fail(L->err, rc, "%s", L->shared->msg);
	if (rc == -ENOSPC)
		return shmx__output_nospace(L->out, L->err);
	return rc;
}

static int create(struct load *L, const char *target,
		  const struct shmx_csv_opts *o)
{
	struct shmx_shape s = { .ndim = 2, .dim = { L->rows, L->nsel } };
	struct shmx__csv_name *kept;
	char json[SHMX_NPY_DATA_OFFSET];
	int rc;

	rc = shmx__output_create(target, L->t, &s, &o->create, 1, &L->out,
				 L->err);
	if (rc)
		return rc;
	L->out_data = shmx_output_data(L->out);
	if (L->cold && !shmx__on_tmpfs(shmx__output_fd(L->out)))
		L->out_fd = shmx__output_fd(L->out);
	if (!L->nnames)
		return 0;
	kept = shmx__calloc(L->nsel ? L->nsel : 1, sizeof(*kept));
	if (!kept)
		return shmx__fail(L->err, -ENOMEM, "load: out of memory");
	for (size_t j = 0; j < L->nsel; j++)
		kept[j] = L->names[L->sel[j]];
	if (!shmx__csv_json_names(kept, L->nsel, json, sizeof(json)) ||
	    shmx_npy_set_columns(shmx__output_header(L->out), json))
		snprintf(L->note, sizeof(L->note),
			 "column names not kept: they do not fit in the NPY "
			 "header");
	shmx__free(kept);
	return 0;
}

static void fill_stats(const struct load *L, struct shmx__pool_report *rep,
		       struct shmx_stats *st)
{
	snprintf(st->op, sizeof(st->op), "load-csv");
	st->workers = rep->workers;
	st->spawned = rep->spawned;
	st->deaths = rep->deaths;
	st->chunks = L->plan.nchunks;
	st->chunk_rows = L->plan.chunk_rows; /* bytes of a range */
	st->rows = L->rows;
	st->bytes_in = L->n;
	st->bytes_out = L->rows * L->nsel * L->esize;
	st->worker = rep->w;
	rep->w = NULL;
	snprintf(st->io, sizeof(st->io), "mmap");
	st->io_note[0] = '\0';
	if (L->cold)
		shmx__note(st->io_note, sizeof(st->io_note),
			   "a cold input: pages dropped behind each range%s",
			   L->out_fd >= 0 ? ", the output's too" : "");
	if (L->note[0])
		shmx__note(st->io_note, sizeof(st->io_note), "%s", L->note);
}

static int run(struct load *L, const char *target,
	       const struct shmx_csv_opts *o, struct shmx_stats *st)
{
	struct shmx__pool_report count = { 0 }, parse = { 0 };
	double t0 = shmx__now(), t1, t2, t3;
	int rc;

	shmx__plan_make(&L->plan, L->n - L->data_start, 1, o->chunk_bytes);
	if (L->plan.nchunks > RANGES_MAX) /* --chunk 1 on a big file */
		shmx__plan_make(&L->plan, L->plan.rows, 1,
				(L->plan.rows - 1) / RANGES_MAX + 1);
	L->spans = shmx__map_shared((L->plan.nchunks ? L->plan.nchunks : 1) *
				    sizeof(*L->spans));
	L->shared = shmx__shared_map();
	if (!L->spans || !L->shared)
		return shmx__fail(L->err, -errno, "load: cannot map shared "
				  "memory: %s", strerror(errno));
	t1 = shmx__now();
	rc = pass(L, count_range, o, &count);
	shmx__pool_report_free(&count);
	if (!rc)
		rc = prefix(L);
	if (!rc)
		rc = create(L, target, o);
	if (!rc && (rc = pass(L, parse_chunk, o, &parse)))
		rc = first_error(L, rc);
	t2 = shmx__now();
	if (!rc) {
		rc = shmx_output_publish(L->out, L->err);
		L->out = NULL; /* publish frees it, whatever the result */
	}
	t3 = shmx__now();
	if (!rc && st) {
		fill_stats(L, &parse, st);
		st->setup_s = t1 - t0;
		st->compute_s = t2 - t1;
		st->publish_s = t3 - t2;
		shmx__stats_finish(st);
	}
	shmx__pool_report_free(&parse);
	return rc;
}

static void close_load(struct load *L, int fd)
{
	shmx_output_discard(L->out);
	if (L->spans)
		munmap(L->spans, (L->plan.nchunks ? L->plan.nchunks : 1) *
				 sizeof(*L->spans));
	shmx__shared_unmap(L->shared);
	if (L->data)
		munmap((void *)L->data, L->n);
	if (fd >= 0)
		close(fd);
	shmx__free(L->r);
	shmx__free(L->f);
	shmx__free(L->sel);
	shmx__free(L->dest);
	shmx__free(L->buf);
	shmx__free(L->rows_buf);
	shmx__free(L->names);
	shmx__free(L->name_buf);
}

int shmx_load_csv(const char *path, const char *target,
		  const struct shmx_csv_opts *opts, struct shmx_stats *stats,
		  struct shmx_error *err)
{
	struct shmx_csv_opts o;
	struct load L;
	double t0 = shmx__now();
	int fd = -1, rc;

	memset(&L, 0, sizeof(L));
	L.fd = L.out_fd = -1;
	read_opts(opts, &o);
	L.path = path;
	L.err = err;
	L.t = o.dtype;
	rc = check_opts(&o, &L.d, path, err);
	if (!rc)
		rc = map_file(&L, &fd);
	if (!rc && L.n)
		rc = read_head(&L, &o);
	if (!rc)
		rc = select_columns(&L, o.columns);
	if (!rc && !L.f && !(L.f = shmx__calloc(1, sizeof(*L.f))))
		rc = shmx__fail(err, -ENOMEM, "load: out of memory");
	if (!rc) {
		L.esize = shmx_dtype_size(L.t);
		shmx__csv_fast_init(&L.d, &L.fast);
		L.fast_ok = fast_columns(&L);
		rc = run(&L, target, &o, stats);
		if (!rc && stats)
			stats->total_s = shmx__now() - t0;
	}
	close_load(&L, fd);
	return rc;
}
