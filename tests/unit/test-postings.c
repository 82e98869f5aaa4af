/* test-postings.c - the inverted index behind search (postings.c) and the
 * snapshots that search through it (index.c): postings_match and the
 * title bits of postings_term against tables and against a plain scan of
 * the articles' words, bitmap and varint lists alike; document numbers and
 * references; a stopped build; index_search after random changes, with
 * postings built from this or an older snapshot (articles gone since
 * marked dead, added since scanned, put back revived), against a scan
 * and in the same ranked order with and without postings; and when
 * index_postings_stale asks for a rebuild. */
#include "unit.h"

#include <libxml/parser.h>

#include "index.h"
#include "postings.h"
#include "search.h"

#define NOW 1773489600   /* 2026-03-14T12:00:00Z */
#define DAY 86400

/* The LCG of test-index.c: 15 bits a call. */
static unsigned
rnd(unsigned *seed)
{
	*seed = *seed * 1103515245 + 12345;
	return (*seed >> 16) & 0x7fff;
}

/* Parses an article SLUG published at PUBLISHED (either date form) with
 * TITLE, plain words BODY and tags TAGS ("a b", or ""). */
static struct article *
make(const char *slug, const char *published, const char *title,
    const char *body, const char *tags, bool draft)
{
	char xml[4096], tagxml[512] = "", copy[256], *t, *save;
	struct article *a = NULL;
	struct xp_error err;
	int n;

	snprintf(copy, sizeof(copy), "%s", tags);
	for (t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		strncat(tagxml, "<tag>", sizeof(tagxml) - strlen(tagxml) - 1);
		strncat(tagxml, t, sizeof(tagxml) - strlen(tagxml) - 1);
		strncat(tagxml, "</tag>", sizeof(tagxml) - strlen(tagxml) - 1);
	}
	n = snprintf(xml, sizeof(xml),
	    "<article><title>%s</title><summary>S</summary>"
	    "<published>%s</published>%s<tags>%s</tags>"
	    "<body><p>%s</p></body></article>", title, published,
	    draft ? "<draft/>" : "", tagxml, body);
	if (n < 0 || (size_t)n >= sizeof(xml))
		fail_msg("fixture %s: too long", slug);
	if (article_parse(slug, slug, xml, strlen(xml), &a, &err) != XP_OK)
		fail_msg("fixture %s: %s", slug, err.reason);
	return a;
}

/* Parses RAW, the raw value of q=, into Q. */
static void
query(struct query *q, const char *raw)
{
	struct search_words *w = search_words_new("en");
	bool ok;

	assert_non_null(w);
	ok = search_parse_query(w, raw, strlen(raw), q);
	search_words_free(w);
	if (!ok)
		fail_msg("query \"%s\" does not parse", raw);
}

/* "0,1,4" of N document numbers. */
static void
docs_text(const uint32_t *d, int64_t n, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (int64_t i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%u",
		    i > 0 ? "," : "", d[i]);
	if (n < 0)
		snprintf(out, size, "error %lld", (long long)n);
}

/* "slug,slug" of N articles. */
static void
slugs_text(struct article *const *a, int64_t n, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (int64_t i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%s",
		    i > 0 ? "," : "", a[i]->slug);
	if (n < 0)
		snprintf(out, size, "error %lld", (long long)n);
}

/* The documents of P whose title holds every required word of Q (the
 * title bit of postings_term), ascending, in OUT; returns how many. */
static int64_t
title_docs(const struct postings *p, const struct query *q, uint32_t *out)
{
	uint32_t *all = NULL;
	int64_t n = postings_match(p, q, &all), kept = 0;

	for (int64_t k = 0; k < n; k++) {
		bool every = true;

		for (size_t t = 0; t < q->nterms && every; t++) {
			uint32_t *docs;
			uint8_t *bits;
			int64_t m;
			bool in = false;

			if (q->terms[t].exclude)
				continue;
			m = postings_term(p, q->terms[t].hash, &docs, &bits);
			for (int64_t j = 0; j < m; j++)
				if (docs[j] == all[k])
					in = (bits[j] & SEARCH_IN_TITLE) != 0;
			free(docs);
			free(bits);
			every = in;
		}
		if (every)
			out[kept++] = all[k];
	}
	free(all);
	return kept;
}

