/* engine/format/shape.c - parsing, formatting and sizing shapes.  Pure. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "shmx/shape.h"
#include "base/internal.h"

/* Parse one decimal dimension at *p, advancing it.  Digits only: no sign,
 * no spaces, at most 2^62 so that later products are checked cleanly.
 * -1 when it is not a number, -2 when it is too large. */
static int parse_dim(const char **p, uint64_t *out)
{
	uint64_t v = 0;
	const char *s = *p;
	int big = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (v > ((UINT64_C(1) << 62) - d) / 10) /* v * 10 + d > 2^62 */
			big = 1;
		else
			v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return big ? -2 : 0;
}

int shmx_shape_parse(const char *s, struct shmx_shape *out,
		     struct shmx_error *err)
{
	struct shmx_shape sh = { 0 };
	const char *p = s;
	uint64_t count;
	int rc, big = 0;

	if ((rc = parse_dim(&p, &sh.dim[0])) == -1)
		goto bad;
	big |= rc == -2;
	sh.ndim = 1;
	if (*p == 'x' || *p == 'X' || *p == ',') {
		p++;
		if ((rc = parse_dim(&p, &sh.dim[1])) == -1)
			goto bad;
		big |= rc == -2;
		sh.ndim = 2;
	}
	if (*p != '\0')
		goto bad;
	if (big || shmx_shape_count(&sh, &count) < 0)
		return shmx__fail(err, SHMX_ESHAPE,
				  "shape '%s' has too many elements", s);
	*out = sh;
	return 0;
bad:
	return shmx__fail(err, SHMX_ESHAPE,
			  "bad shape '%s' (use N or RxC, e.g. 100000x10)", s);
}

void shmx_shape_format(const struct shmx_shape *s, char *buf, size_t len)
{
	if (s->ndim == 0)
		snprintf(buf, len, "()");
	else if (s->ndim == 1)
		snprintf(buf, len, "%llu", (unsigned long long)s->dim[0]);
	else
		snprintf(buf, len, "%llux%llu", (unsigned long long)s->dim[0],
			 (unsigned long long)s->dim[1]);
}

uint64_t shmx_shape_rows(const struct shmx_shape *s)
{
	return s->ndim == 0 ? 1 : s->dim[0];
}

uint64_t shmx_shape_cols(const struct shmx_shape *s)
{
	return s->ndim == 2 ? s->dim[1] : 1;
}

int shmx_shape_count(const struct shmx_shape *s, uint64_t *count)
{
	uint64_t n = 1;

	if (s->ndim < 0 || s->ndim > SHMX_MAX_NDIM)
		return -EINVAL;
	for (int i = 0; i < s->ndim; i++)
		if (shmx__mul_u64(n, s->dim[i], &n) < 0)
			return -EOVERFLOW;
	if (n > (UINT64_C(1) << 62))
		return -EOVERFLOW;
	*count = n;
	return 0;
}

int shmx_shape_bytes(const struct shmx_shape *s, enum shmx_dtype t,
		     uint64_t *bytes)
{
	uint64_t n;
	int rc = shmx_shape_count(s, &n);

	if (rc < 0)
		return rc;
	if (shmx__mul_u64(n, shmx_dtype_size(t), bytes) < 0 ||
	    *bytes > (UINT64_C(1) << 62))
		return -EOVERFLOW;
	return 0;
}
