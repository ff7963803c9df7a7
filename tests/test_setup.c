/* tests/test_setup.c - engine/io/setup.c, the set-up that the stream
 * reader and the streamed writer share: the O_DIRECT reopen (a file
 * description of its own, on a disk in /var/tmp; the refusal on ramfs,
 * and on tmpfs where the kernel refuses it; the EMFILE fault site), the
 * filesystem's direct-I/O alignment, the ring (a NOP through it, the
 * -ENOSYS fault site), what explains a ring failure, the buffers
 * (alignment, an allocation failing half-way, registration and a fixed
 * read, its fault site), the owner check across fork, and the fault-spec
 * parsing.  Tests that need the SHMX_FAULT hooks skip in builds without
 * them.
 *
 * Files live in a scratch directory under /var/tmp (a disk here: /tmp
 * may be a tmpfs), and one file in /dev/shm; teardown removes both.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fault.h"
#include "base/internal.h"
#include "io/setup.h"
#include "support.h"

#define FILE_BYTES 16384u

static char dir[64];
static char shm_path[256];
static char ram_dir[128];

static void setup(void)
{
	unsetenv("SHMX_FAULT");
	snprintf(dir, sizeof(dir), "/var/tmp/shmx-test-XXXXXX");
	cr_assert(mkdtemp(dir), "mkdtemp in /var/tmp: %s", strerror(errno));
}

static void teardown(void)
{
	unsetenv("SHMX_FAULT");
	if (ram_dir[0])
		umount2(ram_dir, MNT_DETACH);
	ram_dir[0] = 0;
	if (dir[0])
		rm_rf(dir);
	dir[0] = 0;
	if (shm_path[0])
		unlink(shm_path);
	shm_path[0] = 0;
}

TestSuite(setup, .init = setup, .fini = teardown, .timeout = 60);

/* Criterion runs no .fini after cr_skip_test: clean up first. */
#define skip_test(...)                        \
	do {                                  \
		teardown();                   \
		cr_skip_test(__VA_ARGS__);    \
	} while (0)

static unsigned char byte_at(uint64_t k)
{
	return (unsigned char)((k * UINT64_C(0x9E3779B97F4A7C15)) >> 56);
}

/* A file of FILE_BYTES of the pattern at path, opened O_RDONLY. */
static int pattern_file(const char *path)
{
	static unsigned char data[FILE_BYTES];
	int fd;

	for (uint64_t k = 0; k < FILE_BYTES; k++)
		data[k] = byte_at(k);
	write_whole_file(path, data, sizeof(data));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
	return fd;
}

/* A pattern file in the scratch directory; skips where that is no disk. */
static int disk_file(void)
{
	char path[128];
	struct statfs sf;

	cr_assert_eq(statfs(dir, &sf), 0);
	if (sf.f_type == TMPFS_MAGIC || sf.f_type == RAMFS_MAGIC)
		skip_test("/var/tmp is not on a disk filesystem (O_DIRECT)");
	snprintf(path, sizeof(path), "%s/t.bin", dir);
	return pattern_file(path);
}

static void need_hooks(void)
{
	if (!shmx__fault_enabled())
		skip_test("built without SHMX_FAULT_INJECTION");
}

/* Expect buf[0..len) to be the file's bytes from off. */
static void expect_pattern(const unsigned char *buf, uint64_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		cr_assert_eq(buf[i], byte_at(off + i), "byte %zu of a read at %ju",
			     i, (uintmax_t)off);
}

/* A ring, or a skip where the system has none for us. */
/* One fixed read of len bytes at off into io's buffer b (its table index
 * b), waited for: its result (bytes, or -errno). */
static int fixed_read(struct shmx__io *io, unsigned b, unsigned len,
		      uint64_t off)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&io->ring);
	uint64_t tag;
	int res;

	io_uring_prep_read_fixed(sqe, io->direct_fd, io->buf[b], len, off,
				 (int)b);
	io_uring_sqe_set_data64(sqe, b);
	cr_assert_eq(io_uring_submit_and_wait(&io->ring, 1), 1);
	cr_assert(shmx__io_take(io, &tag, &res));
	cr_assert_eq(tag, b);
	return res;
}

static void ring_or_skip(struct shmx__io *io, unsigned entries)
{
	int rc = shmx__io_ring_init(io, entries);

	if (rc == -ENOSYS || rc == -EPERM)
		skip_test("no io_uring here: %s", strerror(-rc));
	cr_assert_eq(rc, 0, "io_uring: %s", strerror(-rc));
	cr_assert(io->uring);
}

