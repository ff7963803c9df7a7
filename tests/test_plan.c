/* tests/test_plan.c - chunk planning: whole rows, full coverage, and no
 * dependence on anything but rows, row size and the byte target. */
#include <criterion/criterion.h>

#include "format/plan.h"

/* The chunks cover [0, rows) exactly once, in order, each non-empty. */
static void assert_covers(const struct shmx__plan *p)
{
	uint64_t next = 0;

	for (uint64_t i = 0; i < p->nchunks; i++) {
		cr_assert_eq(shmx__plan_row0(p, i), next);
		cr_assert_gt(shmx__plan_nrows(p, i), 0);
		cr_assert_leq(shmx__plan_nrows(p, i), p->chunk_rows);
		next += shmx__plan_nrows(p, i);
	}
	cr_assert_eq(next, p->rows);
}

Test(plan, chunks_cover_every_row_once)
{
	static const uint64_t rows[] = { 1, 2, 3, 7, 97, 1000, 1000003 };
	static const uint64_t rb[] = { 1, 8, 24, 80, 4096, 1 << 20, 5 << 20 };
	static const uint64_t cb[] = { 0, 1, 100, 4096, 65536, 3 << 20 };

	for (size_t a = 0; a < sizeof(rows) / sizeof(*rows); a++)
		for (size_t b = 0; b < sizeof(rb) / sizeof(*rb); b++)
			for (size_t c = 0; c < sizeof(cb) / sizeof(*cb); c++) {
				struct shmx__plan p;

				shmx__plan_make(&p, rows[a], rb[b], cb[c]);
				assert_covers(&p);
			}
}

Test(plan, default_target_is_four_mib_of_whole_rows)
{
	struct shmx__plan p;

	shmx__plan_make(&p, 1000000, 80, 0);
	cr_assert_eq(p.chunk_rows, (4u << 20) / 80);
	cr_assert_eq(p.nchunks, (1000000 + p.chunk_rows - 1) / p.chunk_rows);
}

Test(plan, chunk_that_does_not_divide_rows_leaves_a_short_last_chunk)
{
	struct shmx__plan p;

	shmx__plan_make(&p, 10, 8, 24); /* 3 rows a chunk */
	cr_assert_eq(p.chunk_rows, 3);
	cr_assert_eq(p.nchunks, 4);
	cr_assert_eq(shmx__plan_nrows(&p, 3), 1);
}

Test(plan, row_larger_than_the_target_is_a_chunk_of_its_own)
{
	struct shmx__plan p;

	shmx__plan_make(&p, 5, 10 << 20, 0);
	cr_assert_eq(p.chunk_rows, 1);
	cr_assert_eq(p.nchunks, 5);
}

Test(plan, no_rows_means_no_chunks)
{
	struct shmx__plan p;

	shmx__plan_make(&p, 0, 80, 0);
	cr_assert_eq(p.nchunks, 0);
}

Test(plan, empty_rows_make_one_chunk)
{
	struct shmx__plan p;

	shmx__plan_make(&p, 9, 0, 0);
	cr_assert_eq(p.nchunks, 1);
	cr_assert_eq(shmx__plan_nrows(&p, 0), 9);
}
