/* search.h - full-text search terms.
 *
 * Each article keeps the sorted, unique 32-bit hashes of the words of its
 * title, summary, tags and body, computed once at load.  A query matches
 * an article when every query word is among them (binary search), so a
 * search costs one pass over the listed articles and no allocation per
 * word; 4 bytes a distinct word is what it costs in memory. */
#ifndef XP_SEARCH_H
#define XP_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SEARCH_QUERY_MAX 200   /* bytes of query kept; the rest is cut */
#define SEARCH_TERMS_MAX 8     /* words of a query that count */

struct term_set {
	const uint32_t *hashes;   /* sorted, unique */
	size_t count;
	bool mapped;              /* points into the metadata cache's file
	                             (not freed: the article's map is) */
};

/* Adds the words of TEXT (LEN bytes) to the unsorted list in OUT (a buf
 * of uint32_t).  Words are runs of ASCII letters and digits and of any
 * non-ASCII byte, ASCII lowercased. */
void search_collect(struct buf *out, const char *text, size_t len);

/* Sorts and de-duplicates the hashes collected in RAW into SET (caller
 * frees set->hashes, which is not mapped).  Returns false when out of
 * memory. */
bool search_finish(struct buf *raw, struct term_set *set);

/* True when SET holds HASH. */
bool search_has(const struct term_set *set, uint32_t hash);

struct query {
	char text[SEARCH_QUERY_MAX + 1];      /* cleaned, for display */
	uint32_t terms[SEARCH_TERMS_MAX];
	size_t nterms;
};

/* Parses the raw (percent-encoded) value of q= from a query string into
 * Q.  Returns false for bad encoding; an empty query is fine (nterms 0). */
bool search_parse_query(const char *raw, size_t len, struct query *q);

/* True when every term of Q is in SET. */
bool search_matches(const struct term_set *set, const struct query *q);

/* Looks up NAME in a raw query string ("a=1&q=x"); returns a pointer to
 * its raw value and its length in *LEN, or NULL when absent. */
const char *search_query_param(const char *query, const char *name,
    size_t *len);

#endif
