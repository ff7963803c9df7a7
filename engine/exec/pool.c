/* engine/exec/pool.c - spawning and supervising the workers (see pool.h).
 *
 * The parent maps the control page (exec/claim.h), forks the workers,
 * and then only reaps: each of its own workers by pid, on SIGCHLD or
 * every 100 ms tick (when it also redraws the progress bar).  A worker
 * that dies has its claimed chunks freed and a replacement forked, up to
 * `retries` deaths; a chunk function's error, a SIGBUS on a mapping or
 * one death too many fails the run with a message naming the worker, its
 * signal or code, and its rows, and kills the rest.
 *
 * A worker that touches a page of a mapped file beyond its end (the input
 * was truncated under the run) takes SIGBUS.  Rerunning its chunks would
 * only fault again, so the worker's handler records the address in its
 * slot and exits with EXIT_SIGBUS, and the parent fails the run with
 * SHMX_ETRUNCATED naming the rows, without a retry.  The parent never
 * touches the input's pages, so it never takes that SIGBUS itself.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/fault.h"
#include "exec/pool.h"
#include "exec/progress.h"
#include "base/internal.h"

/* Worker exit statuses: a chunk function failed (error in the slot), or
 * the worker took SIGBUS on a mapping (bus in the slot). */
#define EXIT_CHUNK_ERROR 3
#define EXIT_SIGBUS 4

static double seconds(uint64_t ns)
{
	return (double)ns * 1e-9;
}

/* The plain loop: claim a chunk, compute it, mark it done.  `current`
 * names the chunk for a SIGBUS report. */
static int default_loop(const struct shmx__pool_task *t,
			struct shmx__claimer *k, struct shmx__ctl_slot *me)
{
	uint64_t i, t0;
	int rc;

	while (shmx__claim(k, &i)) {
		t0 = shmx__now_ns();
		me->current = i + 1;
		rc = t->run(t->ctx, i, shmx__plan_row0(t->plan, i),
			    shmx__plan_nrows(t->plan, i));
		me->current = 0;
		if (rc)
			return rc;
		shmx__claim_done(k, i, shmx__now_ns() - t0);
	}
	return 0;
}

/* This worker's slot, for its SIGBUS handler (set after fork). */
static struct shmx__ctl_slot *bus_slot;

/* A SIGBUS from the kernel (si_code > 0: a page of a mapped file past its
 * end, or a memory error): note it in the slot and exit, which the parent
 * turns into an error.  One sent by a process (kill, raise) kills the
 * worker as before.  Async-signal-safe: plain stores and _exit. */
static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (si->si_code <= 0 || !bus_slot) {
		signal(sig, SIG_DFL);
		raise(sig); /* delivered when the handler returns */
		return;
	}
	bus_slot->bus_addr = (uint64_t)(uintptr_t)si->si_addr;
	bus_slot->bus = si->si_code;
	_exit(EXIT_SIGBUS);
}

static void catch_sigbus(struct shmx__ctl_slot *me)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	bus_slot = me;
	sigaction(SIGBUS, &sa, NULL);
}

static uint64_t tv_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000000u + (uint64_t)tv.tv_usec * 1000u;
}

/* CPU split and page faults of this worker, for --stats. */
static void record_usage(struct shmx__ctl_slot *me, uint64_t t0)
{
	struct rusage ru;

	me->busy_ns = shmx__now_ns() - t0;
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		me->user_ns = tv_ns(ru.ru_utime);
		me->sys_ns = tv_ns(ru.ru_stime);
		me->faults = (uint64_t)(ru.ru_minflt + ru.ru_majflt);
	}
}

static __attribute__((noreturn)) void
worker_main(struct shmx__ctl *c, struct shmx__ctl_slot *me,
	    const struct shmx__pool_task *t, const struct shmx__claim_fault *f)
{
	struct shmx__claimer k;
	uint64_t t0 = shmx__now_ns();
	int rc;

	shmx__claimer_init(&k, c, me, t->plan, f, getpid());
	catch_sigbus(me);
	shmx__perf_gate_wait(&c->h->gate);
	rc = t->worker ? t->worker(t->ctx, &k) : default_loop(t, &k, me);
	if (rc) {
		me->error = rc;
		_exit(EXIT_CHUNK_ERROR);
	}
	record_usage(me, t0);
	_exit(0);
}

struct sup {
	struct shmx__ctl c;
	const struct shmx__pool_task *t;
	const struct shmx__pool_opts *o;
	struct shmx__claim_fault fault;
	sigset_t old_mask;
	unsigned nslots, used, live, deaths;
	pid_t parent;
};

static int spawn(struct sup *s, unsigned lane, struct shmx_error *err)
{
	struct shmx__ctl_slot *me = &s->c.w[s->used];
	pid_t pid;

	me->lane = lane;
	if (shmx__fault_hit("fork")) {
		pid = -1;
		errno = EAGAIN;
	} else {
		pid = fork();
	}

	if (pid < 0)
		return shmx__fail(err, -errno, "%s: cannot start a worker: %s",
				  s->o->what, strerror(errno));
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &s->old_mask, NULL);
		/* die with the parent; if it is already gone, go now */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != s->parent)
			_exit(1);
		shmx__fault_storm(); /* timers do not survive fork */
		worker_main(&s->c, me, s->t, &s->fault);
	}
	me->pid = pid;
	s->used++;
	s->live++;
	return 0;
}

