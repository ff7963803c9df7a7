/* tests/test_claim.c - the claim protocol of exec/claim.h, without the
 * pool: in one process with several claimers, and with forked claimers
 * racing for real.  Every chunk is claimed exactly once, a dead
 * claimer's chunks go back to FREE and to the next claimer, DONE is
 * final, and the fault hook fires on the claim it names. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec/claim.h"
#include "support.h"

/* Pids that stand for workers in the single-process tests: the protocol
 * only compares state words, it never signals or waits for them. */
#define PID_A 1001
#define PID_B 1002
#define PID_C 1003

static struct shmx__plan plan;
static struct shmx__ctl ctl;

/* 10 rows a chunk, n chunks; slots for 4 claimers. */
static void ctl_make(uint64_t nchunks)
{
	shmx__plan_make(&plan, nchunks * 10, 8, 80);
	cr_assert_eq(plan.nchunks, nchunks);
	cr_assert_eq(shmx__ctl_map(&ctl, 4, nchunks), 0);
}

static void claimer(struct shmx__claimer *k, unsigned slot, pid_t pid)
{
	shmx__claimer_init(k, &ctl, &ctl.w[slot], &plan, NULL, pid);
}

static uint64_t state(uint64_t i)
{
	return atomic_load(&ctl.state[i]);
}

Test(claim, one_claimer_gets_every_chunk_once_in_order)
{
	struct shmx__claimer k;
	uint64_t c;

	ctl_make(7);
	claimer(&k, 0, PID_A);
	for (uint64_t i = 0; i < 7; i++) {
		cr_assert_eq(shmx__claim(&k, &c), 1);
		cr_assert_eq(c, i);
		cr_assert_eq(state(i), SHMX__CLAIM(PID_A));
		shmx__claim_done(&k, c, 5);
		cr_assert_eq(state(i), SHMX__STATE_DONE);
	}
	cr_assert_eq(shmx__claim(&k, &c), 0, "none left");
	cr_assert_eq(shmx__claim(&k, &c), 0, "and none later");
	cr_assert_eq(shmx__ctl_done(&ctl), 7);
	cr_assert_eq(shmx__ctl_first_undone(&ctl), 7);
	cr_assert_eq(ctl.w[0].chunks, 7);
	cr_assert_eq(ctl.w[0].rows, 70);
	cr_assert_eq(ctl.w[0].compute_ns, 35);
	shmx__ctl_unmap(&ctl);
}

Test(claim, a_fresh_page_is_all_free_and_nothing_is_done)
{
	uint64_t first, last;

	ctl_make(5);
	for (uint64_t i = 0; i < 5; i++)
		cr_assert_eq(state(i), SHMX__STATE_FREE);
	cr_assert_eq(shmx__ctl_first_undone(&ctl), 0);
	cr_assert_eq(shmx__ctl_done(&ctl), 0);
	cr_assert_eq(shmx__ctl_held(&ctl, PID_A, &first, &last), 0);
	cr_assert_eq(shmx__ctl_release(&ctl, PID_A), 0);
	shmx__ctl_unmap(&ctl);
}

Test(claim, interleaved_claimers_never_share_a_chunk)
{
	struct shmx__claimer k[3];
	int owner[30], more = 1;
	uint64_t c;

	ctl_make(30);
	for (unsigned i = 0; i < 3; i++)
		claimer(&k[i], i, PID_A + (pid_t)i);
	memset(owner, -1, sizeof(owner));
	while (more) {
		more = 0;
		for (int i = 0; i < 3; i++) {
			if (!shmx__claim(&k[i], &c))
				continue;
			cr_assert_eq(owner[c], -1, "chunk %lu claimed twice",
				     (unsigned long)c);
			owner[c] = i;
			more = 1;
		}
	}
	for (unsigned i = 0; i < 30; i++) {
		cr_assert_neq(owner[i], -1, "chunk %u never claimed", i);
		cr_assert_eq(state(i), SHMX__CLAIM(PID_A + owner[i]));
	}
	shmx__ctl_unmap(&ctl);
}

/* A holds chunks 0-2 and dies; B claims the rest and finishes its rescue
 * pass (it would exit: nothing FREE).  The parent frees A's chunks, and
 * the replacement C gets exactly those, each with one attempt counted. */
