/* fuzz-metacache.c - libFuzzer harness for the metadata cache loader
 * (cgi-src/metacache.c, cgi-src/metarecord.c, cgi-src/filemap.c).
 *
 * The input is one flags byte, then the whole cache file.  With flag bit
 * 0 set every record gets a fresh checksum first (metarecord_reseal), so
 * that the fuzzer reaches the checks on a record's contents and not only
 * the checksum.  The file is written to a cache folder and opened as the
 * server does (copied, read, checked).  Whatever was accepted must then
 * survive a save and a reload unchanged: a record the loader takes is one
 * the writer writes back and the loader takes again. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "log.h"
#include "metacache.h"
#include "metarecord.h"

#include "fuzz.h"

#define MAGIC_LEN (sizeof("xsltpress-metadata\n") - 1)

static char articles_dir[512], cache_dir[512], meta_path[600];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char root[64];

	(void)argc;
	(void)argv;
	xmlInitParser();
	log_set_level(LOG_ERROR);
	fuzz_scratch_dir("metacache", root, sizeof(root));
	snprintf(articles_dir, sizeof(articles_dir), "%s/articles", root);
	snprintf(cache_dir, sizeof(cache_dir), "%s/cache", root);
	snprintf(meta_path, sizeof(meta_path), "%s/metadata", cache_dir);
	if (mkdir(cache_dir, 0700) != 0)
		abort();
	return 0;
}

/* Gives every record of the cache file DATA (LEN bytes) a fresh checksum,
 * as far as its framing allows. */
static void
reseal_all(char *data, size_t len)
{
	uint64_t head[3], n;
	char *p, *end;
	size_t words_at;

	if (len < MAGIC_LEN + sizeof(head))
		return;
	memcpy(head, data + MAGIC_LEN, sizeof(head));
	p = data + MAGIC_LEN + sizeof(head);
	if (head[2] > (uint64_t)(data + len - p))
		return;
	end = p + head[2];
	words_at = (size_t)(end - data);
	words_at += (4 - words_at % 4) % 4;
	if (words_at > len)
		words_at = len;
	while ((size_t)(end - p) >= 16) {
		memcpy(&n, p, sizeof(n));
		if (n > (uint64_t)(end - p - 16))
			break;
		(void)metarecord_reseal(p, end,
		    (const uint32_t *)(const void *)(data + words_at),
		    (len - words_at) / 4);
		p += 16 + n;
	}
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct metacache *mc, *again;
	struct xp_error err;
	size_t kept;
	char *file;

	if (size < 1)
		return 0;
	/* A copy aligned as the loader's own copy is: the words section is
	 * read as 32-bit words. */
	if ((file = malloc(size)) == NULL)
		abort();
	memcpy(file, data + 1, size - 1);
	if (data[0] & 1)
		reseal_all(file, size - 1);
	write_file(meta_path, file, size - 1);
	free(file);
	if ((mc = metacache_open(cache_dir, articles_dir, &err)) == NULL)
		abort();
	kept = mc->records.count;
	if (kept > 0) {
		/* What was accepted is written back and read back whole. */
		mc->dirty = true;
		if (metacache_save(mc, &err) != XP_OK)
			abort();
		if ((again = metacache_open(cache_dir, articles_dir, &err)) == NULL ||
		    again->records.count != kept || again->dirty)
			abort();
		metacache_free(again);
	}
	metacache_free(mc);
	return 0;
}
