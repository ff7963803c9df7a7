/* engine/io/stream.c - chunk reads through io_uring and O_DIRECT (see
 * stream.h), with buffered and pread() fallbacks.
 *
 * A stream owns `depth` buffers (slots), each big enough for the largest
 * chunk plus one block of padding.  O_DIRECT moves whole logical blocks
 * between the disk and memory, so a read must start at a block boundary,
 * ask for whole blocks, and land in block-aligned memory.  A chunk rarely
 * sits on block boundaries (numpy puts the data at byte 64 or 128), so
 * each slot reads the aligned superset of its chunk and points the rows
 * into it:
 *
 *   file  |   block    |   block    |   block    |   block  EOF
 *              start ^ ........ chunk ......... ^ end
 *   read  [off = start rounded down     end rounded up, or EOF)
 *   slot  [--skip--|rows ....................... |pad]
 *         ^ buf (4096-aligned)                     (a read at EOF comes
 *                  ^ rows = buf + skip               back short: accepted
 *                                                    once it covers end)
 *
 * Buffered reads (no O_DIRECT, or pread) read exactly [start, end) to
 * buf, so skip is 0.  Slots move FREE -> QUEUED (read in flight, or
 * pending for pread) -> READY (bytes or error in) -> HELD (wait gave it
 * to the caller) -> FREE (release).  `fifo` lists the QUEUED and READY
 * slots in submission order, and wait always takes its head:
 *
 *   slots  [0 HELD c4] [1 READY c5] [2 QUEUED c6] [3 FREE]
 *   fifo   1 2            (head first; slot 0 left it when wait returned)
 *
 * The ring is per process and made after fork, never inherited: its
 * submission and completion queues are memory shared with the kernel, so
 * two processes using one ring would race on the head and tail indices;
 * a SINGLE_ISSUER ring refuses any task but its creator; and registered
 * buffers are pinned pages of the creator's address space.
 *
 * The reopen, the ring and the buffers are set up with io/setup.h.
 * Test builds fail these where SHMX_FAULT says (fault.h): uring-setup
 * (io_uring_queue_init: -ENOSYS, so pread takes over), uring-register
 * (-ENOMEM: plain buffers), open-input (the O_DIRECT reopen: EMFILE,
 * buffered reads) and read (every read, io_uring's or pread's: -EIO).
 * The stream-* sites below shape the reads themselves.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fault.h"
#include "base/internal.h"
#include "io/setup.h"
#include "io/stream.h"

_Static_assert(SHMX__STREAM_DEPTH_MAX <= SHMX__IO_BUFS_MAX,
	       "a stream's buffers fit in its shmx__io");

/* One request reads at most this much; a longer chunk takes several. */
#define MAX_READ (UINT64_C(1) << 30)
#define CANCEL_TAG UINT64_MAX

enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_READY, SLOT_HELD };

struct slot {
	unsigned char *buf;
	uint64_t chunk;
	uint64_t off;   /* file offset of buf[0] */
	uint64_t want;  /* bytes asked from off (to the aligned end) */
	uint64_t need;  /* bytes from off that must arrive: up to the chunk's end */
	uint64_t done;  /* bytes from off that have arrived */
	uint64_t pos;   /* where in buf the read in flight starts */
	uint64_t align; /* the read's alignment: > 1 for O_DIRECT */
	uint64_t skip;  /* the rows start at buf + skip */
	int err;        /* 0, or why the read failed */
	enum slot_state state;
};

/* Test builds: SHMX_FAULT=stream-short:N makes every read return at most
 * N bytes (at least a block for O_DIRECT), as a kernel may;
 * stream-again:K turns every Kth read's result into -EAGAIN and -EINTR in
 * turn; stream-eio:K fails the Kth read with -EIO, stream-einval:K with
 * -EINVAL (as a filesystem refusing our O_DIRECT alignment would),
 * stream-ecanceled:K with -ECANCELED (as io_uring does when it cannot
 * start a worker thread for a read).  Parsed at open. */
struct fault {
	struct shmx__io_fault io; /* stream-short, stream-eio/einval/ecanceled */
	uint64_t reads;
	unsigned again_every;
	int armed;
};

