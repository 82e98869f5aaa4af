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
 * write the articles.  In memory an article is found by its content hash
 * and a key of its slug (an open-addressed table), or by the postings'
 * number (positions_bind); each stream's checksum is checked once, not on
 * every phrase search, and its first codes are kept beside its entry:
 * some 88 bytes an article in all, 8.7 MB at 100,000. */
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

/* The first codes of each stream kept in memory once positions_verify
 * has checked it: a title's phrase is then found without a read at all.
 * Even 128 bytes read from the file cost a cache miss on a page no other
 * candidate touches (a quarter of "field guide" at 100,000 articles);
 * with the codes beside the entry a candidate costs one cache line. */
#define POS_KEPT 15

/* Codes a phrase check reads into its own stack (8 KB): longer streams
 * are read into the heap. */
#define POS_STACK 4096

struct pos_doc {
	uint64_t slug_key;            /* slug_key of the slug */
	uint64_t content_hash;
	uint64_t offset;              /* in the file */
	uint32_t words;               /* codes in the stream */
	uint32_t checksum;
	uint16_t kept[POS_KEPT];      /* the stream's first codes, */
	uint8_t nkept;                /* this many: 0 until verified */
};
_Static_assert(sizeof(struct pos_doc) == 64, "an entry is a cache line");

/* What is known of a stream's checksum: read once, not on every check. */
enum { STREAM_UNREAD, STREAM_GOOD, STREAM_BAD };

struct positions {
	int fd;
	struct pos_doc *docs;         /* in the table's order */
	size_t ndocs;
	uint32_t *slots;              /* by content hash: doc + 1; 0 empty */
	size_t nslots;                /* a power of two, > 2 * ndocs */
	atomic_uchar *state;          /* by doc: STREAM_* */
	/* after positions_bind: the postings' document d is bound[d]
	 * (borrowed), whose stream is docs[at[d] - 1] (0: none) */
	const struct article **bound;
	uint32_t *at;
	size_t nbound;
};

/* The 16-bit code of a word's 24-bit hash; never the field gap. */
static uint16_t
code_of(uint32_t hash)
{
	uint16_t c = (uint16_t)(hash & 0xFFFFu);

	return c == POS_GAP ? (uint16_t)(POS_GAP - 1) : c;
}

/* A word-wise hash of DATA (LEN bytes), eight bytes a step: the
 * streams' checksum (folded to 32 bits, see checksum32) and the key a
 * slug is found by, cheaper than the byte-wise FNV-1a of hash.h. */
static uint64_t
words_hash(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = HASH_INIT ^ len, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * UINT64_C(0x9E3779B97F4A7C15);
		h ^= h >> 29;
	}
	return hash_bytes(h, p + i, len - i);
}

/* A stream's checksum: checked the first time the stream is read. */
static uint32_t
checksum32(const void *data, size_t len)
{
	uint64_t h = words_hash(data, len);

	return (uint32_t)(h ^ (h >> 32));
}

/* The key of SLUG (LEN bytes) in the table, beside the content hash. */
static uint64_t
slug_key(const char *slug, size_t len)
{
	return words_hash(slug, len);
}

/* The first slot of content hash H among P's slots. */
static size_t
slot_of(const struct positions *p, uint64_t h)
{
	return (size_t)((h * UINT64_C(0x9E3779B97F4A7C15)) >> 32) &
	    (p->nslots - 1);
}

