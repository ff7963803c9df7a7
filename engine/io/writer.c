/* engine/io/writer.c - streamed writes of a map's output (see writer.h).
 *
 * A slot is one chunk's buffer.  Its bytes [off, end) of the file go out
 * as up to three pieces:
 *
 *	file:   |....[off####|############################|####end)....|
 *	             ^ head    a         middle            b   tail
 *	              buffered          O_DIRECT               buffered
 *
 * The buffer keeps the file's offset modulo 4096 (the chunk's rows start
 * at buf + off % 4096), so the middle piece starts on an aligned address
 * as O_DIRECT requires.  Every piece of a slot is submitted at put; a
 * completion that wrote less is resubmitted for the rest; the slot is
 * done when all its pieces are.  The O_DIRECT reopen, the ring and the
 * buffers are set up with io/setup.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/fault.h"
#include "base/internal.h"
#include "io/setup.h"
#include "io/writer.h"

_Static_assert(SHMX__WRITER_DEPTH_MAX <= SHMX__IO_BUFS_MAX,
	       "a writer's buffers fit in its shmx__io");

#define BLOCK 4096u

enum wstate { W_FREE, W_HELD, W_FLIGHT };

struct piece {
	uint64_t off, len, done;
	const char *p;
	int direct;
};

struct wslot {
	char *buf;
	uint64_t chunk, off, len, lead, compute_ns;
	struct piece pc[3];
	unsigned npieces, pending;
	int err;
	enum wstate state;
};

/* Test builds: see writer.h.  Counted per completed write. */
struct fault {
	struct shmx__io_fault io; /* write-short, write-eio/enospc/einval */
	uint64_t writes;
	int fired;
};

struct shmx__writer {
	struct shmx__io io; /* the ring (io.uring), buffers, io.direct_fd */
	int fd, direct;
	uint64_t data_offset, row_bytes;
	struct shmx__plan plan;
	unsigned depth, in_flight;
	struct wslot *slots;
	void (*done)(void *ctx, uint64_t chunk, uint64_t compute_ns);
	void *ctx;
	struct fault fault;
	int failed;     /* the first write error, kept for every later call */
	char failed_msg[SHMX_ERROR_MSG_MAX];
	char what[256];
	struct shmx__writer_stats st;
};

#define note(w, ...) shmx__note((w)->st.fallback, sizeof((w)->st.fallback), __VA_ARGS__)

static void fault_parse(struct fault *f)
{
	static const struct shmx__fault_code fails[] = {
		{ "write-eio", -EIO },
		{ "write-enospc", -ENOSPC },
		{ "write-einval", -EINVAL },
	};

	memset(f, 0, sizeof(*f));
	shmx__io_fault_parse(&f->io, "write-short", fails,
			     sizeof(fails) / sizeof(*fails));
}

/* What a write "returned" once the armed fault has had its say.  EINVAL
 * hits the first direct write from the Kth on (buffered ones cannot be
 * refused for alignment).  Short direct writes stay block multiples, as
 * the kernel's are. */
static int64_t fault_result(struct fault *f, const struct piece *pc,
			    int64_t res)
{
	uint64_t n = ++f->writes, cap = f->io.short_cap;

	if (f->io.fail_at && n >= f->io.fail_at && (!f->fired || f->io.persist) &&
	    (f->io.fail_code != -EINVAL || pc->direct)) {
		f->fired = 1;
		return f->io.fail_code;
	}
	if (cap && pc->direct)
		cap = cap < BLOCK ? BLOCK : cap & ~(uint64_t)(BLOCK - 1);
	if (cap && res > 0 && (uint64_t)res > cap)
		return (int64_t)cap;
	return res;
}

/* ---- pieces ----------------------------------------------------------- */

static void add_piece(struct wslot *sl, uint64_t off, uint64_t end, int direct)
{
	struct piece *pc = &sl->pc[sl->npieces++];

	pc->off = off;
	pc->len = end - off;
	pc->done = 0;
	pc->p = sl->buf + sl->lead + (off - sl->off);
	pc->direct = direct;
}

static void plan_pieces(const struct shmx__writer *w, struct wslot *sl)
{
	uint64_t off = sl->off, end = off + sl->len;
	uint64_t a = SHMX__ALIGN_UP(off, BLOCK), b = end & ~(uint64_t)(BLOCK - 1);

	sl->npieces = 0;
	if (!w->direct || a >= b) {
		add_piece(sl, off, end, 0);
		return;
	}
	if (off < a)
		add_piece(sl, off, a, 0);
	add_piece(sl, a, b, 1);
	if (b < end)
		add_piece(sl, b, end, 0);
}

