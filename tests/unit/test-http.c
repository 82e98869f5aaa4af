/* test-http.c - reason phrases, conditional requests, serialisation. */
#include "unit.h"

#include "http.h"

static void
test_reason(void **state)
{
	static const struct { int status; const char *reason; } rows[] = {
		{ 200, "OK" },
		{ 301, "Moved Permanently" },
		{ 304, "Not Modified" },
		{ 400, "Bad Request" },
		{ 404, "Not Found" },
		{ 405, "Method Not Allowed" },
		{ 414, "URI Too Long" },
		{ 500, "Internal Server Error" },
		{ 503, "Service Unavailable" },
		{ 999, "Unknown" },
		{ 0, "Unknown" },
		{ -1, "Unknown" },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++)
		CHECK(strcmp(http_reason(rows[i].status), rows[i].reason) == 0,
		    "row %zu (%d): \"%s\", want \"%s\"", i, rows[i].status,
		    http_reason(rows[i].status), rows[i].reason);
	CHECK_DONE();
}

#define NONE ((time_t)-1)
#define T0 1773480600   /* Sat, 14 Mar 2026 09:30:00 GMT */

static void
test_not_modified(void **state)
{
	static const struct {
		const char *name;
		enum method method;
		const char *inm;
		time_t ims;
		const char *etag;
		time_t last_modified;
		bool want;
	} rows[] = {
		{ "exact", METHOD_GET, "\"abc\"", NONE, "\"abc\"", 0, true },
		{ "HEAD too", METHOD_HEAD, "\"abc\"", NONE, "\"abc\"", 0, true },
		{ "other etag", METHOD_GET, "\"xyz\"", NONE, "\"abc\"", 0, false },
		{ "list, second", METHOD_GET, "\"xyz\", \"abc\"", NONE, "\"abc\"", 0, true },
		{ "list, no spaces", METHOD_GET, "\"xyz\",\"abc\"", NONE, "\"abc\"", 0, true },
		{ "list, first", METHOD_GET, "\"abc\" , \"xyz\"", NONE, "\"abc\"", 0, true },
		{ "list, tabs", METHOD_GET, "\t\"xyz\"\t,\t\"abc\"\t", NONE, "\"abc\"", 0, true },
		{ "list, none", METHOD_GET, "\"x\", \"y\", \"z\"", NONE, "\"abc\"", 0, false },
		{ "weak matches (weak comparison)", METHOD_GET, "W/\"abc\"", NONE, "\"abc\"", 0, true },
		{ "weak in a list", METHOD_GET, "W/\"x\", W/\"abc\"", NONE, "\"abc\"", 0, true },
		{ "star", METHOD_GET, "*", NONE, "\"abc\"", 0, true },
		{ "prefix is not a match", METHOD_GET, "\"ab\"", NONE, "\"abc\"", 0, false },
		{ "longer is not a match", METHOD_GET, "\"abcd\"", NONE, "\"abc\"", 0, false },
		{ "unquoted is not a match", METHOD_GET, "abc", NONE, "\"abc\"", 0, false },
		{ "unterminated", METHOD_GET, "\"abc", NONE, "\"abc\"", 0, false },
		{ "empty header", METHOD_GET, "", NONE, "\"abc\"", 0, false },
		{ "no etag on the response", METHOD_GET, "\"abc\"", NONE, "", 0, false },
		/* If-None-Match wins over If-Modified-Since */
		{ "INM miss beats IMS hit", METHOD_GET, "\"xyz\"", T0 + 10, "\"abc\"", T0, false },
		{ "INM hit beats IMS miss", METHOD_GET, "\"abc\"", T0 - 10, "\"abc\"", T0, true },
		/* If-Modified-Since alone */
		{ "IMS later", METHOD_GET, NULL, T0 + 1, "\"abc\"", T0, true },
		{ "IMS equal", METHOD_GET, NULL, T0, "\"abc\"", T0, true },
		{ "IMS earlier", METHOD_GET, NULL, T0 - 1, "\"abc\"", T0, false },
		{ "IMS, time unknown", METHOD_GET, NULL, T0, "\"abc\"", 0, false },
		{ "no validators", METHOD_GET, NULL, NONE, "\"abc\"", T0, false },
		{ "IMS on HEAD", METHOD_HEAD, NULL, T0, "", T0, true },
		/* never for other methods */
		{ "POST with matching INM", METHOD_OTHER, "\"abc\"", NONE, "\"abc\"", 0, false },
		{ "POST with star", METHOD_OTHER, "*", NONE, "\"abc\"", 0, false },
		{ "POST with IMS", METHOD_OTHER, NULL, T0, "\"abc\"", T0, false },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct request req;
		bool got;

		memset(&req, 0, sizeof(req));
		req.method = rows[i].method;
		req.if_none_match = (char *)rows[i].inm;
		req.if_modified_since = rows[i].ims;
		got = http_not_modified(&req, rows[i].etag, rows[i].last_modified);
		CHECK(got == rows[i].want, "row %zu (%s): %d, want %d", i, rows[i].name,
		    got, rows[i].want);
	}
	CHECK_DONE();
}

