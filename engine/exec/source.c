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
#include "exec/source.h"
#include "io/stream.h"
#include "io/writer.h"
#include "base/internal.h"

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

enum shmx__io shmx__io_choose(const struct shmx_array *a, int asked,
			      char *note, size_t len)
{
	uint64_t bytes = shmx_array_nbytes(a), avail;
	double resident;

	note[0] = '\0';
	if (asked == SHMX_IO_MMAP)
		return SHMX__IO_MMAP;
	if (shmx_array_target(a)->kind == SHMX_TARGET_SHM ||
	    shmx__on_tmpfs(shmx_array_fd(a))) {
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

static void share_stats(struct shmx__stream *s, struct shmx__src_shared *sh)
{
	struct shmx__stream_stats st;
	int expect = 0;

	shmx__stream_stats(s, &st);
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

/* What a streaming worker holds: its reads, and its writes if any. */
struct sworker {
	struct shmx__stream_src *src;
	struct shmx__claimer *k;
	struct shmx__stream *s;
	struct shmx__writer *w; /* NULL: results go to the sink directly */
	/* I/O figures already in the worker's slot, for live progress */
	uint64_t read_wait, read_bytes, write_wait, write_bytes;
};

/* Move what the reads and writes did since last time into the worker's
 * slot, where --progress and --stats find it. */
static void note_io(struct sworker *sw)
{
	struct shmx__stream_stats rs;
	struct shmx__writer_stats ws;

	if (sw->s) {
		shmx__stream_stats(sw->s, &rs);
		shmx__claim_note_io(sw->k, rs.wait_ns - sw->read_wait,
				    rs.bytes_read - sw->read_bytes);
		sw->read_wait = rs.wait_ns;
		sw->read_bytes = rs.bytes_read;
	}
	if (sw->w) {
		shmx__writer_stats(sw->w, &ws);
		shmx__claim_note_write(sw->k, ws.wait_ns - sw->write_wait,
				       ws.bytes_written - sw->write_bytes);
		sw->write_wait = ws.wait_ns;
		sw->write_bytes = ws.bytes_written;
	}
}

static void written(void *ctx, uint64_t chunk, uint64_t compute_ns)
{
	struct sworker *sw = ctx;

	shmx__claim_done(sw->k, chunk, compute_ns);
}

/* Wait for the oldest read, compute its chunk, and mark it done, or
 * start writing its output (done once written). */
static int compute_next(struct sworker *sw, struct shmx_error *err)
{
	struct shmx__stream_src *src = sw->src;
	const void *rows;
	void *out = NULL;
	uint64_t c, t0;
	int rc = shmx__stream_wait(sw->s, &c, &rows, err);

	if (rc)
		return rc;
	if (sw->w)
		rc = shmx__writer_get(sw->w, c, &out, err);
	t0 = shmx__now_ns();
	if (!rc)
		rc = src->compute(src->ctx, c, shmx__plan_row0(src->plan, c),
				  shmx__plan_nrows(src->plan, c), rows, out);
	shmx__stream_release(sw->s, rows);
	if (!rc && sw->w)
		rc = shmx__writer_put(sw->w, out, shmx__now_ns() - t0, err);
	else if (!rc)
		shmx__claim_done(sw->k, c, shmx__now_ns() - t0);
	return rc;
}

static int open_writer(struct sworker *sw, struct shmx_error *err)
{
	struct shmx__stream_src *src = sw->src;
	struct shmx__writer_opts o = {
		.fd = src->out_fd, .data_offset = src->out_offset,
		.row_bytes = src->out_row_bytes, .plan = src->plan,
		.what = src->out_what, .done = written, .ctx = sw,
	};

	if (src->out_fd < 0)
		return 0;
	return shmx__writer_open(&sw->w, &o, err);
}

/* The writer's fallbacks, for the parent's --stats. */
static void share_writer_stats(struct sworker *sw)
{
	struct shmx__src_shared *sh = sw->src->shared;
	struct shmx__writer_stats st;
	int expect = 0;

	shmx__writer_stats(sw->w, &st);
	if (st.fallback[0] &&
	    atomic_compare_exchange_strong(&sh->wnoted, &expect, 1))
		snprintf(sh->wnote, sizeof(sh->wnote), "%s", st.fallback);
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
	struct sworker sw = { .src = src, .k = k };
	struct shmx_error err = { 0 };
	unsigned inflight = 0;
	int more = 1, rc;

	/* after fork: a ring belongs to the process that made it */
	rc = shmx__stream_open(&sw.s, &o, &err);
	if (!rc)
		rc = open_writer(&sw, &err);
	while (!rc) {
		rc = fill_queue(sw.s, k, depth, &inflight, &more);
		if (rc || !inflight)
			break;
		rc = compute_next(&sw, &err);
		inflight--;
		note_io(&sw);
	}
	if (!rc && sw.w)
		rc = shmx__writer_flush(sw.w, &err);
	note_io(&sw);
	if (sw.s)
		share_stats(sw.s, src->shared);
	if (sw.w)
		share_writer_stats(&sw);
	if (rc)
		share_error(src->shared, &err);
	shmx__writer_close(sw.w);
	shmx__stream_close(sw.s);
	return rc;
}
