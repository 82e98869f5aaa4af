/* page.c - what every page shares: the <site> block, entries, links,
 * rendering and redirects. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "log.h"
#include "page.h"

const char *
page_base(const struct page_ctx *pc)
{
	return pc->req != NULL && pc->req->base_path != NULL
	    ? pc->req->base_path : pc->site->cfg->base_path;
}

void
page_href(struct page_ctx *pc, char *out, size_t size, const char *fmt, ...)
{
	size_t n = (size_t)snprintf(out, size, "%s", page_base(pc));
	va_list ap;

	if (n >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(out + n, size - n, fmt, ap);
	va_end(ap);
}

void
page_abs_url(struct page_ctx *pc, char *out, size_t size, const char *path)
{
	const struct config *cfg = pc->site->cfg;
	const char *origin = cfg->base_url[0] ? cfg->base_url : "http://localhost";
	size_t n = strlen(origin);

	/* base_url is an origin, maybe with a trailing slash; base_path
	 * always starts with one. */
	if (n > 0 && origin[n - 1] == '/')
		n--;
	snprintf(out, size, "%.*s%s%s", (int)n, origin, page_base(pc), path);
}

void
page_last_modified(struct page_ctx *pc, struct response *resp, time_t t)
{
	const struct site *site = pc->site;

	if (site->cfg->loaded_at > t)
		t = site->cfg->loaded_at;
	if (site->sheets->loaded_at > t)
		t = site->sheets->loaded_at;
	/* Two seconds, not one: a snapshot dated at the end of a second may
	 * be published in the next, and a one-shot process (CGI) that loads
	 * across a second's end must not date a page its next run won't. */
	resp->last_modified = t + 1 < pc->now ? t : 0;
}

time_t
page_set_changed(struct page_ctx *pc)
{
	const struct index *idx = pc->site->index;
	time_t arrived = index_arrived(idx, pc->now);

	return arrived > idx->order_changed ? arrived : idx->order_changed;
}

void
page_cache_lifetime(struct page_ctx *pc, struct response *resp)
{
	time_t due = index_next_due(pc->site->index, pc->now);
	long max_age = (long)pc->site->cfg->max_age;

	resp->stale_max = -1;
	if (due != 0) {
		if (due - pc->now < max_age)
			max_age = (long)(due - pc->now);
		resp->stale_max = (long)(due - pc->now) - max_age;
	}
	resp->max_age = max_age;
}

void
page_index_caching(struct page_ctx *pc, struct response *resp)
{
	time_t set = page_set_changed(pc), changed = pc->site->index->changed;

	page_cache_lifetime(pc, resp);
	page_last_modified(pc, resp, changed > set ? changed : set);
}

uint64_t
page_index_fp(struct page_ctx *pc)
{
	size_t first;

	index_listed(pc->site->index, pc->now, &first);
	return hash_u64(pc->site->index->fingerprint, first);
}

void
page_add_meta(xmlNodePtr root, const char *description, const char *og_type,
    const char *json_ld)
{
	xmlNodePtr meta = xmlNewChild(root, NULL, BAD_CAST "meta", NULL);

	if (meta == NULL)
		return;
	xmlNewTextChild(meta, NULL, BAD_CAST "description", BAD_CAST description);
	xmlNewTextChild(meta, NULL, BAD_CAST "og-type", BAD_CAST og_type);
	if (json_ld != NULL)
		xmlNewTextChild(meta, NULL, BAD_CAST "json-ld", BAD_CAST json_ld);
}

static xmlNodePtr
text_child(xmlNodePtr parent, const char *name, const char *text)
{
	return xmlNewTextChild(parent, NULL, BAD_CAST name, BAD_CAST text);
}

static void
link_child(xmlNodePtr parent, const char *name, const char *href)
{
	xmlNodePtr n = xmlNewChild(parent, NULL, BAD_CAST name, NULL);

	if (n != NULL)
		xmlNewProp(n, BAD_CAST "href", BAD_CAST href);
}

xmlDocPtr
page_doc_new(struct page_ctx *pc, const char *kind, xmlNodePtr *root)
{
	const struct config *cfg = pc->site->cfg;
	char href[1024], count[32];
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr page, site;
	size_t first;

	if (doc == NULL)
		return NULL;
	page = xmlNewDocNode(doc, NULL, BAD_CAST "page", NULL);
	if (page == NULL) {
		xmlFreeDoc(doc);
		return NULL;
	}
	xmlDocSetRootElement(doc, page);
	xmlNewProp(page, BAD_CAST "kind", BAD_CAST kind);
	xmlNewProp(page, BAD_CAST "path", BAD_CAST (pc->req->path ? pc->req->path : "/"));
	site = xmlNewChild(page, NULL, BAD_CAST "site", NULL);
	text_child(site, "name", cfg->site_name);
	page_href(pc, href, sizeof(href), "%s", "");
	link_child(site, "home", href);
	page_href(pc, href, sizeof(href), "style.css?v=%.8s",
	    pc->site->sheets->assets[ASSET_CSS].etag + 1);
	link_child(site, "stylesheet", href);
	text_child(site, "base-url", cfg->base_url);
	text_child(site, "heading", cfg->listing_heading);
	text_child(site, "intro", cfg->listing_intro);
	/* Article pages leave the count out: it would make every article
	 * page's fingerprint change whenever any article is added. */
	if (strcmp(kind, "article") != 0) {
		snprintf(count, sizeof(count), "%zu",
		    index_listed(pc->site->index, pc->now, &first));
		text_child(site, "article-count", count);
	}
	text_child(site, "lang", cfg->lang);
	page_href(pc, href, sizeof(href), "feed.xml");
	link_child(site, "feed", href);
	page_abs_url(pc, href, sizeof(href), "feed.xml");
	xmlNewProp(xmlGetLastChild(site), BAD_CAST "abs", BAD_CAST href);
	page_href(pc, href, sizeof(href), "feed.json");
	link_child(site, "json-feed", href);
	page_href(pc, href, sizeof(href), "search/");
	link_child(site, "search", href);
	page_href(pc, href, sizeof(href), "tags/");
	link_child(site, "tags-index", href);
	page_href(pc, href, sizeof(href), "archive/");
	link_child(site, "archive-index", href);
	page_href(pc, href, sizeof(href), "favicon.svg?v=%.8s",
	    pc->site->sheets->assets[ASSET_ICON].etag + 1);
	link_child(site, "icon", href);
	/* Search results are not canonical pages: every query would be one. */
	if (pc->req->path != NULL && strcmp(kind, "error") != 0 &&
	    strcmp(pc->req->path, "/search/") != 0) {
		page_abs_url(pc, href, sizeof(href), pc->req->path + 1);
		link_child(page, "canonical", href);
	}
	*root = page;
	return doc;
}

