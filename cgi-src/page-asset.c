/* page-asset.c - the static files of the stylesheet folder (style.css,
 * favicon.svg), served from memory with their ETag.  Links carry
 * ?v=<hash>: such a URL names one content for ever, so it may be kept a
 * year; the bare URL is kept for a day. */
#include <string.h>

#include "hash.h"
#include "page.h"

#define ASSET_MAX_AGE 86400
#define ASSET_FINGERPRINTED_MAX_AGE 31536000

/* Does the query name this content: "v=" and the first 8 hex digits of
 * its ETag, as page.c writes the links? */
static bool
fingerprinted(const char *query, const struct asset *a)
{
	return strncmp(query, "v=", 2) == 0 && strlen(query + 2) == 8 &&
	    strncmp(query + 2, a->etag + 1, 8) == 0;
}

bool
page_asset_fp(struct page_ctx *pc, struct response *resp, uint64_t *fp)
{
	const struct asset *a = &pc->site->sheets->assets[pc->variant];

	*fp = hash_str(HASH_INIT, a->etag);
	resp->content_type = render_asset_type((enum asset_kind)pc->variant);
	resp->last_modified = pc->site->sheets->loaded_at + 1 < pc->now
	    ? pc->site->sheets->loaded_at : 0;
	resp->max_age = ASSET_MAX_AGE;
	if (fingerprinted(pc->req->query, a)) {
		resp->max_age = ASSET_FINGERPRINTED_MAX_AGE;
		resp->immutable = true;
	}
	return true;
}

void
page_asset(struct page_ctx *pc, struct response *resp)
{
	const struct asset *a = &pc->site->sheets->assets[pc->variant];

	buf_append(&resp->body, a->data, a->len);
	page_asset_fp(pc, resp, &(uint64_t){ 0 });
}
