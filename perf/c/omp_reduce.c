/* perf/c/omp_reduce.c - the "practical limit" for reductions: the plain
 * OpenMP loops a C programmer would write over the mapped array, with
 * block-wise partial sums (1024 elements or rows) so the results stay within
 * numpy's 1e-12.
 * usage: omp_reduce OP IN.npy OUT.npy
 *   OP: rowsumsq (per row)  colmean (per column)  sum min max std (global)
 * The result is written as an NPY file; the loop's seconds go to stderr. */
#include <math.h>
#include "npyio.h"

#define BLOCK 1024

static void rowsumsq(const struct npy *a, double *o)
{
#pragma omp parallel for schedule(static)
	for (uint64_t i = 0; i < a->rows; i++) {
		const double *r = a->data + i * a->cols;
		double s = 0;

#pragma omp simd reduction(+ : s)
		for (uint64_t j = 0; j < a->cols; j++)
			s += r[j] * r[j];
		o[i] = s;
	}
}

static void colmean(const struct npy *a, double *o)
{
	uint64_t c = a->cols, nb = (a->rows + BLOCK - 1) / BLOCK;

	memset(o, 0, c * sizeof(double));
#pragma omp parallel
	{
		double *tot = calloc(c, sizeof(double)), *blk = malloc(c * sizeof(double));

#pragma omp for schedule(static)
		for (uint64_t b = 0; b < nb; b++) {
			uint64_t r1 = (b + 1) * BLOCK < a->rows ? (b + 1) * BLOCK : a->rows;

			memset(blk, 0, c * sizeof(double));
			for (uint64_t i = b * BLOCK; i < r1; i++)
#pragma omp simd
				for (uint64_t j = 0; j < c; j++)
					blk[j] += a->data[i * c + j];
			for (uint64_t j = 0; j < c; j++)
				tot[j] += blk[j];
		}
#pragma omp critical
		for (uint64_t j = 0; j < c; j++)
			o[j] += tot[j];
		free(tot);
		free(blk);
	}
	for (uint64_t j = 0; j < c; j++)
		o[j] /= (double)a->rows;
}

static double sum(const double *x, uint64_t n)
{
	double s = 0;

#pragma omp parallel for schedule(static) reduction(+ : s)
	for (uint64_t b = 0; b < n; b += BLOCK) {
		uint64_t e = b + BLOCK < n ? b + BLOCK : n;
		double t = 0;

#pragma omp simd reduction(+ : t)
		for (uint64_t i = b; i < e; i++)
			t += x[i];
		s += t;
	}
	return s;
}

static double min(const double *x, uint64_t n)
{
	double m = INFINITY;

#pragma omp parallel for simd schedule(static) reduction(min : m)
	for (uint64_t i = 0; i < n; i++)
		m = x[i] < m ? x[i] : m;
	return m;
}

static double max(const double *x, uint64_t n)
{
	double m = -INFINITY;

#pragma omp parallel for simd schedule(static) reduction(max : m)
	for (uint64_t i = 0; i < n; i++)
		m = x[i] > m ? x[i] : m;
	return m;
}

/* Per block: mean and squared deviations (two passes in cache), merged with
 * Chan et al.'s formula; one pass over memory. */
static double std(const double *x, uint64_t n)
{
	double cnt = 0, mean = 0, m2 = 0;

#pragma omp parallel
	{
		double tc = 0, tm = 0, t2 = 0;

#pragma omp for schedule(static)
		for (uint64_t b = 0; b < n; b += BLOCK) {
			uint64_t e = b + BLOCK < n ? b + BLOCK : n;
			double bs = 0, bm, b2 = 0, bc = (double)(e - b), d;

#pragma omp simd reduction(+ : bs)
			for (uint64_t i = b; i < e; i++)
				bs += x[i];
			bm = bs / bc;
#pragma omp simd reduction(+ : b2)
			for (uint64_t i = b; i < e; i++)
				b2 += (x[i] - bm) * (x[i] - bm);
			d = bm - tm;
			t2 += b2 + d * d * tc * bc / (tc + bc);
			tm += d * bc / (tc + bc);
			tc += bc;
		}
#pragma omp critical
		{
			double d = tm - mean;

			if (tc > 0) {
				m2 += t2 + d * d * cnt * tc / (cnt + tc);
				mean += d * tc / (cnt + tc);
				cnt += tc;
			}
		}
	}
	return sqrt(m2 / cnt);
}

int main(int argc, char **argv)
{
	struct npy in, out;
	const char *op = argc == 4 ? argv[1] : "";
	double *o, t0;
	uint64_t n;

	if (argc != 4) {
		fputs("usage: omp_reduce rowsumsq|colmean|sum|min|max|std IN.npy OUT.npy\n", stderr);
		return 2;
	}
	npy_map(argv[2], &in);
	n = in.rows * in.cols;
	t0 = now(); /* the output's reservation counts, as in shmx */
	if (!strcmp(op, "rowsumsq"))
		o = npy_create(argv[3], 1, in.rows, 1, &out);
	else if (!strcmp(op, "colmean"))
		o = npy_create(argv[3], 1, in.cols, 1, &out);
	else
		o = npy_create(argv[3], 0, 1, 1, &out);
	if (!strcmp(op, "rowsumsq"))
		rowsumsq(&in, o);
	else if (!strcmp(op, "colmean"))
		colmean(&in, o);
	else if (!strcmp(op, "sum"))
		*o = sum(in.data, n);
	else if (!strcmp(op, "min"))
		*o = min(in.data, n);
	else if (!strcmp(op, "max"))
		*o = max(in.data, n);
	else if (!strcmp(op, "std"))
		*o = std(in.data, n);
	else {
		fprintf(stderr, "omp_reduce: unknown op %s\n", op);
		return 2;
	}
	npy_unmap(&in);
	npy_publish(&out);
	report(now() - t0, n * 8);
	return 0;
}
