/* tests/test_perfctl.c - the perf stat --control protocol of
 * exec/perfctl.h: bad FIFO specs are usage errors with their messages;
 * enable and disable go out in order and wait for their acks; the start
 * gate holds workers until it opens; and through the pool, no chunk is
 * computed before perf acks "enable", none after "disable".  perf is
 * played by a forked child on FIFOs in a scratch directory that the
 * suite's fini removes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec/pool.h"
#include "support.h"

static char dir[64], ctl[128], ack[128], spec[300];

static void setup(void)
{
	make_tmpdir(dir, sizeof(dir));
	snprintf(ctl, sizeof(ctl), "%s/ctl", dir);
	snprintf(ack, sizeof(ack), "%s/ack", dir);
	snprintf(spec, sizeof(spec), "%s,%s", ctl, ack);
	cr_assert_eq(mkfifo(ctl, 0600), 0);
	cr_assert_eq(mkfifo(ack, 0600), 0);
}

static void teardown(void)
{
	rm_rf(dir);
}

TestSuite(perfctl, .init = setup, .fini = teardown, .timeout = 30);

static void expect_usage(const char *s, const char *msg)
{
	struct shmx__perf_ctl pc;
	struct shmx_error err = { 0 };

	cr_assert_eq(shmx__perf_ctl_open(s, &pc, &err), SHMX_EUSAGE, "%s", s);
	cr_assert_str_eq(err.msg, msg);
	cr_assert(pc.ctl_fd == -1 && pc.ack_fd == -1, "nothing left open");
}

Test(perfctl, a_spec_without_a_fifo_path_is_a_usage_error)
{
	static const char *const bad[] = { "", ",", ",x", "x," };
	char longer[5000];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		expect_usage(bad[i], "--perf-ctl: give CTL_FIFO[,ACK_FIFO]");
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	expect_usage(longer, "--perf-ctl: give CTL_FIFO[,ACK_FIFO]");
}

Test(perfctl, a_missing_path_or_a_plain_file_is_a_usage_error)
{
	char path[128], msg[512];

	snprintf(path, sizeof(path), "%s/missing", dir);
	snprintf(msg, sizeof(msg), "--perf-ctl: %s: No such file or directory",
		 path);
	expect_usage(path, msg);
	snprintf(path, sizeof(path), "%s/plain", dir);
	write_whole_file(path, "x", 1);
	snprintf(msg, sizeof(msg),
		 "--perf-ctl: %s is not a FIFO (mkfifo it and give it to perf "
		 "stat --control fifo:...)", path);
	expect_usage(path, msg);
}

/* perf's side: open CTL for reading and ACK for writing (the order the
 * library opens them in), then for each command read, log it into the
 * shared `seen` and ack it, unless `ack_with` is NULL (close ACK without
 * a word).  Each command is read whole: the library waits for its ack
 * before it sends the next.  Ends at EOF on CTL. */
struct fake {
	pid_t pid;
	char *seen; /* shared, NUL-terminated */
	_Atomic uint64_t *computed; /* the pool test's counter, or NULL */
	uint64_t *at_enable, *at_disable;
};

