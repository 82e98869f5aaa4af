/* test-folder.c - folder_scan over a temporary folder, step by step: good
 * files load, bad ones are reported once, a broken save keeps the good
 * version, deletions and renames, unchanged files are not read again. */
#include "unit.h"

#include <fcntl.h>

#include <libxml/parser.h>

#include "folder.h"
#include "metacache.h"

struct reports {
	int calls;
	enum log_level level;
	time_t since;
	char file[512];
	char reason[512];
};

static void
on_report(void *ctx, enum log_level level, const struct xp_error *err,
    time_t serving_since)
{
	struct reports *r = ctx;

	r->calls++;
	r->level = level;
	r->since = serving_since;
	snprintf(r->file, sizeof(r->file), "%s", err->file);
	snprintf(r->reason, sizeof(r->reason), "%s", err->reason);
}

static char *
article_xml(const char *title, const char *published)
{
	static char xml[1024];

	snprintf(xml, sizeof(xml),
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<article>\n"
	    "<title>%s</title>\n<summary>S</summary>\n"
	    "<published>%s</published>\n<body><p>words here</p></body>\n"
	    "</article>\n", title, published);
	return xml;
}

/* "slug=title,slug=title" of a fresh snapshot, in listing order. */
static void
listed(struct folder *f, char *out, size_t size)
{
	struct index *idx = folder_snapshot(f, NULL);
	size_t n = 0;

	out[0] = '\0';
	assert_non_null(idx);
	for (size_t i = 0; i < idx->count; i++)
		n += (size_t)snprintf(out + n, n < size ? size - n : 0, "%s%s=%s",
		    i ? "," : "", idx->articles[i]->slug, idx->articles[i]->title);
	index_unref(idx);
}

enum op { OP_NONE, OP_WRITE, OP_REMOVE, OP_RENAME, OP_MKDIR };

struct step {
	const char *what;
	enum op op;
	const char *name;
	const char *arg;        /* contents (WRITE) or new name (RENAME) */
	/* after folder_scan: */
	const char *listed;     /* slug=title,... */
	int reports;            /* total report calls so far */
	int since;              /* last report's serving_since: 1 = set, 0 = zero, -1 = any */
	const char *report_file;/* substring of the last report's file, or NULL */
	size_t problems;
	int generation_moved;   /* 1: moved, 0: same */
};

#define BROKEN "<?xml version=\"1.0\"?>\n<article>\n<title>oops</title>\n<body><p>unclosed</body>\n</article>\n"
#define NO_TITLE "<?xml version=\"1.0\"?>\n<article>\n<summary>S</summary>\n<published>2026-01-01</published>\n<body/>\n</article>\n"

