/* page-sitemap.c - what search engines read: "/sitemap.xml" (sitemaps.org
 * 0.9, every page a reader can reach) and "/robots.txt". */
#include <stdio.h>

#include "hash.h"
#include "page.h"

#define CT_XML "application/xml; charset=utf-8"

bool
page_sitemap_fp(struct page_ctx *pc, struct response *resp, uint64_t *fp)
{
	*fp = hash_u64(hash_str(HASH_INIT, "sitemap"), page_index_fp(pc));
	resp->content_type = CT_XML;
	page_index_caching(pc, resp);
	return true;
}

static void
add_url(struct page_ctx *pc, xmlNodePtr root, const char *path,
    const struct xp_date *lastmod)
{
	char loc[2048], day[16];
	xmlNodePtr url = xmlNewChild(root, NULL, BAD_CAST "url", NULL);

	page_abs_url(pc, loc, sizeof(loc), path);
	xmlNewProp(url, BAD_CAST "loc", BAD_CAST loc);
	if (lastmod != NULL) {
		snprintf(day, sizeof(day), "%04d-%02d-%02d", lastmod->year,
		    lastmod->month, lastmod->day);
		xmlNewProp(url, BAD_CAST "lastmod", BAD_CAST day);
	}
}

/* Adds the pages 2..PAGES of a listing at site path PREFIX. */
static void
add_pages(struct page_ctx *pc, xmlNodePtr root, const char *prefix,
    size_t count)
{
	size_t per_page = pc->site->cfg->per_page;
	char path[1024];

	for (size_t n = 2; (n - 1) * per_page < count; n++) {
		snprintf(path, sizeof(path), "%spage/%zu/", prefix, n);
		add_url(pc, root, path, NULL);
	}
}

void
page_sitemap(struct page_ctx *pc, struct response *resp)
{
	const struct index *idx = pc->site->index;
	size_t first, listed = index_listed(idx, pc->now, &first);
	int year = -1, month = -1;
	char path[512];
	const char *key;
	xmlNodePtr root;
	xmlDocPtr doc;
	void *value;

	if ((doc = page_doc_new(pc, "sitemap", &root)) == NULL) {
		page_render(pc, PAGE_SITEMAP, NULL, resp);
		return;
	}
	add_url(pc, root, "", listed ? &idx->articles[first]->published : NULL);
	add_pages(pc, root, "", listed);
	for (size_t i = first; i < idx->count; i++) {
		const struct article *a = idx->articles[i];

		snprintf(path, sizeof(path), "articles/%s/", a->slug);
		add_url(pc, root, path, a->has_updated &&
		    a->updated.instant > a->published.instant ? &a->updated
		    : &a->published);
	}
	add_url(pc, root, "tags/", NULL);
	for (size_t i = 0; strmap_next(&idx->by_tag, &i, &key, &value);) {
		const struct tag_list *list = value;
		size_t skip = 0;

		while (skip < list->count &&
		    list->items[skip]->published.instant > pc->now)
			skip++;
		if (skip == list->count)
			continue;
		snprintf(path, sizeof(path), "tags/%s/", list->tag);
		add_url(pc, root, path, NULL);
		add_pages(pc, root, path, list->count - skip);
	}
	add_url(pc, root, "archive/", NULL);
	for (size_t i = first; i < idx->count; i++) {
		const struct xp_date *d = &idx->articles[i]->published;

		if (d->year != year) {
			year = d->year;
			snprintf(path, sizeof(path), "archive/%04d/", year);
			add_url(pc, root, path, NULL);
			month = -1;
		}
		if (d->month != month) {
			month = d->month;
			snprintf(path, sizeof(path), "archive/%04d/%02d/", year,
			    month);
			add_url(pc, root, path, NULL);
		}
	}
	page_sitemap_fp(pc, resp, &(uint64_t){ 0 });
	page_render(pc, PAGE_SITEMAP, doc, resp);
}

bool
page_robots_fp(struct page_ctx *pc, struct response *resp, uint64_t *fp)
{
	*fp = hash_str(HASH_INIT, "robots");
	resp->content_type = CT_TEXT;
	resp->max_age = (long)pc->site->cfg->max_age;
	page_last_modified(pc, resp, 0);
	return true;
}

void
page_robots(struct page_ctx *pc, struct response *resp)
{
	char sitemap[2048];

	page_abs_url(pc, sitemap, sizeof(sitemap), "sitemap.xml");
	buf_printf(&resp->body, "User-agent: *\nAllow: /\n\nSitemap: %s\n",
	    sitemap);
	page_robots_fp(pc, resp, &(uint64_t){ 0 });
}