struct shmx__stream {
	struct shmx__io io; /* ring (io.uring: reads go through it), buffers
			     * (io.registered: READ_FIXED), io.direct_fd */
	int fd;             /* reads go here: io.direct_fd or the caller's */
	int user_fd;
	int broken;         /* the ring failed: every later call returns it */
	int closing;        /* completions are only counted */
	int noted_cancel;   /* the note on -ECANCELED is in stats */
	uint64_t align;     /* alignment of new reads: 1 when buffered */
	uint64_t mem_align; /* alignment of the buffers */
	uint64_t data_offset, file_size, row_bytes;
	struct shmx__plan plan;
	unsigned depth;
	struct slot *slots;
	unsigned *fifo; /* slot numbers, depth entries, a circular queue */
	unsigned head, count;
	struct fault fault;
	char what[256];
	struct shmx__stream_stats st;
};

/* ---- small helpers -------------------------------------------------- */

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Rows must start aligned to their element size.  Elements are 1, 2, 4
 * or 8 bytes and divide the row, so the largest power of two dividing
 * row_bytes, capped at 8, is a multiple of the element size. */
static uint64_t row_align(uint64_t row_bytes)
{
	uint64_t low = row_bytes & (~row_bytes + 1);

	return low && low < 8 ? low : 8;
}

/* Append why a fallback was taken to stats.fallback ("a; b"). */
#define note(s, ...) shmx__note((s)->st.fallback, sizeof((s)->st.fallback), __VA_ARGS__)

static void fault_parse(struct fault *f)
{
	static const struct shmx__fault_code fails[] = {
		{ "stream-eio", -EIO },
		{ "stream-einval", -EINVAL },
		{ "stream-ecanceled", -ECANCELED },
	};
	uint64_t n = 0;

	memset(f, 0, sizeof(*f));
	shmx__io_fault_parse(&f->io, "stream-short", fails,
			     sizeof(fails) / sizeof(*fails));
	if (shmx__fault_arg("stream-again", &n, NULL))
		f->again_every = (unsigned)n;
	f->armed = f->io.short_cap || f->again_every || f->io.fail_at;
}

/* What a read "returned" once the armed fault has had its say.  The
 * bytes a fault says did not arrive are scribbled over, so that a stream
 * which used them anyway would be caught. */
static int64_t fault_result(struct fault *f, struct slot *sl, int64_t res)
{
	uint64_t least = f->io.short_cap > sl->align ? f->io.short_cap : sl->align;
	uint64_t keep, n;

	if (shmx__fault_hit("read"))
		res = -EIO;
	if (!f->armed)
		return res;
	n = ++f->reads;
	if (f->io.fail_at && n == f->io.fail_at)
		res = f->io.fail_code;
	else if (f->again_every && n % f->again_every == 0)
		res = n / f->again_every % 2 ? -EAGAIN : -EINTR;
	else if (f->io.short_cap && res > 0 && (uint64_t)res > least)
		res = (int64_t)least;
	keep = res > 0 ? (uint64_t)res : 0;
	if (sl->pos + keep < sl->want)
		memset(sl->buf + sl->pos + keep, 0xa5, sl->want - sl->pos - keep);
	return res;
}

/* ---- the bytes a chunk needs ---------------------------------------- */

/* Point slot sl at chunk c: the aligned superset for O_DIRECT (see the
 * picture), exactly the chunk otherwise. */
static void plan_read(struct shmx__stream *s, struct slot *sl, uint64_t c)
{
	uint64_t start = s->data_offset +
			 shmx__plan_row0(&s->plan, c) * s->row_bytes;
	uint64_t end = start + shmx__plan_nrows(&s->plan, c) * s->row_bytes;
	uint64_t a = s->align;

	sl->chunk = c;
	sl->align = a;
	sl->off = start / a * a;
	sl->skip = start - sl->off;
	sl->need = end - sl->off;
	/* The aligned end may pass EOF: the kernel then stops at EOF. */
	sl->want = SHMX__ALIGN_UP(end, a) - sl->off;
	sl->done = 0;
	sl->pos = 0;
	sl->err = 0;
}

