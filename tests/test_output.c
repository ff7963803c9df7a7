/* tests/test_output.c - engine/store/output.c: creating an output under a
 * temporary name (its mode whatever the umask, never through a symlink),
 * publishing it by rename (refusing or, with force, replacing what is
 * there, never another user's array), discarding it, and a full tmpfs.
 * Every test runs between shm_guard_begin and shm_guard_end and works in
 * its own scratch directory. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shmx/shmx.h"
#include "store/temporary.h"
#include "support.h"

TestSuite(output, .init = scratch_begin, .fini = scratch_end, .timeout = 20);

static mode_t mode_of(const char *path)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0, "%s", path);
	return st.st_mode & 07777;
}

Test(output, create_writes_a_temporary_that_publish_renames)
{
	char path[128], tmpname[256] = "";
	struct shmx_shape s = { 2, { 2, 3 } };
	struct shmx_error err = { 0 };
	struct shmx_output *o;
	struct shmx_npy_header h;
	char prefix[32];
	DIR *d;
	struct dirent *de;

	in_scratch(path, sizeof(path), "out.npy");
	cr_assert_eq(shmx_output_create(path, SHMX_I64, &s, NULL, &o, &err), 0,
		     "%s", err.msg);
	cr_expect(!path_exists(path), "visible before publish");
	cr_expect_eq(shmx_output_nbytes(o), 48);
	cr_expect_str_eq(shmx_output_target(o)->path, path);
	for (int i = 0; i < 6; i++)
		cr_expect_eq(((int64_t *)shmx_output_data(o))[i], 0);
	/* the temporary: .shmx-<pid>-<seq>-out.npy, next to the target */
	snprintf(prefix, sizeof(prefix), ".shmx-%ld-", (long)getpid());
	d = opendir(scratch_dir);
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, prefix, strlen(prefix)))
			snprintf(tmpname, sizeof(tmpname), "%s", de->d_name);
	closedir(d);
	cr_expect_eq(strlen(tmpname) > 8 &&
			     !strcmp(tmpname + strlen(tmpname) - 8, "-out.npy"),
		     1, "temporary '%s'", tmpname);
	((int64_t *)shmx_output_data(o))[5] = 55;
	cr_assert_eq(shmx_output_publish(o, &err), 0, "%s", err.msg);
	cr_expect_eq(count_own_temporaries(scratch_dir), 0);
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

