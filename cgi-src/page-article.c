/* page-article.c - one article, "/articles/SLUG/", with its neighbours,
 * related articles and the structured data search engines read. */
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "heading.h"
#include "log.h"
#include "page.h"

#define RELATED_MAX 3
#define RELATED_SCAN 200   /* newest articles of each tag looked at */
#define TOC_MIN_H2 3       /* fewer sections need no table of contents */

/* Ids the article stylesheet and the layout use themselves: a heading
 * never takes one. */
static const char *const page_ids[] = {
	"main", "keep-reading", "related-title", "contents", "site-search-q",
	"search-q", NULL,
};

/* What an article page shows besides the article itself. */
struct article_plan {
	const struct article *a;
	const struct article *older, *newer;
	const struct article *related[RELATED_MAX];
	size_t nrelated;
};

static size_t
shared_tags(const struct article *a, const struct article *b)
{
	size_t n = 0;

	for (size_t i = 0; i < a->ntags; i++)
		for (size_t j = 0; j < b->ntags; j++)
			n += strcmp(a->tags[i], b->tags[j]) == 0;
	return n;
}

/* Up to RELATED_MAX listed articles sharing the most tags with A, newest
 * first among equals.  Looks only at the newest RELATED_SCAN of each tag,
 * so a tag on half the site costs no more than a small one. */
static void
find_related(struct page_ctx *pc, struct article_plan *p)
{
	size_t score[RELATED_MAX] = { 0 };

	for (size_t t = 0; t < p->a->ntags; t++) {
		const struct tag_list *list = index_tag(pc->site->index,
		    p->a->tags[t]);

		for (size_t i = 0; list != NULL && i < list->count &&
		    i < RELATED_SCAN; i++) {
			const struct article *b = list->items[i];
			size_t s, k;
			bool seen = false;

			if (b == p->a || !article_visible(b, pc->now))
				continue;
			for (k = 0; k < p->nrelated; k++)
				seen |= p->related[k] == b;
			if (seen)
				continue;
			s = shared_tags(p->a, b);
			/* Insertion into the short, sorted list. */
			for (k = p->nrelated; k > 0; k--) {
				if (score[k - 1] > s || (score[k - 1] == s &&
				    index_compare(p->related[k - 1], b) < 0))
					break;
				if (k < RELATED_MAX) {
					score[k] = score[k - 1];
					p->related[k] = p->related[k - 1];
				}
			}
			if (k < RELATED_MAX) {
				score[k] = s;
				p->related[k] = b;
				if (p->nrelated < RELATED_MAX)
					p->nrelated++;
			}
		}
	}
}

/* The slug is checked against the allowlist before any lookup, and it is
 * never used to build a path: the index is all we consult. */
static bool
plan_article(struct page_ctx *pc, struct article_plan *p)
{
	const struct index *idx = pc->site->index;
	size_t pos, first;

	memset(p, 0, sizeof(*p));
	if (!article_slug_valid(pc->args[0], strlen(pc->args[0])) ||
	    (p->a = index_find(idx, pc->args[0], pc->now)) == NULL)
		return false;
	index_listed(idx, pc->now, &first);
	pos = index_position(idx, p->a);
	if (pos != (size_t)-1 && pos + 1 < idx->count)
		p->older = idx->articles[pos + 1];
	if (pos != (size_t)-1 && pos > first)
		p->newer = idx->articles[pos - 1];
	find_related(pc, p);
	return true;
}

/* Later of T and when A last changed in IDX (A may be NULL). */
static time_t
later(const struct index *idx, time_t t, const struct article *a)
{
	time_t s = a != NULL ? index_since(idx, a) : 0;

	return s > t ? s : t;
}

/* The page shows the article, its neighbours (the listing's order) and
 * its related articles (its tags' lists): its date is the last change of
 * any of them, taken from the snapshots' history, so it moves when one
 * goes as well as when one comes. */
