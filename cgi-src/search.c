/* search.c - words: folded, stemmed and hashed; the query language; the
 * BM25F score.
 *
 * Folding is a table, not ICU: Latin-1 and Latin Extended-A letters lose
 * their accents (and ß, æ, œ, þ become ss, ae, oe, th), Greek and
 * Cyrillic capitals are lowered, combining accents are dropped.  That
 * covers the languages Snowball stems, keeps the binary free of ICU (the
 * static build has none) and costs a few comparisons a character. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>

#include "request.h"
#include "search.h"

/* Stems already computed, by folded word: a text repeats its words, and
 * stemming costs more than the rest of a word's handling.  Allocated on
 * first use (224 KB): a query that stems a handful of words needs none.
 * A folder's loader keeps one search_words for all the articles it
 * reads, so the memo holds the site's vocabulary: at 1,024 entries for
 * one article at a time, stemming was 42% of a cold start's instructions
 * (callgrind, 300 synthetic articles). */
#define STEM_CACHE 8192
#define STEM_CACHE_WORD 24

struct stem_memo {
	char word[STEM_CACHE_WORD];   /* "" when empty */
	uint32_t hash;                /* search_hash of its stem */
};

struct search_words {
	struct sb_stemmer *stemmer;   /* NULL: no stemming */
	struct stem_memo *memo;       /* STEM_CACHE of them, or NULL */
};

struct search_words *
search_words_new(const char *lang)
{
	struct search_words *w = calloc(1, sizeof(*w));
	char name[32];
	size_t n = 0;

	if (w == NULL || lang == NULL || strcmp(lang, "none") == 0)
		return w;
	/* "en-GB" and "pt_BR" stem as "en" and "pt". */
	while (lang[n] && lang[n] != '-' && lang[n] != '_' &&
	    n + 1 < sizeof(name)) {
		name[n] = (char)(lang[n] >= 'A' && lang[n] <= 'Z' ?
		    lang[n] - 'A' + 'a' : lang[n]);
		n++;
	}
	name[n] = '\0';
	if (n > 0)
		w->stemmer = sb_stemmer_new(name, "UTF_8");
	return w;
}

void
search_words_free(struct search_words *w)
{
	if (w == NULL)
		return;
	if (w->stemmer != NULL)
		sb_stemmer_delete(w->stemmer);
	free(w->memo);
	free(w);
}

/* Decodes the UTF-8 character at S (N bytes left) into *CP; returns its
 * length, or 0 when it is not valid UTF-8. */
static size_t
utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
	size_t len;
	unsigned min, c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0)
		len = 2, min = 0x80, c = s[0] & 0x1F;
	else if ((s[0] & 0xF0) == 0xE0)
		len = 3, min = 0x800, c = s[0] & 0x0F;
	else if ((s[0] & 0xF8) == 0xF0)
		len = 4, min = 0x10000, c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