/* A few articles whose words are known: each query's documents. */
static void
test_match_small(void **state)
{
	static const struct {
		const char *title, *body, *tags;
	} docs[] = {
		{ "Queues", "kafka rabbit common", "" },
		{ "Logs", "Kafka zookeeper common", "" },
		{ "Cats", "rabbit carrot common", "" },
		{ "Dogs", "bone, common!", "pets" },
		{ "Kafka: a mixed bag", "KAFKA rabbit carrot common", "" },
	};
	static const struct {
		const char *name, *raw;
		const char *want, *title;   /* postings_match; title bits */
	} rows[] = {
		{ "a word in no article", "nowhere", "", "" },
		{ "a word in all", "common", "0,1,2,3,4", "" },
		{ "the summary's word, in all", "s", "0,1,2,3,4", "" },
		{ "one word", "kafka", "0,1,4", "4" },
		{ "two words intersect", "kafka+rabbit", "0,4", "" },
		{ "two words, other pair", "rabbit+carrot", "2,4", "" },
		{ "three words", "kafka+rabbit+carrot", "4", "" },
		{ "empty query", "", "", "" },
		{ "separators only", "+%20,+", "", "" },
		{ "a word in none and one in some", "nowhere+kafka", "", "" },
		{ "... in either order", "kafka+nowhere", "", "" },
		{ "upper case query", "KAFKA", "0,1,4", "4" },
		{ "mixed case, two words", "Kafka+RABBIT", "0,4", "" },
		{ "percent-encoded space", "kafka%20zookeeper", "1", "" },
		{ "a word twice", "kafka+kafka", "0,1,4", "4" },
		{ "title word", "queues", "0", "0" },
		{ "title words", "mixed+BAG", "4", "4" },
		{ "title words and a body word", "kafka+bag+carrot", "4", "" },
		{ "tag word", "pets", "3", "" },
		{ "punctuation around a word", "bone", "3", "" },
		{ "a prefix is not the word", "kafk", "", "" },
		{ "a plural is the word (stemmed)", "kafkas", "0,1,4", "4" },
		{ "a longer word is not the word", "kafkaesque", "", "" },
		{ "an excluded word", "common+-kafka", "2,3", "" },
		{ "only an excluded word matches nothing", "-kafka", "", "" },
		{ "a prefix", "carr*", "2,4", "" },
		{ "title word and body word", "cats+carrot", "2", "" },
		{ "disjoint words", "zookeeper+carrot", "", "" },
		{ "two titles' words", "cats+dogs", "", "" },
	};
	struct article *list[NROWS(docs)];
	struct postings *p, *empty;
	char slug[16], got[256];

	(void)state;
	for (size_t i = 0; i < NROWS(docs); i++) {
		snprintf(slug, sizeof(slug), "d%zu", i);
		list[i] = make(slug, "2026-03-01", docs[i].title, docs[i].body,
		    docs[i].tags, false);
	}
	p = postings_build(list, NROWS(list), NULL);
	assert_non_null(p);
	assert_int_equal(postings_count(p), NROWS(list));
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct query q;
		uint32_t *out = (uint32_t *)&q;   /* must be overwritten */
		int64_t n;

		query(&q, rows[i].raw);
		n = postings_match(p, &q, &out);
		docs_text(out, n, got, sizeof(got));
		CHECK(strcmp(got, rows[i].want) == 0,
		    "row %zu (%s, q=%s): documents \"%s\", want \"%s\"", i,
		    rows[i].name, rows[i].raw, got, rows[i].want);
		CHECK(n != 0 || out == NULL, "row %zu (%s): no match but out set",
		    i, rows[i].name);
		if (n > 0)
			free(out);

		{
			uint32_t titled[NROWS(docs)];

			n = title_docs(p, &q, titled);
			docs_text(titled, n, got, sizeof(got));
			CHECK(strcmp(got, rows[i].title) == 0,
			    "row %zu (%s, q=%s): title documents \"%s\", want "
			    "\"%s\"", i, rows[i].name, rows[i].raw, got,
			    rows[i].title);
		}
	}
	for (size_t i = 0; i < NROWS(list); i++)
		article_unref(list[i]);
	postings_unref(p);

	/* No documents at all: a segment that matches nothing. */
	empty = postings_build(NULL, 0, NULL);
	assert_non_null(empty);
	assert_int_equal(postings_count(empty), 0);
	{
		struct query q;
		uint32_t *out = (uint32_t *)&q;

		uint8_t *bits;

		query(&q, "common");
		assert_int_equal(postings_match(empty, &q, &out), 0);
		assert_null(out);
		assert_int_equal(postings_term(empty, q.terms[0].hash, &out,
		    &bits), 0);
		assert_null(out);
		assert_null(bits);
	}
	postings_unref(empty);
	postings_unref(NULL);
	CHECK_DONE();
}

