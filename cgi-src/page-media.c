/* page-media.c - an article's own files, "/articles/SLUG/NAME": served
 * from the articles folder when the web server does not serve them
 * itself, and the links to them that pages and feeds carry. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "media.h"
#include "page.h"

/* A fingerprinted URL may be kept for a year: a new version of the file
 * has a new URL.  Without one, pages' own max_age applies. */
#define MEDIA_IMMUTABLE_AGE 31536000L

/* An SVG is a document that can carry script; opened directly, it runs
 * nothing and loads nothing, and keeps only its inline styles. */
#define MEDIA_SVG_CSP "default-src 'none'; style-src 'unsafe-inline'; sandbox"

/* Does the query string carry v=VERSION? */
static bool
query_has_version(const char *query, const char *version)
{
	size_t n = strlen(version);

	for (const char *p = query; p != NULL && *p; p = strchr(p, '&')) {
		if (*p == '&')
			p++;
		if (strncmp(p, "v=", 2) == 0 && strncmp(p + 2, version, n) == 0
		    && (p[2 + n] == '\0' || p[2 + n] == '&'))
			return true;
	}
	return false;
}

void
page_media(struct page_ctx *pc, struct response *resp)
{
	const struct config *cfg = pc->site->cfg;
	const char *slug = pc->args[0], *name = pc->args[1];
	struct media_info info;
	struct xp_error err;
	enum media_status st;
	bool image;
	int fd = -1;

	/* Nothing is looked up on disk for a name that could not be one, nor
	 * for an article that is not served (a draft, a future one). */
	if (!article_slug_valid(slug, strlen(slug)) ||
	    !media_name_valid(name) || media_type(name, &image) == NULL ||
	    index_find(pc->site->index, slug, pc->now) == NULL) {
		page_error(pc, resp, 404, "There is no file at this address.");
		return;
	}
	st = media_open(pc->site->media, cfg->articles_dir, slug, name,
	    cfg->max_media_bytes, &fd, &info, &err);
	if (st == MEDIA_TOO_BIG || st == MEDIA_IO)
		media_log_once(pc->site->media, LOG_WARN, &err);
	if (st != MEDIA_OK) {
		page_error(pc, resp, 404, "There is no file at this address.");
		return;
	}
	resp->content_type = info.content_type;
	snprintf(resp->etag, sizeof(resp->etag), "\"%s\"", info.version);
	resp->last_modified = info.mtime;
	if (query_has_version(pc->req->query, info.version)) {
		resp->max_age = MEDIA_IMMUTABLE_AGE;
		resp->immutable = true;
	} else {
		resp->max_age = (long)cfg->max_age;
	}
	if (strcmp(info.content_type, "image/svg+xml") == 0)
		resp->csp = MEDIA_SVG_CSP;
	resp->body_fd = fd;
	resp->body_fd_len = info.size;
}

void
page_media_url(struct page_ctx *pc, const char *slug, const char *name,
    const char *version, bool absolute, char *out, size_t size)
{
	char path[512];

	snprintf(path, sizeof(path), "articles/%s/%s?v=%s", slug, name,
	    version);
	if (absolute)
		page_abs_url(pc, out, size, path);
	else
		page_href(pc, out, size, "%s", path);
}

struct rewrite {
	struct page_ctx *pc;
	const char *slug;
	bool absolute;
	size_t images;          /* own images seen so far */
	/* The first own image that resolved: the picture by default. */
	char first_name[MEDIA_NAME_MAX + 1];
	char first_version[17];
	unsigned first_width, first_height;
};

static void
set_uint(xmlNodePtr n, const char *name, unsigned v)
{
	char text[16];

	snprintf(text, sizeof(text), "%u", v);
	xmlSetProp(n, BAD_CAST name, BAD_CAST text);
}

/* Looks NAME up; on success writes its URL into URL and fills INFO. */
static bool
resolve(struct rewrite *w, const char *name, struct media_info *info,
    char *url, size_t size)
{
	const struct config *cfg = w->pc->site->cfg;

	if (!media_ref_is_own(name) || media_open(w->pc->site->media,
	    cfg->articles_dir, w->slug, name, cfg->max_media_bytes, NULL, info,
	    NULL) != MEDIA_OK)
		return false;
	page_media_url(w->pc, w->slug, name, info->version, w->absolute, url,
	    size);
	return true;
}

