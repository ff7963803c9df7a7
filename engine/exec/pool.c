/* engine/pool.c - the forked worker pool (see pool.h).
 *
 * The control page, MAP_SHARED|MAP_ANONYMOUS, created before fork:
 *
 *   +------------------------+ 0
 *   | header                 | cursor (next chunk), done (finished chunks)
 *   +------------------------+ 64
 *   | worker slot 0          | 128 B each: its pid, counters, error;
 *   | worker slot 1 ...      | whole cache lines, no false sharing
 *   +------------------------+ 64 + 128 * nslots
 *   | state[nchunks]         | 8 B each: FREE, DONE, or pid + 2 of the
 *   |                        | worker that claimed it
 *   +------------------------+
 *   | attempts[nchunks]      | 1 B each, written by the parent only
 *   +------------------------+
 *
 * A worker takes chunk numbers from the cursor (fetch_add: no lock, each
 * number given once) and claims each with a CAS FREE -> pid + 2.  When a
 * worker dies the parent turns its claimed chunks back to FREE and starts
 * a replacement; every worker ends with a rescue pass over the states, so
 * chunks freed that way are picked up by whoever is still running.
 *
 * A worker that touches a page of a mapped file beyond its end (the input
 * was truncated under the run) takes SIGBUS.  Rerunning its chunks would
 * only fault again, so the worker's handler records the address in its
 * slot and exits with EXIT_SIGBUS, and the parent fails the run with
 * SHMX_ETRUNCATED naming the rows, without a retry.  The parent never
 * touches the input's pages, so it never takes that SIGBUS itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/futex.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/fault.h"
#include "exec/pool.h"
#include "base/internal.h"

#define STATE_FREE 0
#define STATE_DONE 1
#define CLAIM(pid) ((uint64_t)(pid) + 2)

/* Worker exit statuses: a chunk function failed (error in the slot), or
 * the worker took SIGBUS on a mapping (bus in the slot). */
#define EXIT_CHUNK_ERROR 3
#define EXIT_SIGBUS 4

struct ctl_header {
	_Atomic uint64_t cursor;
	_Atomic uint64_t done;
	_Atomic uint32_t gate; /* 0: workers wait (futex) until perf is on */
	char pad[44];
};

struct ctl_worker {
	int32_t pid;
	int32_t error;      /* a chunk function's code, 0 if none */
	uint64_t chunks, rows;
	uint64_t compute_ns, busy_ns;
	uint64_t user_ns, sys_ns, faults; /* getrusage at the worker's end */
	uint64_t io_wait_ns, bytes_read;  /* streaming workers */
	uint64_t write_wait_ns, bytes_written; /* streamed writes */
	int32_t died; /* written by the parent after reaping it */
	int32_t bus;  /* si_code of a SIGBUS the worker took, 0 if none */
	uint64_t current;  /* chunk + 1 being computed (plain loop), or 0 */
	uint64_t bus_addr; /* where that SIGBUS hit */
	int32_t reaped;    /* by the parent: its pid is no longer ours */
	char pad[4];
};

_Static_assert(sizeof(struct ctl_header) == 64, "header is one cache line");
_Static_assert(sizeof(struct ctl_worker) == 128, "a slot is two cache lines");

struct ctl {
	struct ctl_header *h;
	struct ctl_worker *w;
	_Atomic uint64_t *state;
	uint8_t *attempts;
	size_t len;
	void *base;
};

/* Test builds: SHMX_FAULT=worker-chunk:K[:persist] kills the worker that
 * is about to compute chunk K (first attempt only, unless persist), with
 * $SHMX_FAULT_SIGNAL (default SIGKILL).  Parsed in the parent, before
 * fork. */
struct fault {
	int armed, persist, sig;
	uint64_t chunk;
};

static double seconds(uint64_t ns)
{
	return (double)ns * 1e-9;
}

static void fault_parse(struct fault *f)
{
	const char *sig = getenv("SHMX_FAULT_SIGNAL");
	bool persist;

	memset(f, 0, sizeof(*f));
	if (!shmx__fault_arg("worker-chunk", &f->chunk, &persist))
		return;
	f->persist = persist;
	f->armed = 1;
	f->sig = SIGKILL;
	if (sig && !strcmp(sig, "SEGV"))
		f->sig = SIGSEGV;
	else if (sig && !strcmp(sig, "TERM"))
		f->sig = SIGTERM;
}