void
positions_free(struct positions *p)
{
	if (p == NULL)
		return;
	free(p->docs);
	free(p->slots);
	free(p->state);
	free(p->bound);
	free(p->at);
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

/* Finds P's articles by content hash: open addressing, at most half
 * full, so a lookup costs a probe or two (a binary search over the
 * table, with a byte-wise hash of the slug, was a quarter of a phrase
 * search's time at 100,000 articles).  False when out of memory. */
static bool
index_docs(struct positions *p)
{
	size_t want = 2 * p->ndocs + 2;

	p->nslots = 16;
	while (p->nslots < want)
		p->nslots *= 2;
	if ((p->slots = calloc(p->nslots, sizeof(*p->slots))) == NULL ||
	    (p->state = calloc(p->ndocs + 1, sizeof(*p->state))) == NULL)
		return false;
	for (size_t i = 0; i < p->ndocs; i++) {
		size_t at = slot_of(p, p->docs[i].content_hash);

		while (p->slots[at] != 0)
			at = (at + 1) & (p->nslots - 1);
		p->slots[at] = (uint32_t)i + 1;
	}
	return true;
}

/* Reads the table T (LEN bytes, NDOCS entries) into P; false when it
 * does not hold together. */
static bool
read_table(struct positions *p, const unsigned char *t, size_t len,
    uint32_t ndocs, uint64_t file_size)
{
	size_t at = 0;

	/* an entry takes 26 bytes at least: a foreign count asks for no
	 * more memory than the table could describe */
	if (ndocs > len / 26 || (p->docs = aligned_alloc(64,
	    ((size_t)ndocs + 1) * sizeof(*p->docs))) == NULL)
		return false;
	/* an entry a cache line: what a phrase check reads of it */
	memset(p->docs, 0, ((size_t)ndocs + 1) * sizeof(*p->docs));
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
		d->slug_key = slug_key((const char *)t + at, slen);
		at += slen;
		p->ndocs++;
	}
	return at == len && index_docs(p);
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
	uint64_t key = 0;
	bool keyed = false;

	if (p == NULL || p->ndocs == 0)
		return NULL;
	for (size_t at = slot_of(p, a->content_hash); p->slots[at] != 0;
	    at = (at + 1) & (p->nslots - 1)) {
		const struct pos_doc *d = &p->docs[p->slots[at] - 1];

		if (d->content_hash != a->content_hash)
			continue;
		/* the slug too: the file is not trusted to pair them */
		if (!keyed) {
			key = slug_key(a->slug, strlen(a->slug));
			keyed = true;
		}
		if (d->slug_key == key)
			return d;
	}
	return NULL;
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

/* Reads D's stream into S (its words' room, owned by the caller), checking
 * it against its checksum the first time; false when it does not read
 * back intact, now or before. */
static bool
read_stream_into(const struct positions *p, const struct pos_doc *d,
    uint16_t *s)
{
	atomic_uchar *state = &p->state[d - p->docs];
	unsigned char known = atomic_load_explicit(state, memory_order_relaxed);
	bool good;

	if (known == STREAM_BAD || !fd_read_at(p->fd, s, (size_t)d->words * 2,
	    d->offset))
		return false;
	if (known == STREAM_GOOD)
		return true;
	/* Checked once: the file is never written in place (a new one is
	 * renamed over it, and we keep reading the one we opened), so a
	 * stream that was whole stays whole.  The checksum catches a torn
	 * or foreign file, not someone who may write the cache folder, who
	 * could as well rewrite the articles' kept copies. */
	good = checksum32(s, (size_t)d->words * 2) == d->checksum;
	atomic_store_explicit(state, good ? STREAM_GOOD : STREAM_BAD,
	    memory_order_relaxed);
	return good;
}

/* The stream of D, read and checked, in a new array (caller frees), or
 * NULL. */
static uint16_t *
read_stream(const struct positions *p, const struct pos_doc *d)
{
	uint16_t *s = malloc((size_t)d->words * 2 + 2);

	if (s != NULL && !read_stream_into(p, d, s)) {
		free(s);
		return NULL;
	}
	return s;
}

size_t
positions_verify(struct positions *p, const atomic_bool *stop)
{
	uint16_t *s = NULL, *grown;
	size_t room = 0, bad = 0;

	for (size_t i = 0; p != NULL && i < p->ndocs; i++) {
		const struct pos_doc *d = &p->docs[i];

		if (stop != NULL && (i & 511) == 0 && atomic_load(stop))
			break;
		if (d->words >= room) {
			room = (size_t)d->words + 1;
			if ((grown = realloc(s, room * 2)) == NULL) {
				room = 0;
				continue;
			}
			s = grown;
		}
		if (!read_stream_into(p, d, s)) {
			bad++;
			continue;
		}
		/* P is not shared yet: its entries may still change */
		p->docs[i].nkept = (uint8_t)(d->words < POS_KEPT ? d->words :
		    POS_KEPT);
		memcpy(p->docs[i].kept, s, (size_t)p->docs[i].nkept * 2);
	}
	free(s);
	return bad;
}

/* Adds to FOUND (the bit of each phrase number) the phrases of Q that
 * stand in the N codes S; CODES are Q's terms' codes.  Returns FOUND. */
static unsigned
scan_phrases(const struct query *q, const uint16_t *codes, const uint16_t *s,
    size_t n, unsigned found)
{
	for (size_t i = 0; i < q->nterms; i++) {
		const struct query_term *t = &q->terms[i];
		size_t words = 0;

		if (t->phrase == 0 || (found & (1u << t->phrase)) ||
		    (i > 0 && q->terms[i - 1].phrase == t->phrase))
			continue;
		while (i + words < q->nterms && q->terms[i + words].phrase == t->phrase)
			words++;
		for (size_t at = 0; at + words <= n; at++) {
			size_t k = 1;

			if (s[at] != codes[i])
				continue;
			while (k < words && s[at + k] == codes[i + k])
				k++;
			if (k == words) {
				found |= 1u << t->phrase;
				break;
			}
		}
	}
	return found;
}

/* Whether D, P's stream of an article, holds every quoted phrase of Q:
 * as positions_check says. */
static int
check_stream(const struct positions *p, const struct pos_doc *d,
    const struct query *q)
{
	uint16_t codes[SEARCH_TERMS_MAX], local[POS_STACK], *s;
	unsigned want = 0, found = 0;
	bool ok;

	for (size_t i = 0; i < q->nterms; i++) {
		/* a long prefix is checked in the text, not here */
		if (q->terms[i].prefix && !q->terms[i].exclude &&
		    q->terms[i].len > SEARCH_PREFIX_CHARS)
			return -1;
		if (q->terms[i].phrase)
			want |= 1u << q->terms[i].phrase;
		codes[i] = code_of(q->terms[i].hash);
	}
	if (d == NULL)
		return -1;
	/* A stream verified: the codes kept may be enough. */
	if (d->nkept > 0) {
		found = scan_phrases(q, codes, d->kept, d->nkept, found);
		if ((found & want) == want)
			return 1;
		if (d->words <= d->nkept)
			return 0;
	}
	/* most streams fit on the stack: no allocation a candidate */
	if (d->words <= POS_STACK)
		s = local;
	else if ((s = malloc((size_t)d->words * 2)) == NULL)
		return -1;
	ok = read_stream_into(p, d, s);
	if (ok)
		found = scan_phrases(q, codes, s, d->words, found);
	if (s != local)
		free(s);
	return ok ? (found & want) == want : -1;
}

int
positions_check(const struct positions *p, const struct article *a,
    const struct query *q)
{
	return check_stream(p, doc_of(p, a), q);
}

bool
positions_bind(struct positions *p, struct article *const *docs, size_t n)
{
	if (n > UINT32_MAX ||
	    (p->bound = calloc(n + 1, sizeof(*p->bound))) == NULL ||
	    (p->at = calloc(n + 1, sizeof(*p->at))) == NULL) {
		free(p->bound);
		p->bound = NULL;
		return false;
	}
	for (size_t d = 0; d < n; d++) {
		const struct pos_doc *pd = doc_of(p, docs[d]);

		p->bound[d] = docs[d];
		p->at[d] = pd ? (uint32_t)(pd - p->docs) + 1 : 0;
	}
	p->nbound = n;
	return true;
}

int
positions_check_doc(const struct positions *p, uint32_t doc,
    const struct article *a, const struct query *q)
{
	/* The pointer is compared, never followed: the article itself,
	 * cold in memory, cost more than the rest of the check. */
	if (p != NULL && doc < p->nbound && p->bound[doc] == a)
		return check_stream(p, p->at[doc] ? &p->docs[p->at[doc] - 1] :
		    NULL, q);
	return positions_check(p, a, q);
}

void
positions_reseal(void *file, size_t len)
{
	unsigned char *f = file, *h = f + sizeof(POS_MAGIC) - 1, *t;
	uint64_t table_len, sum;
	uint32_t ndocs;
	size_t at = 0;

	if (len < POS_HEADER)
		return;
	memcpy(&ndocs, h + 4, 4);
	memcpy(&table_len, h + 8, 8);
	if (table_len > len - POS_HEADER)
		return;
	t = f + POS_HEADER;
	for (uint32_t i = 0; i < ndocs && table_len - at >= 25; i++) {
		uint64_t off;
		uint32_t words, checksum;
		size_t slen = t[at + 24];

		memcpy(&off, t + at + 8, 8);
		memcpy(&words, t + at + 16, 4);
		if (off <= len && (uint64_t)words * 2 <= len - off) {
			checksum = checksum32(f + off, (size_t)words * 2);
			memcpy(t + at + 20, &checksum, 4);
		}
		if (table_len - at - 25 < slen)
			break;
		at += 25 + slen;
	}
	sum = hash_bytes(HASH_INIT, t, (size_t)table_len);
	memcpy(h + 16, &sum, 8);
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