enum { N2 = 300, VOCAB2 = 40 };

/* Whether article DOC holds word K of the vocabulary: word 0 is in all,
 * 1-5 in half, 6-11 in a quarter, 12-15 in a seventh and 16-19 in a
 * ninth (either side of the bitmap's one in eight), 20-37 in one of
 * forty, 38 in one article, 39 in none. */
static bool
holds_word(unsigned k, size_t doc, unsigned *seed)
{
	unsigned den;

	if (k == 0)
		return true;
	if (k == 38)
		return doc == 137;
	if (k == 39)
		return false;
	den = k <= 5 ? 2 : k <= 11 ? 4 : k <= 15 ? 7 : k <= 19 ? 9 : 40;
	return rnd(seed) % den == 0;
}

/* A query of 1-3 words: vocabulary words, "doc" (every title), a title's
 * number (one article, or none past N2), or a word in no article. */
static void
random_query2(struct query *q, unsigned *seed, char *raw, size_t size)
{
	unsigned nwords = 1 + rnd(seed) % 3;
	size_t len = 0;

	raw[0] = '\0';
	for (unsigned w = 0; w < nwords; w++) {
		unsigned r = rnd(seed) % 50;
		char word[16];

		if (r < VOCAB2)
			snprintf(word, sizeof(word), "v%02u", r);
		else if (r < 44)
			snprintf(word, sizeof(word), "doc");
		else if (r < 49)
			snprintf(word, sizeof(word), "%u", rnd(seed) % (N2 + 20));
		else
			snprintf(word, sizeof(word), "absent");
		len += (size_t)snprintf(raw + len, size - len, "%s%s",
		    w > 0 ? "+" : "", word);
	}
	query(q, raw);
}

static int
compare_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

/* Random articles over a small vocabulary: dense and sparse words, each
 * query's documents against a scan of every article's words. */
