/* tests/plugins/fail.c - kernels that refuse at run time: chunkfail's
 * chunk() fails on the chunk holding row 5 (any other chunk works),
 * mergefail's merge() always fails; and broken, whose prepare() breaks
 * the contract (out_cols that do not match its output shape). */
#include <errno.h>

#include "common.h"

static int chunkfail_chunk(const struct shmx_kernel_call *c,
			   const struct shmx_chunk *k, struct shmx_error *err)
{
	if (k->row0 <= 5 && 5 < k->row0 + k->nrows)
		return tp_fail(err, SHMX_EOP, "row 5 is not allowed");
	return tp_copy_chunk(c, k, err);
}

static const struct shmx_kernel chunkfail = {
	.abi = SHMX_KERNEL_ABI,
	.size = sizeof(struct shmx_kernel),
	.name = "chunkfail",
	.kind = SHMX_KERNEL_MAP,
	.prepare = tp_map_prepare,
	.chunk = chunkfail_chunk,
};

static int mergefail_prepare(struct shmx_kernel_call *c,
			     struct shmx_error *err)
{
	(void)err;
	c->out_dtype = SHMX_F64;
	c->out_shape = (struct shmx_shape){ 0, { 0, 0 } };
	c->partial_bytes = 8;
	return 0;
}

static int mergefail_chunk(const struct shmx_kernel_call *c,
			   const struct shmx_chunk *k, struct shmx_error *err)
{
	(void)c;
	(void)err;
	*(double *)k->partial = (double)k->nrows;
	return 0;
}

static int mergefail_merge(const struct shmx_kernel_call *c,
			   const void *partials, uint64_t nchunks, void *out,
			   struct shmx_error *err)
{
	(void)c;
	(void)partials;
	(void)nchunks;
	(void)out;
	return tp_fail(err, -EIO, "the partials do not add up");
}

static const struct shmx_kernel mergefail = {
	.abi = SHMX_KERNEL_ABI,
	.size = sizeof(struct shmx_kernel),
	.name = "mergefail",
	.kind = SHMX_KERNEL_REDUCE,
	.prepare = mergefail_prepare,
	.chunk = mergefail_chunk,
	.merge = mergefail_merge,
};

static int broken_prepare(struct shmx_kernel_call *c, struct shmx_error *err)
{
	int rc = tp_map_prepare(c, err);

	c->out_cols += 1;
	return rc;
}

static const struct shmx_kernel broken = {
	.abi = SHMX_KERNEL_ABI,
	.size = sizeof(struct shmx_kernel),
	.name = "broken",
	.kind = SHMX_KERNEL_MAP,
	.prepare = broken_prepare,
	.chunk = tp_copy_chunk,
};

SHMX_PLUGIN(&chunkfail, &mergefail, &broken);
