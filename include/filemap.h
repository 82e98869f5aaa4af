/* filemap.h - a private, read-only copy of a file, shared by reference
 * count.
 *
 * Articles read from the metadata cache point into it for their search
 * words instead of copying them to the heap; each holds a reference, so
 * the copy lives exactly as long as the last of them.
 *
 * What is read is never a file others can change under us: the cache file
 * may be replaced, truncated or rewritten in place by anyone (cp, rsync
 * --inplace, a restore), and a mapping of it would then read other bytes,
 * or die of SIGBUS past its new end.  So it is copied into an unnamed file
 * of our own (O_TMPFILE in a folder we choose, else a memfd), whose pages
 * can still be given back to the kernel and read again, or, failing both,
 * into private memory that is simply kept.
 *
 * The copy of a 900 MB cache takes seconds, so a start does not wait for
 * it: it takes a read lease on the file, under which the kernel holds back
 * anyone who opens it for writing or truncates it by name (until we let go,
 * or /proc/sys/fs/lease-break-time), maps the file itself, and copies it
 * on a thread of its own, swapping the copy in at the same addresses once
 * it is whole and only then letting go of the lease.  While it copies,
 * the lease is a write lease when it can be (nobody else has the file
 * open), which holds back readers too: a read lease lets through an open
 * for reading with O_TRUNC, which nothing ordinary does, but which would
 * cut the file short under the map.  What remains open to it is the
 * moment between the start and the copy (before the server is confined),
 * a CGI request's life, and a copy begun while another reader had the
 * file open.  Without a lease (a file open for writing elsewhere, one we
 * do not own, NFS) the copy is made first, as before. */
#ifndef XP_FILEMAP_H
#define XP_FILEMAP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct filemap {
	atomic_int refs;
	const char *data;   /* page-aligned, LEN bytes, read-only */
	size_t len;
	bool droppable;     /* backed by our unnamed file: pages may go */
	int fd;             /* a spill's file, appended to; else -1 */
	size_t used;        /* a spill's bytes written so far (len is the
	                       room reserved for it) */
	/* While the file itself is mapped under a lease (see above): */
	int lease_fd;       /* the leased file, or -1: DATA is our copy */
	char *scratch_dir;  /* where the copy goes (NULL: a memfd) */
	pthread_t copier;
	bool copying;       /* COPIER is to be joined */
	atomic_bool stop;   /* the last reference is gone: stop copying */
};

/* Maps the regular file PATH (at most MAX bytes; a symbolic link, FIFO
 * or device is refused without blocking) read-only: the file itself under
 * a lease until filemap_copy_aside, else a copy made first, in an unnamed
 * file in SCRATCH_DIR (NULL: none), else a memfd, else private memory.
 * Returns a mapping with one reference, or NULL when the file is missing,
 * empty, too big or cannot be read. */
struct filemap *filemap_open(const char *path, const char *scratch_dir,
    size_t max);

/* Starts copying M's leased file aside on a thread of its own, which
 * swaps the copy in and lets go of the lease (nothing to do when M is a
 * copy already).  Called once the process is confined (the thread
 * inherits the sandbox of its caller's) by one that will run long: a CGI
 * process ends sooner than the copy, and simply keeps the lease. */
void filemap_copy_aside(struct filemap *m);

/* Waits until M's copy is made (or could not be).  Returns true when M is
 * our copy, false when it is still the leased file.  For tests and for a
 * caller about to give the file's room back; the thread that opened M, or
 * one the caller serialises with it. */
bool filemap_wait_private(struct filemap *m);

/* Lets the kernel take M's pages out of this process: a later read faults
 * them back in from our copy.  For reads that will not come back soon,
 * such as building the search postings.  Does nothing for a copy in
 * private memory, which has nowhere to be read back from. */
void filemap_drop_pages(const struct filemap *m);

/* An empty unnamed file in DIR, mapped read-only with room for MAX
 * bytes (address space only), that filemap_append fills: where a cold
 * start puts the search words it parses, so that they live in the page
 * cache, which the kernel can write back and take, rather than in this
 * process's heap.  Returns it with one reference, or NULL when DIR cannot
 * hold such a file (the caller keeps the words in memory then). */
struct filemap *filemap_spill(const char *dir, size_t max);

/* Writes LEN bytes of BYTES at the end of the spill M (offsets kept a
 * multiple of 8) and returns where they are in M's map: read-only, valid
 * as long as M is.  NULL when M is full or the write fails.  One thread
 * at a time appends; any may read what was appended before. */
const void *filemap_append(struct filemap *m, const void *bytes, size_t len);

/* The maps a long pass reads (each word set of 100,000 articles, say),
 * given back to the kernel every so many reads, so that the pass holds a
 * window of them in this process rather than all it has read. */
#define FILEMAP_SWEEP_MAPS 4
struct filemap_sweep {
	const struct filemap *maps[FILEMAP_SWEEP_MAPS];
	size_t nmaps;
	size_t notes;     /* reads noted since the last drop */
	size_t every;     /* reads between two drops */
};

/* A sweep that drops what was read every EVERY reads. */
#define FILEMAP_SWEEP_INIT(EVERY) { .every = (EVERY) }

/* Notes a read from M (NULL: memory of our own, nothing to note); drops
 * the pages of the maps noted when EVERY reads have been, or when a new
 * map would not fit in the list. */
void filemap_sweep_note(struct filemap_sweep *s, const struct filemap *m);

/* Drops the pages of every map noted, and forgets them. */
void filemap_sweep_flush(struct filemap_sweep *s);

struct filemap *filemap_ref(struct filemap *m);
/* Drops one reference; the last unmaps.  NULL is fine. */
void filemap_unref(struct filemap *m);

#endif
