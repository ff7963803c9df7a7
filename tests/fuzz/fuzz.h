/* tests/fuzz/fuzz.h - what the harnesses share.
 *
 * Each fuzz_<name>.c defines LLVMFuzzerTestOneInput and is built twice:
 * with clang -fsanitize=fuzzer (tests/fuzz/run, libFuzzer's main) and with
 * the project's compiler plus replay.c (ctest fuzz_replay_<name>, which
 * feeds it every file of its committed corpus).  A property that does not
 * hold is a crash: FUZZ_CHECK prints what was expected and aborts, so
 * libFuzzer saves the input and the replay test fails.
 */
#ifndef SHMX_FUZZ_H
#define SHMX_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shmx/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                               \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: ",   \
				__FILE__, __LINE__, #cond);                  \
			fprintf(stderr, __VA_ARGS__);                       \
			fputc('\n', stderr);                                \
			abort();                                            \
		}                                                           \
	} while (0)

/* The input as a C string in a buffer of exactly size + 1 bytes (ASan
 * sees any read past the terminator).  An embedded NUL ends the string
 * early, as it would on a command line.  Free with free(). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A failed call's report: the code it returned, a message, one line. */
static inline void fuzz_check_error(const struct shmx_error *err, int rc)
{
	FUZZ_CHECK(err->code == rc, "err.code %d, returned %d", err->code, rc);
	FUZZ_CHECK(err->msg[0] != '\0', "empty message for %d", rc);
	FUZZ_CHECK(!strpbrk(err->msg, "\r\n"), "message of two lines: %s",
		   err->msg);
}

#endif