static int ctl_map(struct ctl *c, unsigned nslots, uint64_t nchunks)
{
	size_t len = sizeof(struct ctl_header) + nslots * sizeof(struct ctl_worker) +
		     nchunks * (sizeof(uint64_t) + 1);
	char *p = shmx__fault_hit("mmap") ? (errno = ENOMEM, MAP_FAILED)
		  : mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	c->base = p;
	c->len = len;
	c->h = (void *)p;
	c->w = (void *)(p + sizeof(struct ctl_header));
	c->state = (void *)(p + sizeof(struct ctl_header) +
			    nslots * sizeof(struct ctl_worker));
	c->attempts = (uint8_t *)(c->state + nchunks);
	return 0;
}

struct shmx__claimer {
	struct ctl *c;
	struct ctl_worker *me;
	const struct shmx__pool_task *t;
	const struct fault *f;
	uint64_t claim; /* this worker's state word: pid + 2 */
	uint64_t scan;  /* rescue pass position */
	int rescue;     /* the cursor is exhausted */
};

/* CAS chunk i from FREE to ours; the fault hook fires here. */
static int try_claim(struct shmx__claimer *k, uint64_t i)
{
	uint64_t expect = STATE_FREE;
	const struct fault *f = k->f;

	if (!atomic_compare_exchange_strong_explicit(&k->c->state[i], &expect,
						     k->claim,
						     memory_order_acq_rel,
						     memory_order_relaxed))
		return 0;
	if (f->armed && f->chunk == i && (f->persist || k->c->attempts[i] == 0))
		raise(f->sig);
	return 1;
}

int shmx__claim(struct shmx__claimer *k, uint64_t *chunk)
{
	uint64_t n = k->t->plan->nchunks, i;

	while (!k->rescue) {
		/* relaxed: the CAS in try_claim is what orders ownership */
		i = atomic_fetch_add_explicit(&k->c->h->cursor, 1,
					      memory_order_relaxed);
		if (i >= n)
			k->rescue = 1;
		else if (try_claim(k, i))
			return *chunk = i, 1;
	}
	/* rescue pass: chunks a dead worker held, turned FREE by the parent */
	for (; k->scan < n; k->scan++)
		if (atomic_load_explicit(&k->c->state[k->scan],
					 memory_order_relaxed) == STATE_FREE &&
		    try_claim(k, k->scan))
			return *chunk = k->scan++, 1;
	return 0;
}

void shmx__claim_done(struct shmx__claimer *k, uint64_t chunk,
		      uint64_t compute_ns)
{
	/* release: the chunk's output is complete before anyone sees DONE */
	atomic_store_explicit(&k->c->state[chunk], STATE_DONE,
			      memory_order_release);
	atomic_fetch_add_explicit(&k->c->h->done, 1, memory_order_relaxed);
	k->me->chunks++;
	k->me->rows += shmx__plan_nrows(k->t->plan, chunk);
	k->me->compute_ns += compute_ns;
}

void shmx__claim_note_io(struct shmx__claimer *k, uint64_t wait_ns,
			 uint64_t bytes)
{
	k->me->io_wait_ns += wait_ns;
	k->me->bytes_read += bytes;
}

void shmx__claim_note_write(struct shmx__claimer *k, uint64_t wait_ns,
			    uint64_t bytes)
{
	k->me->write_wait_ns += wait_ns;
	k->me->bytes_written += bytes;
}

/* The plain loop: claim a chunk, compute it, mark it done.  `current`
 * names the chunk for a SIGBUS report. */
static int default_loop(struct shmx__claimer *k)
{
	const struct shmx__pool_task *t = k->t;
	uint64_t i, t0;
	int rc;

	while (shmx__claim(k, &i)) {
		t0 = shmx__now_ns();
		k->me->current = i + 1;
		rc = t->run(t->ctx, i, shmx__plan_row0(t->plan, i),
			    shmx__plan_nrows(t->plan, i));
		k->me->current = 0;
		if (rc)
			return rc;
		shmx__claim_done(k, i, shmx__now_ns() - t0);
	}
	return 0;
}

/* This worker's slot, for its SIGBUS handler (set after fork). */
static struct ctl_worker *bus_slot;

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

static void catch_sigbus(struct ctl_worker *me)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	bus_slot = me;
	sigaction(SIGBUS, &sa, NULL);
}

/* Wait until the parent opens the gate (after perf's counters are on). */
static void wait_at_gate(struct ctl *c)
{
	while (!atomic_load_explicit(&c->h->gate, memory_order_acquire))
		syscall(SYS_futex, &c->h->gate, FUTEX_WAIT, 0, NULL, NULL, 0);
}

