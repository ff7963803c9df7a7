/* tests/test_stream.c - engine/io/stream.c: every chunk read through a
 * stream equals what pread reads, for each way a stream can read
 * (io_uring + O_DIRECT, io_uring buffered, pread), over a matrix of data
 * offsets, row sizes, array sizes, chunk sizes and queue depths; chunks
 * come back in submission order for any submit/wait/release pattern;
 * the queue-full, truncation and bad-option errors with their messages;
 * injected short reads, EINTR/EAGAIN, EIO, EINVAL and ECANCELED
 * (SHMX_FAULT, test builds) and real signals while waiting; the
 * fallbacks that the system forces (tmpfs, ramfs, no io_uring, a memlock
 * limit too low for the buffers or the ring); and fork.
 *
 * Files live in a scratch directory under /tmp, which must be on a disk
 * for the O_DIRECT expectations (tests that need that skip otherwise).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/magic.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "format/plan.h"
#include "io/stream.h"
#include "support.h"

static char dir[64];
static char shm_path[256]; /* the tmpfs test's file, removed by teardown */

static void setup(void)
{
	unsetenv("SHMX_FAULT");
	make_tmpdir(dir, sizeof(dir));
}

static void teardown(void)
{
	char mnt[128];

	if (!dir[0])
		return;
	/* the ramfs test's mount, if an assertion left it behind */
	snprintf(mnt, sizeof(mnt), "%s/ram", dir);
	umount2(mnt, MNT_DETACH);
	rm_rf(dir);
	dir[0] = 0;
	if (shm_path[0])
		unlink(shm_path);
	shm_path[0] = 0;
}

TestSuite(stream, .init = setup, .fini = teardown, .timeout = 120);

/* Criterion runs no .fini after cr_skip_test: clean up first. */
#define skip_test(...)                        \
	do {                                  \
		teardown();                   \
		cr_skip_test(__VA_ARGS__);    \
	} while (0)

enum mode { DIRECT, BUFFERED, PREAD };
static const char *const mode_name[] = { "io_uring+O_DIRECT",
					 "io_uring buffered", "pread" };

struct cfg {
	uint64_t offset, row_bytes, rows, chunk_bytes;
	unsigned depth;
	enum mode mode;
};

/* O_DIRECT is only expected to work on a disk filesystem. */
static void need_disk(void)
{
	struct statfs sf;

	cr_assert_eq(statfs(dir, &sf), 0);
	if (sf.f_type == TMPFS_MAGIC || sf.f_type == RAMFS_MAGIC)
		skip_test("/tmp is not on a disk filesystem (O_DIRECT)");
}

/* The file's byte k: no period that divides 4096, so a block read from
 * the wrong place shows. */
static unsigned char byte_at(uint64_t k)
{
	return (unsigned char)((k * UINT64_C(0x9E3779B97F4A7C15)) >> 56);
}

/* The alignment the stream promises for rows (see stream.h). */
static uint64_t row_align(uint64_t row_bytes)
{
	uint64_t low = row_bytes & (~row_bytes + 1);

	return low && low < 8 ? low : 8;
}

/* buf = dir/name. */
static const char *in_dir(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

/* A file of `size` bytes of the pattern at path. */
static void make_file(const char *path, uint64_t size)
{
	unsigned char buf[65536];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	cr_assert(fd >= 0, "cannot create %s", path);
	for (uint64_t k = 0; k < size;) {
		size_t n = size - k < sizeof(buf) ? (size_t)(size - k) : sizeof(buf);

		for (size_t j = 0; j < n; j++)
			buf[j] = byte_at(k + j);
		cr_assert_eq(write(fd, buf, n), (ssize_t)n);
		k += n;
	}
	cr_assert_eq(close(fd), 0);
}

static uint64_t file_bytes(const struct cfg *c)
{
	return c->offset + c->rows * c->row_bytes;
}

static void fill_opts(struct shmx__stream_opts *o, int fd, uint64_t size,
		      const struct shmx__plan *p, const struct cfg *c)
{
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->data_offset = c->offset;
	o->file_size = size;
	o->plan = p;
	o->row_bytes = c->row_bytes;
	o->queue_depth = c->depth;
	o->no_direct = c->mode == BUFFERED;
	o->no_uring = c->mode == PREAD;
	o->what = "t.bin";
}

/* Chunk c of what rows points at equals pread of its bytes, and rows is
 * aligned.  0, or -1 with why filled. */
static int check_chunk(int fd, const struct cfg *c, const struct shmx__plan *p,
		       uint64_t chunk, const void *rows, char *why, size_t n)
{
	uint64_t start = c->offset + shmx__plan_row0(p, chunk) * c->row_bytes;
	size_t len = (size_t)(shmx__plan_nrows(p, chunk) * c->row_bytes);
	unsigned char *want = malloc(len ? len : 1);
	const unsigned char *got = rows;
	size_t k = 0;

	if ((uintptr_t)rows % row_align(c->row_bytes)) {
		snprintf(why, n, "chunk %llu: rows at %p not %llu-aligned",
			 (unsigned long long)chunk, rows,
			 (unsigned long long)row_align(c->row_bytes));
		free(want);
		return -1;
	}
	if (pread(fd, want, len, (off_t)start) != (ssize_t)len) {
		snprintf(why, n, "chunk %llu: pread failed", (unsigned long long)chunk);
		free(want);
		return -1;
	}
	while (k < len && got[k] == want[k])
		k++;
	free(want);
	if (k == len)
		return 0;
	snprintf(why, n, "chunk %llu: byte %zu of %zu (file byte %llu) differs",
		 (unsigned long long)chunk, k, len,
		 (unsigned long long)(start + k));
	return -1;
}

/* Wait for the next chunk, which must be `expect`, check it, release it. */
static int take_one(struct shmx__stream *s, int fd, const struct cfg *c,
		    const struct shmx__plan *p, uint64_t expect, char *why,
		    size_t n)
{
	struct shmx_error err = { 0 };
	const void *rows = NULL;
	uint64_t chunk = UINT64_MAX;
	int rc = shmx__stream_wait(s, &chunk, &rows, &err);

	if (rc) {
		snprintf(why, n, "wait for chunk %llu: %d %s",
			 (unsigned long long)expect, rc, err.msg);
		return -1;
	}
	if (chunk != expect) {
		snprintf(why, n, "wait gave chunk %llu, expected %llu",
			 (unsigned long long)chunk, (unsigned long long)expect);
		return -1;
	}
	rc = check_chunk(fd, c, p, chunk, rows, why, n);
	shmx__stream_release(s, rows);
	return rc;
}

/* Read every chunk of c's plan over path in order, keeping the queue
 * full, comparing each with pread.  0, or -1 with why filled.  Asserts
 * nothing, so forked children can use it. */
static int read_all(const char *path, const struct cfg *c,
		    struct shmx__stream_stats *st, char *why, size_t n)
{
	struct shmx_error err = { 0 };
	struct shmx__stream_opts o;
	struct shmx__stream *s;
	struct shmx__plan p;
	uint64_t next = 0, done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0) {
		snprintf(why, n, "open %s: %s", path, strerror(errno));
		return -1;
	}
	shmx__plan_make(&p, c->rows, c->row_bytes, c->chunk_bytes);
	fill_opts(&o, fd, file_bytes(c), &p, c);
	if (shmx__stream_open(&s, &o, &err)) {
		snprintf(why, n, "open: %s", err.msg);
		close(fd);
		return -1;
	}
	while (!rc && done < p.nchunks) {
		while (next < p.nchunks && shmx__stream_submit(s, next) == 0)
			next++;
		rc = take_one(s, fd, c, &p, done++, why, n);
	}
	if (st)
		shmx__stream_stats(s, st);
	shmx__stream_close(s);
	close(fd);
	return rc;
}