/* A read of sl returned res (bytes, or a negative errno).  1 when the
 * slot needs another read (sl->pos says from where), 0 when it is READY
 * (with sl->err set on failure). */
static int read_result(struct shmx__stream *s, struct slot *sl, int64_t res)
{
	uint64_t end;

	if (res == -EINTR || res == -EAGAIN)
		return 1; /* the same read again */
	if (res == -EINVAL && sl->align > 1) {
		/* A filesystem that took O_DIRECT at open but refuses our
		 * alignment: read it buffered from now on. */
		if (s->align > 1) {
			note(s, "O_DIRECT read: %s: buffered", strerror(EINVAL));
			s->align = 1;
			s->fd = s->user_fd;
			s->st.used_direct = 0;
		}
		plan_read(s, sl, sl->chunk);
		return 1;
	}
	sl->state = SLOT_READY;
	if (res < 0) {
		sl->err = (int)res;
		return 0;
	}
	s->st.bytes_read += (uint64_t)res;
	end = sl->pos + (uint64_t)res;
	if (end >= sl->need)
		return 0;
	if (end <= sl->done) { /* no progress: EOF before the chunk ends */
		sl->err = SHMX_ETRUNCATED;
		return 0;
	}
	/* Short: resume on a block boundary (O_DIRECT re-reads the part of
	 * a block it already has; a buffered read resumes exactly). */
	sl->state = SLOT_QUEUED;
	sl->done = end;
	sl->pos = end / sl->align * sl->align;
	s->st.short_reads++;
	return 1;
}

/* ---- pread ----------------------------------------------------------- */

/* Buffered reads: WILLNEED starts the kernel's readahead of the whole
 * chunk at submit.  Without io_uring the reads are synchronous, and this
 * is what overlaps them with the compute on the chunks before; with
 * io_uring it spares the buffered read a trickle of small readaheads. */
static void readahead_hint(struct shmx__stream *s, const struct slot *sl)
{
	posix_fadvise(s->fd, (off_t)sl->off, (off_t)sl->want,
		      POSIX_FADV_WILLNEED);
}

static void pread_slot(struct shmx__stream *s, struct slot *sl)
{
	int more = 1;

	while (more) {
		size_t len = (size_t)min_u64(sl->want - sl->pos, MAX_READ);
		ssize_t n = pread(s->fd, sl->buf + sl->pos, len,
				  (off_t)(sl->off + sl->pos));

		s->st.reads++;
		more = read_result(s, sl, fault_result(&s->fault, sl,
							n < 0 ? -(int64_t)errno : n));
	}
}

/* ---- io_uring ------------------------------------------------------- */

/* Registered buffers are pinned once, not on every read; the memlock
 * limit may refuse them (setup.h): plain buffers then. */
static void registering_failed(struct shmx__stream *s, size_t bytes, int rc)
{
	char why[64];

	s->io.registered = 0;
	s->st.registered_buffers = 0;
	note(s, "registering %zu KiB: %s%s: plain buffers", bytes >> 10,
	     strerror(-rc), shmx__io_ring_why(why, sizeof(why), rc));
}

/* Each buffer is pinned just before its first read (uring_queue), so
 * that the first reads start while the later buffers are pinned (setup.h:
 * all at once costs 80 ms before the first read at depth 8, 340 ms at
 * 32); all at once where the kernel has no sparse table. */
static void register_buffers(struct shmx__stream *s)
{
	int rc = shmx__io_bufs_register_lazy(&s->io);

	if (rc == -EINVAL)
		rc = shmx__io_bufs_register(&s->io);
	if (rc)
		registering_failed(s, s->depth * s->io.buf_bytes, rc);
	else
		s->st.registered_buffers = 1;
}

/* Whether slot i's read may be READ_FIXED: its buffer is registered, now
 * if not before.  A refused pin (memlock) makes every later read plain. */
static bool fixed_buffer(struct shmx__stream *s, unsigned i)
{
	int rc;

	if (!s->io.registered)
		return false;
	rc = shmx__io_buf_pin(&s->io, i);
	if (rc)
		registering_failed(s, s->io.buf_bytes, rc);
	return rc == 0;
}

