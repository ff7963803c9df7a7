/* engine/format/plan.c - chunk planning (see plan.h). */
#include "format/plan.h"

void shmx__plan_make(struct shmx__plan *p, uint64_t rows, uint64_t row_bytes,
		     uint64_t chunk_bytes)
{
	if (!chunk_bytes)
		chunk_bytes = SHMX__CHUNK_DEFAULT;
	p->rows = rows;
	/* an array of empty rows (R x 0) is one chunk of all its rows */
	p->chunk_rows = row_bytes ? chunk_bytes / row_bytes : rows;
	if (p->chunk_rows == 0)
		p->chunk_rows = 1;
	p->nchunks = rows ? (rows - 1) / p->chunk_rows + 1 : 0;
}
