/* engine/store/journal.c - the undo journal of an --in-place run (see
 * journal.h for the layout, docs/ARCHITECTURE.md for why the order of
 * writes and syncs keeps every chunk original or done after any crash).
 *
 * Every write is a pwrite at a fixed offset, retried on EINTR and short
 * writes; every sync is fdatasync (the file's size is set once, at
 * creation, and its directory entry synced then), or msync for the
 * target's bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shmx/npy.h"
#include "base/fault.h"
#include "base/internal.h"
#include "store/journal.h"
#include "store/temporary.h"

#define MAGIC "SHMXJNL1"
#define REC_MAGIC 0x314345524a584d53ull /* "SMXJREC1" */
#define VERSION 1u
#define HDR_BYTES 4096u
#define TABLE_OFF (2u * HDR_BYTES)
#define REC_BYTES 64u

struct header {
	char magic[8];
	uint32_t version, hdr_bytes;
	uint64_t epoch;
	uint64_t sum; /* of the header with sum = 0 */
	struct shmx__journal_run run;
};
_Static_assert(sizeof(struct header) <= HDR_BYTES, "a header is a page");

struct record {
	uint64_t magic, epoch, chunk, len;
	uint64_t sum; /* of the record with sum = 0, then of the data */
	char pad[REC_BYTES - 40];
};
_Static_assert(sizeof(struct record) == REC_BYTES, "a record header");

/* ---- names and sums --------------------------------------------------- */

int shmx__journal_path(const struct shmx_target *t, char *path, size_t len)
{
	int w;

	if (strlen(t->base) + strlen(SHMX__JOURNAL_PREFIX) > NAME_MAX)
		return -ENAMETOOLONG;
	w = snprintf(path, len, "%s/" SHMX__JOURNAL_PREFIX "%s", t->dir,
		     t->base);
	return w < 0 || (size_t)w >= len ? -ENAMETOOLONG : 0;
}

static uint64_t rotl(uint64_t x, int r)
{
	return x << r | x >> (64 - r);
}

uint64_t shmx__journal_sum(const void *p, uint64_t len, uint64_t seed)
{
	static const uint64_t k = 0x9e3779b97f4a7c15ull;
	const unsigned char *b = p;
	uint64_t h[4] = { seed ^ k, seed + k, seed ^ (k >> 7), ~seed }, w, i;

	/* four lanes of multiply-rotate: memory speed, and every bit of
	 * every word reaches the result */
	for (i = 0; i + 32 <= len; i += 32)
		for (int l = 0; l < 4; l++) {
			memcpy(&w, b + i + 8 * l, 8);
			h[l] = rotl((h[l] ^ w) * k, 29);
		}
	for (; i < len; i++)
		h[i & 3] = rotl((h[i & 3] ^ b[i]) * k, 29);
	w = len;
	for (int l = 0; l < 4; l++)
		w = rotl((w ^ h[l]) * k, 31);
	return w ^ w >> 32;
}

/* ---- the system calls, each behind its fault site --------------------- */

/* pwrite (out) or pread the whole of len bytes at off, resuming after
 * EINTR and short transfers: 0, or -errno (-EIO for an early end). */