struct ser_row {
	const char *name;
	int status;
	const char *content_type;
	const char *body;
	const char *etag;
	time_t last_modified;
	long max_age;
	const char *extra_name, *extra_value;
	const char *csp, *referrer;       /* NULL: the defaults */
	const char *has[8];               /* substrings of the header block */
	const char *lacks[6];             /* substrings nowhere in the output */
	const char *want_body;            /* NULL: no body at all */
};

static const struct ser_row ser_rows[] = {
	{ "200 page", 200, CT_HTML, "<p>hello</p>", "\"e1\"", T0, 60, NULL, NULL, NULL, NULL,
	  { "Content-Type: text/html; charset=utf-8\r\n", "Content-Length: 12\r\n",
	    "ETag: \"e1\"\r\n", "Last-Modified: Sat, 14 Mar 2026 09:30:00 GMT\r\n",
	    "Cache-Control: public, max-age=60, stale-while-revalidate=60, stale-if-error=86400\r\n",
	    "X-Content-Type-Options: nosniff\r\n",
	    "Content-Security-Policy: default-src 'self'", "Referrer-Policy: strict-origin-when-cross-origin\r\n" },
	  { "no-cache" }, "<p>hello</p>" },
	{ "304 has no body", 304, CT_HTML, "<p>hello</p>", "\"e1\"", T0, 60, NULL, NULL, NULL, NULL,
	  { "ETag: \"e1\"\r\n", "Cache-Control: public, max-age=60, stale-while-revalidate=60, stale-if-error=86400\r\n" },
	  { "Content-Length", "\r\nContent-Type", "hello" }, NULL },
	{ "404 no-cache", 404, CT_HTML, "nope", "", 0, -1, NULL, NULL, NULL, NULL,
	  { "Cache-Control: no-cache\r\n", "Content-Length: 4\r\n" },
	  { "ETag", "Last-Modified", "max-age" }, "nope" },
	{ "301 with Location", 301, CT_HTML, "", "", 0, 60, "Location", "/blog/", NULL, NULL,
	  { "Location: /blog/\r\n", "Content-Length: 0\r\n" },
	  { "ETag" }, "" },
	{ "405 with Allow", 405, CT_HTML, "x", "", 0, -1, "Allow", "GET, HEAD", NULL, NULL,
	  { "Allow: GET, HEAD\r\n" }, { NULL }, "x" },
	{ "text/plain", 503, CT_TEXT, "Service Unavailable\n", "", 0, -1, NULL, NULL, NULL, NULL,
	  { "Content-Type: text/plain; charset=utf-8\r\n", "Content-Length: 20\r\n" }, { NULL },
	  "Service Unavailable\n" },
	{ "no content type", 200, NULL, "raw", "", 0, 0, NULL, NULL, NULL, NULL,
	  { "Content-Length: 3\r\n", "Cache-Control: public, max-age=0, stale-while-revalidate=60, stale-if-error=86400\r\n" }, { "\r\nContent-Type" }, "raw" },
	{ "CSP and referrer off", 200, CT_HTML, "b", "", 0, 5, NULL, NULL, "", "",
	  { "X-Content-Type-Options: nosniff\r\n" },
	  { "Content-Security-Policy", "Referrer-Policy" }, "b" },
	{ "custom CSP", 200, CT_HTML, "b", "", 0, 5, NULL, NULL, "default-src 'none'", "no-referrer",
	  { "Content-Security-Policy: default-src 'none'\r\n", "Referrer-Policy: no-referrer\r\n" },
	  { "'self'" }, "b" },
	{ "body that looks like headers", 200, CT_TEXT, "\r\n\r\nStatus: 500 X\r\n\r\n", "", 0, 5, NULL, NULL, NULL, NULL,
	  { "Content-Length: 21\r\n" }, { NULL }, "\r\n\r\nStatus: 500 X\r\n\r\n" },
	{ "header injection is cut at CR/LF", 200, CT_HTML, "b", "", 0, 5, "X-Test", "a\r\nSet-Cookie: x=1", NULL, NULL,
	  { "X-Test: a\r\n" }, { "Set-Cookie" }, "b" },
};

