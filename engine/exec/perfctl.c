/* engine/exec/perfctl.c - the perf stat --control protocol (see
 * perfctl.h): opening its FIFOs, enable/disable with their acks, and the
 * futex gate the workers wait at until the counters are on. */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exec/perfctl.h"
#include "base/internal.h"

static int open_fifo(const char *path, int flags, struct shmx_error *err)
{
	struct stat st;
	int fd;

	if (stat(path, &st) < 0)
		return shmx__fail(err, SHMX_EUSAGE, "--perf-ctl: %s: %s", path,
				  strerror(errno));
	if (!S_ISFIFO(st.st_mode))
		return shmx__fail(err, SHMX_EUSAGE,
				  "--perf-ctl: %s is not a FIFO (mkfifo it and "
				  "give it to perf stat --control fifo:...)",
				  path);
	/* blocks until perf has its end open, which it does before it
	 * starts the command */
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return shmx__fail(err, SHMX_EUSAGE, "--perf-ctl: %s: %s", path,
				  strerror(errno));
	return fd;
}

int shmx__perf_ctl_open(const char *spec, struct shmx__perf_ctl *pc,
			struct shmx_error *err)
{
	char ctl[4096];
	const char *comma = strchr(spec, ',');
	size_t n = comma ? (size_t)(comma - spec) : strlen(spec);
	int fd;

	pc->ctl_fd = pc->ack_fd = -1;
	if (n == 0 || n >= sizeof(ctl) || (comma && !comma[1]))
		return shmx__fail(err, SHMX_EUSAGE,
				  "--perf-ctl: give CTL_FIFO[,ACK_FIFO]");
	memcpy(ctl, spec, n);
	ctl[n] = '\0';
	fd = open_fifo(ctl, O_WRONLY, err);
	if (fd < 0)
		return fd;
	pc->ctl_fd = fd;
	if (comma) {
		fd = open_fifo(comma + 1, O_RDONLY, err);
		if (fd < 0) {
			shmx__perf_ctl_close(pc);
			return fd;
		}
		pc->ack_fd = fd;
	}
	return 0;
}

void shmx__perf_ctl_close(struct shmx__perf_ctl *pc)
{
	if (pc->ctl_fd >= 0)
		close(pc->ctl_fd);
	if (pc->ack_fd >= 0)
		close(pc->ack_fd);
	pc->ctl_fd = pc->ack_fd = -1;
}

/* Send a command and wait for its ack when there is an ack FIFO.  Both
 * may block on the FIFOs, so both go on after EINTR. */
static int command(const struct shmx__perf_ctl *pc, const char *cmd,
		   struct shmx_error *err)
{
	char ack[16];
	ssize_t n;

	if (!pc)
		return 0;
	do
		n = write(pc->ctl_fd, cmd, strlen(cmd));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)strlen(cmd))
		return shmx__fail(err, n < 0 ? -errno : -EIO,
				  "--perf-ctl: cannot write: %s",
				  n < 0 ? strerror(errno) : "short write");
	if (pc->ack_fd < 0)
		return 0;
	do
		n = read(pc->ack_fd, ack, sizeof(ack));
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return shmx__fail(err, -EIO, "--perf-ctl: no ack from perf");
	return 0;
}

int shmx__perf_enable(const struct shmx__perf_ctl *pc, struct shmx_error *err)
{
	return command(pc, "enable\n", err);
}

int shmx__perf_disable(const struct shmx__perf_ctl *pc,
		       struct shmx_error *err)
{
	return command(pc, "disable\n", err);
}

void shmx__perf_gate_init(_Atomic uint32_t *gate,
			  const struct shmx__perf_ctl *pc)
{
	atomic_store(gate, pc ? 0 : 1);
}

/* acquire/release: nothing the parent wrote before opening is missed.
 * FUTEX_WAIT returns at once when the word is no longer 0, so a wake
 * that comes before the wait is not lost. */
void shmx__perf_gate_wait(_Atomic uint32_t *gate)
{
	while (!atomic_load_explicit(gate, memory_order_acquire))
		syscall(SYS_futex, gate, FUTEX_WAIT, 0, NULL, NULL, 0);
}

void shmx__perf_gate_open(_Atomic uint32_t *gate)
{
	atomic_store_explicit(gate, 1, memory_order_release);
	syscall(SYS_futex, gate, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
}