static int transfer_at(int fd, char *p, uint64_t len, uint64_t off,
		       int out)
{
	while (len) {
		ssize_t n = out ? pwrite(fd, p, len, (off_t)off)
				: pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

static int write_at(int fd, const void *buf, uint64_t len, uint64_t off)
{
	if (shmx__fault_hit("journal-write"))
		return -EIO;
	/* pwrite only reads the buffer */
	return transfer_at(fd, (char *)buf, len, off, 1);
}

static int read_at(int fd, void *buf, uint64_t len, uint64_t off)
{
	return transfer_at(fd, buf, len, off, 0);
}

static int sync_fd(int fd, int data_only)
{
	int rc;

	if (shmx__fault_hit("journal-sync"))
		return -EIO;
	do
		rc = data_only ? fdatasync(fd) : fsync(fd);
	while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : 0;
}

static int fail_io(struct shmx_error *err, int rc, const struct shmx__journal *j,
		   const char *what)
{
	return shmx__fail(err, rc, "%s: journal: cannot %s: %s", j->path, what,
			  strerror(-rc));
}

int shmx__journal_sync(struct shmx__journal *j, struct shmx_error *err)
{
	int rc = sync_fd(j->fd, 1);

	if (rc)
		return fail_io(err, rc, j, "sync");
	shmx__fault_synced("journal", j->fd, 0, UINT64_MAX);
	return 0;
}

int shmx__journal_sync_target(int fd, uint64_t foff, void *p, uint64_t len,
			      struct shmx_error *err)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t lead = (uint64_t)(uintptr_t)p % page;
	int rc;

	if (!len)
		return 0;
	if (shmx__fault_hit("target-sync")) {
		errno = EIO;
		rc = -1;
	} else {
		rc = msync((char *)p - lead, len + lead, MS_SYNC);
	}
	if (rc < 0)
		return shmx__fail(err, -errno, "cannot sync the rewritten "
				  "rows to the disk: %s", strerror(errno));
	shmx__fault_synced("target", fd, foff - lead, len + lead);
	return 0;
}

int shmx__journal_write_target(int fd, uint64_t foff, uint64_t len,
			       struct shmx_error *err)
{
	unsigned flags = SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
			 SYNC_FILE_RANGE_WAIT_AFTER;
	int rc;

	if (!len)
		return 0;
	if (shmx__fault_hit("target-sync")) {
		errno = EIO;
		rc = -1;
	} else {
		do
			rc = sync_file_range(fd, (off_t)foff, (off_t)len, flags);
		while (rc < 0 && errno == EINTR);
	}
	if (rc < 0)
		return shmx__fail(err, -errno, "cannot write the rewritten rows "
				  "to the disk: %s", strerror(errno));
	/* durable at the next flush, which comes before its done mark */
	shmx__fault_synced("target", fd, foff, len);
	return 0;
}

/* Every byte of [off, off + len) in extents that are written, not
 * shared, not delayed: an overwrite of them changes no metadata. */
static int extents_written(int fd, uint64_t off, uint64_t len)
{
	enum { N = 64 };
	char buf[sizeof(struct fiemap) + N * sizeof(struct fiemap_extent)];
	struct fiemap *fm = (struct fiemap *)buf;
	uint64_t at = off, end = off + len;
	const unsigned bad = FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC |
			     FIEMAP_EXTENT_UNWRITTEN | FIEMAP_EXTENT_SHARED |
			     FIEMAP_EXTENT_ENCODED | FIEMAP_EXTENT_DATA_INLINE |
			     FIEMAP_EXTENT_NOT_ALIGNED;

	while (at < end) {
		memset(fm, 0, sizeof(*fm));
		fm->fm_start = at;
		fm->fm_length = end - at;
		fm->fm_flags = FIEMAP_FLAG_SYNC;
		fm->fm_extent_count = N;
		if (ioctl(fd, FS_IOC_FIEMAP, fm) < 0 || !fm->fm_mapped_extents)
			return 0;
		for (unsigned i = 0; i < fm->fm_mapped_extents; i++) {
			const struct fiemap_extent *e = &fm->fm_extents[i];

			if (e->fe_logical > at || (e->fe_flags & bad))
				return 0; /* a hole, or one that needs metadata */
			at = e->fe_logical + e->fe_length;
			if (at >= end)
				return 1;
		}
	}
	return 1;
}

int shmx__journal_overwrite_only(int fd, uint64_t foff, uint64_t len,
				 struct shmx_error *err)
{
	struct statfs fs;
	int rc;

	/* what the run begins with is on the disk, its allocation included */
	if (shmx__fault_hit("target-sync")) {
		errno = EIO;
		rc = -1;
	} else {
		do
			rc = fdatasync(fd);
		while (rc < 0 && errno == EINTR);
	}
	if (rc < 0)
		return shmx__fail(err, -errno, "cannot sync it to the disk: %s",
				  strerror(errno));
	if (fstatfs(fd, &fs) < 0 || (fs.f_type != EXT4_SUPER_MAGIC &&
				     fs.f_type != XFS_SUPER_MAGIC))
		return 0;
	return len && extents_written(fd, foff, len);
}

/* ---- layout ------------------------------------------------------------ */

static void layout(struct shmx__journal *j)
{
	const struct shmx__journal_run *r = &j->run;
	uint64_t chunk = r->chunk_rows * r->row_bytes;

	j->table_off = TABLE_OFF;
	j->lanes_off = TABLE_OFF + SHMX__ALIGN_UP(r->nchunks, HDR_BYTES);
	j->area_bytes = SHMX__ALIGN_UP(REC_BYTES + chunk, HDR_BYTES);
}

static uint64_t area_off(const struct shmx__journal *j, unsigned lane,
			 unsigned area)
{
	return j->lanes_off +
	       (SHMX__JOURNAL_AREAS * (uint64_t)lane + area) * j->area_bytes;
}

static uint64_t file_bytes(const struct shmx__journal *j, unsigned lanes)
{
	return area_off(j, lanes, 0);
}

/* The chunk's bytes: its first row's offset and its length. */
static void chunk_span(const struct shmx__journal_run *r, uint64_t c,
		       uint64_t *off, uint64_t *len)
{
	uint64_t row0 = c * r->chunk_rows;
	uint64_t n = r->rows - row0 < r->chunk_rows ? r->rows - row0
						    : r->chunk_rows;

	*off = row0 * r->row_bytes;
	*len = n * r->row_bytes;
}

/* ---- headers ----------------------------------------------------------- */

static void header_make(const struct shmx__journal *j, struct header *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, MAGIC, 8);
	h->version = VERSION;
	h->hdr_bytes = HDR_BYTES;
	h->epoch = j->epoch;
	h->run = j->run;
	h->sum = shmx__journal_sum(h, sizeof(*h), 0);
}