static void
date_child(xmlNodePtr parent, const char *name, const struct xp_date *d)
{
	char shown[64], machine[64];
	xmlNodePtr n;

	date_display(d, shown, sizeof(shown));
	if (d->has_time)
		snprintf(machine, sizeof(machine), "%s", d->iso);
	else
		snprintf(machine, sizeof(machine), "%04d-%02d-%02d", d->year,
		    d->month, d->day);
	if ((n = text_child(parent, name, shown)) != NULL)
		xmlNewProp(n, BAD_CAST "datetime", BAD_CAST machine);
}

xmlNodePtr
page_add_entry(struct page_ctx *pc, xmlNodePtr parent, const struct article *a)
{
	xmlNodePtr entry = xmlNewChild(parent, NULL, BAD_CAST "entry", NULL);
	char href[1024], minutes[16];

	if (entry == NULL)
		return NULL;
	page_href(pc, href, sizeof(href), "articles/%s/", a->slug);
	xmlNewProp(entry, BAD_CAST "slug", BAD_CAST a->slug);
	xmlNewProp(entry, BAD_CAST "href", BAD_CAST href);
	text_child(entry, "title", a->title);
	text_child(entry, "summary", a->summary);
	date_child(entry, "published", &a->published);
	if (a->has_updated)
		date_child(entry, "updated", &a->updated);
	if (a->author != NULL)
		text_child(entry, "author", a->author);
	snprintf(minutes, sizeof(minutes), "%u", a->reading_minutes);
	text_child(entry, "reading-minutes", minutes);
	if (a->ntags > 0) {
		xmlNodePtr tags = xmlNewChild(entry, NULL, BAD_CAST "tags", NULL);

		for (size_t i = 0; i < a->ntags; i++) {
			xmlNodePtr t = text_child(tags, "tag", a->tags[i]);

			page_href(pc, href, sizeof(href), "tags/%s/", a->tags[i]);
			if (t != NULL)
				xmlNewProp(t, BAD_CAST "href", BAD_CAST href);
		}
	}
	return entry;
}

void
page_render(struct page_ctx *pc, enum page_kind kind, xmlDocPtr doc,
    struct response *resp)
{
	const char *params[] = { "trusted-html",
		pc->site->cfg->trusted_html ? "'yes'" : "'no'", NULL };
	struct xp_error err;

	if (doc == NULL) {
		resp->status = 503;
		resp->content_type = CT_TEXT;
		buf_puts(&resp->body, "Service Unavailable\n");
		return;
	}
	if (render_apply(pc->site->sheets, kind, doc, params, &resp->body,
	    pc->req->uri ? pc->req->uri : "?", &err) != XP_OK) {
		log_error(LOG_ERROR, &err);
		buf_release(&resp->body);
		resp->status = 500;
		if (kind != PAGE_ERROR) {
			pc->render_failed = true;
			pc->render_failure_lasting = err.status == XP_ERR_INVALID;
		} else {
			resp->content_type = CT_TEXT;
			buf_puts(&resp->body, "Internal Server Error\n");
		}
	}
	xmlFreeDoc(doc);
	if (resp->status == 200 && resp->etag[0] == '\0')
		response_etag_from_body(resp);
}

void
page_redirect(struct page_ctx *pc, struct response *resp, const char *path)
{
	char href[(REQUEST_URI_MAX + REQUEST_QUERY_MAX) * 3 + 64], enc_path[REQUEST_URI_MAX * 3 + 1];
	char enc_query[REQUEST_QUERY_MAX * 3 + 1];
	const char *q = pc->req->query;

	/* Both fit: each byte of a path or query within the request limits
	 * takes at most three. */
	http_encode_path(path, false, enc_path, sizeof(enc_path));
	http_encode_path(q, true, enc_query, sizeof(enc_query));
	page_href(pc, href, sizeof(href), "%s%s%s", enc_path, q[0] ? "?" : "",
	    enc_query);
	resp->status = 301;
	resp->content_type = CT_HTML;
	resp->max_age = (long)pc->site->cfg->max_age;
	response_header(resp, "Location", "%s", href);
	buf_release(&resp->body);
}
