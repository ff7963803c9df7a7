/* engine/base/fault.h - fault injection for test builds, one parser for all.
 *
 * Builds with -DSHMX_FAULT_INJECTION=ON (the default outside Release; the
 * public shmx_fault_hooks() says which) obey SHMX_FAULT=site:N[:persist],
 * as SQLite's test hooks do: the Nth call at that site fails, and with
 * :persist every later call as well.  In other builds every hook is a
 * function that says "never".
 *
 * When it is read: getenv("SHMX_FAULT") at every hooked call.  A value
 * that differs from the last one seen is parsed again and the count starts
 * over, so a test process may arm one site after another.  N is decimal
 * digits only; a value without a site or N, with a sign, or with anything
 * after N but ":persist" arms nothing.  N = 0 never fails a call (but
 * worker-chunk:0 names chunk 0).
 *
 * How calls count: one counter, of the calls at the armed site only, in
 * each process's own memory.  A worker inherits the parent's count at
 * fork and counts on from there alone; the parent never sees a worker's
 * calls, nor one worker another's.  So a site that workers reach (alloc,
 * fallocate, read, uring-setup, ...) fails at the Nth call in every worker
 * that makes N calls after the fork: sweeps use -j 1 where the order
 * matters.
 *
 * Sites whose N means something else read the armed value with
 * shmx__fault_arg() once, when the thing they shape is set up: the pool
 * (worker-chunk:K, at each run, in the parent), a stream (stream-*, at
 * each shmx__stream_open: in each worker) and the streamed writer
 * (write-*, at each shmx__writer_open: in each worker).  Their counts are
 * their own: chunk numbers, or the reads and writes of that one stream or
 * writer.
 *
 * The sites (shmx__fault_hit), and what the failing call returns:
 *
 *   alloc           every shmx__malloc, calloc, realloc, strdup and
 *                   aligned_alloc (base/alloc.c; the shm directory
 *                   listing uses them too): NULL, ENOMEM
 *   open-input      opening an input (store/array.c), an array described
 *                   by info/ls (store/catalog.c), and the O_DIRECT reopen
 *                   of a streamed input (io/stream.c: buffered reads
 *                   instead): EMFILE
 *   open-output     creating an output's temporary (store/output.c), and
 *                   the O_DIRECT reopen of the streamed writer's output
 *                   (io/writer.c, in each worker: buffered writes
 *                   instead): EMFILE
 *   ftruncate       sizing an output whose data the workers reserve chunk
 *                   by chunk (store/output.c): EFBIG
 *   fallocate       reserving an output's space (store/output.c), at
 *                   create and in each worker's per-chunk reserve: ENOSPC
 *   mmap            mapping an input (store/array.c) or an output
 *                   (store/output.c), the pool's control page
 *                   (exec/claim.c), a job's shared anonymous maps: partial
 *                   results, an in-memory result, the workers' messages
 *                   (exec/shared.c): ENOMEM
 *   read            the NPY header read of an input (store/array.c) or of
 *                   an array that info/ls describe (store/catalog.c), and
 *                   every read of a stream, io_uring's or pread's
 *                   (io/stream.c): EIO
 *   rename          publishing an output (store/output.c): EIO
 *   fork            starting a worker (exec/pool.c): EAGAIN
 *   uring-setup     io_uring_queue_init (io/setup.c) of a stream's reads (io/stream.c:
 *                   pread instead) or of the streamed writer (io/writer.c:
 *                   pwrite instead): -ENOSYS
 *   uring-register  registering a stream's buffers (io/setup.c): -ENOMEM,
 *                   plain buffers instead
 *   journal-open    creating an --in-place run's journal (store/journal.c):
 *                   EMFILE
 *   journal-write   every write of the journal: headers, saved rows, done
 *                   marks: EIO
 *   journal-sync    every fsync of the journal or of its directory: EIO
 *   target-sync     every msync of an --in-place target's rows: EIO
 *
 * The sites read with shmx__fault_arg:
 *
 *   worker-chunk:K  (exec/claim.c) the worker about to compute chunk K, on
 *                   its first attempt (every attempt with :persist), dies
 *                   of $SHMX_FAULT_SIGNAL (KILL, SEGV or TERM; default
 *                   KILL), read when the pool starts
 *   stream-short:N  every read of a stream stops after N bytes (at least
 *                   its alignment); stream-again:K every Kth read says
 *                   EAGAIN, then EINTR, in turn; stream-eio:K,
 *                   stream-einval:K, stream-ecanceled:K the Kth read fails
 *                   so (io/stream.c; :persist is not read)
 *   write-short:N   every write of the streamed writer stops after N bytes
 *                   (a direct one after a multiple of 4096); write-eio:K,
 *                   write-enospc:K the first write from the Kth on fails
 *                   so (every one from the Kth with :persist), and
 *                   write-einval:K likewise the direct writes only
 *                   (io/writer.c)
 *
 * Not hooked: the --perf-ctl FIFOs (exec/perfctl.c), /proc reads, and
 * the system calls of the rest (fstat, close, munmap, unlink, waitpid).
 *
 * Every failure must give one "shmx: error:" line (exit 1) and leave no
 * temporary, segment or process behind; uring-setup, uring-register and
 * the O_DIRECT reopens fall back, so the run must succeed with the same
 * bits and --stats must say why (tests/py/test_fault_sweep.py).
 *
 * SHMX_FAULT_LOG=PATH appends a line "site call pid" to PATH for each call
 * made to fail (read at each such call), so that a sweep can tell a failed
 * Nth call from a run that has no Nth call.  Only shmx__fault_hit's sites
 * log.
 *
 * SHMX_POWERLOSS=DIR mirrors what the disk is sure to hold: after each
 * sync of an --in-place run (store/journal.c) the synced bytes are copied
 * to DIR/journal or DIR/target (under a lock on DIR/lock), and DIR/journal
 * is removed once the journal's unlink is synced.  A test that kills the
 * run and puts those files in place of the real ones has the state a power
 * loss at that moment could leave (the test seeds DIR/target with the
 * original).
 *
 * SHMX_SIGNAL_STORM=USEC arms an interval timer whose no-op SIGALRM
 * handler has no SA_RESTART, so every blocking call sees EINTR every USEC
 * microseconds.  It is read at each shmx__fault_storm(): when an array is
 * opened (store/array.c: load, cat, info too), when the pool starts, and
 * in each worker after fork (timers are not inherited).
 */
