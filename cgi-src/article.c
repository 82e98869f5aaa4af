/* article.c - read one article file, check it against the format, keep its
 * metadata.  Everything a writer can get wrong is reported here, once, with
 * the file, the line and the reason. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>

#include "article.h"
#include "hash.h"

/* The one set of parser options articles are read with.  Never NOENT,
 * DTDLOAD or HUGE: no entity is expanded, nothing fetched, and libxml2's
 * depth limit of 256 stays in force. */
#define ARTICLE_PARSE_OPTIONS \
	(XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES | \
	 XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

bool
article_slug_valid(const char *s, size_t len)
{
	bool after_dash = true;

	if (len == 0 || len > SLUG_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '-') {
			if (after_dash)
				return false;
			after_dash = true;
		} else if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')) {
			after_dash = false;
		} else {
			return false;
		}
	}
	return !after_dash;
}

enum name_kind
article_name_kind(const char *name, char *slug)
{
	size_t len = strlen(name);

	/* Dotfiles, editor swap and backup files, and anything that does not
	 * end in ".xml" are not articles and not worth a warning. */
	if (name[0] == '.' || name[0] == '#' || len <= 4 ||
	    strcmp(name + len - 4, ".xml") != 0)
		return NAME_IGNORED;
	if (!article_slug_valid(name, len - 4))
		return NAME_BAD_SLUG;
	memcpy(slug, name, len - 4);
	slug[len - 4] = '\0';
	return NAME_ARTICLE;
}

/* What the parser's error hook keeps: the first error, not libxml2's last. */
struct parse_state {
	const char *path;
	struct xp_error *err;
	bool failed;
};

static void
first_error(void *user, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = user;
	struct parse_state *ps = ctxt->_private;

	if (ps->failed || e->level < XML_ERR_ERROR)
		return;
	ps->failed = true;
	xp_error_set(ps->err, XP_ERR_PARSE, ps->path, e->line, "%s",
	    e->message ? e->message : "not well-formed");
	/* libxml2 messages end in a newline; the log adds its own. */
	if (ps->err != NULL)
		ps->err->reason[strcspn(ps->err->reason, "\n")] = '\0';
}

/* A DOCTYPE is refused at the point it appears, before any of its
 * declarations can be read. */
static void
reject_doctype(void *user, const xmlChar *name, const xmlChar *external_id,
    const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = user;
	struct parse_state *ps = ctxt->_private;

	(void)name;
	(void)external_id;
	(void)system_id;
	if (!ps->failed) {
		ps->failed = true;
		xp_error_set(ps->err, XP_ERR_INVALID, ps->path,
		    xmlSAX2GetLineNumber(ctxt),
		    "a DOCTYPE is not allowed in an article");
	}
	xmlStopParser(ctxt);
}

/* The format's limit: elements nested deeper than this are rejected.
 * libxml2 stops near it too, but one level off; this is the exact rule. */
#define ARTICLE_MAX_DEPTH 256

/* Returns the first element deeper than ARTICLE_MAX_DEPTH, or NULL. */
static xmlNodePtr
too_deep(xmlNodePtr root)
{
	xmlNodePtr n = root;
	int depth = 1;

	while (n != NULL) {
		if (depth > ARTICLE_MAX_DEPTH && n->type == XML_ELEMENT_NODE)
			return n;
		if (n->children != NULL && n->children->type != XML_ENTITY_DECL) {
			n = n->children;
			depth++;
			continue;
		}
		while (n != NULL && n->next == NULL && n != root) {
			n = n->parent;
			depth--;
		}
		if (n == NULL || n == root)
			break;
		n = n->next;
	}
	return NULL;
}

xmlDocPtr
article_parse_xml(const char *path, const char *bytes, size_t len,
    struct xp_error *err)
{
	struct parse_state ps = { path, err, false };
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;

