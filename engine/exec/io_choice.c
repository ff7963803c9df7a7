/* engine/exec/io_choice.c - mapping or streaming an input (io_choice.h). */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/vfs.h>

#include "shmx/run.h"
#include "exec/io_choice.h"
#define TMPFS_MAGIC_ 0x01021994
#define SAMPLES 256u /* windows of 16 pages looked at by mincore */

double shmx__resident_fraction(const void *data, uint64_t len)
{
	/* mincore wants a page-aligned start; NPY data often is not */
	uintptr_t lo = (uintptr_t)data & ~(uintptr_t)4095;
	const char *map = (const char *)lo;
	uint64_t pages, step, seen = 0, in = 0;
	unsigned char vec[16];

	len += (uintptr_t)data - lo;
	pages = (len + 4095) / 4096;
	if (!data || !pages)
		return 1.0;
	step = pages / SAMPLES > 16 ? pages / SAMPLES : 16;
	for (uint64_t p = 0; p < pages; p += step) {
		uint64_t n = pages - p < 16 ? pages - p : 16;

		if (mincore((void *)(map + p * 4096), n * 4096, vec) < 0)
			return 1.0; /* cannot tell: mapping is the safe choice */
		for (uint64_t i = 0; i < n; i++)
			in += vec[i] & 1;
		seen += n;
	}
	return (double)in / (double)seen;
}

/* MemAvailable from /proc/meminfo, in bytes; 0 when unknown. */
static uint64_t mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[128];
	unsigned long long kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb * 1024;
}

int shmx__on_tmpfs(int fd)
{
	struct statfs sf;

	return fstatfs(fd, &sf) == 0 && sf.f_type == TMPFS_MAGIC_;
}

const struct shmx__source_ops *shmx__io_choose(const struct shmx_array *a,
					       int asked, char *note,
					       size_t len)
{
	uint64_t bytes = shmx_array_nbytes(a), avail;
	double resident;

	note[0] = '\0';
	if (asked == SHMX_IO_MMAP)
		return &shmx__source_map;
	if (shmx_array_target(a)->kind == SHMX_TARGET_SHM ||
	    shmx__on_tmpfs(shmx_array_fd(a))) {
		if (asked == SHMX_IO_STREAM)
			snprintf(note, len, "stream asked, but the input is in "
					    "memory (tmpfs): used the mapping");
		return &shmx__source_map;
	}
	if (asked == SHMX_IO_STREAM)
		return &shmx__source_stream;
	avail = mem_available();
	if (avail && bytes > avail) {
		snprintf(note, len, "auto: %llu bytes, more than the %llu "
				    "available: streamed",
			 (unsigned long long)bytes, (unsigned long long)avail);
		return &shmx__source_stream;
	}
	resident = shmx__resident_fraction(shmx_array_data(a), bytes);
	snprintf(note, len, "auto: %.0f%% of the input in the page cache: %s",
		 resident * 100, resident < 0.5 ? "streamed" : "mapped");
	return resident < 0.5 ? &shmx__source_stream : &shmx__source_map;
}
