/* test-media.c - articles' own files: the dimension probe over real files
 * of every type and over truncated and corrupt ones, the heading id
 * maker, names and types, and the URLs a page writes for its images with
 * and without a base path (through the real site and stylesheets). */
#include "unit.h"

#include "heading.h"
#include "imgprobe.h"
#include "media.h"
#include "request.h"
#include "route.h"
#include "server.h"

#define FIXTURES "tests/fixtures/images"

/* Reads FIXTURES/NAME into a malloc'd buffer (*LEN bytes), or NULL. */
static unsigned char *
slurp(const char *name, size_t *len)
{
	char path[512];
	unsigned char *data;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	data = malloc(n > 0 ? (size_t)n : 1);
	*len = data ? fread(data, 1, (size_t)n, f) : 0;
	fclose(f);
	return data;
}

/* ---- the probe ---- */

static const struct {
	const char *file;
	enum img_type type;
	unsigned w, h;
} probe_rows[] = {
	{ "photo.png", IMG_PNG, 64, 40 },
	{ "photo.jpg", IMG_JPEG, 48, 30 },
	{ "photo.gif", IMG_GIF, 24, 16 },
	{ "photo.webp", IMG_WEBP, 32, 20 },
	{ "photo.avif", IMG_AVIF, 64, 40 },
	{ "diagram.svg", IMG_SVG, 320, 180 },
	{ "viewbox.svg", IMG_SVG, 400, 225 },
	{ "script.svg", IMG_SVG, 10, 10 },
};

static void
test_probe_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS(probe_rows); i++) {
		size_t len = 0;
		unsigned char *data = slurp(probe_rows[i].file, &len);
		unsigned w, h;
		enum img_type t;

		CHECK(data != NULL, "row %zu (%s): cannot read the fixture", i,
		    probe_rows[i].file);
		if (data == NULL)
			continue;
		t = imgprobe(data, len, &w, &h);
		CHECK(t == probe_rows[i].type && w == probe_rows[i].w &&
		    h == probe_rows[i].h, "row %zu (%s): %s %ux%u, expected %s %ux%u",
		    i, probe_rows[i].file, imgprobe_name(t), w, h,
		    imgprobe_name(probe_rows[i].type), probe_rows[i].w,
		    probe_rows[i].h);
		/* Every cut of the file: never a crash, never a wrong size. */
		for (size_t cut = 0; cut < len; cut++) {
			unsigned char *part = malloc(cut ? cut : 1);

			memcpy(part, data, cut);
			imgprobe(part, cut, &w, &h);
			CHECK((w == 0 && h == 0) || (w == probe_rows[i].w &&
			    h == probe_rows[i].h), "row %zu (%s) cut at %zu: %ux%u",
			    i, probe_rows[i].file, cut, w, h);
			free(part);
		}
		free(data);
	}
	CHECK_DONE();
}

/* Hand-made bytes: corrupt headers, odd SVGs. */
static const struct {
	const char *what;
	const char *bytes;
	size_t len;              /* 0: strlen */
	enum img_type type;
	unsigned w, h;
} bytes_rows[] = {
	{ "empty", "", 0, IMG_UNKNOWN, 0, 0 },
	{ "text", "hello", 0, IMG_UNKNOWN, 0, 0 },
	{ "png signature only", "\x89PNG\r\n\x1a\n", 8, IMG_PNG, 0, 0 },
	{ "png with a zero width",
	  "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\0\0\0\0\x10\x08\x02\0\0\0", 29,
	  IMG_PNG, 0, 0 },
	{ "jpeg without a frame", "\xFF\xD8\xFF\xD9", 4, IMG_JPEG, 0, 0 },
	{ "gif header only", "GIF89a", 6, IMG_GIF, 0, 0 },
	{ "riff but not webp", "RIFF\0\0\0\0WAVEfmt ", 16, IMG_UNKNOWN, 0, 0 },
	{ "webp with a bad chunk", "RIFF\x20\0\0\0WEBPVP8 \xff\xff\xff\xff", 20,
	  IMG_WEBP, 0, 0 },
	{ "avif box running past the end",
	  "\0\0\0\x14" "ftypavif\0\0\0\0mif1" "\xff\xff\xff\xff" "meta", 28,
	  IMG_AVIF, 0, 0 },
	{ "avif with a 64-bit size of 0",
	  "\0\0\0\x14" "ftypavif\0\0\0\0mif1" "\0\0\0\x01" "meta"
	  "\0\0\0\0\0\0\0\0", 36, IMG_AVIF, 0, 0 },
	{ "svg in pt", "<svg xmlns='http://www.w3.org/2000/svg' width='30pt' height='15pt'/>",
	  0, IMG_SVG, 40, 20 },
	{ "svg width and viewBox", "<svg width='200' viewBox='0 0 100 50'/>",
	  0, IMG_SVG, 200, 100 },
	{ "svg in percent", "<svg width='100%' height='100%'/>", 0, IMG_SVG, 0, 0 },
	{ "svg negative viewBox", "<svg viewBox='0 0 -5 10'/>", 0, IMG_SVG, 0, 0 },
	{ "svg huge", "<svg width='1e9' height='10'/>", 0, IMG_SVG, 0, 0 },
	{ "not svg root", "<html width='10' height='10'/>", 0, IMG_SVG, 0, 0 },
	{ "svg with entities",
	  "<!DOCTYPE svg [<!ENTITY a 'aaaa'>]><svg width='10' height='10'>&a;</svg>",
	  0, IMG_SVG, 0, 0 },
	{ "broken xml", "<svg width='10' height='10'", 0, IMG_SVG, 0, 0 },
};

