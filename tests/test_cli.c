/* tests/test_cli.c - the shmx command-line tool as a user meets it: every
 * error a user can reach gives one line "shmx: error: ..." on stderr,
 * nothing on stdout, exit 2 for bad usage or input and 1 for a failure
 * while running; nothing is left in /dev/shm and the input is untouched.
 * Each test runs in its own scratch directory (the working directory) and
 * between shm_guard_begin and shm_guard_end. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shmx/shmx.h"
#include "base/fault.h"
#include "kernels/registry.h"
#include "support.h"

static char dir[64];

static void setup(void)
{
	unsetenv("SHMX_SHM_DIR");
	shm_guard_begin();
	make_tmpdir(dir, sizeof(dir));
	cr_assert_eq(chdir(dir), 0);
}

static void teardown(void)
{
	unsetenv("SHMX_SHM_DIR");
	if (chdir("/") == 0)
		rm_rf(dir);
	shm_guard_end();
}

TestSuite(cli, .init = setup, .fini = teardown, .timeout = 30);

#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Run argv; it must fail with exactly "shmx: error: <msg>\n" on stderr,
 * nothing on stdout, and exit status `status`. */
static void expect_fail(const char *const *argv, int status, const char *fmt,
			...) __attribute__((format(printf, 3, 4)));
static void expect_fail(const char *const *argv, int status, const char *fmt,
			...)
{
	static struct cli_result r;
	char msg[1024], want[1100];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(want, sizeof(want), "shmx: error: %s\n", msg);
	run_cli(&r, argv);
	cr_expect_eq(r.status, status, "shmx %s %s: exit %d, stderr: %s",
		     argv[0], argv[1] ? argv[1] : "", r.status, r.err);
	cr_expect_str_eq(r.err, want, "shmx %s %s:\n got: %s want: %s",
			 argv[0], argv[1] ? argv[1] : "", r.err, want);
	cr_expect_str_eq(r.out, "", "stdout on error: %s", r.out);
}

static void expect_ok(struct cli_result *r, const char *const *argv)
{
	run_cli(r, argv);
	cr_assert_eq(r->status, 0, "shmx %s %s: exit %d: %s", argv[0],
		     argv[1] ? argv[1] : "", r->status, r->err);
	cr_expect_str_eq(r->err, "");
}

/* "shm://shmxt-<pid>-tag" into spec, the name into name (may be NULL). */
static const char *shm_spec(char *spec, size_t len, char *name, size_t nlen,
			    const char *tag)
{
	char n[64];

	test_shm_name(n, sizeof(n), tag);
	if (name)
		snprintf(name, nlen, "%s", n);
	snprintf(spec, len, "shm://%s", n);
	return spec;
}

/* A file's bytes and times, to show a failed run did not touch it. */
struct fingerprint {
	char *data;
	size_t len;
	struct stat st;
};

static void fingerprint(const char *path, struct fingerprint *f)
{
	f->data = read_whole_file(path, &f->len);
	cr_assert_eq(stat(path, &f->st), 0);
}

static void expect_untouched(const char *path, struct fingerprint *f)
{
	struct fingerprint now;

	fingerprint(path, &now);
	cr_expect(now.len == f->len && !memcmp(now.data, f->data, f->len),
		  "%s changed", path);
	cr_expect(now.st.st_ino == f->st.st_ino &&
		  now.st.st_mtim.tv_sec == f->st.st_mtim.tv_sec &&
		  now.st.st_mtim.tv_nsec == f->st.st_mtim.tv_nsec &&
		  now.st.st_mode == f->st.st_mode,
		  "%s replaced or modified", path);
	free(now.data);
	free(f->data);
}

/* --- the command line itself ------------------------------------------- */

Test(cli, no_command_is_one_error_line_and_exits_2)
{
	struct cli_result r;

	run_cli(&r, ARGV(NULL));
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.out, "");
	cr_expect_str_eq(r.err,
			 "shmx: error: no command given (see shmx --help)\n");
}

Test(cli, unknown_command_exits_2)
{
	expect_fail(ARGV("frobnicate"), 2,
		    "unknown command 'frobnicate' (see shmx --help)");
	expect_fail(ARGV("--bogus"), 2,
		    "unknown command '--bogus' (see shmx --help)");
	expect_fail(ARGV(""), 2, "unknown command '' (see shmx --help)");
}

Test(cli, help_lists_the_commands_and_exits_0)
{
	static const char *const forms[] = { "--help", "-h", "help" };
	struct cli_result r;

	for (int i = 0; i < 3; i++) {
		expect_ok(&r, ARGV(forms[i]));
		cr_expect_eq(strncmp(r.out, "usage: shmx <command>", 21), 0);
		cr_expect(strstr(r.out, "\n  gen ") && strstr(r.out, "\n  load ") &&
			  strstr(r.out, "\n  info ") && strstr(r.out, "\n  ls ") &&
			  strstr(r.out, "\n  rm ") && strstr(r.out, "\n  cat "),
			  "%s", r.out);
	}
}

