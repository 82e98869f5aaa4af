/* reindex.h - the thread that builds search postings in the background.
 *
 * Building the postings of 100,000 articles takes seconds; requests must
 * not wait for it, nor must the watcher, which has changes to publish.
 * Until new postings are ready, search keeps using the old ones plus a
 * scan of what changed since (or, before the first, a scan of all). */
#ifndef XP_REINDEX_H
#define XP_REINDEX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "error.h"

struct server;

struct reindexer {
	struct server *server;
	pthread_t thread;
	pthread_mutex_t lock;       /* guards wanted and quit */
	pthread_cond_t wake;
	bool wanted, quit;
	atomic_bool stop;           /* polled by a build in progress */
	bool running;
};

/* Starts the thread for server S and hooks it to S, so that publishing a
 * site whose postings are stale asks for new ones; asks for the first
 * now.  Returns XP_OK, or fills ERR when the thread cannot start (search
 * then scans, slower but right). */
enum xp_status reindex_start(struct reindexer *r, struct server *s,
    struct xp_error *err);

/* Asks for postings of the current site.  Cheap; requests made while a
 * build runs fold into one more build after it. */
void reindex_request(struct reindexer *r);

/* Abandons any build in progress, joins the thread and unhooks it from
 * the server.  Safe after a failed start. */
void reindex_stop(struct reindexer *r);

#endif