	if (len > INT_MAX) {
		xp_error_set(err, XP_ERR_TOO_BIG, path, 0, "file too large");
		return NULL;
	}
	/* UTF-8 text never holds a NUL byte; UTF-16 and UTF-32 always do,
	 * declared or not (a byte-order mark is enough for libxml2). */
	if (memchr(bytes, '\0', len) != NULL) {
		const char *nul = memchr(bytes, '\0', len);
		long line = 1;

		for (const char *c = bytes; c < nul; c++)
			line += *c == '\n';
		xp_error_set(err, XP_ERR_INVALID, path, line,
		    "a NUL byte: articles are UTF-8 text");
		return NULL;
	}
	if ((ctxt = xmlNewParserCtxt()) == NULL) {
		xp_error_set(err, XP_ERR_NOMEM, path, 0, "out of memory");
		return NULL;
	}
	ctxt->_private = &ps;
	ctxt->sax->serror = first_error;
	ctxt->sax->internalSubset = reject_doctype;
	ctxt->sax->externalSubset = NULL;
	doc = xmlCtxtReadMemory(ctxt, bytes, (int)len, path, NULL,
	    ARTICLE_PARSE_OPTIONS);
	if (doc != NULL && (ps.failed || !ctxt->wellFormed)) {
		xmlFreeDoc(doc);
		doc = NULL;
	}
	if (doc == NULL && !ps.failed)
		xp_error_set(err, XP_ERR_PARSE, path, 0, "not well-formed XML");
	if (doc != NULL && doc->encoding != NULL &&
	    xmlStrcasecmp(doc->encoding, BAD_CAST "UTF-8") != 0) {
		xp_error_set(err, XP_ERR_INVALID, path, 1,
		    "encoding \"%s\" declared; articles are UTF-8", doc->encoding);
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(ctxt);
	if (doc != NULL) {
		xmlNodePtr deep = too_deep(xmlDocGetRootElement(doc));

		if (deep != NULL) {
			xp_error_set(err, XP_ERR_INVALID, path, xmlGetLineNo(deep),
			    "elements nested deeper than %d levels",
			    ARTICLE_MAX_DEPTH);
			xmlFreeDoc(doc);
			doc = NULL;
		}
	}
	return doc;
}

/* Returns the text of NODE with runs of white space folded to one space
 * and trimmed (caller frees), or NULL when it has element children: the
 * format says these fields are plain text. */
static char *
plain_text(xmlNodePtr node)
{
	xmlChar *raw;
	char *out, *w;
	bool space = false;

	for (xmlNodePtr c = node->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return NULL;
	if ((raw = xmlNodeGetContent(node)) == NULL)
		return strdup("");
	if ((out = malloc(strlen((char *)raw) + 1)) == NULL) {
		xmlFree(raw);
		return NULL;
	}
	w = out;
	for (const char *r = (char *)raw; *r; r++) {
		if (isspace((unsigned char)*r)) {
			space = w != out;
			continue;
		}
		if (space)
			*w++ = ' ';
		space = false;
		*w++ = *r;
	}
	*w = '\0';
	xmlFree(raw);
	return out;
}

/* Counts words in the string value of NODE: runs of non-space characters,
 * with element boundaries not splitting a word (as XPath string() reads). */
static void
count_words(xmlNodePtr node, bool *in_word, unsigned *words,
    struct search_words *sw, struct buf *terms)
{
	for (xmlNodePtr c = node->children; c != NULL; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			const xmlChar *p = c->content;
			size_t len = p ? strlen((const char *)p) : 0;
			unsigned n = *words;
			bool in = *in_word;

			if (len > 0)
				search_collect(sw, terms, FIELD_BODY,
				    (const char *)p, len);
			/* Counted in locals, without a branch a byte: the
			 * pointers' loads and stores made this loop 3% of a
			 * cold start.  XML text holds no control character
			 * but tab, LF and CR, so "at most a space" is exactly
			 * space, tab, LF or CR. */
			for (size_t i = 0; i < len; i++) {
				bool space = p[i] <= ' ';

				n += !space && !in;
				in = !space;
			}
			*words = n;
			*in_word = in;
		} else if (c->type == XML_ELEMENT_NODE) {
			count_words(c, in_word, words, sw, terms);
		}
	}
}

static bool
is_element(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns == NULL &&
	    xmlStrcmp(n->name, BAD_CAST name) == 0;
}

static enum xp_status
add_tag(struct article *a, const char *path, xmlNodePtr node,
    struct xp_error *err)
{
	char *tag = plain_text(node), **grown;