Test(cli, every_command_has_help_that_exits_0)
{
	static const char *const cmds[] = { "gen", "load", "info",
					    "ls",  "rm",   "cat" };
	struct cli_result r;
	char want[32];

	for (int i = 0; i < 6; i++) {
		snprintf(want, sizeof(want), "usage: shmx %s", cmds[i]);
		expect_ok(&r, ARGV(cmds[i], "--help"));
		cr_expect_eq(strncmp(r.out, want, strlen(want)), 0, "%s: %s",
			     cmds[i], r.out);
		expect_ok(&r, ARGV(cmds[i], "-h"));
		cr_expect_eq(strncmp(r.out, want, strlen(want)), 0, "%s -h",
			     cmds[i]);
	}
}

/* run --help lists the engine's ops from its table: every one of
 * shmx__op_names, in order, under its kind's heading, as a whole word. */
Test(cli, run_help_lists_every_op_of_the_registry)
{
	struct cli_result r;
	enum shmx_kernel_kind kind;
	const char *form, *maps, *at;
	unsigned i = 0;

	expect_ok(&r, ARGV("run", "--help"));
	maps = strstr(r.out, "\nOP, element-wise maps");
	cr_assert(maps && strstr(r.out, "\nOP, reductions"), "%s", r.out);
	for (; (form = shmx_op_form(i, &kind)); i++) {
		char word[64];
		size_t n = strcspn(form, ":");

		cr_assert(shmx__op_names[i], "%s: not in shmx__op_names", form);
		cr_expect(strlen(shmx__op_names[i]) == n &&
			  !strncmp(form, shmx__op_names[i], n), "%s", form);
		snprintf(word, sizeof(word), " %s", form);
		at = strstr(r.out, word);
		while (at && !strchr(" \n", at[strlen(word)]))
			at = strstr(at + 1, word);
		cr_expect(at, "%s not listed:\n%s", form, r.out);
		cr_expect(!at || (kind == SHMX_KERNEL_MAP) == (at > maps),
			  "%s under the wrong heading", form);
	}
	cr_expect_null(shmx__op_names[i], "%s: not listed by shmx_op_form",
		       shmx__op_names[i]);
	for (const char *l = r.out; *l;) {
		size_t n = strcspn(l, "\n");

		cr_expect_leq(n, 80, "%.40s...", l);
		l += n + (l[n] == '\n');
	}
}

Test(cli, version_prints_the_library_version_and_the_fault_hooks)
{
	struct cli_result r;
	char want[64];

	snprintf(want, sizeof(want), "shmx %s\nfault injection: %s\n",
		 shmx_version(), shmx__fault_enabled() ? "on" : "off");
	expect_ok(&r, ARGV("--version"));
	cr_expect_str_eq(r.out, want);
	expect_ok(&r, ARGV("-V"));
	cr_expect_str_eq(r.out, want);
}

Test(cli, unknown_options_are_named_and_exit_2)
{
	static const char *const cmds[] = { "gen", "load", "info",
					    "ls",  "rm",   "cat" };

	for (int i = 0; i < 6; i++) {
		expect_fail(ARGV(cmds[i], "--bogus"), 2,
			    "%s: unknown option '--bogus' (see shmx %s --help)",
			    cmds[i], cmds[i]);
		expect_fail(ARGV(cmds[i], "-Z"), 2,
			    "%s: unknown option '-Z' (see shmx %s --help)",
			    cmds[i], cmds[i]);
	}
}

Test(cli, an_unknown_option_inside_a_cluster_is_named_by_its_letter)
{
	expect_fail(ARGV("rm", "-zf", "x"), 2,
		    "rm: unknown option '-z' (see shmx rm --help)");
	expect_fail(ARGV("rm", "-fz", "x"), 2,
		    "rm: unknown option '-z' (see shmx rm --help)");
	expect_fail(ARGV("gen", "--force", "-qf"), 2,
		    "gen: unknown option '-q' (see shmx gen --help)");
	expect_fail(ARGV("gen", "--force=yes"), 2,
		    "gen: unknown option '--force=yes' (see shmx gen --help)");
}

Test(cli, a_missing_option_value_is_named_and_exits_2)
{
	expect_fail(ARGV("gen", "-o"), 2, "gen: option '-o' needs a value");
	expect_fail(ARGV("gen", "-fo"), 2, "gen: option '-o' needs a value");
	expect_fail(ARGV("gen", "--output"), 2,
		    "gen: option '--output' needs a value");
	expect_fail(ARGV("gen", "-o", "x.npy", "--shape"), 2,
		    "gen: option '--shape' needs a value");
	expect_fail(ARGV("gen", "-o", "x.npy", "-s"), 2,
		    "gen: option '-s' needs a value");
	expect_fail(ARGV("gen", "-o", "x.npy", "--dtype"), 2,
		    "gen: option '--dtype' needs a value");
	expect_fail(ARGV("load", "in.npy", "-o"), 2,
		    "load: option '-o' needs a value");
	expect_fail(ARGV("cat", "x.npy", "--head"), 2,
		    "cat: option '--head' needs a value");
	cr_expect(!path_exists("x.npy"));
}

