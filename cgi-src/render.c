/* render.c - compile the stylesheets once; apply them per request inside
 * a sandbox: no file writes, no network, reads only in the stylesheet
 * folder, and limits that stop a runaway template. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libexslt/exslt.h>
#include <libxml/parser.h>
#include <libxml/xpathInternals.h>
#include <libxslt/documents.h>
#include <libxslt/extensions.h>
#include <libxslt/security.h>
#include <libxslt/transform.h>
#include <libxslt/xsltutils.h>

#include "hash.h"
#include "log.h"
#include "render.h"

/* Limits for one transform: deep enough for any sane page, small enough
 * that a looping template fails in milliseconds instead of eating memory. */
#define MAX_TEMPLATE_DEPTH 1000
#define MAX_TEMPLATE_VARS  100000
#define MAX_XPATH_OPS      50000000UL
#define MAX_INSTRUCTIONS   10000000UL  /* for the whole transform */

static const char *const sheet_names[PAGE__MAX] = {
	[PAGE_LISTING] = "listing.xsl",
	[PAGE_ARTICLE] = "article.xsl",
	[PAGE_ERROR] = "error.xsl",
	[PAGE_TAGS] = "tags.xsl",
	[PAGE_ARCHIVE] = "archive.xsl",
	[PAGE_FEED] = "feed.xsl",
	[PAGE_FEED_JSON] = "feed-json.xsl",
	[PAGE_SITEMAP] = "sitemap.xsl",
};

/* libxslt's own loader, kept so the safe one can delegate to it.  Written
 * once by render_init before any thread exists. */
static xsltDocLoaderFunc default_loader;

/* Every document libxslt loads (imports, includes, document()) is parsed
 * without entity substitution, DTD loading or network access. */
static xmlDocPtr
safe_loader(const xmlChar *uri, xmlDictPtr dict, int options, void *ctxt,
    xsltLoadType type)
{
	options &= ~(XML_PARSE_NOENT | XML_PARSE_DTDLOAD | XML_PARSE_DTDATTR |
	    XML_PARSE_DTDVALID | XML_PARSE_HUGE | XML_PARSE_XINCLUDE);
	options |= XML_PARSE_NONET;
	return default_loader(uri, dict, options, ctxt, type);
}

/* The escaped form of S in a new xmlMalloc'd string (the XPath string
 * value takes it over), in one pass: a stylesheet doing the same with
 * recursive templates copies the text over and over, which made a
 * megabyte of quotes cost seconds.  JSON escapes the quote, the backslash
 * and every control character; HTML escapes &, < and > (and the double
 * quote inside an attribute value). */
static xmlChar *
escape(const xmlChar *s, bool json, bool attribute)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0, i;
	xmlChar *out;

	for (i = 0; s[i]; i++) {
		unsigned char c = s[i];

		if (json)
			n += c == '"' || c == '\\' || c == '\n' || c == '\r' ||
			    c == '\t' ? 2 : c < 0x20 ? 6 : 1;
		else
			n += c == '&' ? 5 : c == '<' || c == '>' ? 4 :
			    c == '"' && attribute ? 6 : 1;
	}
	if ((out = xmlMalloc(n + 1)) == NULL)
		return NULL;
	for (i = 0, n = 0; s[i]; i++) {
		unsigned char c = s[i];
		const char *rep = NULL;

		if (json && (c == '"' || c == '\\'))
			out[n++] = '\\', out[n++] = c;
		else if (json && c < 0x20) {
			out[n++] = '\\';
			if (c == '\n' || c == '\r' || c == '\t')
				out[n++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
			else {
				memcpy(out + n, "u00", 3);
				out[n + 3] = (xmlChar)hex[c >> 4];
				out[n + 4] = (xmlChar)hex[c & 15];
				n += 5;
			}
		} else if (!json && (rep = c == '&' ? "&amp;" : c == '<' ? "&lt;" :
		    c == '>' ? "&gt;" : c == '"' && attribute ? "&quot;" : NULL)) {
			memcpy(out + n, rep, strlen(rep));
			n += strlen(rep);
		} else
			out[n++] = c;
	}
	out[n] = '\0';
	return out;
}

