/* tests/test_error.c - engine/base/error.c (codes, descriptions, classes, the
 * one-line message), engine/base/version.c and engine/base/alloc.c. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "shmx/shmx.h"
#include "base/internal.h"
#include "support.h"

static const struct {
	int code, input;
	const char *desc;
} codes[] = {
	{ SHMX_EUSAGE, 1, "bad usage" },
	{ SHMX_EBADNPY, 1, "not a valid NPY array" },
	{ SHMX_EDTYPE, 1, "unsupported dtype" },
	{ SHMX_ESHAPE, 1, "bad shape" },
	{ SHMX_ETARGET, 1, "bad target name" },
	{ SHMX_ESIZE, 1, "size does not match dtype and shape" },
	{ SHMX_EOP, 1, "unknown or invalid operation" },
	{ SHMX_EWORKER, 0, "a worker failed" },
	{ SHMX_EINTR, 0, "interrupted by a signal" },
	{ SHMX_ENOTARRAY, 1, "not an NPY array" },
	{ SHMX_EEMPTY, 1, "zero-size reduction with no identity" },
	{ SHMX_ETRUNCATED, 0, "input changed size during the run" },
	{ SHMX_EFAULT, 0, "injected fault" },
	{ SHMX_ECSV, 1, "malformed CSV" },
	{ SHMX_EEXPR, 1, "bad expression" },
	{ SHMX_EINTERRUPTED, 0, "an interrupted --in-place run must be resumed" },
};

Test(error, shmx_codes_keep_their_numbers)
{
	/* codes are never renumbered: users and scripts may store them */
	cr_expect_eq(SHMX_EUSAGE, -1001);
	cr_expect_eq(SHMX_EBADNPY, -1002);
	cr_expect_eq(SHMX_EDTYPE, -1003);
	cr_expect_eq(SHMX_ESHAPE, -1004);
	cr_expect_eq(SHMX_ETARGET, -1005);
	cr_expect_eq(SHMX_ESIZE, -1006);
	cr_expect_eq(SHMX_EOP, -1007);
	cr_expect_eq(SHMX_EWORKER, -1008);
	cr_expect_eq(SHMX_EINTR, -1009);
	cr_expect_eq(SHMX_ENOTARRAY, -1010);
	cr_expect_eq(SHMX_EEMPTY, -1011);
	cr_expect_eq(SHMX_ETRUNCATED, -1012);
	cr_expect_eq(SHMX_EFAULT, -1013);
	cr_expect_eq(SHMX_ECSV, -1014);
	cr_expect_eq(SHMX_EEXPR, -1015);
	cr_expect_eq(SHMX_EINTERRUPTED, -1016);
}

Test(error, every_shmx_code_has_its_description_and_class)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		cr_expect_str_eq(shmx_strerror(codes[i].code), codes[i].desc);
		cr_expect_eq(shmx_error_is_input(codes[i].code), codes[i].input,
			     "class of %d", codes[i].code);
	}
}

Test(error, strerror_describes_errno_values_success_and_unknowns)
{
	cr_expect_str_eq(shmx_strerror(0), "success");
	cr_expect_str_eq(shmx_strerror(-ENOENT), strerror(ENOENT));
	cr_expect_str_eq(shmx_strerror(-ENOSPC), strerror(ENOSPC));
	cr_expect_str_eq(shmx_strerror(42), "unknown error");
}

Test(error, errno_values_naming_something_wrong_are_bad_input)
{
	static const int input[] = { ENOENT, EEXIST, EISDIR, ENOTDIR,
				     ENAMETOOLONG, EINVAL, EACCES, EPERM,
				     ELOOP, EROFS };
	static const int runtime[] = { ENOSPC, EIO, ENOMEM, EMFILE, EDQUOT,
				       EOVERFLOW };

	for (size_t i = 0; i < sizeof(input) / sizeof(input[0]); i++)
		cr_expect_eq(shmx_error_is_input(-input[i]), 1, "%s",
			     strerror(input[i]));
	for (size_t i = 0; i < sizeof(runtime) / sizeof(runtime[0]); i++)
		cr_expect_eq(shmx_error_is_input(-runtime[i]), 0, "%s",
			     strerror(runtime[i]));
}

Test(error, fail_fills_the_struct_and_returns_the_code)
{
	struct shmx_error err = { 0 };

	cr_expect_eq(shmx__fail(&err, -ENOENT, "%s: no such %s", "a.npy",
				"file"),
		     -ENOENT);
	cr_expect_eq(err.code, -ENOENT);
	cr_expect_str_eq(err.msg, "a.npy: no such file");
	cr_expect_eq(shmx__fail(NULL, SHMX_ESIZE, "ignored"), SHMX_ESIZE);
}

Test(error, fail_keeps_the_message_on_one_line)
{
	struct shmx_error err = { 0 };

	shmx__fail(&err, SHMX_ETARGET, "%s: bad", "a\nb\rc");
	cr_expect_str_eq(err.msg, "a?b?c: bad");
}

Test(error, fail_truncates_a_long_message_safely)
{
	struct shmx_error err;
	char big[2000];

	memset(&err, 'x', sizeof(err));
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	shmx__fail(&err, SHMX_ETARGET, "%s", big);
	cr_expect_eq(strlen(err.msg), SHMX_ERROR_MSG_MAX - 1);
}

Test(version, matches_the_header)
{
	char want[32];

	snprintf(want, sizeof(want), "%d.%d.%d", SHMX_VERSION_MAJOR,
		 SHMX_VERSION_MINOR, SHMX_VERSION_PATCH);
	cr_expect_str_eq(shmx_version(), want);
}

Test(alloc, zero_sizes_still_give_memory)
{
	void *a = shmx__malloc(0), *b = shmx__calloc(0, 8),
	     *c = shmx__calloc(8, 0);

	cr_expect(a && b && c);
	shmx__free(a);
	shmx__free(b);
	shmx__free(c);
	shmx__free(NULL);
}

Test(alloc, calloc_zeroes)
{
	unsigned char *p = shmx__calloc(100, 3);

	cr_assert(p);
	for (int i = 0; i < 300; i++)
		cr_expect_eq(p[i], 0);
	shmx__free(p);
}

Test(alloc, aligned_alloc_aligns_any_size)
{
	static const size_t aligns[] = { 64, 512, 4096 };
	static const size_t sizes[] = { 0, 1, 63, 64, 65, 4097, 100000 };

	for (size_t i = 0; i < 3; i++)
		for (size_t j = 0; j < 7; j++) {
			unsigned char *p =
				shmx__aligned_alloc(aligns[i], sizes[j]);

			cr_assert(p);
			cr_expect_eq((uintptr_t)p % aligns[i], 0);
			memset(p, 0xab, sizes[j]); /* ASan checks the size */
			shmx__free(p);
		}
}
