/* tests/test_journal.c - engine/store/journal.c and the C API of
 * crash-safe --in-place runs (shmx/journal.h): the journal's name, its
 * headers (the newer whole one counts; none whole is "damaged"), saved
 * records and their rollback (a torn record, one of an old epoch or of a
 * chunk marked done is never applied), the refusal, and shmx_resume /
 * shmx_interrupted end to end.  Every test works in its own scratch
 * directory. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shmx/shmx.h"
#include "base/fault.h"
#include "store/journal.h"
#include "support.h"

TestSuite(journal, .init = scratch_begin, .fini = scratch_end, .timeout = 30);

/* A target in the scratch directory and a run of 4 chunks of 2 rows of
 * 8 bytes (the last chunk one row). */
static void setup(struct shmx_target *t, struct shmx__journal_run *r)
{
	char path[256];

	cr_assert_eq(shmx_target_parse(in_scratch(path, sizeof(path), "a.npy"),
				       t, NULL), 0);
	memset(r, 0, sizeof(*r));
	snprintf(r->op, sizeof(r->op), "scale:2");
	r->rows = 7;
	r->chunk_rows = 2;
	r->nchunks = 4;
	r->row_bytes = 8;
	r->data_bytes = 56;
	r->lanes = 2;
}

static void journal_path(const struct shmx_target *t, char *buf, size_t len)
{
	cr_assert_eq(shmx__journal_path(t, buf, len), 0);
}

Test(journal, sum_tells_bytes_and_lengths_apart)
{
	char a[100] = { 0 }, b[100] = { 0 };

	cr_expect_eq(shmx__journal_sum(a, 100, 0), shmx__journal_sum(b, 100, 0));
	cr_expect_neq(shmx__journal_sum(a, 100, 0), shmx__journal_sum(a, 99, 0));
	cr_expect_neq(shmx__journal_sum(a, 100, 0), shmx__journal_sum(a, 100, 1));
	for (int i = 0; i < 100; i++) {
		b[i] = 1;
		cr_expect_neq(shmx__journal_sum(a, 100, 0),
			      shmx__journal_sum(b, 100, 0), "byte %d", i);
		b[i] = 0;
	}
}

Test(journal, path_is_beside_the_target_or_too_long)
{
	struct shmx_target t;
	char path[4096], want[4096], name[300];

	cr_assert_eq(shmx_target_parse("dir/a.npy", &t, NULL), 0);
	journal_path(&t, path, sizeof(path));
	cr_expect_str_eq(path, "dir/.shmx-journal-a.npy");
	memset(name, 'x', 250);
	name[250] = '\0';
	cr_assert_eq(shmx_target_parse(name, &t, NULL), 0);
	cr_expect_eq(shmx__journal_path(&t, path, sizeof(path)), -ENAMETOOLONG);
	snprintf(want, sizeof(want), "shm://abc");
	cr_assert_eq(shmx_target_parse(want, &t, NULL), 0);
	journal_path(&t, path, sizeof(path));
	cr_expect(strstr(path, "/.shmx-journal-abc"));
}

Test(journal, create_open_and_refuse)
{
	struct shmx__journal_run r;
	struct shmx__journal j, k;
	struct shmx_target t;
	struct shmx_error err = { 0 };
	int damaged = 1;

	setup(&t, &r);
	cr_assert_eq(shmx__journal_create(&t, &r, &j, &err), 0, "%s", err.msg);
	cr_expect_eq(count_own_temporaries(scratch_dir), 0);
	cr_assert_eq(shmx__journal_open(&t, &k, 0, &damaged, &err), 0);
	cr_expect_eq(damaged, 0);
	cr_expect_eq(k.epoch, 1);
	cr_expect_str_eq(k.run.op, "scale:2");
	cr_expect_eq(k.run.nchunks, 4);
	/* the creator holds the lock: a second opener cannot take it */
	cr_expect_eq(shmx__journal_lock(&k, &err), SHMX_EINTERRUPTED);
	cr_expect(strstr(err.msg, "still running"), "%s", err.msg);
	cr_expect_eq(shmx__journal_refuse(&t, &err), SHMX_EINTERRUPTED);
	cr_expect(strstr(err.msg, "is rewriting it (scale:2, 0 of 4 chunks done)"),
		  "%s", err.msg);
	shmx__journal_close(&j); /* the run is gone: its lock with it */
	cr_expect_eq(shmx__journal_refuse(&t, &err), SHMX_EINTERRUPTED);
	cr_expect(strstr(err.msg, "was interrupted (scale:2, 0 of 4 chunks "
			 "done): finish it with 'shmx resume "), "%s", err.msg);
	/* one journal at a time */
	cr_expect_eq(shmx__journal_create(&t, &r, &j, &err), SHMX_EINTERRUPTED);
	cr_expect_eq(count_own_temporaries(scratch_dir), 0);
	cr_expect_eq(shmx__journal_remove(&k, &err), 0);
	cr_expect_eq(shmx__journal_refuse(&t, &err), 0);
	cr_expect_eq(shmx__journal_open(&t, &k, 0, &damaged, NULL), -ENOENT);
}

