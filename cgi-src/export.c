/* export.c - `xsltpress export DIR`: the whole site as static files under
 * the same URLs, for hosts that serve only files.  Every page goes
 * through route_respond, exactly as a request would. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"
#include "frontend.h"
#include "http.h"
#include "log.h"
#include "route.h"

struct export_ctx {
	struct server *server;
	struct site *site;
	const char *dir;
	time_t now;
	size_t written;
	struct xp_error *err;
	const char *slug;       /* the article whose own files are copied */
	enum xp_status media_st;
};

static const char *
export_param(void *ctx, const char *name)
{
	if (strcmp(name, "REQUEST_METHOD") == 0)
		return "GET";
	if (strcmp(name, "REQUEST_URI") == 0)
		return ctx;
	return NULL;
}

/* Creates every folder of PATH's parent, like mkdir -p. */
static bool
make_parents(char *path)
{
	for (char *p = strchr(path + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			*p = '/';
			return false;
		}
		*p = '/';
	}
	return true;
}

static enum xp_status
write_file(const char *path, const char *data, size_t len,
    struct xp_error *err)
{
	char tmp[PATH_MAX + 8];
	bool ok;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return xp_error_set(err, XP_ERR_IO, tmp, 0, "%s", strerror(errno));
	ok = fd_write_all(fd, data, len);
	if (close(fd) != 0 || !ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return xp_error_set(err, XP_ERR_IO, path, 0, "cannot write");
	}
	return XP_OK;
}

/* Renders site path PATH ("page/2/", "feed.xml") into its file; pages
 * that end in '/' become index.html.  EXPECT is the status it must have. */
static enum xp_status
export_one(struct export_ctx *x, const char *path, int expect,
    const char *file_name)
{
	char uri[PATH_MAX], file[PATH_MAX];
	struct buf out = BUF_INIT;
	struct request req;
	size_t header_len;
	enum xp_status st;
	const char *body;

	snprintf(uri, sizeof(uri), "%s%s", x->site->cfg->base_path, path);
	if ((st = request_parse(&req, export_param, uri,
	    x->site->cfg->base_path, x->err)) != XP_OK)
		return st;
	route_respond(x->site, NULL, &req, x->now, &out, &header_len);
	request_release(&req);
	if (strncmp(out.data, "Status: ", 8) != 0 || atoi(out.data + 8) != expect) {
		st = xp_error_set(x->err, XP_ERR_INVALID, uri, 0,
		    "answered %.3s, not %d", out.data + 8, expect);
		buf_release(&out);
		return st;
	}
	if (file_name != NULL)
		snprintf(file, sizeof(file), "%s/%s", x->dir, file_name);
	else
		snprintf(file, sizeof(file), "%s/%s%s", x->dir, path,
		    path[0] == '\0' || path[strlen(path) - 1] == '/' ? "index.html" : "");
	body = out.data + header_len;
	if (!make_parents(file))
		st = xp_error_set(x->err, XP_ERR_IO, file, 0, "%s", strerror(errno));
	else
		st = write_file(file, body, out.len - header_len, x->err);
	buf_release(&out);
	x->written += st == XP_OK;
	return st;
}

static bool
fd_write(void *ctx, const char *data, size_t n)
{
	return fd_write_all(*(int *)ctx, data, n);
}

/* Copies one own file of x->slug, byte for byte, beside its page.  A
 * file the server would not serve (over the cap, unreadable) is left out
 * with a warning, as the server would answer 404 for it. */
