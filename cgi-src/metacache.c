/* metacache.c - the metadata cache file: a versioned binary file of
 * length-prefixed records, checked byte by byte when read. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "hash.h"
#include "log.h"
#include "metacache.h"

/* Bumped whenever the record layout or what articles hold changes: a
 * file of another version is ignored, never misread. */
#define META_MAGIC "xsltpress-metadata\n"
/* Layout: magic, version, sizeof(struct article), the byte length of the
 * records; the records; zero bytes to a multiple of 4; then every search
 * word array, which records name by position and count.  Each record is
 * its payload's length, a checksum of the payload and of the words it
 * names, then the payload.
 *
 * The file is input like any other: someone may restore, patch or
 * truncate it.  A record whose checksum or contents do not hold is
 * dropped alone (its article is read from its file again); a broken
 * framing drops the records from there on. */
#define META_VERSION 4
#define META_MAX_FILE (1u << 30)
#define META_MAX_TAGS 1000
/* A kept body no record names any more is deleted this long after: a
 * request that took the snapshot before the change may still read it. */
#define RETIRE_SECONDS 2
/* A temporary file of another writer is left alone this long. */
#define STALE_TMP_SECONDS 60

struct meta_record {
	char *name;
	struct article *article;   /* bytes in its home, not in source; its
	                              stamp is the record's */
};

/* A kept body that no record names any more, and since when. */
struct retired_body {
	char *slug;
	uint64_t hash;
	time_t since;
};

static void
record_free(struct meta_record *r)
{
	if (r == NULL)
		return;
	free(r->name);
	article_unref(r->article);
	free(r);
}

/* --- records: the checksum ---------------------------------------- */

/* Folds the word hashes of T into H; false when they are not strictly
 * ascending, as search_finish leaves them and every reader assumes. */
static bool
words_sum(const struct term_set *t, uint64_t *h)
{
	uint64_t sum = *h;

	for (size_t i = 0; i < t->count; i++) {
		if (i > 0 && t->hashes[i] <= t->hashes[i - 1])
			return false;
		/* A word at a time: four times FNV-1a's byte rate, which
		 * counts at 100,000 articles' worth of words. */
		sum = (sum ^ t->hashes[i]) * UINT64_C(1099511628211);
	}
	*h = sum;
	return true;
}

/* The checksum of a record: its payload's bytes, then its word sets.
 * False when the word sets are not sorted (no sum then). */
static bool
record_sum(const char *payload, size_t len, const struct article *a,
    uint64_t *sum)
{
	*sum = hash_bytes(HASH_INIT, payload, len);
	return words_sum(&a->terms, sum) && words_sum(&a->title_terms, sum);
}

/* --- records: encoding --------------------------------------------- */

static void
put_u64(struct buf *b, uint64_t v)
{
	buf_append(b, &v, sizeof(v));
}

static void
put_str(struct buf *b, const char *s)
{
	uint64_t n = s ? strlen(s) : UINT64_MAX;

	put_u64(b, n);
	if (s != NULL)
		buf_append(b, s, (size_t)n);
}

static void
put_date(struct buf *b, const struct xp_date *d)
{
	put_str(b, d->iso);
	put_u64(b, d->has_time);
}

/* Writes T's position and count into the record B and its hashes to the
 * words section WORDS. */
static void
put_terms(struct buf *b, struct buf *words, const struct term_set *t)
{
	put_u64(b, words->len / sizeof(uint32_t));
	put_u64(b, t->count);
	buf_append(words, t->hashes, t->count * sizeof(*t->hashes));
}

static void
put_payload(struct buf *b, struct buf *words, const struct meta_record *r)
{
	const struct article *a = r->article;

	put_str(b, r->name);
	put_u64(b, (uint64_t)r->article->stamp.dev);
	put_u64(b, (uint64_t)r->article->stamp.ino);
	put_u64(b, (uint64_t)r->article->stamp.size);
	put_u64(b, (uint64_t)r->article->stamp.mtime.tv_sec);
	put_u64(b, (uint64_t)r->article->stamp.mtime.tv_nsec);
	put_u64(b, (uint64_t)r->article->stamp.ctime.tv_sec);
	put_u64(b, (uint64_t)r->article->stamp.ctime.tv_nsec);
	put_str(b, a->slug);
	put_str(b, a->title);
	put_str(b, a->summary);
	put_str(b, a->author);
	put_u64(b, a->ntags);
	for (size_t i = 0; i < a->ntags; i++)
		put_str(b, a->tags[i]);
	put_date(b, &a->published);
	put_u64(b, a->has_updated);
	put_date(b, &a->updated);
	put_u64(b, a->draft);
	put_u64(b, a->reading_minutes);
	put_u64(b, a->word_count);
	put_u64(b, a->content_hash);
	put_u64(b, (uint64_t)a->loaded_at);
	put_terms(b, words, &a->terms);
	put_terms(b, words, &a->title_terms);
}

