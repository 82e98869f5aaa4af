/* test-index.c - snapshots: listing order, drafts, future articles,
 * index_listed, index_next_due, index_find. */
#include "unit.h"

#include <libxml/parser.h>

#include "index.h"

/* Parses an article SLUG published at PUBLISHED (either date form). */
static struct article *
make(const char *slug, const char *published, bool draft)
{
	char xml[1024];
	struct article *a = NULL;
	struct xp_error err;

	snprintf(xml, sizeof(xml),
	    "<article><title>Title of %s</title><summary>S</summary>"
	    "<published>%s</published>%s<body><p>x</p></body></article>",
	    slug, published, draft ? "<draft/>" : "");
	if (article_parse(slug, slug, xml, strlen(xml), &a, &err) != XP_OK)
		fail_msg("fixture %s: %s", slug, err.reason);
	return a;
}

/* "slug,slug,..." of idx->articles[from..to). */
static void
order_of(const struct index *idx, size_t from, size_t to, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = from; i < to && i < idx->count; i++)
		n += (size_t)snprintf(out + n, n < size ? size - n : 0, "%s%s",
		    i > from ? "," : "", idx->articles[i]->slug);
}

struct spec {
	const char *slug, *published;
	bool draft;
};

#define MAXA 8

static const struct {
	const char *name;
	struct spec a[MAXA];
	const char *order;
} order_rows[] = {
	{ "newest first",
	  { { "old", "2026-01-01", false }, { "new", "2026-03-01", false },
	    { "mid", "2026-02-01", false } },
	  "new,mid,old" },
	{ "same day: slug A to Z",
	  { { "charlie", "2026-03-14", false }, { "alpha", "2026-03-14", false },
	    { "bravo", "2026-03-14", false } },
	  "alpha,bravo,charlie" },
	{ "same instant in different offsets: slug order",
	  { { "zed", "2026-03-14T09:30:00+01:00", false },
	    { "abe", "2026-03-14T08:30:00Z", false } },
	  "abe,zed" },
	{ "time of day counts",
	  { { "morning", "2026-03-14T08:00:00Z", false },
	    { "evening", "2026-03-14T20:00:00Z", false },
	    { "date-only", "2026-03-14", false } },
	  "evening,morning,date-only" },
	{ "offset moves the instant",
	  { { "tokyo", "2026-03-14T08:00:00+09:00", false },  /* 23:00Z the 13th */
	    { "plain", "2026-03-14", false } },
	  "plain,tokyo" },
	{ "drafts left out",
	  { { "a", "2026-01-01", false }, { "b", "2026-01-02", true },
	    { "c", "2026-01-03", false }, { "d", "2026-01-04", true } },
	  "c,a" },
	{ "only drafts",
	  { { "a", "2026-01-01", true } },
	  "" },
	{ "slug order is byte order",
	  { { "a-b", "2026-01-01", false }, { "a1", "2026-01-01", false },
	    { "ab", "2026-01-01", false }, { "a", "2026-01-01", false } },
	  "a,a-b,a1,ab" },
};

static void
test_order(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS(order_rows); i++) {
		struct article *list[MAXA];
		struct index *idx;
		size_t n = 0;
		char got[512];

		for (; n < MAXA && order_rows[i].a[n].slug; n++)
			list[n] = make(order_rows[i].a[n].slug,
			    order_rows[i].a[n].published, order_rows[i].a[n].draft);
		idx = index_new(list, n, 7);
		assert_non_null(idx);
		order_of(idx, 0, idx->count, got, sizeof(got));
		CHECK(strcmp(got, order_rows[i].order) == 0,
		    "row %zu (%s): order \"%s\", want \"%s\"", i,
		    order_rows[i].name, got, order_rows[i].order);
		CHECK(idx->generation == 7, "row %zu: generation %lu", i,
		    idx->generation);
		CHECK(idx->by_slug.count == idx->count, "row %zu: map has %zu, list %zu",
		    i, idx->by_slug.count, idx->count);
		/* the index holds its own references */
		for (size_t k = 0; k < n; k++) {
			int want = list[k]->draft ? 1 : 2;

			CHECK(atomic_load(&list[k]->refs) == want,
			    "row %zu (%s): %s has %d refs, want %d", i,
			    order_rows[i].name, list[k]->slug,
			    atomic_load(&list[k]->refs), want);
		}
		for (size_t k = 0; k < n; k++)
			article_unref(list[k]);
		/* ... so they outlive the caller's */
		for (size_t k = 0; k < idx->count; k++)
			CHECK(idx->articles[k]->title != NULL &&
			    strncmp(idx->articles[k]->title, "Title of ", 9) == 0,
			    "row %zu: article %zu freed too early", i, k);
		index_unref(idx);
	}
	CHECK_DONE();
}

