/* server.c - load the site, and swap in new views of it atomically. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "reindex.h"
#include "server.h"

void
server_log_problem(void *ctx, enum log_level level, const struct xp_error *err,
    time_t serving_since)
{
	char text[1200], when[64];
	struct tm tm;

	(void)ctx;
	xp_error_format(err, text, sizeof(text));
	if (serving_since == 0) {
		log_msg(level, "%s", text);
		return;
	}
	gmtime_r(&serving_since, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	log_msg(level, "%s; still serving the version of %s", text, when);
}

struct folder *
server_folder_for(const struct config *cfg, struct xp_error *err)
{
	struct folder *folder;
	struct stat sb;

	if (stat(cfg->articles_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		xp_error_set(err, XP_ERR_IO, cfg->articles_dir, 0,
		    "the articles folder does not exist or is not a folder");
		return NULL;
	}
	folder = folder_new(cfg->articles_dir, cfg->max_article_bytes,
	    server_log_problem, NULL);
	if (folder == NULL) {
		xp_error_set(err, XP_ERR_NOMEM, cfg->articles_dir, 0,
		    "out of memory");
		return NULL;
	}
	folder_set_lang(folder, cfg->lang);
	if (cfg->cache_dir[0] != '\0') {
		struct xp_error cache_err;
		struct metacache *mc = metacache_open(cfg->cache_dir,
		    cfg->articles_dir, &cache_err);

		/* Without its cache the server is slower, never wrong. */
		if (mc == NULL)
			log_error(LOG_WARN, &cache_err);
		else
			folder_use_metacache(folder, mc);
	}
	return folder;
}

/* Articles from which a search without postings takes long enough
 * (about 100 ms at 5,000) to be let through one at a time. */
#define SEARCH_SCAN_ARTICLES 5000
/* How long a search waits for the postings before it scans anyway:
 * below the shipped configs' 30 s read timeout, with room to answer. */
#define SEARCH_WAIT_MS 20000

enum xp_status
server_open(struct server *s, struct config *cfg, struct xp_error *err)
{
	enum xp_status st;

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->publish_lock, NULL);
	pthread_cond_init(&s->loaded_cond, NULL);
	pthread_cond_init(&s->postings_cond, NULL);
	atomic_init(&s->scanning, false);
	atomic_init(&s->stopping, false);
	s->cfg = config_ref(cfg);
	cache_init(&s->cache, cfg->cache ? cfg->cache_size : 0, cfg->cache_bytes);
	s->media = media_cache_new();   /* without it: slower, never wrong */
	if ((s->folder = server_folder_for(cfg, err)) == NULL)
		return err != NULL ? err->status : XP_ERR_IO;
	s->folder->stop = &s->stopping;
	if ((st = stylesheets_load(cfg->xslt_dir, &s->sheets, err)) != XP_OK)
		return st;
	/* The folder is not read yet: this site lists nothing, and requests
	 * wait for server_load (see server_wait_loaded). */
	if (!server_publish(s))
		return xp_error_set(err, XP_ERR_NOMEM, cfg->articles_dir, 0,
		    "out of memory");
	return XP_OK;
}

enum xp_status
server_load(struct server *s, struct xp_error *err)
{
	enum xp_status st;

	/* A first scan writes the whole metadata cache (seconds at 100,000
	 * articles): the site is served first, saved after (server_save). */
	s->folder->defer_save = true;
	st = folder_scan(s->folder, err);
	s->folder->defer_save = false;
	if (st != XP_OK)
		return st;
	if (!server_publish(s))
		return xp_error_set(err, XP_ERR_NOMEM, s->cfg->articles_dir, 0,
		    "out of memory");
	pthread_mutex_lock(&s->lock);
	s->loaded = true;
	pthread_cond_broadcast(&s->loaded_cond);
	pthread_mutex_unlock(&s->lock);
	return XP_OK;
}

void
server_save(struct server *s)
{
	folder_save(s->folder);
}

void
server_copy_cache_aside(struct server *s)
{
	if (s->folder != NULL)
		metacache_copy_aside(s->folder->mc);
}

enum xp_status
server_init(struct server *s, struct config *cfg, struct xp_error *err)
{
	enum xp_status st;

	if ((st = server_open(s, cfg, err)) != XP_OK ||
	    (st = server_load(s, err)) != XP_OK)
		return st;
	server_save(s);
	return XP_OK;
}

bool
server_wait_loaded(struct server *s, unsigned ms)
{
	struct timespec until;
	bool loaded;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->lock);
	while (!s->loaded && !atomic_load(&s->stopping) &&
	    pthread_cond_timedwait(&s->loaded_cond, &s->lock, &until) == 0)
		;
	loaded = s->loaded;
	pthread_mutex_unlock(&s->lock);
	return loaded;
}