Test(journal, the_newer_whole_header_counts)
{
	struct shmx__journal_run r;
	struct shmx__journal j;
	struct shmx_target t;
	char path[4096], page[4096];
	int damaged, fd;

	setup(&t, &r);
	cr_assert_eq(shmx__journal_create(&t, &r, &j, NULL), 0);
	cr_assert_eq(shmx__journal_renew(&j, 3, NULL), 0); /* epoch 2, 3 lanes */
	shmx__journal_close(&j);
	journal_path(&t, path, sizeof(path));
	fd = open(path, O_RDWR);
	cr_assert(fd >= 0);
	/* A torn: B counts */
	memset(page, 0x5a, sizeof(page));
	cr_assert_eq(pwrite(fd, page, 100, 50), 100);
	cr_assert_eq(shmx__journal_open(&t, &j, 1, &damaged, NULL), 0);
	cr_expect_eq(j.epoch, 2);
	cr_expect_eq(j.run.lanes, 3);
	shmx__journal_close(&j);
	/* both torn: damaged */
	cr_assert_eq(pwrite(fd, page, 100, 4096 + 50), 100);
	close(fd);
	cr_expect_eq(shmx__journal_open(&t, &j, 1, &damaged, NULL),
		     SHMX_EINTERRUPTED);
	cr_expect_eq(damaged, 1);
	shmx__journal_close(&j);
}

Test(journal, rollback_applies_whole_records_of_this_epoch_only)
{
	struct shmx__journal_run r;
	struct shmx__journal j;
	struct shmx_target t;
	char data[56], orig[56], path[4096];
	uint8_t done[4];
	uint64_t ndone, n;
	int fd;

	setup(&t, &r);
	for (int i = 0; i < 56; i++)
		orig[i] = data[i] = (char)i;
	cr_assert_eq(shmx__journal_create(&t, &r, &j, NULL), 0);
	/* chunk 1 (bytes 16-31) in lane 0, chunk 3 (48-55) in lane 1 */
	cr_assert_eq(shmx__journal_save(&j, 0, 0, 1, data + 16, 16, NULL), 0);
	cr_assert_eq(shmx__journal_save(&j, 1, 1, 3, data + 48, 8, NULL), 0);
	memset(data, 0x77, sizeof(data));
	cr_assert_eq(shmx__journal_mark(&j, 3, NULL), 0);
	cr_assert_eq(shmx__journal_table(&j, done, &ndone, NULL), 0);
	cr_expect_eq(ndone, 1);
	cr_expect(done[3] && !done[1]);
	cr_assert_eq(shmx__journal_rollback(&j, -1, data, done, &n, NULL), 0);
	cr_expect_eq(n, 1);
	cr_expect_arr_eq(data + 16, orig + 16, 16);
	cr_expect_eq(data[48], 0x77); /* done: left alone */
	cr_expect_eq(data[0], 0x77);  /* never saved: never touched */
	/* a torn record (one byte of its data) is skipped */
	memset(data, 0x77, sizeof(data));
	journal_path(&t, path, sizeof(path));
	fd = open(path, O_RDWR);
	cr_assert(fd >= 0);
	cr_assert_eq(pwrite(fd, "X", 1, (off_t)j.lanes_off + 64 + 3), 1);
	close(fd);
	cr_assert_eq(shmx__journal_rollback(&j, 0, data, done, &n, NULL), 0);
	cr_expect_eq(n, 0);
	cr_expect_eq(data[16], 0x77);
	/* a new epoch retires every record */
	cr_assert_eq(shmx__journal_save(&j, 0, 1, 2, orig + 32, 16, NULL), 0);
	cr_assert_eq(shmx__journal_renew(&j, 2, NULL), 0);
	cr_assert_eq(shmx__journal_rollback(&j, -1, data, done, &n, NULL), 0);
	cr_expect_eq(n, 0);
	cr_expect_eq(shmx__journal_remove(&j, NULL), 0);
}

