/* cache.h - the render cache: finished page bodies in memory, keyed by
 * path and checked against the page's fingerprint.
 *
 * Entries are never invalidated by hand: a page's fingerprint is computed
 * from exactly what it shows (its articles, the stylesheets, the config),
 * so a change anywhere makes the stale entry miss by itself, and only the
 * pages that show the change miss.  The cache is bounded by bytes (and,
 * for old configs, by a count of pages); least recently used entries go
 * first.  Bodies are shared, never copied: a hit hands out a reference.
 *
 * A miss is rendered once: while one request renders a path for a
 * fingerprint, the others that want the same page wait for its body
 * instead of rendering it again.  A page whose render failed is
 * remembered, briefly, so that the same inputs do not fail again on every
 * request.  A cache that cannot allocate simply does not keep the page:
 * the request is served uncached. */
#ifndef XP_CACHE_H
#define XP_CACHE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "pagebody.h"
#include "strmap.h"

struct cache_entry;
struct cache_flight;

struct cache {
	pthread_mutex_t lock;
	pthread_cond_t landed;        /* a flight finished: waiters look again */
	struct strmap map;            /* path -> entry */
	struct cache_entry *newest, *oldest;
	struct cache_flight *flights; /* renders in progress */
	size_t max_entries;           /* 0: the cache is off */
	size_t max_bytes;
	size_t bytes;                 /* what the entries hold now */
	unsigned long hits, misses;   /* for the benchmark's report */
};

/* How long a failed render is answered from the cache before the page is
 * tried again (unless its inputs change first). */
#define CACHE_FAILURE_SECONDS 10

/* Sets up an empty cache of at most MAX_ENTRIES pages and MAX_BYTES bytes
 * of bodies (either 0 = off). */
void cache_init(struct cache *c, size_t max_entries, size_t max_bytes);
/* Frees every entry; the struct itself is the caller's.  No flight may be
 * in progress. */
void cache_release(struct cache *c);

enum cache_result {
	CACHE_HIT,     /* *BODY is the page, with a reference for the caller */
	CACHE_RENDER,  /* the caller renders, then calls cache_land once */
};

/* Looks PATH up for fingerprint FP at time NOW.  When another request is
 * rendering the same page, waits for it and returns its body.  On
 * CACHE_RENDER the caller owns the flight for PATH and FP and must end it
 * with cache_land, also when the render fails, or waiters never wake. */
enum cache_result cache_acquire(struct cache *c, const char *path,
    uint64_t fp, time_t now, struct page_body **body);

/* Ends the caller's flight for PATH and FP with BODY (borrowed; the cache
 * and the waiters take their own references), and keeps BODY when it fits.
 * BODY NULL means "nothing to share" (a redirect, an error that depends on
 * more than FP): the waiters then render for themselves. */
void cache_land(struct cache *c, const char *path, uint64_t fp,
    struct page_body *body);

#endif
