/* perf/c/map_fallocated.c - the reference for element-wise maps: a new NPY
 * output reserved with posix_fallocate (as shmx reserves its outputs), then
 * an OpenMP loop (OMP_NUM_THREADS threads) writing OP(x) into it.  The
 * reported phase includes the reservation: shmx's workers reserve the
 * rows they write inside its "compute" phase.
 * usage: map_fallocated scale:K|exp IN.npy OUT.npy */
#include <math.h>
#include "npyio.h"

int main(int argc, char **argv)
{
	struct npy in, out;
	double *o, k = 0, t0;
	uint64_t n;
	int is_exp;

	if (argc != 4 || (strcmp(argv[1], "exp") && strncmp(argv[1], "scale:", 6))) {
		fputs("usage: map_fallocated scale:K|exp IN.npy OUT.npy\n", stderr);
		return 2;
	}
	is_exp = !strcmp(argv[1], "exp");
	if (!is_exp)
		k = strtod(argv[1] + 6, NULL);
	npy_map(argv[2], &in);
	n = in.rows * in.cols;
	t0 = now(); /* the output's reservation counts, as in shmx */
	o = npy_create(argv[3], in.ndim, in.rows, in.cols, &out);
	if (is_exp) {
#pragma omp parallel for simd schedule(static)
		for (uint64_t i = 0; i < n; i++)
			o[i] = exp(in.data[i]);
	} else {
#pragma omp parallel for simd schedule(static)
		for (uint64_t i = 0; i < n; i++)
			o[i] = k * in.data[i];
	}
	npy_unmap(&in);
	npy_publish(&out);
	report(now() - t0, n * 8);
	return 0;
}
