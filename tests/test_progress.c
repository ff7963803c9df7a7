/* tests/test_progress.c - the progress bar: its line as a pure function
 * of the figures (bar, percentage, rate, the read and written parts), and
 * the pool drawing it on stderr with a final line at 100%. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "exec/pool.h"
#include "exec/progress.h"
#include "support.h"

#define DOTS40 "........................................"
#define HASH40 "########################################"

/* "[###...]" with `fill` marks of 40, as the bar draws it. */
static const char *bar(int fill)
{
	static char b[43];

	b[0] = '[';
	memset(b + 1, '#', (size_t)fill);
	memset(b + 1 + fill, '.', (size_t)(40 - fill));
	b[41] = ']';
	b[42] = '\0';
	return b;
}

static void expect_line(const struct shmx__progress *p, int final,
			const char *want)
{
	char line[512];

	shmx__progress_line(line, sizeof(line), p, final);
	cr_assert_str_eq(line, want);
}

/* The same with the bar given by its marks: head, the bar, tail. */
static void expect_bar(const struct shmx__progress *p, int final, int fill,
		       const char *head, const char *tail)
{
	char want[512];

	snprintf(want, sizeof(want), "%s%s%s", head, bar(fill), tail);
	expect_line(p, final, want);
}

Test(progress, nothing_done_yet_is_an_empty_bar_at_no_rate)
{
	struct shmx__progress p = { .what = "sum", .nchunks = 10, .rows = 100,
				    .bytes_per_row = 8, .workers = 2 };

	expect_line(&p, 0, "\rsum [" DOTS40 "]   0% 0.00 GB/s\033[K");
}

Test(progress, half_done_fills_half_the_bar_and_gives_the_rate)
{
	/* 1000 rows of 4 MB: 4 GB, half of it in 1 s */
	struct shmx__progress p = { .what = "sum", .done = 5, .nchunks = 10,
				    .rows = 1000, .bytes_per_row = 4000000,
				    .elapsed_s = 1.0, .workers = 2 };

	expect_bar(&p, 0, 20, "\rsum ", "  50% 2.00 GB/s\033[K");
}

Test(progress, a_third_rounds_down)
{
	struct shmx__progress p = { .what = "x", .done = 1, .nchunks = 3,
				    .rows = 3, .bytes_per_row = 1000000000,
				    .elapsed_s = 2.0, .workers = 1 };

	/* 40 / 3 = 13.3 marks, 33.3%, 1 GB in 2 s */
	expect_bar(&p, 0, 13, "\rx ", "  33% 0.50 GB/s\033[K");
}

Test(progress, the_final_line_is_full_and_ends_the_line)
{
	struct shmx__progress p = { .what = "gen", .done = 4, .nchunks = 4,
				    .rows = 10, .bytes_per_row = 100000000,
				    .elapsed_s = 0.5, .workers = 1 };

	expect_line(&p, 1, "\rgen [" HASH40 "] 100% 2.00 GB/s\033[K\n");
}

Test(progress, a_plan_without_chunks_counts_as_done)
{
	struct shmx__progress p = { .what = "sum", .workers = 1 };

	expect_line(&p, 1, "\rsum [" HASH40 "] 100% 0.00 GB/s\033[K\n");
}

Test(progress, streaming_workers_add_what_they_read_and_wrote)
{
	/* 2 workers for 1 s: 2 worker-seconds; 0.7 s waiting is 35% */
	struct shmx__progress p = { .what = "sum", .nchunks = 10,
				    .elapsed_s = 1.0, .workers = 2,
				    .bytes_read = 600000000,
				    .read_wait_ns = 700000000,
				    .bytes_written = 1230000000,
				    .write_wait_ns = 100000000 };

	expect_line(&p, 0, "\rsum [" DOTS40 "]   0% 0.00 GB/s, read 0.60 GB "
			   "(wait 35%), written 1.23 GB (wait 5%)\033[K");
	p.bytes_read = 0;
	expect_line(&p, 0, "\rsum [" DOTS40 "]   0% 0.00 GB/s, written 1.23 GB "
			   "(wait 5%)\033[K");
}

Test(progress, no_time_yet_is_no_wait_share)
{
	struct shmx__progress p = { .what = "sum", .nchunks = 1, .workers = 2,
				    .bytes_read = 10000000,
				    .read_wait_ns = 5 };

	expect_line(&p, 0, "\rsum [" DOTS40 "]   0% 0.00 GB/s, read 0.01 GB "
			   "(wait 0%)\033[K");
}

Test(progress, a_short_buffer_gets_a_terminated_prefix)
{
	struct shmx__progress p = { .what = "sum", .nchunks = 1, .workers = 1 };
	char line[8];

	shmx__progress_line(line, sizeof(line), &p, 0);
	cr_assert_str_eq(line, "\rsum [.");
}

static int nothing(void *ctx, uint64_t chunk, uint64_t row0, uint64_t nrows)
{
	(void)ctx;
	(void)chunk;
	(void)row0;
	(void)nrows;
	return 0;
}

/* stderr goes to a memfd (no file left anywhere) during the run. */
Test(progress, the_pool_ends_its_bar_at_100_percent_on_stderr)
{
	struct shmx__plan p;
	struct shmx__pool_task t = { .plan = &p, .run = nothing,
				     .bytes_per_row = 8 };
	struct shmx__pool_opts o = { .workers = 2, .what = "test",
				     .progress = 1 };
	int fd = memfd_create("stderr", 0), saved = dup(2);
	char *out, *last;
	size_t len;
	off_t end;

	cr_assert(fd >= 0 && saved >= 0);
	cr_assert_eq(dup2(fd, 2), 2);
	shmx__plan_make(&p, 100, 8, 80);
	cr_assert_eq(shmx__pool_run(&t, &o, NULL, NULL), 0);
	cr_assert_eq(dup2(saved, 2), 2);
	end = lseek(fd, 0, SEEK_CUR);
	cr_assert_gt(end, 0);
	len = (size_t)end;
	out = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	cr_assert(out != MAP_FAILED);
	/* the last line drawn, from its \r to the end */
	last = memrchr(out, '\r', len);
	cr_assert(last);
	cr_assert(!memcmp(last, "\rtest [" HASH40 "] 100% ", 54), "%.*s",
		  (int)(out + len - last), last);
	cr_assert(out + len - last > 54 + 9);
	cr_assert(!memcmp(out + len - 9, " GB/s\033[K\n", 9));
	munmap(out, len);
	close(fd);
	close(saved);
}