static int header_valid(struct header *h)
{
	uint64_t sum = h->sum;

	h->sum = 0;
	if (memcmp(h->magic, MAGIC, 8) || h->version != VERSION ||
	    h->hdr_bytes != HDR_BYTES ||
	    shmx__journal_sum(h, sizeof(*h), 0) != sum)
		return 0;
	h->sum = sum;
	/* a checksum that holds over nonsense is not ours to trust */
	return h->run.nchunks && h->run.chunk_rows && h->run.row_bytes &&
	       h->run.lanes && h->run.lanes <= 65536 &&
	       h->run.op[SHMX__JOURNAL_OP_MAX - 1] == '\0';
}

/* Header A, then B, each synced when `synced`: a crash tears at most
 * one.  A new journal's are not synced here: nothing depends on them
 * before the first chunk's save, whose sync makes them durable with it
 * (and a journal with no whole header is one whose run changed nothing). */
static int headers_write(struct shmx__journal *j, int synced,
			 struct shmx_error *err)
{
	char page[HDR_BYTES] = { 0 };
	int rc = 0;

	header_make(j, (struct header *)page);
	for (unsigned i = 0; !rc && i < 2; i++) {
		rc = write_at(j->fd, page, HDR_BYTES, i * HDR_BYTES);
		if (rc)
			return fail_io(err, rc, j, "write its header");
		if (synced)
			rc = shmx__journal_sync(j, err);
	}
	return rc;
}

