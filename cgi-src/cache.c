/* cache.c - LRU map of rendered pages. */
#include <stdlib.h>
#include <string.h>

#include "cache.h"

struct cache_entry {
	char *path;
	uint64_t fp;
	char *body;
	size_t len;
	struct cache_entry *newer, *older;
};

void
cache_init(struct cache *c, size_t max_entries)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->max_entries = max_entries;
}

static void
unlink_entry(struct cache *c, struct cache_entry *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void
push_newest(struct cache *c, struct cache_entry *e)
{
	e->older = c->newest;
	e->newer = NULL;
	if (c->newest != NULL)
		c->newest->newer = e;
	c->newest = e;
	if (c->oldest == NULL)
		c->oldest = e;
}

static void
entry_free(struct cache_entry *e)
{
	if (e == NULL)
		return;
	free(e->path);
	free(e->body);
	free(e);
}

static void
drop(struct cache *c, struct cache_entry *e)
{
	unlink_entry(c, e);
	strmap_remove(&c->map, e->path);
	entry_free(e);
}

void
cache_release(struct cache *c)
{
	while (c->oldest != NULL)
		drop(c, c->oldest);
	strmap_release(&c->map);
	pthread_mutex_destroy(&c->lock);
}

bool
cache_get(struct cache *c, const char *path, uint64_t fp, struct buf *out)
{
	struct cache_entry *e;
	bool hit = false;

	if (c->max_entries == 0)
		return false;
	pthread_mutex_lock(&c->lock);
	e = strmap_get(&c->map, path);
	if (e != NULL && e->fp == fp) {
		unlink_entry(c, e);
		push_newest(c, e);
		buf_append(out, e->body, e->len);
		hit = !out->failed;
	}
	if (hit)
		c->hits++;
	else
		c->misses++;
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void
cache_put(struct cache *c, const char *path, uint64_t fp, const char *body,
    size_t len)
{
	struct cache_entry *e, *old;

	if (c->max_entries == 0)
		return;
	/* Copy outside the lock; only the map and list need it. */
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->path = strdup(path)) == NULL ||
	    (e->body = malloc(len ? len : 1)) == NULL) {
		entry_free(e);
		return;
	}
	memcpy(e->body, body, len);
	e->len = len;
	e->fp = fp;
	pthread_mutex_lock(&c->lock);
	if ((old = strmap_get(&c->map, path)) != NULL)
		drop(c, old);
	if (!strmap_put(&c->map, e->path, e)) {
		pthread_mutex_unlock(&c->lock);
		entry_free(e);
		return;
	}
	push_newest(c, e);
	while (c->map.count > c->max_entries && c->oldest != NULL)
		drop(c, c->oldest);
	pthread_mutex_unlock(&c->lock);
}
