/* tests/fuzz/fuzz_cli.c - the CLI's number parsers (tools/cli.c, compiled
 * into this harness): cli_parse_u64 for -j, --chunk, --retries, --seed,
 * --head, --queue-depth; cli_parse_mode for --mode; cli_check_env for
 * $SHMX_WORKERS.
 *
 * Input: byte 0 picks the parser (u64, u64 with k/M/G, mode, env), the
 * rest is the argument.  Properties, against grammars written here:
 * u64 accepts exactly DIGITS (plus one of k M G when allowed) whose value
 * fits in 64 bits, and returns that value; mode exactly OCTAL-DIGITS from
 * 1 to 0777; SHMX_WORKERS exactly "" or DIGITS from 1 to 4096.  Success
 * prints nothing; a refusal prints exactly one line "shmx: error: ..."
 * (stderr is captured in memory while the parser runs).
 */
#include <stdio.h>

#include "cli.h"
#include "fuzz.h"

/* DIGITS of base with value <= max; -1 when not. */
static int ref_number(const char *s, unsigned base, unsigned __int128 max,
		      unsigned __int128 *v)
{
	*v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (*s < '0' || *s > '9' || d >= base)
			return -1;
		*v = *v * base + d;
		if (*v > max)
			return -1;
	}
	return 0;
}

static int ref_u64(const char *s, int allow_suffix, uint64_t *out)
{
	char digits[4096];
	size_t n = strlen(s);
	unsigned shift = 0;
	unsigned __int128 v;
	const char *sfx;

	if (n >= sizeof(digits))
		return -1;
	memcpy(digits, s, n + 1);
	if (allow_suffix && n && (sfx = strchr("kMG", s[n - 1])) && *sfx) {
		shift = 10u * (unsigned)(sfx - "kMG" + 1);
		digits[n - 1] = '\0';
	}
	if (ref_number(digits, 10, UINT64_MAX, &v) < 0)
		return -1;
	v <<= shift;
	if (v > UINT64_MAX)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* What the parser wrote on stderr: nothing when it accepted, else one
 * "shmx: error: " line. */
static void check_output(const char *out, size_t len, int failed)
{
	const char *nl;

	if (!failed) {
		FUZZ_CHECK(len == 0, "success printed '%s'", out);
		return;
	}
	nl = memchr(out, '\n', len);
	FUZZ_CHECK(strncmp(out, "shmx: error: ", 13) == 0,
		   "refusal printed '%s'", out);
	FUZZ_CHECK(nl && nl == out + len - 1 && !memchr(out, '\r', len),
		   "refusal is not one line: '%s'", out);
}

/* $SHMX_WORKERS=s through putenv and one static buffer: setenv keeps
 * every value it was ever given (glibc), which grows without bound over
 * millions of inputs. */
static int check_env(const char *s)
{
	static char var[8192] = "SHMX_WORKERS=";
	const size_t at = strlen("SHMX_WORKERS=");
	int rc;

	snprintf(var + at, sizeof(var) - at, "%s", s);
	if (putenv(var))
		abort();
	rc = cli_check_env();
	unsetenv("SHMX_WORKERS");
	return rc;
}

static int call(int which, const char *s, uint64_t *u, unsigned *mode)
{
	switch (which) {
	case 0: return cli_parse_u64("--opt", s, 0, u);
	case 1: return cli_parse_u64("--opt", s, 1, u);
	case 2: return cli_parse_mode(s, mode);
	default: return check_env(s);
	}
}

static void check(int which, const char *s, int rc, uint64_t u, unsigned mode)
{
	unsigned __int128 v;
	uint64_t want;

	switch (which) {
	case 0:
	case 1:
		if (ref_u64(s, which, &want) < 0) {
			FUZZ_CHECK(rc == EXIT_USAGE, "accepted '%s'", s);
			return;
		}
		FUZZ_CHECK(rc == 0 && u == want, "'%s': rc %d, %llu", s, rc,
			   (unsigned long long)u);
		return;
	case 2:
		if (ref_number(s, 8, 0777, &v) < 0 || v == 0) {
			FUZZ_CHECK(rc == EXIT_USAGE, "accepted mode '%s'", s);
			return;
		}
		FUZZ_CHECK(rc == 0 && mode == v, "mode '%s': rc %d, %o", s, rc,
			   mode);
		return;
	default:
		if (*s && (ref_number(s, 10, 4096, &v) < 0 || v == 0))
			FUZZ_CHECK(rc == EXIT_USAGE, "accepted workers '%s'", s);
		else
			FUZZ_CHECK(rc == 0, "refused workers '%s'", s);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *saved = stderr, *mem;
	char *s, *out = NULL;
	size_t len = 0;
	uint64_t u = 0;
	unsigned mode = 0;
	int which, rc;

	if (size < 1)
		return 0;
	which = data[0] % 4;
	if (which == 3 && size > 4096)
		return 0; /* beyond check_env's buffer */
	s = fuzz_cstr(data + 1, size - 1);
	mem = open_memstream(&out, &len);
	if (!mem)
		abort();
	stderr = mem;
	rc = call(which, s, &u, &mode);
	stderr = saved;
	fclose(mem);
	check_output(out, len, rc != 0);
	check(which, s, rc, u, mode);
	free(out);
	free(s);
	return 0;
}
