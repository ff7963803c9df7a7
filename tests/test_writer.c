/* tests/test_writer.c - engine/io/writer.c: the chunks of several plans
 * written into a file on a disk (/var/tmp: O_DIRECT) with io_uring and
 * O_DIRECT, buffered, and with pwrite (the no_direct / no_uring options and
 * the fallbacks), in order and out of order, compared byte for byte; the
 * done callback once per chunk; what the stats and the fallback note say;
 * short writes and write errors when the fault hooks are on; misuse; and
 * that close waits for writes in flight and leaves no descriptor open. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shmx/shmx.h"
#include "base/fault.h"
#include "format/plan.h"
#include "io/writer.h"
#include "support.h"

static char dir[64], path[128];

/* A scratch directory on a disk: /tmp may be a tmpfs, which has no
 * O_DIRECT. */
static void setup(void)
{
	unsetenv("SHMX_FAULT");
	shm_guard_begin();
	snprintf(dir, sizeof(dir), "/var/tmp/shmx-test-XXXXXX");
	cr_assert(mkdtemp(dir), "cannot make a directory in /var/tmp");
	snprintf(path, sizeof(path), "%s/out.npy", dir);
}

static void teardown(void)
{
	unsetenv("SHMX_FAULT");
	if (dir[0])
		rm_rf(dir);
	dir[0] = '\0';
	shm_guard_end();
}

TestSuite(writer, .init = setup, .fini = teardown, .timeout = 120);

/* Criterion runs no .fini after cr_skip_test: clean up first. */
#define skip_test(...)                     \
	do {                               \
		teardown();                \
		cr_skip_test(__VA_ARGS__); \
	} while (0)

static void need_hooks(void)
{
	if (!shmx__fault_enabled())
		skip_test("this build has no fault hooks "
			  "(-DSHMX_FAULT_INJECTION=OFF)");
}

static int on_disk(void)
{
	struct statfs sf;

	cr_assert_eq(statfs(dir, &sf), 0);
	return sf.f_type != TMPFS_MAGIC && sf.f_type != RAMFS_MAGIC;
}

/* The data's byte k: no period that divides 4096, so a block written to
 * the wrong place shows. */
static unsigned char byte_at(uint64_t k)
{
	return (unsigned char)((k * UINT64_C(0x9E3779B97F4A7C15)) >> 56);
}

#define HEADER_BYTE 0x5a /* what stands before the data: never written */
#define BLANK_BYTE 0xee  /* what stands in the data until written */

enum mode { DIRECT, BUFFERED, PWRITE_DIRECT, PWRITE };
static const char *const mode_name[] = { "io_uring+O_DIRECT",
					 "io_uring buffered",
					 "pwrite+O_DIRECT", "pwrite" };

struct cfg {
	uint64_t offset, row_bytes, rows, chunk_bytes;
	unsigned depth;
	enum mode mode;
	int order; /* 0 in order, 1 backwards, 2 two held at once, swapped */
};

struct run {
	struct cfg c;
	struct shmx__plan plan;
	struct shmx__writer *w;
	unsigned *done; /* callbacks per chunk */
	uint64_t last_compute_ns;
	struct shmx__writer_stats st;
};

static void on_done(void *ctx, uint64_t chunk, uint64_t compute_ns)
{
	struct run *r = ctx;

	cr_assert(chunk < r->plan.nchunks, "done(%llu) of %llu chunks",
		  (unsigned long long)chunk, (unsigned long long)r->plan.nchunks);
	r->done[chunk]++;
	r->last_compute_ns = compute_ns;
}

/* The output file: header bytes, then blank data, of the plan's size. */
static int make_output(const struct cfg *c)
{
	uint64_t data = c->rows * c->row_bytes, size = c->offset + data;
	char *buf = malloc(size ? size : 1);
	int fd;

	cr_assert(buf);
	memset(buf, HEADER_BYTE, c->offset);
	memset(buf + c->offset, BLANK_BYTE, data);
	write_whole_file(path, buf, size);
	free(buf);
	fd = open(path, O_RDWR | O_CLOEXEC);
	cr_assert(fd >= 0);
	return fd;
}

