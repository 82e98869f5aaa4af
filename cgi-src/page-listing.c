/* page-listing.c - every page that lists articles, paginated alike: the
 * home page ("/", "/page/N/"), a tag ("/tags/T/"), a year or a month
 * ("/archive/2026/", "/archive/2026/03/") and search ("/search/?q="). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "excerpt.h"
#include "hash.h"
#include "log.h"
#include "page.h"
#include "positions.h"
#include "search.h"

/* How many '*' segments of each kind's routes are filter arguments; a
 * further one is the page number. */
static const size_t filter_args[] = {
	[LIST_ALL] = 0, [LIST_TAG] = 1, [LIST_YEAR] = 1, [LIST_MONTH] = 2,
	[LIST_SEARCH] = 0,
};

/* Which slice of a selection a listing URL shows, or why it shows none. */
struct listing_plan {
	int status;            /* 200, or 301 (page 1 by number), 400, 404 */
	size_t number, pages;
	size_t from, to;       /* positions in the selection, to exclusive */
	struct selection sel;
	struct query query;    /* LIST_SEARCH only */
	struct search_words *words;  /* LIST_SEARCH: its stemmer, owned */
	int year, month;       /* LIST_YEAR, LIST_MONTH */
};

/* Page numbers as URLs write them: digits, no leading zero.  Returns 0
 * for a malformed number, and a huge value (past any end) for one that
 * does not fit, so that "/page/99999999999999999999/" is 404, not 400. */
static size_t
parse_page_number(const char *s, size_t len)
{
	size_t n = 0;

	if (len == 0 || s[0] == '0')
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	if (len > 9)
		return (size_t)-1;
	for (size_t i = 0; i < len; i++)
		n = n * 10 + (size_t)(s[i] - '0');
	return n;
}

