/* test-article.c - names, slugs, article_parse over in-memory documents,
 * and article_load from a temporary folder. */
#include "unit.h"

#include <libxml/parser.h>

#include "article.h"

/* ---- slugs and names ---- */

static void
test_slug_valid(void **state)
{
	static char a100[101], a101[102];
	static const struct { const char *s; bool ok; } rows[] = {
		{ "a", true },
		{ "hello-world", true },
		{ "2026-plans", true },
		{ "a1-b2-c3", true },
		{ "0", true },
		{ a100, true },
		{ a101, false },
		{ "", false },
		{ "a--b", false },
		{ "-a", false },
		{ "a-", false },
		{ "-", false },
		{ "Hello", false },
		{ "a_b", false },
		{ "a.b", false },
		{ "a b", false },
		{ "a/b", false },
		{ "caf\xc3\xa9", false },
		{ "..", false },
	};

	(void)state;
	memset(a100, 'a', 100);
	memset(a101, 'a', 101);
	for (size_t i = 0; i < NROWS(rows); i++) {
		bool ok = article_slug_valid(rows[i].s, strlen(rows[i].s));

		CHECK(ok == rows[i].ok, "row %zu (\"%.20s\", %zu chars): %d, want %d",
		    i, rows[i].s, strlen(rows[i].s), ok, rows[i].ok);
	}
	/* LEN, not the NUL, bounds the slug */
	CHECK(article_slug_valid("abc-", 3), "len 3 of \"abc-\" is a slug");
	CHECK(!article_slug_valid("abc", 0), "len 0 is not a slug");
	CHECK_DONE();
}

static void
test_name_kind(void **state)
{
	static char n100[105], n101[106];
	static const struct {
		const char *name;
		enum name_kind kind;
		const char *slug;
	} rows[] = {
		{ "hello-world.xml", NAME_ARTICLE, "hello-world" },
		{ "a.xml", NAME_ARTICLE, "a" },
		{ n100, NAME_ARTICLE, NULL },
		{ n101, NAME_BAD_SLUG, NULL },
		{ ".draft.xml.swp", NAME_IGNORED, NULL },
		{ "#a.xml#", NAME_IGNORED, NULL },
		{ ".#a.xml", NAME_IGNORED, NULL },
		{ "a.xml~", NAME_IGNORED, NULL },
		{ "notes.txt", NAME_IGNORED, NULL },
		{ "a.xml.bak", NAME_IGNORED, NULL },
		{ "a.XML", NAME_IGNORED, NULL },
		{ ".hidden.xml", NAME_IGNORED, NULL },
		{ ".", NAME_IGNORED, NULL },
		{ "..", NAME_IGNORED, NULL },
		{ ".xml", NAME_IGNORED, NULL },
		{ "4913", NAME_IGNORED, NULL },
		{ "My Post.xml", NAME_BAD_SLUG, NULL },
		{ "a--b.xml", NAME_BAD_SLUG, NULL },
		{ "Upper.xml", NAME_BAD_SLUG, NULL },
		{ "a_b.xml", NAME_BAD_SLUG, NULL },
		{ "-a.xml", NAME_BAD_SLUG, NULL },
		{ "a.b.xml", NAME_BAD_SLUG, NULL },
	};

	(void)state;
	memset(n100, 'b', 100);
	memcpy(n100 + 100, ".xml", 5);
	memset(n101, 'b', 101);
	memcpy(n101 + 101, ".xml", 5);
	for (size_t i = 0; i < NROWS(rows); i++) {
		char slug[SLUG_MAX + 1] = "untouched";
		enum name_kind k = article_name_kind(rows[i].name, slug);

		CHECK(k == rows[i].kind, "row %zu (\"%.30s\"): kind %d, want %d", i,
		    rows[i].name, k, rows[i].kind);
		if (k == NAME_ARTICLE && rows[i].kind == NAME_ARTICLE) {
			size_t want = strlen(rows[i].name) - 4;

			CHECK(strlen(slug) == want &&
			    strncmp(slug, rows[i].name, want) == 0,
			    "row %zu (\"%.30s\"): slug \"%.30s\"", i, rows[i].name, slug);
			CHECK(rows[i].slug == NULL || strcmp(slug, rows[i].slug) == 0,
			    "row %zu: slug \"%s\", want \"%s\"", i, slug,
			    str_or(rows[i].slug));
		}
	}
	CHECK_DONE();
}

