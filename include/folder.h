/* folder.h - the articles folder as the server last read it.
 *
 * It remembers, for every article file, the stamp of the version it read
 * and the last version that was good, so that only changed files are read
 * again and a broken save keeps the good version published. */
#ifndef XP_FOLDER_H
#define XP_FOLDER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "article.h"
#include "error.h"
#include "index.h"
#include "log.h"
#include "metacache.h"
#include "strmap.h"

/* Told about each problem once, when it is first seen.  SERVING_SINCE is
 * the load time of the good version still published, or 0 for none. */
typedef void folder_report_fn(void *ctx, enum log_level level,
    const struct xp_error *err, time_t serving_since);

struct folder {
	char *dir;
	size_t max_bytes;
	struct strmap files;        /* entry name -> struct folder_file */
	unsigned long generation;   /* bumped by every change to the set */
	folder_report_fn *report;
	void *report_ctx;
	struct metacache *mc;       /* owned; NULL when not in use */
	/* What changed since the last snapshot (references held), so the
	 * next one is the last plus this, not a rebuild. */
	struct article **gone, **added;
	size_t ngone, nadded;
	bool rebuild;               /* too much changed, or no snapshot yet */
	char lang[32];              /* search words' language (config lang) */
	struct search_words *words; /* the loading thread's, made on first use */
	/* When not NULL and set (the server is stopping), a scan in progress
	 * gives up between files, changing nothing more: a cold scan of a
	 * large folder takes long enough to hold up a SIGTERM. */
	const atomic_bool *stop;
	unsigned long parse_batches;  /* parsed by scans so far */
	/* A scan leaves the metadata cache's save to folder_save: a server
	 * serves the folder first and saves after (seconds at 100,000). */
	bool defer_save;
};

/* Returns a new, empty folder for DIR (caller frees with folder_free);
 * nothing is read until folder_scan.  NULL when out of memory. */
struct folder *folder_new(const char *dir, size_t max_bytes,
    folder_report_fn *report, void *report_ctx);
void folder_free(struct folder *f);

/* Reads every changed, new or removed file of the folder, parsing on every
 * core (the merge into the folder stays on the calling thread).  Returns
 * XP_ERR_IO (with ERR) when the folder itself cannot be read: what was
 * loaded before stays as it was. */
enum xp_status folder_scan(struct folder *f, struct xp_error *err);

/* Writes the metadata cache, when one is in use and anything changed;
 * a failure is reported (the cache is only an accelerator). */
void folder_save(struct folder *f);

/* Looks at one directory entry NAME again (it changed, appeared or went
 * away).  Returns true when the published set changed. */
bool folder_update(struct folder *f, const char *name);

/* A new snapshot of the good articles (caller unrefs), or NULL when out of
 * memory.  PREV, when not NULL, must be this folder's last published
 * snapshot: the new one is then derived from it by the changes since.
 * The changes are kept until folder_published: a snapshot that could not
 * be published (no memory for the site around it) loses none of them. */
struct index *folder_snapshot(struct folder *f, const struct index *prev);

/* Says that the last snapshot was published: the next one starts from it. */
void folder_published(struct folder *f);

/* Makes the folder consult and fill MC (taking ownership) on its scans:
 * unchanged files come from the cache without being parsed, and a file
 * broken since the cache saw it good is served in its cached version. */
void folder_use_metacache(struct folder *f, struct metacache *mc);

/* Saves and drops the metadata cache: a long-running server keeps its
 * good versions in memory and needs the cache only to start fast. */
void folder_drop_metacache(struct folder *f);

/* Sets the language the search words of articles read from now on are
 * stemmed in (the config's lang); English until set. */
void folder_set_lang(struct folder *f, const char *lang);

/* Counts the files whose last read failed (the problems `check` reports). */
size_t folder_problems(const struct folder *f);

#endif