	if (tag == NULL || tag[0] == '\0' ||
	    strspn(tag, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(tag) ||
	    strlen(tag) > SLUG_MAX) {
		free(tag);
		return xp_error_set(err, XP_ERR_INVALID, path, xmlGetLineNo(node),
		    "<tag> must be lowercase letters, digits and '-' (at most %d)",
		    SLUG_MAX);
	}
	for (size_t i = 0; i < a->ntags; i++)
		if (strcmp(a->tags[i], tag) == 0) {
			free(tag);
			return XP_OK;
		}
	if ((grown = realloc(a->tags, (a->ntags + 1) * sizeof(*grown))) == NULL) {
		free(tag);
		return xp_error_set(err, XP_ERR_NOMEM, path, 0, "out of memory");
	}
	a->tags = grown;
	a->tags[a->ntags++] = tag;
	return XP_OK;
}

/* The fields that are plain text, and where each one goes. */
struct text_field {
	const char *name;
	size_t offset;
	bool required;
};

static const struct text_field text_fields[] = {
	{ "title", offsetof(struct article, title), true },
	{ "summary", offsetof(struct article, summary), true },
	{ "author", offsetof(struct article, author), false },
};

static enum xp_status
take_date(const char *path, xmlNodePtr node, struct xp_date *out,
    struct xp_error *err)
{
	char *text = plain_text(node);
	bool ok = text != NULL && date_parse(text, out);

	if (!ok) {
		xp_error_set(err, XP_ERR_INVALID, path, xmlGetLineNo(node),
		    "<%s> \"%.40s\" is not YYYY-MM-DD or an RFC 3339 date-time",
		    node->name, text ? text : "");
	}
	free(text);
	return ok ? XP_OK : XP_ERR_INVALID;
}

static enum xp_status
take_minutes(const char *path, xmlNodePtr node, unsigned *out,
    struct xp_error *err)
{
	char *text = plain_text(node), *end = NULL;
	unsigned long n = 0;
	bool ok;

	if (text != NULL && isdigit((unsigned char)text[0]))
		n = strtoul(text, &end, 10);
	ok = end != NULL && *end == '\0' && n >= 1 &&
	    n <= ARTICLE_MAX_READING_MINUTES;
	free(text);
	if (!ok)
		return xp_error_set(err, XP_ERR_INVALID, path, xmlGetLineNo(node),
		    "<reading-minutes> must be a whole number from 1 to %d",
		    ARTICLE_MAX_READING_MINUTES);
	*out = (unsigned)n;
	return XP_OK;
}

/* Walks the root's children once, filling A.  Unknown elements are left
 * for the stylesheets, as the format promises. */
static enum xp_status
extract(struct article *a, const char *path, xmlNodePtr root,
    struct search_words *words, struct xp_error *err)
{
	struct search_words *sw = words, *own = NULL;
	xmlNodePtr body = NULL, published = NULL;
	struct buf terms = BUF_INIT;
	enum xp_status st = XP_OK;
	bool in_word = false;