static void
test_match_random_vs_scan(void **state)
{
	struct article *docs[N2], *other;
	struct postings *p;
	uint32_t *all, want[N2];
	size_t nall = 0, distinct = 0;
	unsigned seed = 2024;
	char slug[16], title[32], body[512], raw[64], got[2048], wanted[2048];

	(void)state;
	for (size_t i = 0; i < N2; i++) {
		size_t len = 0;

		body[0] = '\0';
		for (unsigned k = 0; k < VOCAB2; k++)
			if (holds_word(k, i, &seed))
				len += (size_t)snprintf(body + len, sizeof(body) - len,
				    "v%02u ", k);
		snprintf(slug, sizeof(slug), "r%03zu", i);
		snprintf(title, sizeof(title), "Doc %zu", i);
		if (rnd(&seed) % 2 == 0)   /* half the titles: a word too */
			snprintf(title + strlen(title), sizeof(title) - strlen(title),
			    " v%02u", rnd(&seed) % VOCAB2);
		docs[i] = make(slug, "2026-03-01", title, body, "", false);
	}
	/* the same slug, another version: not in the segment */
	other = make("r000", "2026-03-01", "Doc 0", "v00", "", false);

	p = postings_build(docs, N2, NULL);
	assert_non_null(p);
	assert_int_equal(postings_count(p), N2);
	for (size_t i = 0; i < N2; i++) {
		CHECK(postings_doc(p, (uint32_t)i) == docs[i],
		    "postings_doc(%zu) is not docs[%zu]", i, i);
		CHECK(postings_find(p, docs[i]) == (int64_t)i,
		    "postings_find(docs[%zu]) = %lld", i,
		    (long long)postings_find(p, docs[i]));
		CHECK(atomic_load(&docs[i]->refs) == 2,
		    "docs[%zu] has %d refs after the build, want 2", i,
		    atomic_load(&docs[i]->refs));
	}
	CHECK(postings_find(p, other) == -1, "another version found: %lld",
	    (long long)postings_find(p, other));

	/* Distinct words: the union of every article's words. */
	for (size_t i = 0; i < N2; i++)
		nall += docs[i]->terms.count;
	all = malloc(nall * sizeof(*all));
	assert_non_null(all);
	nall = 0;
	for (size_t i = 0; i < N2; i++)
		for (size_t k = 0; k < docs[i]->terms.count; k++)
			all[nall++] = docs[i]->terms.hashes[k] >> 8;
	qsort(all, nall, sizeof(*all), compare_u32);
	for (size_t i = 0; i < nall; i++)
		if (i == 0 || all[i] != all[i - 1])
			distinct++;
	free(all);
	CHECK(postings_terms(p) == distinct, "postings_terms %zu, want %zu",
	    postings_terms(p), distinct);
	CHECK(postings_bytes(p) > 0, "postings_bytes is 0");

	/* Every word alone, then random combinations; all the words, then
	 * the titles' alone (their bits). */
	for (int round = 0; round < 2 * (2000 + VOCAB2); round++) {
		int r = round % (2000 + VOCAB2);
		bool titles = round >= 2000 + VOCAB2;
		uint32_t titled[N2];
		struct query q;
		uint32_t *out = NULL;
		int64_t n;
		size_t nwant = 0;

		if (r < VOCAB2) {
			snprintf(raw, sizeof(raw), "v%02d", r);
			query(&q, raw);
		} else {
			random_query2(&q, &seed, raw, sizeof(raw));
		}
		for (size_t i = 0; i < N2; i++) {
			bool in = search_matches(&docs[i]->terms, &q);

			for (size_t t = 0; titles && in && t < q.nterms; t++)
				in = search_bits(&docs[i]->terms,
				    q.terms[t].hash) & SEARCH_IN_TITLE;
			if (in)
				want[nwant++] = (uint32_t)i;
		}
		if (titles) {
			n = title_docs(p, &q, titled);
			out = n > 0 ? malloc((size_t)n * sizeof(*out)) : NULL;
			if (n > 0)
				memcpy(out, titled, (size_t)n * sizeof(*out));
		} else {
			n = postings_match(p, &q, &out);
		}
		if (n != (int64_t)nwant ||
		    (n > 0 && memcmp(out, want, nwant * sizeof(*want)) != 0)) {
			docs_text(out, n, got, sizeof(got));
			docs_text(want, (int64_t)nwant, wanted, sizeof(wanted));
			CHECK(false, "round %d (%s, q=%s): documents\n  %s\nwant\n  %s",
			    round, titles ? "titles" : "all words", raw, got, wanted);
		}
		CHECK(n != 0 || out == NULL, "round %d (q=%s): none but out set",
		    round, raw);
		free(out);
	}

	/* The same lists kept in a file of their own read back alike. */
	{
		char *dir = unit_tempdir();
		struct postings *inf = postings_build_in(docs, N2, NULL, dir);

		assert_non_null(inf);
		CHECK(postings_file_bytes(inf) > 0, "no file in %s", dir);
		CHECK(postings_file_bytes(p) == 0, "the plain build has a file");
		for (unsigned k = 0; k < VOCAB2 + 2; k++) {
			struct query q;
			uint32_t *d1, *d2;
			uint8_t *b1, *b2;
			int64_t n1, n2;

			snprintf(raw, sizeof(raw), k < VOCAB2 ? "v%02u" : "doc", k);
			query(&q, raw);
			n1 = postings_term(p, q.terms[0].hash, &d1, &b1);
			n2 = postings_term(inf, q.terms[0].hash, &d2, &b2);
			CHECK(n1 == n2 && (n1 <= 0 || (memcmp(d1, d2, (size_t)n1 * 4)
			    == 0 && memcmp(b1, b2, (size_t)n1) == 0)),
			    "%s: the file's list differs (%lld, %lld)", raw,
			    (long long)n1, (long long)n2);
			free(d1);
			free(d2);
			free(b1);
			free(b2);
		}
		postings_unref(inf);
		unit_rmtree(dir);
		free(dir);
	}

	/* The segment holds its own references: it outlives the articles'. */
	assert_ptr_equal(postings_ref(p), p);
	postings_unref(p);
	for (size_t i = 0; i < N2; i++)
		article_unref(docs[i]);
	article_unref(other);
	for (size_t i = 0; i < N2; i++) {
		snprintf(title, sizeof(title), "Doc %zu", i);
		CHECK(strncmp(postings_doc(p, (uint32_t)i)->title, title,
		    strlen(title)) == 0, "document %zu freed too early", i);
	}
	postings_unref(p);
	CHECK_DONE();
}

