/* shmx/common.h - export macro, version and how the library was built.
 *
 * The library is built with -fvisibility=hidden; only declarations marked
 * SHMX_API are exported.
 */
#ifndef SHMX_COMMON_H
#define SHMX_COMMON_H

#if defined(__GNUC__)
#define SHMX_API __attribute__((visibility("default")))
#else
#define SHMX_API
#endif

#define SHMX_VERSION_MAJOR 0
#define SHMX_VERSION_MINOR 1
#define SHMX_VERSION_PATCH 0

/* "0.1.0"; the library's own version, which may differ from the header's. */
SHMX_API const char *shmx_version(void);

/* 1 when the library was built with the SHMX_FAULT test hooks
 * (-DSHMX_FAULT_INJECTION=ON: SHMX_FAULT, SHMX_FAULT_LOG and
 * SHMX_SIGNAL_STORM are obeyed), 0 otherwise, as in Release builds. */
SHMX_API int shmx_fault_hooks(void);

#endif
