/* positions.c - the search file: each article's words in order.
 *
 * Layout (native byte order, like the metadata cache):
 *   "xsltpress-search\n", u32 version, u32 articles, u64 table bytes,
 *   u64 checksum of the table, char lang[16];
 *   the table: per article u64 content hash, u64 stream offset, u32
 *   words, u32 stream checksum, u8 slug length, the slug;
 *   the streams: u16 codes, 0xFFFF between fields.
 * The table's checksum is FNV-1a (hash.h), the streams' a word-wise mix:
 * they catch a torn or foreign file, not an attacker, who could as well
 * write the articles.  In memory an article is found by the hash of its
 * slug (a sorted array, 32 bytes an article: 3 MB at 100,000). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "excerpt.h"
#include "fdio.h"
#include "hash.h"
#include "positions.h"

#define POS_MAGIC "xsltpress-search\n"
#define POS_VERSION 2u   /* 2: word-wise stream checksums */
#define POS_LANG 16
#define POS_HEADER (sizeof(POS_MAGIC) - 1 + 4 + 4 + 8 + 8 + POS_LANG)
#define POS_GAP 0xFFFFu           /* between fields: no phrase spans it */
#define POS_MAX_TABLE (1u << 30)

struct pos_doc {
	uint64_t slug_hash;           /* hash_str of the slug */
	uint64_t content_hash;
	uint64_t offset;              /* in the file */
	uint32_t words;               /* codes in the stream */
	uint32_t checksum;
};

struct positions {
	int fd;
	struct pos_doc *docs;         /* by slug_hash */
	size_t ndocs;
};

/* The 16-bit code of a word's 24-bit hash; never the field gap. */
static uint16_t
code_of(uint32_t hash)
{
	uint16_t c = (uint16_t)(hash & 0xFFFFu);

	return c == POS_GAP ? (uint16_t)(POS_GAP - 1) : c;
}

/* A checksum of a stream, eight bytes a step: read with every phrase
 * check, so it must cost less than the pread. */
static uint32_t
checksum32(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = HASH_INIT ^ len, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * UINT64_C(0x9E3779B97F4A7C15);
		h ^= h >> 29;
	}
	h = hash_bytes(h, p + i, len - i);
	return (uint32_t)(h ^ (h >> 32));
}

void
positions_free(struct positions *p)
{
	if (p == NULL)
		return;
	free(p->docs);
	if (p->fd >= 0)
		close(p->fd);
	free(p);
}

/* LANG as the header's fixed, zero-padded field. */
static void
lang_field(char *out, const char *lang)
{
	memset(out, 0, POS_LANG);
	snprintf(out, POS_LANG, "%s", lang ? lang : "");
}

/* Orders the table by slug hash, for doc_of's binary search. */
static int
compare_docs(const void *x, const void *y)
{
	const struct pos_doc *a = x, *b = y;

	return a->slug_hash < b->slug_hash ? -1 : a->slug_hash > b->slug_hash;
}

/* Reads the table T (LEN bytes, NDOCS entries) into P; false when it
 * does not hold together. */
static bool
read_table(struct positions *p, const unsigned char *t, size_t len,
    uint32_t ndocs, uint64_t file_size)
{
	char slug[SLUG_MAX + 1];
	size_t at = 0;

	if ((p->docs = calloc((size_t)ndocs + 1, sizeof(*p->docs))) == NULL)
		return false;
	for (uint32_t i = 0; i < ndocs; i++) {
		struct pos_doc *d = &p->docs[i];
		size_t slen;

		if (len - at < 8 + 8 + 4 + 4 + 1)
			return false;
		memcpy(&d->content_hash, t + at, 8);
		memcpy(&d->offset, t + at + 8, 8);
		memcpy(&d->words, t + at + 16, 4);
		memcpy(&d->checksum, t + at + 20, 4);
		slen = t[at + 24];
		at += 25;
		if (len - at < slen || slen == 0 || d->offset > file_size ||
		    (uint64_t)d->words * 2 > file_size - d->offset ||
		    !article_slug_valid((const char *)t + at, slen))
			return false;
		memcpy(slug, t + at, slen);
		slug[slen] = '\0';
		d->slug_hash = hash_str(HASH_INIT, slug);
		at += slen;
		p->ndocs++;
	}
	qsort(p->docs, p->ndocs, sizeof(*p->docs), compare_docs);
	return at == len;
}

