/* engine/kernels/moments_merge.h - a template (no include guard): the
 * merges of var and std into one result type, included by moments.c
 * through each_float.h (TF: double or float).  It defines
 * mom_merge_all_<TF> and mom_merge_cols_<TF>.
 */
static void SHMX__CAT(mom_merge_all_, TF)(const struct shmx__red_op *op,
					  const char *slots, size_t stride,
					  uint64_t nchunks, void *out)
{
	struct shmx__mom a = { 0, 0, 0, 0 };

	for (uint64_t i = 0; i < nchunks; i++)
		shmx__mom_merge(&a, (const void *)(slots + i * stride));
	*(TF *)out = (TF)mom_finish(op, &a);
}

static void SHMX__CAT(mom_merge_cols_, TF)(const struct shmx__red_op *op,
					   const char *slots, size_t stride,
					   uint64_t nchunks, uint64_t cols,
					   void *out)
{
	for (uint64_t c = 0; c < cols; c++) {
		struct shmx__mom a = { 0, 0, 0, 0 }, b;

		for (uint64_t i = 0; i < nchunks; i++) {
			col_load(slots + i * stride, cols, c, &b);
			shmx__mom_merge(&a, &b);
		}
		((TF *)out)[c] = (TF)mom_finish(op, &a);
	}
}
