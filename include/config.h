/* config.h - the plain config file: "key = value" lines and # comments.
 *
 * Every key may be overridden from the environment as XSLTPRESS_<KEY>
 * (upper case), e.g. XSLTPRESS_ARTICLES_DIR=/srv/posts.  Relative paths
 * written in a config file are taken from that file's folder; defaults and
 * the environment's from the working directory. */
#ifndef XP_CONFIG_H
#define XP_CONFIG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "error.h"

enum watch_mode { WATCH_INOTIFY, WATCH_POLL, WATCH_OFF };

/* sandbox = no | try | yes: yes refuses to start when it cannot confine. */
enum sandbox_mode { SANDBOX_NO, SANDBOX_TRY, SANDBOX_YES };

struct config {
	atomic_int refs;        /* shared by every site snapshot built on it */
	char *path;             /* the file this came from, "" for defaults */
	char *articles_dir;
	char *xslt_dir;
	char *cache_dir;        /* on-disk metadata cache for CGI mode, "" = none */
	char *site_name;
	char *listing_heading;
	char *listing_intro;    /* follows the article count: "20 <intro>" */
	char *lang;
	char *base_url;         /* absolute origin for canonical URLs, "" = none */
	char *base_path;        /* where the site is mounted, always ends in '/' */
	bool base_path_set;     /* written in the file or environment: a CGI's
	                           SCRIPT_NAME does not mount the site then */
	char *log_level;
	char *csp;              /* Content-Security-Policy header, "" = none */
	char *referrer_policy;
	char *user;             /* drop root for this user after listening */
	unsigned per_page;
	unsigned threads;       /* FastCGI worker threads */
	unsigned max_age;       /* Cache-Control max-age for pages, seconds */
	unsigned max_article_bytes;
	unsigned max_media_bytes; /* cap on one of an article's own files */
	unsigned poll_interval; /* seconds between scans when watch = poll */
	unsigned cache_size;    /* render cache entries; 0 = off */
	unsigned cache_bytes;   /* render cache bodies, bytes; 0 = off */
	unsigned listen_backlog; /* connections the kernel queues; 0 = its maximum */
	unsigned stale_while_revalidate; /* Cache-Control extensions (RFC 5861), */
	unsigned stale_if_error;         /* seconds a cache may serve past max-age */
	enum watch_mode watch;
	bool trusted_html;
	bool cache;
	enum sandbox_mode sandbox; /* confine with Landlock after start-up */
	bool listen_public;     /* may -s listen on a non-loopback address */
	uint64_t fingerprint;   /* of every value: part of every page's ETag */
	time_t loaded_at;       /* when this config was made: pages' Last-Modified */
};

/* Returns a config holding the built-in defaults (caller frees with
 * config_free), or NULL when memory runs out. */
struct config *config_new_defaults(void);

/* Reads PATH over the defaults, then applies XSLTPRESS_* from the
 * environment.  On success *OUT is a new config the caller frees; on
 * failure *OUT is untouched and ERR names the file, line and key. */
enum xp_status config_load(const char *path, struct config **out,
    struct xp_error *err);

/* Parses TEXT (the contents of a config file called NAME) into CFG,
 * overwriting the keys it sets.  Exposed for tests and the fuzzer. */
enum xp_status config_parse(struct config *cfg, const char *name,
    const char *text, struct xp_error *err);

/* Sets KEY to VALUE as if read from a file; ORIGIN/LINE go into ERR. */
enum xp_status config_set(struct config *cfg, const char *key,
    const char *value, const char *origin, long line, struct xp_error *err);

/* Takes another reference; config_free drops one and frees with the last.
 * A config is never changed once loaded: SIGHUP loads a new one. */
struct config *config_ref(struct config *cfg);
void config_free(struct config *cfg);

#endif