static void
export_media_file(void *ctx, const char *name)
{
	struct export_ctx *x = ctx;
	const struct config *cfg = x->site->cfg;
	char file[PATH_MAX], tmp[PATH_MAX + 8];
	struct media_info info;
	struct xp_error err;
	int in, out;
	bool ok;

	if (x->media_st != XP_OK)
		return;
	if (media_open(x->site->media, cfg->articles_dir, x->slug, name,
	    cfg->max_media_bytes, &in, &info, &err) != MEDIA_OK) {
		log_error(LOG_WARN, &err);
		return;
	}
	snprintf(file, sizeof(file), "%s/articles/%s/%s", x->dir, x->slug, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	if (!make_parents(file) || (out = open(tmp, O_WRONLY | O_CREAT |
	    O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		close(in);
		x->media_st = xp_error_set(x->err, XP_ERR_IO, file, 0, "%s",
		    strerror(errno));
		return;
	}
	ok = http_stream_fd(in, info.size, fd_write, &out);
	close(in);
	if (close(out) != 0 || !ok || rename(tmp, file) != 0) {
		unlink(tmp);
		x->media_st = xp_error_set(x->err, XP_ERR_IO, file, 0,
		    "cannot write");
		return;
	}
	x->written++;
}

/* Exports a listing at PREFIX of COUNT articles: its first page and all
 * later ones. */
static enum xp_status
export_listing(struct export_ctx *x, const char *prefix, size_t count)
{
	size_t per_page = x->site->cfg->per_page;
	char path[PATH_MAX];
	enum xp_status st = export_one(x, prefix, 200, NULL);

	for (size_t n = 2; st == XP_OK && (n - 1) * per_page < count; n++) {
		snprintf(path, sizeof(path), "%spage/%zu/", prefix, n);
		st = export_one(x, path, 200, NULL);
	}
	return st;
}

static enum xp_status
export_everything(struct export_ctx *x)
{
	static const char *const singles[] = { "tags/", "archive/", "search/",
		"feed.xml", "feed.json", "sitemap.xml", "robots.txt", "style.css",
		"favicon.svg" };
	const struct index *idx = x->site->index;
	size_t first, listed = index_listed(idx, x->now, &first);
	int year = -1, month = -1;
	size_t year_count = 0, month_count = 0;
	enum xp_status st;
	char path[PATH_MAX];
	const char *key;
	void *value;

	if ((st = export_listing(x, "", listed)) != XP_OK)
		return st;
	for (size_t i = 0; i < sizeof(singles) / sizeof(singles[0]); i++)
		if ((st = export_one(x, singles[i], 200, NULL)) != XP_OK)
			return st;
	if ((st = export_one(x, "404.html", 404, "404.html")) != XP_OK)
		return st;
	for (size_t i = first; i < idx->count; i++) {
		snprintf(path, sizeof(path), "articles/%s/", idx->articles[i]->slug);
		if ((st = export_one(x, path, 200, NULL)) != XP_OK)
			return st;
		x->slug = idx->articles[i]->slug;
		x->media_st = XP_OK;
		media_each(x->site->cfg->articles_dir, x->slug, export_media_file, x);
		if (x->media_st != XP_OK)
			return x->media_st;
	}
	for (size_t i = 0; strmap_next(&idx->by_tag, &i, &key, &value);) {
		const struct tag_list *list = value;
		size_t n = 0;

		for (size_t j = 0; j < list->count; j++)
			n += list->items[j]->published.instant <= x->now;
		if (n == 0)
			continue;
		snprintf(path, sizeof(path), "tags/%s/", list->tag);
		if ((st = export_listing(x, path, n)) != XP_OK)
			return st;
		snprintf(path, sizeof(path), "tags/%s/feed.xml", list->tag);
		if ((st = export_one(x, path, 200, NULL)) != XP_OK)
			return st;
		snprintf(path, sizeof(path), "tags/%s/feed.json", list->tag);
		if ((st = export_one(x, path, 200, NULL)) != XP_OK)
			return st;
	}
	/* Years and months are runs of the listing order; each run's length
	 * is known only at its end, so export the previous run then. */
	for (size_t i = first; i <= idx->count; i++) {
		const struct xp_date *d = i < idx->count ? &idx->articles[i]->published : NULL;

		if (d == NULL || d->month != month || d->year != year) {
			if (month_count > 0) {
				snprintf(path, sizeof(path), "archive/%04d/%02d/", year, month);
				if ((st = export_listing(x, path, month_count)) != XP_OK)
					return st;
			}
			month_count = 0;
		}
		if (d == NULL || d->year != year) {
			if (year_count > 0) {
				snprintf(path, sizeof(path), "archive/%04d/", year);
				if ((st = export_listing(x, path, year_count)) != XP_OK)
					return st;
			}
			year_count = 0;
		}
		if (d == NULL)
			break;
		year = d->year;
		month = d->month;
		year_count++;
		month_count++;
	}
	return XP_OK;
}

enum xp_status
export_site(struct server *s, const char *dir, struct xp_error *err)
{
	struct export_ctx x = { s, server_site(s), dir, time(NULL), 0, err,
		NULL, XP_OK };
	enum xp_status st;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		site_unref(x.site);
		return xp_error_set(err, XP_ERR_IO, dir, 0, "%s", strerror(errno));
	}
	st = export_everything(&x);
	if (st == XP_OK)
		log_msg(LOG_INFO, "exported %zu files to %s", x.written, dir);
	site_unref(x.site);
	return st;
}