/* ---- article_parse ---- */

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
/* An article with its body put in place of %s. */
#define MIN_TOP HEAD "<article>\n<title>T</title>\n<summary>S</summary>\n" \
	"<published>2026-03-14</published>\n"

struct parse_row {
	const char *name;
	const char *xml;
	enum xp_status status;
	long line;            /* expected error line (failing rows) */
	const char *reason;   /* substring of the reason, or NULL */
};

static const struct parse_row parse_rows[] = {
	{ "minimal", MIN_TOP "<body><p>x</p></body>\n</article>\n", XP_OK, 0, NULL },
	{ "no XML declaration",
	  "<article><title>T</title><summary>S</summary><published>2026-03-14</published><body/></article>",
	  XP_OK, 0, NULL },
	{ "lower-case utf-8 declared",
	  "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<article><title>T</title><summary>S</summary><published>2026-03-14</published><body/></article>",
	  XP_OK, 0, NULL },
	{ "unknown elements kept",
	  MIN_TOP "<mood>happy</mood>\n<x:extra xmlns:x=\"urn:x\">y</x:extra>\n<body><p>x</p></body>\n</article>\n",
	  XP_OK, 0, NULL },
	{ "comments and PIs",
	  HEAD "<!-- c -->\n<article><?pi x?><title>T</title><!-- c --><summary>S</summary><published>2026-03-14</published><body/></article>",
	  XP_OK, 0, NULL },
	{ "entities and char refs",
	  HEAD "<article><title>a &amp; b &lt; c &#233; &#x1F600;</title><summary>S</summary><published>2026-03-14</published><body/></article>",
	  XP_OK, 0, NULL },
	{ "CDATA in body",
	  MIN_TOP "<body><pre><![CDATA[a < b && c]]></pre></body>\n</article>\n", XP_OK, 0, NULL },

	/* required elements: the line is the root's */
	{ "missing title",
	  HEAD "<article>\n<summary>S</summary>\n<published>2026-03-14</published>\n<body/>\n</article>\n",
	  XP_ERR_INVALID, 2, "title" },
	{ "empty title",
	  HEAD "<article>\n<title>  \n </title>\n<summary>S</summary>\n<published>2026-03-14</published>\n<body/>\n</article>\n",
	  XP_ERR_INVALID, 2, "title" },
	{ "missing summary",
	  HEAD "<article>\n<title>T</title>\n<published>2026-03-14</published>\n<body/>\n</article>\n",
	  XP_ERR_INVALID, 2, "summary" },
	{ "missing published",
	  HEAD "<article>\n<title>T</title>\n<summary>S</summary>\n<body/>\n</article>\n",
	  XP_ERR_INVALID, 2, "published" },
	{ "missing body",
	  HEAD "\n<article>\n<title>T</title>\n<summary>S</summary>\n<published>2026-03-14</published>\n</article>\n",
	  XP_ERR_INVALID, 3, "body" },
	{ "title not plain text",
	  HEAD "<article>\n<title>a <em>b</em></title>\n<summary>S</summary>\n<published>2026-03-14</published>\n<body/>\n</article>\n",
	  XP_ERR_INVALID, 3, "title" },
	/* bad values, at their own line */
	{ "bad date",
	  HEAD "<article>\n<title>T</title>\n<summary>S</summary>\n<published>2026-02-30</published>\n<body/>\n</article>\n",
	  XP_ERR_INVALID, 5, "2026-02-30" },
	{ "date without offset",
	  HEAD "<article>\n<title>T</title>\n<summary>S</summary>\n<published>2026-03-14T09:30:00</published>\n<body/>\n</article>\n",
	  XP_ERR_INVALID, 5, "published" },
	{ "bad updated",
	  MIN_TOP "<updated>yesterday</updated>\n<body/>\n</article>\n",
	  XP_ERR_INVALID, 6, "updated" },
	{ "upper-case tag",
	  MIN_TOP "<tags>\n<tag>ok</tag>\n<tag>Kafka</tag>\n</tags>\n<body/>\n</article>\n",
	  XP_ERR_INVALID, 8, "tag" },
	{ "tag with space",
	  MIN_TOP "<tags><tag>two words</tag></tags>\n<body/>\n</article>\n",
	  XP_ERR_INVALID, 6, "tag" },
	{ "empty tag",
	  MIN_TOP "<tags><tag/></tags>\n<body/>\n</article>\n",
	  XP_ERR_INVALID, 6, "tag" },
	{ "reading-minutes 0",
	  MIN_TOP "<reading-minutes>0</reading-minutes>\n<body/>\n</article>\n",
	  XP_ERR_INVALID, 6, "reading-minutes" },
	{ "reading-minutes -3",
	  MIN_TOP "<reading-minutes>-3</reading-minutes>\n<body/>\n</article>\n",
	  XP_ERR_INVALID, 6, "reading-minutes" },
	{ "reading-minutes 2.5",
	  MIN_TOP "<reading-minutes>2.5</reading-minutes>\n<body/>\n</article>\n",
	  XP_ERR_INVALID, 6, "reading-minutes" },
	{ "reading-minutes huge",
	  MIN_TOP "<reading-minutes>99999999999999999999999</reading-minutes>\n<body/>\n</article>\n",
	  XP_ERR_INVALID, 6, "reading-minutes" },
	/* duplicates */
	{ "duplicate title",
	  HEAD "<article>\n<title>A</title>\n<summary>S</summary>\n<title>B</title>\n<published>2026-03-14</published>\n<body/>\n</article>\n",
	  XP_ERR_INVALID, 5, "title" },
	{ "duplicate published",
	  MIN_TOP "<published>2026-03-15</published>\n<body/>\n</article>\n",
	  XP_ERR_INVALID, 6, "published" },
	{ "duplicate body",
	  MIN_TOP "<body/>\n<body/>\n</article>\n",
	  XP_ERR_INVALID, 7, "body" },
	/* not well-formed: PARSE at the line of the fault */
	{ "mismatched tag",
	  MIN_TOP "<body>\n<p>x</b>\n</body>\n</article>\n",
	  XP_ERR_PARSE, 7, NULL },
	{ "unclosed root",
	  MIN_TOP "<body/>\n", XP_ERR_PARSE, 0, NULL },
	{ "bare ampersand",
	  HEAD "<article>\n<title>a & b</title>\n</article>\n", XP_ERR_PARSE, 3, NULL },
	{ "two roots",
	  HEAD "<article/>\n<article/>\n", XP_ERR_PARSE, 3, NULL },
	{ "empty document", "", XP_ERR_PARSE, 0, NULL },
	{ "text only", "hello", XP_ERR_PARSE, 0, NULL },
	/* entities: only the five and character references */
	{ "undefined &nbsp;",
	  MIN_TOP "<body>\n<p>a&nbsp;b</p>\n</body>\n</article>\n", XP_ERR_PARSE, 7, "nbsp" },
	{ "undefined external-looking entity",
	  HEAD "<article>\n<title>&xxe;</title>\n</article>\n", XP_ERR_PARSE, 3, "xxe" },
	{ "NUL char ref",
	  HEAD "<article>\n<title>&#0;</title>\n</article>\n", XP_ERR_PARSE, 3, NULL },
	/* DOCTYPE: refused at its line, before anything it declares */
	{ "DOCTYPE no subset",
	  HEAD "<!DOCTYPE article>\n<article><title>T</title><summary>S</summary><published>2026-03-14</published><body/></article>\n",
	  XP_ERR_INVALID, 2, "DOCTYPE" },
	{ "DOCTYPE SYSTEM",
	  HEAD "\n<!DOCTYPE article SYSTEM \"http://127.0.0.1:9/x.dtd\">\n<article><title>T</title><summary>S</summary><published>2026-03-14</published><body/></article>\n",
	  XP_ERR_INVALID, 3, "DOCTYPE" },
	{ "DOCTYPE internal subset, XXE",
	  HEAD "<!DOCTYPE article [\n<!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n]>\n<article><title>&xxe;</title><summary>S</summary><published>2026-03-14</published><body/></article>\n",
	  XP_ERR_INVALID, 2, "DOCTYPE" },
	{ "billion laughs",
	  HEAD "<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n"
	  "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	  "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
	  "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	  "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
	  "<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
	  "<!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
	  "<!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
	  "<!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
	  "<!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
	  "]>\n<article><title>&lol9;</title><summary>S</summary><published>2026-03-14</published><body/></article>\n",
	  XP_ERR_INVALID, 2, "DOCTYPE" },
	/* encodings */
	{ "ISO-8859-1 declared",
	  "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<article><title>T</title><summary>S</summary><published>2026-03-14</published><body/></article>",
	  XP_ERR_INVALID, 1, "encoding" },
	{ "windows-1252 declared",
	  "<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n<article><title>T\x93</title><summary>S</summary><published>2026-03-14</published><body/></article>",
	  XP_ERR_INVALID, 1, "encoding" },
	{ "invalid UTF-8 byte",
	  HEAD "<article>\n<title>T\xff</title>\n</article>\n", XP_ERR_PARSE, 3, NULL },
	{ "overlong UTF-8",
	  HEAD "<article>\n\n<title>T\xc0\xaf</title>\n</article>\n", XP_ERR_PARSE, 4, NULL },
	{ "truncated UTF-8",
	  HEAD "<article>\n<title>T\xe2\x82</title>\n</article>\n", XP_ERR_PARSE, 3, NULL },
	/* the root */
	{ "root not article",
	  HEAD "\n<post><title>T</title><summary>S</summary><published>2026-03-14</published><body/></post>\n",
	  XP_ERR_INVALID, 3, "article" },
	{ "root in the XHTML namespace",
	  HEAD "<article xmlns=\"http://www.w3.org/1999/xhtml\"><title>T</title><summary>S</summary><published>2026-03-14</published><body/></article>\n",
	  XP_ERR_INVALID, 2, "namespace" },
	{ "prefixed root",
	  HEAD "<a:article xmlns:a=\"urn:a\"><title>T</title><summary>S</summary><published>2026-03-14</published><body/></a:article>\n",
	  XP_ERR_INVALID, 2, "namespace" },
	{ "namespaced title does not count",
	  HEAD "<article xmlns:x=\"urn:x\">\n<x:title>T</x:title>\n<summary>S</summary>\n<published>2026-03-14</published>\n<body/>\n</article>\n",
	  XP_ERR_INVALID, 2, "title" },
};

