/* tests/test_part.c - a run split over "processes" (shmx/part.h), here
 * R parts in one process, with the bytes moved by memcpy where shmx-mpi
 * uses MPI: every kind of result (reduction, per-row, map) into memory or
 * a file gives shmx_run's bits for R = 1..4 and any -j, including ranges
 * that are empty; and the refusals: a range outside the plan, an attach
 * to something that is not the creator's temporary or holds another
 * result, and a creator's close that removes its unpublished temporary.
 * Expressions (shmx_part_eval_open) likewise against shmx_eval: a pass
 * of column reductions, a per-row vector pass, a constant result, the
 * built-in fast path, and a bad expression refused at open. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shmx/shmx.h"
#include "kernels/registry.h"
#include "support.h"

#define RANKS_MAX 4

/* Chunks [c0, c1) of n for rank k of r (as shmx-mpi splits them). */
static void split(uint64_t n, int k, int r, uint64_t *c0, uint64_t *c1)
{
	*c0 = n * (uint64_t)k / (uint64_t)r;
	*c1 = n * (uint64_t)(k + 1) / (uint64_t)r;
}

/* What rank k made of its range goes into rank 0's part. */
static void import(struct shmx_part *root, struct shmx_part *p,
		   const struct shmx_part_layout *l, uint64_t c0, uint64_t c1)
{
	uint64_t off, len;
	char *to, *from;

	if (l->kind == SHMX_KERNEL_REDUCE) {
		to = shmx_part_partials(root);
		from = shmx_part_partials(p);
		if (c1 > c0)
			memcpy(to + c0 * l->slot_bytes, from + c0 * l->slot_bytes,
			       (c1 - c0) * l->slot_bytes);
		return;
	}
	from = shmx_part_rows(p, c0, c1, &off, &len);
	to = shmx_part_rows(root, c0, c1, &off, &len);
	if (from && len)
		memcpy(to + off, from + off, len);
	else
		cr_assert_eq(shmx_part_sync(p, NULL), 0);
}

/* The r opened parts through the steps shmx-mpi takes after opening: the
 * same layout on every part, part 0's temporary attached by the others,
 * each part's chunks computed and its slots or rows moved to part 0, part
 * 0 finishing into res; every part closed. */
static void split_finish(struct shmx_part **p, int r, struct shmx_result *res)
{
	struct shmx_part_layout l[RANKS_MAX];
	struct shmx_error err = { 0 };
	uint64_t c0, c1;

	for (int k = 0; k < r; k++) {
		shmx_part_layout(p[k], &l[k]);
		cr_assert(!memcmp(&l[k], &l[0], sizeof(l[0])));
	}
	cr_assert_eq(shmx_part_create(p[0], &err), 0, "%s", err.msg);
	for (int k = 1; k < r; k++)
		cr_assert_eq(shmx_part_attach(p[k], shmx_part_temporary(p[0]),
					      &err), 0, "%s", err.msg);
	for (int k = 0; k < r; k++) {
		split(l[0].nchunks, k, r, &c0, &c1);
		cr_assert_eq(shmx_part_compute(p[k], c0, c1, &err), 0, "%s",
			     err.msg);
		if (k)
			import(p[0], p[k], &l[0], c0, c1);
	}
	cr_assert_eq(shmx_part_finish(p[0], res, &err), 0, "%s", err.msg);
	for (int k = 0; k < r; k++)
		shmx_part_close(p[k]);
}

/* The run split over r parts: its printed result (or NULL with output)
 * into res. */
static void split_run(const char *op, int r, struct shmx_run_opts *o,
		      struct shmx_result *res)
{
	struct shmx_part *p[RANKS_MAX];
	struct shmx_error err = { 0 };
	const char *s = gen_src;

	for (int k = 0; k < r; k++)
		cr_assert_eq(shmx_part_open(op, &s, 1, o, &p[k], &err), 0, "%s",
			     err.msg);
	split_finish(p, r, res);
}

