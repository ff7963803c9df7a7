/* shmx/csv.h - a numeric CSV into a new 2-D array, parsed in parallel.
 *
 *   struct shmx_csv_opts o = SHMX_CSV_OPTS_INIT;
 *   o.dtype = SHMX_F32;
 *   shmx_load_csv("data.csv", "shm://data", &o, NULL, &err)
 *
 * maps the file, cuts it into byte ranges of opts.chunk_bytes and forks
 * workers twice: the first pass scans every range from each state a
 * record can be in at its first byte (outside or inside quotes, in a
 * comment), so that after a prefix sum over the ranges in the parent
 * every range knows its first record, its first output row and its first
 * line; the second pass parses each range's records straight into its
 * rows of the output, which is then published.  Where a record ends, and
 * so every value, does not depend on the worker count or the ranges: the
 * result is bit-identical for any of them.
 *
 * The dialect (see engine/format/csv.h for the exact rules): records end
 * at '\n' (CRLF too) outside quotes (a '\r' alone ends no line: a field
 * with one inside is refused, naming old Mac line ends); a UTF-8 byte order mark is skipped;
 * `skip` lines come first; then a header, when asked or when the first
 * record has a field that is not a number; fields split at the
 * delimiter, blanks around them dropped (the space delimiter: runs of
 * blanks); "quoted" fields with "" for a quote; blank and comment lines
 * skipped; a last record without '\n' is a record.  Floats are correctly
 * rounded (strtod's and Python's float()'s bits; f32: strtof's, not a
 * double's rounded again; nan, inf, infinity in any case and sign), an
 * empty float field is NaN; integers are whole
 * decimals in the dtype's range.  The header's names (of the columns
 * kept) are stored in the NPY header as a comment numpy skips
 * (shmx_npy_columns, shmx/npy.h).
 *
 * A file on a disk that is mostly not in the page cache (perhaps larger
 * than memory) is read with each range's pages dropped behind it, the
 * output's too when it is a file on a disk: bounded memory, and the page
 * cache left as it was (--stats says so in io_note).
 *
 * Errors: SHMX_ECSV with "FILE:LINE:COL: what" for bad data (a ragged
 * row, a field that is not a number, an integer out of range, an
 * unterminated quote: always the first in the file), SHMX_EUSAGE for bad
 * options; nothing is published and no temporary is left.  Processes and
 * signals as for shmx_run (shmx/run.h).
 */
#ifndef SHMX_CSV_H
#define SHMX_CSV_H

#include <stdint.h>
#include "common.h"
#include "error.h"
#include "array.h"
#include "dtype.h"
#include "stats.h"

/* opts.header */
#define SHMX_CSV_HEADER_AUTO 0 /* a first record with a non-number field */
#define SHMX_CSV_HEADER_YES 1
#define SHMX_CSV_HEADER_NO 2

/* Start from SHMX_CSV_OPTS_INIT (or shmx_csv_opts_init): it sets size,
 * so that a caller built against this header keeps working when later
 * versions append fields, and the defaults that are not zero (dtype f64,
 * one retry).  A size of 0 is read as this version's layout. */
struct shmx_csv_opts {
	uint32_t size;          /* sizeof(struct shmx_csv_opts) */
	struct shmx_create_opts create;
	enum shmx_dtype dtype;  /* of the array (SHMX_CSV_OPTS_INIT: f64) */
	char delimiter;         /* 0: '\t' for a name ending in .tsv, else ',' */
	char comment;           /* 0: none */
	int header;             /* SHMX_CSV_HEADER_* */
	uint64_t skip;          /* lines before the header or data */
	/* NULL: every column; else "2,0,name": 0-based indices or header
	 * names, in the order of the array's columns */
	const char *columns;
	unsigned workers;       /* 0: shmx_default_workers() */
	uint64_t chunk_bytes;   /* a worker's byte range; 0: 4 MiB */
	unsigned retries;       /* worker deaths survived */
	int progress;           /* progress bar on stderr */
};

#define SHMX_CSV_OPTS_INIT                                                 \
	{ .size = sizeof(struct shmx_csv_opts), .dtype = SHMX_F64,        \
	  .retries = 1 }
SHMX_API void shmx_csv_opts_init(struct shmx_csv_opts *o);

/* Load the CSV file at path into a new array at target (opts NULL: the
 * defaults).  stats (may be NULL) gets the phases and the workers of
 * the parse pass; free it with shmx_stats_free.  0, or a negative code
 * with err filled. */
SHMX_API int shmx_load_csv(const char *path, const char *target,
			   const struct shmx_csv_opts *opts,
			   struct shmx_stats *stats, struct shmx_error *err);

#endif
