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
	flip(dir, 80, true);     /* the table: after the 73-byte header */
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
				CHECK(positions_check_doc(p, NULL, d, order[d], &q) ==
				    rows[i].want[d == 0 ? 1 : 0],
				    "bound row %zu (%s), doc %u", i, rows[i].name, d);
		}
	}
	parse(&q, "%22field+guide%22");
	/* a number that is not this article's, or none: looked up */
	CHECK(positions_check_doc(p, NULL, 0, docs[0], &q) == 1, "a wrong number");
	CHECK(positions_check_doc(p, NULL, UINT32_MAX, docs[0], &q) == 1, "no number");
	CHECK(positions_check_doc(p, NULL, 1, other, &q) == -1, "an article the file lacks");
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

/* Reads the u64 at AT of DIR/search. */
static uint64_t
header_u64(const char *dir, off_t at)
{
	char path[512];
	uint64_t v = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/search", dir);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &v, 8, at), 8);
	close(fd);
	return v;
}

/* Where the pair section of DIR/search starts, and its bytes: after the
 * 73-byte header (table bytes at 25, pair bytes at 57) and the table. */
static void
pair_section(const char *dir, long *at, long *len)
{
	*at = 73 + (long)header_u64(dir, 25);
	*len = (long)header_u64(dir, 57);
}

/* Tears every byte of DIR/search from AT to its end. */
static void
tear_from(const char *dir, long at)
{
	char path[512];
	unsigned char c;
	int fd;

	snprintf(path, sizeof(path), "%s/search", dir);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	while (pread(fd, &c, 1, at) == 1) {
		c ^= 0x5a;
		assert_int_equal(pwrite(fd, &c, 1, at), 1);
		at++;
	}
	close(fd);
}

/* The pairs of common words (CommonGrams): a phrase's pairs leave out,
 * without reading their streams, the articles that lack them, and the
 * streams still decide for the others (a pair list is a superset: three
 * words whose two pairs stand apart pass the pairs, not the stream).
 * Pairs never span two fields.  With every stream torn after opening,
 * an article the pairs leave out answers 0, one they allow -1 (its
 * stream is read and found torn).  A torn pair directory or an old
 * version makes the whole file untrusted; a torn pair list filters
 * nothing. */
static void
test_pairs(void **state)
{
	static const struct {
		const char *name, *raw;
		bool filtered;    /* positions_pairs_new gives a filter */
		int want[3];      /* docs 0, 1, 2, streams whole */
		int torn[3];      /* the same with every stream torn */
	} rows[] = {
		{ "a pair in one title and body", "%22leader+election%22", true,
		    { 1, 0, 0 }, { -1, 0, 0 } },
		{ "reversed", "%22election+leader%22", true,
		    { 0, 1, 0 }, { 0, -1, 0 } },
		{ "across a field gap", "%22notes+s%22", true,
		    { 0, 0, 0 }, { 0, 0, 0 } },
		{ "both pairs, apart: a superset", "%22quorum+lease+holds%22", true,
		    { 1, 0, 0 }, { -1, 0, -1 } },
		{ "a pair in no article", "%22lease+leader%22", true,
		    { 0, 0, 0 }, { 0, 0, 0 } },
		{ "a prefix: left to the streams", "%22quorum+leas*%22", false,
		    { 0, 0, 0 }, { -1, -1, -1 } },
		{ "no phrase", "leader", false, { 1, 1, 1 }, { -1, -1, -1 } },
	};
	struct article *docs[3];
	struct positions *p;
	struct positions_pairs *f;
	struct xp_error err;
	char *dir = unit_tempdir();
	struct query q;
	long at, len;

	(void)state;
	docs[0] = make("q0", "Leader Election", "the leader election ends; "
	    "a quorum lease holds");
	docs[1] = make("q1", "Votes", "an election leader, the quorum holds "
	    "a lease");
	docs[2] = make("q2", "Raft Notes", "a quorum lease, then the lease "
	    "holds");
	assert_int_equal(positions_write(dir, "en", docs, 3, NULL, NULL, &err),
	    XP_OK);
	pair_section(dir, &at, &len);
	CHECK(len > 8 + 8192, "no pair section: %ld bytes", len);
	/* whole, then every stream torn after opening */
	for (int pass = 0; pass < 2; pass++) {
		p = positions_open(dir, "en");
		assert_non_null(p);
		if (pass == 1)
			tear_from(dir, at + len);
		for (size_t i = 0; i < NROWS(rows); i++) {
			parse(&q, rows[i].raw);
			f = positions_pairs_new(p, &q);
			CHECK((f != NULL) == rows[i].filtered, "row %zu (%s): filter %p",
			    i, rows[i].name, (void *)f);
			for (uint32_t d = 0; d < 3; d++) {
				int want = pass ? rows[i].torn[d] : rows[i].want[d];
				int got = positions_check_doc(p, f, UINT32_MAX, docs[d], &q);

				CHECK(got == want, "pass %d row %zu (%s), doc %u: %d, want %d",
				    pass, i, rows[i].name, d, got, want);
			}
			positions_pairs_free(f);
		}
		positions_free(p);
		if (pass == 0)
			continue;
		/* written again: the torn streams are read from the text */
		assert_int_equal(positions_write(dir, "en", docs, 3, NULL, NULL,
		    &err), XP_OK);
	}
	/* A torn list, or a torn block of the directory (one block for
	 * these few pairs, after the 16-byte head, the common codes and the
	 * block's key and checksum): those pairs filter nothing, the
	 * streams decide.  (A pair below the first block's key, kept in
	 * memory, is known absent without the block.) */
	pair_section(dir, &at, &len);
	{
		const long torn[2] = { at + len - 1, at + 16 + 8192 + 8 + 5 };

		for (int t = 0; t < 2; t++) {
			flip(dir, torn[t], true);
			p = positions_open(dir, "en");
			assert_non_null(p);
			for (size_t i = 0; i < NROWS(rows); i++) {
				parse(&q, rows[i].raw);
				f = positions_pairs_new(p, &q);
				CHECK(t == 0 || i != 0 || f == NULL,
				    "tear %d, row %zu (%s) filtered", t, i, rows[i].name);
				for (uint32_t d = 0; d < 3; d++)
					CHECK(positions_check_doc(p, f, UINT32_MAX, docs[d], &q) ==
					    rows[i].want[d], "tear %d, row %zu (%s), doc %u", t, i,
					    rows[i].name, d);
				positions_pairs_free(f);
			}
			positions_free(p);
			flip(dir, torn[t], true);
		}
	}
	/* A torn head or common codes, or an old version: not read. */
	flip(dir, at + 8 + 100, true);
	CHECK(positions_open(dir, "en") == NULL, "a torn pair directory was read");
	flip(dir, at + 8 + 100, true);
	p = positions_open(dir, "en");
	CHECK(p != NULL, "the mended file was not read");
	positions_free(p);
	flip(dir, at + 2, true);
	CHECK(positions_open(dir, "en") == NULL, "a torn pair count was read");
	flip(dir, at + 2, true);
	flip(dir, 57, true);
	CHECK(positions_open(dir, "en") == NULL, "a torn pair length was read");
	flip(dir, 57, true);
	flip(dir, 17, true);
	CHECK(positions_open(dir, "en") == NULL, "another version was read");
	for (int d = 0; d < 3; d++)
		article_unref(docs[d]);
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
		cmocka_unit_test(test_pairs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
