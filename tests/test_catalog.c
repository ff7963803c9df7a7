/* tests/test_catalog.c - engine/store/catalog.c: describing arrays (and
 * telling a dead run's temporary from a live one's), listing the shm
 * directory, and `shmx rm --stale` (temporary names themselves:
 * test_temporary.c).  The listing tests point $SHMX_SHM_DIR at a scratch
 * directory: they must see exactly what they made, and `rm --stale` must
 * never touch the real /dev/shm's stale temporaries, which are not ours. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shmx/shmx.h"
#include "support.h"

TestSuite(catalog, .init = scratch_begin, .fini = scratch_end, .timeout = 20);

static void make_array(const char *path, enum shmx_dtype t,
		       struct shmx_shape s)
{
	struct shmx_output *o;
	struct shmx_error err = { 0 };

	cr_assert_eq(shmx_output_create(path, t, &s, NULL, &o, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(shmx_output_publish(o, &err), 0, "%s", err.msg);
}

/* --- describe ---------------------------------------------------------- */

Test(catalog, describe_reports_an_array)
{
	char path[128];
	struct shmx_entry e;
	struct shmx_error err = { 0 };
	time_t now = time(NULL);

	make_array(in_scratch(path, sizeof(path), "arr"), SHMX_U16,
		   (struct shmx_shape){ 2, { 3, 4 } });
	cr_assert_eq(shmx_describe(path, &e, &err), 0, "%s", err.msg);
	cr_expect_str_eq(e.name, "arr");
	cr_expect_eq(e.is_array, 1);
	cr_expect_eq(e.is_temporary, 0);
	cr_expect_eq(e.dtype, SHMX_U16);
	cr_expect(e.shape.ndim == 2 && e.shape.dim[0] == 3 &&
		  e.shape.dim[1] == 4);
	cr_expect_eq(e.bytes, SHMX_NPY_DATA_OFFSET + 24);
	cr_expect_eq(e.owner, getuid());
	cr_expect_eq(e.mode, 0600);
	cr_expect(e.mtime >= now - 5 && e.mtime <= now + 5);
}

Test(catalog, describe_of_a_file_without_npy_magic_is_not_an_array)
{
	char path[128], msg[192];
	struct shmx_entry e;
	struct shmx_error err = { 0 };

	write_whole_file(in_scratch(path, sizeof(path), "text"), "hello\n", 6);
	cr_expect_eq(shmx_describe(path, &e, &err), SHMX_ENOTARRAY);
	cr_expect_eq(err.code, SHMX_ENOTARRAY);
	snprintf(msg, sizeof(msg), "%s: not an NPY array", path);
	cr_expect_str_eq(err.msg, msg);
	cr_expect_eq(e.is_array, 0);
	cr_expect_str_eq(e.name, "text");
	cr_expect_eq(e.bytes, 6);
	write_whole_file(path, "", 0);
	cr_expect_eq(shmx_describe(path, &e, &err), SHMX_ENOTARRAY);
	write_whole_file(path, "\x93NUM", 4);
	cr_expect_eq(shmx_describe(path, &e, &err), SHMX_ENOTARRAY);
}

Test(catalog, describe_of_a_damaged_npy_says_what_is_wrong)
{
	char path[128], msg[192];
	struct shmx_entry e;
	struct shmx_error err = { 0 };
	char *img;
	size_t len;

	make_array(in_scratch(path, sizeof(path), "cut"), SHMX_F64,
		   (struct shmx_shape){ 1, { 4, 0 } });
	img = read_whole_file(path, &len);
	write_whole_file(path, img, len - 1);
	cr_expect_eq(shmx_describe(path, &e, &err), SHMX_ESIZE);
	snprintf(msg, sizeof(msg),
		 "%s: data is 31 bytes, shorter than the 32 its header says",
		 path);
	cr_expect_str_eq(err.msg, msg);
	cr_expect_eq(e.is_array, 0);
	img[6] = 9; /* version 9.0 */
	write_whole_file(path, img, len);
	cr_expect_eq(shmx_describe(path, &e, &err), SHMX_EBADNPY);
	snprintf(msg, sizeof(msg), "%s: unsupported NPY version 9.0", path);
	cr_expect_str_eq(err.msg, msg);
	free(img);
}

