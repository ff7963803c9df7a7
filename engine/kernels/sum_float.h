/* engine/kernels/sum_float.h - a template (no include guard): the f64
 * accumulating sum loops of one element type and one term, included by
 * sum.c once per pair (f64 first: the other types' rows() use its
 * pairwise sums).  It defines fsum_<TERM>_<SFX>_{pw,all,rows,cols,
 * merge_all,merge_cols} and the struct shmx__red_impl fsum_<TERM>_<SFX>
 * from the parameters of each_int.h / each_float.h (T, SFX, TF: the result
 * type, float for f32, else double) and sum.c's
 *   TERM  plain (x), sq (x * x) or nan (x, NaN skipped and not counted)
 */
#define F(x) SHMX__NAME4(fsum, TERM, SFX, x)
#define F64(x) SHMX__NAME4(fsum, TERM, f64, x)
#define FLEAF SHMX__CAT(fleaf_, TERM)
#define FTERM(v) SHMX__CAT(FTERM_, TERM)(v)
#define FCOUNTS SHMX__CAT(FCOUNTS_, TERM)

static double F(pw)(const T *x, size_t n, double *k)
{
	double a;
	size_t h;

	if (n <= SHMX__PW_BLOCK) {
		double buf[SHMX__PW_BLOCK];
		return FLEAF(SHMX__CAT(shmx__widen_, SFX)(x, n, buf), n, k);
	}
	h = n / 2;
	h -= h % SHMX__LANES;
	a = F(pw)(x, h, k);
	return a + F(pw)(x + h, n - h, k);
}

static void F(all)(const struct shmx__red_op *op, const void *x, uint64_t n,
		   uint64_t index0, void *slot)
{
	struct fsum_state *st = slot;

	(void)op;
	(void)index0;
	st->k = 0;
	st->s = F(pw)(x, n, &st->k);
}

/* Short rows are widened a batch at a time (one long vectorised loop, not
 * one per row), then summed as f64 rows. */
static void F(rows)(const struct shmx__red_op *op, const void *x,
		    uint64_t nrows, uint64_t cols, void *out)
{
	const T *p = x;
	TF *o = out;
	double buf[SHMX__VAR_BLOCK], k, s;
	uint64_t batch = SHMX__VAR_BLOCK / (cols ? cols : 1);

	for (uint64_t r0 = 0; r0 < nrows && batch; r0 += batch) {
		uint64_t h = nrows - r0 < batch ? nrows - r0 : batch;
		const double *d = SHMX__CAT(shmx__widen_, SFX)(p + r0 * cols,
							       h * cols, buf);

		for (uint64_t r = 0; r < h; r++) {
			k = 0;
			s = F64(pw)(d + r * cols, cols, &k);
			o[r0 + r] = (TF)fsum_finish(op, s, k);
		}
	}
	for (uint64_t r = 0; r < nrows && !batch; r++) {
		k = 0;
		s = F(pw)(p + r * cols, cols, &k);
		o[r] = (TF)fsum_finish(op, s, k);
	}
}

static void F(cols)(const struct shmx__red_op *op, const void *x,
		    uint64_t nrows, uint64_t cols, uint64_t row0, void *slot)
{
	double *s = shmx__slot_array(slot, cols, 0);
	double *e = shmx__slot_array(slot, cols, 1);
	double *b = shmx__slot_array(slot, cols, 2);
	double *k = shmx__slot_array(slot, cols, 3);
	const T *p = x;

	(void)op;
	(void)row0;
	for (uint64_t r = 0; r < nrows; r++, p += cols) {
		for (uint64_t c = 0; c < cols; c++) {
			double v = (double)p[c];
			b[c] += FTERM(v);
			if (FCOUNTS)
				k[c] += v == v ? 1.0 : 0.0;
		}
		if ((r + 1) % COLS_BLOCK_ROWS == 0 || r + 1 == nrows)
			fsum_cols_close(s, e, b, cols);
	}
}

static void F(merge_all)(const struct shmx__red_op *op, const char *slots,
			 size_t stride, uint64_t nchunks, void *out)
{
	double k, s = fsum_fold(slots, stride, nchunks, &k);

	*(TF *)out = (TF)fsum_finish(op, s, k);
}

static void F(merge_cols)(const struct shmx__red_op *op, const char *slots,
			  size_t stride, uint64_t nchunks, uint64_t cols,
			  void *out)
{
	for (uint64_t c = 0; c < cols; c++) {
		double k, s = fsum_fold_col(slots, stride, nchunks, c, cols,
					    FCOUNTS, &k);
		((TF *)out)[c] = (TF)fsum_finish(op, s, k);
	}
}

SHMX__RED_IMPL(SHMX__NAME3(fsum, TERM, SFX), 4 * 8, F(merge_all),
	       F(merge_cols));

#undef F
#undef F64
#undef FLEAF
#undef FTERM
#undef FCOUNTS