static void
test_serialize(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS(ser_rows); i++) {
		const struct ser_row *r = &ser_rows[i];
		struct config *cfg = config_new_defaults();
		struct response resp;
		struct buf out = BUF_INIT;
		size_t header_len = 0, want_body_len;
		char status_line[64], *headers, *cl;

		assert_non_null(cfg);
		if (r->csp)
			assert_int_equal(config_set(cfg, "csp", r->csp, "t", 0, NULL), XP_OK);
		if (r->referrer)
			assert_int_equal(config_set(cfg, "referrer_policy", r->referrer, "t", 0, NULL), XP_OK);
		response_init(&resp);
		resp.status = r->status;
		resp.content_type = r->content_type;
		buf_puts(&resp.body, r->body);
		snprintf(resp.etag, sizeof(resp.etag), "%s", r->etag);
		resp.last_modified = r->last_modified;
		resp.max_age = r->max_age;
		if (r->extra_name)
			response_header(&resp, r->extra_name, "%s", r->extra_value);
		http_serialize(&resp, cfg, &out, &header_len);

		assert_non_null(out.data);
		snprintf(status_line, sizeof(status_line), "Status: %d %s\r\n",
		    r->status, http_reason(r->status));
		CHECK(strncmp(out.data, status_line, strlen(status_line)) == 0,
		    "row %zu (%s): starts \"%.30s\", want \"%s\"", i, r->name,
		    out.data, status_line);
		CHECK(header_len >= 4 && header_len <= out.len &&
		    memcmp(out.data + header_len - 4, "\r\n\r\n", 4) == 0,
		    "row %zu (%s): header_len %zu does not end at a blank line", i,
		    r->name, header_len);
		/* the header block has exactly one blank line: at its end */
		headers = strndup(out.data, header_len);
		assert_non_null(headers);
		CHECK(strstr(headers, "\r\n\r\n") == headers + header_len - 4,
		    "row %zu (%s): blank line inside the headers", i, r->name);
		for (size_t k = 0; k < 8 && r->has[k]; k++)
			CHECK(strstr(headers, r->has[k]) != NULL,
			    "row %zu (%s): headers lack \"%s\":\n%s", i, r->name,
			    r->has[k], headers);
		for (size_t k = 0; k < 6 && r->lacks[k]; k++)
			CHECK(strstr(out.data, r->lacks[k]) == NULL,
			    "row %zu (%s): output has \"%s\"", i, r->name, r->lacks[k]);
		want_body_len = r->want_body ? strlen(r->want_body) : 0;
		CHECK(out.len - header_len == want_body_len &&
		    memcmp(out.data + header_len, r->want_body ? r->want_body : "",
		    want_body_len) == 0,
		    "row %zu (%s): body of %zu bytes, want %zu", i, r->name,
		    out.len - header_len, want_body_len);
		/* Content-Length, when sent, is the body's length */
		if ((cl = strstr(headers, "Content-Length: ")) != NULL)
			CHECK(strtoul(cl + 16, NULL, 10) == out.len - header_len,
			    "row %zu (%s): Content-Length %lu for %zu bytes", i, r->name,
			    strtoul(cl + 16, NULL, 10), out.len - header_len);
		/* every header line is "Name: value" */
		for (char *line = headers; *line && strncmp(line, "\r\n", 2) != 0;) {
			char *end = strstr(line, "\r\n");

			CHECK(end != NULL && memchr(line, ':', (size_t)(end - line)) != NULL &&
			    memchr(line, '\n', (size_t)(end - line)) == NULL,
			    "row %zu (%s): bad header line \"%.40s\"", i, r->name, line);
			if (end == NULL)
				break;
			line = end + 2;
		}
		free(headers);
		buf_release(&out);
		response_release(&resp);
		config_free(cfg);
	}
	CHECK_DONE();
}

