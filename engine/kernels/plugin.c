/* engine/kernels/plugin.c - loading a user's kernel from a shared object:
 * "plugin:PATH:NAME[:ARGS]".  PATH must contain a '/' (it is never
 * searched for) and no ':'; it is dlopen'ed RTLD_NOW | RTLD_LOCAL in the
 * parent before any worker exists, so the workers inherit its mapping.
 * Every failure is SHMX_EOP with one line naming the plugin.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/internal.h"
#include "kernels/plugin.h"

#define MAX_KERNELS 256 /* a plugin's list ends at NULL, or here */

/* The file itself: a missing one, or a directory, says so plainly. */
static int check_file(const char *path, struct shmx_error *err)
{
	struct stat st;

	if (!strchr(path, '/'))
		return shmx__fail(err, SHMX_EOP,
				  "plugin '%s': the path must contain a '/' "
				  "(./%s): plugins are never searched for",
				  path, path);
	if (stat(path, &st) < 0)
		return shmx__fail(err, SHMX_EOP, "plugin %s: %s", path,
				  strerror(errno));
	if (!S_ISREG(st.st_mode))
		return shmx__fail(err, SHMX_EOP,
				  "plugin %s: not a regular file", path);
	return 0;
}

/* "l2norm zscore" into buf: what the plugin has, for a misspelt name
 * (cut short when full). */
static void list_names(const struct shmx_kernel *const *list, char *buf,
		       size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < MAX_KERNELS && list[i] && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", used ? " " : "",
				 list[i]->name ? list[i]->name : "?");

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* abi, size and name come first in every version of struct shmx_kernel,
 * so they can be read before the ABI is known to match. */
static int check_kernel(const char *path, const struct shmx_kernel *k,
			struct shmx_error *err)
{
	if (k->abi != SHMX_KERNEL_ABI)
		return shmx__fail(err, SHMX_EOP,
				  "plugin %s: kernel '%s' is built for kernel "
				  "ABI %u, this shmx has ABI %u",
				  path, k->name, k->abi, SHMX_KERNEL_ABI);
	if (k->size != sizeof(*k))
		return shmx__fail(err, SHMX_EOP,
				  "plugin %s: kernel '%s' has a struct "
				  "shmx_kernel of %u bytes, this shmx's has %zu",
				  path, k->name, k->size, sizeof(*k));
	if (!k->prepare || !k->chunk)
		return shmx__fail(err, SHMX_EOP,
				  "plugin %s: kernel '%s' has no %s()", path,
				  k->name, k->prepare ? "chunk" : "prepare");
	if (k->kind < SHMX_KERNEL_MAP || k->kind > SHMX_KERNEL_REDUCE ||
	    k->max_args > SHMX_KERNEL_ARGS_MAX || k->min_args > k->max_args)
		return shmx__fail(err, SHMX_EOP,
				  "plugin %s: kernel '%s' has a bad kind or "
				  "argument count",
				  path, k->name);
	return 0;
}

static int find_kernel(const char *path, void *dl, const char *name,
		       const struct shmx_kernel **out, struct shmx_error *err)
{
	const struct shmx_kernel *const *list;
	char names[256];

	dlerror();
	list = dlsym(dl, SHMX_PLUGIN_SYMBOL);
	if (!list)
		return shmx__fail(err, SHMX_EOP,
				  "plugin %s: no %s symbol (a plugin writes "
				  "SHMX_PLUGIN(&kernel, ...))",
				  path, SHMX_PLUGIN_SYMBOL);
	for (size_t i = 0; i < MAX_KERNELS && list[i]; i++) {
		if (list[i]->name && strcmp(list[i]->name, name) == 0) {
			*out = list[i];
			return check_kernel(path, list[i], err);
		}
	}
	list_names(list, names, sizeof(names));
	return shmx__fail(err, SHMX_EOP,
			  "plugin %s has no kernel '%s' (it has: %s)", path,
			  name, names[0] ? names : "none");
}

int shmx__plugin_open(const char *path, const char *name, void **dl,
		      const struct shmx_kernel **k, struct shmx_error *err)
{
	int rc = check_file(path, err);
	const char *why;

	*dl = NULL;
	if (rc)
		return rc;
	*dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!*dl) {
		why = dlerror();
		return shmx__fail(err, SHMX_EOP,
				  "plugin %s: cannot load it: %s", path,
				  why ? why : "not a shared object");
	}
	rc = find_kernel(path, *dl, name, k, err);
	if (rc) {
		dlclose(*dl);
		*dl = NULL;
	}
	return rc;
}

void shmx__plugin_close(void *dl)
{
	if (dl)
		dlclose(dl);
}