static void expect_same(const char *op, int axis, const char *output)
{
	struct shmx_run_opts o = SHMX_RUN_OPTS_INIT;
	struct shmx_result ref, got;
	struct shmx_error err = { 0 };
	char one[320], many[320];
	size_t n1, n2;

	o.axis = axis;
	o.chunk_bytes = 1000;
	if (output) {
		snprintf(one, sizeof(one), "%s/one-%s", gen_dir, output);
		snprintf(many, sizeof(many), "%s/many-%s", gen_dir, output);
	}
	o.output = output ? one : NULL;
	cr_assert_eq(shmx_run(op, gen_src, &o, &ref, &err), 0, "%s", err.msg);
	for (int r = 1; r <= RANKS_MAX; r++) {
		o.workers = (unsigned)(r % 3 + 1);
		o.output = output ? many : NULL;
		split_run(op, r, &o, &got);
		if (output) {
			char *a = read_whole_file(one, &n1);
			char *b = read_whole_file(many, &n2);

			cr_assert(n1 == n2 && !memcmp(a, b, n1), "%s R=%d", op, r);
			free(a);
			free(b);
			unlink(many);
		} else {
			uint64_t bytes;

			cr_assert_eq(shmx_shape_bytes(&ref.shape, ref.dtype, &bytes), 0);
			cr_assert_eq(got.dtype, ref.dtype);
			cr_assert(!memcmp(got.data, ref.data, bytes), "%s R=%d", op, r);
		}
		shmx_result_free(&got);
	}
	shmx_result_free(&ref);
	cr_assert_eq(count_own_temporaries(gen_dir), 0);
}

TestSuite(part, .init = shm_guard_begin, .fini = gen_input_end);

Test(part, reductions_same_bits)
{
	gen_input(SHMX_F64, 211, 7, 5); /* 1000-byte chunks: 36 of 6 rows */
	expect_same("sum", SHMX_AXIS_NONE, NULL);
	expect_same("var", SHMX_AXIS_0, NULL);
	expect_same("argmin", SHMX_AXIS_NONE, NULL);
	expect_same("nanstd", SHMX_AXIS_NONE, NULL);
}

Test(part, rows_and_maps_same_bits)
{
	gen_input(SHMX_F32, 97, 5, 5);
	expect_same("mean", SHMX_AXIS_1, NULL);
	expect_same("mean", SHMX_AXIS_1, "rows.npy");
	expect_same("exp", SHMX_AXIS_NONE, NULL);
	expect_same("exp", SHMX_AXIS_NONE, "exp.npy");
}

Test(part, fewer_chunks_than_ranks)
{
	gen_input(SHMX_I32, 3, 2, 5); /* one chunk: three ranks have none */
	expect_same("sum", SHMX_AXIS_NONE, NULL);
	expect_same("square", SHMX_AXIS_NONE, "sq.npy");
}

/* The forms of the ops that take arguments (the others run by name). */
static const struct { const char *name, *form; } with_args[] = {
	{ "scale", "scale:3" }, { "add", "add:2" }, { "clip", "clip:-5:5" },
	{ "cast", "cast:i16" },
};

static const char *form_of(const char *name)
{
	for (size_t k = 0; k < sizeof(with_args) / sizeof(*with_args); k++)
		if (!strcmp(with_args[k].name, name))
			return with_args[k].form;
	return name;
}

static int is_map(const char *op)
{
	struct shmx__op o;
	struct shmx_error err = { 0 };
	int map;

	cr_assert_eq(shmx__op_open(op, &o, &err), 0, "%s: %s", op, err.msg);
	map = o.kernel->kind == SHMX_KERNEL_MAP;
	shmx__op_close(&o);
	return map;
}

/* Every op of the registry, every axis, R = 1..4: the split run's bits
 * are shmx_run's, for a float and an integer dtype. */
