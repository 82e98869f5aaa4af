/* filemap.c - private read-only copies of files, mapped. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "filemap.h"

/* Copies up to LEN bytes of SRC into DST (both at offset 0).  Returns the
 * bytes copied: fewer when SRC shrank meanwhile, (size_t)-1 on an error. */
static size_t
copy_fd(int src, int dst, size_t len)
{
	char chunk[65536];
	loff_t in = 0, out = 0;
	size_t done = 0;
	ssize_t n = 0;

	/* In the kernel when it can: no pass through our memory. */
	while (done < len) {
		n = copy_file_range(src, &in, dst, &out, len - done, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (done == len || n == 0)
		return done;
	if (errno != EXDEV && errno != ENOSYS && errno != EINVAL &&
	    errno != EOPNOTSUPP && errno != EBADF)
		return (size_t)-1;
	/* Not between these two files: through a buffer, from DONE on. */
	while (done < len) {
		size_t want = len - done < sizeof(chunk) ? len - done : sizeof(chunk);

		if ((n = pread(src, chunk, want, (off_t)done)) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? done : (size_t)-1;
		if (!fd_write_at(dst, chunk, (size_t)n, done))
			return (size_t)-1;
		done += (size_t)n;
	}
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

struct filemap *
filemap_open(const char *path, const char *scratch_dir, size_t max)
{
	void *addr = MAP_FAILED;
	struct filemap *m;
	bool droppable = false;
	size_t len = 0, got = 0;
	struct stat st;
	int fd, copy;

	/* Non-blocking: a FIFO put there must not hang the open. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY)) < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (size_t)st.st_size > max) {
		close(fd);
		return NULL;
	}
	len = (size_t)st.st_size;
	if ((copy = scratch_file(scratch_dir)) >= 0) {
		got = copy_fd(fd, copy, len);
		if (got != (size_t)-1 && got > 0) {
			/* A memfd is sealed: nothing can change it now. */
			(void)fcntl(copy, F_ADD_SEALS, F_SEAL_SHRINK |
			    F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
			addr = mmap(NULL, got, PROT_READ, MAP_SHARED, copy, 0);
			droppable = addr != MAP_FAILED;
		}
		close(copy);
	}
	if (addr == MAP_FAILED)
		addr = private_copy(fd, len, &got);
	close(fd);
	if (addr == MAP_FAILED)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		munmap(addr, got);
		return NULL;
	}
	atomic_init(&m->refs, 1);
	m->data = addr;
	m->len = got;
	m->droppable = droppable;
	m->fd = -1;
	return m;
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
	if (addr == MAP_FAILED || (m = calloc(1, sizeof(*m))) == NULL) {
		if (addr != MAP_FAILED)
			munmap(addr, max);
		close(fd);
		return NULL;
	}
	atomic_init(&m->refs, 1);
	m->data = addr;
	m->len = max;
	m->droppable = true;
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
	munmap((void *)m->data, m->len);
	if (m->fd >= 0)
		close(m->fd);
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
