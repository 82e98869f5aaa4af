/* postings.c - the inverted index: for each word, its documents, and for
 * each of them the word's 8 bits (where it occurs, how often): what the
 * score reads, so ranking never goes back to the articles.
 *
 * Two passes over the articles' word sets: the first counts each word's
 * documents and the bytes its list will take, the second writes every list
 * into one block and the bits into another.  No allocation per word or per
 * document. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "positions.h"
#include "postings.h"
#include "varint.h"

/* How many documents go by between two looks at the stop flag. */
#define STOP_EVERY 512
/* How many documents' word sets (up to about 9 KB each) are read between
 * two times their pages are given back: each pass reads every article's
 * words, and the kernel maps 64 KB around each read (or a whole large
 * folio, up to 1-2 MB: see SWEEP_RECORDS in metacache.c), so holding the
 * pages of all of them would take hundreds of megabytes at 100,000. */
#define SWEEP_DOCS 16

struct term {
	uint32_t hash;      /* 24 bits */
	uint32_t df;        /* documents holding the word; 0: empty slot */
	uint32_t last;      /* while building: the last document added */
	uint32_t last_bits; /* while building: bits written */
	uint32_t len;       /* bytes of its list */
	uint64_t off;       /* where the list starts in data */
	uint64_t bits_off;  /* where its documents' bits start in bits */
	bool bitmap;        /* a bit per document rather than varints */
};

/* The lists of every word: in memory, or in a file of our own (see
 * postings_build_in), data then bits. */
struct field {
	struct term *terms;     /* open addressing, a power of two */
	size_t terms_cap, nterms;
	uint8_t *region;        /* data and bits, when in memory */
	int fd;                 /* the file, or -1: in memory */
	size_t data_len;        /* the lists */
	size_t bits_len;        /* then a byte per (word, document), in list
	                           order */
};

struct postings {
	atomic_int refs;
	struct article **docs;
	size_t ndocs;
	struct field all;
	uint16_t *body_words;   /* by document, saturating: for the score */
	uint32_t *by_ptr;       /* article pointer -> document + 1; 0: empty */
	size_t by_ptr_cap;
	_Atomic(struct positions *) positions;   /* owned, set once */
};

static const struct term_set *
words_of(const struct article *a)
{
	return &a->terms;
}

static size_t
mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x45d9f3bu;
	h ^= h >> 16;
	return h;
}

static size_t
mix_ptr(const void *p)
{
	uint64_t v = (uint64_t)(uintptr_t)p;

	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdull;
	v ^= v >> 33;
	return (size_t)v;
}

/* The slot of HASH in TERMS (CAP slots): its own, or the empty one it
 * would take. */
static struct term *
term_slot(struct term *terms, size_t cap, uint32_t hash)
{
	size_t i = mix32(hash) & (cap - 1);

	while (terms[i].df != 0 && terms[i].hash != hash)
		i = (i + 1) & (cap - 1);
	return &terms[i];
}

static const struct term *
term_find(const struct field *f, uint32_t hash)
{
	const struct term *t;

	if (f->terms_cap == 0)
		return NULL;
	t = term_slot(f->terms, f->terms_cap, hash);
	return t->df != 0 ? t : NULL;
}

/* Doubles the word table, keeping it at most half full. */
static bool
terms_grow(struct field *f)
{
	size_t cap = f->terms_cap ? f->terms_cap * 2 : 256;
	struct term *terms = calloc(cap, sizeof(*terms));

	if (terms == NULL)
		return false;
	for (size_t i = 0; i < f->terms_cap; i++)
		if (f->terms[i].df != 0)
			*term_slot(terms, cap, f->terms[i].hash) = f->terms[i];
	free(f->terms);
	f->terms = terms;
	f->terms_cap = cap;
	return true;
}