	for (xmlNodePtr n = root->children; n != NULL && st == XP_OK; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || n->ns != NULL)
			continue;
		for (size_t i = 0; i < sizeof(text_fields) / sizeof(text_fields[0]); i++) {
			char **field = (char **)((char *)a + text_fields[i].offset);

			if (!is_element(n, text_fields[i].name))
				continue;
			if (*field != NULL)
				return xp_error_set(err, XP_ERR_INVALID, path,
				    xmlGetLineNo(n), "<%s> appears twice", n->name);
			if ((*field = plain_text(n)) == NULL)
				return xp_error_set(err, XP_ERR_INVALID, path,
				    xmlGetLineNo(n), "<%s> must be plain text",
				    n->name);
		}
		if (is_element(n, "published")) {
			if (published != NULL)
				return xp_error_set(err, XP_ERR_INVALID, path,
				    xmlGetLineNo(n), "<published> appears twice");
			published = n;
			st = take_date(path, n, &a->published, err);
		} else if (is_element(n, "updated")) {
			st = take_date(path, n, &a->updated, err);
			a->has_updated = true;
		} else if (is_element(n, "reading-minutes")) {
			st = take_minutes(path, n, &a->reading_minutes, err);
		} else if (is_element(n, "draft")) {
			a->draft = true;
		} else if (is_element(n, "tags")) {
			for (xmlNodePtr t = n->children; t && st == XP_OK; t = t->next)
				if (is_element(t, "tag"))
					st = add_tag(a, path, t, err);
		} else if (is_element(n, "body")) {
			if (body != NULL)
				return xp_error_set(err, XP_ERR_INVALID, path,
				    xmlGetLineNo(n), "<body> appears twice");
			body = n;
		}
	}
	if (st != XP_OK)
		return st;
	for (size_t i = 0; i < sizeof(text_fields) / sizeof(text_fields[0]); i++) {
		char **field = (char **)((char *)a + text_fields[i].offset);

		if (text_fields[i].required && (*field == NULL || **field == '\0'))
			return xp_error_set(err, XP_ERR_INVALID, path,
			    xmlGetLineNo(root), "<%s> is required and missing or empty",
			    text_fields[i].name);
	}
	if (published == NULL)
		return xp_error_set(err, XP_ERR_INVALID, path, xmlGetLineNo(root),
		    "<published> is required and missing");
	if (body == NULL)
		return xp_error_set(err, XP_ERR_INVALID, path, xmlGetLineNo(root),
		    "<body> is required and missing");
	/* Search words are stemmed in the site's language (English for a
	 * caller without one); the title's are marked in the same set
	 * (title_terms stays empty). */
	if (sw == NULL && (sw = own = search_words_new("en")) == NULL)
		goto nomem;
	search_collect(sw, &terms, FIELD_TITLE, a->title, strlen(a->title));
	search_collect(sw, &terms, FIELD_SUMMARY, a->summary,
	    strlen(a->summary));
	for (size_t i = 0; i < a->ntags; i++)
		search_collect(sw, &terms, FIELD_TAGS, a->tags[i],
		    strlen(a->tags[i]));
	count_words(body, &in_word, &a->word_count, sw, &terms);
	search_words_free(own);
	if (!search_finish(&terms, &a->terms))
		goto nomem;
	buf_release(&terms);
	if (a->reading_minutes == 0)
		a->reading_minutes = a->word_count == 0 ? 1
		    : (a->word_count + 229) / 230;
	return XP_OK;
nomem:
	buf_release(&terms);
	return xp_error_set(err, XP_ERR_NOMEM, path, 0, "out of memory");
}

enum xp_status
article_parse(const char *path, const char *slug, const char *bytes,
    size_t len, struct article **out, struct xp_error *err)
{
	return article_parse_words(path, slug, bytes, len, NULL, out, err);
}

enum xp_status
article_parse_words(const char *path, const char *slug, const char *bytes,
    size_t len, struct search_words *words, struct article **out,
    struct xp_error *err)
{
	struct article *a;
	enum xp_status st;
	xmlNodePtr root;
	xmlDocPtr doc;

