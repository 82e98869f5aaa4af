/* config.c - parse the config file and the environment over the defaults.
 *
 * One table lists every key with its type, limits and default, so that a
 * new key is one row, and errors, env overrides and the README agree. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "hash.h"
#include "log.h"

enum key_type { KEY_STRING, KEY_UINT, KEY_BOOL, KEY_WATCH, KEY_PATH_PREFIX,
	KEY_SANDBOX };

struct key {
	const char *name;
	enum key_type type;
	size_t offset;
	const char *fallback;
	unsigned min, max;     /* KEY_UINT only */
	bool shows;            /* changes what pages show: part of ETags */
};

#define S(f, d) { #f, KEY_STRING, offsetof(struct config, f), d, 0, 0, false }
#define SHOWN(f, d) { #f, KEY_STRING, offsetof(struct config, f), d, 0, 0, true }
#define U(f, d, lo, hi) { #f, KEY_UINT, offsetof(struct config, f), d, lo, hi, false }
#define B(f, d) { #f, KEY_BOOL, offsetof(struct config, f), d, 0, 0, false }

static const struct key keys[] = {
	S(articles_dir, "articles"),
	S(xslt_dir, "xslt"),
	S(cache_dir, ""),
	SHOWN(site_name, "SDMastery"),
	SHOWN(listing_heading, "Blog"),
	SHOWN(listing_intro, "deep-dive articles on system design."),
	SHOWN(lang, "en"),
	SHOWN(base_url, ""),
	{ "base_path", KEY_PATH_PREFIX, offsetof(struct config, base_path), "/", 0, 0, true },
	S(log_level, "info"),
	S(csp, "default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"),
	S(referrer_policy, "strict-origin-when-cross-origin"),
	S(user, ""),
	{ "per_page", KEY_UINT, offsetof(struct config, per_page), "10", 1, 1000, true },
	U(threads, "16", 1, 1024),
	U(max_age, "60", 0, 31536000),
	U(max_article_bytes, "4194304", 1024, 1073741824),
	U(max_media_bytes, "16777216", 1024, 1073741824),
	U(poll_interval, "2", 1, 3600),
	U(cache_size, "1024", 0, 10000000),
	U(cache_bytes, "67108864", 0, UINT_MAX),
	U(listen_backlog, "0", 0, 1048576),
	U(stale_while_revalidate, "60", 0, 31536000),
	U(stale_if_error, "86400", 0, 31536000),
	{ "watch", KEY_WATCH, offsetof(struct config, watch), "inotify", 0, 0, false },
	{ "trusted_html", KEY_BOOL, offsetof(struct config, trusted_html), "no", 0, 0, true },
	B(cache, "on"),
	{ "sandbox", KEY_SANDBOX, offsetof(struct config, sandbox), "no", 0, 0, false },
	B(listen_public, "no"),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const struct key *
key_find(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static bool
parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "on", "true", "1" };
	static const char *const no[] = { "no", "off", "false", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcmp(v, yes[i]) == 0)
			return *out = true, true;
		if (strcmp(v, no[i]) == 0)
			return *out = false, true;
	}
	return false;
}

/* A base path is where the site is mounted: "/" or "/blog/".  It is put in
 * front of every link, so it must be a clean absolute path. */
static char *
normalize_base_path(const char *v)
{
	size_t n = strlen(v);
	char *p;

	if (v[0] != '/')
		return NULL;
	for (const char *c = v; *c; c++)
		if (!isalnum((unsigned char)*c) && strchr("/-._~", *c) == NULL)
			return NULL;
	if (strstr(v, "//") || strstr(v, "/./") || strstr(v, "/../") ||
	    (n >= 2 && strcmp(v + n - 2, "/.") == 0) ||
	    (n >= 3 && strcmp(v + n - 3, "/..") == 0))
		return NULL;
	if ((p = malloc(n + 2)) == NULL)
		return NULL;
	memcpy(p, v, n + 1);
	if (p[n - 1] != '/')
		p[n] = '/', p[n + 1] = '\0';
	return p;
}

static uint64_t config_fingerprint(const struct config *cfg);
static enum xp_status set_value(struct config *cfg, const struct key *k,
    const char *name, const char *value, const char *origin, long line,
    struct xp_error *err);

