/* test-metacache.c - the metadata cache file as untrusted input: records
 * patched (with and without a fresh checksum), the file cut short at every
 * length, every byte of it flipped, and the private copy it is read from
 * outliving changes to the file. */
#include "unit.h"

#include <fcntl.h>
#include <sys/mman.h>

#include <libxml/parser.h>

#include "filemap.h"
#include "folder.h"
#include "metacache.h"
#include "metarecord.h"

#define MAGIC_LEN (sizeof("xsltpress-metadata\n") - 1)

static const struct {
	const char *name, *xml;
} articles[] = {
	{ "alpha.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<article>"
	    "<title>Alpha Title</title><summary>Alpha summary.</summary>"
	    "<author>Ann Author</author>"
	    "<published>2026-01-01T09:30:00+01:00</published>"
	    "<updated>2026-02-03</updated>"
	    "<tags><tag>alpha-tag</tag><tag>alpha-taf</tag></tags>"
	    "<body><p>alpha words é</p></body></article>\n" },
	{ "bravo.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<article>"
	    "<title>Bravo Title</title><summary>Bravo summary.</summary>"
	    "<published>2026-01-02</published><reading-minutes>7"
	    "</reading-minutes><body><p>bravo words</p></body></article>\n" },
	{ "charlie.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<article>"
	    "<title>Charlie Title</title><summary>Charlie summary.</summary>"
	    "<published>2026-01-03</published><draft/>"
	    "<body><p>charlie words</p></body></article>\n" },
};
#define NARTICLES NROWS(articles)

struct fixture {
	char *dir, *cache;
	char *meta;          /* the intact cache file's bytes */
	size_t meta_len;
};

