/* test-config.c - config_parse rows, config_set, and XSLTPRESS_* overrides
 * through config_load. */
#include "unit.h"

#include "config.h"

/* The value of KEY in CFG as text, for comparing with a row. */
static void
field_text(const struct config *cfg, const char *key, char *out, size_t size)
{
	static const char *const watch[] = { "inotify", "poll", "off" };

	if (strcmp(key, "articles_dir") == 0)
		snprintf(out, size, "%s", cfg->articles_dir);
	else if (strcmp(key, "xslt_dir") == 0)
		snprintf(out, size, "%s", cfg->xslt_dir);
	else if (strcmp(key, "site_name") == 0)
		snprintf(out, size, "%s", cfg->site_name);
	else if (strcmp(key, "base_path") == 0)
		snprintf(out, size, "%s", cfg->base_path);
	else if (strcmp(key, "base_url") == 0)
		snprintf(out, size, "%s", cfg->base_url);
	else if (strcmp(key, "csp") == 0)
		snprintf(out, size, "%s", cfg->csp);
	else if (strcmp(key, "log_level") == 0)
		snprintf(out, size, "%s", cfg->log_level);
	else if (strcmp(key, "per_page") == 0)
		snprintf(out, size, "%u", cfg->per_page);
	else if (strcmp(key, "threads") == 0)
		snprintf(out, size, "%u", cfg->threads);
	else if (strcmp(key, "max_age") == 0)
		snprintf(out, size, "%u", cfg->max_age);
	else if (strcmp(key, "max_article_bytes") == 0)
		snprintf(out, size, "%u", cfg->max_article_bytes);
	else if (strcmp(key, "cache_size") == 0)
		snprintf(out, size, "%u", cfg->cache_size);
	else if (strcmp(key, "poll_interval") == 0)
		snprintf(out, size, "%u", cfg->poll_interval);
	else if (strcmp(key, "trusted_html") == 0)
		snprintf(out, size, "%s", cfg->trusted_html ? "yes" : "no");
	else if (strcmp(key, "cache") == 0)
		snprintf(out, size, "%s", cfg->cache ? "yes" : "no");
	else if (strcmp(key, "watch") == 0)
		snprintf(out, size, "%s", watch[cfg->watch]);
	else if (strcmp(key, "cache_bytes") == 0)
		snprintf(out, size, "%u", cfg->cache_bytes);
	else if (strcmp(key, "sandbox") == 0)
		snprintf(out, size, "%s", cfg->sandbox == SANDBOX_YES ? "yes" :
		    cfg->sandbox == SANDBOX_TRY ? "try" : "no");
	else if (strcmp(key, "listen_public") == 0)
		snprintf(out, size, "%s", cfg->listen_public ? "yes" : "no");
	else
		snprintf(out, size, "?unknown test key %s", key);
}

static void
test_defaults(void **state)
{
	static const struct { const char *key, *value; } rows[] = {
		{ "articles_dir", "articles" },
		{ "xslt_dir", "xslt" },
		{ "base_path", "/" },
		{ "base_url", "" },
		{ "per_page", "10" },
		{ "threads", "16" },
		{ "max_age", "60" },
		{ "max_article_bytes", "4194304" },
		{ "poll_interval", "2" },
		{ "cache_size", "1024" },
		{ "cache_bytes", "67108864" },
		{ "sandbox", "no" },
		{ "listen_public", "no" },
		{ "watch", "inotify" },
		{ "trusted_html", "no" },
		{ "cache", "yes" },
		{ "log_level", "info" },
	};
	struct config *cfg = config_new_defaults();
	char got[512];

	(void)state;
	assert_non_null(cfg);
	assert_string_equal(cfg->path, "");
	assert_int_equal(atomic_load(&cfg->refs), 1);
	for (size_t i = 0; i < NROWS(rows); i++) {
		field_text(cfg, rows[i].key, got, sizeof(got));
		CHECK(strcmp(got, rows[i].value) == 0,
		    "row %zu (%s): default \"%s\", want \"%s\"", i, rows[i].key,
		    got, rows[i].value);
	}
	config_free(cfg);
	CHECK_DONE();
}

