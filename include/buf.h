/* buf.h - a growable byte buffer, the unit every response is built in. */
#ifndef XP_BUF_H
#define XP_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data;   /* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	bool failed;  /* an allocation failed: later appends are no-ops */
};

#define BUF_INIT { NULL, 0, 0, false }

/* Appends LEN bytes.  On allocation failure sets b->failed and keeps what
 * it had, so callers check once at the end instead of after every append. */
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Gives the caller the bytes (caller frees) and leaves B empty. */
char *buf_detach(struct buf *b, size_t *len);

/* Frees what B holds and leaves it empty; B itself is not freed. */
void buf_release(struct buf *b);

#endif
