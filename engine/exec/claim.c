/* engine/exec/claim.c - the control page and the claim protocol (see
 * claim.h for the layout and the invariants every function here keeps). */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/fault.h"
#include "exec/claim.h"

int shmx__ctl_map(struct shmx__ctl *c, unsigned nslots, uint64_t nchunks)
{
	size_t len = sizeof(struct shmx__ctl_header) +
		     nslots * sizeof(struct shmx__ctl_slot) +
		     nchunks * (sizeof(uint64_t) + 1);
	char *p = shmx__fault_hit("mmap") ? (errno = ENOMEM, MAP_FAILED)
		  : mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	/* anonymous pages are zero: every state FREE, every counter 0 */
	c->base = p;
	c->len = len;
	c->nchunks = nchunks;
	c->first = 0;
	c->end = nchunks;
	c->h = (void *)p;
	c->w = (void *)(p + sizeof(struct shmx__ctl_header));
	c->state = (void *)(p + sizeof(struct shmx__ctl_header) +
			    nslots * sizeof(struct shmx__ctl_slot));
	c->attempts = (uint8_t *)(c->state + nchunks);
	return 0;
}

void shmx__ctl_unmap(struct shmx__ctl *c)
{
	munmap(c->base, c->len);
	c->base = NULL;
}

void shmx__ctl_range(struct shmx__ctl *c, uint64_t first, uint64_t end)
{
	c->first = first;
	c->end = end;
	atomic_store_explicit(&c->h->cursor, first, memory_order_relaxed);
}

void shmx__claim_fault_parse(struct shmx__claim_fault *f)
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

void shmx__claimer_init(struct shmx__claimer *k, struct shmx__ctl *c,
			struct shmx__ctl_slot *me,
			const struct shmx__plan *plan,
			const struct shmx__claim_fault *f, pid_t pid)
{
	*k = (struct shmx__claimer){ .c = c, .me = me, .plan = plan, .f = f,
				     .claim = SHMX__CLAIM(pid),
				     .scan = c->first };
}

/* CAS chunk i from FREE to ours; the fault hook fires here.  acq_rel: a
 * chunk the parent freed comes with its attempts count (stored before
 * the FREE). */
static int try_claim(struct shmx__claimer *k, uint64_t i)
{
	uint64_t expect = SHMX__STATE_FREE;
	const struct shmx__claim_fault *f = k->f;

	if (!atomic_compare_exchange_strong_explicit(&k->c->state[i], &expect,
						     k->claim,
						     memory_order_acq_rel,
						     memory_order_relaxed))
		return 0;
	if (f && f->armed && f->chunk == i &&
	    (f->persist || k->c->attempts[i] == 0))
		raise(f->sig);
	return 1;
}

int shmx__claim(struct shmx__claimer *k, uint64_t *chunk)
{
	uint64_t n = k->c->end, i;

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
					 memory_order_relaxed) == SHMX__STATE_FREE &&
		    try_claim(k, k->scan))
			return *chunk = k->scan++, 1;
	return 0;
}

unsigned shmx__claimer_lane(const struct shmx__claimer *k)
{
	return k->me->lane;
}

void shmx__ctl_preset(struct shmx__ctl *c, const uint8_t *done)
{
	for (uint64_t i = 0; i < c->nchunks; i++)
		if (done[i]) {
			atomic_store(&c->state[i], SHMX__STATE_DONE);
			atomic_fetch_add(&c->h->done, 1);
		}
}

void shmx__claim_done(struct shmx__claimer *k, uint64_t chunk,
		      uint64_t compute_ns)
{
	/* release: the chunk's output is complete before anyone sees DONE */
	atomic_store_explicit(&k->c->state[chunk], SHMX__STATE_DONE,
			      memory_order_release);
	atomic_fetch_add_explicit(&k->c->h->done, 1, memory_order_relaxed);
	k->me->chunks++;
	k->me->rows += shmx__plan_nrows(k->plan, chunk);
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

int shmx__ctl_held(const struct shmx__ctl *c, pid_t pid, uint64_t *first,
		   uint64_t *last)
{
	uint64_t claim = SHMX__CLAIM(pid);
	int any = 0;

	for (uint64_t i = c->first; i < c->end; i++) {
		if (atomic_load(&c->state[i]) != claim)
			continue;
		if (!any)
			*first = i;
		*last = i;
		any = 1;
	}
	return any;
}

uint64_t shmx__ctl_release(struct shmx__ctl *c, pid_t pid)
{
	uint64_t claim = SHMX__CLAIM(pid), n = 0;

	for (uint64_t i = c->first; i < c->end; i++) {
		if (atomic_load(&c->state[i]) != claim)
			continue;
		/* before the FREE: whoever claims it next sees the count */
		c->attempts[i]++;
		atomic_store(&c->state[i], SHMX__STATE_FREE);
		n++;
	}
	return n;
}

uint64_t shmx__ctl_done(const struct shmx__ctl *c)
{
	return atomic_load_explicit(&c->h->done, memory_order_relaxed);
}

uint64_t shmx__ctl_first_undone(const struct shmx__ctl *c)
{
	uint64_t i = c->first;

	while (i < c->end && atomic_load(&c->state[i]) == SHMX__STATE_DONE)
		i++;
	return i;
}
