/* unit.h - what the table-driven unit tests share: a CHECK that names the
 * failing row and keeps going (so one run lists every bad row), and temp
 * directory helpers.  Included by tests/unit/test-*.c only. */
#ifndef XP_UNIT_H
#define XP_UNIT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int unit_failures;

/* CHECK(cond, "row %zu (%s): what", ...) prints the message when COND is
 * false and counts it; CHECK_DONE() fails the test if any CHECK failed. */
#define CHECK(cond, ...) do {                                            \
	if (!(cond)) {                                                   \
		unit_failures++;                                         \
		print_error("%s:%d: FAILED: ", __FILE__, __LINE__);      \
		print_error(__VA_ARGS__);                                \
		print_error("   [%s]\n", #cond);                         \
	}                                                                \
} while (0)

#define CHECK_DONE() do {                                                \
	int n_ = unit_failures;                                          \
	unit_failures = 0;                                               \
	if (n_ != 0)                                                     \
		fail_msg("%d check(s) failed (see above)", n_);          \
} while (0)

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

static inline bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static inline const char *
str_or(const char *s)
{
	return s ? s : "(null)";
}

/* Makes a fresh directory under $TMPDIR; returns a malloc'd path. */
static inline char *
unit_tempdir(void)
{
	const char *tmp = getenv("TMPDIR");
	char tmpl[512];
	char *d;

	snprintf(tmpl, sizeof(tmpl), "%s/xp-unit.XXXXXX", tmp ? tmp : "/tmp");
	if ((d = mkdtemp(tmpl)) == NULL)
		return NULL;
	return strdup(d);
}

static inline int
unit_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	chmod(path, 0700);
	return remove(path);
}

static inline void
unit_rmtree(const char *dir)
{
	if (dir != NULL)
		nftw(dir, unit_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes LEN bytes (or strlen(TEXT) when LEN is (size_t)-1) to DIR/NAME. */
static inline bool
unit_write(const char *dir, const char *name, const char *text, size_t len)
{
	char path[4096];
	FILE *f;
	bool ok;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return false;
	if ((f = fopen(path, "wb")) == NULL)
		return false;
	if (len == (size_t)-1)
		len = strlen(text);
	ok = fwrite(text, 1, len, f) == len;
	return fclose(f) == 0 && ok;
}

static inline void
unit_path(char *out, size_t size, const char *dir, const char *name)
{
	if ((size_t)snprintf(out, size, "%s/%s", dir, name) >= size)
		out[0] = '\0';
}

#endif
