/* tests/plugins/badabi.c - a kernel built for another kernel ABI: refused
 * before anything of it is called. */
#include "common.h"

static const struct shmx_kernel badabi = {
	.abi = SHMX_KERNEL_ABI + 1,
	.size = sizeof(struct shmx_kernel),
	.name = "copy",
	.kind = SHMX_KERNEL_MAP,
	.prepare = tp_map_prepare,
	.chunk = tp_copy_chunk,
};

SHMX_PLUGIN(&badabi);
