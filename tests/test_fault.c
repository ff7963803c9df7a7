/* tests/test_fault.c - engine/base/fault.c: the SHMX_FAULT parser
 * (site:N, site:N:persist, what arms nothing), how calls count (the armed
 * site only, per process, inherited at fork, anew when the value
 * changes), shmx__fault_code, SHMX_FAULT_LOG, SHMX_SIGNAL_STORM, and
 * shmx_fault_hooks().  Builds without the hooks skip all but the last. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shmx/shmx.h"
#include "base/fault.h"
#include "support.h"

/* No engine code runs in these tests but where said, so a site name the
 * engine never uses keeps them apart from real hooks. */
#define SITE "test-site"

static void setup(void)
{
	unsetenv("SHMX_FAULT");
	unsetenv("SHMX_FAULT_LOG");
	unsetenv("SHMX_SIGNAL_STORM");
	scratch_begin();
}

static void teardown(void)
{
	unsetenv("SHMX_FAULT");
	scratch_end();
}

TestSuite(fault, .init = setup, .fini = teardown, .timeout = 20);

/* Criterion runs no .fini after cr_skip_test: clean up first. */
static void need_hooks(void)
{
	if (!shmx__fault_enabled()) {
		teardown();
		cr_skip_test("this build has no fault hooks "
			     "(-DSHMX_FAULT_INJECTION=OFF)");
	}
}

/* Which of calls 1..n at site fail, as a string of '.' and 'X'. */
static const char *pattern(const char *site, int n)
{
	static char buf[64];

	cr_assert(n < (int)sizeof(buf));
	for (int i = 0; i < n; i++)
		buf[i] = shmx__fault_hit(site) ? 'X' : '.';
	buf[n] = '\0';
	return buf;
}

Test(fault, site_n_fails_the_nth_call_only)
{
	need_hooks();
	setenv("SHMX_FAULT", SITE ":3", 1);
	cr_expect_str_eq(pattern(SITE, 8), "..X.....");
}

Test(fault, persist_fails_every_call_from_the_nth)
{
	need_hooks();
	setenv("SHMX_FAULT", SITE ":3:persist", 1);
	cr_expect_str_eq(pattern(SITE, 8), "..XXXXXX");
}

Test(fault, n_of_1_fails_the_first_call)
{
	need_hooks();
	setenv("SHMX_FAULT", SITE ":1", 1);
	cr_expect_str_eq(pattern(SITE, 3), "X..");
}

Test(fault, n_of_0_never_fails_but_is_armed)
{
	uint64_t n = 99;
	bool persist = true;

	need_hooks();
	setenv("SHMX_FAULT", SITE ":0", 1);
	cr_expect_str_eq(pattern(SITE, 5), ".....");
	cr_expect(shmx__fault_arg(SITE, &n, &persist));
	cr_expect_eq(n, 0);
	cr_expect(!persist);
}

Test(fault, only_the_armed_site_counts)
{
	need_hooks();
	setenv("SHMX_FAULT", SITE ":2", 1);
	cr_expect_str_eq(pattern("other-site", 5), ".....");
	cr_expect_str_eq(pattern(SITE "x", 5), "....."); /* no prefix match */
	cr_expect_str_eq(pattern("test", 5), ".....");
	cr_expect_str_eq(pattern(SITE, 3), ".X.");
}

Test(fault, arg_gives_n_and_persist_of_the_armed_site)
{
	uint64_t n = 0;
	bool persist = false;

	need_hooks();
	setenv("SHMX_FAULT", SITE ":18446744073709551615:persist", 1);
	cr_assert(shmx__fault_arg(SITE, &n, &persist));
	cr_expect_eq(n, UINT64_MAX);
	cr_expect(persist);
	cr_expect(!shmx__fault_arg("other-site", &n, NULL));
	setenv("SHMX_FAULT", SITE ":7", 1);
	cr_assert(shmx__fault_arg(SITE, &n, NULL)); /* persist may be NULL */
	cr_expect_eq(n, 7);
	cr_assert(shmx__fault_arg(SITE, &n, &persist));
	cr_expect(!persist);
}

