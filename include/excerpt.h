/* excerpt.h - an article's words read back from its text: the check of
 * quoted phrases and long prefixes, and the excerpt a search result shows.
 *
 * The index knows which words an article holds, not where: what needs
 * their order reads the article again, so it is done only for the
 * articles that need it (candidates of a phrase; the results shown). */
#ifndef XP_EXCERPT_H
#define XP_EXCERPT_H

#include <stdbool.h>

#include <libxml/tree.h>

#include "article.h"
#include "search.h"

#define EXCERPT_WORDS 30

/* Appends the text of A's body to OUT (words kept apart at block
 * boundaries, NUL-terminated; caller releases OUT).  False when the
 * article's bytes cannot be read or parsed. */
bool excerpt_body_text(const struct article *a, struct buf *out);

/* True when article A holds every phrase of Q as consecutive words within
 * one field (title, a tag, summary, body) and a word starting with each of
 * its long prefixes.  An article whose text cannot be read is false. */
bool excerpt_verify(struct search_words *w, const struct query *q,
    const struct article *a);

/* Appends to PARENT an <excerpt> of about EXCERPT_WORDS words of A's body
 * from where Q's words are densest, each matched word in a <mark>, with
 * "…" where text was left out.  Adds nothing when the body cannot be
 * read.  Returns the element or NULL. */
xmlNodePtr excerpt_add(xmlNodePtr parent, struct search_words *w,
    const struct query *q, const struct article *a);

#endif
