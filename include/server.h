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
#include "render.h"
#include "site.h"

struct server {
	pthread_mutex_t lock;        /* guards current, and only it */
	struct site *current;        /* what new requests are served from */
	/* Held by whoever replaces current (the loading thread, the search
	 * reindexer) from reading it to swapping, so no update is lost. */
	pthread_mutex_t publish_lock;
	struct reindexer *reindexer; /* NULL unless serving FastCGI */
	struct cache cache;          /* rendered pages; locks itself */
	struct media_cache *media;   /* articles' own files; locks itself */
	/* The rest is touched only by the thread that loads (main at start,
	 * then the watcher), never by request threads. */
	struct config *cfg;
	struct folder *folder;
	struct stylesheets *sheets;
	atomic_bool stopping;        /* SIGTERM: finish in-flight, then exit */
};

/* Loads CFG's articles and stylesheets and publishes the first site.
 * Problems with single articles are logged and skipped; a missing folder
 * or a stylesheet that does not compile fails, with ERR.  Takes a
 * reference on CFG.  server_release undoes it, also after a failure. */
enum xp_status server_init(struct server *s, struct config *cfg,
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

void server_release(struct server *s);

/* The folder report that logs: one line per problem, saying which good
 * version is still served.  CTX is unused. */
void server_log_problem(void *ctx, enum log_level level,
    const struct xp_error *err, time_t serving_since);

#endif