/* Writes CP as UTF-8 into OUT (room for 4); returns its length. */
static size_t
utf8_encode(unsigned cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Latin-1 letters U+00C0..U+00FF without their accents ("" separates). */
static const char *const latin1[64] = {
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e",
	"i", "i", "i", "i", "d", "n", "o", "o", "o", "o", "o", "",
	"o", "u", "u", "u", "u", "y", "th", "ss",
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e",
	"i", "i", "i", "i", "d", "n", "o", "o", "o", "o", "o", "",
	"o", "u", "u", "u", "u", "y", "th", "y",
};

/* Latin Extended-A, U+0100..U+017F, by ranges of one base letter. */
static const struct {
	unsigned from, to;
	const char *base;
} latin_ext[] = {
	{ 0x100, 0x105, "a" }, { 0x106, 0x10D, "c" }, { 0x10E, 0x111, "d" },
	{ 0x112, 0x11B, "e" }, { 0x11C, 0x123, "g" }, { 0x124, 0x127, "h" },
	{ 0x128, 0x131, "i" }, { 0x132, 0x133, "ij" }, { 0x134, 0x135, "j" },
	{ 0x136, 0x138, "k" }, { 0x139, 0x142, "l" }, { 0x143, 0x14B, "n" },
	{ 0x14C, 0x151, "o" }, { 0x152, 0x153, "oe" }, { 0x154, 0x159, "r" },
	{ 0x15A, 0x161, "s" }, { 0x162, 0x167, "t" }, { 0x168, 0x173, "u" },
	{ 0x174, 0x175, "w" }, { 0x176, 0x178, "y" }, { 0x179, 0x17E, "z" },
	{ 0x17F, 0x17F, "s" },
};

/* Code points that separate words although not ASCII: Latin-1
 * punctuation and symbols, general punctuation, arrows and symbols, CJK
 * punctuation, the byte-order mark. */
static bool
is_separator(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 ||
	    (cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F) ||
	    cp == 0xFEFF || (cp >= 0xFF00 && cp <= 0xFF0F);
}

/* Appends the folded form of CP (a word character) to OUT at *N, keeping
 * within SEARCH_WORD_MAX bytes and never cutting a character. */
static void
fold_append(unsigned cp, char *out, size_t *n)
{
	char enc[4];
	const char *s = NULL;
	size_t len;

	if (cp >= 'A' && cp <= 'Z')
		cp += 'a' - 'A';
	else if (cp >= 0xC0 && cp <= 0xFF)
		s = latin1[cp - 0xC0];
	else if (cp >= 0x100 && cp <= 0x17F) {
		for (size_t i = 0; i < sizeof(latin_ext) / sizeof(latin_ext[0]); i++)
			if (cp >= latin_ext[i].from && cp <= latin_ext[i].to)
				s = latin_ext[i].base;
	} else if ((cp >= 0x391 && cp <= 0x3A9) || (cp >= 0x410 && cp <= 0x42F))
		cp += 0x20;
	else if (cp >= 0x400 && cp <= 0x40F)
		cp += 0x50;
	if (s == NULL) {
		len = utf8_encode(cp, enc);
		s = enc;
	} else {
		len = strlen(s);
	}
	if (*n + len > SEARCH_WORD_MAX)
		return;
	memcpy(out + *n, s, len);
	*n += len;
	out[*n] = '\0';
}

/* Letters and digits of any script make words; the rest separates. */
static bool
is_word_char(unsigned cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		    (cp >= '0' && cp <= '9');
	return !is_separator(cp);
}

/* The folded form of the ASCII byte C when it is a word character (a
 * letter lowercased, a digit), else 0: is_word_char and fold_append for
 * ASCII, in a few instructions. */
static unsigned char
ascii_fold(unsigned char c)
{
	unsigned char lower = (unsigned char)(c | 0x20);

	if ((unsigned)(lower - 'a') < 26)
		return lower;
	return (unsigned)(c - '0') < 10 ? c : 0;
}

bool
search_next_word(const char *text, size_t len, size_t *pos, size_t *start,
    size_t *end, char *folded)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = *pos, n = 0;
	unsigned cp = 0;

	folded[0] = '\0';
	for (;;) {
		size_t k;

		if (i >= len) {
			*pos = i;
			return false;
		}
		/* ASCII, most of any text, without decoding: the same
		 * answer as is_word_char, at a fraction of a cold start's
		 * cost (this loop was a fifth of its instructions). */
		if (s[i] < 0x80) {
			if (ascii_fold(s[i]) != 0)
				break;
			i++;
			continue;
		}
		k = utf8_decode(s + i, len - i, &cp);
		if (k != 0 && is_word_char(cp) && !(cp >= 0x300 && cp <= 0x36F))
			break;
		i += k ? k : 1;
	}
	*start = i;
	while (i < len) {
		size_t k;

		if (s[i] < 0x80) {
			unsigned char f = ascii_fold(s[i]);

			if (f == 0)
				break;
			/* fold_append's answer for ASCII: one byte, kept
			 * while it fits. */
			if (n < SEARCH_WORD_MAX)
				folded[n++] = (char)f;
			i++;
			continue;
		}
		folded[n] = '\0';
		if ((k = utf8_decode(s + i, len - i, &cp)) == 0 ||
		    !is_word_char(cp))
			break;
		/* A combining accent (decomposed text) is dropped. */
		if (!(cp >= 0x300 && cp <= 0x36F))
			fold_append(cp, folded, &n);
		i += k;
	}
	folded[n] = '\0';
	*end = i;
	*pos = i;
	return true;
}

