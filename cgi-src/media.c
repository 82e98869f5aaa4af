/* media.c - an article's own files: names, types, opening them safely,
 * and their fingerprints and sizes remembered against their stamps. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "log.h"
#include "media.h"

#define MEDIA_SLOTS 1024          /* files remembered; a collision evicts */
#define MEDIA_LOGGED 512          /* problems remembered as logged */
#define PROBE_HEAD (1u << 20)     /* bytes of a file the size is read from */
#define READ_CHUNK (64u << 10)

struct media_entry {
	bool used;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	uint64_t fingerprint;
	unsigned width, height;
	bool has_dims;
};

struct media_cache {
	pthread_mutex_t lock;
	struct media_entry slots[MEDIA_SLOTS];
	uint64_t logged[MEDIA_LOGGED];   /* hashes of logged lines, 0 = free */
	size_t logged_next;
};

struct media_type_row {
	const char *ext;
	const char *type;
	bool image;
};

/* The allowlist.  Anything else in an article's folder is never served:
 * no markup that a browser would run on our origin (HTML, XML), no
 * scripts, no archives of unknown content. */
static const struct media_type_row types[] = {
	{ "png",  "image/png", true },
	{ "jpg",  "image/jpeg", true },
	{ "jpeg", "image/jpeg", true },
	{ "gif",  "image/gif", true },
	{ "webp", "image/webp", true },
	{ "avif", "image/avif", true },
	{ "svg",  "image/svg+xml", true },
	{ "pdf",  "application/pdf", false },
	{ "txt",  "text/plain; charset=utf-8", false },
	{ "csv",  "text/csv; charset=utf-8", false },
	{ "json", "application/json", false },
	{ "yaml", "text/plain; charset=utf-8", false },
	{ "yml",  "text/plain; charset=utf-8", false },
};

struct media_cache *
media_cache_new(void)
{
	struct media_cache *c = calloc(1, sizeof(*c));

	if (c != NULL && pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	return c;
}

void
media_cache_free(struct media_cache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c);
}

bool
media_name_valid(const char *name)
{
	size_t n = 0;

	if (name == NULL || !((name[0] >= 'A' && name[0] <= 'Z') ||
	    (name[0] >= 'a' && name[0] <= 'z') ||
	    (name[0] >= '0' && name[0] <= '9')))
		return false;
	for (const char *p = name; *p; p++, n++) {
		char ch = *p;

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		    ch == '-'))
			return false;
	}
	return n <= MEDIA_NAME_MAX;
}

const char *
media_type(const char *name, bool *is_image)
{
	const char *dot = strrchr(name, '.');

	*is_image = false;
	if (dot == NULL || dot == name)
		return NULL;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(dot + 1, types[i].ext) == 0) {
			*is_image = types[i].image;
			return types[i].type;
		}
	return NULL;
}

bool
media_ref_is_own(const char *ref)
{
	size_t scheme;

	if (ref == NULL || ref[0] == '\0' || ref[0] == '/' || ref[0] == '#' ||
	    ref[0] == '?')
		return false;
	/* "https:", "mailto:": a colon before any '/', '?' or '#'. */
	scheme = strcspn(ref, ":/?#");
	return ref[scheme] != ':';
}

static size_t
slot_of(dev_t dev, ino_t ino)
{
	return (size_t)(hash_u64(hash_u64(HASH_INIT, (uint64_t)dev),
	    (uint64_t)ino) % MEDIA_SLOTS);
}