/* --- gen --------------------------------------------------------------- */

Test(cli, gen_refuses_bad_values_with_exit_2)
{
	char spec[96];

	shm_spec(spec, sizeof(spec), NULL, 0, "bad");
	expect_fail(ARGV("gen", "-o", spec, "--shape", "3", "--dtype", "f16"),
		    2,
		    "unsupported dtype 'f16' (use bool i8 i16 i32 i64 u8 u16 u32 "
		    "u64 f32 f64 or numpy's names)");
	expect_fail(ARGV("gen", "-o", spec, "--shape", "3x"), 2,
		    "bad shape '3x' (use N or RxC, e.g. 100000x10)");
	expect_fail(ARGV("gen", "-o", spec, "--shape", "-3"), 2,
		    "bad shape '-3' (use N or RxC, e.g. 100000x10)");
	expect_fail(ARGV("gen", "-o", spec, "--shape", "4294967296x4294967296"),
		    2, "shape '4294967296x4294967296' has too many elements");
	expect_fail(ARGV("gen", "-o", spec, "--shape", "3", "--fill", "gauss"),
		    2,
		    "unknown fill 'gauss' (use uniform, normal, range or zeros)");
	expect_fail(ARGV("gen", "-o", spec, "--shape", "3", "--seed", "-1"), 2,
		    "--seed: bad value '-1' (a whole number)");
	expect_fail(ARGV("gen", "-o", spec, "--shape", "3", "--seed", "1k"), 2,
		    "--seed: bad value '1k' (a whole number)");
	expect_fail(ARGV("gen", "-o", spec, "--shape", "3", "--seed",
			 "18446744073709551616"),
		    2, "--seed: bad value '18446744073709551616' (a whole number)");
	expect_fail(ARGV("gen", "-o", spec, "--shape", "3", "--mode", "999"), 2,
		    "--mode: bad mode '999' (octal, e.g. 0640)");
	expect_fail(ARGV("gen", "-o", spec, "--shape", "3", "--mode", "0"), 2,
		    "--mode: bad mode '0' (octal, e.g. 0640)");
	expect_fail(ARGV("gen", "-o", spec, "--shape", "3", "--mode", "01777"),
		    2, "--mode: bad mode '01777' (octal, e.g. 0640)");
	expect_fail(ARGV("gen", "-o", spec, "--shape", "3", "--mode", ""), 2,
		    "--mode: bad mode '' (octal, e.g. 0640)");
}

/* Found by tests/fuzz/fuzz_cli.c: a value with a line break split the
 * error over two lines. */
Test(cli, a_bad_value_with_a_line_break_is_still_one_error_line)
{
	char spec[96];

	shm_spec(spec, sizeof(spec), NULL, 0, "nl");
	expect_fail(ARGV("gen", "-o", spec, "--shape", "3", "--mode", "777\n0"),
		    2, "--mode: bad mode '777?0' (octal, e.g. 0640)");
	expect_fail(ARGV("gen", "-o", spec, "--shape", "3", "--seed", "1\r\n2"),
		    2, "--seed: bad value '1??2' (a whole number)");
	expect_fail(ARGV("cat", "--bogus\nx", "x.npy"), 2,
		    "cat: unknown option '--bogus?x' (see shmx cat --help)");
}

/* Found by tests/fuzz/fuzz_cli.c: --mode took what strtoul skips (space,
 * a sign) before the octal digits. */
Test(cli, mode_is_octal_digits_only)
{
	char spec[96];

	shm_spec(spec, sizeof(spec), NULL, 0, "mode");
	expect_fail(ARGV("gen", "-o", spec, "--shape", "3", "--mode", " 640"),
		    2, "--mode: bad mode ' 640' (octal, e.g. 0640)");
	expect_fail(ARGV("gen", "-o", spec, "--shape", "3", "--mode", "+640"),
		    2, "--mode: bad mode '+640' (octal, e.g. 0640)");
	expect_fail(ARGV("gen", "-o", spec, "--shape", "3", "--mode", "-0640"),
		    2, "--mode: bad mode '-0640' (octal, e.g. 0640)");
}

