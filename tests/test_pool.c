/* tests/test_pool.c - supervising the worker pool: every chunk exactly
 * once for any worker count, deaths recovered or reported, fork failures
 * clean, a mapping truncated under a worker an error, a chunk left undone
 * a failure, the caller's children left alone.  The claim protocol,
 * the perf gate, the progress bar and the default worker count have
 * files of their own (test_claim.c, test_perfctl.c, test_progress.c,
 * test_workers.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec/pool.h"
#include "shmx/error.h"
#include "support.h"

/* A shared counter per chunk: how many times it was computed to the end. */
struct counts {
	_Atomic uint32_t *n;
	uint64_t kill_chunk; /* the first worker to reach it dies */
	_Atomic int killed;
	int fail_chunk_code;
};

static struct counts *counts_new(uint64_t nchunks)
{
	struct counts *c = mmap(NULL, sizeof(*c) + nchunks * 4 + 4,
				PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	cr_assert(c != MAP_FAILED);
	c->n = (void *)(c + 1);
	c->kill_chunk = UINT64_MAX;
	return c;
}

static int count_chunk(void *ctx, uint64_t chunk, uint64_t row0, uint64_t nrows)
{
	struct counts *c = ctx;

	(void)row0;
	(void)nrows;
	if (chunk == c->kill_chunk && atomic_exchange(&c->killed, 1) == 0)
		raise(SIGKILL);
	if (c->fail_chunk_code && chunk == c->kill_chunk)
		return c->fail_chunk_code;
	atomic_fetch_add(&c->n[chunk], 1);
	return 0;
}

static int run(struct counts *c, struct shmx__plan *p, unsigned workers,
	       unsigned retries, struct shmx_error *err)
{
	struct shmx__pool_task t = { .plan = p, .run = count_chunk, .ctx = c };
	struct shmx__pool_opts o = { .workers = workers, .retries = retries,
				     .what = "test" };
	struct shmx__pool_report rep;
	int rc = shmx__pool_run(&t, &o, &rep, err);

	shmx__pool_report_free(&rep);
	return rc;
}

Test(pool, every_chunk_once_for_any_worker_count)
{
	static const unsigned workers[] = { 1, 2, 3, 8 };

	for (size_t w = 0; w < 4; w++) {
		struct shmx__plan p;
		struct counts *c;

		shmx__plan_make(&p, 1001, 8, 80); /* 10 rows a chunk, 101 chunks */
		c = counts_new(p.nchunks);
		cr_assert_eq(run(c, &p, workers[w], 1, NULL), 0);
		for (uint64_t i = 0; i < p.nchunks; i++)
			cr_assert_eq(c->n[i], 1, "chunk %lu ran %u times with -j%u",
				     (unsigned long)i, c->n[i], workers[w]);
	}
}

Test(pool, a_killed_worker_has_its_chunk_rerun)
{
	struct shmx__plan p;
	struct counts *c;
	struct shmx_error err = { 0 };

	shmx__plan_make(&p, 100, 8, 8);
	c = counts_new(p.nchunks);
	c->kill_chunk = 37;
	cr_assert_eq(run(c, &p, 2, 1, &err), 0, "%s", err.msg);
	cr_assert_eq(c->killed, 1);
	for (uint64_t i = 0; i < p.nchunks; i++)
		cr_assert_eq(c->n[i], 1);
}

Test(pool, without_retries_a_death_fails_naming_worker_signal_and_rows)
{
	struct shmx__plan p;
	struct counts *c;
	struct shmx_error err = { 0 };

	shmx__plan_make(&p, 100, 8, 80); /* 10 rows a chunk */
	c = counts_new(p.nchunks);
	c->kill_chunk = 3;
	cr_assert_eq(run(c, &p, 2, 0, &err), SHMX_EWORKER);
	cr_assert(strstr(err.msg, "killed by SIGKILL at rows 30-39"), "%s",
		  err.msg);
	cr_assert(strstr(err.msg, "test: worker "), "%s", err.msg);
}

Test(pool, a_chunk_error_fails_the_run_with_its_code)
{
	struct shmx__plan p;
	struct counts *c;
	struct shmx_error err = { 0 };

	shmx__plan_make(&p, 10, 8, 8);
	c = counts_new(p.nchunks);
	c->kill_chunk = 4;
	c->killed = 1; /* no kill: return the error instead */
	c->fail_chunk_code = -ENOSPC;
	cr_assert_eq(run(c, &p, 2, 1, &err), -ENOSPC);
	cr_assert(strstr(err.msg, "failed at rows 4-4"), "%s", err.msg);
}

Test(pool, fork_failure_is_a_clean_error)
{
	struct rlimit rl, none;
	struct shmx__plan p;
	struct counts *c;
	struct shmx_error err = { 0 };

	/* root ignores RLIMIT_NPROC: become nobody (this test is its own
	 * process) */
	if (geteuid() == 0 && (setgid(65534) || setuid(65534)))
		cr_skip_test("cannot drop root, and root ignores RLIMIT_NPROC");
	shmx__plan_make(&p, 10, 8, 8);
	c = counts_new(p.nchunks);
	/* the soft limit only, and back after the run: LeakSanitizer's exit
	 * check needs a process of its own */
	cr_assert_eq(getrlimit(RLIMIT_NPROC, &rl), 0);
	none = (struct rlimit){ 0, rl.rlim_max };
	cr_assert_eq(setrlimit(RLIMIT_NPROC, &none), 0);
	cr_assert_eq(run(c, &p, 2, 1, &err), -EAGAIN);
	cr_assert_eq(setrlimit(RLIMIT_NPROC, &rl), 0);
	cr_assert(strstr(err.msg, "cannot start a worker"), "%s", err.msg);
}

/* A worker loop that returns 0 while it still holds a chunk: the run
 * must not pass for done (claim.h, invariant 2). */
static int claim_one_and_leave(void *ctx, struct shmx__claimer *k)
{
	uint64_t c;

	(void)ctx;
	shmx__claim(k, &c);
	return 0;
}

/* One worker over 10 chunks of one row, with the task's function or
 * loop. */
static int run_alone(struct shmx__pool_task *t, unsigned retries,
		     struct shmx_error *err)
{
	struct shmx__plan p;
	struct shmx__pool_opts o = { .workers = 1, .retries = retries,
				     .what = "test" };

