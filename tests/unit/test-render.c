/* test-render.c - end to end without a web server: a site built from the
 * repository's xslt/ and a temporary articles folder, then route_respond
 * for rows of requests, checking status, what the output must show and
 * what it must never show. */
#include "unit.h"

#include <libxml/parser.h>

#include "config.h"
#include "request.h"
#include "route.h"
#include "server.h"

/* ---- the site ---- */

static const struct {
	const char *name, *xml;
} files[] = {
	{ "alpha.xml",
	  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<article>\n"
	  "<title>Alpha Post</title>\n<published>2026-01-10</published>\n"
	  "<summary>Alpha summary.</summary>\n<tags><tag>one</tag></tags>\n"
	  "<body><p>Alpha body text.</p><h2>Section</h2><pre><code>a &lt; b</code></pre></body>\n</article>\n" },
	{ "beta.xml",
	  "<article><title>Beta Post</title><published>2026-01-20</published>"
	  "<summary>Beta summary.</summary><body><p>Beta body.</p></body></article>" },
	{ "gamma.xml",
	  "<article><title>Gamma Post</title><published>2026-01-30T10:00:00+01:00</published>"
	  "<summary>Gamma summary.</summary><body><p>Gamma body.</p></body></article>" },
	{ "evil.xml",
	  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<article>\n"
	  "<title>Evil &lt;/title&gt;&lt;script&gt;alert(2)&lt;/script&gt;</title>\n"
	  "<published>2026-01-05</published>\n"
	  "<summary>Evil &quot;summary&quot; &lt;b&gt;</summary>\n"
	  "<body>\n"
	  "<p onclick=\"steal()\" onmouseover=\"steal()\">Safe paragraph</p>\n"
	  "<script>alert(1)</script>\n"
	  "<script type=\"text/javascript\"><![CDATA[alert(5)]]></script>\n"
	  "<p><a href=\"javascript:alert(3)\">bad link</a></p>\n"
	  "<p><a href=\" JaVaScRiPt:alert(4)\">bad link 2</a></p>\n"
	  "<p><a href=\"java&#9;script:alert(6)\">bad link 3</a></p>\n"
	  "<p><a href=\"vbscript:msgbox(1)\">vb</a></p>\n"
	  "<p><img src=\"data:text/html;base64,PHNjcmlwdD4=\" alt=\"x\"/></p>\n"
	  "<iframe src=\"https://attacker.example/\">frame text</iframe>\n"
	  "<style>body { display: none }</style>\n"
	  "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(7)\"><text>svg text</text></svg>\n"
	  "<h:script xmlns:h=\"http://www.w3.org/1999/xhtml\">alert(8)</h:script>\n"
	  "<p style=\"background:url(javascript:alert(9))\">styled</p>\n"
	  "<form action=\"https://attacker.example/\"><input name=\"q\"/></form>\n"
	  "<p><a href=\"https://ok.example/\" title=\"fine\">good link</a></p>\n"
	  "</body>\n</article>\n" },
	{ "quotes.xml",
	  "<article><title>Less &lt; &amp; \"quoted\" 'single'</title>"
	  "<published>2026-01-01</published>"
	  "<summary>Say \"hi\" &amp; &lt;bye&gt;</summary><body><p>q</p></body></article>" },
	{ "future-post.xml",
	  "<article><title>Future Post</title><published>2099-01-01</published>"
	  "<summary>Later.</summary><body><p>f</p></body></article>" },
	{ "draft-post.xml",
	  "<article><title>Draft Post</title><published>2026-01-15</published><draft/>"
	  "<summary>Not yet.</summary><body><p>d</p></body></article>" },
	{ "broken.xml", "<article><title>Broken Post</title>" },
};

struct site_fixture {
	char *dir;
	struct server s;
	bool up;
};

static struct site_fixture sites[2];   /* [0]: base "/", [1]: base "/blog/" */

