/* test-search.c - search words and queries (search.c): folding and
 * stemming, the entries an article keeps, the query language on a table
 * of odd inputs, phrase and prefix checks in text, and the BM25F score's
 * promises. */
#include "unit.h"

#include "search.h"

/* The stems of TEXT in LANG, space separated, in OUT. */
static void
stems_of(const char *lang, const char *text, char *out, size_t size)
{
	struct search_words *w = search_words_new(lang);
	char folded[SEARCH_WORD_MAX + 1], stem[SEARCH_WORD_MAX + 1];
	size_t pos = 0, start, end, len = 0;

	assert_non_null(w);
	out[0] = '\0';
	while (search_next_word(text, strlen(text), &pos, &start, &end,
	    folded)) {
		search_stem(w, folded, stem);
		len += (size_t)snprintf(out + len, size - len, "%s%s",
		    len ? " " : "", stem);
	}
	search_words_free(w);
}

static void
test_fold_stem(void **state)
{
	static const struct {
		const char *name, *lang, *text, *want;
	} rows[] = {
		{ "stems meet", "en", "hashes hashing hashed", "hash hash hash" },
		{ "case", "en", "SHARDING Sharded", "shard shard" },
		{ "accent dropped", "en", "Café cafe", "cafe cafe" },
		{ "decomposed accent", "en", "Cafe\xcc\x81", "cafe" },
		{ "sharp s, ligatures", "none", "Stra\xc3\x9f" "e \xc5\x92uvre \xc3\x86on",
		    "strasse oeuvre aeon" },
		{ "Latin Extended-A", "none", "\xc5\x81\xc3\xb3" "d\xc5\xba",
		    "lodz" },
		{ "Greek lowered", "none", "\xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91",
		    "\xcf\x83\xce\xbf\xcf\x86\xce\xb9\xce\xb1" },
		{ "Cyrillic lowered", "none", "\xd0\x9c\xd0\xb8\xd1\x80",
		    "\xd0\xbc\xd0\xb8\xd1\x80" },
		{ "punctuation splits", "none", "load-balancing, a\xe2\x80\x94" "b",
		    "load balancing a b" },
		{ "bad UTF-8 splits", "none", "x\xff" "y \xc3", "x y" },
		{ "digits are words", "en", "http2 200", "http2 200" },
		{ "no stemming for none", "none", "hashes", "hashes" },
		{ "unknown language: none", "xx", "hashes", "hashes" },
		{ "region ignored", "en-GB", "hashes", "hash" },
		{ "French", "fr", "chevaux", "cheval" },
		{ "German", "de", "H\xc3\xa4user", "haus" },
		{ "only separators", "en", " ,;\xc2\xa0!", "" },
	};
	char got[256];

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		stems_of(rows[i].lang, rows[i].text, got, sizeof(got));
		CHECK(strcmp(got, rows[i].want) == 0,
		    "row %zu (%s): \"%s\", want \"%s\"", i, rows[i].name, got,
		    rows[i].want);
	}
	CHECK_DONE();
}

/* An article's entries: one a stem, marked with where it occurs. */
static void
test_entries(void **state)
{
	struct search_words *w = search_words_new("en");
	struct buf raw = BUF_INIT;
	struct term_set set;
	char body[256] = "";

	(void)state;
	assert_non_null(w);
	search_collect(w, &raw, FIELD_TITLE, "Hashing", 7);
	search_collect(w, &raw, FIELD_TAGS, "ring", 4);
	search_collect(w, &raw, FIELD_SUMMARY, "keys", 4);
	for (int i = 0; i < 40; i++)
		strcat(body, "key ");
	strcat(body, "hashes hash");
	search_collect(w, &raw, FIELD_BODY, body, strlen(body));
	assert_true(search_finish(&raw, &set));
	buf_release(&raw);
	CHECK(search_bits(&set, search_hash("hash", false)) ==
	    (int)(SEARCH_IN_TITLE | 2), "hash: bits %#x",
	    search_bits(&set, search_hash("hash", false)));
	CHECK(search_bits(&set, search_hash("ring", false)) ==
	    (int)SEARCH_IN_TAGS, "ring: bits %#x",
	    search_bits(&set, search_hash("ring", false)));
	CHECK(search_bits(&set, search_hash("key", false)) ==
	    (int)(SEARCH_IN_SUMMARY | SEARCH_BODY_TF), "key: bits %#x "
	    "(the body count saturates)",
	    search_bits(&set, search_hash("key", false)));
	CHECK(search_has(&set, search_hash("hash", true)),
	    "no prefix entry for \"hash\"");
	CHECK(!search_has(&set, search_hash("ke", true)),
	    "a prefix entry shorter than %d letters", SEARCH_PREFIX_CHARS);
	CHECK(!search_has(&set, search_hash("nowhere", false)), "nowhere found");
	for (size_t i = 1; i < set.count; i++)
		CHECK((set.hashes[i - 1] >> 8) < (set.hashes[i] >> 8),
		    "entries %zu and %zu not sorted by hash", i - 1, i);
	free((void *)set.hashes);
	search_words_free(w);
	CHECK_DONE();
}

