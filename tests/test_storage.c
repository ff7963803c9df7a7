/* tests/test_storage.c - engine/store/array.c (opening inputs: NPY and raw,
 * files and segments, and what is refused) and engine/store/output.c with
 * engine/store/temporary.c (create under a temporary name, mode, publish by
 * rename, discard, signals).  Every test runs between shm_guard_begin and
 * shm_guard_end and works in its own scratch directory. */
#include <criterion/criterion.h>
#include <limits.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shmx/shmx.h"
#include "store/temporary.h"
#include "support.h"

static char dir[64];

static void setup(void)
{
	unsetenv("SHMX_SHM_DIR");
	shm_guard_begin();
	make_tmpdir(dir, sizeof(dir));
}

static void teardown(void)
{
	rm_rf(dir);
	shm_guard_end();
}

TestSuite(storage, .init = setup, .fini = teardown, .timeout = 20);

/* dir/name into buf. */
static const char *in_dir(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

/* Create and publish spec holding dtype x shape with `fill` (seed 1). */
static void make_array(const char *spec, enum shmx_dtype t, const char *shape,
		       enum shmx_fill fill)
{
	struct shmx_error err = { 0 };
	struct shmx_output *o;
	struct shmx_shape s;
	uint64_t n;

	cr_assert_eq(shmx_shape_parse(shape, &s, &err), 0);
	cr_assert_eq(shmx_output_create(spec, t, &s, NULL, &o, &err), 0,
		     "%s", err.msg);
	shmx_shape_count(&s, &n);
	shmx_fill(shmx_output_data(o), t, 0, n, fill, 1);
	cr_assert_eq(shmx_output_publish(o, &err), 0, "%s", err.msg);
}

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

/* Open file descriptors of this process. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	cr_assert(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3; /* ".", ".." and the DIR's own */
}

/* Names in d that are temporaries of this process. */
static int count_temporaries(const char *d)
{
	DIR *dd = opendir(d);
	struct dirent *de;
	char prefix[32];
	int n = 0;

	cr_assert(dd);
	snprintf(prefix, sizeof(prefix), ".shmx-%ld-", (long)getpid());
	while ((de = readdir(dd)))
		n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	closedir(dd);
	return n;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0, "%s", path);
	return st.st_mode & 07777;
}

/* --- opening inputs ---------------------------------------------------- */

