/* page-asset.c - the one CSS file, served from memory with its ETag.
 * Links carry ?v=<hash>, so browsers may keep it for a day. */
#include <stdio.h>

#include "hash.h"
#include "page.h"

#define ASSET_MAX_AGE 86400

bool
page_stylesheet_fp(struct page_ctx *pc, struct response *resp, uint64_t *fp)
{
	const struct stylesheets *s = pc->site->sheets;

	*fp = hash_str(HASH_INIT, s->css_etag);
	resp->content_type = CT_CSS;
	resp->last_modified = s->loaded_at;
	resp->max_age = ASSET_MAX_AGE;
	return true;
}

void
page_stylesheet(struct page_ctx *pc, struct response *resp)
{
	const struct stylesheets *s = pc->site->sheets;

	buf_append(&resp->body, s->css, s->css_len);
	page_stylesheet_fp(pc, resp, &(uint64_t){ 0 });
}
