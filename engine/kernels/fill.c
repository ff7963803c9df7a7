/* engine/kernels/fill.c - the counter-based generator behind `shmx gen`,
 * as shmx_fill() and as the kernel "fill:FILL:SEED:DTYPE:SHAPE" (no input;
 * e.g. "fill:uniform:42:f64:100000x10").
 *
 * value(i) = f(splitmix64(key + i)), key derived from the seed: no state
 * carried between elements, so the loops vectorise and any partition of
 * [0, n) among workers yields the same array.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shmx/gen.h"
#include "base/internal.h"
#include "kernels/fill.h"
#include "kernels/ops.h"

static inline uint64_t mix(uint64_t z)
{
	z += UINT64_C(0x9e3779b97f4a7c15);
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static inline double unit(uint64_t bits) /* [0, 1) */
{
	return (double)(bits >> 11) * 0x1.0p-53;
}

/* [0, 1) for an element of `size` bytes.  A float takes 24 bits: rounding
 * a 53-bit unit() to float would give 1.0f for about one value in 2^25. */
static inline double unit_of(uint64_t bits, size_t size)
{
	return size == sizeof(float) ? (double)(bits >> 40) * 0x1.0p-24
				     : unit(bits);
}

static inline double normal(uint64_t key, uint64_t i)
{
	/* 1 - unit() is in (0, 1], so log never sees 0 */
	double u1 = 1.0 - unit(mix(key + 2 * i));
	double u2 = unit(mix(key + 2 * i + 1));

	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* An integer in [lo, lo + span) from 64 random bits, without division. */
static inline int64_t bounded(uint64_t bits, int64_t lo, uint64_t span)
{
	return lo + (int64_t)(((bits >> 32) * span) >> 32);
}

#define FILL_FN(name, T, IS_FLOAT, LO, SPAN)                                  \
	static void name(T *p, uint64_t first, uint64_t n, enum shmx_fill f,  \
			 uint64_t key)                                        \
	{                                                                     \
		switch (f) {                                                  \
		case SHMX_FILL_UNIFORM:                                       \
			for (uint64_t k = 0; k < n; k++)                      \
				p[k] = IS_FLOAT                               \
					? (T)unit_of(mix(key + first + k),    \
						     sizeof(T))               \
					: (T)bounded(mix(key + first + k),    \
						     LO, SPAN);               \
			break;                                                \
		case SHMX_FILL_NORMAL:                                        \
			for (uint64_t k = 0; k < n; k++)                      \
				p[k] = IS_FLOAT ? (T)normal(key, first + k)   \
						: (T)(int64_t)llround(        \
							  10 * normal(key, first + k)); \
			break;                                                \
		case SHMX_FILL_RANGE:                                         \
			for (uint64_t k = 0; k < n; k++)                      \
				p[k] = (T)(first + k);                        \
			break;                                                \
		case SHMX_FILL_ZEROS:                                         \
			memset(p, 0, n * sizeof(T));                          \
			break;                                                \
		}                                                             \
	}

FILL_FN(fill_i8, int8_t, 0, -100, 201)
FILL_FN(fill_i16, int16_t, 0, -100, 201)
FILL_FN(fill_i32, int32_t, 0, -100, 201)
FILL_FN(fill_i64, int64_t, 0, -100, 201)
FILL_FN(fill_u8, uint8_t, 0, 0, 201)
FILL_FN(fill_u16, uint16_t, 0, 0, 201)
FILL_FN(fill_u32, uint32_t, 0, 0, 201)
FILL_FN(fill_u64, uint64_t, 0, 0, 201)
FILL_FN(fill_f32, float, 1, 0, 1)
FILL_FN(fill_f64, double, 1, 0, 1)

static const char *const fill_names[] = { "uniform", "normal", "range",
					  "zeros" };

const char *shmx__fill_name(enum shmx_fill f)
{
	return (unsigned)f < 4 ? fill_names[f] : NULL;
}

int shmx_fill_parse(const char *s, enum shmx_fill *out, struct shmx_error *err)
{
	const char *const *names = fill_names;

	for (int i = 0; i < 4; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum shmx_fill)i;
			return 0;
		}
	}
	return shmx__fail(err, SHMX_EUSAGE,
			  "unknown fill '%s' (use uniform, normal, range or "
			  "zeros)",
			  s);
}

