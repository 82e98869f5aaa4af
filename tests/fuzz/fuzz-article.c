/* fuzz-article.c - libFuzzer harness for article_parse (cgi-src/article.c).
 *
 * The input is the whole article file.  On success the article's
 * invariants from include/article.h are checked, then it is released. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "article.h"
#include "log.h"

#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser();
	log_set_level(LOG_ERROR);
	log_capture_xml_errors();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct article *a = NULL;
	struct xp_error err;

	xp_error_clear(&err);
	if (article_parse("fuzz.xml", "fuzz", (const char *)data, size, &a,
	    &err) != XP_OK) {
		/* A failure must say why, and never hand out an article. */
		if (a != NULL || err.status == XP_OK || err.reason[0] == '\0')
			abort();
		return 0;
	}
	if (a == NULL || a->title == NULL || a->title[0] == '\0' ||
	    a->summary == NULL || a->summary[0] == '\0' ||
	    strcmp(a->slug, "fuzz") != 0 || a->source_len != size ||
	    memcmp(a->source, data, size) != 0 || a->source[size] != '\0' ||
	    a->reading_minutes < 1 || a->published.month < 1 ||
	    a->published.month > 12)
		abort();
	for (size_t i = 0; i < a->ntags; i++) {
		const char *t = a->tags[i];

		if (t[0] == '\0' || strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789-")
		    != strlen(t))
			abort();
		for (size_t j = 0; j < i; j++)
			if (strcmp(a->tags[j], t) == 0)
				abort();   /* duplicates are dropped */
	}
	/* The page is rendered from the kept bytes: they must parse again. */
	{
		xmlDocPtr doc = article_document(a, &err);

		if (doc == NULL)
			abort();
		xmlFreeDoc(doc);
	}
	article_ref(a);
	article_unref(a);
	article_unref(a);
	return 0;
}