Test(claim, a_dead_claimers_chunks_are_freed_for_its_replacement)
{
	struct shmx__claimer a, b, r;
	uint64_t c, first, last;

	ctl_make(8);
	claimer(&a, 0, PID_A);
	claimer(&b, 1, PID_B);
	for (uint64_t i = 0; i < 3; i++)
		cr_assert(shmx__claim(&a, &c) && c == i);
	while (shmx__claim(&b, &c))
		shmx__claim_done(&b, c, 0);
	cr_assert_eq(shmx__ctl_first_undone(&ctl), 0);
	cr_assert_eq(shmx__ctl_held(&ctl, PID_A, &first, &last), 1);
	cr_assert_eq(first, 0);
	cr_assert_eq(last, 2);
	cr_assert_eq(shmx__ctl_held(&ctl, PID_B, &first, &last), 0,
		     "B holds nothing: all it claimed is DONE");

	cr_assert_eq(shmx__ctl_release(&ctl, PID_A), 3);
	cr_assert_eq(shmx__ctl_held(&ctl, PID_A, &first, &last), 0);
	for (uint64_t i = 0; i < 8; i++) {
		cr_assert_eq(state(i), i < 3 ? SHMX__STATE_FREE : SHMX__STATE_DONE);
		cr_assert_eq(ctl.attempts[i], i < 3 ? 1 : 0);
	}
	claimer(&r, 2, PID_C);
	for (uint64_t i = 0; i < 3; i++) {
		cr_assert(shmx__claim(&r, &c) && c == i,
			  "the replacement's rescue pass takes chunk %lu",
			  (unsigned long)i);
		shmx__claim_done(&r, c, 0);
	}
	cr_assert_eq(shmx__claim(&r, &c), 0);
	cr_assert_eq(shmx__ctl_first_undone(&ctl), 8);
	cr_assert_eq(ctl.w[1].chunks + ctl.w[2].chunks, 8);
	shmx__ctl_unmap(&ctl);
}

/* A survivor still in its rescue pass picks up freed chunks ahead of its
 * scan position, just as a replacement would. */
Test(claim, a_survivor_in_its_rescue_pass_takes_freed_chunks)
{
	struct shmx__claimer a, b;
	uint64_t c;

	ctl_make(4);
	claimer(&a, 0, PID_A);
	claimer(&b, 1, PID_B);
	cr_assert(shmx__claim(&b, &c) && c == 0);
	cr_assert(shmx__claim(&a, &c) && c == 1);
	cr_assert(shmx__claim(&a, &c) && c == 2);
	cr_assert(shmx__claim(&a, &c) && c == 3);
	shmx__claim_done(&b, 0, 0);
	cr_assert_eq(shmx__ctl_release(&ctl, PID_A), 3);
	for (uint64_t i = 1; i < 4; i++)
		cr_assert(shmx__claim(&b, &c) && c == i);
	cr_assert_eq(shmx__claim(&b, &c), 0);
	shmx__ctl_unmap(&ctl);
}

Test(claim, done_is_final)
{
	struct shmx__claimer a, b;
	uint64_t c, first, last;

	ctl_make(3);
	claimer(&a, 0, PID_A);
	claimer(&b, 1, PID_B);
	while (shmx__claim(&a, &c))
		shmx__claim_done(&a, c, 0);
	/* the parent frees nothing of a worker whose chunks are all DONE */
	cr_assert_eq(shmx__ctl_held(&ctl, PID_A, &first, &last), 0);
	cr_assert_eq(shmx__ctl_release(&ctl, PID_A), 0);
	cr_assert_eq(shmx__claim(&b, &c), 0, "nobody claims a DONE chunk");
	for (uint64_t i = 0; i < 3; i++) {
		cr_assert_eq(state(i), SHMX__STATE_DONE);
		cr_assert_eq(ctl.attempts[i], 0);
	}
	cr_assert_eq(shmx__ctl_done(&ctl), 3);
	shmx__ctl_unmap(&ctl);
}

Test(claim, io_and_write_figures_add_up_in_the_slot)
{
	struct shmx__claimer k;

	ctl_make(1);
	claimer(&k, 3, PID_A);
	shmx__claim_note_io(&k, 10, 4096);
	shmx__claim_note_io(&k, 5, 100);
	shmx__claim_note_write(&k, 7, 8192);
	cr_assert_eq(ctl.w[3].io_wait_ns, 15);
	cr_assert_eq(ctl.w[3].bytes_read, 4196);
	cr_assert_eq(ctl.w[3].write_wait_ns, 7);
	cr_assert_eq(ctl.w[3].bytes_written, 8192);
	cr_assert_eq(ctl.w[0].bytes_read, 0, "other slots untouched");
	shmx__ctl_unmap(&ctl);
}

/* Forked claimers: a shared count per chunk of how often one was
 * claimed.  `die_after`: the claimer _exits holding its chunks after that
 * many claims (none done); 0: it runs to the end. */
static _Atomic uint32_t *claims;

