/* article.h - one article: its file read, checked and reduced to metadata.
 *
 * An article is immutable once loaded and reference counted, so that
 * several index snapshots (and the requests reading them) can share it
 * while the folder changes underneath. */
#ifndef XP_ARTICLE_H
#define XP_ARTICLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <libxml/tree.h>

#include "date.h"
#include "error.h"
#include "filemap.h"
#include "search.h"

#define SLUG_MAX 100
#define ARTICLE_MAX_READING_MINUTES 100000

/* What identifies one version of a file on disk, cheaply (one stat). */
struct file_stamp {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct timespec ctime;  /* moves on chmod too: a file made readable */
};

/* Where the bytes of the articles read from one metadata cache live, held
 * by each of them: two paths a cache rather than two strings an article,
 * which at 100,000 articles would take 17 MB. */
struct article_home {
	atomic_int refs;
	char *articles_dir;   /* the article file: DIR/<slug>.xml */
	char *cache_dir;      /* its kept copy: DIR/bodies/<slug>-<hash>.xml */
};

struct article {
	atomic_int refs;
	char *slug;
	char *title;
	char *summary;
	char *author;          /* NULL when the writer gave none */
	char **tags;           /* ntags lowercase tags, duplicates dropped */
	size_t ntags;
	struct xp_date published;
	struct xp_date updated;
	bool has_updated;
	bool draft;
	unsigned reading_minutes;
	unsigned word_count;
	uint64_t content_hash;  /* of slug and bytes: what pages fingerprint */
	struct term_set terms;        /* words of title, summary, tags, body,
	                                 each marked with where it occurs */
	struct term_set title_terms;  /* unused (empty): kept for the cache
	                                 layout; terms marks title words */
	struct filemap *words_map;    /* holds mapped term sets, or NULL */
	char *source;          /* the file's bytes, to render the page from, */
	size_t source_len;
	struct article_home *home; /* or, when source is NULL, the metadata
	                          cache's copy of them, or the article file
	                          itself while it still has this stamp */
	struct file_stamp stamp;
	time_t loaded_at;      /* when this version was read */
};

enum name_kind {
	NAME_ARTICLE,      /* "<slug>.xml" with a valid slug */
	NAME_IGNORED,      /* editor/temp files, dotfiles, other extensions */
	NAME_BAD_SLUG,     /* looks like an article but the slug is invalid */
};

/* Classifies a directory entry NAME.  For NAME_ARTICLE copies the slug
 * into SLUG (at least SLUG_MAX + 1 bytes). */
enum name_kind article_name_kind(const char *name, char *slug);

/* True when S (LEN bytes) is a slug: ^[a-z0-9]+(-[a-z0-9]+)*$, <= 100. */
bool article_slug_valid(const char *s, size_t len);

/* Parses and checks BYTES as the article SLUG; PATH names the file in
 * errors.  On success *OUT is a new article with one reference (the caller
 * owns it; article_unref frees) that keeps its own copy of BYTES. */
enum xp_status article_parse(const char *path, const char *slug,
    const char *bytes, size_t len, struct article **out,
    struct xp_error *err);

/* The same, with the search words made by WORDS (the config's language;
 * borrowed, and used by one thread at a time: its memo of stems is what
 * makes a folder's load cheap).  NULL stems in English, as
 * article_parse does. */
enum xp_status article_parse_words(const char *path, const char *slug,
    const char *bytes, size_t len, struct search_words *words,
    struct article **out, struct xp_error *err);

/* Reads DIR/NAME (at most MAX_BYTES, following a symbolic link only when
 * its target lies inside DIR) and parses it as above.  STAMP_OUT, when not
 * NULL, receives the stamp of what was read even when parsing fails. */
enum xp_status article_load(const char *dir, const char *name,
    size_t max_bytes, struct article **out, struct file_stamp *stamp_out,
    struct xp_error *err);

/* The same, with the search words made by WORDS (see
 * article_parse_words). */
enum xp_status article_load_words(const char *dir, const char *name,
    size_t max_bytes, struct search_words *words, struct article **out,
    struct file_stamp *stamp_out, struct xp_error *err);

/* Returns a home for ARTICLES_DIR and CACHE_DIR with one reference, or
 * NULL when out of memory. */
struct article_home *article_home_new(const char *articles_dir,
    const char *cache_dir);
struct article_home *article_home_ref(struct article_home *h);
/* Drops one reference; the last frees.  NULL is fine. */
void article_home_unref(struct article_home *h);

/* The path of the copy of version HASH of SLUG kept in CACHE_DIR. */
void article_body_path(const char *cache_dir, const char *slug, uint64_t hash,
    char *out, size_t size);

/* Parses the article's kept bytes (from memory, or from its home)
 * again into a full document for the article page.  Returns a new document (caller frees with xmlFreeDoc) or
 * NULL with ERR filled. */
xmlDocPtr article_document(const struct article *a, struct xp_error *err);

/* Parses BYTES with the only options articles are ever parsed with: no
 * network, no DTD, no entity substitution, DOCTYPE rejected.  Shared with
 * the fuzzer.  Returns a document (caller frees) or NULL with ERR set. */
xmlDocPtr article_parse_xml(const char *path, const char *bytes, size_t len,
    struct xp_error *err);

struct article *article_ref(struct article *a);
/* Drops one reference; frees the article with the last.  NULL is fine. */
void article_unref(struct article *a);

/* True when A and B describe the same version of a file. */
bool file_stamp_equal(const struct file_stamp *a, const struct file_stamp *b);

/* Fills OUT from ST, the stat of a file. */
void file_stamp_from_stat(struct file_stamp *out, const struct stat *st);

/* True when A carries TAG. */
bool article_has_tag(const struct article *a, const char *tag);

/* True when A may be listed and served at time NOW. */
bool article_visible(const struct article *a, time_t now);

#endif
