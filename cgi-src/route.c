/* route.c - the dispatch table: adding a page is one row and one file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
	{ "/articles/*/*",        page_media,      NULL, 0 },
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

bool
route_is_search(const struct request *req)
{
	char args[ROUTE_ARGS][ROUTE_ARG_MAX];
	size_t nargs;

	return !req->outside_base && req->path != NULL &&
	    route_match("/search/", req->path, args, &nargs) == 1;
}

/* Runs the page's handler; a page whose stylesheet failed becomes the
 * 500 error page here, above both page.c and page-error.c. */
static void
render_page(struct page_ctx *pc, const struct route *r, struct response *resp)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r->handler(pc, resp);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* One line per render: what shows that a missed page is rendered
	 * once however many requests wait for it. */
	log_msg(LOG_DEBUG, "%s: rendered in %.1f ms", pc->req->path,
	    (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	if (pc->render_failed)
		page_error(pc, resp, 500, "This page could not be rendered.");
}

/* Makes RESP send BODY (a reference the response takes over): a page, or
 * a remembered failure with the headers of the 500 page. */
static void
use_body(struct response *resp, struct page_body *body, bool gzip)
{
	buf_release(&resp->body);
	resp->shared = body;
	if (body->status != 200) {
		resp->status = body->status;
		resp->content_type = body->content_type;
		resp->etag[0] = '\0';
		resp->last_modified = 0;
		resp->max_age = -1;
		resp->vary_encoding = false;
		return;
	}
	resp->gzip = gzip && body->gz != NULL;
}

/* The rendered RESP as a shared body for the cache, or NULL when it is
 * not one to share: only pages, and failures that the same inputs would
 * repeat (kept CACHE_FAILURE_SECONDS). */
static struct page_body *
share_render(struct page_ctx *pc, struct response *resp, bool compress)
{
	struct page_body *body;
	size_t len;
	char *data;

	if (resp->body.failed || (resp->status != 200 &&
	    !(pc->render_failed && pc->render_failure_lasting &&
	    resp->status == 500)))
		return NULL;
	data = buf_detach(&resp->body, &len);
	if (data == NULL && (data = calloc(1, 1)) == NULL)
		return NULL;
	if ((body = page_body_adopt(data, len, compress &&
	    resp->status == 200)) == NULL)
		return NULL;
	body->status = resp->status;
	body->content_type = resp->content_type;
	if (resp->status != 200)
		body->expires = pc->now + CACHE_FAILURE_SECONDS;
	return body;
}

/* Answers a matched route.  When the page can say up front what it
 * depends on, its ETag is known before rendering: a conditional request
 * is answered 304 without rendering, and a cached body is reused, in the
 * encoding the client accepts: the gzip form is made once, with the
 * render, and has an ETag of its own ("-gz"), as nginx gives it. */
static void
respond_page(struct page_ctx *pc, const struct route *r, struct response *resp)
{
	const struct site *site = pc->site;
	struct cache *cache = pc->cache;
	struct page_body *body = NULL;
	bool compress, gzip;
	uint64_t fp, tag;

	if (r->fingerprint == NULL || !r->fingerprint(pc, resp, &fp)) {
		render_page(pc, r, resp);
		return;
	}
	fp = hash_u64(hash_u64(fp, site->sheets->fingerprint),
	    site->cfg->fingerprint);
	compress = page_body_compressible(resp->content_type);
	gzip = compress && pc->req->accept_gzip;
	resp->vary_encoding = compress;
	/* A page's links carry its mount; a FastCGI server may mount one
	 * site at several SCRIPT_NAMEs, so the mount keys the cache too. */
	if (pc->req->base_path != NULL &&
	    strcmp(pc->req->base_path, site->cfg->base_path) != 0)
		fp = hash_str(fp, pc->req->base_path);
	/* A cache that revalidates keeps the headers it has on a 304, so the
	 * tag also covers the headers that change while the body does not:
	 * whether the page is dated yet (page_last_modified), and the moment
	 * a scheduled article caps its Cache-Control. */
	tag = hash_u64(fp, resp->last_modified != 0);
	if (resp->stale_max >= 0)
		tag = hash_u64(tag, (uint64_t)(pc->now + resp->max_age +
		    resp->stale_max));
	snprintf(resp->etag, sizeof(resp->etag), "\"%016llx%s\"",
	    (unsigned long long)tag, gzip ? "-gz" : "");
	if (http_not_modified(pc->req, resp->etag, resp->last_modified)) {
		resp->status = 304;
		return;
	}
	if (pc->no_store)
		cache = NULL;
	if (cache != NULL &&
	    cache_acquire(cache, pc->req->path, fp, pc->now, &body) == CACHE_HIT) {
		use_body(resp, body, gzip);
		return;
	}
	render_page(pc, r, resp);
	/* Uncached, a page is compressed only for a client that asked. */
	if (cache != NULL || (gzip && resp->status == 200))
		body = share_render(pc, resp, cache != NULL ? compress : gzip);
	if (cache != NULL)
		cache_land(cache, pc->req->path, fp, body);
	if (body != NULL)
		use_body(resp, body, gzip);
	else if (resp->status != 200)
		resp->vary_encoding = false;
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
route_respond_fd(struct site *site, struct cache *cache,
    const struct request *req, time_t now, struct buf *out,
    size_t *header_len, int *body_fd, off_t *body_len)
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
	if (resp.status != 200 && resp.body_fd >= 0) {
		close(resp.body_fd);
		resp.body_fd = -1;
	}
	resp.now = now;
	http_serialize(&resp, site->cfg, out, header_len);
	*body_fd = resp.body_fd;
	*body_len = resp.body_fd_len;
	resp.body_fd = -1;      /* now the caller's */
	response_release(&resp);
}

static bool
append_out(void *ctx, const char *data, size_t n)
{
	buf_append(ctx, data, n);
	return !((struct buf *)ctx)->failed;
}

void
route_respond(struct site *site, struct cache *cache,
    const struct request *req, time_t now, struct buf *out,
    size_t *header_len)
{
	off_t len;
	int fd;

	route_respond_fd(site, cache, req, now, out, header_len, &fd, &len);
	if (fd >= 0) {
		http_stream_fd(fd, len, append_out, out);
		close(fd);
	}
}
