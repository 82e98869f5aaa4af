/* filemap.c - shared read-only mappings of files. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filemap.h"

struct filemap *
filemap_open(const char *path, size_t max)
{
	struct filemap *m;
	struct stat st;
	void *addr;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (size_t)st.st_size > max ||
	    (addr = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
	    0)) == MAP_FAILED) {
		close(fd);
		return NULL;
	}
	close(fd);
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		munmap(addr, (size_t)st.st_size);
		return NULL;
	}
	atomic_init(&m->refs, 1);
	m->data = addr;
	m->len = (size_t)st.st_size;
	return m;
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
	free(m);
}

void
filemap_drop_pages(const struct filemap *m)
{
	/* The mapping is private and never written: dropping loses nothing,
	 * and a failure only leaves the pages where they were. */
	if (m != NULL)
		(void)madvise((void *)m->data, m->len, MADV_DONTNEED);
}
