/* tests/plugins/common.h - what the test plugins share: a map of f64
 * rows into f64 rows, the part that works, so that each plugin differs
 * from a good one in one thing only. */
#ifndef SHMX_TEST_PLUGINS_COMMON_H
#define SHMX_TEST_PLUGINS_COMMON_H

#include <stdio.h>
#include <string.h>

#include "shmx/kernel.h"

static inline int tp_fail(struct shmx_error *err, int code, const char *msg)
{
	err->code = code;
	snprintf(err->msg, sizeof(err->msg), "%s", msg);
	return code;
}

/* out = the input's shape in f64 (f64 inputs only). */
static inline int tp_map_prepare(struct shmx_kernel_call *c,
				 struct shmx_error *err)
{
	if (c->in[0].dtype != SHMX_F64)
		return tp_fail(err, SHMX_EDTYPE, "test plugin: f64 only");
	c->out_dtype = SHMX_F64;
	c->out_shape = c->in[0].shape;
	c->out_cols = c->in[0].cols;
	return 0;
}

/* out = in */
static inline int tp_copy_chunk(const struct shmx_kernel_call *c,
				const struct shmx_chunk *k,
				struct shmx_error *err)
{
	(void)err;
	memcpy(k->out, k->in[0], k->nrows * c->in[0].cols * sizeof(double));
	return 0;
}

#endif