static void
test_parse_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS(parse_rows); i++) {
		const struct parse_row *r = &parse_rows[i];
		struct article *a = NULL;
		struct xp_error err;
		enum xp_status st;

		memset(&err, 0, sizeof(err));
		st = article_parse("articles/t.xml", "t", r->xml, strlen(r->xml),
		    &a, &err);
		CHECK(st == r->status, "row %zu (%s): status %s, want %s (%s:%ld: %s)",
		    i, r->name, xp_status_name(st), xp_status_name(r->status),
		    err.file, err.line, err.reason);
		if (st == XP_OK) {
			CHECK(a != NULL && strcmp(a->slug, "t") == 0 &&
			    strcmp(a->title, "") != 0,
			    "row %zu (%s): no article", i, r->name);
			article_unref(a);
			continue;
		}
		if (r->status == XP_OK)
			continue;
		CHECK(a == NULL, "row %zu (%s): *out set on failure", i, r->name);
		CHECK(err.status == st, "row %zu (%s): err.status %d vs %d", i,
		    r->name, err.status, st);
		CHECK(strcmp(err.file, "articles/t.xml") == 0,
		    "row %zu (%s): file \"%s\"", i, r->name, err.file);
		CHECK(r->line == 0 || err.line == r->line,
		    "row %zu (%s): line %ld, want %ld (%s)", i, r->name, err.line,
		    r->line, err.reason);
		CHECK(err.reason[0] != '\0', "row %zu (%s): empty reason", i, r->name);
		CHECK(r->reason == NULL || strstr(err.reason, r->reason) != NULL,
		    "row %zu (%s): reason \"%s\" lacks \"%s\"", i, r->name,
		    err.reason, str_or(r->reason));
	}
	CHECK_DONE();
}

