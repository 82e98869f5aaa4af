/* request.c - copy and check what the web server tells us. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "date.h"
#include "request.h"

static int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

char *
request_percent_decode(const char *in, size_t len)
{
	char *out = malloc(len + 1), *w = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '%') {
			int hi, lo;

			if (len - i < 3) {
				free(out);
				return NULL;
			}
			hi = hex_value((unsigned char)in[i + 1]);
			lo = hex_value((unsigned char)in[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(out);
				return NULL;
			}
			*w++ = (char)(hi * 16 + lo);
			i += 2;
		} else if (in[i] == '\0') {
			free(out);
			return NULL;
		} else {
			*w++ = in[i];
		}
	}
	*w = '\0';
	return out;
}

static char *
copy_or_null(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

/* True when PATH has a "." or ".." segment, or bytes no URL path needs. */
static bool
path_is_unsafe(const char *path)
{
	for (const char *p = path; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
			return true;
		if (p[0] == '/' && p[1] == '.' &&
		    (p[2] == '/' || p[2] == '\0' ||
		    (p[2] == '.' && (p[3] == '/' || p[3] == '\0'))))
			return true;
	}
	return false;
}

static enum xp_status
set_bad(struct request *r, int status, const char *reason)
{
	if (r->bad_status == 0) {
		r->bad_status = status;
		r->bad_reason = reason;
	}
	return XP_OK;
}

/* Is the q of the parameters P (";q=0.5;...", up to END) above zero? */
static bool
q_positive(const char *p, const char *end)
{
	while (p < end) {
		p += strspn(p, " \t;");
		if (p + 2 <= end && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
			for (p += 2; p < end && *p != ';'; p++)
				if (*p >= '1' && *p <= '9')
					return true;
			return false;
		}
		p += strcspn(p, ";");
		if (p > end)
			break;
	}
	return true;
}

bool
request_accepts_gzip(const char *value)
{
	int gzip = -1, star = -1;

	for (const char *p = value; p != NULL && *p != '\0';) {
		const char *item, *end;
		size_t n;

		p += strspn(p, " \t,");
		item = p;
		end = p + strcspn(p, ",");
		n = strcspn(item, " \t;,");
		if ((n == 4 && strncasecmp(item, "gzip", 4) == 0) ||
		    (n == 6 && strncasecmp(item, "x-gzip", 6) == 0))
			gzip = q_positive(item + n, end);
		else if (n == 1 && item[0] == '*')
			star = q_positive(item + n, end);
		p = end;
	}
	return gzip >= 0 ? gzip == 1 : star == 1;
}

/* True when FILE (SCRIPT_FILENAME) is a regular file.  Under FastCGI a
 * web server also fills SCRIPT_NAME for programs that serve a whole tree:
 * mod_fcgid's virtual wrapper at "/" passes SCRIPT_NAME=/page and
 * PATH_INFO=/2/ for /page/2/, naming a file that does not exist.  Only a
 * script that exists is a mount. */
static bool
script_file_exists(const char *file)
{
	struct stat sb;

	return file != NULL && file[0] == '/' && stat(file, &sb) == 0 &&
	    S_ISREG(sb.st_mode);
}

/* The mount SCRIPT_NAME gives for the decoded PATH, as a new string
 * "SCRIPT_NAME/" (caller frees), or NULL when it gives none: it must be a
 * clean absolute path (it goes into every link unescaped) that PATH
 * continues with '/', or equals as plain CGI; under FastCGI the script
 * (SCRIPT_FILENAME, FILE) must exist. */
static char *
script_mount(const char *script, const char *file, const char *path,
    enum request_mount mount)
{
	size_t n = script ? strlen(script) : 0;
	char *base;