/* Pass one: each word's document count and list length in varints. */
static bool
count_terms(struct postings *p, const atomic_bool *stop)
{
	struct filemap_sweep sweep = FILEMAP_SWEEP_INIT(SWEEP_DOCS);
	struct field *f = &p->all;
	bool ok = true;

	for (uint32_t d = 0; ok && d < p->ndocs; d++) {
		const struct term_set *set = words_of(p->docs[d]);

		if (stop != NULL && d % STOP_EVERY == 0 && atomic_load(stop)) {
			ok = false;
			break;
		}
		filemap_sweep_note(&sweep, p->docs[d]->words_map);
		for (size_t k = 0; ok && k < set->count; k++) {
			struct term *t;

			if ((f->nterms + 1) * 2 > f->terms_cap && !terms_grow(f)) {
				ok = false;
				break;
			}
			t = term_slot(f->terms, f->terms_cap, set->hashes[k] >> 8);
			if (t->df == 0) {
				t->hash = set->hashes[k] >> 8;
				f->nterms++;
				t->len += (uint32_t)varint_len(d);
			} else {
				t->len += (uint32_t)varint_len(d - t->last);
			}
			t->last = d;
			t->df++;
		}
	}
	filemap_sweep_flush(&sweep);
	return ok;
}

/* Room for LEN zeroed bytes of F's lists: a file of our own in DIR (its
 * size set, its pages untouched) when DIR is given and lets us, else
 * memory.  False when out of memory. */
static bool
region_alloc(struct field *f, size_t len, const char *dir)
{
	int fd = -1;

	f->fd = -1;
	/* O_TMPFILE: a file with no name, which no other process can open,
	 * let alone change, and which goes with the last descriptor. */
	if (dir != NULL && dir[0] != '\0' &&
	    (fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) >= 0 &&
	    ftruncate(fd, (off_t)len + 1) == 0) {
		f->fd = fd;
		return true;
	}
	if (fd >= 0)
		close(fd);
	return (f->region = calloc(len + 1, 1)) != NULL;
}

static void
region_free(struct field *f)
{
	free(f->region);
	if (f->fd >= 0)
		close(f->fd);
}

/* Writes LEN bytes at OFF of F's region.  False when the file refuses. */
static bool
region_put(struct field *f, uint64_t off, const uint8_t *bytes, size_t len)
{
	if (len == 0)
		return true;
	if (f->fd >= 0)
		return fd_write_at(f->fd, bytes, len, off);
	memcpy(f->region + off, bytes, len);
	return true;
}

/* LEN bytes at OFF of F's region: borrowed from memory, or read from the
 * file into *OWNED (caller frees).  NULL when they cannot be read. */
static const uint8_t *
region_bytes(const struct field *f, uint64_t off, size_t len, uint8_t **owned)
{
	*owned = NULL;
	if (f->fd < 0)
		return f->region + off;
	if ((*owned = malloc(len + 1)) == NULL ||
	    !fd_read_at(f->fd, *owned, len, off)) {
		free(*owned);
		*owned = NULL;
		return NULL;
	}
	return *owned;
}

/* What pass two gathers of one word before writing it out: the tail of
 * its list and of its bits.  Each word's list and bits fill in order
 * (documents come in order), so a few hundred bytes a word written in
 * runs cost little, where writing through a map of the whole file left
 * every page of it counted in this process (250 MB at 100,000
 * articles): each document touches a page of every list it is in. */
struct stage {
	uint64_t at;            /* where this word's room starts in gather */
	uint32_t list_cap, bits_cap;
	uint32_t list_n, bits_n;  /* bytes gathered */
	uint32_t list_from;     /* a bitmap's byte the gathered ones start at */
};

/* The most a word gathers of its list, and of its bits, before writing. */
#define STAGE_BYTES 1024u

static uint32_t
min_u32(size_t a, uint32_t b)
{
	return a < b ? (uint32_t)a : b;
}

/* Writes what S gathered of T's list to F, and empties it. */
static bool
stage_flush_list(struct field *f, const struct term *t, struct stage *s,
    uint8_t *gather)
{
	uint8_t *list = gather + s->at;
	bool ok = region_put(f, t->off + (t->bitmap ? s->list_from :
	    t->len - s->list_n), list, s->list_n);

	memset(list, 0, s->list_n);
	s->list_n = 0;
	return ok;
}

/* Writes what S gathered of T's bits to F, and empties it. */
static bool
stage_flush_bits(struct field *f, const struct term *t, struct stage *s,
    uint8_t *gather)
{
	bool ok = region_put(f, f->data_len + t->bits_off + t->last_bits -
	    s->bits_n, gather + s->at + s->list_cap, s->bits_n);

	s->bits_n = 0;
	return ok;
}

