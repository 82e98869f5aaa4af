/* cgi.c - one request from the environment (CGI), or from the command
 * line (the render command), answered on a stream. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frontend.h"
#include "http.h"

/* Bodies are never used; this much is read so the answer gets through. */
#define CGI_BODY_DRAIN_MAX (16UL << 20)
#include "route.h"

static const char *
env_param(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

/* The render command's request: a GET of one URI, nothing else set. */
static const char *
render_param(void *ctx, const char *name)
{
	if (strcmp(name, "REQUEST_METHOD") == 0)
		return "GET";
	if (strcmp(name, "REQUEST_URI") == 0)
		return ctx;
	if (strcmp(name, "QUERY_STRING") == 0) {
		const char *q = strchr(ctx, '?');

		return q ? q + 1 : "";
	}
	return NULL;
}

static bool
file_write(void *ctx, const char *data, size_t n)
{
	return fwrite(data, 1, n, ctx) == n;
}

static enum xp_status
respond(struct server *s, request_param_fn *get, void *ctx, FILE *out,
    struct xp_error *err)
{
	struct site *site = server_site(s);
	struct buf response = BUF_INIT;
	struct request req;
	size_t header_len;
	enum xp_status st;
	off_t file_len;
	int file_fd;

	st = request_parse(&req, get, ctx, site->cfg->base_path, err);
	if (st != XP_OK) {
		site_unref(site);
		return st;
	}
	route_respond_fd(site, NULL, &req, time(NULL), &response, &header_len,
	    &file_fd, &file_len);
	if (fwrite(response.data, 1, req.method == METHOD_HEAD ? header_len
	    : response.len, out) == 0 || (file_fd >= 0 &&
	    req.method != METHOD_HEAD && !http_stream_fd(file_fd, file_len,
	    file_write, out)) || fflush(out) != 0)
		st = xp_error_set(err, XP_ERR_IO, "stdout", 0,
		    "cannot write the response");
	if (file_fd >= 0)
		close(file_fd);
	buf_release(&response);
	request_release(&req);
	site_unref(site);
	return st;
}

/* Reads and drops the request body a web server may have passed: under
 * Apache's mod_cgid stdin and stdout are one socket, and exiting with
 * unread input resets the connection before the answer arrives. */
static void
drain_body(void)
{
	const char *length = getenv("CONTENT_LENGTH");
	unsigned long left = length ? strtoul(length, NULL, 10) : 0;
	char chunk[8192];
	size_t n;

	if (left > CGI_BODY_DRAIN_MAX)
		left = CGI_BODY_DRAIN_MAX;
	while (left > 0 && (n = fread(chunk, 1, left < sizeof(chunk) ?
	    left : sizeof(chunk), stdin)) > 0)
		left -= n;
}

enum xp_status
cgi_serve(struct server *s, struct xp_error *err)
{
	drain_body();
	return respond(s, env_param, NULL, stdout, err);
}

enum xp_status
cgi_render(struct server *s, const char *uri, FILE *out, struct xp_error *err)
{
	return respond(s, render_param, (void *)uri, out, err);
}