Test(output, create_of_a_scalar_and_of_an_empty_array)
{
	char path[128];
	struct shmx_shape s0 = { 0 }, e = { 2, { 0, 4 } };
	struct shmx_error err = { 0 };
	struct shmx_output *o;
	struct shmx_array *a;

	in_scratch(path, sizeof(path), "s.npy");
	cr_assert_eq(shmx_output_create(path, SHMX_F32, &s0, NULL, &o, &err), 0);
	cr_expect_eq(shmx_output_nbytes(o), 4);
	*(float *)shmx_output_data(o) = 2.5f;
	cr_assert_eq(shmx_output_publish(o, &err), 0, "%s", err.msg);
	cr_assert_eq(shmx_array_open(path, NULL, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(shmx_array_shape(a)->ndim, 0);
	cr_expect_eq(*(const float *)shmx_array_data(a), 2.5f);
	shmx_array_close(a);
	in_scratch(path, sizeof(path), "e.npy");
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
	in_scratch(path, sizeof(path), name);
	umask(umask_value);
	cr_assert_eq(shmx_output_create(path, SHMX_U8, &s, &opts, &o, &err), 0,
		     "%s", err.msg);
	/* the temporary already has it: no window with a wider mode */
	d = opendir(scratch_dir);
	while ((de = readdir(d))) {
		char tp[512];

		if (strncmp(de->d_name, ".shmx-", 6))
			continue;
		snprintf(tp, sizeof(tp), "%s/%s", scratch_dir, de->d_name);
		cr_expect_eq(mode_of(tp), want, "temporary mode %o, umask %o",
			     (unsigned)mode_of(tp), (unsigned)umask_value);
	}
	closedir(d);
	cr_assert_eq(shmx_output_publish(o, &err), 0, "%s", err.msg);
	cr_expect_eq(mode_of(path), want, "mode %o (want %o) with umask %03o",
		     (unsigned)mode_of(path), (unsigned)want,
		     (unsigned)umask_value);
}

Test(output, mode_is_0600_whatever_the_umask)
{
	expect_created_mode(0, 0, 0600);
	expect_created_mode(077, 0, 0600);
	expect_created_mode(0777, 0, 0600);
	expect_created_mode(022, 0, 0600);
}

Test(output, a_given_mode_is_honoured_whatever_the_umask)
{
	expect_created_mode(077, 0640, 0640);
	expect_created_mode(0, 0640, 0640);
	expect_created_mode(0, 0444, 0444);
	expect_created_mode(0222, 0666, 0666);
}

Test(output, segments_are_0600_too)
{
	char name[64], spec[80], path[128];

	test_shm_name(name, sizeof(name), "mode");
	snprintf(spec, sizeof(spec), "shm://%s", name);
	snprintf(path, sizeof(path), "/dev/shm/%s", name);
	umask(0);
	publish_array(spec, SHMX_U8, "3", SHMX_FILL_ZEROS);
	cr_expect_eq(mode_of(path), 0600);
	unlink(path);
}

Test(output, refuses_an_existing_target_and_leaves_nothing)
{
	char path[128], msg[256], *before, *after, *content;
	struct shmx_shape s = { 1, { 3, 0 } };
	struct shmx_error err = { 0 };
	struct shmx_output *o = (struct shmx_output *)&o;
	size_t len;

	in_scratch(path, sizeof(path), "exists.npy");
	write_whole_file(path, "precious", 8);
	before = dir_snapshot(scratch_dir);
	cr_expect_eq(shmx_output_create(path, SHMX_F64, &s, NULL, &o, &err),
		     -EEXIST);
	cr_expect_eq(err.code, -EEXIST);
	snprintf(msg, sizeof(msg),
		 "%s: already exists (use --force to replace it)", path);
	cr_expect_str_eq(err.msg, msg);
	cr_expect_eq((void *)o, (void *)&o, "*out written on failure");
	after = dir_snapshot(scratch_dir);
	cr_expect_str_eq(after, before);
	content = read_whole_file(path, &len);
	cr_expect(len == 8 && !memcmp(content, "precious", 8));
	free(before);
	free(after);
	free(content);
}

Test(output, refuses_an_existing_segment_too)
{
	char name[64], spec[80], msg[256];
	struct shmx_shape s = { 1, { 3, 0 } };
	struct shmx_error err = { 0 };
	struct shmx_output *o;

	test_shm_name(name, sizeof(name), "exists");
	snprintf(spec, sizeof(spec), "shm://%s", name);
	publish_array(spec, SHMX_U8, "3", SHMX_FILL_RANGE);
	cr_expect_eq(shmx_output_create(spec, SHMX_F64, &s, NULL, &o, &err),
		     -EEXIST);
	snprintf(msg, sizeof(msg),
		 "%s: already exists (use --force to replace it)", spec);
	cr_expect_str_eq(err.msg, msg);
	shm_unlink(name);
}

Test(output, a_dangling_symlink_counts_as_existing)
{
	char path[128], gone[128];
	struct shmx_shape s = { 1, { 3, 0 } };
	struct shmx_create_opts force = { .force = 1 };
	struct shmx_error err = { 0 };
	struct shmx_output *o;
	struct stat st;

	in_scratch(path, sizeof(path), "dangling.npy");
	in_scratch(gone, sizeof(gone), "gone.npy");
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

Test(output, create_never_writes_through_a_symlink_planted_at_the_temporary)
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

	in_scratch(path, sizeof(path), "out.npy");
	write_whole_file(in_scratch(victim, sizeof(victim), "victim"), "keep", 4);
	cr_assert_eq(shmx_target_parse(path, &t, NULL), 0);
	cr_assert_eq(shmx__temp_path(&t, probe, sizeof(probe)), 0);
	base = strrchr(probe, '/') + 1;
	cr_assert_eq(sscanf(base, ".shmx-%ld-%u-", &pid, &seq), 2, "%s", base);
	snprintf(next, sizeof(next), "%s/.shmx-%ld-%u-out.npy", scratch_dir, pid,
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

Test(output, force_replaces_the_target_atomically)
{
	char path[128];
	struct shmx_shape s = { 1, { 2, 0 } };
	struct shmx_create_opts force = { .force = 1 };
	struct shmx_error err = { 0 };
	struct shmx_output *o;
	struct shmx_array *old, *now;
	struct stat st_old, st_new;

	in_scratch(path, sizeof(path), "f.npy");
	publish_array(path, SHMX_F64, "3", SHMX_FILL_RANGE);
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
	cr_expect_eq(count_own_temporaries(scratch_dir), 0);
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

	publish_array(spec, SHMX_F64, "3", SHMX_FILL_RANGE);
	if (chown(path, 65534, 65534) != 0) {
		unlink(path);
		scratch_end(); /* no fini after a skip */
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
	cr_expect_eq(count_own_temporaries(scratch_dir), 0);
	unlink(path);
}

Test(output, force_never_replaces_another_users_file)
{
	char path[128];

	in_scratch(path, sizeof(path), "theirs.npy");
	expect_not_replaced(path, path);
}

Test(output, force_never_replaces_another_users_segment)
{
	char name[64], spec[80], path[128];

	test_shm_name(name, sizeof(name), "theirs");
	snprintf(spec, sizeof(spec), "shm://%s", name);
	snprintf(path, sizeof(path), "/dev/shm/%s", name);
	expect_not_replaced(spec, path);
}

Test(output, discard_leaves_nothing)
{
	char path[128], *before, *after;
	struct shmx_shape s = { 1, { 1000, 0 } };
	struct shmx_error err = { 0 };
	struct shmx_output *o;

	before = dir_snapshot(scratch_dir);
	in_scratch(path, sizeof(path), "d.npy");
	cr_assert_eq(shmx_output_create(path, SHMX_F64, &s, NULL, &o, &err), 0);
	cr_expect_eq(count_own_temporaries(scratch_dir), 1);
	shmx_output_discard(o);
	after = dir_snapshot(scratch_dir);
	cr_expect_str_eq(after, before);
	shmx_output_discard(NULL);
	free(before);
	free(after);
}

Test(output, discard_of_a_segment_leaves_nothing_in_dev_shm)
{
	char name[64], spec[80];
	struct shmx_shape s = { 2, { 10, 10 } };
	struct shmx_output *o;

	test_shm_name(name, sizeof(name), "discard");
	snprintf(spec, sizeof(spec), "shm://%s", name);
	cr_assert_eq(shmx_output_create(spec, SHMX_F64, &s, NULL, &o, NULL), 0);
	cr_expect_eq(count_own_temporaries("/dev/shm"), 1);
	shmx_output_discard(o);
	/* the guard checks that /dev/shm is as it was */
}

Test(output, publish_refuses_a_target_created_meanwhile)
{
	char path[128], msg[256], *content;
	struct shmx_shape s = { 1, { 3, 0 } };
	struct shmx_error err = { 0 };
	struct shmx_output *o;
	size_t len;

	in_scratch(path, sizeof(path), "race.npy");
	cr_assert_eq(shmx_output_create(path, SHMX_F64, &s, NULL, &o, &err), 0);
	write_whole_file(path, "theirs", 6); /* another process won */
	cr_expect_eq(shmx_output_publish(o, &err), -EEXIST);
	cr_expect_eq(err.code, -EEXIST);
	snprintf(msg, sizeof(msg),
		 "%s: already exists (use --force to replace it)", path);
	cr_expect_str_eq(err.msg, msg);
	cr_expect_eq(count_own_temporaries(scratch_dir), 0, "temporary left behind");
	content = read_whole_file(path, &len);
	cr_expect(len == 6 && !memcmp(content, "theirs", 6), "target damaged");
	free(content);
}

Test(output, publish_with_force_replaces_a_target_created_meanwhile)
{
	char path[128];
	struct shmx_shape s = { 1, { 3, 0 } };
	struct shmx_create_opts force = { .force = 1 };
	struct shmx_error err = { 0 };
	struct shmx_output *o;
	struct shmx_array *a;

	in_scratch(path, sizeof(path), "race.npy");
	cr_assert_eq(shmx_output_create(path, SHMX_F64, &s, &force, &o, &err),
		     0);
	write_whole_file(path, "theirs", 6);
	cr_expect_eq(shmx_output_publish(o, &err), 0, "%s", err.msg);
	cr_assert_eq(shmx_array_open(path, NULL, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(shmx_array_nbytes(a), 24);
	shmx_array_close(a);
	cr_expect_eq(count_own_temporaries(scratch_dir), 0);
}

Test(output, create_in_a_missing_directory_fails_cleanly)
{
	char path[128], msg[256];
	struct shmx_shape s = { 1, { 3, 0 } };
	struct shmx_error err = { 0 };
	struct shmx_output *o;

	in_scratch(path, sizeof(path), "nodir/x.npy");
	cr_expect_eq(shmx_output_create(path, SHMX_F64, &s, NULL, &o, &err),
		     -ENOENT);
	snprintf(msg, sizeof(msg), "%s: cannot create: %s", path,
		 strerror(ENOENT));
	cr_expect_str_eq(err.msg, msg);
	expect_dir_holds(scratch_dir, "");
}

Test(output, create_refuses_a_shape_that_overflows)
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

Test(output, create_refuses_a_bad_target)
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

Test(output, a_full_tmpfs_is_a_clean_enospc)
{
	char msg[256], *left;
	struct shmx_shape big = { 1, { 256 * 1024, 0 } }, small = { 1, { 1000, 0 } };
	struct shmx_error err = { 0 };
	struct shmx_output *o;
	struct shmx_array *a;

	if (mount_private_tmpfs(scratch_dir, "1m") < 0) {
		scratch_end(); /* no fini after a skip */
		cr_skip_test("needs root and a private mount namespace");
	}
	setenv("SHMX_SHM_DIR", scratch_dir, 1);
	/* 2 MiB of f64 into 1 MiB: posix_fallocate fails now, not a SIGBUS
	 * later */
	cr_expect_eq(shmx_output_create("shm://big", SHMX_F64, &big, NULL, &o,
					&err),
		     -ENOSPC);
	cr_expect_eq(err.code, -ENOSPC);
	snprintf(msg, sizeof(msg), "shm://big: no space left in %s for %llu "
				   "bytes",
		 scratch_dir, (unsigned long long)(4096 + 8 * 256 * 1024));
	cr_expect_str_eq(err.msg, msg);
	cr_expect_eq(shmx_error_is_input(err.code), 0, "a runtime failure");
	left = dir_snapshot(scratch_dir);
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
	cr_assert_eq(umount2(scratch_dir, MNT_DETACH), 0);
}