/* ---- O_DIRECT ---------------------------------------------------------- */

Test(setup, reopen_direct_gives_a_file_description_of_its_own)
{
	int fd = disk_file();
	struct shmx__io io;
	unsigned char *buf = aligned_alloc(4096, 4096);
	int dfd;

	shmx__io_init(&io);
	cr_assert_eq(io.direct_fd, -1);
	dfd = shmx__io_reopen_direct(&io, fd, O_RDONLY, NULL);
	cr_assert(dfd >= 0, "O_DIRECT on a disk: %s", strerror(errno));
	cr_assert_eq(io.direct_fd, dfd);
	cr_assert_neq(dfd, fd);
	cr_assert(fcntl(dfd, F_GETFL) & O_DIRECT);
	cr_assert(fcntl(dfd, F_GETFD) & FD_CLOEXEC);
	cr_assert_eq(fcntl(fd, F_GETFL) & O_DIRECT, 0, "the caller's changed");
	/* its own offset too: reading one moves only its own */
	cr_assert_eq(read(dfd, buf, 4096), 4096);
	cr_assert_eq(lseek(fd, 0, SEEK_CUR), 0);
	expect_pattern(buf, 0, 4096);
	cr_assert_eq(pread(dfd, buf, 4096, 8192), 4096);
	expect_pattern(buf, 8192, 4096);
	shmx__io_close(&io, false);
	cr_assert_eq(io.direct_fd, -1);
	cr_assert_eq(fcntl(dfd, F_GETFD), -1, "direct_fd left open");
	free(buf);
	close(fd);
}

Test(setup, reopen_direct_for_writing_writes_aligned_blocks)
{
	int fd = disk_file(), wfd;
	char path[128];
	struct shmx__io io;
	unsigned char *buf = aligned_alloc(4096, 4096), back[4096];

	close(fd);
	snprintf(path, sizeof(path), "%s/t.bin", dir);
	wfd = open(path, O_RDWR | O_CLOEXEC);
	cr_assert(wfd >= 0);
	shmx__io_init(&io);
	cr_assert(shmx__io_reopen_direct(&io, wfd, O_WRONLY, NULL) >= 0,
		  "%s", strerror(errno));
	cr_assert_eq(fcntl(io.direct_fd, F_GETFL) & O_ACCMODE, O_WRONLY);
	memset(buf, 0x5a, 4096);
	cr_assert_eq(pwrite(io.direct_fd, buf, 4096, 4096), 4096);
	cr_assert_eq(pread(wfd, back, sizeof(back), 4096), 4096);
	cr_assert_eq(memcmp(back, buf, 4096), 0);
	shmx__io_close(&io, false);
	free(buf);
	close(wfd);
}

Test(setup, reopen_direct_on_tmpfs_works_or_says_einval)
{
	char name[128];
	struct shmx__io io;
	uint64_t a, mem;
	int fd, dfd;

	test_shm_name(name, sizeof(name), "setup");
	snprintf(shm_path, sizeof(shm_path), "/dev/shm/%s", name);
	fd = pattern_file(shm_path);
	shmx__io_init(&io);
	/* Linux 6.6 and later give tmpfs O_DIRECT; before, open refuses it */
	dfd = shmx__io_reopen_direct(&io, fd, O_RDONLY, NULL);
	cr_assert(dfd >= 0 || errno == EINVAL, "%s", strerror(errno));
	cr_assert_eq(io.direct_fd, dfd);
	a = shmx__io_direct_align(fd, &mem);
	cr_assert(a == 0 || a % SHMX__IO_DIRECT_ALIGN == 0, "%ju", (uintmax_t)a);
	cr_assert_geq(mem, SHMX__IO_DIRECT_ALIGN);
	shmx__io_close(&io, false);
	close(fd);
}