	if ((doc = article_parse_xml(path, bytes, len, err)) == NULL)
		return err ? err->status : XP_ERR_PARSE;
	root = xmlDocGetRootElement(doc);
	if (root == NULL || !is_element(root, "article")) {
		st = xp_error_set(err, XP_ERR_INVALID, path,
		    root ? xmlGetLineNo(root) : 1,
		    "the root element must be <article> in no namespace");
		xmlFreeDoc(doc);
		return st;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->slug = strdup(slug)) == NULL ||
	    (a->source = malloc(len + 1)) == NULL) {
		xmlFreeDoc(doc);
		if (a != NULL)
			atomic_init(&a->refs, 1);
		article_unref(a);
		return xp_error_set(err, XP_ERR_NOMEM, path, 0, "out of memory");
	}
	atomic_init(&a->refs, 1);
	memcpy(a->source, bytes, len);
	a->source[len] = '\0';
	a->source_len = len;
	a->content_hash = hash_bytes(hash_str(HASH_INIT, slug), bytes, len);
	a->loaded_at = time(NULL);
	st = extract(a, path, root, words, err);
	xmlFreeDoc(doc);
	if (st != XP_OK) {
		article_unref(a);
		return st;
	}
	*out = a;
	return XP_OK;
}

/* True when the open descriptor FD is a file inside the folder DIR, by
 * where the kernel says FD leads (/proc/self/fd), not by a path that could
 * be re-pointed between a check and the open.  Fills ERR when not. */
static bool
fd_inside(int fd, const char *dir, const char *path, struct xp_error *err)
{
	char real_dir[PATH_MAX], real_file[PATH_MAX], link[64];
	ssize_t n;
	size_t len;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, real_file, sizeof(real_file) - 1)) < 0) {
		xp_error_set(err, XP_ERR_IO, path, 0, "symbolic link refused: "
		    "where it leads cannot be checked (no /proc)");
		return false;
	}
	real_file[n] = '\0';
	if (realpath(dir, real_dir) == NULL) {
		xp_error_set(err, XP_ERR_IO, path, 0, "%s: %s", dir,
		    strerror(errno));
		return false;
	}
	len = strlen(real_dir);
	if (strncmp(real_file, real_dir, len) != 0 || real_file[len] != '/') {
		xp_error_set(err, XP_ERR_INVALID, path, 0,
		    "symbolic link leads outside the articles folder");
		return false;
	}
	return true;
}

/* Opens DIR/NAME (PATH) for reading.  A symbolic link is followed only
 * when it resolves inside DIR: a writer may link an article in from a
 * sibling folder of the site, but not publish /etc/passwd.  The file is
 * opened once and the descriptor checked, so swapping a link (or a
 * folder on its way) between a check and the open wins nothing.  Never
 * blocks on a FIFO.  Returns the descriptor (caller closes) or -1. */