static void uring_queue(struct shmx__stream *s, unsigned i)
{
	struct slot *sl = &s->slots[i];
	/* Never NULL: the ring has an entry per slot, and a slot has at most
	 * one read in flight. */
	struct io_uring_sqe *sqe = io_uring_get_sqe(&s->io.ring);
	unsigned len = (unsigned)min_u64(sl->want - sl->pos, MAX_READ);

	if (fixed_buffer(s, i))
		io_uring_prep_read_fixed(sqe, s->fd, sl->buf + sl->pos, len,
					 sl->off + sl->pos, (int)i);
	else
		io_uring_prep_read(sqe, s->fd, sl->buf + sl->pos, len,
				   sl->off + sl->pos);
	io_uring_sqe_set_data64(sqe, i);
	s->st.reads++;
	/* A failed submit leaves the entry in the ring: the next wait's
	 * io_uring_submit_and_wait passes it on (or reports why not). */
	io_uring_submit(&s->io.ring);
}

static void uring_complete(struct shmx__stream *s, uint64_t tag, int64_t res)
{
	struct slot *sl;

	if (tag == CANCEL_TAG)
		return;
	sl = &s->slots[tag];
	res = fault_result(&s->fault, sl, res);
	if (s->closing) {
		sl->state = SLOT_READY;
	} else if (res == -ECANCELED) {
		/* We cancel nothing before close: the kernel gave up on a
		 * read it had handed to a worker thread that it could not
		 * start (io-wq stops retrying when signals keep interrupting
		 * the thread's creation, or at RLIMIT_NPROC).  Read it here. */
		if (!s->noted_cancel)
			note(s, "io_uring dropped a read: pread");
		s->noted_cancel = 1;
		pread_slot(s, sl);
	} else if (read_result(s, sl, res)) {
		uring_queue(s, (unsigned)tag);
	}
}

/* Take one completion, waiting for it if none is there.  0, or the
 * ring's own failure. */
static int uring_reap(struct shmx__stream *s)
{
	uint64_t tag;
	int rc, res;

	while (!shmx__io_take(&s->io, &tag, &res)) {
		/* submit too: an entry a failed submit left behind */
		rc = io_uring_submit_and_wait(&s->io.ring, 1);
		if (rc < 0 && rc != -EINTR && rc != -EAGAIN)
			return rc;
	}
	uring_complete(s, tag, res);
	return 0;
}

static int uring_wait_slot(struct shmx__stream *s, struct slot *sl)
{
	while (sl->state == SLOT_QUEUED) {
		int rc = uring_reap(s);

		if (rc)
			return rc;
	}
	return 0;
}

/* The reads in flight write into our buffers until they complete:
 * cancel what has not started, then wait for every one.  0, or the
 * ring's failure (the buffers may then still be written to). */
static int uring_drain(struct shmx__stream *s)
{
	struct io_uring_sqe *sqe;
	int rc = 0;

	s->closing = 1;
	sqe = io_uring_get_sqe(&s->io.ring);
	if (sqe) {
		io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
		io_uring_sqe_set_data64(sqe, CANCEL_TAG);
		io_uring_submit(&s->io.ring);
	}
	for (unsigned i = 0; i < s->depth && !rc; i++)
		rc = uring_wait_slot(s, &s->slots[i]);
	return rc;
}

/* ---- open ------------------------------------------------------------ */

static int check_opts(const struct shmx__stream_opts *o, const char *what,
		      struct shmx_error *err)
{
	uint64_t bytes, end;

	if (o->fd < 0 || !o->plan)
		return shmx__fail(err, -EINVAL, "%s: stream needs a file and a plan", what);
	if (o->queue_depth > SHMX__STREAM_DEPTH_MAX)
		return shmx__fail(err, -EINVAL, "%s: queue depth %u is over %u",
				  what, o->queue_depth, SHMX__STREAM_DEPTH_MAX);
	if (shmx__mul_u64(o->plan->rows, o->row_bytes, &bytes) ||
	    shmx__add_u64(o->data_offset, bytes, &end) || end > o->file_size ||
	    o->file_size > INT64_MAX)
		return shmx__fail(err, -EINVAL,
				  "%s: %" PRIu64 " rows of %" PRIu64
				  " bytes at offset %" PRIu64
				  " do not fit in %" PRIu64 " bytes",
				  what, o->plan->rows, o->row_bytes,
				  o->data_offset, o->file_size);
	return 0;
}

