/* metacache.c - the metadata cache file: a versioned file of records
 * (metarecord.c), and the kept bodies beside it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fdio.h"
#include "hash.h"
#include "log.h"
#include "metacache.h"
#include "metarecord.h"

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
#define META_VERSION 5   /* checksummed records, search entries with field bits */
#define META_MAX_FILE (1u << 30)
/* A kept body no record names any more is deleted this long after: a
 * request that took the snapshot before the change may still read it. */
#define RETIRE_SECONDS 2
/* A temporary file of another writer is left alone this long. */
#define STALE_TMP_SECONDS 60
/* Records whose search words are read between two times their pages are
 * given back, when the whole file's words are read (checked at load,
 * written at save): a few megabytes of them at once rather than 900 MB at
 * 100,000 articles.  The kernel maps 64 KB around each read, or the whole
 * folio holding it: up to 1-2 MB for a file written in large pieces (the
 * cache file as saved, read under its lease: see filemap.h), hence 16
 * rather than 128 (at 128, a warm start peaked at 258 MB instead of 147). */
#define SWEEP_RECORDS 16

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

/* --- the file ------------------------------------------------------- */

/* Reads the records between P and END into MC, dropping each one that
 * is not intact.  Returns how many were dropped; a broken framing drops
 * everything after it (counted as one). */
static size_t
read_records(struct metacache *mc, const char *p, const char *end,
    const uint32_t *words, size_t nwords)
{
	struct filemap_sweep sweep = FILEMAP_SWEEP_INIT(SWEEP_RECORDS);
	size_t dropped = 0;

	while (p < end) {
		struct meta_record *rec = calloc(1, sizeof(*rec));
		enum metarecord_status st = METARECORD_DAMAGED;

		if (rec != NULL)
			st = metarecord_get(&p, end, words, nwords, mc->map,
			    mc->home, &rec->name, &rec->article);
		/* The checksum read the record's words: the copy's pages
		 * are given back a slice at a time, never all at once. */
		filemap_sweep_note(&sweep, mc->map);
		if (st == METARECORD_OK &&
		    strmap_get(&mc->records, rec->name) == NULL &&
		    strmap_put(&mc->records, rec->name, rec))
			continue;
		record_free(rec);
		dropped++;
		if (st == METARECORD_END || rec == NULL)
			break;
	}
	filemap_sweep_flush(&sweep);
	return dropped;
}

/* Maps DIR/metadata (under a lease until copied aside: see filemap.h)
 * and reads its records.  Articles read from it point into the map for
 * their search words and hold a reference to it. */
static void
load_file(struct metacache *mc)
{
	uint64_t head[3], records_len;
	const char *p, *end, *data;
	char path[PATH_MAX];
	size_t words_at, dropped, len;

	snprintf(path, sizeof(path), "%s/metadata", mc->dir);
	if ((mc->map = filemap_open(path, mc->dir, META_MAX_FILE)) == NULL) {
		mc->dirty = true;
		return;
	}
	data = mc->map->data;
	len = mc->map->len;
	if (len < sizeof(META_MAGIC) - 1 + sizeof(head) ||
	    memcmp(data, META_MAGIC, sizeof(META_MAGIC) - 1) != 0) {
		log_msg(LOG_WARN, "%s: not a metadata cache; rebuilding it", path);
		goto rejected;
	}
	p = data + sizeof(META_MAGIC) - 1;
	memcpy(head, p, sizeof(head));
	p += sizeof(head);
	if (head[0] != META_VERSION || head[1] != sizeof(struct article)) {
		log_msg(LOG_INFO, "%s: from another version; rebuilding it", path);
		goto rejected;
	}
	records_len = head[2];
	if (records_len > (uint64_t)(data + len - p)) {
		log_msg(LOG_WARN, "%s: cut short; rebuilding it", path);
		goto rejected;
	}
	end = p + records_len;
	words_at = (size_t)(end - data);
	words_at += (4 - words_at % 4) % 4;
	if (words_at > len)
		words_at = len;
	dropped = read_records(mc, p, end,
	    (const uint32_t *)(const void *)(data + words_at),
	    (len - words_at) / sizeof(uint32_t));
	if (dropped > 0) {
		log_msg(LOG_WARN, "%s: %zu damaged record%s dropped; %s read from "
		    "the articles again", path, dropped, dropped == 1 ? "" : "s",
		    dropped == 1 ? "its article is" : "their articles are");
		mc->dirty = true;
	}
	return;
rejected:
	/* Nothing points into the copy: give its room back now. */
	filemap_unref(mc->map);
	mc->map = NULL;
	mc->dirty = true;
}

