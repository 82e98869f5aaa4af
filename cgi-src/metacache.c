/* metacache.c - the metadata cache file: a versioned binary file of
 * length-prefixed records, checked byte by byte when read. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
 * word array, which records name by position and count.  Loading reads
 * only the records: the words' pages are read by the search postings
 * build, then given back. */
#define META_VERSION 3
#define META_MAX_FILE (1u << 30)

struct meta_record {
	char *name;
	struct article *article;   /* bytes in its home, not in source; its
	                              stamp is the record's */
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

/* --- writing ------------------------------------------------------- */

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

/* Writes T's position and count into the record B; *NWORDS counts the
 * words section so far, whose hashes write_words writes in the same order. */
static void
put_terms(struct buf *b, uint64_t *nwords, const struct term_set *t)
{
	put_u64(b, *nwords);
	put_u64(b, t->count);
	*nwords += t->count;
}

static void
put_record(struct buf *b, uint64_t *words, const struct meta_record *r)
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

/* --- reading: every length is checked against what is left -------- */

struct reader {
	const char *p, *end;          /* the records, and where we are */
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

static void
get_date(struct reader *r, struct xp_date *d)
{
	char *iso = get_required(r);
	bool has_time = get_u64(r) != 0;

	/* An article without <updated> stores an empty date. */
	if (iso != NULL && iso[0] != '\0' && !date_parse(iso, d))
		r->bad = true;
	d->has_time = has_time;
	free(iso);
}

/* Points T at its hashes in the mapped words section: no copy, and pages
 * that no search touches are never read. */
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

/* True when NAME is SLUG's file name, "<slug>.xml": what lets an article
 * find its file from its slug and its home. */
static bool
names_slug(const char *name, const char *slug)
{
	size_t n = strlen(slug);

	return strncmp(name, slug, n) == 0 && strcmp(name + n, ".xml") == 0;
}

static struct meta_record *
get_record(struct reader *r, const struct metacache *mc)
{
	struct meta_record *rec = calloc(1, sizeof(*rec));
	struct article *a = calloc(1, sizeof(*a));
	bool was_null;
	uint64_t ntags;

	if (rec == NULL || a == NULL) {
		free(rec);
		free(a);
		r->bad = true;
		return NULL;
	}
	atomic_init(&a->refs, 1);
	rec->article = a;
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
	if (!r->bad && ntags <= 1000 &&
	    (a->tags = calloc((size_t)ntags + 1, sizeof(*a->tags))) != NULL) {
		for (uint64_t i = 0; i < ntags && !r->bad; i++)
			if ((a->tags[a->ntags] = get_required(r)) != NULL)
				a->ntags++;
	} else {
		r->bad = true;
	}
	get_date(r, &a->published);
	a->has_updated = get_u64(r) != 0;
	get_date(r, &a->updated);
	a->draft = get_u64(r) != 0;
	a->reading_minutes = (unsigned)get_u64(r);
	a->word_count = (unsigned)get_u64(r);
	a->content_hash = get_u64(r);
	a->loaded_at = (time_t)get_u64(r);
	get_terms(r, &a->terms);
	get_terms(r, &a->title_terms);
	a->words_map = filemap_ref(mc->map);
	if (!r->bad && (rec->name == NULL || a->slug == NULL ||
	    !article_slug_valid(a->slug, strlen(a->slug))))
		r->bad = true;
	if (!r->bad && !names_slug(rec->name, a->slug))
		r->bad = true;
	a->home = article_home_ref(mc->home);
	if (r->bad) {
		record_free(rec);
		return NULL;
	}
	return rec;
}

/* Maps DIR/metadata and reads its records.  Articles read from it point
 * into the mapping for their search words and hold a reference to it. */
static void
load_file(struct metacache *mc)
{
	uint64_t records_len;
	char path[PATH_MAX];
	struct reader r;
	size_t words_at;

	snprintf(path, sizeof(path), "%s/metadata", mc->dir);
	if ((mc->map = filemap_open(path, META_MAX_FILE)) == NULL) {
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
	words_at = (size_t)(r.p - mc->map->data) + records_len;
	words_at += (4 - words_at % 4) % 4;
	if (records_len > (uint64_t)(r.end - r.p) || words_at > mc->map->len) {
		log_msg(LOG_WARN, "%s: corrupt; rebuilding it", path);
		mc->dirty = true;
		return;
	}
	r.words = (const uint32_t *)(const void *)(mc->map->data + words_at);
	r.nwords = (mc->map->len - words_at) / sizeof(uint32_t);
	r.end = r.p + records_len;
	while (r.p < r.end && !r.bad) {
		struct meta_record *rec = get_record(&r, mc);

		if (rec != NULL && !strmap_put(&mc->records, rec->name, rec)) {
			record_free(rec);
			r.bad = true;
		}
	}
	if (r.bad) {
		const char *key;
		void *value;

		/* Half a cache is worse than none: drop it all. */
		log_msg(LOG_WARN, "%s: corrupt; rebuilding it", path);
		for (size_t i = 0; strmap_next(&mc->records, &i, &key, &value);)
			record_free(value);
		strmap_release(&mc->records);
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

void
metacache_free(struct metacache *mc)
{
	const char *key;
	void *value;

	if (mc == NULL)
		return;
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

	if (r == NULL)
		return NULL;
	article_body_path(mc->dir, r->article->slug, r->article->content_hash,
	    kept, sizeof(kept));
	if (access(kept, R_OK) != 0)
		return NULL;
	return article_ref(r->article);
}

/* Copies A's bytes to DIR/bodies/<slug>.xml, atomically. */
static bool
keep_body(struct metacache *mc, const struct article *a, char *path,
    size_t size)
{
	char tmp[PATH_MAX + 32];
	bool ok;
	FILE *f;

	/* Named by content: a copy never changes once written, and any
	 * process may share it. */
	article_body_path(mc->dir, a->slug, a->content_hash, path, size);
	if (access(path, R_OK) == 0)
		return true;    /* the same bytes are already kept */
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	if ((f = fopen(tmp, "we")) == NULL)
		return false;
	ok = fwrite(a->source, 1, a->source_len, f) == a->source_len;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
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
	if ((old = strmap_remove(&mc->records, name)) != NULL)
		record_free(old);
	if (!strmap_put(&mc->records, rec->name, rec)) {
		record_free(rec);
		return NULL;
	}
	mc->dirty = true;
	return article_ref(copy);
}

void
metacache_forget(struct metacache *mc, const char *name)
{
	struct meta_record *r = strmap_remove(&mc->records, name);

	if (r != NULL) {
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

/* Writes every record's search words to F, in the order put_record
 * counted them: straight from the articles, as the words of 100,000
 * articles (hundreds of megabytes) copied into a buffer first were what
 * made a cold start's memory peak.  Returns false on a write error. */
static bool
write_words(struct metacache *mc, FILE *f)
{
	const char *key;
	void *value;

	for (size_t i = 0; strmap_next(&mc->records, &i, &key, &value);) {
		const struct article *a = ((struct meta_record *)value)->article;

		if ((a->terms.count > 0 && fwrite(a->terms.hashes,
		    sizeof(uint32_t), a->terms.count, f) != a->terms.count) ||
		    (a->title_terms.count > 0 && fwrite(a->title_terms.hashes,
		    sizeof(uint32_t), a->title_terms.count, f) !=
		    a->title_terms.count))
			return false;
	}
	return true;
}

enum xp_status
metacache_save(struct metacache *mc, struct xp_error *err)
{
	char path[PATH_MAX], tmp[PATH_MAX + 16];
	struct buf b = BUF_INIT, records = BUF_INIT;
	static const char zeros[4];
	uint64_t nwords = 0;
	const char *key;
	void *value;
	bool ok;
	FILE *f;

	if (!mc->dirty)
		return XP_OK;
	for (size_t i = 0; strmap_next(&mc->records, &i, &key, &value);)
		put_record(&records, &nwords, value);
	buf_puts(&b, META_MAGIC);
	put_u64(&b, META_VERSION);
	put_u64(&b, sizeof(struct article));
	put_u64(&b, records.len);
	b.failed |= records.failed;
	snprintf(path, sizeof(path), "%s/metadata", mc->dir);
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	if (b.failed || (f = fopen(tmp, "we")) == NULL) {
		buf_release(&b);
		buf_release(&records);
		return xp_error_set(err, XP_ERR_IO, tmp, 0, "cannot write: %s",
		    strerror(errno));
	}
	ok = fwrite(b.data, 1, b.len, f) == b.len &&
	    fwrite(records.data, 1, records.len, f) == records.len &&
	    fwrite(zeros, 1, (4 - (b.len + records.len) % 4) % 4, f) ==
	    (4 - (b.len + records.len) % 4) % 4 &&
	    write_words(mc, f);
	ok = fclose(f) == 0 && ok;
	buf_release(&b);
	buf_release(&records);
	/* Several CGI processes may save at once: each renames a whole
	 * file of its own into place, so the last one wins, intact. */
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return xp_error_set(err, XP_ERR_IO, path, 0, "cannot write");
	}
	mc->dirty = false;
	return XP_OK;
}
