/* search.c - words to hashes, and queries against them. */
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "search.h"

static bool
is_word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80;
}

static uint32_t
word_hash(const char *w, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)w[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h = (h ^ c) * 16777619u;
	}
	return h;
}

void
search_collect(struct buf *out, const char *text, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t start;
		uint32_t h;

		while (i < len && !is_word_byte((unsigned char)text[i]))
			i++;
		start = i;
		while (i < len && is_word_byte((unsigned char)text[i]))
			i++;
		if (i > start) {
			h = word_hash(text + start, i - start);
			buf_append(out, &h, sizeof(h));
		}
	}
}

static int
compare_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

bool
search_finish(struct buf *raw, struct term_set *set)
{
	size_t n = raw->len / sizeof(uint32_t), kept = 0;
	uint32_t *h, *shrunk;

	set->hashes = NULL;
	set->count = 0;
	set->mapped = false;
	if (raw->failed)
		return false;
	if (n == 0)
		return true;
	if ((h = malloc(n * sizeof(*h))) == NULL)
		return false;
	memcpy(h, raw->data, n * sizeof(*h));
	qsort(h, n, sizeof(*h), compare_u32);
	for (size_t i = 0; i < n; i++)
		if (kept == 0 || h[kept - 1] != h[i])
			h[kept++] = h[i];
	shrunk = realloc(h, kept * sizeof(*h));
	set->hashes = shrunk ? shrunk : h;
	set->count = kept;
	return true;
}

bool
search_has(const struct term_set *set, uint32_t hash)
{
	size_t lo = 0, hi = set->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (set->hashes[mid] == hash)
			return true;
		if (set->hashes[mid] < hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool
search_matches(const struct term_set *set, const struct query *q)
{
	if (q->nterms == 0)
		return false;
	for (size_t i = 0; i < q->nterms; i++)
		if (!search_has(set, q->terms[i]))
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

/* Length of the valid UTF-8 sequence at S, or 0 when it is not one. */
static size_t
utf8_length(const unsigned char *s)
{
	size_t n;
	unsigned min;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xE0) == 0xC0)
		n = 2, min = 0x80, cp = s[0] & 0x1F;
	else if ((s[0] & 0xF0) == 0xE0)
		n = 3, min = 0x800, cp = s[0] & 0x0F;
	else if ((s[0] & 0xF8) == 0xF0)
		n = 4, min = 0x10000, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

/* Copies SRC into DST (SIZE bytes) as text safe to show and to put in
 * XML: valid UTF-8 only (a bad byte becomes '?'), control bytes become
 * spaces, runs of spaces fold, no cut inside a character. */
static void
clean_text(char *dst, size_t size, const char *src)
{
	const unsigned char *r = (const unsigned char *)src;
	size_t w = 0;

	while (*r) {
		size_t n = utf8_length(r);
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
			continue;
		}
		if (w + n >= size)
			break;
		memcpy(dst + w, r, n);
		w += n;
		r += n;
	}
	while (w > 0 && dst[w - 1] == ' ')
		w--;
	dst[w] = '\0';
}

bool
search_parse_query(const char *raw, size_t len, struct query *q)
{
	char plus[REQUEST_QUERY_MAX + 1], *decoded;
	size_t n = len < REQUEST_QUERY_MAX ? len : REQUEST_QUERY_MAX, i = 0;

	memset(q, 0, sizeof(*q));
	for (size_t j = 0; j < n; j++)
		plus[j] = raw[j] == '+' ? ' ' : raw[j];
	if ((decoded = request_percent_decode(plus, n)) == NULL)
		return false;
	clean_text(q->text, sizeof(q->text), decoded);
	free(decoded);
	while (q->text[i] && q->nterms < SEARCH_TERMS_MAX) {
		size_t start;

		while (q->text[i] && !is_word_byte((unsigned char)q->text[i]))
			i++;
		start = i;
		while (q->text[i] && is_word_byte((unsigned char)q->text[i]))
			i++;
		if (i > start)
			q->terms[q->nterms++] = word_hash(q->text + start, i - start);
	}
	return true;
}