/* Cache-Control: the RFC 5861 extensions from the config, capped by what
 * the page allows (a scheduled article), and "immutable" alone for a URL
 * that names its content. */
static const struct cc_row {
	const char *name;
	long max_age, stale_max;
	bool immutable;
	const char *swr, *sie;           /* config values, NULL: defaults */
	const char *want;                /* the whole header line */
} cc_rows[] = {
	{ "defaults", 60, -1, false, NULL, NULL,
	  "Cache-Control: public, max-age=60, stale-while-revalidate=60, stale-if-error=86400\r\n" },
	{ "configured", 30, -1, false, "5", "600",
	  "Cache-Control: public, max-age=30, stale-while-revalidate=5, stale-if-error=600\r\n" },
	{ "off", 30, -1, false, "0", "0", "Cache-Control: public, max-age=30\r\n" },
	{ "capped by a due article", 10, 7, false, NULL, NULL,
	  "Cache-Control: public, max-age=10, stale-while-revalidate=7, stale-if-error=7\r\n" },
	{ "due at the end of max-age", 4, 0, false, NULL, NULL,
	  "Cache-Control: public, max-age=4\r\n" },
	{ "fingerprinted asset", 31536000, -1, true, NULL, NULL,
	  "Cache-Control: public, max-age=31536000, immutable\r\n" },
	{ "no-cache has no extensions", -1, -1, false, NULL, NULL,
	  "Cache-Control: no-cache\r\n" },
};

static void
test_cache_control(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS(cc_rows); i++) {
		const struct cc_row *r = &cc_rows[i];
		struct config *cfg = config_new_defaults();
		struct response resp;
		struct buf out = BUF_INIT;
		size_t header_len;
		char *line;

		assert_non_null(cfg);
		if (r->swr)
			assert_int_equal(config_set(cfg, "stale_while_revalidate", r->swr, "t", 0, NULL), XP_OK);
		if (r->sie)
			assert_int_equal(config_set(cfg, "stale_if_error", r->sie, "t", 0, NULL), XP_OK);
		response_init(&resp);
		resp.max_age = r->max_age;
		resp.stale_max = r->stale_max;
		resp.immutable = r->immutable;
		http_serialize(&resp, cfg, &out, &header_len);
		line = strstr(out.data, "Cache-Control:");
		CHECK(line != NULL && strncmp(line, r->want, strlen(r->want)) == 0,
		    "row %zu (%s): got \"%.100s\", want \"%s\"", i, r->name,
		    line ? line : "(none)", r->want);
		buf_release(&out);
		response_release(&resp);
		config_free(cfg);
	}
	CHECK_DONE();
}

