/* engine/store/temporary.h - temporaries: their names, the registry of the live
 * ones, and unlinking them when a signal kills the process. */
#ifndef SHMX_ENGINE_TEMPORARY_H
#define SHMX_ENGINE_TEMPORARY_H

#include <stddef.h>
#include <sys/types.h>
#include "shmx/target.h"

/* ".shmx-<pid>-<seq>-<base>" in t's directory, into path.  0 or
 * -ENAMETOOLONG. */
int shmx__temp_path(const struct shmx_target *t, char *path, size_t len);

/* Remember path as a live temporary of this process, so a fatal signal
 * unlinks it.  Returns a slot (>= 0) or -EMFILE when too many are live. */
int shmx__temp_register(const char *path);
/* Forget a slot (after publish or unlink).  -1 is ignored. */
void shmx__temp_forget(int slot);

#endif