Test(cli, gen_refuses_bad_targets_with_exit_2)
{
	expect_fail(ARGV("gen", "-o", "shm://a/b", "--shape", "3"), 2,
		    "shm://a/b: bad shm name (1-200 of A-Za-z0-9._-, not "
		    "starting with '.')");
	expect_fail(ARGV("gen", "-o", "shm://", "--shape", "3"), 2,
		    "shm://: bad shm name (1-200 of A-Za-z0-9._-, not starting "
		    "with '.')");
	expect_fail(ARGV("gen", "-o", "s3://bucket/x", "--shape", "3"), 2,
		    "s3://bucket/x: unknown scheme (use shm://NAME, "
		    "file://PATH or a path)");
	expect_fail(ARGV("gen", "-o", "out/", "--shape", "3"), 2,
		    "out/: names a directory, not a file");
	expect_fail(ARGV("gen", "-o", "nodir/x.npy", "--shape", "3"), 2,
		    "nodir/x.npy: cannot create: %s", strerror(ENOENT));
	expect_fail(ARGV("gen", "-o", "", "--shape", "3"), 2,
		    "empty target name");
	expect_dir_holds(".", "");
}

Test(cli, gen_needs_an_output_and_a_shape)
{
	expect_fail(ARGV("gen", "--shape", "3"), 2,
		    "gen: no output given (-o TARGET)");
	expect_fail(ARGV("gen", "-o", "x.npy"), 2,
		    "gen: no shape given (--shape N or RxC)");
	expect_fail(ARGV("gen", "-o", "x.npy", "--shape", "3", "extra"), 2,
		    "gen: unexpected argument 'extra'");
	cr_expect(!path_exists("x.npy"));
}

Test(cli, gen_writes_an_npy_image_that_cat_prints)
{
	char spec[96];
	struct cli_result r;

	shm_spec(spec, sizeof(spec), NULL, 0, "gen");
	expect_ok(&r, ARGV("gen", "-o", spec, "--shape", "2x3", "--dtype",
			   "i32", "--fill", "range"));
	cr_expect_str_eq(r.out, "");
	expect_ok(&r, ARGV("cat", spec));
	cr_expect_str_eq(r.out, "0 1 2\n3 4 5\n");
	expect_ok(&r, ARGV("cat", spec, "--head", "1"));
	cr_expect_str_eq(r.out, "0 1 2\n");
	expect_ok(&r, ARGV("cat", "--head", "0", spec));
	cr_expect_str_eq(r.out, "");
	expect_ok(&r, ARGV("rm", spec));
	cr_expect_str_eq(r.out, "");
}

Test(cli, gen_to_a_file_puts_the_data_at_4096)
{
	struct cli_result r;
	struct shmx_npy_header h;
	char *img;
	size_t len;

	expect_ok(&r, ARGV("gen", "-o", "a.npy", "-s", "5", "-t", "u16",
			   "--fill", "range"));
	img = read_whole_file("a.npy", &len);
	cr_assert_eq(len, 4096 + 10);
	cr_assert_eq(shmx_npy_parse(img, len, "a.npy", &h, NULL), 0);
	cr_expect_eq(h.data_offset, 4096);
	cr_expect_eq(h.dtype, SHMX_U16);
	for (int i = 0; i < 5; i++)
		cr_expect_eq(((uint16_t *)(img + 4096))[i], i);
	free(img);
	expect_ok(&r, ARGV("gen", "-o", "file://b.npy", "-s", "0"));
	cr_expect(path_exists("b.npy"));
	expect_ok(&r, ARGV("cat", "b.npy"));
	cr_expect_str_eq(r.out, "");
	expect_dir_holds(".", "a.npy\nb.npy\n");
}

Test(cli, gen_is_deterministic_for_a_seed)
{
	struct cli_result r;
	char *a, *b, *c;
	size_t la, lb, lc;

	expect_ok(&r, ARGV("gen", "-o", "a.npy", "-s", "100x3", "--seed", "9"));
	expect_ok(&r, ARGV("gen", "-o", "b.npy", "-s", "100x3", "--seed", "9"));
	expect_ok(&r, ARGV("gen", "-o", "c.npy", "-s", "100x3", "--seed", "8"));
	a = read_whole_file("a.npy", &la);
	b = read_whole_file("b.npy", &lb);
	c = read_whole_file("c.npy", &lc);
	cr_expect(la == lb && !memcmp(a, b, la));
	cr_expect(la == lc && memcmp(a, c, la));
	free(a);
	free(b);
	free(c);
}

Test(cli, gen_creates_segments_0600_whatever_the_umask)
{
	char spec[96], name[64], path[128];
	struct cli_result r;
	struct stat st;

	shm_spec(spec, sizeof(spec), name, sizeof(name), "mode");
	snprintf(path, sizeof(path), "/dev/shm/%s", name);
	umask(0);
	expect_ok(&r, ARGV("gen", "-o", spec, "-s", "3"));
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0600, "mode %o", st.st_mode & 07777);
	umask(077);
	expect_ok(&r, ARGV("gen", "-o", spec, "-s", "3", "--force", "--mode",
			   "0640"));
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0640, "mode %o", st.st_mode & 07777);
	umask(0);
	expect_ok(&r, ARGV("gen", "-o", spec, "-s", "3", "-f", "--mode", "444"));
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0444, "mode %o", st.st_mode & 07777);
	expect_ok(&r, ARGV("rm", spec));
}

