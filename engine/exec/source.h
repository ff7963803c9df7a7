/* engine/exec/source.h - where a worker's input rows come from.
 *
 * A source hands a worker the rows of one input for chunk c.  The worker
 * loop (worker.c) asks every source of the job in the same order:
 *
 *	submit(c0) submit(c1) ...        up to the loop's depth, claimed ahead
 *	wait(c0) -> rows   compute   release(rows)
 *	submit(c2) wait(c1) -> rows ...
 *
 * so a source that reads ahead (a stream) has the next chunks on their way
 * while the current one is computed, and one that is simply mapped does
 * nothing but pointer arithmetic.  The loop takes the oldest chunk, or
 * the one whose read completed first where the source says (ready): a
 * disk completes reads out of order, and a buffer that waits behind a
 * slower read is one read fewer in flight.
 *
 *   shmx__source_map     the input's mapping (a segment, a file in the
 *                        page cache); a broadcast input is always mapped
 *   shmx__source_stream  the worker's own io_uring + O_DIRECT reads
 *                        (io/stream.h), for files not in the page cache
 *
 * A source's state belongs to one worker: open() runs after fork.
 */
#ifndef SHMX_EXEC_SOURCE_H
#define SHMX_EXEC_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include "shmx/error.h"
#include "format/plan.h"
#include "io/stream.h"

struct shmx__input;

/* Chunks a worker may hold claimed ahead: the deepest a stream goes. */
#define SHMX__SOURCE_AHEAD_MAX SHMX__STREAM_DEPTH_MAX

/* What a source did, for --stats and --progress. */
struct shmx__source_figures {
	uint64_t wait_ns, bytes; /* blocked waiting for reads; bytes read */
	char fallback[192];      /* why a fallback was taken, or "" */
};

struct shmx__source_ops {
	const char *name; /* "mmap", "stream": --stats' io */
	/* How many chunks this source wants submitted ahead (1: none). */
	unsigned (*depth)(const struct shmx__input *in);
	int (*open)(const struct shmx__input *in, const struct shmx__plan *plan,
		    void **state, struct shmx_error *err);
	int (*submit)(void *state, uint64_t chunk, struct shmx_error *err);
	/* The rows of chunk (any submitted one), valid until release. */
	int (*wait)(void *state, uint64_t chunk, const void **rows,
		    struct shmx_error *err);
	/* 1 with *chunk a submitted chunk whose rows are in now (the oldest
	 * such), 0 when none is; NULL: the oldest is always the one to take. */
	int (*ready)(void *state, uint64_t *chunk);
	void (*release)(void *state, const void *rows);
	void (*figures)(void *state, struct shmx__source_figures *f);
	void (*close)(void *state); /* NULL ok */
};

extern const struct shmx__source_ops shmx__source_map;
extern const struct shmx__source_ops shmx__source_stream;

#endif
