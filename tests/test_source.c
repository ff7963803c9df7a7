/* tests/test_source.c - engine/exec/io_choice.c, source_map.c and
 * source_stream.c: how an input's source is chosen (--io), and that a
 * streamed input feeds a kernel the same rows as its mapping, also beside
 * a broadcast input (always mapped), for -j 1, 2, 3 and small chunks.
 * The files live on /var/tmp (a disk: tmpfs has no O_DIRECT and is always
 * mapped). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shmx/shmx.h"
#include "exec/io_choice.h"
#include "exec/job.h"
#include "support.h"

static char dir[256];

static void src_init(void)
{
	shm_guard_begin();
	snprintf(dir, sizeof(dir), "/var/tmp/shmx-src-XXXXXX");
	cr_assert(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
}

static void src_fini(void)
{
	if (dir[0])
		rm_rf(dir);
	dir[0] = '\0';
	shm_guard_end();
}

TestSuite(source, .init = src_init, .fini = src_fini);

/* An f64 array r x c (1-D when c is 0) in a new file or segment. */
static void make(const char *spec, uint64_t r, uint64_t c)
{
	struct shmx_shape s = { .ndim = c ? 2 : 1, .dim = { r, c } };
	struct shmx_run_opts o = SHMX_RUN_OPTS_INIT;
	struct shmx_error err = { 0 };

	o.create.force = 1;
	cr_assert_eq(shmx_gen(spec, SHMX_F64, &s, SHMX_FILL_NORMAL, 5, &o, NULL,
			      &err), 0, "%s", err.msg);
}

static const struct shmx__source_ops *choose(const char *spec, int io,
					     char *note, size_t len)
{
	struct shmx_array *a;
	struct shmx_error err = { 0 };
	const struct shmx__source_ops *s;

	cr_assert_eq(shmx_array_open(spec, NULL, &a, &err), 0, "%s", err.msg);
	s = shmx__io_choose(a, io, note, len);
	shmx_array_close(a);
	return s;
}

Test(source, a_segment_is_always_mapped_and_says_so)
{
	char name[128], spec[160], note[192];

	test_shm_name(name, sizeof(name), "src");
	snprintf(spec, sizeof(spec), "shm://%s", name);
	make(spec, 100, 3);
	cr_assert_eq(choose(spec, SHMX_IO_STREAM, note, sizeof(note)),
		     &shmx__source_map);
	cr_assert_str_eq(note, "stream asked, but the input is in memory "
			       "(tmpfs): used the mapping");
	cr_assert_eq(choose(spec, SHMX_IO_AUTO, note, sizeof(note)),
		     &shmx__source_map);
	cr_assert_str_eq(note, "");
	shm_unlink(name);
}

Test(source, a_file_is_streamed_or_mapped_as_asked)
{
	char path[300], note[192];

	snprintf(path, sizeof(path), "%s/a.npy", dir);
	make(path, 1000, 4);
	cr_assert_eq(choose(path, SHMX_IO_STREAM, note, sizeof(note)),
		     &shmx__source_stream);
	cr_assert_str_eq(note, "");
	cr_assert_eq(choose(path, SHMX_IO_MMAP, note, sizeof(note)),
		     &shmx__source_map);
	cr_assert_str_eq(note, "");
}

Test(source, auto_maps_a_cached_file_and_streams_an_evicted_one)
{
	char path[300], note[192];
	int fd;

	snprintf(path, sizeof(path), "%s/c.npy", dir);
	make(path, 65536, 8); /* 4 MiB: many pages to sample */
	cr_assert_eq(choose(path, SHMX_IO_AUTO, note, sizeof(note)),
		     &shmx__source_map, "%s", note);
	cr_assert(strstr(note, "of the input in the page cache: mapped"), "%s",
		  note);
	fd = open(path, O_RDONLY);
	cr_assert(fd >= 0);
	fdatasync(fd);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
	if (choose(path, SHMX_IO_AUTO, note, sizeof(note)) != &shmx__source_stream)
		cr_skip_test("the page cache kept the file (%s)", note);
	cr_assert(strstr(note, "streamed"), "%s", note);
}

