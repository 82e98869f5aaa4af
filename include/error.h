/* error.h - errors as values: a status plus where and why.
 *
 * Every function that can fail returns an enum xp_status and, on failure,
 * fills a caller-provided struct xp_error.  Only main() decides to exit.
 */
#ifndef XP_ERROR_H
#define XP_ERROR_H

#include <stddef.h>

enum xp_status {
	XP_OK = 0,
	XP_ERR_IO,       /* a file or socket could not be read or written */
	XP_ERR_PARSE,    /* input is not well-formed */
	XP_ERR_INVALID,  /* well-formed but breaks a rule of the format */
	XP_ERR_NOMEM,    /* an allocation failed */
	XP_ERR_TOO_BIG,  /* over a configured size limit */
	XP_ERR__MAX
};

struct xp_error {
	enum xp_status status;
	char file[512];  /* the file the problem is in, or "" */
	long line;       /* 1-based line in that file, or 0 when unknown */
	char reason[512];
};

/* Fills ERR (which may be NULL) and returns STATUS, so that a failing path
 * can say `return xp_error_set(err, XP_ERR_IO, path, 0, "...")`. */
enum xp_status xp_error_set(struct xp_error *err, enum xp_status status,
    const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Clears ERR to "no error". */
void xp_error_clear(struct xp_error *err);

/* Writes "file:line: reason" (parts that are unknown left out) into OUT. */
void xp_error_format(const struct xp_error *err, char *out, size_t size);

/* A short constant name for STATUS, for logs. */
const char *xp_status_name(enum xp_status status);

#endif