static bool
stamp_matches(const struct media_entry *e, const struct stat *st)
{
	return e->used && e->dev == st->st_dev && e->ino == st->st_ino &&
	    e->size == st->st_size &&
	    e->mtime.tv_sec == st->st_mtim.tv_sec &&
	    e->mtime.tv_nsec == st->st_mtim.tv_nsec &&
	    e->ctime.tv_sec == st->st_ctim.tv_sec &&
	    e->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

/* Reads all of FD (a regular file of ST's size) to fingerprint it, and its
 * head to read an image's size.  Fills E; false on a read error. */
static bool
measure(int fd, const struct stat *st, bool image, struct media_entry *e)
{
	size_t head_len = 0, head_cap = image ? (st->st_size < PROBE_HEAD ?
	    (size_t)st->st_size : PROBE_HEAD) : 0;
	unsigned char *head = head_cap ? malloc(head_cap) : NULL;
	unsigned char chunk[READ_CHUNK];
	uint64_t h = HASH_INIT;
	off_t off = 0;
	ssize_t n;

	if (head_cap > 0 && head == NULL)
		return false;
	while ((n = pread(fd, chunk, sizeof(chunk), off)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(head);
			return false;
		}
		h = hash_bytes(h, chunk, (size_t)n);
		if (head_len < head_cap) {
			size_t take = head_cap - head_len < (size_t)n ?
			    head_cap - head_len : (size_t)n;

			memcpy(head + head_len, chunk, take);
			head_len += take;
		}
		off += n;
	}
	memset(e, 0, sizeof(*e));
	e->fingerprint = h;
	if (head != NULL) {
		imgprobe(head, head_len, &e->width, &e->height);
		e->has_dims = e->width > 0 && e->height > 0;
	}
	free(head);
	return true;
}

/* Opens DIR/SLUG as a directory, refusing a symbolic link, or -1. */
static int
open_slug_dir(const char *dir, const char *slug)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), sfd;

	if (dfd < 0)
		return -1;
	sfd = openat(dfd, slug, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	return sfd;
}

/* media_open's work, on the already open folder SFD; PATH names the file
 * in errors. */
static enum media_status
open_at(struct media_cache *c, int sfd, const char *path, const char *name,
    size_t max_bytes, int *fd_out, struct media_info *info,
    struct xp_error *err)
{
	struct media_entry e, *slot = NULL;
	struct stat st;
	bool image;
	const char *type;
	int fd;

	memset(info, 0, sizeof(*info));
	if (!media_name_valid(name)) {
		xp_error_set(err, XP_ERR_INVALID, path, 0, "\"%s\" is not a valid "
		    "name for an article's own file ([A-Za-z0-9][A-Za-z0-9._-]*)",
		    name);
		return MEDIA_BAD_NAME;
	}
	if ((type = media_type(name, &image)) == NULL) {
		xp_error_set(err, XP_ERR_INVALID, path, 0,
		    "files of this type are not served");
		return MEDIA_BAD_TYPE;
	}
	/* O_NONBLOCK: a FIFO planted under an image's name must not hang a
	 * worker in open(); fstat then turns it away. */
	fd = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		xp_error_set(err, XP_ERR_IO, path, 0, "no such file%s",
		    fd < 0 && errno == ELOOP ? " (symbolic links are not "
		    "followed)" : "");
		return MEDIA_MISSING;
	}
	if ((unsigned long long)st.st_size > max_bytes) {
		close(fd);
		xp_error_set(err, XP_ERR_TOO_BIG, path, 0, "%lld bytes is over "
		    "max_media_bytes (%zu); not served", (long long)st.st_size,
		    max_bytes);
		return MEDIA_TOO_BIG;
	}
	if (c != NULL) {
		pthread_mutex_lock(&c->lock);
		slot = &c->slots[slot_of(st.st_dev, st.st_ino)];
		e = *slot;
		pthread_mutex_unlock(&c->lock);
	}
	if (slot == NULL || !stamp_matches(&e, &st)) {
		if (!measure(fd, &st, image, &e)) {
			close(fd);
			xp_error_set(err, XP_ERR_IO, path, 0, "cannot read: %s",
			    strerror(errno));
			return MEDIA_IO;
		}
		e.used = true;
		e.dev = st.st_dev;
		e.ino = st.st_ino;
		e.size = st.st_size;
		e.mtime = st.st_mtim;
		e.ctime = st.st_ctim;
		if (slot != NULL) {
			pthread_mutex_lock(&c->lock);
			*slot = e;
			pthread_mutex_unlock(&c->lock);
		}
	}
	info->content_type = type;
	info->is_image = image;
	info->has_dims = image && e.has_dims;
	info->width = info->has_dims ? e.width : 0;
	info->height = info->has_dims ? e.height : 0;
	info->fingerprint = e.fingerprint;
	snprintf(info->version, sizeof(info->version), "%016llx",
	    (unsigned long long)e.fingerprint);
	info->size = st.st_size;
	info->mtime = st.st_mtim.tv_sec;
	if (fd_out != NULL)
		*fd_out = fd;
	else
		close(fd);
	return MEDIA_OK;
}

