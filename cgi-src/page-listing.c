/* page-listing.c - the home page and its later pages, "/page/N/". */
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "page.h"

/* Which slice of the index a listing URL shows, or why it shows none. */
struct listing_plan {
	int status;            /* 200, or 301 (page 1 by number), 400, 404 */
	size_t number, pages, listed;
	size_t from, to;       /* positions in idx->articles, to exclusive */
};

/* Page numbers as the URL writes them: digits, no leading zero.  Returns
 * 0 for a malformed number, and a huge value (past any end) for one that
 * does not fit, so that "/page/99999999999999999999/" is 404, not 400. */
static size_t
parse_page_number(const char *s)
{
	size_t n = 0, len = strlen(s);

	if (len == 0 || s[0] == '0' || strspn(s, "0123456789") != len)
		return 0;
	if (len > 9)
		return (size_t)-1;
	for (size_t i = 0; i < len; i++)
		n = n * 10 + (size_t)(s[i] - '0');
	return n;
}

static struct listing_plan
plan_listing(struct page_ctx *pc)
{
	const struct index *idx = pc->site->index;
	size_t per_page = pc->site->cfg->per_page, first;
	struct listing_plan p = { 200, 0, 0, 0, 0, 0 };

	p.number = pc->arg == NULL ? 1 : parse_page_number(pc->arg);
	if (p.number == 0)
		return p.status = 400, p;
	if (pc->arg != NULL && p.number == 1)
		return p.status = 301, p;
	p.listed = index_listed(idx, pc->now, &first);
	p.pages = p.listed == 0 ? 1 : (p.listed + per_page - 1) / per_page;
	if (p.number > p.pages)
		return p.status = 404, p;
	p.from = first + (p.number - 1) * per_page;
	p.to = p.from + per_page < idx->count ? p.from + per_page : idx->count;
	return p;
}

/* How long a page may be cached: the configured max_age, but never past
 * the moment the next scheduled article is due. */
static long
cache_lifetime(struct page_ctx *pc)
{
	time_t due = index_next_due(pc->site->index, pc->now);
	long max_age = (long)pc->site->cfg->max_age;

	if (due != 0 && due - pc->now < max_age)
		max_age = (long)(due - pc->now);
	return max_age;
}

bool
page_listing_fp(struct page_ctx *pc, struct response *resp, uint64_t *fp)
{
	struct listing_plan p = plan_listing(pc);
	uint64_t h = hash_str(HASH_INIT, "listing");

	if (p.status != 200)
		return false;
	h = hash_u64(hash_u64(hash_u64(h, p.number), p.pages), p.listed);
	for (size_t i = p.from; i < p.to; i++)
		h = hash_u64(h, pc->site->index->articles[i]->content_hash);
	*fp = h;
	resp->content_type = CT_HTML;
	resp->max_age = cache_lifetime(pc);
	return true;
}

static void
add_count(xmlNodePtr node, const char *name, size_t value)
{
	char text[32];

	snprintf(text, sizeof(text), "%zu", value);
	xmlNewProp(node, BAD_CAST name, BAD_CAST text);
}

void
page_listing(struct page_ctx *pc, struct response *resp)
{
	struct listing_plan p = plan_listing(pc);
	xmlNodePtr root, listing, link;
	char href[1024];
	xmlDocPtr doc;

	switch (p.status) {
	case 301:
		page_redirect(pc, resp, "");
		return;
	case 400:
		page_error(pc, resp, 400, "Page numbers are whole numbers from 2"
		    " up, without leading zeros.");
		return;
	case 404:
		page_error(pc, resp, 404, "There is no such page: the last is %zu.",
		    p.pages);
		return;
	}
	if ((doc = page_doc_new(pc, "listing", &root)) == NULL) {
		page_render(pc, PAGE_LISTING, NULL, resp);
		return;
	}
	listing = xmlNewChild(root, NULL, BAD_CAST "listing", NULL);
	add_count(listing, "page", p.number);
	add_count(listing, "pages", p.pages);
	add_count(listing, "per-page", pc->site->cfg->per_page);
	add_count(listing, "total", p.listed);
	if (p.number > 1) {
		link = xmlNewChild(listing, NULL, BAD_CAST "prev", NULL);
		if (p.number == 2)
			page_href(pc, href, sizeof(href), "%s", "");
		else
			page_href(pc, href, sizeof(href), "page/%zu/", p.number - 1);
		xmlNewProp(link, BAD_CAST "href", BAD_CAST href);
	}
	if (p.number < p.pages) {
		link = xmlNewChild(listing, NULL, BAD_CAST "next", NULL);
		page_href(pc, href, sizeof(href), "page/%zu/", p.number + 1);
		xmlNewProp(link, BAD_CAST "href", BAD_CAST href);
	}
	for (size_t i = p.from; i < p.to; i++)
		page_add_entry(pc, listing, pc->site->index->articles[i]);
	resp->max_age = cache_lifetime(pc);
	page_render(pc, PAGE_LISTING, doc, resp);
}
