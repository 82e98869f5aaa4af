/* test-request.c - request_parse over a table of CGI parameters, and
 * request_percent_decode. */
#include "unit.h"

#include "request.h"

#define MAXP 8

struct params {
	const char *kv[MAXP][2];
};

static const char *
getter(void *ctx, const char *name)
{
	const struct params *p = ctx;

	for (size_t i = 0; i < MAXP && p->kv[i][0] != NULL; i++)
		if (strcmp(p->kv[i][0], name) == 0)
			return p->kv[i][1];
	return NULL;
}

#define LONG_QUERY_CHARS 1025

static char long_uri[REQUEST_URI_MAX + 2];       /* 2049 chars */
static char max_uri[REQUEST_URI_MAX + 1];        /* 2048 chars */
static char long_query[LONG_QUERY_CHARS + 1];

struct row {
	const char *name;
	struct params in;
	const char *base;
	enum method method;
	const char *method_name;
	const char *path;        /* NULL when not checked (bad requests) */
	int bad_status;
	bool outside;
	const char *query;       /* NULL: not checked */
};

#define URI(u) { "REQUEST_METHOD", "GET" }, { "REQUEST_URI", u }

static const struct row rows[] = {
	/* methods */
	{ "GET /", { { URI("/") } }, "/", METHOD_GET, "GET", "/", 0, false, "" },
	{ "HEAD", { { { "REQUEST_METHOD", "HEAD" }, { "REQUEST_URI", "/" } } }, "/",
	  METHOD_HEAD, "HEAD", "/", 0, false, NULL },
	{ "POST", { { { "REQUEST_METHOD", "POST" }, { "REQUEST_URI", "/" } } }, "/",
	  METHOD_OTHER, "POST", "/", 0, false, NULL },
	{ "DELETE", { { { "REQUEST_METHOD", "DELETE" }, { "REQUEST_URI", "/" } } }, "/",
	  METHOD_OTHER, "DELETE", "/", 0, false, NULL },
	{ "lower-case get is not GET", { { { "REQUEST_METHOD", "get" }, { "REQUEST_URI", "/" } } }, "/",
	  METHOD_OTHER, "", "/", 0, false, NULL },
	{ "odd method bytes not kept", { { { "REQUEST_METHOD", "G\r\nET" }, { "REQUEST_URI", "/" } } }, "/",
	  METHOD_OTHER, "", "/", 0, false, NULL },
	{ "overlong method not kept", { { { "REQUEST_METHOD", "ABCDEFGHIJKLMNOPQRSTUVWXYZ" }, { "REQUEST_URI", "/" } } }, "/",
	  METHOD_OTHER, "", "/", 0, false, NULL },
	{ "no method is GET", { { { "REQUEST_URI", "/" } } }, "/",
	  METHOD_GET, "GET", "/", 0, false, NULL },
	/* REQUEST_URI, query */
	{ "query cut off the path", { { URI("/articles/x/?a=b"), { "QUERY_STRING", "a=b" } } }, "/",
	  METHOD_GET, "GET", "/articles/x/", 0, false, "a=b" },
	{ "fragment cut off", { { URI("/a#frag") } }, "/",
	  METHOD_GET, "GET", "/a", 0, false, "" },
	{ "REQUEST_URI wins over SCRIPT_NAME", { { URI("/page/2/"), { "SCRIPT_NAME", "/x" }, { "PATH_INFO", "/y" } } }, "/",
	  METHOD_GET, "GET", "/page/2/", 0, false, NULL },
	/* SCRIPT_NAME + PATH_INFO when there is no REQUEST_URI */
	{ "SCRIPT_NAME+PATH_INFO", { { { "REQUEST_METHOD", "GET" }, { "SCRIPT_NAME", "/blog" }, { "PATH_INFO", "/page/2/" } } }, "/blog/",
	  METHOD_GET, "GET", "/page/2/", 0, false, NULL },
	{ "PATH_INFO only", { { { "REQUEST_METHOD", "GET" }, { "PATH_INFO", "/articles/a/" } } }, "/",
	  METHOD_GET, "GET", "/articles/a/", 0, false, NULL },
	{ "SCRIPT_NAME only", { { { "REQUEST_METHOD", "GET" }, { "SCRIPT_NAME", "/style.css" } } }, "/",
	  METHOD_GET, "GET", "/style.css", 0, false, NULL },
	{ "nothing at all is /", { { { "REQUEST_METHOD", "GET" } } }, "/",
	  METHOD_GET, "GET", "/", 0, false, "" },
	/* percent decoding */
	{ "%2D decoded", { { URI("/articles/hello%2Dworld/") } }, "/",
	  METHOD_GET, "GET", "/articles/hello-world/", 0, false, NULL },
	{ "lower-case hex", { { URI("/a%2db/") } }, "/",
	  METHOD_GET, "GET", "/a-b/", 0, false, NULL },
	{ "UTF-8 escapes", { { URI("/caf%C3%A9/") } }, "/",
	  METHOD_GET, "GET", "/caf\xc3\xa9/", 0, false, NULL },
	{ "query not decoded", { { URI("/?q=%41"), { "QUERY_STRING", "q=%41" } } }, "/",
	  METHOD_GET, "GET", "/", 0, false, "q=%41" },
	{ "%00", { { URI("/a%00b/") } }, "/", METHOD_GET, "GET", NULL, 400, false, NULL },
	{ "%zz", { { URI("/a%zzb/") } }, "/", METHOD_GET, "GET", NULL, 400, false, NULL },
	{ "% at end", { { URI("/a%") } }, "/", METHOD_GET, "GET", NULL, 400, false, NULL },
	{ "%4 at end", { { URI("/a%4") } }, "/", METHOD_GET, "GET", NULL, 400, false, NULL },
	{ "encoded newline", { { URI("/a%0Ab") } }, "/", METHOD_GET, "GET", NULL, 400, false, NULL },
	{ "encoded DEL", { { URI("/a%7Fb") } }, "/", METHOD_GET, "GET", NULL, 400, false, NULL },
	{ "encoded backslash", { { URI("/a%5C..%5Cb") } }, "/", METHOD_GET, "GET", NULL, 400, false, NULL },
	{ "raw backslash", { { URI("/a\\b") } }, "/", METHOD_GET, "GET", NULL, 400, false, NULL },
	/* dot segments */
	{ "/../", { { URI("/../etc/passwd") } }, "/", METHOD_GET, "GET", NULL, 400, false, NULL },
	{ "/a/../b", { { URI("/a/../b") } }, "/", METHOD_GET, "GET", NULL, 400, false, NULL },
	{ "/./", { { URI("/a/./b") } }, "/", METHOD_GET, "GET", NULL, 400, false, NULL },
	{ "trailing /..", { { URI("/a/..") } }, "/", METHOD_GET, "GET", NULL, 400, false, NULL },
	{ "trailing /.", { { URI("/a/.") } }, "/", METHOD_GET, "GET", NULL, 400, false, NULL },
	{ "%2e%2e", { { URI("/a/%2e%2e/b") } }, "/", METHOD_GET, "GET", NULL, 400, false, NULL },
	{ "%2E%2E", { { URI("/%2E%2E/") } }, "/", METHOD_GET, "GET", NULL, 400, false, NULL },
	{ ".%2e", { { URI("/a/.%2e/b") } }, "/", METHOD_GET, "GET", NULL, 400, false, NULL },
	{ "%2e", { { URI("/a/%2e/b") } }, "/", METHOD_GET, "GET", NULL, 400, false, NULL },
	{ "%2F..%2F", { { URI("/a%2F..%2Fb") } }, "/", METHOD_GET, "GET", NULL, 400, false, NULL },
	{ "dot segment escaping the base", { { URI("/blog/../etc") } }, "/blog/", METHOD_GET, "GET", NULL, 400, false, NULL },
	{ "dots inside a segment are fine", { { URI("/a/..b/c.d/...") } }, "/",
	  METHOD_GET, "GET", "/a/..b/c.d/...", 0, false, NULL },
	{ "dot file name is fine", { { URI("/.well-known/x") } }, "/",
	  METHOD_GET, "GET", "/.well-known/x", 0, false, NULL },
	/* shape and size */
	{ "no leading slash", { { URI("articles/a/") } }, "/", METHOD_GET, "GET", NULL, 400, false, NULL },
	{ "absolute form", { { URI("http://example.com/") } }, "/", METHOD_GET, "GET", NULL, 400, false, NULL },
	{ "asterisk", { { URI("*") } }, "/", METHOD_GET, "GET", NULL, 400, false, NULL },
	{ "URI of 2049", { { URI(long_uri) } }, "/", METHOD_GET, "GET", NULL, 414, false, NULL },
	{ "URI of 2048", { { URI(max_uri) } }, "/", METHOD_GET, "GET", NULL, 0, false, NULL },
	{ "query over 1024", { { URI("/"), { "QUERY_STRING", long_query } } }, "/", METHOD_GET, "GET", NULL, 414, false, NULL },
	/* the base path */
	{ "base: page", { { URI("/blog/page/2/") } }, "/blog/",
	  METHOD_GET, "GET", "/page/2/", 0, false, NULL },
	{ "base: root", { { URI("/blog/") } }, "/blog/",
	  METHOD_GET, "GET", "/", 0, false, NULL },
	{ "base without slash", { { URI("/blog") } }, "/blog/",
	  METHOD_GET, "GET", "", 0, false, NULL },
	{ "base without slash, query", { { URI("/blog?x=1"), { "QUERY_STRING", "x=1" } } }, "/blog/",
	  METHOD_GET, "GET", "", 0, false, "x=1" },
	{ "outside the base", { { URI("/other") } }, "/blog/",
	  METHOD_GET, "GET", NULL, 0, true, NULL },
	{ "root outside the base", { { URI("/") } }, "/blog/",
	  METHOD_GET, "GET", NULL, 0, true, NULL },
	{ "prefix is not the base", { { URI("/blogger/") } }, "/blog/",
	  METHOD_GET, "GET", NULL, 0, true, NULL },
	{ "prefix without slash", { { URI("/blogs") } }, "/blog/",
	  METHOD_GET, "GET", NULL, 0, true, NULL },
	{ "base is case sensitive", { { URI("/Blog/") } }, "/blog/",
	  METHOD_GET, "GET", NULL, 0, true, NULL },
	{ "encoded base", { { URI("/%62log/articles/a/") } }, "/blog/",
	  METHOD_GET, "GET", "/articles/a/", 0, false, NULL },
	{ "deep base", { { URI("/a/b/style.css") } }, "/a/b/",
	  METHOD_GET, "GET", "/style.css", 0, false, NULL },
};