static void
test_probe_bytes(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS(bytes_rows); i++) {
		size_t len = bytes_rows[i].len ? bytes_rows[i].len
		    : strlen(bytes_rows[i].bytes);
		unsigned char *copy = malloc(len ? len : 1);  /* exact size: ASan */
		unsigned w, h;
		enum img_type t;

		memcpy(copy, bytes_rows[i].bytes, len);
		t = imgprobe(copy, len, &w, &h);
		CHECK(t == bytes_rows[i].type && w == bytes_rows[i].w &&
		    h == bytes_rows[i].h, "row %zu (%s): %s %ux%u, expected %s %ux%u",
		    i, bytes_rows[i].what, imgprobe_name(t), w, h,
		    imgprobe_name(bytes_rows[i].type), bytes_rows[i].w,
		    bytes_rows[i].h);
		free(copy);
	}
	CHECK_DONE();
}

/* ---- heading ids ---- */

static const struct {
	const char *texts[5];
	const char *ids[5];
} id_rows[] = {
	{ { "Zero-copy transfers" }, { "zero-copy-transfers" } },
	{ { "  Why?  It's (mostly) I/O!  " }, { "why-it-s-mostly-i-o" } },
	{ { "Überblick — Größe" }, { "überblick-größe" } },
	{ { "Ωmega ΣΤΑΣΗ" }, { "ωmega-σταση" } },
	{ { "Привет Мир" }, { "привет-мир" } },
	{ { "日本語の見出し" }, { "日本語の見出し" } },
	{ { "Emoji 🚀 rocket" }, { "emoji-rocket" } },
	{ { "" }, { "section" } },
	{ { "!!!" }, { "section" } },
	{ { "Setup", "Setup", "setup", "Setup-2" },
	  { "setup", "setup-2", "setup-3", "setup-2-2" } },
	{ { "Keep reading" }, { "keep-reading-2" } },   /* reserved by the page */
};

static void
test_heading_ids(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS(id_rows); i++) {
		struct heading_ids ids = { 0 };
		char id[HEADING_ID_MAX + 16];

		heading_ids_take(&ids, "keep-reading");
		for (size_t k = 0; k < 5 && id_rows[i].texts[k] != NULL; k++) {
			heading_make_id(&ids, id_rows[i].texts[k], id, sizeof(id));
			CHECK(str_eq(id, id_rows[i].ids[k]),
			    "row %zu.%zu (%s): \"%s\", expected \"%s\"", i, k,
			    id_rows[i].texts[k], id, id_rows[i].ids[k]);
		}
		heading_ids_release(&ids);
	}
	CHECK_DONE();
}

/* A long heading is cut at a character boundary, never mid-sequence. */
static void
test_heading_long(void **state)
{
	struct heading_ids ids = { 0 };
	char text[400] = "", id[HEADING_ID_MAX + 16];

	(void)state;
	for (int i = 0; i < 60; i++)
		strcat(text, "é");
	heading_make_id(&ids, text, id, sizeof(id));
	CHECK(strlen(id) <= HEADING_ID_MAX && strlen(id) % 2 == 0,
	    "cut id \"%s\" (%zu bytes)", id, strlen(id));
	heading_ids_release(&ids);
	CHECK_DONE();
}

/* ---- names and references ---- */