void
search_stem(struct search_words *w, const char *word, char *out)
{
	size_t n = strlen(word);

	if (w != NULL && w->stemmer != NULL) {
		const sb_symbol *st = sb_stemmer_stem(w->stemmer,
		    (const sb_symbol *)word, (int)n);
		int sn = st ? sb_stemmer_length(w->stemmer) : -1;

		if (st != NULL && sn >= 0 && (size_t)sn <= SEARCH_WORD_MAX) {
			memcpy(out, st, (size_t)sn);
			out[sn] = '\0';
			return;
		}
	}
	memcpy(out, word, n + 1);
}

uint32_t
search_hash(const char *word, bool prefix)
{
	uint32_t h = 2166136261u;

	if (prefix)
		h = (h ^ 0x01u) * 16777619u;
	for (const unsigned char *c = (const unsigned char *)word; *c; c++)
		h = (h ^ *c) * 16777619u;
	return (h ^ (h >> 24)) & 0xFFFFFFu;
}

/* The bytes of the first SEARCH_PREFIX_CHARS characters of WORD, or 0
 * when it is shorter. */
static size_t
prefix_bytes(const char *word)
{
	size_t i = 0, chars = 0;

	while (word[i] && chars < SEARCH_PREFIX_CHARS) {
		i++;
		while ((word[i] & 0xC0) == 0x80)
			i++;
		chars++;
	}
	return chars == SEARCH_PREFIX_CHARS ? i : 0;
}

static const uint32_t field_bits[] = {
	[FIELD_TITLE] = SEARCH_IN_TITLE, [FIELD_TAGS] = SEARCH_IN_TAGS,
	[FIELD_SUMMARY] = SEARCH_IN_SUMMARY, [FIELD_BODY] = 1,
};

uint32_t
search_stem_hash(struct search_words *w, const char *folded)
{
	char stem[SEARCH_WORD_MAX + 1];
	size_t n = strlen(folded);
	struct stem_memo *m = NULL;

	if (w->memo == NULL)
		w->memo = calloc(STEM_CACHE, sizeof(*w->memo));
	if (n < STEM_CACHE_WORD && w->memo != NULL) {
		uint32_t h = 2166136261u;

		for (size_t i = 0; i < n; i++)
			h = (h ^ (unsigned char)folded[i]) * 16777619u;
		/* Two ways a set, the last used first: direct-mapped, words
		 * that collide evicted each other all through a folder. */
		m = &w->memo[h % (STEM_CACHE / 2) * 2];
		if (n > 0 && strcmp(m[0].word, folded) == 0)
			return m[0].hash;
		if (n > 0 && strcmp(m[1].word, folded) == 0) {
			struct stem_memo hit = m[1];

			m[1] = m[0];
			m[0] = hit;
			return m[0].hash;
		}
	}
	search_stem(w, folded, stem);
	if (m != NULL) {
		m[1] = m[0];
		memcpy(m[0].word, folded, n + 1);
		m[0].hash = search_hash(stem, false);
		return m[0].hash;
	}
	return search_hash(stem, false);
}

void
search_collect(struct search_words *w, struct buf *out,
    enum search_field field, const char *text, size_t len)
{
	char folded[SEARCH_WORD_MAX + 1];
	size_t pos = 0, start, end, pb, n = 0;
	/* Entries go to OUT a batch at a time: one append of 4 bytes a
	 * word cost more than finding the word. */
	uint32_t batch[256];

	while (search_next_word(text, len, &pos, &start, &end, folded)) {
		if (n + 2 > sizeof(batch) / sizeof(batch[0])) {
			buf_append(out, batch, n * sizeof(batch[0]));
			n = 0;
		}
		batch[n++] = search_stem_hash(w, folded) << 8 | field_bits[field];
		if ((pb = prefix_bytes(folded)) > 0) {
			folded[pb] = '\0';
			batch[n++] = search_hash(folded, true) << 8 |
			    field_bits[field];
		}
	}
	if (n > 0)
		buf_append(out, batch, n * sizeof(batch[0]));
}

