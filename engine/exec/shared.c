/* engine/exec/shared.c - the workers' messages to the parent (shared.h). */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>

#include "base/fault.h"
#include "exec/shared.h"

void *shmx__map_shared(uint64_t len)
{
	void *p;

	if (shmx__fault_hit("mmap"))
		return errno = ENOMEM, NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		 -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

struct shmx__shared *shmx__shared_map(void)
{
	return shmx__map_shared(sizeof(struct shmx__shared));
}

void shmx__shared_unmap(struct shmx__shared *sh)
{
	if (sh)
		munmap(sh, sizeof(*sh));
}

/* Copy text into buf once: the first caller to turn *flag from 0 wins. */
static void first(_Atomic int *flag, char *buf, size_t n, const char *text)
{
	int expect = 0;

	if (text[0] && atomic_compare_exchange_strong(flag, &expect, 1))
		snprintf(buf, n, "%s", text);
}

void shmx__shared_error(struct shmx__shared *sh, const struct shmx_error *e)
{
	first(&sh->failed, sh->msg, sizeof(sh->msg), e->msg);
}

void shmx__shared_read_note(struct shmx__shared *sh, const char *note)
{
	first(&sh->read_noted, sh->read_note, sizeof(sh->read_note), note);
}

void shmx__shared_write_note(struct shmx__shared *sh, const char *note)
{
	first(&sh->write_noted, sh->write_note, sizeof(sh->write_note), note);
}