Test(cli, gen_refuses_an_existing_target_without_force)
{
	char spec[96], name[64], path[128];
	struct cli_result r;
	struct fingerprint f;

	shm_spec(spec, sizeof(spec), name, sizeof(name), "exists");
	snprintf(path, sizeof(path), "/dev/shm/%s", name);
	expect_ok(&r, ARGV("gen", "-o", spec, "-s", "4", "--fill", "range"));
	fingerprint(path, &f);
	expect_fail(ARGV("gen", "-o", spec, "-s", "9", "--fill", "zeros"), 2,
		    "%s: already exists (use --force to replace it)", spec);
	expect_untouched(path, &f);
	expect_ok(&r, ARGV("gen", "-o", spec, "-s", "2", "--fill", "zeros",
			   "--force"));
	expect_ok(&r, ARGV("cat", spec));
	cr_expect_str_eq(r.out, "0\n0\n");
	expect_ok(&r, ARGV("rm", spec));
}

Test(cli, gen_into_a_full_dev_shm_fails_with_exit_1_and_leaves_nothing)
{
	char spec[96], *left;
	struct cli_result r;

	if (mount_private_tmpfs("/dev/shm", "1m") < 0)
		cr_skip_test("needs root and a private mount namespace");
	shm_spec(spec, sizeof(spec), NULL, 0, "full");
	/* 256Ki f64 = 2 MiB of data into a 1 MiB tmpfs */
	expect_fail(ARGV("gen", "-o", spec, "--shape", "262144"), 1,
		    "%s: no space left in /dev/shm for 2101248 bytes", spec);
	expect_fail(ARGV("gen", "-o", spec, "--shape", "512x512", "--fill",
			 "zeros"),
		    1, "%s: no space left in /dev/shm for 2101248 bytes", spec);
	left = dir_snapshot("/dev/shm");
	cr_expect_str_eq(left, "", "left in the full tmpfs: %s", left);
	free(left);
	/* what fits still works, in the same full-sized tmpfs */
	expect_ok(&r, ARGV("gen", "-o", spec, "--shape", "1000"));
	expect_ok(&r, ARGV("rm", spec));
	cr_assert_eq(umount2("/dev/shm", MNT_DETACH), 0);
}

/* --- load -------------------------------------------------------------- */

Test(cli, load_copies_an_npy_file_into_a_segment)
{
	char spec[96];
	struct cli_result r;
	struct fingerprint f;

	shm_spec(spec, sizeof(spec), NULL, 0, "load");
	expect_ok(&r, ARGV("gen", "-o", "in.npy", "-s", "3x2", "-t", "i64",
			   "--fill", "range"));
	fingerprint("in.npy", &f);
	expect_ok(&r, ARGV("load", "in.npy", "-o", spec));
	expect_untouched("in.npy", &f);
	expect_ok(&r, ARGV("cat", spec));
	cr_expect_str_eq(r.out, "0 1\n2 3\n4 5\n");
	expect_ok(&r, ARGV("load", spec, "-o", "back.npy"));
	expect_ok(&r, ARGV("cat", "back.npy"));
	cr_expect_str_eq(r.out, "0 1\n2 3\n4 5\n");
	expect_ok(&r, ARGV("rm", spec));
}

Test(cli, load_reads_a_raw_file_with_dtype_and_shape)
{
	static const float vals[6] = { 0.5f, -1, 2.25f, 3, 4, 1e-3f };
	char spec[96];
	struct cli_result r;
	char want[256];

	shm_spec(spec, sizeof(spec), NULL, 0, "raw");
	write_whole_file("raw.bin", vals, sizeof(vals));
	expect_ok(&r, ARGV("load", "raw.bin", "-o", spec, "--dtype", "float32",
			   "--shape", "2x3"));
	expect_ok(&r, ARGV("cat", spec));
	snprintf(want, sizeof(want), "%.17g %.17g %.17g\n%.17g %.17g %.17g\n",
		 (double)vals[0], (double)vals[1], (double)vals[2],
		 (double)vals[3], (double)vals[4], (double)vals[5]);
	cr_expect_str_eq(r.out, want);
	expect_ok(&r, ARGV("cat", "raw.bin", "--dtype", "f32", "--shape", "6",
			   "--head", "2"));
	snprintf(want, sizeof(want), "%.17g\n%.17g\n", (double)vals[0],
		 (double)vals[1]);
	cr_expect_str_eq(r.out, want);
	expect_ok(&r, ARGV("rm", spec));
}

Test(cli, load_refuses_a_missing_input)
{
	char spec[96], src[96];

	shm_spec(spec, sizeof(spec), NULL, 0, "out");
	expect_fail(ARGV("load", "nope.npy", "-o", spec), 2,
		    "nope.npy: no such file");
	shm_spec(src, sizeof(src), NULL, 0, "nosrc");
	expect_fail(ARGV("load", src, "-o", spec), 2, "%s: no such segment",
		    src);
}