/* The rows of the chunks pid holds, for the message: "at rows A-B". */
static void held_rows(struct sup *s, pid_t pid, char *buf, size_t len)
{
	const struct shmx__plan *p = s->t->plan;
	uint64_t first, last;

	if (!shmx__ctl_held(&s->c, pid, &first, &last)) {
		snprintf(buf, len, "between chunks");
		return;
	}
	snprintf(buf, len, "at rows %llu-%llu",
		 (unsigned long long)shmx__plan_row0(p, first),
		 (unsigned long long)(shmx__plan_row0(p, last) +
				      shmx__plan_nrows(p, last) - 1));
}

/* The worker took SIGBUS: a mapped file (the input, unless the caller's
 * chunk function maps others) is shorter than when the run began. */
static int on_sigbus_exit(struct sup *s, struct shmx__ctl_slot *w,
			  struct shmx_error *err)
{
	const struct shmx__plan *p = s->t->plan;
	char rows[96];

	if (w->current) {
		uint64_t c = w->current - 1, r0 = shmx__plan_row0(p, c);

		snprintf(rows, sizeof(rows), "at rows %llu-%llu (chunk %llu)",
			 (unsigned long long)r0,
			 (unsigned long long)(r0 + shmx__plan_nrows(p, c) - 1),
			 (unsigned long long)c);
	} else {
		held_rows(s, w->pid, rows, sizeof(rows));
	}
	return shmx__fail(err, SHMX_ETRUNCATED,
			  "%s: %s shrank during the run: worker %d took SIGBUS "
			  "%s",
			  s->o->what, s->o->input ? s->o->input : "the input",
			  w->pid, rows);
}

/* A worker died: free its chunks for a replacement, or fail the run. */
static int on_death(struct sup *s, struct shmx__ctl_slot *w, int status,
		    struct shmx_error *err)
{
	char rows[96], how[64];

	w->died = 1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_SIGBUS && w->bus)
		return on_sigbus_exit(s, w, err);
	held_rows(s, w->pid, rows, sizeof(rows));
	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "killed by SIG%s",
			 sigabbrev_np(WTERMSIG(status)) ?: "?");
	else
		snprintf(how, sizeof(how), "exited with status %d",
			 WEXITSTATUS(status));
	if (w->error)
		return shmx__fail(err, w->error, "%s: worker %d failed %s: %s",
				  s->o->what, w->pid, rows,
				  shmx_strerror(w->error));
	if (++s->deaths > s->o->retries || s->used == s->nslots)
		return shmx__fail(err, SHMX_EWORKER,
				  "%s: worker %d %s %s (retries used up: "
				  "--retries %u)",
				  s->o->what, w->pid, how, rows, s->o->retries);
	if (s->t->retry) {
		int rc = s->t->retry(s->t->ctx, w->lane, err);

		if (rc)
			return rc;
	}
	shmx__ctl_release(&s->c, w->pid);
	return spawn(s, w->lane, err);
}

/* Reap whichever of our workers has exited.  Each by its pid, never
 * waitpid(-1): that would take the exit status of the caller's own
 * children.  0, or the run's failure. */
static int reap(struct sup *s, struct shmx_error *err)
{
	int status, rc = 0;

	/* on_death may spawn: s->used grows, and the new slot is seen too */
	for (unsigned i = 0; !rc && i < s->used; i++) {
		struct shmx__ctl_slot *w = &s->c.w[i];

		if (w->reaped || waitpid(w->pid, &status, WNOHANG) <= 0)
			continue;
		w->reaped = 1;
		s->live--;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			continue;
		rc = on_death(s, w, status, err);
	}
	return rc;
}

/* The rows of chunks [first, end). */
static uint64_t range_rows(const struct shmx__plan *p, uint64_t first,
			   uint64_t end)
{
	if (first == end)
		return 0;
	return shmx__plan_row0(p, end - 1) + shmx__plan_nrows(p, end - 1) -
	       shmx__plan_row0(p, first);
}

/* The bar, from the control page's figures. */
static void draw_progress(struct sup *s, uint64_t t0, int final)
{
	struct shmx__progress p = {
		.what = s->o->what, .done = shmx__ctl_done(&s->c),
		.nchunks = s->c.end - s->c.first,
		.rows = range_rows(s->t->plan, s->c.first, s->c.end),
		.bytes_per_row = s->t->bytes_per_row,
		.elapsed_s = seconds(shmx__now_ns() - t0),
		.workers = s->o->workers,
	};

	for (unsigned i = 0; i < s->used; i++) {
		p.bytes_read += s->c.w[i].bytes_read;
		p.read_wait_ns += s->c.w[i].io_wait_ns;
		p.bytes_written += s->c.w[i].bytes_written;
		p.write_wait_ns += s->c.w[i].write_wait_ns;
	}
	shmx__progress_draw(&p, final);
}