enum xp_status
config_set(struct config *cfg, const char *name, const char *value,
    const char *origin, long line, struct xp_error *err)
{
	const struct key *k = key_find(name);
	enum xp_status st;

	if (k == NULL)
		return xp_error_set(err, XP_ERR_INVALID, origin, line,
		    "unknown key \"%s\"", name);
	if ((st = set_value(cfg, k, name, value, origin, line, err)) == XP_OK)
		cfg->fingerprint = config_fingerprint(cfg);
	/* Only a base path someone wrote overrides a CGI's SCRIPT_NAME. */
	if (st == XP_OK && strcmp(name, "base_path") == 0)
		cfg->base_path_set = strcmp(origin, "defaults") != 0;
	return st;
}

static enum xp_status
set_value(struct config *cfg, const struct key *k, const char *name,
    const char *value, const char *origin, long line, struct xp_error *err)
{
	char *field = (char *)cfg + k->offset;
	unsigned long n;
	char *end, *copy;
	bool b;

	for (const char *c = value; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return xp_error_set(err, XP_ERR_INVALID, origin, line,
			    "%s: control characters are not allowed", name);
	switch (k->type) {
	case KEY_STRING:
	case KEY_PATH_PREFIX:
		copy = k->type == KEY_STRING ? strdup(value)
		    : normalize_base_path(value);
		if (copy == NULL)
			return xp_error_set(err, XP_ERR_INVALID, origin, line,
			    "%s: \"%s\" is not a clean absolute path", name, value);
		free(*(char **)field);
		*(char **)field = copy;
		return XP_OK;
	case KEY_UINT:
		errno = 0;
		n = strtoul(value, &end, 10);
		if (!isdigit((unsigned char)value[0]) || *end != '\0' ||
		    errno == ERANGE || n < k->min || n > k->max)
			return xp_error_set(err, XP_ERR_INVALID, origin, line,
			    "%s: \"%s\" is not a whole number from %u to %u",
			    name, value, k->min, k->max);
		*(unsigned *)field = (unsigned)n;
		return XP_OK;
	case KEY_BOOL:
		if (!parse_bool(value, &b))
			return xp_error_set(err, XP_ERR_INVALID, origin, line,
			    "%s: \"%s\" is not yes or no", name, value);
		*(bool *)field = b;
		return XP_OK;
	case KEY_WATCH:
		if (strcmp(value, "inotify") == 0)
			cfg->watch = WATCH_INOTIFY;
		else if (strcmp(value, "poll") == 0)
			cfg->watch = WATCH_POLL;
		else if (strcmp(value, "off") == 0)
			cfg->watch = WATCH_OFF;
		else
			return xp_error_set(err, XP_ERR_INVALID, origin, line,
			    "watch: \"%s\" is not inotify, poll or off", value);
		return XP_OK;
	case KEY_SANDBOX:
		if (strcmp(value, "try") == 0)
			cfg->sandbox = SANDBOX_TRY;
		else if (parse_bool(value, &b))
			cfg->sandbox = b ? SANDBOX_YES : SANDBOX_NO;
		else
			return xp_error_set(err, XP_ERR_INVALID, origin, line,
			    "sandbox: \"%s\" is not yes, try or no", value);
		return XP_OK;
	}
	return XP_OK;
}

/* The values of the keys that change what pages show, folded: two configs
 * that render alike have the same fingerprint, whichever file or process
 * they came from, and tuning threads or the cache keeps every ETag. */
static uint64_t
config_fingerprint(const struct config *cfg)
{
	uint64_t h = HASH_INIT;

	for (size_t i = 0; i < NKEYS; i++) {
		const char *field = (const char *)cfg + keys[i].offset;

		if (!keys[i].shows)
			continue;
		h = hash_str(h, keys[i].name);
		switch (keys[i].type) {
		case KEY_STRING:
		case KEY_PATH_PREFIX:
			/* NULL while the defaults are being filled in. */
			h = hash_str(h, *(char *const *)field ? *(char *const *)field : "");
			break;
		case KEY_UINT:
			h = hash_u64(h, *(const unsigned *)field);
			break;
		case KEY_BOOL:
			h = hash_u64(h, *(const bool *)field);
			break;
		case KEY_WATCH:
			h = hash_u64(h, (uint64_t)*(const enum watch_mode *)field);
			break;
		case KEY_SANDBOX:
			h = hash_u64(h, (uint64_t)*(const enum sandbox_mode *)field);
			break;
		}
	}
	return h;
}

struct config *
config_new_defaults(void)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL)
		return NULL;
	atomic_init(&cfg->refs, 1);
	cfg->loaded_at = time(NULL);
	if ((cfg->path = strdup("")) == NULL)
		goto fail;
	for (size_t i = 0; i < NKEYS; i++)
		if (config_set(cfg, keys[i].name, keys[i].fallback, "defaults",
		    0, NULL) != XP_OK)
			goto fail;
	cfg->fingerprint = config_fingerprint(cfg);
	return cfg;
