/* page-archive.c - the archive index, "/archive/": years and months with
 * their counts, newest first.  The year and month pages themselves are
 * listings (page-listing.c). */
#include <stdio.h>

#include "hash.h"
#include "page.h"

bool
page_archive_fp(struct page_ctx *pc, struct response *resp, uint64_t *fp)
{
	*fp = hash_u64(hash_str(HASH_INIT, "archive"), page_index_fp(pc));
	resp->content_type = CT_HTML;
	page_index_caching(pc, resp);
	return true;
}

static void
set_count(xmlNodePtr node, size_t count)
{
	char text[32];

	snprintf(text, sizeof(text), "%zu", count);
	xmlSetProp(node, BAD_CAST "count", BAD_CAST text);
}

void
page_archive(struct page_ctx *pc, struct response *resp)
{
	const struct index *idx = pc->site->index;
	xmlNodePtr root, archive, year = NULL, month = NULL;
	size_t first, year_count = 0, month_count = 0;
	int cur_year = -1, cur_month = -1;
	char href[1024], text[16];
	xmlDocPtr doc;

	if ((doc = page_doc_new(pc, "archive", &root)) == NULL) {
		page_render(pc, PAGE_ARCHIVE, NULL, resp);
		return;
	}
	archive = xmlNewChild(root, NULL, BAD_CAST "archive-index", NULL);
	index_listed(idx, pc->now, &first);
	/* Listing order is newest first; the written dates follow it, so a
	 * year or a month is one run of the array. */
	for (size_t i = first; i < idx->count; i++) {
		const struct xp_date *d = &idx->articles[i]->published;

		if (d->year != cur_year) {
			if (year != NULL)
				set_count(year, year_count);
			cur_year = d->year;
			cur_month = -1;
			year_count = 0;
			year = xmlNewChild(archive, NULL, BAD_CAST "year", NULL);
			snprintf(text, sizeof(text), "%04d", d->year);
			xmlNewProp(year, BAD_CAST "value", BAD_CAST text);
			page_href(pc, href, sizeof(href), "archive/%04d/", d->year);
			xmlNewProp(year, BAD_CAST "href", BAD_CAST href);
		}
		if (d->month != cur_month) {
			if (month != NULL)
				set_count(month, month_count);
			cur_month = d->month;
			month_count = 0;
			month = xmlNewTextChild(year, NULL, BAD_CAST "month",
			    BAD_CAST date_month_name(d->month));
			snprintf(text, sizeof(text), "%02d", d->month);
			xmlNewProp(month, BAD_CAST "value", BAD_CAST text);
			page_href(pc, href, sizeof(href), "archive/%04d/%02d/",
			    d->year, d->month);
			xmlNewProp(month, BAD_CAST "href", BAD_CAST href);
		}
		year_count++;
		month_count++;
	}
	if (year != NULL)
		set_count(year, year_count);
	if (month != NULL)
		set_count(month, month_count);
	page_add_meta(root, "Every article of the site by year and month.",
	    "website", NULL);
	page_archive_fp(pc, resp, &(uint64_t){ 0 });
	page_render(pc, PAGE_ARCHIVE, doc, resp);
}