/* read_all, asserting it worked; the failure names the configuration. */
static void expect_reads_all(const char *path, const struct cfg *c,
			     struct shmx__stream_stats *st)
{
	char why[1024] = "";

	cr_assert_eq(read_all(path, c, st, why, sizeof(why)), 0,
		     "offset %llu, rows %llu x %llu bytes, chunk %llu, depth %u, %s: %s",
		     (unsigned long long)c->offset, (unsigned long long)c->rows,
		     (unsigned long long)c->row_bytes,
		     (unsigned long long)c->chunk_bytes, c->depth,
		     mode_name[c->mode], why);
}

/* What the stats must say about how c's stream read, on a disk. */
static void expect_mode(const struct cfg *c, const struct shmx__stream_stats *st)
{
	const char *fb = st->fallback;

	switch (c->mode) {
	case DIRECT:
		cr_assert(st->used_uring, "%s", fb);
		if (c->offset % row_align(c->row_bytes)) {
			cr_assert(!st->used_direct);
			cr_assert(strstr(fb, "-aligned: buffered reads"), "%s", fb);
		} else {
			cr_assert(st->used_direct, "%s", fb);
		}
		break;
	case BUFFERED:
		cr_assert(st->used_uring && !st->used_direct, "%s", fb);
		cr_assert(strstr(fb, "O_DIRECT off by request"), "%s", fb);
		break;
	case PREAD:
		cr_assert(!st->used_uring && !st->used_direct, "%s", fb);
		cr_assert(strstr(fb, "io_uring off by request: pread"), "%s", fb);
		cr_assert(!st->registered_buffers);
		break;
	}
	/* root pins without limit; others may be refused, but never silently */
	if (c->mode != PREAD)
		cr_assert(st->registered_buffers || strstr(fb, "registering"),
			  "%s", fb);
}

Test(stream, every_chunk_equals_pread_across_offsets_rows_sizes_chunks_depths_and_modes)
{
	static const uint64_t offsets[] = { 64, 128, 4096, 100 };
	static const uint64_t rbs[] = { 1, 8, 24, 80 };
	/* data bytes; 1 stands for one row */
	static const uint64_t sizes[] = { 0, 1, 4095, 4096, 4097, (3u << 20) + 4000 };
	static const uint64_t chunks[] = { 1, 1000, 4096, 65544, (1u << 20) - 24 };
	static const unsigned depths[] = { 1, 2, 8 };
	char path[128];
	unsigned runs = 0;

	need_disk();
	for (size_t a = 0; a < 4; a++)
		for (size_t b = 0; b < 4; b++)
			for (size_t z = 0; z < 6; z++) {
				struct cfg c = { .offset = offsets[a], .row_bytes = rbs[b] };

				c.rows = sizes[z] == 1 ? 1 : sizes[z] / rbs[b];
				make_file(in_dir(path, sizeof(path), "m.bin"), file_bytes(&c));
				for (size_t k = 0; k < 5; k++)
					for (size_t d = 0; d < 3; d++)
						for (int m = DIRECT; m <= PREAD; m++) {
							struct shmx__stream_stats st;
							struct shmx__plan p;

							c.chunk_bytes = chunks[k];
							c.depth = depths[d];
							c.mode = (enum mode)m;
							shmx__plan_make(&p, c.rows, c.row_bytes, c.chunk_bytes);
							if (p.nchunks > 300)
								continue; /* 1-byte chunks of MiBs */
							expect_reads_all(path, &c, &st);
							expect_mode(&c, &st);
							cr_assert_geq(st.bytes_read, c.rows * c.row_bytes);
							runs++;
						}
				cr_assert_eq(unlink(path), 0);
			}
	cr_assert_gt(runs, 3000);
}

Test(stream, an_array_followed_by_more_bytes_reads_only_its_rows)
{
	struct cfg c = { .offset = 128, .row_bytes = 24, .rows = 1000,
			 .chunk_bytes = 4800, .depth = 3 };
	char path[128];

	need_disk();
	/* 5000 more bytes after the data: the O_DIRECT superset reads into
	 * them, the rows must not include them */
	make_file(in_dir(path, sizeof(path), "t.bin"), file_bytes(&c) + 5000);
	for (int m = DIRECT; m <= PREAD; m++) {
		struct shmx__stream_stats st;

		c.mode = (enum mode)m;
		expect_reads_all(path, &c, &st);
		expect_mode(&c, &st);
	}
}