static void
test_compare(void **state)
{
	struct article *a = make("a", "2026-03-14", false);
	struct article *b = make("b", "2026-03-14", false);
	struct article *c = make("c", "2026-03-15", false);

	(void)state;
	assert_true(index_compare(a, b) < 0);
	assert_true(index_compare(b, a) > 0);
	assert_int_equal(index_compare(a, a), 0);
	assert_true(index_compare(c, a) < 0);
	assert_true(index_compare(a, c) > 0);
	article_unref(a);
	article_unref(b);
	article_unref(c);
}

/* A fixed set around NOW = 2026-03-14T12:00:00Z (1773489600). */
#define NOW 1773489600
#define DAY 86400

static struct index *
time_fixture(void)
{
	struct article *list[] = {
		make("past-1", "2026-03-01", false),
		make("past-2", "2026-03-10", false),
		make("past-3", "2026-03-12", false),
		make("right-now", "2026-03-14T12:00:00Z", false),
		make("in-an-hour", "2026-03-14T13:00:00Z", false),
		make("tomorrow", "2026-03-15", false),
		make("next-year", "2027-01-01", false),
		make("draft-past", "2026-01-01", true),
	};
	struct index *idx = index_new(list, NROWS(list), 1);

	for (size_t i = 0; i < NROWS(list); i++)
		article_unref(list[i]);
	return idx;
}

static void
test_future(void **state)
{
	static const struct {
		time_t now;
		size_t first, count;
		const char *listed;   /* the listed slugs in order */
		time_t next_due;
	} rows[] = {
		{ NOW, 3, 4, "right-now,past-3,past-2,past-1", NOW + 3600 },
		{ NOW - 1, 4, 3, "past-3,past-2,past-1", NOW },
		{ NOW + 3599, 3, 4, "right-now,past-3,past-2,past-1", NOW + 3600 },
		{ NOW + 3600, 2, 5, "in-an-hour,right-now,past-3,past-2,past-1", 1773532800 },
		{ 1773532800, 1, 6, "tomorrow,in-an-hour,right-now,past-3,past-2,past-1", 1798761600 },
		{ 1798761600, 0, 7, "next-year,tomorrow,in-an-hour,right-now,past-3,past-2,past-1", 0 },
		{ 0, 7, 0, "", 1772323200 },
	};
	struct index *idx = time_fixture();

	(void)state;
	assert_non_null(idx);
	assert_int_equal(idx->count, 7);   /* the draft is left out */
	for (size_t i = 0; i < NROWS(rows); i++) {
		size_t first = 999, count;
		time_t due;
		char got[512];

		count = index_listed(idx, rows[i].now, &first);
		CHECK(count == rows[i].count && first == rows[i].first,
		    "row %zu (now %lld): listed %zu from %zu, want %zu from %zu", i,
		    (long long)rows[i].now, count, first, rows[i].count, rows[i].first);
		order_of(idx, first, first + count, got, sizeof(got));
		CHECK(strcmp(got, rows[i].listed) == 0,
		    "row %zu (now %lld): listed \"%s\", want \"%s\"", i,
		    (long long)rows[i].now, got, rows[i].listed);
		due = index_next_due(idx, rows[i].now);
		CHECK(due == rows[i].next_due, "row %zu (now %lld): next due %lld, want %lld",
		    i, (long long)rows[i].now, (long long)due,
		    (long long)rows[i].next_due);
	}
	index_unref(idx);
	CHECK_DONE();
}

