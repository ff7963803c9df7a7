/* tests/support.c - helpers shared by the Criterion tests (support.h). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shmx/shmx.h"
#include "support.h"

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 1 when name carries this test process's marker "shmxt-<pid>-": every
 * segment a test creates, and every temporary shmx makes for one. */
static int ours(const char *name)
{
	char mark[32];

	snprintf(mark, sizeof(mark), "shmxt-%ld-", (long)getpid());
	return strstr(name, mark) != NULL;
}

static char *snapshot(const char *dir, int filter)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL, *out;
	size_t n = 0, cap = 0, len = 1;

	cr_assert(d, "cannot open %s", dir);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (filter && !ours(de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			names = realloc(names, cap * sizeof(*names));
			cr_assert(names);
		}
		names[n] = strdup(de->d_name);
		len += strlen(de->d_name) + 1;
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp);
	out = calloc(1, len);
	cr_assert(out);
	for (size_t i = 0; i < n; i++) {
		strcat(out, names[i]);
		strcat(out, "\n");
		free(names[i]);
	}
	free(names);
	return out;
}

char *shm_snapshot(void)
{
	return snapshot(shmx_shm_dir(), 1);
}

char *dir_snapshot(const char *dir)
{
	return snapshot(dir, 0);
}

void expect_dir_holds(const char *dir, const char *want)
{
	char *now = snapshot(dir, 0);

	cr_expect_str_eq(now, want, "%s holds:\n%s", dir, now);
	free(now);
}

static char *guard_before, *guard_dir;

/* After a failed test: remove what this process's tests left in dir, so
 * that a failure is reported once and /dev/shm is still left clean. */
static void remove_ours(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[4096];

	if (!d)
		return;
	while ((de = readdir(d)))
		if (ours(de->d_name)) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	closedir(d);
}

void shm_guard_begin(void)
{
	guard_dir = strdup(shmx_shm_dir());
	guard_before = snapshot(guard_dir, 1);
}

void shm_guard_end(void)
{
	char *after = snapshot(guard_dir, 1);

	cr_expect_str_eq(after, guard_before, "the shm directory %s changed",
			 guard_dir);
	remove_ours(guard_dir);
	free(after);
	free(guard_before);
	free(guard_dir);
	guard_before = guard_dir = NULL;
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
	fflush(NULL); /* nothing buffered may be written twice */
	cr_assert(pipe(out) == 0 && pipe(err) == 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		/* a test that times out must not leave a hung shmx behind */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
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

char scratch_dir[64];

void scratch_begin(void)
{
	unsetenv("SHMX_SHM_DIR");
	shm_guard_begin();
	make_tmpdir(scratch_dir, sizeof(scratch_dir));
}

void scratch_end(void)
{
	if (scratch_dir[0])
		rm_rf(scratch_dir);
	scratch_dir[0] = '\0';
	unsetenv("SHMX_SHM_DIR");
	shm_guard_end();
}

const char *in_scratch(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", scratch_dir, name);
	return buf;
}

char gen_dir[256], gen_src[300];

void gen_input(enum shmx_dtype t, uint64_t rows, uint64_t cols,
	       uint64_t seed)
{
	struct shmx_shape s = { .ndim = 2, .dim = { rows, cols } };
	struct shmx_run_opts o = { .workers = 1 };
	struct shmx_error err = { 0 };

	make_tmpdir(gen_dir, sizeof(gen_dir));
	snprintf(gen_src, sizeof(gen_src), "%s/in.npy", gen_dir);
	cr_assert_eq(shmx_gen(gen_src, t, &s, SHMX_FILL_NORMAL, seed, &o, NULL,
			      &err),
		     0, "%s", err.msg);
}

void gen_input_end(void)
{
	if (gen_dir[0])
		rm_rf(gen_dir);
	shm_guard_end();
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

void write_whole_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	cr_assert(fd >= 0, "cannot create %s", path);
	cr_assert(write(fd, data, len) == (ssize_t)len, "short write to %s",
		  path);
	close(fd);
}

char *read_whole_file(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	cr_assert(fd >= 0, "cannot open %s", path);
	cr_assert(fstat(fd, &st) == 0);
	buf = malloc((size_t)st.st_size + 1);
	cr_assert(buf);
	cr_assert(read(fd, buf, (size_t)st.st_size) == st.st_size,
		  "short read of %s", path);
	buf[st.st_size] = '\0';
	close(fd);
	if (len)
		*len = (size_t)st.st_size;
	return buf;
}

int path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

void publish_array(const char *spec, enum shmx_dtype t, const char *shape,
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

int count_own_temporaries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char prefix[32];
	int n = 0;

	cr_assert(d, "cannot open %s", dir);
	snprintf(prefix, sizeof(prefix), ".shmx-%ld-", (long)getpid());
	while ((de = readdir(d)))
		n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

int count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	cr_assert(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3; /* ".", ".." and the DIR's own */
}

pid_t dead_pid(void)
{
	pid_t pid = fork();
	int st;

	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(0);
	cr_assert(waitpid(pid, &st, 0) == pid);
	return pid;
}

int mount_private_tmpfs(const char *dir, const char *size)
{
	char opts[64];

	if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0)
		return -1;
	/* without this a mount under a shared parent would propagate back to
	 * the host's namespace */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -1;
	snprintf(opts, sizeof(opts), "size=%s,mode=1777", size);
	return mount("tmpfs", dir, "tmpfs", 0, opts) < 0 ? -1 : 0;
}
