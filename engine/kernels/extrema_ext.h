/* engine/kernels/extrema_ext.h - a template (no include guard): min, max,
 * nanmin or nanmax loops of one element type, included by extrema.c
 * through each_int.h / each_float.h (T, SFX) with
 *   VAR  min_int, max_int (integers), min_prop, max_prop, min_skip or
 *        max_skip (floats): the comparison BETTER_<VAR> (as CMP)
 * It defines ext_<VAR>_<SFX>_{fold,run,all,rows,cols,merge_all,
 * merge_cols} and the struct shmx__red_impl ext_<VAR>_<SFX>.
 */
#define F(x) SHMX__NAME4(ext, VAR, SFX, x)
#define CMP SHMX__CAT(BETTER_, VAR)

NOIPA static void F(fold)(const T *x, uint64_t nrows, uint64_t cols, T *acc)
{
	for (uint64_t r = 0; r < nrows; r++, x += cols)
		for (uint64_t c = 0; c < cols; c++) {
			T v = x[c], a = acc[c];
			acc[c] = CMP(v, a) ? v : a;
		}
}

/* The best of x[0..n), n >= 1. */
static T F(run)(const T *x, uint64_t n)
{
	const uint64_t w = WIDTH(T);
	uint64_t i = 1;
	T best = x[0];

	if (n >= 2 * w) {
		T acc[WIDTH(T)];

		memcpy(acc, x, sizeof acc);
		F(fold)(x + w, n / w - 1, w, acc);
		best = acc[0];
		for (uint64_t j = 1; j < w; j++)
			best = CMP(acc[j], best) ? acc[j] : best;
		i = n / w * w;
	}
	for (; i < n; i++)
		best = CMP(x[i], best) ? x[i] : best;
	return best;
}

static void F(all)(const struct shmx__red_op *op, const void *x, uint64_t n,
		   uint64_t index0, void *slot)
{
	EXT_STATE(T) *st = slot;

	(void)op;
	(void)index0;
	st->val = F(run)(x, n);
	st->n = n;
}

static void F(rows)(const struct shmx__red_op *op, const void *x,
		    uint64_t nrows, uint64_t cols, void *out)
{
	const T *p = x;

	(void)op;
	for (uint64_t r = 0; r < nrows; r++, p += cols)
		((T *)out)[r] = F(run)(p, cols);
}

static void F(cols)(const struct shmx__red_op *op, const void *x,
		    uint64_t nrows, uint64_t cols, uint64_t row0, void *slot)
{
	T *acc = shmx__slot_array(slot, cols, 0);

	(void)op;
	(void)row0;
	memcpy(acc, x, cols * sizeof(T));
	F(fold)((const T *)x + cols, nrows - 1, cols, acc);
}

#define MIDX 0
#include "kernels/extrema_merge.h"
#undef MIDX

SHMX__RED_IMPL(SHMX__NAME3(ext, VAR, SFX), 8, F(merge_all),
	       F(merge_cols));

#undef F
#undef CMP