/* A stop flag already set abandons the build; clear, it does not.  The
 * build may look at the flag only every so many documents: 5000 leaves
 * room for a poll every 4096. */
static void
test_build_stop(void **state)
{
	enum { N3 = 5000 };
	struct article **docs = calloc(N3, sizeof(*docs));
	atomic_bool stop;
	struct postings *p;
	char slug[16], body[64];

	(void)state;
	assert_non_null(docs);
	for (size_t i = 0; i < N3; i++) {
		snprintf(slug, sizeof(slug), "t%04zu", i);
		snprintf(body, sizeof(body), "w%zu common", i % 97);
		docs[i] = make(slug, "2026-03-01", "T", body, "", false);
	}
	atomic_init(&stop, true);
	p = postings_build(docs, N3, &stop);
	assert_null(p);
	for (size_t i = 0; i < N3; i++)
		CHECK(atomic_load(&docs[i]->refs) == 1,
		    "docs[%zu] has %d refs after a stopped build, want 1", i,
		    atomic_load(&docs[i]->refs));

	atomic_store(&stop, false);
	p = postings_build(docs, N3, &stop);
	assert_non_null(p);
	assert_int_equal(postings_count(p), N3);
	{
		struct query q;
		uint32_t *out = NULL;

		query(&q, "w5+common");
		/* 5, 102, 199, ...: the documents i with i % 97 == 5 */
		assert_int_equal(postings_match(p, &q, &out), (N3 - 5 + 96) / 97);
		assert_non_null(out);
		assert_int_equal(out[0], 5);
		assert_int_equal(out[1], 102);
		free(out);
	}
	postings_unref(p);
	for (size_t i = 0; i < N3; i++)
		article_unref(docs[i]);
	free(docs);
	CHECK_DONE();
}

#define SLOTS 30

static const char *const vocab4[] = { "apple", "berry", "cherry", "damson",
	"elder", "fig", "grape", "hazel", "kiwi", "lemon" };
#define VOCAB4 (sizeof(vocab4) / sizeof(vocab4[0]))

/* A random article for slot SLUG: vocabulary words in its body, often in
 * its title, sometimes as a tag; published in March 2026 around NOW (some
 * in the future, some at NOW exactly or a second after); a draft now and
 * then. */
static struct article *
random_article(const char *slug, unsigned *seed)
{
	char title[128] = "Note", body[256] = "", tags[32] = "", date[32];
	unsigned r;
	size_t len = 0;

	for (unsigned k = 0; k < VOCAB4; k++)
		if (rnd(seed) % 3 == 0)
			len += (size_t)snprintf(body + len, sizeof(body) - len,
			    "%s ", vocab4[k]);
	for (int w = 0; w < 2; w++)
		if (rnd(seed) % 2 == 0) {
			strcat(title, " ");
			strcat(title, vocab4[rnd(seed) % VOCAB4]);
		}
	if (rnd(seed) % 4 == 0)
		snprintf(tags, sizeof(tags), "%s", vocab4[rnd(seed) % VOCAB4]);
	r = rnd(seed) % 22;
	if (r < 20)
		snprintf(date, sizeof(date), "2026-03-%02u", 1 + r);
	else
		snprintf(date, sizeof(date), "2026-03-14T12:00:0%uZ", r - 20);
	return make(slug, date, title, body, tags, rnd(seed) % 10 == 0);
}

/* What index_search must find: the articles listed at NOW holding every
 * word of Q, in listing order (index_search ranks them by score). */
static int64_t
search_by_scan(const struct index *idx, const struct query *q, time_t now,
    struct article **out)
{
	int64_t n = 0;

	for (size_t i = 0; i < idx->count; i++) {
		struct article *a = idx->articles[i];

		if (!a->draft && a->published.instant <= now &&
		    search_matches(&a->terms, q))
			out[n++] = a;
	}
	return n;
}

