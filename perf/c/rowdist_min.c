/* perf/c/rowdist_min.c - the minimal single-threaded program the expr
 * workload's row function is compared with at the seed's size: map an f64
 * NPY, one loop of sqrt(sum((row - 0.5)**2)) per row, the result as a new
 * NPY file.
 * usage: rowdist_min IN.npy OUT.npy */
#include <math.h>
#include "npyio.h"

int main(int argc, char **argv)
{
	struct npy in, out;
	double *o, t0;

	if (argc != 3) {
		fputs("usage: rowdist_min IN.npy OUT.npy\n", stderr);
		return 2;
	}
	npy_map(argv[1], &in);
	t0 = now(); /* the output's reservation counts, as in shmx */
	o = npy_create(argv[2], 1, in.rows, 1, &out);
	for (uint64_t i = 0; i < in.rows; i++) {
		const double *r = in.data + i * in.cols;
		double s = 0;

		for (uint64_t j = 0; j < in.cols; j++)
			s += (r[j] - 0.5) * (r[j] - 0.5);
		o[i] = sqrt(s);
	}
	npy_unmap(&in);
	npy_publish(&out);
	report(now() - t0, in.rows * in.cols * 8);
	return 0;
}
