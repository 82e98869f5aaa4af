/* cgi.c - one request from the environment (CGI), or from the command
 * line (the render command), answered on a stream; and what a CGI needs
 * around it: a default metadata cache, and an answer when it cannot serve. */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "frontend.h"
#include "http.h"
#include "hash.h"
#include "log.h"

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

	/* As CGI the web server's SCRIPT_NAME says where we are mounted,
	 * unless the config says it; the render command has no SCRIPT_NAME. */
	st = request_parse_mounted(&req, get, ctx, site->cfg->base_path,
	    get == env_param && !site->cfg->base_path_set ? MOUNT_SCRIPT_CGI
	    : MOUNT_CONFIG, err);
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

void
cgi_fail(const struct xp_error *err)
{
	static const char page[] =
	    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<title>Site misconfigured</title></head>\n<body><h1>This site is "
	    "misconfigured</h1>\n<p>It cannot show pages right now. The reason"
	    " is in the web server's error log.</p></body></html>\n";

	log_error(LOG_ERROR, err);
	fputs("Status: 500 Internal Server Error\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n"
	    "Cache-Control: no-store\r\n\r\n", stdout);
	fputs(page, stdout);
	fflush(stdout);
}

/* Makes DIR (and its missing parents) with mode 0700 and checks that it
 * is a folder we own and may write: a shared /tmp must not hand us
 * someone else's folder. */
static bool
usable_dir(char *dir)
{
	struct stat sb;

	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			*p = '/';
			return false;
		}
		*p = '/';
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return false;
	return lstat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) &&
	    sb.st_uid == geteuid() && access(dir, W_OK | X_OK) == 0;
}

bool
cgi_default_cache_dir(struct config *cfg, char *out, size_t size)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	const char *tmp = getenv("TMPDIR");
	char real[PATH_MAX], site[17];
	struct passwd *pw;

	if (cfg->cache_dir[0] != '\0')
		return false;
	/* One folder per articles folder: sites sharing a user stay apart. */
	snprintf(site, sizeof(site), "%016llx", (unsigned long long)hash_str(
	    HASH_INIT, realpath(cfg->articles_dir, real) ? real
	    : cfg->articles_dir));
	if (xdg != NULL && xdg[0] == '/') {
		snprintf(out, size, "%s/xsltpress/%s", xdg, site);
		if (usable_dir(out))
			return true;
	}
	/* Under suexec HOME is often unset: the user's entry says it. */
	if ((home == NULL || home[0] != '/') &&
	    (pw = getpwuid(geteuid())) != NULL)
		home = pw->pw_dir;
	if (home != NULL && home[0] == '/') {
		snprintf(out, size, "%s/.cache/xsltpress/%s", home, site);
		if (usable_dir(out))
			return true;
	}
	snprintf(out, size, "%s/xsltpress-%lu/%s",
	    tmp != NULL && tmp[0] == '/' ? tmp : "/tmp",
	    (unsigned long)geteuid(), site);
	if (usable_dir(out))
		return true;
	out[0] = '\0';
	return false;
}
