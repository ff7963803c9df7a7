/* perf/c/inplace_loop.c - the reference for a crash-safe --in-place map:
 * the same rewrite with no safety at all.  The NPY file is mapped
 * read-write, an OpenMP loop (OMP_NUM_THREADS threads) multiplies every
 * element by K in place, and one msync at the end puts it on the disk (as
 * shmx's run has it there when it returns).  No journal, no order: a
 * crash midway leaves the file half scaled, and nothing says which half.
 * The reported phase is the loop and the msync.
 * usage: inplace_loop scale:K FILE.npy */
#include "npyio.h"

int main(int argc, char **argv)
{
	struct npy a;
	double k, *x, t0;
	uint64_t n;
	int fd;

	if (argc != 3 || strncmp(argv[1], "scale:", 6)) {
		fputs("usage: inplace_loop scale:K FILE.npy\n", stderr);
		return 2;
	}
	k = strtod(argv[1] + 6, NULL);
	npy_map(argv[2], &a); /* read-only: remapped read-write below */
	n = a.rows * a.cols;
	fd = open(argv[2], O_RDWR);
	if (fd < 0)
		die("open", argv[2]);
	t0 = now();
	x = mmap(NULL, a.map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (x == MAP_FAILED)
		die("mmap", argv[2]);
	x = (double *)((char *)x + ((const char *)a.data - (const char *)a.map));
#pragma omp parallel for simd schedule(static)
	for (uint64_t i = 0; i < n; i++)
		x[i] *= k;
	if (msync((char *)x - ((const char *)a.data - (const char *)a.map),
		  a.map_len, MS_SYNC))
		die("msync", argv[2]);
	report(now() - t0, n * 8);
	close(fd);
	npy_unmap(&a);
	return 0;
}
