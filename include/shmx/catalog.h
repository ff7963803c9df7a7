/* shmx/catalog.h - what is in the shm directory: arrays, and temporaries
 * that dead runs left behind.
 */
#ifndef SHMX_CATALOG_H
#define SHMX_CATALOG_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "common.h"
#include "error.h"
#include "dtype.h"
#include "shape.h"

struct shmx_entry {
	char name[256];
	int is_array;     /* a valid NPY array shmx can read */
	int is_temporary; /* .shmx-<pid>-... */
	pid_t creator;    /* for temporaries */
	int creator_alive;
	enum shmx_dtype dtype;
	struct shmx_shape shape;
	uint64_t bytes; /* file size */
	uid_t owner;
	mode_t mode;
	time_t mtime;
};

/* Describe the array at a path (file or segment) without mapping more than
 * its header. 0, or a negative code (SHMX_ENOTARRAY for a non-NPY file). */
SHMX_API int shmx_describe(const char *path, struct shmx_entry *e,
			   struct shmx_error *err);

/* Call fn for each entry of the shm directory, sorted by name.  Stops and
 * returns fn's value when it is non-zero.  0 or a negative code. */
typedef int (*shmx_entry_fn)(const struct shmx_entry *e, void *ctx);
SHMX_API int shmx_catalog_each(shmx_entry_fn fn, void *ctx,
			       struct shmx_error *err);

/* 1 and *pid set when name is a temporary's (".shmx-<pid>-<seq>-NAME",
 * pid at most PID_MAX_LIMIT), 0 when it is not.  Pure: it neither checks
 * that pid runs nor unlinks anything (shmx_describe reports creator_alive;
 * `shmx rm --stale` removes the dead ones). */
SHMX_API int shmx_temporary_parse(const char *name, pid_t *pid);

#endif