static const char full_article[] =
    HEAD
    "<article>\n"
    "  <title>  How Kafka\n   Handles  Millions &amp; More </title>\n"
    "  <published>2026-03-14T09:30:00+01:00</published>\n"
    "  <updated>2026-03-20</updated>\n"
    "  <author>Ada Writer</author>\n"
    "  <summary>A deep dive.</summary>\n"
    "  <tags><tag>kafka</tag><tag>streaming</tag><tag>kafka</tag><tag>a-1</tag></tags>\n"
    "  <draft/>\n"
    "  <body>\n"
    "    <p>one two <em>thr</em>ee</p>\n"
    "    <pre><code>four(five);</code></pre>\n"
    "  </body>\n"
    "</article>\n";

static void
test_parse_fields(void **state)
{
	struct article *a = NULL;
	struct xp_error err;
	time_t before = time(NULL);

	(void)state;
	assert_int_equal(article_parse("p.xml", "how-kafka", full_article,
	    strlen(full_article), &a, &err), XP_OK);
	assert_non_null(a);
	assert_string_equal(a->slug, "how-kafka");
	assert_string_equal(a->title, "How Kafka Handles Millions & More");
	assert_string_equal(a->summary, "A deep dive.");
	assert_non_null(a->author);
	assert_string_equal(a->author, "Ada Writer");
	assert_int_equal(a->ntags, 3);
	assert_string_equal(a->tags[0], "kafka");
	assert_string_equal(a->tags[1], "streaming");
	assert_string_equal(a->tags[2], "a-1");
	assert_int_equal(a->published.instant, 1773477000);
	assert_true(a->published.has_time);
	assert_true(a->has_updated);
	assert_int_equal(a->updated.instant, 1773964800);
	assert_true(a->draft);
	/* "one two three four(five);": <em> does not split a word */
	assert_int_equal(a->word_count, 4);
	assert_int_equal(a->reading_minutes, 1);
	assert_int_equal(a->source_len, strlen(full_article));
	assert_memory_equal(a->source, full_article, a->source_len);
	assert_true(a->loaded_at >= before);
	assert_int_equal(atomic_load(&a->refs), 1);
	/* drafts are never visible */
	assert_false(article_visible(a, a->published.instant + 86400));
	/* a reference keeps it alive */
	assert_ptr_equal(article_ref(a), a);
	article_unref(a);
	assert_string_equal(a->slug, "how-kafka");
	article_unref(a);
	article_unref(NULL);
}

