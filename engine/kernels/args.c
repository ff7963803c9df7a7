/* engine/kernels/args.c - parsing an op's arguments, strictly: the whole
 * field must be the number (no spaces, no trailing junk, not empty), and
 * integer literals are kept exact so that add:K on an integer array can
 * be exact or refused.  Pure: no system calls.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/args.h"
#include "base/internal.h"

/* Decimal digits with an optional sign: the literal numpy would read as a
 * Python int. */
static int is_int_literal(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	return *s && s[strspn(s, "0123456789")] == '\0';
}

static void read_int(const char *s, struct shmx__opargs *a, int k)
{
	char *end;

	errno = 0;
	a->i[k] = strtoll(s, &end, 10);
	a->is_int[k] = SHMX__ARG_INT;
	if (errno == ERANGE) {
		uint64_t u;

		errno = 0;
		u = strtoull(s, &end, 10);
		a->is_int[k] = SHMX__ARG_HUGE;
		a->i[k] = 0;
		if (*s != '-' && errno != ERANGE) {
			a->is_int[k] = SHMX__ARG_UINT;
			a->i[k] = (int64_t)u; /* bits; gcc: modulo */
		}
	}
}

static int read_number(const char *name, const char *s,
		       struct shmx__opargs *a, int k, struct shmx_error *err)
{
	char *end;

	/* strtod skips leading space; we do not */
	if (!*s || strchr(" \t\n\v\f\r", *s))
		goto bad;
	a->f[k] = strtod(s, &end);
	if (*end)
		goto bad;
	if (is_int_literal(s))
		read_int(s, a, k);
	return 0;
bad:
	return shmx__fail(err, SHMX_EOP,
			  "operation '%s': '%s' is not a number", name, s);
}

static int read_dtype(const char *name, const char *s,
		      struct shmx__opargs *a, struct shmx_error *err)
{
	struct shmx_error ignored;

	if (shmx_dtype_parse(s, &a->to, &ignored) < 0 || a->to == SHMX_BOOL)
		return shmx__fail(err, SHMX_EOP,
				  "operation '%s': unknown dtype '%s' (use "
				  "i8 i16 i32 i64 u8 u16 u32 u64 f32 f64)",
				  name, s);
	return 0;
}

int shmx__args_read(const char *name, int is_dtype, unsigned n,
		    const char *const *fields, struct shmx__opargs *a,
		    struct shmx_error *err)
{
	memset(a, 0, sizeof(*a));
	a->n = (int)n;
	for (unsigned k = 0; k < n && k < 2; k++) {
		int rc;

		if (strlen(fields[k]) >= 128)
			return shmx__fail(err, SHMX_EOP,
					  "operation '%s': argument %u is too "
					  "long", name, k + 1);
		rc = is_dtype ? read_dtype(name, fields[k], a, err)
			      : read_number(name, fields[k], a, (int)k, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- integer literals against integer dtypes --------------------------- */

struct int_range {
	int is_signed;
	int64_t min, max; /* signed dtypes */
	uint64_t umax;    /* unsigned dtypes */
};

static struct int_range range_of(enum shmx_dtype t)
{
	switch (t) {
	case SHMX_I8: return (struct int_range){ 1, INT8_MIN, INT8_MAX, 0 };
	case SHMX_I16: return (struct int_range){ 1, INT16_MIN, INT16_MAX, 0 };
	case SHMX_I32: return (struct int_range){ 1, INT32_MIN, INT32_MAX, 0 };
	case SHMX_I64: return (struct int_range){ 1, INT64_MIN, INT64_MAX, 0 };
	case SHMX_U8: return (struct int_range){ 0, 0, 0, UINT8_MAX };
	case SHMX_U16: return (struct int_range){ 0, 0, 0, UINT16_MAX };
	case SHMX_U32: return (struct int_range){ 0, 0, 0, UINT32_MAX };
	default: return (struct int_range){ 0, 0, 0, UINT64_MAX };
	}
}

int shmx__arg_fits(const struct shmx__opargs *a, int k, enum shmx_dtype t)
{
	struct int_range r = range_of(t);

	switch (a->is_int[k]) {
	case SHMX__ARG_INT:
		if (r.is_signed)
			return a->i[k] >= r.min && a->i[k] <= r.max;
		return a->i[k] >= 0 && (uint64_t)a->i[k] <= r.umax;
	case SHMX__ARG_UINT:
		return !r.is_signed && (uint64_t)a->i[k] <= r.umax;
	default:
		return 0;
	}
}

uint64_t shmx__arg_saturate(const struct shmx__opargs *a, int k,
			    enum shmx_dtype t)
{
	struct int_range r = range_of(t);
	int below = a->is_int[k] == SHMX__ARG_HUGE ? a->f[k] < 0
		    : a->is_int[k] == SHMX__ARG_INT ? (r.is_signed
							  ? a->i[k] < r.min
							  : a->i[k] < 0)
						     : 0;

	if (below)
		return r.is_signed ? (uint64_t)r.min : 0;
	if (shmx__arg_fits(a, k, t))
		return (uint64_t)a->i[k];
	return r.is_signed ? (uint64_t)r.max : r.umax;
}

void shmx__arg_format(const struct shmx__opargs *a, int k, char *buf,
		      size_t len)
{
	if (a->is_int[k] == SHMX__ARG_INT)
		snprintf(buf, len, "%" PRId64, a->i[k]);
	else if (a->is_int[k] == SHMX__ARG_UINT)
		snprintf(buf, len, "%" PRIu64, (uint64_t)a->i[k]);
	else
		snprintf(buf, len, "%g", a->f[k]);
}
