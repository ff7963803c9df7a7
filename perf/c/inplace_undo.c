/* perf/c/inplace_undo.c - the least a crash-safe rewrite in place must do,
 * by hand: the physics of an undo journal without shmx around it.  The
 * NPY file is mapped read-write and rewritten 64 MiB at a time (shmx's
 * --in-place chunk); before a chunk changes, its original bytes are kept
 * in a journal file beside the target and made durable, then an OpenMP
 * loop multiplies it by K and msync puts it on the disk.  There are no
 * chunk records, checksums, done marks or resume, so a crash leaves
 * nothing that says which chunk was in progress.  How the bytes are kept:
 *
 *   (default)  written to the start of the journal and fdatasynced: every
 *              byte is written twice, as in shmx
 *   --reflink  the chunk's blocks shared with the journal (FICLONERANGE,
 *              at the same offsets) and fsynced: nothing is copied, and the
 *              filesystem copies a shared block when the rewrite reaches
 *              it.  Only where there is reflink (XFS made with reflink=1,
 *              btrfs); elsewhere it fails at the first clone with the
 *              ioctl's error and leaves no journal.  Not part of perf/run
 *              (perf/README.md).
 *
 * The reported phase is the whole rewrite, the journal's creation and
 * removal included.
 * usage: inplace_undo [--reflink] scale:K FILE.npy */
#include <linux/fs.h>
#include <sys/ioctl.h>

#include "npyio.h"

#define CHUNK (UINT64_C(64) << 20)
#define BLOCK UINT64_C(4096)

struct journal {
	int fd, target_fd, reflink;
	uint64_t target_size;
	char path[4096];
};

/* The whole of len bytes at p written at the start of the journal. */
static void copy(const struct journal *j, const char *p, uint64_t len)
{
	for (uint64_t done = 0; done < len;) {
		ssize_t n = pwrite(j->fd, p + done, len - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("pwrite", j->path);
		done += (uint64_t)n;
	}
	if (fdatasync(j->fd))
		die("fdatasync", j->path);
}

/* The blocks under [off, off + len) of the target shared with the
 * journal at the same offsets (a span reaching the end of the file may
 * end there unaligned), and that made durable. */
static void share(const struct journal *j, uint64_t off, uint64_t len)
{
	uint64_t lo = off & ~(BLOCK - 1), hi = (off + len + BLOCK - 1) & ~(BLOCK - 1);
	struct file_clone_range r;

	if (hi > j->target_size)
		hi = j->target_size;
	r = (struct file_clone_range){ .src_fd = j->target_fd, .src_offset = lo,
				       .src_length = hi - lo, .dest_offset = lo };
	if (ioctl(j->fd, FICLONERANGE, &r)) {
		int e = errno; /* no reflink here: leave no journal behind */

		unlink(j->path);
		errno = e;
		die("FICLONERANGE", j->path);
	}
	if (fsync(j->fd))
		die("fsync", j->path);
}

int main(int argc, char **argv)
{
	struct journal j = { 0 };
	struct npy a;
	double k, t0;
	char *map;
	uint64_t n, lead;

	j.reflink = argc == 4 && !strcmp(argv[1], "--reflink");
	argv += j.reflink;
	argc -= j.reflink;
	if (argc != 3 || strncmp(argv[1], "scale:", 6)) {
		fputs("usage: inplace_undo [--reflink] scale:K FILE.npy\n", stderr);
		return 2;
	}
	k = strtod(argv[1] + 6, NULL);
	npy_map(argv[2], &a); /* read-only: remapped read-write below */
	n = a.rows * a.cols;
	lead = (uint64_t)((const char *)a.data - (const char *)a.map);
	j.target_size = a.map_len;
	snprintf(j.path, sizeof(j.path), "%s.undo", argv[2]);
	j.target_fd = open(argv[2], O_RDWR);
	if (j.target_fd < 0)
		die("open", argv[2]);
	t0 = now();
	j.fd = open(j.path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (j.fd < 0)
		die("open", j.path);
	map = mmap(NULL, a.map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		   j.target_fd, 0);
	if (map == MAP_FAILED)
		die("mmap", argv[2]);
	for (uint64_t i0 = 0; i0 < n; i0 += CHUNK / 8) {
		uint64_t m = n - i0 < CHUNK / 8 ? n - i0 : CHUNK / 8;
		uint64_t off = lead + i0 * 8, lo = off & ~(BLOCK - 1);
		double *x = (double *)(map + off);

		if (j.reflink)
			share(&j, off, m * 8);
		else
			copy(&j, (const char *)x, m * 8);
#pragma omp parallel for simd schedule(static)
		for (uint64_t i = 0; i < m; i++)
			x[i] *= k;
		if (msync(map + lo, off + m * 8 - lo, MS_SYNC))
			die("msync", argv[2]);
	}
	close(j.fd);
	if (unlink(j.path))
		die("unlink", j.path);
	report(now() - t0, n * 8);
	munmap(map, a.map_len);
	close(j.target_fd);
	npy_unmap(&a);
	return 0;
}