static void
test_find(void **state)
{
	static const struct {
		const char *slug;
		time_t now;
		bool found;
	} rows[] = {
		{ "past-1", NOW, true },
		{ "right-now", NOW, true },
		{ "right-now", NOW - 1, false },
		{ "in-an-hour", NOW, false },
		{ "in-an-hour", NOW + 3599, false },
		{ "in-an-hour", NOW + 3600, true },
		{ "tomorrow", NOW, false },
		{ "tomorrow", 1773532800, true },
		{ "next-year", NOW, false },
		{ "draft-past", NOW, false },
		{ "draft-past", NOW + 1000 * DAY, false },
		{ "nope", NOW, false },
		{ "", NOW, false },
		{ "PAST-1", NOW, false },
		{ "past-", NOW, false },
	};
	struct index *idx = time_fixture();

	(void)state;
	assert_non_null(idx);
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct article *a = index_find(idx, rows[i].slug, rows[i].now);

		CHECK((a != NULL) == rows[i].found, "row %zu (%s at %lld): %s, want %s",
		    i, rows[i].slug, (long long)rows[i].now, a ? "found" : "not found",
		    rows[i].found ? "found" : "not found");
		if (a != NULL)
			CHECK(strcmp(a->slug, rows[i].slug) == 0,
			    "row %zu: found \"%s\" for \"%s\"", i, a->slug, rows[i].slug);
	}
	index_unref(idx);
	CHECK_DONE();
}

static void
test_empty_and_refs(void **state)
{
	struct index *idx = index_new(NULL, 0, 3);
	size_t first = 99;

	(void)state;
	assert_non_null(idx);
	assert_int_equal(idx->count, 0);
	assert_int_equal(index_listed(idx, NOW, &first), 0);
	assert_int_equal(first, 0);
	assert_int_equal(index_next_due(idx, NOW), 0);
	assert_null(index_find(idx, "a", NOW));
	assert_ptr_equal(index_ref(idx), idx);
	assert_int_equal(atomic_load(&idx->refs), 2);
	index_unref(idx);
	assert_int_equal(atomic_load(&idx->refs), 1);
	index_unref(idx);
	index_unref(NULL);
}

/* Many articles, shuffled in: the order is total and stable. */
static void
test_many(void **state)
{
	enum { N = 300 };
	struct article *list[N];
	struct index *idx;
	char slug[32], date[32];

	(void)state;
	for (int i = 0; i < N; i++) {
		int k = (i * 7919) % N;   /* a permutation of 0..N-1 */

		snprintf(slug, sizeof(slug), "s%03d", k);
		snprintf(date, sizeof(date), "2026-%02d-%02d", 1 + (k / 10) % 12, 1 + k % 10);
		list[i] = make(slug, date, false);
	}
	idx = index_new(list, N, 1);
	assert_non_null(idx);
	assert_int_equal(idx->count, N);
	for (size_t i = 1; i < idx->count; i++)
		CHECK(index_compare(idx->articles[i - 1], idx->articles[i]) < 0,
		    "position %zu: %s before %s", i, idx->articles[i - 1]->slug,
		    idx->articles[i]->slug);
	for (int i = 0; i < N; i++) {
		CHECK(index_find(idx, list[i]->slug, NOW + 365 * DAY) == list[i],
		    "find %s", list[i]->slug);
		article_unref(list[i]);
	}
	index_unref(idx);
	CHECK_DONE();
}