static int piece_fd(const struct shmx__writer *w, const struct piece *pc)
{
	return pc->direct ? w->io.direct_fd : w->fd;
}

/* ---- finishing a slot ----------------------------------------------- */

static void fail_slot(struct shmx__writer *w, struct wslot *sl, int code)
{
	if (!sl->err)
		sl->err = code;
	if (w->failed)
		return;
	w->failed = code;
	snprintf(w->failed_msg, sizeof(w->failed_msg),
		 "%s: writing chunk %" PRIu64 " (bytes [%" PRIu64 ", %" PRIu64
		 ")): %s", w->what, sl->chunk, sl->off, sl->off + sl->len,
		 strerror(-code));
}

/* Buffered writes of a whole chunk (no O_DIRECT here): write the range
 * back and drop it, so a map larger than memory does not fill the page
 * cache.  The edge blocks of direct chunks are left: two pages a chunk. */
static void drop_cached(struct shmx__writer *w, const struct wslot *sl)
{
	if (w->direct || !sl->len)
		return;
	sync_file_range(w->fd, (off64_t)sl->off, (off64_t)sl->len,
			SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
				SYNC_FILE_RANGE_WAIT_AFTER);
	posix_fadvise(w->fd, (off_t)sl->off, (off_t)sl->len,
		      POSIX_FADV_DONTNEED);
}

static void slot_finished(struct shmx__writer *w, struct wslot *sl)
{
	sl->state = W_FREE;
	w->in_flight--;
	if (sl->err)
		return;
	drop_cached(w, sl);
	w->done(w->ctx, sl->chunk, sl->compute_ns);
}

/* ---- submitting and completing -------------------------------------- */

static void queue_piece(struct shmx__writer *w, unsigned si, unsigned pi)
{
	struct piece *pc = &w->slots[si].pc[pi];
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->io.ring);

	if (!sqe) { /* the ring holds 4 entries a slot: flush and retry */
		io_uring_submit(&w->io.ring);
		sqe = io_uring_get_sqe(&w->io.ring);
	}
	io_uring_prep_write(sqe, piece_fd(w, pc), pc->p + pc->done,
			    (unsigned)(pc->len - pc->done),
			    (off64_t)(pc->off + pc->done));
	io_uring_sqe_set_data64(sqe, (uint64_t)si << 2 | pi);
	w->st.writes++;
}

/* One write's result: resume short ones, retry EINTR/EAGAIN, fall back to
 * buffered writes when a direct one is refused.  Returns whether the
 * piece needs another write. */
static int piece_result(struct shmx__writer *w, struct wslot *sl,
			struct piece *pc, int64_t res)
{
	res = fault_result(&w->fault, pc, res);
	if (res == -EINTR || res == -EAGAIN)
		return 1;
	if (res == -EINVAL && pc->direct) {
		if (w->direct) /* pieces in flight may say so too */
			note(w, "O_DIRECT write refused (EINVAL): buffered writes");
		w->direct = 0;
		w->st.used_direct = 0;
		pc->direct = 0;
		return 1;
	}
	if (res <= 0) { /* 0 would loop forever: the disk took nothing */
		fail_slot(w, sl, res ? (int)res : -EIO);
		return 0;
	}
	pc->done += (uint64_t)res;
	w->st.bytes_written += (uint64_t)res;
	if (pc->direct)
		w->st.direct_bytes += (uint64_t)res;
	if (pc->done < pc->len) {
		w->st.short_writes++;
		return 1;
	}
	return 0;
}

static void on_cqe(struct shmx__writer *w, uint64_t tag, int res)
{
	unsigned si = (unsigned)(tag >> 2), pi = (unsigned)(tag & 3);
	struct wslot *sl = &w->slots[si];

	if (piece_result(w, sl, &sl->pc[pi], res)) {
		queue_piece(w, si, pi);
		io_uring_submit(&w->io.ring);
		return;
	}
	if (--sl->pending == 0)
		slot_finished(w, sl);
}

/* Wait for at least one completion and handle every one ready. */
static int reap(struct shmx__writer *w)
{
	struct io_uring_cqe *cqe;
	uint64_t t0 = shmx__now_ns(), tag;
	int rc, res;

	do
		rc = io_uring_wait_cqe(&w->io.ring, &cqe);
	while (rc == -EINTR);
	w->st.wait_ns += shmx__now_ns() - t0;
	if (rc < 0)
		return rc;
	while (shmx__io_take(&w->io, &tag, &res))
		on_cqe(w, tag, res);
	return 0;
}