/* Sorts the N entries of H by their hash (the upper 24 bits), using TMP
 * (N entries, owned by the caller) as scratch; the result is in H.  An LSD
 * radix sort, not qsort: musl's qsort (smoothsort, a call through a
 * pointer per comparison) made the static build's first parse of 2,000
 * articles about 5x slower (measured with `check`, see the README).  The
 * low byte (the field bits) is not sorted: search_finish merges the
 * entries of one hash in any order. */
static void
sort_by_hash(uint32_t *h, uint32_t *tmp, size_t n)
{
	uint32_t *src = h, *dst = tmp, *t;

	for (unsigned shift = 8; shift < 32; shift += 8) {
		size_t count[256] = { 0 }, sum = 0;

		for (size_t i = 0; i < n; i++)
			count[src[i] >> shift & 0xFFu]++;
		for (size_t b = 0; b < 256; b++) {
			size_t c = count[b];

			count[b] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[src[i] >> shift & 0xFFu]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != h)
		memcpy(h, src, n * sizeof(*h));
}

bool
search_finish(struct buf *raw, struct term_set *set)
{
	size_t n = raw->len / sizeof(uint32_t), kept = 0;
	uint32_t *h, *tmp, *shrunk;

	set->hashes = NULL;
	set->count = 0;
	set->mapped = false;
	if (raw->failed)
		return false;
	if (n == 0)
		return true;
	if ((h = malloc(n * sizeof(*h))) == NULL)
		return false;
	if ((tmp = malloc(n * sizeof(*tmp))) == NULL) {
		free(h);
		return false;
	}
	memcpy(h, raw->data, n * sizeof(*h));
	sort_by_hash(h, tmp, n);
	free(tmp);
	for (size_t i = 0; i < n; i++) {
		uint32_t bits = h[i] & 0xFFu;

		if (kept > 0 && (h[kept - 1] >> 8) == (h[i] >> 8)) {
			uint32_t prev = h[kept - 1] & 0xFFu;
			uint32_t tf = (prev & SEARCH_BODY_TF) +
			    (bits & SEARCH_BODY_TF);

			if (tf > SEARCH_BODY_TF)
				tf = SEARCH_BODY_TF;
			h[kept - 1] = (h[i] & ~0xFFu) |
			    ((prev | bits) & ~SEARCH_BODY_TF) | tf;
		} else {
			h[kept++] = h[i];
		}
	}
	shrunk = realloc(h, kept * sizeof(*h));
	set->hashes = shrunk ? shrunk : h;
	set->count = kept;
	return true;
}

int
search_bits(const struct term_set *set, uint32_t hash)
{
	size_t lo = 0, hi = set->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t h = set->hashes[mid] >> 8;

		if (h == hash)
			return (int)(set->hashes[mid] & 0xFFu);
		if (h < hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

bool
search_has(const struct term_set *set, uint32_t hash)
{
	return search_bits(set, hash) >= 0;
}

bool
search_matches(const struct term_set *set, const struct query *q)
{
	if (q->nrequired == 0)
		return false;
	for (size_t i = 0; i < q->nterms; i++)
		if (search_has(set, q->terms[i].hash) == q->terms[i].exclude)
			return false;
	return true;
}

const char *
search_query_param(const char *query, const char *name, size_t *len)
{
	size_t nlen = strlen(name);

	for (const char *p = query; p != NULL && *p; ) {
		size_t field = strcspn(p, "&;");

		if (field > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			*len = field - nlen - 1;
			return p + nlen + 1;
		}
		p += field;
		if (*p)
			p++;
	}
	return NULL;
}

/* Copies SRC into DST (SIZE bytes) as text safe to show and to put in
 * XML: valid UTF-8 only (a bad byte becomes '?'), control bytes become
 * spaces, runs of spaces fold, no cut inside a character. */
static void
clean_text(char *dst, size_t size, const char *src)
{
	const unsigned char *r = (const unsigned char *)src;
	size_t w = 0, left = strlen(src);

	while (*r) {
		unsigned cp;
		size_t n = utf8_decode(r, left, &cp);
		unsigned char c = n == 0 ? '?' : *r;

		if (n <= 1) {
			if (c < 0x20 || c == 0x7f)
				c = ' ';
			if (!(c == ' ' && (w == 0 || dst[w - 1] == ' '))) {
				if (w + 1 >= size)
					break;
				dst[w++] = (char)c;
			}
			r++;
			left--;
			continue;
		}
		if (w + n >= size)
			break;
		memcpy(dst + w, r, n);
		w += n;
		r += n;
		left -= n;
	}
	while (w > 0 && dst[w - 1] == ' ')
		w--;
	dst[w] = '\0';
}

/* Adds the word FOLDED to Q as a term. */
static void
add_term(struct search_words *w, struct query *q, const char *folded,
    bool prefix, bool exclude, unsigned phrase)
{
	struct query_term *t = &q->terms[q->nterms];
	size_t pb = prefix ? prefix_bytes(folded) : 0, chars = 0;

	memset(t, 0, sizeof(*t));
	for (const char *c = folded; *c; c++)
		chars += (*c & 0xC0) != 0x80;
	/* A prefix shorter than the indexed one is taken as a word. */
	if (prefix && pb > 0) {
		char head[SEARCH_WORD_MAX + 1];

		memcpy(head, folded, pb);
		head[pb] = '\0';
		t->hash = search_hash(head, true);
		snprintf(t->word, sizeof(t->word), "%s", folded);
		t->prefix = true;
		t->len = (unsigned char)(chars > 255 ? 255 : chars);
		if (chars > SEARCH_PREFIX_CHARS && !exclude)
			q->verify = true;
	} else {
		search_stem(w, folded, t->word);
		t->hash = search_hash(t->word, false);
	}
	t->exclude = exclude;
	t->phrase = phrase;
	q->nterms++;
	if (!exclude)
		q->nrequired++;
}

/* Ends phrase number PHRASE at Q's last term: a phrase of one word is
 * just that word; a longer one must be checked in the text. */
static void
close_phrase(struct query *q, unsigned phrase)
{
	size_t words = 0;

	for (size_t i = 0; i < q->nterms; i++)
		words += q->terms[i].phrase == phrase;
	for (size_t i = 0; i < q->nterms && words == 1; i++)
		if (q->terms[i].phrase == phrase)
			q->terms[i].phrase = 0;
	if (words > 1)
		q->verify = true;
}

bool
search_parse_query(struct search_words *w, const char *raw, size_t len,
    struct query *q)
{
	char plus[REQUEST_QUERY_MAX + 1], *decoded, folded[SEARCH_WORD_MAX + 1];
	size_t n = len < REQUEST_QUERY_MAX ? len : REQUEST_QUERY_MAX;
	size_t quotes = 0, tlen, pos = 0, start, end, seen = 0, odd = 0;
	unsigned phrase = 0, nphrases = 0;
	bool in_phrase = false;

	memset(q, 0, sizeof(*q));
	for (size_t j = 0; j < n; j++)
		plus[j] = raw[j] == '+' ? ' ' : raw[j];
	if ((decoded = request_percent_decode(plus, n)) == NULL)
		return false;
	clean_text(q->text, sizeof(q->text), decoded);
	free(decoded);
	tlen = strlen(q->text);
	/* An unbalanced quote (the last one) is text, not a phrase. */
	for (size_t j = 0; j < tlen; j++)
		if (q->text[j] == '"') {
			quotes++;
			odd = j;
		}
	if (quotes % 2 == 0)
		odd = (size_t)-1;
	while (q->nterms < SEARCH_TERMS_MAX &&
	    search_next_word(q->text, tlen, &pos, &start, &end, folded)) {
		bool prefix = false, exclude = false;

		/* The quotes passed on the way to this word open or close;
		 * a phrase is numbered by its first word, so empty ones
		 * ("""") use no number. */
		for (; seen < start; seen++) {
			if (q->text[seen] != '"' || seen == odd)
				continue;
			if (in_phrase && phrase != 0)
				close_phrase(q, phrase);
			in_phrase = !in_phrase;
			phrase = 0;
		}
		seen = end;
		if (in_phrase && phrase == 0)
			phrase = ++nphrases;
		if (!in_phrase) {
			prefix = end < tlen && q->text[end] == '*';
			exclude = start > 0 && q->text[start - 1] == '-' &&
			    (start == 1 || q->text[start - 2] == ' ');
		}
		add_term(w, q, folded, prefix, exclude, phrase);
	}
	if (phrase != 0)
		close_phrase(q, phrase);
	return true;
}

double
search_score(const struct query *q, const uint8_t *bits, const uint32_t *df,
    unsigned body_words, const struct search_stats *st)
{
	const double k1 = 1.2, b = 0.75;
	double avg = st->avg_body > 0 ? st->avg_body : 1.0, score = 0;
	double norm = 1.0 - b + b * (double)body_words / avg;

	for (size_t i = 0; i < q->nterms; i++) {
		double tf, body, idf, d = df[i];

		if (q->terms[i].exclude)
			continue;
		/* The body's frequency, length-normalised, saturates on its
		 * own first (at most 2): a body that repeats a word never
		 * weighs more than a title, tags or summary that hold it. */
		body = (double)(bits[i] & SEARCH_BODY_TF) / norm;
		tf = (bits[i] & SEARCH_IN_TITLE ? 6.0 : 0) +
		    (bits[i] & SEARCH_IN_TAGS ? 3.0 : 0) +
		    (bits[i] & SEARCH_IN_SUMMARY ? 2.0 : 0) +
		    2.0 * body / (body + 1.0);
		idf = log(1.0 + (st->ndocs - d + 0.5) / (d + 0.5));
		score += idf * tf * (k1 + 1.0) / (k1 + tf);
	}
	return score;
}

void
search_verify_text(struct search_words *w, const struct query *q,
    const char *text, size_t len, struct search_verify *v)
{
	char folded[SEARCH_WORD_MAX + 1];
	char window[SEARCH_TERMS_MAX][SEARCH_WORD_MAX + 1];
	size_t pos = 0, start, end, seen = 0;

	while (search_next_word(text, len, &pos, &start, &end, folded)) {
		char *stem = window[seen % SEARCH_TERMS_MAX];

		search_stem(w, folded, stem);
		seen++;
		for (size_t i = 0; i < q->nterms; i++) {
			const struct query_term *t = &q->terms[i];
			size_t first = i, words = 0;

			if (t->prefix && !t->exclude &&
			    strncmp(folded, t->word, strlen(t->word)) == 0)
				v->prefixes_found |= 1u << i;
			if (t->phrase == 0 || (v->phrases_found & (1u << t->phrase)) ||
			    (i > 0 && q->terms[i - 1].phrase == t->phrase))
				continue;
			/* T starts a phrase: do its words end here? */
			while (first + words < q->nterms &&
			    q->terms[first + words].phrase == t->phrase)
				words++;
			if (words > seen)
				continue;
			for (size_t k = 0; k < words; k++) {
				const char *have = window[(seen - words + k) %
				    SEARCH_TERMS_MAX];

				if (strcmp(have, q->terms[first + k].word) != 0)
					goto next;
			}
			v->phrases_found |= 1u << t->phrase;
next:
			;
		}
	}
}

bool
search_verified(const struct query *q, const struct search_verify *v)
{
	for (size_t i = 0; i < q->nterms; i++) {
		const struct query_term *t = &q->terms[i];

		if (t->phrase != 0 && !(v->phrases_found & (1u << t->phrase)))
			return false;
		if (t->prefix && !t->exclude && t->len > SEARCH_PREFIX_CHARS &&
		    !(v->prefixes_found & (1u << i)))
			return false;
	}
	return true;
}

bool
search_word_matches(struct search_words *w, const struct query *q,
    const char *folded)
{
	uint32_t hash = 0;
	bool stemmed = false;

	for (size_t i = 0; i < q->nterms; i++) {
		const struct query_term *t = &q->terms[i];

		if (t->exclude)
			continue;
		if (t->prefix) {
			if (strncmp(folded, t->word, strlen(t->word)) == 0)
				return true;
			continue;
		}
		/* A stem keeps its word's first letters: most words of a
		 * text are told apart without stemming them. */
		if (folded[0] != t->word[0] ||
		    (t->word[0] != '\0' && folded[1] != t->word[1]))
			continue;
		/* By the stem's hash, as the index finds words; the stems of
		 * a text's words are remembered, so an excerpt of 2,000
		 * words stems each distinct one once. */
		if (!stemmed) {
			hash = search_stem_hash(w, folded);
			stemmed = true;
		}
		if (hash == t->hash)
			return true;
	}
	return false;
}