Test(setup, reopen_direct_on_ramfs_is_refused_with_einval)
{
	char path[256];
	struct shmx__io io;
	uint64_t a, mem;
	int fd;

	/* ramfs has no O_DIRECT; mount one in a private namespace (this
	 * test's process only) */
	snprintf(ram_dir, sizeof(ram_dir), "%s/ram", dir);
	cr_assert_eq(mkdir(ram_dir, 0700), 0);
	if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("ramfs", ram_dir, "ramfs", 0, NULL) < 0) {
		ram_dir[0] = 0;
		skip_test("needs root and a private mount namespace");
	}
	snprintf(path, sizeof(path), "%s/t.bin", ram_dir);
	fd = pattern_file(path);
	shmx__io_init(&io);
	errno = 0;
	cr_assert_eq(shmx__io_reopen_direct(&io, fd, O_RDONLY, NULL), -1);
	cr_assert_eq(errno, EINVAL, "%s", strerror(errno));
	cr_assert_eq(io.direct_fd, -1);
	/* the kernel may not say (then the open decides, as here) */
	a = shmx__io_direct_align(fd, &mem);
	cr_assert(a == 0 || a == SHMX__IO_DIRECT_ALIGN, "%ju", (uintmax_t)a);
	shmx__io_close(&io, false);
	close(fd);
}

Test(setup, reopen_direct_fails_with_emfile_at_its_fault_site_only)
{
	int fd = disk_file();
	struct shmx__io io;

	need_hooks();
	shmx__io_init(&io);
	cr_assert_eq(setenv("SHMX_FAULT", "open-input:1", 1), 0);
	/* no site given: not counted, not failed */
	cr_assert(shmx__io_reopen_direct(&io, fd, O_RDONLY, NULL) >= 0);
	shmx__io_close(&io, false);
	shmx__io_init(&io);
	errno = 0;
	cr_assert_eq(shmx__io_reopen_direct(&io, fd, O_RDONLY, "open-input"), -1);
	cr_assert_eq(errno, EMFILE);
	cr_assert_eq(io.direct_fd, -1);
	/* the second call at the site is not the first */
	cr_assert(shmx__io_reopen_direct(&io, fd, O_RDONLY, "open-input") >= 0);
	shmx__io_close(&io, false);
	close(fd);
}

Test(setup, direct_align_on_a_disk_is_a_multiple_of_a_block)
{
	int fd = disk_file();
	uint64_t mem = 0, a = shmx__io_direct_align(fd, &mem);

	cr_assert_geq(a, SHMX__IO_DIRECT_ALIGN);
	cr_assert_eq(a % SHMX__IO_DIRECT_ALIGN, 0, "%ju", (uintmax_t)a);
	cr_assert_geq(mem, SHMX__IO_DIRECT_ALIGN);
	cr_assert_eq(mem & (mem - 1), 0, "memory alignment %ju", (uintmax_t)mem);
	close(fd);
}

/* ---- the ring ---------------------------------------------------------- */

Test(setup, ring_init_gives_a_ring_that_completes_a_nop)
{
	struct shmx__io io;
	struct io_uring_sqe *sqe;
	uint64_t tag = 0;
	int res = -1;

	shmx__io_init(&io);
	ring_or_skip(&io, 4);
	cr_assert_not(shmx__io_take(&io, &tag, &res), "a completion from nowhere");
	sqe = io_uring_get_sqe(&io.ring);
	cr_assert(sqe);
	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data64(sqe, 42);
	cr_assert_eq(io_uring_submit_and_wait(&io.ring, 1), 1);
	cr_assert(shmx__io_take(&io, &tag, &res));
	cr_assert_eq(tag, 42);
	cr_assert_eq(res, 0);
	cr_assert_not(shmx__io_take(&io, &tag, &res), "taken twice");
	shmx__io_close(&io, false);
	cr_assert_eq(io.uring, 0);
}

Test(setup, ring_init_fails_with_enosys_at_the_fault_site)
{
	struct shmx__io io;

	need_hooks();
	shmx__io_init(&io);
	cr_assert_eq(setenv("SHMX_FAULT", "uring-setup:1", 1), 0);
	cr_assert_eq(shmx__io_ring_init(&io, 4), -ENOSYS);
	cr_assert_eq(io.uring, 0);
	shmx__io_close(&io, false); /* nothing to tear down */
	ring_or_skip(&io, 4);       /* the second call is not failed */
	shmx__io_close(&io, false);
}

/* The system-wide switch, read as ring_why reads it. */
static int uring_disabled(void)
{
	FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "re");
	int v = 0;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

