/* tests/support.h - shared test helpers: /dev/shm snapshots, running the
 * CLI, scratch directories. */
#ifndef SHMX_TEST_SUPPORT_H
#define SHMX_TEST_SUPPORT_H

#include <stddef.h>

/* This test process's names in the shm directory right now (those
 * containing test_shm_name(..., "")), and temporaries made for them, as one
 * sorted newline-joined string (caller frees).  scripts/test checks the
 * whole directory before and after the suite. */
char *shm_snapshot(void);
/* Criterion init/fini pair: remember /dev/shm before, assert it is the same
 * after.  Use as .init = shm_guard_begin, .fini = shm_guard_end. */
void shm_guard_begin(void);
void shm_guard_end(void);

struct cli_result {
	int status;   /* exit code, or 128+signal */
	char out[65536];
	char err[4096];
};
/* Run the shmx binary with argv (NULL-terminated, without argv[0]). */
void run_cli(struct cli_result *r, const char *const *argv);

/* A fresh scratch directory under /tmp (caller removes with rm_rf). */
void make_tmpdir(char *buf, size_t len);
void rm_rf(const char *path);
/* A unique shm name for this test process: "shmxt-<pid>-<tag>". */
void test_shm_name(char *buf, size_t len, const char *tag);

#endif
