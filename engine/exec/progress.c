/* engine/exec/progress.c - the progress bar's line (see progress.h). */
#include <stdio.h>
#include <string.h>

#include "exec/progress.h"

#define BAR 40

/* ", read 1.23 GB (wait 35%)": what streaming workers read or wrote so
 * far, and the share of the workers' time spent blocked on it. */
static void io_part(char *buf, size_t len, const char *verb, uint64_t bytes,
		    uint64_t wait_ns, double worker_s)
{
	if (!bytes)
		return;
	snprintf(buf + strlen(buf), len - strlen(buf), ", %s %.2f GB (wait %.0f%%)",
		 verb, (double)bytes / 1e9,
		 worker_s > 0 ? 100.0 * (double)wait_ns * 1e-9 / worker_s : 0.0);
}

void shmx__progress_line(char *buf, size_t len,
			 const struct shmx__progress *p, int final)
{
	double frac = p->nchunks ? (double)p->done / (double)p->nchunks : 1.0;
	double el = p->elapsed_s, worker_s = el * p->workers;
	double gb = (double)p->rows * frac * (double)p->bytes_per_row / 1e9;
	char bar[BAR + 1], io[128] = "";
	int fill = (int)(frac * BAR);

	io_part(io, sizeof(io), "read", p->bytes_read, p->read_wait_ns,
		worker_s);
	io_part(io, sizeof(io), "written", p->bytes_written, p->write_wait_ns,
		worker_s);
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, '.', (size_t)(BAR - fill));
	bar[BAR] = '\0';
	/* \033[K: a shorter line must not leave the end of a longer one */
	snprintf(buf, len, "\r%s [%s] %3d%% %.2f GB/s%s\033[K%s", p->what, bar,
		 (int)(frac * 100), el > 0 ? gb / el : 0.0, io,
		 final ? "\n" : "");
}

void shmx__progress_draw(const struct shmx__progress *p, int final)
{
	/* names of runs are short; 1 KiB holds any line with room to spare */
	char line[1024];

	shmx__progress_line(line, sizeof(line), p, final);
	fputs(line, stderr);
}
