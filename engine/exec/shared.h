/* engine/exec/shared.h - memory a run's workers write and its parent reads.
 *
 * Everything a worker must tell the parent beyond "chunk done" travels in
 * MAP_SHARED anonymous memory made before fork: the partial slots, an
 * in-memory result, and this page of messages:
 *
 *	struct shmx__shared        one per run
 *	  failed, msg              the first error message a worker hit
 *	                           (a kernel's, a read's, a write's)
 *	  read_noted, read_note    the first fallback a stream took
 *	  write_noted, write_note  the first fallback a writer took
 *
 * "First wins" by compare-and-swap: several workers may fail at once and
 * the message stays whole.  The parent reads it after the workers are
 * reaped, so no further ordering is needed.
 */
#ifndef SHMX_EXEC_SHARED_H
#define SHMX_EXEC_SHARED_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "shmx/error.h"

struct shmx__shared {
	_Atomic int failed;
	char msg[SHMX_ERROR_MSG_MAX];
	_Atomic int read_noted;
	char read_note[192];
	_Atomic int write_noted;
	char write_note[160];
};

/* len bytes of zeroed MAP_SHARED anonymous memory (the "mmap" fault
 * site), or NULL with errno set. */
void *shmx__map_shared(uint64_t len);

/* A zeroed struct shmx__shared, or NULL with errno set. */
struct shmx__shared *shmx__shared_map(void);
void shmx__shared_unmap(struct shmx__shared *sh); /* NULL ok */

/* In a worker: keep e's message if it is the first. */
void shmx__shared_error(struct shmx__shared *sh, const struct shmx_error *e);
/* In a worker: keep note (if not empty) as the first read or write
 * fallback. */
void shmx__shared_read_note(struct shmx__shared *sh, const char *note);
void shmx__shared_write_note(struct shmx__shared *sh, const char *note);

#endif