static void every_op(enum shmx_dtype t)
{
	static const int axes[] = { SHMX_AXIS_NONE, SHMX_AXIS_0, SHMX_AXIS_1 };

	gen_input(t, 401, 3, 5); /* 1000-byte chunks: 10 (f64) or 5, uneven */
	for (size_t i = 0; shmx__op_names[i]; i++) {
		const char *op = form_of(shmx__op_names[i]);

		for (size_t a = 0; a < 3; a++)
			if (a == 0 || !is_map(op))
				expect_same(op, axes[a], NULL);
	}
}

Test(part, every_op_f64) { every_op(SHMX_F64); }
Test(part, every_op_i32) { every_op(SHMX_I32); }

Test(part, bad_range_refused)
{
	struct shmx_part *p;
	struct shmx_error err = { 0 };
	const char *s = gen_src;

	gen_input(SHMX_F64, 10, 2, 5);
	cr_assert_eq(shmx_part_open("sum", &s, 1, NULL, &p, &err), 0);
	cr_assert_eq(shmx_part_create(p, &err), 0);
	cr_assert_eq(shmx_part_compute(p, 0, 2, &err), SHMX_EUSAGE);
	cr_assert_str_eq(err.msg, "sum: chunks 0-2 are not a range of its 1");
	cr_assert_str_eq(shmx_part_temporary(p), "");
	shmx_part_close(p);
	cr_assert_eq(shmx_part_open("nosuchop", &s, 1, NULL, &p, &err),
		     SHMX_EOP);
	cr_assert_null(p);
}

Test(part, attach_refusals)
{
	struct shmx_run_opts o = SHMX_RUN_OPTS_INIT;
	struct shmx_part *a, *b;
	struct shmx_error err = { 0 };
	const char *s = gen_src;
	char out[320], other[320], bad[1024];

	gen_input(SHMX_F64, 10, 2, 5);
	snprintf(out, sizeof(out), "%s/out.npy", gen_dir);
	snprintf(other, sizeof(other), "%s/other.npy", gen_dir);
	o.output = out;
	cr_assert_eq(shmx_part_open("exp", &s, 1, &o, &a, &err), 0);
	cr_assert_eq(shmx_part_create(a, &err), 0);
	cr_assert_eq(count_own_temporaries(gen_dir), 1);
	/* not a temporary beside the target */
	cr_assert_eq(shmx_part_open("exp", &s, 1, &o, &b, &err), 0);
	cr_assert_eq(shmx_part_attach(b, gen_src, &err), SHMX_ETARGET);
	snprintf(bad, sizeof(bad), "%s: '%s' is not a temporary beside it",
		 out, gen_src);
	cr_assert_str_eq(err.msg, bad);
	shmx_part_close(b);
	/* a temporary of another result (a per-row sum: another shape) */
	cr_assert_eq(shmx_part_open("sum", &s, 1,
				    &(struct shmx_run_opts){ .output = out,
							     .axis = SHMX_AXIS_1 },
				    &b, &err), 0);
	cr_assert_eq(shmx_part_attach(b, shmx_part_temporary(a), &err),
		     SHMX_ESHAPE);
	cr_assert(strstr(err.msg, "is not the size of this result"), "%s",
		  err.msg);
	shmx_part_close(b);
	/* the same size, another header: square of f64 vs cast:i64 */
	cr_assert_eq(shmx_part_open("cast:i64", &s, 1, &o, &b, &err), 0);
	cr_assert_eq(shmx_part_attach(b, shmx_part_temporary(a), &err),
		     SHMX_ESHAPE);
	cr_assert(strstr(err.msg, "holds another result"), "%s", err.msg);
	shmx_part_close(b);
	/* gone: cannot open */
	o.output = other;
	cr_assert_eq(shmx_part_open("exp", &s, 1, &o, &b, &err), 0);
	snprintf(bad, sizeof(bad), "%s/.shmx-1-0-other.npy", gen_dir);
	cr_assert_lt(shmx_part_attach(b, bad, &err), 0);
	cr_assert(strstr(err.msg, "cannot open the temporary"), "%s", err.msg);
	shmx_part_close(b);
	/* the creator's close removes its unpublished temporary */
	shmx_part_close(a);
	cr_assert_eq(count_own_temporaries(gen_dir), 0);
	cr_assert_not(path_exists(out));
}