Test(storage, opens_an_npy_file_read_only)
{
	char path[128];
	struct shmx_error err = { 0 };
	struct shmx_array *a;
	const double *v;

	make_array(in_dir(path, sizeof(path), "a.npy"), SHMX_F64, "3x5",
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

Test(storage, opens_an_npy_segment)
{
	char name[64], spec[80];
	struct shmx_error err = { 0 };
	struct shmx_array *a;
	const int16_t *v;

	test_shm_name(name, sizeof(name), "open");
	snprintf(spec, sizeof(spec), "shm://%s", name);
	make_array(spec, SHMX_I16, "7", SHMX_FILL_RANGE);
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

Test(storage, opens_an_npy_file_with_its_data_at_128)
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
	write_whole_file(in_dir(path, sizeof(path), "n.npy"), img, sizeof(img));
	cr_assert_eq(shmx_array_open(path, NULL, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(shmx_array_data_offset(a), 128);
	cr_expect_eq(memcmp(shmx_array_data(a), vals, sizeof(vals)), 0);
	shmx_array_close(a);
}

Test(storage, opens_a_raw_file_with_dtype_and_shape)
{
	double vals[10];
	char path[128];
	struct shmx_open_opts o = { .raw = 1, .dtype = SHMX_F64 };
	struct shmx_error err = { 0 };
	struct shmx_array *a;

	for (int i = 0; i < 10; i++)
		vals[i] = i * 1.5;
	write_whole_file(in_dir(path, sizeof(path), "r.bin"), vals,
			 sizeof(vals));
	cr_assert_eq(shmx_shape_parse("2x5", &o.shape, &err), 0);
	cr_assert_eq(shmx_array_open(path, &o, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(shmx_array_data_offset(a), 0);
	cr_expect_eq(shmx_array_nbytes(a), sizeof(vals));
	cr_expect_eq(shmx_array_shape(a)->dim[1], 5);
	cr_expect_eq(memcmp(shmx_array_data(a), vals, sizeof(vals)), 0);
	shmx_array_close(a);
}

Test(storage, opens_a_raw_file_past_an_offset)
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
	write_whole_file(in_dir(path, sizeof(path), "off.bin"), buf,
			 sizeof(buf));
	cr_assert_eq(shmx_array_open(path, &o, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(shmx_array_data_offset(a), 16);
	cr_expect_eq(memcmp(shmx_array_data(a), vals, sizeof(vals)), 0);
	shmx_array_close(a);
}

Test(storage, opens_an_empty_raw_file_as_an_empty_array)
{
	char path[128];
	struct shmx_open_opts o = { .raw = 1, .dtype = SHMX_F64,
				    .shape = { 1, { 0, 0 } } };
	struct shmx_error err = { 0 };
	struct shmx_array *a;

	write_whole_file(in_dir(path, sizeof(path), "empty.bin"), "", 0);
	cr_assert_eq(shmx_array_open(path, &o, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(shmx_array_nbytes(a), 0);
	shmx_array_close(a);
}

Test(storage, refuses_raw_data_that_is_not_whole_rows)
{
	struct shmx_open_opts o = { .raw = 1, .dtype = SHMX_F64,
				    .shape = { 2, { 100000, 10 } } };
	int fd;

	cr_assert_eq(chdir(dir), 0);
	fd = open("data.bin", O_CREAT | O_WRONLY, 0644);
	cr_assert(fd >= 0);
	cr_assert_eq(ftruncate(fd, 8000001), 0); /* sparse: fast */
	close(fd);
	expect_open_fails("data.bin", &o, SHMX_ESIZE,
			  "data.bin: 8000001 bytes is not a whole number of "
			  "f64 rows of 10");
}

Test(storage, refuses_raw_data_of_the_wrong_number_of_rows)
{
	struct shmx_open_opts o = { .raw = 1, .dtype = SHMX_F64,
				    .shape = { 2, { 100000, 10 } } };
	int fd;

	cr_assert_eq(chdir(dir), 0);
	fd = open("data.bin", O_CREAT | O_WRONLY, 0644);
	cr_assert(fd >= 0);
	cr_assert_eq(ftruncate(fd, 8000080), 0);
	expect_open_fails("data.bin", &o, SHMX_ESIZE,
			  "data.bin: 8000080 bytes, but f64 x 1000000 "
			  "elements need 8000000");
	cr_assert_eq(ftruncate(fd, 7999920), 0);
	expect_open_fails("data.bin", &o, SHMX_ESIZE,
			  "data.bin: 7999920 bytes, but f64 x 1000000 "
			  "elements need 8000000");
	close(fd);
}

Test(storage, refuses_a_raw_shape_that_overflows)
{
	struct shmx_open_opts o = { .raw = 1, .dtype = SHMX_F64,
				    .shape = { 1, { UINT64_C(1) << 62, 0 } } };

	cr_assert_eq(chdir(dir), 0);
	write_whole_file("data.bin", "12345678", 8);
	expect_open_fails("data.bin", &o, SHMX_ESHAPE,
			  "data.bin: shape overflows");
}

Test(storage, refuses_a_missing_file_or_segment)
{
	char path[128], spec[80], name[64];

	in_dir(path, sizeof(path), "nope.npy");
	char msg[192];

	snprintf(msg, sizeof(msg), "%s: no such file", path);
	expect_open_fails(path, NULL, -ENOENT, msg);
	test_shm_name(name, sizeof(name), "missing");
	snprintf(spec, sizeof(spec), "shm://%s", name);
	snprintf(msg, sizeof(msg), "%s: no such segment", spec);
	expect_open_fails(spec, NULL, -ENOENT, msg);
}

Test(storage, refuses_a_bad_target)
{
	expect_open_fails("shm://a/b", NULL, SHMX_ETARGET,
			  "shm://a/b: bad shm name (1-200 of A-Za-z0-9._-, "
			  "not starting with '.')");
}

Test(storage, refuses_a_directory)
{
	char msg[192];
	struct shmx_open_opts w = { .writable = 1 };

	snprintf(msg, sizeof(msg), "%s: not a regular file", dir);
	expect_open_fails(dir, NULL, SHMX_ENOTARRAY, msg);
	snprintf(msg, sizeof(msg), "%s: Is a directory", dir);
	expect_open_fails(dir, &w, -EISDIR, msg);
}

Test(storage, refuses_a_fifo_without_hanging, .timeout = 5)
{
	char path[128], msg[192];
	struct shmx_open_opts w = { .writable = 1 };
	struct shmx_open_opts raw = { .raw = 1, .dtype = SHMX_U8,
				      .shape = { 1, { 0, 0 } } };

	cr_assert_eq(mkfifo(in_dir(path, sizeof(path), "fifo"), 0600), 0);
	snprintf(msg, sizeof(msg), "%s: not a regular file", path);
	expect_open_fails(path, NULL, SHMX_ENOTARRAY, msg);
	expect_open_fails(path, &w, SHMX_ENOTARRAY, msg);
	expect_open_fails(path, &raw, SHMX_ENOTARRAY, msg);
}

Test(storage, refuses_a_symlink_in_the_shm_directory)
{
	char real[64], link[64], spec[80], target[128], lpath[128], msg[256];
	struct shmx_open_opts w = { .writable = 1 };

	test_shm_name(real, sizeof(real), "real");
	test_shm_name(link, sizeof(link), "link");
	snprintf(spec, sizeof(spec), "shm://%s", real);
	make_array(spec, SHMX_U8, "4", SHMX_FILL_RANGE);
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

Test(storage, follows_a_symlink_to_a_file)
{
	char path[128], link[128];
	struct shmx_error err = { 0 };
	struct shmx_array *a;

	make_array(in_dir(path, sizeof(path), "real.npy"), SHMX_U8, "4",
		   SHMX_FILL_RANGE);
	cr_assert_eq(symlink(path, in_dir(link, sizeof(link), "link.npy")), 0);
	cr_assert_eq(shmx_array_open(link, NULL, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(shmx_array_nbytes(a), 4);
	shmx_array_close(a);
}

Test(storage, refuses_a_file_that_is_not_npy)
{
	char path[128], msg[256];

	write_whole_file(in_dir(path, sizeof(path), "text.txt"),
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

Test(storage, refuses_npy_data_shorter_or_longer_than_its_header)
{
	char path[128], msg[256];
	unsigned char *img;
	size_t len;

	make_array(in_dir(path, sizeof(path), "t.npy"), SHMX_F64, "3",
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

Test(storage, failed_opens_leave_nothing_open)
{
	char path[128];
	struct shmx_open_opts raw = { .raw = 1, .dtype = SHMX_F64,
				      .shape = { 1, { 3, 0 } } };
	struct shmx_array *a;
	int before = count_fds();

	write_whole_file(in_dir(path, sizeof(path), "x.bin"), "abcdefg", 7);
	cr_expect_neq(shmx_array_open(path, NULL, &a, NULL), 0);
	cr_expect_neq(shmx_array_open(path, &raw, &a, NULL), 0);
	cr_expect_neq(shmx_array_open(dir, NULL, &a, NULL), 0);
	cr_expect_eq(count_fds(), before);
	shmx_array_close(NULL);
}

Test(storage, writable_open_changes_the_array_in_place)
{
	char path[128];
	struct shmx_open_opts w = { .writable = 1 };
	struct shmx_error err = { 0 };
	struct shmx_array *a;
	int32_t *v;

	make_array(in_dir(path, sizeof(path), "w.npy"), SHMX_I32, "4",
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

/* --- creating outputs -------------------------------------------------- */

Test(storage, create_writes_a_temporary_that_publish_renames)
{
	char path[128], tmpname[256] = "";
	struct shmx_shape s = { 2, { 2, 3 } };
	struct shmx_error err = { 0 };
	struct shmx_output *o;
	struct shmx_npy_header h;
	char prefix[32];
	DIR *d;
	struct dirent *de;

	in_dir(path, sizeof(path), "out.npy");
	cr_assert_eq(shmx_output_create(path, SHMX_I64, &s, NULL, &o, &err), 0,
		     "%s", err.msg);
	cr_expect(!path_exists(path), "visible before publish");
	cr_expect_eq(shmx_output_nbytes(o), 48);
	cr_expect_str_eq(shmx_output_target(o)->path, path);
	for (int i = 0; i < 6; i++)
		cr_expect_eq(((int64_t *)shmx_output_data(o))[i], 0);
	/* the temporary: .shmx-<pid>-<seq>-out.npy, next to the target */
	snprintf(prefix, sizeof(prefix), ".shmx-%ld-", (long)getpid());
	d = opendir(dir);
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, prefix, strlen(prefix)))
			snprintf(tmpname, sizeof(tmpname), "%s", de->d_name);
	closedir(d);
	cr_expect_eq(strlen(tmpname) > 8 &&
			     !strcmp(tmpname + strlen(tmpname) - 8, "-out.npy"),
		     1, "temporary '%s'", tmpname);
	((int64_t *)shmx_output_data(o))[5] = 55;
	cr_assert_eq(shmx_output_publish(o, &err), 0, "%s", err.msg);
	cr_expect_eq(count_temporaries(dir), 0);
	{
		size_t len;
		char *img = read_whole_file(path, &len);

		cr_assert_eq(len, SHMX_NPY_DATA_OFFSET + 48);
		cr_assert_eq(shmx_npy_parse(img, len, path, &h, &err), 0);
		cr_expect_eq(h.dtype, SHMX_I64);
		cr_expect(h.shape.ndim == 2 && h.shape.dim[0] == 2 &&
			  h.shape.dim[1] == 3);
		cr_expect_eq(((int64_t *)(img + SHMX_NPY_DATA_OFFSET))[5], 55);
		free(img);
	}
}

Test(storage, create_of_a_scalar_and_of_an_empty_array)
{
	char path[128];
	struct shmx_shape s0 = { 0 }, e = { 2, { 0, 4 } };
	struct shmx_error err = { 0 };
	struct shmx_output *o;
	struct shmx_array *a;

	in_dir(path, sizeof(path), "s.npy");
	cr_assert_eq(shmx_output_create(path, SHMX_F32, &s0, NULL, &o, &err), 0);
	cr_expect_eq(shmx_output_nbytes(o), 4);
	*(float *)shmx_output_data(o) = 2.5f;
	cr_assert_eq(shmx_output_publish(o, &err), 0, "%s", err.msg);
	cr_assert_eq(shmx_array_open(path, NULL, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(shmx_array_shape(a)->ndim, 0);
	cr_expect_eq(*(const float *)shmx_array_data(a), 2.5f);
	shmx_array_close(a);
	in_dir(path, sizeof(path), "e.npy");
	cr_assert_eq(shmx_output_create(path, SHMX_F32, &e, NULL, &o, &err), 0);
	cr_expect_eq(shmx_output_nbytes(o), 0);
	cr_assert_eq(shmx_output_publish(o, &err), 0, "%s", err.msg);
	cr_assert_eq(shmx_array_open(path, NULL, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(shmx_array_nbytes(a), 0);
	shmx_array_close(a);
}

static void expect_created_mode(mode_t umask_value, mode_t mode, mode_t want)
{
	char path[128], name[32];
	struct shmx_shape s = { 1, { 4, 0 } };
	struct shmx_create_opts opts = { .mode = mode };
	struct shmx_error err = { 0 };
	struct shmx_output *o;
	DIR *d;
	struct dirent *de;

	snprintf(name, sizeof(name), "m%o-%o.npy", (unsigned)umask_value,
		 (unsigned)mode);
	in_dir(path, sizeof(path), name);
	umask(umask_value);
	cr_assert_eq(shmx_output_create(path, SHMX_U8, &s, &opts, &o, &err), 0,
		     "%s", err.msg);
	/* the temporary already has it: no window with a wider mode */
	d = opendir(dir);
	while ((de = readdir(d))) {
		char tp[512];

		if (strncmp(de->d_name, ".shmx-", 6))
			continue;
		snprintf(tp, sizeof(tp), "%s/%s", dir, de->d_name);
		cr_expect_eq(mode_of(tp), want, "temporary mode %o, umask %o",
			     (unsigned)mode_of(tp), (unsigned)umask_value);
	}
	closedir(d);
	cr_assert_eq(shmx_output_publish(o, &err), 0, "%s", err.msg);
	cr_expect_eq(mode_of(path), want, "mode %o (want %o) with umask %03o",
		     (unsigned)mode_of(path), (unsigned)want,
		     (unsigned)umask_value);
}

Test(storage, mode_is_0600_whatever_the_umask)
{
	expect_created_mode(0, 0, 0600);
	expect_created_mode(077, 0, 0600);
	expect_created_mode(0777, 0, 0600);
	expect_created_mode(022, 0, 0600);
}

Test(storage, a_given_mode_is_honoured_whatever_the_umask)
{
	expect_created_mode(077, 0640, 0640);
	expect_created_mode(0, 0640, 0640);
	expect_created_mode(0, 0444, 0444);
	expect_created_mode(0222, 0666, 0666);
}

Test(storage, segments_are_0600_too)
{
	char name[64], spec[80], path[128];

	test_shm_name(name, sizeof(name), "mode");
	snprintf(spec, sizeof(spec), "shm://%s", name);
	snprintf(path, sizeof(path), "/dev/shm/%s", name);
	umask(0);
	make_array(spec, SHMX_U8, "3", SHMX_FILL_ZEROS);
	cr_expect_eq(mode_of(path), 0600);
	unlink(path);
}

Test(storage, refuses_an_existing_target_and_leaves_nothing)
{
	char path[128], msg[256], *before, *after, *content;
	struct shmx_shape s = { 1, { 3, 0 } };
	struct shmx_error err = { 0 };
	struct shmx_output *o = (struct shmx_output *)&o;
	size_t len;

	in_dir(path, sizeof(path), "exists.npy");
	write_whole_file(path, "precious", 8);
	before = dir_snapshot(dir);
	cr_expect_eq(shmx_output_create(path, SHMX_F64, &s, NULL, &o, &err),
		     -EEXIST);
	cr_expect_eq(err.code, -EEXIST);
	snprintf(msg, sizeof(msg),
		 "%s: already exists (use --force to replace it)", path);
	cr_expect_str_eq(err.msg, msg);
	cr_expect_eq((void *)o, (void *)&o, "*out written on failure");
	after = dir_snapshot(dir);
	cr_expect_str_eq(after, before);
	content = read_whole_file(path, &len);
	cr_expect(len == 8 && !memcmp(content, "precious", 8));
	free(before);
	free(after);
	free(content);
}

Test(storage, refuses_an_existing_segment_too)
{
	char name[64], spec[80], msg[256];
	struct shmx_shape s = { 1, { 3, 0 } };
	struct shmx_error err = { 0 };
	struct shmx_output *o;

	test_shm_name(name, sizeof(name), "exists");
	snprintf(spec, sizeof(spec), "shm://%s", name);
	make_array(spec, SHMX_U8, "3", SHMX_FILL_RANGE);
	cr_expect_eq(shmx_output_create(spec, SHMX_F64, &s, NULL, &o, &err),
		     -EEXIST);
	snprintf(msg, sizeof(msg),
		 "%s: already exists (use --force to replace it)", spec);
	cr_expect_str_eq(err.msg, msg);
	shm_unlink(name);
}

Test(storage, a_dangling_symlink_counts_as_existing)
{
	char path[128], gone[128];
	struct shmx_shape s = { 1, { 3, 0 } };
	struct shmx_create_opts force = { .force = 1 };
	struct shmx_error err = { 0 };
	struct shmx_output *o;
	struct stat st;

	in_dir(path, sizeof(path), "dangling.npy");
	in_dir(gone, sizeof(gone), "gone.npy");
	cr_assert_eq(symlink(gone, path), 0);
	cr_expect_eq(shmx_output_create(path, SHMX_U8, &s, NULL, &o, &err),
		     -EEXIST);
	/* --force replaces the link itself and never writes through it */
	cr_assert_eq(shmx_output_create(path, SHMX_U8, &s, &force, &o, &err),
		     0, "%s", err.msg);
	cr_assert_eq(shmx_output_publish(o, &err), 0, "%s", err.msg);
	cr_expect_eq(lstat(path, &st), 0);
	cr_expect(S_ISREG(st.st_mode), "still a symlink");
	cr_expect(!path_exists(gone), "written through the symlink");
}

Test(storage, create_never_writes_through_a_symlink_planted_at_the_temporary)
{
	/* A temporary's name is predictable (pid and a counter), and the
	 * shm directory is shared: O_EXCL|O_NOFOLLOW must refuse a link
	 * planted there instead of writing through it. */
	struct shmx_shape s = { 1, { 3, 0 } };
	struct shmx_target t;
	struct shmx_error err = { 0 };
	struct shmx_output *o;
	char path[128], victim[128], probe[PATH_MAX], next[PATH_MAX + 32];
	char msg[256], *content;
	const char *base;
	long pid;
	unsigned seq;
	size_t len;

	in_dir(path, sizeof(path), "out.npy");
	write_whole_file(in_dir(victim, sizeof(victim), "victim"), "keep", 4);
	cr_assert_eq(shmx_target_parse(path, &t, NULL), 0);
	cr_assert_eq(shmx__temp_path(&t, probe, sizeof(probe)), 0);
	base = strrchr(probe, '/') + 1;
	cr_assert_eq(sscanf(base, ".shmx-%ld-%u-", &pid, &seq), 2, "%s", base);
	snprintf(next, sizeof(next), "%s/.shmx-%ld-%u-out.npy", dir, pid,
		 seq + 1);
	cr_assert_eq(symlink(victim, next), 0);
	cr_expect_eq(shmx_output_create(path, SHMX_F64, &s, NULL, &o, &err),
		     -EEXIST);
	snprintf(msg, sizeof(msg), "%s: cannot create: %s", path,
		 strerror(EEXIST));
	cr_expect_str_eq(err.msg, msg);
	content = read_whole_file(victim, &len);
	cr_expect(len == 4 && !memcmp(content, "keep", 4), "written through");
	free(content);
	cr_expect(path_exists(next), "removed a file that was not ours");
	cr_expect(!path_exists(path));
}

Test(storage, force_replaces_the_target_atomically)
{
	char path[128];
	struct shmx_shape s = { 1, { 2, 0 } };
	struct shmx_create_opts force = { .force = 1 };
	struct shmx_error err = { 0 };
	struct shmx_output *o;
	struct shmx_array *old, *now;
	struct stat st_old, st_new;

	in_dir(path, sizeof(path), "f.npy");
	make_array(path, SHMX_F64, "3", SHMX_FILL_RANGE);
	cr_assert_eq(stat(path, &st_old), 0);
	cr_assert_eq(shmx_array_open(path, NULL, &old, &err), 0, "%s", err.msg);
	cr_assert_eq(shmx_output_create(path, SHMX_I32, &s, &force, &o, &err),
		     0, "%s", err.msg);
	((int32_t *)shmx_output_data(o))[1] = 99;
	/* until publish, readers see the old array */
	cr_assert_eq(shmx_array_open(path, NULL, &now, &err), 0);
	cr_expect_eq(shmx_array_dtype(now), SHMX_F64);
	shmx_array_close(now);
	cr_assert_eq(shmx_output_publish(o, &err), 0, "%s", err.msg);
	cr_assert_eq(stat(path, &st_new), 0);
	cr_expect_neq(st_new.st_ino, st_old.st_ino, "rewritten in place");
	cr_assert_eq(shmx_array_open(path, NULL, &now, &err), 0, "%s", err.msg);
	cr_expect_eq(shmx_array_dtype(now), SHMX_I32);
	cr_expect_eq(((const int32_t *)shmx_array_data(now))[1], 99);
	/* a reader that had the old one keeps it whole */
	cr_expect_eq(shmx_array_dtype(old), SHMX_F64);
	cr_expect_eq(((const double *)shmx_array_data(old))[2], 2.0);
	shmx_array_close(now);
	shmx_array_close(old);
	cr_expect_eq(count_temporaries(dir), 0);
}

/* An array another user made at the target's name is never replaced, not
 * even with --force and not even by root (who could rename over it in a
 * sticky /dev/shm): the message says whose it is, and it keeps its bytes,
 * inode and owner. */
static void expect_not_replaced(const char *spec, const char *path)
{
	struct shmx_shape s = { 1, { 2, 0 } };
	struct shmx_create_opts force = { .force = 1 };
	struct shmx_error err = { 0 };
	struct shmx_output *o = NULL;
	struct stat before, after;
	char want[512];

	make_array(spec, SHMX_F64, "3", SHMX_FILL_RANGE);
	if (chown(path, 65534, 65534) != 0) {
		unlink(path);
		cr_skip_test("cannot give a file to uid 65534 here (not root)");
	}
	cr_assert_eq(stat(path, &before), 0);
	snprintf(want, sizeof(want), "%s: already exists and belongs to another "
		 "user (uid 65534): not replaced", spec);
	for (int f = 0; f < 2; f++) {
		cr_expect_eq(shmx_output_create(spec, SHMX_I32, &s, f ? &force : NULL,
						&o, &err), -EEXIST);
		cr_expect_str_eq(err.msg, want);
		cr_expect_null(o);
	}
	cr_assert_eq(stat(path, &after), 0);
	cr_expect_eq(after.st_ino, before.st_ino);
	cr_expect_eq(after.st_uid, 65534u);
	cr_expect_eq(after.st_mtime, before.st_mtime);
	cr_expect_eq(count_temporaries(dir), 0);
	unlink(path);
}

Test(storage, force_never_replaces_another_users_file)
{
	char path[128];

	in_dir(path, sizeof(path), "theirs.npy");
	expect_not_replaced(path, path);
}

Test(storage, force_never_replaces_another_users_segment)
{
	char name[64], spec[80], path[128];

	test_shm_name(name, sizeof(name), "theirs");
	snprintf(spec, sizeof(spec), "shm://%s", name);
	snprintf(path, sizeof(path), "/dev/shm/%s", name);
	expect_not_replaced(spec, path);
}

Test(storage, discard_leaves_nothing)
{
	char path[128], *before, *after;
	struct shmx_shape s = { 1, { 1000, 0 } };
	struct shmx_error err = { 0 };
	struct shmx_output *o;

	before = dir_snapshot(dir);
	in_dir(path, sizeof(path), "d.npy");
	cr_assert_eq(shmx_output_create(path, SHMX_F64, &s, NULL, &o, &err), 0);
	cr_expect_eq(count_temporaries(dir), 1);
	shmx_output_discard(o);
	after = dir_snapshot(dir);
	cr_expect_str_eq(after, before);
	shmx_output_discard(NULL);
	free(before);
	free(after);
}

Test(storage, discard_of_a_segment_leaves_nothing_in_dev_shm)
{
	char name[64], spec[80];
	struct shmx_shape s = { 2, { 10, 10 } };
	struct shmx_output *o;

	test_shm_name(name, sizeof(name), "discard");
	snprintf(spec, sizeof(spec), "shm://%s", name);
	cr_assert_eq(shmx_output_create(spec, SHMX_F64, &s, NULL, &o, NULL), 0);
	cr_expect_eq(count_temporaries("/dev/shm"), 1);
	shmx_output_discard(o);
	/* the guard checks that /dev/shm is as it was */
}

Test(storage, publish_refuses_a_target_created_meanwhile)
{
	char path[128], msg[256], *content;
	struct shmx_shape s = { 1, { 3, 0 } };
	struct shmx_error err = { 0 };
	struct shmx_output *o;
	size_t len;

	in_dir(path, sizeof(path), "race.npy");
	cr_assert_eq(shmx_output_create(path, SHMX_F64, &s, NULL, &o, &err), 0);
	write_whole_file(path, "theirs", 6); /* another process won */
	cr_expect_eq(shmx_output_publish(o, &err), -EEXIST);
	cr_expect_eq(err.code, -EEXIST);
	snprintf(msg, sizeof(msg),
		 "%s: already exists (use --force to replace it)", path);
	cr_expect_str_eq(err.msg, msg);
	cr_expect_eq(count_temporaries(dir), 0, "temporary left behind");
	content = read_whole_file(path, &len);
	cr_expect(len == 6 && !memcmp(content, "theirs", 6), "target damaged");
	free(content);
}

Test(storage, publish_with_force_replaces_a_target_created_meanwhile)
{
	char path[128];
	struct shmx_shape s = { 1, { 3, 0 } };
	struct shmx_create_opts force = { .force = 1 };
	struct shmx_error err = { 0 };
	struct shmx_output *o;
	struct shmx_array *a;

	in_dir(path, sizeof(path), "race.npy");
	cr_assert_eq(shmx_output_create(path, SHMX_F64, &s, &force, &o, &err),
		     0);
	write_whole_file(path, "theirs", 6);
	cr_expect_eq(shmx_output_publish(o, &err), 0, "%s", err.msg);
	cr_assert_eq(shmx_array_open(path, NULL, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(shmx_array_nbytes(a), 24);
	shmx_array_close(a);
	cr_expect_eq(count_temporaries(dir), 0);
}

Test(storage, create_in_a_missing_directory_fails_cleanly)
{
	char path[128], msg[256];
	struct shmx_shape s = { 1, { 3, 0 } };
	struct shmx_error err = { 0 };
	struct shmx_output *o;

	in_dir(path, sizeof(path), "nodir/x.npy");
	cr_expect_eq(shmx_output_create(path, SHMX_F64, &s, NULL, &o, &err),
		     -ENOENT);
	snprintf(msg, sizeof(msg), "%s: cannot create: %s", path,
		 strerror(ENOENT));
	cr_expect_str_eq(err.msg, msg);
	expect_dir_holds(dir, "");
}

Test(storage, create_refuses_a_shape_that_overflows)
{
	char name[64], spec[80], msg[128];
	struct shmx_shape s = { 2, { UINT64_C(1) << 31, UINT64_C(1) << 31 } };
	struct shmx_error err = { 0 };
	struct shmx_output *o;

	test_shm_name(name, sizeof(name), "huge");
	snprintf(spec, sizeof(spec), "shm://%s", name);
	cr_expect_eq(shmx_output_create(spec, SHMX_F64, &s, NULL, &o, &err),
		     SHMX_ESHAPE);
	snprintf(msg, sizeof(msg), "%s: shape overflows", spec);
	cr_expect_str_eq(err.msg, msg);
}

Test(storage, create_refuses_a_bad_target)
{
	struct shmx_shape s = { 1, { 3, 0 } };
	struct shmx_error err = { 0 };
	struct shmx_output *o;

	cr_expect_eq(shmx_output_create("shm://../x", SHMX_F64, &s, NULL, &o,
					&err),
		     SHMX_ETARGET);
	cr_expect_str_eq(err.msg, "shm://../x: bad shm name (1-200 of "
				  "A-Za-z0-9._-, not starting with '.')");
}

Test(storage, at_most_sixteen_outputs_are_live_at_once)
{
	struct shmx_output *o[17];
	struct shmx_shape s = { 1, { 1, 0 } };
	struct shmx_error err = { 0 };
	char path[128], name[16];

	for (int i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "o%d.npy", i);
		cr_assert_eq(shmx_output_create(in_dir(path, sizeof(path), name),
						SHMX_U8, &s, NULL, &o[i], &err),
			     0, "%d: %s", i, err.msg);
	}
	cr_expect_eq(shmx_output_create(in_dir(path, sizeof(path), "o16.npy"),
					SHMX_U8, &s, NULL, &o[16], &err),
		     -EMFILE);
	cr_expect_str_eq(err.msg, "too many outputs at once");
	cr_expect_eq(count_temporaries(dir), 16);
	shmx_output_discard(o[3]); /* a slot frees up */
	cr_expect_eq(shmx_output_create(path, SHMX_U8, &s, NULL, &o[3], &err),
		     0, "%s", err.msg);
	for (int i = 0; i < 16; i++)
		shmx_output_discard(o[i]);
	expect_dir_holds(dir, "");
}

Test(storage, a_full_tmpfs_is_a_clean_enospc)
{
	char msg[256], *left;
	struct shmx_shape big = { 1, { 256 * 1024, 0 } }, small = { 1, { 1000, 0 } };
	struct shmx_error err = { 0 };
	struct shmx_output *o;
	struct shmx_array *a;

	if (mount_private_tmpfs(dir, "1m") < 0)
		cr_skip_test("needs root and a private mount namespace");
	setenv("SHMX_SHM_DIR", dir, 1);
	/* 2 MiB of f64 into 1 MiB: posix_fallocate fails now, not a SIGBUS
	 * later */
	cr_expect_eq(shmx_output_create("shm://big", SHMX_F64, &big, NULL, &o,
					&err),
		     -ENOSPC);
	cr_expect_eq(err.code, -ENOSPC);
	snprintf(msg, sizeof(msg), "shm://big: no space left in %s for %llu "
				   "bytes",
		 dir, (unsigned long long)(4096 + 8 * 256 * 1024));
	cr_expect_str_eq(err.msg, msg);
	cr_expect_eq(shmx_error_is_input(err.code), 0, "a runtime failure");
	left = dir_snapshot(dir);
	cr_expect_str_eq(left, "", "left behind: %s", left);
	free(left);
	/* and what fits still works */
	cr_assert_eq(shmx_output_create("shm://small", SHMX_F64, &small, NULL,
					&o, &err),
		     0, "%s", err.msg);
	cr_assert_eq(shmx_output_publish(o, &err), 0, "%s", err.msg);
	cr_assert_eq(shmx_array_open("shm://small", NULL, &a, &err), 0);
	shmx_array_close(a);
	unsetenv("SHMX_SHM_DIR");
	cr_assert_eq(umount2(dir, MNT_DETACH), 0);
}

/* --- signals ----------------------------------------------------------- */

/* In a child: create an output in dir, then die of sig. */
static void die_with_a_temporary(const char *path, int sig, int install)
{
	struct shmx_shape s = { 1, { 100, 0 } };
	struct shmx_output *o;

	prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a timed-out test */
	if (install)
		shmx_signals_install();
	if (shmx_output_create(path, SHMX_F64, &s, NULL, &o, NULL))
		_exit(3);
	raise(sig);
	_exit(4);
}

Test(storage, a_fatal_signal_removes_live_temporaries)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	char path[128];

	in_dir(path, sizeof(path), "sig.npy");
	for (size_t i = 0; i < 3; i++) {
		pid_t pid = fork();
		int st;

		cr_assert(pid >= 0);
		if (pid == 0)
			die_with_a_temporary(path, sigs[i], 1);
		cr_assert_eq(waitpid(pid, &st, 0), pid);
		cr_expect(WIFSIGNALED(st) && WTERMSIG(st) == sigs[i],
			  "status %#x for signal %d", st, sigs[i]);
		expect_dir_holds(dir, "");
	}
	shmx_signals_install(); /* idempotent */
	shmx_signals_install();
}

Test(storage, without_the_handlers_a_signal_leaves_the_temporary)
{
	/* the control for the test above: it can fail */
	char path[128], *left;
	pid_t pid;
	int st;

	in_dir(path, sizeof(path), "nosig.npy");
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		die_with_a_temporary(path, SIGTERM, 0);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_expect(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	left = dir_snapshot(dir);
	cr_expect_str_neq(left, "", "nothing was created");
	free(left);
}

Test(storage, a_forked_child_does_not_remove_its_parents_temporaries)
{
	char path[128];
	struct shmx_shape s = { 1, { 10, 0 } };
	struct shmx_output *o;
	pid_t pid;
	int st;

	in_dir(path, sizeof(path), "parent.npy");
	shmx_signals_install();
	cr_assert_eq(shmx_output_create(path, SHMX_F64, &s, NULL, &o, NULL), 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		raise(SIGTERM);
		_exit(4);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_expect(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	cr_expect_eq(count_temporaries(dir), 1, "the child removed it");
	cr_expect_eq(shmx_output_publish(o, NULL), 0);
	cr_expect(path_exists(path));
	signal(SIGTERM, SIG_DFL);
}

Test(storage, array_read_copies_in_bounds_and_refuses_outside)
{
	char path[128];
	struct shmx_error err = { 0 };
	struct shmx_array *a;
	double got[3] = { 0 };

	in_dir(path, sizeof(path), "r.npy");
	make_array(path, SHMX_F64, "4", SHMX_FILL_RANGE);
	cr_assert_eq(shmx_array_open(path, NULL, &a, &err), 0, "%s", err.msg);
	cr_assert_eq(shmx_array_read(a, 8, got, 24, &err), 0, "%s", err.msg);
	cr_expect(got[0] == 1.0 && got[1] == 2.0 && got[2] == 3.0);
	cr_expect_eq(shmx_array_read(a, 8, got, 32, &err), -EINVAL);
	cr_expect(strstr(err.msg, "outside the array") != NULL, "%s", err.msg);
	cr_expect_eq(shmx_array_read(a, UINT64_MAX, got, 2, &err), -EINVAL);
	cr_expect_eq(shmx_array_read(a, 32, got, 0, &err), 0);
	shmx_array_close(a);
}