Test(journal, a_fault_at_each_site_fails_cleanly)
{
	static const char *const sites[] = { "journal-open:1", "journal-write:1",
					     "journal-write:2", "journal-sync:1" };
	struct shmx__journal_run r;
	struct shmx__journal j;
	struct shmx_target t;
	struct shmx_error err = { 0 };
	char path[4096];

	if (!shmx__fault_enabled()) {
		scratch_end();
		cr_skip_test("needs a build with fault hooks");
	}
	setup(&t, &r);
	journal_path(&t, path, sizeof(path));
	for (size_t i = 0; i < sizeof(sites) / sizeof(sites[0]); i++) {
		setenv("SHMX_FAULT", sites[i], 1);
		cr_expect_lt(shmx__journal_create(&t, &r, &j, &err), 0, "%s",
			     sites[i]);
		cr_expect_neq(err.msg[0], '\0');
		cr_expect_not(path_exists(path), "%s", sites[i]);
		cr_expect_eq(count_own_temporaries(scratch_dir), 0);
	}
	unsetenv("SHMX_FAULT");
}

/* ---- the public API, end to end -------------------------------------- */

Test(journal, resume_finishes_an_interrupted_run)
{
	struct shmx_run_opts o = SHMX_RUN_OPTS_INIT;
	struct shmx_error err = { 0 };
	struct shmx_interrupted in;
	struct shmx_result res;
	struct shmx_array *a;
	char path[256];
	double want[400];
	const double *x;

	if (!shmx__fault_enabled()) {
		scratch_end();
		cr_skip_test("needs a build with fault hooks");
	}
	in_scratch(path, sizeof(path), "a.npy");
	publish_array(path, SHMX_F64, "100x4", SHMX_FILL_UNIFORM);
	cr_assert_eq(shmx_array_open(path, NULL, &a, NULL), 0);
	x = shmx_array_data(a);
	for (int i = 0; i < 400; i++)
		want[i] = 2 * x[i];
	shmx_array_close(a);
	cr_expect_eq(shmx_resume(path, NULL, &res, &err), SHMX_EUSAGE);
	cr_expect_eq(shmx_interrupted(path, &in, &err), 0);

	o.in_place = 1;
	o.workers = 1;
	o.retries = 0;
	o.chunk_bytes = 512; /* 16 rows: 7 chunks */
	setenv("SHMX_FAULT", "worker-chunk:3", 1);
	cr_expect_eq(shmx_run("scale:2", path, &o, &res, &err), SHMX_EWORKER);
	unsetenv("SHMX_FAULT");
	cr_expect(strstr(err.msg, "is interrupted: finish it with 'shmx resume"),
		  "%s", err.msg);
	cr_assert_eq(shmx_interrupted(path, &in, &err), 1);
	cr_expect_str_eq(in.op, "scale:2");
	cr_expect_eq(in.chunks, 7);
	/* chunks 0-2 rewritten; the last one's mark waits for the next save
	 * where one flush a chunk is enough (sink_inplace.c) */
	cr_expect(in.done == 2 || in.done == 3, "%llu done",
		  (unsigned long long)in.done);
	cr_expect_eq(shmx_array_open(path, NULL, &a, &err), SHMX_EINTERRUPTED);

	o.workers = 3;
	cr_assert_eq(shmx_resume(path, &o, &res, &err), 0, "%s", err.msg);
	shmx_result_free(&res);
	cr_expect_eq(shmx_interrupted(path, NULL, NULL), 0);
	cr_assert_eq(shmx_array_open(path, NULL, &a, &err), 0);
	cr_expect_arr_eq(shmx_array_data(a), want, sizeof(want));
	shmx_array_close(a);
}
