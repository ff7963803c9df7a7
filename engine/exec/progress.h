/* engine/exec/progress.h - the progress bar the pool draws on stderr:
 *
 *   \rsum [####################....................]  50% 1.23 GB/s, read
 *   0.60 GB (wait 35%)\033[K
 *
 * (one line; the read/written parts only for workers that stream).  The
 * line is a pure function of the figures, so it is tested as text. */
#ifndef SHMX_ENGINE_PROGRESS_H
#define SHMX_ENGINE_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

struct shmx__progress {
	const char *what;        /* names the run */
	uint64_t done, nchunks;  /* chunks finished, of */
	uint64_t rows;           /* rows in the plan */
	uint64_t bytes_per_row;  /* for the rate */
	double elapsed_s;        /* since the workers started */
	unsigned workers;        /* asked for: the wait share's denominator */
	uint64_t bytes_read, read_wait_ns;     /* summed over the workers */
	uint64_t bytes_written, write_wait_ns;
};

/* The bar's line into buf (at most len bytes, NUL-terminated), from "\r"
 * to "\033[K" and, when final, a newline. */
void shmx__progress_line(char *buf, size_t len,
			 const struct shmx__progress *p, int final);
/* Draw it on stderr. */
void shmx__progress_draw(const struct shmx__progress *p, int final);

#endif