/* Parses SLUG with tags TAGS ("a b c") and a date from DAY. */
static struct article *
make_tagged(const char *slug, int day, const char *tags, int version)
{
	char xml[2048], tagxml[512] = "", copy[256], *t, *save;
	struct article *a = NULL;
	struct xp_error err;

	snprintf(copy, sizeof(copy), "%s", tags);
	for (t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		strncat(tagxml, "<tag>", sizeof(tagxml) - strlen(tagxml) - 1);
		strncat(tagxml, t, sizeof(tagxml) - strlen(tagxml) - 1);
		strncat(tagxml, "</tag>", sizeof(tagxml) - strlen(tagxml) - 1);
	}
	snprintf(xml, sizeof(xml),
	    "<article><title>%s v%d</title><summary>S</summary>"
	    "<published>2026-01-%02d</published><tags>%s</tags>"
	    "<body><p>x</p></body></article>", slug, version, day, tagxml);
	if (article_parse(slug, slug, xml, strlen(xml), &a, &err) != XP_OK)
		fail_msg("fixture %s: %s", slug, err.reason);
	return a;
}

/* Everything a snapshot answers, as text: order, slugs, tag lists. */
static void
describe(const struct index *idx, char *out, size_t size)
{
	static const char *const tags[] = { "red", "green", "blue", "none" };
	size_t n;

	order_of(idx, 0, idx->count, out, size);
	n = strlen(out);
	for (size_t t = 0; t < 4; t++) {
		const struct tag_list *l = index_tag(idx, tags[t]);

		n += (size_t)snprintf(out + n, size - n, " |%s:", tags[t]);
		for (size_t i = 0; l && i < l->count; i++)
			n += (size_t)snprintf(out + n, size - n, "%s,", l->items[i]->slug);
	}
	for (size_t i = 0; i < idx->count; i++)
		if (index_find(idx, idx->articles[i]->slug, (time_t)4102444800) !=
		    idx->articles[i])
			n += (size_t)snprintf(out + n, size - n, " lost:%s",
			    idx->articles[i]->slug);
	n += (size_t)snprintf(out + n, size - n, " fp:%llx",
	    (unsigned long long)idx->fingerprint);
}

/* index_apply must give exactly what a rebuild gives, change after
 * change: edits, moves in the order, new and removed articles and tags. */
/* The change history Last-Modified is taken from: what changes the set
 * or order moves order_changed, any change moves changed, an article that
 * stays keeps its date and a new version dates from the change. */
static const struct {
	const char *name;
	const char *gone;                 /* slug of the base article that goes */
	struct spec added;                /* slug NULL: nothing added */
	bool changed, order_changed, b_new;
} history_rows[] = {
	{ "nothing", NULL, { NULL, NULL, false }, false, false, false },
	{ "edit in place", "b", { "b", "2026-01-02", false }, true, false, true },
	{ "deletion", "b", { NULL, NULL, false }, true, true, false },
	{ "new date", "b", { "b", "2026-01-05", false }, true, true, true },
	{ "made a draft", "b", { "b", "2026-01-02", true }, true, true, false },
	{ "addition", NULL, { "d", "2026-01-04", false }, true, true, false },
	{ "draft added", NULL, { "d", "2026-01-04", true }, false, false, false },
};

#define PAST ((time_t)1780000000)   /* 2026-05-28, after every fixture */

