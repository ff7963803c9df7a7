/* tests/support.h - shared test helpers: /dev/shm snapshots, running the
 * CLI, scratch directories and files, private tmpfs mounts. */
#ifndef SHMX_TEST_SUPPORT_H
#define SHMX_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "shmx/shmx.h"

/* The names in the shm directory that carry this test process's marker
 * ("shmxt-<pid>-", see test_shm_name; temporaries of such names too), as
 * one sorted newline-joined string (caller frees).  Only our own names:
 * /dev/shm is shared with other test programs that ctest runs in parallel
 * and with anything else on the machine, whose segments come and go while
 * we look.  So every segment a test creates must be named with
 * test_shm_name.  (scripts/test checks the whole directory before and
 * after the suite.) */
char *shm_snapshot(void);
/* Every entry of dir but . and .., unfiltered, the same way (caller
 * frees). */
char *dir_snapshot(const char *dir);
/* Expect dir_snapshot(dir) to be exactly want ("a\nb\n", "" for empty). */
void expect_dir_holds(const char *dir, const char *want);
/* Criterion init/fini pair: remember /dev/shm before, assert it is the same
 * after.  Use as .init = shm_guard_begin, .fini = shm_guard_end.  The
 * directory is the one shmx_shm_dir() names at init time.  After the check
 * the fini also unlinks anything carrying this process's marker, so a
 * failing test does not leave its segments behind. */
void shm_guard_begin(void);
void shm_guard_end(void);

struct cli_result {
	int status;   /* exit code, or 128+signal */
	char out[65536];
	char err[4096];
};
/* Run the shmx binary with argv (NULL-terminated, without argv[0]).  It
 * inherits this process's environment, umask and working directory. */
void run_cli(struct cli_result *r, const char *const *argv);

/* The fixture of tests that work in a scratch directory: .init =
 * scratch_begin, .fini = scratch_end.  The init unsets $SHMX_SHM_DIR, runs
 * shm_guard_begin and makes a fresh scratch_dir under /tmp; the fini
 * removes it, unsets $SHMX_SHM_DIR again and runs shm_guard_end.
 * Criterion runs no fini after cr_skip_test: call scratch_end first. */
extern char scratch_dir[64];
void scratch_begin(void);
void scratch_end(void);
/* scratch_dir/name into buf; returns buf. */
const char *in_scratch(char *buf, size_t len, const char *name);

/* The fixture of tests that run on one generated input file: .init =
 * shm_guard_begin, .fini = gen_input_end.  gen_input makes a fresh
 * gen_dir under /tmp (a new one each call) holding gen_src =
 * gen_dir/in.npy, rows x cols of dtype t (shmx_gen -j 1, normal fill with
 * seed); it asserts on failure.  The fini removes gen_dir, pass or fail,
 * then runs shm_guard_end. */
extern char gen_dir[256], gen_src[300];
void gen_input(enum shmx_dtype t, uint64_t rows, uint64_t cols,
	       uint64_t seed);
void gen_input_end(void);

/* A fresh scratch directory under /tmp (caller removes with rm_rf). */
void make_tmpdir(char *buf, size_t len);
void rm_rf(const char *path);
/* A unique shm name for this test process: "shmxt-<pid>-<tag>". */
void test_shm_name(char *buf, size_t len, const char *tag);

/* Whole-file helpers; they assert on failure.  read_whole_file returns a
 * malloc'ed buffer with a NUL after the data (caller frees). */
void write_whole_file(const char *path, const void *data, size_t len);
char *read_whole_file(const char *path, size_t *len);
int path_exists(const char *path); /* lstat succeeds */

/* Create and publish spec holding dtype x shape ("3x5") with `fill`
 * (seed 1); asserts on failure. */
void publish_array(const char *spec, enum shmx_dtype t, const char *shape,
		   enum shmx_fill fill);
/* How many names in dir are temporaries of this process
 * (".shmx-<pid>-..."). */
int count_own_temporaries(const char *dir);
/* How many file descriptors this process has open. */
int count_open_fds(void);

/* The pid of a child that has exited and been reaped: a process that no
 * longer runs (until the kernel reuses the number, which takes a while). */
pid_t dead_pid(void);

/* Make this process's mounts private (unshare CLONE_NEWNS) and mount a
 * tmpfs of `size` ("1m") on dir.  The mount disappears with the process.
 * 0, or -1 when that is not possible here (not root, no CAP_SYS_ADMIN,
 * no mount namespaces): the caller skips. */
int mount_private_tmpfs(const char *dir, const char *size);

#endif