/* Reads exactly DIGITS decimal digits; -1 when S is anything else. */
static int
parse_fixed(const char *s, size_t digits)
{
	int v = 0;

	if (strlen(s) != digits)
		return -1;
	for (size_t i = 0; i < digits; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

void
selection_release(struct selection *sel)
{
	free(sel->owned);
	memset(sel, 0, sizeof(*sel));
}

struct filter {
	enum listing_kind kind;
	const char *tag;
	int year, month;
};

static bool
keep(const struct article *a, const struct filter *f)
{
	switch (f->kind) {
	case LIST_TAG:
		return article_has_tag(a, f->tag);
	case LIST_YEAR:
		return a->published.year == f->year;
	case LIST_MONTH:
		return a->published.year == f->year &&
		    a->published.month == f->month;
	case LIST_SEARCH:      /* selected by index_search */
	case LIST_ALL:
		break;
	}
	return true;
}

/* The search file for a query with phrases (caller frees; NULL: none, so
 * the text is read).  Where no background thread keeps it (CGI, which has
 * no postings) and it lacks many articles, it is written first: one
 * request pays, the next ones read it. */
static struct positions *
search_positions(struct page_ctx *pc, const struct index *idx)
{
	const struct config *cfg = pc->site->cfg;
	struct positions *pos;
	struct xp_error err;

	if (cfg->cache_dir[0] == '\0')
		return NULL;
	pos = positions_open(cfg->cache_dir, cfg->lang);
	if (idx->postings == NULL && idx->count <= 20000 &&
	    (pos == NULL || positions_missing(pos, idx->articles, idx->count) >
	    64 + idx->count / 16)) {
		if (positions_write(cfg->cache_dir, cfg->lang, idx->articles,
		    idx->count, pos, NULL, &err) != XP_OK)
			log_error(LOG_WARN, &err);
		positions_free(pos);
		pos = positions_open(cfg->cache_dir, cfg->lang);
	}
	return pos;
}

int
page_select(struct page_ctx *pc, enum listing_kind kind, struct selection *sel)
{
	const struct index *idx = pc->site->index;
	struct filter f = { kind, NULL, 0, 0 };
	size_t first, listed = index_listed(idx, pc->now, &first);
	struct query query;
	int64_t found;

	memset(sel, 0, sizeof(*sel));
	switch (kind) {
	case LIST_ALL:
		sel->items = idx->articles + first;
		sel->count = listed;
		return 200;
	case LIST_TAG: {
		const struct tag_list *list = index_tag(idx, pc->args[0]);
		size_t skip = 0;

		/* The list is in listing order: future articles come first. */
		while (list != NULL && skip < list->count &&
		    list->items[skip]->published.instant > pc->now)
			skip++;
		if (list == NULL || skip == list->count)
			return 404;
		sel->items = list->items + skip;
		sel->count = list->count - skip;
		return 200;
	}
	case LIST_MONTH:
		if ((f.month = parse_fixed(pc->args[1], 2)) < 1 || f.month > 12)
			return 404;
		/* FALLTHROUGH */
	case LIST_YEAR:
		if ((f.year = parse_fixed(pc->args[0], 4)) < 1)
			return 404;
		break;
	case LIST_SEARCH: {
		size_t len = 0, plen = 0, want;
		const char *raw = search_query_param(pc->req->query, "q", &len);
		const char *page = search_query_param(pc->req->query, "page",
		    &plen);
		struct search_words *w = search_words_new(pc->site->cfg->lang);
		struct positions *pos;
		const struct positions *shared;

		if (w == NULL)
			return 503;
		if (!search_parse_query(w, raw ? raw : "", raw ? len : 0,
		    &query)) {
			search_words_free(w);
			return 400;
		}
		/* Ranked by score; only as many put in order as the pages up
		 * to the one asked for show. */
		want = page ? parse_page_number(page, plen) : 1;
		want = (want == 0 || want > 1000000 ? 1 : want) *
		    pc->site->cfg->per_page;
		/* The server's postings hold the search file open; a CGI
		 * process opens it for itself. */
		shared = idx->postings ? postings_positions(idx->postings) : NULL;
		pos = query.verify && shared == NULL ? search_positions(pc, idx) :
		    NULL;
		found = index_search(idx, &query, w, shared ? shared : pos,
		    pc->now, want, &sel->owned);
		positions_free(pos);
		search_words_free(w);
		if (found < 0)
			return 503;
		sel->items = sel->owned;
		sel->count = (size_t)found;
		return 200;
	}
	}
	if ((sel->owned = calloc(listed + 1, sizeof(*sel->owned))) == NULL)
		return 503;
	for (size_t i = first; i < idx->count; i++)
		if (keep(idx->articles[i], &f))
			sel->owned[sel->count++] = idx->articles[i];
	sel->items = sel->owned;
	if (sel->count == 0 && kind != LIST_SEARCH)
		return 404;
	return 200;
}

/* Fills PLAN for the request; the caller releases plan->sel. */
static void
plan_listing(struct page_ctx *pc, struct listing_plan *p)
{
	enum listing_kind kind = (enum listing_kind)pc->variant;
	size_t per_page = pc->site->cfg->per_page;
	const char *number = NULL;
	size_t number_len = 0;

	memset(p, 0, sizeof(*p));
	p->status = 200;
	if (kind == LIST_SEARCH) {
		const char *raw = search_query_param(pc->req->query, "q", &number_len);

		if ((p->words = search_words_new(pc->site->cfg->lang)) == NULL) {
			p->status = 503;
			return;
		}
		if (!search_parse_query(p->words, raw ? raw : "",
		    raw ? number_len : 0, &p->query)) {
			search_words_free(p->words);
			p->words = NULL;
			p->status = 400;
			return;
		}
		number = search_query_param(pc->req->query, "page", &number_len);
	} else if (pc->nargs > filter_args[kind]) {
		number = pc->args[pc->nargs - 1];
		number_len = strlen(number);
	}
	p->number = number == NULL ? 1 : parse_page_number(number, number_len);
	if (p->number == 0) {
		p->status = 400;
		return;
	}
	/* The filter first: "/tags/nope/page/1/" is 404, not a redirect to
	 * a tag that does not exist. */
	if ((p->status = page_select(pc, kind, &p->sel)) != 200)
		return;
	if (kind == LIST_YEAR || kind == LIST_MONTH) {
		p->year = atoi(pc->args[0]);
		p->month = kind == LIST_MONTH ? atoi(pc->args[1]) : 0;
	}
	if (number != NULL && p->number == 1 && kind != LIST_SEARCH) {
		p->status = 301;
		return;
	}
	p->pages = p->sel.count == 0 ? 1 : (p->sel.count + per_page - 1) / per_page;
	if (p->number > p->pages) {
		p->status = 404;
		return;
	}
	p->from = (p->number - 1) * per_page;
	p->to = p->from + per_page < p->sel.count ? p->from + per_page
	    : p->sel.count;
}

/* Releases what PLAN holds. */
static void
plan_release(struct listing_plan *p)
{
	selection_release(&p->sel);
	search_words_free(p->words);
	p->words = NULL;
}

time_t
page_selection_changed(struct page_ctx *pc, enum listing_kind kind,
    const struct selection *sel, size_t from, size_t to)
{
	const struct index *idx = pc->site->index;
	const struct tag_list *list;
	time_t t = page_set_changed(pc), s;

	if (kind == LIST_TAG && (list = index_tag(idx, pc->args[0])) != NULL &&
	    list->changed > t)
		t = list->changed;
	if (kind == LIST_SEARCH && idx->changed > t)
		t = idx->changed;
	for (size_t i = from; i < to; i++)
		if ((s = index_since(idx, sel->items[i])) > t)
			t = s;
	return t;
}

bool
page_listing_fp(struct page_ctx *pc, struct response *resp, uint64_t *fp)
{
	struct listing_plan p;
	uint64_t h = hash_u64(hash_str(HASH_INIT, "listing"), (uint64_t)pc->variant);

	plan_listing(pc, &p);
	if (p.status != 200) {
		plan_release(&p);
		return false;
	}
	for (size_t i = 0; i < pc->nargs; i++)
		h = hash_str(h, pc->args[i]);
	h = hash_str(h, p.query.text);
	h = hash_u64(hash_u64(hash_u64(h, p.number), p.pages), p.sel.count);
	for (size_t i = p.from; i < p.to; i++)
		h = hash_u64(h, p.sel.items[i]->content_hash);
	/* Every page's <site> shows the count of listed articles. */
	h = hash_u64(h, index_listed(pc->site->index, pc->now, &(size_t){ 0 }));
	page_last_modified(pc, resp, page_selection_changed(pc,
	    (enum listing_kind)pc->variant, &p.sel, p.from, p.to));
	plan_release(&p);
	*fp = h;
	resp->content_type = CT_HTML;
	page_cache_lifetime(pc, resp);
	/* Every query would be an entry: searches are not kept. */
	pc->no_store = pc->variant == LIST_SEARCH;
	return true;
}

/* Appends the query text to OUT as a URL query value. */
static void
url_encode(struct buf *out, const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || strchr("-._~", *c))
			buf_append(out, c, 1);
		else if (*c == ' ')
			buf_puts(out, "+");
		else
			buf_printf(out, "%%%02X", *c);
	}
}

