/* engine/store/temporary.c - naming temporaries, remembering the live ones, and
 * removing them when SIGINT/SIGTERM/SIGHUP end the process.
 *
 * The registry is a small fixed array written only by the main thread;
 * the signal handler reads it.  A slot's path is written before its `used`
 * flag is set, and the flag is cleared before the path is reused, so the
 * handler never sees a half-written path.  Only the process that created
 * a temporary unlinks it: forked workers inherit the registry but not the
 * ownership (owner_pid check).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shmx/array.h"
#include "shmx/catalog.h"
#include "store/temporary.h"
#include "base/internal.h"

#define TEMP_SLOTS 16
#define TEMP_PREFIX ".shmx-"

static struct {
	volatile sig_atomic_t used;
	char path[PATH_MAX];
} live[TEMP_SLOTS];
static volatile pid_t owner_pid;
static atomic_uint seq;

int shmx__temp_path(const struct shmx_target *t, char *path, size_t len)
{
	unsigned n = atomic_fetch_add(&seq, 1);
	int w;

	/* %.200s keeps the name under NAME_MAX whatever the base */
	w = snprintf(path, len, "%s/" TEMP_PREFIX "%ld-%u-%.200s", t->dir,
		     (long)getpid(), n, t->base);
	return w < 0 || (size_t)w >= len ? -ENAMETOOLONG : 0;
}

int shmx_temporary_parse(const char *name, pid_t *pid)
{
	long p = 0;
	const char *s;

	if (strncmp(name, TEMP_PREFIX, strlen(TEMP_PREFIX)) != 0)
		return 0;
	s = name + strlen(TEMP_PREFIX);
	if (*s < '0' || *s > '9')
		return 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		p = p * 10 + (*s - '0');
		if (p > 4194304) /* above PID_MAX_LIMIT: not ours */
			return 0;
	}
	if (*s != '-')
		return 0;
	*pid = (pid_t)p;
	return 1;
}

int shmx__temp_register(const char *path)
{
	if (owner_pid != getpid()) {
		/* first use in this process (or a child): start afresh */
		for (int i = 0; i < TEMP_SLOTS; i++)
			live[i].used = 0;
		owner_pid = getpid();
	}
	for (int i = 0; i < TEMP_SLOTS; i++) {
		if (live[i].used)
			continue;
		snprintf(live[i].path, sizeof(live[i].path), "%s", path);
		atomic_signal_fence(memory_order_release);
		live[i].used = 1;
		return i;
	}
	return -EMFILE;
}

void shmx__temp_forget(int slot)
{
	if (slot >= 0 && slot < TEMP_SLOTS)
		live[slot].used = 0;
}

static void on_fatal_signal(int sig)
{
	int saved = errno;

	if (owner_pid == getpid())
		for (int i = 0; i < TEMP_SLOTS; i++)
			if (live[i].used)
				unlink(live[i].path); /* async-signal-safe */
	/* die of the same signal, so the exit status says 128+sig */
	signal(sig, SIG_DFL);
	raise(sig);
	errno = saved;
}

void shmx_signals_install(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}
