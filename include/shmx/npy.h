/* shmx/npy.h - the NPY format, parsed strictly and written with the data
 * at byte 4096.
 *
 * Layout of every array shmx creates (file or shm segment):
 *
 *   0      6    8     10                                   4095 4096
 *   +------+----+-----+------------------------------------+----+--------
 *   |\x93NUMPY|1 0|hlen | {'descr': '<f8', 'fortran_order': |    | data,
 *   |      |    |4086 |  False, 'shape': (R, C), }  ...pad | \n | C order
 *   +------+----+-----+------------------------------------+----+--------
 *
 * so numpy.load(path, mmap_mode='r') maps it as is, and the data is
 * page-aligned for mmap and O_DIRECT.  An empty array's file carries one
 * pad byte after the header (4097 bytes): numpy maps from the page that
 * holds the data, and Python's mmap refuses an offset at the end of the
 * file; shmx_npy_check_size accepts exactly that byte.  Inputs may be NPY v1, v2 or v3 with
 * any data offset numpy produces (64, 128, ...).
 */
#ifndef SHMX_NPY_H
#define SHMX_NPY_H

#include <stddef.h>
#include <stdint.h>
#include "common.h"
#include "error.h"
#include "dtype.h"
#include "shape.h"

#define SHMX_NPY_DATA_OFFSET 4096u
/* A header longer than this is refused as malformed (numpy caps at 10000
 * by default for untrusted files, we allow a little more). */
#define SHMX_NPY_MAX_HEADER (64u * 1024u)

struct shmx_npy_header {
	enum shmx_dtype dtype;
	struct shmx_shape shape;
	uint64_t data_offset; /* where the data starts in the file */
	uint64_t data_bytes;  /* element count x item size */
	int version;          /* 1, 2 or 3 */
};

/* Parse the header at the start of buf (len bytes available; the whole
 * file may be longer).  Checks magic, version, header length, every dict
 * key, dtype, fortran_order and shape (overflow included).  Does not check
 * that the data fits: see shmx_npy_check_size.  `what` names the input in
 * messages.  0, SHMX_EBADNPY, SHMX_EDTYPE or SHMX_ESHAPE. */
SHMX_API int shmx_npy_parse(const void *buf, size_t len, const char *what,
			    struct shmx_npy_header *h, struct shmx_error *err);

/* 0 when a file of file_size bytes holds exactly the data h describes,
 * SHMX_ESIZE otherwise (shorter or longer). */
SHMX_API int shmx_npy_check_size(const struct shmx_npy_header *h,
				 uint64_t file_size, const char *what,
				 struct shmx_error *err);

/* Write a v1.0 header of exactly SHMX_NPY_DATA_OFFSET bytes into buf. */
SHMX_API void shmx_npy_write_header(void *buf, enum shmx_dtype t,
				    const struct shmx_shape *s);

/* Column names (a CSV's header, shmx load) travel in the header as a
 * Python comment after the dict, "{...}  # columns: ["a", "b"]", which
 * numpy's reader skips (literal_eval ignores comments; checked with
 * numpy 1.24), so numpy.load still reads the array.  JSON strings; bytes
 * of UTF-8 as they came, control bytes as \u00XX.
 *
 * Set them in a header written by shmx_npy_write_header: 0, -ENOSPC when
 * they do not fit in its 4086 bytes (the header is left as it was), or
 * -EINVAL for a line break in json. */
SHMX_API int shmx_npy_set_columns(void *buf, const char *json);
/* The JSON list of a header's column names into out (cap bytes, cut to
 * fit, NUL-terminated): its length, 0 when it has none. */
SHMX_API size_t shmx_npy_columns(const void *buf, size_t len, char *out,
				 size_t cap);

#endif
