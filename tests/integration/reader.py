#!/usr/bin/env python3
"""Reader-feature tests: xsltpress behind a real nginx (Python 3 stdlib, plus
Debian's python3-feedparser, run in a /usr/bin/python3 subprocess when the
running interpreter lacks it).

    python3 tests/integration/reader.py              # run every check
    python3 tests/integration/reader.py -k search    # only checks whose name has "search"
    python3 tests/integration/reader.py -v           # also print passing checks

Options: --articles DIR (default articles/), --bin PATH (default
build/xsltpress or $XSLTPRESS_BIN), --keep (keep the temp dirs and logs).

What is checked: the Atom feeds (site and per tag), autodiscovery, the
sitemap and robots.txt, tags and archives (counts from the article files,
pagination chains), search (ranking, AND, pagination, hostile input), the
head of every page (title, description, canonical, Open Graph, Twitter,
JSON-LD), article navigation (older/newer, related, updated date) and
accessibility basics (one h1, heading levels, alt, link text, skip link,
landmarks).

The stack serves a temporary copy of the articles folder in which one
article gains an <updated> date, another a title full of markup characters
("<", "&", "</script>") and an image; it runs with XSLTPRESS_PER_PAGE=2 so
that every listing has several pages, and XSLTPRESS_BASE_URL set to the
test server's origin.

Every failure is printed with its reason; the last line is exactly
"N passed, N failed"; the exit status is 1 when anything failed.
"""

import html
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
import urllib.parse
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import stack as stk  # noqa: E402
import run as itg  # noqa: E402  (Runner, the small DOM, Page, card helpers)
from run import CheckFailed, ensure, norm, url_path  # noqa: E402

PER_PAGE = 2
FEED_SIZE = 20
ATOM_TYPE = "application/atom+xml"
JSON_FEED_TYPE = "application/feed+json"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
# What JSON must escape, in a code block of ODD_SLUG: backslashes, quotes,
# a tab and newlines, and markup characters HTML must escape.
ODD_CODE = 'path = "C:\\new\\table";\n\tif (a < b && c > d) return \'\\"\';'
ALLOWED_BODY_TAGS = set("p h2 h3 h4 ul ol li pre code blockquote a em strong img figure "
                        "figcaption table thead tbody tr th td hr br div".split())

# Edits made to the temporary copy of the articles folder.
UPDATED_SLUG = "designing-a-url-shortener"
UPDATED_DATE = "2026-02-20"
ODD_SLUG = "rate-limiting-algorithms-compared"
ODD_TITLE = "Rate Limiting Algorithms Compared: </script> & <b>Buckets</b>"
ODD_IMG_ALT = "A token bucket refilling at a fixed rate"

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
WORD_RE = re.compile(r"[A-Za-z0-9\u0080-\U0010FFFF]+")
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def load_stemmer():
    """Debian's python3-snowballstemmer (the same Snowball algorithms as
    libstemmer; pure Python, so a python3 other than Debian's may load it)."""
    try:
        import snowballstemmer
    except ImportError:
        # only for this import: other modules found there (feedparser)
        # must still be looked for as feedparser_python() does
        sys.path.append("/usr/lib/python3/dist-packages")
        try:
            import snowballstemmer
        finally:
            sys.path.remove("/usr/lib/python3/dist-packages")
    return snowballstemmer.stemmer("english")


STEMMER = load_stemmer()
SURFACE = {}   # stem -> the first word seen with it: what a reader types


def fold(w):
    """Lower case without Latin accents, as search.c folds ("Café": cafe)."""
    w = unicodedata.normalize("NFKD", w.translate(ASCII_LOWER).lower())
    return "".join(c for c in w if not unicodedata.combining(c))


def words(text):
    """The engine's search words (search.c): runs of letters and digits,
    folded, then stemmed in English (config lang = en)."""
    out = set()
    for w in WORD_RE.findall(text):
        w = fold(w)
        stem = STEMMER.stemWord(w)
        SURFACE.setdefault(stem, w)
        out.add(stem)
    return out


# ---------------------------------------------------------------------------
# The articles folder: a modified temporary copy, and what the pages must show
# ---------------------------------------------------------------------------

def prepare_articles(src, dst):
    """Copy SRC to DST; give UPDATED_SLUG an <updated>, ODD_SLUG an odd title
    and an image. Returns a list of problems (empty when all edits applied)."""
    problems = []
    shutil.copytree(src, dst)

    def edit(slug, fn):
        p = os.path.join(dst, slug + ".xml")
        if not os.path.exists(p):
            problems.append("%s.xml missing from %s" % (slug, src))
            return
        with open(p, encoding="utf-8") as f:
            text = f.read()
        new = fn(text)
        if new == text:
            problems.append("could not edit %s.xml" % slug)
        with open(p, "w", encoding="utf-8") as f:
            f.write(new)

    edit(UPDATED_SLUG, lambda t: re.sub(
        r"(</published>)", r"\1\n  <updated>%s</updated>" % UPDATED_DATE, t, count=1))
    esc = html.escape(ODD_TITLE, quote=False)
    img = ('<figure><img src="/favicon.svg" alt="%s"/><figcaption>Token bucket</figcaption>'
           '</figure>' % ODD_IMG_ALT)
    img += "<pre><code>%s</code></pre>" % html.escape(ODD_CODE, quote=False)
    edit(ODD_SLUG, lambda t: re.sub(r"<body>", lambda m: "<body>\n    " + img, re.sub(
        r"<title>.*?</title>", lambda m: "<title>%s</title>" % esc, t, count=1, flags=re.S),
        count=1))
    return problems


def load_articles(folder):
    """slug -> dict for every listed article of FOLDER (drafts left out)."""
    out = {}
    for slug, root in itg.article_files(folder):
        body = root.find("body")
        title = norm(root.findtext("title") or "")
        summary = norm(root.findtext("summary") or "")
        tags = [norm(t.text or "") for t in root.findall("tags/tag")]
        body_text = "".join(body.itertext()) if body is not None else ""
        # a distinctive sentence: the longest plain paragraph of the body
        sentence = ""
        if body is not None:
            for p in body.iter("p"):
                if len(p) == 0 and p.text and len(norm(p.text)) > len(sentence):
                    sentence = norm(p.text)
        out[slug] = {
            "title": title,
            "summary": summary,
            "published": norm(root.findtext("published") or ""),
            "updated": norm(root.findtext("updated") or "") or None,
            "tags": tags,
            "sentence": sentence[:200],
            "title_words": words(title),
            "meta_words": words(summary) | words(" ".join(tags)),
            "body_words": words(body_text),
        }
    for a in out.values():
        a["all_words"] = a["title_words"] | a["meta_words"] | a["body_words"]
        a["lastmod"] = (a["updated"] or a["published"])[:10]
    return out


def listing_order(arts, slugs=None):
    """Newest first, then slug A-Z (the article format's listing order)."""
    slugs = list(arts) if slugs is None else list(slugs)
    slugs.sort()
    slugs.sort(key=lambda s: arts[s]["published"], reverse=True)
    return slugs


# ---------------------------------------------------------------------------
# feedparser, in whichever Python has it
# ---------------------------------------------------------------------------