Test(fault, a_bad_spec_arms_nothing)
{
	static const char *const bad[] = {
		"", SITE, SITE ":", ":3", SITE ":x", SITE ":-1", SITE ":+1",
		SITE ": 1", SITE ":1x", SITE ":1:", SITE ":1:persistent",
		SITE ":1:persist:", SITE ":1 ", SITE "::1",
		SITE ":18446744073709551616", /* one past UINT64_MAX */
	};
	char site64[80];
	uint64_t n;

	need_hooks();
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		setenv("SHMX_FAULT", bad[i], 1);
		cr_expect(!shmx__fault_arg(SITE, &n, NULL), "'%s' armed", bad[i]);
		cr_expect_str_eq(pattern(SITE, 3), "...", "'%s' failed a call",
				 bad[i]);
	}
	/* a site of 64 characters is longer than any site there is */
	memset(site64, 'a', 64);
	snprintf(site64 + 64, sizeof(site64) - 64, ":1");
	setenv("SHMX_FAULT", site64, 1);
	site64[64] = '\0';
	cr_expect(!shmx__fault_arg(site64, &n, NULL));
	cr_expect_str_eq(pattern(site64, 2), "..");
}

Test(fault, a_value_too_long_to_keep_arms_nothing)
{
	char v[200];
	uint64_t n;

	need_hooks();
	/* a short site and a long run of zeros before the 1 */
	snprintf(v, sizeof(v), "%s:", SITE);
	memset(v + strlen(v), '0', 180);
	snprintf(v + strlen(SITE) + 1 + 180, 3, "1");
	setenv("SHMX_FAULT", v, 1);
	cr_expect(!shmx__fault_arg(SITE, &n, NULL));
	cr_expect_str_eq(pattern(SITE, 3), "...");
}

Test(fault, the_longest_site_that_fits_is_armed)
{
	char v[80], site[64];

	need_hooks();
	memset(site, 's', 63);
	site[63] = '\0';
	snprintf(v, sizeof(v), "%s:2", site);
	setenv("SHMX_FAULT", v, 1);
	cr_expect_str_eq(pattern(site, 3), ".X.");
}

Test(fault, a_changed_value_counts_anew_and_the_same_value_does_not)
{
	need_hooks();
	setenv("SHMX_FAULT", SITE ":3", 1);
	cr_expect_str_eq(pattern(SITE, 2), "..");
	setenv("SHMX_FAULT", SITE ":3", 1); /* the same: the count goes on */
	cr_expect_str_eq(pattern(SITE, 2), "X.");
	setenv("SHMX_FAULT", SITE ":2", 1); /* another: from 0 */
	cr_expect_str_eq(pattern(SITE, 3), ".X.");
	unsetenv("SHMX_FAULT");
	cr_expect_str_eq(pattern(SITE, 3), "...");
	setenv("SHMX_FAULT", SITE ":2", 1); /* back again: from 0 too */
	cr_expect_str_eq(pattern(SITE, 3), ".X.");
}

Test(fault, a_child_counts_on_from_its_parents_count_alone)
{
	pid_t pid;
	int status;

	need_hooks();
	setenv("SHMX_FAULT", SITE ":3", 1);
	cr_assert_str_eq(pattern(SITE, 1), ".");
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) /* calls 2 and 3 in the child: the 3rd fails */
		_exit(strcmp(pattern(SITE, 2), ".X") ? 1 : 0);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the child did not fail its 3rd call");
	/* the child's calls were its own: the parent's 3rd call is still to come */
	cr_expect_str_eq(pattern(SITE, 3), ".X.");
}