static void
test_steps(void **state)
{
	/* Titles are put in with article_xml at run time where a row says
	 * "A:<title>:<date>". */
	static const struct step steps[] = {
		{ "first scan", OP_NONE, NULL, NULL,
		  "beta=Beta,alpha=Alpha", 2, 0, NULL, 2, 1 },
		{ "nothing changed: no new report, no change", OP_NONE, NULL, NULL,
		  "beta=Beta,alpha=Alpha", 2, -1, NULL, 2, 0 },
		{ "broken save of alpha keeps the good version", OP_WRITE, "alpha.xml", BROKEN,
		  "beta=Beta,alpha=Alpha", 3, 1, "alpha.xml", 3, 0 },
		{ "still broken, not reported again", OP_NONE, NULL, NULL,
		  "beta=Beta,alpha=Alpha", 3, -1, NULL, 3, 0 },
		{ "another broken save is a new problem", OP_WRITE, "alpha.xml", NO_TITLE,
		  "beta=Beta,alpha=Alpha", 4, 1, "alpha.xml", 3, 0 },
		{ "alpha fixed with a new title", OP_WRITE, "alpha.xml", "A:Alpha Two:2026-01-01",
		  "beta=Beta,alpha=Alpha Two", 4, -1, NULL, 2, 1 },
		{ "a new article", OP_WRITE, "gamma.xml", "A:Gamma:2026-03-01",
		  "gamma=Gamma,beta=Beta,alpha=Alpha Two", 4, -1, NULL, 2, 1 },
		{ "a new broken article: nothing to keep serving", OP_WRITE, "delta.xml", BROKEN,
		  "gamma=Gamma,beta=Beta,alpha=Alpha Two", 5, 0, "delta.xml", 3, 0 },
		{ "deleting beta removes it", OP_REMOVE, "beta.xml", NULL,
		  "gamma=Gamma,alpha=Alpha Two", 5, -1, NULL, 3, 1 },
		{ "deleting the broken delta clears its problem", OP_REMOVE, "delta.xml", NULL,
		  "gamma=Gamma,alpha=Alpha Two", 5, -1, NULL, 2, 0 },
		{ "rename gamma to omega", OP_RENAME, "gamma.xml", "omega.xml",
		  "omega=Gamma,alpha=Alpha Two", 5, -1, NULL, 2, 1 },
		{ "rename to an ignored name removes it", OP_RENAME, "omega.xml", ".omega.xml.swp",
		  "alpha=Alpha Two", 5, -1, NULL, 2, 1 },
		{ "editor files are ignored", OP_WRITE, "#alpha.xml#", BROKEN,
		  "alpha=Alpha Two", 5, -1, NULL, 2, 0 },
		{ "backup files are ignored", OP_WRITE, "alpha.xml~", BROKEN,
		  "alpha=Alpha Two", 5, -1, NULL, 2, 0 },
		{ "other extensions are ignored", OP_WRITE, "readme.md", "# hi",
		  "alpha=Alpha Two", 5, -1, NULL, 2, 0 },
		{ "sub-folders are not articles", OP_MKDIR, "sub.xml", NULL,
		  "alpha=Alpha Two", 5, -1, NULL, 2, 0 },
		{ "fix the bad name's problem by removing it", OP_REMOVE, "My Post.xml", NULL,
		  "alpha=Alpha Two", 5, -1, NULL, 1, 0 },
		{ "a bad slug name is reported once", OP_WRITE, "Bad_Name.xml", "A:X:2026-01-01",
		  "alpha=Alpha Two", 6, 0, "Bad_Name.xml", 2, 0 },
		{ "and not again", OP_NONE, NULL, NULL,
		  "alpha=Alpha Two", 6, -1, NULL, 2, 0 },
		{ "the broken file deleted", OP_REMOVE, "broken.xml", NULL,
		  "alpha=Alpha Two", 6, -1, NULL, 1, 0 },
	};
	struct reports rep;
	struct folder *f;
	struct xp_error err;
	char *dir = unit_tempdir(), got[1024], a[4096], b[4096];
	unsigned long gen;

	(void)state;
	memset(&rep, 0, sizeof(rep));
	assert_non_null(dir);
	assert_true(unit_write(dir, "alpha.xml", article_xml("Alpha", "2026-01-01"), (size_t)-1));
	assert_true(unit_write(dir, "beta.xml", article_xml("Beta", "2026-02-01"), (size_t)-1));
	assert_true(unit_write(dir, "broken.xml", BROKEN, (size_t)-1));
	assert_true(unit_write(dir, "My Post.xml", article_xml("Mine", "2026-01-01"), (size_t)-1));
	assert_true(unit_write(dir, "notes.txt", "not an article", (size_t)-1));
	assert_true(unit_write(dir, ".alpha.xml.swp", BROKEN, (size_t)-1));
	f = folder_new(dir, 65536, on_report, &rep);
	assert_non_null(f);
	assert_int_equal(f->generation, 0);
	gen = f->generation;

	for (size_t i = 0; i < NROWS(steps); i++) {
		const struct step *s = &steps[i];
		enum xp_status st;

		switch (s->op) {
		case OP_NONE:
			break;
		case OP_WRITE:
			if (strncmp(s->arg, "A:", 2) == 0) {
				char title[128], date[32];

				assert_int_equal(sscanf(s->arg, "A:%127[^:]:%31s", title, date), 2);
				assert_true(unit_write(dir, s->name, article_xml(title, date), (size_t)-1));
			} else {
				assert_true(unit_write(dir, s->name, s->arg, (size_t)-1));
			}
			break;
		case OP_REMOVE:
			unit_path(a, sizeof(a), dir, s->name);
			assert_int_equal(unlink(a), 0);
			break;
		case OP_RENAME:
			unit_path(a, sizeof(a), dir, s->name);
			unit_path(b, sizeof(b), dir, s->arg);
			assert_int_equal(rename(a, b), 0);
			break;
		case OP_MKDIR:
			unit_path(a, sizeof(a), dir, s->name);
			assert_int_equal(mkdir(a, 0755), 0);
			break;
		}
		st = folder_scan(f, &err);
		CHECK(st == XP_OK, "step %zu (%s): scan %s", i, s->what, xp_status_name(st));
		listed(f, got, sizeof(got));
		CHECK(strcmp(got, s->listed) == 0, "step %zu (%s): listed \"%s\", want \"%s\"",
		    i, s->what, got, s->listed);
		CHECK(rep.calls == s->reports, "step %zu (%s): %d reports, want %d (last: %s: %s)",
		    i, s->what, rep.calls, s->reports, rep.file, rep.reason);
		if (s->since >= 0)
			CHECK((rep.since != 0) == (s->since == 1),
			    "step %zu (%s): serving_since %lld, want %s", i, s->what,
			    (long long)rep.since, s->since ? "set" : "0");
		if (s->report_file != NULL)
			CHECK(strstr(rep.file, s->report_file) != NULL,
			    "step %zu (%s): report names \"%s\", want %s", i, s->what,
			    rep.file, s->report_file);
		CHECK(folder_problems(f) == s->problems, "step %zu (%s): %zu problems, want %zu",
		    i, s->what, folder_problems(f), s->problems);
		CHECK((f->generation != gen) == (s->generation_moved == 1),
		    "step %zu (%s): generation %lu -> %lu, want %s", i, s->what, gen,
		    f->generation, s->generation_moved ? "moved" : "unchanged");
		gen = f->generation;
	}
	folder_free(f);
	unit_rmtree(dir);
	free(dir);
	CHECK_DONE();
}

