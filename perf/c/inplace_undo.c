/* perf/c/inplace_undo.c - the least a crash-safe rewrite in place must do,
 * by hand: the physics of an undo journal without shmx around it.  The
 * NPY file is mapped read-write and rewritten 64 MiB at a time (shmx's
 * --in-place chunk); before a chunk changes, its original bytes are
 * written to a journal file beside the target and fdatasynced, then an
 * OpenMP loop multiplies it by K and msync puts it on the disk.  So every
 * byte is written twice and there are two flushes a chunk, as in shmx;
 * there are no chunk records, checksums, done marks or resume, so a crash
 * leaves nothing that says which chunk was in progress (the journal has
 * its bytes, not its number).  The reported phase is the whole rewrite,
 * the journal's creation and removal included.
 * usage: inplace_undo scale:K FILE.npy */
#include "npyio.h"

#define CHUNK (UINT64_C(64) << 20)

/* The whole of len bytes at p written at the start of the journal. */
static void save(int jfd, const char *p, uint64_t len, const char *jpath)
{
	for (uint64_t done = 0; done < len;) {
		ssize_t n = pwrite(jfd, p + done, len - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("pwrite", jpath);
		done += (uint64_t)n;
	}
	if (fdatasync(jfd))
		die("fdatasync", jpath);
}

int main(int argc, char **argv)
{
	char jpath[4096];
	struct npy a;
	double k, t0;
	char *map;
	uint64_t n, lead;
	int fd, jfd;

	if (argc != 3 || strncmp(argv[1], "scale:", 6)) {
		fputs("usage: inplace_undo scale:K FILE.npy\n", stderr);
		return 2;
	}
	k = strtod(argv[1] + 6, NULL);
	npy_map(argv[2], &a); /* read-only: remapped read-write below */
	n = a.rows * a.cols;
	lead = (uint64_t)((const char *)a.data - (const char *)a.map);
	snprintf(jpath, sizeof(jpath), "%s.undo", argv[2]);
	fd = open(argv[2], O_RDWR);
	if (fd < 0)
		die("open", argv[2]);
	t0 = now();
	jfd = open(jpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (jfd < 0)
		die("open", jpath);
	map = mmap(NULL, a.map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap", argv[2]);
	for (uint64_t i0 = 0; i0 < n; i0 += CHUNK / 8) {
		uint64_t m = n - i0 < CHUNK / 8 ? n - i0 : CHUNK / 8;
		double *x = (double *)(map + lead) + i0;
		uintptr_t lo = (uintptr_t)x & ~(uintptr_t)4095;

		save(jfd, (const char *)x, m * 8, jpath);
#pragma omp parallel for simd schedule(static)
		for (uint64_t i = 0; i < m; i++)
			x[i] *= k;
		if (msync((void *)lo, m * 8 + ((uintptr_t)x - lo), MS_SYNC))
			die("msync", argv[2]);
	}
	close(jfd);
	if (unlink(jpath))
		die("unlink", jpath);
	report(now() - t0, n * 8);
	munmap(map, a.map_len);
	close(fd);
	npy_unmap(&a);
	return 0;
}