enum media_status
media_open(struct media_cache *c, const char *dir, const char *slug,
    const char *name, size_t max_bytes, int *fd, struct media_info *info,
    struct xp_error *err)
{
	char path[1024];
	enum media_status st;
	int sfd;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, slug, name);
	if (!media_name_valid(name))
		return open_at(c, -1, path, name, max_bytes, fd, info, err);
	if ((sfd = open_slug_dir(dir, slug)) < 0) {
		memset(info, 0, sizeof(*info));
		xp_error_set(err, XP_ERR_IO, path, 0, "no such file");
		return MEDIA_MISSING;
	}
	st = open_at(c, sfd, path, name, max_bytes, fd, info, err);
	close(sfd);
	return st;
}

uint64_t
media_folder_fp(struct media_cache *c, const char *dir, const char *slug,
    size_t max_bytes)
{
	struct media_info info;
	struct dirent *d;
	uint64_t sum = 0;
	char path[1024];
	bool image;
	DIR *dp;
	int sfd;

	if ((sfd = open_slug_dir(dir, slug)) < 0)
		return 0;
	if ((dp = fdopendir(sfd)) == NULL) {
		close(sfd);
		return 0;
	}
	while ((d = readdir(dp)) != NULL) {
		enum media_status st;
		uint64_t h;

		if (!media_name_valid(d->d_name) ||
		    media_type(d->d_name, &image) == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", dir, slug, d->d_name);
		st = open_at(c, dirfd(dp), path, d->d_name, max_bytes, NULL,
		    &info, NULL);
		h = hash_str(HASH_INIT, d->d_name);
		h = hash_u64(h, st == MEDIA_OK ? info.fingerprint : (uint64_t)st);
		/* A sum: the order readdir lists in does not matter. */
		sum += h;
	}
	closedir(dp);
	return hash_u64(hash_str(HASH_INIT, "media"), sum) | 1;
}

size_t
media_each(const char *dir, const char *slug,
    void (*each)(void *ctx, const char *name), void *ctx)
{
	struct dirent *d;
	size_t n = 0;
	bool image;
	DIR *dp;
	int sfd;

	if ((sfd = open_slug_dir(dir, slug)) < 0)
		return 0;
	if ((dp = fdopendir(sfd)) == NULL) {
		close(sfd);
		return 0;
	}
	while ((d = readdir(dp)) != NULL)
		if (media_name_valid(d->d_name) &&
		    media_type(d->d_name, &image) != NULL) {
			each(ctx, d->d_name);
			n++;
		}
	closedir(dp);
	return n;
}

void
media_log_once(struct media_cache *c, int level, const struct xp_error *err)
{
	char text[1200];
	uint64_t h;
	bool seen = false;

	xp_error_format(err, text, sizeof(text));
	h = hash_str(HASH_INIT, text) | 1;
	if (c != NULL) {
		pthread_mutex_lock(&c->lock);
		for (size_t i = 0; i < MEDIA_LOGGED && !seen; i++)
			seen = c->logged[i] == h;
		if (!seen) {
			c->logged[c->logged_next] = h;
			c->logged_next = (c->logged_next + 1) % MEDIA_LOGGED;
		}
		pthread_mutex_unlock(&c->lock);
	}
	if (!seen)
		log_error((enum log_level)level, err);
}

struct check_ctx {
	struct media_cache *c;
	const char *dir, *slug;
	size_t max_bytes;
	char path[1024];        /* DIR/SLUG.xml */
	media_report_fn *report;
	void *ctx;
	size_t found;
};

static void
check_report(struct check_ctx *k, xmlNodePtr node, const char *fmt,
    const char *arg, const char *why)
{
	struct xp_error err;

	xp_error_set(&err, XP_ERR_INVALID, k->path, xmlGetLineNo(node), fmt,
	    arg, why);
	k->report(k->ctx, &err);
	k->found++;
}

/* Checks one reference REF (an attribute value as written) of NODE. */
static void
check_ref(struct check_ctx *k, xmlNodePtr node, const char *ref, bool image)
{
	struct media_info info;
	struct xp_error err;
	enum media_status st;

	if (!media_ref_is_own(ref))
		return;
	st = media_open(k->c, k->dir, k->slug, ref, k->max_bytes, NULL, &info,
	    &err);
	switch (st) {
	case MEDIA_OK:
		if (image && info.is_image && !info.has_dims)
			check_report(k, node, "\"%s\": %s", ref, "the image's "
			    "width and height cannot be read; shown without them");
		return;
	case MEDIA_BAD_NAME:
		check_report(k, node, "\"%s\": %s", ref, "not a valid name for "
		    "an own file ([A-Za-z0-9][A-Za-z0-9._-]*, no folders)");
		return;
	default:
		check_report(k, node, "\"%s\": %s", ref, err.reason);
		return;
	}
}

static void
check_walk(struct check_ctx *k, xmlNodePtr node)
{
	for (xmlNodePtr n = node->children; n != NULL; n = n->next) {
		xmlChar *v;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrEqual(n->name, BAD_CAST "img")) {
			xmlChar *alt = xmlGetProp(n, BAD_CAST "alt");

			if (alt == NULL)
				check_report(k, n, "%s%s", "<img> has no alt text",
				    " (alt=\"\" marks a decorative one)");
			xmlFree(alt);
			v = xmlGetProp(n, BAD_CAST "src");
			check_ref(k, n, (const char *)v, true);
			xmlFree(v);
		} else if (xmlStrEqual(n->name, BAD_CAST "a")) {
			v = xmlGetProp(n, BAD_CAST "href");
			check_ref(k, n, (const char *)v, false);
			xmlFree(v);
		}
		check_walk(k, n);
	}
}

