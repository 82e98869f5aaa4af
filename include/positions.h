/* positions.h - the order of every article's words, kept in its own file
 * (cache_dir/search), so that a quoted phrase is checked without reading
 * and parsing the candidate articles again.
 *
 * The postings say which articles hold a phrase's words; only the order
 * tells whether they stand together.  For each article version (slug and
 * content hash) the file keeps its words as a stream of 16-bit codes (the
 * low bits of the word's 24-bit hash; fields apart), about 4 KB for 2,000
 * words.  A phrase check reads the candidate's stream with pread into a
 * private buffer (its first codes alone when the phrase stands there):
 * the file is replaced by rename, never written in place, and never
 * mapped (a file cut short under a mapping would kill the server).  Each
 * stream is checked against its checksum the first time it is read, and
 * an unread or torn one is never trusted.
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

/* Reads every stream of P once and checks it against its checksum, so
 * that phrase searches need not (they check a stream the first time they
 * read it otherwise).  STOP, when not NULL, ends it early.  Returns how
 * many streams are torn: those are left to the text. */
size_t positions_verify(struct positions *p, const atomic_bool *stop);

/* Numbers P's streams as the postings it serves number their documents:
 * document d is DOCS[d] (borrowed: the postings keep them, and P, alive).
 * Returns false when out of memory (positions_check still works). */
bool positions_bind(struct positions *p, struct article *const *docs,
    size_t n);

/* positions_check for document DOC of the postings P is bound to, whose
 * article is A: found by its number, A's memory untouched (A is compared
 * with the bound article, and looked up as positions_check does when it
 * differs or P is not bound). */
int positions_check_doc(const struct positions *p, uint32_t doc,
    const struct article *a, const struct query *q);

/* Writes DIR/search for the N articles ARTICLES in language LANG,
 * atomically (a temporary file renamed into place): the streams of OLD
 * (may be NULL) for versions it holds, the others read from the
 * articles' text.  STOP, when not NULL, abandons the write once true.
 * Returns XP_OK, or an error in ERR. */
enum xp_status positions_write(const char *dir, const char *lang,
    struct article *const *articles, size_t n, const struct positions *old,
    const atomic_bool *stop, struct xp_error *err);

/* For the fuzzer: gives the search file FILE (LEN bytes, in memory) fresh
 * checksums, its streams' and its table's, as far as its framing allows,
 * so that a mutated file reaches the checks behind them. */
void positions_reseal(void *file, size_t len);

/* Articles in P; and how many of the N ARTICLES it lacks (in this
 * version): what says whether writing it again pays. */
size_t positions_count(const struct positions *p);
size_t positions_missing(const struct positions *p,
    struct article *const *articles, size_t n);

#endif