struct parse_row {
	const char *text;
	enum xp_status status;
	long line;            /* error line, for failing rows */
	const char *key;      /* for passing rows: a key to look at ... */
	const char *value;    /* ... and the value it must have */
	const char *reason;   /* for failing rows: a substring of the reason */
};

static const struct parse_row parse_rows[] = {
	/* valid keys, spacing, comments, CRLF */
	{ "per_page = 25\n", XP_OK, 0, "per_page", "25", NULL },
	{ "per_page=7", XP_OK, 0, "per_page", "7", NULL },
	{ "   per_page   =   8   \n", XP_OK, 0, "per_page", "8", NULL },
	{ "per_page = 9\r\n", XP_OK, 0, "per_page", "9", NULL },
	{ "# a comment\n\n  # indented comment\nthreads = 4\n", XP_OK, 0, "threads", "4", NULL },
	{ "site_name = My = Blog\n", XP_OK, 0, "site_name", "My = Blog", NULL },
	{ "site_name = Ünïcode Blög\n", XP_OK, 0, "site_name", "Ünïcode Blög", NULL },
	{ "articles_dir = /srv/posts\n", XP_OK, 0, "articles_dir", "/srv/posts", NULL },
	{ "csp =\n", XP_OK, 0, "csp", "", NULL },
	{ "per_page = 1\nper_page = 2\n", XP_OK, 0, "per_page", "2", NULL },
	{ "", XP_OK, 0, "per_page", "10", NULL },
	{ "\n\n\n", XP_OK, 0, "per_page", "10", NULL },
	{ "max_age = 0\n", XP_OK, 0, "max_age", "0", NULL },
	{ "max_age = 31536000\n", XP_OK, 0, "max_age", "31536000", NULL },
	{ "per_page = 1000\n", XP_OK, 0, "per_page", "1000", NULL },
	{ "cache_size = 0\n", XP_OK, 0, "cache_size", "0", NULL },
	{ "cache_bytes = 4294967295\n", XP_OK, 0, "cache_bytes", "4294967295", NULL },
	{ "cache_bytes = 0\n", XP_OK, 0, "cache_bytes", "0", NULL },
	{ "cache_bytes = 4294967296\n", XP_ERR_INVALID, 1, NULL, NULL, "not a whole number" },
	/* sandbox: no, try, yes (and the bool spellings) */
	{ "sandbox = try\n", XP_OK, 0, "sandbox", "try", NULL },
	{ "sandbox = yes\n", XP_OK, 0, "sandbox", "yes", NULL },
	{ "sandbox = on\n", XP_OK, 0, "sandbox", "yes", NULL },
	{ "sandbox = no\n", XP_OK, 0, "sandbox", "no", NULL },
	{ "sandbox = maybe\n", XP_ERR_INVALID, 1, NULL, NULL, "not yes, try or no" },
	{ "listen_public = yes\n", XP_OK, 0, "listen_public", "yes", NULL },
	{ "max_article_bytes = 1024\n", XP_OK, 0, "max_article_bytes", "1024", NULL },
	/* bools: every documented spelling */
	{ "trusted_html = yes\n", XP_OK, 0, "trusted_html", "yes", NULL },
	{ "trusted_html = on\n", XP_OK, 0, "trusted_html", "yes", NULL },
	{ "trusted_html = true\n", XP_OK, 0, "trusted_html", "yes", NULL },
	{ "trusted_html = 1\n", XP_OK, 0, "trusted_html", "yes", NULL },
	{ "cache = no\n", XP_OK, 0, "cache", "no", NULL },
	{ "cache = off\n", XP_OK, 0, "cache", "no", NULL },
	{ "cache = false\n", XP_OK, 0, "cache", "no", NULL },
	{ "cache = 0\n", XP_OK, 0, "cache", "no", NULL },
	/* watch */
	{ "watch = poll\n", XP_OK, 0, "watch", "poll", NULL },
	{ "watch = off\n", XP_OK, 0, "watch", "off", NULL },
	{ "watch = inotify\n", XP_OK, 0, "watch", "inotify", NULL },
	/* base_path normalisation */
	{ "base_path = /blog\n", XP_OK, 0, "base_path", "/blog/", NULL },
	{ "base_path = /blog/\n", XP_OK, 0, "base_path", "/blog/", NULL },
	{ "base_path = /\n", XP_OK, 0, "base_path", "/", NULL },
	{ "base_path = /a/b-c_d.e~f\n", XP_OK, 0, "base_path", "/a/b-c_d.e~f/", NULL },

	/* unknown key: INVALID, with its line and name */
	{ "bogus = 1\n", XP_ERR_INVALID, 1, NULL, NULL, "bogus" },
	{ "# c\n\nper_page = 5\nper_pages = 5\n", XP_ERR_INVALID, 4, NULL, NULL, "per_pages" },
	{ "PER_PAGE = 5\n", XP_ERR_INVALID, 1, NULL, NULL, "PER_PAGE" },
	/* no '=' */
	{ "per_page 5\n", XP_ERR_PARSE, 1, NULL, NULL, NULL },
	{ "threads = 2\n\njust words\n", XP_ERR_PARSE, 3, NULL, NULL, NULL },
	/* numbers */
	{ "per_page = 0\n", XP_ERR_INVALID, 1, NULL, NULL, "per_page" },
	{ "per_page = 1001\n", XP_ERR_INVALID, 1, NULL, NULL, "per_page" },
	{ "per_page = -1\n", XP_ERR_INVALID, 1, NULL, NULL, "per_page" },
	{ "per_page = +5\n", XP_ERR_INVALID, 1, NULL, NULL, "per_page" },
	{ "per_page = 10x\n", XP_ERR_INVALID, 1, NULL, NULL, "per_page" },
	{ "per_page = ten\n", XP_ERR_INVALID, 1, NULL, NULL, "per_page" },
	{ "per_page =\n", XP_ERR_INVALID, 1, NULL, NULL, "per_page" },
	{ "per_page = 1.5\n", XP_ERR_INVALID, 1, NULL, NULL, "per_page" },
	{ "per_page = 0x10\n", XP_ERR_INVALID, 1, NULL, NULL, "per_page" },
	{ "per_page = 99999999999999999999999\n", XP_ERR_INVALID, 1, NULL, NULL, "per_page" },
	{ "max_article_bytes = 1023\n", XP_ERR_INVALID, 1, NULL, NULL, "max_article_bytes" },
	{ "max_article_bytes = 4294967296\n", XP_ERR_INVALID, 1, NULL, NULL, "max_article_bytes" },
	{ "max_age = 31536001\n", XP_ERR_INVALID, 1, NULL, NULL, "max_age" },
	{ "threads = 0\n", XP_ERR_INVALID, 1, NULL, NULL, "threads" },
	{ "poll_interval = 3601\n", XP_ERR_INVALID, 1, NULL, NULL, "poll_interval" },
	/* bools and watch: other spellings are errors */
	{ "cache = maybe\n", XP_ERR_INVALID, 1, NULL, NULL, "cache" },
	{ "cache =\n", XP_ERR_INVALID, 1, NULL, NULL, "cache" },
	{ "trusted_html = 2\n", XP_ERR_INVALID, 1, NULL, NULL, "trusted_html" },
	{ "watch = sometimes\n", XP_ERR_INVALID, 1, NULL, NULL, "watch" },
	{ "watch = \n", XP_ERR_INVALID, 1, NULL, NULL, "watch" },
	/* base_path must be a clean absolute path */
	{ "base_path = blog\n", XP_ERR_INVALID, 1, NULL, NULL, "base_path" },
	{ "base_path = blog/\n", XP_ERR_INVALID, 1, NULL, NULL, "base_path" },
	{ "base_path =\n", XP_ERR_INVALID, 1, NULL, NULL, "base_path" },
	{ "base_path = /a/../b\n", XP_ERR_INVALID, 1, NULL, NULL, "base_path" },
	{ "base_path = /a/./b\n", XP_ERR_INVALID, 1, NULL, NULL, "base_path" },
	{ "base_path = //evil.example\n", XP_ERR_INVALID, 1, NULL, NULL, "base_path" },
	{ "base_path = /a//b\n", XP_ERR_INVALID, 1, NULL, NULL, "base_path" },
	{ "base_path = /a b\n", XP_ERR_INVALID, 1, NULL, NULL, "base_path" },
	{ "base_path = /a\"b\n", XP_ERR_INVALID, 1, NULL, NULL, "base_path" },
	{ "base_path = /a<b\n", XP_ERR_INVALID, 1, NULL, NULL, "base_path" },
	{ "base_path = /a?b\n", XP_ERR_INVALID, 1, NULL, NULL, "base_path" },
	{ "base_path = /blog/..\n", XP_ERR_INVALID, 1, NULL, NULL, "base_path" },
	{ "base_path = /blog/.\n", XP_ERR_INVALID, 1, NULL, NULL, "base_path" },
	{ "base_path = /..\n", XP_ERR_INVALID, 1, NULL, NULL, "base_path" },
	/* control characters inside a value */
	{ "site_name = a\tb\n", XP_ERR_INVALID, 1, NULL, NULL, "control" },
	{ "site_name = a\x01" "b\n", XP_ERR_INVALID, 1, NULL, NULL, "control" },
	{ "site_name = a\x7f" "b\n", XP_ERR_INVALID, 1, NULL, NULL, "control" },
	{ "\n\ncsp = default-src 'self'\rSet-Cookie: x\n", XP_ERR_INVALID, 3, NULL, NULL, "control" },
};

