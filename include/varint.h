/* varint.h - unsigned LEB128 numbers, seven bits a byte, low first: the
 * document gaps of the search postings (postings.c) and of the search
 * file's pair lists (positions.c). */
#ifndef XP_VARINT_H
#define XP_VARINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VARINT_MAX 5   /* bytes a 32-bit number can take */

/* The bytes V takes. */
static inline size_t
varint_len(uint32_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Writes V at OUT (room for VARINT_MAX bytes); returns the bytes written. */
static inline size_t
varint_put(uint8_t *out, uint32_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

/* Reads the number at *AT, which stops before END, into *V and moves *AT
 * past it.  False when it is cut short or does not fit 32 bits: for bytes
 * read from a file others may write. */
static inline bool
varint_read(const uint8_t **at, const uint8_t *end, uint32_t *v)
{
	uint32_t got = 0;

	for (unsigned i = 0; i < VARINT_MAX && *at < end; i++) {
		uint8_t b = *(*at)++;

		if (i == VARINT_MAX - 1 && b > 0x0F)
			return false;
		got |= (uint32_t)(b & 0x7F) << (7 * i);
		if (!(b & 0x80)) {
			*v = got;
			return true;
		}
	}
	return false;
}

/* The number at *AT, read as varint_read does, for lists this process
 * wrote itself: a cut-short one reads as what it holds so far. */
static inline uint32_t
varint_get(const uint8_t **at, const uint8_t *end)
{
	uint32_t v = 0;

	(void)varint_read(at, end, &v);
	return v;
}

#endif