/* Serialising appends: what OUT held stays in front. */
static void
test_serialize_appends(void **state)
{
	struct config *cfg = config_new_defaults();
	struct response resp;
	struct buf out = BUF_INIT;
	size_t header_len;

	(void)state;
	response_init(&resp);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.max_age, -1);
	assert_string_equal(resp.content_type, CT_HTML);
	buf_puts(&resp.body, "xyz");
	buf_puts(&out, "PREFIX");
	http_serialize(&resp, cfg, &out, &header_len);
	assert_memory_equal(out.data, "PREFIXStatus: 200 OK\r\n", 22);
	assert_int_equal(out.len - header_len, 3);
	buf_release(&out);
	response_release(&resp);
	config_free(cfg);
}

static void
test_etag(void **state)
{
	static const char *const bodies[] = { "", "a", "b", "ab", "ba", "<html>page</html>" };
	char etags[NROWS(bodies)][48];

	(void)state;
	for (size_t i = 0; i < NROWS(bodies); i++) {
		struct response r1, r2;
		size_t n;

		response_init(&r1);
		response_init(&r2);
		buf_puts(&r1.body, bodies[i]);
		buf_puts(&r2.body, bodies[i]);
		response_etag_from_body(&r1);
		response_etag_from_body(&r2);
		n = strlen(r1.etag);
		CHECK(n >= 3 && r1.etag[0] == '"' && r1.etag[n - 1] == '"' &&
		    strchr(r1.etag + 1, '"') == r1.etag + n - 1,
		    "row %zu (\"%s\"): etag %s is not one quoted string", i,
		    bodies[i], r1.etag);
		CHECK(strcmp(r1.etag, r2.etag) == 0, "row %zu: same body, etags %s vs %s",
		    i, r1.etag, r2.etag);
		snprintf(etags[i], sizeof(etags[i]), "%s", r1.etag);
		for (size_t k = 0; k < i; k++)
			CHECK(strcmp(etags[k], etags[i]) != 0,
			    "rows %zu and %zu: different bodies, same etag %s", k, i,
			    etags[i]);
		response_release(&r1);
		response_release(&r2);
	}
	CHECK_DONE();
}

/* A Location is the decoded path encoded again: nothing the client
 * escaped may come out raw (issue: "/tags/a%3fb" redirected to
 * "/tags/a?b/"). */
static void
test_encode_path(void **state)
{
	static const struct {
		const char *in;
		bool query;
		const char *want;
	} rows[] = {
		{ "tags/a?b/", false, "tags/a%3Fb/" },
		{ "tags/a#b/", false, "tags/a%23b/" },
		{ "tags/x y/", false, "tags/x%20y/" },
		{ "tags/\xc0\xaf/", false, "tags/%C0%AF/" },
		{ "tags/100%/", false, "tags/100%25/" },
		{ "tags/caf\xc3\xa9/", false, "tags/caf%C3%A9/" },
		{ "a\"b<c>d\\e^f`g{h|i}j[k]", false,
		  "a%22b%3Cc%3Ed%5Ce%5Ef%60g%7Bh%7Ci%7Dj%5Bk%5D" },
		{ "tab\there\r\n", false, "tab%09here%0D%0A" },
		{ "kept-._~!$&'()*+,;=:@/AZaz09", false, "kept-._~!$&'()*+,;=:@/AZaz09" },
		{ "", false, "" },
		{ "q=a%20b&page=2?x", true, "q=a%20b&page=2?x" },
		{ "q=a b#c", true, "q=a%20b%23c" },
		{ "q=\xff", true, "q=%FF" },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		char out[256];
		bool ok = http_encode_path(rows[i].in, rows[i].query, out, sizeof(out));

		CHECK(ok && strcmp(out, rows[i].want) == 0,
		    "row %zu: \"%s\" gave \"%s\", want \"%s\"", i, rows[i].in,
		    out, rows[i].want);
	}
	/* Too small: false, and never half an escape. */
	{
		char out[6];

		CHECK(!http_encode_path("ab?cd", false, out, sizeof(out)) &&
		    strcmp(out, "ab%3F") == 0, "short buffer gave \"%s\"", out);
		CHECK(!http_encode_path("abcd?", false, out, sizeof(out)) &&
		    strcmp(out, "abcd") == 0, "short buffer gave \"%s\"", out);
	}
	CHECK_DONE();
}

