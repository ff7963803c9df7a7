/* perf/c/rowsumsq_min.c - the minimal single-threaded program the seed
 * workload compares with: map an f64 NPY, one loop of per-row sums of
 * squares, the result as a new NPY file.
 * usage: rowsumsq_min IN.npy OUT.npy */
#include "npyio.h"

int main(int argc, char **argv)
{
	struct npy in, out;
	double *o, t0;

	if (argc != 3) {
		fputs("usage: rowsumsq_min IN.npy OUT.npy\n", stderr);
		return 2;
	}
	npy_map(argv[1], &in);
	t0 = now(); /* the output's reservation counts, as in shmx */
	o = npy_create(argv[2], 1, in.rows, 1, &out);
	for (uint64_t i = 0; i < in.rows; i++) {
		const double *r = in.data + i * in.cols;
		double s = 0;

		for (uint64_t j = 0; j < in.cols; j++)
			s += r[j] * r[j];
		o[i] = s;
	}
	npy_unmap(&in);
	npy_publish(&out);
	report(now() - t0, in.rows * in.cols * 8);
	return 0;
}
