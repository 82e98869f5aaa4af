/* pagebody.h - a finished page body: immutable once made, reference
 * counted, with its gzip form made once beside it.
 *
 * The render cache keeps bodies and every request that serves one holds a
 * reference to it: a multi-megabyte page is never copied under the cache
 * lock, and an entry the cache drops stays valid for the requests still
 * sending it. */
#ifndef XP_PAGEBODY_H
#define XP_PAGEBODY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct page_body {
	atomic_int refs;
	int status;               /* 200, or 500 for a remembered failure */
	const char *content_type; /* a constant string, or NULL */
	time_t expires;           /* a failure is retried from then on; 0: never */
	char *data;               /* LEN bytes, NUL-terminated */
	size_t len;
	char *gz;                 /* the gzip form (GZ_LEN bytes), or NULL */
	size_t gz_len;
};

/* Makes a body holding a copy of DATA (LEN bytes) and, with COMPRESS, its
 * gzip form.  Returns it with one reference (page_body_unref frees), or
 * NULL when memory is short.  A gzip form that cannot be made is left
 * NULL: the body is then served identity only. */
struct page_body *page_body_new(const char *data, size_t len, bool compress);

/* Takes over DATA (LEN bytes, malloc'd, NUL-terminated at DATA[LEN]) as
 * above: on success and on failure DATA belongs to the body or is freed. */
struct page_body *page_body_adopt(char *data, size_t len, bool compress);

struct page_body *page_body_ref(struct page_body *b);
/* Drops one reference; frees the body with the last.  Accepts NULL. */
void page_body_unref(struct page_body *b);

/* The bytes the cache counts for B: its forms and its bookkeeping. */
size_t page_body_cost(const struct page_body *b);

/* Is a response of CONTENT_TYPE worth compressing (text, markup, JSON,
 * SVG)?  Images other than SVG are already compressed. */
bool page_body_compressible(const char *content_type);

#endif
