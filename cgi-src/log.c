/* log.c - the program's log, and where libxml2/libxslt errors go. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/xmlerror.h>
#include <libxslt/xsltutils.h>

#include "log.h"

/* Set at start and again by every SIGHUP (on the watcher thread) while
 * request threads log: atomic, so a reader sees the old or the new level,
 * never a torn one.  Relaxed order is enough: no other data rides on it. */
static atomic_int max_level = LOG_INFO;

/* The calling thread's capture target, if any: per thread, not shared. */
static _Thread_local struct xp_error *capture;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void
log_set_level(enum log_level level)
{
	atomic_store_explicit(&max_level, (int)level, memory_order_relaxed);
}

int
log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

static void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[2048];
	struct tm tm;
	time_t now;
	size_t n;
	int r;

	if ((int)level > atomic_load_explicit(&max_level, memory_order_relaxed))
		return;
	now = time(NULL);
	gmtime_r(&now, &tm);
	n = strftime(line, sizeof(line), "%Y/%m/%d %H:%M:%S ", &tm);
	r = snprintf(line + n, sizeof(line) - n, "[%s] ", level_names[level]);
	n += (size_t)r;
	r = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	n = r < 0 ? n : n + (size_t)r >= sizeof(line) - 1 ? sizeof(line) - 2 : n + (size_t)r;
	/* Strip the newline libxml2 ends its messages with; add exactly one. */
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* Nowhere left to report a failing log. */
	}
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void
log_error(enum log_level level, const struct xp_error *err)
{
	char text[1200];

	xp_error_format(err, text, sizeof(text));
	log_msg(level, "%s", text);
}

/* libxml2 reports through this when no parser context took the error.
 * Article and stylesheet loaders read the context's own error instead, so
 * this only sees what nothing else claimed; it keeps the file and line. */
static void
xml_structured_error(void *data, xmlErrorPtr e)
{
	(void)data;
	if (e == NULL || e->level == XML_ERR_WARNING)
		return;
	if (capture != NULL) {
		if (capture->status == XP_OK) {
			xp_error_set(capture, XP_ERR_PARSE, e->file, e->line, "%s",
			    e->message ? e->message : "error");
			capture->reason[strcspn(capture->reason, "\n")] = '\0';
		}
		return;
	}
	log_msg(LOG_ERROR, "%s:%d: %s", e->file ? e->file : "(xml)", e->line,
	    e->message ? e->message : "error");
}

/* libxslt's generic messages arrive piecewise and printf-shaped. */
static void
xslt_generic_error(void *data, const char *fmt, ...)
{
	va_list ap;

	(void)data;
	va_start(ap, fmt);
	if (capture != NULL) {
		/* libxslt says "file X line N element Y" then the reason, in
		 * separate calls: keep the first two pieces together. */
		size_t used = strlen(capture->reason);

		if (capture->status == XP_OK)
			capture->status = XP_ERR_INVALID;
		if (used < sizeof(capture->reason) / 2) {
			vsnprintf(capture->reason + used,
			    sizeof(capture->reason) - used, fmt, ap);
			for (char *c = capture->reason; *c; c++)
				if (*c == '\n')
					*c = ' ';
		}
	} else {
		log_vmsg(LOG_ERROR, fmt, ap);
	}
	va_end(ap);
}

void
log_capture_begin(struct xp_error *err)
{
	xp_error_clear(err);
	capture = err;
}

void
log_capture_end(void)
{
	capture = NULL;
}

void
log_capture_xml_errors(void)
{
	xmlSetStructuredErrorFunc(NULL, xml_structured_error);
	xsltSetGenericErrorFunc(NULL, xslt_generic_error);
}