static void
test_parse_rows(void **state)
{
	(void)state;
	memset(long_uri, 'a', sizeof(long_uri) - 1);
	long_uri[0] = '/';
	memset(max_uri, 'a', sizeof(max_uri) - 1);
	max_uri[0] = '/';
	memset(long_query, 'q', sizeof(long_query) - 1);
	assert_int_equal(strlen(long_uri), 2049);
	assert_int_equal(strlen(max_uri), 2048);

	for (size_t i = 0; i < NROWS(rows); i++) {
		const struct row *r = &rows[i];
		struct request req;
		struct xp_error err;
		enum xp_status st;

		memset(&req, 0x5a, sizeof(req));
		st = request_parse(&req, getter, (void *)&r->in, r->base, &err);
		CHECK(st == XP_OK, "row %zu (%s): status %s", i, r->name,
		    xp_status_name(st));
		if (st != XP_OK)
			continue;
		CHECK(req.method == r->method, "row %zu (%s): method %d, want %d", i,
		    r->name, req.method, r->method);
		CHECK(strcmp(req.method_name, r->method_name) == 0,
		    "row %zu (%s): method_name \"%s\", want \"%s\"", i, r->name,
		    req.method_name, r->method_name);
		CHECK(req.bad_status == r->bad_status,
		    "row %zu (%s): bad_status %d, want %d (%s)", i, r->name,
		    req.bad_status, r->bad_status, str_or(req.bad_reason));
		if (r->bad_status != 0)
			CHECK(req.bad_reason != NULL && req.bad_reason[0] != '\0',
			    "row %zu (%s): no bad_reason", i, r->name);
		if (r->bad_status == 0) {
			CHECK(req.outside_base == r->outside,
			    "row %zu (%s): outside_base %d, want %d", i, r->name,
			    req.outside_base, r->outside);
			if (r->path != NULL)
				CHECK(str_eq(req.path, r->path),
				    "row %zu (%s): path \"%s\", want \"%s\"", i, r->name,
				    str_or(req.path), r->path);
		}
		if (r->query != NULL)
			CHECK(str_eq(req.query, r->query), "row %zu (%s): query \"%s\", want \"%s\"",
			    i, r->name, str_or(req.query), r->query);
		CHECK(req.uri != NULL, "row %zu (%s): uri not kept", i, r->name);
		CHECK(req.if_none_match == NULL, "row %zu: if_none_match set", i);
		CHECK(req.if_modified_since == (time_t)-1, "row %zu: if_modified_since %lld",
		    i, (long long)req.if_modified_since);
		request_release(&req);
	}
	CHECK_DONE();
}