Test(cli, load_refuses_a_file_that_is_not_npy_and_leaves_it_alone)
{
	char spec[96];
	struct fingerprint f;

	shm_spec(spec, sizeof(spec), NULL, 0, "out");
	write_whole_file("data.txt", "1,2,3\n4,5,6\n", 12);
	fingerprint("data.txt", &f);
	expect_fail(ARGV("load", "data.txt", "-o", spec), 2,
		    "data.txt: not an NPY file (bad magic); raw data needs "
		    "--dtype and --shape");
	expect_untouched("data.txt", &f);
	expect_dir_holds(".", "data.txt\n");
}

Test(cli, load_refuses_raw_data_of_the_wrong_size)
{
	char spec[96];
	struct fingerprint f;
	int fd = open("data.bin", O_CREAT | O_WRONLY, 0644);

	cr_assert(fd >= 0);
	cr_assert_eq(ftruncate(fd, 8000001), 0);
	close(fd);
	shm_spec(spec, sizeof(spec), NULL, 0, "out");
	fingerprint("data.bin", &f);
	expect_fail(ARGV("load", "data.bin", "-o", spec, "--dtype", "f64",
			 "--shape", "100000x10"),
		    2, "data.bin: 8000001 bytes is not a whole number of f64 "
		       "rows of 10");
	expect_fail(ARGV("load", "data.bin", "-o", spec, "--dtype", "u8",
			 "--shape", "8000000"),
		    2, "data.bin: 8000001 bytes, but u8 x 8000000 elements "
		       "need 8000000");
	expect_untouched("data.bin", &f);
}

Test(cli, load_raw_needs_both_dtype_and_shape)
{
	write_whole_file("data.bin", "12345678", 8);
	expect_fail(ARGV("load", "data.bin", "-o", "x.npy", "--dtype", "f64"),
		    2, "load: a raw source needs both --dtype and --shape");
	expect_fail(ARGV("load", "data.bin", "-o", "x.npy", "--shape", "1"), 2,
		    "load: a raw source needs both --dtype and --shape");
	expect_fail(ARGV("load", "data.bin", "-o", "x.npy", "--dtype", "c8",
			 "--shape", "1"),
		    2,
		    "unsupported dtype 'c8' (use bool i8 i16 i32 i64 u8 u16 u32 u64 "
		    "f32 f64 or numpy's names)");
	expect_fail(ARGV("load", "-o", "x.npy"), 2, "load: no source given");
	expect_fail(ARGV("load", "data.bin"), 2,
		    "load: no output given (-o TARGET)");
	expect_fail(ARGV("load", "data.bin", "more", "-o", "x.npy"), 2,
		    "load: unexpected argument 'more'");
	expect_dir_holds(".", "data.bin\n");
}

Test(cli, load_refuses_directories_and_fifos, .timeout = 10)
{
	char spec[96];

	shm_spec(spec, sizeof(spec), NULL, 0, "out");
	cr_assert_eq(mkdir("sub", 0700), 0);
	cr_assert_eq(mkfifo("pipe", 0600), 0);
	expect_fail(ARGV("load", "sub", "-o", spec), 2,
		    "sub: not a regular file");
	expect_fail(ARGV("load", "pipe", "-o", spec), 2,
		    "pipe: not a regular file");
	expect_fail(ARGV("load", "pipe", "-o", spec, "-t", "u8", "-s", "1"), 2,
		    "pipe: not a regular file");
}

Test(cli, load_refuses_an_existing_target_and_a_bad_one)
{
	char spec[96], name[64], path[128];
	struct cli_result r;
	struct fingerprint in, out;

	shm_spec(spec, sizeof(spec), name, sizeof(name), "exists");
	snprintf(path, sizeof(path), "/dev/shm/%s", name);
	expect_ok(&r, ARGV("gen", "-o", "in.npy", "-s", "3"));
	expect_ok(&r, ARGV("gen", "-o", spec, "-s", "5"));
	fingerprint("in.npy", &in);
	fingerprint(path, &out);
	expect_fail(ARGV("load", "in.npy", "-o", spec), 2,
		    "%s: already exists (use --force to replace it)", spec);
	expect_fail(ARGV("load", "in.npy", "-o", "shm://no/slash"), 2,
		    "shm://no/slash: bad shm name (1-200 of A-Za-z0-9._-, not "
		    "starting with '.')");
	expect_untouched("in.npy", &in);
	expect_untouched(path, &out);
	expect_ok(&r, ARGV("load", "in.npy", "-o", spec, "--force"));
	expect_ok(&r, ARGV("info", spec));
	cr_expect(strstr(r.out, "shape: 3\n"), "%s", r.out);
	expect_ok(&r, ARGV("rm", spec));
}

