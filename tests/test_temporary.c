/* tests/test_temporary.c - engine/store/temporary.c: temporary names
 * (".shmx-<pid>-<seq>-<name>" beside the target, and telling one from any
 * other name), the registry of live temporaries (at most sixteen), and
 * the signal handlers that unlink them when the process is killed.
 * Every test runs between shm_guard_begin and shm_guard_end and works in
 * its own scratch directory. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shmx/shmx.h"
#include "store/temporary.h"
#include "support.h"

TestSuite(temporary, .init = scratch_begin, .fini = scratch_end, .timeout = 20);

/* --- names ------------------------------------------------------------ */

Test(temporary, parse_reads_the_creator_pid)
{
	pid_t pid = 0;

	cr_expect_eq(shmx_temporary_parse(".shmx-1234-0-prices", &pid), 1);
	cr_expect_eq(pid, 1234);
	cr_expect_eq(shmx_temporary_parse(".shmx-4194304-17-x", &pid), 1);
	cr_expect_eq(pid, 4194304);
	cr_expect_eq(shmx_temporary_parse(".shmx-7-", &pid), 1);
	cr_expect_eq(pid, 7);
}

Test(temporary, parse_refuses_names_that_are_not_temporaries)
{
	static const char *const names[] = {
		"prices",	 "shmx-1234-0-x", ".shmx-",   ".shmx-abc-0-x",
		".shmx-12a-0-x", ".shmx-1234",	  ".shmx--1-0-x",
		".shmx-4194305-0-x", ".shmx-41943049-0-x",
		".shmx-99999999999999999999-0-x", ".SHMX-1-0-x", "",
	};
	pid_t pid = 4242;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		cr_expect_eq(shmx_temporary_parse(names[i], &pid), 0, "'%s'",
			     names[i]);
	cr_expect_eq(pid, 4242, "pid written for a non-temporary");
}

Test(temporary, path_is_dot_shmx_pid_seq_name_beside_the_target)
{
	struct shmx_target t;
	char p1[PATH_MAX], p2[PATH_MAX], want[64];
	pid_t pid = 0;
	const char *base;

	cr_assert_eq(shmx_target_parse("/tmp/some/out.npy", &t, NULL), 0);
	cr_assert_eq(shmx__temp_path(&t, p1, sizeof(p1)), 0);
	cr_assert_eq(shmx__temp_path(&t, p2, sizeof(p2)), 0);
	cr_expect_str_neq(p1, p2, "two temporaries share a name");
	snprintf(want, sizeof(want), "/tmp/some/.shmx-%ld-", (long)getpid());
	cr_expect_eq(strncmp(p1, want, strlen(want)), 0, "%s", p1);
	cr_expect_eq(strcmp(p1 + strlen(p1) - 8, "-out.npy"), 0, "%s", p1);
	base = strrchr(p1, '/') + 1;
	cr_expect_eq(shmx_temporary_parse(base, &pid), 1);
	cr_expect_eq(pid, getpid());
}

Test(temporary, path_stays_under_name_max_for_a_long_name)
{
	struct shmx_target t;
	char spec[300], p[PATH_MAX];

	memcpy(spec, "/tmp/", 5);
	memset(spec + 5, 'n', 255);
	spec[260] = '\0';
	cr_assert_eq(shmx_target_parse(spec, &t, NULL), 0);
	cr_assert_eq(shmx__temp_path(&t, p, sizeof(p)), 0);
	cr_expect_leq(strlen(strrchr(p, '/') + 1), 255);
	cr_expect_eq(shmx__temp_path(&t, p, 20), -ENAMETOOLONG);
}

/* --- the registry and the signal handlers ------------------------------ */

Test(temporary, at_most_sixteen_outputs_are_live_at_once)
{
	struct shmx_output *o[17];
	struct shmx_shape s = { 1, { 1, 0 } };
	struct shmx_error err = { 0 };
	char path[128], name[16];

	for (int i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "o%d.npy", i);
		cr_assert_eq(shmx_output_create(in_scratch(path, sizeof(path), name),
						SHMX_U8, &s, NULL, &o[i], &err),
			     0, "%d: %s", i, err.msg);
	}
	cr_expect_eq(shmx_output_create(in_scratch(path, sizeof(path), "o16.npy"),
					SHMX_U8, &s, NULL, &o[16], &err),
		     -EMFILE);
	cr_expect_str_eq(err.msg, "too many outputs at once");
	cr_expect_eq(count_own_temporaries(scratch_dir), 16);
	shmx_output_discard(o[3]); /* a slot frees up */
	cr_expect_eq(shmx_output_create(path, SHMX_U8, &s, NULL, &o[3], &err),
		     0, "%s", err.msg);
	for (int i = 0; i < 16; i++)
		shmx_output_discard(o[i]);
	expect_dir_holds(scratch_dir, "");
}

/* In a child: create an output in scratch_dir, then die of sig. */
static void die_with_a_temporary(const char *path, int sig, int install)
{
	struct shmx_shape s = { 1, { 100, 0 } };
	struct shmx_output *o;

	prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a timed-out test */
	if (install)
		shmx_signals_install();
	if (shmx_output_create(path, SHMX_F64, &s, NULL, &o, NULL))
		_exit(3);
	raise(sig);
	_exit(4);
}

Test(temporary, a_fatal_signal_removes_live_temporaries)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	char path[128];

	in_scratch(path, sizeof(path), "sig.npy");
	for (size_t i = 0; i < 3; i++) {
		pid_t pid = fork();
		int st;

		cr_assert(pid >= 0);
		if (pid == 0)
			die_with_a_temporary(path, sigs[i], 1);
		cr_assert_eq(waitpid(pid, &st, 0), pid);
		cr_expect(WIFSIGNALED(st) && WTERMSIG(st) == sigs[i],
			  "status %#x for signal %d", st, sigs[i]);
		expect_dir_holds(scratch_dir, "");
	}
	shmx_signals_install(); /* idempotent */
	shmx_signals_install();
}

Test(temporary, without_the_handlers_a_signal_leaves_the_temporary)
{
	/* the control for the test above: it can fail */
	char path[128], *left;
	pid_t pid;
	int st;

	in_scratch(path, sizeof(path), "nosig.npy");
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		die_with_a_temporary(path, SIGTERM, 0);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_expect(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	left = dir_snapshot(scratch_dir);
	cr_expect_str_neq(left, "", "nothing was created");
	free(left);
}

Test(temporary, a_forked_child_does_not_remove_its_parents_temporaries)
{
	char path[128];
	struct shmx_shape s = { 1, { 10, 0 } };
	struct shmx_output *o;
	pid_t pid;
	int st;

	in_scratch(path, sizeof(path), "parent.npy");
	shmx_signals_install();
	cr_assert_eq(shmx_output_create(path, SHMX_F64, &s, NULL, &o, NULL), 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		raise(SIGTERM);
		_exit(4);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_expect(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	cr_expect_eq(count_own_temporaries(scratch_dir), 1, "the child removed it");
	cr_expect_eq(shmx_output_publish(o, NULL), 0);
	cr_expect(path_exists(path));
	signal(SIGTERM, SIG_DFL);
}