/* Accept-Encoding: which values let the engine send its gzip form. */
static void
test_accepts_gzip(void **state)
{
	static const struct { const char *value; bool want; } rows[] = {
		{ NULL, false },
		{ "", false },
		{ "gzip", true },
		{ "gzip, deflate, br", true },
		{ "br, gzip", true },
		{ "deflate, br", false },
		{ "GZIP", true },
		{ "x-gzip", true },
		{ "gzip;q=0", false },
		{ "gzip; q=0.000", false },
		{ "gzip;q=0.5", true },
		{ "gzip;q=1.0", true },
		{ "*", true },
		{ "*;q=0", false },
		{ "gzip;q=0, *", false },
		{ "*;q=0, gzip", true },
		{ "identity", false },
		{ "gzipx", false },
		{ "notgzip", false },
		{ "br;q=1, gzip;q=0.1", true },
	};
	struct params p = { { URI("/"), { "HTTP_ACCEPT_ENCODING", NULL } } };

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct request req;
		struct xp_error err;

		CHECK(request_accepts_gzip(rows[i].value) == rows[i].want,
		    "row %zu (\"%s\"): want %d", i, str_or(rows[i].value),
		    rows[i].want);
		p.kv[2][0] = rows[i].value ? "HTTP_ACCEPT_ENCODING" : NULL;
		p.kv[2][1] = rows[i].value;
		assert_int_equal(request_parse(&req, getter, &p, "/", &err), XP_OK);
		CHECK(req.accept_gzip == rows[i].want,
		    "row %zu (\"%s\"): request_parse says %d", i,
		    str_or(rows[i].value), req.accept_gzip);
		request_release(&req);
	}
	CHECK_DONE();
}

