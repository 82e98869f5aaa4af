/* test-cache.c - the render cache: bounded by bytes and by count, shared
 * bodies, one render per missed page, failures remembered briefly. */
#include <pthread.h>
#include <time.h>

#include "unit.h"

#include "cache.h"

#define T0 1773480600

/* A body of LEN bytes of C, uncompressed; one reference for the caller. */
static struct page_body *
make_body(size_t len, char c)
{
	char *data = malloc(len + 1);

	assert_non_null(data);
	memset(data, c, len);
	data[len] = '\0';
	return page_body_adopt(data, len, false);
}

/* Lands a body for PATH as a renderer would; returns the renderer's
 * answer from cache_acquire. */
static enum cache_result
fill(struct cache *c, const char *path, uint64_t fp, size_t len)
{
	struct page_body *b = NULL;
	enum cache_result r = cache_acquire(c, path, fp, T0, &b);

	if (r == CACHE_RENDER) {
		b = make_body(len, 'x');
		cache_land(c, path, fp, b);
	}
	page_body_unref(b);
	return r;
}

static bool
cached(struct cache *c, const char *path, uint64_t fp, time_t now)
{
	struct page_body *b = NULL;
	enum cache_result r = cache_acquire(c, path, fp, now, &b);

	if (r == CACHE_RENDER)
		cache_land(c, path, fp, NULL);
	page_body_unref(b);
	return r == CACHE_HIT;
}

/* Rows: a cache of MAX_ENTRIES and MAX_BYTES filled with N pages of LEN
 * bytes ("/p0", "/p1", ...); afterwards the first KEPT_FROM pages are gone
 * and the rest are kept. */
static void
test_bounds(void **state)
{
	static const struct {
		const char *name;
		size_t max_entries, max_bytes, n, len, kept_from;
	} rows[] = {
		{ "everything fits", 1024, 1 << 20, 8, 1000, 0 },
		{ "bytes bound: 10 x 100 KB in 350 KB", 1024, 350 * 1024, 10, 100 * 1024, 7 },
		{ "count bound still honoured", 4, 64 << 20, 10, 100, 6 },
		{ "a page larger than the cache is not kept", 1024, 50 * 1024, 1, 100 * 1024, 1 },
		{ "off: no entries", 0, 1 << 20, 3, 10, 3 },
		{ "off: no bytes", 1024, 0, 3, 10, 3 },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct cache c;
		char path[32];

		cache_init(&c, rows[i].max_entries, rows[i].max_bytes);
		for (size_t k = 0; k < rows[i].n; k++) {
			snprintf(path, sizeof(path), "/p%zu", k);
			CHECK(fill(&c, path, 7, rows[i].len) == CACHE_RENDER,
			    "row %zu (%s): /p%zu hit before it was rendered", i,
			    rows[i].name, k);
		}
		CHECK(c.bytes <= rows[i].max_bytes,
		    "row %zu (%s): %zu bytes kept, cap %zu", i, rows[i].name,
		    c.bytes, rows[i].max_bytes);
		for (size_t k = 0; k < rows[i].n; k++) {
			bool want = k >= rows[i].kept_from;

			snprintf(path, sizeof(path), "/p%zu", k);
			CHECK(cached(&c, path, 7, T0) == want,
			    "row %zu (%s): /p%zu %s", i, rows[i].name, k,
			    want ? "was dropped" : "was kept");
		}
		cache_release(&c);
	}
	CHECK_DONE();
}

/* A hit is the very body that was landed, shared, not a copy; another
 * fingerprint misses; a remembered failure answers until it expires. */
static void
test_shared_and_failures(void **state)
{
	struct page_body *b = make_body(1000, 'a'), *got = NULL, *fail;
	struct cache c;

	(void)state;
	cache_init(&c, 16, 1 << 20);
	assert_int_equal(cache_acquire(&c, "/", 1, T0, &got), CACHE_RENDER);
	cache_land(&c, "/", 1, b);
	assert_int_equal(cache_acquire(&c, "/", 1, T0, &got), CACHE_HIT);
	CHECK(got == b, "a hit copied the body instead of sharing it");
	page_body_unref(got);
	CHECK(!cached(&c, "/", 2, T0), "another fingerprint hit");
	page_body_unref(b);

	fail = make_body(10, 'f');
	fail->status = 500;
	fail->expires = T0 + CACHE_FAILURE_SECONDS;
	assert_int_equal(cache_acquire(&c, "/bad", 9, T0, &got), CACHE_RENDER);
	cache_land(&c, "/bad", 9, fail);
	page_body_unref(fail);
	CHECK(cached(&c, "/bad", 9, T0 + 1),
	    "a failure was not remembered for the same inputs");
	CHECK(!cached(&c, "/bad", 9, T0 + CACHE_FAILURE_SECONDS),
	    "a failure was still answered after it expired");
	CHECK(!cached(&c, "/bad", 10, T0 + 1),
	    "a failure was answered for other inputs");
	cache_release(&c);
	CHECK_DONE();
}

#define CLIENTS 12

struct client {
	struct cache *cache;
	pthread_barrier_t *start;
	atomic_int *renders;
	struct page_body *got;
};

/* One request for "/feed.json": renders (slowly) when told to, else
 * takes what the cache hands out. */
static void *
client(void *arg)
{
	struct client *cl = arg;

	pthread_barrier_wait(cl->start);
	if (cache_acquire(cl->cache, "/feed.json", 42, T0, &cl->got) ==
	    CACHE_RENDER) {
		struct timespec pause = { 0, 200 * 1000 * 1000 };

		atomic_fetch_add(cl->renders, 1);
		nanosleep(&pause, NULL);
		cl->got = make_body(4096, 'j');
		cache_land(cl->cache, "/feed.json", 42, cl->got);
	}
	return NULL;
}

/* Twelve simultaneous misses of one page: one render, twelve answers of
 * the same body.  The rows: a page the cache keeps, and one too large to
 * keep, which only the waiters get. */
static void
test_single_flight(void **state)
{
	static const struct { const char *name; size_t max_bytes; } rows[] = {
		{ "kept", 1 << 20 },
		{ "too large to keep", 1024 },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct client clients[CLIENTS];
		pthread_t threads[CLIENTS];
		pthread_barrier_t start;
		atomic_int renders = 0;
		struct cache c;

		cache_init(&c, 16, rows[i].max_bytes);
		pthread_barrier_init(&start, NULL, CLIENTS);
		for (int k = 0; k < CLIENTS; k++) {
			clients[k] = (struct client){ &c, &start, &renders, NULL };
			assert_int_equal(pthread_create(&threads[k], NULL, client,
			    &clients[k]), 0);
		}
		for (int k = 0; k < CLIENTS; k++)
			pthread_join(threads[k], NULL);
		CHECK(atomic_load(&renders) == 1,
		    "row %zu (%s): %d renders for %d simultaneous misses", i,
		    rows[i].name, atomic_load(&renders), CLIENTS);
		for (int k = 0; k < CLIENTS; k++) {
			CHECK(clients[k].got != NULL && clients[k].got->len == 4096,
			    "row %zu (%s): client %d got no page", i, rows[i].name, k);
			page_body_unref(clients[k].got);
		}
		pthread_barrier_destroy(&start);
		cache_release(&c);
	}
	CHECK_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_shared_and_failures),
		cmocka_unit_test(test_single_flight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
