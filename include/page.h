/* page.h - the pages, one file each, and what they share: the page
 * document the stylesheets read (see README, "The page document"). */
#ifndef XP_PAGE_H
#define XP_PAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <libxml/tree.h>

#include "article.h"
#include "cache.h"
#include "http.h"
#include "render.h"
#include "request.h"
#include "site.h"

struct page_ctx {
	struct site *site;          /* borrowed for the request */
	struct cache *cache;        /* the render cache, or NULL for none */
	const struct request *req;
	time_t now;                 /* one clock reading per request */
	const char *arg;            /* the segment the route's '*' captured */
};

/* Renders the page into RESP (status, headers, body). */
typedef void page_fn(struct page_ctx *pc, struct response *resp);

/* Decides, without rendering, whether the page is a 200 and if so what
 * it depends on: returns true with *FP, a fingerprint of everything page
 * specific it shows, and RESP's caching headers (max_age, last_modified,
 * content_type) set.  Returns false when the page would be an error or a
 * redirect, which the page function then answers uncached. */
typedef bool page_fp_fn(struct page_ctx *pc, struct response *resp,
    uint64_t *fp);

page_fn page_listing;      /* page-listing.c: "/" and "/page/N/" */
page_fp_fn page_listing_fp;
page_fn page_article;      /* page-article.c: "/articles/SLUG/" */
page_fp_fn page_article_fp;
page_fn page_stylesheet;   /* page-asset.c:   "/style.css" */
page_fp_fn page_stylesheet_fp;

/* Renders the error page for STATUS with a message (page-error.c).  Falls
 * back to plain text when even the error stylesheet fails. */
void page_error(struct page_ctx *pc, struct response *resp, int status,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Starts a page document of KIND: <page kind path> with <site> filled.
 * Returns the document (caller frees with xmlFreeDoc) and its root in
 * *ROOT, or NULL when out of memory. */
xmlDocPtr page_doc_new(struct page_ctx *pc, const char *kind,
    xmlNodePtr *root);

/* Appends to PARENT an <entry> for A: its metadata, display dates and
 * links, as listings and the article page show it.  Returns the entry. */
xmlNodePtr page_add_entry(struct page_ctx *pc, xmlNodePtr parent,
    const struct article *a);

/* Writes into OUT the site-relative URL path "BASE<FMT...>": every link a
 * page emits is made here, so a site mounted under /blog/ is right. */
void page_href(struct page_ctx *pc, char *out, size_t size,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Renders DOC (freed here) through KIND's stylesheet into RESP, with the
 * status RESP already has; on a failed transform logs it and answers 500. */
void page_render(struct page_ctx *pc, enum page_kind kind, xmlDocPtr doc,
    struct response *resp);

/* Sets RESP to a redirect to the site path PATH (301). */
void page_redirect(struct page_ctx *pc, struct response *resp,
    const char *path);

#endif