/* Adds document D, where T's word has BITS, to T's list and bits. */
static bool
stage_add(struct field *f, struct term *t, struct stage *s, uint8_t *gather,
    uint32_t d, uint8_t bits)
{
	uint8_t *list = gather + s->at;

	if (s->bits_n == s->bits_cap && !stage_flush_bits(f, t, s, gather))
		return false;
	list[s->list_cap + s->bits_n++] = bits;
	t->last_bits++;
	if (t->bitmap) {
		/* Bytes before D's are final: a bitmap moves on whole. */
		if (d / 8 >= s->list_from + s->list_cap) {
			if (!stage_flush_list(f, t, s, gather))
				return false;
			s->list_from = d / 8;
		}
		list[d / 8 - s->list_from] |= (uint8_t)(1u << (d % 8));
		if (d / 8 - s->list_from + 1 > s->list_n)
			s->list_n = d / 8 - s->list_from + 1;
	} else {
		uint32_t v = t->len == 0 ? d : d - t->last;
		uint32_t n = (uint32_t)varint_len(v);

		if (s->list_n + n > s->list_cap &&
		    !stage_flush_list(f, t, s, gather))
			return false;
		varint_put(list + s->list_n, v);
		s->list_n += n;
		t->len += n;
		t->last = d;
	}
	return true;
}

/* Pass two: lay the lists out, each in its smaller form, and fill them. */
static bool
fill_terms(struct postings *p, const atomic_bool *stop, const char *dir)
{
	struct filemap_sweep sweep = FILEMAP_SWEEP_INIT(SWEEP_DOCS);
	struct field *f = &p->all;
	size_t bitmap_len = (p->ndocs + 7) / 8, off = 0, bits_off = 0;
	size_t gather_len = 0;
	struct stage *stages;
	uint8_t *gather;
	bool ok = true;

	if ((stages = calloc(f->terms_cap + 1, sizeof(*stages))) == NULL)
		return false;
	for (size_t i = 0; i < f->terms_cap; i++) {
		struct term *t = &f->terms[i];

		if (t->df == 0)
			continue;
		t->bitmap = t->len >= bitmap_len;
		/* Its whole list when smaller: then at least the 5 bytes of
		 * any varint in it. */
		stages[i].list_cap = min_u32(t->bitmap ? bitmap_len : t->len,
		    STAGE_BYTES);
		stages[i].bits_cap = min_u32(t->df, STAGE_BYTES);
		stages[i].at = gather_len;
		gather_len += stages[i].list_cap + stages[i].bits_cap;
		t->off = off;
		off += t->bitmap ? bitmap_len : t->len;
		t->bits_off = bits_off;
		bits_off += t->df;
		t->len = 0;          /* bytes written so far, from here on */
		t->last = 0;
	}
	f->data_len = off;
	f->bits_len = bits_off;
	if ((gather = calloc(gather_len + 1, 1)) == NULL ||
	    !region_alloc(f, off + bits_off, dir)) {
		free(gather);
		free(stages);
		return false;
	}
	for (uint32_t d = 0; ok && d < p->ndocs; d++) {
		const struct term_set *set = words_of(p->docs[d]);

		if (stop != NULL && d % STOP_EVERY == 0 && atomic_load(stop)) {
			ok = false;
			break;
		}
		filemap_sweep_note(&sweep, p->docs[d]->words_map);
		for (size_t k = 0; ok && k < set->count; k++) {
			struct term *t = term_slot(f->terms, f->terms_cap,
			    set->hashes[k] >> 8);

			ok = stage_add(f, t, &stages[t - f->terms], gather, d,
			    (uint8_t)(set->hashes[k] & 0xFFu));
		}
	}
	filemap_sweep_flush(&sweep);
	for (size_t i = 0; ok && i < f->terms_cap; i++)
		if (f->terms[i].df != 0)
			ok = stage_flush_list(f, &f->terms[i], &stages[i],
			    gather) && stage_flush_bits(f, &f->terms[i],
			    &stages[i], gather);
	free(gather);
	free(stages);
	if (!ok)
		return false;
	for (size_t i = 0; i < f->terms_cap; i++)
		if (f->terms[i].bitmap)
			f->terms[i].len = (uint32_t)bitmap_len;
	return true;
}