/* The raw URI is kept for the log, even for a bad request. */
static void
test_uri_kept(void **state)
{
	struct params p = { { URI("/a/%2e%2e/b?x") } };
	struct request req;
	struct xp_error err;

	(void)state;
	assert_int_equal(request_parse(&req, getter, &p, "/", &err), XP_OK);
	assert_int_equal(req.bad_status, 400);
	assert_string_equal(req.uri, "/a/%2e%2e/b?x");
	request_release(&req);
	assert_null(req.uri);
}

static void
test_validators(void **state)
{
	static const struct {
		const char *inm, *ims;
		const char *want_inm;
		time_t want_ims;
	} vrows[] = {
		{ "\"abc\"", NULL, "\"abc\"", (time_t)-1 },
		{ "W/\"a\", \"b\"", NULL, "W/\"a\", \"b\"", (time_t)-1 },
		{ "*", NULL, "*", (time_t)-1 },
		{ "", NULL, "", (time_t)-1 },
		{ NULL, "Sat, 14 Mar 2026 09:30:00 GMT", NULL, 1773480600 },
		{ NULL, "Thu, 01 Jan 1970 00:00:00 GMT", NULL, 0 },
		{ NULL, "yesterday", NULL, (time_t)-1 },
		{ NULL, "Saturday, 14-Mar-26 09:30:00 GMT", NULL, (time_t)-1 },
		{ NULL, "", NULL, (time_t)-1 },
		{ "\"x\"", "Sat, 14 Mar 2026 09:30:00 GMT", "\"x\"", 1773480600 },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(vrows); i++) {
		struct params p = { { URI("/") } };
		struct request req;
		struct xp_error err;
		size_t n = 2;

		if (vrows[i].inm) {
			p.kv[n][0] = "HTTP_IF_NONE_MATCH";
			p.kv[n++][1] = vrows[i].inm;
		}
		if (vrows[i].ims) {
			p.kv[n][0] = "HTTP_IF_MODIFIED_SINCE";
			p.kv[n++][1] = vrows[i].ims;
		}
		assert_int_equal(request_parse(&req, getter, &p, "/", &err), XP_OK);
		CHECK(str_eq(req.if_none_match, vrows[i].want_inm),
		    "row %zu: if_none_match \"%s\", want \"%s\"", i,
		    str_or(req.if_none_match), str_or(vrows[i].want_inm));
		CHECK(req.if_none_match == NULL || req.if_none_match != vrows[i].inm,
		    "row %zu: if_none_match not copied", i);
		CHECK(req.if_modified_since == vrows[i].want_ims,
		    "row %zu: if_modified_since %lld, want %lld", i,
		    (long long)req.if_modified_since, (long long)vrows[i].want_ims);
		CHECK(req.bad_status == 0, "row %zu: bad_status %d", i, req.bad_status);
		request_release(&req);
	}
	CHECK_DONE();
}