Test(setup, ring_why_names_the_switch_or_the_memlock_limit)
{
	struct rlimit rl, low;
	char why[64], want[64];
	int v = uring_disabled();

	cr_assert_eq(getrlimit(RLIMIT_MEMLOCK, &rl), 0);
	low = rl;
	low.rlim_cur = 64 << 10;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < low.rlim_cur)
		low.rlim_cur = rl.rlim_max;
	cr_assert_eq(setrlimit(RLIMIT_MEMLOCK, &low), 0);
	snprintf(want, sizeof(want), " (memlock %ju KiB)",
		 (uintmax_t)low.rlim_cur >> 10);
	if (v)
		snprintf(want, sizeof(want), " (io_uring_disabled=%d)", v);
	cr_assert_str_eq(shmx__io_ring_why(why, sizeof(why), -ENOMEM), want);
	/* memlock explains ENOMEM only */
	cr_assert_str_eq(shmx__io_ring_why(why, sizeof(why), -ENOSYS),
			 v ? want : "");
	low.rlim_cur = RLIM_INFINITY;
	if (rl.rlim_max == RLIM_INFINITY && !v) {
		cr_assert_eq(setrlimit(RLIMIT_MEMLOCK, &low), 0);
		cr_assert_str_eq(shmx__io_ring_why(why, sizeof(why), -ENOMEM), "");
	}
	cr_assert_eq(setrlimit(RLIMIT_MEMLOCK, &rl), 0);
}

/* ---- buffers ----------------------------------------------------------- */

Test(setup, bufs_alloc_gives_distinct_aligned_buffers)
{
	static const size_t aligns[] = { 4096, 65536 };
	struct shmx__io io;

	for (size_t k = 0; k < 2; k++) {
		shmx__io_init(&io);
		cr_assert_eq(shmx__io_bufs_alloc(&io, 5, aligns[k], 10000), 0);
		cr_assert_eq(io.nbufs, 5);
		cr_assert_eq(io.buf_bytes, 10000);
		for (unsigned i = 0; i < 5; i++) {
			cr_assert(io.buf[i]);
			cr_assert_eq((uintptr_t)io.buf[i] % aligns[k], 0);
			memset(io.buf[i], (int)i, 10000);
		}
		for (unsigned i = 0; i < 5; i++)
			cr_assert(io.buf[i][0] == i && io.buf[i][9999] == i,
				  "buffer %u overlaps another", i);
		shmx__io_close(&io, false);
		cr_assert_eq(io.nbufs, 0);
	}
	shmx__io_init(&io);
	cr_assert_eq(shmx__io_bufs_alloc(&io, SHMX__IO_BUFS_MAX + 1, 4096, 64),
		     -EINVAL);
	shmx__io_close(&io, false);
}

/* The VmFlags of the mapping holding p (/proc/self/smaps), "" if none. */
static void vm_flags(const void *p, char *flags, size_t n)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	int in = 0;

	flags[0] = '\0';
	cr_assert(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, ' ') &&
		    !strncmp(strchr(line, ' ') + 1, "rw", 2))
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
		else if (in && !strncmp(line, "VmFlags:", 8)) {
			snprintf(flags, n, "%s", line + 8);
			break;
		}
	}
	fclose(f);
}

Test(setup, big_bufs_are_2_mib_aligned_pages_advised_huge)
{
	const size_t big = (4u << 20) + 4096; /* a 4 MiB chunk's read, padded */
	struct shmx__io io;
	char flags[512];

	shmx__io_init(&io);
	cr_assert_eq(shmx__io_bufs_alloc(&io, 3, 4096, big), 0);
	for (unsigned i = 0; i < 3; i++) {
		cr_assert_eq((uintptr_t)io.buf[i] % (2u << 20), 0);
		memset(io.buf[i], (int)i + 1, big);
	}
	for (unsigned i = 0; i < 3; i++)
		cr_assert(io.buf[i][0] == i + 1 && io.buf[i][big - 1] == i + 1,
			  "buffer %u overlaps another", i);
	vm_flags(io.buf[0], flags, sizeof(flags));
	if (access("/sys/kernel/mm/transparent_hugepage", F_OK) == 0)
		cr_assert(strstr(flags, " hg"), "not advised huge: %s", flags);
	shmx__io_close(&io, false);
	cr_assert_eq(io.nbufs, 0);
}

Test(setup, pages_alloc_refuses_nothing_and_sizes_past_size_max)
{
	errno = 0;
	cr_assert_null(shmx__pages_alloc(0));
	cr_assert_eq(errno, ENOMEM);
	errno = 0;
	cr_assert_null(shmx__pages_alloc(SIZE_MAX - 4096));
	cr_assert_eq(errno, ENOMEM);
	errno = 0;
	cr_assert_null(shmx__pages_alloc(SIZE_MAX));
	cr_assert_eq(errno, ENOMEM);
	shmx__pages_free(NULL, 4096); /* ignored */
}