/* The newer of the two whole headers into j; 0, or -EBADMSG for none. */
static int headers_read(struct shmx__journal *j)
{
	char page[2][HDR_BYTES];
	struct header *best = NULL;

	for (unsigned i = 0; i < 2; i++) {
		struct header *h = (struct header *)page[i];

		if (read_at(j->fd, page[i], HDR_BYTES, i * HDR_BYTES) ||
		    !header_valid(h))
			continue;
		if (!best || h->epoch > best->epoch)
			best = h;
	}
	if (!best)
		return -EBADMSG;
	j->epoch = best->epoch;
	j->run = best->run;
	layout(j);
	return 0;
}

/* ---- create, open, remove ---------------------------------------------- */

static int open_dir(const struct shmx_target *t)
{
	return open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static int sync_dir(struct shmx__journal *j, struct shmx_error *err)
{
	int rc = sync_fd(j->dirfd, 0);

	return rc ? shmx__fail(err, rc, "%s: cannot sync its directory: %s",
			       j->path, strerror(-rc))
		  : 0;
}

static int size_file(struct shmx__journal *j, uint64_t bytes,
		     struct shmx_error *err)
{
	int e;

	if (ftruncate(j->fd, (off_t)bytes) < 0)
		return fail_io(err, -errno, j, "size it");
	do
		e = posix_fallocate(j->fd, 0, (off_t)bytes);
	while (e == EINTR);
	/* a full disk now, not a failed write in the middle of the run */
	return e && e != EOPNOTSUPP ? fail_io(err, -e, j, "reserve its space")
				    : 0;
}

/* The journal is made under a temporary's name, locked, sized and its
 * headers synced, and only then renamed into place: a journal under its
 * own name is always whole and, while its run lives, locked. */
static int create_file(const struct shmx_target *t, struct shmx__journal *j,
		       char *tmp, size_t len, struct shmx_error *err)
{
	int rc = shmx__journal_path(t, j->path, sizeof(j->path));

	if (rc)
		return shmx__fail(err, SHMX_ETARGET, "%s: name too long for its "
				  "journal (%sNAME): --in-place needs it",
				  t->spec, SHMX__JOURNAL_PREFIX);
	j->dirfd = open_dir(t);
	if (j->dirfd < 0)
		return shmx__fail(err, -errno, "%s: %s", t->dir, strerror(errno));
	if (shmx__temp_path(t, tmp, len) < 0)
		return shmx__fail(err, SHMX_ETARGET, "%s: path too long", t->spec);
	j->fd = shmx__fault_hit("journal-open") ? (errno = EMFILE, -1)
		: open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		       0600);
	if (j->fd < 0)
		return shmx__fail(err, -errno, "%s: cannot create the journal: "
				  "%s", j->path, strerror(errno));
	/* held, through the workers' copies of fd, until the last one dies */
	flock(j->fd, LOCK_EX | LOCK_NB);
	return 0;
}

static int move_into_place(const char *tmp, struct shmx__journal *j,
			   struct shmx_error *err)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, j->path, RENAME_NOREPLACE) < 0)
		return shmx__fail(err, errno == EEXIST ? SHMX_EINTERRUPTED
						       : -errno,
				  "%s: cannot create the journal: %s", j->path,
				  strerror(errno));
	return 0;
}