/* The XPath functions xp:json-escape(string) and
 * xp:html-escape(string, attribute?) (namespace RENDER_EXT_NS). */
static void
escape_function(xmlXPathParserContextPtr ctxt, int nargs, bool json)
{
	bool attribute = false;
	xmlChar *s, *out;

	if (nargs < 1 || nargs > (json ? 1 : 2)) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	if (nargs == 2)
		attribute = xmlXPathPopBoolean(ctxt);
	if ((s = xmlXPathPopString(ctxt)) == NULL) {
		xmlXPathSetError(ctxt, XPATH_MEMORY_ERROR);
		return;
	}
	out = escape(s, json, attribute);
	xmlFree(s);
	if (out == NULL) {
		xmlXPathSetError(ctxt, XPATH_MEMORY_ERROR);
		return;
	}
	valuePush(ctxt, xmlXPathWrapString(out));
}

static void
json_escape_function(xmlXPathParserContextPtr ctxt, int nargs)
{
	escape_function(ctxt, nargs, true);
}

static void
html_escape_function(xmlXPathParserContextPtr ctxt, int nargs)
{
	escape_function(ctxt, nargs, false);
}

void
render_init(void)
{
	if (default_loader == NULL)
		default_loader = xsltDocDefaultLoader;
	xsltSetLoaderFunc(safe_loader);
	exsltRegisterAll();
	xsltRegisterExtModuleFunction(BAD_CAST "json-escape",
	    BAD_CAST RENDER_EXT_NS, json_escape_function);
	xsltRegisterExtModuleFunction(BAD_CAST "html-escape",
	    BAD_CAST RENDER_EXT_NS, html_escape_function);
}

const char *
render_sheet_name(enum page_kind kind)
{
	return sheet_names[kind];
}

/* Reading is allowed only below the folder of the stylesheet being run. */
static int
read_inside_sheets(xsltSecurityPrefsPtr sec, xsltTransformContextPtr ctxt,
    const char *value)
{
	char sheet[PATH_MAX], real_dir[PATH_MAX], real_file[PATH_MAX];
	const char *path = value;
	size_t n;

	(void)sec;
	if (ctxt == NULL || ctxt->style == NULL || ctxt->style->doc == NULL ||
	    ctxt->style->doc->URL == NULL || value == NULL)
		return 0;
	if (strncmp(path, "file://", 7) == 0)
		path += 7;
	snprintf(sheet, sizeof(sheet), "%s", (const char *)ctxt->style->doc->URL);
	if (realpath(dirname(sheet), real_dir) == NULL ||
	    realpath(path, real_file) == NULL)
		return 0;
	n = strlen(real_dir);
	if (strncmp(real_file, real_dir, n) != 0 || real_file[n] != '/') {
		log_msg(LOG_WARN, "%s: stylesheet tried to read %s: refused",
		    (const char *)ctxt->style->doc->URL, value);
		return 0;
	}
	return 1;
}

static int
refuse(xsltSecurityPrefsPtr sec, xsltTransformContextPtr ctxt,
    const char *value)
{
	(void)sec;
	log_msg(LOG_WARN, "%s: stylesheet tried to write or reach %s: refused",
	    ctxt && ctxt->style && ctxt->style->doc && ctxt->style->doc->URL ?
	    (const char *)ctxt->style->doc->URL : "stylesheet",
	    value ? value : "?");
	return 0;
}

static xsltSecurityPrefsPtr
make_security(void)
{
	xsltSecurityPrefsPtr sec = xsltNewSecurityPrefs();

	if (sec == NULL)
		return NULL;
	if (xsltSetSecurityPrefs(sec, XSLT_SECPREF_READ_FILE, read_inside_sheets) ||
	    xsltSetSecurityPrefs(sec, XSLT_SECPREF_WRITE_FILE, refuse) ||
	    xsltSetSecurityPrefs(sec, XSLT_SECPREF_CREATE_DIRECTORY, refuse) ||
	    xsltSetSecurityPrefs(sec, XSLT_SECPREF_READ_NETWORK, refuse) ||
	    xsltSetSecurityPrefs(sec, XSLT_SECPREF_WRITE_NETWORK, refuse)) {
		xsltFreeSecurityPrefs(sec);
		return NULL;
	}
	return sec;
}

