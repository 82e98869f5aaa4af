/* pagebody.c - shared finished bodies and their gzip form (zlib). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "pagebody.h"

/* P (malloc'd) cut down to SIZE bytes; P itself when that fails. */
static char *
shrink(char *p, size_t size)
{
	char *fit = realloc(p, size ? size : 1);

	return fit != NULL ? fit : p;
}

/* gzip of IN (LEN bytes) into a new buffer (caller frees) of *OUT_LEN
 * bytes, or NULL.  Level 6, zlib's default: pages are compressed once,
 * when rendered, so a higher level would buy little per byte served. */
static char *
gzip_bytes(const char *in, size_t len, size_t *out_len)
{
	z_stream z;
	uLong bound;
	char *out;
	int rc;

	memset(&z, 0, sizeof(z));
	/* 15 + 16: a gzip header and trailer instead of zlib's. */
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	bound = deflateBound(&z, (uLong)len) + 32;
	if ((out = malloc(bound)) == NULL) {
		deflateEnd(&z);
		return NULL;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)bound;
	rc = deflate(&z, Z_FINISH);
	*out_len = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	/* The bound is about the size of the input: keep only what the
	 * compressed form needs, which is what the cache counts. */
	return shrink(out, *out_len);
}

struct page_body *
page_body_adopt(char *data, size_t len, bool compress)
{
	struct page_body *b;

	/* A buffer grown by doubling may hold twice its length. */
	data = shrink(data, len + 1);

	/* zlib counts in uInt: a body of 4 GiB or more stays identity. */
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		free(data);
		return NULL;
	}
	atomic_init(&b->refs, 1);
	b->status = 200;
	b->data = data;
	b->len = len;
	if (compress && len < (size_t)0xffffffffu)
		b->gz = gzip_bytes(data, len, &b->gz_len);
	return b;
}

struct page_body *
page_body_new(const char *data, size_t len, bool compress)
{
	char *copy = malloc(len + 1);

	if (copy == NULL)
		return NULL;
	memcpy(copy, data, len);
	copy[len] = '\0';
	return page_body_adopt(copy, len, compress);
}

struct page_body *
page_body_ref(struct page_body *b)
{
	if (b != NULL)
		atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
	return b;
}

void
page_body_unref(struct page_body *b)
{
	if (b == NULL ||
	    atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
		return;
	free(b->data);
	free(b->gz);
	free(b);
}

size_t
page_body_cost(const struct page_body *b)
{
	return sizeof(*b) + b->len + 1 + b->gz_len;
}

bool
page_body_compressible(const char *content_type)
{
	static const char *const types[] = {
		"text/", "application/atom+xml", "application/feed+json",
		"application/json", "application/xml", "image/svg+xml",
	};

	if (content_type == NULL)
		return false;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strncmp(content_type, types[i], strlen(types[i])) == 0)
			return true;
	return false;
}