static void
read_file(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	*data = malloc((size_t)n + 1);
	assert_non_null(*data);
	assert_int_equal(fread(*data, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
}

/* A folder of the articles above and the cache file a scan writes. */
static void
setup(struct fixture *fx)
{
	char path[4096];
	struct xp_error err;
	struct metacache *mc;
	struct folder *f;

	fx->dir = unit_tempdir();
	fx->cache = unit_tempdir();
	for (size_t i = 0; i < NARTICLES; i++)
		assert_true(unit_write(fx->dir, articles[i].name, articles[i].xml,
		    (size_t)-1));
	mc = metacache_open(fx->cache, fx->dir, &err);
	f = folder_new(fx->dir, 65536, NULL, NULL);
	assert_non_null(mc);
	folder_use_metacache(f, mc);
	assert_int_equal(folder_scan(f, &err), XP_OK);
	folder_free(f);
	unit_path(path, sizeof(path), fx->cache, "metadata");
	read_file(path, &fx->meta, &fx->meta_len);
}

static void
teardown(struct fixture *fx)
{
	unit_rmtree(fx->dir);
	unit_rmtree(fx->cache);
	free(fx->dir);
	free(fx->cache);
	free(fx->meta);
}

/* Gives every record of the cache file DATA a fresh checksum. */
static void
reseal_all(char *data, size_t len)
{
	uint64_t head[3];
	char *p = data + MAGIC_LEN, *end;
	size_t words_at;

	memcpy(head, p, sizeof(head));
	p += sizeof(head);
	end = p + head[2];
	words_at = (size_t)(end - data);
	words_at += (4 - words_at % 4) % 4;
	while (p < end) {
		uint64_t n;

		memcpy(&n, p, sizeof(n));
		(void)metarecord_reseal(p, end,
		    (const uint32_t *)(const void *)(data + words_at),
		    (len - words_at) / 4);
		p += 16 + n;
	}
}

/* Writes DATA as the cache file and opens the cache; returns it (caller
 * frees). */
static struct metacache *
load(const struct fixture *fx, const char *data, size_t len)
{
	struct xp_error err;
	struct metacache *mc;

	assert_true(unit_write(fx->cache, "metadata", data, len));
	mc = metacache_open(fx->cache, fx->dir, &err);
	assert_non_null(mc);
	return mc;
}

/* True when every record MC holds is one of the articles, intact: what
 * survives damage must be what was written. */
static bool
records_intact(struct metacache *mc)
{
	static const char *titles[] = { "Alpha Title", "Bravo Title",
		"Charlie Title" };
	const char *name;
	void *value;

	for (size_t i = 0; strmap_next(&mc->records, &i, &name, &value);) {
		struct article *a = metacache_last_good(mc, name);
		size_t k = 0;
		bool ok;

		while (k < NARTICLES && strcmp(articles[k].name, name) != 0)
			k++;
		ok = k < NARTICLES && a != NULL && strcmp(a->title, titles[k]) == 0;
		article_unref(a);
		if (!ok)
			return false;
	}
	return true;
}

/* One patched record: only it is dropped, whether its checksum was made
 * anew or not. */
static void
test_patched_records(void **state)
{
	static const struct {
		const char *what;
		const char *from, *to;   /* same length */
		bool reseal;
		const char *dropped;     /* the one name gone, or NULL */
	} rows[] = {
		{ "intact", NULL, NULL, false, NULL },
		{ "intact, resealed", NULL, NULL, true, NULL },
		{ "title changed", "Alpha Title", "Alpha Tampr", false, "alpha.xml" },
		{ "summary changed", "Bravo summary.", "Bravo summarY.", false, "bravo.xml" },
		{ "title bad UTF-8", "Alpha Title", "Alpha T\xfftle", true, "alpha.xml" },
		{ "title overlong /", "Alpha Title", "Alpha Tit\xc0\xaf", true, "alpha.xml" },
		{ "title surrogate", "Alpha Title", "Alpha Ti\xed\xa0\x80", true, "alpha.xml" },
		{ "title U+FFFE", "Alpha Title", "Alpha Ti\xef\xbf\xbe", true, "alpha.xml" },
		{ "title control", "Alpha Title", "Alpha\x01Title", true, "alpha.xml" },
		{ "title newline", "Bravo Title", "Bravo\nTitle", true, "bravo.xml" },
		{ "author control", "Ann Author", "Ann\x1b" "Author", true, "alpha.xml" },
		{ "tag uppercase", "alpha-tag", "Alpha-tag", true, "alpha.xml" },
		{ "tag duplicate", "alpha-taf", "alpha-tag", true, "alpha.xml" },
		{ "name not the slug's", "bravo.xml", "bravx.xml", true, "bravo.xml" },
		{ "slug invalid", "charlie\x0d", "charli_\x0d", true, "charlie.xml" },
		{ "date impossible", "2026-01-02T", "2026-13-02T", true, "bravo.xml" },
		{ "date not RFC 3339", "2026-01-02T", "2026/01/02T", true, "bravo.xml" },
	};
	struct fixture fx;

	(void)state;
	setup(&fx);
	for (size_t i = 0; i < NROWS(rows); i++) {
		char *data = malloc(fx.meta_len);
		struct metacache *mc;

		assert_non_null(data);
		memcpy(data, fx.meta, fx.meta_len);
		if (rows[i].from != NULL) {
			size_t n = strlen(rows[i].from);
			char *at = memmem(data, fx.meta_len, rows[i].from, n);

			CHECK(at != NULL, "row %zu (%s): %s not in the file", i,
			    rows[i].what, rows[i].from);
			if (at != NULL)
				memcpy(at, rows[i].to, n);
		}
		if (rows[i].reseal)
			reseal_all(data, fx.meta_len);
		mc = load(&fx, data, fx.meta_len);
		CHECK(mc->records.count == NARTICLES - (rows[i].dropped != NULL),
		    "row %zu (%s): %zu records", i, rows[i].what,
		    mc->records.count);
		CHECK(rows[i].dropped == NULL ||
		    strmap_get(&mc->records, rows[i].dropped) == NULL,
		    "row %zu (%s): %s kept", i, rows[i].what, rows[i].dropped);
		CHECK(records_intact(mc), "row %zu (%s): a record is not intact",
		    i, rows[i].what);
		CHECK(mc->dirty == (rows[i].dropped != NULL),
		    "row %zu (%s): dirty is %d", i, rows[i].what, mc->dirty);
		metacache_free(mc);
		free(data);
	}
	teardown(&fx);
	CHECK_DONE();
}

/* The file cut short at every length, and every byte flipped, resealed or
 * not: never a crash, and without a fresh checksum what is loaded is
 * intact. */
static void
test_damaged_anywhere(void **state)
{
	struct fixture fx;
	uint64_t head[3];
	size_t records_end;
	char *data;

	(void)state;
	setup(&fx);
	memcpy(head, fx.meta + MAGIC_LEN, sizeof(head));
	records_end = MAGIC_LEN + sizeof(head) + (size_t)head[2];
	data = malloc(fx.meta_len);
	assert_non_null(data);
	/* Every few bytes, every byte where the records end: each load
	 * writes and copies a file, which is slow on a busy disk. */
	for (size_t len = 0; len < fx.meta_len;
	    len += len + 16 > records_end && len < records_end + 16 ? 1 : 5) {
		struct metacache *mc = load(&fx, fx.meta, len);

		CHECK(records_intact(mc), "cut at %zu: a record is not intact", len);
		CHECK(mc->records.count == 0 || len >= records_end,
		    "cut at %zu: %zu records from a file cut in its records",
		    len, mc->records.count);
		metacache_free(mc);
	}
	for (size_t at = 0; at < fx.meta_len; at++) {
		for (int reseal = 0; reseal < 1 + (at % 4 == 0); reseal++) {
			struct metacache *mc;

			memcpy(data, fx.meta, fx.meta_len);
			data[at] ^= 0x41;
			if (reseal && at >= MAGIC_LEN + 24)
				reseal_all(data, fx.meta_len);
			mc = load(&fx, data, fx.meta_len);
			/* Resealed, a flip in a title or a date that leaves
			 * it valid is a valid record: only its shape counts. */
			CHECK(reseal || records_intact(mc), "byte %zu flipped: a "
			    "record is not intact", at);
			CHECK(mc->records.count <= NARTICLES, "byte %zu flipped: "
			    "%zu records", at, mc->records.count);
			metacache_free(mc);
		}
	}
	free(data);
	teardown(&fx);
	CHECK_DONE();
}

/* The copy the cache reads from is ours: the file truncated, rewritten or
 * removed under it changes nothing, before and after its pages are given
 * back.  A FIFO or a link in its place is refused without blocking. */
static void
test_filemap_private(void **state)
{
	static const char *scratch_rows[] = { "cache", NULL, "/nonexistent" };
	char *dir = unit_tempdir(), path[4096], text[8192];

	(void)state;
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + i % 26);
	unit_path(path, sizeof(path), dir, "file");
	for (size_t i = 0; i < NROWS(scratch_rows); i++) {
		const char *scratch = scratch_rows[i] && strcmp(scratch_rows[i],
		    "cache") == 0 ? dir : scratch_rows[i];
		struct filemap *m;
		int fd;

		assert_true(unit_write(dir, "file", text, sizeof(text)));
		m = filemap_open(path, scratch, 1 << 20);
		filemap_copy_aside(m);
		CHECK(m != NULL && m->len == sizeof(text) && m->droppable,
		    "row %zu: no droppable copy", i);
		if (m == NULL)
			continue;
		assert_int_equal(truncate(path, 100), 0);
		CHECK(memcmp(m->data, text, sizeof(text)) == 0,
		    "row %zu: the copy changed with the file", i);
		fd = open(path, O_WRONLY | O_TRUNC);
		assert_true(fd >= 0);
		close(fd);
		filemap_drop_pages(m);
		CHECK(memcmp(m->data, text, sizeof(text)) == 0,
		    "row %zu: pages given back came back different", i);
		filemap_unref(m);
	}
	/* refused: too big, empty, a FIFO (at once), a link, a folder */
	assert_true(unit_write(dir, "file", text, sizeof(text)));
	CHECK(filemap_open(path, dir, sizeof(text) - 1) == NULL, "too big mapped");
	assert_true(unit_write(dir, "empty", "", 0));
	unit_path(path, sizeof(path), dir, "empty");
	CHECK(filemap_open(path, dir, 1 << 20) == NULL, "empty file mapped");
	unit_path(path, sizeof(path), dir, "fifo");
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10);
	CHECK(filemap_open(path, dir, 1 << 20) == NULL, "FIFO mapped");
	alarm(0);
	unit_path(path, sizeof(path), dir, "link");
	assert_int_equal(symlink("file", path), 0);
	CHECK(filemap_open(path, dir, 1 << 20) == NULL, "symbolic link followed");
	CHECK(filemap_open(dir, dir, 1 << 20) == NULL, "folder mapped");
	unit_rmtree(dir);
	free(dir);
	CHECK_DONE();
}

