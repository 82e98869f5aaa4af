/* hash.h - FNV-1a, 64 bits: content fingerprints for ETags and the cache.
 * Content-based, so every process of a fleet and every restart gives the
 * same ETag for the same page. */
#ifndef XP_HASH_H
#define XP_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define HASH_INIT UINT64_C(1469598103934665603)

static inline uint64_t
hash_bytes(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * UINT64_C(1099511628211);
	return h;
}

static inline uint64_t
hash_str(uint64_t h, const char *s)
{
	/* The terminating NUL goes in too: "ab","c" differs from "a","bc". */
	return hash_bytes(h, s, strlen(s) + 1);
}

static inline uint64_t
hash_u64(uint64_t h, uint64_t v)
{
	return hash_bytes(h, &v, sizeof(v));
}

#endif
