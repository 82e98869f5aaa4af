/* filemap.h - a private, read-only copy of a file, shared by reference
 * count.
 *
 * Articles read from the metadata cache point into it for their search
 * words instead of copying them to the heap; each holds a reference, so
 * the copy lives exactly as long as the last of them.
 *
 * It is a copy, never the file itself: the cache file may be replaced,
 * truncated or rewritten in place by anyone (cp, rsync --inplace, a
 * restore), and a mapping of it would then read other bytes, or die of
 * SIGBUS past its new end.  The copy lives in an unnamed file of our own
 * (O_TMPFILE in a folder we choose, else a memfd), so its pages can still
 * be given back to the kernel and read again, or, failing both, in
 * private memory that is simply kept. */
#ifndef XP_FILEMAP_H
#define XP_FILEMAP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct filemap {
	atomic_int refs;
	const char *data;   /* page-aligned, LEN bytes, read-only */
	size_t len;
	bool droppable;     /* backed by our unnamed file: pages may go */
};

/* Copies the regular file PATH (at most MAX bytes; a symbolic link, FIFO
 * or device is refused without blocking) into an unnamed file in
 * SCRATCH_DIR (NULL: none), else a memfd, else private memory, and maps
 * the copy read-only.  Returns a mapping with one reference, or NULL when
 * the file is missing, empty, too big or cannot be copied. */
struct filemap *filemap_open(const char *path, const char *scratch_dir,
    size_t max);

/* Lets the kernel take M's pages out of this process: a later read faults
 * them back in from our copy.  For reads that will not come back soon,
 * such as building the search postings.  Does nothing for a copy in
 * private memory, which has nowhere to be read back from. */
void filemap_drop_pages(const struct filemap *m);

struct filemap *filemap_ref(struct filemap *m);
/* Drops one reference; the last unmaps.  NULL is fine. */
void filemap_unref(struct filemap *m);

#endif
