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
	const char *args[3];        /* the segments the route's '*'s captured */
	size_t nargs;
	int variant;                /* the route's variant (a listing_kind) */
	bool no_store;              /* set by a fingerprint: do not cache */
	/* Set by page_render when a stylesheet failed: the caller (route.c)
	 * answers with the 500 page; LASTING when the same inputs would fail
	 * again (not a lack of memory), so the failure may be remembered. */
	bool render_failed;
	bool render_failure_lasting;
};

/* What a listing shows: every route that lists articles is one of these. */
enum listing_kind { LIST_ALL, LIST_TAG, LIST_YEAR, LIST_MONTH, LIST_SEARCH };

/* Added to a feed route's listing kind: the feed as JSON Feed 1.1. */
#define FEED_JSON 0x100

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
page_fn page_media;        /* page-media.c:   "/articles/SLUG/NAME" */
page_fn page_asset;        /* page-asset.c:   "/style.css", "/favicon.svg" */
page_fp_fn page_asset_fp;
page_fn page_tags;         /* page-tags.c:    "/tags/" */
page_fp_fn page_tags_fp;
page_fn page_archive;      /* page-archive.c: "/archive/" */
page_fp_fn page_archive_fp;
page_fn page_feed;         /* page-feed.c:    "/feed.xml", "/tags/T/feed.xml",
                              and the same as JSON Feed: "feed.json" */
page_fp_fn page_feed_fp;
page_fn page_sitemap;      /* page-sitemap.c: "/sitemap.xml" */
page_fp_fn page_sitemap_fp;
page_fn page_robots;       /* page-sitemap.c: "/robots.txt" */
page_fp_fn page_robots_fp;

/* A set of listed articles in listing order (page-listing.c).  ITEMS
 * points into the index or into OWNED, which selection_release frees. */
struct selection {
	struct article *const *items;
	size_t count;
	struct article **owned;
};

/* Selects what listing KIND with filter arguments ARGS shows at pc->now.
 * Returns 200, or 404 when the filter names nothing (an unknown tag, a
 * year without articles), or 400 for a malformed filter. */
int page_select(struct page_ctx *pc, enum listing_kind kind,
    struct selection *sel);
void selection_release(struct selection *sel);

/* The last change of what a page of listing KIND shows when it shows
 * SEL's items FROM to TO (exclusive): those articles, and the set they
 * were picked from (a search's set changes with any article's words). */
time_t page_selection_changed(struct page_ctx *pc, enum listing_kind kind,
    const struct selection *sel, size_t from, size_t to);

/* A fingerprint of every listed article at pc->now: for pages that show
 * the whole site (tags, archive, sitemap). */
uint64_t page_index_fp(struct page_ctx *pc);

/* Sets the caching headers of a page that shows the whole site (tags,
 * archive, sitemap): any change to any article may change it. */
void page_index_caching(struct page_ctx *pc, struct response *resp);

/* Sets RESP's Last-Modified: T, the last change of what the page shows,
 * or the loading of the config or stylesheets if later (both show on
 * every page).  None until two seconds have passed since that moment:
 * the page may still change within its second (HTTP dates have no
 * finer grain), and a date answers If-Modified-Since only when it covers
 * every change. */
void page_last_modified(struct page_ctx *pc, struct response *resp, time_t t);

/* When the set of articles listed at pc->now last changed: membership or
 * order (a deletion, a draft, a new date), or a scheduled arrival.  Every
 * page but an article's shows the count of listed articles. */
time_t page_set_changed(struct page_ctx *pc);

/* Sets RESP's max_age to the configured one, but never past the moment
 * the next scheduled article is due, and its stale_max to match. */
void page_cache_lifetime(struct page_ctx *pc, struct response *resp);

/* Writes the absolute URL (base_url + base path + PATH) into OUT. */
void page_abs_url(struct page_ctx *pc, char *out, size_t size,
    const char *path);

/* Renders the error page for STATUS with a message (page-error.c).  Falls
 * back to plain text when even the error stylesheet fails. */
void page_error(struct page_ctx *pc, struct response *resp, int status,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Starts a page document of KIND: <page kind path> with <site> filled.
 * Returns the document (caller frees with xmlFreeDoc) and its root in
 * *ROOT, or NULL when out of memory. */
xmlDocPtr page_doc_new(struct page_ctx *pc, const char *kind,
    xmlNodePtr *root);

/* Adds <meta> (description, og-type, and JSON-LD when JSON_LD is not
 * NULL) to ROOT, the social and search-engine head of a page. */
void page_add_meta(xmlNodePtr root, const char *description,
    const char *og_type, const char *json_ld);

/* Appends to PARENT an <entry> for A: its metadata, display dates and
 * links, as listings and the article page show it.  Returns the entry. */
xmlNodePtr page_add_entry(struct page_ctx *pc, xmlNodePtr parent,
    const struct article *a);

/* Where the request's site is mounted ("/", "/blog/", or a CGI's
 * "SCRIPT_NAME/"): borrowed from the request or the config. */
const char *page_base(const struct page_ctx *pc);

/* Writes into OUT the site-relative URL path "BASE<FMT...>": every link a
 * page emits is made here, so a site mounted under /blog/ is right. */
void page_href(struct page_ctx *pc, char *out, size_t size,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Renders DOC (freed here) through KIND's stylesheet into RESP, with the
 * status RESP already has.  A failed transform is logged, RESP is left a
 * bodiless 500 and pc->render_failed set: the caller answers with the
 * error page (page_error), so this file never calls up into it.  A failed
 * error page itself falls back to plain text. */
void page_render(struct page_ctx *pc, enum page_kind kind, xmlDocPtr doc,
    struct response *resp);

/* The picture of an article (page-media.c): an absolute URL, "" for
 * none, and its size in pixels (0 when unknown). */
struct page_picture {
	char url[2048];
	unsigned width, height;
};

/* Writes into OUT the URL of SLUG's own file NAME at VERSION (its
 * fingerprint): site-relative, or absolute (with base_url) for feeds and
 * link previews. */
void page_media_url(struct page_ctx *pc, const char *slug, const char *name,
    const char *version, bool absolute, char *out, size_t size);

/* Rewrites the body of ARTICLE (an <article> element of a page document)
 * for SLUG: an img src or a href naming an own file that exists becomes
 * its fingerprinted URL (absolute when ABSOLUTE, for feeds); an own image
 * gets its width and height, and on a page (not ABSOLUTE) every image
 * after the first loading="lazy" decoding="async".  Names that do not
 * resolve are left as written.  PICTURE, when not NULL, receives the
 * article's picture: <image>, else the body's first own image. */
void page_media_body(struct page_ctx *pc, const char *slug,
    xmlNodePtr article, bool absolute, struct page_picture *picture);

/* Logs, once each, the problems `check` reports for ARTICLE's own files. */
void page_media_log_problems(struct page_ctx *pc, const char *slug,
    xmlNodePtr article);

/* Sets RESP to a redirect to the site path PATH (301), PATH (decoded
 * bytes) percent-encoded again in the Location. */
void page_redirect(struct page_ctx *pc, struct response *resp,
    const char *path);

#endif