static enum xp_status
compile_sheet(const char *path, xsltStylesheetPtr *out, struct xp_error *err)
{
	xsltStylesheetPtr style = NULL;
	xmlDocPtr doc;

	log_capture_begin(err);
	doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOCDATA);
	if (doc != NULL) {
		style = xsltParseStylesheetDoc(doc);
		if (style == NULL)
			xmlFreeDoc(doc);
		else if (style->errors > 0) {
			xsltFreeStylesheet(style);
			style = NULL;
		}
	}
	log_capture_end();
	if (style == NULL) {
		if (err != NULL && err->status == XP_OK)
			xp_error_set(err, XP_ERR_PARSE, path, 0,
			    "cannot read or compile the stylesheet");
		else if (err != NULL && err->file[0] == '\0')
			snprintf(err->file, sizeof(err->file), "%.500s", path);
		return err ? err->status : XP_ERR_PARSE;
	}
	*out = style;
	return XP_OK;
}

static const char *const asset_names[ASSET__MAX] = {
	[ASSET_CSS] = "style.css",
	[ASSET_ICON] = "favicon.svg",
};

static const char *const asset_types[ASSET__MAX] = {
	[ASSET_CSS] = "text/css; charset=utf-8",
	[ASSET_ICON] = "image/svg+xml",
};

const char *
render_asset_name(enum asset_kind kind)
{
	return asset_names[kind];
}

const char *
render_asset_type(enum asset_kind kind)
{
	return asset_types[kind];
}

