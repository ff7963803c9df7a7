/* engine/source.c - choosing between the mapping and a stream for an
 * input (see source.h). */
#include <fcntl.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "shmx/run.h"
#include "source.h"
#include "stream.h"
#include "internal.h"

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

static int on_tmpfs(int fd)
{
	struct statfs sf;

	return fstatfs(fd, &sf) == 0 && sf.f_type == TMPFS_MAGIC_;
}

enum shmx__io shmx__io_choose(const struct shmx_array *a, int asked,
			      char *note, size_t len)
{
	uint64_t bytes = shmx_array_nbytes(a), avail;
	double resident;

	note[0] = '\0';
	if (asked == SHMX_IO_MMAP)
		return SHMX__IO_MMAP;
	if (shmx_array_target(a)->kind == SHMX_TARGET_SHM ||
	    on_tmpfs(shmx_array_fd(a))) {
		if (asked == SHMX_IO_STREAM)
			snprintf(note, len, "stream asked, but the input is in "
					    "memory (tmpfs): used the mapping");
		return SHMX__IO_MMAP;
	}
	if (asked == SHMX_IO_STREAM)
		return SHMX__IO_STREAM;
	avail = mem_available();
	if (avail && bytes > avail) {
		snprintf(note, len, "auto: %llu bytes, more than the %llu "
				    "available: streamed",
			 (unsigned long long)bytes, (unsigned long long)avail);
		return SHMX__IO_STREAM;
	}
	resident = shmx__resident_fraction(shmx_array_data(a), bytes);
	snprintf(note, len, "auto: %.0f%% of the input in the page cache: %s",
		 resident * 100, resident < 0.5 ? "streamed" : "mapped");
	return resident < 0.5 ? SHMX__IO_STREAM : SHMX__IO_MMAP;
}

/* Keep the first message a worker reports, for the parent. */
static void share_error(struct shmx__src_shared *sh, const struct shmx_error *e)
{
	int expect = 0;

	if (e->msg[0] && atomic_compare_exchange_strong(&sh->failed, &expect, 1))
		snprintf(sh->msg, sizeof(sh->msg), "%s", e->msg);
}

static void share_stats(struct shmx__stream *s, struct shmx__src_shared *sh,
			struct shmx__claimer *k)
{
	struct shmx__stream_stats st;
	int expect = 0;

	shmx__stream_stats(s, &st);
	shmx__claim_note_io(k, st.wait_ns, st.bytes_read);
	if (st.fallback[0] &&
	    atomic_compare_exchange_strong(&sh->noted, &expect, 1))
		snprintf(sh->note, sizeof(sh->note), "%s", st.fallback);
}

/* Claim and submit until queue_depth reads are in flight. */
static int fill_queue(struct shmx__stream *s, struct shmx__claimer *k,
		      unsigned depth, unsigned *inflight, int *more)
{
	uint64_t c;
	int rc;

	while (*more && *inflight < depth) {
		if (!shmx__claim(k, &c)) {
			*more = 0;
			break;
		}
		rc = shmx__stream_submit(s, c);
		if (rc)
			return rc;
		++*inflight;
	}
	return 0;
}

/* Wait for the oldest read, compute its chunk, mark it done. */
static int compute_next(struct shmx__stream_src *src, struct shmx__stream *s,
			struct shmx__claimer *k, struct shmx_error *err)
{
	const void *rows;
	uint64_t c, t0;
	int rc = shmx__stream_wait(s, &c, &rows, err);

	if (rc)
		return rc;
	t0 = shmx__now_ns();
	rc = src->compute(src->ctx, c, shmx__plan_row0(src->plan, c),
			  shmx__plan_nrows(src->plan, c), rows);
	if (!rc)
		shmx__claim_done(k, c, shmx__now_ns() - t0);
	shmx__stream_release(s, rows);
	return rc;
}

int shmx__stream_worker(void *ctx, struct shmx__claimer *k)
{
	struct shmx__stream_src *src = ctx;
	struct shmx__stream_opts o = {
		.fd = src->fd, .data_offset = src->data_offset,
		.file_size = src->file_size, .plan = src->plan,
		.row_bytes = src->row_bytes, .queue_depth = src->queue_depth,
		.what = src->what,
	};
	unsigned depth = src->queue_depth ? src->queue_depth
					  : SHMX__STREAM_DEPTH_DEFAULT;
	struct shmx_error err = { 0 };
	struct shmx__stream *s = NULL;
	unsigned inflight = 0;
	int more = 1, rc;

	/* after fork: a ring belongs to the process that made it */
	rc = shmx__stream_open(&s, &o, &err);
	while (!rc) {
		rc = fill_queue(s, k, depth, &inflight, &more);
		if (rc || !inflight)
			break;
		rc = compute_next(src, s, k, &err);
		inflight--;
	}
	if (s)
		share_stats(s, src->shared, k);
	if (rc)
		share_error(src->shared, &err);
	shmx__stream_close(s);
	return rc;
}
