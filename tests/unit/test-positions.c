/* test-positions.c - the search file (positions.c): phrases checked from
 * the word order it keeps, versions it lacks left to the text, a file
 * written again from its own streams, and a file that is torn, foreign
 * or of another language ignored. */
#include "unit.h"

#include <fcntl.h>

#include "positions.h"
#include "search.h"

static struct article *
make(const char *slug, const char *title, const char *body)
{
	char xml[2048];
	struct article *a = NULL;
	struct xp_error err;

	snprintf(xml, sizeof(xml), "<article><title>%s</title><summary>S"
	    "</summary><published>2026-03-01</published><tags><tag>t</tag>"
	    "</tags><body><p>%s</p></body></article>", title, body);
	if (article_parse(slug, slug, xml, strlen(xml), &a, &err) != XP_OK)
		fail_msg("fixture %s: %s", slug, err.reason);
	return a;
}

static void
parse(struct query *q, const char *raw)
{
	struct search_words *w = search_words_new("en");

	assert_true(search_parse_query(w, raw, strlen(raw), q));
	search_words_free(w);
}

/* Flips one byte of DIR/search at OFFSET from the end (or the start when
 * FROM_START). */
static void
flip(const char *dir, long offset, bool from_start)
{
	char path[512];
	unsigned char c;
	int fd;
	off_t at;

	snprintf(path, sizeof(path), "%s/search", dir);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	at = from_start ? offset : lseek(fd, 0, SEEK_END) - offset;
	assert_int_equal(pread(fd, &c, 1, at), 1);
	c ^= 0x5a;
	assert_int_equal(pwrite(fd, &c, 1, at), 1);
	close(fd);
}

static void
test_phrases(void **state)
{
	static const struct {
		const char *name, *raw;
		int want[3];      /* for docs 0, 1, 2 */
	} rows[] = {
		{ "a phrase in one body", "%22leader+election%22", { 1, 0, 0 } },
		{ "stemmed words", "%22leaders+elected%22", { 1, 0, 0 } },
		{ "reversed", "%22election+leader%22", { 0, 1, 0 } },
		{ "a title's phrase", "%22raft+notes%22", { 0, 0, 1 } },
		{ "not across fields", "%22notes+s%22", { 0, 0, 0 } },
		{ "two phrases", "%22leader+election%22+%22term+ends%22",
		    { 1, 0, 0 } },
		{ "no phrase: all pass", "leader", { 1, 1, 1 } },
	};
	struct article *docs[3], *edited;
	struct positions *p, *again;
	struct xp_error err;
	char *dir = unit_tempdir();
	struct query q;

	(void)state;
	docs[0] = make("d0", "Elections", "a leader election ends when the term ends");
	docs[1] = make("d1", "Leaders", "the election leader stays");
	docs[2] = make("d2", "Raft Notes", "nothing here");
	assert_int_equal(positions_write(dir, "en", docs, 3, NULL, NULL, &err),
	    XP_OK);
	p = positions_open(dir, "en");
	assert_non_null(p);
	assert_int_equal(positions_count(p), 3);
	assert_int_equal(positions_missing(p, docs, 3), 0);
	/* as read from the file, then from the codes verify keeps (these
	 * short streams are kept whole) */
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			CHECK(positions_verify(p, NULL) == 0, "whole streams torn");
		for (size_t i = 0; i < NROWS(rows); i++) {
			parse(&q, rows[i].raw);
			for (int d = 0; d < 3; d++)
				CHECK(positions_check(p, docs[d], &q) == rows[i].want[d],
				    "pass %d row %zu (%s), doc %d: %d, want %d", pass, i,
				    rows[i].name, d, positions_check(p, docs[d], &q),
				    rows[i].want[d]);
		}
	}
	/* Another version of d0: the file does not know it. */
	edited = make("d0", "Elections", "no such phrase now");
	parse(&q, "%22leader+election%22");
	CHECK(positions_check(p, edited, &q) == -1, "an unknown version: %d",
	    positions_check(p, edited, &q));
	CHECK(positions_missing(p, &edited, 1) == 1, "the edit is not missing");
	/* Written again from its own streams, with the edit read anew. */
	article_unref(docs[0]);
	docs[0] = edited;
	assert_int_equal(positions_write(dir, "en", docs, 3, p, NULL, &err),
	    XP_OK);
	again = positions_open(dir, "en");
	assert_non_null(again);
	CHECK(positions_check(again, edited, &q) == 0, "the edit: %d",
	    positions_check(again, edited, &q));
	parse(&q, "%22election+leader%22");
	CHECK(positions_check(again, docs[1], &q) == 1, "an unchanged stream"
	    " copied: %d", positions_check(again, docs[1], &q));
	/* The other language's file is not this one's. */
	CHECK(positions_open(dir, "fr") == NULL, "a French site read it");
	/* A torn stream is unknown, not a wrong answer. */
	flip(dir, 3, false);
	parse(&q, "%22raft+notes%22");
	CHECK(positions_check(again, docs[2], &q) == -1, "a torn stream: %d",
	    positions_check(again, docs[2], &q));
	/* A torn table or header: the file is ignored. */
	flip(dir, 60, true);
	CHECK(positions_open(dir, "en") == NULL, "a torn table was read");
	flip(dir, 0, true);
	CHECK(positions_open(dir, "en") == NULL, "a foreign file was read");
	positions_free(p);
	positions_free(again);
	positions_free(NULL);
	for (int d = 0; d < 3; d++)
		article_unref(docs[d]);
	unit_rmtree(dir);
	free(dir);
	CHECK_DONE();
}