struct metacache *
metacache_open(const char *dir, const char *articles_dir,
    struct xp_error *err)
{
	struct metacache *mc = calloc(1, sizeof(*mc));
	char path[PATH_MAX];
	struct stat st;

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
	/* Copies are written into it by name: a link put in its place
	 * would send them elsewhere. */
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		xp_error_set(err, XP_ERR_INVALID, path, 0,
		    "not a folder (a symbolic link is refused)");
		metacache_free(mc);
		return NULL;
	}
	load_file(mc);
	return mc;
}

void
metacache_copy_aside(struct metacache *mc)
{
	if (mc != NULL)
		filemap_copy_aside(mc->map);
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
	filemap_unref(mc->spill);
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

/* Writes the NPIECES buffers of PIECES one after the other to PATH, then
 * whatever MORE (when not NULL) writes to the descriptor, through a
 * temporary file renamed into place.  Returns false, leaving PATH as it
 * was, when any write fails.  Pieces and a writer, not one buffer: the
 * cache file's search words run to hundreds of megabytes at 100,000
 * articles, and copying them into a buffer first was what made a cold
 * start's memory peak. */
static bool
write_pieces(const char *path, const struct iovec *pieces, size_t npieces,
    bool (*more)(int fd, void *ctx), void *ctx)
{
	char tmp[PATH_MAX + 16];
	bool ok = true;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	(void)unlink(tmp);
	/* O_EXCL and O_NOFOLLOW: never write through a name someone else
	 * put there. */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0)
		return false;
	for (size_t i = 0; ok && i < npieces; i++)
		ok = fd_write_all(fd, pieces[i].iov_base, pieces[i].iov_len);
	if (ok && more != NULL)
		ok = more(fd, ctx);
	/* Several processes may write at once: each renames a whole file
	 * of its own into place, so the last one wins, intact. */
	if (close(fd) != 0 || !ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return false;
	}
	return true;
}

/* write_pieces with one buffer. */
static bool
write_whole(const char *path, const char *data, size_t len)
{
	struct iovec one = { .iov_base = (void *)data, .iov_len = len };

	return write_pieces(path, &one, 1, NULL, NULL);
}

/* Copies A's bytes to DIR/bodies/<slug>-<hash>.xml, atomically. */
static bool
keep_body(struct metacache *mc, const struct article *a, char *path,
    size_t size)
{
	struct stat st;

	/* Named by content: a copy never changes once written, and any
	 * process may share it.  One that does not hold those bytes is
	 * refused when read (article_document checks the hash). */
	article_body_path(mc->dir, a->slug, a->content_hash, path, size);
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (size_t)st.st_size == a->source_len)
		return true;    /* the same bytes are already kept */
	return write_whole(path, a->source, a->source_len);
}

/* Points COPY's word sets at a copy of A's in the spill file (made on
 * the first call): the heap then holds none of them, which at 100,000
 * freshly parsed articles is some 900 MB.  False when there is no spill
 * or it is full; COPY is left untouched then. */
static bool
spill_words(struct metacache *mc, const struct article *a,
    struct article *copy)
{
	const void *terms, *title_terms;

