/* tests/test_load_csv.c - shmx_load_csv (engine/exec/load_csv.c) through
 * the public API: the defaults (NULL options, size 0, SHMX_CSV_OPTS_INIT),
 * an older caller's smaller options, stats, column names in the header,
 * the error code and message, and nothing published or left on error. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shmx/shmx.h"
#include "support.h"

static const char *csv_file(const char *name, const char *text)
{
	static char path[128];

	in_scratch(path, sizeof(path), name);
	write_whole_file(path, text, strlen(text));
	return path;
}

/* The data of spec as f64 (n values expected). */
static void expect_f64(const char *spec, const double *want, size_t n,
		       uint64_t rows, uint64_t cols)
{
	struct shmx_array *a;
	struct shmx_error err = { 0 };

	cr_assert_eq(shmx_array_open(spec, NULL, &a, &err), 0, "%s", err.msg);
	cr_assert_eq(shmx_array_dtype(a), SHMX_F64);
	cr_assert_eq(shmx_array_shape(a)->ndim, 2);
	cr_assert_eq(shmx_array_shape(a)->dim[0], rows);
	cr_assert_eq(shmx_array_shape(a)->dim[1], cols);
	cr_assert_eq(memcmp(shmx_array_data(a), want, n * 8), 0);
	shmx_array_close(a);
}

Test(load_csv, defaults_from_null_size_0_and_init, .init = scratch_begin,
     .fini = scratch_end)
{
	const char *path = csv_file("a.csv", "x,y\n1,2.5\n-3,4e1\n");
	const double want[] = { 1, 2.5, -3, 40 };
	struct shmx_csv_opts zero = { 0 }, init = SHMX_CSV_OPTS_INIT, fn;
	struct shmx_error err = { 0 };
	char name[96], spec[128], out[256];

	zero.dtype = SHMX_F64;
	shmx_csv_opts_init(&fn);
	cr_assert(fn.size == init.size && fn.dtype == SHMX_F64 &&
		  fn.retries == init.retries && !fn.delimiter && !fn.workers);
	in_scratch(out, sizeof(out), "o.npy");
	const struct shmx_csv_opts *each[] = { NULL, &zero, &init };
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(shmx_load_csv(path, out, each[i], NULL, &err), 0,
			     "%s", err.msg);
		expect_f64(out, want, 4, 2, 2);
		unlink(out);
	}
	test_shm_name(name, sizeof(name), "csv");
	snprintf(spec, sizeof(spec), "shm://%s", name);
	snprintf(out, sizeof(out), "%s/%s", shmx_shm_dir(), name);
	cr_assert_eq(shmx_load_csv(path, spec, NULL, NULL, &err), 0, "%s", err.msg);
	expect_f64(spec, want, 4, 2, 2);
	cr_assert_eq(unlink(out), 0);
}

Test(load_csv, an_older_callers_options_are_read_by_their_size,
     .init = scratch_begin, .fini = scratch_end)
{
	const char *path = csv_file("a.csv", "1;2\n3;4\n");
	const double want[] = { 1, 2, 3, 4 };
	struct shmx_csv_opts o = SHMX_CSV_OPTS_INIT;
	struct shmx_error err = { 0 };
	char out[160];

	o.delimiter = ';';
	o.comment = '#';
	o.size = offsetof(struct shmx_csv_opts, header); /* no more fields */
	o.header = SHMX_CSV_HEADER_YES; /* past its size: not read */
	in_scratch(out, sizeof(out), "o.npy");
	cr_assert_eq(shmx_load_csv(path, out, &o, NULL, &err), 0, "%s", err.msg);
	expect_f64(out, want, 4, 2, 2);
}

Test(load_csv, stats_and_column_names, .init = scratch_begin,
     .fini = scratch_end)
{
	const char *path = csv_file("a.csv", "a,b,c\n1,2,3\n4,5,6\n7,8,9\n");
	const double want[] = { 3, 1, 6, 4, 9, 7 };
	struct shmx_csv_opts o = SHMX_CSV_OPTS_INIT;
	struct shmx_stats st = { 0 };
	struct shmx_error err = { 0 };
	char out[160], cols[64];
	char *img;
	size_t len;

	o.columns = "c,0";
	o.workers = 2;
	o.chunk_bytes = 5;
	in_scratch(out, sizeof(out), "o.npy");
	cr_assert_eq(shmx_load_csv(path, out, &o, &st, &err), 0, "%s", err.msg);
	expect_f64(out, want, 6, 3, 2);
	cr_assert_str_eq(st.op, "load-csv");
	cr_assert_eq(st.rows, 3);
	cr_assert_eq(st.bytes_in, strlen("a,b,c\n1,2,3\n4,5,6\n7,8,9\n"));
	cr_assert_eq(st.bytes_out, 48);
	cr_assert_eq(st.chunks, 4); /* 18 bytes of data in ranges of 5 */
	cr_assert_eq(st.workers, 2);
	shmx_stats_free(&st);
	img = read_whole_file(out, &len);
	cr_assert_gt(shmx_npy_columns(img, len, cols, sizeof(cols)), 0);
	cr_assert_str_eq(cols, "[\"c\", \"a\"]");
	free(img);
}

Test(load_csv, an_error_publishes_nothing, .init = scratch_begin,
     .fini = scratch_end)
{
	const char *path = csv_file("bad.csv", "1,2\n3,4\n5\n");
	struct shmx_csv_opts o = SHMX_CSV_OPTS_INIT;
	struct shmx_error err = { 0 };
	char out[160], want[256];

	o.workers = 3;
	o.chunk_bytes = 2;
	in_scratch(out, sizeof(out), "o.npy");
	cr_assert_eq(shmx_load_csv(path, out, &o, NULL, &err), SHMX_ECSV);
	snprintf(want, sizeof(want), "%s:3:2: row has 1 field, expected 2", path);
	cr_assert_str_eq(err.msg, want);
	cr_assert_eq(err.code, SHMX_ECSV);
	cr_assert(shmx_error_is_input(SHMX_ECSV));
	expect_dir_holds(scratch_dir, "bad.csv\n");
	o.delimiter = '"';
	cr_assert_eq(shmx_load_csv(path, out, &o, NULL, &err), SHMX_EUSAGE);
	cr_assert_eq(shmx_load_csv("/nonexistent/x.csv", out, NULL, NULL, &err),
		     -ENOENT);
	expect_dir_holds(scratch_dir, "bad.csv\n");
}