static void
test_parse_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS(parse_rows); i++) {
		const struct parse_row *r = &parse_rows[i];
		struct config *cfg = config_new_defaults();
		struct xp_error err;
		enum xp_status st;
		char got[512];

		assert_non_null(cfg);
		memset(&err, 0, sizeof(err));
		st = config_parse(cfg, "test.conf", r->text, &err);
		CHECK(st == r->status, "row %zu (\"%s\"): status %s, want %s (%s)",
		    i, r->text, xp_status_name(st), xp_status_name(r->status),
		    err.reason);
		if (st == XP_OK && r->status == XP_OK && r->key != NULL) {
			field_text(cfg, r->key, got, sizeof(got));
			CHECK(strcmp(got, r->value) == 0,
			    "row %zu (\"%s\"): %s is \"%s\", want \"%s\"", i,
			    r->text, r->key, got, r->value);
		}
		if (st != XP_OK && r->status != XP_OK) {
			CHECK(err.status == st, "row %zu (\"%s\"): err.status %d",
			    i, r->text, err.status);
			CHECK(err.line == r->line, "row %zu (\"%s\"): line %ld, want %ld",
			    i, r->text, err.line, r->line);
			CHECK(strcmp(err.file, "test.conf") == 0,
			    "row %zu (\"%s\"): file \"%s\"", i, r->text, err.file);
			CHECK(r->reason == NULL || strstr(err.reason, r->reason) != NULL,
			    "row %zu (\"%s\"): reason \"%s\" lacks \"%s\"", i, r->text,
			    err.reason, str_or(r->reason));
		}
		config_free(cfg);
	}
	CHECK_DONE();
}

