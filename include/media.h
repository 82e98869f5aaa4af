/* media.h - an article's own files: articles/SLUG/NAME beside
 * articles/SLUG.xml (images, diagrams, downloads).
 *
 * Which names and types may be served, opening one without leaving
 * articles/SLUG/, and what a page needs to show it: a content fingerprint
 * for its URL and ETag, and an image's width and height.  Those are
 * computed on first use and remembered against the file's stamp (device,
 * inode, size, times), so an added, replaced or deleted file shows on the
 * next request whether or not any watcher saw it. */
#ifndef XP_MEDIA_H
#define XP_MEDIA_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <libxml/tree.h>

#include "error.h"
#include "imgprobe.h"

#define MEDIA_NAME_MAX 120   /* bytes of a name, NUL excluded */

enum media_status {
	MEDIA_OK,
	MEDIA_BAD_NAME,     /* outside ^[A-Za-z0-9][A-Za-z0-9._-]*$ */
	MEDIA_BAD_TYPE,     /* an extension not on the allowlist */
	MEDIA_MISSING,      /* no such regular file (or a symbolic link) */
	MEDIA_TOO_BIG,      /* over max_media_bytes */
	MEDIA_IO,           /* it is there but could not be read */
};

struct media_info {
	const char *content_type;   /* a constant string */
	bool is_image;
	bool has_dims;              /* width and height could be read */
	unsigned width, height;
	uint64_t fingerprint;       /* of the bytes */
	char version[17];           /* the fingerprint as ?v= shows it */
	off_t size;
	time_t mtime;
};

/* What was worked out for files, keyed by their stamp; and which problems
 * were logged already, so each is logged once.  One per server; locks
 * itself.  A NULL cache works too, and recomputes every time. */
struct media_cache;

/* Returns a new, empty cache (media_cache_free frees), or NULL. */
struct media_cache *media_cache_new(void);
void media_cache_free(struct media_cache *c);

/* True when NAME is a valid own-file name: one level, no leading dot. */
bool media_name_valid(const char *name);

/* The Content-Type for NAME's extension, or NULL when not allowlisted.
 * *IS_IMAGE says whether it is one of the image types. */
const char *media_type(const char *name, bool *is_image);

/* True when REF (an img src or a href as written) is meant as an own
 * file: no scheme, no leading '/', '#' or '?'.  It may still be a bad
 * name ("../x.png", "sub/x.png"), which media_name_valid then refuses. */
bool media_ref_is_own(const char *ref);

/* Opens DIR/SLUG/NAME for reading without following a symbolic link at
 * SLUG or NAME, and without blocking on a FIFO; only a regular file of at
 * most MAX_BYTES is accepted.  Checks NAME and its type first.  Returns
 * MEDIA_OK with *FD (the caller closes it) and *INFO filled, fingerprint
 * and dimensions included; otherwise fills ERR (file DIR/SLUG/NAME, line
 * 0, reason) and leaves no descriptor open.  FD may be NULL: the file is
 * then only looked at. */
enum media_status media_open(struct media_cache *c, const char *dir,
    const char *slug, const char *name, size_t max_bytes, int *fd,
    struct media_info *info, struct xp_error *err);

/* A fingerprint of every servable file in DIR/SLUG/ (names and bytes,
 * whatever the order they are listed in): what an article page, its
 * feeds and its ETag depend on.  0 when there is no such folder. */
uint64_t media_folder_fp(struct media_cache *c, const char *dir,
    const char *slug, size_t max_bytes);

/* Calls EACH with every name in DIR/SLUG/ that may be served (a valid
 * name of an allowlisted type; whether it opens is for media_open to
 * say).  Returns how many; 0 when there is no such folder. */
size_t media_each(const char *dir, const char *slug,
    void (*each)(void *ctx, const char *name), void *ctx);

/* Logs ERR at LEVEL unless the same text was logged before through C
 * (for the server: once per problem, not once per request). */
void media_log_once(struct media_cache *c, int level,
    const struct xp_error *err);

/* Called with each problem media_check_body finds. */
typedef void media_report_fn(void *ctx, const struct xp_error *err);

/* Looks at the body and <image> of ARTICLE (an <article> element parsed
 * from DIR/SLUG.xml, line numbers kept) for what `check` reports and the
 * server logs once: an <img> without alt, a reference to an own file that
 * is missing, a name outside the pattern, a file of a type not served or
 * over MAX_BYTES, an image whose size cannot be read.  Calls REPORT with
 * "DIR/SLUG.xml:LINE: reason" for each; returns how many. */
size_t media_check_body(struct media_cache *c, const char *dir,
    const char *slug, size_t max_bytes, xmlNodePtr article,
    media_report_fn *report, void *ctx);

#endif