static int check_file(struct shmx__stream *s, struct shmx_error *err)
{
	struct stat st;

	if (fstat(s->user_fd, &st) < 0)
		return shmx__fail(err, -errno, "%s: %s", s->what, strerror(errno));
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < s->file_size)
		return shmx__fail(err, SHMX_ETRUNCATED,
				  "%s: the file has %jd bytes, expected %" PRIu64,
				  s->what, (intmax_t)st.st_size, s->file_size);
	return 0;
}

/* O_DIRECT where it works; buffered reads (noted) where it does not. */
static void choose_direct(struct shmx__stream *s,
			  const struct shmx__stream_opts *o)
{
	uint64_t ra = row_align(o->row_bytes), a, mem;

	if (o->no_direct) {
		note(s, "O_DIRECT off by request");
		return;
	}
	/* Direct reads keep the file's offset modulo 4096 in memory. */
	if (o->data_offset % ra) {
		note(s, "data at byte %" PRIu64 " is not %" PRIu64
		     "-aligned: buffered reads", o->data_offset, ra);
		return;
	}
	a = shmx__io_direct_align(s->user_fd, &mem);
	if (!a) {
		note(s, "no O_DIRECT on this filesystem: buffered reads");
		return;
	}
	if (shmx__io_reopen_direct(&s->io, s->user_fd, O_RDONLY,
				   "open-input") < 0) {
		note(s, "O_DIRECT: %s: buffered reads", strerror(errno));
		return;
	}
	s->fd = s->io.direct_fd;
	s->align = a;
	s->mem_align = mem;
	s->st.used_direct = 1;
}

/* io_uring where the kernel gives us one; pread otherwise (noted).  pread
 * is synchronous, so it reads buffered to profit from readahead. */
static void choose_ring(struct shmx__stream *s,
			const struct shmx__stream_opts *o)
{
	int rc = o->no_uring ? 0 : shmx__io_ring_init(&s->io, s->depth);
	char why[64];

	if (o->no_uring) {
		note(s, "io_uring off by request: pread");
	} else if (rc < 0) {
		note(s, "io_uring: %s%s: pread", strerror(-rc),
		     shmx__io_ring_why(why, sizeof(why), rc));
	} else {
		s->st.used_uring = 1;
		return;
	}
	if (s->io.direct_fd >= 0) {
		s->fd = s->user_fd;
		s->align = 1;
		s->st.used_direct = 0;
		note(s, "buffered for readahead");
	}
}

static int alloc_slots(struct shmx__stream *s, struct shmx_error *err)
{
	uint64_t rows = min_u64(s->plan.chunk_rows, s->plan.rows);
	/* the largest chunk, plus a partial block at each end (picture) */
	uint64_t bytes = SHMX__ALIGN_UP(rows * s->row_bytes + s->align - 1,
					s->align);

	s->slots = shmx__calloc(s->depth, sizeof(*s->slots));
	s->fifo = shmx__calloc(s->depth, sizeof(*s->fifo));
	if (!s->slots || !s->fifo)
		return shmx__fail(err, -ENOMEM, "%s: out of memory", s->what);
	if (shmx__io_bufs_alloc(&s->io, s->depth, s->mem_align, (size_t)bytes))
		return shmx__fail(err, -ENOMEM,
				  "%s: cannot allocate %u read buffers of %zu bytes",
				  s->what, s->depth, (size_t)bytes);
	for (unsigned i = 0; i < s->depth; i++)
		s->slots[i].buf = s->io.buf[i];
	return 0;
}

int shmx__stream_open(struct shmx__stream **out,
		      const struct shmx__stream_opts *o,
		      struct shmx_error *err)
{
	const char *what = o->what ? o->what : "input";
	struct shmx__stream *s;
	int rc;