static void
test_percent_decode(void **state)
{
	static const struct {
		const char *in;
		size_t len;     /* (size_t)-1: strlen */
		const char *out;/* NULL: refused */
	} drows[] = {
		{ "", (size_t)-1, "" },
		{ "abc", (size_t)-1, "abc" },
		{ "%41", (size_t)-1, "A" },
		{ "%4a%4A", (size_t)-1, "JJ" },
		{ "a%20b", (size_t)-1, "a b" },
		{ "a+b", (size_t)-1, "a+b" },
		{ "%2e%2E", (size_t)-1, ".." },
		{ "%C3%A9", (size_t)-1, "\xc3\xa9" },
		{ "%25", (size_t)-1, "%" },
		{ "%2541", (size_t)-1, "%41" },
		{ "%FF", (size_t)-1, "\xff" },
		{ "%01", (size_t)-1, "\x01" },
		{ "%", (size_t)-1, NULL },
		{ "%4", (size_t)-1, NULL },
		{ "%%", (size_t)-1, NULL },
		{ "%g1", (size_t)-1, NULL },
		{ "%1g", (size_t)-1, NULL },
		{ "% 1", (size_t)-1, NULL },
		{ "%00", (size_t)-1, NULL },
		{ "a%00", (size_t)-1, NULL },
		{ "%-1", (size_t)-1, NULL },
		/* LEN bounds the input */
		{ "%41", 2, NULL },
		{ "abcdef", 3, "abc" },
		{ "ab%41cd", 5, "abA" },
		{ "a\0b", 3, NULL },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(drows); i++) {
		size_t len = drows[i].len == (size_t)-1 ? strlen(drows[i].in) : drows[i].len;
		char *out = request_percent_decode(drows[i].in, len);

		CHECK(str_eq(out, drows[i].out), "row %zu (\"%s\", %zu): \"%s\", want \"%s\"",
		    i, drows[i].in, len, str_or(out), str_or(drows[i].out));
		free(out);
	}
	CHECK_DONE();
}

/* Where SCRIPT_NAME mounts the site, by front end (the config's base
 * path "/" unless a row says otherwise). */
