/* tests/plugins/nosym.c - a shared object that is not a plugin: it has
 * no shmx_plugin_kernels list. */
#include "shmx/common.h"

SHMX_API int shmx_test_not_a_plugin(void);

int shmx_test_not_a_plugin(void)
{
	return 42;
}
