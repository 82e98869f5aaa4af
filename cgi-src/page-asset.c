/* page-asset.c - the one CSS file, served from memory with its ETag.
 * Links carry ?v=<hash>, so it can be cached for a long time. */
#include <stdio.h>

#include "page.h"

#define ASSET_MAX_AGE 86400

void
page_stylesheet(struct page_ctx *pc, struct response *resp)
{
	const struct stylesheets *s = pc->site->sheets;

	resp->content_type = CT_CSS;
	buf_append(&resp->body, s->css, s->css_len);
	snprintf(resp->etag, sizeof(resp->etag), "%s", s->css_etag);
	resp->last_modified = s->loaded_at;
	resp->max_age = ASSET_MAX_AGE;
}
