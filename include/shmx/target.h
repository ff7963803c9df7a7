/* shmx/target.h - where an array lives.
 *
 *   shm://NAME        the POSIX shm object /NAME, i.e. $SHMX_SHM_DIR/NAME
 *                     ($SHMX_SHM_DIR defaults to /dev/shm, where Linux keeps
 *                     shm_open objects).  NAME: 1-200 of [A-Za-z0-9._-], not
 *                     starting with '.'.
 *   file://PATH, PATH a file.
 */
#ifndef SHMX_TARGET_H
#define SHMX_TARGET_H

#include "common.h"
#include "error.h"

#define SHMX_SHM_NAME_MAX 200
#define SHMX_PATH_MAX 4096 /* Linux's PATH_MAX, without needing POSIX headers */

enum shmx_target_kind { SHMX_TARGET_SHM, SHMX_TARGET_FILE };

struct shmx_target {
	enum shmx_target_kind kind;
	char path[SHMX_PATH_MAX]; /* the path to open: /dev/shm/NAME or the file */
	char dir[SHMX_PATH_MAX];  /* the directory that holds it */
	char base[256];      /* the last component (the shm NAME) */
	char spec[SHMX_PATH_MAX]; /* as the user wrote it, for messages */
};

/* Parse and validate.  0 or SHMX_ETARGET with the reason filled in. */
SHMX_API int shmx_target_parse(const char *spec, struct shmx_target *t,
			       struct shmx_error *err);

/* The directory shm:// names live in: $SHMX_SHM_DIR or "/dev/shm". */
SHMX_API const char *shmx_shm_dir(void);

/* 1 when NAME follows the shm:// rules. */
SHMX_API int shmx_shm_name_valid(const char *name);

#endif
