/* cache.c - LRU map of rendered pages, bounded by bytes, with one render
 * per missed page however many requests want it. */
#include <stdlib.h>
#include <string.h>

#include "cache.h"

struct cache_entry {
	char *path;
	uint64_t fp;
	struct page_body *body;     /* one reference, the cache's */
	size_t cost;                /* bytes counted in cache->bytes */
	struct cache_entry *newer, *older;
};

/* One render in progress.  It leaves the list when it lands; the last of
 * its waiters (or the renderer, when nobody waited) frees it. */
struct cache_flight {
	char *path;
	uint64_t fp;
	bool landed;
	unsigned waiters;
	struct page_body *body;     /* a reference for the waiters, or NULL */
	struct cache_flight *next;
};

void
cache_init(struct cache *c, size_t max_entries, size_t max_bytes)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->landed, NULL);
	c->max_entries = max_bytes == 0 ? 0 : max_entries;
	c->max_bytes = max_entries == 0 ? 0 : max_bytes;
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

/* Takes E out of the map and the list.  The entry is returned to be freed
 * by entry_free after the lock is let go: the last reference to a large
 * body is then dropped outside it. */
static struct cache_entry *
detach(struct cache *c, struct cache_entry *e)
{
	unlink_entry(c, e);
	strmap_remove(&c->map, e->path);
	c->bytes -= e->cost;
	e->older = NULL;
	return e;
}

/* Frees a chain of detached entries linked through ->older. */
static void
entry_free(struct cache_entry *e)
{
	while (e != NULL) {
		struct cache_entry *next = e->older;

		page_body_unref(e->body);
		free(e->path);
		free(e);
		e = next;
	}
}

void
cache_release(struct cache *c)
{
	while (c->oldest != NULL)
		entry_free(detach(c, c->oldest));
	strmap_release(&c->map);
	pthread_cond_destroy(&c->landed);
	pthread_mutex_destroy(&c->lock);
}

static struct cache_flight *
flight_find(struct cache *c, const char *path, uint64_t fp)
{
	for (struct cache_flight *f = c->flights; f != NULL; f = f->next)
		if (f->fp == fp && strcmp(f->path, path) == 0)
			return f;
	return NULL;
}

static void
flight_free(struct cache_flight *f)
{
	page_body_unref(f->body);
	free(f->path);
	free(f);
}

/* Waits, with the lock held, for flight F to land.  Returns its body with
 * a reference, or NULL when it had none to share. */
static struct page_body *
wait_for(struct cache *c, struct cache_flight *f)
{
	struct page_body *body;

	f->waiters++;
	while (!f->landed)
		pthread_cond_wait(&c->landed, &c->lock);
	body = page_body_ref(f->body);
	if (--f->waiters == 0)
		flight_free(f);
	return body;
}

enum cache_result
cache_acquire(struct cache *c, const char *path, uint64_t fp, time_t now,
    struct page_body **body)
{
	struct cache_entry *e, *stale = NULL;
	struct cache_flight *f;

	*body = NULL;
	if (c->max_entries == 0)
		return CACHE_RENDER;
	pthread_mutex_lock(&c->lock);
	for (;;) {
		e = strmap_get(&c->map, path);
		if (e != NULL && e->fp == fp && e->body->expires != 0 &&
		    now >= e->body->expires) {
			stale = detach(c, e);   /* a failure to try again */
			e = NULL;
		}
		if (e != NULL && e->fp == fp) {
			unlink_entry(c, e);
			push_newest(c, e);
			*body = page_body_ref(e->body);
			c->hits++;
			break;
		}
		if ((f = flight_find(c, path, fp)) != NULL) {
			if ((*body = wait_for(c, f)) != NULL) {
				c->hits++;
				break;
			}
			continue;   /* nothing shared: look again */
		}
		c->misses++;
		/* Without memory for a flight the page is rendered unshared:
		 * cache_land then finds no flight and only keeps the body. */
		if ((f = calloc(1, sizeof(*f))) != NULL &&
		    (f->path = strdup(path)) != NULL) {
			f->fp = fp;
			f->next = c->flights;
			c->flights = f;
		} else
			free(f);
		break;
	}
	pthread_mutex_unlock(&c->lock);
	entry_free(stale);
	return *body != NULL ? CACHE_HIT : CACHE_RENDER;
}

void
cache_land(struct cache *c, const char *path, uint64_t fp,
    struct page_body *body)
{
	struct cache_entry *e = NULL, *dropped = NULL, *old;
	struct cache_flight **fp_link, *f = NULL;
	size_t cost = body ? page_body_cost(body) : 0;

	if (c->max_entries == 0)
		return;
	/* Allocate outside the lock; a body larger than the whole cache is
	 * only handed to the waiters. */
	if (body != NULL && cost <= c->max_bytes &&
	    (e = calloc(1, sizeof(*e))) != NULL &&
	    (e->path = strdup(path)) == NULL) {
		free(e);
		e = NULL;
	}
	pthread_mutex_lock(&c->lock);
	for (fp_link = &c->flights; *fp_link != NULL; fp_link = &(*fp_link)->next)
		if ((*fp_link)->fp == fp && strcmp((*fp_link)->path, path) == 0) {
			f = *fp_link;
			*fp_link = f->next;
			break;
		}
	if (f != NULL) {
		f->landed = true;
		f->body = page_body_ref(body);
		if (f->waiters > 0)
			pthread_cond_broadcast(&c->landed);
		else
			flight_free(f);
	}
	if (e != NULL) {
		e->fp = fp;
		e->body = page_body_ref(body);
		e->cost = cost + sizeof(*e) + strlen(path) + 1;
		if ((old = strmap_get(&c->map, path)) != NULL)
			dropped = detach(c, old);
		if (!strmap_put(&c->map, e->path, e)) {
			e->older = dropped;
			dropped = e;
		} else {
			push_newest(c, e);
			c->bytes += e->cost;
			while ((c->map.count > c->max_entries ||
			    c->bytes > c->max_bytes) && c->oldest != NULL &&
			    c->oldest != e) {
				old = detach(c, c->oldest);
				old->older = dropped;
				dropped = old;
			}
		}
	}
	pthread_mutex_unlock(&c->lock);
	entry_free(dropped);
}
