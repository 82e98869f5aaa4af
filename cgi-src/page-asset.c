/* page-asset.c - the static files of the stylesheet folder (style.css,
 * favicon.svg), served from memory with their ETag.  Links carry
 * ?v=<hash>, so browsers may keep them for a day. */
#include "hash.h"
#include "page.h"

#define ASSET_MAX_AGE 86400

bool
page_asset_fp(struct page_ctx *pc, struct response *resp, uint64_t *fp)
{
	const struct asset *a = &pc->site->sheets->assets[pc->variant];

	*fp = hash_str(HASH_INIT, a->etag);
	resp->content_type = render_asset_type((enum asset_kind)pc->variant);
	resp->last_modified = pc->site->sheets->loaded_at;
	resp->max_age = ASSET_MAX_AGE;
	return true;
}

void
page_asset(struct page_ctx *pc, struct response *resp)
{
	const struct asset *a = &pc->site->sheets->assets[pc->variant];

	buf_append(&resp->body, a->data, a->len);
	page_asset_fp(pc, resp, &(uint64_t){ 0 });
}
