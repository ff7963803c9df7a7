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
 * SHMX_SIGNAL_STORM=USEC (test builds) arms an interval timer whose no-op
 * SIGALRM handler has no SA_RESTART, so every blocking call in the parent
 * and in each worker sees EINTR every USEC microseconds.
 */
#ifndef SHMX_ENGINE_FAULT_H
#define SHMX_ENGINE_FAULT_H

#include <stdbool.h>
#include <stdint.h>

/* Whether this build has the hooks at all (tests skip otherwise). */
bool shmx__fault_enabled(void);

/* Count one call at site; true when this call must fail. */
bool shmx__fault_hit(const char *site);

/* Whether site is the armed one; if so *n is its N and *persist (if not
 * NULL) says whether :persist was given. */
bool shmx__fault_arg(const char *site, uint64_t *n, bool *persist);

/* Start the SHMX_SIGNAL_STORM timer in this process, if asked for.  Timers
 * are not inherited across fork: workers call this again. */
void shmx__fault_storm(void);

#endif
