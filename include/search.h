/* search.h - full-text search words: folding, stemming, the query
 * language, and the score of one article for a query.
 *
 * A word is folded (lowercase, Latin accents dropped: "Café" is "cafe"),
 * then stemmed with the Snowball stemmer of the site's language
 * (libstemmer: "hashes", "hashing" and "hashed" are all "hash").  Each
 * article keeps, for every distinct stem, one 32-bit entry: a 24-bit hash
 * of the stem above 8 bits that say where it occurs (title, tags, summary)
 * and how often in the body.  Sorted by entry, the set is sorted by hash,
 * so finding a word is a binary search, and the postings carry the same
 * 8 bits as the article's "impact" for that word: what BM25F scores.
 *
 * Besides its stems, an article's set holds the first four letters of
 * each word (folded, not stemmed) under a separate hash, so that a query
 * "kuber*" finds "kubernetes" through the same index. */
#ifndef XP_SEARCH_H
#define XP_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SEARCH_QUERY_MAX 200   /* bytes of query kept; the rest is cut */
#define SEARCH_TERMS_MAX 8     /* words of a query that count */
#define SEARCH_WORD_MAX 64     /* bytes of a folded word or stem kept */
#define SEARCH_PREFIX_CHARS 4  /* letters of a word indexed as a prefix */

/* The 8 bits of an entry. */
#define SEARCH_IN_TITLE   0x80u
#define SEARCH_IN_TAGS    0x40u
#define SEARCH_IN_SUMMARY 0x20u
#define SEARCH_BODY_TF    0x1fu   /* occurrences in the body, saturating */

/* Where a collected word comes from. */
enum search_field {
	FIELD_TITLE, FIELD_TAGS, FIELD_SUMMARY, FIELD_BODY
};

struct term_set {
	const uint32_t *hashes;   /* entries (hash << 8 | bits), sorted,
	                             one per hash */
	size_t count;
	bool mapped;              /* points into the metadata cache's file
	                             (not freed: the article's map is) */
};

/* A word splitter and stemmer for one language.  Snowball stemmers keep
 * state, so each thread (each article load, each query) makes its own. */
struct search_words;

/* Returns a stemmer for LANG ("en", "en-GB", "fr", "english"...), with
 * no stemming when Snowball has no stemmer for it (or LANG is "none");
 * NULL only when out of memory.  Caller frees with search_words_free. */
struct search_words *search_words_new(const char *lang);
void search_words_free(struct search_words *w);

/* Finds the next word of TEXT (LEN bytes) at or after *POS: returns
 * false when there is none; else sets [*START, *END) to its bytes in TEXT,
 * writes its folded form (NUL-terminated, at most SEARCH_WORD_MAX bytes)
 * into FOLDED, and moves *POS past it.  Words are runs of letters and
 * digits (any script); other characters separate them. */
bool search_next_word(const char *text, size_t len, size_t *pos,
    size_t *start, size_t *end, char *folded);

/* Writes the stem of the folded word WORD into OUT (SEARCH_WORD_MAX + 1
 * bytes) with W's language. */
void search_stem(struct search_words *w, const char *word, char *out);

/* search_hash of the stem of the folded word FOLDED, remembered in W for
 * the next time the word comes. */
uint32_t search_stem_hash(struct search_words *w, const char *folded);

/* The 24-bit hash of a stem, or of a prefix (PREFIX true). */
uint32_t search_hash(const char *word, bool prefix);

/* Adds an entry for each word of TEXT (LEN bytes) from FIELD to the
 * unsorted list in OUT (a buf of uint32_t). */
void search_collect(struct search_words *w, struct buf *out,
    enum search_field field, const char *text, size_t len);

/* Sorts the entries collected in RAW and merges those of one hash into
 * SET (caller frees set->hashes, which is not mapped).  Returns false
 * when out of memory. */
bool search_finish(struct buf *raw, struct term_set *set);

/* The 8 bits SET holds for HASH (24 bits), or -1 when it lacks it. */
int search_bits(const struct term_set *set, uint32_t hash);

/* True when SET holds HASH. */
bool search_has(const struct term_set *set, uint32_t hash);

/* One word of a query. */
struct query_term {
	uint32_t hash;          /* of the stem, or of the prefix's first
	                           SEARCH_PREFIX_CHARS letters */
	char word[SEARCH_WORD_MAX + 1];  /* the stem, or the folded prefix */
	bool prefix;            /* kuber*: words that start with WORD */
	bool exclude;           /* -word: articles holding it are left out */
	unsigned phrase;        /* 0, or the number of its "quoted phrase" */
	unsigned char len;      /* letters of a prefix */
};

struct query {
	char text[SEARCH_QUERY_MAX + 1];      /* cleaned, for display */
	struct query_term terms[SEARCH_TERMS_MAX];
	size_t nterms;
	size_t nrequired;       /* terms that are not excluded */
	bool verify;            /* a phrase, or a prefix longer than the
	                           indexed one: the text must be read */
};

/* Parses the raw (percent-encoded) value of q= from a query string into
 * Q, stemming with W (NULL: no stemming).  Syntax: "a phrase", prefix*,
 * -excluded, other words all required.  Unbalanced quotes and a lone '*'
 * or '-' are plain text.  Returns false only for bad encoding; an empty
 * query is fine (nterms 0). */
bool search_parse_query(struct search_words *w, const char *raw, size_t len,
    struct query *q);

/* True when SET holds every required term of Q and none it excludes (the
 * index's answer; phrases and long prefixes still need search_verify). */
bool search_matches(const struct term_set *set, const struct query *q);

/* Collection statistics BM25F needs. */
struct search_stats {
	double ndocs;           /* documents searched */
	double avg_body;        /* their mean body length in words */
};

/* The score of a document whose body has BODY_WORDS words and which holds
 * the required terms of Q with bits BITS[i] (for term i; excluded terms
 * ignored), DF[i] the documents holding term i.  BM25F: title, tags and
 * summary weighted 6, 3 and 2; the body's frequency normalised by length
 * (b = 0.75) and saturated to at most 2; their sum saturating (k1 = 1.2);
 * times the term's idf. */
double search_score(const struct query *q, const uint8_t *bits,
    const uint32_t *df, unsigned body_words, const struct search_stats *st);

/* The matches of the words of Q in TEXT (LEN bytes), one field of an
 * article: for phrases and long prefixes, true when every phrase occurs
 * and every prefix starts a word.  ALL says whether everything is found
 * over the fields seen so far; callers feed each field and test FOUND. */
struct search_verify {
	unsigned phrases_found;   /* bit per phrase number */
	unsigned prefixes_found;  /* bit per term index */
};
void search_verify_text(struct search_words *w, const struct query *q,
    const char *text, size_t len, struct search_verify *v);
bool search_verified(const struct query *q, const struct search_verify *v);

/* True when the word of TEXT at [START, END), folded FOLDED, matches a
 * required term of Q (for marking it in an excerpt). */
bool search_word_matches(struct search_words *w, const struct query *q,
    const char *folded);

/* Looks up NAME in a raw query string ("a=1&q=x"); returns a pointer to
 * its raw value and its length in *LEN, or NULL when absent. */
const char *search_query_param(const char *query, const char *name,
    size_t *len);

#endif