Test(source, resident_fraction_of_nothing_is_one)
{
	cr_assert_eq(shmx__resident_fraction(NULL, 0), 1.0);
}

/* ---- a streamed input beside a broadcast one ------------------------- */

/* out = x - y (y one row of cols, broadcast), f64 */
static int sub_prepare(struct shmx_kernel_call *c, struct shmx_error *err)
{
	(void)err;
	c->out_dtype = SHMX_F64;
	c->out_shape = c->in[0].shape;
	c->out_cols = c->in[0].cols;
	return 0;
}

static int sub_chunk(const struct shmx_kernel_call *c,
		     const struct shmx_chunk *k, struct shmx_error *err)
{
	const double *x = k->in[0], *y = k->in[1];
	double *o = k->out;
	uint64_t cols = c->in[0].cols;

	(void)err;
	for (uint64_t i = 0; i < k->nrows * cols; i++)
		o[i] = x[i] - y[i % cols];
	return 0;
}

static const struct shmx_kernel sub = {
	.abi = SHMX_KERNEL_ABI, .size = sizeof(struct shmx_kernel),
	.name = "sub", .kind = SHMX_KERNEL_MAP,
	.min_inputs = 2, .max_inputs = 2,
	.prepare = sub_prepare, .chunk = sub_chunk,
};

/* Run sub over x and y with io into memory; the result's bytes. */
static double *run_sub(const char *x, const char *y, int io, unsigned j,
		       uint64_t chunk, char *io_used, size_t n)
{
	const char *src[2] = { x, y };
	struct shmx_run_opts o = SHMX_RUN_OPTS_INIT;
	struct shmx_error err = { 0 };
	struct shmx_result res = { 0 };
	struct shmx__job job;
	double *copy;
	int rc;

	o.workers = j;
	o.want_stats = 1;
	shmx__job_init(&job, "sub");
	job.op.kernel = &sub;
	rc = shmx__job_inputs(&job, src, 2, NULL, 0, &err);
	if (!rc)
		rc = shmx__job_prepare(&job, SHMX_AXIS_NONE, &err);
	if (!rc)
		rc = shmx__job_plan(&job, chunk, io, 2, &err);
	if (!rc)
		rc = shmx__job_sink(&job, NULL, NULL, 0, &err);
	if (!rc)
		rc = shmx__job_execute(&job, &o, x, 0, &res.stats, &err);
	cr_assert_eq(rc, 0, "%s", err.msg);
	if (job.call.rows != 1) /* one row against one: not broadcast */
		cr_assert_eq(job.in[1].source, &shmx__source_map,
			     "a broadcast input is always mapped");
	snprintf(io_used, n, "%s", res.stats.io);
	shmx__job_result(&job, &res);
	copy = malloc(res.priv_len);
	memcpy(copy, res.data, res.priv_len);
	shmx_result_free(&res);
	shmx__job_close(&job);
	return copy;
}

Test(source, a_stream_feeds_the_same_rows_as_the_mapping)
{
	char x[300], y[300], io[16];
	static const uint64_t rows[] = { 1, 7, 4099, 20011 };
	static const unsigned workers[] = { 1, 2, 3 };

	snprintf(x, sizeof(x), "%s/x.npy", dir);
	snprintf(y, sizeof(y), "%s/y.npy", dir);
	make(y, 1, 5);
	for (size_t r = 0; r < sizeof(rows) / sizeof(*rows); r++) {
		double *want;

		make(x, rows[r], 5);
		want = run_sub(x, y, SHMX_IO_MMAP, 1, 4096, io, sizeof(io));
		cr_assert_str_eq(io, "mmap");
		for (size_t w = 0; w < sizeof(workers) / sizeof(*workers); w++) {
			double *got = run_sub(x, y, SHMX_IO_STREAM, workers[w],
					      w ? 4096 + 40 * w : 0, io,
					      sizeof(io));

			cr_assert_str_eq(io, "stream");
			cr_assert(!memcmp(got, want, rows[r] * 5 * sizeof(double)),
				  "%llu rows, -j %u: the stream differs",
				  (unsigned long long)rows[r], workers[w]);
			free(got);
		}
		free(want);
	}
}
