/* imgprobe.c - pixel sizes of PNG, JPEG, GIF (stb_image), WebP (libwebp),
 * AVIF (a bounded walk of its ISO-BMFF boxes) and SVG (libxml2's reader).
 *
 * Libraries do the work where Debian has one that only reads a header:
 * stb_image's stbi_info_from_memory and libwebp's WebPGetInfo.  No Debian
 * library reads AVIF's size without decoding (libavif would pull in the
 * codecs), so the few boxes that hold it are walked here, every length
 * checked against what is left. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/globals.h>
#include <libxml/xmlreader.h>
#include <stb/stb_image.h>
#include <webp/decode.h>

#include "imgprobe.h"

const char *
imgprobe_name(enum img_type t)
{
	static const char *const names[IMG__MAX] = {
		"unknown", "png", "jpeg", "gif", "webp", "avif", "svg",
	};

	return t < IMG__MAX ? names[t] : "unknown";
}

/* True when DATA starts, after an optional BOM and white space, with
 * "<": an XML text, of which an SVG is one. */
static bool
looks_like_xml(const unsigned char *data, size_t len)
{
	size_t i = 0;

	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r'
	    || data[i] == '\n'))
		i++;
	return i < len && data[i] == '<';
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* An ISO-BMFF file whose ftyp names an AVIF brand. */
static bool
is_avif(const unsigned char *data, size_t len)
{
	uint32_t size;

	if (len < 16 || memcmp(data + 4, "ftyp", 4) != 0)
		return false;
	size = be32(data);
	if (size < 16 || size > len)
		size = (uint32_t)(len < 64 ? len : 64);
	/* major brand at 8, then minor version, then compatible brands */
	for (uint32_t off = 8; off + 4 <= size; off += off == 8 ? 8 : 4)
		if (memcmp(data + off, "avif", 4) == 0 ||
		    memcmp(data + off, "avis", 4) == 0)
			return true;
	return false;
}

enum img_type
imgprobe_type(const unsigned char *data, size_t len)
{
	if (len >= 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0)
		return IMG_PNG;
	if (len >= 3 && memcmp(data, "\xFF\xD8\xFF", 3) == 0)
		return IMG_JPEG;
	if (len >= 6 && (memcmp(data, "GIF87a", 6) == 0 ||
	    memcmp(data, "GIF89a", 6) == 0))
		return IMG_GIF;
	if (len >= 12 && memcmp(data, "RIFF", 4) == 0 &&
	    memcmp(data + 8, "WEBP", 4) == 0)
		return IMG_WEBP;
	if (is_avif(data, len))
		return IMG_AVIF;
	if (looks_like_xml(data, len))
		return IMG_SVG;
	return IMG_UNKNOWN;
}

/* One box of an ISO-BMFF stream: its type and where its payload lies. */
struct box {
	char type[4];
	size_t body, end;   /* offsets into the buffer */
};

/* Reads the box header at OFF, which must lie before LIMIT.  A box that
 * claims to run past LIMIT is cut there (we may hold only the head of the
 * file).  Returns false when no whole header fits. */
static bool
box_at(const unsigned char *data, size_t off, size_t limit, struct box *b)
{
	uint64_t size;
	size_t hdr = 8;

	if (off > limit || limit - off < 8)
		return false;
	size = be32(data + off);
	memcpy(b->type, data + off + 4, 4);
	if (size == 1) {
		if (limit - off < 16)
			return false;
		size = (uint64_t)be32(data + off + 8) << 32 | be32(data + off + 12);
		hdr = 16;
	} else if (size == 0) {
		size = limit - off;
	}
	if (size < hdr)
		return false;
	b->body = off + hdr;
	b->end = size > limit - off ? limit : off + (size_t)size;
	return true;
}

/* Finds the first box of TYPE among the boxes in [OFF, LIMIT). */
static bool
box_find(const unsigned char *data, size_t off, size_t limit,
    const char *type, struct box *out)
{
	struct box b;

	while (box_at(data, off, limit, &b)) {
		if (memcmp(b.type, type, 4) == 0) {
			*out = b;
			return true;
		}
		if (b.end <= off)
			return false;
		off = b.end;
	}
	return false;
}

/* AVIF: meta (a full box) > iprp > ipco > ispe, whose payload after its
 * version and flags is the width and height.  The first ispe is taken: an
 * encoder writes the primary image's properties first. */
static bool
avif_size(const unsigned char *data, size_t len, unsigned *w, unsigned *h)
{
	struct box meta, iprp, ipco, ispe;

	if (!box_find(data, 0, len, "meta", &meta) || meta.end - meta.body < 4 ||
	    !box_find(data, meta.body + 4, meta.end, "iprp", &iprp) ||
	    !box_find(data, iprp.body, iprp.end, "ipco", &ipco) ||
	    !box_find(data, ipco.body, ipco.end, "ispe", &ispe) ||
	    ispe.end - ispe.body < 12)
		return false;
	*w = be32(data + ispe.body + 4);
	*h = be32(data + ispe.body + 8);
	return true;
}

/* An SVG length ("120", "120.5px", "120pt"...) in CSS pixels, or -1 for
 * one that does not fix a size (a percentage, em, nothing). */
static double
svg_length(const char *s)
{
	static const struct { const char *unit; double px; } units[] = {
		{ "", 1 }, { "px", 1 }, { "pt", 4.0 / 3 }, { "pc", 16 },
		{ "in", 96 }, { "cm", 96 / 2.54 }, { "mm", 96 / 25.4 },
	};
	char *end;
	double v;

	if (s == NULL)
		return -1;
	v = strtod(s, &end);
	if (end == s || !isfinite(v) || v <= 0)
		return -1;
	while (*end == ' ')
		end++;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(end, units[i].unit) == 0)
			return v * units[i].px;
	return -1;
}