static void
set_caching(struct page_ctx *pc, struct response *resp,
    const struct article_plan *p)
{
	const struct index *idx = pc->site->index;
	time_t t = page_set_changed(pc);

	for (size_t i = 0; i < p->a->ntags; i++) {
		const struct tag_list *list = index_tag(idx, p->a->tags[i]);

		if (list != NULL && list->changed > t)
			t = list->changed;
	}
	t = later(idx, later(idx, later(idx, t, p->a), p->older), p->newer);
	for (size_t i = 0; i < p->nrelated; i++)
		t = later(idx, t, p->related[i]);
	resp->content_type = CT_HTML;
	page_cache_lifetime(pc, resp);
	page_last_modified(pc, resp, t);
}

bool
page_article_fp(struct page_ctx *pc, struct response *resp, uint64_t *fp)
{
	struct article_plan p;
	uint64_t h = hash_str(HASH_INIT, "article");

	if (!plan_article(pc, &p))
		return false;
	h = hash_u64(h, p.a->content_hash);
	/* The page shows its own files' URLs and sizes: a replaced image
	 * is a new page, whether or not a watcher saw the folder change. */
	h = hash_u64(h, media_folder_fp(pc->site->media,
	    pc->site->cfg->articles_dir, p.a->slug, pc->site->cfg->max_media_bytes));
	h = hash_u64(h, p.older ? p.older->content_hash : 0);
	h = hash_u64(h, p.newer ? p.newer->content_hash : 0);
	for (size_t i = 0; i < p.nrelated; i++)
		h = hash_u64(h, p.related[i]->content_hash);
	*fp = h;
	set_caching(pc, resp, &p);
	return true;
}

/* Appends S to OUT as the inside of a JSON string.  <, > and & are
 * escaped too, so the result can sit in a <script> element that the HTML
 * serialiser does not escape: no article text can close it. */
static void
json_string(struct buf *out, const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			buf_printf(out, "\\%c", *c);
		else if (*c < 0x20 || *c == '<' || *c == '>' || *c == '&')
			buf_printf(out, "\\u%04x", *c);
		else if (c[0] == 0xE2 && c[1] == 0x80 && (c[2] == 0xA8 || c[2] == 0xA9)) {
			buf_printf(out, "\\u%04x", c[2] == 0xA8 ? 0x2028 : 0x2029);
			c += 2;
		} else
			buf_append(out, c, 1);
	}
}

static void
json_field(struct buf *out, const char *name, const char *value)
{
	buf_printf(out, ",\"%s\":\"", name);
	json_string(out, value);
	buf_puts(out, "\"");
}

/* The schema.org BlogPosting of A, as a JSON text (caller releases OUT). */
static void
json_ld(struct page_ctx *pc, const struct article *a, const char *url,
    const char *image, struct buf *out)
{
	buf_puts(out, "{\"@context\":\"https://schema.org\",\"@type\":\"BlogPosting\"");
	json_field(out, "headline", a->title);
	json_field(out, "description", a->summary);
	json_field(out, "datePublished", a->published.iso);
	json_field(out, "dateModified", a->has_updated ? a->updated.iso
	    : a->published.iso);
	json_field(out, "url", url);
	json_field(out, "mainEntityOfPage", url);
	if (image[0] != '\0')
		json_field(out, "image", image);
	buf_puts(out, ",\"author\":{\"@type\":\"Person\"");
	json_field(out, "name", a->author ? a->author : pc->site->cfg->site_name);
	buf_puts(out, "},\"publisher\":{\"@type\":\"Organization\"");
	json_field(out, "name", pc->site->cfg->site_name);
	buf_puts(out, "}");
	if (a->ntags > 0) {
		struct buf keywords = BUF_INIT;

		for (size_t i = 0; i < a->ntags; i++)
			buf_printf(&keywords, "%s%s", i ? ", " : "", a->tags[i]);
		json_field(out, "keywords", keywords.data ? keywords.data : "");
		buf_release(&keywords);
	}
	buf_printf(out, ",\"wordCount\":%u}", a->word_count);
}

