/* page-article.c - one article, "/articles/SLUG/". */
#include <string.h>

#include "hash.h"
#include "log.h"
#include "page.h"

/* The slug is checked against the allowlist before any lookup, and it is
 * never used to build a path: the index is all we consult. */
static const struct article *
find(struct page_ctx *pc)
{
	if (!article_slug_valid(pc->arg, strlen(pc->arg)))
		return NULL;
	return index_find(pc->site->index, pc->arg, pc->now);
}

static void
set_caching(struct page_ctx *pc, struct response *resp, const struct article *a)
{
	resp->content_type = CT_HTML;
	resp->max_age = (long)pc->site->cfg->max_age;
	resp->last_modified = a->published.instant;
	if (a->has_updated && a->updated.instant > resp->last_modified)
		resp->last_modified = a->updated.instant;
	if (a->stamp.mtime.tv_sec > resp->last_modified)
		resp->last_modified = a->stamp.mtime.tv_sec;
}

bool
page_article_fp(struct page_ctx *pc, struct response *resp, uint64_t *fp)
{
	const struct article *a = find(pc);

	if (a == NULL)
		return false;
	*fp = hash_u64(hash_str(HASH_INIT, "article"), a->content_hash);
	set_caching(pc, resp, a);
	return true;
}

void
page_article(struct page_ctx *pc, struct response *resp)
{
	const struct article *a = find(pc);
	xmlNodePtr root, copy, back;
	xmlDocPtr doc, article_doc;
	struct xp_error err;
	char href[1024];

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
	copy = xmlDocCopyNode(xmlDocGetRootElement(article_doc), doc, 1);
	if (copy != NULL)
		xmlAddChild(root, copy);
	xmlFreeDoc(article_doc);
	back = xmlNewChild(root, NULL, BAD_CAST "back", NULL);
	page_href(pc, href, sizeof(href), "%s", "");
	xmlNewProp(back, BAD_CAST "href", BAD_CAST href);
	set_caching(pc, resp, a);
	page_render(pc, PAGE_ARTICLE, doc, resp);
}