/* The serving_since of a broken save is the good version's load time. */
static void
test_serving_since(void **state)
{
	struct reports rep;
	struct folder *f;
	struct xp_error err;
	struct index *idx;
	time_t loaded;
	char *dir = unit_tempdir();

	(void)state;
	memset(&rep, 0, sizeof(rep));
	assert_true(unit_write(dir, "a.xml", article_xml("A", "2026-01-01"), (size_t)-1));
	f = folder_new(dir, 65536, on_report, &rep);
	assert_int_equal(folder_scan(f, &err), XP_OK);
	idx = folder_snapshot(f, NULL);
	assert_int_equal(idx->count, 1);
	loaded = idx->articles[0]->loaded_at;
	index_unref(idx);
	assert_true(unit_write(dir, "a.xml", BROKEN, (size_t)-1));
	assert_int_equal(folder_scan(f, &err), XP_OK);
	assert_int_equal(rep.calls, 1);
	assert_int_equal(rep.since, loaded);
	assert_int_equal(rep.level, LOG_ERROR);
	assert_non_null(strstr(rep.file, "a.xml"));
	folder_free(f);
	unit_rmtree(dir);
	free(dir);
}

/* Unchanged files are not read again: the snapshot keeps the very same
 * article objects, and only the changed file gets a new one. */
