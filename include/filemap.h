/* filemap.h - a read-only file mapping shared by reference count.
 *
 * Articles read from the metadata cache point into its mapped file for
 * their search words instead of copying them to the heap; each holds a
 * reference, so the mapping lives exactly as long as the last of them. */
#ifndef XP_FILEMAP_H
#define XP_FILEMAP_H

#include <stdatomic.h>
#include <stddef.h>

struct filemap {
	atomic_int refs;
	const char *data;   /* page-aligned, LEN bytes, read-only */
	size_t len;
};

/* Maps the regular file PATH (at most MAX bytes).  Returns a mapping with
 * one reference, or NULL when the file is missing, empty, too big or
 * cannot be mapped. */
struct filemap *filemap_open(const char *path, size_t max);

/* Lets the kernel take M's pages out of this process: a later read faults
 * them back in from the file (the page cache, usually).  For reads that
 * will not come back soon, such as building the search postings. */
void filemap_drop_pages(const struct filemap *m);

struct filemap *filemap_ref(struct filemap *m);
/* Drops one reference; the last unmaps.  NULL is fine. */
void filemap_unref(struct filemap *m);

#endif