#ifndef SHMX_ENGINE_FAULT_H
#define SHMX_ENGINE_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether this build has the hooks at all (tests skip otherwise). */
bool shmx__fault_enabled(void);

/* Count one call at site; true when this call must fail. */
bool shmx__fault_hit(const char *site);

/* Whether site is the armed one; if so *n is its N and *persist (if not
 * NULL) says whether :persist was given. */
bool shmx__fault_arg(const char *site, uint64_t *n, bool *persist);

/* A site that fails with an error code, for tables of them. */
struct shmx__fault_code {
	const char *site;
	int code; /* negative errno */
};

/* Which of the n sites in t is armed: its code, with *at its N and
 * *persist (if not NULL) its :persist; 0 when none is. */
int shmx__fault_code(const struct shmx__fault_code *t, size_t n,
		     uint64_t *at, bool *persist);

/* SHMX_POWERLOSS: bytes [off, off + len) of fd (len UINT64_MAX: all of
 * it) are now durable: copy them to the mirror `name`; `name` is gone. */
void shmx__fault_synced(const char *name, int fd, uint64_t off, uint64_t len);
void shmx__fault_removed(const char *name);

/* Start the SHMX_SIGNAL_STORM timer in this process, if asked for.  Timers
 * are not inherited across fork: workers call this again. */
void shmx__fault_storm(void);

#endif
