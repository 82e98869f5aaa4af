/* folder.c - keep the articles folder's good articles, file by file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

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
	search_words_free(f->words);
	free(f->dir);
	free(f);
}

void
folder_set_lang(struct folder *f, const char *lang)
{
	snprintf(f->lang, sizeof(f->lang), "%s", lang ? lang : "");
	search_words_free(f->words);
	f->words = NULL;
}

/* A new maker of search words in the folder's language (caller frees
 * with search_words_free), or NULL when out of memory. */
static struct search_words *
words_for(const struct folder *f)
{
	return search_words_new(f->lang[0] ? f->lang : "en");
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

/* One file read (and parsed) off the folder's thread: what a parse
 * worker hands to the merge.  A owns one reference when status is XP_OK. */
struct loaded {
	char *name;               /* owned */
	struct file_stamp stamp;  /* of what was read */
	struct article *a;
	enum xp_status status;
	struct xp_error err;
};

/* Looks at NAME again, as folder_update says.  PRE, when not NULL, is the
 * file already read by a parse worker: its result is taken (the article's
 * reference moves to the folder) instead of reading the file again. */
static bool
update(struct folder *f, const char *name, struct loaded *pre)
{
	char slug[SLUG_MAX + 1], path[4096];
	struct folder_file *ff;
	struct file_stamp stamp;
	struct article *a = NULL;
	struct xp_error err;
	enum xp_status status;
	enum name_kind kind;
	struct stat st;

	kind = article_name_kind(name, slug);
	if (kind == NAME_IGNORED)
		return false;
	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return forget(f, name) ? (f->generation++, true) : false;
	file_stamp_from_stat(&stamp, &st);
	if (pre != NULL)
		stamp = pre->stamp;   /* what was read, even if it moved since */
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
	if (pre != NULL) {
		a = pre->a;
		pre->a = NULL;
		err = pre->err;
		status = pre->status;
	} else {
		/* One maker of words for every article this thread reads:
		 * its memo of stems then holds the site's vocabulary. */
		if (f->words == NULL)
			f->words = words_for(f);
		status = article_load_words(f->dir, name, f->max_bytes,
		    f->words, &a, &stamp, &err);
	}
	if (status != XP_OK) {
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

bool
folder_update(struct folder *f, const char *name)
{
	return update(f, name, NULL);
}

/* True when NAME must be parsed: an article whose file is not the version
 * read last and that the metadata cache does not hold either.  Everything
 * else (gone, unchanged, cached, a bad name) is cheap and done at once. */
static bool
needs_parse(struct folder *f, const char *name, struct file_stamp *stamp_out)
{
	char slug[SLUG_MAX + 1], path[4096];
	struct folder_file *ff;
	struct file_stamp stamp;
	struct article *a;
	struct stat st;

	if (article_name_kind(name, slug) != NAME_ARTICLE)
		return false;
	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	file_stamp_from_stat(&stamp, &st);
	if ((ff = strmap_get(&f->files, name)) != NULL &&
	    file_stamp_equal(&ff->stamp, &stamp))
		return false;
	if (f->mc != NULL && (a = metacache_lookup(f->mc, name, &stamp)) != NULL) {
		article_unref(a);
		return false;
	}
	*stamp_out = stamp;   /* kept should the read fail before its stat */
	return true;
}

/* --- the parallel first scan ----------------------------------------- */

/* Files parsed between two merges.  Bounded because a parsed article
 * holds its file's bytes until the merge hands them to the metadata cache:
 * parsing the whole folder first would hold every body at once. */
#define PARSE_BATCH 256
#define PARSE_THREADS_MAX 16
#define TRIM_EVERY 16

struct parse_batch {
	struct folder *f;
	struct loaded *items;
	size_t n;
	atomic_size_t next;       /* the next item a worker takes */
	pthread_t threads[PARSE_THREADS_MAX];
	unsigned started;         /* workers running on it */
};

static void *
parse_worker(void *arg)
{
	struct parse_batch *b = arg;
	/* Each worker its own (a memo of stems is not shared between
	 * threads), for every file of the batch it takes. */
	struct search_words *words = words_for(b->f);
	size_t i;

	log_capture_xml_errors();
	while ((i = atomic_fetch_add(&b->next, 1)) < b->n) {
		struct loaded *l = &b->items[i];

		if (words == NULL) {
			l->status = xp_error_set(&l->err, XP_ERR_NOMEM,
			    l->name, 0, "out of memory");
			continue;
		}
		l->status = article_load_words(b->f->dir, l->name,
		    b->f->max_bytes, words, &l->a, &l->stamp, &l->err);
	}
	search_words_free(words);
	return NULL;
}

/* How many threads parse: one a core, at most PARSE_THREADS_MAX. */
static unsigned
parse_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > PARSE_THREADS_MAX ? PARSE_THREADS_MAX :
	    (unsigned)n;
}

/* Starts NTHREADS workers on B's files; they run while this thread
 * merges the batch before, so that no core waits on the merge. */
static void
start_parse(struct parse_batch *b, unsigned nthreads)
{
	atomic_store(&b->next, 0);
	b->started = 0;
	for (unsigned i = 0; i < nthreads && i < b->n; i++)
		if (pthread_create(&b->threads[b->started], NULL, parse_worker,
		    b) == 0)
			b->started++;
}

/* Waits until B's files are parsed (parsing them here when no worker
 * could start). */
static void
finish_parse(struct parse_batch *b)
{
	if (b->started == 0)
		parse_worker(b);
	for (unsigned i = 0; i < b->started; i++)
		pthread_join(b->threads[i], NULL);
	b->started = 0;
}

/* Merges B's parsed files into the folder in order, on this thread: only
 * the merge touches the folder and its cache.  Frees what B's items own
 * and empties B. */
static void
merge_parsed(struct parse_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		update(b->f, b->items[i].name, &b->items[i]);
		article_unref(b->items[i].a);
		free(b->items[i].name);
		memset(&b->items[i], 0, sizeof(b->items[i]));
	}
	b->n = 0;
#ifdef __GLIBC__
	/* The workers' allocator arenas keep what the parsed documents and
	 * bodies took: some 35 MB no one uses at the end of a cold scan.
	 * Giving it back walks every arena, whose cost grows with the heap
	 * (16 s of a 100,000-file scan when done every batch): now and then
	 * is enough. */
	if (++b->f->parse_batches % TRIM_EVERY == 0)
		malloc_trim(0);
#endif
}

/* The batch being filled is full (or the folder read to its end): its
 * parse starts, and the batch parsed before it is merged meanwhile.
 * *INFLIGHT is the batch whose parse runs, or NULL. */
static void
rotate(struct parse_batch *full, struct parse_batch **inflight,
    unsigned nthreads)
{
	struct parse_batch *before = *inflight;

	if (before != NULL)
		finish_parse(before);
	*inflight = NULL;
	if (full != NULL && full->n > 0) {
		start_parse(full, nthreads);
		*inflight = full;
	}
	if (before != NULL)
		merge_parsed(before);
}

/* Asks the kernel to start reading NAME now, while the batch before the
 * one it joins is parsed: with a cold page cache each worker otherwise
 * waits on its file's read in turn, two reads at a time on two cores.
 * Only a hint: whatever fails is ignored, and article_load opens and
 * checks the file as ever. */
static void
prefetch(const struct folder *f, const char *name)
{
	char path[4096];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	/* Non-blocking: what was a file at the stat may be a FIFO now. */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) < 0)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (size_t)st.st_size <= f->max_bytes)
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
	close(fd);
}

