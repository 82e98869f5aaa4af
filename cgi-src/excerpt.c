/* excerpt.c - phrase checks and excerpts, from an article's text. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "excerpt.h"

/* Inline elements: their text runs on with the text around them;
 * any other element separates words (a paragraph's end, a list item). */
static bool
is_inline(xmlNodePtr n)
{
	static const char *const names[] = {
		"em", "strong", "code", "a", "b", "i", "span", "sub", "sup",
		"mark", "abbr", "small", "kbd", "q", "cite",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (xmlStrcmp(n->name, BAD_CAST names[i]) == 0)
			return true;
	return false;
}

/* The text of NODE as a reader sees it, into OUT: what the body
 * allowlist (allowlist.xsl) drops with its content, script and style in
 * any namespace, is left out, so no excerpt shows what the page does not. */
static void
gather_text(xmlNodePtr node, struct buf *out)
{
	for (xmlNodePtr c = node->children; c != NULL; c = c->next) {
		if ((c->type == XML_TEXT_NODE ||
		    c->type == XML_CDATA_SECTION_NODE) && c->content != NULL) {
			buf_puts(out, (const char *)c->content);
		} else if (c->type == XML_ELEMENT_NODE &&
		    (xmlStrcasecmp(c->name, BAD_CAST "script") == 0 ||
		    xmlStrcasecmp(c->name, BAD_CAST "style") == 0)) {
			continue;
		} else if (c->type == XML_ELEMENT_NODE) {
			bool block = !is_inline(c);

			if (block)
				buf_puts(out, " ");
			gather_text(c, out);
			if (block)
				buf_puts(out, " ");
		}
	}
}

bool
excerpt_body_text(const struct article *a, struct buf *out)
{
	struct xp_error err;
	xmlDocPtr doc = article_document(a, &err);
	xmlNodePtr root;

	if (doc == NULL)
		return false;
	root = xmlDocGetRootElement(doc);
	for (xmlNodePtr n = root ? root->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    xmlStrcmp(n->name, BAD_CAST "body") == 0)
			gather_text(n, out);
	xmlFreeDoc(doc);
	buf_append(out, "", 1);
	return !out->failed;
}

bool
excerpt_verify(struct search_words *w, const struct query *q,
    const struct article *a)
{
	struct search_verify v = { 0, 0 };
	struct buf body = BUF_INIT;
	bool ok;

	/* Each field on its own: a phrase does not run from one into the
	 * next.  The short fields first: reading the body is the cost. */
	search_verify_text(w, q, a->title, strlen(a->title), &v);
	search_verify_text(w, q, a->summary, strlen(a->summary), &v);
	for (size_t i = 0; i < a->ntags; i++)
		search_verify_text(w, q, a->tags[i], strlen(a->tags[i]), &v);
	if (search_verified(q, &v))
		return true;
	if (!excerpt_body_text(a, &body)) {
		buf_release(&body);
		return false;
	}
	search_verify_text(w, q, body.data, body.len - 1, &v);
	ok = search_verified(q, &v);
	buf_release(&body);
	return ok;
}

struct word_at {
	size_t start, end;
	bool hit;
};

/* Appends TEXT (LEN bytes) to PARENT as text, runs of white space
 * folded to one space as a page shows them. */
static void
add_text(xmlNodePtr parent, const char *text, size_t len)
{
	char *folded = malloc(len + 1);
	size_t n = 0;
	xmlNodePtr t;

	if (folded == NULL || len == 0) {
		free(folded);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		bool space = text[i] == ' ' || text[i] == '\n' ||
		    text[i] == '\t' || text[i] == '\r';

		if (space && n > 0 && folded[n - 1] == ' ')
			continue;
		folded[n++] = space ? ' ' : text[i];
	}
	if ((t = xmlNewTextLen(BAD_CAST folded, (int)n)) != NULL &&
	    xmlAddChild(parent, t) == NULL)
		xmlFreeNode(t);
	free(folded);
}

xmlNodePtr
excerpt_add(xmlNodePtr parent, struct search_words *w,
    const struct query *q, const struct article *a)
{
	char folded[SEARCH_WORD_MAX + 1];
	struct buf body = BUF_INIT, words = BUF_INIT;
	size_t pos = 0, start, end, n, best = 0, best_hits = 0, hits = 0;
	const struct word_at *at;
	xmlNodePtr ex = NULL;
	const char *text;

	if (!excerpt_body_text(a, &body))
		goto done;
	text = body.data;
	while (search_next_word(text, body.len - 1, &pos, &start, &end,
	    folded)) {
		struct word_at wa = { start, end,
			search_word_matches(w, q, folded) };

		buf_append(&words, &wa, sizeof(wa));
	}
	if (words.failed || words.len == 0)
		goto done;
	at = (const struct word_at *)(const void *)words.data;
	n = words.len / sizeof(*at);
	/* The window of EXCERPT_WORDS words with the most matches, the
	 * earliest of equals; it starts a few words before the first. */
	for (size_t i = 0; i < n; i++) {
		hits += at[i].hit;
		if (i >= EXCERPT_WORDS)
			hits -= at[i - EXCERPT_WORDS].hit;
		if (hits > best_hits) {
			best_hits = hits;
			best = i + 1 >= EXCERPT_WORDS ? i + 1 - EXCERPT_WORDS : 0;
		}
	}
	while (best_hits > 0 && best + 1 < n && !at[best].hit &&
	    best + 3 < n && !at[best + 3].hit)
		best++;
	if ((ex = xmlNewChild(parent, NULL, BAD_CAST "excerpt", NULL)) == NULL)
		goto done;
	if (best > 0)
		add_text(ex, "\xe2\x80\xa6 ", 4);
	pos = at[best].start;
	for (size_t i = best; i < n && i < best + EXCERPT_WORDS; i++) {
		if (!at[i].hit)
			continue;
		add_text(ex, text + pos, at[i].start - pos);
		add_text(xmlNewChild(ex, NULL, BAD_CAST "mark", NULL),
		    text + at[i].start, at[i].end - at[i].start);
		pos = at[i].end;
	}
	end = best + EXCERPT_WORDS < n ? at[best + EXCERPT_WORDS - 1].end :
	    at[n - 1].end;
	if (end > pos)
		add_text(ex, text + pos, end - pos);
	if (best + EXCERPT_WORDS < n)
		add_text(ex, " \xe2\x80\xa6", 4);
done:
	buf_release(&body);
	buf_release(&words);
	return ex;
}
