/* shmx/shmx.h - the umbrella header: everything a user of libshmx needs.
 *
 * shmx processes huge binary arrays in parallel on one machine without
 * copying them: inputs are mapped (files, POSIX shm segments), forked
 * workers compute on disjoint chunks, results are published atomically as
 * NPY images that numpy attaches by name.
 */
#ifndef SHMX_SHMX_H
#define SHMX_SHMX_H

#include "common.h"
#include "error.h"
#include "dtype.h"
#include "shape.h"
#include "npy.h"
#include "target.h"
#include "array.h"
#include "catalog.h"
#include "gen.h"
#include "stats.h"
#include "kernel.h"
#include "run.h"
#include "csv.h"
#include "eval.h"

#endif