/* A small random generator for the submit patterns. */
static uint64_t next_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

struct held {
	uint64_t chunk;
	const void *rows;
};

/* Random submits (any chunk, repeats too), waits and releases against a
 * model: a FIFO of submitted chunks and the list of held ones.  Held
 * chunks are checked again when released: their buffers are not reused
 * meanwhile. */
static void random_pattern(const char *path, const struct cfg *c, uint64_t seed)
{
	uint64_t queue[64], x = seed;
	struct held held[64];
	unsigned qn = 0, hn = 0;
	struct shmx_error err = { 0 };
	struct shmx__stream_opts o;
	struct shmx__stream *s;
	struct shmx__plan p;
	char why[1024] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	cr_assert(fd >= 0);
	shmx__plan_make(&p, c->rows, c->row_bytes, c->chunk_bytes);
	fill_opts(&o, fd, file_bytes(c), &p, c);
	cr_assert_eq(shmx__stream_open(&s, &o, &err), 0, "%s", err.msg);
	for (int step = 0; step < 400; step++) {
		unsigned r = (unsigned)(next_rand(&x) % 3);

		if (r == 0) {
			uint64_t chunk = next_rand(&x) % p.nchunks;
			int rc = shmx__stream_submit(s, chunk);

			cr_assert_eq(rc, qn + hn == c->depth ? -EBUSY : 0,
				     "step %d: submit gave %d with %u queued, %u held",
				     step, rc, qn, hn);
			if (!rc)
				queue[qn++] = chunk;
		} else if (r == 1) {
			uint64_t chunk;
			const void *rows;
			int rc = shmx__stream_wait(s, &chunk, &rows, &err);

			if (!qn) {
				cr_assert_eq(rc, -ENODATA);
				continue;
			}
			cr_assert_eq(rc, 0, "%s", err.msg);
			cr_assert_eq(chunk, queue[0], "step %d: got %llu, want %llu",
				     step, (unsigned long long)chunk,
				     (unsigned long long)queue[0]);
			memmove(queue, queue + 1, --qn * sizeof(*queue));
			cr_assert_eq(check_chunk(fd, c, &p, chunk, rows, why, sizeof(why)), 0,
				     "%s", why);
			held[hn++] = (struct held){ chunk, rows };
		} else if (hn) {
			unsigned i = (unsigned)(next_rand(&x) % hn);

			cr_assert_eq(check_chunk(fd, c, &p, held[i].chunk, held[i].rows,
						 why, sizeof(why)), 0, "held: %s", why);
			shmx__stream_release(s, held[i].rows);
			held[i] = held[--hn];
		}
	}
	shmx__stream_close(s); /* with reads in flight and chunks held */
	close(fd);
}

Test(stream, chunks_come_back_in_submission_order_for_any_submit_wait_release_pattern)
{
	struct cfg c = { .offset = 128, .row_bytes = 24, .rows = 40000,
			 .chunk_bytes = 65536 };
	static const unsigned depths[] = { 1, 2, 3, 8 };
	char path[128];

	need_disk();
	make_file(in_dir(path, sizeof(path), "t.bin"), file_bytes(&c));
	for (int m = DIRECT; m <= PREAD; m++)
		for (size_t d = 0; d < 4; d++) {
			c.mode = (enum mode)m;
			c.depth = depths[d];
			random_pattern(path, &c, 0x9E3779B9u + d * 7 + (uint64_t)m);
		}
}

/* A stream over a fresh t.bin of c (the caller closes both). */
static struct shmx__stream *open_on(const struct cfg *c, struct shmx__plan *p,
				    int *fd)
{
	struct shmx_error err = { 0 };
	struct shmx__stream_opts o;
	struct shmx__stream *s;
	char path[128];

	make_file(in_dir(path, sizeof(path), "t.bin"), file_bytes(c));
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert(*fd >= 0);
	shmx__plan_make(p, c->rows, c->row_bytes, c->chunk_bytes);
	fill_opts(&o, *fd, file_bytes(c), p, c);
	cr_assert_eq(shmx__stream_open(&s, &o, &err), 0, "%s", err.msg);
	return s;
}

Test(stream, a_full_queue_refuses_submits_until_a_chunk_is_released)
{
	struct cfg c = { .offset = 64, .row_bytes = 8, .rows = 10000,
			 .chunk_bytes = 8000, .depth = 2 };
	struct shmx_error err = { 0 };
	struct shmx__plan p;
	const void *r0, *r1, *r2;
	uint64_t chunk;
	int fd;

	for (int m = DIRECT; m <= PREAD; m++) {
		struct shmx__stream *s;

		c.mode = (enum mode)m;
		s = open_on(&c, &p, &fd);
		cr_assert_eq(shmx__stream_submit(s, 0), 0);
		cr_assert_eq(shmx__stream_submit(s, 1), 0);
		cr_assert_eq(shmx__stream_submit(s, 2), -EBUSY);
		cr_assert_eq(shmx__stream_wait(s, &chunk, &r0, &err), 0, "%s", err.msg);
		cr_assert_eq(chunk, 0);
		/* a held chunk still takes its buffer */
		cr_assert_eq(shmx__stream_submit(s, 2), -EBUSY);
		shmx__stream_release(s, r0);
		cr_assert_eq(shmx__stream_submit(s, 2), 0);
		cr_assert_eq(shmx__stream_wait(s, &chunk, &r1, &err), 0, "%s", err.msg);
		cr_assert_eq(chunk, 1);
		cr_assert_eq(shmx__stream_wait(s, &chunk, &r2, &err), 0, "%s", err.msg);
		cr_assert_eq(chunk, 2);
		cr_assert_eq(shmx__stream_submit(s, 3), -EBUSY);
		shmx__stream_release(s, r2);
		shmx__stream_release(s, r1);
		cr_assert_eq(shmx__stream_wait(s, &chunk, &r0, &err), -ENODATA);
		cr_assert_eq(err.code, -ENODATA);
		cr_assert_str_eq(err.msg, "t.bin: no chunk submitted");
		cr_assert_eq(shmx__stream_submit(s, p.nchunks), -EINVAL);
		shmx__stream_close(s);
		close(fd);
	}
}

