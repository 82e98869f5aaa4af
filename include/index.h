/* index.h - an immutable, reference-counted snapshot of the published
 * articles, in the format's listing order.
 *
 * A request takes one snapshot and reads only it, so a reload that swaps in
 * a new snapshot mid-request can never tear what the request sees. */
#ifndef XP_INDEX_H
#define XP_INDEX_H

#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include <stdbool.h>
#include <stdint.h>

#include "article.h"
#include "postings.h"
#include "search.h"
#include "strmap.h"

struct index {
	atomic_int refs;
	struct article **articles;  /* listing order, drafts left out; the
	                               future-dated ones come first */
	size_t count;
	struct strmap by_slug;      /* slug -> article, drafts left out */
	struct strmap by_tag;       /* tag -> struct tag_list */
	uint64_t fingerprint;       /* of every article's content, in order */
	uint64_t body_words;        /* of every article: search's mean length */
	unsigned long generation;   /* grows with every snapshot */
	/* The change history Last-Modified is taken from (clock seconds):
	 * since[i] is when articles[i], in this version, came into the
	 * snapshots; changed is when the set of articles or any of them last
	 * changed; order_changed when the listing's membership or order did
	 * (an edit in place leaves it, a deletion or a new date moves it). */
	time_t *since;
	time_t changed;
	time_t order_changed;
	/* Search: the postings built from this or an earlier snapshot (NULL
	 * until the first is built: search then scans every article), which
	 * of their documents this snapshot no longer holds, and the articles
	 * it holds that they lack, in listing order. */
	struct postings *postings;
	uint8_t *dead;              /* bitmap by document number, or NULL */
	size_t ndead;
	struct article **fresh;     /* borrowed from articles */
	size_t nfresh;
};

/* The articles carrying one tag, in listing order (future ones first).
 * Shared by the snapshots whose articles for this tag did not change. */
struct tag_list {
	atomic_int refs;
	char *tag;                  /* owned: the map's key */
	struct article **items;     /* borrowed from the snapshot */
	size_t count;
	time_t changed;             /* when membership or order last changed */
};

/* Builds a snapshot of ARTICLES (N of them; drafts are skipped).  Takes a
 * new reference on each article it keeps, so the caller still owns its
 * own.  Returns a snapshot with one reference, or NULL when out of memory. */
struct index *index_new(struct article *const *articles, size_t n,
    unsigned long generation);

/* Builds the snapshot that follows OLD when the article versions GONE
 * (NGONE, each one that OLD holds) are replaced by ADDED (NADDED; drafts
 * are skipped).  Costs a copy of OLD's arrays, not a rebuild: one changed
 * file at 100,000 articles is a few memcpy's and the tags it touches.
 * Returns a snapshot with one reference, or NULL when out of memory. */
struct index *index_apply(const struct index *old, struct article *const *gone,
    size_t ngone, struct article *const *added, size_t nadded,
    unsigned long generation);

struct index *index_ref(struct index *idx);
/* Drops one reference; the last frees the snapshot. NULL is fine. */
void index_unref(struct index *idx);

/* Returns the article for SLUG if it may be served at NOW, or NULL.  The
 * article is borrowed from the snapshot and valid while it is held. */
struct article *index_find(const struct index *idx, const char *slug,
    time_t now);

/* Number of articles listed at NOW, and the position in idx->articles of
 * the first of them (future-dated articles sort before it). */
size_t index_listed(const struct index *idx, time_t now, size_t *first);

/* The earliest publication instant after NOW, or 0 when none is due: the
 * moment a cached page stops being true. */
time_t index_next_due(const struct index *idx, time_t now);

/* When A, in the version IDX holds, last changed as far as a reader can
 * see: when it came into the snapshots, or its publication instant if it
 * was scheduled later.  An article IDX does not hold gives idx->changed. */
time_t index_since(const struct index *idx, const struct article *a);

/* The publication instant of the newest article listed at NOW (a
 * scheduled article's arrival changes every listing), or 0 for none. */
time_t index_arrived(const struct index *idx, time_t now);

/* Position of A in idx->articles (listing order), or (size_t)-1. */
size_t index_position(const struct index *idx, const struct article *a);

/* The articles tagged TAG, or NULL when no article is. Borrowed. */
const struct tag_list *index_tag(const struct index *idx, const char *tag);

/* True when IDX has no postings yet, or so many articles changed since
 * they were built that a rebuild pays: more than 64 plus a sixteenth of
 * them, so a rebuild costs about as much as the changes it folds in. */
bool index_postings_stale(const struct index *idx);

/* A snapshot like IDX that searches through P, built from the articles of
 * IDX or of an earlier snapshot, in their listing order (search merges by
 * document number): the articles P holds that IDX does not are
 * marked dead, those IDX holds that P lacks are scanned.  Costs one pass
 * over the articles.  Returns the snapshot with one reference, or NULL
 * when out of memory. */
struct index *index_with_postings(const struct index *idx, struct postings *p);

struct positions;

/* The articles listed at NOW that match Q (every required word, no
 * excluded one, phrases checked in POS, the search file, when it has the
 * article, else, like long prefixes, in the text with W),
 * ranked by BM25F score, then in listing order.  Only the WANT best are
 * put in order, first; the others follow unordered (a page of results
 * needs its own and the count).  Fills *OUT with a new array the caller
 * frees (borrowed articles; NULL when none) and returns how many, or -1
 * when out of memory. */
int64_t index_search(const struct index *idx, const struct query *q,
    struct search_words *w, const struct positions *pos, time_t now,
    size_t want, struct article ***out);

/* The listing order: published newest first, then slug A to Z. */
int index_compare(const struct article *a, const struct article *b);

#endif