Test(cli, load_refuses_a_damaged_npy_file)
{
	char spec[96];
	struct cli_result r;
	struct fingerprint f;
	char *img;
	size_t len;

	shm_spec(spec, sizeof(spec), NULL, 0, "out");
	expect_ok(&r, ARGV("gen", "-o", "in.npy", "-s", "4"));
	img = read_whole_file("in.npy", &len);
	write_whole_file("cut.npy", img, len - 1);
	fingerprint("cut.npy", &f);
	expect_fail(ARGV("load", "cut.npy", "-o", spec), 2,
		    "cut.npy: data is 31 bytes, shorter than the 32 its header "
		    "says");
	expect_untouched("cut.npy", &f);
	memcpy(img + 10, "{'descr': '>f8'", 15);
	write_whole_file("be.npy", img, len);
	expect_fail(ARGV("load", "be.npy", "-o", spec), 2,
		    "be.npy: big-endian dtype '>f8' is not supported (convert "
		    "with a.astype('<f8'))");
	free(img);
}

/* --- rm ---------------------------------------------------------------- */

Test(cli, rm_refuses_a_file_that_is_not_an_array_and_keeps_it)
{
	char spec[96], name[64], path[128];
	struct fingerprint f;

	shm_spec(spec, sizeof(spec), name, sizeof(name), "plain");
	snprintf(path, sizeof(path), "/dev/shm/%s", name);
	write_whole_file(path, "someone else's data", 19);
	fingerprint(path, &f);
	expect_fail(ARGV("rm", spec), 2,
		    "%s: not an NPY array; shmx rm removes only arrays", spec);
	expect_fail(ARGV("rm", "-f", spec), 2,
		    "%s: not an NPY array; shmx rm removes only arrays", spec);
	expect_untouched(path, &f);
	unlink(path);
}

Test(cli, rm_refuses_a_symlink_in_dev_shm_and_keeps_it)
{
	char spec[96], name[64], path[128], lspec[96], lname[64], lpath[128];
	struct cli_result r;

	shm_spec(spec, sizeof(spec), name, sizeof(name), "real");
	shm_spec(lspec, sizeof(lspec), lname, sizeof(lname), "link");
	snprintf(path, sizeof(path), "/dev/shm/%s", name);
	snprintf(lpath, sizeof(lpath), "/dev/shm/%s", lname);
	expect_ok(&r, ARGV("gen", "-o", spec, "-s", "3"));
	cr_assert_eq(symlink(path, lpath), 0);
	expect_fail(ARGV("rm", lspec), 2, "%s: %s", lpath, strerror(ELOOP));
	cr_expect(path_exists(lpath) && path_exists(path));
	unlink(lpath);
	expect_ok(&r, ARGV("rm", spec));
}

Test(cli, rm_of_a_missing_segment_exits_2_unless_forced)
{
	char spec[96];
	struct cli_result r;

	shm_spec(spec, sizeof(spec), NULL, 0, "gone");
	expect_fail(ARGV("rm", spec), 2, "%s: no such segment", spec);
	expect_fail(ARGV("rm", "nope.npy"), 2, "nope.npy: no such file");
	expect_ok(&r, ARGV("rm", "-f", spec));
	cr_expect_str_eq(r.out, "");
	expect_ok(&r, ARGV("rm", "--force", "nope.npy"));
	expect_fail(ARGV("rm"), 2, "rm: no target given");
	expect_fail(ARGV("rm", "shm://.hidden"), 2,
		    "shm://.hidden: bad shm name (1-200 of A-Za-z0-9._-, not "
		    "starting with '.')");
}

Test(cli, rm_removes_what_it_can_and_reports_the_rest)
{
	char a[96], an[64], gone[96], path[128];
	struct cli_result r;

	shm_spec(a, sizeof(a), an, sizeof(an), "a");
	shm_spec(gone, sizeof(gone), NULL, 0, "gone");
	snprintf(path, sizeof(path), "/dev/shm/%s", an);
	expect_ok(&r, ARGV("gen", "-o", a, "-s", "3"));
	expect_ok(&r, ARGV("gen", "-o", "f.npy", "-s", "3"));
	expect_fail(ARGV("rm", gone, a, "f.npy"), 2, "%s: no such segment",
		    gone);
	cr_expect(!path_exists(path));
	cr_expect(!path_exists("f.npy"));
}

/* --- info, cat, ls ----------------------------------------------------- */

Test(cli, info_describes_an_array)
{
	char spec[96], name[64], want[256];
	struct cli_result r;

	shm_spec(spec, sizeof(spec), name, sizeof(name), "info");
	umask(0);
	expect_ok(&r, ARGV("gen", "-o", spec, "-s", "2x3", "-t", "i32"));
	expect_ok(&r, ARGV("info", spec));
	snprintf(want, sizeof(want),
		 "name:  %s\nwhere: /dev/shm/%s (shm segment)\ndtype: i32\n"
		 "shape: 2x3\nbytes: 24 data, 4120 in all\n",
		 spec, name);
	cr_expect_eq(strncmp(r.out, want, strlen(want)), 0, "%s", r.out);
	cr_expect(strstr(r.out, ", mode 0600\nage:   "), "%s", r.out);
	expect_ok(&r, ARGV("rm", spec));
}

