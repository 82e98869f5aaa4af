/* postings.h - the inverted index behind search: for each word, the
 * articles that hold it.
 *
 * A postings segment is built once from a set of articles and never changes
 * (Lucene's segments, in small).  The snapshots that follow the live folder
 * share it: each marks the articles that went since as dead and scans the
 * few added since (index.c), until enough has changed that a rebuild in the
 * background pays (reindex.c).
 *
 * A word's documents are kept as a bitmap when that is smaller (a word in
 * one article of eight or more), else as delta-coded varints: a few bytes
 * a (word, article) pair at most, and an eighth of a bit a document for
 * the commonest words.  Beside each list, one byte a document: the word's
 * bits in that article (title, tags, summary, body frequency), which is
 * all the BM25F score needs besides the body's length, kept here too. */
#ifndef XP_POSTINGS_H
#define XP_POSTINGS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "article.h"
#include "search.h"

struct postings;

/* Builds the postings of DOCS (N articles; a document's number is its
 * position in DOCS).  Takes a reference on each article, so the segment
 * may outlive the snapshot it was built from.  STOP, when not NULL, is
 * polled now and then: once true, the build is abandoned.  Returns the
 * segment with one reference (postings_unref frees), or NULL when out of
 * memory or stopped. */
struct postings *postings_build(struct article *const *docs, size_t n,
    const atomic_bool *stop);

/* The same, with the lists and their bits in a file of the segment's own
 * in DIR (an O_TMPFILE: nameless, so no other process can open or change
 * it), read with pread by each search: at 100,000 articles they are some
 * 250 MB, which the page cache holds rather than this process.  DIR NULL
 * or unusable: in memory, as postings_build. */
struct postings *postings_build_in(struct article *const *docs, size_t n,
    const atomic_bool *stop, const char *dir);

struct postings *postings_ref(struct postings *p);
/* Drops one reference; the last frees the segment and drops its articles'
 * references.  NULL is fine. */
void postings_unref(struct postings *p);

/* Number of documents in P. */
size_t postings_count(const struct postings *p);

/* Document DOC of P (borrowed: valid while P is held). */
struct article *postings_doc(const struct postings *p, uint32_t doc);

/* The number of article A in P (the same version: pointer identity), or
 * -1 when P does not hold it. */
int64_t postings_find(const struct postings *p, const struct article *a);

/* The documents of P that hold every required term of Q and no excluded
 * one, ascending, in a new array *OUT (the caller frees it; NULL when
 * there are none).  Returns how many, or -1 when out of memory.  A query
 * with no required term matches nothing.  Phrases and long prefixes are
 * not checked here (the text is). */
int64_t postings_match(const struct postings *p, const struct query *q,
    uint32_t **out);

/* The documents of P holding the word HASH (24 bits), ascending, in a new
 * array *DOCS, and the word's bits in each (search.h) in *BITS (caller
 * frees both; NULL when none).  Returns how many, or -1 when out of
 * memory. */
int64_t postings_term(const struct postings *p, uint32_t hash,
    uint32_t **docs, uint8_t **bits);

/* Words in the body of document DOC (saturating at 65,535): the score's
 * length, without reading the article. */
unsigned postings_body_words(const struct postings *p, uint32_t doc);

struct positions;

/* The search file P checks phrases with (borrowed while P is held), or
 * NULL: the reindexer hands it over once written, so requests do not
 * open it each time. */
const struct positions *postings_positions(const struct postings *p);

/* Gives POS to P, which frees it with itself; when P already has one,
 * POS is freed instead (requests may be reading the first). */
void postings_set_positions(struct postings *p, struct positions *pos);

/* Distinct words, bytes of memory the segment uses, and bytes it keeps
 * in its file: for the log. */
size_t postings_terms(const struct postings *p);
size_t postings_bytes(const struct postings *p);
size_t postings_file_bytes(const struct postings *p);

#endif