static int
open_inside(const char *dir, const char *path, struct xp_error *err)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, fd;

	/* NAME is one component of the folder the site owner chose: with
	 * O_NOFOLLOW nothing a writer controls is followed. */
	if ((fd = open(path, flags | O_NOFOLLOW)) >= 0)
		return fd;
	if (errno != ELOOP)
		return xp_error_set(err, XP_ERR_IO, path, 0, "%s",
		    strerror(errno)), -1;
	if ((fd = open(path, flags)) < 0)
		return xp_error_set(err, XP_ERR_IO, path, 0, errno == ENOENT ?
		    "broken symbolic link" : "symbolic link: %s",
		    strerror(errno)), -1;
	if (!fd_inside(fd, dir, path, err)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads up to LEN bytes of FD into *BYTES (caller frees; NUL-terminated)
 * and their count into *GOT.  Returns 0 or an errno value. */
static int
read_upto(int fd, size_t len, char **bytes, size_t *got)
{
	ssize_t n;

	*got = 0;
	if ((*bytes = malloc(len + 1)) == NULL)
		return ENOMEM;
	while (*got < len && (n = read(fd, *bytes + *got, len - *got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(*bytes);
			*bytes = NULL;
			return e;
		}
		*got += (size_t)n;
	}
	(*bytes)[*got] = '\0';
	return 0;
}

enum xp_status
article_load(const char *dir, const char *name, size_t max_bytes,
    struct article **out, struct file_stamp *stamp_out, struct xp_error *err)
{
	return article_load_words(dir, name, max_bytes, NULL, out, stamp_out,
	    err);
}

enum xp_status
article_load_words(const char *dir, const char *name, size_t max_bytes,
    struct search_words *words, struct article **out,
    struct file_stamp *stamp_out, struct xp_error *err)
{
	char path[PATH_MAX], slug[SLUG_MAX + 1];
	enum xp_status status;
	struct stat st;
	size_t got = 0;
	char *bytes;
	int fd, e;

	if (article_name_kind(name, slug) != NAME_ARTICLE)
		return xp_error_set(err, XP_ERR_INVALID, name, 0,
		    "not an article file name (want <slug>.xml, slug ^[a-z0-9]+(-[a-z0-9]+)*$)");
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return xp_error_set(err, XP_ERR_INVALID, name, 0, "path too long");
	if ((fd = open_inside(dir, path, err)) < 0)
		return err ? err->status : XP_ERR_IO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return xp_error_set(err, XP_ERR_INVALID, path, 0,
		    "not a regular file");
	}
	if (stamp_out != NULL)
		file_stamp_from_stat(stamp_out, &st);
	if ((size_t)st.st_size > max_bytes) {
		close(fd);
		return xp_error_set(err, XP_ERR_TOO_BIG, path, 0,
		    "%lld bytes is over max_article_bytes (%zu)",
		    (long long)st.st_size, max_bytes);
	}
	/* Read at most what stat said: a file still growing is read again
	 * when the writer closes it. */
	if ((e = read_upto(fd, (size_t)st.st_size, &bytes, &got)) != 0) {
		close(fd);
		return xp_error_set(err, e == ENOMEM ? XP_ERR_NOMEM : XP_ERR_IO,
		    path, 0, "%s", strerror(e));
	}
	close(fd);
	if (got == 0) {
		free(bytes);
		return xp_error_set(err, XP_ERR_PARSE, path, 0, "empty file");
	}
	status = article_parse_words(path, slug, bytes, got, words, out, err);
	if (status == XP_OK)
		file_stamp_from_stat(&(*out)->stamp, &st);
	free(bytes);
	return status;
}

struct article_home *
article_home_new(const char *articles_dir, const char *cache_dir)
{
	struct article_home *h = calloc(1, sizeof(*h));

	if (h == NULL || (h->articles_dir = strdup(articles_dir)) == NULL ||
	    (h->cache_dir = strdup(cache_dir)) == NULL) {
		if (h != NULL)
			free(h->articles_dir);
		free(h);
		return NULL;
	}
	atomic_init(&h->refs, 1);
	return h;
}

struct article_home *
article_home_ref(struct article_home *h)
{
	if (h != NULL)
		atomic_fetch_add_explicit(&h->refs, 1, memory_order_relaxed);
	return h;
}

void
article_home_unref(struct article_home *h)
{
	if (h == NULL ||
	    atomic_fetch_sub_explicit(&h->refs, 1, memory_order_acq_rel) != 1)
		return;
	free(h->articles_dir);
	free(h->cache_dir);
	free(h);
}

void
article_body_path(const char *cache_dir, const char *slug, uint64_t hash,
    char *out, size_t size)
{
	snprintf(out, size, "%s/bodies/%s-%016llx.xml", cache_dir, slug,
	    (unsigned long long)hash);
}

/* Reads the bytes of version A from the open descriptor FD (which this
 * closes): a regular file of at most A's recorded size whose bytes hash
 * to A's content hash, or nothing.  When ORIGIN, the file must also still
 * carry A's stamp.  Returns the bytes (caller frees) and their count in
 * *LEN, or NULL. */
static char *
read_version(int fd, const struct article *a, bool origin, size_t *len)
{
	struct file_stamp now;
	struct stat st;
	char *bytes = NULL;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    st.st_size <= a->stamp.size) {
		file_stamp_from_stat(&now, &st);
		if ((!origin || file_stamp_equal(&now, &a->stamp)) &&
		    read_upto(fd, (size_t)st.st_size, &bytes, len) == 0 &&
		    hash_bytes(hash_str(HASH_INIT, a->slug), bytes, *len) !=
		    a->content_hash) {
			free(bytes);
			bytes = NULL;
		}
	}
	close(fd);
	return bytes;
}