/* A body of N filler words ("wN"), then TAIL. */
static void
filler(char *out, size_t size, int n, const char *tail)
{
	size_t at = 0;

	for (int i = 0; i < n && at < size; i++)
		at += (size_t)snprintf(out + at, size - at, "w%d ", i);
	snprintf(out + at, size - at, "%s", tail);
}

/* Long streams: a phrase in the title is found from the first codes of a
 * checked stream, one far into the body from the whole stream; documents
 * found by the postings' numbers (positions_bind) answer as the articles
 * do; positions_verify counts a stream torn after the file was opened,
 * which is never trusted afterwards. */
static void
test_long_streams(void **state)
{
	static const struct {
		const char *name, *raw;
		int want[2];      /* docs 0 and 1 */
	} rows[] = {
		{ "a title's phrase", "%22field+guide%22", { 1, 0 } },
		{ "deep in the body", "%22quorum+lease%22", { 0, 1 } },
		{ "across the head's end", "%22w53+w54%22", { 1, 1 } },
		{ "near the end", "%22w298+w299%22", { 1, 1 } },
		{ "not adjacent", "%22w10+w12%22", { 0, 0 } },
		{ "reversed", "%22lease+quorum%22", { 0, 0 } },
		{ "two phrases, one deep", "%22field+guide%22+%22quorum+lease%22",
		    { 0, 0 } },
	};
	char body[4096];
	struct article *docs[2], *other;
	struct positions *p;
	struct xp_error err;
	char *dir = unit_tempdir();
	struct query q;

	(void)state;
	filler(body, sizeof(body), 300, "end");
	docs[0] = make("long0", "A Field Guide to Raft", body);
	filler(body, sizeof(body), 300, "a quorum lease");
	docs[1] = make("long1", "Raft", body);
	other = make("long2", "A Field Guide to Paxos", "short");
	assert_int_equal(positions_write(dir, "en", docs, 2, NULL, NULL, &err),
	    XP_OK);
	p = positions_open(dir, "en");
	assert_non_null(p);
	/* rows twice: streams unread (checked as read), then checked */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < NROWS(rows); i++) {
			parse(&q, rows[i].raw);
			for (int d = 0; d < 2; d++)
				CHECK(positions_check(p, docs[d], &q) == rows[i].want[d],
				    "pass %d row %zu (%s), doc %d: %d, want %d", pass, i,
				    rows[i].name, d, positions_check(p, docs[d], &q),
				    rows[i].want[d]);
		}
	CHECK(positions_verify(p, NULL) == 0, "whole streams counted torn");
	/* numbered as postings number them: doc 0 is docs[1], doc 1 docs[0] */
	{
		struct article *order[2] = { docs[1], docs[0] };

		assert_true(positions_bind(p, order, 2));
		for (size_t i = 0; i < NROWS(rows); i++) {
			parse(&q, rows[i].raw);
			for (uint32_t d = 0; d < 2; d++)
				CHECK(positions_check_doc(p, d, order[d], &q) ==
				    rows[i].want[d == 0 ? 1 : 0],
				    "bound row %zu (%s), doc %u", i, rows[i].name, d);
		}
	}
	parse(&q, "%22field+guide%22");
	/* a number that is not this article's, or none: looked up */
	CHECK(positions_check_doc(p, 0, docs[0], &q) == 1, "a wrong number");
	CHECK(positions_check_doc(p, UINT32_MAX, docs[0], &q) == 1, "no number");
	CHECK(positions_check_doc(p, 1, other, &q) == -1, "an article the file lacks");
	positions_free(p);
	/* torn after opening, before any read: verify counts it, and it is
	 * unknown from then on */
	p = positions_open(dir, "en");
	assert_non_null(p);
	flip(dir, 100, false);
	CHECK(positions_verify(p, NULL) == 1, "the torn stream was not counted");
	parse(&q, "%22w298+w299%22");
	CHECK(positions_check(p, docs[1], &q) == -1, "a torn stream answered %d",
	    positions_check(p, docs[1], &q));
	CHECK(positions_check(p, docs[0], &q) == 1, "the whole stream: %d",
	    positions_check(p, docs[0], &q));
	positions_free(p);
	for (int d = 0; d < 2; d++)
		article_unref(docs[d]);
	article_unref(other);
	unit_rmtree(dir);
	free(dir);
	CHECK_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_phrases),
		cmocka_unit_test(test_long_streams),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
