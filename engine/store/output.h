/* engine/store/output.h - what the engine adds to the public output API:
 * outputs whose space is reserved chunk by chunk, by the workers. */
#ifndef SHMX_ENGINE_OUTPUT_H
#define SHMX_ENGINE_OUTPUT_H

#include "shmx/array.h"

/* shmx_output_create, but with lazy set only the header is reserved now:
 * the data must then be reserved with shmx__output_reserve before any
 * byte of it is written (a write to an unreserved page of a full tmpfs
 * would be a SIGBUS). */
int shmx__output_create(const char *spec, enum shmx_dtype t,
			const struct shmx_shape *s,
			const struct shmx_create_opts *opts, int lazy,
			struct shmx_output **out, struct shmx_error *err);

/* Open the temporary another process created with shmx__output_create
 * (lazily), at path tmp, for writing some of its rows: a split run's
 * other processes (shmx/part.h).  spec is the target as the user wrote
 * it; tmp must be a temporary's name in its directory, of the size and
 * with the header that dtype and shape give (or the run is refused: the
 * processes disagree).  Discarding it only closes it: the temporary is
 * its creator's to publish or remove.  0 or a negative code. */
int shmx__output_attach(const char *spec, const char *tmp, enum shmx_dtype t,
			const struct shmx_shape *s, struct shmx_output **out,
			struct shmx_error *err);

/* Write the rows [off, off + len) of the data back to the file and wait
 * (msync): for a publisher on another host, which sees only what reached
 * the shared filesystem.  0 or -errno. */
int shmx__output_sync(struct shmx_output *o, uint64_t off, uint64_t len);

/* Reserve data bytes [off, off + len) (posix_fallocate) and map them in.
 * Safe in a worker after fork.  0, or -ENOSPC and the like. */
int shmx__output_reserve(struct shmx_output *o, uint64_t off, uint64_t len);

/* The error for a worker's -ENOSPC while reserving o's rows: names the
 * target and the directory, like a failed create does.  Returns -ENOSPC. */
int shmx__output_nospace(const struct shmx_output *o, struct shmx_error *err);

/* The temporary's descriptor (O_RDWR), for workers that write the data
 * with their own I/O rather than through the mapping (writer.h). */
int shmx__output_fd(const struct shmx_output *o);

/* The temporary's path ("" for an attached output, or once published). */
const char *shmx__output_temporary(const struct shmx_output *o);

/* The NPY header of the new array (SHMX_NPY_DATA_OFFSET bytes, written
 * and reserved at create), for what a creator adds to it before the
 * publish (a CSV's column names, shmx_npy_set_columns). */
void *shmx__output_header(struct shmx_output *o);

#endif