static enum xp_status
read_asset(const char *path, struct asset *out, struct xp_error *err)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return xp_error_set(err, XP_ERR_IO, path, 0, "%s", strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (8 << 20)) {
		close(fd);
		return xp_error_set(err, XP_ERR_INVALID, path, 0,
		    "not a regular file of at most 8 MiB");
	}
	if ((out->data = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return xp_error_set(err, XP_ERR_NOMEM, path, 0, "out of memory");
	}
	while (got < (size_t)st.st_size &&
	    (n = read(fd, out->data + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	out->len = got;
	snprintf(out->etag, sizeof(out->etag), "\"%016llx\"",
	    (unsigned long long)hash_bytes(HASH_INIT, out->data, got));
	return XP_OK;
}

/* Folds a value for every regular file of DIR into one number, in an
 * order-independent way (XOR), so readdir's order does not matter.  With
 * CONTENT the files' bytes are hashed, else only their stat. */
static uint64_t
fold_dir(const char *dir, bool content)
{
	char path[PATH_MAX];
	struct dirent *de;
	uint64_t total = 0;
	struct stat st;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		uint64_t h = hash_str(HASH_INIT, de->d_name);

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_name[0] == '.' || stat(path, &st) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (content) {
			char chunk[8192];
			ssize_t n;
			int fd = open(path, O_RDONLY | O_CLOEXEC);

			while (fd >= 0 && (n = read(fd, chunk, sizeof(chunk))) > 0)
				h = hash_bytes(h, chunk, (size_t)n);
			if (fd >= 0)
				close(fd);
		} else {
			h = hash_u64(h, (uint64_t)st.st_size);
			h = hash_u64(h, (uint64_t)st.st_ino);
			h = hash_u64(h, (uint64_t)st.st_mtim.tv_sec);
			h = hash_u64(h, (uint64_t)st.st_mtim.tv_nsec);
		}
		total ^= h;
	}
	closedir(d);
	return total;
}

uint64_t
stylesheets_dir_stamp(const char *dir)
{
	return fold_dir(dir, false);
}

enum xp_status
stylesheets_load(const char *dir, struct stylesheets **out,
    struct xp_error *err)
{
	struct stylesheets *s = calloc(1, sizeof(*s));
	enum xp_status st = XP_OK;
	char path[PATH_MAX];

	if (s == NULL)
		return xp_error_set(err, XP_ERR_NOMEM, dir, 0, "out of memory");
	atomic_init(&s->refs, 1);
	s->loaded_at = time(NULL);
	s->fingerprint = fold_dir(dir, true);
	for (int k = 0; k < PAGE__MAX && st == XP_OK; k++) {
		snprintf(path, sizeof(path), "%s/%s", dir, sheet_names[k]);
		st = compile_sheet(path, &s->sheets[k], err);
	}
	for (int k = 0; k < ASSET__MAX && st == XP_OK; k++) {
		snprintf(path, sizeof(path), "%s/%s", dir, asset_names[k]);
		st = read_asset(path, &s->assets[k], err);
	}
	/* Security preferences are set after compiling: imports must load. */
	if (st == XP_OK && (s->security = make_security()) == NULL)
		st = xp_error_set(err, XP_ERR_NOMEM, dir, 0, "out of memory");
	if (st != XP_OK) {
		stylesheets_unref(s);
		return st;
	}
	*out = s;
	return XP_OK;
}

struct stylesheets *
stylesheets_ref(struct stylesheets *s)
{
	if (s != NULL)
		atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

void
stylesheets_unref(struct stylesheets *s)
{
	if (s == NULL ||
	    atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (int k = 0; k < PAGE__MAX; k++)
		if (s->sheets[k] != NULL)
			xsltFreeStylesheet(s->sheets[k]);
	if (s->security != NULL)
		xsltFreeSecurityPrefs(s->security);
	for (int k = 0; k < ASSET__MAX; k++)
		free(s->assets[k].data);
	free(s);
}

enum xp_status
render_apply(const struct stylesheets *s, enum page_kind kind,
    xmlDocPtr input, const char **params, struct buf *out, const char *what,
    struct xp_error *err)
{
	xsltStylesheetPtr style = s->sheets[kind];
	xsltTransformContextPtr ctxt;
	struct xp_error captured;
	xmlChar *bytes = NULL;
	xmlDocPtr result;
	int len = 0;
	bool failed;

	if ((ctxt = xsltNewTransformContext(style, input)) == NULL)
		return xp_error_set(err, XP_ERR_NOMEM, what, 0, "out of memory");
	xsltSetCtxtSecurityPrefs(s->security, ctxt);
	ctxt->parserOptions = XML_PARSE_NONET | XML_PARSE_NOCDATA;
	ctxt->maxTemplateDepth = MAX_TEMPLATE_DEPTH;
	ctxt->maxTemplateVars = MAX_TEMPLATE_VARS;
	if (ctxt->xpathCtxt != NULL)
		ctxt->xpathCtxt->opLimit = MAX_XPATH_OPS;
	/* Instructions are counted across the whole transform, so that a
	 * template recursing exponentially on cheap expressions stops too;
	 * the largest real page, a 100,000-article sitemap, needs well under
	 * a million. */
	ctxt->opLimit = MAX_INSTRUCTIONS;
	log_capture_begin(&captured);
	result = xsltApplyStylesheetUser(style, input, params, NULL, NULL, ctxt);
	log_capture_end();
	failed = result == NULL || ctxt->state != XSLT_STATE_OK;
	xsltFreeTransformContext(ctxt);
	if (failed) {
		xmlFreeDoc(result);
		return xp_error_set(err, XP_ERR_INVALID, sheet_names[kind], 0,
		    "transform failed for %s: %s", what,
		    captured.reason[0] ? captured.reason : "unknown error");
	}
	if (xsltSaveResultToString(&bytes, &len, result, style) != 0) {
		xmlFreeDoc(result);
		return xp_error_set(err, XP_ERR_NOMEM, what, 0,
		    "cannot serialise the page");
	}
	xmlFreeDoc(result);
	buf_append(out, bytes, (size_t)len);
	xmlFree(bytes);
	return out->failed ? xp_error_set(err, XP_ERR_NOMEM, what, 0,
	    "out of memory") : XP_OK;
}