static void open_writer(struct run *r, int fd)
{
	struct shmx__writer_opts o = {
		.fd = fd, .data_offset = r->c.offset, .row_bytes = r->c.row_bytes,
		.plan = &r->plan, .depth = r->c.depth,
		.no_direct = r->c.mode == BUFFERED || r->c.mode == PWRITE,
		.no_uring = r->c.mode == PWRITE_DIRECT || r->c.mode == PWRITE,
		.what = "out.npy", .done = on_done, .ctx = r,
	};
	struct shmx_error err = { 0 };

	shmx__plan_make(&r->plan, r->c.rows, r->c.row_bytes, r->c.chunk_bytes);
	r->done = calloc(r->plan.nchunks + 1, sizeof(*r->done));
	cr_assert(r->done);
	cr_assert_eq(shmx__writer_open(&r->w, &o, &err), 0, "%s", err.msg);
}

/* Fill chunk's rows in buf with the data's bytes. */
static void fill_chunk(const struct run *r, uint64_t chunk, unsigned char *buf)
{
	uint64_t first = shmx__plan_row0(&r->plan, chunk) * r->c.row_bytes;
	uint64_t len = shmx__plan_nrows(&r->plan, chunk) * r->c.row_bytes;

	for (uint64_t k = 0; k < len; k++)
		buf[k] = byte_at(first + k);
}

/* get, fill and put chunk; the error, if any, into err. */
static int write_chunk(struct run *r, uint64_t chunk, struct shmx_error *err)
{
	void *rows;
	int rc = shmx__writer_get(r->w, chunk, &rows, err);

	if (rc)
		return rc;
	/* the rows sit at the file offset modulo a block, so that the
	 * middle of the chunk can go out with O_DIRECT */
	cr_assert_eq((uintptr_t)rows % 4096,
		     (r->c.offset + shmx__plan_row0(&r->plan, chunk) *
					    r->c.row_bytes) % 4096,
		     "chunk %llu's rows are not where the file's are in a block",
		     (unsigned long long)chunk);
	fill_chunk(r, chunk, rows);
	return shmx__writer_put(r->w, rows, 1000 + chunk, err);
}

/* Two chunks held at once, put in the other order. */
static int write_pair(struct run *r, uint64_t a, uint64_t b,
		      struct shmx_error *err)
{
	void *ra, *rb;
	int rc = shmx__writer_get(r->w, a, &ra, err);

	if (!rc)
		rc = shmx__writer_get(r->w, b, &rb, err);
	if (rc)
		return rc;
	fill_chunk(r, a, ra);
	fill_chunk(r, b, rb);
	rc = shmx__writer_put(r->w, rb, 1000 + b, err);
	return rc ? rc : shmx__writer_put(r->w, ra, 1000 + a, err);
}

/* Every chunk in the cfg's order, then flush: 0 or the first error. */
static int write_all(struct run *r, struct shmx_error *err)
{
	uint64_t n = r->plan.nchunks;
	int rc = 0;

	for (uint64_t i = 0; i < n && !rc; i++) {
		if (r->c.order == 1)
			rc = write_chunk(r, n - 1 - i, err);
		else if (r->c.order == 2 && i + 1 < n)
			rc = write_pair(r, i, i + 1, err), i++;
		else
			rc = write_chunk(r, i, err);
	}
	return rc ? rc : shmx__writer_flush(r->w, err);
}

static void close_writer(struct run *r)
{
	shmx__writer_stats(r->w, &r->st);
	shmx__writer_close(r->w);
	r->w = NULL;
	free(r->done);
	r->done = NULL;
}

