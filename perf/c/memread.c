/* perf/c/memread.c - the memory read-bandwidth limit: OpenMP threads sum
 * every element of a mapped f64 NPY with 4 independent vector accumulators
 * each, so the loop streams instead of waiting on one add chain.
 * The reported phase matches shmx's "compute": from just after the mmap
 * (page tables not yet populated, as in a fresh shmx worker) to the end of
 * the parallel loop and the munmap (shmx's workers unmap before exiting).  A second, already-faulted pass is reported as
 * "warm" (pure streaming, no page faults) when asked for.
 * usage: memread IN.npy [--warm]   (prints the sum; OMP_NUM_THREADS threads) */
#include <omp.h>
#include "npyio.h"

typedef double v8 __attribute__((vector_size(64)));

static double pass(const double *x, uint64_t n)
{
	double total = 0;

#pragma omp parallel reduction(+ : total)
	{
		int t = omp_get_thread_num(), nt = omp_get_num_threads();
		uint64_t blocks = n / 32, b0 = blocks * t / nt, b1 = blocks * (t + 1) / nt;
		v8 a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 };

		for (uint64_t b = b0; b < b1; b++) {
			const double *p = x + b * 32;
			v8 v0, v1, v2, v3;

			memcpy(&v0, p, 64);
			memcpy(&v1, p + 8, 64);
			memcpy(&v2, p + 16, 64);
			memcpy(&v3, p + 24, 64);
			a0 += v0;
			a1 += v1;
			a2 += v2;
			a3 += v3;
		}
		a0 += a1 + a2 + a3;
		for (int k = 0; k < 8; k++)
			total += a0[k];
		if (t == nt - 1)
			for (uint64_t i = blocks * 32; i < n; i++)
				total += x[i];
	}
	return total;
}

int main(int argc, char **argv)
{
	struct npy in;
	double t0, t1, t2, t3, s;
	uint64_t n;
	int warm = argc == 3 && !strcmp(argv[2], "--warm");

	if (argc != 2 && !warm) {
		fputs("usage: memread IN.npy [--warm]\n", stderr);
		return 2;
	}
	npy_map(argv[1], &in);
	n = in.rows * in.cols;
	t0 = now();
	s = pass(in.data, n);
	t1 = now();
	if (warm)
		s = pass(in.data, n);
	t2 = now();
	npy_unmap(&in);
	t3 = now();
	fprintf(stderr, "{\"compute\": %.6f, \"warm\": %.6f, \"bytes\": %llu, \"threads\": %d}\n",
		t1 - t0 + t3 - t2, warm ? t2 - t1 : 0, (unsigned long long)n * 8, omp_get_max_threads());
	printf("%.17g\n", s);
	return 0;
}
