/* tests/test_eval.c - shmx_eval end to end against plain C loops: the
 * perf workload's five expressions, integer division and wrapping, the
 * same bits for -j 1, 2, 3 and more workers than rows with chunks that do
 * not divide the rows, and the C API's refusals (nothing left behind). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "shmx/shmx.h"
#include "support.h"

#define R 13
#define C 7

static char dir[256], xs[300], ys[300], is[300], js[300], us[300];

static void fini(void)
{
	if (dir[0])
		rm_rf(dir);
	shm_guard_end();
}

static void gen(char *path, size_t len, const char *name, enum shmx_dtype t,
		enum shmx_fill fill, uint64_t seed)
{
	struct shmx_shape s = { .ndim = 2, .dim = { R, C } };
	struct shmx_run_opts o = { .workers = 1 };
	struct shmx_error err = { 0 };

	snprintf(path, len, "%s/%s", dir, name);
	cr_assert_eq(shmx_gen(path, t, &s, fill, seed, &o, NULL, &err), 0,
		     "%s", err.msg);
}

static void init(void)
{
	shm_guard_begin();
	make_tmpdir(dir, sizeof(dir));
	gen(xs, sizeof(xs), "x.npy", SHMX_F64, SHMX_FILL_NORMAL, 11);
	gen(ys, sizeof(ys), "y.npy", SHMX_F64, SHMX_FILL_UNIFORM, 12);
	gen(is, sizeof(is), "i.npy", SHMX_I32, SHMX_FILL_NORMAL, 13);
	gen(js, sizeof(js), "j.npy", SHMX_I32, SHMX_FILL_NORMAL, 14);
	gen(us, sizeof(us), "u.npy", SHMX_U8, SHMX_FILL_UNIFORM, 15);
}

static const void *data_of(const char *path, struct shmx_array **a)
{
	struct shmx_error err = { 0 };

	cr_assert_eq(shmx_array_open(path, NULL, a, &err), 0, "%s", err.msg);
	return shmx_array_data(*a);
}

/* expr over x, y (f64), i, j (i32), u (u8) with `workers` and `chunk`
 * into memory: the result (caller frees) */
static void eval(const char *expr, unsigned workers, uint64_t chunk,
		 struct shmx_result *res)
{
	const struct shmx_eval_input in[] = {
		{ "x", xs }, { "y", ys }, { "i", is }, { "j", js }, { "u", us },
	};
	struct shmx_run_opts o = SHMX_RUN_OPTS_INIT;
	struct shmx_error err = { 0 };

	o.workers = workers;
	o.chunk_bytes = chunk;
	cr_assert_eq(shmx_eval(expr, in, 5, &o, res, &err), 0, "%s: %s", expr,
		     err.msg);
}

static int near(double a, double b, double rel)
{
	return a == b || fabs(a - b) <= rel * fmax(fabs(a), fabs(b));
}

Test(eval, row_distance_matches_a_plain_loop, .init = init, .fini = fini)
{
	struct shmx_array *a;
	const double *x = data_of(xs, &a);
	struct shmx_result res;

	eval("sqrt(sum((x - 0.5)**2, axis=1))", 2, 0, &res);
	cr_assert_eq(res.dtype, SHMX_F64);
	cr_assert_eq(res.shape.ndim, 1);
	cr_assert_eq(res.shape.dim[0], R);
	for (int r = 0; r < R; r++) {
		double s = 0;

		for (int c = 0; c < C; c++)
			s += (x[r * C + c] - 0.5) * (x[r * C + c] - 0.5);
		cr_expect(near(((const double *)res.data)[r], sqrt(s), 1e-14),
			  "row %d", r);
	}
	shmx_result_free(&res);
	shmx_array_close(a);
}

Test(eval, element_wise_steps_are_the_plain_loops_bits, .init = init,
     .fini = fini)
{
	struct shmx_array *a, *b;
	const double *x = data_of(xs, &a), *y = data_of(ys, &b);
	struct shmx_result s1, s2;

	eval("2*x + 3*y", 3, 0, &s1);
	eval("where(x > 0, log1p(x), -x**2)", 3, 0, &s2);
	cr_assert_eq(s1.shape.ndim, 2);
	for (int k = 0; k < R * C; k++) {
		double w = x[k] > 0 ? log1p(x[k]) : -(x[k] * x[k]);

		cr_expect_eq(((const double *)s1.data)[k], 2 * x[k] + 3 * y[k]);
		cr_expect_eq(((const double *)s2.data)[k], w, "%d", k);
	}
	shmx_result_free(&s1);
	shmx_result_free(&s2);
	shmx_array_close(a);
	shmx_array_close(b);
}

Test(eval, column_zscores_match_two_passes, .init = init, .fini = fini)
{
	struct shmx_array *a;
	const double *x = data_of(xs, &a);
	struct shmx_result res;
	double m[C] = { 0 }, v[C] = { 0 };

	eval("(x - mean(x, axis=0)) / std(x, axis=0)", 2, 128, &res);
	for (int k = 0; k < R * C; k++)
		m[k % C] += x[k] / R;
	for (int k = 0; k < R * C; k++)
		v[k % C] += (x[k] - m[k % C]) * (x[k] - m[k % C]) / R;
	for (int k = 0; k < R * C; k++)
		cr_expect(near(((const double *)res.data)[k],
			       (x[k] - m[k % C]) / sqrt(v[k % C]), 1e-12),
			  "%d", k);
	shmx_result_free(&res);
	shmx_array_close(a);
}

