/* fuzz-positions.c - libFuzzer harness for the search file
 * (cgi-src/positions.c), which anyone who may write the cache folder can
 * write: it is read as untrusted input.
 *
 * The input is one flags byte, then the whole file.  With flag bit 0 set
 * its streams and table get fresh checksums first (positions_reseal), so
 * that the fuzzer reaches what lies behind them.  The file is opened as
 * the server and a CGI do, then every phrase of a few queries is checked
 * for three fixed articles: looked up (positions_check), after the whole
 * file is verified and numbered as postings number them
 * (positions_verify, positions_bind, positions_check_doc), and, with bit
 * 1, the file is written again from its own streams and reopened.  The
 * answers must stay in {-1, 0, 1}, and the numbered check must agree with
 * the lookup; with the filter of each query's pairs of common words
 * (positions_pairs_new, the pair section), it must agree or say 0: the
 * pairs only ever leave articles out.
 *
 * Seeds: XP_FUZZ_POSITIONS_SEED=FILE build/fuzz/fuzz-positions writes a
 * file for the three articles (flags byte 0) to FILE and exits. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "log.h"
#include "positions.h"
#include "search.h"

#include "fuzz.h"

static const char *const queries[] = {
	"%22field+guide%22", "%22quorum+lease%22+%22field+guide%22",
	"%22lease+quorum%22", "%22w3+w4+w5%22", "kube*+%22guide+to%22",
	"%22quorum+lease+w1%22+%22end+field%22",
};

#define NDOCS 3
#define NQUERIES (sizeof(queries) / sizeof(queries[0]))

static char dir[512], path[600], again_dir[512];
static struct article *docs[NDOCS];
static struct query parsed[NQUERIES];

/* The article SLUG with TITLE and a body of N filler words, then TAIL. */
static struct article *
make(const char *slug, const char *title, int n, const char *tail)
{
	char xml[8192], body[6144];
	size_t at = 0;
	struct article *a = NULL;
	struct xp_error err;

	body[0] = '\0';
	for (int i = 0; i < n && at < sizeof(body) - 16; i++)
		at += (size_t)snprintf(body + at, sizeof(body) - at, "w%d ", i);
	snprintf(xml, sizeof(xml), "<article><title>%s</title><summary>S"
	    "</summary><published>2026-03-01</published><tags><tag>t</tag>"
	    "</tags><body><p>%s%s</p></body></article>", title, body, tail);
	if (article_parse(slug, slug, xml, strlen(xml), &a, &err) != XP_OK)
		abort();
	return a;
}

/* Writes the seed file for the three articles to OUT: flags byte 0,
 * then the file. */
static void
write_seed(const char *out)
{
	struct xp_error err;
	FILE *in, *f;
	int c;

	if (positions_write(dir, "en", docs, NDOCS, NULL, NULL, &err) != XP_OK ||
	    (in = fopen(path, "rb")) == NULL || (f = fopen(out, "wb")) == NULL)
		abort();
	fputc(0, f);
	while ((c = fgetc(in)) != EOF)
		fputc(c, f);
	fclose(in);
	if (fclose(f) != 0)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char root[64];
	struct search_words *w;
	const char *seed = getenv("XP_FUZZ_POSITIONS_SEED");

	(void)argc;
	(void)argv;
	xmlInitParser();
	log_set_level(LOG_ERROR);
	fuzz_scratch_dir("positions", root, sizeof(root));
	snprintf(dir, sizeof(dir), "%s/cache", root);
	snprintf(again_dir, sizeof(again_dir), "%s/again", root);
	snprintf(path, sizeof(path), "%s/search", dir);
	if (mkdir(dir, 0700) != 0 || mkdir(again_dir, 0700) != 0)
		abort();
	docs[0] = make("p0", "A Field Guide to Raft", 80, "end");
	docs[1] = make("p1", "Raft", 40, "a quorum lease");
	docs[2] = make("p2", "Notes", 3, "field guide");
	if ((w = search_words_new("en")) == NULL)
		abort();
	for (size_t i = 0; i < NQUERIES; i++)
		if (!search_parse_query(w, queries[i], strlen(queries[i]),
		    &parsed[i]))
			abort();
	search_words_free(w);
	if (seed != NULL) {
		write_seed(seed);
		exit(0);
	}
	return 0;
}

/* Checks every query against every article in P, looked up and, when
 * BOUND, by number too; aborts on an answer out of range or a numbered
 * answer that differs. */
static void
check_all(const struct positions *p, bool bound)
{
	for (size_t i = 0; i < NQUERIES; i++) {
		struct positions_pairs *f = positions_pairs_new(p, &parsed[i]);

		for (uint32_t d = 0; d < NDOCS; d++) {
			int by_lookup = positions_check(p, docs[d], &parsed[i]);
			int paired;

			if (by_lookup < -1 || by_lookup > 1)
				abort();
			if (bound && positions_check_doc(p, NULL, d, docs[d],
			    &parsed[i]) != by_lookup)
				abort();
			paired = positions_check_doc(p, f, bound ? d : UINT32_MAX,
			    docs[d], &parsed[i]);
			if (paired != by_lookup && paired != 0)
				abort();
		}
		positions_pairs_free(f);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct positions *p, *again;
	struct xp_error err;
	unsigned char *file;
	unsigned flags;
	FILE *f;

	if (size < 1)
		return 0;
	flags = data[0];
	if ((file = malloc(size)) == NULL)
		return 0;
	memcpy(file, data + 1, size - 1);
	if (flags & 1)
		positions_reseal(file, size - 1);
	if ((f = fopen(path, "wb")) == NULL)
		abort();
	if (size > 1 && fwrite(file, 1, size - 1, f) != size - 1)
		abort();
	if (fclose(f) != 0)
		abort();
	free(file);
	if ((p = positions_open(dir, "en")) == NULL)
		return 0;
	if (positions_count(p) > size ||
	    positions_missing(p, docs, NDOCS) > NDOCS)
		abort();
	check_all(p, false);
	(void)positions_verify(p, NULL);
	if (positions_bind(p, docs, NDOCS))
		check_all(p, true);
	if (flags & 2) {
		if (positions_write(again_dir, "en", docs, NDOCS, p, NULL,
		    &err) == XP_OK && (again = positions_open(again_dir, "en")) != NULL) {
			check_all(again, false);
			positions_free(again);
		}
	}
	positions_free(p);
	return 0;
}