static void open_gate(struct ctl *c)
{
	atomic_store_explicit(&c->h->gate, 1, memory_order_release);
	syscall(SYS_futex, &c->h->gate, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
}

static uint64_t tv_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000000u + (uint64_t)tv.tv_usec * 1000u;
}

/* CPU split and page faults of this worker, for --stats. */
static void record_usage(struct ctl_worker *me, uint64_t t0)
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
worker_main(struct ctl *c, struct ctl_worker *me,
	    const struct shmx__pool_task *t, const struct fault *f)
{
	struct shmx__claimer k = { .c = c, .me = me, .t = t, .f = f,
				   .claim = CLAIM(getpid()) };
	uint64_t t0 = shmx__now_ns();
	int rc;

	catch_sigbus(me);
	wait_at_gate(c);
	rc = t->worker ? t->worker(t->ctx, &k) : default_loop(&k);
	if (rc) {
		me->error = rc;
		_exit(EXIT_CHUNK_ERROR);
	}
	record_usage(me, t0);
	_exit(0);
}

struct sup {
	struct ctl c;
	const struct shmx__pool_task *t;
	const struct shmx__pool_opts *o;
	struct fault fault;
	sigset_t old_mask;
	unsigned nslots, used, live, deaths;
	pid_t parent;
};