/* ---- expressions ---------------------------------------------------------- */

static uint64_t row_of(uint64_t c, const struct shmx_part_layout *l)
{
	return c * l->chunk_rows < l->rows ? c * l->chunk_rows : l->rows;
}

/* The pass's vectors: each part's rows to every other part.  How many
 * vectors it has. */
static unsigned share_vectors(struct shmx_part **p, int r, const uint64_t *c0,
			      const uint64_t *c1,
			      const struct shmx_part_layout *l)
{
	uint64_t item, item2;
	unsigned v;

	for (v = 0; shmx_part_pass_vector(p[0], v, &item); v++)
		for (int k = 0; k < r; k++) {
			uint64_t r0 = row_of(c0[k], l), r1 = row_of(c1[k], l);
			char *from = shmx_part_pass_vector(p[k], v, &item);

			for (int o = 0; o < r; o++) {
				char *to = shmx_part_pass_vector(p[o], v, &item2);

				cr_assert_eq(item, item2);
				if (o != k && r1 > r0)
					memcpy(to + r0 * item, from + r0 * item,
					       (r1 - r0) * item);
			}
		}
	return v;
}

/* One pass over r parts: part 0 merges, the others take its values. */
static unsigned split_pass(struct shmx_part **p, int r, unsigned k)
{
	struct shmx_part_layout l[RANKS_MAX];
	struct shmx_error err = { 0 };
	uint64_t c0[RANKS_MAX], c1[RANKS_MAX], len, len0;
	unsigned vectors;
	void *root;

	for (int i = 0; i < r; i++) {
		cr_assert_eq(shmx_part_pass(p[i], k, &err), 0, "%s", err.msg);
		shmx_part_layout(p[i], &l[i]);
		cr_assert(!memcmp(&l[i], &l[0], sizeof(l[0])));
		cr_assert_eq(l[i].kind, SHMX_KERNEL_REDUCE);
		split(l[0].nchunks, i, r, &c0[i], &c1[i]);
		cr_assert_eq(shmx_part_compute(p[i], c0[i], c1[i], &err), 0,
			     "%s", err.msg);
		if (i)
			import(p[0], p[i], &l[0], c0[i], c1[i]);
	}
	vectors = share_vectors(p, r, c0, c1, &l[0]);
	cr_assert_eq(shmx_part_pass_merge(p[0], &err), 0, "%s", err.msg);
	root = shmx_part_pass_values(p[0], &len0);
	for (int i = 1; i < r; i++) {
		void *v = shmx_part_pass_values(p[i], &len);

		cr_assert_eq(len, len0);
		if (len)
			memcpy(v, root, len);
	}
	for (int i = 0; i < r; i++)
		cr_assert_eq(shmx_part_pass_done(p[i], &err), 0, "%s", err.msg);
	return vectors;
}

/* The expression over gen_src split over r parts; the number of vectors its
 * passes had into *vectors. */
static void split_eval(const char *expr, int r, struct shmx_run_opts *o,
		       struct shmx_result *res, unsigned *vectors)
{
	struct shmx_eval_input in = { "x", gen_src };
	struct shmx_part *p[RANKS_MAX];
	struct shmx_error err = { 0 };

	for (int k = 0; k < r; k++)
		cr_assert_eq(shmx_part_eval_open(expr, &in, 1, o, &p[k], &err),
			     0, "%s: %s", expr, err.msg);
	*vectors = 0;
	for (unsigned k = 0; k < shmx_part_passes(p[0]); k++)
		*vectors += split_pass(p, r, k);
	for (int k = 0; k < r; k++)
		cr_assert_eq(shmx_part_main(p[k], &err), 0, "%s", err.msg);
	split_finish(p, r, res);
}

/* expr over R = 1..4 parts gives shmx_eval's bits (printed, or output
 * into a file), with `passes` passes and `vectors` vectors in them. */