/* A failing line leaves the keys before it set and nothing after it. */
static void
test_parse_stops_at_error(void **state)
{
	struct config *cfg = config_new_defaults();
	struct xp_error err;

	(void)state;
	assert_non_null(cfg);
	assert_int_equal(config_parse(cfg, "x.conf",
	    "per_page = 3\nthreads = nope\nmax_age = 5\n", &err), XP_ERR_INVALID);
	assert_int_equal(err.line, 2);
	assert_int_equal(cfg->per_page, 3);
	assert_int_equal(cfg->max_age, 60);
	config_free(cfg);
}

static void
test_set(void **state)
{
	static const struct {
		const char *key, *value;
		enum xp_status status;
		const char *want;
	} rows[] = {
		{ "per_page", "3", XP_OK, "3" },
		{ "articles_dir", "/tmp/x", XP_OK, "/tmp/x" },
		{ "base_path", "/news", XP_OK, "/news/" },
		{ "nope", "1", XP_ERR_INVALID, NULL },
		{ "per_page", "", XP_ERR_INVALID, NULL },
		{ "base_path", "news", XP_ERR_INVALID, NULL },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct config *cfg = config_new_defaults();
		struct xp_error err;
		enum xp_status st;
		char got[512];

		assert_non_null(cfg);
		st = config_set(cfg, rows[i].key, rows[i].value, "origin", 42, &err);
		CHECK(st == rows[i].status, "row %zu (%s=%s): status %s", i,
		    rows[i].key, rows[i].value, xp_status_name(st));
		if (st == XP_OK && rows[i].want != NULL) {
			field_text(cfg, rows[i].key, got, sizeof(got));
			CHECK(strcmp(got, rows[i].want) == 0,
			    "row %zu (%s): \"%s\", want \"%s\"", i, rows[i].key, got,
			    rows[i].want);
		} else if (st != XP_OK) {
			CHECK(err.line == 42 && strcmp(err.file, "origin") == 0,
			    "row %zu (%s): error at %s:%ld, want origin:42", i,
			    rows[i].key, err.file, err.line);
		}
		config_free(cfg);
	}
	CHECK_DONE();
}