Test(stream, chunks_can_be_taken_in_any_order_and_ready_names_one_whose_read_is_in)
{
	struct cfg c = { .offset = 128, .row_bytes = 24, .rows = 40000,
			 .chunk_bytes = 65536, .depth = 4 };
	static const uint64_t order[] = { 2, 0, 3, 1 };
	struct shmx_error err = { 0 };
	struct shmx__plan p;
	const void *rows;
	char why[256];
	uint64_t chunk;
	int fd;

	need_disk();
	for (int m = DIRECT; m <= PREAD; m++) {
		struct shmx__stream *s;

		c.mode = (enum mode)m;
		s = open_on(&c, &p, &fd);
		for (uint64_t i = 0; i < 4; i++)
			cr_assert_eq(shmx__stream_submit(s, i), 0);
		cr_assert_eq(shmx__stream_wait_chunk(s, 9, &rows, &err), -ENODATA);
		cr_assert_str_eq(err.msg, "t.bin: chunk 9 not submitted");
		for (size_t k = 0; k < 4; k++) {
			cr_assert_eq(shmx__stream_wait_chunk(s, order[k], &rows, &err), 0,
				     "%s", err.msg);
			cr_assert_eq(check_chunk(fd, &c, &p, order[k], rows, why,
						 sizeof(why)), 0, "%s: %s",
				     mode_name[m], why);
			shmx__stream_release(s, rows);
			/* the freed buffer takes the next chunk; the rest keep their order */
			if (k == 0)
				cr_assert_eq(shmx__stream_submit(s, 4), 0);
		}
		/* the pread stream reads in wait: nothing is ever in before it */
		if (m == PREAD)
			cr_assert(!shmx__stream_ready(s, &chunk));
		/* chunk 4, the only one left, comes in while ready is asked */
		for (int tries = 0; m != PREAD && !shmx__stream_ready(s, &chunk); tries++) {
			cr_assert_lt(tries, 100000, "%s: chunk 4 never ready", mode_name[m]);
			usleep(100);
		}
		if (m != PREAD)
			cr_assert_eq(chunk, 4);
		cr_assert_eq(shmx__stream_wait(s, &chunk, &rows, &err), 0, "%s", err.msg);
		cr_assert_eq(chunk, 4);
		cr_assert_eq(check_chunk(fd, &c, &p, 4, rows, why, sizeof(why)), 0,
			     "%s", why);
		shmx__stream_release(s, rows);
		cr_assert(!shmx__stream_ready(s, &chunk)); /* nothing submitted */
		shmx__stream_close(s);
		close(fd);
	}
}

Test(stream, a_zero_queue_depth_means_the_default)
{
	struct cfg c = { .offset = 128, .row_bytes = 8, .rows = 100,
			 .chunk_bytes = 80 };
	unsigned ok = 0;
	struct shmx__plan p;
	int fd;
	struct shmx__stream *s = open_on(&c, &p, &fd);

	while (shmx__stream_submit(s, ok) == 0)
		ok++;
	cr_assert_eq(ok, SHMX__STREAM_DEPTH_DEFAULT);
	shmx__stream_close(s);
	close(fd);
}

Test(stream, the_default_depth_keeps_a_budget_of_bytes_in_flight)
{
	const uint64_t M = UINT64_C(1) << 20;

	/* 32 MiB a worker, 256 MiB in all */
	cr_assert_eq(shmx__stream_default_depth(1, 4 * M, 1000), 8);
	cr_assert_eq(shmx__stream_default_depth(2, 4 * M, 1000), 8);
	cr_assert_eq(shmx__stream_default_depth(8, 4 * M, 1000), 8);
	cr_assert_eq(shmx__stream_default_depth(16, 4 * M, 1000), 4);
	cr_assert_eq(shmx__stream_default_depth(32, 4 * M, 1000), 2);
	cr_assert_eq(shmx__stream_default_depth(2, 1 * M, 1000), 32);
	cr_assert_eq(shmx__stream_default_depth(2, 3 * M, 1000), 10);
	/* two inputs' chunks are read together: half the depth */
	cr_assert_eq(shmx__stream_default_depth(2, 8 * M, 1000), 4);
	/* at least 2, at most the maximum, never more than the chunks */
	cr_assert_eq(shmx__stream_default_depth(64, 4 * M, 1000), 2);
	cr_assert_eq(shmx__stream_default_depth(1, 256 * M, 1000), 2);
	cr_assert_eq(shmx__stream_default_depth(1, 1, 1000), SHMX__STREAM_DEPTH_MAX);
	cr_assert_eq(shmx__stream_default_depth(1, 8, 1000), SHMX__STREAM_DEPTH_MAX);
	cr_assert_eq(shmx__stream_default_depth(2, 4 * M, 3), 3);
	cr_assert_eq(shmx__stream_default_depth(2, 4 * M, 1), 1);
	cr_assert_eq(shmx__stream_default_depth(2, 4 * M, 0), 1);
	cr_assert_eq(shmx__stream_default_depth(0, 0, 1000), /* no zero divide */
		     SHMX__STREAM_DEPTH_MAX);
}

