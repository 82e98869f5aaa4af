/* fuzz-render.c - libFuzzer harness for the whole render path: article
 * bytes -> article_parse -> index_new -> site_new -> route_respond for
 * GET /articles/fuzz/ and GET /, then the other pages an article shows
 * on (tags, archive, search, feeds, sitemap), through the real stylesheets.
 *
 * Each page is answered three times: without the render cache, then with
 * a fresh one twice (a miss that fills it, then a hit).  All three
 * responses must be byte for byte the same.
 *
 * The stylesheets are compiled once from "xslt" (run from the repository
 * root, or set XSLTPRESS_FUZZ_XSLT_DIR).  The low bit of the input size
 * picks trusted_html, so both body paths of the article stylesheet run. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>

#include "article.h"
#include "buf.h"
#include "cache.h"
#include "config.h"
#include "index.h"
#include "log.h"
#include "render.h"
#include "request.h"
#include "route.h"
#include "site.h"

#include "fuzz.h"

static struct stylesheets *sheets;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("XSLTPRESS_FUZZ_XSLT_DIR");
	struct xp_error err;

	(void)argc;
	(void)argv;
	xmlInitParser();
	log_set_level(LOG_ERROR);
	log_capture_xml_errors();
	render_init();
	if (stylesheets_load(dir ? dir : "xslt", &sheets, &err) != XP_OK) {
		char text[1200];

		xp_error_format(&err, text, sizeof(text));
		fprintf(stderr, "fuzz-render: cannot load stylesheets: %s\n"
		    "(run from the repository root or set XSLTPRESS_FUZZ_XSLT_DIR)\n",
		    text);
		exit(1);
	}
	return 0;
}

struct get_ctx {
	const char *uri;
};

static const char *
get(void *ctx, const char *name)
{
	struct get_ctx *g = ctx;

	if (strcmp(name, "REQUEST_METHOD") == 0)
		return "GET";
	if (strcmp(name, "REQUEST_URI") == 0)
		return g->uri;
	if (strcmp(name, "QUERY_STRING") == 0)
		return strchr(g->uri, '?') ? strchr(g->uri, '?') + 1 : NULL;
	return NULL;
}

/* Answers GET URI into OUT; checks the response is in CGI form. */
static void
respond_once(struct site *site, struct cache *cache, const char *uri,
    time_t now, struct buf *out)
{
	struct get_ctx g = { uri };
	struct request req;
	struct xp_error err;
	size_t header_len = 0;

	if (request_parse(&req, get, &g, site->cfg->base_path, &err) != XP_OK)
		abort();
	route_respond(site, cache, &req, now, out, &header_len);
	if (out->failed || out->data == NULL || out->len < 8 ||
	    strncmp(out->data, "Status: ", 8) != 0 || header_len > out->len) {
		fprintf(stderr, "fuzz-render: GET %s: response does not start "
		    "with \"Status: \" (len %zu)\n", uri, out->len);
		abort();
	}
	request_release(&req);
}

static void
respond(struct site *site, const char *uri, time_t now)
{
	struct buf out[3] = { BUF_INIT, BUF_INIT, BUF_INIT };
	struct cache cache;

	cache_init(&cache, 8, 1 << 20);
	respond_once(site, NULL, uri, now, &out[0]);
	respond_once(site, &cache, uri, now, &out[1]);
	respond_once(site, &cache, uri, now, &out[2]);
	for (int i = 1; i < 3; i++)
		if (out[i].len != out[0].len ||
		    memcmp(out[i].data, out[0].data, out[0].len) != 0) {
			fprintf(stderr, "fuzz-render: GET %s: response %s differs "
			    "from the uncached one\n--- uncached:\n%.*s\n--- %s:\n%.*s\n",
			    uri, i == 1 ? "filling the cache" : "from the cache",
			    (int)(out[0].len > 600 ? 600 : out[0].len), out[0].data,
			    i == 1 ? "filling" : "cached",
			    (int)(out[i].len > 600 ? 600 : out[i].len), out[i].data);
			abort();
		}
	for (int i = 0; i < 3; i++)
		buf_release(&out[i]);
	cache_release(&cache);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct article *a = NULL;
	struct xp_error err;
	struct config *cfg;
	struct index *idx;
	struct site *site;
	time_t now = time(NULL);
	static const char *const more[] = {
		"/tags/", "/archive/", "/feed.xml", "/sitemap.xml",
		"/search/?q=the", "/page/2/",
	};

	if (article_parse("fuzz.xml", "fuzz", (const char *)data, size, &a,
	    &err) != XP_OK)
		return 0;
	/* Serve a future-dated article as if its moment had come. */
	if (a->published.instant > now)
		now = a->published.instant;
	if ((cfg = config_new_defaults()) == NULL ||
	    (idx = index_new(&a, 1, 1)) == NULL ||
	    (site = site_new(cfg, idx, sheets)) == NULL)
		abort();
	cfg->trusted_html = (size & 1) != 0;
	respond(site, "/articles/fuzz/", now);
	respond(site, "/", now);
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		respond(site, more[i], now);
	if (a->ntags > 0 && strlen(a->tags[0]) < 200) {
		char uri[256];

		snprintf(uri, sizeof(uri), "/tags/%s/", a->tags[0]);
		respond(site, uri, now);
	}
	site_unref(site);
	index_unref(idx);
	config_free(cfg);
	article_unref(a);
	return 0;
}
