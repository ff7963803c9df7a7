/* engine/kernels/extrema_merge.h - a template (no include guard): the
 * merges of one extremum, included by extrema_ext.h and extrema_arg.h
 * with T, the names F(merge_all) and F(merge_cols), the comparison
 * CMP(v, a): "v replaces a", and
 *   MIDX   0: the result is the value (COLS slot array 0: values);
 *          1: its index (slot arrays 0: indices as i64, 1: values)
 * The best over the chunks' states by CMP, as in one pass, since chunks
 * come in order and CMP keeps the earlier of equals.
 */
static void F(merge_all)(const struct shmx__red_op *op, const char *slots,
			 size_t stride, uint64_t nchunks, void *out)
{
	int have = 0;
	int64_t best_i = 0;
	T best = 0;

	(void)op;
	for (uint64_t i = 0; i < nchunks; i++) {
		const EXT_STATE(T) *st =
			(const void *)(slots + i * stride);

		if (st->n && (!have || CMP(st->val, best))) {
			best = st->val;
			best_i = MIDX ? st->idx : 0;
		}
		have |= st->n != 0;
	}
	if (MIDX)
		*(int64_t *)out = best_i;
	else
		*(T *)out = best;
}

static void F(merge_cols)(const struct shmx__red_op *op, const char *slots,
			  size_t stride, uint64_t nchunks, uint64_t cols,
			  void *out)
{
	(void)op;
	for (uint64_t c = 0; c < cols; c++) {
		int have = 0;
		int64_t best_i = 0;
		T best = 0;

		for (uint64_t i = 0; i < nchunks; i++) {
			const char *slot = slots + i * stride;
			const T *val =
				shmx__slot_array_c(slot, cols, MIDX);

			if (!shmx__slot_nrows_c(slot))
				continue;
			if (!have || CMP(val[c], best)) {
				best = val[c];
				best_i = MIDX ? ((const int64_t *)
						 shmx__slot_array_c(slot, cols,
								    0))[c]
					      : 0;
			}
			have = 1;
		}
		if (MIDX)
			((int64_t *)out)[c] = best_i;
		else
			((T *)out)[c] = best;
	}
}
