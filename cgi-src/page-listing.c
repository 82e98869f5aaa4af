/* page-listing.c - the home page and its later pages, "/page/N/". */
#include <stdio.h>
#include <string.h>

#include "page.h"

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

void
page_listing(struct page_ctx *pc, struct response *resp)
{
	const struct index *idx = pc->site->index;
	size_t per_page = pc->site->cfg->per_page, first, listed, pages, number;
	char href[1024], attr[32];
	xmlNodePtr root, listing;
	xmlDocPtr doc;

	number = pc->arg == NULL ? 1 : parse_page_number(pc->arg);
	if (number == 0) {
		page_error(pc, resp, 400,
		    "Page numbers are whole numbers from 2 up, without leading zeros.");
		return;
	}
	if (pc->arg != NULL && number == 1) {
		page_redirect(pc, resp, "");
		return;
	}
	listed = index_listed(idx, pc->now, &first);
	pages = listed == 0 ? 1 : (listed + per_page - 1) / per_page;
	if (number > pages) {
		page_error(pc, resp, 404, "There is no such page: the last is %zu.",
		    pages);
		return;
	}
	if ((doc = page_doc_new(pc, "listing", &root)) == NULL) {
		page_render(pc, PAGE_LISTING, NULL, resp);
		return;
	}
	listing = xmlNewChild(root, NULL, BAD_CAST "listing", NULL);
	snprintf(attr, sizeof(attr), "%zu", number);
	xmlNewProp(listing, BAD_CAST "page", BAD_CAST attr);
	snprintf(attr, sizeof(attr), "%zu", pages);
	xmlNewProp(listing, BAD_CAST "pages", BAD_CAST attr);
	snprintf(attr, sizeof(attr), "%zu", per_page);
	xmlNewProp(listing, BAD_CAST "per-page", BAD_CAST attr);
	snprintf(attr, sizeof(attr), "%zu", listed);
	xmlNewProp(listing, BAD_CAST "total", BAD_CAST attr);
	if (number > 1) {
		xmlNodePtr prev = xmlNewChild(listing, NULL, BAD_CAST "prev", NULL);

		if (number == 2)
			page_href(pc, href, sizeof(href), "%s", "");
		else
			page_href(pc, href, sizeof(href), "page/%zu/", number - 1);
		xmlNewProp(prev, BAD_CAST "href", BAD_CAST href);
	}
	if (number < pages) {
		xmlNodePtr next = xmlNewChild(listing, NULL, BAD_CAST "next", NULL);

		page_href(pc, href, sizeof(href), "page/%zu/", number + 1);
		xmlNewProp(next, BAD_CAST "href", BAD_CAST href);
	}
	for (size_t i = first + (number - 1) * per_page;
	    i < idx->count && i < first + number * per_page; i++)
		page_add_entry(pc, listing, idx->articles[i]);
	resp->max_age = cache_lifetime(pc);
	page_render(pc, PAGE_LISTING, doc, resp);
}