	if (mount == MOUNT_CONFIG || n < 2 || script[0] != '/' ||
	    script[n - 1] == '/' || n > REQUEST_URI_MAX ||
	    strspn(script, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789/-._~") != n || strstr(script, "//") != NULL ||
	    path_is_unsafe(script) || strncmp(path, script, n) != 0)
		return NULL;
	if (path[n] != '/' && !(path[n] == '\0' && mount == MOUNT_SCRIPT_CGI))
		return NULL;
	if (mount == MOUNT_SCRIPT && !script_file_exists(file))
		return NULL;
	if ((base = malloc(n + 2)) == NULL)
		return NULL;
	memcpy(base, script, n);
	base[n] = '/';
	base[n + 1] = '\0';
	return base;
}

enum xp_status
request_parse(struct request *r, request_param_fn *get, void *ctx,
    const char *base_path, struct xp_error *err)
{
	return request_parse_mounted(r, get, ctx, base_path, MOUNT_CONFIG, err);
}

enum xp_status
request_parse_mounted(struct request *r, request_param_fn *get, void *ctx,
    const char *base_path, enum request_mount mount, struct xp_error *err)
{
	const char *method = get(ctx, "REQUEST_METHOD");
	const char *uri = get(ctx, "REQUEST_URI");
	const char *query = get(ctx, "QUERY_STRING");
	const char *inm = get(ctx, "HTTP_IF_NONE_MATCH");
	const char *ims = get(ctx, "HTTP_IF_MODIFIED_SINCE");
	const char *encodings = get(ctx, "HTTP_ACCEPT_ENCODING");
	char *joined = NULL, *decoded;
	size_t base_len = strlen(base_path), path_len;

	memset(r, 0, sizeof(*r));
	r->if_modified_since = (time_t)-1;
	if (method == NULL)
		method = "GET";
	if (strlen(method) < sizeof(r->method_name) &&
	    strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ-_") == strlen(method))
		strcpy(r->method_name, method);
	r->method = strcmp(method, "GET") == 0 ? METHOD_GET
	    : strcmp(method, "HEAD") == 0 ? METHOD_HEAD : METHOD_OTHER;

	/* nginx and Apache pass REQUEST_URI; a bare CGI server may give only
	 * SCRIPT_NAME and PATH_INFO, which together mean the same. */
	if (uri == NULL) {
		const char *script = get(ctx, "SCRIPT_NAME"), *info = get(ctx, "PATH_INFO");
		size_t a = script ? strlen(script) : 0, b = info ? strlen(info) : 0;

		if ((joined = malloc(a + b + 2)) == NULL)
			goto nomem;
		memcpy(joined, script ? script : "", a);
		memcpy(joined + a, info ? info : "", b);
		joined[a + b] = '\0';
		if (joined[0] == '\0')
			strcpy(joined, "/");
		uri = joined;
	}
	if ((r->uri = strdup(uri)) == NULL ||
	    (r->query = strdup(query ? query : "")) == NULL)
		goto nomem;
	if (inm != NULL && (r->if_none_match = copy_or_null(inm)) == NULL)
		goto nomem;
	if (ims != NULL)
		r->if_modified_since = date_http_parse(ims);
	r->accept_gzip = request_accepts_gzip(encodings);
	free(joined);
	joined = NULL;

	if (strlen(r->uri) > REQUEST_URI_MAX)
		return set_bad(r, 414, "the request URI is too long");
	if (strlen(r->query) > REQUEST_QUERY_MAX)
		return set_bad(r, 414, "the query string is too long");
	path_len = strcspn(r->uri, "?#");
	if (r->uri[0] != '/')
		return set_bad(r, 400, "the request path must start with /");
	if ((decoded = request_percent_decode(r->uri, path_len)) == NULL)
		return set_bad(r, 400, "bad percent-encoding in the path");
	if (path_is_unsafe(decoded)) {
		free(decoded);
		return set_bad(r, 400, "the path has dot segments or control bytes");
	}
	if ((r->base_path = script_mount(get(ctx, "SCRIPT_NAME"),
	    get(ctx, "SCRIPT_FILENAME"), decoded, mount)) != NULL)
		base_path = r->base_path;
	else if ((r->base_path = strdup(base_path)) == NULL) {
		free(decoded);
		goto nomem;
	}
	base_len = strlen(base_path);
	/* Strip the base path: "/blog/page/2/" -> "/page/2/".  "/blog" alone
	 * is the site root without its slash. */
	if (strncmp(decoded, base_path, base_len) == 0) {
		r->path = malloc(strlen(decoded + base_len) + 2);
		if (r->path == NULL) {
			free(decoded);
			goto nomem;
		}
		r->path[0] = '/';
		strcpy(r->path + 1, decoded + base_len);
		free(decoded);
	} else if (strncmp(decoded, base_path, base_len - 1) == 0 &&
	    decoded[base_len - 1] == '\0') {
		free(decoded);
		if ((r->path = strdup("")) == NULL)
			goto nomem;
	} else {
		r->outside_base = true;
		r->path = decoded;
	}
	return XP_OK;
nomem:
	free(joined);
	request_release(r);
	return xp_error_set(err, XP_ERR_NOMEM, "request", 0, "out of memory");
}

void
request_release(struct request *r)
{
	free(r->uri);
	free(r->path);
	free(r->query);
	free(r->if_none_match);
	free(r->base_path);
	memset(r, 0, sizeof(*r));
}
