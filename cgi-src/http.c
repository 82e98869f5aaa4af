/* http.c - responses in CGI form, and HTTP's conditional requests. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "date.h"
#include "hash.h"
#include "http.h"

struct status_text {
	int status;
	const char *reason;
};

static const struct status_text statuses[] = {
	{ 200, "OK" },
	{ 301, "Moved Permanently" },
	{ 304, "Not Modified" },
	{ 400, "Bad Request" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 414, "URI Too Long" },
	{ 500, "Internal Server Error" },
	{ 503, "Service Unavailable" },
};

const char *
http_reason(int status)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].status == status)
			return statuses[i].reason;
	return "Unknown";
}

void
response_init(struct response *resp)
{
	memset(resp, 0, sizeof(*resp));
	resp->status = 200;
	resp->content_type = CT_HTML;
	resp->max_age = -1;
	resp->body_fd = -1;
	resp->stale_max = -1;
}

void
response_release(struct response *resp)
{
	buf_release(&resp->headers);
	buf_release(&resp->body);
	if (resp->body_fd >= 0)
		close(resp->body_fd);
	resp->body_fd = -1;
	page_body_unref(resp->shared);
	resp->shared = NULL;
}

void
response_header(struct response *resp, const char *name, const char *fmt,
    ...)
{
	/* Room for a Location of a path and query at their request limits,
	 * percent-encoded (three bytes each). */
	char value[(REQUEST_URI_MAX + REQUEST_QUERY_MAX) * 3 + 1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	value[strcspn(value, "\r\n")] = '\0';
	buf_printf(&resp->headers, "%s: %s\r\n", name, value);
}

void
response_etag_from_body(struct response *resp)
{
	uint64_t h = hash_bytes(HASH_INIT, resp->body.data, resp->body.len);

	snprintf(resp->etag, sizeof(resp->etag), "\"%016llx-%zx\"",
	    (unsigned long long)h, resp->body.len);
}

/* Does the If-None-Match list LIST name ETAG?  Weak comparison, as RFC
 * 9110 asks for If-None-Match: "W/" prefixes are ignored. */
static bool
etag_listed(const char *list, const char *etag)
{
	size_t elen = strlen(etag);
	const char *p = list;

	while (*p) {
		size_t n;

		p += strspn(p, " \t,");
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		n = strcspn(p, ",");
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == elen && strncmp(p, etag, n) == 0)
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

bool
http_not_modified(const struct request *req, const char *etag,
    time_t last_modified)
{
	if (req->method == METHOD_OTHER)
		return false;
	if (req->if_none_match != NULL)
		return etag[0] != '\0' && etag_listed(req->if_none_match, etag);
	return req->if_modified_since != (time_t)-1 && last_modified != 0 &&
	    last_modified <= req->if_modified_since;
}

/* Is byte C kept as it is in a Location path (RFC 3986 pchar and "/")?
 * In a QUERY, '?' and '%' (the client's own escapes) are kept too. */
static bool
location_safe(unsigned char c, bool query)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	if (c != '\0' && strchr("-._~!$&'()*+,;=:@/", c) != NULL)
		return true;
	return query && (c == '?' || c == '%');
}

bool
http_encode_path(const char *path, bool query, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	if (size == 0)
		return false;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		size_t need = location_safe(*p, query) ? 1 : 3;

		if (n + need >= size) {
			out[n] = '\0';
			return false;
		}
		if (need == 1) {
			out[n++] = (char)*p;
		} else {
			out[n++] = '%';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 15];
		}
	}
	out[n] = '\0';
	return true;
}

/* The bytes RESP sends as its body: its shared page in the form asked
 * for, else its own buffer. */
static const char *
body_bytes(const struct response *resp, size_t *len)
{
	if (resp->shared != NULL && resp->gzip) {
		*len = resp->shared->gz_len;
		return resp->shared->gz;
	}
	if (resp->shared != NULL) {
		*len = resp->shared->len;
		return resp->shared->data;
	}
	*len = resp->body.len;
	return resp->body.data;
}

/* Smaller of the configured SECONDS and what RESP allows. */
static long
stale_seconds(const struct response *resp, unsigned seconds)
{
	return resp->stale_max >= 0 && resp->stale_max < (long)seconds
	    ? resp->stale_max : (long)seconds;
}

