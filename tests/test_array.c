/* tests/test_array.c - engine/store/array.c: opening inputs (NPY and raw,
 * files and segments), what is refused and with which message, writable
 * opens, and shmx_array_read.  Every test runs between shm_guard_begin and
 * shm_guard_end and works in its own scratch directory. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shmx/shmx.h"
#include "support.h"

TestSuite(array, .init = scratch_begin, .fini = scratch_end, .timeout = 20);

static void expect_open_fails(const char *spec,
			      const struct shmx_open_opts *opts, int code,
			      const char *msg)
{
	struct shmx_array *a = (struct shmx_array *)&a; /* must stay */
	struct shmx_error err = { 0 };

	cr_expect_eq(shmx_array_open(spec, opts, &a, &err), code, "%s: %s",
		     spec, err.msg);
	cr_expect_eq(err.code, code);
	cr_expect_str_eq(err.msg, msg, "got '%s'", err.msg);
	cr_expect_eq((void *)a, (void *)&a, "*out written on failure");
}

Test(array, opens_an_npy_file_read_only)
{
	char path[128];
	struct shmx_error err = { 0 };
	struct shmx_array *a;
	const double *v;

	publish_array(in_scratch(path, sizeof(path), "a.npy"), SHMX_F64, "3x5",
		   SHMX_FILL_RANGE);
	cr_assert_eq(shmx_array_open(path, NULL, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(shmx_array_dtype(a), SHMX_F64);
	cr_expect_eq(shmx_array_shape(a)->ndim, 2);
	cr_expect_eq(shmx_array_shape(a)->dim[0], 3);
	cr_expect_eq(shmx_array_shape(a)->dim[1], 5);
	cr_expect_eq(shmx_array_nbytes(a), 120);
	cr_expect_eq(shmx_array_data_offset(a), SHMX_NPY_DATA_OFFSET);
	cr_expect_geq(shmx_array_fd(a), 0);
	cr_expect_null(shmx_array_data_mut(a), "read-only has no mut data");
	cr_expect_eq(shmx_array_target(a)->kind, SHMX_TARGET_FILE);
	cr_expect_str_eq(shmx_array_target(a)->path, path);
	v = shmx_array_data(a);
	cr_assert(v);
	for (int i = 0; i < 15; i++)
		cr_expect_eq(v[i], (double)i);
	shmx_array_close(a);
}

Test(array, opens_an_npy_segment)
{
	char name[64], spec[80];
	struct shmx_error err = { 0 };
	struct shmx_array *a;
	const int16_t *v;

	test_shm_name(name, sizeof(name), "open");
	snprintf(spec, sizeof(spec), "shm://%s", name);
	publish_array(spec, SHMX_I16, "7", SHMX_FILL_RANGE);
	cr_assert_eq(shmx_array_open(spec, NULL, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(shmx_array_target(a)->kind, SHMX_TARGET_SHM);
	cr_expect_eq(shmx_array_dtype(a), SHMX_I16);
	cr_expect(shmx_array_shape(a)->ndim == 1 &&
		  shmx_array_shape(a)->dim[0] == 7);
	v = shmx_array_data(a);
	for (int i = 0; i < 7; i++)
		cr_expect_eq(v[i], i);
	shmx_array_close(a);
	shm_unlink(name);
}

Test(array, opens_an_npy_file_with_its_data_at_128)
{
	static const char dict[] =
		"{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }";
	unsigned char img[128 + 16];
	char path[128];
	struct shmx_error err = { 0 };
	struct shmx_array *a;
	const int32_t vals[4] = { 10, -20, 30, -40 };

	memcpy(img, "\x93NUMPY\x01\x00\x76\x00", 10);
	memset(img + 10, ' ', 118);
	memcpy(img + 10, dict, sizeof(dict) - 1);
	img[127] = '\n';
	memcpy(img + 128, vals, sizeof(vals));
	write_whole_file(in_scratch(path, sizeof(path), "n.npy"), img, sizeof(img));
	cr_assert_eq(shmx_array_open(path, NULL, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(shmx_array_data_offset(a), 128);
	cr_expect_eq(memcmp(shmx_array_data(a), vals, sizeof(vals)), 0);
	shmx_array_close(a);
}

Test(array, opens_a_raw_file_with_dtype_and_shape)
{
	double vals[10];
	char path[128];
	struct shmx_open_opts o = { .raw = 1, .dtype = SHMX_F64 };
	struct shmx_error err = { 0 };
	struct shmx_array *a;

	for (int i = 0; i < 10; i++)
		vals[i] = i * 1.5;
	write_whole_file(in_scratch(path, sizeof(path), "r.bin"), vals,
			 sizeof(vals));
	cr_assert_eq(shmx_shape_parse("2x5", &o.shape, &err), 0);
	cr_assert_eq(shmx_array_open(path, &o, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(shmx_array_data_offset(a), 0);
	cr_expect_eq(shmx_array_nbytes(a), sizeof(vals));
	cr_expect_eq(shmx_array_shape(a)->dim[1], 5);
	cr_expect_eq(memcmp(shmx_array_data(a), vals, sizeof(vals)), 0);
	shmx_array_close(a);
}

Test(array, opens_a_raw_file_past_an_offset)
{
	unsigned char buf[16 + 12];
	char path[128];
	struct shmx_open_opts o = { .raw = 1, .dtype = SHMX_U32,
				    .shape = { 1, { 3, 0 } },
				    .raw_offset = 16 };
	struct shmx_error err = { 0 };
	struct shmx_array *a;
	const uint32_t vals[3] = { 7, 8, 9 };

	memset(buf, 0xff, 16);
	memcpy(buf + 16, vals, sizeof(vals));
	write_whole_file(in_scratch(path, sizeof(path), "off.bin"), buf,
			 sizeof(buf));
	cr_assert_eq(shmx_array_open(path, &o, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(shmx_array_data_offset(a), 16);
	cr_expect_eq(memcmp(shmx_array_data(a), vals, sizeof(vals)), 0);
	shmx_array_close(a);
}

Test(array, opens_an_empty_raw_file_as_an_empty_array)
{
	char path[128];
	struct shmx_open_opts o = { .raw = 1, .dtype = SHMX_F64,
				    .shape = { 1, { 0, 0 } } };
	struct shmx_error err = { 0 };
	struct shmx_array *a;

	write_whole_file(in_scratch(path, sizeof(path), "empty.bin"), "", 0);
	cr_assert_eq(shmx_array_open(path, &o, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(shmx_array_nbytes(a), 0);
	shmx_array_close(a);
}

/* data.bin in the scratch directory, `size` bytes, sparse (fast). */
static void sparse_data(off_t size)
{
	int fd;

	cr_assert_eq(chdir(scratch_dir), 0);
	fd = open("data.bin", O_CREAT | O_WRONLY, 0644);
	cr_assert(fd >= 0);
	cr_assert_eq(ftruncate(fd, size), 0);
	close(fd);
}

Test(array, refuses_raw_data_that_is_not_whole_rows)
{
	struct shmx_open_opts o = { .raw = 1, .dtype = SHMX_F64,
				    .shape = { 2, { 100000, 10 } } };

	sparse_data(8000001);
	expect_open_fails("data.bin", &o, SHMX_ESIZE,
			  "data.bin: 8000001 bytes is not a whole number of "
			  "f64 rows of 10");
}

Test(array, refuses_raw_data_of_the_wrong_number_of_rows)
{
	struct shmx_open_opts o = { .raw = 1, .dtype = SHMX_F64,
				    .shape = { 2, { 100000, 10 } } };

	sparse_data(8000080);
	expect_open_fails("data.bin", &o, SHMX_ESIZE,
			  "data.bin: 8000080 bytes, but f64 x 1000000 "
			  "elements need 8000000");
	sparse_data(7999920);
	expect_open_fails("data.bin", &o, SHMX_ESIZE,
			  "data.bin: 7999920 bytes, but f64 x 1000000 "
			  "elements need 8000000");
}

Test(array, refuses_a_raw_shape_that_overflows)
{
	struct shmx_open_opts o = { .raw = 1, .dtype = SHMX_F64,
				    .shape = { 1, { UINT64_C(1) << 62, 0 } } };

	cr_assert_eq(chdir(scratch_dir), 0);
	write_whole_file("data.bin", "12345678", 8);
	expect_open_fails("data.bin", &o, SHMX_ESHAPE,
			  "data.bin: shape overflows");
}

Test(array, refuses_a_missing_file_or_segment)
{
	char path[128], spec[80], name[64];

	in_scratch(path, sizeof(path), "nope.npy");
	char msg[192];

	snprintf(msg, sizeof(msg), "%s: no such file", path);
	expect_open_fails(path, NULL, -ENOENT, msg);
	test_shm_name(name, sizeof(name), "missing");
	snprintf(spec, sizeof(spec), "shm://%s", name);
	snprintf(msg, sizeof(msg), "%s: no such segment", spec);
	expect_open_fails(spec, NULL, -ENOENT, msg);
}

Test(array, refuses_a_bad_target)
{
	expect_open_fails("shm://a/b", NULL, SHMX_ETARGET,
			  "shm://a/b: bad shm name (1-200 of A-Za-z0-9._-, "
			  "not starting with '.')");
}

Test(array, refuses_a_directory)
{
	char msg[192];
	struct shmx_open_opts w = { .writable = 1 };

	snprintf(msg, sizeof(msg), "%s: not a regular file", scratch_dir);
	expect_open_fails(scratch_dir, NULL, SHMX_ENOTARRAY, msg);
	snprintf(msg, sizeof(msg), "%s: Is a directory", scratch_dir);
	expect_open_fails(scratch_dir, &w, -EISDIR, msg);
}

Test(array, refuses_a_fifo_without_hanging, .timeout = 5)
{
	char path[128], msg[192];
	struct shmx_open_opts w = { .writable = 1 };
	struct shmx_open_opts raw = { .raw = 1, .dtype = SHMX_U8,
				      .shape = { 1, { 0, 0 } } };

	cr_assert_eq(mkfifo(in_scratch(path, sizeof(path), "fifo"), 0600), 0);
	snprintf(msg, sizeof(msg), "%s: not a regular file", path);
	expect_open_fails(path, NULL, SHMX_ENOTARRAY, msg);
	expect_open_fails(path, &w, SHMX_ENOTARRAY, msg);
	expect_open_fails(path, &raw, SHMX_ENOTARRAY, msg);
}

Test(array, refuses_a_symlink_in_the_shm_directory)
{
	char real[64], link[64], spec[80], target[128], lpath[128], msg[256];
	struct shmx_open_opts w = { .writable = 1 };

	test_shm_name(real, sizeof(real), "real");
	test_shm_name(link, sizeof(link), "link");
	snprintf(spec, sizeof(spec), "shm://%s", real);
	publish_array(spec, SHMX_U8, "4", SHMX_FILL_RANGE);
	snprintf(target, sizeof(target), "/dev/shm/%s", real);
	snprintf(lpath, sizeof(lpath), "/dev/shm/%s", link);
	cr_assert_eq(symlink(target, lpath), 0);
	snprintf(spec, sizeof(spec), "shm://%s", link);
	snprintf(msg, sizeof(msg), "%s: %s", spec, strerror(ELOOP));
	expect_open_fails(spec, NULL, -ELOOP, msg);
	expect_open_fails(spec, &w, -ELOOP, msg);
	unlink(lpath);
	unlink(target);
}

Test(array, refuses_a_file_that_is_not_npy)
{
	char path[128], msg[256];

	write_whole_file(in_scratch(path, sizeof(path), "text.txt"),
			 "hello world, not an array\n", 26);
	snprintf(msg, sizeof(msg),
		 "%s: not an NPY file (bad magic); raw data needs --dtype and "
		 "--shape",
		 path);
	expect_open_fails(path, NULL, SHMX_EBADNPY, msg);
	write_whole_file(path, "", 0);
	snprintf(msg, sizeof(msg), "%s: too short for an NPY header (0 bytes)",
		 path);
	expect_open_fails(path, NULL, SHMX_EBADNPY, msg);
}

Test(array, refuses_npy_data_shorter_or_longer_than_its_header)
{
	char path[128], msg[256];
	unsigned char *img;
	size_t len;

	publish_array(in_scratch(path, sizeof(path), "t.npy"), SHMX_F64, "3",
		   SHMX_FILL_RANGE);
	img = (unsigned char *)read_whole_file(path, &len);
	cr_assert_eq(len, SHMX_NPY_DATA_OFFSET + 24);
	write_whole_file(path, img, len - 8);
	snprintf(msg, sizeof(msg),
		 "%s: data is 16 bytes, shorter than the 24 its header says",
		 path);
	expect_open_fails(path, NULL, SHMX_ESIZE, msg);
	img = realloc(img, len + 1);
	img[len] = 0;
	write_whole_file(path, img, len + 1);
	snprintf(msg, sizeof(msg),
		 "%s: data is 25 bytes, longer than the 24 its header says",
		 path);
	expect_open_fails(path, NULL, SHMX_ESIZE, msg);
	free(img);
}

Test(array, follows_a_symlink_to_a_file)
{
	char path[128], link[128];
	struct shmx_error err = { 0 };
	struct shmx_array *a;

	publish_array(in_scratch(path, sizeof(path), "real.npy"), SHMX_U8, "4",
		   SHMX_FILL_RANGE);
	cr_assert_eq(symlink(path, in_scratch(link, sizeof(link), "link.npy")), 0);
	cr_assert_eq(shmx_array_open(link, NULL, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(shmx_array_nbytes(a), 4);
	shmx_array_close(a);
}

Test(array, failed_opens_leave_nothing_open)
{
	char path[128];
	struct shmx_open_opts raw = { .raw = 1, .dtype = SHMX_F64,
				      .shape = { 1, { 3, 0 } } };
	struct shmx_array *a;
	int before = count_open_fds();

	write_whole_file(in_scratch(path, sizeof(path), "x.bin"), "abcdefg", 7);
	cr_expect_neq(shmx_array_open(path, NULL, &a, NULL), 0);
	cr_expect_neq(shmx_array_open(path, &raw, &a, NULL), 0);
	cr_expect_neq(shmx_array_open(scratch_dir, NULL, &a, NULL), 0);
	cr_expect_eq(count_open_fds(), before);
	shmx_array_close(NULL);
}

Test(array, writable_open_changes_the_array_in_place)
{
	char path[128];
	struct shmx_open_opts w = { .writable = 1 };
	struct shmx_error err = { 0 };
	struct shmx_array *a;
	int32_t *v;

	publish_array(in_scratch(path, sizeof(path), "w.npy"), SHMX_I32, "4",
		   SHMX_FILL_RANGE);
	cr_assert_eq(shmx_array_open(path, &w, &a, &err), 0, "%s", err.msg);
	v = shmx_array_data_mut(a);
	cr_assert(v);
	cr_expect_eq((const void *)v, shmx_array_data(a));
	v[2] = -77;
	shmx_array_close(a);
	cr_assert_eq(shmx_array_open(path, NULL, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(((const int32_t *)shmx_array_data(a))[2], -77);
	cr_expect_eq(((const int32_t *)shmx_array_data(a))[3], 3);
	shmx_array_close(a);
}

Test(array, array_read_copies_in_bounds_and_refuses_outside)
{
	char path[128];
	struct shmx_error err = { 0 };
	struct shmx_array *a;
	double got[3] = { 0 };

	in_scratch(path, sizeof(path), "r.npy");
	publish_array(path, SHMX_F64, "4", SHMX_FILL_RANGE);
	cr_assert_eq(shmx_array_open(path, NULL, &a, &err), 0, "%s", err.msg);
	cr_assert_eq(shmx_array_read(a, 8, got, 24, &err), 0, "%s", err.msg);
	cr_expect(got[0] == 1.0 && got[1] == 2.0 && got[2] == 3.0);
	cr_expect_eq(shmx_array_read(a, 8, got, 32, &err), -EINVAL);
	cr_expect(strstr(err.msg, "outside the array") != NULL, "%s", err.msg);
	cr_expect_eq(shmx_array_read(a, UINT64_MAX, got, 2, &err), -EINVAL);
	cr_expect_eq(shmx_array_read(a, 32, got, 0, &err), 0);
	shmx_array_close(a);
}