/* A file nobody writes is served at once from under a lease while the
 * copy is made: a writer waits for the copy, whose bytes are the file's,
 * and the lease is gone once it is swapped in.  A file someone holds open
 * for writing gets no lease and is copied before it is served. */
static void
test_filemap_lease(void **state)
{
	static const struct {
		const char *what;
		bool writer_open;      /* another fd holds it open for writing */
		int writer_flags;      /* how the writer opens it meanwhile */
		bool leased;           /* mapped under a lease, copy after */
	} rows[] = {
		{ "nobody writes it", false, O_WRONLY | O_TRUNC, true },
		/* truncates through a read lease: only a write lease waits */
		{ "cut by an open for reading", false, O_RDONLY | O_TRUNC, true },
		{ "held open for writing", true, O_WRONLY | O_TRUNC, false },
	};
	const size_t len = 32u << 20;   /* the copy outlasts the checks */
	char *dir = unit_tempdir(), path[4096], *text = malloc(len);
	struct filemap *m;

	(void)state;
	assert_non_null(text);
	for (size_t i = 0; i < len; i++)
		text[i] = (char)(i * 31 + i / 4096);
	unit_path(path, sizeof(path), dir, "file");
	for (size_t i = 0; i < NROWS(rows); i++) {
		int held = -1, fd;

		assert_true(unit_write(dir, "file", text, len));
		if (rows[i].writer_open)
			assert_true((held = open(path, O_WRONLY)) >= 0);
		m = filemap_open(path, dir, len);
		assert_non_null(m);
		filemap_copy_aside(m);
		CHECK(m->copying == rows[i].leased, "%s: copying %d", rows[i].what,
		    m->copying);
		/* Blocks until the copy is ours when there is a lease. */
		fd = open(path, rows[i].writer_flags);
		assert_true(fd >= 0);
		if ((rows[i].writer_flags & O_ACCMODE) != O_RDONLY)
			assert_int_equal(write(fd, "changed", 7), 7);
		close(fd);
		if (held >= 0)
			close(held);
		CHECK(memcmp(m->data, text, len) == 0, "%s: the map changed with "
		    "the file", rows[i].what);
		CHECK(filemap_wait_private(m), "%s: the copy was not swapped in",
		    rows[i].what);
		filemap_drop_pages(m);
		CHECK(memcmp(m->data, text, len) == 0, "%s: pages given back came "
		    "back different", rows[i].what);
		/* No lease left behind: a non-blocking writer gets in. */
		fd = open(path, O_WRONLY | O_NONBLOCK);
		CHECK(fd >= 0, "%s: the lease outlived the copy: %s",
		    rows[i].what, strerror(errno));
		if (fd >= 0)
			close(fd);
		filemap_unref(m);
	}
	/* Opened again while the first copies under its write lease (a
	 * second server on the same cache): waits for it, gets the bytes. */
	assert_true(unit_write(dir, "file", text, len));
	m = filemap_open(path, dir, len);
	filemap_copy_aside(m);
	{
		struct filemap *again = filemap_open(path, dir, len);

		CHECK(again != NULL && again->len == len &&
		    memcmp(again->data, text, len) == 0, "opened again while "
		    "copied aside: %s", again == NULL ? "refused" : "other bytes");
		filemap_copy_aside(again);
		filemap_unref(again);
	}
	filemap_unref(m);
	/* Dropped while copying: the copier stops and nothing is left. */
	assert_true(unit_write(dir, "file", text, len));
	m = filemap_open(path, dir, len);
	filemap_copy_aside(m);
	filemap_unref(m);
	unit_rmtree(dir);
	free(dir);
	free(text);
	CHECK_DONE();
}

