/* engine/fault.h - fault injection for test builds, one parser for all.
 *
 * Test builds (-DSHMX_FAULT_INJECTION, the default outside Release) read
 * SHMX_FAULT=site:N[:persist] once per process, as SQLite's test hooks do:
 * the Nth call at that site fails, and with :persist every later call as
 * well.  Counts are per process and inherited at fork, so a site reached
 * in workers counts in each worker from the parent's count; sweeps use -j 1
 * where the order matters.  Release builds compile every hook to "never".
 *
 * Sites whose N means something else (worker-chunk:K kills the worker
 * about to compute chunk K; stream-short:N caps every read at N bytes)
 * read the armed value with shmx__fault_arg().
 *
 * The sites, and what the failing call returns:
 *
 *   alloc           shmx__malloc/calloc/realloc/strdup/aligned_alloc
 *                   (alloc.c): NULL, ENOMEM
 *   open-input      opening an input (array.c), an array described by
 *                   info/ls (catalog.c), the O_DIRECT reopen of a
 *                   streamed input (stream.c: buffered reads instead):
 *                   EMFILE
 *   open-output     creating an output's temporary: EMFILE
 *   ftruncate       sizing an output whose rows workers reserve: EFBIG
 *   fallocate       reserving an output's space, at create and in each
 *                   worker's per-chunk reserve: ENOSPC
 *   mmap            mapping an input or an output: ENOMEM
 *   read            the NPY header read of an input or of an array that
 *                   info/ls describe, and every read of a stream (io_uring
 *                   or pread): EIO
 *   rename          publishing an output: EIO
 *   fork            starting a worker (pool.c): EAGAIN
 *   uring-setup     io_uring_queue_init of a stream's reads (pread
 *                   instead) or of the streamed writer (writer.c: pwrite
 *                   instead): -ENOSYS
 *   uring-register  registering a stream's buffers: -ENOMEM (plain
 *                   buffers instead)
 *   worker-chunk:K  (pool.c) the worker about to compute chunk K dies of
 *                   $SHMX_FAULT_SIGNAL (KILL, SEGV or TERM; default KILL)
 *   stream-short:N, stream-again:K, stream-eio:K, stream-einval:K,
 *   stream-ecanceled:K   shape a stream's reads (stream.c)
 *   write-short:N, write-eio:K, write-enospc:K, write-einval:K
 *                   shape the streamed writer's writes (writer.h)
 *
 * Not hooked yet: the pool's control page and run.c's anonymous shared
 * mappings (partial results, an in-memory result, the stream notes).
 *
 * Every failure must give one "shmx: error:" line (exit 1) and leave no
 * temporary, segment or process behind; uring-setup, uring-register and
 * the O_DIRECT reopen fall back, so the run must succeed with the same
 * bits and --stats must say why (tests/py/test_fault_sweep.py).
 * `shmx --version` says "fault injection: on" in builds with the hooks.
 *
 * SHMX_FAULT_LOG=PATH (test builds) appends a line "site call pid" to PATH
 * for each call made to fail, so that a sweep can tell a failed Nth call
 * from a run that has no Nth call.
 *
 * SHMX_SIGNAL_STORM=USEC (test builds) arms an interval timer whose no-op
 * SIGALRM handler has no SA_RESTART, so every blocking call in the parent
 * and in each worker sees EINTR every USEC microseconds.
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

/* Start the SHMX_SIGNAL_STORM timer in this process, if asked for.  Timers
 * are not inherited across fork: workers call this again. */
void shmx__fault_storm(void);

#endif