static pid_t fork_claimer(unsigned slot, unsigned die_after,
			  const struct shmx__claim_fault *f)
{
	pid_t pid = fork();
	struct shmx__claimer k;
	unsigned n = 0;
	uint64_t c;

	cr_assert(pid >= 0);
	if (pid)
		return pid;
	shmx__claimer_init(&k, &ctl, &ctl.w[slot], &plan, f, getpid());
	while (shmx__claim(&k, &c)) {
		atomic_fetch_add(&claims[c], 1);
		if (die_after && ++n == die_after)
			_exit(1);
		if (!die_after)
			shmx__claim_done(&k, c, 0);
	}
	_exit(0);
}

static void wait_ok(pid_t pid)
{
	int st;

	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "claimer status %d",
		  st);
}

static void claims_make(uint64_t nchunks)
{
	ctl_make(nchunks);
	claims = mmap(NULL, nchunks * 4, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert(claims != MAP_FAILED);
}

Test(claim, forked_claimers_claim_every_chunk_exactly_once)
{
	enum { N = 5000 };
	pid_t pid[4];

	claims_make(N);
	for (unsigned i = 0; i < 4; i++)
		pid[i] = fork_claimer(i, 0, NULL);
	for (unsigned i = 0; i < 4; i++)
		wait_ok(pid[i]);
	for (uint64_t i = 0; i < N; i++)
		cr_assert_eq(claims[i], 1, "chunk %lu claimed %u times",
			     (unsigned long)i, claims[i]);
	cr_assert_eq(shmx__ctl_first_undone(&ctl), N);
	cr_assert_eq(shmx__ctl_done(&ctl), N);
	cr_assert_eq(ctl.w[0].chunks + ctl.w[1].chunks + ctl.w[2].chunks +
			     ctl.w[3].chunks, N);
	shmx__ctl_unmap(&ctl);
}

Test(claim, a_forked_claimer_that_dies_has_its_chunks_taken_by_others)
{
	enum { N = 200 };
	uint64_t first, last;
	pid_t dead, pid[2];
	int st;

	claims_make(N);
	dead = fork_claimer(0, 5, NULL);
	cr_assert_eq(waitpid(dead, &st, 0), dead);
	cr_assert_eq(shmx__ctl_held(&ctl, dead, &first, &last), 1);
	cr_assert_eq(first, 0);
	cr_assert_eq(last, 4);
	cr_assert_eq(shmx__ctl_release(&ctl, dead), 5);
	for (unsigned i = 0; i < 2; i++)
		pid[i] = fork_claimer(1 + i, 0, NULL);
	for (unsigned i = 0; i < 2; i++)
		wait_ok(pid[i]);
	for (uint64_t i = 0; i < N; i++)
		cr_assert_eq(claims[i], i < 5 ? 2 : 1, "chunk %lu: %u claims",
			     (unsigned long)i, claims[i]);
	cr_assert_eq(shmx__ctl_first_undone(&ctl), N);
	cr_assert_eq(ctl.w[1].chunks + ctl.w[2].chunks, N,
		     "every chunk DONE once, by the survivors");
	shmx__ctl_unmap(&ctl);
}

/* The test hook: the claimer that has just claimed chunk 2 raises the
 * signal, on the first attempt only unless persist. */
static int killed_at_chunk2(const struct shmx__claim_fault *f)
{
	uint64_t first, last;
	pid_t pid = fork_claimer(0, 0, f);
	int st;

	cr_assert_eq(waitpid(pid, &st, 0), pid);
	if (!WIFSIGNALED(st))
		return 0;
	cr_assert_eq(WTERMSIG(st), f->sig);
	cr_assert_eq(shmx__ctl_held(&ctl, pid, &first, &last), 1);
	cr_assert(first == 2 && last == 2);
	cr_assert_eq(shmx__ctl_release(&ctl, pid), 1);
	return 1;
}

Test(claim, the_fault_hook_kills_the_first_attempt_at_its_chunk)
{
	struct shmx__claim_fault f = { .armed = 1, .sig = SIGTERM, .chunk = 2 };

	claims_make(4);
	cr_assert(killed_at_chunk2(&f));
	cr_assert_eq(ctl.attempts[2], 1);
	cr_assert_not(killed_at_chunk2(&f), "the second attempt lives");
	cr_assert_eq(shmx__ctl_first_undone(&ctl), 4);
	shmx__ctl_unmap(&ctl);
}

Test(claim, a_persistent_fault_kills_every_attempt)
{
	struct shmx__claim_fault f = { .armed = 1, .persist = 1, .sig = SIGKILL,
				       .chunk = 2 };

	claims_make(4);
	for (int i = 0; i < 3; i++)
		cr_assert(killed_at_chunk2(&f), "attempt %d", i + 1);
	cr_assert_eq(ctl.attempts[2], 3);
	shmx__ctl_unmap(&ctl);
}