static int
compare_listing(const void *x, const void *y)
{
	return index_compare(*(struct article *const *)x,
	    *(struct article *const *)y);
}

/* The bookkeeping index_with_postings promises: the articles the
 * postings lack are the fresh ones, in listing order; the documents the
 * snapshot lacks are counted dead. */
static void
check_fresh_dead(const struct index *idx, int step)
{
	size_t held = 0, nfresh = 0;
	char got[2048], want[2048];
	struct article *fresh[SLOTS + 1];

	if (idx->postings == NULL)
		return;
	for (size_t i = 0; i < idx->count; i++) {
		if (postings_find(idx->postings, idx->articles[i]) >= 0)
			held++;
		else if (nfresh < SLOTS + 1)
			fresh[nfresh++] = idx->articles[i];
	}
	slugs_text(idx->fresh, (int64_t)idx->nfresh, got, sizeof(got));
	slugs_text(fresh, (int64_t)nfresh, want, sizeof(want));
	if (idx->nfresh != nfresh || (nfresh > 0 &&
	    memcmp(idx->fresh, fresh, nfresh * sizeof(*fresh)) != 0))
		fail_msg("step %d: fresh \"%s\", want \"%s\"", step, got, want);
	if (idx->ndead != postings_count(idx->postings) - held)
		fail_msg("step %d: ndead %zu, want %zu (of %zu documents, %zu "
		    "live)", step, idx->ndead, postings_count(idx->postings) - held,
		    postings_count(idx->postings), held);
}

/* Replaces *CUR with a snapshot like it searching through postings built
 * from FROM (*CUR or an older snapshot). */
static void
attach(struct index **cur, const struct index *from)
{
	struct postings *p = postings_build(from->articles, from->count, NULL);
	struct index *next;

	assert_non_null(p);
	next = index_with_postings(*cur, p);
	assert_non_null(next);
	CHECK(next->postings == p, "index_with_postings did not take the postings");
	postings_unref(p);
	index_unref(*cur);
	*cur = next;
}

/* Modelled on test-index.c's test_apply_matches_rebuild: random edits,
 * additions and removals through index_apply, with postings attached now
 * and then (from the current snapshot or an older one), versions put
 * back after they went (dead in the postings, then alive again), and
 * every search checked against a scan and against a snapshot without
 * postings. */
