/* engine/base/internal.h - helpers shared by the engine's files (shmx__ names).
 * Not installed; nothing here is part of the public API.
 */
#ifndef SHMX_ENGINE_INTERNAL_H
#define SHMX_ENGINE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "shmx/error.h"

#define SHMX__CACHELINE 64u
#define SHMX__ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((uint64_t)(a) - 1))

/* Fill err (if not NULL) with code and a printf-formatted one-line message;
 * return code.  So a failure reads: return shmx__fail(err, -ENOENT, ...). */
int shmx__fail(struct shmx_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Append a printf-formatted note to the "a; b" list in buf (size bytes),
 * as --stats shows why fallbacks were taken.  Cut short when full. */
void shmx__note(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Allocation for the library's own buffers (jemalloc when linked).  The
 * aligned one returns memory suitable for O_DIRECT and vector loads.  What
 * the library frees comes from these, never from libc (strdup, realloc):
 * the two allocators may differ (alloc.c). */
void *shmx__malloc(size_t n);
void *shmx__calloc(size_t n, size_t size);
void *shmx__realloc(void *p, size_t n);
char *shmx__strdup(const char *s);
void *shmx__aligned_alloc(size_t align, size_t n);
void shmx__free(void *p);

/* n bytes of whole pages for I/O buffers, 2 MiB aligned and advised huge
 * (alloc.c says why); NULL with errno set.  Freed with the same n. */
void *shmx__pages_alloc(size_t n);
void shmx__pages_free(void *p, size_t n);

/* a * b and a + b with overflow detection: 0, or -EOVERFLOW. */
static inline int shmx__mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
	return __builtin_mul_overflow(a, b, out) ? -75 /* EOVERFLOW */ : 0;
}

static inline int shmx__add_u64(uint64_t a, uint64_t b, uint64_t *out)
{
	return __builtin_add_overflow(a, b, out) ? -75 /* EOVERFLOW */ : 0;
}

/* Bytes in a row of `cols` elements of `size` bytes, or UINT64_MAX when
 * that overflows.  Only an array of 0 rows can have such rows (its whole
 * size was checked), so the saturated width is never multiplied by a
 * row count other than 0, and it still reads as "wider than any chunk". */
static inline uint64_t shmx__row_bytes(uint64_t cols, uint64_t size)
{
	uint64_t w;

	return shmx__mul_u64(cols, size, &w) < 0 ? UINT64_MAX : w;
}

/* Map [p, p + len) in one call (MADV_POPULATE_READ/WRITE, Linux 5.14)
 * rather than a fault per page; a no-op where the kernel lacks it. */
void shmx__populate(void *p, size_t len, int write);

/* Monotonic time in nanoseconds. */
static inline uint64_t shmx__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Monotonic time in seconds, for phase timings. */
static inline double shmx__now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
