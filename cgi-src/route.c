/* route.c - the dispatch table: adding a page is one row and one file. */
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "log.h"
#include "page.h"
#include "route.h"

struct route {
	const char *pattern;      /* '*' matches one path segment */
	page_fn *handler;
	page_fp_fn *fingerprint;  /* NULL: never cached, no ETag up front */
};

static const struct route routes[] = {
	{ "/",             page_listing,    page_listing_fp },
	{ "/page/*/",      page_listing,    page_listing_fp },
	{ "/articles/*/",  page_article,    page_article_fp },
	{ "/style.css",    page_stylesheet, page_stylesheet_fp },
};

int
route_match(const char *pattern, const char *path, char *arg,
    size_t arg_size)
{
	const char *p = pattern, *s = path;

	arg[0] = '\0';
	while (*p != '\0') {
		if (*p == '*') {
			size_t n = strcspn(s, "/");

			if (n == 0 || n >= arg_size)
				return 0;
			memcpy(arg, s, n);
			arg[n] = '\0';
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
	uint64_t fp;

	if (r->fingerprint == NULL || !r->fingerprint(pc, resp, &fp)) {
		r->handler(pc, resp);
		return;
	}
	fp = hash_u64(hash_u64(fp, site->sheets->fingerprint),
	    site->cfg->fingerprint);
	snprintf(resp->etag, sizeof(resp->etag), "\"%016llx\"",
	    (unsigned long long)fp);
	if (http_not_modified(pc->req, resp->etag, resp->last_modified)) {
		resp->status = 304;
		return;
	}
	if (pc->cache != NULL &&
	    cache_get(pc->cache, pc->req->path, fp, &resp->body))
		return;
	r->handler(pc, resp);
	if (resp->status == 200 && pc->cache != NULL && !resp->body.failed)
		cache_put(pc->cache, pc->req->path, fp, resp->body.data,
		    resp->body.len);
}

static void
dispatch(struct page_ctx *pc, struct response *resp)
{
	const struct request *req = pc->req;
	char arg[256], target[REQUEST_URI_MAX + 8];

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
		switch (route_match(routes[i].pattern, req->path, arg, sizeof(arg))) {
		case 1:
			pc->arg = arg[0] ? arg : NULL;
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
	struct page_ctx pc = { site, cache, req, now, NULL };
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
