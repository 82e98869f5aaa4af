/* page-tags.c - the tags index, "/tags/": every tag with its count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "page.h"

bool
page_tags_fp(struct page_ctx *pc, struct response *resp, uint64_t *fp)
{
	*fp = hash_u64(hash_str(HASH_INIT, "tags"), page_index_fp(pc));
	resp->content_type = CT_HTML;
	page_index_caching(pc, resp);
	return true;
}

static int
compare_lists(const void *a, const void *b)
{
	return strcmp((*(const struct tag_list *const *)a)->tag,
	    (*(const struct tag_list *const *)b)->tag);
}

/* Counts the listed articles of LIST at NOW (its future ones lead). */
static size_t
listed_in(const struct tag_list *list, time_t now)
{
	size_t skip = 0;

	while (skip < list->count && list->items[skip]->published.instant > now)
		skip++;
	return list->count - skip;
}

void
page_tags(struct page_ctx *pc, struct response *resp)
{
	const struct strmap *by_tag = &pc->site->index->by_tag;
	const struct tag_list **lists;
	xmlNodePtr root, tags_index;
	char href[1024], text[32];
	size_t n = 0, shown = 0;
	const char *key;
	xmlDocPtr doc;
	void *value;

	if ((lists = calloc(by_tag->count + 1, sizeof(*lists))) == NULL ||
	    (doc = page_doc_new(pc, "tags", &root)) == NULL) {
		free(lists);
		page_render(pc, PAGE_TAGS, NULL, resp);
		return;
	}
	for (size_t i = 0; strmap_next(by_tag, &i, &key, &value);)
		lists[n++] = value;
	qsort(lists, n, sizeof(*lists), compare_lists);
	tags_index = xmlNewChild(root, NULL, BAD_CAST "tags-index", NULL);
	for (size_t i = 0; i < n; i++) {
		size_t count = listed_in(lists[i], pc->now);
		xmlNodePtr tag;

		if (count == 0)
			continue;
		tag = xmlNewTextChild(tags_index, NULL, BAD_CAST "tag",
		    BAD_CAST lists[i]->tag);
		page_href(pc, href, sizeof(href), "tags/%s/", lists[i]->tag);
		xmlNewProp(tag, BAD_CAST "href", BAD_CAST href);
		snprintf(text, sizeof(text), "%zu", count);
		xmlNewProp(tag, BAD_CAST "count", BAD_CAST text);
		shown++;
	}
	snprintf(text, sizeof(text), "%zu", shown);
	xmlNewProp(tags_index, BAD_CAST "total", BAD_CAST text);
	free(lists);
	page_add_meta(root, "Every tag of the site, with its articles.",
	    "website", NULL);
	page_tags_fp(pc, resp, &(uint64_t){ 0 });
	page_render(pc, PAGE_TAGS, doc, resp);
}
