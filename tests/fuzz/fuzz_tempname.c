/* tests/fuzz/fuzz_tempname.c - shmx_temporary_parse on any name, as
 * `shmx ls` and `shmx rm --stale` meet every entry of /dev/shm (names any
 * local user can choose).
 *
 * Property: exactly the names ".shmx-PID-..." with PID decimal digits of
 * value at most 4194304 (PID_MAX_LIMIT) are temporaries, with that pid.
 */
#include <sys/types.h>

#include "shmx/catalog.h"
#include "fuzz.h"

static int ref_parse(const char *s, long *pid)
{
	long p = 0;

	if (strncmp(s, ".shmx-", 6) != 0)
		return 0;
	s += 6;
	if (*s < '0' || *s > '9')
		return 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		p = p * 10 + (*s - '0');
		if (p > 4194304)
			return 0;
	}
	*pid = p;
	return *s == '-';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name = fuzz_cstr(data, size);
	pid_t pid = -1;
	long want = -1;
	int is = shmx_temporary_parse(name, &pid);

	FUZZ_CHECK(is == ref_parse(name, &want), "'%s': %d", name, is);
	if (is)
		FUZZ_CHECK(pid == want, "'%s': pid %ld, expected %ld", name,
			   (long)pid, want);
	free(name);
	return 0;
}