static int spawn(struct sup *s, struct shmx_error *err)
{
	struct ctl_worker *me = &s->c.w[s->used];
	pid_t pid;

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

/* The rows of the chunks pid holds, for the message: "rows A-B". */
static void held_rows(struct sup *s, pid_t pid, char *buf, size_t len)
{
	uint64_t lo = UINT64_MAX, hi = 0, claim = CLAIM(pid);

	for (uint64_t i = 0; i < s->t->plan->nchunks; i++) {
		if (atomic_load(&s->c.state[i]) != claim)
			continue;
		uint64_t r0 = shmx__plan_row0(s->t->plan, i);
		uint64_t r1 = r0 + shmx__plan_nrows(s->t->plan, i) - 1;

		lo = r0 < lo ? r0 : lo;
		hi = r1 > hi ? r1 : hi;
	}
	if (lo == UINT64_MAX)
		snprintf(buf, len, "between chunks");
	else
		snprintf(buf, len, "at rows %llu-%llu", (unsigned long long)lo,
			 (unsigned long long)hi);
}

/* The worker took SIGBUS: a mapped file (the input, unless the caller's
 * chunk function maps others) is shorter than when the run began. */
static int on_sigbus_exit(struct sup *s, struct ctl_worker *w,
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
static int on_death(struct sup *s, struct ctl_worker *w, int status,
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
	for (uint64_t i = 0; i < s->t->plan->nchunks; i++) {
		if (atomic_load(&s->c.state[i]) != CLAIM(w->pid))
			continue;
		s->c.attempts[i]++;
		atomic_store(&s->c.state[i], STATE_FREE);
	}
	return spawn(s, err);
}

/* Reap whichever of our workers has exited.  Each by its pid, never
 * waitpid(-1): that would take the exit status of the caller's own
 * children.  0, or the run's failure. */
static int reap(struct sup *s, struct shmx_error *err)
{
	int status, rc = 0;

	/* on_death may spawn: s->used grows, and the new slot is seen too */
	for (unsigned i = 0; !rc && i < s->used; i++) {
		struct ctl_worker *w = &s->c.w[i];

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

/* ", read 1.23 GB (wait 35%)": what streaming workers read or wrote so
 * far, and the share of the workers' time spent blocked on it. */
static void io_progress(char *buf, size_t len, const char *verb,
			uint64_t bytes, uint64_t wait_ns, double worker_s)
{
	if (!bytes)
		return;
	snprintf(buf + strlen(buf), len - strlen(buf), ", %s %.2f GB (wait %.0f%%)",
		 verb, (double)bytes / 1e9,
		 worker_s > 0 ? 100.0 * seconds(wait_ns) / worker_s : 0.0);
}

static void draw_progress(struct sup *s, uint64_t t0, int final)
{
	uint64_t done = atomic_load(&s->c.h->done), n = s->t->plan->nchunks;
	uint64_t rd = 0, rw = 0, wr = 0, ww = 0;
	double frac = n ? (double)done / (double)n : 1.0;
	double el = seconds(shmx__now_ns() - t0);
	double gb = (double)s->t->plan->rows * frac * (double)s->t->bytes_per_row / 1e9;
	char bar[41], io[128] = "";
	int fill = (int)(frac * 40);

	for (unsigned i = 0; i < s->used; i++) {
		rd += s->c.w[i].bytes_read;
		rw += s->c.w[i].io_wait_ns;
		wr += s->c.w[i].bytes_written;
		ww += s->c.w[i].write_wait_ns;
	}
	io_progress(io, sizeof(io), "read", rd, rw, el * s->o->workers);
	io_progress(io, sizeof(io), "written", wr, ww, el * s->o->workers);
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, '.', (size_t)(40 - fill));
	bar[40] = '\0';
	/* \033[K: a shorter line must not leave the end of a longer one */
	fprintf(stderr, "\r%s [%s] %3d%% %.2f GB/s%s\033[K%s", s->o->what, bar,
		(int)(frac * 100), el > 0 ? gb / el : 0.0, io, final ? "\n" : "");
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

/* Send "enable" or "disable" to `perf stat --control` and wait for its
 * ack when there is an ack FIFO.  Both may block on the FIFOs, so both
 * go on after EINTR. */
static int perf_command(const struct shmx__pool_opts *o, const char *cmd,
			struct shmx_error *err)
{
	char ack[16];
	ssize_t n;

	if (!o->perf)
		return 0;
	do
		n = write(o->perf->ctl_fd, cmd, strlen(cmd));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)strlen(cmd))
		return shmx__fail(err, n < 0 ? -errno : -EIO,
				  "--perf-ctl: cannot write: %s",
				  n < 0 ? strerror(errno) : "short write");
	if (o->perf->ack_fd < 0)
		return 0;
	do
		n = read(o->perf->ack_fd, ack, sizeof(ack));
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return shmx__fail(err, -EIO, "--perf-ctl: no ack from perf");
	return 0;
}

/* Start the workers; with perf control, they wait at the gate until the
 * counters are enabled, so setup and fork are not counted. */
static int start(struct sup *s, struct shmx_error *err)
{
	int rc = 0;

	for (unsigned i = 0; !rc && i < s->o->workers; i++)
		rc = spawn(s, err);
	if (!rc)
		rc = perf_command(s->o, "enable\n", err);
	open_gate(&s->c);
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
	prc = perf_command(s->o, "disable\n", rc ? NULL : err);
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
		struct ctl_worker *w = &s->c.w[i];

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

int shmx__pool_run(const struct shmx__pool_task *t,
		   const struct shmx__pool_opts *o,
		   struct shmx__pool_report *rep, struct shmx_error *err)
{
	struct sup s = { .t = t, .o = o, .parent = getpid() };
	sigset_t block;
	uint64_t t0;
	int rc;

	s.nslots = o->workers + o->retries;
	rc = ctl_map(&s.c, s.nslots, t->plan->nchunks);
	if (rc < 0)
		return shmx__fail(err, rc, "%s: cannot map the control page: %s",
				  o->what, strerror(-rc));
	fault_parse(&s.fault);
	shmx__fault_storm();
	/* without perf control the gate is open from the start */
	atomic_store(&s.c.h->gate, o->perf ? 0 : 1);
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &s.old_mask);
	t0 = shmx__now_ns();
	rc = supervise(&s, err);
	for (uint64_t i = 0; !rc && i < t->plan->nchunks; i++)
		if (atomic_load(&s.c.state[i]) != STATE_DONE)
			rc = shmx__fail(err, SHMX_EWORKER,
					"%s: chunk %llu was not computed",
					o->what, (unsigned long long)i);
	sigprocmask(SIG_SETMASK, &s.old_mask, NULL);
	if (rep)
		fill_report(&s, rep, seconds(shmx__now_ns() - t0));
	munmap(s.c.base, s.c.len);
	return rc;
}

void shmx__pool_report_free(struct shmx__pool_report *rep)
{
	if (rep)
		shmx__free(rep->w);
}

unsigned shmx__workers_for(unsigned asked, uint64_t nchunks)
{
	unsigned w = asked ? asked : shmx__default_workers();

	return nchunks < w ? (unsigned)(nchunks ? nchunks : 1) : w;
}

unsigned shmx__retries_for(int asked)
{
	return asked < 0 ? 0 : asked == 0 ? 1 : (unsigned)asked;
}

unsigned shmx__default_workers(void)
{
	const char *env = getenv("SHMX_WORKERS");
	cpu_set_t set;

	if (env && *env) {
		char *end;
		unsigned long v = strtoul(env, &end, 10);

		if (!*end && v >= 1 && v <= 4096)
			return (unsigned)v;
	}
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	return 1;
}
