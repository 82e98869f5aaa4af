/* http.h - building a response: status, headers, body, conditional GET.
 *
 * A response is serialised once into CGI form ("Status: 200 OK\r\n...
 * \r\n\r\nbody"), which FastCGI, CGI and the render command all write as
 * it is, and which a cache can keep whole. */
#ifndef XP_HTTP_H
#define XP_HTTP_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "pagebody.h"
#include "request.h"

#define CT_HTML "text/html; charset=utf-8"
#define CT_CSS  "text/css; charset=utf-8"
#define CT_TEXT "text/plain; charset=utf-8"

struct response {
	int status;
	const char *content_type;  /* a constant string, or NULL for none */
	struct buf headers;        /* extra "Name: value\r\n" lines */
	struct buf body;
	char etag[48];             /* a quoted strong ETag, or "" */
	time_t last_modified;      /* 0 when unknown */
	time_t now;                /* the request's clock reading, 0 for the
	                              clock's: X-Accel-Expires counts from it */
	long max_age;              /* seconds, or -1 for "no-cache" */
	/* A body streamed from a file instead of BODY (an article's own
	 * file): its descriptor, or -1, and its length.  Whoever sends the
	 * response closes it; response_release closes one never sent. */
	int body_fd;
	off_t body_fd_len;
	bool immutable;            /* the URL names this very content:
	                              Cache-Control adds "immutable" */
	const char *csp;           /* a constant replacing the site's CSP */
	/* When set, the body sent instead of BODY: a shared page (one
	 * reference, dropped by response_release), in its gzip form when
	 * GZIP.  VARY_ENCODING says the page has a gzip form at all. */
	struct page_body *shared;
	bool gzip;
	bool vary_encoding;
	/* Seconds past max_age that the page stays true (a scheduled article
	 * is due then), or -1 for no such limit: caps the stale-* extensions. */
	long stale_max;
};

void response_init(struct response *resp);
/* Frees the buffers RESP holds; RESP itself is the caller's. */
void response_release(struct response *resp);

/* Adds one header line; NAME and the formatted value must hold no CR/LF
 * (callers pass only values they built). */
void response_header(struct response *resp, const char *name,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Sets a strong ETag from a hash of the body. */
void response_etag_from_body(struct response *resp);

/* The reason phrase for STATUS ("Not Found"). */
const char *http_reason(int status);

/* True when REQ's validators say the client's copy is current (RFC 9110
 * 13.2.2: If-None-Match wins over If-Modified-Since). */
bool http_not_modified(const struct request *req, const char *etag,
    time_t last_modified);

/* Writes PATH (decoded bytes) into OUT (SIZE bytes) percent-encoded for
 * a Location header: every byte but RFC 3986's path characters becomes
 * %XX, so "?", "#", "%", spaces and raw 8-bit bytes come out as escapes.
 * With QUERY the text is a raw query string: '?' and '%' stay as they are.
 * Returns false (OUT holding a truncated, still clean prefix) when OUT is
 * too small. */
bool http_encode_path(const char *path, bool query, char *out, size_t size);

/* Serialises RESP into OUT in CGI form with the security headers of CFG,
 * and sets *HEADER_LEN to the length of the header block (what a HEAD
 * request gets).  A 304 has no body. */
void http_serialize(const struct response *resp, const struct config *cfg,
    struct buf *out, size_t *header_len);

/* Writes LEN bytes of FD from its start through WRITE (which returns
 * false when the client went away), a chunk at a time: a large file is
 * never held whole in memory.  Returns false when a write failed or the
 * file ended early (it shrank after its length was sent). */
bool http_stream_fd(int fd, off_t len,
    bool (*write_fn)(void *ctx, const char *data, size_t n), void *ctx);

#endif
