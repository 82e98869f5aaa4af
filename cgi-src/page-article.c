/* page-article.c - one article, "/articles/SLUG/". */
#include <string.h>

#include "log.h"
#include "page.h"

void
page_article(struct page_ctx *pc, struct response *resp)
{
	const struct article *a = NULL;
	xmlNodePtr root, source, copy, back;
	struct xp_error err;
	xmlDocPtr doc, article_doc;
	char href[1024];

	/* The slug is checked against the allowlist before any lookup, and
	 * it is never used to build a path: the index is all we consult. */
	if (article_slug_valid(pc->arg, strlen(pc->arg)))
		a = index_find(pc->site->index, pc->arg, pc->now);
	if (a == NULL) {
		page_error(pc, resp, 404, "There is no article at this address.");
		return;
	}
	if ((article_doc = article_document(a, &err)) == NULL) {
		/* The bytes parsed at load time; failing now means memory. */
		log_error(LOG_ERROR, &err);
		page_render(pc, PAGE_ARTICLE, NULL, resp);
		return;
	}
	if ((doc = page_doc_new(pc, "article", &root)) == NULL) {
		xmlFreeDoc(article_doc);
		page_render(pc, PAGE_ARTICLE, NULL, resp);
		return;
	}
	page_add_entry(pc, root, a);
	source = xmlDocGetRootElement(article_doc);
	if ((copy = xmlDocCopyNode(source, doc, 1)) != NULL)
		xmlAddChild(root, copy);
	xmlFreeDoc(article_doc);
	back = xmlNewChild(root, NULL, BAD_CAST "back", NULL);
	page_href(pc, href, sizeof(href), "%s", "");
	xmlNewProp(back, BAD_CAST "href", BAD_CAST href);
	resp->max_age = (long)pc->site->cfg->max_age;
	resp->last_modified = a->has_updated && a->updated.instant > a->published.instant
	    ? a->updated.instant : a->published.instant;
	if (a->stamp.mtime.tv_sec > resp->last_modified)
		resp->last_modified = a->stamp.mtime.tv_sec;
	page_render(pc, PAGE_ARTICLE, doc, resp);
}
