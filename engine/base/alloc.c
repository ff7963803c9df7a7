/* engine/base/alloc.c - the library's own allocations, and populating
 * mappings.
 *
 * Every allocation the library frees goes through here, never through a
 * libc call whose memory it would then free(): allocators must not cross.
 *
 * With SHMX_HAVE_JEMALLOC (the static library libshmx.a) the calls are
 * jemalloc's own API (mallocx/dallocx), so they are jemalloc's by name
 * whatever malloc the program ends up with.  Without it (the shared
 * libshmx.so, which is loaded into hosts like Python whose malloc must stay
 * theirs, and the sanitizer builds, so ASan sees every allocation) they
 * are the system allocator's.  One place to route them also gives fault
 * injection a single site: "alloc" fails any of them with ENOMEM (fault.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifdef SHMX_HAVE_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

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

#ifdef SHMX_HAVE_JEMALLOC
/* jemalloc's *allocx want a size of at least 1 and no NULL to free. */
static void *raw_alloc(size_t n, int flags)
{
	return mallocx(n ? n : 1, flags);
}

static void *raw_calloc(size_t n, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(n ? n : 1, size ? size : 1, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return raw_alloc(total, MALLOCX_ZERO);
}

static void *raw_realloc(void *p, size_t n)
{
	return p ? rallocx(p, n ? n : 1, 0) : raw_alloc(n, 0);
}

static void *raw_aligned(size_t align, size_t n)
{
	return raw_alloc(n, MALLOCX_ALIGN(align));
}

static void raw_free(void *p)
{
	if (p)
		dallocx(p, 0);
}
#else
static void *raw_alloc(size_t n, int flags)
{
	(void)flags;
	return malloc(n ? n : 1);
}

static void *raw_calloc(size_t n, size_t size)
{
	return calloc(n ? n : 1, size ? size : 1);
}

static void *raw_realloc(void *p, size_t n)
{
	return realloc(p, n ? n : 1);
}

static void *raw_aligned(size_t align, size_t n)
{
	return aligned_alloc(align, n);
}

static void raw_free(void *p)
{
	free(p);
}
#endif

void *shmx__malloc(size_t n)
{
	return fail_alloc() ? NULL : raw_alloc(n, 0);
}

void *shmx__calloc(size_t n, size_t size)
{
	return fail_alloc() ? NULL : raw_calloc(n, size);
}

void *shmx__realloc(void *p, size_t n)
{
	return fail_alloc() ? NULL : raw_realloc(p, n);
}

char *shmx__strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = fail_alloc() ? NULL : raw_alloc(n, 0);

	return p ? memcpy(p, s, n) : NULL;
}

void *shmx__aligned_alloc(size_t align, size_t n)
{
	/* aligned_alloc wants a size that is a multiple of the alignment */
	size_t rounded = (n + align - 1) / align * align;

	if (fail_alloc())
		return NULL;
	return raw_aligned(align, rounded ? rounded : align);
}

void shmx__free(void *p)
{
	raw_free(p);
}

#define HUGE_ (UINT64_C(2) << 20)
#define PAGE_ (UINT64_C(4) << 10)

static size_t whole_pages(size_t n)
{
	return (n + PAGE_ - 1) / PAGE_ * PAGE_;
}

/* Large I/O buffers: 2 MiB pages where the kernel gives them.  A direct
 * read into 4 KiB pages is one request per max_segments pages (254 on
 * virtio-blk: 1 MiB), so a 4 MiB read took four of the disk's 128 tags and
 * a stream's submissions slept in blk_mq_get_tag (perf/README.md has the
 * figures); in 2 MiB pages it is one request.  The mapping starts on a
 * 2 MiB boundary (over-mapped, then trimmed); a tail shorter than 2 MiB
 * stays in 4 KiB pages rather than a huge page mostly unused.  Without
 * transparent huge pages it is all 4 KiB pages, as before. */
void *shmx__pages_alloc(size_t n)
{
	size_t len = whole_pages(n), span = len + HUGE_;
	uintptr_t lo, at;
	void *p;

	if (fail_alloc())
		return NULL;
	if (!n || len < n || span < len) { /* nothing, or past SIZE_MAX */
		errno = ENOMEM;
		return NULL;
	}
	p = mmap(NULL, span, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	lo = (uintptr_t)p;
	at = (lo + HUGE_ - 1) & ~(uintptr_t)(HUGE_ - 1);
	if (at > lo)
		munmap(p, at - lo);
	munmap((void *)(at + len), lo + span - (at + len));
	madvise((void *)at, len, MADV_HUGEPAGE);
	return (void *)at;
}

void shmx__pages_free(void *p, size_t n)
{
	if (p)
		munmap(p, whole_pages(n));
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
