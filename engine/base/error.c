/* engine/base/error.c - shmx_strerror, the error classes, shmx__fail and
 * shmx__note. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "shmx/error.h"
#include "base/internal.h"

const char *shmx_strerror(int code)
{
	switch (code) {
#define SHMX__ERRSTR(name, val, input, desc) \
	case (val):                          \
		return desc;
		SHMX_ERRNO_MAP(SHMX__ERRSTR)
#undef SHMX__ERRSTR
	case 0:
		return "success";
	default:
		/* strerror is not thread-safe in general, but glibc's returns
		 * static strings for known codes. */
		return code < 0 ? strerror(-code) : "unknown error";
	}
}

int shmx_error_is_input(int code)
{
	switch (code) {
#define SHMX__ERRCLS(name, val, input, desc) \
	case (val):                          \
		return (input);
		SHMX_ERRNO_MAP(SHMX__ERRCLS)
#undef SHMX__ERRCLS
	/* errno values that mean the user named something wrong */
	case -ENOENT:
	case -EEXIST:
	case -EISDIR:
	case -ENOTDIR:
	case -ENAMETOOLONG:
	case -EINVAL:
	case -EACCES:
	case -EPERM:
	case -ELOOP:
	case -EROFS:
		return 1;
	default:
		return 0;
	}
}

int shmx__fail(struct shmx_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	/* One line, always: a path with a newline must not split it. */
	for (char *p = err->msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = '?';
	return code;
}

void shmx__note(char *buf, size_t size, const char *fmt, ...)
{
	size_t used = strnlen(buf, size);
	va_list ap;

	if (used + 2 >= size)
		return;
	if (used) {
		memcpy(buf + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
}