/* The site path of page NUMBER of this listing. */
static void
listing_href(struct page_ctx *pc, const struct listing_plan *p,
    size_t number, char *out, size_t size)
{
	struct buf b = BUF_INIT;

	switch ((enum listing_kind)pc->variant) {
	case LIST_ALL:
		break;
	case LIST_TAG:
		buf_printf(&b, "tags/%s/", pc->args[0]);
		break;
	case LIST_YEAR:
		buf_printf(&b, "archive/%04d/", p->year);
		break;
	case LIST_MONTH:
		buf_printf(&b, "archive/%04d/%02d/", p->year, p->month);
		break;
	case LIST_SEARCH:
		buf_puts(&b, "search/?q=");
		url_encode(&b, p->query.text);
		if (number > 1)
			buf_printf(&b, "&page=%zu", number);
		break;
	}
	if (pc->variant != LIST_SEARCH && number > 1)
		buf_printf(&b, "page/%zu/", number);
	page_href(pc, out, size, "%s", b.data ? b.data : "");
	buf_release(&b);
}

static void
add_count(xmlNodePtr node, const char *name, size_t value)
{
	char text[32];

	snprintf(text, sizeof(text), "%zu", value);
	xmlNewProp(node, BAD_CAST name, BAD_CAST text);
}

static void
add_link(xmlNodePtr parent, const char *name, const char *href)
{
	xmlNodePtr n = xmlNewChild(parent, NULL, BAD_CAST name, NULL);

	if (n != NULL)
		xmlNewProp(n, BAD_CAST "href", BAD_CAST href);
}

static const char *const filter_names[] = {
	[LIST_ALL] = "all", [LIST_TAG] = "tag", [LIST_YEAR] = "year",
	[LIST_MONTH] = "month", [LIST_SEARCH] = "search",
};

static void listing_text(struct page_ctx *pc, const struct listing_plan *p,
    char *heading, size_t hsize, char *intro, size_t isize);

/* The meta description: the lead paragraph, or for search the heading. */
static void
listing_description(struct page_ctx *pc, const struct listing_plan *p,
    char *out, size_t size)
{
	char heading[256];

	listing_text(pc, p, heading, sizeof(heading), out, size);
	if (out[0] == '\0')
		snprintf(out, size, "Search the articles of %s.",
		    pc->site->cfg->site_name);
}

/* The h1 and lead paragraph of the listing. */
static void
add_heading(struct page_ctx *pc, const struct listing_plan *p,
    xmlNodePtr listing)
{
	char heading[256], intro[512];

	listing_text(pc, p, heading, sizeof(heading), intro, sizeof(intro));
	xmlNewTextChild(listing, NULL, BAD_CAST "heading", BAD_CAST heading);
	if (intro[0] != '\0')
		xmlNewTextChild(listing, NULL, BAD_CAST "intro", BAD_CAST intro);
}

