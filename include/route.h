/* route.h - from a request to a finished response, through one table. */
#ifndef XP_ROUTE_H
#define XP_ROUTE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"
#include "cache.h"
#include "request.h"
#include "site.h"

/* Answers REQ from SITE at time NOW: routes it, renders the page (or
 * takes it from CACHE, which may be NULL) and serialises the response in
 * CGI form into OUT.  *HEADER_LEN is the
 * length of the header block; a HEAD request sends only that much.
 * Always produces a response, an error page if need be. */
void route_respond(struct site *site, struct cache *cache,
    const struct request *req, time_t now, struct buf *out,
    size_t *header_len);

/* As route_respond, except that a body served from a file (an article's
 * own file) is not read into OUT: *BODY_FD is its descriptor, which the
 * caller sends (see http_stream_fd) and closes, and *BODY_LEN its length;
 * *BODY_FD is -1 when the whole response is in OUT. */
void route_respond_fd(struct site *site, struct cache *cache,
    const struct request *req, time_t now, struct buf *out,
    size_t *header_len, int *body_fd, off_t *body_len);

#define ROUTE_ARGS 3       /* at most this many '*' in a pattern */
#define ROUTE_ARG_MAX 128  /* bytes of one captured segment, NUL included */

/* True when REQ asks for the search page (whose answer, before a large
 * site's search postings are built, takes seconds: see server.h). */
bool route_is_search(const struct request *req);

/* Matches PATH against PATTERN, where each '*' stands for one non-empty
 * segment, copied into ARGS (*NARGS of them).  Returns 1 for a match, 2
 * when PATH matches only with a trailing slash added, 0 otherwise. */
int route_match(const char *pattern, const char *path,
    char args[][ROUTE_ARG_MAX], size_t *nargs);

#endif