/* Makes SITE (whose reference this takes) the one new requests see, and
 * asks for new search postings when its own have gone stale.  The caller
 * holds publish_lock. */
static void
swap_site(struct server *s, struct site *site)
{
	struct site *old;

	pthread_mutex_lock(&s->lock);
	old = s->current;
	s->current = site;
	pthread_mutex_unlock(&s->lock);
	site_unref(old);
	if (s->reindexer != NULL && index_postings_stale(site->index))
		reindex_request(s->reindexer);
}

void
server_use_reindexer(struct server *s, struct reindexer *r)
{
	pthread_mutex_lock(&s->publish_lock);
	s->reindexer = r;
	pthread_mutex_unlock(&s->publish_lock);
	if (r != NULL)
		reindex_request(r);
}

bool
server_publish(struct server *s)
{
	struct site *site = NULL;
	struct index *idx;

	pthread_mutex_lock(&s->publish_lock);
	/* The previous snapshot is this folder's unless the folder was just
	 * replaced (a config reload), which the folder knows and rebuilds. */
	idx = folder_snapshot(s->folder, s->current ? s->current->index : NULL);
	if (idx != NULL)
		site = site_new(s->cfg, idx, s->sheets);
	if (site != NULL)
		site->media = s->media;
	index_unref(idx);
	if (site != NULL) {
		swap_site(s, site);
		folder_published(s->folder);
	}
	pthread_mutex_unlock(&s->publish_lock);
	return site != NULL;
}

bool
server_attach_postings(struct server *s, struct postings *p)
{
	struct site *cur, *site = NULL;
	struct index *idx;

	pthread_mutex_lock(&s->publish_lock);
	cur = s->current;
	if ((idx = index_with_postings(cur->index, p)) != NULL)
		site = site_new(cur->cfg, idx, cur->sheets);
	if (site != NULL)
		site->media = s->media;
	index_unref(idx);
	if (site != NULL)
		swap_site(s, site);
	pthread_mutex_unlock(&s->publish_lock);
	if (site != NULL) {
		pthread_mutex_lock(&s->lock);
		pthread_cond_broadcast(&s->postings_cond);
		pthread_mutex_unlock(&s->lock);
	}
	return site != NULL;
}

struct site *
server_search_site(struct server *s, struct site *site, bool *scanning)
{
	struct timespec now, until;
	int64_t left_ms = SEARCH_WAIT_MS;

	*scanning = false;
	if (site->index->postings != NULL || s->reindexer == NULL ||
	    site->index->count < SEARCH_SCAN_ARTICLES)
		return site;
	if (!atomic_exchange(&s->scanning, true)) {
		*scanning = true;
		return site;
	}
	pthread_mutex_lock(&s->lock);
	/* In slices, so that a stop is noticed soon. */
	while (s->current->index->postings == NULL && left_ms > 0 &&
	    !atomic_load(&s->stopping)) {
		clock_gettime(CLOCK_REALTIME, &now);
		until = now;
		until.tv_nsec += 200 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&s->postings_cond, &s->lock, &until);
		left_ms -= 200;
	}
	pthread_mutex_unlock(&s->lock);
	site_unref(site);
	return server_site(s);
}

void
server_search_done(struct server *s)
{
	atomic_store(&s->scanning, false);
}

static struct index *
current_index(void *ctx, struct config **cfg)
{
	struct site *site = server_site(ctx);
	struct index *idx = index_ref(site->index);

	*cfg = config_ref(site->cfg);

	site_unref(site);
	return idx;
}

static bool
attach_postings(void *ctx, struct postings *p)
{
	return server_attach_postings(ctx, p);
}

struct reindex_source
server_reindex_source(struct server *s)
{
	return (struct reindex_source){ current_index, attach_postings, s };
}

struct site *
server_site(struct server *s)
{
	struct site *site;

	pthread_mutex_lock(&s->lock);
	site = site_ref(s->current);
	pthread_mutex_unlock(&s->lock);
	return site;
}

void
server_release(struct server *s)
{
	site_unref(s->current);
	s->current = NULL;
	folder_free(s->folder);
	stylesheets_unref(s->sheets);
	config_free(s->cfg);
	cache_release(&s->cache);
	media_cache_free(s->media);
	s->media = NULL;
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->publish_lock);
	pthread_cond_destroy(&s->loaded_cond);
	pthread_cond_destroy(&s->postings_cond);
}