/* The file must hold the header bytes, then every data byte in place. */
static void expect_file(const struct cfg *c, const char *what)
{
	size_t len;
	unsigned char *got = (unsigned char *)read_whole_file(path, &len);
	uint64_t data = c->rows * c->row_bytes;

	cr_assert_eq(len, c->offset + data, "%s: file of %zu bytes", what, len);
	for (uint64_t k = 0; k < c->offset; k++)
		cr_assert_eq(got[k], HEADER_BYTE, "%s: header byte %llu written",
			     what, (unsigned long long)k);
	for (uint64_t k = 0; k < data; k++)
		cr_assert_eq(got[c->offset + k], byte_at(k),
			     "%s: data byte %llu of %llu is %#x, not %#x", what,
			     (unsigned long long)k, (unsigned long long)data,
			     got[c->offset + k], byte_at(k));
	free(got);
}

/* What the stats and fallback note must say for c's mode. */
static void expect_stats(const struct cfg *c, const struct shmx__writer_stats *st,
			 const char *what)
{
	int want_direct = (c->mode == DIRECT || c->mode == PWRITE_DIRECT) &&
			  c->offset % 4096 == 0;
	int want_uring = c->mode == DIRECT || c->mode == BUFFERED;

	cr_expect_eq(st->bytes_written, c->rows * c->row_bytes, "%s", what);
	cr_expect_leq(st->direct_bytes, st->bytes_written, "%s", what);
	cr_expect_eq(st->short_writes, 0, "%s", what);
	if (!want_uring) {
		cr_expect(!st->used_uring, "%s", what);
		cr_expect(strstr(st->fallback, "io_uring writes off by request: pwrite"),
			  "%s: %s", what, st->fallback);
	} else if (!st->used_uring) { /* a kernel without it: said why */
		cr_expect(strstr(st->fallback, "io_uring for writes"), "%s: %s",
			  what, st->fallback);
	}
	if (c->mode == BUFFERED || c->mode == PWRITE) {
		cr_expect(!st->used_direct && !st->direct_bytes, "%s", what);
		cr_expect(strstr(st->fallback, "O_DIRECT writes off by request"),
			  "%s: %s", what, st->fallback);
	} else if (c->offset % 4096) {
		cr_expect(!st->used_direct, "%s", what);
		cr_expect(strstr(st->fallback, "buffered writes"), "%s: %s", what,
			  st->fallback);
	} else if (on_disk()) {
		cr_expect(st->used_direct, "%s: %s", what, st->fallback);
	}
	/* a chunk that covers a whole aligned block writes it directly */
	if (want_direct && st->used_direct &&
	    c->rows * c->row_bytes >= 2 * 4096 + c->chunk_bytes)
		cr_expect_gt(st->direct_bytes, 0, "%s", what);
}

/* Write c's plan; the file and stats must be right. */
static void check(const struct cfg *c)
{
	struct run r = { .c = *c };
	struct shmx_error err = { 0 };
	char what[160];
	int fd = make_output(c);

	snprintf(what, sizeof(what),
		 "%s, offset %llu, %llu rows of %llu bytes, chunks of %llu, "
		 "depth %u, order %d", mode_name[c->mode],
		 (unsigned long long)c->offset, (unsigned long long)c->rows,
		 (unsigned long long)c->row_bytes,
		 (unsigned long long)c->chunk_bytes, c->depth, c->order);
	open_writer(&r, fd);
	cr_assert_eq(write_all(&r, &err), 0, "%s: %s", what, err.msg);
	for (uint64_t i = 0; i < r.plan.nchunks; i++)
		cr_assert_eq(r.done[i], 1, "%s: chunk %llu done %u times", what,
			     (unsigned long long)i, r.done[i]);
	close_writer(&r);
	close(fd);
	expect_file(c, what);
	expect_stats(c, &r.st, what);
}

/* ---- the matrix ------------------------------------------------------ */

