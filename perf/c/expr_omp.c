/* perf/c/expr_omp.c - the "practical limit" of the expr workload: each of
 * its five expressions as the OpenMP loop a C programmer would write by
 * hand (OMP_NUM_THREADS threads) over the mapped f64 inputs, into a new
 * NPY output reserved with posix_fallocate, like shmx's.
 * usage: expr_omp OP X.npy [Y.npy] OUT.npy
 *   rowdist   sqrt(sum((x - 0.5)**2, axis=1))          -> f64 (rows,)
 *   axpy      2*x + 3*y                                -> f64 (rows, cols)
 *   where     where(x > 0, log1p(x), -x**2)            -> f64 (rows, cols)
 *   zscore    (x - mean(x, axis=0)) / std(x, axis=0)   -> f64 (rows, cols),
 *             two passes: the column statistics, then the map
 *   rowcount  sum(x > 0.5, axis=1)                     -> i64 (rows,)
 * The reported phase runs from creating the output to the input unmapped
 * and the output published (npyio.h's report()). */
#include <math.h>
#include "npyio.h"

#define BLOCK 1024 /* rows per block of the column statistics */

static void rowdist(const struct npy *x, double *o)
{
	uint64_t c = x->cols;

#pragma omp parallel for schedule(static)
	for (uint64_t i = 0; i < x->rows; i++) {
		const double *r = x->data + i * c;
		double s = 0;

#pragma omp simd reduction(+ : s)
		for (uint64_t j = 0; j < c; j++)
			s += (r[j] - 0.5) * (r[j] - 0.5);
		o[i] = sqrt(s);
	}
}

static void axpy(const struct npy *x, const struct npy *y, double *o)
{
	uint64_t n = x->rows * x->cols;

#pragma omp parallel for simd schedule(static)
	for (uint64_t i = 0; i < n; i++)
		o[i] = 2 * x->data[i] + 3 * y->data[i];
}

static void where(const struct npy *x, double *o)
{
	uint64_t n = x->rows * x->cols;

#pragma omp parallel for schedule(static)
	for (uint64_t i = 0; i < n; i++) {
		double v = x->data[i];

		o[i] = v > 0 ? log1p(v) : -(v * v);
	}
}

static void rowcount(const struct npy *x, int64_t *o)
{
	uint64_t c = x->cols;

#pragma omp parallel for schedule(static)
	for (uint64_t i = 0; i < x->rows; i++) {
		const double *r = x->data + i * c;
		int64_t k = 0;

#pragma omp simd reduction(+ : k)
		for (uint64_t j = 0; j < c; j++)
			k += r[j] > 0.5;
		o[i] = k;
	}
}

/* Merge the statistics (count n2, means m2, squared deviations q2) of a
 * block into (n, m, q), column by column (Chan et al.). */
static void merge(uint64_t c, double *n, double *m, double *q, double n2,
		  const double *m2, const double *q2)
{
	for (uint64_t j = 0; j < c; j++) {
		double d = m2[j] - m[j];

		q[j] += q2[j] + d * d * *n * n2 / (*n + n2);
		m[j] += d * n2 / (*n + n2);
	}
	*n += n2;
}

/* The first pass: per column mean and std (ddof 0), by blocks of rows
 * (their mean, then their squared deviations, in cache) merged. */
static void colstats(const struct npy *x, double *mean, double *sd)
{
	uint64_t c = x->cols, nb = (x->rows + BLOCK - 1) / BLOCK;
	double cnt = 0, *q = calloc(c, sizeof(double));

	memset(mean, 0, c * sizeof(double));
#pragma omp parallel
	{
		double tn = 0, *tm = calloc(3 * c, sizeof(double)), *tq = tm + c, *bm = tq + c;
		double *bq = malloc(c * sizeof(double));

#pragma omp for schedule(static)
		for (uint64_t b = 0; b < nb; b++) {
			uint64_t r0 = b * BLOCK, r1 = r0 + BLOCK < x->rows ? r0 + BLOCK : x->rows;

			memset(bm, 0, c * sizeof(double));
			memset(bq, 0, c * sizeof(double));
			for (uint64_t i = r0; i < r1; i++)
#pragma omp simd
				for (uint64_t j = 0; j < c; j++)
					bm[j] += x->data[i * c + j];
			for (uint64_t j = 0; j < c; j++)
				bm[j] /= (double)(r1 - r0);
			for (uint64_t i = r0; i < r1; i++)
#pragma omp simd
				for (uint64_t j = 0; j < c; j++) {
					double d = x->data[i * c + j] - bm[j];

					bq[j] += d * d;
				}
			merge(c, &tn, tm, tq, (double)(r1 - r0), bm, bq);
		}
#pragma omp critical
		if (tn > 0)
			merge(c, &cnt, mean, q, tn, tm, tq);
		free(tm);
		free(bq);
	}
	for (uint64_t j = 0; j < c; j++)
		sd[j] = sqrt(q[j] / cnt);
	free(q);
}

static void zscore(const struct npy *x, double *o)
{
	uint64_t c = x->cols;
	double *m = malloc(2 * c * sizeof(double)), *s = m + c;

	colstats(x, m, s);
#pragma omp parallel for schedule(static)
	for (uint64_t i = 0; i < x->rows; i++)
#pragma omp simd
		for (uint64_t j = 0; j < c; j++)
			o[i * c + j] = (x->data[i * c + j] - m[j]) / s[j];
	free(m);
}

int main(int argc, char **argv)
{
	struct npy x, y, out;
	const char *op = argc >= 4 ? argv[1] : "";
	int two = !strcmp(op, "axpy"), rows_out;
	void *o;
	double t0;

	if (argc != 4 + two) {
		fputs("usage: expr_omp rowdist|where|zscore|rowcount X.npy OUT.npy\n"
		      "       expr_omp axpy X.npy Y.npy OUT.npy\n", stderr);
		return 2;
	}
	npy_map(argv[2], &x);
	if (two) {
		npy_map(argv[3], &y);
		if (y.rows != x.rows || y.cols != x.cols) {
			fputs("expr_omp: x and y differ in shape\n", stderr);
			return 2;
		}
	}
	rows_out = !strcmp(op, "rowdist") || !strcmp(op, "rowcount");
	t0 = now(); /* the output's reservation counts, as in shmx */
	if (!strcmp(op, "rowcount"))
		o = npy_create_as(argv[argc - 1], "<i8", 8, 1, x.rows, 1, &out);
	else
		o = npy_create(argv[argc - 1], rows_out ? 1 : x.ndim, x.rows, x.cols, &out);
	if (!strcmp(op, "rowdist"))
		rowdist(&x, o);
	else if (two)
		axpy(&x, &y, o);
	else if (!strcmp(op, "where"))
		where(&x, o);
	else if (!strcmp(op, "zscore"))
		zscore(&x, o);
	else if (!strcmp(op, "rowcount"))
		rowcount(&x, o);
	else {
		fprintf(stderr, "expr_omp: unknown op %s\n", op);
		return 2;
	}
	npy_unmap(&x);
	if (two)
		npy_unmap(&y);
	npy_publish(&out);
	report(now() - t0, x.rows * x.cols * 8 * (two ? 2 : 1));
	return 0;
}
