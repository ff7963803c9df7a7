/* engine/exec/workers.c - how many workers a run starts by default: one
 * per CPU this process may run on (its affinity mask, which taskset,
 * cgroups' cpusets and container limits narrow), unless $SHMX_WORKERS
 * says otherwise; never more than there are chunks. */
#include <sched.h>
#include <stdlib.h>

#include "exec/pool.h"

unsigned shmx__workers_for(unsigned asked, uint64_t nchunks)
{
	unsigned w = asked ? asked : shmx__default_workers();

	return nchunks < w ? (unsigned)(nchunks ? nchunks : 1) : w;
}

/* $SHMX_WORKERS counts when strtoul reads all of it (leading blanks and
 * a '+' are allowed) as 1 to 4096; any other value is ignored, as if it
 * were unset. */
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