static void
test_index_search_vs_scan(void **state)
{
	static const time_t nows[] = { NOW, NOW - 5 * DAY, NOW + 30 * DAY };
	struct article *live[SLOTS] = { 0 }, *past[SLOTS] = { 0 };
	struct index *cur = NULL, *older = NULL;
	unsigned seed = 11;
	int attaches = 0, from_older = 0, drafts = 0, reordered = 0;
	int revived = 0;
	size_t max_dead = 0, max_fresh = 0;
	char slug[16], raw[64], got[2048], want[2048], plain_got[2048];

	(void)state;
	for (int step = 0; step < 300; step++) {
		struct article *gone[1] = { 0 }, *added[1] = { 0 }, *list[SLOTS];
		struct article *ref[SLOTS], **res = NULL, **res_plain = NULL;
		size_t ngone = 0, nadded = 0, n = 0;
		unsigned which = rnd(&seed) % SLOTS, action = rnd(&seed) % 3;
		struct article *was = live[which];
		struct index *next, *plain;
		struct postings *before = cur ? cur->postings : NULL;

		snprintf(slug, sizeof(slug), "a%02u", which);
		/* Like folder.c, the old version goes even when a draft. */
		if (was != NULL)
			gone[ngone++] = was;
		if (action != 0 || was == NULL) {
			if (past[which] != NULL && rnd(&seed) % 4 == 0) {
				/* the version before comes back: the postings
				 * may hold it, dead */
				added[nadded++] = past[which];
				past[which] = NULL;
				revived += before != NULL &&
				    postings_find(before, added[0]) >= 0;
			} else {
				added[nadded++] = random_article(slug, &seed);
				drafts += added[0]->draft;
			}
		}
		for (size_t k = 0; k < SLOTS; k++)
			if (k != which && live[k] != NULL)
				list[n++] = live[k];
		if (nadded)
			list[n++] = added[0];
		next = cur ? index_apply(cur, gone, ngone, added, nadded,
		    (unsigned long)step) : index_new(list, n, (unsigned long)step);
		assert_non_null(next);
		CHECK(cur == NULL || next->postings == before,
		    "step %d: index_apply did not carry the postings over", step);
		index_unref(cur);
		cur = next;
		live[which] = nadded ? added[0] : NULL;
		if (was != NULL) {
			article_unref(past[which]);
			past[which] = was;
		}

		if (step % 25 == 0 || rnd(&seed) % 15 == 0) {
			bool old = older != NULL && attaches % 2 == 1;

			attach(&cur, old ? older : cur);
			attaches++;
			from_older += old;
		}
		if (step % 20 == 5) {
			index_unref(older);
			older = index_ref(cur);
		}
		check_fresh_dead(cur, step);
		if (cur->ndead > max_dead)
			max_dead = cur->ndead;
		if (cur->nfresh > max_fresh)
			max_fresh = cur->nfresh;

		plain = index_new(list, n, (unsigned long)step);
		assert_non_null(plain);
		CHECK(plain->postings == NULL, "step %d: index_new has postings",
		    step);
		for (int t = 0; t < 8; t++) {
			struct query q;
			unsigned nwords = 1 + rnd(&seed) % 3;
			time_t now = nows[rnd(&seed) % 3];
			int64_t nref, nres, nplain;
			size_t len = 0;

			for (unsigned w = 0; w < nwords; w++) {
				unsigned r = rnd(&seed) % (VOCAB4 + 2);

				len += (size_t)snprintf(raw + len, sizeof(raw) - len,
				    "%s%s", w > 0 ? "+" : "", r < VOCAB4 ? vocab4[r] :
				    r == VOCAB4 ? "note" : "missing");
			}
			query(&q, raw);
			nref = search_by_scan(cur, &q, now, ref);
			nres = index_search(cur, &q, NULL, NULL, now, SIZE_MAX, &res);
			nplain = index_search(plain, &q, NULL, NULL, now, SIZE_MAX,
			    &res_plain);
			/* The postings and a scan rank alike, article for
			 * article; both find what the scan reference finds. */
			slugs_text(res, nres, got, sizeof(got));
			slugs_text(res_plain, nplain, plain_got, sizeof(plain_got));
			if (nres != nplain || (nres > 0 &&
			    memcmp(res, res_plain, (size_t)nres * sizeof(*res)) != 0))
				fail_msg("step %d, q=%s at %lld (%zu dead, %zu fresh): "
				    "postings ranked\n  %s\nscan ranked\n  %s", step,
				    raw, (long long)now, cur->ndead, cur->nfresh, got,
				    plain_got);
			/* The first three asked alone: the same three. */
			{
				struct article **top = NULL;
				int64_t ntop = index_search(cur, &q, NULL, NULL, now, 3,
				    &top);

				CHECK(ntop == nres && (ntop == 0 || memcmp(top, res,
				    (size_t)(ntop < 3 ? ntop : 3) * sizeof(*top)) == 0),
				    "step %d, q=%s: the top 3 differ from the full"
				    " ranking's", step, raw);
				free(top);
			}
			if (nres > 0)
				qsort(res, (size_t)nres, sizeof(*res), compare_listing);
			slugs_text(ref, nref, want, sizeof(want));
			slugs_text(res, nres, got, sizeof(got));
			if (nres != nref || (nref > 0 &&
			    memcmp(res, ref, (size_t)nref * sizeof(*ref)) != 0))
				fail_msg("step %d, q=%s at %lld (%zu dead, %zu fresh): "
				    "index_search found\n  %s\nwant\n  %s", step, raw,
				    (long long)now, cur->ndead, cur->nfresh, got, want);
			CHECK((nres != 0 || res == NULL) &&
			    (nplain != 0 || res_plain == NULL),
			    "step %d, q=%s: none but out set", step, raw);
			/* ranking moved a match ahead of the listing */
			for (int64_t i = 1; i < nplain; i++)
				if (index_compare(res_plain[i - 1], res_plain[i]) > 0)
					reordered++;
			free(res);
			free(res_plain);
			res = res_plain = NULL;
		}
		index_unref(plain);
	}
	/* The run went where it was meant to. */
	CHECK(attaches >= 12 && from_older >= 4, "%d attaches, %d from older",
	    attaches, from_older);
	CHECK(max_dead > 0 && max_fresh > 0, "most dead %zu, most fresh %zu",
	    max_dead, max_fresh);
	CHECK(drafts > 0 && reordered > 0 && revived > 0,
	    "%d drafts, %d reorderings, %d revived", drafts, reordered, revived);
	index_unref(older);
	index_unref(cur);
	for (size_t k = 0; k < SLOTS; k++) {
		article_unref(live[k]);
		article_unref(past[k]);
	}
	CHECK_DONE();
}

