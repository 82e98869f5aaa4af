/* test-route.c - route_match: patterns, captured segments, the missing
 * trailing slash. */
#include "unit.h"

#include "route.h"

static char long_ok[ROUTE_ARG_MAX + 32];    /* "/articles/<127 x>/" */
static char long_bad[ROUTE_ARG_MAX + 32];   /* "/articles/<128 x>/" */
static char long_ok_arg[ROUTE_ARG_MAX];

static const struct {
	const char *pattern, *path;
	int ret;
	size_t nargs;               /* checked when ret != 0 */
	const char *args[ROUTE_ARGS];
} rows[] = {
	/* the home page */
	{ "/", "/", 1, 0, { NULL } },
	{ "/", "", 2, 0, { NULL } },
	{ "/", "/x", 0, 0, { NULL } },
	{ "/", "//", 0, 0, { NULL } },
	/* one '*' */
	{ "/page/*/", "/page/2/", 1, 1, { "2" } },
	{ "/page/*/", "/page/123/", 1, 1, { "123" } },
	{ "/page/*/", "/page/2", 2, 1, { "2" } },
	{ "/page/*/", "/page//", 0, 0, { NULL } },
	{ "/page/*/", "/page/", 0, 0, { NULL } },
	{ "/page/*/", "/page", 0, 0, { NULL } },
	{ "/page/*/", "/page/2/x", 0, 0, { NULL } },
	{ "/page/*/", "/page/2/x/", 0, 0, { NULL } },
	{ "/page/*/", "/page/2//", 0, 0, { NULL } },
	{ "/page/*/", "/pages/2/", 0, 0, { NULL } },
	{ "/page/*/", "/Page/2/", 0, 0, { NULL } },
	{ "/page/*/", "/x/page/2/", 0, 0, { NULL } },
	{ "/articles/*/", "/articles/hello-world/", 1, 1, { "hello-world" } },
	{ "/articles/*/", "/articles/hello-world", 2, 1, { "hello-world" } },
	{ "/articles/*/", "/articles/a/b/", 0, 0, { NULL } },
	{ "/articles/*/", "/articles//", 0, 0, { NULL } },
	{ "/articles/*/", "/articles/", 0, 0, { NULL } },
	{ "/articles/*/", "/articles", 0, 0, { NULL } },
	{ "/articles/*/", "/articles/a?b/", 1, 1, { "a?b" } },
	/* segment length */
	{ "/articles/*/", long_ok, 1, 1, { long_ok_arg } },
	{ "/articles/*/", long_bad, 0, 0, { NULL } },
	/* a fixed file */
	{ "/style.css", "/style.css", 1, 0, { NULL } },
	{ "/style.css", "/style.css/", 0, 0, { NULL } },
	{ "/style.css", "/style.cs", 0, 0, { NULL } },
	{ "/style.css", "/style.css2", 0, 0, { NULL } },
	{ "/style.css", "/style", 0, 0, { NULL } },
	{ "/style.css", "/Style.css", 0, 0, { NULL } },
	/* several '*' */
	{ "/tags/*/page/*/", "/tags/kafka/page/3/", 1, 2, { "kafka", "3" } },
	{ "/tags/*/page/*/", "/tags/kafka/page/3", 2, 2, { "kafka", "3" } },
	{ "/tags/*/page/*/", "/tags/kafka/page//", 0, 0, { NULL } },
	{ "/archive/*/*/", "/archive/2026/03/", 1, 2, { "2026", "03" } },
	{ "/archive/*/*/", "/archive/2026/", 0, 0, { NULL } },
	{ "/archive/*/*/page/*/", "/archive/2026/03/page/2/", 1, 3, { "2026", "03", "2" } },
	{ "/tags/*/feed.xml", "/tags/kafka/feed.xml", 1, 1, { "kafka" } },
	{ "/tags/*/feed.xml", "/tags/kafka/feed.xml/", 0, 0, { NULL } },
};

static void
test_match_rows(void **state)
{
	(void)state;
	strcpy(long_ok, "/articles/");
	memset(long_ok + 10, 'x', ROUTE_ARG_MAX - 1);
	strcat(long_ok, "/");
	memset(long_ok_arg, 'x', ROUTE_ARG_MAX - 1);
	strcpy(long_bad, "/articles/");
	memset(long_bad + 10, 'x', ROUTE_ARG_MAX);
	strcat(long_bad, "/");

	for (size_t i = 0; i < NROWS(rows); i++) {
		char args[ROUTE_ARGS][ROUTE_ARG_MAX];
		size_t nargs = 99;
		int ret;

		memset(args, 'Z', sizeof(args));
		ret = route_match(rows[i].pattern, rows[i].path, args, &nargs);
		CHECK(ret == rows[i].ret, "row %zu (%s vs \"%.40s\"): %d, want %d", i,
		    rows[i].pattern, rows[i].path, ret, rows[i].ret);
		if (ret == 0 || ret != rows[i].ret)
			continue;
		CHECK(nargs == rows[i].nargs, "row %zu (%s vs %.40s): %zu args, want %zu",
		    i, rows[i].pattern, rows[i].path, nargs, rows[i].nargs);
		for (size_t a = 0; a < nargs && a < rows[i].nargs; a++)
			CHECK(strcmp(args[a], rows[i].args[a]) == 0,
			    "row %zu (%s vs %.40s): arg %zu \"%.40s\", want \"%.40s\"", i,
			    rows[i].pattern, rows[i].path, a, args[a], rows[i].args[a]);
	}
	CHECK_DONE();
}

/* More '*' than ROUTE_ARGS never writes past ARGS. */
static void
test_too_many_stars(void **state)
{
	struct {
		char args[ROUTE_ARGS][ROUTE_ARG_MAX];
		char guard[ROUTE_ARG_MAX];
	} s;
	size_t nargs;

	(void)state;
	memset(&s, 'G', sizeof(s));
	assert_int_equal(route_match("/*/*/*/*/", "/a/b/c/d/", s.args, &nargs), 0);
	for (size_t i = 0; i < sizeof(s.guard); i++)
		assert_int_equal(s.guard[i], 'G');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_rows),
		cmocka_unit_test(test_too_many_stars),
	};

	return cmocka_run_group_tests_name("route", tests, NULL, NULL);
}
