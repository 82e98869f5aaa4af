/* test-strmap.c - put/get/remove/overwrite, growth to 10,000 keys,
 * tombstones, iteration. */
#include "unit.h"

#include "strmap.h"

enum op { PUT, GET, DEL };

/* One map, driven by a script of operations and their expected results. */
static void
test_script(void **state)
{
	static int v1, v2, v3;
	static const struct {
		enum op op;
		const char *key;
		void *value;     /* PUT: the value; GET/DEL: the expected result */
		size_t count;    /* count after the step */
	} rows[] = {
		{ GET, "a", NULL, 0 },
		{ DEL, "a", NULL, 0 },
		{ PUT, "a", &v1, 1 },
		{ GET, "a", &v1, 1 },
		{ GET, "b", NULL, 1 },
		{ GET, "", NULL, 1 },
		{ PUT, "b", &v2, 2 },
		{ PUT, "a", &v3, 2 },        /* overwrite: count stays */
		{ GET, "a", &v3, 2 },
		{ GET, "b", &v2, 2 },
		{ PUT, "", &v1, 3 },         /* the empty string is a key */
		{ GET, "", &v1, 3 },
		{ DEL, "a", &v3, 2 },
		{ GET, "a", NULL, 2 },
		{ DEL, "a", NULL, 2 },       /* twice */
		{ GET, "b", &v2, 2 },
		{ PUT, "a", &v1, 3 },        /* back after removal */
		{ GET, "a", &v1, 3 },
		{ PUT, "c", NULL, 4 },       /* a NULL value is stored */
		{ DEL, "c", NULL, 3 },
		{ GET, "A", NULL, 3 },       /* case matters */
	};
	struct strmap m = STRMAP_INIT;

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		void *got;

		switch (rows[i].op) {
		case PUT:
			CHECK(strmap_put(&m, rows[i].key, rows[i].value),
			    "row %zu: put \"%s\" failed", i, rows[i].key);
			break;
		case GET:
			got = strmap_get(&m, rows[i].key);
			CHECK(got == rows[i].value, "row %zu: get \"%s\" = %p, want %p", i,
			    rows[i].key, got, rows[i].value);
			break;
		case DEL:
			got = strmap_remove(&m, rows[i].key);
			CHECK(got == rows[i].value, "row %zu: remove \"%s\" = %p, want %p", i,
			    rows[i].key, got, rows[i].value);
			break;
		}
		CHECK(m.count == rows[i].count, "row %zu (%s): count %zu, want %zu", i,
		    rows[i].key, m.count, rows[i].count);
	}
	strmap_release(&m);
	CHECK(m.cap == 0 && m.count == 0 && m.keys == NULL,
	    "release leaves an empty map");
	/* a released map can be used again */
	CHECK(strmap_get(&m, "a") == NULL, "get after release");
	CHECK(strmap_put(&m, "z", &v1) && strmap_get(&m, "z") == &v1, "reuse");
	strmap_release(&m);
	CHECK_DONE();
}

/* Keys are compared by content, not by pointer. */
static void
test_key_content(void **state)
{
	struct strmap m = STRMAP_INIT;
	char k1[8] = "slug", k2[8] = "slug";
	int v;

	(void)state;
	assert_true(strmap_put(&m, k1, &v));
	assert_ptr_equal(strmap_get(&m, k2), &v);
	assert_true(strmap_put(&m, k2, NULL));
	assert_int_equal(m.count, 1);
	assert_ptr_equal(strmap_remove(&m, "slug"), NULL);
	assert_int_equal(m.count, 0);
	strmap_release(&m);
}

#define NKEYS 10000

static char keys[NKEYS][16];

static void
make_keys(void)
{
	for (int i = 0; i < NKEYS; i++)
		snprintf(keys[i], sizeof(keys[i]), "key-%d", i);
}

static void
test_grow(void **state)
{
	struct strmap m = STRMAP_INIT;

	(void)state;
	make_keys();
	for (int i = 0; i < NKEYS; i++) {
		CHECK(strmap_put(&m, keys[i], keys[i]), "put %s", keys[i]);
		/* the table stays a power of two with free room */
		CHECK((m.cap & (m.cap - 1)) == 0 && m.used < m.cap,
		    "after %s: cap %zu used %zu", keys[i], m.cap, m.used);
	}
	CHECK(m.count == NKEYS, "count %zu", m.count);
	for (int i = 0; i < NKEYS; i++)
		CHECK(strmap_get(&m, keys[i]) == keys[i], "get %s", keys[i]);
	CHECK(strmap_get(&m, "key-10000") == NULL, "absent key-10000");
	CHECK(strmap_get(&m, "key-") == NULL, "absent key-");
	/* overwrite all: count unchanged */
	for (int i = 0; i < NKEYS; i++)
		strmap_put(&m, keys[i], keys[NKEYS - 1 - i]);
	CHECK(m.count == NKEYS, "count after overwrite %zu", m.count);
	for (int i = 0; i < NKEYS; i++)
		CHECK(strmap_get(&m, keys[i]) == keys[NKEYS - 1 - i], "overwritten %s", keys[i]);
	strmap_release(&m);
	CHECK_DONE();
}

/* Removing leaves tombstones that must not hide keys probed past them;
 * reinserting reuses the map correctly. */
