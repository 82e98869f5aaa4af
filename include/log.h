/* log.h - one line per event on stderr (or the journal), in nginx's shape:
 * "2026/11/30 05:40:00 [error] articles/x.xml:3: reason".
 *
 * Lines are written with one write(2) so that threads never interleave. */
#ifndef XP_LOG_H
#define XP_LOG_H

#include "error.h"

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Only lines at LEVEL or more severe are written.  Set at start and on
 * every config reload; safe while other threads log. */
void log_set_level(enum log_level level);
/* Parses "error", "warn", "info", "debug"; returns -1 for anything else. */
int log_level_parse(const char *name);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Logs ERR as "file:line: reason" at LEVEL. */
void log_error(enum log_level level, const struct xp_error *err);

/* Routes libxml2's and libxslt's own error output for the calling thread
 * into this log instead of a stray stderr line without a file name.  Call
 * once per thread that uses the libraries. */
void log_capture_xml_errors(void);

/* While a capture is active on the calling thread, libxml2 and libxslt
 * errors are kept in ERR (the first one wins) instead of being logged, so
 * that a loader can return them as its own error value. */
void log_capture_begin(struct xp_error *err);
void log_capture_end(void);

#endif
