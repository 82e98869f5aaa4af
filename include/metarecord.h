/* metarecord.h - one record of the metadata cache file: an article's
 * metadata written, read back, and checked.
 *
 * A record is its payload's length (u64), a checksum (u64), then the
 * payload: the file name and stamp, then the article's fields.  Its two
 * word sets sit in the file's words section, named by position and count;
 * the checksum covers the payload and those words.  A record read back
 * must pass the checksum and the checks article_parse makes on what it
 * keeps (UTF-8 XML text without control characters, slug, tags, dates,
 * bounds), since anyone who can write the cache folder can write it. */
#ifndef XP_METARECORD_H
#define XP_METARECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "article.h"
#include "buf.h"
#include "filemap.h"

/* Appends the record of article A, read from the file NAME, to RECORDS.
 * *NWORDS counts the words of the records put so far: the record names
 * its words by that position, and the caller writes A's terms, then its
 * title_terms, to the words section in the same order (not copied here:
 * at 100,000 articles they are hundreds of megabytes).  SCRATCH is a
 * buffer the caller keeps between calls and releases.  Returns false,
 * appending and counting nothing, when A's words are not sorted; an
 * allocation failure shows in the buffers' failed flags. */
bool metarecord_put(struct buf *records, uint64_t *nwords,
    struct buf *scratch, const char *name, const struct article *a);

enum metarecord_status {
	METARECORD_OK,
	METARECORD_DAMAGED,   /* this record is dropped; the next can be read */
	METARECORD_END,       /* the framing does not fit: nothing after can */
};

/* Reads the record at *P (ending before END) whose words are in WORDS
 * (NWORDS of them).  On METARECORD_OK, *NAME is the file name (caller
 * frees) and *OUT a new article (caller unrefs) whose words point into
 * WORDS and that holds a reference to MAP and HOME (either may be NULL).
 * Otherwise both are NULL.  *P moves past the record unless END. */
enum metarecord_status metarecord_get(const char **p, const char *end,
    const uint32_t *words, size_t nwords, struct filemap *map,
    struct article_home *home, char **name, struct article **out);

/* Writes the right checksum into the record at P (ending before END), so
 * that tests and the fuzzer can hand the loader records damaged in their
 * contents only.  False when the record cannot be decoded. */
bool metarecord_reseal(char *p, const char *end, const uint32_t *words,
    size_t nwords);

/* True when NAME is SLUG's file name, "<slug>.xml": what lets an article
 * find its file from its slug and its home. */
bool metarecord_names_slug(const char *name, const char *slug);

#endif