static void
test_not_reread(void **state)
{
	struct folder *f;
	struct xp_error err;
	struct index *i1, *i2, *i3;
	char *dir = unit_tempdir(), path[4096];
	struct timespec later[2];

	(void)state;
	assert_true(unit_write(dir, "a.xml", article_xml("A", "2026-01-01"), (size_t)-1));
	assert_true(unit_write(dir, "b.xml", article_xml("B", "2026-01-02"), (size_t)-1));
	f = folder_new(dir, 65536, NULL, NULL);
	assert_int_equal(folder_scan(f, &err), XP_OK);
	i1 = folder_snapshot(f, NULL);
	assert_int_equal(folder_scan(f, &err), XP_OK);
	i2 = folder_snapshot(f, NULL);
	assert_ptr_equal(index_find(i1, "a", 1800000000), index_find(i2, "a", 1800000000));
	assert_ptr_equal(index_find(i1, "b", 1800000000), index_find(i2, "b", 1800000000));
	assert_int_equal(i1->generation, i2->generation);
	/* same bytes, but the file was touched: it is read again */
	unit_path(path, sizeof(path), dir, "b.xml");
	later[0].tv_sec = later[1].tv_sec = 1800000000;
	later[0].tv_nsec = later[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, path, later, 0), 0);
	assert_false(folder_update(f, "a.xml"));
	assert_true(folder_update(f, "b.xml"));
	i3 = folder_snapshot(f, NULL);
	assert_ptr_equal(index_find(i2, "a", 1800000000), index_find(i3, "a", 1800000000));
	assert_ptr_not_equal(index_find(i2, "b", 1800000000), index_find(i3, "b", 1800000000));
	assert_true(i3->generation > i2->generation);
	/* the old snapshot still reads its own version */
	assert_string_equal(index_find(i2, "b", 1800000000)->title, "B");
	index_unref(i1);
	index_unref(i2);
	index_unref(i3);
	folder_free(f);
	unit_rmtree(dir);
	free(dir);
}

/* A snapshot derived from the last published one but never published
 * itself (the site around it could not be allocated) must lose none of
 * the changes: the next snapshot still carries them. */
static void
test_unpublished_snapshot_keeps_changes(void **state)
{
	struct folder *f;
	struct xp_error err;
	struct index *pub, *lost, *next;
	char *dir = unit_tempdir();

	(void)state;
	assert_true(unit_write(dir, "a.xml", article_xml("A", "2026-01-01"), (size_t)-1));
	f = folder_new(dir, 65536, NULL, NULL);
	assert_int_equal(folder_scan(f, &err), XP_OK);
	pub = folder_snapshot(f, NULL);
	assert_non_null(pub);
	folder_published(f);
	assert_true(unit_write(dir, "b.xml", article_xml("B", "2026-01-02"), (size_t)-1));
	assert_true(folder_update(f, "b.xml"));
	lost = folder_snapshot(f, pub);
	assert_non_null(lost);
	assert_int_equal(lost->count, 2);
	index_unref(lost);          /* never published */
	next = folder_snapshot(f, pub);
	assert_non_null(next);
	assert_int_equal(next->count, 2);
	assert_non_null(index_find(next, "b", 1800000000));
	index_unref(next);
	index_unref(pub);
	folder_free(f);
	unit_rmtree(dir);
	free(dir);
}