Test(cli, info_refuses_what_is_missing_or_not_an_array)
{
	char spec[96], name[64], path[128];

	shm_spec(spec, sizeof(spec), name, sizeof(name), "info");
	snprintf(path, sizeof(path), "/dev/shm/%s", name);
	expect_fail(ARGV("info", spec), 2, "%s: no such segment", spec);
	write_whole_file(path, "text", 4);
	expect_fail(ARGV("info", spec), 2, "%s: not an NPY array", spec);
	unlink(path);
	expect_fail(ARGV("info"), 2, "info: no target given");
	expect_fail(ARGV("info", "s3://x"), 2,
		    "s3://x: unknown scheme (use shm://NAME, file://PATH or a "
		    "path)");
}

Test(cli, cat_refuses_bad_usage)
{
	struct cli_result r;

	expect_ok(&r, ARGV("gen", "-o", "a.npy", "-s", "3"));
	expect_fail(ARGV("cat"), 2, "cat: no target given");
	expect_fail(ARGV("cat", "a.npy", "b.npy"), 2,
		    "cat: unexpected argument 'b.npy'");
	expect_fail(ARGV("cat", "a.npy", "--head", "x"), 2,
		    "--head: bad value 'x' (a whole number)");
	expect_fail(ARGV("cat", "a.npy", "--head", "-1"), 2,
		    "--head: bad value '-1' (a whole number)");
	expect_fail(ARGV("cat", "a.npy", "--dtype", "f64"), 2,
		    "cat: a raw file needs both --dtype and --shape");
	expect_fail(ARGV("cat", "a.npy", "--shape", "x"), 2,
		    "bad shape 'x' (use N or RxC, e.g. 100000x10)");
	expect_fail(ARGV("cat", "nope.npy"), 2, "nope.npy: no such file");
}

Test(cli, cat_prints_floats_so_they_round_trip)
{
	static const double vals[4] = { 0.1, -1e300, 5e-324, 1.0 / 3 };
	struct cli_result r;
	char *line, *save;
	int i = 0;

	write_whole_file("d.bin", vals, sizeof(vals));
	expect_ok(&r, ARGV("cat", "d.bin", "-t", "f64", "-s", "4"));
	for (line = strtok_r(r.out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), i++)
		cr_expect_eq(strtod(line, NULL), vals[i], "line %d: %s", i,
			     line);
	cr_expect_eq(i, 4);
}

Test(cli, ls_lists_arrays_and_with_all_the_rest)
{
	char path[128], tmp[64];
	struct cli_result r;

	setenv("SHMX_SHM_DIR", dir, 1);
	expect_ok(&r, ARGV("gen", "-o", "shm://arr", "-s", "3x4", "-t", "u8"));
	write_whole_file("notes", "x", 1);
	snprintf(tmp, sizeof(tmp), ".shmx-%ld-0-dead", (long)dead_pid());
	expect_ok(&r, ARGV("gen", "-o", tmp, "-s", "2"));
	expect_ok(&r, ARGV("ls"));
	cr_expect_eq(strncmp(r.out, "NAME ", 5), 0, "%s", r.out);
	cr_expect(strstr(r.out, "\narr "), "%s", r.out);
	cr_expect(strstr(r.out, " u8 ") && strstr(r.out, " 3x4 "), "%s", r.out);
	cr_expect(!strstr(r.out, "notes") && !strstr(r.out, ".shmx-"), "%s",
		  r.out);
	expect_ok(&r, ARGV("ls", "--all"));
	cr_expect(strstr(r.out, "\nnotes ") && strstr(r.out, "(not an array)"),
		  "%s", r.out);
	cr_expect(strstr(r.out, "(stale temporary)"), "%s", r.out);
	expect_fail(ARGV("ls", "extra"), 2, "ls: unexpected argument 'extra'");
	snprintf(path, sizeof(path), "%s/gone", dir);
	setenv("SHMX_SHM_DIR", path, 1);
	expect_fail(ARGV("ls"), 2, "%s: %s", path, strerror(ENOENT));
}

Test(cli, ls_of_an_empty_shm_directory_prints_only_the_header)
{
	struct cli_result r;

	cr_assert_eq(mkdir("empty", 0700), 0);
	setenv("SHMX_SHM_DIR", "empty", 1);
	expect_ok(&r, ARGV("ls"));
	cr_expect_eq(strncmp(r.out, "NAME ", 5), 0, "%s", r.out);
	cr_expect_eq(strchr(r.out, '\n') - r.out + 1, (long)strlen(r.out),
		     "more than the header: %s", r.out);
	expect_ok(&r, ARGV("ls", "-a"));
	expect_ok(&r, ARGV("rm", "--stale"));
	cr_expect_str_eq(r.out, "");
}