static void
listing_text(struct page_ctx *pc, const struct listing_plan *p,
    char *heading, size_t hsize, char *intro, size_t isize)
{
	const char *noun = p->sel.count == 1 ? "article" : "articles";

	intro[0] = '\0';
	switch ((enum listing_kind)pc->variant) {
	case LIST_ALL:
		snprintf(heading, hsize, "%s",
		    pc->site->cfg->listing_heading);
		snprintf(intro, isize, "%zu %s", p->sel.count,
		    pc->site->cfg->listing_intro);
		break;
	case LIST_TAG:
		snprintf(heading, hsize, "#%s", pc->args[0]);
		snprintf(intro, isize, "%zu %s tagged #%s.",
		    p->sel.count, noun, pc->args[0]);
		break;
	case LIST_YEAR:
		snprintf(heading, hsize, "%04d", p->year);
		snprintf(intro, isize, "%zu %s published in %04d.",
		    p->sel.count, noun, p->year);
		break;
	case LIST_MONTH:
		snprintf(heading, hsize, "%s %04d",
		    date_month_name(p->month), p->year);
		snprintf(intro, isize, "%zu %s published in %s.",
		    p->sel.count, noun, heading);
		break;
	case LIST_SEARCH:
		snprintf(heading, hsize, "Search");
		if (p->query.nterms > 0)
			snprintf(intro, isize, "%zu %s for \xe2\x80\x9c%s\xe2\x80\x9d.",
			    p->sel.count, p->sel.count == 1 ? "result" : "results",
			    p->query.text);
		break;
	}
}

void
page_listing(struct page_ctx *pc, struct response *resp)
{
	struct listing_plan p;
	xmlNodePtr root, listing;
	char href[2048], description[600];
	xmlDocPtr doc;

	plan_listing(pc, &p);
	switch (p.status) {
	case 200:
		break;
	case 301:
		listing_href(pc, &p, 1, href, sizeof(href));
		page_redirect(pc, resp, href + strlen(page_base(pc)));
		plan_release(&p);
		return;
	case 400:
		page_error(pc, resp, 400, "Page numbers are whole numbers from 1"
		    " up, without leading zeros.");
		return;
	case 404:
		page_error(pc, resp, 404, p.pages > 0 ? "There is no such page:"
		    " the listing is shorter." : "Nothing is listed here.");
		plan_release(&p);
		return;
	default:
		page_render(pc, PAGE_LISTING, NULL, resp);
		plan_release(&p);
		return;
	}
	if ((doc = page_doc_new(pc, "listing", &root)) == NULL) {
		plan_release(&p);
		page_render(pc, PAGE_LISTING, NULL, resp);
		return;
	}
	listing = xmlNewChild(root, NULL, BAD_CAST "listing", NULL);
	xmlNewProp(listing, BAD_CAST "filter", BAD_CAST filter_names[pc->variant]);
	add_count(listing, "page", p.number);
	add_count(listing, "pages", p.pages);
	add_count(listing, "per-page", pc->site->cfg->per_page);
	add_count(listing, "total", p.sel.count);
	add_heading(pc, &p, listing);
	if (pc->variant == LIST_SEARCH)
		xmlNewTextChild(listing, NULL, BAD_CAST "query",
		    BAD_CAST p.query.text);
	if (pc->variant == LIST_TAG) {
		page_href(pc, href, sizeof(href), "tags/%s/feed.xml", pc->args[0]);
		add_link(listing, "feed", href);
		page_href(pc, href, sizeof(href), "tags/%s/feed.json", pc->args[0]);
		add_link(listing, "json-feed", href);
	}
	if (p.number > 1) {
		listing_href(pc, &p, p.number - 1, href, sizeof(href));
		add_link(listing, "prev", href);
	}
	if (p.number < p.pages) {
		listing_href(pc, &p, p.number + 1, href, sizeof(href));
		add_link(listing, "next", href);
	}
	for (size_t i = p.from; i < p.to; i++) {
		xmlNodePtr entry = page_add_entry(pc, listing, p.sel.items[i]);

		/* Only the results shown are read again for their excerpt. */
		if (pc->variant == LIST_SEARCH && entry != NULL)
			excerpt_add(entry, p.words, &p.query, p.sel.items[i]);
	}
	listing_description(pc, &p, description, sizeof(description));
	page_add_meta(root, description, "website", NULL);
	plan_release(&p);
	page_cache_lifetime(pc, resp);
	page_render(pc, PAGE_LISTING, doc, resp);
}
