/* engine/format/digits8.h - eight ASCII digits in one 64-bit word (the
 * SWAR trick fast_float uses): loading them, testing that all eight are
 * digits, and their value.  Shared by the CSV field reader (csv.c) and
 * the number parser's fast path (number.cc), so C and C++ alike. */
#ifndef SHMX_FORMAT_DIGITS8_H
#define SHMX_FORMAT_DIGITS8_H

#include <stdint.h>
#include <string.h>

/* The eight bytes at p, the first in the low byte (little-endian). */
static inline uint64_t shmx__load8(const char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* Whether all eight bytes of v are '0'..'9'. */
static inline int shmx__all_digits8(uint64_t v)
{
	return ((v & 0xF0F0F0F0F0F0F0F0u) |
		(((v + 0x0606060606060606u) & 0xF0F0F0F0F0F0F0F0u) >> 4)) ==
	       0x3333333333333333u;
}

/* The value of eight ASCII digits, the first the most significant. */
static inline uint64_t shmx__digits8(uint64_t v)
{
	v -= 0x3030303030303030u;
	v = (v * 10) + (v >> 8);
	return (((v & 0x000000FF000000FFu) * 0x000F424000000064u) +
		(((v >> 16) & 0x000000FF000000FFu) * 0x0000271000000001u)) >>
	       32;
}

#endif
