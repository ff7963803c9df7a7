/* shmx/array.h - arrays mapped from files and shm segments, and outputs
 * published atomically.
 *
 * An input is opened read-only (or read-write for --in-place) and mapped
 * MAP_SHARED; the mapping stays valid in children after fork(), which is
 * how workers see it without a copy.
 *
 * An output is created under a temporary name in the target's directory
 *
 *     .shmx-<pid>-<seq>-<name>        (a leading dot: no user can pick it)
 *
 * with O_EXCL|O_NOFOLLOW, mode 0600 (or the given mode) whatever the umask,
 * and its full size reserved with posix_fallocate, so that a full tmpfs is
 * a clean -ENOSPC now and never a SIGBUS later.  shmx_output_publish()
 * renames it into place (refusing an existing name unless force);
 * shmx_output_discard() removes it.  Until then a reader that attaches by
 * name sees the old array or nothing, never a half-written one.  If the
 * process is killed by a signal that shmx_signals_install() handles, live
 * temporaries are unlinked first; `shmx rm --stale` removes those of a
 * process that died by SIGKILL.
 */
#ifndef SHMX_ARRAY_H
#define SHMX_ARRAY_H

#include <stdint.h>
#include <sys/types.h>
#include "common.h"
#include "error.h"
#include "dtype.h"
#include "shape.h"
#include "target.h"

struct shmx_array;  /* an opened, mapped input */
struct shmx_output; /* an output being written, not yet published */

/* The all-zero value is the defaults.  This struct and shmx_create_opts
 * are embedded by value in struct shmx_run_opts, so their layout is frozen
 * (ABI): a new option goes to a struct that carries its size. */
struct shmx_open_opts {
	int writable;            /* map read-write (for --in-place) */
	int raw;                 /* not NPY: dtype and shape given below */
	enum shmx_dtype dtype;   /* with raw */
	struct shmx_shape shape; /* with raw */
	uint64_t raw_offset;     /* with raw: bytes to skip (0) */
};

/* Open and map spec (a target string).  An NPY input is checked against
 * its size; a raw input must be exactly the bytes dtype x shape needs.
 * Passing opts NULL means read-only NPY.  0, or a negative code with err
 * filled; on failure nothing stays open. */
SHMX_API int shmx_array_open(const char *spec,
			     const struct shmx_open_opts *opts,
			     struct shmx_array **out, struct shmx_error *err);
SHMX_API void shmx_array_close(struct shmx_array *a); /* NULL ok */

SHMX_API enum shmx_dtype shmx_array_dtype(const struct shmx_array *a);
SHMX_API const struct shmx_shape *shmx_array_shape(const struct shmx_array *a);
SHMX_API const void *shmx_array_data(const struct shmx_array *a);
/* NULL unless opened writable. */
SHMX_API void *shmx_array_data_mut(struct shmx_array *a);
SHMX_API uint64_t shmx_array_nbytes(const struct shmx_array *a);
SHMX_API const struct shmx_target *shmx_array_target(const struct shmx_array *a);
/* File descriptor of the open input (for streaming), owned by a. */
SHMX_API int shmx_array_fd(const struct shmx_array *a);
SHMX_API uint64_t shmx_array_data_offset(const struct shmx_array *a);
/* Copy len bytes of a's data, from byte off, into dst.  A file truncated
 * under the mapping is SHMX_ETRUNCATED with a message, not a SIGBUS that
 * kills the process.  Not thread-safe (it owns SIGBUS while it copies). */
SHMX_API int shmx_array_read(const struct shmx_array *a, uint64_t off,
			     void *dst, uint64_t len, struct shmx_error *err);

/* All zero: the defaults; frozen like shmx_open_opts. */
struct shmx_create_opts {
	int force;   /* replace an existing target */
	mode_t mode; /* 0 means 0600 */
};

/* Create the temporary for spec holding dtype x shape, header written,
 * data zero, mapped read-write.  -EEXIST (bad input) when the target
 * exists and !force.  0 or a negative code; nothing is left on failure. */
SHMX_API int shmx_output_create(const char *spec, enum shmx_dtype t,
				const struct shmx_shape *s,
				const struct shmx_create_opts *opts,
				struct shmx_output **out,
				struct shmx_error *err);
SHMX_API void *shmx_output_data(struct shmx_output *o);
SHMX_API uint64_t shmx_output_nbytes(const struct shmx_output *o);
SHMX_API const struct shmx_target *shmx_output_target(const struct shmx_output *o);

/* Make the output visible under its name and free o (whatever the result:
 * on failure the temporary is removed).  0 or a negative code. */
SHMX_API int shmx_output_publish(struct shmx_output *o, struct shmx_error *err);
/* Remove the temporary and free o.  NULL ok. */
SHMX_API void shmx_output_discard(struct shmx_output *o);

/* Install SIGINT/SIGTERM/SIGHUP handlers that unlink the live temporaries
 * of this process and then die of the same signal.  Idempotent. */
SHMX_API void shmx_signals_install(void);

#endif
