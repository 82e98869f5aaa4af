/* folder.c - keep the articles folder's good articles, file by file. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "folder.h"

/* More changes than this between two snapshots: rebuild instead. */
#define PENDING_MAX 64

static void clear_pending(struct folder *f);

struct folder_file {
	char *name;
	struct file_stamp stamp;  /* of the version last read, good or not */
	struct article *good;     /* last good version, NULL when none */
	bool broken;              /* the last read failed */
	bool seen;                /* found by the scan in progress */
};

static void
file_free(struct folder_file *ff)
{
	if (ff == NULL)
		return;
	article_unref(ff->good);
	free(ff->name);
	free(ff);
}

static void
report(struct folder *f, enum log_level level, const struct xp_error *err,
    time_t since)
{
	if (f->report != NULL)
		f->report(f->report_ctx, level, err, since);
}

struct folder *
folder_new(const char *dir, size_t max_bytes, folder_report_fn *report,
    void *report_ctx)
{
	struct folder *f = calloc(1, sizeof(*f));

	if (f == NULL || (f->dir = strdup(dir)) == NULL) {
		free(f);
		return NULL;
	}
	f->max_bytes = max_bytes;
	f->rebuild = true;
	f->report = report;
	f->report_ctx = report_ctx;
	return f;
}

void
folder_free(struct folder *f)
{
	const char *name;
	void *value;

	if (f == NULL)
		return;
	for (size_t i = 0; strmap_next(&f->files, &i, &name, &value);)
		file_free(value);
	strmap_release(&f->files);
	clear_pending(f);
	folder_drop_metacache(f);
	free(f->dir);
	free(f);
}

void
folder_set_lang(struct folder *f, const char *lang)
{
	snprintf(f->lang, sizeof(f->lang), "%s", lang ? lang : "");
}

void
folder_use_metacache(struct folder *f, struct metacache *mc)
{
	folder_drop_metacache(f);
	f->mc = mc;
}

void
folder_drop_metacache(struct folder *f)
{
	struct xp_error err;

	if (f->mc == NULL)
		return;
	if (metacache_save(f->mc, &err) != XP_OK)
		report(f, LOG_WARN, &err, 0);
	metacache_free(f->mc);
	f->mc = NULL;
}

static void
clear_pending(struct folder *f)
{
	for (size_t i = 0; i < f->ngone; i++)
		article_unref(f->gone[i]);
	for (size_t i = 0; i < f->nadded; i++)
		article_unref(f->added[i]);
	free(f->gone);
	free(f->added);
	f->gone = f->added = NULL;
	f->ngone = f->nadded = 0;
}

static bool
push(struct article ***list, size_t *n, struct article *a)
{
	struct article **grown = realloc(*list, (*n + 1) * sizeof(*grown));

	if (grown == NULL)
		return false;
	*list = grown;
	(*list)[(*n)++] = article_ref(a);
	return true;
}

/* Notes that the published version OLD (or none) became NEW (or none).
 * A version added and gone again before a snapshot simply vanishes. */
static void
note_change(struct folder *f, struct article *old, struct article *new)
{
	if (f->rebuild)
		return;
	if (old != NULL) {
		size_t i = 0;

		while (i < f->nadded && f->added[i] != old)
			i++;
		if (i < f->nadded) {
			article_unref(f->added[i]);
			f->added[i] = f->added[--f->nadded];
		} else if (!push(&f->gone, &f->ngone, old)) {
			f->rebuild = true;
		}
	}
	if (new != NULL && !push(&f->added, &f->nadded, new))
		f->rebuild = true;
	if (f->ngone + f->nadded > PENDING_MAX)
		f->rebuild = true;
	if (f->rebuild)
		clear_pending(f);
}

/* Drops NAME from the folder; true when a published article went away. */
static bool
forget(struct folder *f, const char *name)
{
	struct folder_file *ff = strmap_remove(&f->files, name);
	bool had = ff != NULL && ff->good != NULL;

	if (f->mc != NULL && ff != NULL)
		metacache_forget(f->mc, name);
	if (had)
		note_change(f, ff->good, NULL);
	file_free(ff);
	return had;
}

