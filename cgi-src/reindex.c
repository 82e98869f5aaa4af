/* reindex.c - search postings built off the request path. */
#include <string.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "log.h"
#include "positions.h"
#include "postings.h"
#include "reindex.h"

static double
seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Numbers POS's streams as P numbers its documents, so that a phrase
 * search finds a candidate's stream without reading the article. */
static void
bind_positions(struct positions *pos, const struct postings *p)
{
	size_t n = postings_count(p);
	struct article **docs = calloc(n + 1, sizeof(*docs));

	for (size_t d = 0; docs != NULL && d < n; d++)
		docs[d] = postings_doc(p, (uint32_t)d);
	if (docs == NULL || !positions_bind(pos, docs, n))
		log_msg(LOG_WARN, "search positions: out of memory numbering"
		    " them; phrases look articles up instead");
	free(docs);
}

/* Brings the search file (word order, for phrases) up to date with IDX
 * when it lacks many of its articles: after the postings, as it reads
 * the text of the articles it lacks, which takes longer.  Hands it, open,
 * to the postings P. */
static void
refresh_positions(struct reindexer *r, const struct config *cfg,
    const struct index *idx, struct postings *p)
{
	struct positions *old;
	struct timespec start;
	struct xp_error err;

	/* Before the folder is read the index is empty: a file written
	 * then, for no articles, would be written again at once. */
	if (cfg->cache_dir[0] == '\0' || idx->count == 0)
		return;
	old = positions_open(cfg->cache_dir, cfg->lang);
	if (old == NULL || positions_missing(old, idx->articles, idx->count) >
	    64 + idx->count / 16) {
		clock_gettime(CLOCK_MONOTONIC, &start);
		if (positions_write(cfg->cache_dir, cfg->lang, idx->articles,
		    idx->count, old, &r->stop, &err) == XP_OK)
			log_msg(LOG_INFO, "search positions: %zu articles, written"
			    " in %.2f s", idx->count, seconds_since(&start));
		else if (!atomic_load(&r->stop))
			log_error(LOG_WARN, &err);
		positions_free(old);
		old = positions_open(cfg->cache_dir, cfg->lang);
	}
	if (old != NULL && p != NULL && postings_positions(p) == NULL) {
		/* Every stream checked here, once, off the request path: a
		 * phrase search then reads only what it scans. */
		size_t torn = positions_verify(old, &r->stop);

		bind_positions(old, p);
		if (torn > 0)
			log_msg(LOG_WARN, "search positions: %zu torn streams"
			    " (those articles' text is read instead)", torn);
		log_msg(LOG_INFO, "search positions: ready, %zu articles",
		    positions_count(old));
	}
	if (p != NULL)
		postings_set_positions(p, old);
	else
		positions_free(old);
}

/* Builds postings from the current index's articles and attaches them to
 * whatever is current by then (changes made meanwhile are scanned until
 * the next build). */
static void
rebuild(struct reindexer *r)
{
	struct config *cfg;
	struct index *idx = r->source.current(r->source.ctx, &cfg);
	struct postings *p;
	struct timespec start;

	if (!index_postings_stale(idx)) {
		refresh_positions(r, cfg, idx, idx->postings);
		config_free(cfg);
		index_unref(idx);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	p = postings_build_in(idx->articles, idx->count, &r->stop,
	    cfg->cache_dir);
	if (p == NULL) {
		config_free(cfg);
		index_unref(idx);
		if (!atomic_load(&r->stop))
			log_msg(LOG_ERROR, "out of memory building the search"
			    " index; search scans the articles instead");
		return;
	}
	if (!r->source.attach(r->source.ctx, p))
		log_msg(LOG_ERROR, "out of memory attaching the search index;"
		    " search scans the articles instead");
	else
		log_msg(LOG_INFO, "search index: %zu articles, %zu words,"
		    " %.1f MiB, built in %.2f s (%.1f MiB of lists in a file)",
		    postings_count(p), postings_terms(p),
		    (double)postings_bytes(p) / 1048576.0,
		    seconds_since(&start),
		    (double)postings_file_bytes(p) / 1048576.0);
	refresh_positions(r, cfg, idx, p);
	postings_unref(p);
	config_free(cfg);
	index_unref(idx);
#ifdef __GLIBC__
	/* The first build follows the load, whose temporary buffers and the
	 * build's own are free now; glibc keeps such pages unless asked. */
	malloc_trim(0);
#endif
}

static void *
reindex_main(void *arg)
{
	struct reindexer *r = arg;

	for (;;) {
		pthread_mutex_lock(&r->lock);
		while (!r->wanted && !r->quit)
			pthread_cond_wait(&r->wake, &r->lock);
		if (r->quit) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		r->wanted = false;
		pthread_mutex_unlock(&r->lock);
		rebuild(r);
	}
	return NULL;
}

enum xp_status
reindex_start(struct reindexer *r, const struct reindex_source *source,
    struct xp_error *err)
{
	memset(r, 0, sizeof(*r));
	r->source = *source;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	atomic_init(&r->stop, false);
	r->wanted = true;
	if (pthread_create(&r->thread, NULL, reindex_main, r) != 0)
		return xp_error_set(err, XP_ERR_NOMEM, "search index", 0,
		    "cannot start the thread that builds it; search scans"
		    " the articles instead");
	r->running = true;
	return XP_OK;
}

void
reindex_request(struct reindexer *r)
{
	pthread_mutex_lock(&r->lock);
	r->wanted = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
}

void
reindex_stop(struct reindexer *r)
{
	if (r->running) {
		atomic_store(&r->stop, true);
		pthread_mutex_lock(&r->lock);
		r->quit = true;
		pthread_cond_signal(&r->wake);
		pthread_mutex_unlock(&r->lock);
		pthread_join(r->thread, NULL);
		r->running = false;
	}
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->wake);
}
