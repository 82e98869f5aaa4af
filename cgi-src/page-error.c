/* page-error.c - every error answer (400, 404, 405, 414, 500) as a page
 * rendered by the same stylesheets as the rest of the site. */
#include <stdarg.h>
#include <stdio.h>

#include "page.h"

void
page_error(struct page_ctx *pc, struct response *resp, int status,
    const char *fmt, ...)
{
	char message[512], code[8], href[1024];
	xmlNodePtr root, error, back;
	xmlDocPtr doc;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	resp->status = status;
	resp->content_type = CT_HTML;
	resp->max_age = -1;
	resp->etag[0] = '\0';
	resp->last_modified = 0;
	buf_release(&resp->body);
	if ((doc = page_doc_new(pc, "error", &root)) == NULL) {
		page_render(pc, PAGE_ERROR, NULL, resp);
		return;
	}
	error = xmlNewChild(root, NULL, BAD_CAST "error", NULL);
	snprintf(code, sizeof(code), "%d", status);
	xmlNewProp(error, BAD_CAST "status", BAD_CAST code);
	xmlNewProp(error, BAD_CAST "reason", BAD_CAST http_reason(status));
	xmlNewTextChild(error, NULL, BAD_CAST "message", BAD_CAST message);
	back = xmlNewChild(root, NULL, BAD_CAST "back", NULL);
	page_href(pc, href, sizeof(href), "%s", "");
	xmlNewProp(back, BAD_CAST "href", BAD_CAST href);
	page_render(pc, PAGE_ERROR, doc, resp);
}
