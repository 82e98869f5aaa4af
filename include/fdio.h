/* fdio.h - whole reads and writes on a file descriptor.
 *
 * read(2), pread(2) and write(2) may move fewer bytes than asked (a
 * signal, a pipe, a large count): these loop until all are moved. */
#ifndef XP_FDIO_H
#define XP_FDIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reads exactly LEN bytes at offset OFF of FD into BUF.  Returns false
 * on an error or when the file ends first (BUF then holds part). */
bool fd_read_at(int fd, void *buf, size_t len, uint64_t off);

/* Writes the LEN bytes of DATA to FD.  Returns false on an error. */
bool fd_write_all(int fd, const void *data, size_t len);

/* Writes all LEN bytes of DATA at offset OFF of FD (pwrite); false on an
 * error. */
bool fd_write_at(int fd, const void *data, size_t len, uint64_t off);

#endif