/* A spill takes appends up to its room, each readable at once through the
 * map and after its pages are given back (swept); past the room, or with
 * no folder to put the file in, there is none and words stay in memory. */
static void
test_spill(void **state)
{
	static const struct {
		size_t room;           /* bytes reserved */
		size_t lens[4];        /* appends, in bytes; 0 ends */
		bool fits[4];          /* whether each is taken */
	} rows[] = {
		{ 1 << 20, { 12, 4096, 5, 0 }, { true, true, true } },
		{ 64, { 40, 24, 1, 0 }, { true, true, false } },
		{ 16, { 17, 16, 0 }, { false, true } },
		{ 4096, { 0, 8, 0 }, { true, true } },   /* an empty set */
	};
	char *dir = unit_tempdir(), bytes[8192];

	(void)state;
	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (char)(i * 7 + 3);
	CHECK(filemap_spill(NULL, 4096) == NULL, "a spill without a folder");
	CHECK(filemap_spill("/nonexistent", 4096) == NULL, "a spill nowhere");
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct filemap *m = filemap_spill(dir, rows[i].room);
		struct filemap_sweep sweep = FILEMAP_SWEEP_INIT(2);
		const char *at[4] = { NULL };

		CHECK(m != NULL && m->droppable, "row %zu: no spill", i);
		if (m == NULL)
			continue;
		for (size_t k = 0; k < 4 && (k == 0 || rows[i].lens[k]); k++) {
			at[k] = filemap_append(m, bytes + k, rows[i].lens[k]);
			CHECK((at[k] != NULL) == rows[i].fits[k],
			    "row %zu append %zu: taken %d", i, k, at[k] != NULL);
			CHECK(at[k] == NULL || (uintptr_t)at[k] % 8 == 0,
			    "row %zu append %zu: not aligned", i, k);
			filemap_sweep_note(&sweep, m);
		}
		filemap_sweep_flush(&sweep);
		for (size_t k = 0; k < 4; k++)
			CHECK(at[k] == NULL || memcmp(at[k], bytes + k,
			    rows[i].lens[k]) == 0,
			    "row %zu append %zu: read back different", i, k);
		filemap_unref(m);
	}
	unit_rmtree(dir);
	free(dir);
	CHECK_DONE();
}

