/* tests/install/consumer.c - a program outside the tree, built against an
 * installed shmx: the public headers and the library are enough to make
 * an array and reduce it. */
#include <shmx/shmx.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	struct shmx_shape s = { .ndim = 2, .dim = { 1000, 4 } };
	struct shmx_run_opts o = { .axis = SHMX_AXIS_NONE, .workers = 2 };
	struct shmx_error err = { 0 };
	struct shmx_result res;
	double sum;

	if (argc != 2)
		return 2;
	if (shmx_gen(argv[1], SHMX_F64, &s, SHMX_FILL_RANGE, 0, NULL, NULL, &err) ||
	    shmx_run("sum", argv[1], &o, &res, &err)) {
		fprintf(stderr, "consumer: %s\n", err.msg);
		return 1;
	}
	sum = *(const double *)res.data;
	shmx_result_free(&res);
	printf("%s %.17g\n", shmx_version(), sum);
	return sum == 7998000.0 ? 0 : 1; /* 0 + 1 + ... + 3999 */
}