static void
test_optional_absent(void **state)
{
	static const char xml[] = MIN_TOP "<body/>\n</article>\n";
	struct article *a = NULL;
	struct xp_error err;

	(void)state;
	assert_int_equal(article_parse("p.xml", "p", xml, strlen(xml), &a, &err),
	    XP_OK);
	assert_null(a->author);
	assert_int_equal(a->ntags, 0);
	assert_false(a->has_updated);
	assert_false(a->draft);
	assert_false(a->published.has_time);
	assert_int_equal(a->published.instant, 1773446400);
	assert_true(article_visible(a, 1773446400));
	assert_false(article_visible(a, 1773446399));
	article_unref(a);
}

/* Reading time: 230 words a minute, rounded up, at least 1; an explicit
 * <reading-minutes> wins. */
static void
test_reading_minutes(void **state)
{
	static const struct { unsigned words; const char *explicit; unsigned minutes; } rows[] = {
		{ 0, NULL, 1 },
		{ 1, NULL, 1 },
		{ 229, NULL, 1 },
		{ 230, NULL, 1 },
		{ 231, NULL, 2 },
		{ 460, NULL, 2 },
		{ 461, NULL, 3 },
		{ 2300, NULL, 10 },
		{ 5000, "7", 7 },
		{ 0, "12", 12 },
		{ 10, " 3 ", 3 },
		{ 10, "100000", 100000 },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		size_t cap = 512 + rows[i].words * 8;
		char *xml = malloc(cap), *w = xml;
		struct article *a = NULL;
		struct xp_error err;
		enum xp_status st;

		assert_non_null(xml);
		w += sprintf(w, MIN_TOP);
		if (rows[i].explicit)
			w += sprintf(w, "<reading-minutes>%s</reading-minutes>\n",
			    rows[i].explicit);
		w += sprintf(w, "<body>\n<p>");
		for (unsigned n = 0; n < rows[i].words; n++)
			w += sprintf(w, n % 10 == 9 ? "w%u</p>\n<p>" : "w%u ", n % 100);
		sprintf(w, "</p>\n</body>\n</article>\n");
		st = article_parse("m.xml", "m", xml, strlen(xml), &a, &err);
		CHECK(st == XP_OK, "row %zu (%u words): %s", i, rows[i].words,
		    err.reason);
		if (st == XP_OK) {
			CHECK(a->word_count == rows[i].words,
			    "row %zu: word_count %u, want %u", i, a->word_count,
			    rows[i].words);
			CHECK(a->reading_minutes == rows[i].minutes,
			    "row %zu (%u words, explicit %s): %u minutes, want %u", i,
			    rows[i].words, str_or(rows[i].explicit),
			    a->reading_minutes, rows[i].minutes);
			article_unref(a);
		}
		free(xml);
	}
	CHECK_DONE();
}

