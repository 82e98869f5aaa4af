/* heading.c - ids for headings that stay put while an article is edited
 * elsewhere (made from the heading's own text), and the table of
 * contents that links to them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlstring.h>

#include "heading.h"

void
heading_ids_release(struct heading_ids *ids)
{
	if (ids == NULL)
		return;
	for (size_t i = 0; i < ids->count; i++)
		free(ids->ids[i]);
	free(ids->ids);
	memset(ids, 0, sizeof(*ids));
}

static bool
taken(const struct heading_ids *ids, const char *id)
{
	for (size_t i = 0; i < ids->count; i++)
		if (strcmp(ids->ids[i], id) == 0)
			return true;
	return false;
}

bool
heading_ids_take(struct heading_ids *ids, const char *id)
{
	char *copy;

	if (ids->count == ids->cap) {
		size_t cap = ids->cap ? ids->cap * 2 : 16;
		char **grown = realloc(ids->ids, cap * sizeof(*grown));

		if (grown == NULL)
			return false;
		ids->ids = grown;
		ids->cap = cap;
	}
	if ((copy = strdup(id)) == NULL)
		return false;
	ids->ids[ids->count++] = copy;
	return true;
}

/* Punctuation, symbols, spaces and emoji outside ASCII: they separate
 * words like ASCII punctuation does.  Everything else is a letter (of
 * any script) or a mark, and is kept. */
static bool
is_separator(int cp)
{
	return (cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 ||
	    (cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x2E00 && cp <= 0x2E7F) ||
	    (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xE000 && cp <= 0xF8FF) ||
	    (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
	    (cp >= 0xFF00 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
	    (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65) ||
	    (cp >= 0x1F000 && cp <= 0x1FAFF) || cp == 0xFEFF;
}

/* Lower case for the scripts headings are mostly written in: Latin,
 * Greek, Cyrillic, Armenian.  Others have no case or are kept as they
 * are, which still gives a stable id. */
static int
to_lower(int cp)
{
	if (cp >= 'A' && cp <= 'Z')
		return cp + 32;
	if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
		return cp + 0x20;
	if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177))
		return cp | 1;
	if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
		return cp % 2 ? cp + 1 : cp;
	if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2)
		return cp + 0x20;
	if (cp >= 0x410 && cp <= 0x42F)
		return cp + 0x20;
	if (cp >= 0x400 && cp <= 0x40F)
		return cp + 0x50;
	if (cp >= 0x531 && cp <= 0x556)
		return cp + 0x30;
	return cp;
}

/* Encodes CP as UTF-8 into OUT (4 bytes at most); returns the length. */
static int
utf8_put(unsigned char *out, int cp)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xC0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xE0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (unsigned char)(0xF0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

void
heading_make_id(struct heading_ids *ids, const char *text, char *out,
    size_t size)
{
	const unsigned char *p = (const unsigned char *)(text ? text : "");
	char base[HEADING_ID_MAX + 1];
	size_t n = 0;
	bool dash = false;

	while (*p) {
		int len = 4, cp = xmlGetUTF8Char(p, &len);
		unsigned char enc[8];
		int elen;

		if (cp < 0 || len <= 0) {       /* not UTF-8: skip a byte */
			p++;
			continue;
		}
		p += len;
		if (cp < 0x80 ? !((cp >= '0' && cp <= '9') ||
		    (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z'))
		    : is_separator(cp)) {
			dash = n > 0;
			continue;
		}
		elen = utf8_put(enc, to_lower(cp));
		if (elen <= 0 || n + (dash ? 1 : 0) + (size_t)elen > HEADING_ID_MAX)
			break;
		if (dash)
			base[n++] = '-';
		dash = false;
		memcpy(base + n, enc, (size_t)elen);
		n += (size_t)elen;
	}
	base[n] = '\0';
	if (n == 0)
		snprintf(base, sizeof(base), "section");
	snprintf(out, size, "%s", base);
	for (unsigned k = 2; taken(ids, out); k++)
		snprintf(out, size, "%s-%u", base, k);
	heading_ids_take(ids, out);
}

/* Collects the h2 and h3 elements under NODE in document order. */
static void
collect(xmlNodePtr node, xmlNodePtr *found, size_t *n, size_t max)
{
	for (xmlNodePtr c = node->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if ((xmlStrEqual(c->name, BAD_CAST "h2") ||
		    xmlStrEqual(c->name, BAD_CAST "h3")) && *n < max)
			found[(*n)++] = c;
		else
			collect(c, found, n, max);
	}
}

/* The heading's text, white space collapsed (caller frees), or NULL. */
static char *
heading_text(xmlNodePtr h)
{
	xmlChar *raw = xmlNodeGetContent(h);
	char *out, *w;
	bool space = false;

	if (raw == NULL)
		return NULL;
	out = w = (char *)raw;
	for (const char *r = (const char *)raw; *r; r++) {
		if (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r') {
			space = w != out;
			continue;
		}
		if (space)
			*w++ = ' ';
		space = false;
		*w++ = *r;
	}
	*w = '\0';
	return out;
}

#define HEADINGS_MAX 1000

size_t
heading_annotate(xmlNodePtr body, xmlNodePtr toc_parent, size_t min_h2,
    const char *const *reserved)
{
	xmlNodePtr *found = malloc(HEADINGS_MAX * sizeof(*found));
	xmlNodePtr toc = NULL, last_h2 = NULL;
	struct heading_ids ids = { 0 };
	size_t n = 0, nh2 = 0;
	char id[HEADING_ID_MAX + 16];

	if (found == NULL || body == NULL) {
		free(found);
		return 0;
	}
	collect(body, found, &n, HEADINGS_MAX);
	for (size_t i = 0; reserved != NULL && reserved[i] != NULL; i++)
		heading_ids_take(&ids, reserved[i]);
	/* A writer's ids first, so a made one never takes theirs. */
	for (size_t i = 0; i < n; i++) {
		xmlChar *own = xmlGetProp(found[i], BAD_CAST "id");

		if (own != NULL && own[0] != '\0')
			heading_ids_take(&ids, (const char *)own);
		xmlFree(own);
		nh2 += xmlStrEqual(found[i]->name, BAD_CAST "h2");
	}
	if (toc_parent != NULL && nh2 >= min_h2)
		toc = xmlNewChild(toc_parent, NULL, BAD_CAST "toc", NULL);
	for (size_t i = 0; i < n; i++) {
		xmlChar *own = xmlGetProp(found[i], BAD_CAST "id");
		char *text = heading_text(found[i]);
		bool h2 = xmlStrEqual(found[i]->name, BAD_CAST "h2");
		xmlNodePtr item;

		if (own != NULL && own[0] != '\0')
			snprintf(id, sizeof(id), "%s", (const char *)own);
		else {
			heading_make_id(&ids, text, id, sizeof(id));
			xmlSetProp(found[i], BAD_CAST "id", BAD_CAST id);
		}
		xmlFree(own);
		if (toc != NULL && (h2 || last_h2 != NULL)) {
			item = xmlNewChild(h2 ? toc : last_h2, NULL,
			    BAD_CAST "item", NULL);
			if (item != NULL) {
				xmlNewProp(item, BAD_CAST "id", BAD_CAST id);
				xmlNewProp(item, BAD_CAST "text",
				    BAD_CAST (text ? text : ""));
				if (h2)
					last_h2 = item;
			}
		}
		free(text);
	}
	heading_ids_release(&ids);
	free(found);
	return nh2;
}