Test(writer, every_plan_in_every_mode_writes_the_same_bytes)
{
	static const uint64_t row_bytes[] = { 8, 24, 4096, 12345 };
	static const uint64_t rows[] = { 1, 7, 150 };
	static const uint64_t chunks[] = { 4096, 10000, 65536 };
	static const unsigned depths[] = { 1, 3, 0 };

	for (int m = DIRECT; m <= PWRITE; m++)
		for (size_t b = 0; b < sizeof(row_bytes) / sizeof(*row_bytes); b++)
			for (size_t n = 0; n < sizeof(rows) / sizeof(*rows); n++)
				for (size_t k = 0; k < sizeof(chunks) / sizeof(*chunks); k++) {
					struct cfg c = {
						.offset = 4096, .row_bytes = row_bytes[b],
						.rows = rows[n], .chunk_bytes = chunks[k],
						.depth = depths[(b + n + k) % 3],
						.mode = (enum mode)m,
						.order = (int)((b + k) % 3),
					};

					if (c.order == 2 && c.depth == 1)
						c.depth = 2; /* two held at once */
					check(&c);
				}
}

Test(writer, odd_rows_across_many_blocks_in_every_mode)
{
	for (int m = DIRECT; m <= PWRITE; m++)
		for (int order = 0; order < 3; order++) {
			struct cfg c = { .offset = 4096, .row_bytes = 3,
					 .rows = 100003, .chunk_bytes = 50000,
					 .depth = 2, .mode = (enum mode)m,
					 .order = order };

			check(&c);
		}
}

Test(writer, data_at_an_unaligned_offset_is_written_buffered)
{
	for (int m = DIRECT; m <= PWRITE; m++) {
		struct cfg c = { .offset = 128, .row_bytes = 24, .rows = 5000,
				 .chunk_bytes = 16384, .mode = (enum mode)m };

		check(&c);
	}
}

Test(writer, empty_rows_are_done_without_writing)
{
	for (int m = DIRECT; m <= PWRITE; m++) {
		struct cfg c = { .offset = 4096, .row_bytes = 0, .rows = 10,
				 .mode = (enum mode)m };

		check(&c);
	}
}

Test(writer, done_gets_the_compute_time_put_was_given)
{
	struct cfg c = { .offset = 4096, .row_bytes = 8, .rows = 10,
			 .chunk_bytes = 4096, .mode = DIRECT };
	struct run r = { .c = c };
	struct shmx_error err = { 0 };
	int fd = make_output(&c);

	open_writer(&r, fd);
	cr_assert_eq(write_all(&r, &err), 0, "%s", err.msg);
	cr_expect_eq(r.last_compute_ns, 1000); /* one chunk, chunk 0 */
	close_writer(&r);
	close(fd);
}

/* ---- misuse ---------------------------------------------------------- */

Test(writer, refuses_a_chunk_past_the_plan_and_a_buffer_it_did_not_give)
{
	struct cfg c = { .offset = 4096, .row_bytes = 8, .rows = 100,
			 .chunk_bytes = 400, .depth = 1, .mode = DIRECT };
	struct run r = { .c = c };
	struct shmx_error err = { 0 };
	int fd = make_output(&c);
	void *rows;
	char other[64];

	open_writer(&r, fd);
	cr_expect_eq(shmx__writer_get(r.w, r.plan.nchunks, &rows, &err), -EINVAL);
	cr_expect_str_eq(err.msg, "out.npy: no chunk 2");
	cr_expect_eq(shmx__writer_put(r.w, other, 0, &err), -EINVAL);
	cr_expect_str_eq(err.msg, "out.npy: not a held buffer");
	cr_assert_eq(shmx__writer_get(r.w, 0, &rows, &err), 0, "%s", err.msg);
	/* the one buffer is held, not written: no buffer to wait for */
	cr_expect_eq(shmx__writer_get(r.w, 1, &rows, &err), -EBUSY);
	cr_expect_str_eq(err.msg, "out.npy: no free buffer");
	close_writer(&r);
	close(fd);
}

Test(writer, refuses_a_process_that_did_not_open_it)
{
	struct cfg c = { .offset = 4096, .row_bytes = 8, .rows = 100,
			 .mode = DIRECT };
	struct run r = { .c = c };
	struct shmx_error err = { 0 };
	int fd = make_output(&c), status;
	pid_t pid;

	open_writer(&r, fd);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		void *rows;
		int rc = shmx__writer_get(r.w, 0, &rows, &err);

		_exit(rc == -ECHILD &&
		      !strcmp(err.msg, "out.npy: writer used by another process")
		      ? 0 : 1);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_eq(write_all(&r, &err), 0, "%s", err.msg); /* still ours */
	close_writer(&r);
	close(fd);
	expect_file(&c, "after a child's try");
}

