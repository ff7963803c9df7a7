/* tools/plugins/rownorm.c - an example plugin: two row-wise kernels of
 * the kind a Pool.map user would write, built against the public kernel
 * ABI (include/shmx/kernel.h) alone.
 *
 *   l2norm   one f64 per row: sqrt(sum of x^2)        (kind ROWS)
 *   zscore   (x - row mean) / row std, ddof 0, f64    (kind MAP)
 *
 * Any numeric input dtype; a row of 0 values has norm 0, and a row whose
 * std is 0 gives NaN (0 / 0) or +-inf, as numpy's arithmetic does.
 *
 *   shmx run plugin:./rownorm.so:l2norm data.npy -o shm://norms
 *
 * A plugin calls nothing of libshmx (the program that loads it need not
 * export its symbols): it reads the call and writes its rows and err.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "shmx/kernel.h"

static int fail(struct shmx_error *err, int code, const char *msg)
{
	err->code = code;
	snprintf(err->msg, sizeof(err->msg), "%s", msg);
	return code;
}

static size_t size_of(enum shmx_dtype t)
{
	static const size_t sizes[SHMX_DTYPE_COUNT] = {
		[SHMX_I8] = 1, [SHMX_I16] = 2, [SHMX_I32] = 4, [SHMX_I64] = 8,
		[SHMX_U8] = 1, [SHMX_U16] = 2, [SHMX_U32] = 4, [SHMX_U64] = 8,
		[SHMX_F32] = 4, [SHMX_F64] = 8, [SHMX_BOOL] = 1,
	};

	return sizes[t];
}

/* Element i of a row of dtype t, as a double. */
static double get(const void *row, enum shmx_dtype t, uint64_t i)
{
	switch (t) {
	case SHMX_I8: return ((const int8_t *)row)[i];
	case SHMX_I16: return ((const int16_t *)row)[i];
	case SHMX_I32: return ((const int32_t *)row)[i];
	case SHMX_I64: return (double)((const int64_t *)row)[i];
	case SHMX_U8: return ((const uint8_t *)row)[i];
	case SHMX_U16: return ((const uint16_t *)row)[i];
	case SHMX_U32: return ((const uint32_t *)row)[i];
	case SHMX_U64: return (double)((const uint64_t *)row)[i];
	case SHMX_F32: return ((const float *)row)[i];
	case SHMX_BOOL: return ((const uint8_t *)row)[i] != 0;
	default: return ((const double *)row)[i];
	}
}

/* Row r of input 0 in a chunk. */
static const void *row_of(const struct shmx_kernel_call *c,
			  const struct shmx_chunk *k, uint64_t r)
{
	const struct shmx_kernel_input *in = &c->in[0];

	return (const char *)k->in[0] + r * in->cols * size_of(in->dtype);
}

static int check_input(const struct shmx_kernel_call *c,
		       struct shmx_error *err)
{
	if ((unsigned)c->in[0].dtype >= SHMX_DTYPE_COUNT)
		return fail(err, SHMX_EDTYPE, "rownorm: unsupported dtype");
	return 0;
}

/* ---- l2norm ------------------------------------------------------------ */

static int l2_prepare(struct shmx_kernel_call *c, struct shmx_error *err)
{
	int rc = check_input(c, err);

	if (rc)
		return rc;
	c->out_dtype = SHMX_F64;
	c->out_shape = (struct shmx_shape){ 1, { c->rows, 0 } };
	c->out_cols = 1;
	return 0;
}

/* f64 rows, what a user usually has.  Four running sums, not one: the
 * additions of one sum wait for each other, four overlap (what the
 * built-in sumsq does with its vector lanes). */
static void l2_f64(const double *x, uint64_t rows, uint64_t cols, double *out)
{
	for (uint64_t r = 0; r < rows; r++, x += cols) {
		double s[4] = { 0, 0, 0, 0 };
		uint64_t i = 0;

		for (; i + 4 <= cols; i += 4)
			for (int l = 0; l < 4; l++)
				s[l] += x[i + l] * x[i + l];
		for (; i < cols; i++)
			s[0] += x[i] * x[i];
		out[r] = sqrt((s[0] + s[1]) + (s[2] + s[3]));
	}
}

static int l2_chunk(const struct shmx_kernel_call *c,
		    const struct shmx_chunk *k, struct shmx_error *err)
{
	double *out = k->out;

	(void)err;
	if (c->in[0].dtype == SHMX_F64) {
		l2_f64(k->in[0], k->nrows, c->in[0].cols, out);
		return 0;
	}
	for (uint64_t r = 0; r < k->nrows; r++) {
		const void *row = row_of(c, k, r);
		double s = 0;

		for (uint64_t i = 0; i < c->in[0].cols; i++) {
			double v = get(row, c->in[0].dtype, i);

			s += v * v;
		}
		out[r] = sqrt(s);
	}
	return 0;
}

static const struct shmx_kernel l2norm = {
	.abi = SHMX_KERNEL_ABI,
	.size = sizeof(struct shmx_kernel),
	.name = "l2norm",
	.kind = SHMX_KERNEL_ROWS,
	.prepare = l2_prepare,
	.chunk = l2_chunk,
};

/* ---- zscore ------------------------------------------------------------ */

static int z_prepare(struct shmx_kernel_call *c, struct shmx_error *err)
{
	int rc = check_input(c, err);

	if (rc)
		return rc;
	c->out_dtype = SHMX_F64;
	c->out_shape = c->in[0].shape;
	c->out_cols = c->in[0].cols;
	return 0;
}

/* Two passes over each row (mean, then the deviations), then the row is
 * written; every value is read before out is, so out may be the input
 * (--in-place on f64). */
static int z_chunk(const struct shmx_kernel_call *c,
		   const struct shmx_chunk *k, struct shmx_error *err)
{
	uint64_t cols = c->in[0].cols;
	enum shmx_dtype t = c->in[0].dtype;

	(void)err;
	for (uint64_t r = 0; r < k->nrows; r++) {
		const void *row = row_of(c, k, r);
		double *out = (double *)k->out + r * cols;
		double mean = 0, ss = 0, sd;

		for (uint64_t i = 0; i < cols; i++)
			mean += get(row, t, i);
		mean /= (double)cols;
		for (uint64_t i = 0; i < cols; i++) {
			double d = get(row, t, i) - mean;

			ss += d * d;
		}
		sd = sqrt(ss / (double)cols);
		for (uint64_t i = 0; i < cols; i++)
			out[i] = (get(row, t, i) - mean) / sd;
	}
	return 0;
}

static const struct shmx_kernel zscore = {
	.abi = SHMX_KERNEL_ABI,
	.size = sizeof(struct shmx_kernel),
	.name = "zscore",
	.kind = SHMX_KERNEL_MAP,
	.prepare = z_prepare,
	.chunk = z_chunk,
};

SHMX_PLUGIN(&l2norm, &zscore);
