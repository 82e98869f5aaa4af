/* positions.c - the search file: each article's words in order.
 *
 * Layout (native byte order, like the metadata cache):
 *   "xsltpress-search\n", u32 version, u32 articles, u64 table bytes,
 *   u64 checksum of the table, char lang[16], u64 pair section bytes,
 *   u64 checksum of the pairs' directory;
 *   the table: per article u64 content hash, u64 stream offset, u32
 *   words, u32 stream checksum, u8 slug length, the slug;
 *   the pair section (may be empty): u32 pairs, u32 articles a common
 *   code is in at least, u32 blocks, u32 zero, the common codes' bitmap
 *   (8 KB), per block of 256 pairs its first key and checksum (u32
 *   each); the pairs by key, per pair u32 key (first code << 16 |
 *   second), u32 articles (UINT32_MAX: too common to be listed), u32
 *   list offset and bytes (from the lists' start), u32 list checksum;
 *   then the lists: the articles' numbers in the table, ascending, as
 *   varint deltas;
 *   the streams: u16 codes, 0xFFFF between fields.
 * The pairs are CommonGrams (as in Lucene): two adjacent codes of one
 * field whose words are each in 1/32 of the articles or more; a phrase
 * of such words checks only the articles its pairs' lists hold, not the
 * tens of thousands that hold both words somewhere.
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
#include "varint.h"

#define POS_MAGIC "xsltpress-search\n"
#define POS_VERSION 3u   /* 2: word-wise stream checksums; 3: pairs */
#define POS_LANG 16
#define POS_HEADER (sizeof(POS_MAGIC) - 1 + 4 + 4 + 8 + 8 + POS_LANG + 8 + 8)
#define POS_GAP 0xFFFFu           /* between fields: no phrase spans it */
#define POS_MAX_TABLE (1u << 30)

/* The pair section: a code is common in 1/POS_COMMON of the articles or
 * more; a pair in more than 1/POS_PAIR_DENSE of them (and more than
 * POS_PAIR_FEW) is not listed, as it would filter little; past
 * POS_PAIRS_MAX pairs the file has no pair section at all.  Without a
 * pair section, phrases are checked by their streams alone.  Only the
 * bitmap (8 KB) and each block of 256 pairs' first key and checksum (8
 * bytes) are held in memory: 46 KB for the 1.47 million pairs of the
 * 100,000-article bench.  A phrase reads one block of the directory
 * (5 KB) and one list a pair. */
#define POS_COMMON 32
#define POS_PAIR_DENSE 8
#define POS_PAIR_FEW 1024
#define POS_PAIRS_MAX (1u << 24)
#define POS_PAIR_BLOCK 256
#define POS_CODES 65536
#define POS_BITMAP (POS_CODES / 8)
#define POS_PAIR_HEAD (16 + POS_BITMAP)
#define POS_PAIR_ENTRY 20
#define POS_UNLISTED UINT32_MAX

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

/* A pair of the directory: its list is read when a phrase needs it. */
struct pos_pair {
	uint32_t key;                 /* first code << 16 | second */
	uint32_t n;                   /* articles; POS_UNLISTED: not listed */
	uint32_t off, bytes;          /* of its list, from pairs_at */
	uint32_t checksum;            /* of its list */
};

/* What a query's pairs allow: the articles (by number in the table) that
 * hold every pair of its phrases that the file lists. */
struct positions_pairs {
	uint64_t *bits;               /* a bit per article of the file */
	size_t ndocs;
};

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
	/* the pair section, when the file has one: the common codes and
	 * each block's first key in memory, the blocks of the directory
	 * and the lists read on demand */
	uint8_t *common;              /* POS_BITMAP bytes, or NULL */
	uint32_t *blocks;             /* per block: first key, checksum */
	size_t npairs, nblocks;
	uint64_t dir_at;              /* the pairs' entries in the file */
	uint64_t pairs_at;            /* the lists */
	uint64_t lists_len;
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
	free(p->common);
	free(p->blocks);
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

/* The checksum of a pair section of LEN bytes whose directory is DIR
 * (DIR_LEN bytes): its length too, as the lists' bounds depend on it. */