/* Adds article SLUG to *IDX through index_apply. */
static void
apply_add(struct index **idx, const char *slug)
{
	struct article *a = make(slug, "2026-03-02", "T", "w", "", false);
	struct index *next = index_apply(*idx, NULL, 0, &a, 1, 2);

	assert_non_null(next);
	article_unref(a);
	index_unref(*idx);
	*idx = next;
}

/* Removes the first article of *IDX through index_apply. */
static void
apply_remove(struct index **idx)
{
	struct article *a = (*idx)->articles[0];
	struct index *next = index_apply(*idx, &a, 1, NULL, 0, 3);

	assert_non_null(next);
	index_unref(*idx);
	*idx = next;
}

/* Postings go stale after more than 64 + n/16 changes: with 160
 * articles, not at 74 (whether n counts the postings' documents or the
 * snapshot's articles), surely at 81; removals alike, not at 64, surely
 * at 75. */
static void
test_stale(void **state)
{
	enum { N5 = 160 };
	struct article *list[N5];
	struct index *idx, *first;
	struct postings *p;
	char slug[16];

	(void)state;
	for (size_t i = 0; i < N5; i++) {
		snprintf(slug, sizeof(slug), "s%03zu", i);
		list[i] = make(slug, "2026-03-01", "T", "w", "", false);
	}
	idx = index_new(list, N5, 1);
	for (size_t i = 0; i < N5; i++)
		article_unref(list[i]);
	assert_non_null(idx);
	assert_true(index_postings_stale(idx));

	p = postings_build(idx->articles, idx->count, NULL);
	assert_non_null(p);
	first = index_with_postings(idx, p);
	assert_non_null(first);
	postings_unref(p);
	/* the snapshot without postings is unchanged */
	assert_true(index_postings_stale(idx));
	assert_null(idx->postings);
	index_unref(idx);
	assert_false(index_postings_stale(first));

	/* additions: fresh articles */
	idx = index_ref(first);
	for (int c = 1; c <= 100; c++) {
		bool stale;

		snprintf(slug, sizeof(slug), "n%03d", c);
		apply_add(&idx, slug);
		stale = index_postings_stale(idx);
		if (c <= 64 + N5 / 16)
			CHECK(!stale, "stale after %d additions to %d articles", c, N5);
		else if (c > 80)
			CHECK(stale, "not stale after %d additions to %d articles", c,
			    N5);
	}
	/* new postings from the stale snapshot: fresh again */
	p = postings_build(idx->articles, idx->count, NULL);
	assert_non_null(p);
	{
		struct index *next = index_with_postings(idx, p);

		assert_non_null(next);
		postings_unref(p);
		index_unref(idx);
		idx = next;
	}
	CHECK(!index_postings_stale(idx), "stale right after new postings");
	index_unref(idx);

	/* removals: dead documents */
	idx = index_ref(first);
	for (int c = 1; c <= 90; c++) {
		bool stale;

		apply_remove(&idx);
		stale = index_postings_stale(idx);
		if (c <= 64)
			CHECK(!stale, "stale after %d removals from %d articles", c, N5);
		else if (c > 74)
			CHECK(stale, "not stale after %d removals from %d articles", c,
			    N5);
	}
	index_unref(idx);
	index_unref(first);
	CHECK_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_small),
		cmocka_unit_test(test_match_random_vs_scan),
		cmocka_unit_test(test_build_stop),
		cmocka_unit_test(test_index_search_vs_scan),
		cmocka_unit_test(test_stale),
	};

	xmlInitParser();
	return cmocka_run_group_tests_name("postings", tests, NULL, NULL);
}