static void eval_same(const char *expr, const char *output, unsigned passes,
		      unsigned vectors)
{
	struct shmx_run_opts o = SHMX_RUN_OPTS_INIT;
	struct shmx_eval_input in = { "x", gen_src };
	struct shmx_result ref, got;
	struct shmx_error err = { 0 };
	struct shmx_part *p;
	char one[320], many[320];
	unsigned nvec;

	o.chunk_bytes = 1000;
	snprintf(one, sizeof(one), "%s/one-%s", gen_dir, output ? output : "");
	snprintf(many, sizeof(many), "%s/many-%s", gen_dir, output ? output : "");
	o.output = output ? one : NULL;
	cr_assert_eq(shmx_eval(expr, &in, 1, &o, &ref, &err), 0, "%s", err.msg);
	cr_assert_eq(shmx_part_eval_open(expr, &in, 1, &o, &p, &err), 0);
	cr_assert_eq(shmx_part_passes(p), passes, "%s: %u passes", expr,
		     shmx_part_passes(p));
	shmx_part_close(p);
	for (int r = 1; r <= RANKS_MAX; r++) {
		o.workers = (unsigned)(r % 3 + 1);
		o.output = output ? many : NULL;
		split_eval(expr, r, &o, &got, &nvec);
		cr_assert_eq(nvec, vectors, "%s: %u vectors", expr, nvec);
		if (output) {
			size_t n1, n2;
			char *a = read_whole_file(one, &n1);
			char *b = read_whole_file(many, &n2);

			cr_assert(n1 == n2 && !memcmp(a, b, n1), "%s R=%d",
				  expr, r);
			free(a);
			free(b);
			unlink(many);
		} else {
			uint64_t bytes;

			cr_assert_eq(shmx_shape_bytes(&ref.shape, ref.dtype,
						      &bytes), 0);
			cr_assert_eq(got.dtype, ref.dtype);
			cr_assert(!memcmp(got.data, ref.data, bytes), "%s R=%d",
				  expr, r);
		}
		shmx_result_free(&got);
	}
	shmx_result_free(&ref);
	cr_assert_eq(count_own_temporaries(gen_dir), 0);
}

Test(part, eval_same_bits)
{
	gen_input(SHMX_F64, 97, 97, 5); /* square: a per-row vector broadcasts */
	eval_same("(x - mean(x, axis=0)) / std(x, axis=0)", "z.npy", 1, 0);
	eval_same("x - sum(x, axis=1)", NULL, 1, 1);
	eval_same("x / max(abs(x - mean(x, axis=1)))", "v.npy", 2, 1);
	eval_same("sqrt(sum((x - 0.5)**2, axis=1))", NULL, 0, 0);
	eval_same("sum(x * x[:, 3])", NULL, 2, 0); /* a constant result */
	eval_same("mean(x > 0.5) + var(x)", "c.npy", 1, 0);
	eval_same("var(x, axis=0)", NULL, 0, 0); /* the built-in */
}

Test(part, eval_refusals)
{
	struct shmx_eval_input in = { "x", gen_src };
	struct shmx_part *p = NULL;
	struct shmx_error err = { 0 };

	gen_input(SHMX_F64, 10, 2, 5);
	cr_assert_eq(shmx_part_eval_open("sum(x, axis=2)", &in, 1, NULL, &p,
					 &err), SHMX_EEXPR);
	cr_assert_null(p);
	cr_assert(strstr(err.msg, "expression: col "), "%s", err.msg);
	cr_assert_eq(shmx_part_eval_open("x - mean(x, axis=0)", &in, 1, NULL,
					 &p, &err), 0);
	cr_assert_eq(shmx_part_pass(p, 1, &err), SHMX_EUSAGE);
	cr_assert_eq(shmx_part_main(p, &err), SHMX_EUSAGE);
	cr_assert_str_eq(err.msg, "eval: its passes first");
	shmx_part_close(p);
	cr_assert_eq(count_own_temporaries(gen_dir), 0);
}