/* A parsed article's words go to the cache's spill, not the heap, and
 * come back the same from the twin, from the file a save writes, and
 * after the spill's pages are given back. */
static void
test_store_spills_words(void **state)
{
	struct fixture fx;
	struct xp_error err;
	struct metacache *mc;

	(void)state;
	setup(&fx);
	for (size_t i = 0; i < NARTICLES; i++) {
		struct article *a = NULL, *twin, *back;
		char *dir2 = unit_tempdir();

		assert_int_equal(article_load(fx.dir, articles[i].name, 65536, &a,
		    NULL, &err), XP_OK);
		mc = metacache_open(dir2, fx.dir, &err);
		assert_non_null(mc);
		twin = metacache_store(mc, articles[i].name, a);
		assert_non_null(twin);
		CHECK(twin->terms.mapped && twin->words_map == mc->spill &&
		    mc->spill != NULL, "%s: words kept in the heap",
		    articles[i].name);
		filemap_drop_pages(mc->spill);
		CHECK(twin->terms.count == a->terms.count && a->terms.count > 0 &&
		    memcmp(twin->terms.hashes, a->terms.hashes,
		    a->terms.count * sizeof(uint32_t)) == 0,
		    "%s: spilled words differ", articles[i].name);
		assert_int_equal(metacache_save(mc, &err), XP_OK);
		metacache_free(mc);
		mc = metacache_open(dir2, fx.dir, &err);
		assert_non_null(mc);
		back = metacache_lookup(mc, articles[i].name, &a->stamp);
		CHECK(back != NULL && back->terms.count == a->terms.count &&
		    memcmp(back->terms.hashes, a->terms.hashes,
		    a->terms.count * sizeof(uint32_t)) == 0,
		    "%s: words read back differ", articles[i].name);
		article_unref(back);
		metacache_free(mc);
		/* The twin outlives its cache: the spill is its to hold. */
		CHECK(memcmp(twin->terms.hashes, a->terms.hashes,
		    a->terms.count * sizeof(uint32_t)) == 0,
		    "%s: words lost with the cache", articles[i].name);
		article_unref(twin);
		article_unref(a);
		unit_rmtree(dir2);
		free(dir2);
	}
	teardown(&fx);
	CHECK_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spill),
		cmocka_unit_test(test_store_spills_words),
		cmocka_unit_test(test_patched_records),
		cmocka_unit_test(test_damaged_anywhere),
		cmocka_unit_test(test_filemap_private),
		cmocka_unit_test(test_filemap_lease),
	};

	xmlInitParser();
	log_set_level(LOG_ERROR);
	/* Thousands of small cache files: in memory when it can be, as a
	 * busy disk makes each one take a millisecond. */
	if (getenv("TMPDIR") == NULL && access("/dev/shm", W_OK) == 0)
		setenv("TMPDIR", "/dev/shm", 1);
	return cmocka_run_group_tests_name("metacache", tests, NULL, NULL);
}