	*out = NULL;
	rc = check_opts(o, what, err);
	if (rc)
		return rc;
	s = shmx__calloc(1, sizeof(*s));
	if (!s)
		return shmx__fail(err, -ENOMEM, "%s: out of memory", what);
	snprintf(s->what, sizeof(s->what), "%s", what);
	shmx__io_init(&s->io);
	s->fd = s->user_fd = o->fd;
	s->align = 1;
	s->mem_align = SHMX__IO_DIRECT_ALIGN;
	s->data_offset = o->data_offset;
	s->file_size = o->file_size;
	s->row_bytes = o->row_bytes;
	s->plan = *o->plan;
	s->depth = o->queue_depth ? o->queue_depth : SHMX__STREAM_DEPTH_DEFAULT;
	fault_parse(&s->fault);
	rc = check_file(s, err);
	if (rc)
		goto fail;
	choose_direct(s, o);
	choose_ring(s, o);
	rc = alloc_slots(s, err);
	if (rc)
		goto fail;
	if (s->io.uring)
		register_buffers(s);
	*out = s;
	return 0;
fail:
	shmx__stream_close(s);
	return rc;
}

unsigned shmx__stream_default_depth(unsigned workers, uint64_t chunk_bytes,
				    uint64_t nchunks)
{
	uint64_t budget = SHMX__STREAM_INFLIGHT_ALL / (workers ? workers : 1);
	uint64_t d = min_u64(budget, SHMX__STREAM_INFLIGHT) /
		     (chunk_bytes ? chunk_bytes : 1);

	d = d < 2 ? 2 : min_u64(d, SHMX__STREAM_DEPTH_MAX);
	d = min_u64(d, nchunks);
	return d ? (unsigned)d : 1;
}

/* ---- submit, wait, release ------------------------------------------ */

int shmx__stream_submit(struct shmx__stream *s, uint64_t chunk)
{
	unsigned i = 0;

	if (!shmx__io_mine(&s->io))
		return -ECHILD;
	if (s->broken)
		return s->broken;
	if (chunk >= s->plan.nchunks)
		return -EINVAL;
	while (i < s->depth && s->slots[i].state != SLOT_FREE)
		i++;
	if (i == s->depth)
		return -EBUSY;
	plan_read(s, &s->slots[i], chunk);
	s->slots[i].state = SLOT_QUEUED;
	s->fifo[(s->head + s->count++) % s->depth] = i;
	if (s->slots[i].need == s->slots[i].skip) { /* no bytes: R x 0 rows */
		s->slots[i].state = SLOT_READY;
		return 0;
	}
	if (s->align == 1)
		readahead_hint(s, &s->slots[i]);
	if (s->io.uring)
		uring_queue(s, i);
	return 0;
}

/* The message for a chunk whose read failed with code. */
static int read_failed(struct shmx__stream *s, const struct slot *sl,
		       int code, struct shmx_error *err)
{
	uint64_t start = sl->off + sl->skip, end = sl->off + sl->need;
	struct stat st;

	if (code != SHMX_ETRUNCATED)
		return shmx__fail(err, code,
				  "%s: reading chunk %" PRIu64 " (bytes [%" PRIu64
				  ", %" PRIu64 ")): %s",
				  s->what, sl->chunk, start, end, strerror(-code));
	if (fstat(s->user_fd, &st) < 0)
		st.st_size = (off_t)(sl->off + sl->done);
	return shmx__fail(err, code,
			  "%s: truncated during the run: chunk %" PRIu64
			  " needs bytes [%" PRIu64 ", %" PRIu64
			  ") but the file ends at byte %jd (it had %" PRIu64 ")",
			  s->what, sl->chunk, start, end, (intmax_t)st.st_size,
			  s->file_size);
}

/* Take the fifo's entry at pos (0: the head) out of it, closing the gap. */
static unsigned fifo_take(struct shmx__stream *s, unsigned pos)
{
	unsigned i = s->fifo[(s->head + pos) % s->depth];

	for (; pos > 0; pos--)
		s->fifo[(s->head + pos) % s->depth] =
			s->fifo[(s->head + pos - 1) % s->depth];
	s->head = (s->head + 1) % s->depth;
	s->count--;
	return i;
}

