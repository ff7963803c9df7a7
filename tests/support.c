/* tests/support.c - helpers shared by the Criterion tests. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shmx/target.h"
#include "support.h"

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *shm_snapshot(void)
{
	DIR *d = opendir(shmx_shm_dir());
	struct dirent *de;
	char *names[4096], *out, mine[64];
	size_t n = 0, len = 1;

	/* only this test's names (and temporaries made for them): other
	 * tests run at the same time */
	test_shm_name(mine, sizeof(mine), "");

	cr_assert(d, "cannot open the shm directory");
	while ((de = readdir(d)) && n < 4096) {
		if (!strstr(de->d_name, mine))
			continue;
		names[n] = strdup(de->d_name);
		len += strlen(de->d_name) + 1;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp);
	out = calloc(1, len);
	for (size_t i = 0; i < n; i++) {
		strcat(out, names[i]);
		strcat(out, "\n");
		free(names[i]);
	}
	return out;
}

static char *guard_before;

void shm_guard_begin(void)
{
	guard_before = shm_snapshot();
}

void shm_guard_end(void)
{
	char *after = shm_snapshot();

	cr_expect_str_eq(after, guard_before, "the shm directory changed");
	free(after);
	free(guard_before);
	guard_before = NULL;
}

/* Read all of fd into buf (at most len-1 bytes, the rest is drained). */
static void slurp(int fd, char *buf, size_t len)
{
	size_t n = 0;
	char sink[4096];
	ssize_t k;

	for (;;) {
		if (n + 1 < len)
			k = read(fd, buf + n, len - 1 - n);
		else
			k = read(fd, sink, sizeof(sink));
		if (k <= 0)
			break;
		if (n + 1 < len)
			n += (size_t)k;
	}
	buf[n] = '\0';
	close(fd);
}

void run_cli(struct cli_result *r, const char *const *argv)
{
	const char *args[64] = { SHMX_BIN };
	int out[2], err[2], st;
	pid_t pid;
	size_t i;

	for (i = 0; argv[i] && i < 62; i++)
		args[i + 1] = argv[i];
	args[i + 1] = NULL;
	cr_assert(pipe(out) == 0 && pipe(err) == 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(err[0]);
		execv(SHMX_BIN, (char *const *)args);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	/* stderr is small; read stdout first, then stderr */
	slurp(out[0], r->out, sizeof(r->out));
	slurp(err[0], r->err, sizeof(r->err));
	waitpid(pid, &st, 0);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void make_tmpdir(char *buf, size_t len)
{
	snprintf(buf, len, "/tmp/shmx-test-XXXXXX");
	cr_assert(mkdtemp(buf));
}

static int rm_one(const char *p, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void test_shm_name(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "shmxt-%ld-%s", (long)getpid(), tag);
}