/* Appends R to the records B (length, checksum, payload) and its words
 * to WORDS; SCRATCH is a buffer the caller reuses.  False when R's words
 * are not sorted, which only a bug could do: the record is left out. */
static bool
put_record(struct buf *b, struct buf *words, struct buf *scratch,
    const struct meta_record *r)
{
	uint64_t sum;

	scratch->len = 0;
	put_payload(scratch, words, r);
	if (scratch->failed ||
	    !record_sum(scratch->data, scratch->len, r->article, &sum))
		return false;
	put_u64(b, scratch->len);
	put_u64(b, sum);
	buf_append(b, scratch->data, scratch->len);
	return true;
}

/* --- records: decoding, every length checked against what is left -- */

struct reader {
	const char *p, *end;          /* the payload, and where we are */
	const uint32_t *words;        /* the words section */
	size_t nwords;
	bool bad;
};

static uint64_t
get_u64(struct reader *r)
{
	uint64_t v = 0;

	if (r->bad || (size_t)(r->end - r->p) < sizeof(v)) {
		r->bad = true;
		return 0;
	}
	memcpy(&v, r->p, sizeof(v));
	r->p += sizeof(v);
	return v;
}

/* Returns a new string (caller frees), NULL for a stored NULL; sets
 * r->bad (and returns NULL) on a short or absurd record. */
static char *
get_str(struct reader *r, bool *was_null)
{
	uint64_t n = get_u64(r);
	char *s;

	*was_null = false;
	if (r->bad)
		return NULL;
	if (n == UINT64_MAX) {
		*was_null = true;
		return NULL;
	}
	if (n > (uint64_t)(r->end - r->p) || memchr(r->p, '\0', (size_t)n) ||
	    (s = malloc((size_t)n + 1)) == NULL) {
		r->bad = true;
		return NULL;
	}
	memcpy(s, r->p, (size_t)n);
	s[n] = '\0';
	r->p += n;
	return s;
}

static char *
get_required(struct reader *r)
{
	bool was_null;
	char *s = get_str(r, &was_null);

	if (s == NULL)
		r->bad = true;
	return s;
}

/* An article without <updated> stores an empty date; *EMPTY says so. */
static void
get_date(struct reader *r, struct xp_date *d, bool *empty)
{
	char *iso = get_required(r);
	uint64_t has_time = get_u64(r);

	/* The iso form is kept in RFC 3339 whatever the writer wrote;
	 * whether a time was given is the flag's to say. */
	*empty = iso == NULL || iso[0] == '\0';
	if (iso != NULL && iso[0] != '\0' &&
	    (strlen(iso) >= sizeof(d->iso) || !date_parse(iso, d) ||
	    strcmp(d->iso, iso) != 0))
		r->bad = true;
	if (has_time > 1)
		r->bad = true;
	d->has_time = has_time == 1;
	free(iso);
}

/* Points T at its hashes in the mapped words section: no copy, and pages
 * that no search touches are never read after the load. */
static void
get_terms(struct reader *r, struct term_set *t)
{
	uint64_t at = get_u64(r), n = get_u64(r);

	if (r->bad || at > r->nwords || n > r->nwords - at) {
		r->bad = true;
		return;
	}
	t->hashes = n > 0 ? r->words + at : NULL;
	t->count = (size_t)n;
	t->mapped = true;
}

/* Decodes one payload into a new record (caller frees with record_free),
 * or NULL with r->bad set.  Only the shape is checked here; what the
 * values mean is validate_record's. */
