/* engine/exec/generate.c - `shmx gen`: the same pipeline as run, with no
 * input and the counter-based fill kernel ("fill:FILL:SEED:DTYPE:SHAPE",
 * kernels/fill.c) writing every chunk of a new target.  Element i
 * depends only on the seed and i, so the bytes do not depend on which
 * worker wrote what. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "shmx/run.h"
#include "base/internal.h"
#include "exec/job.h"

static const char *fill_name(enum shmx_fill fill)
{
	switch (fill) {
	case SHMX_FILL_UNIFORM: return "uniform";
	case SHMX_FILL_NORMAL: return "normal";
	case SHMX_FILL_RANGE: return "range";
	case SHMX_FILL_ZEROS: return "zeros";
	}
	return "?";
}

int shmx_gen(const char *spec, enum shmx_dtype t, const struct shmx_shape *s,
	     enum shmx_fill fill, uint64_t seed, const struct shmx_run_opts *opts,
	     struct shmx_stats *stats, struct shmx_error *err)
{
	double t0 = shmx__now();
	struct shmx_stats st = { 0 };
	char shape[64], op[160];
	struct shmx_run_opts o;
	struct shmx__job job;
	int rc;

	err = shmx__job_begin(&job, "gen", opts, &o, err);
	shmx_shape_format(s, shape, sizeof(shape));
	snprintf(op, sizeof(op), "fill:%s:%" PRIu64 ":%s:%s", fill_name(fill),
		 seed, shmx_dtype_name(t), shape);
	shmx__job_no_inputs(&job, shmx_shape_rows(s));
	rc = shmx__job_op(&job, op, err);
	if (!rc)
		rc = shmx__job_prepare(&job, SHMX_AXIS_NONE, err);
	if (!rc)
		rc = shmx__job_plan(&job, o.chunk_bytes, SHMX_IO_MMAP, 0, err);
	if (!rc)
		rc = shmx__job_sink(&job, spec, &o.create, 0, err);
	o.want_stats = stats != NULL;
	if (!rc) /* zeros too: its pages must be reserved */
		rc = shmx__job_execute(&job, &o, "the output", t0, &st, err);
	if (!rc && stats)
		*stats = st;
	shmx__job_close(&job);
	return rc;
}