static const struct {
	const char *name;
	bool valid;
	const char *type;     /* NULL: not served */
	bool own;             /* media_ref_is_own */
} name_rows[] = {
	{ "photo.png", true, "image/png", true },
	{ "Photo_2.JPG", true, "image/jpeg", true },
	{ "diagram.svg", true, "image/svg+xml", true },
	{ "notes.txt", true, "text/plain; charset=utf-8", true },
	{ "config.yaml", true, "text/plain; charset=utf-8", true },
	{ "article.xml", true, NULL, true },
	{ "run.sh", true, NULL, true },
	{ "page.html", true, NULL, true },
	{ "photo.png~", false, NULL, true },
	{ ".hidden.png", false, "image/png", true },
	{ "..", false, NULL, true },
	{ "../x.png", false, "image/png", true },
	{ "sub/x.png", false, "image/png", true },
	{ "a b.png", false, "image/png", true },
	{ "x%2e.png", false, "image/png", true },
	{ "", false, NULL, false },
	{ "noext", true, NULL, true },
	{ "https://example.org/x.png", false, "image/png", false },
	{ "/abs.png", false, "image/png", false },
	{ "#frag", false, NULL, false },
	{ "mailto:a@b", false, NULL, false },
	{ "?v=1", false, NULL, false },
};

static void
test_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS(name_rows); i++) {
		bool image;
		const char *type = media_type(name_rows[i].name, &image);

		CHECK(media_name_valid(name_rows[i].name) == name_rows[i].valid,
		    "row %zu (%s): valid", i, name_rows[i].name);
		CHECK(str_eq(type, name_rows[i].type), "row %zu (%s): type %s",
		    i, name_rows[i].name, str_or(type));
		CHECK(media_ref_is_own(name_rows[i].name) == name_rows[i].own,
		    "row %zu (%s): own", i, name_rows[i].name);
	}
	CHECK_DONE();
}

/* ---- a site: URLs with and without a base path ---- */

static struct server servers[2];      /* [0]: base "/", [1]: "/blog/" */
static bool servers_up[2];
static char *site_dir;