	if (mc->spill == NULL && !mc->no_spill &&
	    (mc->spill = filemap_spill(mc->dir, META_MAX_FILE)) == NULL)
		mc->no_spill = true;
	if (mc->spill == NULL)
		return false;
	terms = filemap_append(mc->spill, a->terms.hashes,
	    a->terms.count * sizeof(uint32_t));
	title_terms = filemap_append(mc->spill, a->title_terms.hashes,
	    a->title_terms.count * sizeof(uint32_t));
	if (terms == NULL || title_terms == NULL)
		return false;   /* what the spill took is lost space, no harm */
	copy->terms.hashes = a->terms.count > 0 ? terms : NULL;
	copy->title_terms.hashes = a->title_terms.count > 0 ? title_terms : NULL;
	copy->terms.mapped = copy->title_terms.mapped = true;
	copy->words_map = filemap_ref(mc->spill);
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
	rec->article = copy;
	if (!spill_words(mc, a, copy)) {
		terms = malloc(a->terms.count * sizeof(uint32_t) + 1);
		title_terms = malloc(a->title_terms.count * sizeof(uint32_t) + 1);
		copy->terms.hashes = terms;
		copy->title_terms.hashes = title_terms;
		if (terms != NULL && a->terms.count > 0)
			memcpy(terms, a->terms.hashes,
			    a->terms.count * sizeof(uint32_t));
		if (title_terms != NULL && a->title_terms.count > 0)
			memcpy(title_terms, a->title_terms.hashes,
			    a->title_terms.count * sizeof(uint32_t));
	}
	rec->name = strdup(name);
	for (size_t i = 0; copy->tags != NULL && i < a->ntags; i++)
		copy->tags[i] = strdup(a->tags[i]);
	if (rec->name == NULL || copy->slug == NULL || copy->title == NULL ||
	    copy->summary == NULL || (a->author && copy->author == NULL) ||
	    !metarecord_names_slug(name, a->slug) || copy->tags == NULL ||
	    (copy->terms.hashes == NULL && !copy->terms.mapped) ||
	    (copy->title_terms.hashes == NULL && !copy->title_terms.mapped)) {
		if (copy->tags == NULL)
			copy->ntags = 0;
		record_free(rec);
		return NULL;
	}
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

/* The articles whose records a save wrote, in order. */
struct saved {
	const struct article **items;
	size_t count;
};

/* Writes the search words of the saved articles (CTX, a struct saved) to
 * FD, in the order metarecord_put counted them: straight from the
 * articles.  Returns false on a write error. */
static bool
write_words(int fd, void *ctx)
{
	const struct saved *sv = ctx;
	struct filemap_sweep sweep = FILEMAP_SWEEP_INIT(SWEEP_RECORDS);

	for (size_t i = 0; i < sv->count; i++) {
		const struct article *a = sv->items[i];

		/* Read through the map of a cache or spill: pages that
		 * would otherwise all stay counted in this process. */
		filemap_sweep_note(&sweep, a->words_map);
		if (!fd_write_all(fd, a->terms.hashes,
		    a->terms.count * sizeof(uint32_t)) ||
		    !fd_write_all(fd, a->title_terms.hashes,
		    a->title_terms.count * sizeof(uint32_t))) {
			filemap_sweep_flush(&sweep);
			return false;
		}
	}
	filemap_sweep_flush(&sweep);
	return true;
}

enum xp_status
metacache_save(struct metacache *mc, struct xp_error *err)
{
	struct buf b = BUF_INIT, records = BUF_INIT, scratch = BUF_INIT;
	static const char zeros[4];
	char path[PATH_MAX];
	struct iovec pieces[3];
	struct saved sv = { NULL, 0 };
	struct filemap_sweep sweep = FILEMAP_SWEEP_INIT(SWEEP_RECORDS);
	uint64_t head[3], nwords = 0;
	bool ok;
	const char *key;
	void *value;

	retire_due(mc, false);
	if (!mc->dirty)
		return XP_OK;
	if (mc->records.count > 0 && (sv.items = malloc(
	    mc->records.count * sizeof(*sv.items))) == NULL)
		return xp_error_set(err, XP_ERR_NOMEM, mc->dir, 0,
		    "out of memory");
	for (size_t i = 0; strmap_next(&mc->records, &i, &key, &value);) {
		const struct meta_record *r = value;

		/* The record's checksum reads its words (see write_words). */
		filemap_sweep_note(&sweep, r->article->words_map);
		if (metarecord_put(&records, &nwords, &scratch, r->name,
		    r->article))
			sv.items[sv.count++] = r->article;
	}
	filemap_sweep_flush(&sweep);
	head[0] = META_VERSION;
	head[1] = sizeof(struct article);
	head[2] = records.len;
	buf_puts(&b, META_MAGIC);
	buf_append(&b, head, sizeof(head));
	b.failed |= records.failed || scratch.failed;
	buf_release(&scratch);
	pieces[0] = (struct iovec){ b.data, b.len };
	pieces[1] = (struct iovec){ records.data, records.len };
	pieces[2] = (struct iovec){ (void *)zeros,
	    (4 - (b.len + records.len) % 4) % 4 };
	snprintf(path, sizeof(path), "%s/metadata", mc->dir);
	ok = !b.failed && write_pieces(path, pieces, 3, write_words, &sv);
	buf_release(&records);
	buf_release(&b);
	free(sv.items);
	if (!ok)
		return xp_error_set(err, XP_ERR_IO, path, 0, "cannot write: %s",
		    strerror(errno));
	mc->dirty = false;
	sweep_bodies(mc);
	return XP_OK;
}
