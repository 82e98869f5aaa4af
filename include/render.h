/* render.h - the compiled stylesheets, and applying them to a page.
 *
 * A stylesheet set is compiled once, shared read-only by every thread and
 * reference counted, so that an edited stylesheet can be swapped in while
 * requests still finish with the old one. */
#ifndef XP_RENDER_H
#define XP_RENDER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <libxml/tree.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/security.h>

#include "buf.h"
#include "error.h"

enum page_kind {
	PAGE_LISTING,
	PAGE_ARTICLE,
	PAGE_ERROR,
	PAGE_TAGS,
	PAGE_ARCHIVE,
	PAGE_FEED,
	PAGE_FEED_JSON,
	PAGE_SITEMAP,
	PAGE__MAX
};

/* The static files served from the stylesheet folder, from memory. */
enum asset_kind { ASSET_CSS, ASSET_ICON, ASSET__MAX };

struct asset {
	char *data;
	size_t len;
	char etag[24];          /* quoted hash of the bytes */
};

struct stylesheets {
	atomic_int refs;
	xsltStylesheetPtr sheets[PAGE__MAX];
	xsltSecurityPrefsPtr security;
	struct asset assets[ASSET__MAX];  /* style.css, favicon.svg */
	uint64_t fingerprint;   /* of every file in the folder: in every ETag */
	time_t loaded_at;
};

/* The namespace of the XPath functions the engine gives its stylesheets:
 * xp:json-escape(s) and xp:html-escape(s, attribute?), each linear in the
 * length of S (feed-json.xsl uses them when function-available). */
#define RENDER_EXT_NS "urn:x-xsltpress:functions"

/* Sets libxslt's process-wide hooks (safe document loader, the engine's
 * XPath functions).  Call once from main before any thread starts. */
void render_init(void);

/* Compiles every page stylesheet in DIR and reads DIR/style.css.  On
 * success *OUT has one reference (stylesheets_unref frees).  On failure
 * ERR names the stylesheet file, line and reason. */
enum xp_status stylesheets_load(const char *dir, struct stylesheets **out,
    struct xp_error *err);

/* A cheap summary of DIR's files (names, sizes, times, inodes) that moves
 * whenever one of them changes: what polling compares. */
uint64_t stylesheets_dir_stamp(const char *dir);

struct stylesheets *stylesheets_ref(struct stylesheets *s);
void stylesheets_unref(struct stylesheets *s);

/* The file name and Content-Type of an asset ("style.css"). */
const char *render_asset_name(enum asset_kind kind);
const char *render_asset_type(enum asset_kind kind);

/* The file name of KIND's stylesheet, e.g. "listing.xsl". */
const char *render_sheet_name(enum page_kind kind);

/* Applies KIND's stylesheet to INPUT with PARAMS (NULL-terminated name,
 * XPath-value pairs, or NULL) and appends the serialised page to OUT.
 * WHAT names the request in errors.  A runaway or failing transform gives
 * an error, never a partial page. */
enum xp_status render_apply(const struct stylesheets *s, enum page_kind kind,
    xmlDocPtr input, const char **params, struct buf *out, const char *what,
    struct xp_error *err);

#endif
