/* fuzz-request.c - libFuzzer harness for request_parse and route_match
 * (cgi-src/request.c, cgi-src/route.c).
 *
 * Input: CGI parameters separated by NUL bytes, in this order:
 *   REQUEST_METHOD \0 REQUEST_URI \0 QUERY_STRING \0 HTTP_IF_NONE_MATCH \0
 *   HTTP_IF_MODIFIED_SINCE \0 SCRIPT_NAME \0 PATH_INFO
 * A field missing from the end, or one that is the single byte 0xff, is
 * absent (the getter returns NULL).  Every input is parsed twice, for a
 * site mounted at "/" and at "/blog/", and its validators are checked
 * with http_not_modified (If-None-Match list parsing).  Each field is a
 * fresh heap copy freed right after request_parse, so ASan sees any
 * pointer it kept. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "request.h"
#include "route.h"

#include "fuzz.h"

static const char *const names[] = {
	"REQUEST_METHOD", "REQUEST_URI", "QUERY_STRING", "HTTP_IF_NONE_MATCH",
	"HTTP_IF_MODIFIED_SINCE", "SCRIPT_NAME", "PATH_INFO",
};
#define NFIELDS (sizeof(names) / sizeof(names[0]))

struct params {
	char *value[NFIELDS];
};

static const char *
get(void *ctx, const char *name)
{
	struct params *p = ctx;

	for (size_t i = 0; i < NFIELDS; i++)
		if (strcmp(names[i], name) == 0)
			return p->value[i];
	return NULL;
}

static void
split(struct params *p, const uint8_t *data, size_t size)
{
	size_t pos = 0;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < NFIELDS && pos <= size; i++) {
		const uint8_t *end = memchr(data + pos, '\0', size - pos);
		size_t n = end ? (size_t)(end - (data + pos)) : size - pos;

		if (!(n == 1 && data[pos] == 0xff)) {
			p->value[i] = malloc(n + 1);
			if (p->value[i] == NULL)
				abort();
			memcpy(p->value[i], data + pos, n);
			p->value[i][n] = '\0';
		}
		pos += n + 1;
	}
}

static void
release(struct params *p)
{
	for (size_t i = 0; i < NFIELDS; i++)
		free(p->value[i]);
}

/* The three routes of the brief, and the table's multi-'*' shapes. */
static const char *const patterns[] = {
	"/", "/page/*/", "/articles/*/", "/tags/*/page/*/",
	"/archive/*/*/page/*/", "/*/*/*/*/",
};

/* route_match into a heap array of exactly ROUTE_ARGS captures. */
static void
match_all(const char *path)
{
	char (*args)[ROUTE_ARG_MAX] = malloc(ROUTE_ARGS * sizeof(*args));
	size_t nargs;

	if (args == NULL)
		abort();
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		int m = route_match(patterns[i], path, args, &nargs);

		if (m < 0 || m > 2 || nargs > ROUTE_ARGS)
			abort();
		if (m == 0)
			continue;
		/* Each '*' captured one non-empty segment. */
		for (size_t j = 0; j < nargs; j++)
			if (args[j][0] == '\0' || strlen(args[j]) >= ROUTE_ARG_MAX ||
			    strchr(args[j], '/') != NULL)
				abort();
	}
	free(args);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const bases[] = { "/", "/blog/" };

	for (size_t b = 0; b < 2; b++) {
		struct params p;
		struct request r;
		struct xp_error err;

		split(&p, data, size);
		if (request_parse(&r, get, &p, bases[b], &err) != XP_OK) {
			release(&p);
			continue;   /* out of memory only */
		}
		release(&p);
		if (r.uri == NULL || r.query == NULL ||
		    strlen(r.method_name) >= sizeof(r.method_name))
			abort();
		if (r.bad_status == 0) {
			/* A request that is not refused has a clean path. */
			if (r.path == NULL)
				abort();
			if (!r.outside_base && r.path[0] != '\0' && r.path[0] != '/')
				abort();
			if (!r.outside_base && r.path[0] != '\0') {
				match_all(r.path);
			}
		} else if (r.bad_reason == NULL ||
		    r.bad_status < 400 || r.bad_status > 499) {
			abort();
		}
		/* The client's validators against a page's. */
		(void)http_not_modified(&r, "\"0123456789abcdef\"", 1700000000);
		(void)http_not_modified(&r, "", 0);
		request_release(&r);
	}
	/* route_match on the raw bytes as a path, too. */
	{
		char *path = malloc(size + 1);

		if (path == NULL)
			abort();
		memcpy(path, data, size);
		path[size] = '\0';
		match_all(path);
		free(path);
	}
	return 0;
}