static void
test_update_rows(void **state)
{
	static const struct {
		const char *name;
		bool changed;
	} rows[] = {
		{ "new.xml", true },        /* appeared */
		{ "new.xml", false },       /* same again */
		{ "gone.xml", false },      /* never existed */
		{ "notes.txt", false },     /* ignored */
		{ ".new.xml.swp", false },  /* ignored */
		{ "Bad Name.xml", false },  /* reported, never published */
		{ "bad.xml", false },       /* broken: nothing published changes */
	};
	struct reports rep;
	struct folder *f;
	char *dir = unit_tempdir();

	(void)state;
	memset(&rep, 0, sizeof(rep));
	assert_true(unit_write(dir, "new.xml", article_xml("N", "2026-01-01"), (size_t)-1));
	assert_true(unit_write(dir, "notes.txt", "x", (size_t)-1));
	assert_true(unit_write(dir, ".new.xml.swp", "x", (size_t)-1));
	assert_true(unit_write(dir, "Bad Name.xml", article_xml("N", "2026-01-01"), (size_t)-1));
	assert_true(unit_write(dir, "bad.xml", BROKEN, (size_t)-1));
	f = folder_new(dir, 65536, on_report, &rep);
	for (size_t i = 0; i < NROWS(rows); i++) {
		bool changed = folder_update(f, rows[i].name);

		CHECK(changed == rows[i].changed, "row %zu (%s): %d, want %d", i,
		    rows[i].name, changed, rows[i].changed);
	}
	CHECK(rep.calls == 2, "%d reports, want 2 (Bad Name.xml, bad.xml)", rep.calls);
	/* a removed published file: the set changes */
	{
		char path[4096];

		unit_path(path, sizeof(path), dir, "new.xml");
		unlink(path);
		CHECK(folder_update(f, "new.xml"), "removing new.xml changes the set");
		CHECK(!folder_update(f, "new.xml"), "removing it twice does not");
	}
	folder_free(f);
	unit_rmtree(dir);
	free(dir);
	CHECK_DONE();
}

static void
test_missing_folder(void **state)
{
	struct folder *f = folder_new("/nonexistent/xp-unit-folder", 65536, NULL, NULL);
	struct xp_error err;
	struct index *idx;

	(void)state;
	assert_non_null(f);
	assert_int_equal(folder_scan(f, &err), XP_ERR_IO);
	assert_string_equal(err.file, "/nonexistent/xp-unit-folder");
	idx = folder_snapshot(f, NULL);
	assert_int_equal(idx->count, 0);
	index_unref(idx);
	folder_free(f);
}

/* A folder that goes away keeps what was loaded. */
static void
test_folder_vanishes(void **state)
{
	struct folder *f;
	struct xp_error err;
	struct index *idx;
	char *dir = unit_tempdir(), moved[4096];

	(void)state;
	assert_true(unit_write(dir, "a.xml", article_xml("A", "2026-01-01"), (size_t)-1));
	f = folder_new(dir, 65536, NULL, NULL);
	assert_int_equal(folder_scan(f, &err), XP_OK);
	snprintf(moved, sizeof(moved), "%s.moved", dir);
	assert_int_equal(rename(dir, moved), 0);
	assert_int_equal(folder_scan(f, &err), XP_ERR_IO);
	idx = folder_snapshot(f, NULL);
	assert_int_equal(idx->count, 1);
	index_unref(idx);
	folder_free(f);
	unit_rmtree(moved);
	free(dir);
}

/* Scans DIR with a metadata cache in CACHE; returns how many records the
 * cache holds after the scan, and after reading its file again. */
static void
scan_cached(const char *dir, const char *cache, size_t *in_memory,
    size_t *on_disk)
{
	struct xp_error err;
	struct metacache *mc = metacache_open(cache, dir, &err);
	struct folder *f = folder_new(dir, 65536, NULL, NULL);

	assert_non_null(mc);
	assert_non_null(f);
	folder_use_metacache(f, mc);
	assert_int_equal(folder_scan(f, &err), XP_OK);
	*in_memory = mc->records.count;
	folder_free(f);
	mc = metacache_open(cache, dir, &err);
	assert_non_null(mc);
	*on_disk = mc->records.count;
	metacache_free(mc);
}

/* A file deleted while no process ran leaves the cache at the next scan,
 * so the cache cannot grow without bound; an unreadable one stays. */