struct positions *
positions_open(const char *dir, const char *lang)
{
	char path[PATH_MAX], want_lang[POS_LANG];
	unsigned char head[POS_HEADER], *table = NULL;
	struct positions *p;
	uint32_t version, ndocs;
	uint64_t table_len, sum;
	struct stat st;
	const unsigned char *h = head + sizeof(POS_MAGIC) - 1;

	if (dir == NULL || dir[0] == '\0' ||
	    (size_t)snprintf(path, sizeof(path), "%s/search", dir) >= sizeof(path) ||
	    (p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (p->fd < 0 || fstat(p->fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    !fd_read_at(p->fd, head, sizeof(head), 0) ||
	    memcmp(head, POS_MAGIC, sizeof(POS_MAGIC) - 1) != 0)
		goto bad;
	memcpy(&version, h, 4);
	memcpy(&ndocs, h + 4, 4);
	memcpy(&table_len, h + 8, 8);
	memcpy(&sum, h + 16, 8);
	lang_field(want_lang, lang);
	if (version != POS_VERSION || memcmp(h + 24, want_lang, POS_LANG) != 0 ||
	    table_len > POS_MAX_TABLE ||
	    table_len > (uint64_t)st.st_size - sizeof(head) ||
	    (table = malloc((size_t)table_len + 1)) == NULL ||
	    !fd_read_at(p->fd, table, (size_t)table_len, sizeof(head)) ||
	    hash_bytes(HASH_INIT, table, (size_t)table_len) != sum ||
	    !read_table(p, table, (size_t)table_len, ndocs,
	    (uint64_t)st.st_size))
		goto bad;
	free(table);
	return p;
bad:
	free(table);
	positions_free(p);
	return NULL;
}

size_t
positions_count(const struct positions *p)
{
	return p ? p->ndocs : 0;
}

/* P's entry for this very version of A (borrowed), or NULL. */
static const struct pos_doc *
doc_of(const struct positions *p, const struct article *a)
{
	uint64_t h;
	size_t lo = 0, hi;

	if (p == NULL)
		return NULL;
	h = hash_str(HASH_INIT, a->slug);
	hi = p->ndocs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->docs[mid].slug_hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->ndocs && p->docs[lo].slug_hash == h &&
	    p->docs[lo].content_hash == a->content_hash ? &p->docs[lo] : NULL;
}

size_t
positions_missing(const struct positions *p, struct article *const *articles,
    size_t n)
{
	size_t missing = 0;

	for (size_t i = 0; i < n; i++)
		missing += doc_of(p, articles[i]) == NULL;
	return missing;
}

/* The stream of D, read and checked, in a new array (caller frees), or
 * NULL. */
static uint16_t *
read_stream(const struct positions *p, const struct pos_doc *d)
{
	uint16_t *s = malloc((size_t)d->words * 2 + 2);

	if (s == NULL || !fd_read_at(p->fd, s, (size_t)d->words * 2, d->offset) ||
	    checksum32(s, (size_t)d->words * 2) != d->checksum) {
		free(s);
		return NULL;
	}
	return s;
}

int
positions_check(const struct positions *p, const struct article *a,
    const struct query *q)
{
	const struct pos_doc *d = doc_of(p, a);
	unsigned want = 0, found = 0;
	uint16_t *s;

	for (size_t i = 0; i < q->nterms; i++) {
		/* a long prefix is checked in the text, not here */
		if (q->terms[i].prefix && !q->terms[i].exclude &&
		    q->terms[i].len > SEARCH_PREFIX_CHARS)
			return -1;
		if (q->terms[i].phrase)
			want |= 1u << q->terms[i].phrase;
	}
	if (d == NULL || (s = read_stream(p, d)) == NULL)
		return -1;
	for (size_t i = 0; i < q->nterms; i++) {
		const struct query_term *t = &q->terms[i];
		size_t words = 0;

		if (t->phrase == 0 || (found & (1u << t->phrase)) ||
		    (i > 0 && q->terms[i - 1].phrase == t->phrase))
			continue;
		while (i + words < q->nterms && q->terms[i + words].phrase == t->phrase)
			words++;
		for (size_t at = 0; at + words <= d->words; at++) {
			size_t k = 0;

			while (k < words && s[at + k] == code_of(q->terms[i + k].hash))
				k++;
			if (k == words) {
				found |= 1u << t->phrase;
				break;
			}
		}
	}
	free(s);
	return (found & want) == want;
}

/* Appends the codes of TEXT's words, then a field gap, to OUT. */
static void
encode_field(struct search_words *w, struct buf *out, const char *text)
{
	char folded[SEARCH_WORD_MAX + 1];
	size_t pos = 0, start, end, len = strlen(text);
	uint16_t gap = POS_GAP;

	while (search_next_word(text, len, &pos, &start, &end, folded)) {
		uint16_t c = code_of(search_stem_hash(w, folded));

		buf_append(out, &c, sizeof(c));
	}
	buf_append(out, &gap, sizeof(gap));
}

/* A's stream into OUT: from OLD when it holds this version, else from
 * the text.  False when neither can be had. */
static bool
stream_of(struct search_words *w, const struct positions *old,
    const struct article *a, struct buf *out)
{
	const struct pos_doc *d = doc_of(old, a);
	struct buf body = BUF_INIT;
	uint16_t *s;

	out->len = 0;
	if (d != NULL && (s = read_stream(old, d)) != NULL) {
		buf_append(out, s, (size_t)d->words * 2);
		free(s);
		return !out->failed;
	}
	encode_field(w, out, a->title);
	encode_field(w, out, a->summary);
	for (size_t i = 0; i < a->ntags; i++)
		encode_field(w, out, a->tags[i]);
	if (!excerpt_body_text(a, &body)) {
		buf_release(&body);
		return false;
	}
	encode_field(w, out, body.data);
	buf_release(&body);
	return !out->failed;
}

enum xp_status
positions_write(const char *dir, const char *lang,
    struct article *const *articles, size_t n, const struct positions *old,
    const atomic_bool *stop, struct xp_error *err)
{
	char path[PATH_MAX], tmp[PATH_MAX + 32], scratch[PATH_MAX + 32];
	char lang16[POS_LANG];
	struct buf table = BUF_INIT, stream = BUF_INIT, head = BUF_INIT;
	struct search_words *w = search_words_new(lang);
	uint64_t offset = 0, sum;
	uint32_t count = 0, version = POS_VERSION;
	enum xp_status st = XP_OK;
	FILE *streams = NULL, *f = NULL;
	char chunk[65536];
	size_t got;

	snprintf(path, sizeof(path), "%s/search", dir);
	/* Named by thread: two writers (processes, or threads of one) never
	 * share a temporary file; the last rename wins, whole. */
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)gettid());
	snprintf(scratch, sizeof(scratch), "%s.%ld.streams", path,
	    (long)gettid());
	/* Beside the file, not in /tmp: the sandbox lets us write only the
	 * cache folder.  Unlinked at once, it vanishes with us. */
	if (w != NULL && (streams = fopen(scratch, "w+e")) != NULL)
		unlink(scratch);
	if (w == NULL || streams == NULL) {
		st = xp_error_set(err, XP_ERR_NOMEM, path, 0,
		    "cannot start writing");
		goto done;
	}
	/* The streams go to a scratch file first: the table, which comes
	 * before them, is known only at the end. */
	for (size_t i = 0; i < n; i++) {
		uint32_t words, checksum;
		uint8_t slen = (uint8_t)strlen(articles[i]->slug);

		if (stop != NULL && atomic_load(stop)) {
			st = xp_error_set(err, XP_ERR_IO, path, 0, "stopped");
			goto done;
		}
		if (articles[i]->draft || !stream_of(w, old, articles[i], &stream))
			continue;
		words = (uint32_t)(stream.len / 2);
		checksum = checksum32(stream.data, stream.len);
		buf_append(&table, &articles[i]->content_hash, 8);
		buf_append(&table, &offset, 8);     /* from the streams' start */
		buf_append(&table, &words, 4);
		buf_append(&table, &checksum, 4);
		buf_append(&table, &slen, 1);
		buf_append(&table, articles[i]->slug, slen);
		if (stream.len > 0 &&
		    fwrite(stream.data, 1, stream.len, streams) != stream.len) {
			st = xp_error_set(err, XP_ERR_IO, path, 0, "cannot write: %s",
			    strerror(errno));
			goto done;
		}
		offset += stream.len;
		count++;
	}
	if (table.failed) {
		st = xp_error_set(err, XP_ERR_NOMEM, path, 0, "out of memory");
		goto done;
	}
	/* Offsets become file offsets now that the table's size is known. */
	for (size_t at = 0; at < table.len; ) {
		uint64_t off;

		memcpy(&off, table.data + at + 8, 8);
		off += POS_HEADER + table.len;
		memcpy(table.data + at + 8, &off, 8);
		at += 25 + (unsigned char)table.data[at + 24];
	}
	sum = hash_bytes(HASH_INIT, table.data, table.len);
	lang_field(lang16, lang);
	buf_append(&head, POS_MAGIC, sizeof(POS_MAGIC) - 1);
	buf_append(&head, &version, 4);
	buf_append(&head, &count, 4);
	{
		uint64_t tlen = table.len;

		buf_append(&head, &tlen, 8);
	}
	buf_append(&head, &sum, 8);
	buf_append(&head, lang16, POS_LANG);
	if (head.failed || (f = fopen(tmp, "we")) == NULL ||
	    fwrite(head.data, 1, head.len, f) != head.len ||
	    (table.len > 0 && fwrite(table.data, 1, table.len, f) != table.len)) {
		st = xp_error_set(err, XP_ERR_IO, tmp, 0, "cannot write: %s",
		    strerror(errno));
		goto done;
	}
	rewind(streams);
	while ((got = fread(chunk, 1, sizeof(chunk), streams)) > 0)
		if (fwrite(chunk, 1, got, f) != got) {
			st = xp_error_set(err, XP_ERR_IO, tmp, 0, "cannot write: %s",
			    strerror(errno));
			goto done;
		}
	if (ferror(streams) || fclose(f) != 0) {
		f = NULL;
		st = xp_error_set(err, XP_ERR_IO, tmp, 0, "cannot write");
		goto done;
	}
	f = NULL;
	/* Readers hold the old file open: the rename never tears it. */
	if (rename(tmp, path) != 0)
		st = xp_error_set(err, XP_ERR_IO, path, 0, "cannot rename: %s",
		    strerror(errno));
done:
	if (f != NULL)
		fclose(f);
	if (st != XP_OK)
		unlink(tmp);
	if (streams != NULL)
		fclose(streams);
	buf_release(&table);
	buf_release(&stream);
	buf_release(&head);
	search_words_free(w);
	return st;
}
