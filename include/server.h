/* server.h - the running server: the one struct that holds state that
 * changes while serving.  Requests read it only through server_site(). */
#ifndef XP_SERVER_H
#define XP_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "cache.h"
#include "config.h"
#include "error.h"
#include "folder.h"
#include "media.h"
#include "postings.h"
#include "reindex.h"
#include "render.h"
#include "site.h"

struct server {
	pthread_mutex_t lock;        /* guards current and loaded */
	struct site *current;        /* what new requests are served from */
	/* False from server_open until server_load has read the folder once
	 * (a cold start of a large folder takes seconds): requests wait on
	 * loaded_cond for a while, then are told to come back. */
	bool loaded;
	pthread_cond_t loaded_cond;
	/* Held by whoever replaces current (the loading thread, the search
	 * reindexer) from reading it to swapping, so no update is lost. */
	pthread_mutex_t publish_lock;
	struct reindexer *reindexer; /* NULL unless serving FastCGI */
	/* Until a large site's first search postings are built (seconds
	 * after a start at 100,000 articles), a search scans every article:
	 * 1.5-3 s each.  One request at a time does; the others wait on
	 * postings_cond (with lock) for the postings: see server_search_site. */
	atomic_bool scanning;
	pthread_cond_t postings_cond;
	struct cache cache;          /* rendered pages; locks itself */
	struct media_cache *media;   /* articles' own files; locks itself */
	/* The rest is touched only by the thread that loads (main at start,
	 * then the watcher), never by request threads. */
	struct config *cfg;
	struct folder *folder;
	struct stylesheets *sheets;
	atomic_bool stopping;        /* SIGTERM: finish in-flight, then exit */
};

/* Loads CFG's articles and stylesheets and publishes the first site:
 * server_open, server_load, then server_save.  Problems with single articles are
 * logged and skipped; a missing folder or a stylesheet that does not
 * compile fails, with ERR.  Takes a reference on CFG.  server_release
 * undoes it, also after a failure. */
enum xp_status server_init(struct server *s, struct config *cfg,
    struct xp_error *err);

/* The part of server_init that reads no article: checks the folder,
 * opens the metadata cache, compiles the stylesheets and publishes a site
 * that lists nothing yet.  What fails here fails the start. */
enum xp_status server_open(struct server *s, struct config *cfg,
    struct xp_error *err);

/* Reads the folder (on every core) and publishes it, then marks the
 * server loaded.  Run by the thread that loads; ERR when the folder
 * cannot be read (nothing changes then). */
enum xp_status server_load(struct server *s, struct xp_error *err);

/* Writes the metadata cache the first server_load filled: it leaves that
 * to after the site is served (seconds at 100,000 articles).  Run by the
 * thread that loads, after server_load. */
void server_save(struct server *s);

/* Starts copying the metadata cache file the folder was read from aside
 * (see metacache_copy_aside).  For a process that runs on (a server, an
 * export), once confined; a CGI request ends first and keeps its lease. */
void server_copy_cache_aside(struct server *s);

/* The site a search request (which holds SITE, from server_site) should
 * be answered from: SITE itself when it has search postings, is small, or
 * none are coming (no reindexer), or when no other search is scanning
 * (then *SCANNING is set: call server_search_done after the answer);
 * else, after waiting up to a bound for the postings, the current site,
 * SITE's reference given back.  So a spike of searches right after a
 * start waits seconds for the index instead of queueing scans of seconds
 * each past the web server's read timeout. */
struct site *server_search_site(struct server *s, struct site *site,
    bool *scanning);
void server_search_done(struct server *s);

/* Waits up to MS milliseconds for the first server_load; true once it
 * has happened.  Safe from any thread. */
bool server_wait_loaded(struct server *s, unsigned ms);

/* A folder for CFG's articles_dir, with the metadata cache of CFG's
 * cache_dir when it has one; nothing read yet.  Caller frees with
 * folder_free.  NULL with ERR when the folder is not a folder or memory
 * is short. */
struct folder *server_folder_for(const struct config *cfg,
    struct xp_error *err);

/* The site new requests see, with a reference the caller drops with
 * site_unref.  Never NULL after a successful server_init. */
struct site *server_site(struct server *s);

/* Builds a site from the current folder, stylesheets and config and
 * makes it the one new requests see.  Requests already running keep the
 * site they hold.  Returns false when out of memory (the old site stays). */
bool server_publish(struct server *s);

/* Makes the current site search through P (built from it or an earlier
 * one), keeping its articles, config and stylesheets.  Returns false when
 * out of memory (the site stays as it was). */
bool server_attach_postings(struct server *s, struct postings *p);

/* Makes publishing a site with stale postings ask R for new ones, and
 * asks for the first now; NULL unhooks (before R stops). */
void server_use_reindexer(struct server *s, struct reindexer *r);

/* What a reindexer needs of S: its current index, and where to hand the
 * postings.  S must outlive the reindexer. */
struct reindex_source server_reindex_source(struct server *s);

void server_release(struct server *s);

/* The folder report that logs: one line per problem, saying which good
 * version is still served.  CTX is unused. */
void server_log_problem(void *ctx, enum log_level level,
    const struct xp_error *err, time_t serving_since);

#endif