static struct meta_record *
get_record(struct reader *r, const struct metacache *mc)
{
	struct meta_record *rec = calloc(1, sizeof(*rec));
	struct article *a = calloc(1, sizeof(*a));
	bool was_null, no_updated;
	uint64_t ntags, flag;

	if (rec == NULL || a == NULL) {
		free(rec);
		free(a);
		r->bad = true;
		return NULL;
	}
	atomic_init(&a->refs, 1);
	rec->article = a;
	a->home = article_home_ref(mc->home);
	a->words_map = filemap_ref(mc->map);
	rec->name = get_required(r);
	a->stamp.dev = (dev_t)get_u64(r);
	a->stamp.ino = (ino_t)get_u64(r);
	a->stamp.size = (off_t)get_u64(r);
	a->stamp.mtime.tv_sec = (time_t)get_u64(r);
	a->stamp.mtime.tv_nsec = (long)get_u64(r);
	a->stamp.ctime.tv_sec = (time_t)get_u64(r);
	a->stamp.ctime.tv_nsec = (long)get_u64(r);
	a->slug = get_required(r);
	a->title = get_required(r);
	a->summary = get_required(r);
	a->author = get_str(r, &was_null);
	ntags = get_u64(r);
	if (!r->bad && ntags <= META_MAX_TAGS &&
	    (a->tags = calloc((size_t)ntags + 1, sizeof(*a->tags))) != NULL) {
		for (uint64_t i = 0; i < ntags && !r->bad; i++)
			if ((a->tags[a->ntags] = get_required(r)) != NULL)
				a->ntags++;
	} else {
		r->bad = true;
	}
	get_date(r, &a->published, &was_null);
	if (was_null)
		r->bad = true;
	flag = get_u64(r);
	a->has_updated = flag == 1;
	get_date(r, &a->updated, &no_updated);
	if (flag > 1 || a->has_updated == no_updated)
		r->bad = true;
	flag = get_u64(r);
	a->draft = flag == 1;
	if (flag > 1)
		r->bad = true;
	flag = get_u64(r);
	a->reading_minutes = (unsigned)flag;
	if (flag < 1 || flag > ARTICLE_MAX_READING_MINUTES)
		r->bad = true;
	flag = get_u64(r);
	a->word_count = (unsigned)flag;
	if (flag > UINT_MAX)
		r->bad = true;
	a->content_hash = get_u64(r);
	a->loaded_at = (time_t)get_u64(r);
	get_terms(r, &a->terms);
	get_terms(r, &a->title_terms);
	if (!r->bad && r->p != r->end)
		r->bad = true;         /* bytes after the last field */
	if (r->bad) {
		record_free(rec);
		return NULL;
	}
	return rec;
}

/* --- records: validation, as strict as for an article file ---------- */

/* True when S is UTF-8 that XML may carry, without control characters:
 * what plain_text leaves of an article's text.  Overlong forms,
 * surrogates, U+FFFE and U+FFFF are refused. */
static bool
text_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		uint32_t c;
		size_t n;

		if (*p < 0x80) {
			if (*p < 0x20 || *p == 0x7f)
				return false;
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf) {
			c = *p & 0x1f;
			n = 1;
		} else if (*p >= 0xe0 && *p <= 0xef) {
			c = *p & 0x0f;
			n = 2;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			c = *p & 0x07;
			n = 3;
		} else {
			return false;
		}
		for (size_t i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			c = (c << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && c < 0x800) || (n == 3 && c < 0x10000) ||
		    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) ||
		    c == 0xfffe || c == 0xffff)
			return false;
		p += n + 1;
	}
	return true;
}

