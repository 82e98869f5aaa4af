/* filemap.c - private read-only copies of files, mapped. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"
#include "filemap.h"

/* How long an open waits for another process's lease on the file. */
#define LEASE_WAIT_MS 10000
/* Bytes copied between two looks at a copier's stop flag. */
#define COPY_CHUNK (1u << 20)

/* True when STOP (NULL: never) says a copy is no longer wanted. */
static bool
stopped(const atomic_bool *stop)
{
	return stop != NULL && atomic_load(stop);
}

/* Copies up to LEN bytes of SRC into DST (both at offset 0), giving up
 * when STOP (NULL: never) is set.  Returns the bytes copied: fewer when
 * SRC shrank meanwhile or STOP was set, (size_t)-1 on an error.
 *
 * A filesystem that shares extents clones the file at no cost.  Else in
 * the kernel: copy_file_range fills the copy in small folios, which later
 * reads map 64 KB at a time; a copy written through a buffer of 1 MB is
 * made of folios that large, each mapped whole by a read (Linux 6.18),
 * which took the postings build at 100,000 articles from 130 MB to 147
 * and 3 s more system time, for a copy 1-3 s faster that no one waits
 * for.  The buffer is for files copy_file_range cannot join. */
static size_t
copy_fd(int src, int dst, size_t len, const atomic_bool *stop)
{
	loff_t in = 0, out = 0;
	struct stat st;
	size_t done = 0;
	char *chunk;
	ssize_t n = 0;

	/* The clone is the whole file: as long as it has LEN bytes, those
	 * are the ones copied. */
	if (ioctl(dst, FICLONE, src) == 0)
		return fstat(dst, &st) == 0 && (size_t)st.st_size >= len ?
		    len : (size_t)-1;
	while (done < len && !stopped(stop)) {
		size_t want = len - done < COPY_CHUNK ? len - done : COPY_CHUNK;

		if ((n = copy_file_range(src, &in, dst, &out, want, 0)) < 0 &&
		    errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (done == len || n == 0 || stopped(stop))
		return done;
	if (errno != EXDEV && errno != ENOSYS && errno != EINVAL &&
	    errno != EOPNOTSUPP && errno != EBADF)
		return (size_t)-1;
	/* Not between these two files: through a buffer, from DONE on. */
	if ((chunk = malloc(COPY_CHUNK)) == NULL)
		return (size_t)-1;
	while (done < len && !stopped(stop)) {
		size_t want = len - done < COPY_CHUNK ? len - done : COPY_CHUNK;

		if ((n = pread(src, chunk, want, (off_t)done)) < 0 &&
		    errno == EINTR)
			continue;
		if (n <= 0 || !fd_write_at(dst, chunk, (size_t)n, done)) {
			if (n != 0)
				done = (size_t)-1;
			break;
		}
		done += (size_t)n;
	}
	free(chunk);
	return done;
}

/* An unnamed file of ours: O_TMPFILE in DIR (its pages can be written
 * back under memory pressure), else a memfd.  Returns an fd or -1. */
static int
scratch_file(const char *dir)
{
	int fd = -1;

	if (dir != NULL)
		fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		fd = memfd_create("xsltpress-filemap", MFD_CLOEXEC |
		    MFD_ALLOW_SEALING);
	return fd;
}

/* Copies up to LEN bytes of SRC into a new scratch file in DIR, sealed
 * when it is a memfd.  Returns its fd and the bytes it holds in *GOT (fewer
 * than LEN when SRC shrank meanwhile or STOP was set), or -1 when nothing
 * could be copied. */
static int
scratch_copy(int src, const char *dir, size_t len, const atomic_bool *stop,
    size_t *got)
{
	int copy = scratch_file(dir);

	if (copy >= 0 && ((*got = copy_fd(src, copy, len, stop)) == 0 ||
	    *got == (size_t)-1)) {
		close(copy);
		copy = -1;
	}
	/* A memfd is sealed: nothing can change it now. */
	if (copy >= 0)
		(void)fcntl(copy, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
		    F_SEAL_WRITE | F_SEAL_SEAL);
	return copy;
}

/* Reads LEN bytes of SRC into fresh private memory.  Returns the mapping
 * (read-only) and its length in *GOT, or MAP_FAILED. */
static void *
private_copy(int src, size_t len, size_t *got)
{
	void *addr = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t done = 0;
	ssize_t n;

	if (addr == MAP_FAILED)
		return MAP_FAILED;
	while (done < len && ((n = pread(src, (char *)addr + done, len - done,
	    (off_t)done)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			done += (size_t)n;
	if (done == 0 || mprotect(addr, len, PROT_READ) != 0) {
		munmap(addr, len);
		return MAP_FAILED;
	}
	*got = done;
	return addr;
}

/* A read lease on FD: while we hold it, the kernel makes anyone who opens
 * the file for writing or truncates it by name wait until we let go (at
 * most /proc/sys/fs/lease-break-time), so the file cannot change under a
 * mapping of it.  The break's signal is SIGURG, which is ignored unless
 * handled: the copier lets go once its copy is mapped, never on a signal.
 * False when someone has it open for writing, we do not own it, or the
 * filesystem has no leases (NFS): then it is copied first. */
static bool
take_lease(int fd)
{
	return fcntl(fd, F_SETSIG, SIGURG) == 0 &&
	    fcntl(fd, F_SETLEASE, F_RDLCK) == 0;
}

/* Puts a private copy of M's leased file where M's mapping is, then lets
 * go of the lease.  The copy's bytes are the file's (nobody could change
 * it meanwhile), so a reader on another thread sees the same bytes before
 * and after the mapping is swapped under it.  Without a copy (stopped,
 * no room on the disk nor in memory) the lease stays: each writer then
 * waits the lease-break time before the kernel lets it through, which is
 * as far as protection can go without a copy. */
static void *
copier(void *arg)
{
	struct filemap *m = arg;
	size_t got = 0;
	int copy;

	copy = scratch_copy(m->lease_fd, m->scratch_dir, m->len, &m->stop, &got);
	if (copy < 0)
		return NULL;
	/* Only a whole copy: the map past a short one's end would fault. */
	if (got == m->len && mmap((void *)m->data, m->len, PROT_READ,
	    MAP_SHARED | MAP_FIXED, copy, 0) != MAP_FAILED) {
		(void)fcntl(m->lease_fd, F_SETLEASE, F_UNLCK);
		close(m->lease_fd);
		m->lease_fd = -1;
	}
	close(copy);
	return NULL;
}

static struct filemap *
filemap_new(const void *addr, size_t len, bool droppable)
{
	struct filemap *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	atomic_init(&m->refs, 1);
	atomic_init(&m->stop, false);
	m->data = addr;
	m->len = len;
	m->droppable = droppable;
	m->fd = -1;
	m->lease_fd = -1;
	return m;
}

/* Maps the leased file FD (LEN bytes) as it is, to be copied aside by
 * filemap_copy_aside.  Returns the mapping, which owns FD, or NULL (FD
 * still the caller's) when it cannot. */
static struct filemap *
map_leased(int fd, size_t len, const char *scratch_dir)
{
	void *addr = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	struct filemap *m;

	if (addr == MAP_FAILED)
		return NULL;
	if ((m = filemap_new(addr, len, true)) == NULL ||
	    (scratch_dir != NULL &&
	    (m->scratch_dir = strdup(scratch_dir)) == NULL)) {
		free(m);
		munmap(addr, len);
		return NULL;
	}
	m->lease_fd = fd;
	return m;
}

void
filemap_copy_aside(struct filemap *m)
{
	if (m == NULL || m->lease_fd < 0 || m->copying)
		return;
	/* A write lease holds back readers too, among them an open for
	 * reading with O_TRUNC, which truncates through a read lease.  Only
	 * for the copy's few seconds (a reader waits for it); failing (the
	 * file is open elsewhere), the read lease stays. */
	(void)fcntl(m->lease_fd, F_SETLEASE, F_WRLCK);
	/* No thread: copied now, as if there had been no lease. */
	if (pthread_create(&m->copier, NULL, copier, m) == 0)
		m->copying = true;
	else
		copier(m);
}

/* Opens PATH to read: without blocking, since a FIFO put there must not
 * hang the open, and without following a link.  An open held back by a
 * lease (another xsltpress copying the file aside: seconds) waits for it
 * on Linux 6.18, but fcntl(2) says it answers EWOULDBLOCK, having asked
 * the holder to let go: then it is tried again every 20 ms for up to
 * LEASE_WAIT_MS.  Returns the fd or -1. */
static int
open_to_read(const char *path)
{
	const struct timespec pause = { 0, 20 * 1000000L };
	int fd;

	for (unsigned waited = 0;; waited += 20) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
		    O_NOCTTY);
		if (fd >= 0 || errno != EWOULDBLOCK || waited >= LEASE_WAIT_MS)
			return fd;
		nanosleep(&pause, NULL);
	}
}

struct filemap *
filemap_open(const char *path, const char *scratch_dir, size_t max)
{
	void *addr = MAP_FAILED;
	struct filemap *m;
	bool droppable = false, leased;
	size_t len = 0, got = 0;
	struct stat st;
	int fd, copy;

	if ((fd = open_to_read(path)) < 0)
		return NULL;
	/* The size is read under the lease: it cannot change after. */
	leased = take_lease(fd);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (size_t)st.st_size > max) {
		close(fd);
		return NULL;
	}
	len = (size_t)st.st_size;
	/* Served from at once; copied when the caller says. */
	if (leased && (m = map_leased(fd, len, scratch_dir)) != NULL)
		return m;
	if (leased)
		(void)fcntl(fd, F_SETLEASE, F_UNLCK);
	if ((copy = scratch_copy(fd, scratch_dir, len, NULL, &got)) >= 0) {
		addr = mmap(NULL, got, PROT_READ, MAP_SHARED, copy, 0);
		droppable = addr != MAP_FAILED;
		close(copy);
	}
	if (addr == MAP_FAILED)
		addr = private_copy(fd, len, &got);
	close(fd);
	if (addr == MAP_FAILED)
		return NULL;
	if ((m = filemap_new(addr, got, droppable)) == NULL)
		munmap(addr, got);
	return m;
}

bool
filemap_wait_private(struct filemap *m)
{
	if (m->copying) {
		pthread_join(m->copier, NULL);
		m->copying = false;
	}
	return m->lease_fd < 0;
}

struct filemap *
filemap_spill(const char *dir, size_t max)
{
	struct filemap *m;
	void *addr;
	int fd;

	/* Only a file on the disk: a memfd would keep the words in memory
	 * all the same, only no longer counted as this process's. */
	if (dir == NULL || dir[0] == '\0' || max == 0 ||
	    (fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return NULL;
	/* Mapping past the end of a file is allowed; only reading there
	 * would fault, and only what was written is ever read. */
	addr = mmap(NULL, max, PROT_READ, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED || (m = filemap_new(addr, max, true)) == NULL) {
		if (addr != MAP_FAILED)
			munmap(addr, max);
		close(fd);
		return NULL;
	}
	m->fd = fd;
	return m;
}

const void *
filemap_append(struct filemap *m, const void *bytes, size_t len)
{
	size_t at = m->used;

	if (m->fd < 0 || len > m->len || at > m->len - len ||
	    (len > 0 && !fd_write_at(m->fd, bytes, len, at)))
		return NULL;
	m->used = at + ((len + 7) & ~(size_t)7);
	if (m->used > m->len)
		m->used = m->len;
	return m->data + at;
}

void
filemap_sweep_flush(struct filemap_sweep *s)
{
	for (size_t i = 0; i < s->nmaps; i++)
		filemap_drop_pages(s->maps[i]);
	s->nmaps = 0;
	s->notes = 0;
}

void
filemap_sweep_note(struct filemap_sweep *s, const struct filemap *m)
{
	size_t i = 0;

	if (m == NULL || !m->droppable)
		return;
	while (i < s->nmaps && s->maps[i] != m)
		i++;
	if (i == s->nmaps) {
		if (s->nmaps == FILEMAP_SWEEP_MAPS)
			filemap_sweep_flush(s);
		s->maps[s->nmaps++] = m;
	}
	if (++s->notes >= s->every)
		filemap_sweep_flush(s);
}

struct filemap *
filemap_ref(struct filemap *m)
{
	if (m != NULL)
		atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
	return m;
}

void
filemap_unref(struct filemap *m)
{
	if (m == NULL ||
	    atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1)
		return;
	/* The copier stops within a chunk: nobody reads the map now. */
	atomic_store(&m->stop, true);
	(void)filemap_wait_private(m);
	munmap((void *)m->data, m->len);
	if (m->fd >= 0)
		close(m->fd);
	if (m->lease_fd >= 0)
		close(m->lease_fd);
	free(m->scratch_dir);
	free(m);
}

void
filemap_drop_pages(const struct filemap *m)
{
	/* Our copy is never written after it is made: dropping loses
	 * nothing, and a failure only leaves the pages where they were.
	 * Private memory would come back as zeros, so it stays. */
	if (m != NULL && m->droppable)
		(void)madvise((void *)m->data, m->len, MADV_DONTNEED);
}