bool
folder_update(struct folder *f, const char *name)
{
	char slug[SLUG_MAX + 1], path[4096];
	struct folder_file *ff;
	struct file_stamp stamp;
	struct article *a = NULL;
	struct xp_error err;
	enum name_kind kind;
	struct stat st;

	kind = article_name_kind(name, slug);
	if (kind == NAME_IGNORED)
		return false;
	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return forget(f, name) ? (f->generation++, true) : false;
	file_stamp_from_stat(&stamp, &st);
	if ((ff = strmap_get(&f->files, name)) != NULL) {
		ff->seen = true;
		if (file_stamp_equal(&ff->stamp, &stamp))
			return false;
	} else {
		if ((ff = calloc(1, sizeof(*ff))) == NULL ||
		    (ff->name = strdup(name)) == NULL ||
		    !strmap_put(&f->files, ff->name, ff)) {
			file_free(ff);
			xp_error_set(&err, XP_ERR_NOMEM, path, 0, "out of memory");
			report(f, LOG_ERROR, &err, 0);
			return false;
		}
		ff->seen = true;
	}
	ff->stamp = stamp;
	if (kind == NAME_BAD_SLUG) {
		ff->broken = true;
		xp_error_set(&err, XP_ERR_INVALID, path, 0,
		    "skipped: the name is not a valid slug (lowercase letters, "
		    "digits and single dashes, at most %d, then .xml)", SLUG_MAX);
		report(f, LOG_WARN, &err, 0);
		return false;
	}
	if (f->mc != NULL && (a = metacache_lookup(f->mc, name, &stamp)) != NULL)
		goto take;
	if (article_load_lang(f->dir, name, f->max_bytes,
	    f->lang[0] ? f->lang : NULL, &a, &stamp, &err) != XP_OK) {
		bool recovered = false;

		/* A fresh process has no good version in memory, but the
		 * cache may remember one from before the broken save. */
		if (ff->good == NULL && f->mc != NULL &&
		    (ff->good = metacache_last_good(f->mc, name)) != NULL) {
			recovered = true;
			note_change(f, NULL, ff->good);
		}
		/* A file we could not read may become readable; its stamp
		 * (ctime) moves when it does, and we try again then. */
		ff->stamp = stamp;
		ff->broken = true;
		report(f, err.status == XP_ERR_IO ? LOG_WARN : LOG_ERROR, &err,
		    ff->good ? ff->good->loaded_at : 0);
		if (recovered)
			f->generation++;
		return recovered;
	}
	if (f->mc != NULL) {
		/* Serve the twin whose bytes live in the cache folder: with a
		 * cache, a large site keeps only metadata in memory. */
		struct article *twin = metacache_store(f->mc, name, a);

		if (twin != NULL) {
			article_unref(a);
			a = twin;
		}
	}
take:
	ff->stamp = stamp;
	ff->broken = false;
	note_change(f, ff->good, a);
	article_unref(ff->good);
	ff->good = a;
	f->generation++;
	return true;
}

static bool
has_file(void *ctx, const char *name)
{
	return strmap_get(&((struct folder *)ctx)->files, name) != NULL;
}

enum xp_status
folder_scan(struct folder *f, struct xp_error *err)
{
	struct xp_error err2;
	struct dirent *de;
	const char *name;
	void *value;
	DIR *d;

	if ((d = opendir(f->dir)) == NULL)
		return xp_error_set(err, XP_ERR_IO, f->dir, 0,
		    "cannot open the articles folder: %s", strerror(errno));
	for (size_t i = 0; strmap_next(&f->files, &i, &name, &value);)
		((struct folder_file *)value)->seen = false;
	while ((de = readdir(d)) != NULL)
		folder_update(f, de->d_name);
	closedir(d);
	/* What the scan did not see was deleted or renamed away. */
	for (size_t i = 0; strmap_next(&f->files, &i, &name, &value);) {
		struct folder_file *ff = value;

		/* Removal leaves a tombstone, so iteration may go on. */
		if (!ff->seen && forget(f, ff->name))
			f->generation++;
	}
	if (f->mc != NULL) {
		metacache_prune(f->mc, has_file, f);
		if (metacache_save(f->mc, &err2) != XP_OK)
			report(f, LOG_WARN, &err2, 0);
	}
	return XP_OK;
}

struct index *
folder_snapshot(struct folder *f, const struct index *prev)
{
	struct article **list;
	struct index *idx;
	const char *name;
	void *value;
	size_t n = 0;

	if (prev != NULL && !f->rebuild) {
		idx = index_apply(prev, f->gone, f->ngone, f->added, f->nadded,
		    f->generation);
		if (idx != NULL) {
			clear_pending(f);
			return idx;
		}
	}

	if ((list = calloc(f->files.count + 1, sizeof(*list))) == NULL)
		return NULL;
	for (size_t i = 0; strmap_next(&f->files, &i, &name, &value);)
		if (((struct folder_file *)value)->good != NULL)
			list[n++] = ((struct folder_file *)value)->good;
	idx = index_new(list, n, f->generation);
	free(list);
	if (idx != NULL) {
		clear_pending(f);
		f->rebuild = false;
	}
	return idx;
}

size_t
folder_problems(const struct folder *f)
{
	const char *name;
	void *value;
	size_t n = 0;

	for (size_t i = 0; strmap_next(&f->files, &i, &name, &value);)
		n += ((struct folder_file *)value)->broken;
	return n;
}