Test(stream, contradictory_options_are_einval_with_a_message)
{
	struct cfg c = { .offset = 128, .row_bytes = 8, .rows = 100,
			 .chunk_bytes = 80 };
	struct shmx_error err = { 0 };
	struct shmx__stream_opts o;
	struct shmx__stream *s = (void *)1;
	struct shmx__plan p;
	char path[128];
	int fd;

	make_file(in_dir(path, sizeof(path), "t.bin"), file_bytes(&c));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	shmx__plan_make(&p, c.rows, c.row_bytes, c.chunk_bytes);

	fill_opts(&o, fd, file_bytes(&c), &p, &c);
	o.queue_depth = SHMX__STREAM_DEPTH_MAX + 1;
	cr_assert_eq(shmx__stream_open(&s, &o, &err), -EINVAL);
	cr_assert_null(s);
	cr_assert_str_eq(err.msg, "t.bin: queue depth 257 is over 256");

	fill_opts(&o, fd, 900, &p, &c);
	cr_assert_eq(shmx__stream_open(&s, &o, &err), -EINVAL);
	cr_assert_str_eq(err.msg,
			 "t.bin: 100 rows of 8 bytes at offset 128 do not fit in 900 bytes");

	fill_opts(&o, -1, file_bytes(&c), &p, &c);
	cr_assert_eq(shmx__stream_open(&s, &o, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "t.bin: stream needs a file and a plan");
	close(fd);
}

Test(stream, a_file_already_shorter_than_expected_is_truncated_at_open)
{
	struct cfg c = { .offset = 128, .row_bytes = 8, .rows = 100,
			 .chunk_bytes = 80 };
	struct shmx_error err = { 0 };
	struct shmx__stream_opts o;
	struct shmx__stream *s;
	struct shmx__plan p;
	char path[128];
	int fd;

	make_file(in_dir(path, sizeof(path), "t.bin"), 1000);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	shmx__plan_make(&p, c.rows, c.row_bytes, c.chunk_bytes);
	fill_opts(&o, fd, 2000, &p, &c);
	cr_assert_eq(shmx__stream_open(&s, &o, &err), SHMX_ETRUNCATED);
	cr_assert_eq(err.code, SHMX_ETRUNCATED);
	cr_assert_str_eq(err.msg, "t.bin: the file has 1000 bytes, expected 2000");
	close(fd);
}

Test(stream, a_file_truncated_during_the_run_is_etruncated_naming_the_bytes)
{
	/* 16 chunks of 64 KiB at byte 128; the file is cut inside chunk 4 */
	struct cfg c = { .offset = 128, .row_bytes = 8, .rows = 131072,
			 .chunk_bytes = 65536, .depth = 4 };
	static const char *const want[] = {
		"t.bin: truncated during the run: chunk 4 needs bytes [262272, 327808) "
		"but the file ends at byte 300128 (it had 1048704)",
		"t.bin: truncated during the run: chunk 5 needs bytes [327808, 393344) "
		"but the file ends at byte 300128 (it had 1048704)",
	};
	char why[1024] = "", path[128];

	for (int m = DIRECT; m <= PREAD; m++) {
		struct shmx_error err = { 0 };
		struct shmx__stream_stats st;
		struct shmx__stream *s;
		struct shmx__plan p;
		const void *rows;
		uint64_t chunk, next = 0;
		int fd;

		c.mode = (enum mode)m;
		s = open_on(&c, &p, &fd);
		cr_assert_eq(truncate(in_dir(path, sizeof(path), "t.bin"), 128 + 300000), 0);
		for (uint64_t i = 0; i < 4; i++) {
			while (shmx__stream_submit(s, next) == 0)
				next++;
			cr_assert_eq(take_one(s, fd, &c, &p, i, why, sizeof(why)), 0,
				     "%s: %s", mode_name[m], why);
		}
		for (int i = 0; i < 2; i++) {
			while (shmx__stream_submit(s, next) == 0)
				next++;
			cr_assert_eq(shmx__stream_wait(s, &chunk, &rows, &err),
				     SHMX_ETRUNCATED, "%s: %s", mode_name[m], err.msg);
			cr_assert_eq(err.code, SHMX_ETRUNCATED);
			cr_assert_str_eq(err.msg, want[i], "%s", mode_name[m]);
		}
		shmx__stream_stats(s, &st);
		cr_assert_geq(st.short_reads, 1, "%s", mode_name[m]);
		shmx__stream_close(s);
		close(fd);
	}
}

Test(stream, an_empty_array_has_no_chunks_to_read)
{
	struct cfg c = { .offset = 128, .row_bytes = 8, .rows = 0 };
	struct shmx_error err = { 0 };
	struct shmx__plan p;
	const void *rows;
	uint64_t chunk;
	int fd;

	for (int m = DIRECT; m <= PREAD; m++) {
		struct shmx__stream *s;

		c.mode = (enum mode)m;
		s = open_on(&c, &p, &fd);
		cr_assert_eq(p.nchunks, 0);
		cr_assert_eq(shmx__stream_submit(s, 0), -EINVAL);
		cr_assert_eq(shmx__stream_wait(s, &chunk, &rows, &err), -ENODATA);
		shmx__stream_close(s);
		close(fd);
	}
}

Test(stream, rows_of_zero_bytes_come_back_without_a_read)
{
	struct cfg c = { .offset = 128, .row_bytes = 0, .rows = 5 };
	struct shmx_error err = { 0 };
	struct shmx__stream_stats st;
	struct shmx__plan p;
	const void *rows = NULL;
	uint64_t chunk = 9;
	int fd;

	for (int m = DIRECT; m <= PREAD; m++) {
		struct shmx__stream *s;

		c.mode = (enum mode)m;
		s = open_on(&c, &p, &fd);
		cr_assert_eq(p.nchunks, 1);
		cr_assert_eq(shmx__stream_submit(s, 0), 0);
		cr_assert_eq(shmx__stream_wait(s, &chunk, &rows, &err), 0, "%s", err.msg);
		cr_assert_eq(chunk, 0);
		cr_assert_not_null(rows);
		shmx__stream_release(s, rows);
		shmx__stream_stats(s, &st);
		cr_assert_eq(st.reads, 0);
		shmx__stream_close(s);
		close(fd);
	}
}

Test(stream, closing_with_reads_in_flight_and_chunks_held_waits_for_the_reads)
{
	struct cfg c = { .offset = 4096, .row_bytes = 80, .rows = 100000,
			 .chunk_bytes = 1 << 20, .depth = 8 };
	struct shmx_error err = { 0 };
	struct shmx__plan p;
	const void *rows;
	uint64_t chunk;
	int fd;

	for (int m = DIRECT; m <= PREAD; m++) {
		struct shmx__stream *s;

		c.mode = (enum mode)m;
		s = open_on(&c, &p, &fd);
		for (uint64_t i = 0; i < c.depth; i++)
			cr_assert_eq(shmx__stream_submit(s, i), 0);
		cr_assert_eq(shmx__stream_wait(s, &chunk, &rows, &err), 0, "%s", err.msg);
		shmx__stream_close(s);
		close(fd);
	}
}

/* ---- injected faults (SHMX_FAULT, test builds) ---------------------- */

/* Whether this build carries the SHMX_FAULT hooks (test builds do;
 * -DSHMX_FAULT_INJECTION=OFF does not): a stream-eio:1 read fails. */
static int faults_built(void)
{
	struct cfg c = { .row_bytes = 8, .rows = 16, .chunk_bytes = 128,
			 .depth = 1, .mode = PREAD };
	struct shmx_error err = { 0 };
	struct shmx__plan p;
	const void *rows;
	uint64_t chunk;
	int fd, rc;
	struct shmx__stream *s;

	cr_assert_eq(setenv("SHMX_FAULT", "stream-eio:1", 1), 0);
	s = open_on(&c, &p, &fd);
	cr_assert_eq(shmx__stream_submit(s, 0), 0);
	rc = shmx__stream_wait(s, &chunk, &rows, &err);
	shmx__stream_close(s);
	close(fd);
	unsetenv("SHMX_FAULT");
	return rc == -EIO;
}

/* read_all under SHMX_FAULT=fault for every mode; the stats of each. */
static void read_all_with_fault(const char *fault, const struct cfg *base,
				struct shmx__stream_stats st[3])
{
	char path[128];

	make_file(in_dir(path, sizeof(path), "t.bin"), file_bytes(base));
	cr_assert_eq(setenv("SHMX_FAULT", fault, 1), 0);
	for (int m = DIRECT; m <= PREAD; m++) {
		struct cfg c = *base;

		c.mode = (enum mode)m;
		expect_reads_all(path, &c, &st[m]);
		expect_mode(&c, &st[m]); /* O_DIRECT kept: no EINVAL fallback */
	}
	unsetenv("SHMX_FAULT");
}

Test(stream, short_reads_are_resumed_where_they_stopped)
{
	/* unaligned offsets and a cap that is not a whole block: O_DIRECT
	 * must resume on a block boundary */
	struct cfg big = { .offset = 64, .row_bytes = 24, .rows = 40000,
			   .chunk_bytes = 65544, .depth = 3 };
	struct cfg small = { .offset = 100, .row_bytes = 1, .rows = 4097,
			     .chunk_bytes = 1000, .depth = 2 };
	struct shmx__stream_stats st[3];

	need_disk();
	if (!faults_built())
		skip_test("built without SHMX_FAULT_INJECTION");
	read_all_with_fault("stream-short:5000", &big, st);
	for (int m = DIRECT; m <= PREAD; m++)
		cr_assert_gt(st[m].short_reads, 0, "%s", mode_name[m]);
	read_all_with_fault("stream-short:1", &small, st);
	for (int m = DIRECT; m <= PREAD; m++)
		cr_assert_gt(st[m].short_reads, 0, "%s", mode_name[m]);
}

Test(stream, eintr_and_eagain_results_are_retried)
{
	struct cfg c = { .offset = 128, .row_bytes = 8, .rows = 100000,
			 .chunk_bytes = 65536, .depth = 4 };
	struct shmx__stream_stats st[3];
	struct shmx__plan p;

	need_disk();
	if (!faults_built())
		skip_test("built without SHMX_FAULT_INJECTION");
	shmx__plan_make(&p, c.rows, c.row_bytes, c.chunk_bytes);
	read_all_with_fault("stream-again:2", &c, st);
	for (int m = DIRECT; m <= PREAD; m++)
		cr_assert_geq(st[m].reads, 2 * p.nchunks - 1, "%s", mode_name[m]);
}

Test(stream, a_read_error_is_reported_with_its_chunk_and_bytes_and_the_stream_goes_on)
{
	struct cfg c = { .offset = 128, .row_bytes = 8, .rows = 10000,
			 .chunk_bytes = 8000, .depth = 1 };
	char why[1024] = "";

	if (!faults_built())
		skip_test("built without SHMX_FAULT_INJECTION");
	cr_assert_eq(setenv("SHMX_FAULT", "stream-eio:3", 1), 0);
	for (int m = DIRECT; m <= PREAD; m++) {
		struct shmx_error err = { 0 };
		struct shmx__stream *s;
		struct shmx__plan p;
		const void *rows;
		uint64_t chunk;
		int fd, rc;

		c.mode = (enum mode)m;
		s = open_on(&c, &p, &fd);
		for (uint64_t i = 0; i < 2; i++) {
			cr_assert_eq(shmx__stream_submit(s, i), 0);
			cr_assert_eq(take_one(s, fd, &c, &p, i, why, sizeof(why)), 0, "%s", why);
		}
		cr_assert_eq(shmx__stream_submit(s, 2), 0);
		rc = shmx__stream_wait(s, &chunk, &rows, &err);
		cr_assert_eq(rc, -EIO, "%s: %s", mode_name[m], err.msg);
		cr_assert_str_eq(err.msg,
				 "t.bin: reading chunk 2 (bytes [16128, 24128)): Input/output error");
		/* the buffer is free again, and the next read works */
		cr_assert_eq(shmx__stream_submit(s, 3), 0);
		cr_assert_eq(take_one(s, fd, &c, &p, 3, why, sizeof(why)), 0, "%s", why);
		shmx__stream_close(s);
		close(fd);
	}
}

Test(stream, a_filesystem_refusing_our_o_direct_reads_gets_buffered_reads_and_says_so)
{
	struct cfg c = { .offset = 4096, .row_bytes = 8, .rows = 100000,
			 .chunk_bytes = 65536, .depth = 4, .mode = DIRECT };
	struct shmx__stream_stats st;
	char path[128];

	need_disk();
	if (!faults_built())
		skip_test("built without SHMX_FAULT_INJECTION");
	make_file(in_dir(path, sizeof(path), "t.bin"), file_bytes(&c));
	/* the third read says EINVAL, with reads of other chunks in flight */
	cr_assert_eq(setenv("SHMX_FAULT", "stream-einval:3", 1), 0);
	expect_reads_all(path, &c, &st);
	unsetenv("SHMX_FAULT");
	cr_assert(st.used_uring && !st.used_direct);
	cr_assert_str_eq(st.fallback, "O_DIRECT read: Invalid argument: buffered");
}

Test(stream, a_read_that_io_uring_drops_is_done_with_pread_and_said_so)
{
	struct cfg c = { .offset = 64, .row_bytes = 24, .rows = 40000,
			 .chunk_bytes = 65544, .depth = 4 };
	char path[128];

	need_disk();
	if (!faults_built())
		skip_test("built without SHMX_FAULT_INJECTION");
	make_file(in_dir(path, sizeof(path), "t.bin"), file_bytes(&c));
	/* as when io-wq cannot start a worker for a read it took over */
	cr_assert_eq(setenv("SHMX_FAULT", "stream-ecanceled:2", 1), 0);
	for (int m = DIRECT; m <= BUFFERED; m++) {
		struct shmx__stream_stats st;

		c.mode = (enum mode)m;
		expect_reads_all(path, &c, &st);
		expect_mode(&c, &st);
		cr_assert(strstr(st.fallback, "io_uring dropped a read: pread"),
			  "%s", st.fallback);
	}
	unsetenv("SHMX_FAULT");
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

Test(stream, signals_arriving_while_waiting_do_not_break_the_reads)
{
	struct cfg c = { .offset = 128, .row_bytes = 8, .rows = 1 << 20,
			 .chunk_bytes = 65536, .depth = 2 };
	struct itimerval every = { { 0, 200 }, { 0, 200 } }, off = { { 0, 0 }, { 0, 0 } };
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
	char path[128], why[3][1024] = { "", "", "" };
	int rc[3];

	need_disk();
	make_file(in_dir(path, sizeof(path), "t.bin"), file_bytes(&c));
	cr_assert_eq(sigaction(SIGALRM, &sa, NULL), 0);
	/* no assertions while the timer runs: they talk to the runner */
	setitimer(ITIMER_REAL, &every, NULL);
	for (int m = DIRECT; m <= PREAD; m++) {
		c.mode = (enum mode)m;
		rc[m] = read_all(path, &c, NULL, why[m], sizeof(why[m]));
	}
	setitimer(ITIMER_REAL, &off, NULL);
	for (int m = DIRECT; m <= PREAD; m++)
		cr_assert_eq(rc[m], 0, "%s: %s", mode_name[m], why[m]);
	cr_assert_gt(alarms, 0);
}

/* ---- fallbacks the system forces ------------------------------------- */

Test(stream, a_tmpfs_file_reads_correctly_and_says_how)
{
	struct cfg c = { .offset = 128, .row_bytes = 24, .rows = 5000,
			 .chunk_bytes = 10000, .depth = 2 };
	char name[128];

	test_shm_name(name, sizeof(name), "stream");
	snprintf(shm_path, sizeof(shm_path), "/dev/shm/%s", name);
	make_file(shm_path, file_bytes(&c));
	for (int m = DIRECT; m <= PREAD; m++) {
		struct shmx__stream_stats st;

		c.mode = (enum mode)m;
		expect_reads_all(shm_path, &c, &st);
		/* Linux 6.6 and later give tmpfs O_DIRECT; before, open
		 * refuses it: either way the stats say which */
		if (m == DIRECT)
			cr_assert(st.used_direct || strstr(st.fallback, "O_DIRECT"),
				  "%s", st.fallback);
	}
}

Test(stream, a_filesystem_without_o_direct_gets_buffered_reads_and_says_so)
{
	struct cfg c = { .offset = 128, .row_bytes = 8, .rows = 5000,
			 .chunk_bytes = 10000, .depth = 2, .mode = DIRECT };
	struct shmx__stream_stats st;
	char mnt[128], path[256];

	/* ramfs has no O_DIRECT; mount one in a private namespace (this
	 * test's process only) */
	snprintf(mnt, sizeof(mnt), "%s/ram", dir);
	cr_assert_eq(mkdir(mnt, 0700), 0);
	if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("ramfs", mnt, "ramfs", 0, NULL) < 0)
		skip_test("needs root and a private mount namespace");
	snprintf(path, sizeof(path), "%s/t.bin", mnt);
	make_file(path, file_bytes(&c));
	expect_reads_all(path, &c, &st);
	cr_assert(st.used_uring && !st.used_direct);
	cr_assert(strstr(st.fallback, "O_DIRECT"), "%s", st.fallback);
	cr_assert(strstr(st.fallback, "buffered reads"), "%s", st.fallback);
	umount2(mnt, MNT_DETACH);
}

/* In a child: make io_uring_setup fail with `e` (as a kernel without
 * io_uring, or with it disabled), then read everything.  The exit status
 * says how it went: 0 pread as expected, 1 wrong data, 2 the fallback
 * not recorded, 77 no seccomp here. */
static int child_without_uring(const char *path, const struct cfg *c, int e,
			       const char *expect)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)e),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(*f), f };
	struct shmx__stream_stats st;
	char why[1024] = "";

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return 77;
	if (read_all(path, c, &st, why, sizeof(why))) {
		fprintf(stderr, "%s\n", why);
		return 1;
	}
	if (st.used_uring || !strstr(st.fallback, expect)) {
		fprintf(stderr, "fallback: %s\n", st.fallback);
		return 2;
	}
	return 0;
}

