/* tests/test_run.c - shmx_run end to end (fork, chunks, merge, publish):
 * for every op x dtype x axis the bits are the same for -j 1, 2, 3 and
 * more workers than rows, with a chunk size that does not divide the rows;
 * and the -j 1 result agrees with a plain single-threaded loop. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shmx/shmx.h"
#include "kernels/registry.h"
#include "support.h"

/* The forms run of the registry's ops that take arguments; the others
 * are run by their names.  An op with arguments needs its entry here. */
static const struct { const char *name, *forms[3]; } with_args[] = {
	{ "scale", { "scale:3" } },
	{ "add", { "add:2" } },
	{ "clip", { "clip:-5:5" } },
	{ "cast", { "cast:f32", "cast:i16" } },
};
static const int axes[] = { SHMX_AXIS_NONE, SHMX_AXIS_0, SHMX_AXIS_1 };

/* Every form to run: each op of shmx__op_names, with its arguments. */
static size_t op_forms(const char *forms[], size_t max)
{
	size_t n = 0;

	for (size_t i = 0; shmx__op_names[i]; i++) {
		const char *name = shmx__op_names[i];
		size_t k = 0, had = n;

		for (; k < sizeof(with_args) / sizeof(*with_args); k++)
			if (!strcmp(with_args[k].name, name))
				break;
		for (size_t f = 0; k < sizeof(with_args) / sizeof(*with_args) &&
				   f < 3 && with_args[k].forms[f]; f++)
			if (n < max)
				forms[n++] = with_args[k].forms[f];
		if (n == had && n < max)
			forms[n++] = name;
	}
	return n;
}

/* 1 for an element-wise map, asserting the form opens. */
static int is_map(const char *op)
{
	static struct shmx__op o;
	struct shmx_error err = { 0 };
	int map;

	cr_assert_eq(shmx__op_open(op, &o, &err), 0, "%s: %s", op, err.msg);
	map = o.kernel->kind == SHMX_KERNEL_MAP;
	shmx__op_close(&o);
	return map;
}

/* Run op with j workers and chunk bytes; return the result bytes. */
static int run_bytes(const char *op, int axis, unsigned j, uint64_t chunk,
		     char **bytes, size_t *len, struct shmx_result *keep)
{
	struct shmx_run_opts o = { .axis = axis, .workers = j,
				   .chunk_bytes = chunk };
	struct shmx_error err = { 0 };
	struct shmx_result res;
	uint64_t n;
	int rc = shmx_run(op, gen_src, &o, &res, &err);

	if (rc)
		return rc;
	shmx_shape_bytes(&res.shape, res.dtype, &n);
	*len = n;
	*bytes = malloc(n + 1);
	if (n)
		memcpy(*bytes, res.data, n);
	if (keep)
		*keep = res;
	else
		shmx_result_free(&res);
	return 0;
}

static void check_same_bits(enum shmx_dtype t, uint64_t rows, uint64_t cols)
{
	static const unsigned js[] = { 2, 3, 64 };
	const char *ops[64];
	size_t nops = op_forms(ops, 64);

	cr_assert_lt(nops, 64);
	gen_input(t, rows, cols, 11);
	for (size_t o = 0; o < nops; o++) {
		for (size_t a = 0; a < 3; a++) {
			char *ref = NULL, *got = NULL;
			size_t rlen = 0, glen = 0;

			if (is_map(ops[o]) && axes[a] != SHMX_AXIS_NONE)
				continue;
			/* 3 rows' worth plus a bit: never divides 13 */
			uint64_t chunk = 3 * cols * shmx_dtype_size(t) + 1;

			if (run_bytes(ops[o], axes[a], 1, chunk, &ref, &rlen, NULL))
				continue; /* an op numpy rejects here (zero-size min) */
			for (size_t j = 0; j < 3; j++) {
				cr_assert_eq(run_bytes(ops[o], axes[a], js[j], chunk,
						       &got, &glen, NULL), 0);
				cr_assert_eq(glen, rlen);
				cr_assert(!memcmp(got, ref, rlen),
					  "%s %s axis %d: -j%u differs from -j1",
					  ops[o], shmx_dtype_name(t), axes[a], js[j]);
				free(got);
			}
			free(ref);
		}
	}
	rm_rf(gen_dir);
}

