/* tests/fuzz/npy_print.c - what shmx_npy_parse makes of each file, one
 * line each, for npy_vs_numpy.py:
 *
 *   PATH \t ok \t DESCR \t NDIM \t DIM0 \t DIM1 \t DATA_OFFSET
 *   PATH \t error \t CODE
 */
#include <stdio.h>
#include <stdlib.h>

#include "shmx/npy.h"

int main(int argc, char **argv)
{
	static unsigned char buf[SHMX_NPY_MAX_HEADER + 16];

	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		struct shmx_npy_header h;
		size_t n;
		int rc;

		if (!f) {
			perror(argv[i]);
			return 1;
		}
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		rc = shmx_npy_parse(buf, n, argv[i], &h, NULL);
		if (rc)
			printf("%s\terror\t%d\n", argv[i], rc);
		else
			printf("%s\tok\t%s\t%d\t%llu\t%llu\t%llu\n", argv[i],
			       shmx_dtype_descr(h.dtype), h.shape.ndim,
			       (unsigned long long)h.shape.dim[0],
			       (unsigned long long)h.shape.dim[1],
			       (unsigned long long)h.data_offset);
	}
	return 0;
}