/* True when TAG is what add_tag accepts. */
static bool
tag_valid(const char *tag)
{
	size_t n = strlen(tag);

	return n > 0 && n <= SLUG_MAX &&
	    strspn(tag, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* True when NAME is SLUG's file name, "<slug>.xml": what lets an article
 * find its file from its slug and its home. */
static bool
names_slug(const char *name, const char *slug)
{
	size_t n = strlen(slug);

	return strncmp(name, slug, n) == 0 && strcmp(name + n, ".xml") == 0;
}

/* True when the decoded record R could have come from parsing an article
 * file: the checks article_parse makes on what it keeps. */
static bool
validate_record(const struct meta_record *r)
{
	const struct article *a = r->article;

	if (!article_slug_valid(a->slug, strlen(a->slug)) ||
	    !names_slug(r->name, a->slug) ||
	    a->title[0] == '\0' || a->summary[0] == '\0' ||
	    !text_valid(a->title) || !text_valid(a->summary) ||
	    (a->author != NULL && !text_valid(a->author)) ||
	    a->stamp.size < 0 || (uint64_t)a->stamp.size > META_MAX_FILE ||
	    a->stamp.mtime.tv_nsec < 0 || a->stamp.mtime.tv_nsec >= 1000000000 ||
	    a->stamp.ctime.tv_nsec < 0 || a->stamp.ctime.tv_nsec >= 1000000000)
		return false;
	for (size_t i = 0; i < a->ntags; i++) {
		if (!tag_valid(a->tags[i]))
			return false;
		for (size_t j = 0; j < i; j++)
			if (strcmp(a->tags[i], a->tags[j]) == 0)
				return false;
	}
	return true;
}

/* --- the file ------------------------------------------------------- */

/* Reads the records from R (the records section) into MC, dropping each
 * one that is not intact.  Returns how many were dropped; a broken
 * framing drops everything after it. */
static size_t
read_records(struct metacache *mc, struct reader *r)
{
	size_t dropped = 0;

	while (r->p < r->end && !r->bad) {
		uint64_t len = get_u64(r), sum = get_u64(r), got;
		struct reader one = *r;
		struct meta_record *rec;

		if (r->bad || len > (uint64_t)(r->end - r->p)) {
			dropped++;
			break;
		}
		one.end = one.p + len;
		r->p += len;
		rec = get_record(&one, mc);
		if (rec == NULL || !record_sum(one.end - len, (size_t)len,
		    rec->article, &got) || got != sum || !validate_record(rec) ||
		    strmap_get(&mc->records, rec->name) != NULL ||
		    !strmap_put(&mc->records, rec->name, rec)) {
			record_free(rec);
			dropped++;
		}
	}
	return dropped;
}

/* Copies DIR/metadata (never mapped in place: see filemap.h) and reads
 * its records.  Articles read from it point into the copy for their
 * search words and hold a reference to it. */
static void
load_file(struct metacache *mc)
{
	uint64_t records_len;
	char path[PATH_MAX];
	struct reader r;
	size_t words_at, dropped;

	snprintf(path, sizeof(path), "%s/metadata", mc->dir);
	if ((mc->map = filemap_open(path, mc->dir, META_MAX_FILE)) == NULL) {
		mc->dirty = true;
		return;
	}
	r = (struct reader){ mc->map->data, mc->map->data + mc->map->len,
		NULL, 0, false };
	if (mc->map->len < sizeof(META_MAGIC) - 1 + 24 ||
	    memcmp(r.p, META_MAGIC, sizeof(META_MAGIC) - 1) != 0) {
		log_msg(LOG_WARN, "%s: not a metadata cache; rebuilding it", path);
		mc->dirty = true;
		return;
	}
	r.p += sizeof(META_MAGIC) - 1;
	if (get_u64(&r) != META_VERSION || get_u64(&r) != sizeof(struct article)) {
		log_msg(LOG_INFO, "%s: from another version; rebuilding it", path);
		mc->dirty = true;
		return;
	}
	records_len = get_u64(&r);
	if (records_len > (uint64_t)(r.end - r.p)) {
		log_msg(LOG_WARN, "%s: cut short; rebuilding it", path);
		mc->dirty = true;
		return;
	}
	words_at = (size_t)(r.p - mc->map->data) + (size_t)records_len;
	words_at += (4 - words_at % 4) % 4;
	if (words_at > mc->map->len)
		words_at = mc->map->len;
	r.words = (const uint32_t *)(const void *)(mc->map->data + words_at);
	r.nwords = (mc->map->len - words_at) / sizeof(uint32_t);
	r.end = r.p + records_len;
	if ((dropped = read_records(mc, &r)) > 0) {
		log_msg(LOG_WARN, "%s: %zu damaged record%s dropped; %s read from "
		    "the articles again", path, dropped, dropped == 1 ? "" : "s",
		    dropped == 1 ? "its article is" : "their articles are");
		mc->dirty = true;
	}
}

struct metacache *
metacache_open(const char *dir, const char *articles_dir,
    struct xp_error *err)
{
	struct metacache *mc = calloc(1, sizeof(*mc));
	char path[PATH_MAX];

	if (mc == NULL || (mc->dir = strdup(dir)) == NULL ||
	    (mc->articles_dir = strdup(articles_dir)) == NULL ||
	    (mc->home = article_home_new(articles_dir, dir)) == NULL) {
		if (mc != NULL) {
			free(mc->articles_dir);
			free(mc->dir);
		}
		free(mc);
		xp_error_set(err, XP_ERR_NOMEM, dir, 0, "out of memory");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/bodies", dir);
	if ((mkdir(dir, 0700) != 0 && errno != EEXIST) ||
	    (mkdir(path, 0700) != 0 && errno != EEXIST)) {
		xp_error_set(err, XP_ERR_IO, dir, 0,
		    "cannot create the cache folder: %s", strerror(errno));
		metacache_free(mc);
		return NULL;
	}
	load_file(mc);
	return mc;
}

/* --- kept bodies: one file per version a record names --------------- */

/* True when a record names version HASH of SLUG. */
static bool
body_named(const struct metacache *mc, const char *slug, uint64_t hash)
{
	char name[SLUG_MAX + 8];
	struct meta_record *r;

	snprintf(name, sizeof(name), "%s.xml", slug);
	r = strmap_get(&mc->records, name);
	return r != NULL && r->article->content_hash == hash;
}

/* Deletes the retired bodies that have been so for RETIRE_SECONDS, or
 * all of them when ALL, unless a record names them again (an edit undone
 * brings back the same bytes, hence the same file). */
static void
retire_due(struct metacache *mc, bool all)
{
	time_t now = time(NULL);
	char path[PATH_MAX];
	size_t keep = 0;

	for (size_t i = 0; i < mc->nretired; i++) {
		struct retired_body *b = &mc->retired[i];

		if (!all && now - b->since < RETIRE_SECONDS) {
			mc->retired[keep++] = *b;
			continue;
		}
		if (!body_named(mc, b->slug, b->hash)) {
			article_body_path(mc->dir, b->slug, b->hash, path,
			    sizeof(path));
			(void)unlink(path);
		}
		free(b->slug);
	}
	mc->nretired = keep;
}

/* Notes that A's kept body may be deleted once no request can still be
 * reading it.  Out of memory, it is left for the next sweep. */
static void
retire(struct metacache *mc, const struct article *a)
{
	struct retired_body *grown;

	if ((grown = realloc(mc->retired, (mc->nretired + 1) *
	    sizeof(*grown))) == NULL)
		return;
	mc->retired = grown;
	if ((grown[mc->nretired].slug = strdup(a->slug)) == NULL)
		return;
	grown[mc->nretired].hash = a->content_hash;
	grown[mc->nretired].since = time(NULL);
	mc->nretired++;
}

/* True when the retired list holds version HASH of SLUG. */
static bool
body_retired(const struct metacache *mc, const char *slug, uint64_t hash)
{
	for (size_t i = 0; i < mc->nretired; i++)
		if (mc->retired[i].hash == hash &&
		    strcmp(mc->retired[i].slug, slug) == 0)
			return true;
	return false;
}

/* Deletes from DIR/bodies every "<slug>-<hash>.xml" that no record names
 * and that was not written in the last RETIRE_SECONDS (another process
 * sharing the folder may be about to name it), and temporary files left
 * by a writer that died.  What was left behind while no process ran, or
 * by processes that disagree, goes here; other names are not ours. */
static void
sweep_bodies(struct metacache *mc)
{
	char path[PATH_MAX], slug[SLUG_MAX + 1];
	time_t now = time(NULL);
	struct dirent *de;
	struct stat st;
	DIR *d;

	snprintf(path, sizeof(path), "%s/bodies", mc->dir);
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		unsigned long long hash;
		bool tmp = n > 4 && strcmp(de->d_name + n - 4, ".tmp") == 0;
		char *end;

		if (!tmp) {
			/* <slug>-<16 hex digits>.xml */
			if (n < 22 || n - 21 > SLUG_MAX ||
			    strcmp(de->d_name + n - 4, ".xml") != 0 ||
			    de->d_name[n - 21] != '-')
				continue;
			memcpy(slug, de->d_name, n - 21);
			slug[n - 21] = '\0';
			errno = 0;
			hash = strtoull(de->d_name + n - 20, &end, 16);
			if (end != de->d_name + n - 4 || errno != 0 ||
			    !article_slug_valid(slug, n - 21) ||
			    body_named(mc, slug, hash) ||
			    body_retired(mc, slug, hash))
				continue;
		}
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    now - st.st_mtime < (tmp ? STALE_TMP_SECONDS : RETIRE_SECONDS))
			continue;
		(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

void
metacache_free(struct metacache *mc)
{
	const char *key;
	void *value;

	if (mc == NULL)
		return;
	retire_due(mc, false);
	for (size_t i = 0; i < mc->nretired; i++)
		free(mc->retired[i].slug);
	free(mc->retired);
	for (size_t i = 0; strmap_next(&mc->records, &i, &key, &value);)
		record_free(value);
	strmap_release(&mc->records);
	filemap_unref(mc->map);
	article_home_unref(mc->home);
	free(mc->dir);
	free(mc->articles_dir);
	free(mc);
}

struct article *
metacache_lookup(struct metacache *mc, const char *name,
    const struct file_stamp *stamp)
{
	struct meta_record *r = strmap_get(&mc->records, name);

	/* No need for the kept copy here: the file itself is this very
	 * version, and article_document reads it while it stays so. */
	if (r == NULL || !file_stamp_equal(&r->article->stamp, stamp))
		return NULL;
	return article_ref(r->article);
}

struct article *
metacache_last_good(struct metacache *mc, const char *name)
{
	struct meta_record *r = strmap_get(&mc->records, name);

	char kept[PATH_MAX];
	struct stat st;

	if (r == NULL)
		return NULL;
	article_body_path(mc->dir, r->article->slug, r->article->content_hash,
	    kept, sizeof(kept));
	if (lstat(kept, &st) != 0 || !S_ISREG(st.st_mode))
		return NULL;
	return article_ref(r->article);
}

/* Copies A's bytes to DIR/bodies/<slug>-<hash>.xml, atomically. */
static bool
keep_body(struct metacache *mc, const struct article *a, char *path,
    size_t size)
{
	char tmp[PATH_MAX + 32];
	size_t put = 0;
	struct stat st;
	ssize_t n;
	int fd;

	/* Named by content: a copy never changes once written, and any
	 * process may share it.  One that does not hold those bytes is
	 * refused when read (article_document checks the hash). */
	article_body_path(mc->dir, a->slug, a->content_hash, path, size);
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (size_t)st.st_size == a->source_len)
		return true;    /* the same bytes are already kept */
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	(void)unlink(tmp);
	/* O_EXCL and O_NOFOLLOW: never write through a name someone else
	 * put there. */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0)
		return false;
	while (put < a->source_len &&
	    ((n = write(fd, a->source + put, a->source_len - put)) > 0 ||
	    (n < 0 && errno == EINTR)))
		put += n > 0 ? (size_t)n : 0;
	if (close(fd) != 0 || put != a->source_len || rename(tmp, path) != 0) {
		unlink(tmp);
		return false;
	}
	return true;
}

struct article *
metacache_store(struct metacache *mc, const char *name, const struct article *a)
{
	struct meta_record *rec, *old;
	uint32_t *terms, *title_terms;
	struct article *copy;
	char path[PATH_MAX];

	retire_due(mc, false);
	if (a->source == NULL || !keep_body(mc, a, path, sizeof(path)))
		return NULL;
	/* The record holds a body-less twin of A: same metadata, bytes on
	 * disk.  Sharing A itself would keep every body in memory. */
	if ((rec = calloc(1, sizeof(*rec))) == NULL ||
	    (copy = calloc(1, sizeof(*copy))) == NULL) {
		free(rec);
		return NULL;
	}
	*copy = *a;
	atomic_init(&copy->refs, 1);
	copy->words_map = NULL;
	copy->terms.mapped = copy->title_terms.mapped = false;
	copy->source = NULL;
	copy->source_len = 0;
	copy->slug = strdup(a->slug);
	copy->title = strdup(a->title);
	copy->summary = strdup(a->summary);
	copy->author = a->author ? strdup(a->author) : NULL;
	copy->home = article_home_ref(mc->home);
	copy->tags = calloc(a->ntags + 1, sizeof(*copy->tags));
	terms = malloc(a->terms.count * sizeof(uint32_t) + 1);
	title_terms = malloc(a->title_terms.count * sizeof(uint32_t) + 1);
	copy->terms.hashes = terms;
	copy->title_terms.hashes = title_terms;
	rec->article = copy;
	rec->name = strdup(name);
	for (size_t i = 0; copy->tags != NULL && i < a->ntags; i++)
		copy->tags[i] = strdup(a->tags[i]);
	if (rec->name == NULL || copy->slug == NULL || copy->title == NULL ||
	    copy->summary == NULL || (a->author && copy->author == NULL) ||
	    !names_slug(name, a->slug) || copy->tags == NULL ||
	    copy->terms.hashes == NULL || copy->title_terms.hashes == NULL) {
		if (copy->tags == NULL)
			copy->ntags = 0;
		record_free(rec);
		return NULL;
	}
	if (a->terms.count > 0)
		memcpy(terms, a->terms.hashes, a->terms.count * sizeof(uint32_t));
	if (a->title_terms.count > 0)
		memcpy(title_terms, a->title_terms.hashes,
		    a->title_terms.count * sizeof(uint32_t));
	old = strmap_remove(&mc->records, name);
	if (!strmap_put(&mc->records, rec->name, rec)) {
		record_free(rec);
		if (old != NULL)
			retire(mc, old->article);
		record_free(old);
		return NULL;
	}
	if (old != NULL && old->article->content_hash != copy->content_hash)
		retire(mc, old->article);
	record_free(old);
	mc->dirty = true;
	return article_ref(copy);
}

void
metacache_forget(struct metacache *mc, const char *name)
{
	struct meta_record *r = strmap_remove(&mc->records, name);

	retire_due(mc, false);
	if (r != NULL) {
		retire(mc, r->article);
		record_free(r);
		mc->dirty = true;
	}
}

void
metacache_prune(struct metacache *mc, bool (*keep)(void *ctx, const char *name),
    void *ctx)
{
	const char *name;
	void *value;

	/* Removal leaves a tombstone, so iteration may go on. */
	for (size_t i = 0; strmap_next(&mc->records, &i, &name, &value);)
		if (!keep(ctx, name))
			metacache_forget(mc, name);
}

/* Writes LEN bytes of DATA to PATH through a temporary file of our own,
 * renamed into place.  Returns false (nothing changed) on any error. */
static bool
write_whole(const char *path, const char *data, size_t len)
{
	char tmp[PATH_MAX + 16];
	size_t put = 0;
	ssize_t n;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0)
		return false;
	while (put < len && ((n = write(fd, data + put, len - put)) > 0 ||
	    (n < 0 && errno == EINTR)))
		put += n > 0 ? (size_t)n : 0;
	/* Several CGI processes may save at once: each renames a whole
	 * file of its own into place, so the last one wins, intact. */
	if (close(fd) != 0 || put != len || rename(tmp, path) != 0) {
		unlink(tmp);
		return false;
	}
	return true;
}

enum xp_status
metacache_save(struct metacache *mc, struct xp_error *err)
{
	struct buf b = BUF_INIT, records = BUF_INIT, words = BUF_INIT,
	    scratch = BUF_INIT;
	static const char zeros[4];
	char path[PATH_MAX];
	const char *key;
	void *value;

	retire_due(mc, false);
	if (!mc->dirty)
		return XP_OK;
	for (size_t i = 0; strmap_next(&mc->records, &i, &key, &value);)
		(void)put_record(&records, &words, &scratch, value);
	buf_puts(&b, META_MAGIC);
	put_u64(&b, META_VERSION);
	put_u64(&b, sizeof(struct article));
	put_u64(&b, records.len);
	buf_append(&b, records.data, records.len);
	buf_append(&b, zeros, (4 - b.len % 4) % 4);
	buf_append(&b, words.data, words.len);
	b.failed |= records.failed || words.failed || scratch.failed;
	buf_release(&records);
	buf_release(&words);
	buf_release(&scratch);
	snprintf(path, sizeof(path), "%s/metadata", mc->dir);
	if (b.failed || !write_whole(path, b.data, b.len)) {
		buf_release(&b);
		return xp_error_set(err, XP_ERR_IO, path, 0, "cannot write: %s",
		    strerror(errno));
	}
	buf_release(&b);
	mc->dirty = false;
	sweep_bodies(mc);
	return XP_OK;
}
