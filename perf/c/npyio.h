/* perf/c/npyio.h - the little NPY I/O the C reference programs share.
 *
 * npy_map():    map an f64, C-order NPY file (v1/v2/v3) read-only.
 * npy_create(): a new NPY image (data at byte 4096, like shmx writes) under
 *               a temporary name, its size reserved with posix_fallocate,
 *               mapped read-write; npy_publish() renames it into place.
 *               npy_create_as() the same for another element type ('<i8').
 * npy_unmap():  unmap an input (inside the timed phase: shmx's workers
 *               unmap theirs before they exit, within its "compute").
 * now():        CLOCK_MONOTONIC seconds.
 * report():     one JSON line on stderr, {"compute": s, "bytes": n}, the
 *               phase the bench driver compares with shmx's --stats: from
 *               creating the output to the input unmapped and the output
 *               published.
 * Errors end the program with a message (these are benchmarks, not tools).
 */
#ifndef PERF_NPYIO_H
#define PERF_NPYIO_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NPY_DATA 4096

struct npy {
	void *map;          /* the whole file */
	size_t map_len;
	const double *data; /* the elements */
	uint64_t rows, cols; /* a 1-d array is rows x 1 */
	int ndim;
	char path[4096], tmp[4096]; /* npy_create only */
};

static inline void die(const char *what, const char *path)
{
	fprintf(stderr, "%s: %s: %s\n", what, path, errno ? strerror(errno) : "bad input");
	exit(1);
}

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline void report(double seconds, uint64_t bytes)
{
	fprintf(stderr, "{\"compute\": %.6f, \"bytes\": %llu}\n", seconds,
		(unsigned long long)bytes);
}

static inline void npy_map(const char *path, struct npy *a)
{
	const unsigned char *p;
	const char *h, *s;
	struct stat st;
	size_t hlen, off;
	int fd = open(path, O_RDONLY);

	memset(a, 0, sizeof(*a));
	if (fd < 0 || fstat(fd, &st))
		die("open", path);
	a->map_len = st.st_size;
	a->map = mmap(NULL, a->map_len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (a->map == MAP_FAILED || a->map_len < 12)
		die("mmap", path);
	p = a->map;
	errno = 0;
	if (memcmp(p, "\x93NUMPY", 6))
		die("not an NPY file", path);
	if (p[6] == 1) {
		hlen = p[8] | p[9] << 8;
		off = 10;
	} else {
		hlen = p[8] | p[9] << 8 | (size_t)p[10] << 16 | (size_t)p[11] << 24;
		off = 12;
	}
	h = (const char *)p + off;
	if (!strstr(h, "'<f8'") || strstr(h, "'fortran_order': True"))
		die("not a C-order <f8 array", path);
	s = strstr(h, "'shape': (");
	if (!s)
		die("no shape", path);
	s += 10;
	a->rows = strtoull(s, (char **)&s, 10);
	a->cols = 1;
	a->ndim = 1;
	if (*s == ',' && s[1] == ' ' && s[2] >= '0' && s[2] <= '9') {
		a->cols = strtoull(s + 2, NULL, 10);
		a->ndim = 2;
	}
	a->data = (const double *)(p + off + hlen);
	if (off + hlen + a->rows * a->cols * 8 > a->map_len)
		die("truncated", path);
}

static inline void npy_unmap(struct npy *a)
{
	munmap(a->map, a->map_len);
	a->map = NULL;
	a->data = NULL;
}

/* shape: ndim 0 (a scalar), 1 (rows) or 2 (rows x cols); descr: numpy's
 * '<f8', '<i8', ... of an element of `size` bytes. */
static inline void *npy_create_as(const char *path, const char *descr, size_t size,
				  int ndim, uint64_t rows, uint64_t cols, struct npy *a)
{
	char shape[64], head[NPY_DATA];
	uint64_t n = ndim == 0 ? 1 : ndim == 1 ? rows : rows * cols;
	int fd, len;

	memset(a, 0, sizeof(*a));
	snprintf(a->path, sizeof(a->path), "%s", path);
	snprintf(a->tmp, sizeof(a->tmp), "%s.tmp%d", path, (int)getpid());
	if (ndim == 0)
		snprintf(shape, sizeof(shape), "()");
	else if (ndim == 1)
		snprintf(shape, sizeof(shape), "(%llu,)", (unsigned long long)rows);
	else
		snprintf(shape, sizeof(shape), "(%llu, %llu)",
			 (unsigned long long)rows, (unsigned long long)cols);
	memset(head, ' ', sizeof(head));
	memcpy(head, "\x93NUMPY\x01\x00", 8);
	head[8] = (NPY_DATA - 10) & 0xff;
	head[9] = (NPY_DATA - 10) >> 8;
	len = snprintf(head + 10, sizeof(head) - 10,
		       "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
	head[10 + len] = ' ';
	head[NPY_DATA - 1] = '\n';
	a->map_len = NPY_DATA + n * size;
	fd = open(a->tmp, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		die("create", a->tmp);
	if ((errno = posix_fallocate(fd, 0, a->map_len)))
		die("posix_fallocate", a->tmp);
	a->map = mmap(NULL, a->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (a->map == MAP_FAILED)
		die("mmap", a->tmp);
	memcpy(a->map, head, NPY_DATA);
	return (char *)a->map + NPY_DATA;
}

static inline double *npy_create(const char *path, int ndim, uint64_t rows,
				 uint64_t cols, struct npy *a)
{
	return npy_create_as(path, "<f8", 8, ndim, rows, cols, a);
}

static inline void npy_publish(struct npy *a)
{
	munmap(a->map, a->map_len);
	if (rename(a->tmp, a->path))
		die("rename", a->path);
}

#endif
