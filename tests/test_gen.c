/* tests/test_gen.c - engine/kernels/fill.c: the counter-based generator.  Element i
 * depends only on (fill, seed, i), so any split of [0, n) gives the same
 * bytes; each fill stays in its documented range. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "shmx/gen.h"
#include "shmx/error.h"
#include "support.h"

#define N 4000

static const enum shmx_fill fills[] = { SHMX_FILL_UNIFORM, SHMX_FILL_NORMAL,
					SHMX_FILL_RANGE, SHMX_FILL_ZEROS };

static void *filled(enum shmx_dtype t, enum shmx_fill f, uint64_t seed,
		    size_t n)
{
	void *p = malloc(n * shmx_dtype_size(t));

	cr_assert(p);
	memset(p, 0xa5, n * shmx_dtype_size(t));
	shmx_fill(p, t, 0, n, f, seed);
	return p;
}

Test(gen, fill_parse_knows_the_four_fills)
{
	static const char *const names[] = { "uniform", "normal", "range",
					     "zeros" };
	enum shmx_fill f;

	for (int i = 0; i < 4; i++) {
		cr_expect_eq(shmx_fill_parse(names[i], &f, NULL), 0);
		cr_expect_eq(f, fills[i], "%s", names[i]);
	}
}

Test(gen, fill_parse_refuses_others_with_the_exact_message)
{
	static const char *const bad[] = { "Uniform", "gauss", "", "zero",
					   "range " };
	struct shmx_error err = { 0 };
	char msg[128];
	enum shmx_fill f = SHMX_FILL_RANGE;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(shmx_fill_parse(bad[i], &f, &err), SHMX_EUSAGE);
		cr_expect_eq(err.code, SHMX_EUSAGE);
		snprintf(msg, sizeof(msg),
			 "unknown fill '%s' (use uniform, normal, range or "
			 "zeros)",
			 bad[i]);
		cr_expect_str_eq(err.msg, msg);
	}
	cr_expect_eq(f, SHMX_FILL_RANGE);
}

Test(gen, any_split_of_the_range_gives_the_same_bytes)
{
	static const size_t cuts[] = { 0, 1, 2, 9, 64, 65, 1000, 1001,
				       2047, 3999, N };
	for (int t = 0; t < SHMX_BOOL; t++) /* gen has no bool */
		for (size_t f = 0; f < 4; f++) {
			size_t sz = shmx_dtype_size((enum shmx_dtype)t);
			void *whole = filled((enum shmx_dtype)t, fills[f], 7, N);
			unsigned char *pieces = malloc(N * sz);

			cr_assert(pieces);
			memset(pieces, 0x5a, N * sz);
			/* back to front, in uneven pieces */
			for (size_t c = sizeof(cuts) / sizeof(cuts[0]) - 1; c > 0;
			     c--)
				shmx_fill(pieces, (enum shmx_dtype)t, cuts[c - 1],
					  cuts[c] - cuts[c - 1], fills[f], 7);
			cr_expect_eq(memcmp(whole, pieces, N * sz), 0,
				     "dtype %s fill %zu",
				     shmx_dtype_name((enum shmx_dtype)t), f);
			free(whole);
			free(pieces);
		}
}

Test(gen, one_element_at_a_time_gives_the_same_bytes)
{
	for (int t = 0; t < SHMX_BOOL; t++) { /* gen has no bool */
		size_t sz = shmx_dtype_size((enum shmx_dtype)t);
		unsigned char *whole = filled((enum shmx_dtype)t,
					      SHMX_FILL_NORMAL, 3, 300);
		unsigned char *one = malloc(300 * sz);

		for (uint64_t i = 0; i < 300; i++)
			shmx_fill(one, (enum shmx_dtype)t, i, 1,
				  SHMX_FILL_NORMAL, 3);
		cr_expect_eq(memcmp(whole, one, 300 * sz), 0, "%s",
			     shmx_dtype_name((enum shmx_dtype)t));
		free(whole);
		free(one);
	}
}

Test(gen, fill_writes_only_its_range)
{
	for (int t = 0; t < SHMX_BOOL; t++) /* gen has no bool */
		for (size_t f = 0; f < 4; f++) {
			size_t sz = shmx_dtype_size((enum shmx_dtype)t);
			unsigned char *p = malloc(100 * sz);

			memset(p, 0xa5, 100 * sz);
			shmx_fill(p, (enum shmx_dtype)t, 10, 80, fills[f], 1);
			for (size_t b = 0; b < 10 * sz; b++)
				cr_assert_eq(p[b], 0xa5, "%s fill %zu byte %zu",
					     shmx_dtype_name((enum shmx_dtype)t),
					     f, b);
			for (size_t b = 90 * sz; b < 100 * sz; b++)
				cr_assert_eq(p[b], 0xa5, "%s fill %zu byte %zu",
					     shmx_dtype_name((enum shmx_dtype)t),
					     f, b);
			shmx_fill(p, (enum shmx_dtype)t, 5, 0, fills[f], 1);
			cr_assert_eq(p[5 * sz], 0xa5, "count 0 wrote");
			free(p);
		}
}