static int exit_status_of(pid_t pid)
{
	int status;

	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "child died with status %d", status);
	return WEXITSTATUS(status);
}

Test(stream, a_kernel_without_io_uring_gets_pread_and_says_why)
{
	struct cfg c = { .offset = 64, .row_bytes = 8, .rows = 50000,
			 .chunk_bytes = 65536, .depth = 4, .mode = DIRECT };
	static const struct {
		int e;
		const char *expect;
	} cases[] = {
		{ ENOSYS, "io_uring: Function not implemented: pread" },
		{ EPERM, "io_uring: Operation not permitted" },
	};
	char path[128];

	make_file(in_dir(path, sizeof(path), "t.bin"), file_bytes(&c));
	for (size_t i = 0; i < 2; i++) {
		pid_t pid = fork();
		int rc;

		cr_assert(pid >= 0);
		if (pid == 0)
			_exit(child_without_uring(path, &c, cases[i].e, cases[i].expect));
		rc = exit_status_of(pid);
		if (rc == 77)
			skip_test("no seccomp filters here");
		cr_assert_eq(rc, 0, "%s: child exit %d (stderr says why)",
			     cases[i].expect, rc);
	}
}

/* Drop CAP_IPC_LOCK (root pins without limit otherwise). */
static int drop_ipc_lock(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	d[0].effective &= ~(1u << CAP_IPC_LOCK);
	d[0].permitted &= ~(1u << CAP_IPC_LOCK);
	return (int)syscall(SYS_capset, &h, d);
}