static void
test_tombstones(void **state)
{
	struct strmap m = STRMAP_INIT;

	(void)state;
	make_keys();
	for (int i = 0; i < NKEYS; i++)
		assert_true(strmap_put(&m, keys[i], keys[i]));
	for (int i = 0; i < NKEYS; i += 2)
		CHECK(strmap_remove(&m, keys[i]) == keys[i], "remove %s", keys[i]);
	CHECK(m.count == NKEYS / 2, "count %zu after removing half", m.count);
	for (int i = 0; i < NKEYS; i++)
		CHECK(strmap_get(&m, keys[i]) == (i % 2 ? keys[i] : NULL),
		    "after removing evens: get %s", keys[i]);
	/* reinsert the evens with new values */
	for (int i = 0; i < NKEYS; i += 2)
		assert_true(strmap_put(&m, keys[i], &m));
	CHECK(m.count == NKEYS, "count %zu after reinserting", m.count);
	for (int i = 0; i < NKEYS; i++)
		CHECK(strmap_get(&m, keys[i]) == (i % 2 ? (void *)keys[i] : (void *)&m),
		    "after reinsert: get %s", keys[i]);
	/* remove everything, then all again */
	for (int i = 0; i < NKEYS; i++)
		CHECK(strmap_remove(&m, keys[i]) != NULL, "remove all: %s", keys[i]);
	CHECK(m.count == 0, "count %zu after removing all", m.count);
	for (int i = 0; i < NKEYS; i++)
		CHECK(strmap_get(&m, keys[i]) == NULL, "empty: get %s", keys[i]);
	for (int i = 0; i < NKEYS; i++)
		assert_true(strmap_put(&m, keys[i], keys[i]));
	CHECK(m.count == NKEYS, "count %zu after the second fill", m.count);
	for (int i = 0; i < NKEYS; i++)
		CHECK(strmap_get(&m, keys[i]) == keys[i], "refilled: get %s", keys[i]);
	strmap_release(&m);
	CHECK_DONE();
}

/* A map that only ever holds a few keys at a time (a folder whose files
 * are renamed, again and again) must not grow without bound: tombstones
 * are cleared when the table is rebuilt instead of doubling it. */
static void
test_churn_bounded(void **state)
{
	struct strmap m = STRMAP_INIT;
	static char churn[100000][16];
	size_t cap, used;

	(void)state;
	for (int i = 0; i < 100000; i++) {
		snprintf(churn[i], sizeof(churn[i]), "c%d", i);
		assert_true(strmap_put(&m, churn[i], churn[i]));
		if (i >= 4)
			assert_ptr_equal(strmap_remove(&m, churn[i - 4]), churn[i - 4]);
	}
	assert_int_equal(m.count, 4);
	for (int i = 99996; i < 100000; i++)
		assert_ptr_equal(strmap_get(&m, churn[i]), churn[i]);
	cap = m.cap;
	used = m.used;
	strmap_release(&m);
	if (cap > 1024)
		fail_msg("4 live keys after 100000 put/remove pairs, but the table "
		    "has %zu slots (used %zu)", cap, used);
}

static void
test_iteration(void **state)
{
	static const struct { int fill, removed; } rows[] = {
		{ 0, 0 }, { 1, 0 }, { 1, 1 }, { 13, 0 }, { 13, 5 }, { 500, 100 },
		{ NKEYS, 0 }, { NKEYS, NKEYS - 1 },
	};
	static unsigned char seen[NKEYS];

	(void)state;
	make_keys();
	for (size_t r = 0; r < NROWS(rows); r++) {
		struct strmap m = STRMAP_INIT;
		const char *k;
		void *v;
		size_t visits = 0;

		for (int i = 0; i < rows[r].fill; i++)
			assert_true(strmap_put(&m, keys[i], keys[i]));
		/* remove every key whose index is below REMOVED */
		for (int i = 0; i < rows[r].removed; i++)
			assert_non_null(strmap_remove(&m, keys[i]));
		memset(seen, 0, sizeof(seen));
		for (size_t pos = 0; strmap_next(&m, &pos, &k, &v);) {
			int idx = atoi(k + 4);

			visits++;
			CHECK(v == keys[idx] && k == keys[idx],
			    "row %zu: %s paired with the wrong value", r, k);
			CHECK(idx >= rows[r].removed, "row %zu: removed %s visited", r, k);
			seen[idx]++;
		}
		CHECK(visits == (size_t)(rows[r].fill - rows[r].removed),
		    "row %zu (fill %d, removed %d): %zu visits", r, rows[r].fill,
		    rows[r].removed, visits);
		for (int i = rows[r].removed; i < rows[r].fill; i++)
			CHECK(seen[i] == 1, "row %zu: %s visited %d times", r, keys[i], seen[i]);
		strmap_release(&m);
	}
	CHECK_DONE();
}

/* Removing the key just visited (as folder_scan does) keeps the walk
 * going: every key is still visited exactly once. */
static void
test_remove_while_iterating(void **state)
{
	static unsigned char seen[NKEYS];
	struct strmap m = STRMAP_INIT;
	const char *k;
	void *v;

	(void)state;
	make_keys();
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < 3000; i++)
		assert_true(strmap_put(&m, keys[i], keys[i]));
	for (size_t pos = 0; strmap_next(&m, &pos, &k, &v);) {
		int idx = atoi(k + 4);

		seen[idx]++;
		if (idx % 3 != 0)
			CHECK(strmap_remove(&m, k) == keys[idx], "remove %s", k);
	}
	for (int i = 0; i < 3000; i++)
		CHECK(seen[i] == 1, "%s visited %d times", keys[i], seen[i]);
	CHECK(m.count == 1000, "count %zu, want 1000", m.count);
	for (int i = 0; i < 3000; i++)
		CHECK((strmap_get(&m, keys[i]) != NULL) == (i % 3 == 0), "after: %s", keys[i]);
	strmap_release(&m);
	CHECK_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_script),
		cmocka_unit_test(test_key_content),
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_tombstones),
		cmocka_unit_test(test_churn_bounded),
		cmocka_unit_test(test_iteration),
		cmocka_unit_test(test_remove_while_iterating),
	};

	return cmocka_run_group_tests_name("strmap", tests, NULL, NULL);
}