static uint64_t
pairs_checksum(const void *dir, size_t dir_len, uint64_t len)
{
	return hash_bytes(words_hash(dir, dir_len), &len, sizeof(len));
}

/* Reads the pair section of P, LEN bytes at AT in a file of FILE_SIZE
 * bytes, whose head has checksum SUM: its common codes and its blocks'
 * first keys into memory.  An empty section leaves P without pairs.
 * False when the section does not hold together: the file is then not
 * trusted at all (it is written again). */
static bool
read_pairs(struct positions *p, uint64_t at, uint64_t len, uint64_t sum,
    uint64_t file_size)
{
	unsigned char *head = NULL;
	uint32_t np, nb;
	uint64_t head_len, dir_len;
	bool ok = false;

	if (len == 0)
		return true;
	if (at > file_size || len > file_size - at || len < POS_PAIR_HEAD ||
	    !fd_read_at(p->fd, &np, 4, at) || !fd_read_at(p->fd, &nb, 4, at + 8) ||
	    np > POS_PAIRS_MAX ||
	    nb != (np + POS_PAIR_BLOCK - 1) / POS_PAIR_BLOCK)
		return false;
	head_len = POS_PAIR_HEAD + (uint64_t)nb * 8;
	dir_len = head_len + (uint64_t)np * POS_PAIR_ENTRY;
	if (dir_len > len || (head = malloc((size_t)head_len)) == NULL ||
	    !fd_read_at(p->fd, head, (size_t)head_len, at) ||
	    pairs_checksum(head, (size_t)head_len, len) != sum ||
	    (p->common = malloc(POS_BITMAP)) == NULL ||
	    (p->blocks = malloc((size_t)nb * 8 + 8)) == NULL)
		goto done;
	memcpy(p->common, head + 16, POS_BITMAP);
	memcpy(p->blocks, head + POS_PAIR_HEAD, (size_t)nb * 8);
	/* the field gap stands between fields: never one half of a pair */
	if (p->common[POS_GAP / 8] & (1u << (POS_GAP % 8)))
		goto done;
	/* ascending first keys: a block is found by binary search */
	for (uint32_t b = 1; b < nb; b++)
		if (p->blocks[2 * b] <= p->blocks[2 * (b - 1)])
			goto done;
	p->npairs = np;
	p->nblocks = nb;
	p->dir_at = at + head_len;
	p->pairs_at = at + dir_len;
	p->lists_len = len - dir_len;
	ok = true;
done:
	free(head);
	if (!ok) {
		free(p->common);
		free(p->blocks);
		p->common = NULL;
		p->blocks = NULL;
	}
	return ok;
}

