/* heading.h - stable ids for a body's h2 and h3, and the table of
 * contents built from them. */
#ifndef XP_HEADING_H
#define XP_HEADING_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#define HEADING_ID_MAX 80   /* bytes of an id made from text, before -N */

/* The ids already taken on a page, so a new one can be made unique. */
struct heading_ids {
	char **ids;
	size_t count, cap;
};

/* Releases what IDS holds (IDS itself is the caller's); NULL is fine. */
void heading_ids_release(struct heading_ids *ids);

/* Marks ID as taken.  Returns false when out of memory. */
bool heading_ids_take(struct heading_ids *ids, const char *id);

/* Makes an id from TEXT (UTF-8): letters and digits lower-cased, any run
 * of other characters one '-', none at either end; letters outside ASCII
 * are kept.  "" (or text with no letter) gives "section".  When the id is
 * taken in IDS, "-2", "-3"... is added.  The result is written to OUT
 * (SIZE bytes, at least HEADING_ID_MAX + 12) and taken in IDS. */
void heading_make_id(struct heading_ids *ids, const char *text, char *out,
    size_t size);

/* Gives every h2 and h3 under BODY an id (a writer's own id is kept) and,
 * when BODY has at least MIN_H2 h2 headings, appends to TOC_PARENT a
 * <toc> of <item id="" text=""> elements, each h3 nested in the h2 before
 * it.  RESERVED (NULL-terminated) are ids the page already uses.  Returns
 * the number of h2 seen. */
size_t heading_annotate(xmlNodePtr body, xmlNodePtr toc_parent,
    size_t min_h2, const char *const *reserved);

#endif