fail:
	config_free(cfg);
	return NULL;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

enum xp_status
config_parse(struct config *cfg, const char *name, const char *text,
    struct xp_error *err)
{
	enum xp_status st = XP_OK;
	char *copy, *line, *next, *eq, *key, *value;
	long lineno = 0;

	if ((copy = strdup(text)) == NULL)
		return xp_error_set(err, XP_ERR_NOMEM, name, 0, "out of memory");
	for (line = copy; line != NULL && st == XP_OK; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		key = trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		if ((eq = strchr(key, '=')) == NULL) {
			st = xp_error_set(err, XP_ERR_PARSE, name, lineno,
			    "expected \"key = value\"");
			break;
		}
		*eq = '\0';
		key = trim(key);
		value = trim(eq + 1);
		st = config_set(cfg, key, value, name, lineno, err);
	}
	free(copy);
	return st;
}

static enum xp_status
apply_environment(struct config *cfg, struct xp_error *err)
{
	char var[128], origin[160];
	const char *value;
	enum xp_status st;

	for (size_t i = 0; i < NKEYS; i++) {
		size_t j = 0;

		j = (size_t)snprintf(var, sizeof(var), "XSLTPRESS_");
		for (const char *c = keys[i].name; *c && j + 1 < sizeof(var); c++)
			var[j++] = (char)toupper((unsigned char)*c);
		var[j] = '\0';
		if ((value = getenv(var)) == NULL)
			continue;
		snprintf(origin, sizeof(origin), "environment %s", var);
		if ((st = config_set(cfg, keys[i].name, value, origin, 0,
		    err)) != XP_OK)
			return st;
	}
	return XP_OK;
}