/* No io_uring: the pieces now, with pwrite. */
static void write_sync(struct shmx__writer *w, struct wslot *sl)
{
	for (unsigned i = 0; i < sl->npieces; i++) {
		struct piece *pc = &sl->pc[i];
		int more = 1;

		while (more && !sl->err) {
			ssize_t n = pwrite(piece_fd(w, pc), pc->p + pc->done,
					   pc->len - pc->done,
					   (off_t)(pc->off + pc->done));

			w->st.writes++;
			more = piece_result(w, sl, pc, n < 0 ? -errno : n);
		}
	}
	sl->pending = 0;
	slot_finished(w, sl);
}

/* ---- the interface -------------------------------------------------- */

static int failed(struct shmx__writer *w, struct shmx_error *err)
{
	return shmx__fail(err, w->failed, "%s", w->failed_msg);
}

static int ring_failed(struct shmx__writer *w, int rc, struct shmx_error *err)
{
	if (!w->failed) {
		w->failed = rc;
		snprintf(w->failed_msg, sizeof(w->failed_msg),
			 "%s: io_uring: %s", w->what, strerror(-rc));
	}
	return failed(w, err);
}

int shmx__writer_get(struct shmx__writer *w, uint64_t chunk, void **rows,
		     struct shmx_error *err)
{
	unsigned i;
	int rc;

	if (!shmx__io_mine(&w->io))
		return shmx__fail(err, -ECHILD, "%s: writer used by another "
				  "process", w->what);
	if (chunk >= w->plan.nchunks)
		return shmx__fail(err, -EINVAL, "%s: no chunk %" PRIu64,
				  w->what, chunk);
	for (;;) {
		if (w->failed)
			return failed(w, err);
		for (i = 0; i < w->depth && w->slots[i].state != W_FREE; i++)
			;
		if (i < w->depth)
			break;
		if (!w->io.uring || !w->in_flight) /* every buffer held: misuse */
			return shmx__fail(err, -EBUSY, "%s: no free buffer",
					  w->what);
		if ((rc = reap(w)) < 0)
			return ring_failed(w, rc, err);
	}
	w->slots[i].state = W_HELD;
	w->slots[i].chunk = chunk;
	w->slots[i].lead = (w->data_offset +
			    shmx__plan_row0(&w->plan, chunk) * w->row_bytes) % BLOCK;
	*rows = w->slots[i].buf + w->slots[i].lead;
	return 0;
}

int shmx__writer_put(struct shmx__writer *w, void *rows, uint64_t compute_ns,
		     struct shmx_error *err)
{
	struct wslot *sl = NULL;

	for (unsigned i = 0; i < w->depth && !sl; i++)
		if (w->slots[i].state == W_HELD &&
		    w->slots[i].buf + w->slots[i].lead == (char *)rows)
			sl = &w->slots[i];
	if (!sl)
		return shmx__fail(err, -EINVAL, "%s: not a held buffer", w->what);
	sl->off = w->data_offset +
		  shmx__plan_row0(&w->plan, sl->chunk) * w->row_bytes;
	sl->len = shmx__plan_nrows(&w->plan, sl->chunk) * w->row_bytes;
	sl->compute_ns = compute_ns;
	sl->err = 0;
	plan_pieces(w, sl);
	sl->pending = sl->npieces;
	sl->state = W_FLIGHT;
	w->in_flight++;
	if (!sl->len) { /* R x 0 rows: nothing to write */
		sl->pending = 0;
		slot_finished(w, sl);
	} else if (!w->io.uring) {
		write_sync(w, sl);
	} else {
		for (unsigned p = 0; p < sl->npieces; p++)
			queue_piece(w, (unsigned)(sl - w->slots), p);
		io_uring_submit(&w->io.ring);
	}
	return w->failed ? failed(w, err) : 0;
}

int shmx__writer_flush(struct shmx__writer *w, struct shmx_error *err)
{
	int rc;

	while (w->io.uring && w->in_flight)
		if ((rc = reap(w)) < 0)
			return ring_failed(w, rc, err);
	return w->failed ? failed(w, err) : 0;
}

void shmx__writer_stats(const struct shmx__writer *w,
			struct shmx__writer_stats *st)
{
	*st = w->st;
}

/* ---- opening and closing -------------------------------------------- */