/* Many entries in no order, hashes spread over all three hash bytes and
 * repeated: search_finish sorts them (a radix sort, byte by byte) and
 * merges each hash's entries, whatever order they came in. */
static void
test_entries_many(void **state)
{
	enum { N = 4000, DISTINCT = 700 };
	struct buf raw = BUF_INIT;
	struct term_set set;
	uint32_t in[N], x = 2463534242u;
	size_t distinct = 0;

	(void)state;
	for (size_t i = 0; i < N; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		in[i] = ((x % DISTINCT) * 2654435761u & 0xFFFFFFu) << 8 |
		    (x >> 24 & 0xE3u);
		buf_append(&raw, &in[i], sizeof(in[i]));
	}
	assert_true(search_finish(&raw, &set));
	buf_release(&raw);
	for (size_t i = 1; i < set.count; i++)
		CHECK((set.hashes[i - 1] >> 8) < (set.hashes[i] >> 8),
		    "entries %zu and %zu not sorted by hash", i - 1, i);
	for (size_t i = 0; i < N; i++) {
		uint32_t flags = 0, tf = 0;
		bool first = true;

		for (size_t j = 0; j < i && first; j++)
			first = (in[j] >> 8) != (in[i] >> 8);
		if (!first)
			continue;
		distinct++;
		for (size_t j = i; j < N; j++)
			if ((in[j] >> 8) == (in[i] >> 8)) {
				flags |= in[j] & ~SEARCH_BODY_TF & 0xFFu;
				tf += in[j] & SEARCH_BODY_TF;
			}
		if (tf > SEARCH_BODY_TF)
			tf = SEARCH_BODY_TF;
		CHECK(search_bits(&set, in[i] >> 8) == (int)(flags | tf),
		    "hash %#x: bits %#x, want %#x", in[i] >> 8,
		    search_bits(&set, in[i] >> 8), flags | tf);
	}
	CHECK(set.count == distinct, "%zu entries, want %zu", set.count,
	    distinct);
	free((void *)set.hashes);
	CHECK_DONE();
}

/* Q as text: each term [N:][-]word[*], then " ?" when it needs the text. */
static void
query_text(const struct query *q, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < q->nterms; i++) {
		const struct query_term *t = &q->terms[i];

		if (t->phrase)
			len += (size_t)snprintf(out + len, size - len, "%s%u:",
			    len ? " " : "", t->phrase);
		else if (len)
			len += (size_t)snprintf(out + len, size - len, " ");
		len += (size_t)snprintf(out + len, size - len, "%s%s%s",
		    t->exclude ? "-" : "", t->word, t->prefix ? "*" : "");
	}
	if (q->verify)
		snprintf(out + len, size - len, " ?");
}

static void
test_parse_query(void **state)
{
	static const struct {
		const char *name, *raw, *want;   /* want NULL: refused */
	} rows[] = {
		{ "empty", "", "" },
		{ "a word, stemmed", "hashes", "hash" },
		{ "plus is space", "leader+election", "leader elect" },
		{ "a phrase", "%22leader+election%22", "1:leader 1:elect ?" },
		{ "two phrases and a word", "%22a+b%22+c+%22d+e%22",
		    "1:a 1:b c 2:d 2:e ?" },
		{ "a one-word phrase is a word", "%22raft%22", "raft" },
		{ "empty phrases use no number",
		    "%22%22%22%22%22%22%22%22%22%22%22%22%22%22%22%22%22%22"
		    "%22%22+%22a+b%22", "1:a 1:b ?" },
		{ "an unbalanced quote is text", "%22leader+election",
		    "leader elect" },
		{ "three quotes: the last is text", "%22a+b%22+%22c",
		    "1:a 1:b c ?" },
		{ "a prefix", "kube*", "kube*" },
		{ "a long prefix needs the text", "kuber*", "kuber* ?" },
		{ "a short prefix is a word", "ka*", "ka" },
		{ "a prefix folds", "CAF%C3%89*", "cafe*" },
		{ "a lone star is text", "*", "" },
		{ "a star before a word is text", "*raft", "raft" },
		{ "an excluded word", "raft+-paxos", "raft -paxo" },
		{ "an excluded word first", "-paxos+raft", "-paxo raft" },
		{ "a lone dash is text", "raft+-", "raft" },
		{ "a dash inside a word is not exclusion", "load-balancing",
		    "load balanc" },
		{ "no exclusion inside a phrase", "%22-a+b%22", "1:a 1:b ?" },
		{ "only excluded", "-raft", "-raft" },
		{ "a double dash is text", "--raft", "raft" },
		{ "markup is words", "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
		    "script alert 1 script" },
		{ "eight words count", "a+b+c+d+e+f+g+h+i+j",
		    "a b c d e f g h" },
		{ "a bad escape", "%zz", NULL },
		{ "NUL refused", "a%00b", NULL },
		{ "bad UTF-8 is text", "%FF%FEraft", "raft" },
		{ "separators only", "+%20,+", "" },
	};
	struct search_words *w = search_words_new("en");
	char got[512];

	(void)state;
	assert_non_null(w);
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct query q;
		bool ok = search_parse_query(w, rows[i].raw, strlen(rows[i].raw),
		    &q);

		if (rows[i].want == NULL) {
			CHECK(!ok, "row %zu (%s): accepted", i, rows[i].name);
			continue;
		}
		CHECK(ok, "row %zu (%s): refused", i, rows[i].name);
		if (!ok)
			continue;
		query_text(&q, got, sizeof(got));
		CHECK(strcmp(got, rows[i].want) == 0,
		    "row %zu (%s): \"%s\", want \"%s\"", i, rows[i].name, got,
		    rows[i].want);
	}
	search_words_free(w);
	CHECK_DONE();
}