static enum xp_status
read_text_file(const char *path, char **out, struct xp_error *err)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return xp_error_set(err, XP_ERR_IO, path, 0, "cannot open: %s",
		    strerror(errno));
	for (;;) {
		if (cap - len < 4096) {
			char *p = cap > (1u << 20) ? NULL : realloc(text, cap + 8192);

			if (p == NULL) {
				free(text);
				fclose(f);
				return xp_error_set(err, XP_ERR_TOO_BIG, path, 0,
				    "config file over 1 MiB");
			}
			text = p;
			cap += 8192;
		}
		n = fread(text + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	text[len] = '\0';
	if (ferror(f) || memchr(text, '\0', len) != NULL) {
		free(text);
		fclose(f);
		return xp_error_set(err, XP_ERR_IO, path, 0,
		    "cannot read (or holds a NUL byte)");
	}
	fclose(f);
	*out = text;
	return XP_OK;
}

/* ---- Paths in a config file are taken from that file's folder ----------
 *
 * As git does for its includes: a config can move with the site it
 * describes, and a CGI (whose working directory is its own folder) finds
 * the same files as `xsltpress check` run from anywhere.  Only values
 * written in the file move; defaults and XSLTPRESS_* from the environment
 * stay relative to the working directory. */

static const char *const path_keys[] = { "articles_dir", "xslt_dir", "cache_dir" };
#define NPATH_KEYS (sizeof(path_keys) / sizeof(path_keys[0]))

/* The real folder of the file PATH: a new string the caller frees, or
 * NULL with ERR filled. */
static char *
file_folder(const char *path, struct xp_error *err)
{
	const char *slash = strrchr(path, '/');
	char *folder, *real;

	if (slash == NULL)
		folder = strdup(".");
	else if (slash == path)
		folder = strdup("/");
	else
		folder = strndup(path, (size_t)(slash - path));
	if (folder == NULL) {
		xp_error_set(err, XP_ERR_NOMEM, path, 0, "out of memory");
		return NULL;
	}
	if ((real = realpath(folder, NULL)) == NULL)
		xp_error_set(err, XP_ERR_IO, path, 0,
		    "cannot resolve its folder: %s", strerror(errno));
	free(folder);
	return real;
}

/* FOLDER/VALUE as a new string (caller frees), VALUE's leading "./" and
 * "../" taken off the real FOLDER so messages name plain paths. */
static char *
join_folder(const char *folder, const char *value)
{
	size_t flen = strlen(folder);
	char *out;

	for (;;) {
		if (strcmp(value, ".") == 0)
			value += 1;
		else if (strncmp(value, "./", 2) == 0)
			value += 2;
		else if (strcmp(value, "..") == 0 || strncmp(value, "../", 3) == 0) {
			while (flen > 1 && folder[flen - 1] != '/')
				flen--;
			if (flen > 1)
				flen--;
			value += value[2] == '/' ? 3 : 2;
		} else {
			break;
		}
	}
	if ((out = malloc(flen + strlen(value) + 2)) == NULL)
		return NULL;
	snprintf(out, flen + strlen(value) + 2, "%.*s%s%s", (int)flen, folder,
	    flen > 0 && folder[flen - 1] == '/' ? "" : "/", value);
	/* "/srv/site/" + "" (value "."): the folder itself, no trailing '/'. */
	if (value[0] == '\0' && strlen(out) > 1)
		out[strlen(out) - 1] = '\0';
	return out;
}

/* Parses TEXT (the file PATH) into CFG, then makes every relative path
 * it set absolute from the file's folder.  The path keys are cleared
 * before parsing so that the ones the file set can be told apart from
 * the defaults, which are put back untouched. */
static enum xp_status
parse_file_paths(struct config *cfg, const char *path, const char *text,
    struct xp_error *err)
{
	char *saved[NPATH_KEYS], **field[NPATH_KEYS], *folder = NULL;
	enum xp_status st;

	for (size_t i = 0; i < NPATH_KEYS; i++) {
		field[i] = (char **)((char *)cfg + key_find(path_keys[i])->offset);
		saved[i] = *field[i];
		*field[i] = NULL;
	}
	st = config_parse(cfg, path, text, err);
	for (size_t i = 0; i < NPATH_KEYS; i++) {
		char *v = *field[i], *abs;

		if (v == NULL) {
			*field[i] = saved[i];
			continue;
		}
		free(saved[i]);
		if (st != XP_OK || v[0] == '\0' || v[0] == '/')
			continue;
		if (folder == NULL && (folder = file_folder(path, err)) == NULL) {
			st = XP_ERR_IO;
			continue;
		}
		if ((abs = join_folder(folder, v)) == NULL) {
			st = xp_error_set(err, XP_ERR_NOMEM, path, 0, "out of memory");
			continue;
		}
		free(v);
		*field[i] = abs;
	}
	free(folder);
	return st;
}

/* ---- end of path resolution ------------------------------------------- */

enum xp_status
config_load(const char *path, struct config **out, struct xp_error *err)
{
	struct config *cfg = config_new_defaults();
	enum xp_status st;
	char *text = NULL;

	if (cfg == NULL)
		return xp_error_set(err, XP_ERR_NOMEM, path, 0, "out of memory");
	if (path != NULL) {
		free(cfg->path);
		if ((cfg->path = strdup(path)) == NULL) {
			config_free(cfg);
			return xp_error_set(err, XP_ERR_NOMEM, path, 0,
			    "out of memory");
		}
		if ((st = read_text_file(path, &text, err)) != XP_OK ||
		    (st = parse_file_paths(cfg, path, text, err)) != XP_OK) {
			free(text);
			config_free(cfg);
			return st;
		}
		free(text);
	}
	if ((st = apply_environment(cfg, err)) != XP_OK) {
		config_free(cfg);
		return st;
	}
	cfg->fingerprint = config_fingerprint(cfg);
	if (log_level_parse(cfg->log_level) < 0) {
		st = xp_error_set(err, XP_ERR_INVALID, cfg->path, 0,
		    "log_level: \"%s\" is not error, warn, info or debug",
		    cfg->log_level);
		config_free(cfg);
		return st;
	}
	*out = cfg;
	return XP_OK;
}

struct config *
config_ref(struct config *cfg)
{
	if (cfg != NULL)
		atomic_fetch_add_explicit(&cfg->refs, 1, memory_order_relaxed);
	return cfg;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL ||
	    atomic_fetch_sub_explicit(&cfg->refs, 1, memory_order_acq_rel) != 1)
		return;
	free(cfg->path);
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].type == KEY_STRING || keys[i].type == KEY_PATH_PREFIX)
			free(*(char **)((char *)cfg + keys[i].offset));
	free(cfg);
}
