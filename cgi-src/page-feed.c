/* page-feed.c - Atom feeds (RFC 4287) with full content: the site's,
 * "/feed.xml", and one per tag, "/tags/T/feed.xml"; and the same as JSON
 * Feed 1.1, "feed.json" beside each.  One page document serves both: only
 * the stylesheet differs. */
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "log.h"
#include "page.h"

#define FEED_ENTRIES 20
#define CT_ATOM "application/atom+xml; charset=utf-8"
#define CT_JSON_FEED "application/feed+json; charset=utf-8"

static enum listing_kind
feed_kind(const struct page_ctx *pc)
{
	return (enum listing_kind)(pc->variant & ~FEED_JSON);
}

static bool
is_json(const struct page_ctx *pc)
{
	return (pc->variant & FEED_JSON) != 0;
}

static size_t
feed_length(const struct selection *sel)
{
	return sel->count < FEED_ENTRIES ? sel->count : FEED_ENTRIES;
}

bool
page_feed_fp(struct page_ctx *pc, struct response *resp, uint64_t *fp)
{
	struct selection sel;
	uint64_t h = hash_str(HASH_INIT, is_json(pc) ? "feed.json" : "feed");

	if (page_select(pc, feed_kind(pc), &sel) != 200) {
		selection_release(&sel);
		return false;
	}
	if (pc->nargs > 0)
		h = hash_str(h, pc->args[0]);
	for (size_t i = 0; i < feed_length(&sel); i++) {
		h = hash_u64(h, sel.items[i]->content_hash);
		/* Entries carry their own files' URLs. */
		h = hash_u64(h, media_folder_fp(pc->site->media,
		    pc->site->cfg->articles_dir, sel.items[i]->slug,
		    pc->site->cfg->max_media_bytes));
	}
	page_last_modified(pc, resp, page_selection_changed(pc, feed_kind(pc),
	    &sel, 0, feed_length(&sel)));
	selection_release(&sel);
	*fp = h;
	resp->content_type = is_json(pc) ? CT_JSON_FEED : CT_ATOM;
	page_cache_lifetime(pc, resp);
	return true;
}

static const struct xp_date *
last_change(const struct article *a)
{
	return a->has_updated && a->updated.instant > a->published.instant
	    ? &a->updated : &a->published;
}

void
page_feed(struct page_ctx *pc, struct response *resp)
{
	char self[2048], alternate[2048], path[1024], title[512];
	xmlNodePtr root, feed, entry, copy;
	const struct xp_date *newest = NULL;
	struct xp_error err;
	struct selection sel;
	xmlDocPtr doc, adoc;

	if (page_select(pc, feed_kind(pc), &sel) != 200) {
		selection_release(&sel);
		page_error(pc, resp, 404, "There is no such feed.");
		return;
	}
	if ((doc = page_doc_new(pc, "feed", &root)) == NULL) {
		selection_release(&sel);
		page_render(pc, is_json(pc) ? PAGE_FEED_JSON : PAGE_FEED, NULL,
		    resp);
		return;
	}
	feed = xmlNewChild(root, NULL, BAD_CAST "feed", NULL);
	if (pc->nargs > 0) {
		snprintf(path, sizeof(path), "tags/%s/", pc->args[0]);
		snprintf(title, sizeof(title), "%s: #%s", pc->site->cfg->site_name,
		    pc->args[0]);
	} else {
		path[0] = '\0';
		snprintf(title, sizeof(title), "%s", pc->site->cfg->site_name);
	}
	page_abs_url(pc, alternate, sizeof(alternate), path);
	strncat(path, is_json(pc) ? "feed.json" : "feed.xml",
	    sizeof(path) - strlen(path) - 1);
	page_abs_url(pc, self, sizeof(self), path);
	xmlNewProp(feed, BAD_CAST "id", BAD_CAST alternate);
	xmlNewProp(feed, BAD_CAST "self", BAD_CAST self);
	xmlNewProp(feed, BAD_CAST "alternate", BAD_CAST alternate);
	xmlNewProp(feed, BAD_CAST "title", BAD_CAST title);
	xmlNewProp(feed, BAD_CAST "subtitle", BAD_CAST pc->site->cfg->listing_intro);
	for (size_t i = 0; i < feed_length(&sel); i++) {
		const struct article *a = sel.items[i];
		char abs[2048];

		if (newest == NULL || last_change(a)->instant > newest->instant)
			newest = last_change(a);
		entry = page_add_entry(pc, root, a);
		snprintf(path, sizeof(path), "articles/%s/", a->slug);
		page_abs_url(pc, abs, sizeof(abs), path);
		xmlNewProp(entry, BAD_CAST "abs", BAD_CAST abs);
		xmlNewProp(entry, BAD_CAST "id", BAD_CAST abs);
		xmlNewProp(entry, BAD_CAST "published-iso", BAD_CAST a->published.iso);
		xmlNewProp(entry, BAD_CAST "updated-iso", BAD_CAST last_change(a)->iso);
		if ((adoc = article_document(a, &err)) == NULL) {
			log_error(LOG_ERROR, &err);
			continue;
		}
		copy = xmlDocCopyNode(xmlDocGetRootElement(adoc), doc, 1);
		if (copy != NULL) {
			struct page_picture pic;

			xmlAddChild(entry, copy);
			page_media_body(pc, a->slug, copy, true, &pic);
			if (pic.url[0] != '\0')
				xmlNewProp(entry, BAD_CAST "image", BAD_CAST pic.url);
		}
		xmlFreeDoc(adoc);
	}
	/* An empty feed is still valid; its "updated" is the epoch then. */
	xmlNewProp(feed, BAD_CAST "updated", BAD_CAST (newest ? newest->iso
	    : "1970-01-01T00:00:00Z"));
	selection_release(&sel);
	page_feed_fp(pc, resp, &(uint64_t){ 0 });
	page_render(pc, is_json(pc) ? PAGE_FEED_JSON : PAGE_FEED, doc, resp);
}
