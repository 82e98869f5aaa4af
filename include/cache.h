/* cache.h - the render cache: finished page bodies in memory, keyed by
 * path and checked against the page's fingerprint.
 *
 * Entries are never invalidated by hand: a page's fingerprint is computed
 * from exactly what it shows (its articles, the stylesheets, the config),
 * so a change anywhere makes the stale entry miss by itself, and only the
 * pages that show the change miss.  Least recently used entries go first
 * when the cache is full.  A cache that cannot allocate simply does not
 * keep the page: the request is served uncached. */
#ifndef XP_CACHE_H
#define XP_CACHE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "strmap.h"

struct cache_entry;

struct cache {
	pthread_mutex_t lock;
	struct strmap map;            /* path -> entry */
	struct cache_entry *newest, *oldest;
	size_t max_entries;           /* 0: the cache is off */
	unsigned long hits, misses;   /* for the benchmark's report */
};

/* Sets up an empty cache of at most MAX_ENTRIES pages (0 = off). */
void cache_init(struct cache *c, size_t max_entries);
/* Frees every entry; the struct itself is the caller's. */
void cache_release(struct cache *c);

/* When PATH is cached with fingerprint FP, appends its body to OUT and
 * returns true; otherwise returns false and leaves OUT as it was. */
bool cache_get(struct cache *c, const char *path, uint64_t fp,
    struct buf *out);

/* Keeps a copy of BODY (LEN bytes) for PATH and FP, replacing any older
 * version.  Silently keeps nothing when memory is short. */
void cache_put(struct cache *c, const char *path, uint64_t fp,
    const char *body, size_t len);

#endif