/* Each buffer holds the largest chunk's rows plus the lead (< a block),
 * rounded to blocks. */
static int alloc_slots(struct shmx__writer *w, unsigned asked,
		       struct shmx_error *err)
{
	uint64_t chunk_bytes, bytes;
	size_t buf_bytes;

	if (shmx__mul_u64(w->plan.chunk_rows, w->row_bytes, &chunk_bytes) < 0 ||
	    shmx__add_u64(chunk_bytes, 2 * BLOCK, &bytes) < 0 || bytes > SIZE_MAX)
		return shmx__fail(err, -EOVERFLOW, "%s: chunk too large", w->what);
	buf_bytes = (size_t)SHMX__ALIGN_UP(bytes, BLOCK);
	w->depth = asked ? asked : SHMX__WRITER_DEPTH_MAX;
	if (w->depth > SHMX__WRITER_DEPTH_MAX)
		w->depth = SHMX__WRITER_DEPTH_MAX;
	while (w->depth > 2 && w->depth * buf_bytes > SHMX__WRITER_BYTES_MAX)
		w->depth--;
	w->slots = shmx__calloc(w->depth, sizeof(*w->slots));
	if (!w->slots)
		return shmx__fail(err, -ENOMEM, "%s: out of memory for the "
				  "write buffers", w->what);
	if (shmx__io_bufs_alloc(&w->io, w->depth, BLOCK, buf_bytes))
		return shmx__fail(err, -ENOMEM,
				  "%s: cannot allocate %u write buffers "
				  "of %zu bytes", w->what, w->depth, buf_bytes);
	for (unsigned i = 0; i < w->depth; i++)
		w->slots[i].buf = (char *)w->io.buf[i];
	return 0;
}

/* O_DIRECT on a file description of our own (the caller's stays
 * buffered, for the edge pieces and the header).  Its fault site is
 * open-output's, as a streamed input's reopen is open-input's (fault.h):
 * a failure falls back to buffered writes. */
static void choose_direct(struct shmx__writer *w, const struct shmx__writer_opts *o)
{
	if (o->no_direct) {
		note(w, "O_DIRECT writes off by request");
		return;
	}
	if (o->data_offset % BLOCK) {
		note(w, "output data at byte %" PRIu64 ": buffered writes",
		     o->data_offset);
		return;
	}
	if (shmx__io_reopen_direct(&w->io, o->fd, O_WRONLY, "open-output") < 0) {
		note(w, "O_DIRECT: %s: buffered writes", strerror(errno));
		return;
	}
	w->direct = 1;
	w->st.used_direct = 1;
}

static void choose_ring(struct shmx__writer *w, const struct shmx__writer_opts *o)
{
	int rc;

	if (o->no_uring) {
		note(w, "io_uring writes off by request: pwrite");
		return;
	}
	rc = shmx__io_ring_init(&w->io, w->depth * 4); /* see queue_piece */
	if (rc < 0) {
		note(w, "io_uring for writes: %s: pwrite", strerror(-rc));
		return;
	}
	w->st.used_uring = 1;
}

int shmx__writer_open(struct shmx__writer **out,
		      const struct shmx__writer_opts *o, struct shmx_error *err)
{
	struct shmx__writer *w = shmx__calloc(1, sizeof(*w));
	int rc;

	*out = NULL;
	if (!w)
		return shmx__fail(err, -ENOMEM, "%s: out of memory for a writer",
				  o->what ? o->what : "output");
	snprintf(w->what, sizeof(w->what), "%s", o->what ? o->what : "output");
	shmx__io_init(&w->io);
	w->fd = o->fd;
	w->data_offset = o->data_offset;
	w->row_bytes = o->row_bytes;
	w->plan = *o->plan;
	w->done = o->done;
	w->ctx = o->ctx;
	fault_parse(&w->fault);
	rc = alloc_slots(w, o->depth, err);
	if (rc) {
		shmx__writer_close(w);
		return rc;
	}
	choose_direct(w, o);
	choose_ring(w, o);
	*out = w;
	return 0;
}

void shmx__writer_close(struct shmx__writer *w)
{
	bool keep_buffers = false;

	if (!w)
		return;
	/* the kernel reads our buffers until each write completes */
	while (w->io.uring && shmx__io_mine(&w->io) && w->in_flight &&
	       !keep_buffers)
		keep_buffers = reap(w) < 0;
	shmx__io_close(&w->io, keep_buffers);
	shmx__free(w->slots);
	shmx__free(w);
}