/* Nesting: 200 deep is fine; past 256 is rejected. */
static void
test_nesting(void **state)
{
	static const struct { unsigned depth; bool ok; } rows[] = {
		{ 200, true },
		{ 256, true },
		{ 257, false },
		{ 258, false },
		{ 300, false },
		{ 5000, false },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		/* article and body are two levels; the rest is <blockquote> */
		unsigned inner = rows[i].depth - 2;
		size_t cap = 256 + inner * 32;
		char *xml = malloc(cap), *w = xml;
		struct article *a = NULL;
		struct xp_error err;
		enum xp_status st;

		assert_non_null(xml);
		w += sprintf(w, MIN_TOP "<body>");
		for (unsigned n = 0; n < inner; n++)
			w += sprintf(w, "<blockquote>");
		w += sprintf(w, "deep");
		for (unsigned n = 0; n < inner; n++)
			w += sprintf(w, "</blockquote>");
		sprintf(w, "</body>\n</article>\n");
		memset(&err, 0, sizeof(err));
		st = article_parse("d.xml", "d", xml, strlen(xml), &a, &err);
		CHECK((st == XP_OK) == rows[i].ok,
		    "row %zu (depth %u): status %s, want %s (%s)", i, rows[i].depth,
		    xp_status_name(st), rows[i].ok ? "OK" : "an error", err.reason);
		if (!rows[i].ok && st != XP_OK)
			CHECK(err.line == 6 && strcmp(err.file, "d.xml") == 0,
			    "row %zu (depth %u): error at %s:%ld, want d.xml:6", i,
			    rows[i].depth, err.file, err.line);
		if (st == XP_OK) {
			CHECK(a->word_count == 1, "row %zu: %u words", i, a->word_count);
			article_unref(a);
		}
		free(xml);
	}
	CHECK_DONE();
}

/* The article page re-parses the kept bytes: same options, same result. */
static void
test_document(void **state)
{
	static const char xml[] = MIN_TOP "<mood>calm</mood>\n<body><p>x</p></body>\n</article>\n";
	struct article *a = NULL;
	struct xp_error err;
	xmlDocPtr doc;
	xmlNodePtr root, n;
	bool mood = false;

	(void)state;
	assert_int_equal(article_parse("p.xml", "p", xml, strlen(xml), &a, &err), XP_OK);
	doc = article_document(a, &err);
	assert_non_null(doc);
	root = xmlDocGetRootElement(doc);
	assert_string_equal((const char *)root->name, "article");
	for (n = root->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, "mood") == 0)
			mood = true;
	assert_true(mood);
	xmlFreeDoc(doc);
	article_unref(a);
	/* article_parse_xml refuses a DOCTYPE on its own too */
	{
		static const char dt[] = "<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>";

		memset(&err, 0, sizeof(err));
		assert_null(article_parse_xml("f.xml", dt, strlen(dt), &err));
		assert_int_not_equal(err.status, XP_OK);
		assert_int_equal(err.line, 1);
	}
}