static bool
index_pointers(struct postings *p)
{
	size_t cap = 16;

	while (cap < p->ndocs * 2)
		cap *= 2;
	if ((p->by_ptr = calloc(cap, sizeof(*p->by_ptr))) == NULL)
		return false;
	p->by_ptr_cap = cap;
	for (uint32_t d = 0; d < p->ndocs; d++) {
		size_t i = mix_ptr(p->docs[d]) & (cap - 1);

		while (p->by_ptr[i] != 0)
			i = (i + 1) & (cap - 1);
		p->by_ptr[i] = d + 1;
	}
	return true;
}

struct postings *
postings_build(struct article *const *docs, size_t n, const atomic_bool *stop)
{
	return postings_build_in(docs, n, stop, NULL);
}

struct postings *
postings_build_in(struct article *const *docs, size_t n,
    const atomic_bool *stop, const char *dir)
{
	struct postings *p;

	if (n >= UINT32_MAX || (p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->all.fd = -1;
	atomic_init(&p->refs, 1);
	if ((p->docs = calloc(n + 1, sizeof(*p->docs))) == NULL) {
		free(p);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		p->docs[p->ndocs++] = article_ref(docs[i]);
	if (!index_pointers(p) ||
	    (p->body_words = calloc(n + 1, sizeof(*p->body_words))) == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++)
		p->body_words[i] = (uint16_t)(docs[i]->word_count > UINT16_MAX ?
		    UINT16_MAX : docs[i]->word_count);
	if (!count_terms(p, stop) || !fill_terms(p, stop, dir))
		goto fail;
	return p;
fail:
	postings_unref(p);
	return NULL;
}

struct postings *
postings_ref(struct postings *p)
{
	if (p != NULL)
		atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
	return p;
}

void
postings_unref(struct postings *p)
{
	if (p == NULL ||
	    atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < p->ndocs; i++)
		article_unref(p->docs[i]);
	free(p->docs);
	free(p->all.terms);
	region_free(&p->all);
	free(p->body_words);
	free(p->by_ptr);
	positions_free(atomic_load(&p->positions));
	free(p);
}

size_t
postings_count(const struct postings *p)
{
	return p->ndocs;
}

struct article *
postings_doc(const struct postings *p, uint32_t doc)
{
	return doc < p->ndocs ? p->docs[doc] : NULL;
}

int64_t
postings_find(const struct postings *p, const struct article *a)
{
	size_t i = mix_ptr(a) & (p->by_ptr_cap - 1);

	for (; p->by_ptr[i] != 0; i = (i + 1) & (p->by_ptr_cap - 1))
		if (p->docs[p->by_ptr[i] - 1] == a)
			return p->by_ptr[i] - 1;
	return -1;
}

static int
compare_df(const void *x, const void *y)
{
	const struct term *a = *(const struct term *const *)x;
	const struct term *b = *(const struct term *const *)y;

	return a->df < b->df ? -1 : a->df > b->df;
}

/* Writes T's documents, ascending, to OUT (room for t->df). */
static size_t
term_decode(const struct field *f, const struct term *t, uint32_t *out)
{
	uint8_t *owned;
	const uint8_t *at = region_bytes(f, t->off, t->len, &owned), *end;
	size_t n = 0;
	uint32_t doc = 0;

	if (at == NULL)
		return 0;
	end = at + t->len;
	if (t->bitmap) {
		for (size_t byte = 0; byte < t->len; byte++)
			for (uint8_t bits = at[byte]; bits != 0 && n < t->df;
			    bits &= bits - 1)
				out[n++] = (uint32_t)(byte * 8) +
				    (uint32_t)__builtin_ctz(bits);
		free(owned);
		return n;
	}
	while (at < end && n < t->df) {
		doc = n == 0 ? varint_get(&at, end) : doc + varint_get(&at, end);
		out[n++] = doc;
	}
	free(owned);
	return n;
}

/* Keeps those of the N documents in DOCS (ascending) that T holds;
 * returns how many are left. */
static size_t
term_filter(const struct field *f, const struct term *t, uint32_t *docs,
    size_t n)
{
	uint8_t *owned;
	const uint8_t *at = region_bytes(f, t->off, t->len, &owned), *end;
	size_t kept = 0;
	uint32_t doc = 0;
	bool started = false;

	if (at == NULL)
		return 0;
	end = at + t->len;
	for (size_t i = 0; i < n; i++) {
		uint32_t want = docs[i];

		if (t->bitmap) {
			if (at[want / 8] & (1u << (want % 8)))
				docs[kept++] = want;
			continue;
		}
		while ((!started || doc < want) && at < end) {
			doc = started ? doc + varint_get(&at, end) :
			    varint_get(&at, end);
			started = true;
		}
		if (started && doc == want)
			docs[kept++] = want;
		else if (doc < want)
			break;           /* the list ran out */
	}
	free(owned);
	return kept;
}

int64_t
postings_term(const struct postings *p, uint32_t hash, uint32_t **docs,
    uint8_t **bits)
{
	const struct term *t = term_find(&p->all, hash);

	*docs = NULL;
	*bits = NULL;
	if (t == NULL)
		return 0;
	if ((*docs = malloc(t->df * sizeof(**docs))) == NULL ||
	    (*bits = malloc(t->df)) == NULL) {
		free(*docs);
		*docs = NULL;
		return -1;
	}
	{
		uint8_t *owned;
		const uint8_t *b = region_bytes(&p->all, p->all.data_len +
		    t->bits_off, t->df, &owned);

		if (term_decode(&p->all, t, *docs) != t->df || b == NULL) {
			free(owned);
			free(*docs);
			free(*bits);
			*docs = NULL;
			*bits = NULL;
			return -1;
		}
		memcpy(*bits, b, t->df);
		free(owned);
	}
	return t->df;
}

unsigned
postings_body_words(const struct postings *p, uint32_t doc)
{
	return doc < p->ndocs ? p->body_words[doc] : 0;
}

int64_t
postings_match(const struct postings *p, const struct query *q,
    uint32_t **out)
{
	const struct term *terms[SEARCH_TERMS_MAX];
	size_t nreq = 0;
	uint32_t *docs;
	size_t n;

	*out = NULL;
	if (q->nrequired == 0)
		return 0;
	for (size_t i = 0; i < q->nterms; i++) {
		if (q->terms[i].exclude)
			continue;
		if ((terms[nreq++] = term_find(&p->all, q->terms[i].hash)) == NULL)
			return 0;
	}
	/* The rarest word first: every later one only narrows its list. */
	qsort(terms, nreq, sizeof(terms[0]), compare_df);
	if ((docs = malloc(terms[0]->df * sizeof(*docs))) == NULL)
		return -1;
	n = term_decode(&p->all, terms[0], docs);
	for (size_t i = 1; i < nreq && n > 0; i++)
		n = term_filter(&p->all, terms[i], docs, n);
	for (size_t i = 0; i < q->nterms && n > 0; i++) {
		const struct term *t;
		uint32_t *gone;
		size_t kept = 0, j = 0, ngone;

		if (!q->terms[i].exclude ||
		    (t = term_find(&p->all, q->terms[i].hash)) == NULL)
			continue;
		if ((gone = malloc(t->df * sizeof(*gone))) == NULL) {
			free(docs);
			return -1;
		}
		/* Keep those the excluded word's list lacks: both ascend. */
		ngone = term_decode(&p->all, t, gone);
		for (size_t k = 0; k < n; k++) {
			while (j < ngone && gone[j] < docs[k])
				j++;
			if (j >= ngone || gone[j] != docs[k])
				docs[kept++] = docs[k];
		}
		free(gone);
		n = kept;
	}
	if (n == 0) {
		free(docs);
		return 0;
	}
	*out = docs;
	return (int64_t)n;
}

const struct positions *
postings_positions(const struct postings *p)
{
	return atomic_load(&((struct postings *)p)->positions);
}

void
postings_set_positions(struct postings *p, struct positions *pos)
{
	struct positions *none = NULL;

	if (pos != NULL &&
	    !atomic_compare_exchange_strong(&p->positions, &none, pos))
		positions_free(pos);
}

size_t
postings_file_bytes(const struct postings *p)
{
	return p->all.fd >= 0 ? p->all.data_len + p->all.bits_len : 0;
}

size_t
postings_terms(const struct postings *p)
{
	return p->all.nterms;
}

size_t
postings_bytes(const struct postings *p)
{
	size_t n = sizeof(*p) + p->ndocs * sizeof(*p->docs) +
	    p->by_ptr_cap * sizeof(*p->by_ptr);

	n += p->all.terms_cap * sizeof(struct term) +
	    p->ndocs * sizeof(*p->body_words);
	if (p->all.fd < 0)
		n += p->all.data_len + p->all.bits_len;
	return n;
}