Test(fault, code_names_the_armed_site_of_a_table)
{
	static const struct shmx__fault_code t[] = {
		{ "test-eio", -EIO },
		{ "test-enospc", -ENOSPC },
	};
	uint64_t at = 0;
	bool persist = false;

	need_hooks();
	cr_expect_eq(shmx__fault_code(t, 2, &at, &persist), 0);
	setenv("SHMX_FAULT", "test-enospc:5:persist", 1);
	cr_expect_eq(shmx__fault_code(t, 2, &at, &persist), -ENOSPC);
	cr_expect_eq(at, 5);
	cr_expect(persist);
	setenv("SHMX_FAULT", "test-eio:2", 1);
	cr_expect_eq(shmx__fault_code(t, 2, &at, NULL), -EIO);
	cr_expect_eq(at, 2);
	setenv("SHMX_FAULT", "test-other:2", 1);
	cr_expect_eq(shmx__fault_code(t, 2, &at, NULL), 0);
}

Test(fault, the_log_has_a_line_per_failed_call)
{
	char log[128], want[256], *text;

	need_hooks();
	in_scratch(log, sizeof(log), "fault.log");
	setenv("SHMX_FAULT_LOG", log, 1);
	setenv("SHMX_FAULT", SITE ":2:persist", 1);
	cr_expect_str_eq(pattern(SITE, 3), ".XX");
	unsetenv("SHMX_FAULT_LOG");
	cr_expect_str_eq(pattern(SITE, 1), "X"); /* not logged */
	snprintf(want, sizeof(want), "%s 2 %ld\n%s 3 %ld\n", SITE,
		 (long)getpid(), SITE, (long)getpid());
	text = read_whole_file(log, NULL);
	cr_expect_str_eq(text, want);
	free(text);
}

Test(fault, the_log_keeps_errno)
{
	char log[128];

	need_hooks();
	in_scratch(log, sizeof(log), "no-such-dir/fault.log");
	setenv("SHMX_FAULT_LOG", log, 1); /* cannot be opened: no line, no error */
	setenv("SHMX_FAULT", SITE ":1", 1);
	errno = 1234;
	cr_expect(shmx__fault_hit(SITE));
	cr_expect_eq(errno, 1234);
	unsetenv("SHMX_FAULT_LOG");
}

Test(fault, a_signal_storm_interrupts_a_sleep)
{
	struct timespec t = { .tv_sec = 2 };
	struct itimerval off = { 0 };
	int rc;

	need_hooks();
	setenv("SHMX_SIGNAL_STORM", "20000", 1); /* 20 ms */
	shmx__fault_storm();
	rc = nanosleep(&t, &t);
	setitimer(ITIMER_REAL, &off, NULL);
	unsetenv("SHMX_SIGNAL_STORM");
	cr_expect_eq(rc, -1);
	cr_expect_eq(errno, EINTR);
}

Test(fault, no_storm_unless_asked)
{
	struct itimerval it;

	need_hooks();
	setenv("SHMX_SIGNAL_STORM", "0", 1);
	shmx__fault_storm();
	cr_assert_eq(getitimer(ITIMER_REAL, &it), 0);
	cr_expect(it.it_interval.tv_sec == 0 && it.it_interval.tv_usec == 0);
	unsetenv("SHMX_SIGNAL_STORM");
}

/* ---- in every build ------------------------------------------------- */

Test(fault, hooks_query_agrees_with_the_build_and_with_version)
{
	static const char *const argv[] = { "--version", NULL };
	struct cli_result r;
	char want[64];

	cr_expect_eq(shmx_fault_hooks(), shmx__fault_enabled() ? 1 : 0);
	run_cli(&r, argv);
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(want, sizeof(want), "\nfault injection: %s\n",
		 shmx_fault_hooks() ? "on" : "off");
	cr_expect(strstr(r.out, want), "%s", r.out);
}

Test(fault, without_hooks_nothing_fails)
{
	uint64_t n;

	if (shmx__fault_enabled()) {
		teardown();
		cr_skip_test("this build has the fault hooks");
	}
	setenv("SHMX_FAULT", SITE ":1:persist", 1);
	cr_expect_str_eq(pattern(SITE, 3), "...");
	cr_expect(!shmx__fault_arg(SITE, &n, NULL));
}