FEEDPARSER_SCRIPT = r"""
import json, sys
import feedparser
out = {}
for name, text in json.load(sys.stdin).items():
    d = feedparser.parse(text.encode("utf-8"))
    out[name] = {
        "bozo": int(bool(d.bozo)),
        "bozo_exception": str(d.get("bozo_exception", "")),
        "title": d.feed.get("title"),
        "links": [dict(l) for l in d.feed.get("links", [])],
        "entries": [{
            "title": e.get("title"),
            "link": e.get("link"),
            "id": e.get("id"),
            "updated": e.get("updated"),
            "published": e.get("published"),
            "content": [c.get("value") for c in e.get("content", [])],
        } for e in d.entries],
    }
json.dump(out, sys.stdout)
"""


def feedparser_python():
    try:
        import feedparser  # noqa: F401
        return sys.executable
    except ImportError:
        pass
    for py in ("/usr/bin/python3",):
        if os.access(py, os.X_OK) and subprocess.run(
                [py, "-c", "import feedparser"], capture_output=True).returncode == 0:
            return py
    return None


def parse_feeds(feeds):
    """{name: xml text} -> {name: summary dict} through feedparser."""
    py = feedparser_python()
    if py is None:
        raise CheckFailed("feedparser not available (apt-get install python3-feedparser)")
    p = subprocess.run([py, "-c", FEEDPARSER_SCRIPT], input=json.dumps(feeds).encode(),
                       capture_output=True, timeout=120)
    if p.returncode != 0:
        raise CheckFailed("feedparser run failed: %s" % p.stderr.decode("utf-8", "replace")[-500:])
    return json.loads(p.stdout)


def xmllint_ok(body):
    p = subprocess.run(["xmllint", "--noout", "--nonet", "-"], input=body,
                       capture_output=True, timeout=30)
    return p.returncode == 0, p.stderr.decode("utf-8", "replace")[:300]


def strip_tags(s):
    return norm(html.unescape(re.sub(r"<[^>]*>", " ", s or "")))


# ---------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------

