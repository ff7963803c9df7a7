/* engine/exec/claim.h - the control page and the chunk claim protocol.
 *
 * The parent maps one control page, MAP_SHARED|MAP_ANONYMOUS, before it
 * forks; every worker inherits it.  It holds nothing of the data, only
 * who works on which chunk and what each worker measured:
 *
 *   +------------------------+ 0
 *   | header                 | cursor: the next chunk number to hand out
 *   |                        | done:   chunks finished (for progress only)
 *   |                        | gate:   perf's start gate (exec/perfctl.h)
 *   +------------------------+ 64
 *   | worker slot 0          | 128 B each: pid, counters, error, SIGBUS;
 *   | worker slot 1          | whole cache lines, so one worker's counters
 *   | ...                    | never share a line with another's
 *   | worker slot nslots-1   | (nslots: first workers + replacements)
 *   +------------------------+ 64 + 128 * nslots
 *   | state[0 .. nchunks)    | 8 B each: FREE, DONE, or CLAIM(pid) =
 *   |                        | pid + 2 of the worker that holds it
 *   +------------------------+
 *   | attempts[0 .. nchunks) | 1 B each: how often the chunk was freed
 *   |                        | after a death; written by the parent only
 *   +------------------------+
 *
 * A worker takes chunk numbers from the cursor (fetch_add: no lock, each
 * number handed out once) and claims each with a CAS FREE -> CLAIM(pid).
 * When the cursor runs past the last chunk, the worker goes over the
 * states once more (the rescue pass) and claims whatever is FREE again:
 * chunks a dead worker held, freed by the parent.
 *
 * Invariants (what makes the protocol correct):
 *
 *   1. Who moves a state word, from what to what:
 *        FREE       -> CLAIM(pid)  worker pid only, by CAS; one CAS wins,
 *                                  so a chunk has one holder at a time
 *        CLAIM(pid) -> DONE        worker pid only (shmx__claim_done)
 *        CLAIM(pid) -> FREE        the parent only, only after it reaped
 *                                  pid (it can write nothing any more),
 *                                  and only when the death is retried
 *        DONE       -> anything    never: DONE is final
 *      No other move exists; in particular nobody takes a chunk another
 *      live worker holds, and nobody undoes DONE.
 *
 *   2. A chunk is DONE only once its output is complete.  claim_done is
 *      called after the chunk's function returned 0 (or, for a streaming
 *      worker, after its write finished), and stores DONE with release
 *      order, so whoever reads DONE also sees the output.  The parent's
 *      last check, every state DONE, therefore means every output byte
 *      is written; a chunk that is still FREE or CLAIMed fails the run
 *      ("chunk N was not computed") instead of publishing a hole.
 *
 *   3. A dead worker's claimed chunks: the parent reaps it by pid (after
 *      waitpid its writes are over and visible), and either fails the run
 *      naming their rows (no retries left, a chunk error, SIGBUS) or turns
 *      each CLAIM(pid) back to FREE, counts an attempt, and forks a
 *      replacement.  Any worker's rescue pass, the replacement's or a
 *      survivor's, then claims them.  The freeing happens before the
 *      replacement is forked, so even if the replacement gets the dead
 *      worker's pid it finds no claims under it.  A worker that exits 0
 *      holds nothing: it claimed until none were left and finished each
 *      (a loop that does not is caught by the check of invariant 2).
 *
 *   4. The result does not depend on who computed what.  The plan fixes
 *      the chunks from the shape alone; a chunk's output goes where its
 *      number says (its rows of the output, or partial slot N) and is a
 *      function of its rows alone; partials are merged in chunk order.
 *      A chunk computed twice (its first worker died after writing some
 *      of it) is written again with the same bytes.  So any split of the
 *      chunks over workers, with or without deaths, gives the same bytes.
 *
 * The cursor and the done counter are relaxed: the CAS on the state word
 * is what orders ownership, and `done` only feeds the progress bar.
 */
#ifndef SHMX_ENGINE_CLAIM_H
#define SHMX_ENGINE_CLAIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "format/plan.h"

#define SHMX__STATE_FREE 0
#define SHMX__STATE_DONE 1
#define SHMX__CLAIM(pid) ((uint64_t)(pid) + 2)

struct shmx__ctl_header {
	_Atomic uint64_t cursor;
	_Atomic uint64_t done;
	_Atomic uint32_t gate; /* 0: workers wait (futex) until perf is on */
	char pad[44];
};

/* A worker's slot.  The worker writes its counters (and error, bus,
 * current); the parent writes pid, died and reaped, and reads the rest
 * after reaping it (or, for the progress bar, while it runs). */