/* ---- closing --------------------------------------------------------- */

Test(writer, close_waits_for_writes_in_flight_and_closes_what_it_opened)
{
	for (int m = DIRECT; m <= PWRITE; m++) {
		struct cfg c = { .offset = 4096, .row_bytes = 4096, .rows = 64,
				 .chunk_bytes = 65536, .mode = (enum mode)m };
		struct run r = { .c = c };
		struct shmx_error err = { 0 };
		int fd = make_output(&c), before = count_open_fds();

		open_writer(&r, fd);
		for (uint64_t i = 0; i < r.plan.nchunks; i++)
			cr_assert_eq(write_chunk(&r, i, &err), 0, "%s", err.msg);
		close_writer(&r); /* no flush */
		cr_expect_eq(count_open_fds(), before, "%s", mode_name[m]);
		close(fd);
		expect_file(&c, mode_name[m]);
	}
	shmx__writer_close(NULL);
}

/* ---- with the fault hooks -------------------------------------------- */

Test(writer, short_writes_are_resumed)
{
	static const char *const caps[] = { "write-short:1000", "write-short:5000",
					    "write-short:1" };

	need_hooks();
	for (size_t i = 0; i < sizeof(caps) / sizeof(*caps); i++)
		for (int m = DIRECT; m <= PWRITE; m++) {
			struct cfg c = { .offset = 4096, .row_bytes = 24,
					 .rows = 3000, .chunk_bytes = 20000,
					 .depth = 2, .mode = (enum mode)m };
			struct run r = { .c = c };
			struct shmx_error err = { 0 };
			int fd = make_output(&c);

			setenv("SHMX_FAULT", caps[i], 1);
			open_writer(&r, fd);
			cr_assert_eq(write_all(&r, &err), 0, "%s: %s", caps[i],
				     err.msg);
			close_writer(&r);
			close(fd);
			unsetenv("SHMX_FAULT");
			expect_file(&c, caps[i]);
			cr_expect_gt(r.st.short_writes, 0, "%s, %s", caps[i],
				     mode_name[m]);
			cr_expect_eq(r.st.bytes_written, c.rows * c.row_bytes);
		}
}

/* Under fault, writing every chunk must fail with code and a message
 * naming a chunk and its bytes; the failed chunk is never done. */
static void expect_write_error(const char *fault, enum mode m, int code)
{
	struct cfg c = { .offset = 4096, .row_bytes = 8, .rows = 4096,
			 .chunk_bytes = 8192, .depth = 2, .mode = m };
	struct run r = { .c = c };
	struct shmx_error err = { 0 };
	char want[64];
	unsigned done = 0;
	void *rows;
	int fd = make_output(&c), rc;

	setenv("SHMX_FAULT", fault, 1);
	open_writer(&r, fd);
	rc = write_all(&r, &err);
	cr_expect_eq(rc, code, "%s, %s: %d (%s)", fault, mode_name[m], rc,
		     err.msg);
	snprintf(want, sizeof(want), ": %s", strerror(-code));
	cr_expect(!strncmp(err.msg, "out.npy: writing chunk ", 23) &&
		  strstr(err.msg, " (bytes [") && strstr(err.msg, want),
		  "%s: %s", fault, err.msg);
	for (uint64_t i = 0; i < r.plan.nchunks; i++)
		done += r.done[i];
	cr_expect_lt(done, r.plan.nchunks, "%s: every chunk done", fault);
	/* the error stays: a later call says it again */
	memset(&err, 0, sizeof(err));
	cr_expect_eq(shmx__writer_get(r.w, 0, &rows, &err), code);
	cr_expect(strstr(err.msg, want), "%s", err.msg);
	close_writer(&r);
	close(fd);
	unsetenv("SHMX_FAULT");
}