/* Kill and reap every worker not reaped yet (a reaped one's pid may
 * belong to someone else by now).  Each by its pid: waiting for any child
 * could block on the caller's own children.  EINTR: a signal handler
 * without SA_RESTART ran; wait again. */
static void kill_all(struct sup *s)
{
	for (unsigned i = 0; i < s->used; i++)
		if (!s->c.w[i].reaped)
			kill(s->c.w[i].pid, SIGKILL);
	for (unsigned i = 0; i < s->used; i++)
		while (!s->c.w[i].reaped &&
		       waitpid(s->c.w[i].pid, NULL, 0) < 0 && errno == EINTR)
			;
	s->live = 0;
}

/* Start the workers; with perf control, they wait at the gate until the
 * counters are enabled, so setup and fork are not counted. */
static int start(struct sup *s, struct shmx_error *err)
{
	int rc = 0;

	for (unsigned i = 0; !rc && i < s->o->workers; i++)
		rc = spawn(s, i, err);
	if (!rc)
		rc = shmx__perf_enable(s->o->perf, err);
	shmx__perf_gate_open(&s->c.h->gate);
	return rc;
}

static int supervise(struct sup *s, struct shmx_error *err)
{
	struct timespec tick = { 0, 100 * 1000 * 1000 };
	sigset_t chld;
	uint64_t t0 = shmx__now_ns();
	int rc, prc;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	rc = start(s, err);
	while (!rc && s->live) {
		rc = reap(s, err);
		if (rc || !s->live)
			break;
		if (s->o->progress)
			draw_progress(s, t0, 0);
		/* SIGCHLD is blocked: wait for it, or for the next tick */
		sigtimedwait(&chld, NULL, &tick);
	}
	if (s->o->progress && !rc)
		draw_progress(s, t0, 1);
	if (rc)
		kill_all(s);
	prc = shmx__perf_disable(s->o->perf, rc ? NULL : err);
	return rc ? rc : prc;
}

static void fill_report(struct sup *s, struct shmx__pool_report *rep,
			double compute_s)
{
	memset(rep, 0, sizeof(*rep));
	rep->workers = s->o->workers;
	rep->spawned = s->used;
	rep->deaths = s->deaths;
	rep->compute_s = compute_s;
	rep->w = shmx__calloc(s->used, sizeof(*rep->w));
	if (!rep->w)
		return;
	for (unsigned i = 0; i < s->used; i++) {
		struct shmx__ctl_slot *w = &s->c.w[i];

		rep->w[i] = (struct shmx_worker_stats){
			.pid = w->pid, .chunks = w->chunks, .rows = w->rows,
			.compute_s = seconds(w->compute_ns),
			.busy_s = seconds(w->busy_ns), .died = w->died,
			.user_s = seconds(w->user_ns), .sys_s = seconds(w->sys_ns),
			.faults = w->faults, .io_wait_s = seconds(w->io_wait_ns),
			.bytes_read = w->bytes_read,
			.write_wait_s = seconds(w->write_wait_ns),
			.bytes_written = w->bytes_written,
		};
	}
}

/* Every chunk DONE (claim.h, invariant 2), or the run fails. */
static int check_done(struct sup *s, struct shmx_error *err)
{
	uint64_t i = shmx__ctl_first_undone(&s->c);

	if (i == s->c.end)
		return 0;
	return shmx__fail(err, SHMX_EWORKER, "%s: chunk %llu was not computed",
			  s->o->what, (unsigned long long)i);
}

int shmx__pool_run(const struct shmx__pool_task *t,
		   const struct shmx__pool_opts *o,
		   struct shmx__pool_report *rep, struct shmx_error *err)
{
	struct sup s = { .t = t, .o = o, .parent = getpid() };
	sigset_t block;
	uint64_t t0;
	int rc;

	s.nslots = o->workers + o->retries;
	rc = shmx__ctl_map(&s.c, s.nslots, t->plan->nchunks);
	if (rc < 0)
		return shmx__fail(err, rc, "%s: cannot map the control page: %s",
				  o->what, strerror(-rc));
	if (t->end)
		shmx__ctl_range(&s.c, t->first, t->end);

	if (t->done)
		shmx__ctl_preset(&s.c, t->done);
	shmx__claim_fault_parse(&s.fault);
	shmx__fault_storm();
	shmx__perf_gate_init(&s.c.h->gate, o->perf);
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &s.old_mask);
	t0 = shmx__now_ns();
	rc = supervise(&s, err);
	if (!rc)
		rc = check_done(&s, err);
	sigprocmask(SIG_SETMASK, &s.old_mask, NULL);
	if (rep)
		fill_report(&s, rep, seconds(shmx__now_ns() - t0));
	shmx__ctl_unmap(&s.c);
	return rc;
}

void shmx__pool_report_free(struct shmx__pool_report *rep)
{
	if (rep)
		shmx__free(rep->w);
}