static const char article_xml[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<article>\n"
	"<title>Pictures</title>\n<published>2026-01-10</published>\n"
	"<summary>Pictures.</summary>\n<body>\n"
	"<p><img src=\"photo.png\" alt=\"first\"/></p>\n"
	"<p><img src=\"diagram.svg\" alt=\"second\"/>"
	"<a href=\"photo.gif\">gif</a><a href=\"https://example.org/x.png\">ext</a>"
	"<img src=\"missing.png\" alt=\"gone\"/></p>\n"
	"</body>\n</article>\n";

static bool
copy_fixture(const char *name, const char *dir)
{
	size_t len;
	unsigned char *data = slurp(name, &len);
	bool ok = data != NULL && unit_write(dir, name, (const char *)data, len);

	free(data);
	return ok;
}

static int
site_setup(void **state)
{
	char sub[4096];

	(void)state;
	if ((site_dir = unit_tempdir()) == NULL ||
	    !unit_write(site_dir, "pics.xml", article_xml, (size_t)-1))
		return -1;
	unit_path(sub, sizeof(sub), site_dir, "pics");
	if (mkdir(sub, 0755) != 0 || !copy_fixture("photo.png", sub) ||
	    !copy_fixture("photo.gif", sub) || !copy_fixture("diagram.svg", sub))
		return -1;
	for (int k = 0; k < 2; k++) {
		struct config *cfg = config_new_defaults();
		struct xp_error err;

		if (cfg == NULL ||
		    config_set(cfg, "articles_dir", site_dir, "test", 0, &err) ||
		    config_set(cfg, "xslt_dir", "xslt", "test", 0, &err) ||
		    config_set(cfg, "base_url", "https://blog.example", "test", 0,
		    &err) ||
		    config_set(cfg, "base_path", k ? "/blog/" : "/", "test", 0, &err) ||
		    server_init(&servers[k], cfg, &err) != XP_OK) {
			print_error("setup: %s: %s\n", err.file, err.reason);
			config_free(cfg);
			return -1;
		}
		config_free(cfg);
		servers_up[k] = true;
	}
	return 0;
}

static int
site_teardown(void **state)
{
	(void)state;
	for (int k = 0; k < 2; k++)
		if (servers_up[k])
			server_release(&servers[k]);
	unit_rmtree(site_dir);
	free(site_dir);
	return 0;
}

static const char *
get_param(void *ctx, const char *name)
{
	if (strcmp(name, "REQUEST_METHOD") == 0)
		return "GET";
	if (strcmp(name, "REQUEST_URI") == 0)
		return ctx;
	if (strcmp(name, "QUERY_STRING") == 0)
		return strchr(ctx, '?') ? strchr(ctx, '?') + 1 : "";
	return NULL;
}

/* GETs URI from server K; returns the whole response (caller frees). */
static char *
get(int k, const char *uri)
{
	struct buf b = BUF_INIT;
	struct request req;
	struct xp_error err;
	struct site *site;
	size_t header_len;

	if (request_parse(&req, get_param, (void *)uri,
	    servers[k].cfg->base_path, &err) != XP_OK)
		return NULL;
	site = server_site(&servers[k]);
	route_respond(site, NULL, &req, time(NULL), &b, &header_len);
	site_unref(site);
	request_release(&req);
	buf_append(&b, "", 1);
	return b.data;
}

/* The fingerprint of FIXTURES/NAME as media.c computes it. */
static void
version_of(const char *name, char *out, size_t size)
{
	struct media_info info;

	out[0] = '\0';
	if (media_open(NULL, site_dir, "pics", name, 1 << 20, NULL, &info,
	    NULL) == MEDIA_OK)
		snprintf(out, size, "%s", info.version);
}

static void
test_urls(void **state)
{
	static const char *const bases[2] = { "/", "/blog/" };
	char png[32], svg[32], gif[32];

	(void)state;
	version_of("photo.png", png, sizeof(png));
	version_of("diagram.svg", svg, sizeof(svg));
	version_of("photo.gif", gif, sizeof(gif));
	CHECK(png[0] && svg[0] && gif[0], "fingerprints %s %s %s", png, svg, gif);
	for (int k = 0; k < 2; k++) {
		char uri[256], want[7][512];
		char *page, *feed;

		snprintf(uri, sizeof(uri), "%sarticles/pics/", bases[k]);
		page = get(k, uri);
		snprintf(uri, sizeof(uri), "%sfeed.xml", bases[k]);
		feed = get(k, uri);
		snprintf(want[0], sizeof(want[0]), "<img src=\"%sarticles/pics/photo.png?v=%s\" alt=\"first\" width=\"64\" height=\"40\">", bases[k], png);
		snprintf(want[1], sizeof(want[1]), "<img src=\"%sarticles/pics/diagram.svg?v=%s\" alt=\"second\" width=\"320\" height=\"180\" loading=\"lazy\" decoding=\"async\">", bases[k], svg);
		snprintf(want[2], sizeof(want[2]), "<a href=\"%sarticles/pics/photo.gif?v=%s\">gif</a>", bases[k], gif);
		snprintf(want[3], sizeof(want[3]), "<a href=\"https://example.org/x.png\">ext</a>");
		snprintf(want[4], sizeof(want[4]), "<img src=\"missing.png\" alt=\"gone\"");
		snprintf(want[5], sizeof(want[5]), "<meta property=\"og:image\" content=\"https://blog.example%sarticles/pics/photo.png?v=%s\">", bases[k], png);
		snprintf(want[6], sizeof(want[6]), "src=\"https://blog.example%sarticles/pics/diagram.svg?v=%s\"", bases[k], svg);
		for (int w = 0; w < 6; w++)
			CHECK(page != NULL && strstr(page, want[w]) != NULL,
			    "base %s: page lacks %s", bases[k], want[w]);
		CHECK(feed != NULL && strstr(feed, want[6]) != NULL,
		    "base %s: feed lacks %s", bases[k], want[6]);
		snprintf(want[0], sizeof(want[0]), "url=\"https://blog.example%sarticles/pics/photo.png?v=%s\"", bases[k], png);
		CHECK(feed != NULL && strstr(feed, want[0]) != NULL,
		    "base %s: feed lacks the entry image %s", bases[k], want[0]);
		free(page);
		free(feed);
	}
	CHECK_DONE();
}

/* The file itself: type, fingerprint ETag, the long cache only with ?v=. */
static void
test_serve(void **state)
{
	char png[32], uri[256], etag[64];
	char *r;

	(void)state;
	version_of("photo.png", png, sizeof(png));
	snprintf(uri, sizeof(uri), "/blog/articles/pics/photo.png?v=%s", png);
	r = get(1, uri);
	snprintf(etag, sizeof(etag), "ETag: \"%s\"", png);
	CHECK(r && strncmp(r, "Status: 200", 11) == 0, "%s: %.40s", uri, str_or(r));
	CHECK(r && strstr(r, "Content-Type: image/png\r\n") != NULL, "type");
	CHECK(r && strstr(r, etag) != NULL, "etag");
	CHECK(r && strstr(r, "max-age=31536000, immutable") != NULL, "immutable");
	free(r);
	r = get(1, "/blog/articles/pics/photo.png");
	CHECK(r && strstr(r, "immutable") == NULL, "no ?v=: not immutable");
	free(r);
	r = get(0, "/articles/pics/diagram.svg");
	CHECK(r && strstr(r, "Content-Security-Policy: default-src 'none'; "
	    "style-src 'unsafe-inline'; sandbox\r\n") != NULL, "svg csp");
	free(r);
	r = get(0, "/articles/pics/pics.xml");
	CHECK(r && strncmp(r, "Status: 404", 11) == 0, "xml: %.40s", str_or(r));
	free(r);
	CHECK_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_files),
		cmocka_unit_test(test_probe_bytes),
		cmocka_unit_test(test_heading_ids),
		cmocka_unit_test(test_heading_long),
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_urls, site_setup, site_teardown),
		cmocka_unit_test_setup_teardown(test_serve, site_setup, site_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