Test(catalog, describe_refuses_missing_directories_fifos_and_symlinks,
     .timeout = 5)
{
	char path[128], link[128], msg[192];
	struct shmx_entry e;
	struct shmx_error err = { 0 };

	cr_expect_eq(shmx_describe(in_scratch(path, sizeof(path), "none"), &e,
				   &err),
		     -ENOENT);
	snprintf(msg, sizeof(msg), "%s: %s", path, strerror(ENOENT));
	cr_expect_str_eq(err.msg, msg);
	cr_expect_eq(shmx_describe(scratch_dir, &e, &err), SHMX_ENOTARRAY);
	snprintf(msg, sizeof(msg), "%s: not a regular file", scratch_dir);
	cr_expect_str_eq(err.msg, msg);
	cr_assert_eq(mkfifo(in_scratch(path, sizeof(path), "fifo"), 0600), 0);
	cr_expect_eq(shmx_describe(path, &e, &err), SHMX_ENOTARRAY);
	make_array(in_scratch(path, sizeof(path), "real"), SHMX_U8,
		   (struct shmx_shape){ 1, { 1, 0 } });
	cr_assert_eq(symlink(path, in_scratch(link, sizeof(link), "link")), 0);
	cr_expect_eq(shmx_describe(link, &e, &err), -ELOOP);
}

Test(catalog, describe_tells_a_live_temporary_from_a_dead_ones)
{
	char path[128], name[64];
	struct shmx_entry e;
	pid_t dead = dead_pid();

	snprintf(name, sizeof(name), ".shmx-%ld-0-x", (long)getpid());
	make_array(in_scratch(path, sizeof(path), name), SHMX_U8,
		   (struct shmx_shape){ 1, { 1, 0 } });
	cr_assert_eq(shmx_describe(path, &e, NULL), 0);
	cr_expect_eq(e.is_temporary, 1);
	cr_expect_eq(e.creator, getpid());
	cr_expect_eq(e.creator_alive, 1);
	snprintf(name, sizeof(name), ".shmx-%ld-3-y", (long)dead);
	write_whole_file(in_scratch(path, sizeof(path), name), "half", 4);
	cr_expect_eq(shmx_describe(path, &e, NULL), SHMX_ENOTARRAY);
	cr_expect_eq(e.is_temporary, 1, "a half-written temporary too");
	cr_expect_eq(e.creator, dead);
	cr_expect_eq(e.creator_alive, 0);
}

/* --- listing ----------------------------------------------------------- */

struct seen {
	int n, stop_at;
	char names[16][256];
	struct shmx_entry e[16];
};

static int collect(const struct shmx_entry *e, void *ctx)
{
	struct seen *s = ctx;

	if (s->n < 16) {
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s", e->name);
		s->e[s->n] = *e;
	}
	s->n++;
	return s->n == s->stop_at ? 42 : 0;
}

Test(catalog, each_lists_the_shm_directory_sorted_by_name)
{
	char path[128];
	struct seen s = { 0 };
	struct shmx_error err = { 0 };

	setenv("SHMX_SHM_DIR", scratch_dir, 1);
	make_array(in_scratch(path, sizeof(path), "zeta"), SHMX_F32,
		   (struct shmx_shape){ 1, { 5, 0 } });
	make_array(in_scratch(path, sizeof(path), "alpha"), SHMX_I64,
		   (struct shmx_shape){ 0, { 0, 0 } });
	write_whole_file(in_scratch(path, sizeof(path), "notes"), "x", 1);
	cr_assert_eq(mkdir(in_scratch(path, sizeof(path), "sub"), 0700), 0);
	cr_assert_eq(shmx_catalog_each(collect, &s, &err), 0, "%s", err.msg);
	cr_assert_eq(s.n, 4);
	cr_expect_str_eq(s.names[0], "alpha");
	cr_expect_str_eq(s.names[1], "notes");
	cr_expect_str_eq(s.names[2], "sub");
	cr_expect_str_eq(s.names[3], "zeta");
	cr_expect(s.e[0].is_array && s.e[0].dtype == SHMX_I64 &&
		  s.e[0].shape.ndim == 0);
	cr_expect(!s.e[1].is_array && !s.e[2].is_array);
	cr_expect(s.e[3].is_array && s.e[3].dtype == SHMX_F32 &&
		  s.e[3].shape.dim[0] == 5);
}

Test(catalog, each_stops_when_the_callback_says_so)
{
	char path[128], name[8];
	struct seen s = { .stop_at = 2 };

	setenv("SHMX_SHM_DIR", scratch_dir, 1);
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		write_whole_file(in_scratch(path, sizeof(path), name), "x", 1);
	}
	cr_expect_eq(shmx_catalog_each(collect, &s, NULL), 42);
	cr_expect_eq(s.n, 2);
}

Test(catalog, each_of_an_empty_directory_calls_nothing)
{
	struct seen s = { 0 };

	setenv("SHMX_SHM_DIR", scratch_dir, 1);
	cr_expect_eq(shmx_catalog_each(collect, &s, NULL), 0);
	cr_expect_eq(s.n, 0);
}

