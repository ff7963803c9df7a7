/* engine/exec/sink.h - where a chunk's results go.
 *
 * A worker asks the job's sink for the place of chunk c's results, the
 * kernel writes them there, and the worker puts them back:
 *
 *	get(c) -> out    kernel chunk(c) into out    put(c, out)
 *
 * put() is where the chunk becomes DONE in the pool's control page: at
 * once for a sink that is memory, or only once the bytes are on their way
 * to the disk for a streamed writer, so a worker that dies before that
 * leaves the chunk to be computed again (exec/claim protocol).
 *
 *   shmx__sink_rows     output rows written through a mapping: a new
 *                       target (each worker reserves and populates the
 *                       rows it is about to write), or an in-memory
 *                       result
 *   shmx__sink_write    a map's rows into a file on a disk, through the
 *                       worker's own io_uring + O_DIRECT writer
 *                       (io/writer.h), for outputs larger than memory
 *   shmx__sink_inplace  the input's own rows (--in-place), each chunk's
 *                       original bytes saved to the journal first
 *                       (exec/sink_inplace.c)
 *   shmx__sink_partial  a reduction's partial slot per chunk, which the
 *                       parent merges in chunk order after the run
 *
 * A sink's state belongs to one worker: open() runs after fork.
 */
#ifndef SHMX_EXEC_SINK_H
#define SHMX_EXEC_SINK_H

#include <stdint.h>
#include "shmx/error.h"
#include "exec/pool.h"

struct shmx__job;
struct shmx__journal;

struct shmx__sink_figures {
	uint64_t wait_ns, bytes; /* blocked waiting for writes; bytes written */
	char fallback[192];      /* why a fallback was taken, or "" */
};

/* One worker's sink: the job, its claimer, and the sink's own state. */
struct shmx__sink_state {
	const struct shmx__job *job;
	struct shmx__claimer *k;
	void *priv;
};

struct shmx__sink_ops {
	const char *name;
	int (*open)(struct shmx__sink_state *s, struct shmx_error *err);
	int (*get)(struct shmx__sink_state *s, uint64_t chunk, void **out,
		   struct shmx_error *err);
	int (*put)(struct shmx__sink_state *s, uint64_t chunk, void *out,
		   uint64_t compute_ns, struct shmx_error *err);
	/* wait for what is still in flight; NULL: nothing ever is */
	int (*flush)(struct shmx__sink_state *s, struct shmx_error *err);
	void (*figures)(struct shmx__sink_state *s, struct shmx__sink_figures *f);
	void (*close)(struct shmx__sink_state *s); /* NULL: nothing to free */
};

extern const struct shmx__sink_ops shmx__sink_rows;
extern const struct shmx__sink_ops shmx__sink_inplace;
extern const struct shmx__sink_ops shmx__sink_write;
extern const struct shmx__sink_ops shmx__sink_partial;

#endif