/* Phrases and long prefixes against text. */
static void
test_verify(void **state)
{
	static const struct {
		const char *name, *raw, *text;
		bool want;
	} rows[] = {
		{ "the phrase", "%22leader+election%22", "a leader election here", true },
		{ "stemmed", "%22leader+election%22", "Leaders' elections", true },
		{ "reversed", "%22leader+election%22", "election leader", false },
		{ "apart", "%22leader+election%22", "leader and election", false },
		{ "split by markup text", "%22leader+election%22", "leader. election", true },
		{ "one of two phrases", "%22a+b%22+%22c+d%22", "a b c x d", false },
		{ "both phrases", "%22a+b%22+%22c+d%22", "c d and a b", true },
		{ "a long prefix", "kuber*", "on Kubernetes", true },
		{ "a long prefix missing", "kuber*", "kubelet", false },
		{ "no phrase, no prefix", "raft", "anything", true },
	};
	struct search_words *w = search_words_new("en");

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct search_verify v = { 0, 0 };
		struct query q;

		assert_true(search_parse_query(w, rows[i].raw,
		    strlen(rows[i].raw), &q));
		search_verify_text(w, &q, rows[i].text, strlen(rows[i].text), &v);
		CHECK(search_verified(&q, &v) == rows[i].want,
		    "row %zu (%s): %d, want %d", i, rows[i].name,
		    search_verified(&q, &v), rows[i].want);
	}
	search_words_free(w);
	CHECK_DONE();
}

/* The score of one term with BITS in a body of WORDS, the term in DF of
 * 1,000 documents of 1,000 words on average. */
static double
score1(uint8_t bits, unsigned words, uint32_t df)
{
	struct query q;
	struct search_stats st = { 1000, 1000 };

	memset(&q, 0, sizeof(q));
	q.nterms = q.nrequired = 1;
	return search_score(&q, &bits, &df, words, &st);
}

static void
test_score(void **state)
{
	static const struct {
		const char *name;
		uint8_t bits_hi;  unsigned words_hi; uint32_t df_hi;
		uint8_t bits_lo;  unsigned words_lo; uint32_t df_lo;
	} rows[] = {
		{ "about it beats a passing mention",
		    SEARCH_IN_TITLE | SEARCH_IN_TAGS | 6, 1000, 50, 1, 1000, 50 },
		{ "title beats a body full of it",
		    SEARCH_IN_TITLE, 1000, 50, SEARCH_BODY_TF, 1000, 50 },
		{ "title beats tags", SEARCH_IN_TITLE, 1000, 50,
		    SEARCH_IN_TAGS, 1000, 50 },
		{ "tags beat summary", SEARCH_IN_TAGS, 1000, 50,
		    SEARCH_IN_SUMMARY, 1000, 50 },
		{ "summary beats a body mention", SEARCH_IN_SUMMARY, 1000, 50,
		    1, 1000, 50 },
		{ "more mentions, more score", 5, 1000, 50, 1, 1000, 50 },
		{ "a shorter body, more score", 2, 300, 50, 2, 3000, 50 },
		{ "a rarer word, more score", 1, 1000, 5, 1, 1000, 500 },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		double hi = score1(rows[i].bits_hi, rows[i].words_hi,
		    rows[i].df_hi);
		double lo = score1(rows[i].bits_lo, rows[i].words_lo,
		    rows[i].df_lo);

		CHECK(hi > lo, "row %zu (%s): %g is not above %g", i,
		    rows[i].name, hi, lo);
	}
	/* Frequency saturates: the 16th mention adds less than the 2nd. */
	CHECK(score1(31, 1000, 50) - score1(16, 1000, 50) <
	    score1(2, 1000, 50) - score1(1, 1000, 50), "no saturation");
	/* An excluded term adds nothing. */
	{
		struct query q;
		uint8_t bits[2] = { 1, SEARCH_IN_TITLE };
		uint32_t df[2] = { 50, 50 };
		struct search_stats st = { 1000, 1000 };

		memset(&q, 0, sizeof(q));
		q.nterms = 2;
		q.nrequired = 1;
		q.terms[1].exclude = true;
		CHECK(search_score(&q, bits, df, 1000, &st) ==
		    score1(1, 1000, 50), "an excluded term counted");
	}
	CHECK_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_stem),
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_entries_many),
		cmocka_unit_test(test_parse_query),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_score),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
