/* positions.h - the order of every article's words, kept in its own file
 * (cache_dir/search), so that a quoted phrase is checked without reading
 * and parsing the candidate articles again.
 *
 * The postings say which articles hold a phrase's words; only the order
 * tells whether they stand together.  For each article version (slug and
 * content hash) the file keeps its words as a stream of 16-bit codes (the
 * low bits of the word's 24-bit hash; fields apart), about 4 KB for 2,000
 * words.  A phrase check reads the candidate's stream with pread into a
 * private buffer: the file is replaced by rename, never trusted to stay
 * as it was read (its streams are checked against their checksums on
 * every read), and never mapped.
 *
 * The file is only an accelerator: missing, foreign, corrupt or behind
 * the folder, the text of the articles is read instead, and the file is
 * written again. */
#ifndef XP_POSITIONS_H
#define XP_POSITIONS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "article.h"
#include "error.h"
#include "search.h"

struct positions;

/* Opens DIR/search written for language LANG: reads and checks its header
 * and table of articles into private memory.  Returns the file (caller
 * frees with positions_free), or NULL when it is missing, from another
 * version or language, or corrupt. */
struct positions *positions_open(const char *dir, const char *lang);
void positions_free(struct positions *p);

/* Whether article A (this very version) holds every quoted phrase of Q:
 * 1 yes, 0 no, -1 unknown (the file lacks this version, or its stream
 * does not read back intact): the caller reads the text instead. */
int positions_check(const struct positions *p, const struct article *a,
    const struct query *q);

/* Writes DIR/search for the N articles ARTICLES in language LANG,
 * atomically (a temporary file renamed into place): the streams of OLD
 * (may be NULL) for versions it holds, the others read from the
 * articles' text.  STOP, when not NULL, abandons the write once true.
 * Returns XP_OK, or an error in ERR. */
enum xp_status positions_write(const char *dir, const char *lang,
    struct article *const *articles, size_t n, const struct positions *old,
    const atomic_bool *stop, struct xp_error *err);

/* Articles in P; and how many of the N ARTICLES it lacks (in this
 * version): what says whether writing it again pays. */
size_t positions_count(const struct positions *p);
size_t positions_missing(const struct positions *p,
    struct article *const *articles, size_t n);

#endif
