/* engine/base/version.c - the library's version string. */
#include "shmx/common.h"

#define SHMX__STR2(x) #x
#define SHMX__STR(x) SHMX__STR2(x)

const char *shmx_version(void)
{
	return SHMX__STR(SHMX_VERSION_MAJOR) "." SHMX__STR(
		SHMX_VERSION_MINOR) "." SHMX__STR(SHMX_VERSION_PATCH);
}