size_t
media_check_body(struct media_cache *c, const char *dir, const char *slug,
    size_t max_bytes, xmlNodePtr article, media_report_fn *report,
    void *ctx)
{
	struct check_ctx k = { .c = c, .dir = dir, .slug = slug,
		.max_bytes = max_bytes, .report = report, .ctx = ctx };

	snprintf(k.path, sizeof(k.path), "%s/%s.xml", dir, slug);
	for (xmlNodePtr n = article ? article->children : NULL; n != NULL;
	    n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrEqual(n->name, BAD_CAST "body"))
			check_walk(&k, n);
		else if (xmlStrEqual(n->name, BAD_CAST "image")) {
			xmlChar *v = xmlNodeGetContent(n);
			char *name = (char *)v;

			/* Trimmed: the writer may have put it on its own line. */
			while (name != NULL && (*name == ' ' || *name == '\n' ||
			    *name == '\t'))
				name++;
			if (name != NULL)
				name[strcspn(name, " \t\r\n")] = '\0';
			if (name == NULL || !media_ref_is_own(name) ||
			    !media_name_valid(name))
				check_report(&k, n, "<image>%s%s",
				    "", " must name one of the article's own files");
			else
				check_ref(&k, n, name, true);
			xmlFree(v);
		}
	}
	return k.found;
}