/* In a child without CAP_IPC_LOCK and with `memlock` bytes of
 * allowance: 0 when the stream read correctly and its stats say
 * `expect` (and pread or plain buffers as that implies), 77 when the
 * limit could not be set or the kernel ignored it. */
static int child_with_memlock(const char *path, const struct cfg *c,
			      rlim_t memlock, const char *expect)
{
	struct rlimit rl = { memlock, memlock };
	struct shmx__stream_stats st;
	char why[1024] = "";

	if (drop_ipc_lock() < 0 && geteuid() == 0)
		return 77;
	if (setrlimit(RLIMIT_MEMLOCK, &rl) < 0)
		return 77;
	if (read_all(path, c, &st, why, sizeof(why))) {
		fprintf(stderr, "%s\n", why);
		return 1;
	}
	if (st.registered_buffers)
		return 77;
	if (!strstr(st.fallback, expect)) {
		fprintf(stderr, "fallback: %s\n", st.fallback);
		return 2;
	}
	return 0;
}

Test(stream, a_memlock_limit_too_low_gets_plain_buffers_or_pread_and_says_so)
{
	struct cfg c = { .offset = 4096, .row_bytes = 8, .rows = 1 << 18,
			 .chunk_bytes = 1 << 20, .depth = 4, .mode = DIRECT };
	/* enough for a small ring (on kernels that count it), not for 4 MiB
	 * of buffers; and nothing at all */
	static const struct {
		rlim_t memlock;
		const char *expect;
	} cases[] = {
		{ 256 << 10, "KiB: Cannot allocate memory (memlock 256 KiB): plain buffers" },
		{ 0, "Cannot allocate memory (memlock 0 KiB)" },
	};
	char path[128];

	need_disk();
	make_file(in_dir(path, sizeof(path), "t.bin"), file_bytes(&c));
	for (size_t i = 0; i < 2; i++) {
		pid_t pid = fork();
		int rc;

		cr_assert(pid >= 0);
		if (pid == 0)
			_exit(child_with_memlock(path, &c, cases[i].memlock,
						 cases[i].expect));
		rc = exit_status_of(pid);
		if (rc == 77)
			skip_test("cannot lower the memlock allowance here");
		cr_assert_eq(rc, 0, "%s: child exit %d (stderr says why)",
			     cases[i].expect, rc);
	}
}