static void
add_neighbour(struct page_ctx *pc, xmlNodePtr nav, const char *name,
    const struct article *a)
{
	char href[1024];
	xmlNodePtr n;

	if (a == NULL)
		return;
	n = xmlNewChild(nav, NULL, BAD_CAST name, NULL);
	page_href(pc, href, sizeof(href), "articles/%s/", a->slug);
	xmlNewProp(n, BAD_CAST "href", BAD_CAST href);
	xmlNewProp(n, BAD_CAST "title", BAD_CAST a->title);
}

/* The <body> element of the <article> ARTICLE, or NULL. */
static xmlNodePtr
article_body(xmlNodePtr article)
{
	for (xmlNodePtr n = article->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    xmlStrEqual(n->name, BAD_CAST "body"))
			return n;
	return NULL;
}

/* <image href width height/> in META: og:image and a large Twitter card. */
static void
add_picture(xmlNodePtr meta, const struct page_picture *pic)
{
	xmlNodePtr n;
	char num[16];

	if (meta == NULL || pic->url[0] == '\0' ||
	    (n = xmlNewChild(meta, NULL, BAD_CAST "image", NULL)) == NULL)
		return;
	xmlNewProp(n, BAD_CAST "href", BAD_CAST pic->url);
	if (pic->width > 0) {
		snprintf(num, sizeof(num), "%u", pic->width);
		xmlNewProp(n, BAD_CAST "width", BAD_CAST num);
		snprintf(num, sizeof(num), "%u", pic->height);
		xmlNewProp(n, BAD_CAST "height", BAD_CAST num);
	}
}

void
page_article(struct page_ctx *pc, struct response *resp)
{
	struct buf ld = BUF_INIT;
	struct article_plan p;
	xmlNodePtr root, copy, back, nav, related, archive;
	xmlDocPtr doc, article_doc;
	char href[1024], url[2048], month[32];
	struct xp_error err;
	struct page_picture picture = { .url = "" };

	if (!plan_article(pc, &p)) {
		page_error(pc, resp, 404, "There is no article at this address.");
		return;
	}
	if ((article_doc = article_document(p.a, &err)) == NULL) {
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
	page_add_entry(pc, root, p.a);
	copy = xmlDocCopyNode(xmlDocGetRootElement(article_doc), doc, 1);
	if (copy != NULL) {
		xmlAddChild(root, copy);
		page_media_log_problems(pc, p.a->slug, copy);
		page_media_body(pc, p.a->slug, copy, false, &picture);
		heading_annotate(article_body(copy), root, TOC_MIN_H2, page_ids);
	}
	xmlFreeDoc(article_doc);
	back = xmlNewChild(root, NULL, BAD_CAST "back", NULL);
	page_href(pc, href, sizeof(href), "%s", "");
	xmlNewProp(back, BAD_CAST "href", BAD_CAST href);
	nav = xmlNewChild(root, NULL, BAD_CAST "nav-links", NULL);
	add_neighbour(pc, nav, "prev", p.older);
	add_neighbour(pc, nav, "next", p.newer);
	if (p.nrelated > 0) {
		related = xmlNewChild(root, NULL, BAD_CAST "related", NULL);
		for (size_t i = 0; i < p.nrelated; i++)
			page_add_entry(pc, related, p.related[i]);
	}
	snprintf(month, sizeof(month), "%s %04d",
	    date_month_name(p.a->published.month), p.a->published.year);
	archive = xmlNewTextChild(root, NULL, BAD_CAST "archive", BAD_CAST month);
	page_href(pc, href, sizeof(href), "archive/%04d/%02d/",
	    p.a->published.year, p.a->published.month);
	xmlNewProp(archive, BAD_CAST "href", BAD_CAST href);
	snprintf(href, sizeof(href), "articles/%s/", p.a->slug);
	page_abs_url(pc, url, sizeof(url), href);
	json_ld(pc, p.a, url, picture.url, &ld);
	page_add_meta(root, p.a->summary, "article", ld.data ? ld.data : "{}");
	add_picture(xmlGetLastChild(root), &picture);
	buf_release(&ld);
	set_caching(pc, resp, &p);
	page_render(pc, PAGE_ARTICLE, doc, resp);
}