	shmx__plan_make(&p, 10, 8, 8);
	t->plan = &p;
	return shmx__pool_run(t, &o, NULL, err);
}

Test(pool, a_chunk_left_undone_fails_the_run)
{
	struct shmx__pool_task t = { .worker = claim_one_and_leave };
	struct shmx_error err = { 0 };

	cr_assert_eq(run_alone(&t, 1, &err), SHMX_EWORKER);
	cr_assert_str_eq(err.msg, "test: chunk 0 was not computed");
}

/* A file of `rows` rows of 4096 bytes, mapped, then cut to `keep` rows:
 * the chunk function reads every row of its chunk through the mapping. */
struct mapped {
	char dir[256];
	const volatile char *map;
	size_t len;
	_Atomic uint64_t *sum; /* shared: keeps the reads from being elided */
};

static int read_rows(void *ctx, uint64_t chunk, uint64_t row0, uint64_t nrows)
{
	struct mapped *m = ctx;

	(void)chunk;
	for (uint64_t r = row0; r < row0 + nrows; r++)
		atomic_fetch_add(m->sum, (uint64_t)m->map[r * 4096]);
	return 0;
}

static void mapped_make(struct mapped *m, uint64_t rows, uint64_t keep)
{
	char path[300];
	int fd;

	make_tmpdir(m->dir, sizeof(m->dir));
	snprintf(path, sizeof(path), "%s/in", m->dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	cr_assert(fd >= 0);
	m->len = rows * 4096;
	cr_assert_eq(ftruncate(fd, (off_t)m->len), 0);
	m->map = mmap(NULL, m->len, PROT_READ, MAP_SHARED, fd, 0);
	cr_assert(m->map != MAP_FAILED);
	cr_assert_eq(ftruncate(fd, (off_t)(keep * 4096)), 0);
	close(fd);
	m->sum = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert(m->sum != MAP_FAILED);
}

static void mapped_free(struct mapped *m)
{
	munmap((void *)m->map, m->len);
	munmap((void *)m->sum, 4096);
	rm_rf(m->dir);
}

static int run_mapped(struct mapped *m, unsigned workers, unsigned retries,
		      const char *input, struct shmx__pool_report *rep,
		      struct shmx_error *err)
{
	struct shmx__plan p;
	struct shmx__pool_task t = { .plan = &p, .run = read_rows, .ctx = m };
	struct shmx__pool_opts o = { .workers = workers, .retries = retries,
				     .what = "test", .input = input };

	shmx__plan_make(&p, 64, 4096, 4 * 4096); /* 4 rows a chunk, 16 chunks */
	return shmx__pool_run(&t, &o, rep, err);
}

Test(pool, a_mapping_truncated_under_a_worker_is_an_error_not_a_retry)
{
	struct mapped m;
	struct shmx__pool_report rep;
	struct shmx_error err = { 0 };
	char want[128];

	/* rows 0-39 left: chunk 10 (rows 40-43) is the first past the end */
	mapped_make(&m, 64, 40);
	cr_assert_eq(run_mapped(&m, 1, 3, "in.npy", &rep, &err), SHMX_ETRUNCATED,
		     "%s", err.msg);
	snprintf(want, sizeof(want), "test: in.npy shrank during the run: "
		 "worker %d took SIGBUS at rows 40-43 (chunk 10)", rep.w[0].pid);
	cr_assert_str_eq(err.msg, want);
	cr_assert_eq(rep.spawned, 1, "a SIGBUS is not retried");
	shmx__pool_report_free(&rep);
	mapped_free(&m);
}

Test(pool, a_truncated_mapping_with_many_workers_names_the_input)
{
	struct mapped m;
	struct shmx__pool_report rep;
	struct shmx_error err = { 0 };

	mapped_make(&m, 64, 0);
	cr_assert_eq(run_mapped(&m, 3, 5, NULL, &rep, &err), SHMX_ETRUNCATED);
	cr_assert(strstr(err.msg, "test: the input shrank during the run: "
				  "worker "), "%s", err.msg);
	cr_assert(strstr(err.msg, " took SIGBUS at rows "), "%s", err.msg);
	cr_assert_leq(rep.spawned, 3, "no replacement after a SIGBUS");
	shmx__pool_report_free(&rep);
	mapped_free(&m);
}

static int raise_sigbus(void *ctx, uint64_t chunk, uint64_t row0,
			uint64_t nrows)
{
	(void)ctx;
	(void)row0;
	(void)nrows;
	if (chunk == 2)
		raise(SIGBUS);
	return 0;
}

Test(pool, a_sigbus_sent_by_a_process_is_a_death_like_any_other)
{
	struct shmx__pool_task t = { .run = raise_sigbus };
	struct shmx_error err = { 0 };

	cr_assert_eq(run_alone(&t, 0, &err), SHMX_EWORKER);
	cr_assert(strstr(err.msg, "killed by SIGBUS at rows 2-2"), "%s", err.msg);
}

Test(pool, the_callers_own_children_are_left_alone)
{
	struct shmx__plan p;
	struct counts *c;
	int status;
	pid_t mine = fork();

	cr_assert(mine >= 0);
	if (mine == 0)
		_exit(42);
	/* it exits during the run; its status must still be ours to take */
	shmx__plan_make(&p, 100, 8, 8);
	c = counts_new(p.nchunks);
	cr_assert_eq(run(c, &p, 2, 1, NULL), 0);
	cr_assert_eq(waitpid(mine, &status, 0), mine);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 42);
}
