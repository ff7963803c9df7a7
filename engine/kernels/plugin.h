/* engine/kernels/plugin.h - users' kernels from shared objects (private
 * to engine/kernels/; the registry is the way in). */
#ifndef SHMX_KERNELS_PLUGIN_H
#define SHMX_KERNELS_PLUGIN_H

#include "shmx/kernel.h"

/* dlopen path (it must contain a '/') and find kernel `name` in its
 * shmx_plugin_kernels list, checking its ABI number, struct size and
 * functions.  0 with *dl and *k set, or SHMX_EOP with one line. */
int shmx__plugin_open(const char *path, const char *name, void **dl,
		      const struct shmx_kernel **k, struct shmx_error *err);
void shmx__plugin_close(void *dl); /* NULL ok */

#endif