static const char *const env_names[] = {
	"XSLTPRESS_PER_PAGE", "XSLTPRESS_BASE_PATH", "XSLTPRESS_WATCH",
	"XSLTPRESS_ARTICLES_DIR", "XSLTPRESS_TRUSTED_HTML", "XSLTPRESS_LOG_LEVEL",
	"XSLTPRESS_MAX_AGE", "XSLTPRESS_SITE_NAME",
};

static void
clear_env(void)
{
	extern char **environ;
	char name[128];

	for (size_t i = 0; i < NROWS(env_names); i++)
		unsetenv(env_names[i]);
	/* and whatever XSLTPRESS_* the shell that runs the tests has set */
	for (size_t i = 0; environ[i] != NULL;) {
		size_t n = strcspn(environ[i], "=");

		if (strncmp(environ[i], "XSLTPRESS_", 10) == 0 &&
		    n < sizeof(name)) {
			memcpy(name, environ[i], n);
			name[n] = '\0';
			unsetenv(name);   /* environ shifts: look at i again */
		} else {
			i++;
		}
	}
}

struct env_row {
	const char *var, *value;
	const char *file_text;  /* a config file to load first, or NULL */
	enum xp_status status;
	const char *key, *want; /* on success */
	const char *err_file;   /* on failure: a substring of err.file */
};