static void fake_perf_main(struct fake *f, const char *ack_with)
{
	char buf[64];
	ssize_t n;
	int c, a = -1;

	alarm(20); /* a test gone wrong must not leave us behind */
	c = open(ctl, O_RDONLY);
	if (c < 0)
		_exit(2);
	a = open(ack, O_WRONLY);
	if (a < 0)
		_exit(2);
	if (!ack_with)
		close(a);
	while ((n = read(c, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		if (f->computed && !strcmp(buf, "enable\n"))
			*f->at_enable = atomic_load(f->computed);
		if (f->computed && !strcmp(buf, "disable\n"))
			*f->at_disable = atomic_load(f->computed);
		strncat(f->seen, buf, 4095 - strlen(f->seen));
		if (ack_with && write(a, ack_with, strlen(ack_with)) < 0)
			_exit(3);
	}
	_exit(n < 0 ? 4 : 0);
}

static void fake_start(struct fake *f, const char *ack_with)
{
	char *shared = mmap(NULL, 4096 + 3 * 8, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	cr_assert(shared != MAP_FAILED);
	f->seen = shared;
	f->computed = (void *)(shared + 4096);
	f->at_enable = (void *)(shared + 4104);
	f->at_disable = (void *)(shared + 4112);
	*f->at_enable = *f->at_disable = UINT64_MAX;
	f->pid = fork();
	cr_assert(f->pid >= 0);
	if (f->pid == 0)
		fake_perf_main(f, ack_with);
}

/* Close our ends (perf sees EOF), reap it, return what it read. */
static const char *fake_end(struct fake *f, struct shmx__perf_ctl *pc)
{
	int st;

	shmx__perf_ctl_close(pc);
	cr_assert_eq(waitpid(f->pid, &st, 0), f->pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fake perf: %d", st);
	return f->seen;
}

Test(perfctl, enable_and_disable_wait_for_their_acks)
{
	struct shmx__perf_ctl pc;
	struct shmx_error err = { 0 };
	struct fake f;

	fake_start(&f, "ack\n");
	cr_assert_eq(shmx__perf_ctl_open(spec, &pc, &err), 0, "%s", err.msg);
	cr_assert(pc.ctl_fd >= 0 && pc.ack_fd >= 0);
	cr_assert_eq(shmx__perf_enable(&pc, &err), 0, "%s", err.msg);
	/* acked: perf has logged it before it answered */
	cr_assert_str_eq(f.seen, "enable\n");
	cr_assert_eq(shmx__perf_disable(&pc, &err), 0, "%s", err.msg);
	cr_assert_str_eq(f.seen, "enable\ndisable\n");
	cr_assert_str_eq(fake_end(&f, &pc), "enable\ndisable\n");
	cr_assert(pc.ctl_fd == -1 && pc.ack_fd == -1);
}

Test(perfctl, without_an_ack_fifo_commands_are_sent_and_not_awaited)
{
	struct shmx__perf_ctl pc;
	struct shmx_error err = { 0 };
	struct fake f;
	int c;

	/* perf's side of CTL only: read it to EOF */
	f.seen = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert(f.seen != MAP_FAILED);
	f.pid = fork();
	cr_assert(f.pid >= 0);
	if (f.pid == 0) {
		char buf[64];
		ssize_t n;

		alarm(20);
		c = open(ctl, O_RDONLY);
		while (c >= 0 && (n = read(c, buf, sizeof(buf) - 1)) > 0) {
			buf[n] = '\0';
			strncat(f.seen, buf, 4095 - strlen(f.seen));
		}
		_exit(c < 0);
	}
	cr_assert_eq(shmx__perf_ctl_open(ctl, &pc, &err), 0, "%s", err.msg);
	cr_assert_eq(pc.ack_fd, -1);
	cr_assert_eq(shmx__perf_enable(&pc, &err), 0, "%s", err.msg);
	cr_assert_eq(shmx__perf_disable(&pc, &err), 0, "%s", err.msg);
	cr_assert_str_eq(fake_end(&f, &pc), "enable\ndisable\n");
}

Test(perfctl, a_perf_that_never_acks_is_an_error)
{
	struct shmx__perf_ctl pc;
	struct shmx_error err = { 0 };
	struct fake f;

	fake_start(&f, NULL);
	cr_assert_eq(shmx__perf_ctl_open(spec, &pc, &err), 0, "%s", err.msg);
	cr_assert_eq(shmx__perf_enable(&pc, &err), -EIO);
	cr_assert_str_eq(err.msg, "--perf-ctl: no ack from perf");
	cr_assert_str_eq(fake_end(&f, &pc), "enable\n");
}

Test(perfctl, a_missing_ack_fifo_closes_the_control_fifo_again)
{
	char bad[300], msg[400];
	pid_t reader = fork();
	int st;

	cr_assert(reader >= 0);
	if (reader == 0) { /* holds CTL open until the library closes it */
		char b;
		int c;

		alarm(20);
		c = open(ctl, O_RDONLY);
		_exit(c < 0 || read(c, &b, 1) != 0);
	}
	snprintf(bad, sizeof(bad), "%s,%s/none", ctl, dir);
	snprintf(msg, sizeof(msg), "--perf-ctl: %s/none: No such file or "
		 "directory", dir);
	expect_usage(bad, msg);
	/* EOF on CTL: the control FIFO was closed, not leaked */
	cr_assert_eq(waitpid(reader, &st, 0), reader);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

Test(perfctl, without_perf_there_is_nothing_to_send)
{
	struct shmx_error err = { 0 };

	cr_assert_eq(shmx__perf_enable(NULL, &err), 0);
	cr_assert_eq(shmx__perf_disable(NULL, &err), 0);
	cr_assert_str_eq(err.msg, "");
}

Test(perfctl, the_gate_is_open_without_perf_and_closed_with_it)
{
	struct shmx__perf_ctl pc = { .ctl_fd = -1, .ack_fd = -1 };
	_Atomic uint32_t gate = 7;

	shmx__perf_gate_init(&gate, NULL);
	cr_assert_eq(gate, 1);
	shmx__perf_gate_wait(&gate); /* returns at once */
	shmx__perf_gate_init(&gate, &pc);
	cr_assert_eq(gate, 0);
	shmx__perf_gate_open(&gate);
	cr_assert_eq(gate, 1);
	shmx__perf_gate_wait(&gate);
}

/* The process state letter from /proc/PID/stat ('S': asleep). */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* after the command name, which may hold ' ' */
	return p && p[1] && p[2] ? p[2] : '?';
}

/* A worker at a closed gate sleeps (in the futex) and does not pass
 * until the gate opens: asleep and not exited, then exited once open.
 * No timing: we wait for it to be asleep, however long that takes. */
Test(perfctl, a_worker_waits_at_the_closed_gate_until_it_opens)
{
	struct shmx__perf_ctl pc = { .ctl_fd = -1, .ack_fd = -1 };
	_Atomic uint32_t *gate = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct timespec ms = { 0, 1000 * 1000 };
	int ready[2], st;
	pid_t pid;
	char b;

	cr_assert(gate != MAP_FAILED);
	shmx__perf_gate_init(gate, &pc);
	cr_assert_eq(pipe(ready), 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		alarm(20);
		close(ready[0]);
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		shmx__perf_gate_wait(gate);
		_exit(atomic_load(gate) == 1 ? 0 : 3);
	}
	close(ready[1]);
	cr_assert_eq(read(ready[0], &b, 1), 1);
	for (;;) {
		cr_assert_eq(waitpid(pid, &st, WNOHANG), 0,
			     "it passed a closed gate");
		if (proc_state(pid) == 'S')
			break;
		nanosleep(&ms, NULL);
	}
	shmx__perf_gate_open(gate);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
}

/* Through the pool: perf reads "enable" before any chunk is computed
 * (the workers are held at the gate until it acks) and "disable" after
 * the last one. */
static _Atomic uint64_t *computed;

static int count(void *ctx, uint64_t chunk, uint64_t row0, uint64_t nrows)
{
	(void)ctx;
	(void)chunk;
	(void)row0;
	(void)nrows;
	atomic_fetch_add(computed, 1);
	return 0;
}

Test(perfctl, the_pool_computes_only_between_enable_and_disable)
{
	struct shmx__perf_ctl pc;
	struct shmx_error err = { 0 };
	struct shmx__plan p;
	struct shmx__pool_task t = { .plan = &p, .run = count };
	struct shmx__pool_opts o = { .workers = 3, .retries = 0,
				     .what = "test", .perf = &pc };
	struct fake f;

	fake_start(&f, "ack\n");
	computed = f.computed;
	shmx__plan_make(&p, 400, 8, 80); /* 40 chunks */
	cr_assert_eq(shmx__perf_ctl_open(spec, &pc, &err), 0, "%s", err.msg);
	cr_assert_eq(shmx__pool_run(&t, &o, NULL, &err), 0, "%s", err.msg);
	cr_assert_eq(*computed, 40);
	cr_assert_str_eq(fake_end(&f, &pc), "enable\ndisable\n");
	cr_assert_eq(*f.at_enable, 0, "computed before perf was on");
	cr_assert_eq(*f.at_disable, 40, "computed after perf was off");
}
