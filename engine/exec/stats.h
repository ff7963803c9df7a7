/* engine/exec/stats.h - what run and gen call to complete their stats. */
#ifndef SHMX_ENGINE_STATS_H
#define SHMX_ENGINE_STATS_H

#include "shmx/stats.h"

/* Fill the fields derived from the others (gb_per_s, as shmx/stats.h
 * defines it), once bytes_in, bytes_out and compute_s are set. */
void shmx__stats_finish(struct shmx_stats *s);

#endif
