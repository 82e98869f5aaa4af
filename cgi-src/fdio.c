/* fdio.c - whole reads and writes on a file descriptor. */
#include <errno.h>
#include <sys/types.h>
#include <unistd.h>

#include "fdio.h"

bool
fd_read_at(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got,
		    (off_t)(off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

bool
fd_write_at(int fd, const void *data, size_t len, uint64_t off)
{
	size_t put = 0;

	while (put < len) {
		ssize_t n = pwrite(fd, (const char *)data + put, len - put,
		    (off_t)(off + put));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		put += (size_t)n;
	}
	return true;
}

bool
fd_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}