/* The third and fourth numbers of a viewBox "min-x min-y width height". */
static bool
svg_viewbox(const char *s, double *vw, double *vh)
{
	double v[4];
	char *end;

	if (s == NULL)
		return false;
	for (int i = 0; i < 4; i++) {
		while (*s == ' ' || *s == ',' || *s == '\t' || *s == '\n' ||
		    *s == '\r')
			s++;
		v[i] = strtod(s, &end);
		if (end == s || !isfinite(v[i]))
			return false;
		s = end;
	}
	*vw = v[2];
	*vh = v[3];
	return *vw > 0 && *vh > 0;
}

static void
quiet(void *arg, const char *msg, xmlParserSeverities sev,
    xmlTextReaderLocatorPtr loc)
{
	(void)arg;
	(void)msg;
	(void)sev;
	(void)loc;
}

static void
quiet_generic(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void
quiet_structured(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	(void)e;
}

/* SVG: the root element's width and height, the missing one (or both)
 * from the viewBox's proportions.  The reader stops at the root element,
 * loads no DTD and touches no network; a file that declares entities is
 * not read at all, so no expansion can be provoked. */
static bool
svg_size(const unsigned char *data, size_t len, unsigned *w, unsigned *h)
{
	xmlTextReaderPtr r;
	double width = -1, height = -1, vw = 0, vh = 0;
	bool ok = false, vb;
	xmlChar *a;

	xmlGenericErrorFunc old_generic;
	xmlStructuredErrorFunc old_structured;
	void *old_generic_ctx, *old_structured_ctx;

	if (len > INT_MAX || memmem(data, len, "<!ENTITY", 8) != NULL)
		return false;
	/* A broken SVG is the writer's to hear about from `check` (no size),
	 * not a stray libxml2 line in the server's log per request. */
	old_generic = xmlGenericError;
	old_generic_ctx = xmlGenericErrorContext;
	old_structured = xmlStructuredError;
	old_structured_ctx = xmlStructuredErrorContext;
	xmlSetGenericErrorFunc(NULL, quiet_generic);
	xmlSetStructuredErrorFunc(NULL, quiet_structured);
	r = xmlReaderForMemory((const char *)data, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (r == NULL) {
		xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
		xmlSetStructuredErrorFunc(old_structured_ctx, old_structured);
		return false;
	}
	xmlTextReaderSetErrorHandler(r, quiet, NULL);
	while (xmlTextReaderRead(r) == 1) {
		if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT)
			continue;
		if (!xmlStrEqual(xmlTextReaderConstLocalName(r), BAD_CAST "svg"))
			break;
		a = xmlTextReaderGetAttribute(r, BAD_CAST "width");
		width = svg_length((const char *)a);
		xmlFree(a);
		a = xmlTextReaderGetAttribute(r, BAD_CAST "height");
		height = svg_length((const char *)a);
		xmlFree(a);
		a = xmlTextReaderGetAttribute(r, BAD_CAST "viewBox");
		vb = svg_viewbox((const char *)a, &vw, &vh);
		xmlFree(a);
		if (width <= 0 && height <= 0 && vb) {
			width = vw;
			height = vh;
		} else if (width <= 0 && height > 0 && vb) {
			width = height * vw / vh;
		} else if (height <= 0 && width > 0 && vb) {
			height = width * vh / vw;
		}
		ok = width > 0 && height > 0 && width <= IMGPROBE_MAX_SIDE &&
		    height <= IMGPROBE_MAX_SIDE;
		break;
	}
	xmlFreeTextReader(r);
	xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
	xmlSetStructuredErrorFunc(old_structured_ctx, old_structured);
	if (ok) {
		*w = (unsigned)ceil(width - 0.001);
		*h = (unsigned)ceil(height - 0.001);
		ok = *w > 0 && *h > 0;
	}
	return ok;
}

enum img_type
imgprobe(const unsigned char *data, size_t len, unsigned *w, unsigned *h)
{
	enum img_type t = imgprobe_type(data, len);
	int x = 0, y = 0, comp;
	bool ok = false;

	*w = *h = 0;
	switch (t) {
	case IMG_PNG:
	case IMG_JPEG:
	case IMG_GIF:
		ok = len <= INT_MAX &&
		    stbi_info_from_memory(data, (int)len, &x, &y, &comp) == 1;
		break;
	case IMG_WEBP:
		ok = WebPGetInfo(data, len, &x, &y) != 0;
		break;
	case IMG_AVIF: {
		unsigned aw, ah;

		if ((ok = avif_size(data, len, &aw, &ah))) {
			*w = aw;
			*h = ah;
		}
		break;
	}
	case IMG_SVG:
		ok = svg_size(data, len, w, h);
		break;
	default:
		break;
	}
	if (ok && (t == IMG_PNG || t == IMG_JPEG || t == IMG_GIF ||
	    t == IMG_WEBP)) {
		ok = x > 0 && y > 0;
		*w = ok ? (unsigned)x : 0;
		*h = ok ? (unsigned)y : 0;
	}
	if (!ok || *w == 0 || *h == 0 || *w > IMGPROBE_MAX_SIDE ||
	    *h > IMGPROBE_MAX_SIDE)
		*w = *h = 0;
	return t;
}