struct shmx__ctl_slot {
	int32_t pid;
	int32_t error;      /* a chunk function's code, 0 if none */
	uint64_t chunks, rows;
	uint64_t compute_ns, busy_ns;
	uint64_t user_ns, sys_ns, faults; /* getrusage at the worker's end */
	uint64_t io_wait_ns, bytes_read;  /* streaming workers */
	uint64_t write_wait_ns, bytes_written; /* streamed writes */
	int32_t died; /* written by the parent after reaping it */
	int32_t bus;  /* si_code of a SIGBUS the worker took, 0 if none */
	uint64_t current;  /* chunk + 1 being computed (plain loop), or 0 */
	uint64_t bus_addr; /* where that SIGBUS hit */
	int32_t reaped;    /* by the parent: its pid is no longer ours */
	uint32_t lane;     /* by the parent: the first worker's index, which
			      its replacements inherit (journal lanes) */
};

_Static_assert(sizeof(struct shmx__ctl_header) == 64,
	       "header is one cache line");
_Static_assert(sizeof(struct shmx__ctl_slot) == 128,
	       "a slot is two cache lines");

/* The parent's handle on the mapped page (inherited across fork).  The
 * pool hands out chunks [first, end) only (shmx__ctl_range; all of them
 * by default): the rest belong to other processes of a split run
 * (shmx/part.h), and their states stay FREE. */
struct shmx__ctl {
	struct shmx__ctl_header *h;
	struct shmx__ctl_slot *w;
	_Atomic uint64_t *state;
	uint8_t *attempts;
	uint64_t nchunks;
	uint64_t first, end;
	size_t len;
	void *base;
};

/* Map a control page for nslots workers and nchunks chunks, every chunk
 * FREE, every counter 0.  0 or a negative errno.  Unmap with
 * shmx__ctl_unmap, in the parent, after the last worker is reaped. */
int shmx__ctl_map(struct shmx__ctl *c, unsigned nslots, uint64_t nchunks);
void shmx__ctl_unmap(struct shmx__ctl *c);
/* Hand out chunks [first, end) only (first <= end <= nchunks), before
 * any worker is forked: the cursor starts at first. */
void shmx__ctl_range(struct shmx__ctl *c, uint64_t first, uint64_t end);

/* Test builds: SHMX_FAULT=worker-chunk:K[:persist] kills the worker that
 * has just claimed chunk K (first attempt only, unless persist), with
 * $SHMX_FAULT_SIGNAL (KILL, SEGV or TERM; default KILL).  Parsed in the
 * parent, before fork. */
struct shmx__claim_fault {
	int armed, persist, sig;
	uint64_t chunk;
};
void shmx__claim_fault_parse(struct shmx__claim_fault *f);

/* A worker's handle on the chunk states; it lives in the worker.  Its
 * fields belong to claim.c: callers use the functions below. */
struct shmx__claimer {
	struct shmx__ctl *c;
	struct shmx__ctl_slot *me;
	const struct shmx__plan *plan;
	const struct shmx__claim_fault *f; /* or NULL */
	uint64_t claim; /* this worker's state word: CLAIM(pid) */
	uint64_t scan;  /* rescue pass position */
	int rescue;     /* the cursor is exhausted */
};

/* In the worker, after fork: claim for `pid` into slot `me`. */
void shmx__claimer_init(struct shmx__claimer *k, struct shmx__ctl *c,
			struct shmx__ctl_slot *me,
			const struct shmx__plan *plan,
			const struct shmx__claim_fault *f, pid_t pid);

/* Claim the next chunk for this worker: 1 with *chunk set, 0 when none is
 * left.  A claimed chunk is this worker's until claim_done; if the worker
 * dies first, the parent frees it for a replacement. */
int shmx__claim(struct shmx__claimer *k, uint64_t *chunk);
/* This worker's lane: its slot's index, or the dead worker's it replaced. */
unsigned shmx__claimer_lane(const struct shmx__claimer *k);
/* In the parent, before fork: chunks done[i] != 0 are DONE already (a
 * resumed run). */
void shmx__ctl_preset(struct shmx__ctl *c, const uint8_t *done);
/* The chunk's output is complete (compute_ns: time spent computing it). */
void shmx__claim_done(struct shmx__claimer *k, uint64_t chunk,
		      uint64_t compute_ns);
/* Add I/O wait and bytes read to this worker's report. */
void shmx__claim_note_io(struct shmx__claimer *k, uint64_t wait_ns,
			 uint64_t bytes);
/* The same for a worker that streams its output: time blocked waiting
 * for writes, bytes written. */
void shmx__claim_note_write(struct shmx__claimer *k, uint64_t wait_ns,
			    uint64_t bytes);

/* In the parent, after reaping pid: the first and last chunk it still
 * holds.  1 with both set, or 0 when it holds none. */
int shmx__ctl_held(const struct shmx__ctl *c, pid_t pid, uint64_t *first,
		   uint64_t *last);
/* In the parent, after reaping pid, to retry its death: every chunk it
 * holds back to FREE, one more attempt each.  Returns how many. */
uint64_t shmx__ctl_release(struct shmx__ctl *c, pid_t pid);
/* Chunks finished so far (relaxed: for progress). */
uint64_t shmx__ctl_done(const struct shmx__ctl *c);
/* The first chunk of the range that is not DONE, or end when all are. */
uint64_t shmx__ctl_first_undone(const struct shmx__ctl *c);

#endif