/* In a child whose address space may grow by 16 MiB only: a 64 MiB
 * buffer's mapping is refused, and that is ENOMEM (0 when it was). */
static int pages_past_the_address_limit(void)
{
	struct shmx__io io;
	struct rlimit rl;
	unsigned long pages;
	FILE *f = fopen("/proc/self/statm", "re");

	if (!f || fscanf(f, "%lu", &pages) != 1)
		return 1;
	fclose(f);
	rl.rlim_cur = rl.rlim_max = pages * 4096 + (16u << 20);
	if (setrlimit(RLIMIT_AS, &rl))
		return 2;
	errno = 0;
	if (shmx__pages_alloc(64u << 20) || errno != ENOMEM)
		return 3;
	shmx__io_init(&io);
	if (shmx__io_bufs_alloc(&io, 2, 4096, 64u << 20) != -ENOMEM || io.buf[0])
		return 4;
	shmx__io_close(&io, false);
	return 0;
}

Test(setup, big_bufs_past_the_address_limit_are_enomem)
{
	int status;
	pid_t pid;

#if defined(__SANITIZE_ADDRESS__)
	skip_test("AddressSanitizer's own mappings need the address space");
#endif
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(pages_past_the_address_limit());
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "child: status %d", status);
}

Test(setup, big_bufs_failing_half_way_free_the_rest_at_close)
{
	struct shmx__io io;

	need_hooks();
	shmx__io_init(&io);
	cr_assert_eq(setenv("SHMX_FAULT", "alloc:2", 1), 0);
	cr_assert_eq(shmx__io_bufs_alloc(&io, 3, 4096, 2u << 20), -ENOMEM);
	cr_assert(io.buf[0]);
	cr_assert_null(io.buf[1]);
	shmx__io_close(&io, false); /* valgrind and ASan: nothing left mapped */
}

Test(setup, bufs_alloc_failing_half_way_frees_the_rest_at_close)
{
	struct shmx__io io;

	need_hooks();
	shmx__io_init(&io);
	cr_assert_eq(setenv("SHMX_FAULT", "alloc:3", 1), 0);
	cr_assert_eq(shmx__io_bufs_alloc(&io, 4, 4096, 8192), -ENOMEM);
	cr_assert(io.buf[0] && io.buf[1]);
	cr_assert_null(io.buf[2]);
	shmx__io_close(&io, false); /* ASan builds: no leak */
}

Test(setup, registered_buffers_take_a_fixed_read)
{
	int fd = disk_file();
	struct shmx__io io;
	int res, rc;

	shmx__io_init(&io);
	ring_or_skip(&io, 2);
	cr_assert_eq(shmx__io_bufs_alloc(&io, 2, 4096, 8192), 0);
	rc = shmx__io_bufs_register(&io);
	if (rc == -ENOMEM) {
		shmx__io_close(&io, false);
		close(fd);
		skip_test("memlock too low to register 16 KiB");
	}
	cr_assert_eq(rc, 0, "%s", strerror(-rc));
	cr_assert(io.registered);
	cr_assert(shmx__io_reopen_direct(&io, fd, O_RDONLY, NULL) >= 0);
	res = fixed_read(&io, 1, 8192, 4096);
	cr_assert_eq(res, 8192, "%s", res < 0 ? strerror(-res) : "short");
	expect_pattern(io.buf[1], 4096, 8192);
	shmx__io_close(&io, false);
	cr_assert_eq(io.registered, 0);
	close(fd);
}

Test(setup, lazily_registered_buffers_are_pinned_one_at_a_time_and_take_a_fixed_read)
{
	int fd = disk_file();
	struct shmx__io io;
	int res, rc;

	shmx__io_init(&io);
	ring_or_skip(&io, 2);
	cr_assert_eq(shmx__io_bufs_alloc(&io, 2, 4096, 8192), 0);
	rc = shmx__io_bufs_register_lazy(&io);
	if (rc == -EINVAL) {
		shmx__io_close(&io, false);
		close(fd);
		skip_test("no sparse buffer tables in this kernel");
	}
	cr_assert_eq(rc, 0, "%s", strerror(-rc));
	cr_assert(io.registered && io.lazy);
	cr_assert(!io.pinned[0] && !io.pinned[1]);
	rc = shmx__io_buf_pin(&io, 1);
	if (rc == -ENOMEM) {
		shmx__io_close(&io, false);
		close(fd);
		skip_test("memlock too low to register 8 KiB");
	}
	cr_assert_eq(rc, 0, "%s", strerror(-rc));
	cr_assert(io.pinned[1] && !io.pinned[0]);
	cr_assert_eq(shmx__io_buf_pin(&io, 1), 0); /* pinned once */
	cr_assert(shmx__io_reopen_direct(&io, fd, O_RDONLY, NULL) >= 0);
	res = fixed_read(&io, 1, 8192, 4096);
	cr_assert_eq(res, 8192, "%s", res < 0 ? strerror(-res) : "short");
	expect_pattern(io.buf[1], 4096, 8192);
	/* buffer 0 is not in the table yet: the kernel refuses a fixed read */
	cr_assert_lt(fixed_read(&io, 0, 4096, 0), 0);
	shmx__io_close(&io, false);
	cr_assert_eq(io.registered + io.lazy, 0);
	close(fd);
}

