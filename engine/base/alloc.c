/* engine/base/alloc.c - the library's own allocations, and populating
 * mappings.
 *
 * With SHMX_JEMALLOC the library links jemalloc (Debian builds it without a
 * prefix, so malloc and aligned_alloc here are jemalloc's); the sanitizer
 * build uses the system allocator so ASan sees every allocation.  One place
 * to route them also gives fault injection a single site: "alloc" fails
 * any of the three with ENOMEM (fault.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "base/fault.h"
#include "base/internal.h"

/* Test builds: whether this allocation must fail (SHMX_FAULT=alloc:N). */
static bool fail_alloc(void)
{
	if (!shmx__fault_hit("alloc"))
		return false;
	errno = ENOMEM;
	return true;
}

void *shmx__malloc(size_t n)
{
	return fail_alloc() ? NULL : malloc(n ? n : 1);
}

void *shmx__calloc(size_t n, size_t size)
{
	return fail_alloc() ? NULL : calloc(n ? n : 1, size ? size : 1);
}

void *shmx__aligned_alloc(size_t align, size_t n)
{
	/* aligned_alloc wants a size that is a multiple of the alignment */
	size_t rounded = (n + align - 1) / align * align;

	if (fail_alloc())
		return NULL;
	return aligned_alloc(align, rounded ? rounded : align);
}

void shmx__free(void *p)
{
	free(p);
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif

void shmx__populate(void *p, size_t len, int write)
{
	uintptr_t lo = (uintptr_t)p & ~(uintptr_t)4095;

	if (len)
		madvise((void *)lo, len + ((uintptr_t)p - lo),
			write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
}