#define SAME_BITS_TEST(T)                                                   \
	Test(run, same_bits_for_any_workers_##T, .init = shm_guard_begin,   \
	     .fini = gen_input_end)                                         \
	{                                                                   \
		check_same_bits(SHMX_##T, 13, 7);                           \
	}

SAME_BITS_TEST(I8)
SAME_BITS_TEST(I16)
SAME_BITS_TEST(I32)
SAME_BITS_TEST(I64)
SAME_BITS_TEST(U8)
SAME_BITS_TEST(U16)
SAME_BITS_TEST(U32)
SAME_BITS_TEST(U64)
SAME_BITS_TEST(F32)
SAME_BITS_TEST(F64)

Test(run, empty_and_single_shapes, .init = shm_guard_begin,
     .fini = gen_input_end)
{
	check_same_bits(SHMX_F64, 0, 5);
	check_same_bits(SHMX_I32, 1, 1);
	check_same_bits(SHMX_F32, 4, 0);
}

/* -j 1 sum over rows against a plain loop over the same bytes. */
Test(run, row_sums_match_a_plain_loop, .init = shm_guard_begin,
     .fini = gen_input_end)
{
	struct shmx_array *a;
	struct shmx_result res;
	struct shmx_error err = { 0 };
	struct shmx_run_opts o = { .axis = SHMX_AXIS_1, .workers = 3,
				   .chunk_bytes = 100 };
	const double *x, *y;

	gen_input(SHMX_F64, 101, 13, 11);
	cr_assert_eq(shmx_array_open(gen_src, NULL, &a, &err), 0);
	cr_assert_eq(shmx_run("sum", gen_src, &o, &res, &err), 0, "%s", err.msg);
	x = shmx_array_data(a);
	y = res.data;
	for (int r = 0; r < 101; r++) {
		long double s = 0;

		for (int c = 0; c < 13; c++)
			s += x[r * 13 + c];
		cr_assert(fabs(y[r] - (double)s) <= 1e-12 * (fabsl(s) + 1),
			  "row %d: %.17g vs %.17Lg", r, y[r], s);
	}
	shmx_result_free(&res);
	shmx_array_close(a);
	rm_rf(gen_dir);
}

Test(run, published_output_is_an_npy_target, .init = shm_guard_begin,
     .fini = gen_input_end)
{
	char name[64], spec[80];
	struct shmx_run_opts o = { .axis = SHMX_AXIS_0, .workers = 2 };
	struct shmx_result res;
	struct shmx_error err = { 0 };
	struct shmx_array *out;

	gen_input(SHMX_I16, 50, 4, 11);
	test_shm_name(name, sizeof(name), "colsum");
	snprintf(spec, sizeof(spec), "shm://%s", name);
	o.output = spec;
	cr_assert_eq(shmx_run("sum", gen_src, &o, &res, &err), 0, "%s", err.msg);
	cr_assert_null(res.data);
	cr_assert_eq(shmx_array_open(spec, NULL, &out, &err), 0, "%s", err.msg);
	cr_assert_eq(shmx_array_dtype(out), SHMX_I64);
	cr_assert_eq(shmx_array_shape(out)->dim[0], 4);
	shmx_array_close(out);
	/* again without force: refused, nothing else left behind */
	cr_assert_eq(shmx_run("sum", gen_src, &o, &res, &err), -EEXIST);
	cr_assert(strstr(err.msg, "already exists"));
	{
		char path[300];

		snprintf(path, sizeof(path), "%s/%s", shmx_shm_dir(), name);
		cr_assert_eq(unlink(path), 0);
	}
	shmx_result_free(&res);
	rm_rf(gen_dir);
}

Test(run, in_place_needs_a_map_that_keeps_the_dtype, .init = shm_guard_begin,
     .fini = gen_input_end)
{
	struct shmx_run_opts o = { .in_place = 1 };
	struct shmx_result res;
	struct shmx_error err = { 0 };

	gen_input(SHMX_I32, 5, 5, 11);
	cr_assert_eq(shmx_run("sum", gen_src, &o, &res, &err), SHMX_EUSAGE);
	cr_assert_str_eq(err.msg, "--in-place needs an element-wise map, not the reduction 'sum'");
	cr_assert_eq(shmx_run("sqrt", gen_src, &o, &res, &err), SHMX_EUSAGE);
	cr_assert_str_eq(err.msg, "--in-place needs a map that keeps the dtype (sqrt gives f64 from i32)");
	rm_rf(gen_dir);
}
