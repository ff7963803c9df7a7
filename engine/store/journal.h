/* engine/store/journal.h - the undo journal of an --in-place run.
 *
 * A run that rewrites its input keeps, beside the target, a journal
 *
 *     .shmx-journal-<name>      (same directory, so the same filesystem;
 *                                a leading dot: no shm name can be it)
 *
 * that says what the run is and which chunks are done, and holds the
 * original bytes of every chunk in progress.  Its layout (little-endian,
 * this machine's; docs/ARCHITECTURE.md has the ordering argument):
 *
 *   0      header A  (4096 B: magic, version, epoch, the run, checksum)
 *   4096   header B  (the same; rewritten after A, synced in between, so
 *                     one of them is always whole: the newer valid wins)
 *   8192   done table: one byte per chunk, SHMX__JOURNAL_DONE once the
 *          chunk's new bytes are durable
 *   ...    lanes: one per worker (a replacement takes its dead worker's),
 *          three areas each, used in turn; an area is a record header
 *          (chunk, length, epoch, checksum of header and data) and the
 *          chunk's original bytes
 *
 * A record counts only when its checksum holds and its epoch is the
 * header's: resume bumps the epoch once it has rolled every record back,
 * so records of an earlier attempt are never applied twice.
 *
 * Durability: every write here goes through the fault sites
 * journal-write (EIO), every fsync of the journal or its directory
 * through journal-sync (EIO), every msync of the target through
 * target-sync (EIO), the journal's creation through journal-open
 * (EMFILE); test builds mirror what each sync made durable
 * (SHMX_POWERLOSS, base/fault.h).
 */
#ifndef SHMX_ENGINE_JOURNAL_H
#define SHMX_ENGINE_JOURNAL_H

#include <limits.h>
#include <stdint.h>
#include "shmx/dtype.h"
#include "shmx/error.h"
#include "shmx/shape.h"
#include "shmx/target.h"

#define SHMX__JOURNAL_PREFIX ".shmx-journal-"
#define SHMX__JOURNAL_DONE 0xD1u
#define SHMX__JOURNAL_OP_MAX 512
#define SHMX__JOURNAL_AREAS 3u /* per lane (exec/sink_inplace.c says why) */

/* What the run is: enough to do it again, and to know the target is the
 * same array. */
struct shmx__journal_run {
	char op[SHMX__JOURNAL_OP_MAX]; /* as written: "scale:2" */
	uint32_t axis;
	uint32_t raw;                  /* a raw input: dtype, shape, offset */
	uint32_t dtype;
	uint32_t ndim;
	uint64_t dims[2];
	uint64_t raw_offset;
	uint64_t chunk_bytes;          /* --chunk as given (0: default) */
	uint64_t rows, chunk_rows, nchunks, row_bytes;
	uint64_t data_offset, data_bytes, file_size;
	uint64_t fingerprint;          /* of the bytes before the data */
	uint32_t lanes;                /* journal lanes (workers) */
	uint32_t pad;
};

struct shmx__journal {
	int fd, dirfd;
	char path[PATH_MAX];
	struct shmx__journal_run run;
	uint64_t epoch;
	uint64_t table_off, lanes_off, area_bytes;
};

/* The journal's path for target t: -ENAMETOOLONG when its name would be
 * longer than a file name may be. */
int shmx__journal_path(const struct shmx_target *t, char *path, size_t len);

/* A fingerprint of len bytes (not cryptographic: it tells torn writes and
 * another header from the right one). */
uint64_t shmx__journal_sum(const void *p, uint64_t len, uint64_t seed);

/* Create t's journal for run, sized, under its name once whole, its name
 * durable (the directory synced); its bytes become durable with the first
 * save.  SHMX_EINTERRUPTED when one exists. */
int shmx__journal_create(const struct shmx_target *t,
			 const struct shmx__journal_run *run,
			 struct shmx__journal *j, struct shmx_error *err);
/* Open t's journal, with its lock when lock (shmx__journal_lock):
 * -ENOENT when there is none; SHMX_EINTERRUPTED with *damaged set when
 * neither header is whole (the run never got past its creation, so
 * nothing was changed). */
int shmx__journal_open(const struct shmx_target *t, struct shmx__journal *j,
		       int lock, int *damaged, struct shmx_error *err);
void shmx__journal_close(struct shmx__journal *j);
/* Take the journal's lock, which the run that made it holds (with its
 * workers) until its last process is gone: SHMX_EINTERRUPTED "still
 * running" when it is held. */
int shmx__journal_lock(struct shmx__journal *j, struct shmx_error *err);

/* Before chunk is changed: its original bytes into area `area` of lane,
 * then fdatasync.  0 or a negative code with err filled. */
int shmx__journal_save(struct shmx__journal *j, unsigned lane, unsigned area,
		       uint64_t chunk, const void *data, uint64_t len,
		       struct shmx_error *err);
/* After chunk's new bytes are durable: mark it done (made durable by the
 * lane's next save, or the run's end). */
int shmx__journal_mark(struct shmx__journal *j, uint64_t chunk,
		       struct shmx_error *err);
/* msync the target's bytes [p, p + len) (page-rounded), mapped from fd at
 * file offset foff; the test mirror learns of it. */
int shmx__journal_sync_target(int fd, uint64_t foff, void *p, uint64_t len,
			      struct shmx_error *err);
/* Write the target's file bytes [foff, foff + len) back and wait, without
 * a flush of the disk's cache (sync_file_range): durable at the next
 * flush, when overwrite_only said so. */
int shmx__journal_write_target(int fd, uint64_t foff, uint64_t len,
			       struct shmx_error *err);
/* fdatasync the target, then 1 when rewriting [foff, foff + len) changes
 * no metadata (ext4 or XFS, every byte in written, unshared extents), so
 * that write_target and the next flush make the rows durable; 0 when
 * each chunk must be synced on its own; a negative code when the sync
 * fails. */
int shmx__journal_overwrite_only(int fd, uint64_t foff, uint64_t len,
				 struct shmx_error *err);
/* fdatasync the journal itself. */
int shmx__journal_sync(struct shmx__journal *j, struct shmx_error *err);

/* The done table into done[0 .. nchunks); *ndone how many are done. */
int shmx__journal_table(struct shmx__journal *j, uint8_t *done,
			uint64_t *ndone, struct shmx_error *err);
/* Put back the original bytes of every chunk not done that a valid record
 * of this epoch holds (lane: one lane, or -1 for all) into data (the
 * target's data, mapped).  *restored (may be NULL) counts them. */
int shmx__journal_rollback(struct shmx__journal *j, int lane, char *data,
			   const uint8_t *done, uint64_t *restored,
			   struct shmx_error *err);
/* After a rollback made durable: a new epoch (records so far no longer
 * count) with `lanes` lanes, growing the file if needed; both headers
 * rewritten, one at a time. */
int shmx__journal_renew(struct shmx__journal *j, unsigned lanes,
			struct shmx_error *err);
/* Unlink the journal and make that durable; closes j. */
int shmx__journal_remove(struct shmx__journal *j, struct shmx_error *err);

/* When t has a journal, SHMX_EINTERRUPTED with the one line that says so
 * and how to finish; 0 when it has none. */
int shmx__journal_refuse(const struct shmx_target *t, struct shmx_error *err);

/* shmx_array_open (shmx/array.h), which refuses a target with a journal
 * unless journaled (resume, which is what the journal asks for). */
struct shmx_array;
struct shmx_open_opts;
int shmx__array_open(const char *spec, const struct shmx_open_opts *opts,
		     int journaled, struct shmx_array **out,
		     struct shmx_error *err);

#endif
