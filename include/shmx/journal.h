/* shmx/journal.h - crash-safe --in-place runs: finding an interrupted one,
 * and finishing it.
 *
 * An --in-place run (shmx/run.h, opts.in_place) keeps an undo journal
 * beside its target, ".shmx-journal-NAME" in the same directory, until
 * every chunk is rewritten and on the disk.  A run that is killed, or a
 * machine that loses power, leaves it behind with every chunk either as
 * it was or done.  While it is there every shmx call that reads or writes
 * the target refuses it with SHMX_EINTERRUPTED ("... finish it with
 * 'shmx resume NAME'"); shmx_resume() rolls the chunks in progress back
 * from the journal, computes the rest with the same kernel, arguments and
 * chunks, and removes the journal: the result is bit-identical to an
 * uninterrupted run, also when shmx_resume itself is killed and called
 * again.
 */
#ifndef SHMX_JOURNAL_H
#define SHMX_JOURNAL_H

#include <stdint.h>
#include "common.h"
#include "error.h"
#include "run.h"

struct shmx_interrupted {
	char op[512];    /* the operation as it was written: "scale:2" */
	uint64_t chunks; /* of the run */
	uint64_t done;   /* rewritten and on the disk */
};

/* 1 when spec has an interrupted --in-place run (info, if not NULL,
 * filled where the journal can be read), 0 when it has none, or a
 * negative code (a bad target name). */
SHMX_API int shmx_interrupted(const char *spec, struct shmx_interrupted *info,
			      struct shmx_error *err);

/* Finish spec's interrupted --in-place run with opts' workers, retries,
 * progress and want_stats (the rest of opts is the journal's: the op, its
 * arguments, the axis, --chunk, a raw input's dtype and shape).  0 once
 * the journal is gone; SHMX_EUSAGE when there is nothing to resume;
 * SHMX_EINTERRUPTED when the target is no longer the array the run began
 * on (the journal is kept).  Processes and signals as shmx_run. */
SHMX_API int shmx_resume(const char *spec, const struct shmx_run_opts *opts,
			 struct shmx_result *result, struct shmx_error *err);

#endif