static bool
has_file(void *ctx, const char *name)
{
	return strmap_get(&((struct folder *)ctx)->files, name) != NULL;
}

enum xp_status
folder_scan(struct folder *f, struct xp_error *err)
{
	struct parse_batch batches[2] = { { 0 }, { 0 } }, *fill, *inflight = NULL;
	unsigned nthreads = parse_threads();
	struct dirent *de;
	const char *name;
	void *value;
	DIR *d;

	if ((d = opendir(f->dir)) == NULL)
		return xp_error_set(err, XP_ERR_IO, f->dir, 0,
		    "cannot open the articles folder: %s", strerror(errno));
	for (size_t i = 0; strmap_next(&f->files, &i, &name, &value);)
		((struct folder_file *)value)->seen = false;
	/* Files to parse go to a batch, parsed on every core while the batch
	 * before is merged; the rest (unchanged, cached, gone) is settled
	 * here at once.  Without memory for batches, all is done here. */
	for (int k = 0; k < 2; k++) {
		batches[k].f = f;
		batches[k].items = calloc(PARSE_BATCH, sizeof(*batches[k].items));
	}
	fill = batches[0].items != NULL && batches[1].items != NULL ?
	    &batches[0] : NULL;
	while ((de = readdir(d)) != NULL) {
		if (f->stop != NULL && atomic_load(f->stop))
			break;
		if (fill == NULL ||
		    !needs_parse(f, de->d_name, &fill->items[fill->n].stamp)) {
			folder_update(f, de->d_name);
			continue;
		}
		if ((fill->items[fill->n].name = strdup(de->d_name)) == NULL) {
			folder_update(f, de->d_name);
			continue;
		}
		prefetch(f, de->d_name);
		if (++fill->n == PARSE_BATCH) {
			rotate(fill, &inflight, nthreads);
			fill = fill == &batches[0] ? &batches[1] : &batches[0];
		}
	}
	rotate(fill, &inflight, nthreads);
	rotate(NULL, &inflight, nthreads);
	free(batches[0].items);
	free(batches[1].items);
	closedir(d);
	if (f->stop != NULL && atomic_load(f->stop))
		return xp_error_set(err, XP_ERR_IO, f->dir, 0,
		    "scan given up: the server is stopping");
	/* What the scan did not see was deleted or renamed away. */
	for (size_t i = 0; strmap_next(&f->files, &i, &name, &value);) {
		struct folder_file *ff = value;

		/* Removal leaves a tombstone, so iteration may go on. */
		if (!ff->seen && forget(f, ff->name))
			f->generation++;
	}
	if (f->mc != NULL) {
		metacache_prune(f->mc, has_file, f);
		if (!f->defer_save)
			folder_save(f);
	}
	return XP_OK;
}

void
folder_save(struct folder *f)
{
	struct xp_error err;

	if (f->mc != NULL && metacache_save(f->mc, &err) != XP_OK)
		report(f, LOG_WARN, &err, 0);
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
		if (idx != NULL)
			return idx;
	}

	if ((list = calloc(f->files.count + 1, sizeof(*list))) == NULL)
		return NULL;
	for (size_t i = 0; strmap_next(&f->files, &i, &name, &value);)
		if (((struct folder_file *)value)->good != NULL)
			list[n++] = ((struct folder_file *)value)->good;
	idx = index_new(list, n, f->generation);
	free(list);
	return idx;
}

void
folder_published(struct folder *f)
{
	clear_pending(f);
	f->rebuild = false;
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
