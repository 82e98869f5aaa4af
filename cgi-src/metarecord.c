/* metarecord.c - one record of the metadata cache: written, read back,
 * and checked as strictly as an article file, since anyone who can write
 * the cache folder can write it. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "metarecord.h"

#define META_MAX_TAGS 1000
#define META_MAX_FILE (1u << 30)   /* no article is larger (config) */

/* --- the checksum ---------------------------------------- */

/* Folds the word hashes of T into H; false when they are not strictly
 * ascending, as search_finish leaves them and every reader assumes. */
static bool
words_sum(const struct term_set *t, uint64_t *h)
{
	const uint32_t *w = t->hashes;
	uint64_t sum = *h;
	bool sorted = true;
	size_t i;

	/* One pass, two words a step: at 100,000 articles' worth of words
	 * (or a CGI request's share of them) this is what loading costs. */
	for (i = 0; i + 1 < t->count; i += 2) {
		sorted &= (i == 0 || w[i] > w[i - 1]) && w[i + 1] > w[i];
		sum = (sum ^ ((uint64_t)w[i] << 32 | w[i + 1])) *
		    UINT64_C(1099511628211);
	}
	if (i < t->count) {
		sorted &= i == 0 || w[i] > w[i - 1];
		sum = (sum ^ w[i]) * UINT64_C(1099511628211);
	}
	*h = sum;
	return sorted;
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

/* --- encoding --------------------------------------------- */

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
 * words section so far (the caller writes the hashes there, in the same
 * order). */
static void
put_terms(struct buf *b, uint64_t *nwords, const struct term_set *t)
{
	put_u64(b, *nwords);
	put_u64(b, t->count);
	*nwords += t->count;
}

static void
put_payload(struct buf *b, uint64_t *nwords, const char *name,
    const struct article *a)
{
	put_str(b, name);
	put_u64(b, (uint64_t)a->stamp.dev);
	put_u64(b, (uint64_t)a->stamp.ino);
	put_u64(b, (uint64_t)a->stamp.size);
	put_u64(b, (uint64_t)a->stamp.mtime.tv_sec);
	put_u64(b, (uint64_t)a->stamp.mtime.tv_nsec);
	put_u64(b, (uint64_t)a->stamp.ctime.tv_sec);
	put_u64(b, (uint64_t)a->stamp.ctime.tv_nsec);
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
	put_terms(b, nwords, &a->terms);
	put_terms(b, nwords, &a->title_terms);
}

bool
metarecord_put(struct buf *records, uint64_t *nwords, struct buf *scratch,
    const char *name, const struct article *a)
{
	uint64_t sum, counted = *nwords;

	scratch->len = 0;
	put_payload(scratch, nwords, name, a);
	if (scratch->failed ||
	    !record_sum(scratch->data, scratch->len, a, &sum)) {
		*nwords = counted;
		return false;
	}
	put_u64(records, scratch->len);
	put_u64(records, sum);
	buf_append(records, scratch->data, scratch->len);
	return true;
}

/* --- decoding, every length checked against what is left ---------- */

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

/* Decodes one payload into *NAME (caller frees) and a new article
 * (caller unrefs), or returns NULL with r->bad set.  Only the shape is
 * checked here; what the values mean is validate's. */
static struct article *
decode(struct reader *r, struct filemap *map, struct article_home *home,
    char **name)
{
	struct article *a = calloc(1, sizeof(*a));
	bool was_null, no_updated;
	uint64_t ntags, flag;

	*name = NULL;
	if (a == NULL) {
		r->bad = true;
		return NULL;
	}
	atomic_init(&a->refs, 1);
	a->home = article_home_ref(home);
	a->words_map = filemap_ref(map);
	a->terms.mapped = a->title_terms.mapped = true;
	*name = get_required(r);
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
		article_unref(a);
		free(*name);
		*name = NULL;
		return NULL;
	}
	return a;
}

/* --- validation, as strict as for an article file ---------- */

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

bool
metarecord_names_slug(const char *name, const char *slug)
{
	size_t n = strlen(slug);

	return strncmp(name, slug, n) == 0 && strcmp(name + n, ".xml") == 0;
}

/* True when the decoded record R could have come from parsing an article
 * file: the checks article_parse makes on what it keeps. */
static bool
validate(const char *name, const struct article *a)
{
	if (!article_slug_valid(a->slug, strlen(a->slug)) ||
	    !metarecord_names_slug(name, a->slug) ||
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

/* --- a record: framing ---------------------------------------------- */

/* Reads the framing of the record at *P: its payload and stored sum.
 * False when it does not fit before END. */
static bool
frame(const char *p, const char *end, const char **payload, uint64_t *len,
    uint64_t *sum)
{
	if ((size_t)(end - p) < 2 * sizeof(uint64_t))
		return false;
	memcpy(len, p, sizeof(*len));
	memcpy(sum, p + sizeof(*len), sizeof(*sum));
	*payload = p + 2 * sizeof(uint64_t);
	return *len <= (uint64_t)(end - *payload);
}

enum metarecord_status
metarecord_get(const char **p, const char *end, const uint32_t *words,
    size_t nwords, struct filemap *map, struct article_home *home,
    char **name, struct article **out)
{
	const char *payload;
	uint64_t len, sum, got;
	struct reader r;
	struct article *a;

	*name = NULL;
	*out = NULL;
	if (!frame(*p, end, &payload, &len, &sum))
		return METARECORD_END;
	*p = payload + len;
	r = (struct reader){ payload, payload + len, words, nwords, false };
	if ((a = decode(&r, map, home, name)) == NULL)
		return METARECORD_DAMAGED;
	if (!record_sum(payload, (size_t)len, a, &got) || got != sum ||
	    !validate(*name, a)) {
		article_unref(a);
		free(*name);
		*name = NULL;
		return METARECORD_DAMAGED;
	}
	*out = a;
	return METARECORD_OK;
}

bool
metarecord_reseal(char *p, const char *end, const uint32_t *words,
    size_t nwords)
{
	const char *payload;
	uint64_t len, sum;
	struct reader r;
	struct article *a;
	char *name;
	bool ok;

	if (!frame(p, end, &payload, &len, &sum))
		return false;
	r = (struct reader){ payload, payload + len, words, nwords, false };
	if ((a = decode(&r, NULL, NULL, &name)) == NULL)
		return false;
	if ((ok = record_sum(payload, (size_t)len, a, &sum)))
		memcpy(p + sizeof(len), &sum, sizeof(sum));
	article_unref(a);
	free(name);
	return ok;
}