/* Elements [first, first + count) of the array, written at p. */
static void fill_at(void *p, enum shmx_dtype t, uint64_t first,
		    uint64_t count, enum shmx_fill fill, uint64_t seed)
{
	uint64_t key = mix(seed ^ UINT64_C(0x53484d5800000001));

	switch (t) {
	case SHMX_I8: fill_i8(p, first, count, fill, key); break;
	case SHMX_I16: fill_i16(p, first, count, fill, key); break;
	case SHMX_I32: fill_i32(p, first, count, fill, key); break;
	case SHMX_I64: fill_i64(p, first, count, fill, key); break;
	case SHMX_U8: fill_u8(p, first, count, fill, key); break;
	case SHMX_U16: fill_u16(p, first, count, fill, key); break;
	case SHMX_U32: fill_u32(p, first, count, fill, key); break;
	case SHMX_U64: fill_u64(p, first, count, fill, key); break;
	case SHMX_F32: fill_f32(p, first, count, fill, key); break;
	case SHMX_F64: fill_f64(p, first, count, fill, key); break;
	default: break;
	}
}

void shmx_fill(void *base, enum shmx_dtype t, uint64_t first, uint64_t count,
	       enum shmx_fill fill, uint64_t seed)
{
	fill_at((char *)base + first * shmx_dtype_size(t), t, first, count,
		fill, seed);
}

/* ---- the kernel -------------------------------------------------------- */

struct fill_state {
	enum shmx_fill fill;
	enum shmx_dtype dtype;
	uint64_t seed, cols;
};

static_assert(sizeof(struct fill_state) <= SHMX_KERNEL_STATE_BYTES,
	      "fill's state must fit in the call's");

/* A decimal uint64, the whole field. */
static int read_seed(const char *s, uint64_t *out, struct shmx_error *err)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (!*s || s[strspn(s, "0123456789")] || errno == ERANGE)
		return shmx__fail(err, SHMX_EOP,
				  "operation 'fill': bad seed '%s'", s);
	return 0;
}

static int read_shape(const char *s, struct shmx_shape *out,
		      struct shmx_error *err)
{
	if (strcmp(s, "()") == 0) {
		*out = (struct shmx_shape){ 0, { 0, 0 } };
		return 0;
	}
	return shmx_shape_parse(s, out, err);
}

static int fill_prepare(struct shmx_kernel_call *c, struct shmx_error *err)
{
	struct fill_state *st = (void *)c->state;
	int rc = shmx_fill_parse(c->args[0], &st->fill, err);

	if (!rc)
		rc = read_seed(c->args[1], &st->seed, err);
	if (!rc)
		rc = shmx_dtype_parse(c->args[2], &st->dtype, err);
	if (!rc && st->dtype == SHMX_BOOL)
		rc = shmx__fail(err, SHMX_EDTYPE,
				"gen: no fill for bool arrays (make one with "
				"shmx eval 'x > 0.5')");
	if (!rc)
		rc = read_shape(c->args[3], &c->out_shape, err);
	if (rc)
		return rc;
	if (shmx_shape_rows(&c->out_shape) != c->rows)
		return shmx__fail(err, SHMX_ESHAPE,
				  "operation 'fill': the shape has %llu rows, "
				  "the run %llu",
				  (unsigned long long)shmx_shape_rows(&c->out_shape),
				  (unsigned long long)c->rows);
	st->cols = shmx_shape_cols(&c->out_shape);
	c->out_dtype = st->dtype;
	c->out_cols = st->cols;
	return 0;
}

static int fill_chunk(const struct shmx_kernel_call *c,
		      const struct shmx_chunk *k, struct shmx_error *err)
{
	const struct fill_state *st = (const void *)c->state;

	(void)err;
	fill_at(k->out, st->dtype, k->row0 * st->cols, k->nrows * st->cols,
		st->fill, st->seed);
	return 0;
}

const struct shmx_kernel shmx__k_fill = {
	.abi = SHMX_KERNEL_ABI,
	.size = sizeof(struct shmx_kernel),
	.name = "fill",
	.kind = SHMX_KERNEL_MAP,
	.flags = SHMX_KERNEL_NO_INPUT,
	.min_args = 4,
	.max_args = 4,
	.prepare = fill_prepare,
	.chunk = fill_chunk,
};