class Suite:
    def __init__(self, st, runner, arts):
        self.st = st
        self.r = runner
        self.arts = arts
        self.order = listing_order(arts)
        self.tags = {}
        for s in self.order:
            for t in arts[s]["tags"]:
                self.tags.setdefault(t, []).append(s)
        self.pages = {}
        self.status_cache = {}
        self.html_paths = []    # (path, expected status) of the pages whose head/a11y is checked

    # -- helpers ----------------------------------------------------------------
    def get(self, path, method="GET", **kw):
        return stk.http_request(method, self.st.url + path, **kw)

    def page(self, path, status=200):
        key = (path, status)
        if key not in self.pages:
            resp = self.get(path)
            ensure(resp.status == status, "GET %s answered %s, want %s" % (path, resp.status, status))
            ct = resp.header("Content-Type", "")
            ensure(ct.lower().startswith("text/html"), "GET %s Content-Type %r" % (path, ct))
            self.pages[key] = itg.Page(self.st.url + path, resp)
        return self.pages[key]

    def status_of(self, path):
        if path not in self.status_cache:
            self.status_cache[path] = self.get(path).status
        return self.status_cache[path]

    def check(self, name, fn, *args):
        return self.r.check(name, fn, *args)

    def slugs_of(self, p):
        """Article slugs of the listing cards of page P, in order."""
        out = []
        for c in p.cards():
            title, slug, href, text = itg.card_info(p.url, c)
            out.append(slug)
        return out

    def follow(self, p, rel):
        a = p.rel_link(rel)
        return None if a is None else url_path(p.url, a.attrs.get("href", ""))

    def walk(self, start, want, what):
        """Follow rel=next from START; every article of WANT (in listing
        order) exactly once, PER_PAGE cards a page, "Page N of M"; then rel=prev
        back to START. Returns the paths of the pages."""
        pages_want = max(1, math.ceil(len(want) / PER_PAGE))
        seen, paths, path = [], [], start
        while path is not None:
            ensure(path not in paths, "%s: rel=next loops back to %s" % (what, path))
            ensure(len(paths) < pages_want + 2, "%s: more than %d pages" % (what, pages_want))
            p = self.page(path)
            paths.append(path)
            n = len(paths)
            # like the main listing, a single page shows no pager
            ensure(pages_want == 1 or "Page %d of %d" % (n, pages_want) in p.text,
                   "%s: %s does not say 'Page %d of %d'" % (what, path, n, pages_want))
            slugs = self.slugs_of(p)
            want_n = min(PER_PAGE, len(want) - (n - 1) * PER_PAGE)
            ensure(len(slugs) == want_n, "%s: %s has %d cards, want %d" % (what, path, len(slugs), want_n))
            seen += slugs
            path = self.follow(p, "next")
        dup = sorted({s for s in seen if seen.count(s) > 1})
        ensure(not dup, "%s: articles shown twice: %r" % (what, dup))
        ensure(set(seen) == set(want), "%s: missing %r, unexpected %r"
               % (what, sorted(set(want) - set(seen)), sorted(set(seen) - set(want))))
        ensure(seen == list(want), "%s: order %r, want (newest first, then slug) %r"
               % (what, seen, list(want)))
        ensure(len(paths) == pages_want, "%s: %d pages, want %d" % (what, len(paths), pages_want))
        ensure(self.follow(self.page(start), "prev") is None, "%s: first page has rel=prev" % what)
        # and back
        back = [paths[-1]]
        path = paths[-1]
        while True:
            prev = self.follow(self.page(path), "prev")
            if prev is None:
                break
            r = self.get(prev)
            if r.status in (301, 308):
                prev = url_path(self.st.url + prev, r.header("Location", ""))
            ensure(prev not in back and len(back) <= len(paths),
                   "%s: rel=prev chain loops at %s" % (what, prev))
            back.append(prev)
            path = prev
        ensure(back == paths[::-1], "%s: rel=prev chain %r, want %r" % (what, back, paths[::-1]))
        self.html_paths.append((paths[-1], 200))
        return paths

    def pagination_errors(self, base, pages):
        """base is '/tags/t/' etc.: /page/1/ 301 to base, past the end 404,
        malformed 400."""
        rows = [(base + "page/1/", 301), (base + "page/%d/" % (pages + 1), 404),
                (base + "page/abc/", 400), (base + "page/0/", 400), (base + "page/01/", 400),
                (base + "page/-1/", 400)]
        bad = []
        for path, want in rows:
            r = self.get(path)
            if r.status != want:
                bad.append("%s answered %s, want %s" % (path, r.status, want))
            elif want == 301:
                loc = url_path(self.st.url + path, r.header("Location", ""))
                if loc != base:
                    bad.append("%s redirects to %r, want %r" % (path, loc, base))
            elif want != 200 and b"<html" not in r.body.lower():
                bad.append("%s: %d page is not HTML" % (path, want))
        ensure(not bad, "; ".join(bad))

    # -- feeds ------------------------------------------------------------------
    def fetch_feeds(self):
        self.feeds = {"/feed.xml": (self.get("/feed.xml"), self.order[:FEED_SIZE])}
        for t, slugs in sorted(self.tags.items()):
            path = "/tags/%s/feed.xml" % t
            self.feeds[path] = (self.get(path), slugs[:FEED_SIZE])
        texts = {p: r.text for p, (r, _) in self.feeds.items() if r.status == 200}
        self.parsed = parse_feeds(texts)

    def check_feed(self, path):
        r, want = self.feeds[path]
        ensure(r.status == 200, "GET %s answered %s" % (path, r.status))
        ct = r.header("Content-Type", "")
        ensure(ct.split(";")[0].strip().lower() == ATOM_TYPE,
               "%s: Content-Type %r, want %s" % (path, ct, ATOM_TYPE))
        ok, err = xmllint_ok(r.body)
        ensure(ok, "%s: xmllint --noout: %s" % (path, err))
        d = self.parsed.get(path)
        ensure(d is not None, "%s: not parsed" % path)
        ensure(d["bozo"] == 0, "%s: feedparser bozo=1 (%s)" % (path, d["bozo_exception"]))
        selfs = [l.get("href") for l in d["links"] if l.get("rel") == "self"]
        ensure(selfs == [self.st.url + path], "%s: rel=self %r, want %r" % (path, selfs, self.st.url + path))
        ents = d["entries"]
        ensure(len(ents) == len(want), "%s: %d entries, want %d" % (path, len(ents), len(want)))
        got, dates = [], []
        for i, e in enumerate(ents):
            for k in ("title", "link", "id", "updated"):
                ensure(e.get(k), "%s: entry %d has no %s" % (path, i + 1, k))
            m = re.fullmatch(r"/articles/([^/]+)/", urllib.parse.urlsplit(e["link"]).path)
            ensure(m and m.group(1) in self.arts, "%s: entry %d links to %r, not an article"
                   % (path, i + 1, e["link"]))
            slug = m.group(1)
            a = self.arts[slug]
            got.append(slug)
            ensure(norm(e["title"]) == a["title"], "%s: entry %s title %r, want %r"
                   % (path, slug, e["title"], a["title"]))
            ensure(e["updated"][:10] == a["lastmod"], "%s: entry %s updated %r, want %s"
                   % (path, slug, e["updated"], a["lastmod"]))
            ensure(e["content"] and a["sentence"] in strip_tags(e["content"][0]),
                   "%s: entry %s content lacks the body sentence %r"
                   % (path, slug, a["sentence"][:60]))
            dates.append((e.get("published") or e["updated"])[:10])
        ensure(dates == sorted(dates, reverse=True), "%s: entries not newest first: %r" % (path, dates))
        ensure(set(got) == set(want) and len(set(got)) == len(got),
               "%s: entries %r, want %r" % (path, got, want))

    def check_json_feed(self, path):
        """JSON Feed 1.1 beside each Atom feed: strict JSON, the same entries
        in the same order, titles and bodies escaped right, bodies through
        the allowlist."""
        r = self.get(path)
        ensure(r.status == 200, "GET %s answered %s" % (path, r.status))
        ct = r.header("Content-Type", "")
        ensure(ct.split(";")[0].strip().lower() == JSON_FEED_TYPE,
               "%s: Content-Type %r, want %s" % (path, ct, JSON_FEED_TYPE))
        try:
            d = json.loads(r.body.decode("utf-8"),
                           parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
        except ValueError as e:
            raise CheckFailed("%s: not JSON: %s" % (path, e))
        ensure(d.get("version") == JSON_FEED_VERSION, "%s: version %r" % (path, d.get("version")))
        ensure(d.get("feed_url") == self.st.url + path, "%s: feed_url %r, want %r"
               % (path, d.get("feed_url"), self.st.url + path))
        ensure(d.get("title") and d.get("home_page_url", "").startswith(self.st.url + "/"),
               "%s: title %r, home_page_url %r" % (path, d.get("title"), d.get("home_page_url")))
        atom_path = path[:-len("feed.json")] + "feed.xml"
        atom = [urllib.parse.urlsplit(e["link"]).path for e in self.parsed[atom_path]["entries"]]
        items = d.get("items")
        ensure(isinstance(items, list), "%s: no items array" % path)
        got = [urllib.parse.urlsplit(i.get("url", "")).path for i in items]
        ensure(got == atom, "%s: items %r, want the Atom feed's %r" % (path, got, atom))
        for i in items:
            slug = i["url"].rstrip("/").rsplit("/", 1)[-1]
            a = self.arts[slug]
            ensure(i.get("id") == i["url"], "%s: %s id %r" % (path, slug, i.get("id")))
            ensure(norm(i.get("title", "")) == a["title"], "%s: %s title %r, want %r"
                   % (path, slug, i.get("title"), a["title"]))
            ensure(i.get("date_published", "")[:10] == a["published"][:10],
                   "%s: %s date_published %r" % (path, slug, i.get("date_published")))
            ensure(i.get("date_modified", "")[:10] == a["lastmod"],
                   "%s: %s date_modified %r, want %s" % (path, slug, i.get("date_modified"), a["lastmod"]))
            ensure(i.get("tags", []) == a["tags"], "%s: %s tags %r, want %r"
                   % (path, slug, i.get("tags"), a["tags"]))
            body = i.get("content_html", "")
            ensure(a["sentence"] in strip_tags(body), "%s: %s content_html lacks %r"
                   % (path, slug, a["sentence"][:60]))
            tags = set(t.lower() for t in re.findall(r"</?([A-Za-z][A-Za-z0-9]*)", body))
            ensure(tags <= ALLOWED_BODY_TAGS, "%s: %s content_html has %s"
                   % (path, slug, sorted(tags - ALLOWED_BODY_TAGS)))
            if slug == ODD_SLUG:
                ensure(html.unescape(re.sub(r"<[^>]*>", "", body)).count(ODD_CODE) == 1,
                       "%s: the code block with quotes and backslashes came out as %r"
                       % (path, body[body.find("<pre>"):body.find("</pre>") + 6]))
                ensure('alt="%s"' % ODD_IMG_ALT in body, "%s: image alt lost" % path)

    def check_feed_links_answer(self):
        links = set()
        for path in self.parsed:
            for e in self.parsed[path]["entries"]:
                if e.get("link"):
                    links.add(e["link"])
        ensure(links, "no entry links")
        bad = []
        for link in sorted(links):
            u = urllib.parse.urlsplit(link)
            ensure(link.startswith(self.st.url + "/"), "entry link %r is not under base_url %s"
                   % (link, self.st.url))
            s = self.status_of(u.path)
            if s != 200:
                bad.append("%s answered %s" % (u.path, s))
        ensure(not bad, "; ".join(bad))

    def check_conditional(self, path):
        r = self.get(path)
        ensure(r.status == 200, "GET %s answered %s" % (path, r.status))
        etag = r.header("ETag")
        ensure(etag, "%s: no ETag" % path)
        c = self.get(path, headers={"If-None-Match": etag})
        ensure(c.status == 304, "%s: If-None-Match %s answered %s, want 304" % (path, etag, c.status))
        ensure(c.body == b"", "%s: 304 with a %d-byte body" % (path, len(c.body)))
        c = self.get(path, headers={"If-None-Match": '"not-the-etag"'})
        ensure(c.status == 200 and c.body == r.body, "%s: a wrong If-None-Match answered %s"
               % (path, c.status))
        lm = r.header("Last-Modified")
        if lm:
            c = self.get(path, headers={"If-Modified-Since": lm})
            ensure(c.status == 304 and c.body == b"",
                   "%s: If-Modified-Since %s answered %s (%d bytes), want 304"
                   % (path, lm, c.status, len(c.body)))
            c = self.get(path, headers={"If-Modified-Since": "Thu, 01 Jan 1970 00:00:01 GMT"})
            ensure(c.status == 200, "%s: an old If-Modified-Since answered %s" % (path, c.status))

    # -- sitemap and robots ---------------------------------------------------
    def check_sitemap(self):
        r = self.get("/sitemap.xml")
        ensure(r.status == 200, "GET /sitemap.xml answered %s" % r.status)
        ok, err = xmllint_ok(r.body)
        ensure(ok, "/sitemap.xml: xmllint: %s" % err)
        root = ET.fromstring(r.body)
        ensure(root.tag == "{%s}urlset" % SITEMAP_NS, "/sitemap.xml root %s, want {%s}urlset"
               % (root.tag, SITEMAP_NS))
        locs = {}
        for u in root.findall("{%s}url" % SITEMAP_NS):
            loc = (u.findtext("{%s}loc" % SITEMAP_NS) or "").strip()
            ensure(loc, "/sitemap.xml: <url> without <loc>")
            ensure(loc not in locs, "/sitemap.xml: %s listed twice" % loc)
            locs[loc] = (u.findtext("{%s}lastmod" % SITEMAP_NS) or "").strip()
        self.sitemap = locs
        ensure(len(locs) >= 21, "/sitemap.xml has %d URLs" % len(locs))

    def check_sitemap_locs_answer(self):
        bad = []
        for loc in self.sitemap:
            u = urllib.parse.urlsplit(loc)
            ensure(u.scheme in ("http", "https") and u.netloc, "sitemap loc %r is not absolute" % loc)
            path = u.path + ("?" + u.query if u.query else "")
            # the host of base_url is rewritten to the test server
            s = self.status_of(path)
            if s != 200:
                bad.append("%s answered %s" % (loc, s))
        ensure(not bad, "%d of %d: %s" % (len(bad), len(self.sitemap), "; ".join(bad[:5])))

    def check_sitemap_articles(self):
        by_path = {urllib.parse.urlsplit(l).path: (l, m) for l, m in self.sitemap.items()}
        bad = []
        for slug, a in self.arts.items():
            p = "/articles/%s/" % slug
            if p not in by_path:
                bad.append("%s not in the sitemap" % p)
                continue
            loc, lastmod = by_path[p]
            if loc != self.st.url + p:
                bad.append("%s: loc %r, want %r" % (slug, loc, self.st.url + p))
            if lastmod[:10] != a["lastmod"]:
                bad.append("%s: lastmod %r, want %s" % (slug, lastmod, a["lastmod"]))
        ensure(not bad, "; ".join(bad[:6]))

    def check_robots(self):
        r = self.get("/robots.txt")
        ensure(r.status == 200, "GET /robots.txt answered %s" % r.status)
        ensure(r.header("Content-Type", "").startswith("text/plain"),
               "/robots.txt Content-Type %r" % r.header("Content-Type"))
        lines = [l.split(":", 1)[1].strip() for l in r.text.splitlines()
                 if l.lower().startswith("sitemap:")]
        ensure(lines == [self.st.url + "/sitemap.xml"], "/robots.txt Sitemap lines %r, want %r"
               % (lines, [self.st.url + "/sitemap.xml"]))

    # -- tags -----------------------------------------------------------------
    def check_tags_index(self):
        p = self.page("/tags/")
        self.html_paths.append(("/tags/", 200))
        got = {}
        for a in p.main().find_all("a"):
            m = re.fullmatch(r"/tags/([^/]+)/", url_path(p.url, a.attrs.get("href", "")))
            if not m:
                continue
            n = re.search(r"(\d+)", a.text()) or re.search(r"(\d+)", a.parent.text())
            ensure(n, "/tags/: no count next to tag %s" % m.group(1))
            got[urllib.parse.unquote(m.group(1))] = int(n.group(1))
        want = {t: len(s) for t, s in self.tags.items()}
        diff = sorted(set(got) ^ set(want))
        ensure(not diff, "/tags/: tags differ from the files: %r" % diff)
        wrong = ["%s: %d, want %d" % (t, got[t], want[t]) for t in sorted(want) if got[t] != want[t]]
        ensure(not wrong, "/tags/ counts: " + "; ".join(wrong))

    def check_tag_pages(self):
        bad = []
        for t in sorted(self.tags):
            try:
                self.walk("/tags/%s/" % t, self.tags[t], "tag %s" % t)
            except CheckFailed as e:
                bad.append(str(e))
        ensure(not bad, "%d tags: %s" % (len(bad), " | ".join(bad[:4])))

    def biggest_tag(self):
        return sorted(self.tags, key=lambda t: (-len(self.tags[t]), t))[0]

    def check_tag_errors(self):
        t = self.biggest_tag()
        self.pagination_errors("/tags/%s/" % t, math.ceil(len(self.tags[t]) / PER_PAGE))
        for path in ("/tags/no-such-tag/", "/tags/no-such-tag/page/2/", "/tags/no-such-tag/feed.xml",
                     "/tags/Kafka%20X/"):
            s = self.get(path).status
            ensure(s in (404,) or (s == 400 and "%20" in path),
                   "%s answered %s, want 404" % (path, s))

    def check_tag_links(self):
        """Tag chips of listing cards and of article pages lead to the tag."""
        hrefs = {}
        for slug in self.order:
            p = self.page("/articles/%s/" % slug)
            chips = []
            for a in p.main().find_all("a"):
                m = re.fullmatch(r"/tags/([^/]+)/", url_path(p.url, a.attrs.get("href", "")))
                if m and not any("related" in x.classes() for x in a.ancestors()):
                    chips.append(urllib.parse.unquote(m.group(1)))
                    hrefs[url_path(p.url, a.attrs["href"])] = a.text()
            ensure(sorted(set(chips)) == sorted(self.arts[slug]["tags"]),
                   "/articles/%s/: tag links %r, want %r" % (slug, chips, self.arts[slug]["tags"]))
        p = self.page("/")
        for c in p.cards():
            title, slug, href, text = itg.card_info(p.url, c)
            chips = [urllib.parse.unquote(m.group(1)) for a in c.find_all("a")
                     for m in [re.fullmatch(r"/tags/([^/]+)/", url_path(p.url, a.attrs.get("href", "")))] if m]
            ensure(chips == self.arts[slug]["tags"], "/: card %s tag links %r, want %r"
                   % (slug, chips, self.arts[slug]["tags"]))
            for ch in chips:
                hrefs["/tags/%s/" % ch] = ch
        bad = ["%s answered %s" % (h, self.status_of(h)) for h in sorted(hrefs) if self.status_of(h) != 200]
        ensure(not bad, "; ".join(bad))

    # -- archives -------------------------------------------------------------
    def archive_want(self):
        years, months = {}, {}
        for s in self.order:
            y, m = self.arts[s]["published"][:4], self.arts[s]["published"][5:7]
            years.setdefault(y, []).append(s)
            months.setdefault((y, m), []).append(s)
        return years, months

    def check_archive_index(self):
        p = self.page("/archive/")
        self.html_paths.append(("/archive/", 200))
        years, months = self.archive_want()
        gy, gm = {}, {}
        for a in p.main().find_all("a"):
            path = url_path(p.url, a.attrs.get("href", ""))
            my = re.fullmatch(r"/archive/(\d{4})/", path)
            mm = re.fullmatch(r"/archive/(\d{4})/(\d{2})/", path)
            if not (my or mm):
                continue
            n = re.search(r"(\d+) articles?\b", a.text()) or re.search(r"(\d+) articles?\b", a.parent.text())
            ensure(n, "/archive/: no 'N articles' for %s" % path)
            if my:
                gy[my.group(1)] = int(n.group(1))
            else:
                gm[(mm.group(1), mm.group(2))] = int(n.group(1))
        wy = {y: len(s) for y, s in years.items()}
        wm = {k: len(s) for k, s in months.items()}
        ensure(gy == wy, "/archive/ years %r, want %r" % (gy, wy))
        ensure(gm == wm, "/archive/ months %r, want %r" % (gm, wm))

    def check_archive_pages(self):
        years, months = self.archive_want()
        bad = []
        for y, slugs in sorted(years.items()):
            try:
                self.walk("/archive/%s/" % y, slugs, "archive %s" % y)
            except CheckFailed as e:
                bad.append(str(e))
        for (y, m), slugs in sorted(months.items()):
            try:
                self.walk("/archive/%s/%s/" % (y, m), slugs, "archive %s-%s" % (y, m))
            except CheckFailed as e:
                bad.append(str(e))
        ensure(not bad, " | ".join(bad[:4]))

    def check_archive_month_errors(self):
        years, months = self.archive_want()
        (y, m), slugs = max(months.items(), key=lambda kv: len(kv[1]))
        self.pagination_errors("/archive/%s/%s/" % (y, m), math.ceil(len(slugs) / PER_PAGE))

    def check_archive_year_errors(self):
        years, months = self.archive_want()
        y = max(years, key=lambda k: len(years[k]))
        self.pagination_errors("/archive/%s/" % y, math.ceil(len(years[y]) / PER_PAGE))

    def check_archive_bad_months(self):
        years, months = self.archive_want()
        y = max(years, key=lambda k: len(years[k]))
        bad = []
        for path in ("/archive/%s/13/" % y, "/archive/%s/00/" % y, "/archive/%s/1/" % y):
            s = self.get(path).status
            if s != 404:
                bad.append("%s answered %s, want 404" % (path, s))
        ensure(not bad, "; ".join(bad))

    # -- search ---------------------------------------------------------------
    def search_expect(self, q):
        """Expected results of Q, in listing order, and those whose title
        holds every word.  Since issue 14 results are ranked by a BM25F
        score, so checks compare the set, and that a title match leads."""
        terms = words(q)
        hits = [s for s in self.order if terms and terms <= self.arts[s]["all_words"]]
        first = [s for s in hits if terms <= self.arts[s]["title_words"]]
        return first + [s for s in hits if s not in first], first

    def search_all(self, q):
        """Follow the search pages of Q; the article slugs in order."""
        path = "/search/?" + urllib.parse.urlencode({"q": q})
        seen, paths = [], []
        while path is not None:
            ensure(path not in paths and len(paths) < 30, "search %r: rel=next loops at %s" % (q, path))
            paths.append(path)
            p = self.page(path)
            seen += self.slugs_of(p)
            a = p.rel_link("next")
            if a is None:
                break
            u = urllib.parse.urlsplit(urllib.parse.urljoin(p.url, a.attrs.get("href", "")))
            ensure(u.path == "/search/", "search %r: rel=next to %r" % (q, a.attrs.get("href")))
            qs = urllib.parse.parse_qs(u.query)
            ensure(qs.get("q") == [q], "search %r: rel=next drops the query: %r" % (q, u.query))
            path = u.path + "?" + u.query
        return seen, paths

    def pick_search_words(self):
        """Words for the search checks, chosen from the article files."""
        df = {}
        for s in self.order:
            for w in self.arts[s]["all_words"]:
                df.setdefault(w, set()).add(s)
        plain = lambda w: w.isascii() and w.isalpha() and len(w) >= 6  # noqa: E731
        # a word in one article's title only (as title), also in other bodies
        self.title_words = []
        for s in self.order:
            for w in sorted(self.arts[s]["title_words"]):
                owners = [o for o in self.order if w in self.arts[o]["title_words"]]
                if plain(w) and owners == [s] and len(df[w]) > 1:
                    self.title_words.append((SURFACE[w], s))
                    break
        self.title_words = self.title_words[:3]
        # a word only in one article's body
        self.body_words = []
        for w in sorted(df):
            s = list(df[w])
            if plain(w) and len(s) == 1 and w in self.arts[s[0]]["body_words"] \
                    and w not in self.arts[s[0]]["title_words"] | self.arts[s[0]]["meta_words"]:
                self.body_words.append((SURFACE[w], s[0]))
            if len(self.body_words) >= 2:
                break
        # two words, each in 3-10 articles, both together in fewer
        common = sorted(w for w in df if plain(w) and 3 <= len(df[w]) <= 10)
        self.and_words = None
        for i, w1 in enumerate(common):
            for w2 in common[i + 1:]:
                both = df[w1] & df[w2]
                if 1 <= len(both) < min(len(df[w1]), len(df[w2])) - 1:
                    self.and_words = (SURFACE[w1], SURFACE[w2])
                    break
            if self.and_words:
                break
        # a word with many results (several pages)
        many = sorted((w for w in df if plain(w) and 5 <= len(df[w]) <= 12), key=lambda w: (-len(df[w]), w))
        self.many_word = SURFACE[many[0]] if many else None
        if self.r.verbose:
            print("     search words: title %r, body %r, AND %r, many %r"
                  % (self.title_words, self.body_words, self.and_words, self.many_word))

    def check_search_title_first(self, w, slug):
        got, _ = self.search_all(w)
        want, first = self.search_expect(w)
        # BM25F (issue 14): the title match ranks above every article that
        # has the word only in its body (no longer above all: an article
        # whose tags, summary and body are about it may lead).
        terms = words(w)
        body_only = [s for s in got if not terms <= self.arts[s]["title_words"] | self.arts[s]["meta_words"]]
        ensure(slug in got and all(got.index(slug) < got.index(b) for b in body_only),
               "search %r: %r ranks below a body-only match: %r" % (w, slug, got))
        ensure(sorted(got) == sorted(want), "search %r: results %r, want %r" % (w, got, want))

    def check_search_body(self, w, slug):
        got, _ = self.search_all(w)
        ensure(got == [slug], "search %r (only in the body of %s): results %r" % (w, slug, got))

    def check_search_and(self):
        ensure(self.and_words, "no pair of words found for the AND check")
        q = " ".join(self.and_words)
        got, _ = self.search_all(q)
        want, _ = self.search_expect(q)
        ensure(sorted(got) == sorted(want), "search %r: results %r, want both words: %r" % (q, got, want))
        one, _ = self.search_all(self.and_words[0])
        ensure(len(one) > len(got), "search %r: the AND query has no fewer results" % q)

    def check_search_pagination(self):
        ensure(self.many_word, "no word with many results")
        q = self.many_word
        got, paths = self.search_all(q)
        want, _ = self.search_expect(q)
        ensure(len(paths) == math.ceil(len(want) / PER_PAGE),
               "search %r: %d pages for %d results" % (q, len(paths), len(want)))
        dup = sorted({s for s in got if got.count(s) > 1})
        ensure(not dup, "search %r: shown twice: %r" % (q, dup))
        ensure(sorted(got) == sorted(want), "search %r: results %r, want %r" % (q, got, want))
        n = len(paths)
        for path, want_s in ((paths[0] + "&page=%d" % (n + 1), 404), (paths[0] + "&page=abc", 400),
                             (paths[0] + "&page=0", 400)):
            s = self.get(path).status
            ensure(s == want_s or (want_s == 404 and s in (200, 404)),
                   "%s answered %s, want %s" % (path, s, want_s))
        self.html_paths.append((paths[-1], 200))

    def check_search_empty(self):
        for path in ("/search/", "/search/?q=", "/search/?q=+++"):
            p = self.page(path)
            ensure("Type a word" in p.text, "%s: no 'Type a word' text" % path)
            ensure(not p.cards(), "%s: shows %d cards" % (path, len(p.cards())))

    def check_search_none(self):
        p = self.page("/search/?q=zzqxjvwk")
        ensure("No articles match" in p.text, "/search/?q=zzqxjvwk: no 'No articles match' text")
        ensure(not p.cards(), "no-result search shows cards")

    def check_search_hostile(self):
        cases = [
            ("5000 chars", "q=" + "a" * 5000),
            ("%00", "q=kafka%00x"),
            ("%FF%FE", "q=%FF%FEkafka"),
            ("<script>", "q=" + urllib.parse.quote("<script>alert(1)</script>")),
            ("quotes", "q=" + urllib.parse.quote("\"><img src=x onerror=alert(1)> ' onfocus='x")),
            ("100 words", "q=" + "+".join("w%d" % i for i in range(100))),
            ("page huge", "q=kafka&page=99999999999999999999999"),
            ("two q", "q=kafka&q=raft"),
            ("bare %", "q=%&page=%"),
        ]
        bad = []
        for name, qs in cases:
            r = self.get("/search/?" + qs)
            if r.status >= 500:
                bad.append("%s: status %d" % (name, r.status))
                continue
            body = r.text
            if "<script>alert" in body or "<script" in body.lower().replace(
                    '<script type="application/ld+json">', ""):
                bad.append("%s: raw <script> in the page" % name)
            dom = itg.parse_html(body)
            for n in dom.iter():
                ev = [k for k in n.attrs if k.startswith("on")]
                if ev or (n.tag == "img" and n.attrs.get("src") == "x"):
                    bad.append("%s: injected <%s %s>" % (name, n.tag, ev or "src=x"))
            if name == "<script>" and r.status == 200:
                if "&lt;script&gt;alert(1)&lt;/script&gt;" not in body:
                    bad.append("<script>: query not reflected escaped")
        ensure(not bad, "; ".join(bad))

    def check_search_not_canonical(self):
        p = self.page("/search/?q=kafka")
        c = p.dom.find_all(lambda n: n.tag == "link" and "canonical" in n.rels())
        ensure(not c, "/search/?q=kafka has rel=canonical %r" % [x.attrs.get("href") for x in c])

    def check_search_cache(self):
        qs = ["kafka", "raft", "kafka"]
        got = []
        for q in qs:
            r = self.get("/search/?" + urllib.parse.urlencode({"q": q}))
            ensure(r.status == 200, "search %r answered %s" % (q, r.status))
            p = itg.Page(self.st.url + "/search/", r)
            got.append(self.slugs_of(p))
            want = self.search_expect(q)[0]
            ensure(set(got[-1]) <= set(want) and len(got[-1]) == min(PER_PAGE, len(want)),
                   "search %r (after %r): %r, want %d of %r" % (q, qs[:len(got) - 1], got[-1],
                                                                min(PER_PAGE, len(want)), want))
        ensure(got[0] != got[1], "search 'kafka' and 'raft' give the same results %r" % got[0])
        ensure(got[0] == got[2], "search 'kafka' twice: %r then %r" % (got[0], got[2]))

    # -- every page -----------------------------------------------------------
    def sample_paths(self):
        t = self.biggest_tag()
        years, months = self.archive_want()
        y = max(years, key=lambda k: len(years[k]))
        ym = max(months, key=lambda k: len(months[k]))
        rows = [("/", 200), ("/page/2/", 200), ("/tags/", 200), ("/tags/%s/" % t, 200),
                ("/tags/%s/page/2/" % t, 200), ("/archive/", 200), ("/archive/%s/" % y, 200),
                ("/archive/%s/%s/" % ym, 200), ("/search/?q=", 200), ("/search/?q=kafka", 200),
                ("/no-such-page", 404), ("/articles/no-such-article/", 404)]
        rows += [("/articles/%s/" % s, 200) for s in self.order]
        seen = set()
        out = []
        for row in rows + self.html_paths:
            if row not in seen:
                seen.add(row)
                out.append(row)
        return out

    def head_meta(self, p, name=None, prop=None):
        for m in p.dom.find_all("meta"):
            if (name and m.attrs.get("name") == name) or (prop and m.attrs.get("property") == prop):
                return m.attrs.get("content")
        return None

    def check_autodiscovery(self, path, status):
        p = self.page(path, status)
        head = p.dom.find("head")
        ensure(head is not None, "%s: no <head>" % path)
        alts = [l.attrs.get("href") for l in head.find_all("link")
                if "alternate" in l.rels() and l.attrs.get("type") == ATOM_TYPE]
        ensure("/feed.xml" in [url_path(p.url, a or "") for a in alts],
               "%s: <link rel=alternate type=%s> %r, want /feed.xml" % (path, ATOM_TYPE, alts))
        jalts = [l.attrs.get("href") for l in head.find_all("link")
                 if "alternate" in l.rels() and l.attrs.get("type") == JSON_FEED_TYPE]
        ensure("/feed.json" in [url_path(p.url, a or "") for a in jalts],
               "%s: <link rel=alternate type=%s> %r, want /feed.json" % (path, JSON_FEED_TYPE, jalts))
        m = re.fullmatch(r"/tags/([^/]+)/(page/\d+/)?", path)
        if m and status == 200:
            for want, have in (("/tags/%s/feed.xml" % m.group(1), alts),
                               ("/tags/%s/feed.json" % m.group(1), jalts)):
                ensure(want in [url_path(p.url, a) for a in have],
                       "%s: no autodiscovery of the tag feed %s (%r)" % (path, want, have))

    def check_search_form(self, path, status):
        p = self.page(path, status)
        forms = [f for f in p.dom.find_all("form")
                 if url_path(p.url, f.attrs.get("action", "")) == "/search/"
                 and f.attrs.get("method", "get").lower() == "get"
                 and f.find(lambda n: n.tag == "input" and n.attrs.get("name") == "q")]
        ensure(forms, "%s: no GET form to /search/ with an input name=q" % path)
        for f in forms:
            i = f.find(lambda n: n.tag == "input" and n.attrs.get("name") == "q")
            iid = i.attrs.get("id")
            ensure(i.attrs.get("aria-label") or (iid and p.dom.find(
                lambda n: n.tag == "label" and n.attrs.get("for") == iid)),
                "%s: the search input has no label" % path)

    def check_head(self, path, status):
        p = self.page(path, status)
        head = p.dom.find("head")
        titles = head.find_all("title")
        ensure(len(titles) == 1 and titles[0].text(), "%s: %d <title>, text %r"
               % (path, len(titles), titles[0].text() if titles else None))
        desc = self.head_meta(p, name="description")
        ensure(desc, "%s: no meta description" % path)
        if status != 200:
            return
        is_search = path.startswith("/search/")
        canon = [l.attrs.get("href") for l in head.find_all("link") if "canonical" in l.rels()]
        if not is_search:
            want = self.st.url + path
            ensure(canon == [want], "%s: canonical %r, want [%r]" % (path, canon, want))
            ensure(self.head_meta(p, prop="og:url") == want, "%s: og:url %r, want %r"
                   % (path, self.head_meta(p, prop="og:url"), want))
        for prop in ("og:title", "og:description", "og:type"):
            ensure(self.head_meta(p, prop=prop), "%s: no %s" % (path, prop))
        ensure(self.head_meta(p, name="twitter:card"), "%s: no twitter:card" % path)
        m = re.fullmatch(r"/articles/([^/]+)/", path)
        want_type = "article" if m else "website"
        ensure(self.head_meta(p, prop="og:type") == want_type, "%s: og:type %r, want %r"
               % (path, self.head_meta(p, prop="og:type"), want_type))
        if m:
            a = self.arts[m.group(1)]
            ensure(desc == a["summary"], "%s: meta description %r, want the summary %r"
                   % (path, desc, a["summary"]))
            ensure(self.head_meta(p, prop="og:title") == a["title"], "%s: og:title %r, want %r"
                   % (path, self.head_meta(p, prop="og:title"), a["title"]))
            want_t = "%s · %s" % (a["title"], itg.SITE_NAME)
            ensure(titles[0].text() == want_t, "%s: <title> %r, want %r" % (path, titles[0].text(), want_t))

    def check_json_ld(self, slug):
        path = "/articles/%s/" % slug
        p = self.page(path)
        scripts = [s for s in p.dom.find_all("script") if s.attrs.get("type") == "application/ld+json"]
        ensure(len(scripts) == 1, "%s: %d JSON-LD scripts, want 1" % (path, len(scripts)))
        raw = "".join(c for c in scripts[0].children if isinstance(c, str))
        ensure("<" not in raw, "%s: JSON-LD contains '<': %r" % (path, raw[raw.find("<") - 30:raw.find("<") + 30]))
        try:
            d = json.loads(raw)
        except ValueError as e:
            raise CheckFailed("%s: JSON-LD does not parse: %s" % (path, e))
        ensure(d.get("@type") == "BlogPosting", "%s: @type %r" % (path, d.get("@type")))
        ensure(d.get("headline") == self.arts[slug]["title"], "%s: headline %r, want %r"
               % (path, d.get("headline"), self.arts[slug]["title"]))
        if self.arts[slug]["updated"]:
            ensure(str(d.get("dateModified", ""))[:10] == self.arts[slug]["updated"][:10],
                   "%s: dateModified %r, want %s" % (path, d.get("dateModified"), self.arts[slug]["updated"]))

    def check_a11y(self, path, status):
        p = self.page(path, status)
        bad = []
        h1 = p.dom.find_all("h1")
        if len(h1) != 1:
            bad.append("%d h1 elements" % len(h1))
        levels = [int(n.tag[1]) for n in p.dom.iter() if re.fullmatch(r"h[1-6]", n.tag)]
        prev = 0
        for lv in levels:
            if lv > prev + 1:
                bad.append("heading h%d follows h%d" % (lv, prev))
                break
            prev = lv
        for img in p.dom.find_all("img"):
            if "alt" not in img.attrs:
                bad.append("<img src=%r> without alt" % img.attrs.get("src"))
        for a in p.dom.find_all("a"):
            label = a.text() or a.attrs.get("aria-label", "").strip() or " ".join(
                i.attrs.get("alt", "") for i in a.find_all("img")).strip()
            if not label:
                bad.append("empty link text (href=%r)" % a.attrs.get("href"))
        links = p.dom.find_all("a")
        skip = [a for a in links if a.attrs.get("href") == "#main"]
        if not skip:
            bad.append("no skip link to #main")
        elif links[0] is not skip[0]:
            bad.append("the skip link is not the first link")
        main = p.dom.find(lambda n: n.attrs.get("id") == "main")
        if main is None or main.tag != "main":
            bad.append("#main is %r, want the <main> element" % (main.tag if main else None))
        for lm in ("header", "nav", "main", "footer"):
            if not p.dom.find(lm):
                bad.append("no <%s> landmark" % lm)
        if len(p.dom.find_all("main")) != 1:
            bad.append("%d <main> elements" % len(p.dom.find_all("main")))
        ensure(not bad, "%s: %s" % (path, "; ".join(bad[:5])))

    # -- article navigation ---------------------------------------------------
    def article_chain(self, slug, rel):
        """The slugs met following REL links from article SLUG to the end."""
        seq, path = [], "/articles/%s/" % slug
        while path is not None:
            m = re.fullmatch(r"/articles/([^/]+)/", path)
            ensure(m, "rel=%s leads to %r" % (rel, path))
            ensure(m.group(1) not in seq and len(seq) <= len(self.order),
                   "rel=%s chain loops at %s" % (rel, path))
            seq.append(m.group(1))
            path = self.follow(self.page(path), rel)
        return seq

    def check_article_chain(self):
        seq = self.article_chain(self.order[0], "prev")
        ensure(seq == self.order, "rel=prev (older) chain from the newest: %r, want listing order %r"
               % (seq, self.order))
        seq = self.article_chain(self.order[-1], "next")
        ensure(seq == self.order[::-1], "rel=next (newer) chain from the oldest: %r, want %r"
               % (seq, self.order[::-1]))

    def check_related(self):
        bad = []
        for slug in self.order:
            p = self.page("/articles/%s/" % slug)
            sec = p.main().find(lambda n: "related" in n.classes())
            mine = set(self.arts[slug]["tags"])
            can = [s for s in self.order if s != slug and mine & set(self.arts[s]["tags"])]
            rel = []
            if sec is not None:
                for a in sec.find_all("a"):
                    m = re.fullmatch(r"/articles/([^/]+)/", url_path(p.url, a.attrs.get("href", "")))
                    if m and m.group(1) not in rel:
                        rel.append(m.group(1))
            if len(rel) > 3:
                bad.append("%s: %d related" % (slug, len(rel)))
            if can and not rel:
                bad.append("%s: no related articles though %d share a tag" % (slug, len(can)))
            if not can and rel:
                bad.append("%s: related %r share no tag" % (slug, rel))
            for r in rel:
                if r == slug:
                    bad.append("%s: related to itself" % slug)
                elif r not in self.arts or not mine & set(self.arts[r]["tags"]):
                    bad.append("%s: related %s shares no tag" % (slug, r))
            if len(rel) < min(3, len(can)):
                bad.append("%s: %d related, %d candidates" % (slug, len(rel), len(can)))
        ensure(not bad, "; ".join(bad[:6]))

    def check_updated_shown(self):
        path = "/articles/%s/" % UPDATED_SLUG
        p = self.page(path)
        times = [t.attrs.get("datetime", "") for t in p.main().find_all("time")]
        ensure(any(t[:10] == UPDATED_DATE for t in times),
               "%s: no <time datetime=%s> (times %r)" % (path, UPDATED_DATE, times[:4]))
        ensure("Updated" in p.main().text(), "%s: no 'Updated' text" % path)
        other = "/articles/%s/" % next(s for s in self.order if not self.arts[s]["updated"])
        q = self.page(other)
        header = q.main().find("header") or q.main()
        ensure("Updated" not in header.text(), "%s (no <updated>) shows 'Updated'" % other)

    def check_odd_title(self):
        path = "/articles/%s/" % ODD_SLUG
        r = self.get(path)
        ensure(r.status == 200, "%s answered %s" % (path, r.status))
        ensure("</script> &" not in r.text and "<b>Buckets</b>" not in r.text,
               "%s: the title's markup is emitted raw" % path)
        p = self.page(path)
        h1 = p.dom.find("h1")
        ensure(h1 is not None and h1.text() == ODD_TITLE, "%s: h1 %r, want %r"
               % (path, h1.text() if h1 else None, ODD_TITLE))
        img = p.main().find("img")
        ensure(img is not None and img.attrs.get("alt") == ODD_IMG_ALT,
               "%s: image alt %r" % (path, img.attrs if img else None))

    # -- run ------------------------------------------------------------------
    def run(self):
        c = self.check
        # feeds
        if c("feeds: fetch and parse with feedparser", self.fetch_feeds):
            for path in self.feeds:
                c("feed %s: atom+xml, well-formed, bozo 0, entries, self link" % path, self.check_feed, path)
            c("feeds: every entry link answers 200", self.check_feed_links_answer)
            for path in list(self.feeds):
                jpath = path[:-len("feed.xml")] + "feed.json"
                c("JSON Feed %s: strict JSON, same items as Atom, escaped, allowlisted" % jpath,
                  self.check_json_feed, jpath)
        t = self.biggest_tag()
        for path in ("/feed.xml", "/feed.json", "/tags/%s/feed.xml" % t, "/tags/%s/feed.json" % t,
                     "/articles/%s/" % UPDATED_SLUG):
            c("conditional GET %s: ETag/If-None-Match 304, If-Modified-Since" % path,
              self.check_conditional, path)
        # sitemap and robots
        if c("sitemap: well-formed, sitemaps.org 0.9", self.check_sitemap):
            c("sitemap: every <loc> answers 200", self.check_sitemap_locs_answer)
            c("sitemap: article locs and lastmod = updated or published", self.check_sitemap_articles)
        c("robots.txt: Sitemap line", self.check_robots)
        # main listing as the pagination baseline
        c("listing: rel=next/prev chain (per_page=%d)" % PER_PAGE, self.walk, "/", self.order, "listing")
        c("listing: page/1 301, past end 404, malformed 400", self.pagination_errors, "/",
          math.ceil(len(self.order) / PER_PAGE))
        # tags
        c("tags: /tags/ lists every tag with its count", self.check_tags_index)
        c("tags: every tag page chain (rel next/prev) shows its articles once", self.check_tag_pages)
        c("tags: page/1 301, past end 404, malformed 400, unknown tag 404", self.check_tag_errors)
        c("tags: tag links on cards and article pages", self.check_tag_links)
        # archives
        c("archive: /archive/ years and months with counts", self.check_archive_index)
        c("archive: year and month pages list their articles, paginated", self.check_archive_pages)
        c("archive: month page/1 301, past end 404, malformed 400", self.check_archive_month_errors)
        c("archive: year page/1 301, past end 404, malformed 400", self.check_archive_year_errors)
        c("archive: bad months (13, 00, 1) 404", self.check_archive_bad_months)
        # search
        c("search: pick words from the articles", self.pick_search_words)
        for w, s in getattr(self, "title_words", []):
            c("search %r: title match %s ranks first" % (w, s), self.check_search_title_first, w, s)
        for w, s in getattr(self, "body_words", []):
            c("search %r: found in the body of %s" % (w, s), self.check_search_body, w, s)
        c("search: multi-word AND", self.check_search_and)
        c("search: pagination visits every result once", self.check_search_pagination)
        c("search: empty query says 'Type a word'", self.check_search_empty)
        c("search: no result says 'No articles match'", self.check_search_none)
        c("search: hostile input never 5xx, reflected text escaped", self.check_search_hostile)
        c("search: no rel=canonical", self.check_search_not_canonical)
        c("search: different queries, different (uncached) results", self.check_search_cache)
        # articles
        c("article: rel prev/next chain in listing order", self.check_article_chain)
        c("article: up to three related articles sharing a tag", self.check_related)
        c("article: <updated> shown", self.check_updated_shown)
        c("article: a title with < & </script> is escaped", self.check_odd_title)
        for s in self.order:
            c("article %s: JSON-LD BlogPosting" % s, self.check_json_ld, s)
        # every page
        for path, status in self.sample_paths():
            c("autodiscovery: %s" % path, self.check_autodiscovery, path, status)
            c("search form: %s" % path, self.check_search_form, path, status)
            c("head: %s" % path, self.check_head, path, status)
            c("a11y: %s" % path, self.check_a11y, path, status)


def main():
    args = stk.parse_suite_arguments(stk.suite_arguments(__doc__, articles=True))

    stk.install_signal_handlers()
    runner = itg.Runner(verbose=args.verbose, pattern=args.pattern)
    tmp = tempfile.mkdtemp(prefix="xsltpress-reader.")
    folder = os.path.join(tmp, "articles")
    st = None
    try:
        problems = prepare_articles(args.articles, folder)
        if problems:
            runner.fail("prepare the articles copy", "; ".join(problems))
        arts = load_articles(folder)
        port = stk.free_port()
        st = stk.Stack(articles_dir=folder, binary=args.bin, keep_dir=args.keep, port=port,
                       extra_env={"XSLTPRESS_PER_PAGE": str(PER_PAGE),
                                  "XSLTPRESS_BASE_URL": "http://127.0.0.1:%d" % port})
        try:
            st.start()
        except stk.StackError as e:
            runner.fail("start stack", str(e))
        else:
            Suite(st, runner, arts).run()
    finally:
        if st is not None:
            st.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    if runner.failed and st is not None:
        stk.print_logs(st, 20, 10)
        if args.keep and st.dir:
            print("logs kept in %s; articles copy in %s" % (st.dir, tmp))
    print("%d passed, %d failed" % (runner.passed, runner.failed))
    return 1 if runner.failed else 0


if __name__ == "__main__":
    sys.exit(main())