static int usable(struct shmx__stream *s, struct shmx_error *err)
{
	if (!shmx__io_mine(&s->io))
		return shmx__fail(err, -ECHILD,
				  "%s: stream used by a process that did not open it",
				  s->what);
	if (s->broken)
		return shmx__fail(err, s->broken, "%s: io_uring: %s", s->what,
				  strerror(-s->broken));
	if (!s->count)
		return shmx__fail(err, -ENODATA, "%s: no chunk submitted", s->what);
	return 0;
}

/* Wait for the chunk at fifo position pos and hand it over. */
static int wait_at(struct shmx__stream *s, unsigned pos, uint64_t *chunk,
		   const void **rows, struct shmx_error *err)
{
	struct slot *sl = &s->slots[s->fifo[(s->head + pos) % s->depth]];
	uint64_t t0 = shmx__now_ns();
	int rc = 0;

	if (s->io.uring)
		rc = uring_wait_slot(s, sl);
	else if (sl->state == SLOT_QUEUED)
		pread_slot(s, sl);
	s->st.wait_ns += shmx__now_ns() - t0;
	if (rc) { /* the ring failed: sl may still be read into */
		s->broken = rc;
		return shmx__fail(err, rc, "%s: io_uring: %s", s->what,
				  strerror(-rc));
	}
	fifo_take(s, pos);
	if (sl->err) {
		sl->state = SLOT_FREE;
		return read_failed(s, sl, sl->err, err);
	}
	sl->state = SLOT_HELD;
	*chunk = sl->chunk;
	*rows = sl->buf + sl->skip;
	return 0;
}

int shmx__stream_wait(struct shmx__stream *s, uint64_t *chunk,
		      const void **rows, struct shmx_error *err)
{
	int rc = usable(s, err);

	return rc ? rc : wait_at(s, 0, chunk, rows, err);
}

int shmx__stream_wait_chunk(struct shmx__stream *s, uint64_t chunk,
			    const void **rows, struct shmx_error *err)
{
	unsigned pos = 0;
	uint64_t got;
	int rc = usable(s, err);

	if (rc)
		return rc;
	while (pos < s->count &&
	       s->slots[s->fifo[(s->head + pos) % s->depth]].chunk != chunk)
		pos++;
	if (pos == s->count)
		return shmx__fail(err, -ENODATA, "%s: chunk %" PRIu64
				  " not submitted", s->what, chunk);
	return wait_at(s, pos, &got, rows, err);
}

bool shmx__stream_ready(struct shmx__stream *s, uint64_t *chunk)
{
	uint64_t tag;
	int res;

	if (!s->count || s->broken || !s->io.uring || !shmx__io_mine(&s->io))
		return false;
	/* DEFER_TASKRUN posts completions only when we enter the kernel */
	io_uring_get_events(&s->io.ring);
	while (shmx__io_take(&s->io, &tag, &res))
		uring_complete(s, tag, res);
	for (unsigned pos = 0; pos < s->count; pos++) {
		const struct slot *sl = &s->slots[s->fifo[(s->head + pos) % s->depth]];

		if (sl->state == SLOT_READY) {
			*chunk = sl->chunk;
			return true;
		}
	}
	return false;
}

void shmx__stream_release(struct shmx__stream *s, const void *rows)
{
	for (unsigned i = 0; i < s->depth; i++) {
		struct slot *sl = &s->slots[i];

		if (sl->state == SLOT_HELD && sl->buf + sl->skip == rows) {
			sl->state = SLOT_FREE;
			return;
		}
	}
}

void shmx__stream_stats(const struct shmx__stream *s,
			struct shmx__stream_stats *st)
{
	*st = s->st;
}

void shmx__stream_close(struct shmx__stream *s)
{
	bool keep_buffers = false;

	if (!s)
		return;
	/* Only the opener has reads in flight; a forked child's copy of the
	 * ring is just unmapped and its descriptor closed.  After a ring
	 * failure the kernel may still write into the buffers: they leak. */
	if (s->io.uring && shmx__io_mine(&s->io)) {
		if (!s->broken && s->slots)
			keep_buffers = uring_drain(s) != 0;
		keep_buffers |= s->broken != 0;
	}
	shmx__io_close(&s->io, keep_buffers);
	shmx__free(s->slots);
	shmx__free(s->fifo);
	shmx__free(s);
}