struct positions *
positions_open(const char *dir, const char *lang)
{
	char path[PATH_MAX], want_lang[POS_LANG];
	unsigned char head[POS_HEADER], *table = NULL;
	struct positions *p;
	uint32_t version, ndocs;
	uint64_t table_len, sum, pairs_len, pairs_sum;
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
	memcpy(&pairs_len, h + 24 + POS_LANG, 8);
	memcpy(&pairs_sum, h + 32 + POS_LANG, 8);
	lang_field(want_lang, lang);
	if (version != POS_VERSION || memcmp(h + 24, want_lang, POS_LANG) != 0 ||
	    table_len > POS_MAX_TABLE ||
	    table_len > (uint64_t)st.st_size - sizeof(head) ||
	    (table = malloc((size_t)table_len + 1)) == NULL ||
	    !fd_read_at(p->fd, table, (size_t)table_len, sizeof(head)) ||
	    hash_bytes(HASH_INIT, table, (size_t)table_len) != sum ||
	    !read_table(p, table, (size_t)table_len, ndocs,
	    (uint64_t)st.st_size) ||
	    !read_pairs(p, sizeof(head) + table_len, pairs_len, pairs_sum,
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

/* Whether code C is common in P: one half of the pairs it lists. */
static bool
common_code(const struct positions *p, uint16_t c)
{
	return (p->common[c / 8] >> (c % 8)) & 1u;
}

/* Finds P's pair KEY into E: 1 found, 0 when no article holds it, -1
 * when its block of the directory does not read back intact or does not
 * hold together (the pair then filters nothing). */
static int
pair_of(const struct positions *p, uint32_t key, struct pos_pair *e)
{
	unsigned char block[POS_PAIR_BLOCK * POS_PAIR_ENTRY];
	size_t lo = 0, hi = p->nblocks, b, n;
	struct pos_pair prev = { 0 };

	/* the last block whose first key is KEY or below */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->blocks[2 * mid] <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	b = lo - 1;
	n = b + 1 < p->nblocks ? POS_PAIR_BLOCK :
	    p->npairs - b * POS_PAIR_BLOCK;
	if (!fd_read_at(p->fd, block, n * POS_PAIR_ENTRY, p->dir_at +
	    (uint64_t)b * POS_PAIR_BLOCK * POS_PAIR_ENTRY) ||
	    checksum32(block, n * POS_PAIR_ENTRY) != p->blocks[2 * b + 1])
		return -1;
	for (size_t i = 0; i < n; i++) {
		memcpy(e, block + i * POS_PAIR_ENTRY, POS_PAIR_ENTRY);
		/* the block's keys ascend from its first key */
		if ((i == 0 ? e->key != p->blocks[2 * b] : e->key <= prev.key) ||
		    (e->n == POS_UNLISTED ? e->bytes != 0 :
		    e->n == 0 || e->n > p->ndocs || e->bytes < e->n ||
		    (uint64_t)e->bytes > (uint64_t)e->n * 5) ||
		    (uint64_t)e->off + e->bytes > p->lists_len)
			return -1;
		if (e->key == key)
			return 1;
		if (e->key > key)
			return 0;
		prev = *e;
	}
	return 0;
}

/* Reads the list of E into BITS (a bit per article, zeroed by the
 * caller); false when it does not read back intact or does not decode
 * to E's count of ascending numbers below NDOCS. */
static bool
read_pair_list(const struct positions *p, const struct pos_pair *e,
    uint64_t *bits)
{
	unsigned char *list = malloc((size_t)e->bytes + 1);
	const uint8_t *at = list, *end = list + e->bytes;
	uint64_t doc = 0;
	uint32_t k = 0, v;
	bool ok = list != NULL && fd_read_at(p->fd, list, e->bytes,
	    p->pairs_at + e->off) && checksum32(list, e->bytes) == e->checksum;

	for (; ok && k < e->n; k++) {
		/* after the first, a delta of at least one */
		if (!varint_read(&at, end, &v) || (k > 0 && v == 0) ||
		    (doc = k == 0 ? v : doc + v) >= p->ndocs) {
			ok = false;
			break;
		}
		bits[doc / 64] |= UINT64_C(1) << (doc % 64);
	}
	free(list);
	return ok && at == end;
}

struct positions_pairs *
positions_pairs_new(const struct positions *p, const struct query *q)
{
	struct positions_pairs *f;
	uint64_t *one;
	size_t words;
	bool any = false;

	if (p == NULL || p->common == NULL || p->ndocs == 0 || !q->verify)
		return NULL;
	words = (p->ndocs + 63) / 64;
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->bits = malloc(words * 8)) == NULL ||
	    (one = calloc(words, 8)) == NULL) {
		positions_pairs_free(f);
		return NULL;
	}
	memset(f->bits, 0xFF, words * 8);
	f->ndocs = p->ndocs;
	for (size_t i = 0; i + 1 < q->nterms; i++) {
		const struct query_term *t = &q->terms[i], *u = &q->terms[i + 1];
		uint16_t c1 = code_of(t->hash), c2 = code_of(u->hash);
		struct pos_pair e;
		int found;

		/* a prefix's code is not a word's: its streams decide */
		if (t->phrase == 0 || u->phrase != t->phrase || t->prefix ||
		    u->prefix || t->exclude || u->exclude ||
		    !common_code(p, c1) || !common_code(p, c2))
			continue;
		found = pair_of(p, (uint32_t)c1 << 16 | c2, &e);
		if (found < 0 || (found && e.n == POS_UNLISTED))
			continue;
		/* Both codes common: every article holding them side by
		 * side is listed, so an absent pair is in none. */
		if (found) {
			memset(one, 0, words * 8);
			/* a list that does not read back filters nothing */
			if (!read_pair_list(p, &e, one))
				continue;
		}
		for (size_t w = 0; w < words; w++)
			f->bits[w] &= found ? one[w] : 0;
		any = true;
	}
	free(one);
	if (!any) {
		positions_pairs_free(f);
		return NULL;
	}
	return f;
}

void
positions_pairs_free(struct positions_pairs *f)
{
	if (f == NULL)
		return;
	free(f->bits);
	free(f);
}

/* Whether D, P's stream of an article, holds every quoted phrase of Q:
 * as positions_check says; F (may be NULL) the articles Q's pairs
 * allow, whose streams alone are read. */
static int
check_stream(const struct positions *p, const struct positions_pairs *f,
    const struct pos_doc *d, const struct query *q)
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
	if (f != NULL && f->ndocs == p->ndocs) {
		size_t at = (size_t)(d - p->docs);

		if (!((f->bits[at / 64] >> (at % 64)) & 1u))
			return 0;
	}
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
	return check_stream(p, NULL, doc_of(p, a), q);
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
positions_check_doc(const struct positions *p,
    const struct positions_pairs *f, uint32_t doc, const struct article *a,
    const struct query *q)
{
	/* The pointer is compared, never followed: the article itself,
	 * cold in memory, cost more than the rest of the check. */
	if (p != NULL && doc < p->nbound && p->bound[doc] == a)
		return check_stream(p, f, p->at[doc] ?
		    &p->docs[p->at[doc] - 1] : NULL, q);
	return check_stream(p, f, doc_of(p, a), q);
}

/* positions_reseal for the pair section of FILE (LEN bytes), at AT:
 * its lists', blocks' and head's checksums. */
static void
reseal_pairs(unsigned char *f, size_t len, size_t at)
{
	unsigned char *h = f + sizeof(POS_MAGIC) - 1, *dir;
	uint64_t plen, sum;
	uint32_t np, nb;
	size_t head_len, dir_len;

	memcpy(&plen, h + 24 + POS_LANG, 8);
	if (plen < POS_PAIR_HEAD || at > len || plen > len - at)
		return;
	memcpy(&np, f + at, 4);
	memcpy(&nb, f + at + 8, 4);
	if (np > POS_PAIRS_MAX ||
	    nb != (np + POS_PAIR_BLOCK - 1) / POS_PAIR_BLOCK ||
	    (head_len = POS_PAIR_HEAD + (size_t)nb * 8) > plen ||
	    (dir_len = head_len + (size_t)np * POS_PAIR_ENTRY) > plen)
		return;
	dir = f + at + head_len;
	for (uint32_t i = 0; i < np; i++) {
		unsigned char *e = dir + (size_t)i * POS_PAIR_ENTRY;
		uint32_t off, bytes, c;

		memcpy(&off, e + 8, 4);
		memcpy(&bytes, e + 12, 4);
		if ((uint64_t)off + bytes <= plen - dir_len) {
			c = checksum32(f + at + dir_len + off, bytes);
			memcpy(e + 16, &c, 4);
		}
	}
	for (uint32_t b = 0; b < nb; b++) {
		size_t n = b + 1 < nb ? POS_PAIR_BLOCK :
		    np - (size_t)b * POS_PAIR_BLOCK;
		uint32_t c = checksum32(dir + (size_t)b * POS_PAIR_BLOCK *
		    POS_PAIR_ENTRY, n * POS_PAIR_ENTRY);

		memcpy(f + at + POS_PAIR_HEAD + (size_t)b * 8 + 4, &c, 4);
	}
	sum = pairs_checksum(f + at, head_len, plen);
	memcpy(h + 32 + POS_LANG, &sum, 8);
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
	reseal_pairs(f, len, POS_HEADER + (size_t)table_len);
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

/* A pair while the file is written: its list grows as articles come. */
struct pair_acc {
	uint32_t key;
	uint32_t n;                   /* articles; POS_UNLISTED past the cap */
	uint32_t last;                /* the last article listed */
	struct buf list;
};

/* What positions_write gathers of the pairs.  The lists of pairs whose
 * first code falls in one range are gathered in memory in one pass over
 * the streams written, then go to a scratch file: a pass lists some
 * POS_PASS_ENTRIES article numbers at most (tens of MB), however large
 * the site. */
struct pairs_acc {
	uint32_t *df;                 /* POS_CODES: articles per code */
	uint32_t *seen;               /* POS_CODES: last article + 1 */
	uint8_t common[POS_BITMAP];
	uint32_t threshold, cap;
	struct pair_acc *pairs;       /* this pass's */
	size_t npairs, room, total;   /* total: in every pass so far */
	uint32_t *slots;              /* pair + 1; 0 empty */
	size_t nslots;
	uint64_t lists;               /* bytes written to the scratch file */
	bool failed;                  /* no section: too many, or no memory */
};

#define POS_PASS_ENTRIES (1u << 24)

/* Empties ACC's pairs of this pass. */
static void
pairs_acc_reset(struct pairs_acc *acc)
{
	for (size_t i = 0; i < acc->npairs; i++)
		buf_release(&acc->pairs[i].list);
	free(acc->pairs);
	free(acc->slots);
	acc->pairs = NULL;
	acc->slots = NULL;
	acc->npairs = acc->room = acc->nslots = 0;
}

static void
pairs_acc_release(struct pairs_acc *acc)
{
	pairs_acc_reset(acc);
	free(acc->df);
	free(acc->seen);
	acc->df = acc->seen = NULL;
}

/* Counts the articles each code of S (N codes, article DOC) is in. */
static void
count_codes(struct pairs_acc *acc, const uint16_t *s, size_t n, uint32_t doc)
{
	for (size_t i = 0; acc->df != NULL && i < n; i++)
		if (acc->seen[s[i]] != doc + 1) {
			acc->seen[s[i]] = doc + 1;
			acc->df[s[i]]++;
		}
}

/* The slot of KEY in ACC's pairs (empty when it has none). */
static size_t
pair_slot(const struct pairs_acc *acc, uint32_t key)
{
	size_t at = (size_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> 32) &
	    (acc->nslots - 1);

	while (acc->slots[at] != 0 && acc->pairs[acc->slots[at] - 1].key != key)
		at = (at + 1) & (acc->nslots - 1);
	return at;
}

/* ACC's pair KEY, added when new; NULL when ACC gives up. */
static struct pair_acc *
pair_get(struct pairs_acc *acc, uint32_t key)
{
	size_t at;

	if (acc->nslots == 0 || 2 * (acc->npairs + 1) > acc->nslots) {
		size_t n = acc->nslots ? acc->nslots * 2 : 4096;
		uint32_t *grown = calloc(n, sizeof(*grown)), *old = acc->slots;

		if (grown == NULL) {
			acc->failed = true;
			return NULL;
		}
		acc->slots = grown;
		acc->nslots = n;
		for (size_t i = 0; i < acc->npairs; i++)
			acc->slots[pair_slot(acc, acc->pairs[i].key)] = (uint32_t)i + 1;
		free(old);
	}
	at = pair_slot(acc, key);
	if (acc->slots[at] != 0)
		return &acc->pairs[acc->slots[at] - 1];
	if (acc->total + acc->npairs >= POS_PAIRS_MAX) {
		acc->failed = true;
		return NULL;
	}
	if (acc->npairs == acc->room) {
		size_t n = acc->room ? acc->room * 2 : 1024;
		struct pair_acc *grown = realloc(acc->pairs, n * sizeof(*grown));

		if (grown == NULL) {
			acc->failed = true;
			return NULL;
		}
		acc->pairs = grown;
		acc->room = n;
	}
	memset(&acc->pairs[acc->npairs], 0, sizeof(acc->pairs[0]));
	acc->pairs[acc->npairs].key = key;
	acc->pairs[acc->npairs].list = (struct buf)BUF_INIT;
	acc->slots[at] = (uint32_t)++acc->npairs;
	return &acc->pairs[acc->npairs - 1];
}

/* Whether code C is common by ACC's counts. */
static bool
acc_common(const struct pairs_acc *acc, uint16_t c)
{
	return (acc->common[c / 8] >> (c % 8)) & 1u;
}

/* Lists article DOC under each pair of common codes side by side in S
 * (N codes) whose first code is in [LO, HI); with EST, only counts them
 * by first code there. */
static void
list_pairs(struct pairs_acc *acc, const uint16_t *s, size_t n, uint32_t doc,
    uint64_t *est, uint32_t lo, uint32_t hi)
{
	for (size_t i = 0; i + 1 < n && !acc->failed; i++) {
		uint16_t a = s[i], b = s[i + 1];
		struct pair_acc *e;
		unsigned char bytes[VARINT_MAX];
		size_t len;

		/* the gap is never common: no pair spans two fields */
		if (!acc_common(acc, a) || !acc_common(acc, b))
			continue;
		if (est != NULL) {
			est[a]++;
			continue;
		}
		if (a < lo || a >= hi)
			continue;
		if ((e = pair_get(acc, (uint32_t)a << 16 | b)) == NULL)
			return;
		if (e->n == POS_UNLISTED || (e->n > 0 && e->last == doc))
			continue;
		if (e->n == acc->cap) {
			/* in too many articles to filter much: not listed */
			buf_release(&e->list);
			e->list = (struct buf)BUF_INIT;
			e->n = POS_UNLISTED;
			continue;
		}
		len = varint_put(bytes, e->n == 0 ? doc : doc - e->last);
		buf_append(&e->list, bytes, len);
		if (e->list.failed)
			acc->failed = true;
		e->n++;
		e->last = doc;
	}
}

static int
compare_pairs(const void *x, const void *y)
{
	uint32_t a = ((const struct pair_acc *)x)->key;
	uint32_t b = ((const struct pair_acc *)y)->key;

	return a < b ? -1 : a > b;
}

/* Reads the COUNT streams of STREAMS back (their word counts in TABLE,
 * the file's table) and hands each to list_pairs (EST, LO, HI as there).
 * False on a read error. */
static bool
streams_pass(struct pairs_acc *acc, FILE *streams, const struct buf *table,
    uint32_t count, uint64_t *est, uint32_t lo, uint32_t hi)
{
	uint16_t *s = NULL, *grown;
	size_t room = 0, at = 0;
	bool ok = fflush(streams) == 0 && fseek(streams, 0, SEEK_SET) == 0;

	for (uint32_t doc = 0; ok && doc < count && !acc->failed; doc++) {
		uint32_t words;

		memcpy(&words, table->data + at + 16, 4);
		at += 25 + (unsigned char)table->data[at + 24];
		if (words > room) {
			if ((grown = realloc(s, (size_t)words * 2)) == NULL) {
				acc->failed = true;
				break;
			}
			s = grown;
			room = words;
		}
		if (words > 0 && fread(s, 2, words, streams) != words)
			ok = false;
		else
			list_pairs(acc, s, words, doc, est, lo, hi);
	}
	free(s);
	return ok;
}

/* Sorts this pass's pairs of ACC, appends their entries to the
 * directory DIR and their lists to LISTS, and empties them. */
static void
flush_pairs(struct pairs_acc *acc, struct buf *dir, FILE *lists)
{
	qsort(acc->pairs, acc->npairs, sizeof(*acc->pairs), compare_pairs);
	for (size_t i = 0; i < acc->npairs && !acc->failed; i++) {
		const struct pair_acc *e = &acc->pairs[i];
		uint32_t bytes = (uint32_t)e->list.len, off = (uint32_t)acc->lists;
		uint32_t sum = bytes ? checksum32(e->list.data, bytes) : 0;

		if (acc->lists + bytes > UINT32_MAX || (bytes > 0 &&
		    fwrite(e->list.data, 1, bytes, lists) != bytes)) {
			acc->failed = true;
			break;
		}
		buf_append(dir, &e->key, 4);
		buf_append(dir, &e->n, 4);
		buf_append(dir, &off, 4);
		buf_append(dir, &bytes, 4);
		buf_append(dir, &sum, 4);
		acc->lists += bytes;
	}
	acc->total += acc->npairs;
	pairs_acc_reset(acc);
}

/* The head of a pair section of NP pairs, whose entries are DIR, into
 * HEAD: counts, the common codes, each block's first key and checksum. */
static void
pairs_head(const struct pairs_acc *acc, uint32_t np, const struct buf *dir,
    struct buf *head)
{
	uint32_t nb = (np + POS_PAIR_BLOCK - 1) / POS_PAIR_BLOCK, zero = 0;

	buf_append(head, &np, 4);
	buf_append(head, &acc->threshold, 4);
	buf_append(head, &nb, 4);
	buf_append(head, &zero, 4);
	buf_append(head, acc->common, POS_BITMAP);
	for (uint32_t b = 0; b < nb; b++) {
		size_t n = b + 1 < nb ? POS_PAIR_BLOCK :
		    np - (size_t)b * POS_PAIR_BLOCK;
		const char *at = dir->data + (size_t)b * POS_PAIR_BLOCK *
		    POS_PAIR_ENTRY;
		uint32_t c = checksum32(at, n * POS_PAIR_ENTRY);

		buf_append(head, at, 4);      /* the block's first key */
		buf_append(head, &c, 4);
	}
}

/* Lists the pairs of the COUNT streams in STREAMS (their word counts in
 * TABLE, the file's table): the section's head into HEAD, its entries
 * into DIR, its lists into the scratch file LISTS (ACC->lists bytes);
 * HEAD is left empty when ACC gives up (the file then has no pairs).
 * False on a read error. */
static bool
build_pairs(struct pairs_acc *acc, FILE *streams, const struct buf *table,
    uint32_t count, struct buf *head, struct buf *dir, FILE *lists)
{
	uint64_t *est;
	uint32_t np = 0, lo = 0;

	head->len = dir->len = 0;
	if (acc->df == NULL || acc->failed || count == 0)
		return true;
	acc->threshold = count / POS_COMMON > 0 ? count / POS_COMMON : 1;
	acc->cap = count / POS_PAIR_DENSE > POS_PAIR_FEW ?
	    count / POS_PAIR_DENSE : POS_PAIR_FEW;
	for (size_t c = 0; c < POS_CODES; c++)
		if (c != POS_GAP && acc->df[c] >= acc->threshold)
			acc->common[c / 8] |= (uint8_t)(1u << (c % 8));
	if ((est = calloc(POS_CODES, sizeof(*est))) == NULL) {
		acc->failed = true;
		return true;
	}
	/* First how many pairs each first code has, then a pass for each
	 * range of first codes that fits POS_PASS_ENTRIES. */
	if (!streams_pass(acc, streams, table, count, est, 0, 0)) {
		free(est);
		return false;
	}
	while (lo < POS_CODES && !acc->failed) {
		uint32_t hi = lo;
		uint64_t entries = 0;

		while (hi < POS_CODES && (hi == lo ||
		    entries + est[hi] <= POS_PASS_ENTRIES))
			entries += est[hi++];
		if (entries > 0) {
			if (!streams_pass(acc, streams, table, count, NULL, lo, hi)) {
				free(est);
				return false;
			}
			flush_pairs(acc, dir, lists);
		}
		lo = hi;
	}
	free(est);
	np = (uint32_t)acc->total;
	if (acc->failed || dir->failed || fflush(lists) != 0)
		dir->len = 0;
	else
		pairs_head(acc, np, dir, head);
	return true;
}

/* Copies FROM, from its start, to the end of TO.  False on an error. */
static bool
copy_file(FILE *from, FILE *to)
{
	char chunk[65536];
	size_t got;

	if (fflush(from) != 0 || fseek(from, 0, SEEK_SET) != 0)
		return false;
	while ((got = fread(chunk, 1, sizeof(chunk), from)) > 0)
		if (fwrite(chunk, 1, got, to) != got)
			return false;
	return !ferror(from);
}

enum xp_status
positions_write(const char *dir, const char *lang,
    struct article *const *articles, size_t n, const struct positions *old,
    const atomic_bool *stop, struct xp_error *err)
{
	char path[PATH_MAX], tmp[PATH_MAX + 32], scratch[PATH_MAX + 32];
	char scratch2[PATH_MAX + 32];
	char lang16[POS_LANG];
	struct buf table = BUF_INIT, stream = BUF_INIT, head = BUF_INIT;
	struct buf pairs = BUF_INIT, pair_dir = BUF_INIT;
	struct search_words *w = search_words_new(lang);
	struct pairs_acc acc;
	uint64_t offset = 0, sum, pairs_len, pairs_sum = 0;
	uint32_t count = 0, version = POS_VERSION;
	enum xp_status st = XP_OK;
	FILE *streams = NULL, *lists = NULL, *f = NULL;

	memset(&acc, 0, sizeof(acc));
	/* without the memory to count, the file has no pairs */
	acc.df = calloc(POS_CODES, sizeof(*acc.df));
	acc.seen = calloc(POS_CODES, sizeof(*acc.seen));
	if (acc.df == NULL || acc.seen == NULL)
		acc.failed = true;
	snprintf(path, sizeof(path), "%s/search", dir);
	/* Named by thread: two writers (processes, or threads of one) never
	 * share a temporary file; the last rename wins, whole. */
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)gettid());
	snprintf(scratch, sizeof(scratch), "%s.%ld.streams", path,
	    (long)gettid());
	snprintf(scratch2, sizeof(scratch2), "%s.%ld.pairs", path,
	    (long)gettid());
	/* Beside the file, not in /tmp: the sandbox lets us write only the
	 * cache folder.  Unlinked at once, it vanishes with us. */
	if (w != NULL && (streams = fopen(scratch, "w+e")) != NULL)
		unlink(scratch);
	if (streams != NULL && (lists = fopen(scratch2, "w+e")) != NULL)
		unlink(scratch2);
	if (w == NULL || streams == NULL || lists == NULL) {
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
		if (!acc.failed)
			count_codes(&acc, (const uint16_t *)(void *)stream.data,
			    words, count);
		offset += stream.len;
		count++;
	}
	if (table.failed) {
		st = xp_error_set(err, XP_ERR_NOMEM, path, 0, "out of memory");
		goto done;
	}
	/* The pairs of common words, from the streams written: which codes
	 * are common is known only once every stream is counted. */
	if (!build_pairs(&acc, streams, &table, count, &pairs, &pair_dir,
	    lists)) {
		st = xp_error_set(err, XP_ERR_IO, path, 0, "cannot read back");
		goto done;
	}
	pairs_len = pairs.len > 0 ? pairs.len + pair_dir.len + acc.lists : 0;
	pairs_acc_release(&acc);
	if (pairs.len > 0)
		pairs_sum = pairs_checksum(pairs.data, pairs.len, pairs_len);
	/* Offsets become file offsets now that the table's size is known. */
	for (size_t at = 0; at < table.len; ) {
		uint64_t off;

		memcpy(&off, table.data + at + 8, 8);
		off += POS_HEADER + table.len + pairs_len;
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
	buf_append(&head, &pairs_len, 8);
	buf_append(&head, &pairs_sum, 8);
	if (head.failed || (f = fopen(tmp, "we")) == NULL ||
	    fwrite(head.data, 1, head.len, f) != head.len ||
	    (table.len > 0 && fwrite(table.data, 1, table.len, f) != table.len) ||
	    (pairs.len > 0 && (fwrite(pairs.data, 1, pairs.len, f) !=
	    pairs.len || (pair_dir.len > 0 && fwrite(pair_dir.data, 1,
	    pair_dir.len, f) != pair_dir.len) || !copy_file(lists, f))) ||
	    !copy_file(streams, f)) {
		st = xp_error_set(err, XP_ERR_IO, tmp, 0, "cannot write: %s",
		    strerror(errno));
		goto done;
	}
	if (fclose(f) != 0) {
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
	if (lists != NULL)
		fclose(lists);
	buf_release(&table);
	buf_release(&stream);
	buf_release(&head);
	buf_release(&pairs);
	buf_release(&pair_dir);
	pairs_acc_release(&acc);
	search_words_free(w);
	return st;
}