static const struct env_row env_rows[] = {
	{ "XSLTPRESS_PER_PAGE", "25", NULL, XP_OK, "per_page", "25", NULL },
	{ "XSLTPRESS_BASE_PATH", "/blog", NULL, XP_OK, "base_path", "/blog/", NULL },
	{ "XSLTPRESS_WATCH", "poll", NULL, XP_OK, "watch", "poll", NULL },
	{ "XSLTPRESS_ARTICLES_DIR", "/srv/posts", NULL, XP_OK, "articles_dir", "/srv/posts", NULL },
	{ "XSLTPRESS_TRUSTED_HTML", "on", NULL, XP_OK, "trusted_html", "yes", NULL },
	{ "XSLTPRESS_SITE_NAME", "Env Site", NULL, XP_OK, "site_name", "Env Site", NULL },
	/* the environment wins over the file */
	{ "XSLTPRESS_PER_PAGE", "25", "per_page = 5\n", XP_OK, "per_page", "25", NULL },
	{ "XSLTPRESS_MAX_AGE", "7", "per_page = 5\n", XP_OK, "per_page", "5", NULL },
	/* bad values from the environment name the variable */
	{ "XSLTPRESS_PER_PAGE", "abc", NULL, XP_ERR_INVALID, NULL, NULL, "XSLTPRESS_PER_PAGE" },
	{ "XSLTPRESS_PER_PAGE", "0", NULL, XP_ERR_INVALID, NULL, NULL, "XSLTPRESS_PER_PAGE" },
	{ "XSLTPRESS_BASE_PATH", "blog", NULL, XP_ERR_INVALID, NULL, NULL, "XSLTPRESS_BASE_PATH" },
	{ "XSLTPRESS_WATCH", "never", NULL, XP_ERR_INVALID, NULL, NULL, "XSLTPRESS_WATCH" },
	{ "XSLTPRESS_SITE_NAME", "a\nb", NULL, XP_ERR_INVALID, NULL, NULL, "XSLTPRESS_SITE_NAME" },
	/* log_level is checked once everything is read */
	{ "XSLTPRESS_LOG_LEVEL", "loud", NULL, XP_ERR_INVALID, NULL, NULL, NULL },
	{ "XSLTPRESS_LOG_LEVEL", "debug", NULL, XP_OK, "log_level", "debug", NULL },
};

static void
test_env_overrides(void **state)
{
	char *dir = unit_tempdir(), path[1024];

	(void)state;
	assert_non_null(dir);
	unit_path(path, sizeof(path), dir, "x.conf");
	for (size_t i = 0; i < NROWS(env_rows); i++) {
		const struct env_row *r = &env_rows[i];
		struct config *cfg = NULL;
		struct xp_error err;
		enum xp_status st;
		char got[512];

		clear_env();
		memset(&err, 0, sizeof(err));
		if (r->file_text != NULL)
			assert_true(unit_write(dir, "x.conf", r->file_text, (size_t)-1));
		setenv(r->var, r->value, 1);
		st = config_load(r->file_text ? path : NULL, &cfg, &err);
		CHECK(st == r->status, "row %zu (%s=%s): status %s, want %s (%s)",
		    i, r->var, r->value, xp_status_name(st),
		    xp_status_name(r->status), err.reason);
		if (st == XP_OK && r->status == XP_OK) {
			field_text(cfg, r->key, got, sizeof(got));
			CHECK(strcmp(got, r->want) == 0,
			    "row %zu (%s=%s): %s is \"%s\", want \"%s\"", i, r->var,
			    r->value, r->key, got, r->want);
			CHECK(strcmp(cfg->path, r->file_text ? path : "") == 0,
			    "row %zu: cfg->path \"%s\"", i, cfg->path);
		}
		if (st != XP_OK) {
			CHECK(cfg == NULL, "row %zu: *out touched on failure", i);
			CHECK(r->err_file == NULL || strstr(err.file, r->err_file),
			    "row %zu (%s=%s): error file \"%s\" does not name %s", i,
			    r->var, r->value, err.file, str_or(r->err_file));
		}
		if (st == XP_OK)
			config_free(cfg);
	}
	clear_env();
	unit_rmtree(dir);
	free(dir);
	CHECK_DONE();
}

