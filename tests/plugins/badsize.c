/* tests/plugins/badsize.c - a kernel whose struct shmx_kernel has another
 * size than this shmx's (a header of another version): refused. */
#include "common.h"

static const struct shmx_kernel badsize = {
	.abi = SHMX_KERNEL_ABI,
	.size = sizeof(struct shmx_kernel) - 8,
	.name = "copy",
	.kind = SHMX_KERNEL_MAP,
	.prepare = tp_map_prepare,
	.chunk = tp_copy_chunk,
};

SHMX_PLUGIN(&badsize);