static void
test_cache_forgets_deleted(void **state)
{
	char *dir = unit_tempdir(), *cache = unit_tempdir(), path[4096];
	size_t mem, disk;

	(void)state;
	assert_true(unit_write(dir, "a.xml", article_xml("A", "2026-01-01"), (size_t)-1));
	assert_true(unit_write(dir, "b.xml", article_xml("B", "2026-01-02"), (size_t)-1));
	assert_true(unit_write(dir, "c.xml", article_xml("C", "2026-01-03"), (size_t)-1));
	scan_cached(dir, cache, &mem, &disk);
	assert_int_equal(mem, 3);
	assert_int_equal(disk, 3);
	snprintf(path, sizeof(path), "%s/b.xml", dir);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/c.xml", dir);
	assert_int_equal(chmod(path, 0), 0);
	scan_cached(dir, cache, &mem, &disk);
	assert_int_equal(mem, 2);
	assert_int_equal(disk, 2);
	unit_rmtree(dir);
	unit_rmtree(cache);
	free(dir);
	free(cache);
}

/* A scan told to defer its save (a server's first, which serves before
 * it saves) leaves the cache file unwritten until folder_save, then it
 * holds every record; by default a scan saves as before. */
static void
test_deferred_save(void **state)
{
	static const struct {
		bool defer;
		bool on_disk_after_scan;
	} rows[] = { { false, true }, { true, false } };

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		char *dir = unit_tempdir(), *cache = unit_tempdir(), path[4096];
		struct xp_error err;
		struct metacache *mc = metacache_open(cache, dir, &err), *back;
		struct folder *f = folder_new(dir, 65536, NULL, NULL);
		struct stat st;

		assert_true(unit_write(dir, "a.xml",
		    article_xml("A", "2026-01-01"), (size_t)-1));
		assert_true(unit_write(dir, "b.xml",
		    article_xml("B", "2026-01-02"), (size_t)-1));
		assert_non_null(mc);
		assert_non_null(f);
		folder_use_metacache(f, mc);
		f->defer_save = rows[i].defer;
		assert_int_equal(folder_scan(f, &err), XP_OK);
		snprintf(path, sizeof(path), "%s/metadata", cache);
		CHECK((stat(path, &st) == 0) == rows[i].on_disk_after_scan,
		    "row %zu: cache file %s after the scan", i,
		    rows[i].on_disk_after_scan ? "missing" : "written");
		folder_save(f);
		back = metacache_open(cache, dir, &err);
		assert_non_null(back);
		CHECK(back->records.count == 2, "row %zu: %zu records saved", i,
		    back->records.count);
		metacache_free(back);
		folder_free(f);
		unit_rmtree(dir);
		unit_rmtree(cache);
		free(dir);
		free(cache);
	}
	CHECK_DONE();
}

/* Files over max_bytes are problems, reported as such. */
static void
test_too_big(void **state)
{
	struct reports rep;
	struct folder *f;
	struct xp_error err;
	struct index *idx;
	char *dir = unit_tempdir();

	(void)state;
	memset(&rep, 0, sizeof(rep));
	assert_true(unit_write(dir, "a.xml", article_xml("A", "2026-01-01"), (size_t)-1));
	f = folder_new(dir, 64, on_report, &rep);
	assert_int_equal(folder_scan(f, &err), XP_OK);
	idx = folder_snapshot(f, NULL);
	assert_int_equal(idx->count, 0);
	index_unref(idx);
	assert_int_equal(rep.calls, 1);
	assert_int_equal(folder_problems(f), 1);
	folder_free(f);
	unit_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_serving_since),
		cmocka_unit_test(test_not_reread),
		cmocka_unit_test(test_update_rows),
		cmocka_unit_test(test_unpublished_snapshot_keeps_changes),
		cmocka_unit_test(test_missing_folder),
		cmocka_unit_test(test_folder_vanishes),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_cache_forgets_deleted),
		cmocka_unit_test(test_deferred_save),
	};

	xmlInitParser();
	return cmocka_run_group_tests_name("folder", tests, NULL, NULL);
}
