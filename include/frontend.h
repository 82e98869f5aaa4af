/* frontend.h - the ways a request reaches us: FastCGI (fcgi.c), CGI and
 * the render command (cgi.c).  All of them end in route_respond(). */
#ifndef XP_FRONTEND_H
#define XP_FRONTEND_H

#include <stdbool.h>
#include <stdio.h>

#include "error.h"
#include "server.h"
#include "watch.h"

/* Opens the FastCGI listening socket named SPEC: "unix:/path.sock" (mode
 * 0660) or "HOST:PORT", queueing up to BACKLOG connections.  A HOST other
 * than loopback is refused unless ALLOW_PUBLIC (listen_public = yes):
 * libfcgi trusts what a peer sends (see README).  Returns the descriptor,
 * or -1 with ERR filled. */
int fcgi_listen(const char *spec, bool allow_public, int backlog,
    struct xp_error *err);

/* Checks a listening socket FD handed to us (spawn-fcgi, systemd) the same
 * way: a TCP socket bound to an address other than loopback fails with
 * ERR unless ALLOW_PUBLIC. */
enum xp_status fcgi_check_inherited(int fd, bool allow_public,
    struct xp_error *err);

/* The listen backlog for the listen_backlog key CONFIGURED: itself, or
 * for 0 the most the kernel allows (net.core.somaxconn). */
int fcgi_backlog(unsigned configured);

/* Blocks SIGTERM, SIGINT and SIGHUP in the calling thread, and so in every
 * thread it starts afterwards: call it before the first thread, so that
 * only fcgi_serve's sigwait ever receives them. */
void fcgi_block_signals(void);

/* Serves FastCGI requests on LISTEN_FD with the configured number of
 * threads until SIGTERM or SIGINT, then lets in-flight requests finish.
 * SIGHUP asks WATCHER to reload the config.  Returns XP_OK on such a
 * clean stop. */
enum xp_status fcgi_serve(struct server *s, int listen_fd,
    struct watcher *watcher, struct xp_error *err);

/* Answers the one CGI request described by the environment on stdout. */
enum xp_status cgi_serve(struct server *s, struct xp_error *err);

/* Answers a CGI request that cannot be served (bad config, missing
 * stylesheets, unreadable articles): logs ERR (file, line, reason) to
 * stderr, the web server's error log, and writes a 500 with a short page
 * saying the site is misconfigured, never an empty response. */
void cgi_fail(const struct xp_error *err);

/* Where a CGI without cache_dir keeps its metadata cache, so a request
 * does not parse every article: the first of $XDG_CACHE_HOME/xsltpress/,
 * ~/.cache/xsltpress/ (home from $HOME or the user's passwd entry) and
 * $TMPDIR (or /tmp)/xsltpress-UID/ that can be made and written, in a
 * folder named after the articles folder.  Writes it into OUT and returns
 * true; false when CFG sets cache_dir or nothing is writable. */
bool cgi_default_cache_dir(struct config *cfg, char *out, size_t size);

/* Writes the full response for a GET of URI (path and query) to OUT. */
enum xp_status cgi_render(struct server *s, const char *uri, FILE *out,
    struct xp_error *err);

/* Writes every page of the site under DIR as static files at the same
 * URLs ("page/2/" -> DIR/page/2/index.html), plus 404.html and assets. */
enum xp_status export_site(struct server *s, const char *dir,
    struct xp_error *err);

#endif