static void
test_script_mount(void **state)
{
	static const struct {
		const char *name, *script, *file, *uri, *base;
		enum request_mount mount;
		const char *want_base, *want_path;  /* want_path NULL: outside */
	} mrows[] = {
		{ "CGI listing", "/cgi-bin/blog.cgi", NULL, "/cgi-bin/blog.cgi/", "/",
		  MOUNT_SCRIPT_CGI, "/cgi-bin/blog.cgi/", "/" },
		{ "CGI page 2", "/cgi-bin/blog.cgi", NULL, "/cgi-bin/blog.cgi/page/2/?x", "/",
		  MOUNT_SCRIPT_CGI, "/cgi-bin/blog.cgi/", "/page/2/" },
		{ "CGI bare script: redirected", "/cgi-bin/blog.cgi", NULL, "/cgi-bin/blog.cgi", "/",
		  MOUNT_SCRIPT_CGI, "/cgi-bin/blog.cgi/", "" },
		{ "FastCGI bare script: no mount", "/cgi-bin/blog.fcgi", NULL, "/cgi-bin/blog.fcgi", "/",
		  MOUNT_SCRIPT, "/", "/cgi-bin/blog.fcgi" },
		{ "FastCGI under the script", "/blog.fcgi", "/proc/self/exe", "/blog.fcgi/tags/", "/",
		  MOUNT_SCRIPT, "/blog.fcgi/", "/tags/" },
		{ "FastCGI, no SCRIPT_FILENAME: no mount", "/blog.fcgi", NULL, "/blog.fcgi/tags/", "/",
		  MOUNT_SCRIPT, "/", "/blog.fcgi/tags/" },
		{ "mod_fcgid virtual at /: no such script", "/page", "/nonexistent/page", "/page/2/", "/",
		  MOUNT_SCRIPT, "/", "/page/2/" },
		{ "FastCGI, SCRIPT_FILENAME a folder: no mount", "/tmp", "/tmp", "/tmp/x/", "/",
		  MOUNT_SCRIPT, "/", "/tmp/x/" },
		{ "nginx's SCRIPT_NAME is the whole path", "/page/2/", NULL, "/page/2/", "/",
		  MOUNT_SCRIPT, "/", "/page/2/" },
		{ "nginx's SCRIPT_NAME of a file", "/feed.xml", NULL, "/feed.xml", "/",
		  MOUNT_SCRIPT, "/", "/feed.xml" },
		{ "empty SCRIPT_NAME", "", NULL, "/page/2/", "/",
		  MOUNT_SCRIPT_CGI, "/", "/page/2/" },
		{ "rewrite hides the script: base_path", "/blog/xsltpress.cgi", NULL, "/blog/page/2/", "/blog/",
		  MOUNT_SCRIPT_CGI, "/blog/", "/page/2/" },
		{ "prefix of a longer name is no mount", "/blog.cgi", NULL, "/blog.cgix/", "/",
		  MOUNT_SCRIPT_CGI, "/", "/blog.cgix/" },
		{ "base_path set: SCRIPT_NAME ignored", "/cgi-bin/blog.cgi", NULL, "/cgi-bin/blog.cgi/", "/",
		  MOUNT_CONFIG, "/", "/cgi-bin/blog.cgi/" },
		{ "unsafe SCRIPT_NAME bytes: no mount", "/cgi bin/b\"x", NULL, "/cgi%20bin/b%22x/", "/",
		  MOUNT_SCRIPT_CGI, "/", "/cgi bin/b\"x/" },
		{ "dot segment in SCRIPT_NAME: no mount", "/a/../b.cgi", NULL, "/a/../b.cgi/", "/",
		  MOUNT_SCRIPT_CGI, NULL, NULL },
		{ "encoded script path still matches", "/blog.cgi", NULL, "/blog%2Ecgi/tags/", "/",
		  MOUNT_SCRIPT_CGI, "/blog.cgi/", "/tags/" },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(mrows); i++) {
		struct params in = { { { "REQUEST_METHOD", "GET" },
			{ "REQUEST_URI", mrows[i].uri },
			{ "SCRIPT_NAME", mrows[i].script },
			{ "SCRIPT_FILENAME", mrows[i].file } } };
		struct request req;
		struct xp_error err;

		CHECK(request_parse_mounted(&req, getter, &in, mrows[i].base,
		    mrows[i].mount, &err) == XP_OK, "row %zu (%s): failed", i,
		    mrows[i].name);
		if (mrows[i].want_base == NULL) {
			CHECK(req.bad_status == 400, "row %zu (%s): bad_status %d",
			    i, mrows[i].name, req.bad_status);
		} else {
			CHECK(str_eq(req.base_path, mrows[i].want_base),
			    "row %zu (%s): base \"%s\", want \"%s\"", i,
			    mrows[i].name, str_or(req.base_path), mrows[i].want_base);
			CHECK(req.bad_status == 0 && str_eq(req.path, mrows[i].want_path),
			    "row %zu (%s): path \"%s\", want \"%s\"", i,
			    mrows[i].name, str_or(req.path), mrows[i].want_path);
		}
		request_release(&req);
	}
	CHECK_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_rows),
		cmocka_unit_test(test_uri_kept),
		cmocka_unit_test(test_accepts_gzip),
		cmocka_unit_test(test_validators),
		cmocka_unit_test(test_percent_decode),
		cmocka_unit_test(test_script_mount),
	};

	return cmocka_run_group_tests_name("request", tests, NULL, NULL);
}
