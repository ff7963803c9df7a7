/* engine/kernels/sum_int.h - a template (no include guard): the integer
 * sum loops of one element type and one term, included by sum.c once per
 * pair (through each_int.h).  It defines isum_<TERM>_<SFX>_{run,all,rows,
 * cols} and the struct shmx__red_impl isum_<TERM>_<SFX> from each_int.h's
 * T, SFX, W (what numpy widens T to) and sum.c's
 *   TERM  plain (x) or sq (x * x), taken in W
 *
 * Every sum is added in uint64_t, which wraps by definition, and gives
 * numpy's int64 / uint64 bits.
 */
#define F(x) SHMX__NAME4(isum, TERM, SFX, x)
#define ISUM_TERM(w) SHMX__CAT(ISUM_TERM_, TERM)(w)

static uint64_t F(run)(const T *x, uint64_t n)
{
	uint64_t s = 0;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t w = (uint64_t)(W)x[i];
		s += ISUM_TERM(w);
	}
	return s;
}

SHMX__RED_ALL(uint64_t)

static void F(rows)(const struct shmx__red_op *op, const void *x,
		    uint64_t nrows, uint64_t cols, void *out)
{
	const T *p = x;
	W *o = out;

	(void)op;
	for (uint64_t r = 0; r < nrows; r++)
		o[r] = (W)F(run)(p + r * cols, cols);
}

static void F(cols)(const struct shmx__red_op *op, const void *x,
		    uint64_t nrows, uint64_t cols, uint64_t row0, void *slot)
{
	uint64_t *acc = shmx__slot_array(slot, cols, 0);
	const T *p = x;

	(void)op;
	(void)row0;
	for (uint64_t r = 0; r < nrows; r++, p += cols)
		for (uint64_t c = 0; c < cols; c++) {
			uint64_t w = (uint64_t)(W)p[c];
			acc[c] += ISUM_TERM(w);
		}
}

SHMX__RED_IMPL(SHMX__NAME3(isum, TERM, SFX), 8, isum_merge_all,
	       isum_merge_cols);

#undef F
#undef ISUM_TERM
