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

#include "config.h"
#include "error.h"
#include "index.h"
#include "postings.h"

/* Where the articles come from and where the postings go: the caller's
 * (the server's) business, seen through two calls, so that this module
 * knows nothing of the server that drives it. */
struct reindex_source {
	/* The index searched now, with a reference (the reindexer unrefs),
	 * and in *CFG the config it is served with (a reference too, which
	 * the reindexer frees): where its cache folder is, and its language. */
	struct index *(*current)(void *ctx, struct config **cfg);
	/* Makes what is served now search through P (built from an index
	 * current earlier); false when out of memory.  Takes its own
	 * reference on P. */
	bool (*attach)(void *ctx, struct postings *p);
	void *ctx;
};

struct reindexer {
	struct reindex_source source;
	pthread_t thread;
	pthread_mutex_t lock;       /* guards wanted and quit */
	pthread_cond_t wake;
	bool wanted, quit;
	atomic_bool stop;           /* polled by a build in progress */
	bool running;
};

/* Starts the thread that builds postings for what SOURCE serves, on
 * request (reindex_request).  Returns XP_OK, or fills ERR when the thread
 * cannot start (search then scans, slower but right). */
enum xp_status reindex_start(struct reindexer *r,
    const struct reindex_source *source, struct xp_error *err);

/* Asks for postings of the current site.  Cheap; requests made while a
 * build runs fold into one more build after it. */
void reindex_request(struct reindexer *r);

/* Abandons any build in progress and joins the thread.  Whoever asks
 * for builds must have stopped asking.  Safe after a failed start. */
void reindex_stop(struct reindexer *r);

#endif
