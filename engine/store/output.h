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

/* Reserve data bytes [off, off + len) (posix_fallocate) and map them in.
 * Safe in a worker after fork.  0, or -ENOSPC and the like. */
int shmx__output_reserve(struct shmx_output *o, uint64_t off, uint64_t len);

/* The error for a worker's -ENOSPC while reserving o's rows: names the
 * target and the directory, like a failed create does.  Returns -ENOSPC. */
int shmx__output_nospace(const struct shmx_output *o, struct shmx_error *err);

/* The temporary's descriptor (O_RDWR), for workers that write the data
 * with their own I/O rather than through the mapping (writer.h). */
int shmx__output_fd(const struct shmx_output *o);

/* The NPY header of the new array (SHMX_NPY_DATA_OFFSET bytes, written
 * and reserved at create), for what a creator adds to it before the
 * publish (a CSV's column names, shmx_npy_set_columns). */
void *shmx__output_header(struct shmx_output *o);

#endif
