/* test-article-open.c - how article.c opens files others control: an
 * article reached through a folder link swapped in a tight loop, and the
 * kept copy of a version in cache_dir/bodies replaced by a FIFO, a link,
 * other bytes or a folder. */
#include "unit.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>

#include <libxml/parser.h>

#include "article.h"
#include "metacache.h"

#define INSIDE "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<article>" \
	"<title>Inside</title><summary>S.</summary><published>2026-01-01" \
	"</published><body><p>inside</p></body></article>\n"
#define OUTSIDE "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<article>" \
	"<title>Outside</title><summary>S.</summary><published>2026-01-01" \
	"</published><body><p>outside</p></body></article>\n"

struct swapper {
	char cur[4096], alt[4096];
	atomic_bool stop;
	unsigned long swaps;
};

/* Exchanges the two links until told to stop: one system call a swap,
 * as fast as a deploy script could ever re-point a release. */
static void *
swap_links(void *arg)
{
	struct swapper *s = arg;

	while (!atomic_load(&s->stop)) {
		if (syscall(SYS_renameat2, AT_FDCWD, s->cur, AT_FDCWD, s->alt,
		    RENAME_EXCHANGE) != 0)
			break;
		s->swaps++;
	}
	return NULL;
}

/* articles/race.xml -> current/race.xml, with current swapped between a
 * folder inside and one outside: the outside article never loads. */
static void
test_swapped_folder_link(void **state)
{
	char *root = unit_tempdir(), dir[4096], out[4096], path[4096];
	unsigned long inside = 0, refused = 0;
	time_t deadline = time(NULL) + 3;
	struct swapper s;
	pthread_t t;

	(void)state;
	unit_path(dir, sizeof(dir), root, "articles");
	unit_path(out, sizeof(out), root, "elsewhere");
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(mkdir(out, 0755), 0);
	unit_path(path, sizeof(path), dir, "releases-in");
	assert_int_equal(mkdir(path, 0755), 0);
	assert_true(unit_write(path, "race.xml", INSIDE, (size_t)-1));
	assert_true(unit_write(out, "race.xml", OUTSIDE, (size_t)-1));
	memset(&s, 0, sizeof(s));
	unit_path(s.cur, sizeof(s.cur), dir, "current");
	unit_path(s.alt, sizeof(s.alt), dir, "current.alt");
	assert_int_equal(symlink("releases-in", s.cur), 0);
	assert_int_equal(symlink(out, s.alt), 0);
	unit_path(path, sizeof(path), dir, "race.xml");
	assert_int_equal(symlink("current/race.xml", path), 0);
	assert_int_equal(pthread_create(&t, NULL, swap_links, &s), 0);
	/* Two seconds of loads: the old check-then-open lost about one
	 * in three thousand. */
	for (int i = 0; time(NULL) < deadline; i++) {
		struct article *a = NULL;
		struct xp_error err;

		if (article_load(dir, "race.xml", 65536, &a, NULL, &err) != XP_OK) {
			refused++;
			continue;
		}
		CHECK(strcmp(a->title, "Inside") == 0,
		    "load %d: the article outside the folder was read", i);
		inside += strcmp(a->title, "Inside") == 0;
		article_unref(a);
	}
	atomic_store(&s.stop, true);
	pthread_join(t, NULL);
	CHECK(s.swaps > 1000, "only %lu swaps: the race was not run", s.swaps);
	CHECK(inside > 0 && refused > 0, "%lu loaded, %lu refused: the race "
	    "was not run", inside, refused);
	unit_rmtree(root);
	free(root);
	CHECK_DONE();
}

static void
write_path(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

enum kept_kind { KEPT_INTACT, KEPT_FIFO, KEPT_LINK, KEPT_OTHER_BYTES,
	KEPT_LONGER, KEPT_FOLDER, KEPT_MISSING };

/* The page of a version whose file has changed reads the kept copy; each
 * way someone could have replaced that copy is refused, at once. */
static void
test_kept_copy(void **state)
{
	static const struct {
		const char *what;
		enum kept_kind kind;
		bool origin_changed;
		bool ok;
	} rows[] = {
		{ "file unchanged: read from it", KEPT_MISSING, false, true },
		{ "kept copy intact", KEPT_INTACT, true, true },
		{ "kept copy a FIFO", KEPT_FIFO, true, false },
		{ "kept copy a link to the same bytes", KEPT_LINK, true, false },
		{ "kept copy other bytes, same size", KEPT_OTHER_BYTES, true, false },
		{ "kept copy longer than the version", KEPT_LONGER, true, false },
		{ "kept copy a folder", KEPT_FOLDER, true, false },
		{ "kept copy gone", KEPT_MISSING, true, false },
	};
	char *dir = unit_tempdir(), *cache = unit_tempdir();

	(void)state;
	alarm(20);      /* a FIFO opened for reading would block forever */
	for (size_t i = 0; i < NROWS(rows); i++) {
		char kept[4096], copy[4200];
		struct article *a = NULL, *twin;
		struct metacache *mc;
		struct xp_error err;
		xmlDocPtr doc;

		assert_true(unit_write(dir, "kept.xml", INSIDE, (size_t)-1));
		assert_int_equal(article_load(dir, "kept.xml", 65536, &a, NULL,
		    &err), XP_OK);
		mc = metacache_open(cache, dir, &err);
		assert_non_null(mc);
		twin = metacache_store(mc, "kept.xml", a);
		assert_non_null(twin);
		assert_null(twin->source);
		article_body_path(cache, "kept", twin->content_hash, kept,
		    sizeof(kept));
		snprintf(copy, sizeof(copy), "%s.copy", kept);
		write_path(copy, INSIDE);
		if (rows[i].kind != KEPT_INTACT)
			assert_int_equal(unlink(kept), 0);
		if (rows[i].kind == KEPT_FIFO)
			assert_int_equal(mkfifo(kept, 0600), 0);
		else if (rows[i].kind == KEPT_LINK)
			assert_int_equal(symlink(copy, kept), 0);
		else if (rows[i].kind == KEPT_OTHER_BYTES)
			write_path(kept, OUTSIDE);   /* as long as INSIDE */
		else if (rows[i].kind == KEPT_LONGER)
			write_path(kept, INSIDE "<!-- more -->");
		else if (rows[i].kind == KEPT_FOLDER)
			assert_int_equal(mkdir(kept, 0700), 0);
		if (rows[i].origin_changed)
			assert_true(unit_write(dir, "kept.xml", OUTSIDE, (size_t)-1));
		doc = article_document(twin, &err);
		CHECK((doc != NULL) == rows[i].ok, "row %zu (%s): %s", i,
		    rows[i].what, doc ? "read" : err.reason);
		if (doc != NULL) {
			xmlChar *text = xmlNodeGetContent(xmlDocGetRootElement(doc));

			CHECK(strstr((char *)text, "Inside") != NULL,
			    "row %zu (%s): not the version's bytes", i, rows[i].what);
			xmlFree(text);
			xmlFreeDoc(doc);
		}
		article_unref(twin);
		article_unref(a);
		metacache_free(mc);
		unit_rmtree(cache);
		assert_int_equal(mkdir(cache, 0700), 0);
	}
	alarm(0);
	unit_rmtree(dir);
	unit_rmtree(cache);
	free(dir);
	free(cache);
	CHECK_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_swapped_folder_link),
		cmocka_unit_test(test_kept_copy),
	};

	xmlInitParser();
	return cmocka_run_group_tests_name("article-open", tests, NULL, NULL);
}
