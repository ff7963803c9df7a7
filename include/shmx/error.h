/* shmx/error.h - error codes and the error report.
 *
 * Every fallible call returns 0 (or a count) on success and a negative code
 * on failure: either a negative errno (-ENOENT, -ENOSPC, ...) or one of the
 * shmx codes below, which live in a reserved range under -1000 and are never
 * renumbered.  The call also fills a struct shmx_error, when one is given,
 * with a one-line message a user can act on ("data.bin: 8000001 bytes is not
 * a whole number of f64 rows of 10").  The CLI prints it as
 * "shmx: error: <msg>".
 */
#ifndef SHMX_ERROR_H
#define SHMX_ERROR_H

#include "common.h"

/* X(NAME, value, is-bad-input, description) */
#define SHMX_ERRNO_MAP(X)                                                  \
	X(USAGE, -1001, 1, "bad usage")                                    \
	X(BADNPY, -1002, 1, "not a valid NPY array")                      \
	X(DTYPE, -1003, 1, "unsupported dtype")                            \
	X(SHAPE, -1004, 1, "bad shape")                                    \
	X(TARGET, -1005, 1, "bad target name")                             \
	X(SIZE, -1006, 1, "size does not match dtype and shape")          \
	X(OP, -1007, 1, "unknown or invalid operation")                   \
	X(WORKER, -1008, 0, "a worker failed")                             \
	X(INTR, -1009, 0, "interrupted by a signal")                       \
	X(NOTARRAY, -1010, 1, "not an NPY array")                          \
	X(EMPTY, -1011, 1, "zero-size reduction with no identity")         \
	X(TRUNCATED, -1012, 0, "input changed size during the run")        \
	X(FAULT, -1013, 0, "injected fault")                               \
	X(CSV, -1014, 1, "malformed CSV")                                  \
	X(EXPR, -1015, 1, "bad expression")                              \
	X(INTERRUPTED, -1016, 0, "an interrupted --in-place run must be resumed")

enum shmx_errcode {
#define SHMX__ERRENUM(name, val, input, desc) SHMX_E##name = (val),
	SHMX_ERRNO_MAP(SHMX__ERRENUM)
#undef SHMX__ERRENUM
};

#define SHMX_ERROR_MSG_MAX 512

struct shmx_error {
	int code;                     /* same value the call returned */
	char msg[SHMX_ERROR_MSG_MAX]; /* one line, no trailing newline */
};

/* Static description of any code this library returns (shmx or errno). */
SHMX_API const char *shmx_strerror(int code);

/* 1 when a code means bad usage or bad input (CLI exit 2), 0 when it is a
 * failure while running (exit 1). */
SHMX_API int shmx_error_is_input(int code);

#endif
