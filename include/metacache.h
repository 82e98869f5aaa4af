/* metacache.h - the on-disk metadata cache (config key cache_dir).
 *
 * One file holds, for every article file, the stamp it had (name, size,
 * mtime, ctime, inode) and the metadata parsed from it; a copy of each
 * good version's bytes sits beside it.  A CGI process, which starts for
 * every request, then reads one file instead of parsing the folder, and a
 * broken save still has its last good version to serve.
 *
 * It is only an accelerator: a missing, corrupt or foreign cache file is
 * ignored (and rewritten), which costs time, never correctness.  It is
 * also input that others may change: the file is copied, never mapped in
 * place, and each record carries a checksum and is checked as strictly as
 * an article file; a damaged record is dropped alone and its article read
 * from its file again.
 *
 * Kept bodies are pruned: a version no record names any more (an edit
 * replaced it, the article was deleted) is deleted a few seconds later,
 * and each save sweeps the folder of what no record names. */
#ifndef XP_METACACHE_H
#define XP_METACACHE_H

#include <stdbool.h>

#include "article.h"
#include "error.h"
#include "filemap.h"
#include "strmap.h"

struct metacache {
	char *dir;
	char *articles_dir;      /* where the files the records describe live */
	struct article_home *home; /* both, as the articles hold them */
	struct filemap *map;     /* the cache file, mapped; NULL when none */
	struct filemap *spill;   /* the search words of the articles stored
	                            since, in a file of our own; NULL before
	                            the first store, or when none can be */
	bool no_spill;           /* none could be: words stay in memory */
	struct strmap records;   /* file name -> struct meta_record */
	bool dirty;              /* differs from the file on disk */
	struct retired_body *retired; /* kept bodies to delete soon */
	size_t nretired;
};

/* Reads DIR/metadata (creating DIR if needed) for the articles folder
 * ARTICLES_DIR.  Returns a cache the caller
 * frees with metacache_free, possibly empty; NULL only when out of memory
 * or DIR cannot be created (ERR says which). */
struct metacache *metacache_open(const char *dir, const char *articles_dir,
    struct xp_error *err);
void metacache_free(struct metacache *mc);

/* Starts copying the cache file MC read aside, so that it is no longer
 * the file others may change (see filemap_copy_aside).  For a process
 * that serves on, once it is confined; MC NULL is fine. */
void metacache_copy_aside(struct metacache *mc);

/* The article for NAME if the cache holds it with exactly STAMP: a new
 * reference (caller unrefs) whose bytes are read from the kept copy when
 * the page needs them.  NULL otherwise. */
struct article *metacache_lookup(struct metacache *mc, const char *name,
    const struct file_stamp *stamp);

/* The last good version recorded for NAME, whatever its stamp, or NULL. */
struct article *metacache_last_good(struct metacache *mc, const char *name);

/* Records A (just parsed from NAME) and keeps a copy of its bytes on
 * disk.  Returns the recorded twin of A that reads its bytes from there (a
 * new reference, caller unrefs), so the caller can drop A's bytes from
 * memory; NULL when the copy could not be kept. */
struct article *metacache_store(struct metacache *mc, const char *name,
    const struct article *a);

/* Forgets NAME (the file is gone); its kept body goes a little later. */
void metacache_forget(struct metacache *mc, const char *name);

/* Forgets every name for which KEEP(CTX, name) is false: after a full
 * scan, the files deleted while no process was running, which would
 * otherwise stay in the cache, and in memory, forever. */
void metacache_prune(struct metacache *mc,
    bool (*keep)(void *ctx, const char *name), void *ctx);

/* Writes the cache file if anything changed, atomically (rename), then
 * deletes the kept bodies no record names. */
enum xp_status metacache_save(struct metacache *mc, struct xp_error *err);

#endif