/* ---- fork -------------------------------------------------------------- */

Test(stream, streams_opened_in_forked_children_read_there_each_with_its_own_ring)
{
	struct cfg c = { .offset = 128, .row_bytes = 80, .rows = 50000,
			 .chunk_bytes = 100000, .depth = 4, .mode = DIRECT };
	struct shmx__stream_stats st;
	pid_t pids[2];
	char path[128], why[1024] = "";

	need_disk();
	make_file(in_dir(path, sizeof(path), "t.bin"), file_bytes(&c));
	for (int i = 0; i < 2; i++) {
		pids[i] = fork();
		cr_assert(pids[i] >= 0);
		if (pids[i] == 0) {
			int rc = read_all(path, &c, &st, why, sizeof(why));

			if (rc)
				fprintf(stderr, "%s\n", why);
			_exit(rc ? 1 : !(st.used_uring && st.used_direct) ? 2 : 0);
		}
	}
	expect_reads_all(path, &c, &st); /* and the parent, meanwhile */
	for (int i = 0; i < 2; i++)
		cr_assert_eq(exit_status_of(pids[i]), 0);
}

Test(stream, a_stream_opened_before_fork_is_refused_in_the_child_and_goes_on_in_the_parent)
{
	struct cfg c = { .offset = 128, .row_bytes = 8, .rows = 100000,
			 .chunk_bytes = 65536, .depth = 4 };
	char why[1024] = "";

	for (int m = DIRECT; m <= PREAD; m++) {
		struct shmx__stream *s;
		struct shmx__plan p;
		pid_t pid;
		int fd;

		c.mode = (enum mode)m;
		s = open_on(&c, &p, &fd);
		cr_assert_eq(shmx__stream_submit(s, 0), 0);
		cr_assert_eq(shmx__stream_submit(s, 1), 0);
		pid = fork();
		cr_assert(pid >= 0);
		if (pid == 0) {
			struct shmx_error err = { 0 };
			const void *rows;
			uint64_t chunk;
			int bad = shmx__stream_submit(s, 2) != -ECHILD;

			bad |= shmx__stream_wait(s, &chunk, &rows, &err) != -ECHILD;
			bad |= strcmp(err.msg, "t.bin: stream used by a process that "
					       "did not open it") != 0;
			shmx__stream_close(s); /* frees the child's copy only */
			_exit(bad);
		}
		cr_assert_eq(exit_status_of(pid), 0, "%s", mode_name[m]);
		for (uint64_t i = 0; i < 2; i++)
			cr_assert_eq(take_one(s, fd, &c, &p, i, why, sizeof(why)), 0,
				     "%s: %s", mode_name[m], why);
		shmx__stream_close(s);
		close(fd);
	}
}
