/* perf/c/fill_fallocated.c - the memory-speed reference for `shmx gen`: a
 * fresh NPY file reserved with posix_fallocate, then written by OpenMP
 * threads (OMP_NUM_THREADS) with a cheap counter-based pattern.
 * usage: fill_fallocated OUT.npy ELEMENTS */
#include "npyio.h"

int main(int argc, char **argv)
{
	struct npy out;
	double *o, t0;
	uint64_t n;

	if (argc != 3) {
		fputs("usage: fill_fallocated OUT.npy ELEMENTS\n", stderr);
		return 2;
	}
	n = strtoull(argv[2], NULL, 10);
	t0 = now();
	o = npy_create(argv[1], 1, n, 1, &out);
#pragma omp parallel for simd schedule(static)
	for (uint64_t i = 0; i < n; i++)
		o[i] = (double)(i * 0x9E3779B97F4A7C15ull >> 11) * 0x1p-53;
	npy_publish(&out);
	report(now() - t0, n * 8);
	return 0;
}