Test(gen, same_seed_same_data_other_seed_other_data)
{
	for (int t = 0; t < SHMX_BOOL; t++) /* gen has no bool */
		for (size_t f = 0; f < 2; f++) {
			size_t bytes = N * shmx_dtype_size((enum shmx_dtype)t);
			void *a = filled((enum shmx_dtype)t, fills[f], 1, N);
			void *b = filled((enum shmx_dtype)t, fills[f], 1, N);
			void *c = filled((enum shmx_dtype)t, fills[f], 2, N);

			cr_expect_eq(memcmp(a, b, bytes), 0);
			cr_expect_neq(memcmp(a, c, bytes), 0, "%s fill %zu",
				      shmx_dtype_name((enum shmx_dtype)t), f);
			free(a);
			free(b);
			free(c);
		}
}

Test(gen, uniform_floats_are_in_zero_one)
{
	double *d = filled(SHMX_F64, SHMX_FILL_UNIFORM, 0, 100000);
	float *f = filled(SHMX_F32, SHMX_FILL_UNIFORM, 0, 100000);
	double sum_d = 0, sum_f = 0;

	for (int i = 0; i < 100000; i++) {
		cr_assert(d[i] >= 0.0 && d[i] < 1.0, "f64 %d: %a", i, d[i]);
		cr_assert(f[i] >= 0.0f && f[i] < 1.0f, "f32 %d: %a", i,
			  (double)f[i]);
		sum_d += d[i];
		sum_f += f[i];
	}
	cr_expect(fabs(sum_d / 100000 - 0.5) < 0.01, "mean %g", sum_d / 1e5);
	cr_expect(fabs(sum_f / 100000 - 0.5) < 0.01, "mean %g", sum_f / 1e5);
	free(d);
	free(f);
}

Test(gen, uniform_f32_never_rounds_up_to_one)
{
	/* Element 30736886 of seed 0 is 1 - 2.8e-8 as a double, which
	 * rounds to 1.0f: f32 must not be the f64 value rounded.  The arrays are mapped, not touched:
	 * only the last page is written. */
	const uint64_t at = 30736886;
	size_t len = (at + 1) * sizeof(double);
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	float f;
	double d;

	cr_assert(m != MAP_FAILED);
	shmx_fill(m, SHMX_F32, at, 1, SHMX_FILL_UNIFORM, 0);
	f = ((float *)m)[at];
	shmx_fill(m, SHMX_F64, at, 1, SHMX_FILL_UNIFORM, 0);
	d = ((double *)m)[at];
	munmap(m, len);
	cr_expect(f >= 0.0f && f < 1.0f, "f32: %a", (double)f);
	cr_expect(d >= 0.0 && d < 1.0, "f64: %a", d);
	cr_expect(d > 0.999999, "not the element it was: %a", d);
}