Test(eval, counts_per_row_are_int64, .init = init, .fini = fini)
{
	struct shmx_array *a;
	const double *x = data_of(xs, &a);
	struct shmx_result res;

	eval("sum(x > 0.5, axis=1)", 2, 0, &res);
	cr_assert_eq(res.dtype, SHMX_I64);
	for (int r = 0; r < R; r++) {
		int64_t k = 0;

		for (int c = 0; c < C; c++)
			k += x[r * C + c] > 0.5;
		cr_expect_eq(((const int64_t *)res.data)[r], k);
	}
	shmx_result_free(&res);
	shmx_array_close(a);
}

/* numpy's integer floor division and modulo */
static int32_t floor_div(int32_t a, int32_t b)
{
	int32_t q;

	if (b == 0)
		return 0;
	q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int32_t floor_mod(int32_t a, int32_t b)
{
	return b == 0 ? 0 : a - floor_div(a, b) * b;
}

Test(eval, integer_division_floors_and_divides_by_zero_as_numpy,
     .init = init, .fini = fini)
{
	struct shmx_array *a, *b, *c;
	const int32_t *i = data_of(is, &a), *j = data_of(js, &b);
	const uint8_t *u = data_of(us, &c);
	struct shmx_result q, m, w;
	int zeros = 0;

	eval("i // j", 3, 0, &q);
	eval("i % j", 3, 0, &m);
	eval("u * 3 + 1", 3, 0, &w);
	cr_assert_eq(q.dtype, SHMX_I32);
	cr_assert_eq(w.dtype, SHMX_U8);
	for (int k = 0; k < R * C; k++) {
		zeros += j[k] == 0;
		cr_expect_eq(((const int32_t *)q.data)[k], floor_div(i[k], j[k]),
			     "%d // %d", i[k], j[k]);
		cr_expect_eq(((const int32_t *)m.data)[k], floor_mod(i[k], j[k]),
			     "%d %% %d", i[k], j[k]);
		cr_expect_eq(((const uint8_t *)w.data)[k],
			     (uint8_t)(u[k] * 3 + 1));
	}
	cr_expect_gt(zeros, 0, "the data should hold a zero divisor");
	shmx_result_free(&q);
	shmx_result_free(&m);
	shmx_result_free(&w);
	shmx_array_close(a);
	shmx_array_close(b);
	shmx_array_close(c);
}

Test(eval, same_bits_for_any_workers, .init = init, .fini = fini)
{
	static const char *const exprs[] = {
		"sum(x)", "var(x)", "mean(x, axis=0)", "std(x, axis=0)",
		"argmax(x)", "x - mean(x)", "sum(x * y, axis=1)",
		"prod(y + 0.5)", "nanmax(log(y - 0.2), axis=0)",
		"sum(i, axis=0)", "x - sum(x * y, axis=0)", "count_nonzero(i)",
	};
	static const unsigned workers[] = { 1, 2, 3, 20 };

	for (size_t e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
		struct shmx_result first;

		eval(exprs[e], 1, 200, &first);
		for (size_t w = 1; w < 4; w++) {
			struct shmx_result r;
			uint64_t bytes;

			eval(exprs[e], workers[w], 200, &r);
			cr_assert_eq(shmx_shape_bytes(&r.shape, r.dtype, &bytes), 0);
			cr_expect_eq(memcmp(r.data, first.data, bytes), 0,
				     "%s: -j %u", exprs[e], workers[w]);
			shmx_result_free(&r);
		}
		shmx_result_free(&first);
	}
}

Test(eval, the_c_api_refuses_an_axis_in_place_and_bad_expressions,
     .init = init, .fini = fini)
{
	const struct shmx_eval_input in[] = { { "x", xs } };
	struct shmx_run_opts o = SHMX_RUN_OPTS_INIT;
	struct shmx_error err = { 0 };
	struct shmx_result res;
	char out[128], spec[160], path[160];

	test_shm_name(out, sizeof(out), "never");
	snprintf(spec, sizeof(spec), "shm://%s", out);
	o.output = spec;
	o.axis = SHMX_AXIS_1;
	cr_expect_eq(shmx_eval("x", in, 1, &o, &res, &err), SHMX_EUSAGE);
	o.axis = SHMX_AXIS_NONE;
	o.in_place = 1;
	cr_expect_eq(shmx_eval("x", in, 1, &o, &res, &err), SHMX_EUSAGE);
	o.in_place = 0;
	cr_expect_eq(shmx_eval("sqr(x)", in, 1, &o, &res, &err), SHMX_EEXPR);
	cr_expect_str_eq(err.msg, "expression: col 1: unknown function 'sqr' "
				  "(did you mean 'sqrt'?)");
	cr_expect_eq(shmx_eval("x + q", in, 1, &o, &res, NULL), SHMX_EEXPR);
	snprintf(path, sizeof(path), "/dev/shm/%s", out);
	cr_expect(!path_exists(path), "an output was left behind");
}
