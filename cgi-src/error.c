/* error.c - the error value every module fills. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static const char *const status_names[XP_ERR__MAX] = {
	[XP_OK] = "ok",
	[XP_ERR_IO] = "i/o error",
	[XP_ERR_PARSE] = "parse error",
	[XP_ERR_INVALID] = "invalid",
	[XP_ERR_NOMEM] = "out of memory",
	[XP_ERR_TOO_BIG] = "too big",
};

enum xp_status
xp_error_set(struct xp_error *err, enum xp_status status, const char *file,
    long line, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return status;
	err->status = status;
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
	va_end(ap);
	return status;
}

void
xp_error_clear(struct xp_error *err)
{
	if (err == NULL)
		return;
	memset(err, 0, sizeof(*err));
}

void
xp_error_format(const struct xp_error *err, char *out, size_t size)
{
	if (err->file[0] != '\0' && err->line > 0)
		snprintf(out, size, "%s:%ld: %s", err->file, err->line, err->reason);
	else if (err->file[0] != '\0')
		snprintf(out, size, "%s: %s", err->file, err->reason);
	else
		snprintf(out, size, "%s", err->reason);
}

const char *
xp_status_name(enum xp_status status)
{
	if (status < 0 || status >= XP_ERR__MAX)
		return "unknown";
	return status_names[status];
}