Test(gen, uniform_signed_ints_cover_minus_100_to_100)
{
	static const enum shmx_dtype ts[] = { SHMX_I8, SHMX_I16, SHMX_I32,
					      SHMX_I64 };
	for (size_t k = 0; k < 4; k++) {
		void *p = filled(ts[k], SHMX_FILL_UNIFORM, 5, 20000);
		int64_t lo = INT64_MAX, hi = INT64_MIN;

		for (int i = 0; i < 20000; i++) {
			int64_t v = ts[k] == SHMX_I8    ? ((int8_t *)p)[i]
				    : ts[k] == SHMX_I16 ? ((int16_t *)p)[i]
				    : ts[k] == SHMX_I32 ? ((int32_t *)p)[i]
							: ((int64_t *)p)[i];
			cr_assert(v >= -100 && v <= 100, "%s: %lld",
				  shmx_dtype_name(ts[k]), (long long)v);
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
		cr_expect(lo == -100 && hi == 100, "%s: [%lld, %lld]",
			  shmx_dtype_name(ts[k]), (long long)lo, (long long)hi);
		free(p);
	}
}

Test(gen, uniform_unsigned_ints_cover_0_to_200)
{
	static const enum shmx_dtype ts[] = { SHMX_U8, SHMX_U16, SHMX_U32,
					      SHMX_U64 };
	for (size_t k = 0; k < 4; k++) {
		void *p = filled(ts[k], SHMX_FILL_UNIFORM, 5, 20000);
		uint64_t lo = UINT64_MAX, hi = 0;

		for (int i = 0; i < 20000; i++) {
			uint64_t v = ts[k] == SHMX_U8    ? ((uint8_t *)p)[i]
				     : ts[k] == SHMX_U16 ? ((uint16_t *)p)[i]
				     : ts[k] == SHMX_U32 ? ((uint32_t *)p)[i]
							 : ((uint64_t *)p)[i];
			cr_assert(v <= 200, "%s: %llu", shmx_dtype_name(ts[k]),
				  (unsigned long long)v);
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
		cr_expect(lo == 0 && hi == 200, "%s: [%llu, %llu]",
			  shmx_dtype_name(ts[k]), (unsigned long long)lo,
			  (unsigned long long)hi);
		free(p);
	}
}

Test(gen, normal_floats_have_mean_0_and_deviation_1)
{
	double *d = filled(SHMX_F64, SHMX_FILL_NORMAL, 11, 200000);
	float *f = filled(SHMX_F32, SHMX_FILL_NORMAL, 11, 200000);
	double s = 0, ss = 0;

	for (int i = 0; i < 200000; i++) {
		cr_assert(isfinite(d[i]));
		cr_assert(isfinite(f[i]));
		s += d[i];
		ss += d[i] * d[i];
	}
	s /= 200000;
	ss = sqrt(ss / 200000 - s * s);
	cr_expect(fabs(s) < 0.01, "mean %g", s);
	cr_expect(fabs(ss - 1) < 0.01, "std %g", ss);
	free(d);
	free(f);
}

Test(gen, normal_ints_are_ten_times_a_normal_rounded)
{
	double *d = filled(SHMX_F64, SHMX_FILL_NORMAL, 11, 10000);
	int32_t *i32 = filled(SHMX_I32, SHMX_FILL_NORMAL, 11, 10000);
	int64_t *i64 = filled(SHMX_I64, SHMX_FILL_NORMAL, 11, 10000);

	for (int i = 0; i < 10000; i++) {
		cr_assert_eq(i32[i], (int32_t)llround(10 * d[i]), "at %d", i);
		cr_assert_eq(i64[i], (int64_t)llround(10 * d[i]), "at %d", i);
	}
	free(d);
	free(i32);
	free(i64);
}

Test(gen, range_is_the_flat_index_converted_as_c_does)
{
	const uint64_t first = 250;

	for (int t = 0; t < SHMX_BOOL; t++) { /* gen has no bool */
		size_t sz = shmx_dtype_size((enum shmx_dtype)t);
		unsigned char *base = malloc((first + 100) * sz),
			      *p = base + first * sz;

		cr_assert(base);
		shmx_fill(base, (enum shmx_dtype)t, first, 100,
			  SHMX_FILL_RANGE, 99);
		for (uint64_t k = 0; k < 100; k++) {
			uint64_t i = first + k;
			int ok;

			switch ((enum shmx_dtype)t) {
			case SHMX_I8: ok = ((int8_t *)p)[k] == (int8_t)i; break;
			case SHMX_I16: ok = ((int16_t *)p)[k] == (int16_t)i; break;
			case SHMX_I32: ok = ((int32_t *)p)[k] == (int32_t)i; break;
			case SHMX_I64: ok = ((int64_t *)p)[k] == (int64_t)i; break;
			case SHMX_U8: ok = ((uint8_t *)p)[k] == (uint8_t)i; break;
			case SHMX_U16: ok = ((uint16_t *)p)[k] == (uint16_t)i; break;
			case SHMX_U32: ok = ((uint32_t *)p)[k] == (uint32_t)i; break;
			case SHMX_U64: ok = ((uint64_t *)p)[k] == i; break;
			case SHMX_F32: ok = ((float *)p)[k] == (float)i; break;
			default: ok = ((double *)p)[k] == (double)i; break;
			}
			cr_assert(ok, "%s at %llu",
				  shmx_dtype_name((enum shmx_dtype)t),
				  (unsigned long long)i);
		}
		free(base);
	}
}

Test(gen, range_of_i8_wraps)
{
	int8_t v[130];

	shmx_fill(v, SHMX_I8, 127, 3, SHMX_FILL_RANGE, 0);
	cr_expect(v[127] == 127 && v[128] == -128 && v[129] == -127);
}

Test(gen, zeros_are_zero)
{
	for (int t = 0; t < SHMX_BOOL; t++) { /* gen has no bool */
		size_t bytes = 500 * shmx_dtype_size((enum shmx_dtype)t);
		unsigned char *p = filled((enum shmx_dtype)t, SHMX_FILL_ZEROS,
					  1, 500);

		for (size_t b = 0; b < bytes; b++)
			cr_assert_eq(p[b], 0, "%s byte %zu",
				     shmx_dtype_name((enum shmx_dtype)t), b);
		free(p);
	}
}

Test(gen, ignores_the_seed_for_range_and_zeros)
{
	for (size_t f = 2; f < 4; f++) {
		void *a = filled(SHMX_F64, fills[f], 1, 100);
		void *b = filled(SHMX_F64, fills[f], 123456789, 100);

		cr_expect_eq(memcmp(a, b, 800), 0);
		free(a);
		free(b);
	}
}