/* ---- article_load ---- */

static const char good_xml[] =
    MIN_TOP "<body><p>hello</p></body>\n</article>\n";

struct load_fixture {
	char *root;      /* temp root */
	char dir[1024];  /* root/articles */
	char out[1024];  /* root/articles-out: a sibling with a common prefix */
};

static void
load_setup(struct load_fixture *fx)
{
	char path[2048], target[2048];
	char big[4096];

	fx->root = unit_tempdir();
	assert_non_null(fx->root);
	snprintf(fx->dir, sizeof(fx->dir), "%s/articles", fx->root);
	snprintf(fx->out, sizeof(fx->out), "%s/articles-out", fx->root);
	assert_int_equal(mkdir(fx->dir, 0755), 0);
	assert_int_equal(mkdir(fx->out, 0755), 0);
	snprintf(path, sizeof(path), "%s/sub", fx->dir);
	assert_int_equal(mkdir(path, 0755), 0);

	assert_true(unit_write(fx->dir, "good.xml", good_xml, (size_t)-1));
	assert_true(unit_write(fx->dir, "empty.xml", "", 0));
	assert_true(unit_write(fx->dir, "broken.xml", "<article>\n<title>", (size_t)-1));
	assert_true(unit_write(fx->dir, "sub/inner.xml", good_xml, (size_t)-1));
	assert_true(unit_write(fx->out, "secret.xml", good_xml, (size_t)-1));
	assert_true(unit_write(fx->root, "outside.xml", good_xml, (size_t)-1));
	/* 2000 bytes of a valid article: padding in a comment */
	memset(big, 0, sizeof(big));
	snprintf(big, sizeof(big), "%s<!--", good_xml);
	memset(big + strlen(big), 'x', 2001 - strlen(big) - 4);
	strcat(big, "-->\n");
	assert_int_equal(strlen(big), 2001);
	assert_true(unit_write(fx->dir, "big.xml", big, 2001));
	assert_true(unit_write(fx->dir, "locked.xml", good_xml, (size_t)-1));
	snprintf(path, sizeof(path), "%s/locked.xml", fx->dir);
	assert_int_equal(chmod(path, 0), 0);
	snprintf(path, sizeof(path), "%s/dir.xml", fx->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/fifo.xml", fx->dir);
	assert_int_equal(mkfifo(path, 0644), 0);

	/* links */
	snprintf(path, sizeof(path), "%s/link-inside.xml", fx->dir);
	assert_int_equal(symlink("good.xml", path), 0);
	snprintf(path, sizeof(path), "%s/link-sub.xml", fx->dir);
	assert_int_equal(symlink("sub/inner.xml", path), 0);
	snprintf(path, sizeof(path), "%s/link-abs-inside.xml", fx->dir);
	snprintf(target, sizeof(target), "%s/good.xml", fx->dir);
	assert_int_equal(symlink(target, path), 0);
	snprintf(path, sizeof(path), "%s/link-up.xml", fx->dir);
	assert_int_equal(symlink("../outside.xml", path), 0);
	snprintf(path, sizeof(path), "%s/link-sibling.xml", fx->dir);
	assert_int_equal(symlink("../articles-out/secret.xml", path), 0);
	snprintf(path, sizeof(path), "%s/link-passwd.xml", fx->dir);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	snprintf(path, sizeof(path), "%s/link-dangling.xml", fx->dir);
	assert_int_equal(symlink("nowhere.xml", path), 0);
	snprintf(path, sizeof(path), "%s/link-dir-outside.xml", fx->dir);
	assert_int_equal(symlink("..", path), 0);
}

static void
test_load(void **state)
{
	static const struct {
		const char *name;
		size_t max_bytes;
		enum xp_status status;  /* XP__MAX: any error */
		const char *slug;       /* on success */
		bool needs_non_root;
	} rows[] = {
		{ "good.xml", 4096, XP_OK, "good", false },
		{ "big.xml", 1024, XP_ERR_TOO_BIG, NULL, false },
		{ "big.xml", 2000, XP_ERR_TOO_BIG, NULL, false },
		{ "big.xml", 2001, XP_OK, "big", false },
		{ "empty.xml", 4096, XP_ERR__MAX, NULL, false },
		{ "broken.xml", 4096, XP_ERR_PARSE, NULL, false },
		{ "missing.xml", 4096, XP_ERR_IO, NULL, false },
		{ "My Post.xml", 4096, XP_ERR_INVALID, NULL, false },
		{ "notes.txt", 4096, XP_ERR_INVALID, NULL, false },
		{ "dir.xml", 4096, XP_ERR__MAX, NULL, false },
		{ "fifo.xml", 4096, XP_ERR__MAX, NULL, false },
		{ "locked.xml", 4096, XP_ERR_IO, NULL, true },
		/* symbolic links: followed only to a target inside the folder */
		{ "link-inside.xml", 4096, XP_OK, "link-inside", false },
		{ "link-sub.xml", 4096, XP_OK, "link-sub", false },
		{ "link-abs-inside.xml", 4096, XP_OK, "link-abs-inside", false },
		{ "link-up.xml", 4096, XP_ERR__MAX, NULL, false },
		{ "link-sibling.xml", 4096, XP_ERR__MAX, NULL, false },
		{ "link-passwd.xml", 4096, XP_ERR__MAX, NULL, false },
		{ "link-dangling.xml", 4096, XP_ERR__MAX, NULL, false },
		{ "link-dir-outside.xml", 4096, XP_ERR__MAX, NULL, false },
	};
	struct load_fixture fx;

	(void)state;
	load_setup(&fx);
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct article *a = NULL;
		struct file_stamp stamp;
		struct xp_error err;
		enum xp_status st;

		if (rows[i].needs_non_root && geteuid() == 0) {
			print_message("row %zu (%s): skipped as root\n", i, rows[i].name);
			continue;
		}
		memset(&err, 0, sizeof(err));
		memset(&stamp, 0, sizeof(stamp));
		st = article_load(fx.dir, rows[i].name, rows[i].max_bytes, &a,
		    &stamp, &err);
		if (rows[i].status == XP_ERR__MAX)
			CHECK(st != XP_OK, "row %zu (%s): accepted, want an error", i,
			    rows[i].name);
		else
			CHECK(st == rows[i].status, "row %zu (%s): status %s, want %s (%s)",
			    i, rows[i].name, xp_status_name(st),
			    xp_status_name(rows[i].status), err.reason);
		if (st == XP_OK) {
			CHECK(rows[i].slug == NULL || strcmp(a->slug, rows[i].slug) == 0,
			    "row %zu (%s): slug \"%s\"", i, rows[i].name, a->slug);
			CHECK(a->stamp.size == (off_t)a->source_len && a->stamp.ino != 0,
			    "row %zu (%s): stamp not filled", i, rows[i].name);
			CHECK(stamp.ino == a->stamp.ino && stamp.size == a->stamp.size,
			    "row %zu (%s): stamp_out differs", i, rows[i].name);
			CHECK(strcmp(a->title, "T") == 0, "row %zu: title \"%s\"", i, a->title);
			article_unref(a);
		} else {
			CHECK(a == NULL, "row %zu (%s): *out set on failure", i, rows[i].name);
			CHECK(err.status == st && err.reason[0] != '\0',
			    "row %zu (%s): err not filled", i, rows[i].name);
			CHECK(strstr(err.file, rows[i].name) != NULL,
			    "row %zu (%s): error file \"%s\" does not name it", i,
			    rows[i].name, err.file);
		}
		/* the stamp of what was read, even when it was too big */
		if (strcmp(rows[i].name, "big.xml") == 0)
			CHECK(stamp.size == 2001, "row %zu (big.xml): stamp size %lld", i,
			    (long long)stamp.size);
	}
	unit_rmtree(fx.root);
	free(fx.root);
	CHECK_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slug_valid),
		cmocka_unit_test(test_name_kind),
		cmocka_unit_test(test_parse_rows),
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_optional_absent),
		cmocka_unit_test(test_reading_minutes),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_document),
		cmocka_unit_test(test_load),
	};

	xmlInitParser();
	return cmocka_run_group_tests_name("article", tests, NULL, NULL);
}