static void
rewrite_img(struct rewrite *w, xmlNodePtr n)
{
	xmlChar *src = xmlGetProp(n, BAD_CAST "src");
	struct media_info info;
	char url[2048];

	if (src != NULL && resolve(w, (const char *)src, &info, url,
	    sizeof(url))) {
		xmlSetProp(n, BAD_CAST "src", BAD_CAST url);
		if (info.has_dims && !xmlHasProp(n, BAD_CAST "width") &&
		    !xmlHasProp(n, BAD_CAST "height")) {
			set_uint(n, "width", info.width);
			set_uint(n, "height", info.height);
		}
		if (w->first_name[0] == '\0') {
			snprintf(w->first_name, sizeof(w->first_name), "%s",
			    (const char *)src);
			memcpy(w->first_version, info.version,
			    sizeof(w->first_version));
			w->first_width = info.width;
			w->first_height = info.height;
		}
	}
	/* The first image may be what the reader sees first: fetched at
	 * once.  The others wait until they come near the screen. */
	if (!w->absolute && w->images++ > 0) {
		xmlSetProp(n, BAD_CAST "loading", BAD_CAST "lazy");
		xmlSetProp(n, BAD_CAST "decoding", BAD_CAST "async");
	}
	xmlFree(src);
}

static void
rewrite_walk(struct rewrite *w, xmlNodePtr node)
{
	for (xmlNodePtr n = node->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrEqual(n->name, BAD_CAST "img")) {
			rewrite_img(w, n);
		} else if (xmlStrEqual(n->name, BAD_CAST "a")) {
			xmlChar *href = xmlGetProp(n, BAD_CAST "href");
			struct media_info info;
			char url[2048];

			if (href != NULL && resolve(w, (const char *)href, &info,
			    url, sizeof(url)))
				xmlSetProp(n, BAD_CAST "href", BAD_CAST url);
			xmlFree(href);
		}
		rewrite_walk(w, n);
	}
}

/* The text of <image>, trimmed, or NULL (caller frees with xmlFree). */
static xmlChar *
image_name(xmlNodePtr article)
{
	for (xmlNodePtr n = article->children; n != NULL; n = n->next) {
		if (n->type == XML_ELEMENT_NODE &&
		    xmlStrEqual(n->name, BAD_CAST "image")) {
			xmlChar *v = xmlNodeGetContent(n);
			char *s = (char *)v;
			size_t skip;

			if (v == NULL)
				return NULL;
			skip = strspn(s, " \t\r\n");
			memmove(s, s + skip, strlen(s + skip) + 1);
			s[strcspn(s, " \t\r\n")] = '\0';
			return v;
		}
	}
	return NULL;
}

void
page_media_body(struct page_ctx *pc, const char *slug, xmlNodePtr article,
    bool absolute, struct page_picture *picture)
{
	struct rewrite w = { .pc = pc, .slug = slug, .absolute = absolute };
	struct media_info info;
	xmlChar *named;

	if (picture != NULL)
		memset(picture, 0, sizeof(*picture));
	if (article == NULL)
		return;
	for (xmlNodePtr n = article->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    xmlStrEqual(n->name, BAD_CAST "body"))
			rewrite_walk(&w, n);
	if (picture == NULL)
		return;
	/* The writer's choice; else the body's first own image.  Always
	 * absolute: link previews and feed readers fetch it from elsewhere. */
	if ((named = image_name(article)) != NULL) {
		w.absolute = true;
		if (resolve(&w, (const char *)named, &info, picture->url,
		    sizeof(picture->url)) && info.is_image) {
			picture->width = info.width;
			picture->height = info.height;
		} else {
			picture->url[0] = '\0';
		}
		xmlFree(named);
		if (picture->url[0] != '\0')
			return;
	}
	if (w.first_name[0] != '\0') {
		page_media_url(pc, slug, w.first_name, w.first_version, true,
		    picture->url, sizeof(picture->url));
		picture->width = w.first_width;
		picture->height = w.first_height;
	}
}

static void
log_problem(void *ctx, const struct xp_error *err)
{
	media_log_once(ctx, LOG_WARN, err);
}

void
page_media_log_problems(struct page_ctx *pc, const char *slug,
    xmlNodePtr article)
{
	const struct config *cfg = pc->site->cfg;

	media_check_body(pc->site->media, cfg->articles_dir, slug,
	    cfg->max_media_bytes, article, log_problem, pc->site->media);
}
