/* engine/exec/stats.c - the --stats JSON object, and the fields of a
 * run's stats that are computed from the others. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "shmx/stats.h"
#include "base/internal.h"
#include "exec/stats.h"

void shmx__stats_finish(struct shmx_stats *s)
{
	double bytes = (double)s->bytes_in + (double)s->bytes_out;

	s->gb_per_s = s->compute_s > 0 ? bytes / s->compute_s / 1e9 : 0;
}

/* A JSON string: quotes, backslashes and control bytes escaped. */
static void put_string(const char *str, FILE *f)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* JSON has no NaN or infinity. */
static double num(double x)
{
	return isfinite(x) ? x : 0;
}

static double nonneg(double x)
{
	return x > 0 ? num(x) : 0;
}

static void put_worker(const struct shmx_worker_stats *w, const char *sep,
		       FILE *f)
{
	fprintf(f,
		"%s{\"pid\":%d,\"chunks\":%llu,\"rows\":%llu,"
		"\"seconds\":%.6f,\"compute\":%.6f,\"user\":%.6f,"
		"\"sys\":%.6f,\"wait\":%.6f,\"idle\":%.6f,"
		"\"page_faults\":%llu,\"io_wait\":%.6f,\"bytes_read\":%llu,"
		"\"write_wait\":%.6f,\"bytes_written\":%llu,\"died\":%s}",
		sep, (int)w->pid, (unsigned long long)w->chunks,
		(unsigned long long)w->rows, num(w->busy_s), num(w->compute_s),
		num(w->user_s), num(w->sys_s),
		nonneg(w->busy_s - w->user_s - w->sys_s),
		nonneg(w->busy_s - w->compute_s), (unsigned long long)w->faults,
		num(w->io_wait_s), (unsigned long long)w->bytes_read,
		num(w->write_wait_s), (unsigned long long)w->bytes_written,
		w->died ? "true" : "false");
}

static void put_json(const struct shmx_stats *s, FILE *f)
{
	fputs("{\"op\":", f);
	put_string(s->op, f);
	fputs(",\"io\":", f);
	put_string(s->io[0] ? s->io : "mmap", f);
	fputs(",\"io_note\":", f);
	put_string(s->io_note, f);
	fprintf(f, ",\"queue_depth\":%u", s->queue_depth);
	fprintf(f,
		",\"workers\":%u,\"spawned\":%u,\"deaths\":%u,"
		"\"chunks\":%llu,\"chunk_rows\":%llu,\"rows\":%llu,"
		"\"bytes_in\":%llu,\"bytes_out\":%llu,"
		"\"setup\":%.6f,\"compute\":%.6f,\"merge\":%.6f,"
		"\"publish\":%.6f,\"total\":%.6f,\"gb_per_s\":%.3f,"
		"\"per_worker\":[",
		s->workers, s->spawned, s->deaths,
		(unsigned long long)s->chunks, (unsigned long long)s->chunk_rows,
		(unsigned long long)s->rows, (unsigned long long)s->bytes_in,
		(unsigned long long)s->bytes_out, num(s->setup_s),
		num(s->compute_s), num(s->merge_s), num(s->publish_s),
		num(s->total_s), num(s->gb_per_s));
	for (unsigned i = 0; s->worker && i < s->spawned; i++)
		put_worker(&s->worker[i], i ? "," : "", f);
	fputs("]}\n", f);
}

/* Rendered in memory and written at once: stderr is unbuffered, so field
 * by field it would be dozens of write(2)s, which cost a small run's time
 * and let another process's line (a rank's, a worker's) land inside it. */
void shmx_stats_print_json(const struct shmx_stats *s, FILE *f)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);

	if (m) {
		put_json(s, m);
		if (fclose(m) == 0) {
			fwrite(buf, 1, n, f);
			free(buf);
			return;
		}
		free(buf);
	}
	put_json(s, f);
}

void shmx_stats_free(struct shmx_stats *s)
{
	if (!s)
		return;
	shmx__free(s->worker);
	s->worker = NULL;
}
