/* fuzz-query.c - libFuzzer harness for the search query language
 * (search_parse_query in cgi-src/search.c) and what reads a parsed query:
 * the phrase and prefix check over text and the excerpt's word matcher.
 *
 * Input: the raw (percent-encoded) value of q=.  The query is parsed with
 * the English stemmer; its promises are checked (at most
 * SEARCH_TERMS_MAX terms, each word NUL-terminated and valid, phrase
 * numbers in range, the display text free of control bytes), then it is
 * matched against its own display text and against the input bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "search.h"

#include "fuzz.h"

static struct search_words *english;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	english = search_words_new("en");
	return english == NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *raw = malloc(size + 1), folded[SEARCH_WORD_MAX + 1];
	struct search_verify v = { 0, 0 };
	struct query q, again;
	size_t pos = 0, start, end;

	if (raw == NULL)
		return 0;
	memcpy(raw, data, size);
	raw[size] = '\0';
	if (!search_parse_query(english, raw, size, &q)) {
		free(raw);
		return 0;
	}
	if (q.nterms > SEARCH_TERMS_MAX || q.nrequired > q.nterms ||
	    strlen(q.text) > SEARCH_QUERY_MAX)
		abort();
	for (const unsigned char *c = (const unsigned char *)q.text; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			abort();
	for (size_t i = 0; i < q.nterms; i++) {
		const struct query_term *t = &q.terms[i];

		if (memchr(t->word, '\0', sizeof(t->word)) == NULL ||
		    t->hash > 0xFFFFFFu || t->phrase > SEARCH_TERMS_MAX ||
		    (t->phrase && (t->prefix || t->exclude)))
			abort();
	}
	/* Parsing is a function of the input. */
	if (!search_parse_query(english, raw, size, &again) ||
	    again.nterms != q.nterms || strcmp(again.text, q.text) != 0)
		abort();
	search_verify_text(english, &q, q.text, strlen(q.text), &v);
	search_verify_text(english, &q, raw, size, &v);
	(void)search_verified(&q, &v);
	while (search_next_word(raw, size, &pos, &start, &end, folded)) {
		if (start >= end || end > size || strlen(folded) > SEARCH_WORD_MAX)
			abort();
		(void)search_word_matches(english, &q, folded);
	}
	free(raw);
	return 0;
}