/* A shared body goes out as it is, or in its gzip form with the
 * headers that say so; Vary is on 304s too. */
static void
test_serialize_shared(void **state)
{
	static const struct {
		const char *name;
		int status;
		bool gzip, vary;
		const char *has[3], *lacks[3];
		bool gz_body;
	} rows[] = {
		{ "identity", 200, false, true,
		  { "Vary: Accept-Encoding\r\n", "Content-Length: 2000\r\n" },
		  { "Content-Encoding" }, false },
		{ "gzip", 200, true, true,
		  { "Vary: Accept-Encoding\r\n", "Content-Encoding: gzip\r\n" },
		  { "Content-Length: 2000\r\n" }, true },
		{ "304 keeps Vary", 304, true, true,
		  { "Vary: Accept-Encoding\r\n" }, { "Content-Length" }, false },
		{ "not compressible: no Vary", 200, false, false,
		  { "Content-Length: 2000\r\n" }, { "Vary", "Content-Encoding" }, false },
	};
	char page[2001];

	(void)state;
	memset(page, 'p', 2000);
	page[2000] = '\0';
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct config *cfg = config_new_defaults();
		struct response resp;
		struct buf out = BUF_INIT;
		size_t header_len;
		char *headers;

		response_init(&resp);
		resp.status = rows[i].status;
		resp.shared = page_body_new(page, 2000, true);
		assert_non_null(resp.shared);
		assert_non_null(resp.shared->gz);
		resp.gzip = rows[i].gzip;
		resp.vary_encoding = rows[i].vary;
		http_serialize(&resp, cfg, &out, &header_len);
		headers = strndup(out.data, header_len);
		for (size_t k = 0; k < 3 && rows[i].has[k]; k++)
			CHECK(strstr(headers, rows[i].has[k]) != NULL,
			    "row %zu (%s): headers lack \"%s\"", i, rows[i].name,
			    rows[i].has[k]);
		for (size_t k = 0; k < 3 && rows[i].lacks[k]; k++)
			CHECK(strstr(headers, rows[i].lacks[k]) == NULL,
			    "row %zu (%s): headers have \"%s\"", i, rows[i].name,
			    rows[i].lacks[k]);
		if (rows[i].status == 200 && rows[i].gz_body)
			CHECK(out.len - header_len == resp.shared->gz_len &&
			    memcmp(out.data + header_len, "\x1f\x8b", 2) == 0,
			    "row %zu (%s): the body is not the gzip form", i,
			    rows[i].name);
		else if (rows[i].status == 200)
			CHECK(out.len - header_len == 2000,
			    "row %zu (%s): body of %zu bytes", i, rows[i].name,
			    out.len - header_len);
		free(headers);
		buf_release(&out);
		response_release(&resp);
		config_free(cfg);
	}
	CHECK_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_path),
		cmocka_unit_test(test_serialize_shared),
		cmocka_unit_test(test_reason),
		cmocka_unit_test(test_not_modified),
		cmocka_unit_test(test_serialize),
		cmocka_unit_test(test_cache_control),
		cmocka_unit_test(test_serialize_appends),
		cmocka_unit_test(test_etag),
	};

	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