Test(writer, a_failed_write_is_the_error_of_every_later_call)
{
	need_hooks();
	for (int m = DIRECT; m <= PWRITE; m++) {
		expect_write_error("write-eio:2", (enum mode)m, -EIO);
		expect_write_error("write-enospc:1", (enum mode)m, -ENOSPC);
		expect_write_error("write-eio:3:persist", (enum mode)m, -EIO);
	}
}

Test(writer, a_refused_direct_write_falls_back_to_buffered)
{
	need_hooks();
	if (!on_disk())
		skip_test("/var/tmp is not on a disk filesystem (O_DIRECT)");
	for (int m = DIRECT; m <= PWRITE_DIRECT; m += PWRITE_DIRECT - DIRECT) {
		struct cfg c = { .offset = 4096, .row_bytes = 8, .rows = 8192,
				 .chunk_bytes = 16384, .depth = 2,
				 .mode = (enum mode)m };
		struct run r = { .c = c };
		struct shmx_error err = { 0 };
		int fd = make_output(&c);

		setenv("SHMX_FAULT", "write-einval:2", 1);
		open_writer(&r, fd);
		cr_assert_eq(write_all(&r, &err), 0, "%s", err.msg);
		close_writer(&r);
		close(fd);
		unsetenv("SHMX_FAULT");
		expect_file(&c, "write-einval:2");
		cr_expect(!r.st.used_direct, "%s", mode_name[m]);
		cr_expect(strstr(r.st.fallback,
				 "O_DIRECT write refused (EINVAL): buffered writes"),
			  "%s: %s", mode_name[m], r.st.fallback);
	}
}

Test(writer, no_io_uring_falls_back_to_pwrite)
{
	struct cfg c = { .offset = 4096, .row_bytes = 24, .rows = 2000,
			 .chunk_bytes = 8192, .mode = DIRECT };
	struct run r = { .c = c };
	struct shmx_error err = { 0 };
	int fd;

	need_hooks();
	fd = make_output(&c);
	setenv("SHMX_FAULT", "uring-setup:1", 1);
	open_writer(&r, fd);
	cr_assert_eq(write_all(&r, &err), 0, "%s", err.msg);
	close_writer(&r);
	close(fd);
	unsetenv("SHMX_FAULT");
	expect_file(&c, "uring-setup:1");
	cr_expect(!r.st.used_uring);
	cr_expect(strstr(r.st.fallback,
			 "io_uring for writes: Function not implemented: pwrite"),
		  "%s", r.st.fallback);
}

Test(writer, out_of_memory_at_open_leaves_nothing)
{
	struct cfg c = { .offset = 4096, .row_bytes = 8, .rows = 100,
			 .mode = DIRECT };
	struct shmx__writer_opts o = { .data_offset = 4096, .row_bytes = 8,
				       .what = "out.npy", .done = on_done };
	struct shmx_error err = { 0 };
	struct shmx__writer *w = (void *)1;
	struct shmx__plan plan;
	int fd, before, rc;

	need_hooks();
	fd = make_output(&c);
	before = count_open_fds();
	shmx__plan_make(&plan, c.rows, c.row_bytes, 0);
	o.fd = fd;
	o.plan = &plan;
	for (int n = 1; n <= 4; n++) {
		char fault[32];

		snprintf(fault, sizeof(fault), "alloc:%d", n);
		setenv("SHMX_FAULT", fault, 1);
		rc = shmx__writer_open(&w, &o, &err);
		unsetenv("SHMX_FAULT");
		if (rc == 0) { /* fewer allocations than n */
			shmx__writer_close(w);
			break;
		}
		cr_expect_eq(rc, -ENOMEM, "%s", fault);
		cr_expect_null(w, "%s", fault);
		cr_expect(!strncmp(err.msg, "out.npy: ", 9), "%s: %s", fault,
			  err.msg);
		cr_expect_eq(count_open_fds(), before, "%s", fault);
	}
	close(fd);
}
