/* engine/perfctl.c - opening the FIFOs of `perf stat --control`, so that
 * counters see only the compute phase (the pool sends enable/disable). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec/pool.h"
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

	pc->ctl_fd = pc->ack_fd = -1;
	if (n == 0 || n >= sizeof(ctl) || (comma && !comma[1]))
		return shmx__fail(err, SHMX_EUSAGE,
				  "--perf-ctl: give CTL_FIFO[,ACK_FIFO]");
	memcpy(ctl, spec, n);
	ctl[n] = '\0';
	pc->ctl_fd = open_fifo(ctl, O_WRONLY, err);
	if (pc->ctl_fd < 0)
		return pc->ctl_fd;
	if (comma) {
		pc->ack_fd = open_fifo(comma + 1, O_RDONLY, err);
		if (pc->ack_fd < 0) {
			int rc = pc->ack_fd;

			shmx__perf_ctl_close(pc);
			return rc;
		}
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