Test(catalog, each_of_a_missing_directory_is_an_error)
{
	char path[128], msg[192];
	struct seen s = { 0 };
	struct shmx_error err = { 0 };

	setenv("SHMX_SHM_DIR", in_scratch(path, sizeof(path), "gone"), 1);
	cr_expect_eq(shmx_catalog_each(collect, &s, &err), -ENOENT);
	snprintf(msg, sizeof(msg), "%s: %s", path, strerror(ENOENT));
	cr_expect_str_eq(err.msg, msg);
	cr_expect_eq(s.n, 0);
}

/* --- shmx rm --stale --------------------------------------------------- */

Test(catalog, rm_stale_removes_only_temporaries_of_dead_runs)
{
	char path[128], dead_tmp[64], dead_half[64], live_tmp[64], want[256];
	char *left, expect_left[512];
	struct cli_result r;
	pid_t dead = dead_pid();

	setenv("SHMX_SHM_DIR", scratch_dir, 1);
	snprintf(dead_tmp, sizeof(dead_tmp), ".shmx-%ld-0-prices", (long)dead);
	snprintf(dead_half, sizeof(dead_half), ".shmx-%ld-1-half", (long)dead);
	snprintf(live_tmp, sizeof(live_tmp), ".shmx-%ld-0-live",
		 (long)getpid());
	make_array(in_scratch(path, sizeof(path), dead_tmp), SHMX_F64,
		   (struct shmx_shape){ 1, { 3, 0 } });
	write_whole_file(in_scratch(path, sizeof(path), dead_half), "ab", 2);
	make_array(in_scratch(path, sizeof(path), live_tmp), SHMX_F64,
		   (struct shmx_shape){ 1, { 3, 0 } });
	make_array(in_scratch(path, sizeof(path), "prices"), SHMX_F64,
		   (struct shmx_shape){ 1, { 3, 0 } });
	write_whole_file(in_scratch(path, sizeof(path), ".shmx-notes"), "x", 1);
	write_whole_file(in_scratch(path, sizeof(path), "other"), "x", 1);

	run_cli(&r, (const char *const[]){ "rm", "--stale", NULL });
	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_str_eq(r.err, "");
	snprintf(want, sizeof(want), "removed %s\nremoved %s\n", dead_tmp,
		 dead_half);
	cr_expect_str_eq(r.out, want);
	left = dir_snapshot(scratch_dir);
	snprintf(expect_left, sizeof(expect_left),
		 "%s\n.shmx-notes\nother\nprices\n", live_tmp);
	cr_expect_str_eq(left, expect_left);
	free(left);
	/* a second run finds nothing */
	run_cli(&r, (const char *const[]){ "rm", "--stale", NULL });
	cr_expect_eq(r.status, 0);
	cr_expect_str_eq(r.out, "");
}

Test(catalog, rm_stale_leaves_a_temporary_of_a_running_process)
{
	char path[128], name[64];
	struct cli_result r;

	setenv("SHMX_SHM_DIR", scratch_dir, 1);
	/* pid 1 always runs (and may be another user's: EPERM is alive) */
	snprintf(name, sizeof(name), ".shmx-1-0-init");
	write_whole_file(in_scratch(path, sizeof(path), name), "x", 1);
	run_cli(&r, (const char *const[]){ "rm", "--stale", NULL });
	cr_expect_eq(r.status, 0);
	cr_expect_str_eq(r.out, "");
	cr_expect(path_exists(path));
}

Test(catalog, a_run_killed_by_sigkill_leaves_a_temporary_rm_stale_removes)
{
	char path[128];
	struct shmx_shape s = { 1, { 10, 0 } };
	struct shmx_output *o;
	struct cli_result r;
	pid_t pid;
	int st;

	setenv("SHMX_SHM_DIR", scratch_dir, 1);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		shmx_signals_install();
		if (shmx_output_create("shm://victim", SHMX_F64, &s, NULL, &o,
				       NULL))
			_exit(3);
		raise(SIGKILL); /* no handler can run */
		_exit(4);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	snprintf(path, sizeof(path), ".shmx-%ld-0-victim\n", (long)pid);
	expect_dir_holds(scratch_dir, path);
	run_cli(&r, (const char *const[]){ "rm", "--stale", NULL });
	cr_expect_eq(r.status, 0, "%s", r.err);
	expect_dir_holds(scratch_dir, "");
}

Test(catalog, rm_stale_takes_no_targets)
{
	struct cli_result r;

	setenv("SHMX_SHM_DIR", scratch_dir, 1);
	run_cli(&r, (const char *const[]){ "rm", "--stale", "shm://x", NULL });
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.err, "shmx: error: rm: --stale takes no targets\n");
}
