/* request.h - one request, validated at the boundary.
 *
 * Whatever the front end (FastCGI, CGI, the render command), the request
 * is copied out of its parameters into this struct once, checked, and
 * nothing past this point reads raw client input. */
#ifndef XP_REQUEST_H
#define XP_REQUEST_H

#include <stdbool.h>
#include <time.h>

#include "error.h"

#define REQUEST_URI_MAX   2048
#define REQUEST_QUERY_MAX 1024

enum method { METHOD_GET, METHOD_HEAD, METHOD_OTHER };

/* Looks up a CGI-style parameter (REQUEST_METHOD, REQUEST_URI, ...);
 * returns NULL when absent.  The string may be freed by the caller's
 * library later, which is why request_parse copies what it keeps. */
typedef const char *request_param_fn(void *ctx, const char *name);

struct request {
	enum method method;
	char method_name[16];     /* as sent, for the log ("" if odd bytes) */
	char *uri;                /* the raw request URI, for the log */
	char *path;               /* decoded, relative to the site root, "/..." */
	char *query;              /* raw query string, "" when none */
	char *if_none_match;      /* NULL when absent */
	time_t if_modified_since; /* (time_t)-1 when absent or unparseable */
	int bad_status;           /* 0, or the 4xx the request earns as sent */
	const char *bad_reason;
	bool outside_base;        /* the path is not under the base path */
	bool accept_gzip;         /* Accept-Encoding allows gzip */
	char *base_path;          /* where this request's site is mounted:
	                             the config's base_path, or SCRIPT_NAME/ */
};

/* Whether the web server's SCRIPT_NAME may say where the site is mounted
 * (only when the config does not set base_path).  The site is mounted at
 * SCRIPT_NAME when it is non-empty and the request path continues it
 * with '/' (a CGI at /cgi-bin/blog.cgi/...); as plain CGI the bare script
 * path counts too, and is redirected to SCRIPT_NAME/; under FastCGI the
 * script (SCRIPT_FILENAME) must exist, as servers fill SCRIPT_NAME for
 * programs serving a whole tree too.  A rewrite that hides the script
 * leaves REQUEST_URI outside SCRIPT_NAME: base_path. */
enum request_mount {
	MOUNT_CONFIG,     /* base_path only (export, render, base_path set) */
	MOUNT_SCRIPT,     /* FastCGI: an existing script's SCRIPT_NAME + '/' */
	MOUNT_SCRIPT_CGI, /* CGI: SCRIPT_NAME, with or without the '/' */
};

/* Fills R from GET (a getter over CTX) for a site mounted at BASE_PATH
 * ("/" or "/blog/").  A malformed request still returns XP_OK with
 * r->bad_status set (400, 414...), so the caller can answer it with a
 * page; only running out of memory fails.  request_release frees. */
enum xp_status request_parse(struct request *r, request_param_fn *get,
    void *ctx, const char *base_path, struct xp_error *err);

/* Does the Accept-Encoding value VALUE (or NULL) allow gzip?  An explicit
 * "gzip" (or "x-gzip") decides by its q; otherwise "*" does. */
bool request_accepts_gzip(const char *value);
/* As request_parse, letting SCRIPT_NAME mount the site as MOUNT says;
 * r->base_path holds the mount chosen. */
enum xp_status request_parse_mounted(struct request *r, request_param_fn *get,
    void *ctx, const char *base_path, enum request_mount mount,
    struct xp_error *err);

/* Frees what R holds; R itself is the caller's. */
void request_release(struct request *r);

/* Decodes %XX escapes of IN (LEN bytes) into a new string (caller frees).
 * Returns NULL for a bad escape, an encoded NUL, or no memory. */
char *request_percent_decode(const char *in, size_t len);

#endif
