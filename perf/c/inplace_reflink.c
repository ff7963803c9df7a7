/* perf/c/inplace_reflink.c - what an undo journal would cost if it shared
 * the original blocks instead of copying them: inplace_undo.c with the
 * journal's copy replaced by FICLONERANGE.  Each 64 MiB chunk's block span
 * is cloned into a journal file beside the target (at the same offset) and
 * fsynced; then an OpenMP loop multiplies the chunk by K and msync puts it
 * on the disk, where the filesystem copies the shared blocks on write.
 * Only on a filesystem with reflink (XFS made with reflink=1, btrfs);
 * elsewhere it fails at the first clone with the ioctl's error.  Not part
 * of perf/run (perf/README.md).  The reported phase is the whole rewrite.
 * usage: inplace_reflink scale:K FILE.npy */
#include <linux/fs.h>
#include <sys/ioctl.h>

#include "npyio.h"

#define CHUNK (UINT64_C(64) << 20)
#define BLOCK UINT64_C(4096)

/* Share the blocks under [off, off + len) of fd with jfd, at the same
 * offsets, and make that durable.  A span that reaches the end of the file
 * may end there unaligned. */
static void save(int fd, int jfd, uint64_t off, uint64_t len, uint64_t size,
		 const char *jpath)
{
	uint64_t lo = off & ~(BLOCK - 1), hi = (off + len + BLOCK - 1) & ~(BLOCK - 1);
	struct file_clone_range r;

	if (hi > size)
		hi = size;
	r = (struct file_clone_range){ .src_fd = fd, .src_offset = lo,
				       .src_length = hi - lo, .dest_offset = lo };
	if (ioctl(jfd, FICLONERANGE, &r)) {
		int e = errno; /* no reflink here: leave no journal behind */

		unlink(jpath);
		errno = e;
		die("FICLONERANGE", jpath);
	}
	if (fsync(jfd))
		die("fsync", jpath);
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
		fputs("usage: inplace_reflink scale:K FILE.npy\n", stderr);
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
		uint64_t off = lead + i0 * 8, lo = off & ~(BLOCK - 1);
		double *x = (double *)(map + off);

		save(fd, jfd, off, m * 8, a.map_len, jpath);
#pragma omp parallel for simd schedule(static)
		for (uint64_t i = 0; i < m; i++)
			x[i] *= k;
		if (msync(map + lo, off + m * 8 - lo, MS_SYNC))
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