static void
test_load_files(void **state)
{
	char *dir = unit_tempdir(), path[1024];
	struct config *cfg = NULL;
	struct xp_error err;

	(void)state;
	clear_env();
	assert_non_null(dir);
	/* a missing file is an I/O error naming it */
	unit_path(path, sizeof(path), dir, "missing.conf");
	assert_int_equal(config_load(path, &cfg, &err), XP_ERR_IO);
	assert_null(cfg);
	assert_string_equal(err.file, path);
	/* an error inside a file names the file and line */
	assert_true(unit_write(dir, "bad.conf", "per_page = 4\nfoo = bar\n", (size_t)-1));
	unit_path(path, sizeof(path), dir, "bad.conf");
	assert_int_equal(config_load(path, &cfg, &err), XP_ERR_INVALID);
	assert_null(cfg);
	assert_string_equal(err.file, path);
	assert_int_equal(err.line, 2);
	/* a NUL byte in the file is refused */
	assert_true(unit_write(dir, "nul.conf", "per_page = 4\n\0x = y\n", 20));
	unit_path(path, sizeof(path), dir, "nul.conf");
	assert_int_not_equal(config_load(path, &cfg, &err), XP_OK);
	assert_null(cfg);
	/* a good one */
	assert_true(unit_write(dir, "good.conf", "per_page = 4\nbase_path = /b\n", (size_t)-1));
	unit_path(path, sizeof(path), dir, "good.conf");
	assert_int_equal(config_load(path, &cfg, &err), XP_OK);
	assert_non_null(cfg);
	assert_int_equal(cfg->per_page, 4);
	assert_string_equal(cfg->base_path, "/b/");
	assert_string_equal(cfg->path, path);
	/* references */
	assert_ptr_equal(config_ref(cfg), cfg);
	assert_int_equal(atomic_load(&cfg->refs), 2);
	config_free(cfg);
	assert_int_equal(atomic_load(&cfg->refs), 1);
	config_free(cfg);
	unit_rmtree(dir);
	free(dir);
}

/* The fingerprint is "of every value a page shows": equal configs share
 * it, a change of such a value moves it however it was set, and keys that
 * only tune the server (watching, threads, the cache, headers) keep it. */
static void
test_fingerprint(void **state)
{
	static const struct { const char *key, *value; bool shows; } rows[] = {
		{ "per_page", "3", true },
		{ "site_name", "Other", true },
		{ "base_path", "/blog", true },
		{ "trusted_html", "yes", true },
		{ "base_url", "https://example.org", true },
		{ "watch", "poll", false },
		{ "csp", "", false },
		{ "cache_dir", "/var/cache/x", false },
		{ "threads", "3", false },
	};
	struct config *def = config_new_defaults(), *loaded = NULL;
	char *dir = unit_tempdir(), path[1024], text[256];
	struct xp_error err;

	(void)state;
	clear_env();
	assert_non_null(def);
	assert_int_equal(config_load(NULL, &loaded, &err), XP_OK);
	CHECK(loaded->fingerprint == def->fingerprint,
	    "defaults and config_load(NULL) differ: %llx vs %llx",
	    (unsigned long long)loaded->fingerprint,
	    (unsigned long long)def->fingerprint);
	config_free(loaded);
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct config *cfg = config_new_defaults();

		/* through a file */
		snprintf(text, sizeof(text), "%s = %s\n", rows[i].key, rows[i].value);
		assert_true(unit_write(dir, "f.conf", text, (size_t)-1));
		unit_path(path, sizeof(path), dir, "f.conf");
		loaded = NULL;
		assert_int_equal(config_load(path, &loaded, &err), XP_OK);
		CHECK((loaded->fingerprint != def->fingerprint) == rows[i].shows,
		    "row %zu (%s = %s): config_load %s the default fingerprint", i,
		    rows[i].key, rows[i].value, rows[i].shows ? "kept" : "moved");
		/* through config_set, as the tests and tools build configs */
		assert_int_equal(config_set(cfg, rows[i].key, rows[i].value, "t", 0, &err), XP_OK);
		CHECK((cfg->fingerprint != def->fingerprint) == rows[i].shows,
		    "row %zu (%s = %s): config_set %s the fingerprint", i,
		    rows[i].key, rows[i].value, rows[i].shows ? "kept" : "moved");
		CHECK(cfg->fingerprint == loaded->fingerprint,
		    "row %zu (%s = %s): same values, fingerprints %llx (set) vs %llx (loaded)",
		    i, rows[i].key, rows[i].value,
		    (unsigned long long)cfg->fingerprint,
		    (unsigned long long)loaded->fingerprint);
		config_free(loaded);
		config_free(cfg);
	}
	config_free(def);
	unit_rmtree(dir);
	free(dir);
	CHECK_DONE();
}

