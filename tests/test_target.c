/* tests/test_target.c - engine/store/target.c: shm://NAME, file://PATH and plain
 * paths, the name rules, and $SHMX_SHM_DIR. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shmx/target.h"
#include "support.h"

#define SHM_RULES "bad shm name (1-200 of A-Za-z0-9._-, not starting with '.')"

static void clear_env(void)
{
	unsetenv("SHMX_SHM_DIR");
}

TestSuite(target, .init = clear_env);

static struct shmx_target parse_ok(const char *spec)
{
	struct shmx_target t;
	struct shmx_error err = { 0 };

	cr_assert_eq(shmx_target_parse(spec, &t, &err), 0, "'%s': %s", spec,
		     err.msg);
	cr_expect_str_eq(t.spec, spec);
	return t;
}

static void parse_bad(const char *spec, const char *msg)
{
	struct shmx_target t;
	struct shmx_error err = { 0 };

	cr_expect_eq(shmx_target_parse(spec, &t, &err), SHMX_ETARGET, "'%s'",
		     spec);
	cr_expect_eq(err.code, SHMX_ETARGET);
	cr_expect_str_eq(err.msg, msg, "for '%s': %s", spec, err.msg);
}

static void expect_file(const char *spec, const char *path, const char *dir,
			const char *base)
{
	struct shmx_target t = parse_ok(spec);

	cr_expect_eq(t.kind, SHMX_TARGET_FILE, "%s", spec);
	cr_expect_str_eq(t.path, path, "path of %s", spec);
	cr_expect_str_eq(t.dir, dir, "dir of %s", spec);
	cr_expect_str_eq(t.base, base, "base of %s", spec);
}

Test(target, shm_names_live_in_dev_shm)
{
	struct shmx_target t = parse_ok("shm://prices");

	cr_expect_eq(t.kind, SHMX_TARGET_SHM);
	cr_expect_str_eq(t.path, "/dev/shm/prices");
	cr_expect_str_eq(t.dir, "/dev/shm");
	cr_expect_str_eq(t.base, "prices");
	cr_expect_str_eq(shmx_shm_dir(), "/dev/shm");
}

Test(target, shm_dir_follows_the_environment)
{
	struct shmx_target t;

	setenv("SHMX_SHM_DIR", "/tmp/elsewhere", 1);
	cr_expect_str_eq(shmx_shm_dir(), "/tmp/elsewhere");
	t = parse_ok("shm://a.b-c_9");
	cr_expect_str_eq(t.path, "/tmp/elsewhere/a.b-c_9");
	cr_expect_str_eq(t.dir, "/tmp/elsewhere");
	cr_expect_str_eq(t.base, "a.b-c_9");
	setenv("SHMX_SHM_DIR", "", 1);
	cr_expect_str_eq(shmx_shm_dir(), "/dev/shm", "empty means unset");
}

Test(target, shm_name_of_200_characters_is_fine)
{
	char spec[6 + 201];
	struct shmx_target t;

	memcpy(spec, "shm://", 6);
	memset(spec + 6, 'n', 200);
	spec[206] = '\0';
	t = parse_ok(spec);
	cr_expect_eq(strlen(t.base), 200);
}

Test(target, shm_name_of_201_characters_is_too_long)
{
	char spec[6 + 202], msg[512];

	memcpy(spec, "shm://", 6);
	memset(spec + 6, 'n', 201);
	spec[207] = '\0';
	snprintf(msg, sizeof(msg), "%s: " SHM_RULES, spec);
	parse_bad(spec, msg);
}

Test(target, shm_names_are_refused_outside_the_rules)
{
	parse_bad("shm://", "shm://: " SHM_RULES);
	parse_bad("shm://a/b", "shm://a/b: " SHM_RULES);
	parse_bad("shm://../x", "shm://../x: " SHM_RULES);
	parse_bad("shm://..", "shm://..: " SHM_RULES);
	parse_bad("shm://.", "shm://.: " SHM_RULES);
	parse_bad("shm://.hidden", "shm://.hidden: " SHM_RULES);
	parse_bad("shm://.shmx-1-0-x", "shm://.shmx-1-0-x: " SHM_RULES);
	parse_bad("shm://a b", "shm://a b: " SHM_RULES);
	parse_bad("shm://a:b", "shm://a:b: " SHM_RULES);
	parse_bad("shm://caf\xc3\xa9", "shm://caf\xc3\xa9: " SHM_RULES);
	parse_bad("shm:///abs", "shm:///abs: " SHM_RULES);
	parse_bad("shm://a\nb", "shm://a?b: " SHM_RULES);
}

Test(target, name_validity_follows_the_rules)
{
	cr_expect(shmx_shm_name_valid("a"));
	cr_expect(shmx_shm_name_valid("A-Za-z0-9._-"));
	cr_expect(shmx_shm_name_valid("x."));
	cr_expect(!shmx_shm_name_valid(""));
	cr_expect(!shmx_shm_name_valid(".x"));
	cr_expect(!shmx_shm_name_valid("a/b"));
	cr_expect(!shmx_shm_name_valid("a+b"));
	cr_expect(!shmx_shm_name_valid("a%b"));
}

Test(target, file_scheme_names_a_file)
{
	expect_file("file:///tmp/a.npy", "/tmp/a.npy", "/tmp", "a.npy");
	expect_file("file://rel/dir/a.npy", "rel/dir/a.npy", "rel/dir",
		    "a.npy");
	expect_file("file://a.npy", "a.npy", ".", "a.npy");
}

Test(target, plain_paths_name_files)
{
	expect_file("a.npy", "a.npy", ".", "a.npy");
	expect_file("/a.npy", "/a.npy", "/", "a.npy");
	expect_file("/tmp/x/data.bin", "/tmp/x/data.bin", "/tmp/x",
		    "data.bin");
	expect_file("./data", "./data", ".", "data");
	expect_file("../up/.hidden", "../up/.hidden", "../up", ".hidden");
	expect_file("shm:name", "shm:name", ".", "shm:name");
}

Test(target, refuses_names_of_directories)
{
	parse_bad("out/", "out/: names a directory, not a file");
	parse_bad("/", "/: names a directory, not a file");
	parse_bad("file:///tmp/", "file:///tmp/: names a directory, not a file");
	parse_bad(".", ".: names a directory, not a file");
	parse_bad("..", "..: names a directory, not a file");
	parse_bad("a/..", "a/..: names a directory, not a file");
	parse_bad("/tmp/.", "/tmp/.: names a directory, not a file");
}

Test(target, refuses_empty_names)
{
	parse_bad("", "empty target name");
	parse_bad("file://", "empty file name");
}

Test(target, refuses_unknown_schemes)
{
	parse_bad("s3://x", "s3://x: unknown scheme (use shm://NAME, "
			    "file://PATH or a path)");
	parse_bad("SHM://x", "SHM://x: unknown scheme (use shm://NAME, "
			     "file://PATH or a path)");
	parse_bad("http://host/a.npy",
		  "http://host/a.npy: unknown scheme (use shm://NAME, "
		  "file://PATH or a path)");
}

Test(target, refuses_a_path_too_long)
{
	static char spec[PATH_MAX + 10];
	char msg[128];

	memset(spec, 'p', sizeof(spec) - 1);
	spec[sizeof(spec) - 1] = '\0';
	snprintf(msg, sizeof(msg), "%.64s...: name too long", spec);
	parse_bad(spec, msg);
}

Test(target, refuses_a_file_name_longer_than_255)
{
	char spec[300], msg[512];
	struct shmx_target t;

	memcpy(spec, "/tmp/", 5);
	memset(spec + 5, 'f', 256);
	spec[5 + 256] = '\0';
	snprintf(msg, sizeof(msg), "%s: file name too long", spec);
	parse_bad(spec, msg);
	spec[5 + 255] = '\0';
	t = parse_ok(spec);
	cr_expect_eq(strlen(t.base), 255);
}

/* Found by tests/fuzz/fuzz_target.c: without a '/' a long name was
 * accepted with its base cut to 255 bytes. */
Test(target, refuses_a_file_name_longer_than_255_without_a_directory)
{
	char spec[300], msg[512];
	struct shmx_target t;

	memset(spec, 'f', 256);
	spec[256] = '\0';
	snprintf(msg, sizeof(msg), "%s: file name too long", spec);
	parse_bad(spec, msg);
	spec[255] = '\0';
	t = parse_ok(spec);
	cr_expect_str_eq(t.base, spec);
	cr_expect_str_eq(t.dir, ".");
}

Test(target, parse_without_an_error_struct_returns_the_code)
{
	struct shmx_target t;

	cr_expect_eq(shmx_target_parse("shm://a/b", &t, NULL), SHMX_ETARGET);
	cr_expect_eq(shmx_target_parse("", &t, NULL), SHMX_ETARGET);
	cr_expect_eq(shmx_target_parse("s3://x", &t, NULL), SHMX_ETARGET);
}