int shmx__journal_lock(struct shmx__journal *j, struct shmx_error *err)
{
	if (flock(j->fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	return shmx__fail(err, SHMX_EINTERRUPTED, "%s: its --in-place run is "
			  "still running: wait for it (or kill it) first",
			  j->path);
}

/* Whether a live run (its processes hold the lock) owns the journal. */
static int busy(const struct shmx__journal *j)
{
	if (flock(j->fd, LOCK_SH | LOCK_NB) == 0) {
		flock(j->fd, LOCK_UN);
		return 0;
	}
	return errno == EWOULDBLOCK;
}

int shmx__journal_create(const struct shmx_target *t,
			 const struct shmx__journal_run *run,
			 struct shmx__journal *j, struct shmx_error *err)
{
	char tmp[PATH_MAX];
	int rc, slot, moved = 0;

	memset(j, 0, sizeof(*j));
	j->fd = j->dirfd = -1;
	j->run = *run;
	j->epoch = 1;
	layout(j);
	rc = create_file(t, j, tmp, sizeof(tmp), err);
	slot = j->fd >= 0 ? shmx__temp_register(tmp) : -1;
	if (!rc)
		rc = size_file(j, file_bytes(j, run->lanes), err);
	if (!rc)
		rc = headers_write(j, 0, err);
	if (!rc && !(rc = move_into_place(tmp, j, err)))
		moved = 1;
	if (!rc)
		rc = sync_dir(j, err);
	if (rc && j->fd >= 0)
		unlink(moved ? j->path : tmp); /* nothing was changed yet */
	shmx__temp_forget(slot);
	if (rc)
		shmx__journal_close(j);
	return rc;
}

int shmx__journal_open(const struct shmx_target *t, struct shmx__journal *j,
		       int lock, int *damaged, struct shmx_error *err)
{
	int rc;

	memset(j, 0, sizeof(*j));
	j->fd = j->dirfd = -1;
	*damaged = 0;
	if (shmx__journal_path(t, j->path, sizeof(j->path)))
		return -ENOENT; /* no journal can have such a name */
	j->fd = open(j->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (j->fd < 0) {
		rc = -errno;
		return rc == -ENOENT ? rc : shmx__fail(err, rc, "%s: %s", j->path,
							strerror(-rc));
	}
	j->dirfd = open_dir(t);
	if (j->dirfd < 0)
		return shmx__fail(err, -errno, "%s: %s", t->dir, strerror(errno));
	if (lock && (rc = shmx__journal_lock(j, err)))
		return rc;
	if (headers_read(j)) {
		*damaged = 1;
		return shmx__fail(err, SHMX_EINTERRUPTED,
				  "%s: its journal is incomplete", t->spec);
	}
	return 0;
}

void shmx__journal_close(struct shmx__journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	if (j->dirfd >= 0)
		close(j->dirfd);
	j->fd = j->dirfd = -1;
}

int shmx__journal_remove(struct shmx__journal *j, struct shmx_error *err)
{
	int rc = 0;

	if (unlink(j->path) < 0)
		rc = shmx__fail(err, -errno, "%s: cannot remove the journal: %s",
				j->path, strerror(errno));
	if (!rc)
		rc = sync_dir(j, err);
	if (!rc)
		shmx__fault_removed("journal");
	shmx__journal_close(j);
	return rc;
}

/* ---- records ----------------------------------------------------------- */

static uint64_t record_sum(struct record *r, const void *data)
{
	uint64_t keep = r->sum, s;

	r->sum = 0;
	s = shmx__journal_sum(r, sizeof(*r), 0);
	r->sum = keep;
	return shmx__journal_sum(data, r->len, s);
}

int shmx__journal_save(struct shmx__journal *j, unsigned lane, unsigned area,
		       uint64_t chunk, const void *data, uint64_t len,
		       struct shmx_error *err)
{
	struct record r = { .magic = REC_MAGIC, .epoch = j->epoch,
			    .chunk = chunk, .len = len };
	uint64_t off = area_off(j, lane, area);
	int rc;

	r.sum = record_sum(&r, data);
	rc = write_at(j->fd, &r, sizeof(r), off);
	if (!rc)
		rc = write_at(j->fd, data, len, off + sizeof(r));
	if (rc)
		return fail_io(err, rc, j, "save the rows it rewrites");
	return shmx__journal_sync(j, err);
}

int shmx__journal_mark(struct shmx__journal *j, uint64_t chunk,
		       struct shmx_error *err)
{
	unsigned char done = SHMX__JOURNAL_DONE;
	int rc = write_at(j->fd, &done, 1, j->table_off + chunk);

	return rc ? fail_io(err, rc, j, "mark a chunk done") : 0;
}

int shmx__journal_table(struct shmx__journal *j, uint8_t *done,
			uint64_t *ndone, struct shmx_error *err)
{
	int rc = read_at(j->fd, done, j->run.nchunks, j->table_off);

	if (rc)
		return fail_io(err, rc, j, "read");
	*ndone = 0;
	for (uint64_t i = 0; i < j->run.nchunks; i++) {
		done[i] = done[i] == SHMX__JOURNAL_DONE;
		*ndone += done[i];
	}
	return 0;
}

/* The record in one area, if it counts: whole, this epoch, a chunk of
 * this run with that chunk's length.  Its data lands in buf. */
static int record_read(struct shmx__journal *j, uint64_t off, char *buf,
		       struct record *r)
{
	uint64_t coff, clen;

	if (read_at(j->fd, r, sizeof(*r), off) || r->magic != REC_MAGIC ||
	    r->epoch != j->epoch || r->chunk >= j->run.nchunks)
		return 0;
	chunk_span(&j->run, r->chunk, &coff, &clen);
	if (r->len != clen || read_at(j->fd, buf, clen, off + sizeof(*r)))
		return 0;
	return record_sum(r, buf) == r->sum;
}

int shmx__journal_rollback(struct shmx__journal *j, int lane, char *data,
			   const uint8_t *done, uint64_t *restored,
			   struct shmx_error *err)
{
	uint64_t coff, clen, n = 0;
	unsigned first = lane < 0 ? 0 : (unsigned)lane;
	unsigned last = lane < 0 ? j->run.lanes : (unsigned)lane + 1;
	char *buf = shmx__malloc(j->area_bytes);
	struct record r;

	if (!buf)
		return shmx__fail(err, -ENOMEM, "%s: out of memory", j->path);
	for (unsigned l = first; l < last; l++)
		for (unsigned a = 0; a < SHMX__JOURNAL_AREAS; a++) {
			if (!record_read(j, area_off(j, l, a), buf, &r) ||
			    (done && done[r.chunk]))
				continue;
			chunk_span(&j->run, r.chunk, &coff, &clen);
			memcpy(data + coff, buf, clen);
			n++;
		}
	shmx__free(buf);
	if (restored)
		*restored = n;
	return 0;
}

int shmx__journal_renew(struct shmx__journal *j, unsigned lanes,
			struct shmx_error *err)
{
	int rc = 0;

	if (lanes > j->run.lanes) {
		rc = size_file(j, file_bytes(j, lanes), err);
		if (!rc)
			rc = shmx__journal_sync(j, err);
		if (!rc)
			j->run.lanes = lanes;
	}
	j->epoch++;
	return rc ? rc : headers_write(j, 1, err);
}

/* ---- the refusal ------------------------------------------------------- */

int shmx__journal_refuse(const struct shmx_target *t, struct shmx_error *err)
{
	char path[PATH_MAX], state[96] = "";
	struct shmx__journal j = { .fd = -1, .dirfd = -1 };
	struct stat st;
	uint8_t *done;
	uint64_t ndone;
	int damaged, live;

	if (shmx__journal_path(t, path, sizeof(path)) ||
	    fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return 0;
	if (shmx__journal_open(t, &j, 0, &damaged, NULL) == 0 &&
	    (done = shmx__malloc(j.run.nchunks))) {
		if (!shmx__journal_table(&j, done, &ndone, NULL))
			snprintf(state, sizeof(state), " (%.64s, %llu of %llu "
				 "chunks done)", j.run.op,
				 (unsigned long long)ndone,
				 (unsigned long long)j.run.nchunks);
		shmx__free(done);
	}
	live = j.fd >= 0 && busy(&j);
	shmx__journal_close(&j);
	if (live)
		return shmx__fail(err, SHMX_EINTERRUPTED,
				  "%s: an --in-place run is rewriting it%s: "
				  "wait for it to finish", t->spec, state);
	return shmx__fail(err, SHMX_EINTERRUPTED,
			  "%s: an --in-place run was interrupted%s: finish it "
			  "with 'shmx resume %s'", t->spec, state, t->spec);
}