/* Writes Cache-Control.  The RFC 5861 extensions let a CDN (or a browser)
 * answer from its copy while it revalidates, or while the origin is down,
 * but never past the moment the page stops being true. */
static void
cache_control(const struct response *resp, const struct config *cfg,
    struct buf *out)
{
	long swr, sie;

	if (resp->max_age < 0) {
		buf_puts(out, "Cache-Control: no-cache\r\n");
		return;
	}
	buf_printf(out, "Cache-Control: public, max-age=%ld", resp->max_age);
	if (resp->immutable) {
		buf_puts(out, ", immutable\r\n");
		return;
	}
	if ((swr = stale_seconds(resp, cfg->stale_while_revalidate)) > 0)
		buf_printf(out, ", stale-while-revalidate=%ld", swr);
	if ((sie = stale_seconds(resp, cfg->stale_if_error)) > 0)
		buf_printf(out, ", stale-if-error=%ld", sie);
	buf_puts(out, "\r\n");
}

/* For nginx's micro-cache (which hides this header from clients): keep
 * the answer until the end of the current second, not for "1s", which
 * nginx counts in whole seconds from the start of the second it stored
 * it, up to two seconds.  An edit then shows within a second.  Only the
 * answers the shipped configs cache; never an error that may pass. */
static void
micro_cache_expiry(const struct response *resp, struct buf *out)
{
	if (resp->status == 200 || resp->status == 301 || resp->status == 304 ||
	    resp->status == 404)
		buf_printf(out, "X-Accel-Expires: @%lld\r\n",
		    (long long)(resp->now != 0 ? resp->now : time(NULL)));
}

void
http_serialize(const struct response *resp, const struct config *cfg,
    struct buf *out, size_t *header_len)
{
	char date[40];
	bool body = resp->status != 304;
	size_t body_len;
	const char *body_data = body_bytes(resp, &body_len);

	buf_printf(out, "Status: %d %s\r\n", resp->status,
	    http_reason(resp->status));
	if (resp->content_type != NULL && body)
		buf_printf(out, "Content-Type: %s\r\n", resp->content_type);
	if (body && resp->body_fd >= 0)
		buf_printf(out, "Content-Length: %lld\r\n",
		    (long long)resp->body_fd_len);
	else if (body)
		buf_printf(out, "Content-Length: %zu\r\n", body_len);
	/* That the encoding was chosen by Accept-Encoding is said on 304s
	 * too (RFC 9110 15.4.5), so a cache keeps the variants apart. */
	if (resp->gzip && resp->shared != NULL)
		buf_puts(out, "Content-Encoding: gzip\r\n");
	if (resp->vary_encoding)
		buf_puts(out, "Vary: Accept-Encoding\r\n");
	if (resp->etag[0] != '\0')
		buf_printf(out, "ETag: %s\r\n", resp->etag);
	if (resp->last_modified != 0) {
		date_http(resp->last_modified, date, sizeof(date));
		buf_printf(out, "Last-Modified: %s\r\n", date);
	}
	cache_control(resp, cfg, out);
	micro_cache_expiry(resp, out);
	buf_puts(out, "X-Content-Type-Options: nosniff\r\n");
	if (resp->csp != NULL)
		buf_printf(out, "Content-Security-Policy: %s\r\n", resp->csp);
	else if (cfg->csp[0] != '\0')
		buf_printf(out, "Content-Security-Policy: %s\r\n", cfg->csp);
	if (cfg->referrer_policy[0] != '\0')
		buf_printf(out, "Referrer-Policy: %s\r\n", cfg->referrer_policy);
	buf_append(out, resp->headers.data, resp->headers.len);
	buf_puts(out, "\r\n");
	*header_len = out->len;
	if (body)
		buf_append(out, body_data, body_len);
}

bool
http_stream_fd(int fd, off_t len,
    bool (*write_fn)(void *ctx, const char *data, size_t n), void *ctx)
{
	char chunk[64 * 1024];
	off_t off = 0;

	while (off < len) {
		size_t want = len - off < (off_t)sizeof(chunk) ?
		    (size_t)(len - off) : sizeof(chunk);
		ssize_t n = pread(fd, chunk, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || !write_fn(ctx, chunk, (size_t)n))
			return false;
		off += n;
	}
	return true;
}