Test(setup, lazy_registering_fails_at_its_fault_site)
{
	struct shmx__io io;

	need_hooks();
	shmx__io_init(&io);
	ring_or_skip(&io, 2);
	cr_assert_eq(shmx__io_bufs_alloc(&io, 2, 4096, 4096), 0);
	cr_assert_eq(setenv("SHMX_FAULT", "uring-register:1", 1), 0);
	cr_assert_eq(shmx__io_bufs_register_lazy(&io), -ENOMEM);
	unsetenv("SHMX_FAULT");
	cr_assert_eq(io.registered + io.lazy, 0);
	cr_assert_eq(shmx__io_buf_pin(&io, 0), -ENOENT); /* plain buffers */
	shmx__io_close(&io, false);
}

Test(setup, bufs_register_fails_at_its_fault_sites)
{
	static const char *const faults[] = { "uring-register:1", "alloc:1" };
	struct shmx__io io;

	need_hooks();
	for (size_t k = 0; k < 2; k++) {
		shmx__io_init(&io);
		ring_or_skip(&io, 2);
		cr_assert_eq(shmx__io_bufs_alloc(&io, 2, 4096, 4096), 0);
		/* alloc:1 fails the iovec array, before the kernel sees any */
		cr_assert_eq(setenv("SHMX_FAULT", faults[k], 1), 0);
		cr_assert_eq(shmx__io_bufs_register(&io), -ENOMEM, "%s", faults[k]);
		cr_assert_eq(io.registered, 0);
		unsetenv("SHMX_FAULT");
		shmx__io_close(&io, false);
	}
}

/* ---- the owner, fault specs --------------------------------------------- */

Test(setup, an_io_belongs_to_the_process_that_made_it)
{
	struct shmx__io io;
	int status;
	pid_t pid;

	shmx__io_init(&io);
	cr_assert(shmx__io_mine(&io));
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(shmx__io_mine(&io) ? 1 : 0);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "a forked child took the io for its own");
	shmx__io_close(&io, false);
}

Test(setup, fault_parse_reads_the_short_cap_and_the_failing_site)
{
	static const struct shmx__fault_code fails[] = {
		{ "t-eio", -EIO },
		{ "t-enospc", -ENOSPC },
	};
	static const struct {
		const char *spec;
		struct shmx__io_fault want;
	} cases[] = {
		{ "t-short:100", { .short_cap = 100 } },
		{ "t-eio:3", { .fail_at = 3, .fail_code = -EIO } },
		{ "t-enospc:2:persist",
		  { .fail_at = 2, .fail_code = -ENOSPC, .persist = true } },
		{ "other-eio:1", { 0 } },
	};
	struct shmx__io_fault f;

	shmx__io_fault_parse(&f, "t-short", fails, 2);
	cr_assert(!f.short_cap && !f.fail_at && !f.fail_code && !f.persist);
	need_hooks();
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		cr_assert_eq(setenv("SHMX_FAULT", cases[i].spec, 1), 0);
		memset(&f, 0xff, sizeof(f));
		shmx__io_fault_parse(&f, "t-short", fails, 2);
		cr_assert(f.short_cap == cases[i].want.short_cap &&
			  f.fail_at == cases[i].want.fail_at &&
			  f.fail_code == cases[i].want.fail_code &&
			  f.persist == cases[i].want.persist,
			  "%s: cap %ju at %ju code %d persist %d", cases[i].spec,
			  (uintmax_t)f.short_cap, (uintmax_t)f.fail_at,
			  f.fail_code, f.persist);
	}
}