/* Paths written in a config file are taken from its folder; defaults
 * and the environment's stay relative to the working directory. */
static void
test_paths_from_file_folder(void **state)
{
	static const struct {
		const char *file_text, *env, *key, *want;  /* want: "@" = the real temp dir */
	} prow[] = {
		{ "articles_dir = arts\n", NULL, "articles_dir", "@/site/arts" },
		{ "articles_dir = ./arts/\n", NULL, "articles_dir", "@/site/arts/" },
		{ "articles_dir = ../arts\n", NULL, "articles_dir", "@/arts" },
		{ "articles_dir = .\n", NULL, "articles_dir", "@/site" },
		{ "articles_dir = /srv/a\n", NULL, "articles_dir", "/srv/a" },
		{ "#!/usr/bin/xsltpress\nxslt_dir = x\n", NULL, "xslt_dir", "@/site/x" },
		{ "per_page = 3\n", NULL, "articles_dir", "articles" },
		{ "per_page = 3\n", NULL, "xslt_dir", "xslt" },
		{ "articles_dir = arts\n", "XSLTPRESS_ARTICLES_DIR=env/a", "articles_dir", "env/a" },
		{ "articles_dir = arts\n", "XSLTPRESS_XSLT_DIR=env/x", "articles_dir", "@/site/arts" },
	};
	char *dir = unit_tempdir(), site[1024], path[1200], real[1024], want[2048], got[2048];

	(void)state;
	assert_non_null(dir);
	assert_non_null(realpath(dir, real));
	unit_path(site, sizeof(site), dir, "site");
	assert_int_equal(mkdir(site, 0755), 0);
	unit_path(path, sizeof(path), site, "x.conf");
	for (size_t i = 0; i < NROWS(prow); i++) {
		struct config *cfg = NULL;
		struct xp_error err;

		clear_env();
		if (prow[i].env != NULL)
			putenv((char *)prow[i].env);
		assert_true(unit_write(site, "x.conf", prow[i].file_text, (size_t)-1));
		CHECK(config_load(path, &cfg, &err) == XP_OK, "row %zu: %s", i, err.reason);
		if (cfg == NULL)
			continue;
		if (prow[i].want[0] == '@')
			snprintf(want, sizeof(want), "%s%s", real, prow[i].want + 1);
		else
			snprintf(want, sizeof(want), "%s", prow[i].want);
		field_text(cfg, prow[i].key, got, sizeof(got));
		CHECK(strcmp(got, want) == 0, "row %zu (%s): %s is \"%s\", want \"%s\"",
		    i, prow[i].file_text, prow[i].key, got, want);
		CHECK(!cfg->base_path_set, "row %zu: base_path_set without base_path", i);
		config_free(cfg);
	}
	/* only a base_path someone wrote stops a CGI mounting at SCRIPT_NAME */
	clear_env();
	assert_true(unit_write(site, "x.conf", "base_path = /\n", (size_t)-1));
	{
		struct config *cfg = NULL;
		struct xp_error err;

		assert_int_equal(config_load(path, &cfg, &err), XP_OK);
		CHECK(cfg->base_path_set, "base_path = / in a file: base_path_set false");
		config_free(cfg);
	}
	unit_rmtree(dir);
	free(dir);
	CHECK_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_parse_rows),
		cmocka_unit_test(test_parse_stops_at_error),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_env_overrides),
		cmocka_unit_test(test_load_files),
		cmocka_unit_test(test_paths_from_file_folder),
		cmocka_unit_test(test_fingerprint),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
