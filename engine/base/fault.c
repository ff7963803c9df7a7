/* engine/base/fault.c - SHMX_FAULT and SHMX_SIGNAL_STORM (see fault.h), and
 * shmx_fault_hooks(), which says whether this build has them. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "shmx/common.h"
#include "base/fault.h"

#ifdef SHMX_FAULT_INJECTION

/* The armed site.  Parsed again (and its count reset) whenever
 * SHMX_FAULT changes, so a test process may arm one site after another. */
static struct {
	char value[128];
	char site[64];
	uint64_t n;
	bool persist;
	uint64_t calls;
} armed;

/* "site:N" or "site:N:persist", N decimal digits only; anything else
 * (no site, no N, a sign, trailing text, a value too long to keep) arms
 * nothing. */
static void parse_spec(const char *v)
{
	const char *colon = strchr(v, ':');
	char *end;
	size_t len = colon ? (size_t)(colon - v) : 0;

	if (len == 0 || len >= sizeof(armed.site) ||
	    !isdigit((unsigned char)colon[1]))
		return;
	errno = 0;
	armed.n = strtoull(colon + 1, &end, 10);
	if (errno || (*end && strcmp(end, ":persist") != 0))
		return;
	armed.persist = *end != '\0';
	memcpy(armed.site, v, len);
	armed.site[len] = '\0';
}

static void parse(void)
{
	const char *v = getenv("SHMX_FAULT");
	int saved = errno; /* hooks sit just before calls that set it */

	if (!v)
		v = "";
	if (strcmp(v, armed.value) == 0)
		return;
	memset(&armed, 0, sizeof(armed));
	if (strlen(v) < sizeof(armed.value))
		parse_spec(v);
	/* a value too long to keep is re-read at every call: it arms
	 * nothing, so there is no count to lose */
	snprintf(armed.value, sizeof(armed.value), "%s", v);
	errno = saved;
}

bool shmx__fault_enabled(void)
{
	return true;
}

bool shmx__fault_arg(const char *site, uint64_t *n, bool *persist)
{
	parse();
	if (!armed.site[0] || strcmp(site, armed.site) != 0)
		return false;
	*n = armed.n;
	if (persist)
		*persist = armed.persist;
	return true;
}

/* One line per injected failure to $SHMX_FAULT_LOG, so that a sweep can
 * tell "the Nth call failed" from "there is no Nth call".  O_APPEND and
 * one short write: lines from workers do not interleave. */
static void log_hit(const char *site)
{
	const char *path = getenv("SHMX_FAULT_LOG");
	char line[128];
	int fd, len, saved = errno;

	if (!path || !*path)
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		errno = saved;
		return;
	}
	len = snprintf(line, sizeof(line), "%s %llu %ld\n", site,
		       (unsigned long long)armed.calls, (long)getpid());
	if (len > 0 && write(fd, line, (size_t)len) < 0)
		len = 0; /* nothing to do: the log is for tests only */
	close(fd);
	errno = saved;
}

bool shmx__fault_hit(const char *site)
{
	uint64_t n;
	bool hit;

	if (!shmx__fault_arg(site, &n, NULL) || n == 0)
		return false;
	armed.calls++;
	hit = armed.calls == n || (armed.persist && armed.calls > n);
	if (hit)
		log_hit(site);
	return hit;
}

/* The mirror's path DIR/name, or 0 when SHMX_POWERLOSS is not set. */
static int mirror_path(const char *name, char *buf, size_t len)
{
	const char *dir = getenv("SHMX_POWERLOSS");

	if (!dir || !*dir)
		return 0;
	return snprintf(buf, len, "%s/%s", dir, name) < (int)len;
}

/* Serialise the processes of a run (workers sync at once). */
static int mirror_lock(void)
{
	char path[4096];
	int fd;

	if (!mirror_path("lock", path, sizeof(path)))
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		flock(fd, LOCK_EX);
	return fd;
}

static void mirror_copy(int from, int to, uint64_t off, uint64_t len)
{
	char buf[65536];

	while (len) {
		size_t n = len < sizeof(buf) ? (size_t)len : sizeof(buf);
		ssize_t r = pread(from, buf, n, (off_t)off);

		if (r <= 0 || pwrite(to, buf, (size_t)r, (off_t)off) != r)
			return;
		off += (uint64_t)r;
		len -= (uint64_t)r;
	}
}

void shmx__fault_synced(const char *name, int fd, uint64_t off, uint64_t len)
{
	char path[4096];
	struct stat st;
	int lock, to, saved = errno;

	if (!mirror_path(name, path, sizeof(path)) || fstat(fd, &st) < 0)
		return;
	lock = mirror_lock();
	to = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (to >= 0) {
		if (len == UINT64_MAX) { /* the whole file, at its size */
			off = 0;
			len = (uint64_t)st.st_size;
			if (ftruncate(to, st.st_size) < 0)
				len = 0;
		}
		mirror_copy(fd, to, off, len);
		close(to);
	}
	if (lock >= 0)
		close(lock);
	errno = saved;
}

void shmx__fault_removed(const char *name)
{
	char path[4096];
	int lock, saved = errno;

	if (!mirror_path(name, path, sizeof(path)))
		return;
	lock = mirror_lock();
	unlink(path);
	if (lock >= 0)
		close(lock);
	errno = saved;
}

static void on_alarm(int sig)
{
	(void)sig;
}

void shmx__fault_storm(void)
{
	const char *v = getenv("SHMX_SIGNAL_STORM");
	struct sigaction sa;
	struct itimerval it;
	long usec = v ? strtol(v, NULL, 10) : 0;

	if (usec <= 0)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: calls see EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	it.it_interval.tv_sec = usec / 1000000;
	it.it_interval.tv_usec = usec % 1000000;
	it.it_value = it.it_interval;
	setitimer(ITIMER_REAL, &it, NULL);
}

#else

bool shmx__fault_enabled(void)
{
	return false;
}

bool shmx__fault_hit(const char *site)
{
	(void)site;
	return false;
}

bool shmx__fault_arg(const char *site, uint64_t *n, bool *persist)
{
	(void)site;
	(void)n;
	(void)persist;
	return false;
}

void shmx__fault_storm(void)
{
}

void shmx__fault_synced(const char *name, int fd, uint64_t off, uint64_t len)
{
	(void)name;
	(void)fd;
	(void)off;
	(void)len;
}

void shmx__fault_removed(const char *name)
{
	(void)name;
}

#endif

int shmx_fault_hooks(void)
{
	return shmx__fault_enabled();
}

int shmx__fault_code(const struct shmx__fault_code *t, size_t n,
		     uint64_t *at, bool *persist)
{
	for (size_t i = 0; i < n; i++)
		if (shmx__fault_arg(t[i].site, at, persist))
			return t[i].code;
	return 0;
}
