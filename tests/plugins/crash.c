/* tests/plugins/crash.c - a kernel whose chunk() dies of SIGSEGV: the run
 * must fail cleanly (retries used up), publishing nothing. */
#include <signal.h>

#include "common.h"

static int crash_chunk(const struct shmx_kernel_call *c,
		       const struct shmx_chunk *k, struct shmx_error *err)
{
	(void)c;
	(void)k;
	(void)err;
	raise(SIGSEGV);
	return 0;
}

static const struct shmx_kernel crash = {
	.abi = SHMX_KERNEL_ABI,
	.size = sizeof(struct shmx_kernel),
	.name = "crash",
	.kind = SHMX_KERNEL_MAP,
	.prepare = tp_map_prepare,
	.chunk = crash_chunk,
};

SHMX_PLUGIN(&crash);
