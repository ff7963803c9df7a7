/* engine/kernels/moments_tmpl.h - a template (no include guard): the
 * variance loops of one element type, included by moments.c through
 * each_int.h / each_float.h (T, SFX, TF: the result type, float for f32,
 * else double) with
 *   TERM  plain, or nan (NaN skipped: SKIP is 1)
 * It defines mom_<TERM>_<SFX>_{run,all,rows,tile,cols} and the struct
 * shmx__red_impl mom_<TERM>_<SFX>.
 */
#define F(x) SHMX__NAME4(mom, TERM, SFX, x)
#define WIDEN SHMX__CAT(shmx__widen_, SFX)
#define SKIP SHMX__CAT(SKIP_, TERM)

static struct shmx__mom F(run)(const T *x, uint64_t n)
{
	struct shmx__mom a = { 0, 0, 0, 0 }, b;
	double buf[SHMX__VAR_BLOCK];

	for (uint64_t i = 0; i < n; i += SHMX__VAR_BLOCK) {
		size_t m = n - i < SHMX__VAR_BLOCK ? n - i : SHMX__VAR_BLOCK;
		prefetch_next(x + i + m, (n - i - m) * sizeof(T));
		b = shmx__blk_mom(WIDEN(x + i, m, buf), m, SKIP);
		shmx__mom_merge(&a, &b);
	}
	return a;
}

SHMX__RED_ALL(struct shmx__mom)

/* Short rows are widened a batch at a time (one long vectorised
 * loop, not one per row), then done as f64 blocks. */
static void F(rows)(const struct shmx__red_op *op, const void *x,
		    uint64_t nrows, uint64_t cols, void *out)
{
	const T *p = x;
	double buf[SHMX__VAR_BLOCK];
	uint64_t batch = SHMX__VAR_BLOCK / (cols ? cols : 1);
	struct shmx__mom a;

	for (uint64_t r0 = 0; r0 < nrows && batch; r0 += batch) {
		uint64_t h = nrows - r0 < batch ? nrows - r0 : batch;
		const double *d = WIDEN(p + r0 * cols, h * cols, buf);

		for (uint64_t r = 0; r < h; r++)
			((TF *)out)[r0 + r] = (TF)var_finish(
				op, shmx__blk_var(d + r * cols, cols, SKIP));
	}
	for (uint64_t r = 0; r < nrows && !batch; r++) {
		a = F(run)(p + r * cols, cols);
		((TF *)out)[r] = (TF)mom_finish(op, &a);
	}
}

/* h rows x w columns at p (row stride `cols`), two-pass, into the
 * column states c0 .. c0 + w of slot. */
static void F(tile)(const T *p, uint64_t h, uint64_t w, uint64_t cols,
		    uint64_t c0, void *slot)
{
	double m[TILE], n[TILE], sd[TILE], sq[TILE];

	for (uint64_t c = 0; c < w; c++)
		m[c] = n[c] = sd[c] = sq[c] = 0;
	for (uint64_t r = 0; r < h; r++)
		for (uint64_t c = 0; c < w; c++) {
			double v = (double)p[r * cols + c];
			m[c] += SKIP && v != v ? 0.0 : v;
			if (SKIP)
				n[c] += v == v ? 1.0 : 0.0;
		}
	for (uint64_t c = 0; c < w; c++) {
		if (!SKIP)
			n[c] = (double)h;
		m[c] = n[c] > 0 ? m[c] / n[c] : 0;
	}
	for (uint64_t r = 0; r < h; r++)
		for (uint64_t c = 0; c < w; c++) {
			double v = (double)p[r * cols + c];
			double d = SKIP && v != v ? 0.0 : v - m[c];
			sd[c] += d;
			sq[c] += d * d;
		}
	tile_close(slot, cols, c0, w, n, m, sd, sq);
}

static void F(cols)(const struct shmx__red_op *op, const void *x,
		    uint64_t nrows, uint64_t cols, uint64_t row0, void *slot)
{
	const T *p = x;

	(void)op;
	(void)row0;
	for (uint64_t c0 = 0; c0 < cols; c0 += TILE) {
		uint64_t w = cols - c0 < TILE ? cols - c0 : TILE;
		uint64_t rb = TILE_VALUES / w;

		for (uint64_t r0 = 0; r0 < nrows; r0 += rb)
			F(tile)(p + r0 * cols + c0,
				nrows - r0 < rb ? nrows - r0 : rb, w, cols, c0,
				slot);
	}
}

SHMX__RED_IMPL(SHMX__NAME3(mom, TERM, SFX), 4 * 8,
	       SHMX__CAT(mom_merge_all_, TF), SHMX__CAT(mom_merge_cols_, TF));

#undef F
#undef WIDEN
#undef SKIP