xmlDocPtr
article_document(const struct article *a, struct xp_error *err)
{
	char kept[PATH_MAX], origin[PATH_MAX];
	const char *path = origin;
	char *bytes = NULL;
	size_t len = 0;
	xmlDocPtr doc;

	if (a->source != NULL)
		return article_parse_xml(a->slug, a->source, a->source_len, err);
	if (a->home == NULL) {
		xp_error_set(err, XP_ERR_IO, a->slug, 0, "no bytes kept");
		return NULL;
	}
	article_body_path(a->home->cache_dir, a->slug, a->content_hash, kept,
	    sizeof(kept));
	snprintf(origin, sizeof(origin), "%s/%s.xml", a->home->articles_dir,
	    a->slug);
	/* The article file serves as long as it is this very version, as
	 * the descriptor read says; then the cache's copy, which anyone who
	 * can write the cache folder might have replaced by a FIFO, a link
	 * or other bytes: each is refused, without blocking. */
	bytes = read_version(open_inside(a->home->articles_dir, origin, NULL),
	    a, true, &len);
	if (bytes == NULL) {
		path = kept;
		bytes = read_version(open(kept, O_RDONLY | O_CLOEXEC |
		    O_NONBLOCK | O_NOFOLLOW | O_NOCTTY), a, false, &len);
	}
	if (bytes == NULL) {
		xp_error_set(err, XP_ERR_IO, kept, 0,
		    "cannot read the cached copy of %s", a->slug);
		return NULL;
	}
	doc = article_parse_xml(path, bytes, len, err);
	free(bytes);
	return doc;
}

struct article *
article_ref(struct article *a)
{
	if (a != NULL)
		atomic_fetch_add_explicit(&a->refs, 1, memory_order_relaxed);
	return a;
}

void
article_unref(struct article *a)
{
	if (a == NULL ||
	    atomic_fetch_sub_explicit(&a->refs, 1, memory_order_acq_rel) != 1)
		return;
	free(a->slug);
	free(a->title);
	free(a->summary);
	free(a->author);
	for (size_t i = 0; i < a->ntags; i++)
		free(a->tags[i]);
	free(a->tags);
	free(a->source);
	article_home_unref(a->home);
	if (!a->terms.mapped)
		free((void *)a->terms.hashes);
	if (!a->title_terms.mapped)
		free((void *)a->title_terms.hashes);
	filemap_unref(a->words_map);
	free(a);
}

bool
file_stamp_equal(const struct file_stamp *a, const struct file_stamp *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec &&
	    a->ctime.tv_sec == b->ctime.tv_sec &&
	    a->ctime.tv_nsec == b->ctime.tv_nsec;
}

void
file_stamp_from_stat(struct file_stamp *out, const struct stat *st)
{
	*out = (struct file_stamp){ st->st_dev, st->st_ino, st->st_size,
		st->st_mtim, st->st_ctim };
}

bool
article_has_tag(const struct article *a, const char *tag)
{
	for (size_t i = 0; i < a->ntags; i++)
		if (strcmp(a->tags[i], tag) == 0)
			return true;
	return false;
}

bool
article_visible(const struct article *a, time_t now)
{
	return !a->draft && a->published.instant <= now;
}
