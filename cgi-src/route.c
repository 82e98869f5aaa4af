/* route.c - the dispatch table: adding a page is one row and one file. */
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "log.h"
#include "page.h"
#include "route.h"

struct route {
	const char *pattern;      /* each '*' matches one path segment */
	page_fn *handler;
	page_fp_fn *fingerprint;  /* NULL: never cached, no ETag up front */
	int variant;              /* handed to the page: a listing_kind */
};

static const struct route routes[] = {
	{ "/",                    page_listing,    page_listing_fp, LIST_ALL },
	{ "/page/*/",             page_listing,    page_listing_fp, LIST_ALL },
	{ "/articles/*/",         page_article,    page_article_fp, 0 },
	{ "/tags/",               page_tags,       page_tags_fp, 0 },
	{ "/tags/*/",             page_listing,    page_listing_fp, LIST_TAG },
	{ "/tags/*/page/*/",      page_listing,    page_listing_fp, LIST_TAG },
	{ "/tags/*/feed.xml",     page_feed,       page_feed_fp, LIST_TAG },
	{ "/tags/*/feed.json",    page_feed,       page_feed_fp, LIST_TAG | FEED_JSON },
	{ "/archive/",            page_archive,    page_archive_fp, 0 },
	{ "/archive/*/",          page_listing,    page_listing_fp, LIST_YEAR },
	{ "/archive/*/page/*/",   page_listing,    page_listing_fp, LIST_YEAR },
	{ "/archive/*/*/",        page_listing,    page_listing_fp, LIST_MONTH },
	{ "/archive/*/*/page/*/", page_listing,    page_listing_fp, LIST_MONTH },
	{ "/search/",             page_listing,    page_listing_fp, LIST_SEARCH },
	{ "/feed.xml",            page_feed,       page_feed_fp, LIST_ALL },
	{ "/feed.json",           page_feed,       page_feed_fp, LIST_ALL | FEED_JSON },
	{ "/sitemap.xml",         page_sitemap,    page_sitemap_fp, 0 },
	{ "/robots.txt",          page_robots,     page_robots_fp, 0 },
	{ "/style.css",           page_asset,      page_asset_fp, ASSET_CSS },
	{ "/favicon.svg",         page_asset,      page_asset_fp, ASSET_ICON },
};

int
route_match(const char *pattern, const char *path, char args[][ROUTE_ARG_MAX],
    size_t *nargs)
{
	const char *p = pattern, *s = path;

	*nargs = 0;
	while (*p != '\0') {
		if (*p == '*') {
			size_t n = strcspn(s, "/");

			if (n == 0 || n >= ROUTE_ARG_MAX || *nargs >= ROUTE_ARGS)
				return 0;
			memcpy(args[*nargs], s, n);
			args[(*nargs)++][n] = '\0';
			s += n;
			p++;
		} else if (*p == *s) {
			p++;
			s++;
		} else {
			/* Only the final '/' of the pattern may be missing. */
			return *s == '\0' && p[0] == '/' && p[1] == '\0' ? 2 : 0;
		}
	}
	return *s == '\0' ? 1 : 0;
}

/* Answers a matched route.  When the page can say up front what it
 * depends on, its ETag is known before rendering: a conditional request
 * is answered 304 without rendering, and a cached body is reused. */
static void
respond_page(struct page_ctx *pc, const struct route *r, struct response *resp)
{
	const struct site *site = pc->site;
	struct cache *cache = pc->cache;
	uint64_t fp;

	if (r->fingerprint == NULL || !r->fingerprint(pc, resp, &fp)) {
		r->handler(pc, resp);
		return;
	}
	fp = hash_u64(hash_u64(fp, site->sheets->fingerprint),
	    site->cfg->fingerprint);
	/* A page's links carry its mount; a FastCGI server may mount one
	 * site at several SCRIPT_NAMEs, so the mount keys the cache too. */
	if (pc->req->base_path != NULL &&
	    strcmp(pc->req->base_path, site->cfg->base_path) != 0)
		fp = hash_str(fp, pc->req->base_path);
	snprintf(resp->etag, sizeof(resp->etag), "\"%016llx\"",
	    (unsigned long long)fp);
	if (http_not_modified(pc->req, resp->etag, resp->last_modified)) {
		resp->status = 304;
		return;
	}
	if (pc->no_store)
		cache = NULL;
	if (cache != NULL && cache_get(cache, pc->req->path, fp, &resp->body))
		return;
	r->handler(pc, resp);
	if (resp->status == 200 && cache != NULL && !resp->body.failed)
		cache_put(cache, pc->req->path, fp, resp->body.data,
		    resp->body.len);
}

static void
dispatch(struct page_ctx *pc, struct response *resp)
{
	const struct request *req = pc->req;
	char args[ROUTE_ARGS][ROUTE_ARG_MAX], target[REQUEST_URI_MAX + 8];
	size_t nargs;

	if (req->bad_status != 0) {
		page_error(pc, resp, req->bad_status, "%s.", req->bad_reason);
		return;
	}
	if (req->method == METHOD_OTHER) {
		response_header(resp, "Allow", "GET, HEAD");
		page_error(pc, resp, 405, "This site answers only GET and HEAD.");
		return;
	}
	if (req->outside_base) {
		page_error(pc, resp, 404, "There is no page at this address.");
		return;
	}
	if (req->path[0] == '\0') {
		page_redirect(pc, resp, "");
		return;
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		switch (route_match(routes[i].pattern, req->path, args, &nargs)) {
		case 1:
			for (size_t a = 0; a < nargs; a++)
				pc->args[a] = args[a];
			pc->nargs = nargs;
			pc->variant = routes[i].variant;
			respond_page(pc, &routes[i], resp);
			return;
		case 2:
			snprintf(target, sizeof(target), "%s/", req->path + 1);
			page_redirect(pc, resp, target);
			return;
		}
	}
	page_error(pc, resp, 404, "There is no page at this address.");
}

void
route_respond(struct site *site, struct cache *cache,
    const struct request *req, time_t now, struct buf *out,
    size_t *header_len)
{
	struct page_ctx pc = { .site = site, .cache = cache, .req = req,
		.now = now };
	struct response resp;

	response_init(&resp);
	dispatch(&pc, &resp);
	/* Pages without an up-front fingerprint still get 304s. */
	if (resp.status == 200 &&
	    http_not_modified(req, resp.etag, resp.last_modified))
		resp.status = 304;
	if (resp.body.failed || resp.headers.failed) {
		log_msg(LOG_ERROR, "%s: out of memory building the response",
		    req->uri ? req->uri : "?");
		response_release(&resp);
		response_init(&resp);
		resp.status = 503;
		resp.content_type = CT_TEXT;
		buf_puts(&resp.body, "Service Unavailable\n");
	}
	http_serialize(&resp, site->cfg, out, header_len);
	response_release(&resp);
}