static void
test_history(void **state)
{
	(void)state;
	for (size_t r = 0; r < NROWS(history_rows); r++) {
		struct article *base[3] = { make("a", "2026-01-01", false),
		    make("b", "2026-01-02", false), make("c", "2026-01-03", false) };
		struct article *gone[1], *added[1], *b;
		struct index *old = index_new(base, 3, 1), *idx;
		size_t ngone = 0, nadded = 0;
		time_t before;

		assert_non_null(old);
		/* A past after the articles' dates, so that "now" is told
		 * apart from it, and an article's own date from its history. */
		old->changed = old->order_changed = PAST;
		for (size_t i = 0; i < old->count; i++)
			old->since[i] = PAST;
		if (history_rows[r].gone)
			gone[ngone++] = base[1];
		if (history_rows[r].added.slug)
			added[nadded++] = make(history_rows[r].added.slug,
			    history_rows[r].added.published, history_rows[r].added.draft);
		before = time(NULL);
		idx = index_apply(old, gone, ngone, added, nadded, 2);
		assert_non_null(idx);
		CHECK((idx->changed >= before) == history_rows[r].changed &&
		    (idx->changed == PAST) == !history_rows[r].changed,
		    "row %zu (%s): changed %lld", r, history_rows[r].name,
		    (long long)idx->changed);
		CHECK((idx->order_changed >= before) == history_rows[r].order_changed &&
		    (idx->order_changed == PAST) == !history_rows[r].order_changed,
		    "row %zu (%s): order_changed %lld", r, history_rows[r].name,
		    (long long)idx->order_changed);
		CHECK(index_since(idx, base[0]) == PAST,
		    "row %zu (%s): an untouched article's date moved to %lld", r,
		    history_rows[r].name, (long long)index_since(idx, base[0]));
		b = strmap_get(&idx->by_slug, "b");
		if (history_rows[r].b_new)
			CHECK(b != NULL && b != base[1] && index_since(idx, b) >= before,
			    "row %zu (%s): the new version is not dated now", r,
			    history_rows[r].name);
		index_unref(idx);
		index_unref(old);
		for (size_t i = 0; i < 3; i++)
			article_unref(base[i]);
		if (nadded)
			article_unref(added[0]);
	}
	CHECK_DONE();
}

static void
test_apply_matches_rebuild(void **state)
{
	static const char *const tagsets[] = { "red", "green", "red blue",
		"", "blue green", "red green blue" };
	struct article *live[12] = { 0 };
	struct index *prev = NULL;
	char want[8192], got[8192], slug[16];
	unsigned seed = 7;

	(void)state;
	for (int step = 0; step < 300; step++) {
		struct article *gone[2] = { 0 }, *added[2] = { 0 }, *list[12];
		size_t ngone = 0, nadded = 0, n = 0;
		int which = (int)((seed = seed * 1103515245 + 12345) >> 16) % 12;
		int action = (int)((seed = seed * 1103515245 + 12345) >> 16) % 3;
		struct index *full, *inc;

		snprintf(slug, sizeof(slug), "a%02d", which);
		if (live[which] != NULL) {
			gone[ngone++] = live[which];
		}
		if (action != 0 || live[which] == NULL) {
			int day = 1 + (int)((seed = seed * 1103515245 + 12345) >> 16) % 5;

			added[nadded++] = make_tagged(slug, day,
			    tagsets[(seed >> 16) % 6], step);
		}
		for (size_t k = 0; k < 12; k++)
			if ((int)k != which && live[k] != NULL)
				list[n++] = live[k];
		if (nadded)
			list[n++] = added[0];
		full = index_new(list, n, (unsigned long)step);
		inc = prev ? index_apply(prev, gone, ngone, added, nadded,
		    (unsigned long)step) : index_new(list, n, (unsigned long)step);
		assert_non_null(full);
		assert_non_null(inc);
		describe(full, want, sizeof(want));
		describe(inc, got, sizeof(got));
		if (strcmp(want, got) != 0)
			fail_msg("step %d: apply gave\n  %s\nrebuild gave\n  %s", step,
			    got, want);
		index_unref(full);
		index_unref(prev);
		prev = inc;
		article_unref(live[which]);
		live[which] = nadded ? added[0] : NULL;
	}
	index_unref(prev);
	for (size_t k = 0; k < 12; k++)
		article_unref(live[k]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_future),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_empty_and_refs),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_apply_matches_rebuild),
		cmocka_unit_test(test_history),
	};

	xmlInitParser();
	return cmocka_run_group_tests_name("index", tests, NULL, NULL);
}