static int
setup(void **state)
{
	(void)state;
	for (size_t k = 0; k < NROWS(sites); k++) {
		struct config *cfg = config_new_defaults();
		struct xp_error err;

		if (cfg == NULL || (sites[k].dir = unit_tempdir()) == NULL)
			return -1;
		for (size_t i = 0; i < NROWS(files); i++)
			if (!unit_write(sites[k].dir, files[i].name, files[i].xml, (size_t)-1))
				return -1;
		if (config_set(cfg, "articles_dir", sites[k].dir, "test", 0, &err) != XP_OK ||
		    config_set(cfg, "xslt_dir", "xslt", "test", 0, &err) != XP_OK ||
		    config_set(cfg, "per_page", "2", "test", 0, &err) != XP_OK ||
		    config_set(cfg, "base_path", k == 0 ? "/" : "/blog", "test", 0, &err) != XP_OK) {
			print_error("config_set: %s\n", err.reason);
			return -1;
		}
		if (server_init(&sites[k].s, cfg, &err) != XP_OK) {
			print_error("server_init: %s:%ld: %s\n", err.file, err.line, err.reason);
			server_release(&sites[k].s);
			config_free(cfg);
			return -1;
		}
		config_free(cfg);   /* the server holds its own reference */
		sites[k].up = true;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	for (size_t k = 0; k < NROWS(sites); k++) {
		if (sites[k].up)
			server_release(&sites[k].s);
		unit_rmtree(sites[k].dir);
		free(sites[k].dir);
		sites[k].dir = NULL;
		sites[k].up = false;
	}
	return 0;
}

/* ---- requests ---- */

struct params {
	const char *method, *uri, *inm;
};

static const char *
getter(void *ctx, const char *name)
{
	const struct params *p = ctx;
	static char query[REQUEST_URI_MAX + 1];

	if (strcmp(name, "REQUEST_METHOD") == 0)
		return p->method;
	if (strcmp(name, "REQUEST_URI") == 0)
		return p->uri;
	if (strcmp(name, "HTTP_IF_NONE_MATCH") == 0)
		return p->inm;
	if (strcmp(name, "QUERY_STRING") == 0) {
		const char *q = strchr(p->uri, '?');

		snprintf(query, sizeof(query), "%s", q ? q + 1 : "");
		return query;
	}
	return NULL;
}

struct response_text {
	char *data;
	size_t len, header_len;
	int status;
};

/* Answers METHOD URI (with If-None-Match INM) from site K. */
static void
respond(size_t k, const char *method, const char *uri, const char *inm,
    bool cached, struct response_text *out)
{
	struct params p = { method, uri, inm };
	struct request req;
	struct xp_error err;
	struct site *site;
	struct buf b = BUF_INIT;

	assert_int_equal(request_parse(&req, getter, &p,
	    sites[k].s.cfg->base_path, &err), XP_OK);
	site = server_site(&sites[k].s);
	assert_non_null(site);
	route_respond(site, cached ? &sites[k].s.cache : NULL, &req, time(NULL),
	    &b, &out->header_len);
	site_unref(site);
	request_release(&req);
	assert_non_null(b.data);
	out->len = b.len;
	out->data = buf_detach(&b, &out->len);
	out->status = 0;
	sscanf(out->data, "Status: %d", &out->status);
}

/* The value of header NAME (up to CR) in R, copied into OUT; false if
 * absent. */
static bool
header_value(const struct response_text *r, const char *name, char *out,
    size_t size)
{
	char pat[64], *block = strndup(r->data, r->header_len), *h;
	bool found = false;

	snprintf(pat, sizeof(pat), "\r\n%s: ", name);
	if (block && (h = strstr(block, pat)) != NULL) {
		h += strlen(pat);
		snprintf(out, size, "%.*s", (int)strcspn(h, "\r"), h);
		found = true;
	}
	free(block);
	return found;
}

#define MAXS 16

struct row {
	size_t site;
	const char *method, *uri;
	int status;
	const char *has[MAXS];     /* substrings the output must hold */
	const char *lacks[MAXS];   /* substrings it must not hold */
};

static char long_uri[REQUEST_URI_MAX + 16];

static const struct row rows[] = {
	/* the listing and its pages: newest first, two a page */
	{ 0, "GET", "/", 200,
	  { "Content-Type: text/html", "Gamma Post", "Beta Post", "/articles/gamma/", "<html" },
	  { "Alpha Post", "Future Post", "Draft Post", "Broken Post" } },
	{ 0, "GET", "/page/2/", 200,
	  { "Alpha Post", "Evil &lt;/title&gt;&lt;script&gt;alert(2)" },
	  { "Gamma Post", "<script>alert(2)", "Future Post", "Draft Post" } },
	{ 0, "GET", "/page/3/", 200,
	  { "Less &lt; &amp; " },
	  { "Less < &", "Alpha Post", "&amp;amp;", "&amp;lt;" } },
	{ 0, "GET", "/page/4/", 404, { "Not Found" }, { "Alpha Post" } },
	{ 0, "GET", "/page/1/", 301, { "\r\nLocation: /\r\n" }, { NULL } },
	{ 0, "GET", "/page/01/", 400, { "Bad Request" }, { NULL } },
	{ 0, "GET", "/page/x/", 400, { "Bad Request" }, { NULL } },
	{ 0, "GET", "/page/2", 301, { "\r\nLocation: /page/2/\r\n" }, { NULL } },
	/* articles */
	{ 0, "GET", "/articles/alpha/", 200,
	  { "Alpha Post", "Alpha body text.", "<h2 id=\"section\" tabindex=\"-1\">Section <a class=\"heading-link\" href=\"#section\"", "a &lt; b", "ETag: \"" },
	  { "Beta body.", "Gamma body." } },
	{ 0, "GET", "/articles/alpha", 301, { "\r\nLocation: /articles/alpha/\r\n" }, { NULL } },
	{ 0, "GET", "/articles/alpha/?x=1", 200, { "Alpha Post" }, { NULL } },
	{ 0, "GET", "/articles/nope/", 404, { "Not Found" }, { NULL } },
	{ 0, "GET", "/articles/future-post/", 404, { "Not Found" }, { "Future Post" } },
	{ 0, "GET", "/articles/draft-post/", 404, { "Not Found" }, { "Draft Post" } },
	{ 0, "GET", "/articles/broken/", 404, { "Not Found" }, { "Broken Post" } },
	{ 0, "GET", "/articles/Alpha/", 404, { "Not Found" }, { NULL } },
	{ 0, "GET", "/articles/..%2f..%2fetc%2fpasswd/", 400, { NULL }, { "root:" } },
	{ 0, "GET", "/articles/alpha/extra/", 404, { NULL }, { "Alpha body text." } },
	/* the untrusted body: nothing active survives */
	{ 0, "GET", "/articles/evil/", 200,
	  { "Safe paragraph", "https://ok.example/", "good link" },
	  { "<script>", "<script type=\"text/javascript\"", "alert(1)", "alert(5)", "onclick", "onmouseover", "javascript:",
	    "JaVaScRiPt", "vbscript:", "data:text/html", "<iframe", "onload", "<style" } },
	{ 0, "GET", "/articles/evil/", 200,
	  { "Evil &lt;/title&gt;&lt;script&gt;alert(2)" },
	  { "alert(8)", "alert(9)", "attacker.example", "<input name=\"q\"", "steal()", "<svg",
	    "alert(7)", "<script>alert(2)", "java\tscript", "</script><script" } },
	/* escaping of titles and summaries, in text and in attributes */
	{ 0, "GET", "/articles/quotes/", 200,
	  { "Less &lt; &amp; " },
	  { "Less < &", "&amp;amp;", "&amp;lt;", "content=\"Say \"hi\"" } },
	/* other addresses and methods */
	{ 0, "GET", "/nope", 404, { "Not Found", "Cache-Control: no-cache" }, { "ETag" } },
	{ 0, "GET", "/style.css", 200, { "Content-Type: text/css" }, { "text/html" } },
	{ 0, "POST", "/", 405, { "\r\nAllow: GET, HEAD\r\n", "Method Not Allowed" }, { "Gamma Post" } },
	{ 0, "DELETE", "/articles/alpha/", 405, { "\r\nAllow: GET, HEAD\r\n" }, { "Alpha body text." } },
	{ 0, "PUT", "/nope", 405, { "\r\nAllow: GET, HEAD\r\n" }, { NULL } },
	{ 0, "GET", "/../etc/passwd", 400, { "Bad Request" }, { "root:" } },
	{ 0, "GET", "/a/%2e%2e/b", 400, { "Bad Request" }, { NULL } },
	{ 0, "GET", "/a%00b", 400, { "Bad Request" }, { NULL } },
	{ 0, "GET", long_uri, 414, { "URI Too Long" }, { NULL } },
	/* a site mounted under /blog/ */
	{ 1, "GET", "/blog/", 200, { "Gamma Post", "\"/blog/articles/gamma/\"", "/blog/page/2/" },
	  { "\"/articles/gamma/\"" } },
	{ 1, "GET", "/blog", 301, { "\r\nLocation: /blog/\r\n" }, { NULL } },
	{ 1, "GET", "/blog?a=b", 301, { "\r\nLocation: /blog/?a=b\r\n" }, { NULL } },
	{ 1, "GET", "/blog/articles/alpha", 301, { "\r\nLocation: /blog/articles/alpha/\r\n" }, { NULL } },
	{ 1, "GET", "/blog/articles/alpha/", 200, { "Alpha body text." }, { NULL } },
	{ 1, "GET", "/", 404, { "Not Found" }, { "Gamma Post" } },
	{ 1, "GET", "/articles/alpha/", 404, { "Not Found" }, { "Alpha body text." } },
	{ 1, "GET", "/blogger/", 404, { "Not Found" }, { NULL } },
};

static void
check_row(size_t i, const struct row *r, const struct response_text *t,
    const char *how)
{
	char cl[32];

	CHECK(t->status == r->status, "row %zu (%s %s, %s): status %d, want %d",
	    i, r->method, r->uri, how, t->status, r->status);
	CHECK(t->header_len > 4 && t->header_len <= t->len &&
	    memcmp(t->data + t->header_len - 4, "\r\n\r\n", 4) == 0,
	    "row %zu (%s %s, %s): header_len %zu", i, r->method, r->uri, how,
	    t->header_len);
	if (header_value(t, "Content-Length", cl, sizeof(cl)))
		CHECK(strtoul(cl, NULL, 10) == t->len - t->header_len,
		    "row %zu (%s %s, %s): Content-Length %s for %zu bytes", i,
		    r->method, r->uri, how, cl, t->len - t->header_len);
	for (size_t k = 0; k < MAXS && r->has[k]; k++)
		CHECK(strstr(t->data, r->has[k]) != NULL,
		    "row %zu (%s %s, %s): output lacks \"%s\"", i, r->method, r->uri,
		    how, r->has[k]);
	for (size_t k = 0; k < MAXS && r->lacks[k]; k++)
		CHECK(strstr(t->data, r->lacks[k]) == NULL,
		    "row %zu (%s %s, %s): output holds \"%s\"", i, r->method, r->uri,
		    how, r->lacks[k]);
}

static void
test_rows(void **state)
{
	(void)state;
	/* each row twice without the cache, then twice through it (the
	 * second of those is a cache hit where the page is cacheable) */
	for (int pass = 0; pass < 4; pass++) {
		const char *how = pass < 2 ? "uncached" : "cached";

		for (size_t i = 0; i < NROWS(rows); i++) {
			struct response_text t;

			respond(rows[i].site, rows[i].method, rows[i].uri, NULL,
			    pass >= 2, &t);
			check_row(i, &rows[i], &t, how);
			free(t.data);
		}
	}
	CHECK_DONE();
}

/* HEAD: the same headers as GET, and header_len marks where the body the
 * front end leaves out starts. */
static void
test_head(void **state)
{
	static const char *const uris[] = {
		"/", "/page/2/", "/articles/alpha/", "/style.css", "/nope",
	};

	(void)state;
	for (size_t i = 0; i < NROWS(uris); i++) {
		for (int cached = 0; cached < 2; cached++) {
			struct response_text get, head;
			char a[128], b[128];

			respond(0, "GET", uris[i], NULL, cached, &get);
			respond(0, "HEAD", uris[i], NULL, cached, &head);
			CHECK(head.status == get.status, "row %zu (%s): HEAD %d, GET %d", i,
			    uris[i], head.status, get.status);
			CHECK(head.header_len < head.len,
			    "row %zu (%s): HEAD header_len %zu of %zu", i, uris[i],
			    head.header_len, head.len);
			CHECK(header_value(&head, "Content-Length", a, sizeof(a)) &&
			    header_value(&get, "Content-Length", b, sizeof(b)) &&
			    strcmp(a, b) == 0,
			    "row %zu (%s): Content-Length HEAD %s, GET %s", i, uris[i], a, b);
			CHECK(head.header_len == get.header_len &&
			    memcmp(head.data, get.data, head.header_len) == 0,
			    "row %zu (%s, cache %d): HEAD headers differ from GET's", i,
			    uris[i], cached);
			free(get.data);
			free(head.data);
		}
	}
	CHECK_DONE();
}

/* Conditional GET: the ETag of a 200 answers a 304 without a body; a
 * different one gets the page again. */
static void
test_not_modified(void **state)
{
	static const char *const uris[] = {
		"/", "/page/2/", "/articles/alpha/", "/articles/evil/", "/style.css",
	};

	(void)state;
	for (size_t i = 0; i < NROWS(uris); i++) {
		for (int cached = 0; cached < 2; cached++) {
			struct response_text first, again, other, weak, head;
			char etag[128], list[300], etag2[128];

			respond(0, "GET", uris[i], NULL, cached, &first);
			CHECK(first.status == 200, "row %zu (%s): %d", i, uris[i], first.status);
			if (!header_value(&first, "ETag", etag, sizeof(etag))) {
				CHECK(false, "row %zu (%s): no ETag on a 200", i, uris[i]);
				free(first.data);
				continue;
			}
			respond(0, "GET", uris[i], etag, cached, &again);
			CHECK(again.status == 304, "row %zu (%s, cache %d): If-None-Match %s gave %d",
			    i, uris[i], cached, etag, again.status);
			CHECK(again.len == again.header_len,
			    "row %zu (%s): 304 with a %zu-byte body", i, uris[i],
			    again.len - again.header_len);
			CHECK(!header_value(&again, "Content-Length", list, sizeof(list)),
			    "row %zu (%s): 304 with Content-Length", i, uris[i]);
			CHECK(header_value(&again, "ETag", etag2, sizeof(etag2)) &&
			    strcmp(etag, etag2) == 0,
			    "row %zu (%s): 304 ETag %s, want %s", i, uris[i], etag2, etag);
			snprintf(list, sizeof(list), "\"nope\", W/%s", etag);
			respond(0, "GET", uris[i], list, cached, &weak);
			CHECK(weak.status == 304, "row %zu (%s): If-None-Match list %s gave %d",
			    i, uris[i], list, weak.status);
			respond(0, "HEAD", uris[i], etag, cached, &head);
			CHECK(head.status == 304, "row %zu (%s): HEAD with %s gave %d", i,
			    uris[i], etag, head.status);
			respond(0, "GET", uris[i], "\"something-else\"", cached, &other);
			CHECK(other.status == 200 && other.len == first.len &&
			    memcmp(other.data, first.data, first.len) == 0,
			    "row %zu (%s): a stale ETag did not get the same page (%d)", i,
			    uris[i], other.status);
			free(first.data);
			free(again.data);
			free(weak.data);
			free(head.data);
			free(other.data);
		}
	}
	/* never for other methods */
	{
		struct response_text first, post;
		char etag[128];

		respond(0, "GET", "/", NULL, false, &first);
		assert_true(header_value(&first, "ETag", etag, sizeof(etag)));
		respond(0, "POST", "/", etag, false, &post);
		CHECK(post.status == 405, "POST with a matching ETag: %d", post.status);
		free(first.data);
		free(post.data);
	}
	CHECK_DONE();
}

/* Pages are the same whether rendered or taken from the cache. */
static void
test_cache_consistent(void **state)
{
	static const char *const uris[] = {
		"/", "/page/2/", "/page/3/", "/articles/alpha/", "/articles/quotes/",
	};

	(void)state;
	for (size_t i = 0; i < NROWS(uris); i++) {
		struct response_text plain, c1, c2;

		respond(0, "GET", uris[i], NULL, false, &plain);
		respond(0, "GET", uris[i], NULL, true, &c1);
		respond(0, "GET", uris[i], NULL, true, &c2);
		CHECK(plain.len == c1.len && memcmp(plain.data, c1.data, plain.len) == 0,
		    "row %zu (%s): cached render differs", i, uris[i]);
		CHECK(c1.len == c2.len && memcmp(c1.data, c2.data, c1.len) == 0,
		    "row %zu (%s): cache hit differs", i, uris[i]);
		free(plain.data);
		free(c1.data);
		free(c2.data);
	}
	CHECK_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_not_modified),
		cmocka_unit_test(test_cache_consistent),
	};

	memset(long_uri, 'a', REQUEST_URI_MAX + 1);
	long_uri[0] = '/';
	xmlInitParser();
	render_init();
	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests_name("render", tests, setup, teardown);
}
