#!/usr/bin/env python3
"""Integration tests: xsltpress behind a real nginx (Python 3 stdlib only).

    python3 tests/integration/run.py                 # run every check
    python3 tests/integration/run.py -k article      # only checks whose name has "article"
    python3 tests/integration/run.py -v              # also print passing checks
    python3 tests/integration/run.py --serve-only FILE
        start the stack, write its URL (http://127.0.0.1:PORT) to FILE and
        serve until SIGTERM/SIGINT (used by tests/browser/run.sh)

Options: --articles DIR (default articles/), --bin PATH (default
build/xsltpress or $XSLTPRESS_BIN), --keep (keep the temp dir and logs).

Every failure is printed with its reason; the last line is exactly
"N passed, N failed"; the exit status is 1 when anything failed.
"""

import concurrent.futures
import html.parser
import os
import re
import shutil
import signal
import subprocess
import tempfile
import sys
import time
import traceback
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stack as stk  # noqa: E402
from stack import (CheckFailed, Skip, ensure, eventually,  # noqa: E402,F401
                   log_lines, vm_rss_kb)

HTML_TYPE = "text/html; charset=utf-8"

# What the sample site must show (developer guide).
SITE_NAME = "SDMastery"
LISTING_H1 = "Blog"
LISTING_INTRO = "20 deep-dive articles on system design."
PAGE1_TITLES = [
    "How I'd Learn System Design in 30 Days",
    "Caching Mistakes That Break Production",
    "Database Sharding in Practice",
    "How Discord Stores Trillions of Messages",
    "How Distributed Locks Fail",
    "How Kafka Handles Millions of Messages Per Second",
    "How Netflix Serves 200 Million Subscribers",
    "How Real-Time Messaging Works",
    "How Slack Delivers Messages in Real Time",
    "How Stripe Designs APIs That Developers Love",
]
PAGE1_MINUTES = [9, 8, 11, 9, 8, 11, 9, 8, 8, 8]
PER_PAGE = 10


# ---------------------------------------------------------------------------
# A small DOM built with html.parser
# ---------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}
INLINE = {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "i",
          "kbd", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup",
          "time", "u", "var"}
# elements whose end tag may be omitted in HTML: close them when a sibling opens
AUTO_CLOSE = {"p": {"p", "div", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre",
                    "table", "blockquote", "section", "article", "nav", "header",
                    "footer", "figure", "hr", "main", "aside", "form"},
              "li": {"li"}, "dt": {"dt", "dd"}, "dd": {"dt", "dd"},
              "tr": {"tr"}, "td": {"td", "th", "tr"}, "th": {"td", "th", "tr"},
              "option": {"option"}}


class Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag = tag
        self.attrs = dict(attrs)
        self.parent = parent
        self.children = []        # Node or str

    def iter(self):
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.iter()

    def find_all(self, pred):
        if isinstance(pred, str):
            tag = pred
            pred = lambda n: n.tag == tag  # noqa: E731
        return [n for n in self.iter() if pred(n)]

    def find(self, pred):
        r = self.find_all(pred)
        return r[0] if r else None

    def text(self):
        out = []

        def walk(n):
            for c in n.children:
                if isinstance(c, str):
                    out.append(c)
                elif c.tag in INLINE:
                    walk(c)
                elif c.tag not in ("script", "style", "template"):
                    out.append(" ")     # block boundaries separate words
                    walk(c)
                    out.append(" ")
        walk(self)
        return norm("".join(out))

    def classes(self):
        return (self.attrs.get("class") or "").split()

    def rels(self):
        return (self.attrs.get("rel") or "").lower().split()

    def ancestors(self):
        p = self.parent
        while p is not None:
            yield p
            p = p.parent

    def __repr__(self):
        return "<%s %s>" % (self.tag, self.attrs)


class TreeBuilder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        closers = [t for t, opens in AUTO_CLOSE.items() if tag in opens]
        if self.cur.tag in closers:
            self.cur = self.cur.parent
        n = Node(tag, [(k, v if v is not None else "") for k, v in attrs], self.cur)
        self.cur.children.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        n = Node(tag, [(k, v if v is not None else "") for k, v in attrs], self.cur)
        self.cur.children.append(n)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse_html(text):
    b = TreeBuilder()
    b.feed(text)
    b.close()
    return b.root


def norm(s):
    return re.sub(r"\s+", " ", s).strip()


def url_path(base, href):
    return urllib.parse.urlsplit(urllib.parse.urljoin(base, href)).path


# ---------------------------------------------------------------------------
# Check bookkeeping
# ---------------------------------------------------------------------------

class Runner:
    def __init__(self, verbose=False, pattern=None):
        self.verbose = verbose
        self.pattern = pattern
        self.passed = 0
        self.failed = 0
        self.failures = []

    def wanted(self, name):
        return not self.pattern or self.pattern in name

    def check(self, name, fn, *args):
        if not self.wanted(name):
            return None
        try:
            r = fn(*args)
        except CheckFailed as e:
            self.fail(name, str(e))
            return None
        except Exception as e:  # a crash in a check is a failure of that check
            self.fail(name, "%s: %s" % (type(e).__name__, e))
            if self.verbose:
                traceback.print_exc()
            return None
        self.passed += 1
        if self.verbose:
            print("ok   %s" % name, flush=True)
        return r if r is not None else True

    def fail(self, name, reason):
        self.failed += 1
        self.failures.append((name, reason))
        print("FAIL %s: %s" % (name, reason), flush=True)


# ---------------------------------------------------------------------------
# Expected data from the articles folder
# ---------------------------------------------------------------------------

SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def article_files(folder):
    """Yields (slug, parsed root) for each well-formed, non-draft article
    file of FOLDER with a valid slug, in name order."""
    if not os.path.isdir(folder):
        return
    for name in sorted(os.listdir(folder)):
        slug = name[:-4]
        if not name.endswith(".xml") or not SLUG_RE.match(slug) or len(slug) > 100:
            continue
        try:
            root = ET.parse(os.path.join(folder, name)).getroot()
        except (ET.ParseError, OSError):
            continue
        if root.tag == "article" and root.find("draft") is None:
            yield slug, root


def load_articles(folder):
    """slug -> dict(title, summary, published, minutes) for listed articles.

    Best effort (the engine is the judge of validity): unreadable files and
    drafts are left out.  'minutes' is None unless <reading-minutes> is given.
    """
    out = {}
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for slug, root in article_files(folder):
        pub = norm(root.findtext("published") or "")
        if pub[:10] > now[:10]:
            continue
        minutes = root.findtext("reading-minutes")
        out[slug] = {
            "title": norm(root.findtext("title") or ""),
            "summary": norm(root.findtext("summary") or ""),
            "published": pub,
            "minutes": int(minutes) if minutes and minutes.strip().isdigit() else None,
        }
    return out


# ---------------------------------------------------------------------------
# Page model
# ---------------------------------------------------------------------------

class Page:
    """A fetched HTML page and the bits of it the checks look at."""

    def __init__(self, url, resp):
        self.url = url
        self.resp = resp
        self.dom = parse_html(resp.text)
        self.text = self.dom.text()

    def main(self):
        return self.dom.find("main") or self.dom

    def cards(self):
        """Listing cards: elements of class "card", else <article> elements."""
        m = self.main()
        cards = m.find_all(lambda n: "card" in n.classes())
        if not cards:
            cards = m.find_all("article")
        # keep the outermost ones only
        ids = {id(c) for c in cards}
        return [c for c in cards if not any(id(a) in ids for a in c.ancestors())]

    def links(self):
        return [(a, a.attrs.get("href", "")) for a in self.dom.find_all("a") if "href" in a.attrs]

    def rel_link(self, rel):
        for a in self.dom.find_all(lambda n: n.tag == "a" and rel in n.rels()):
            return a
        return None


def card_info(base, card):
    """(title, slug, href, text) of one listing card."""
    for a in card.find_all("a"):
        p = url_path(base, a.attrs.get("href", ""))
        m = re.fullmatch(r"/articles/([^/]+)/", p)
        if m and a.text():
            return a.text(), m.group(1), p, card.text()
    raise CheckFailed("card without a link to /articles/<slug>/: %r" % card.text()[:120])


def minutes_in(text):
    m = re.search(r"(\d+)\s*min read", text)
    return int(m.group(1)) if m else None


# ---------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------

class Suite:
    def __init__(self, stack, runner, articles):
        self.st = stack
        self.r = runner
        self.articles = articles
        self.pages = {}             # path -> Page (GET 200 HTML pages seen)
        self.html_pages = {}        # path -> (status, body) of every HTML page to tidy

    def get(self, path, method="GET", **kw):
        return stk.http_request(method, self.st.url + path, **kw)

    def page(self, path):
        if path not in self.pages:
            resp = self.get(path)
            ensure(resp.status == 200, "GET %s answered %s, want 200" % (path, resp.status))
            self.pages[path] = Page(self.st.url + path, resp)
            self.html_pages[path] = (resp.status, resp.text)
        return self.pages[path]

    # -- table of status codes, content types and headers ------------------------
    def status_table(self):
        first = next(iter(sorted(self.articles)), None)
        table = [
            # method, path, status, content-type, {header: value or callable}
            ("GET", "/", 200, HTML_TYPE, {}),
            ("GET", "/page/2/", 200, HTML_TYPE, {}),
            ("GET", "/page/1/", 301, None, {"Location": "/"}),
            ("GET", "/page/3/", 404, HTML_TYPE, {}),
            ("GET", "/page/99/", 404, HTML_TYPE, {}),
            ("GET", "/page/abc/", 400, HTML_TYPE, {}),
            ("GET", "/page/0/", 400, HTML_TYPE, {}),
            ("GET", "/page/01/", 400, HTML_TYPE, {}),
            ("GET", "/page/-1/", 400, HTML_TYPE, {}),
            ("GET", "/no-such-page", 404, HTML_TYPE, {}),
            ("GET", "/articles/no-such-article/", 404, HTML_TYPE, {}),
            ("GET", "/style.css", 200, "text/css", {}),
            ("GET", "/style.css?v=anything", 200, "text/css", {}),
            ("GET", "/articles/" + "a" * 101 + "/", 404, HTML_TYPE, {}),
            ("GET", "/articles/No-Such/", 404, HTML_TYPE, {}),
            # not in the contract: refusing (400) or not finding (404) are both fine
            ("GET", "/articles/%2e%2e/", (400, 404), HTML_TYPE, {}),
            ("GET", "/?utm_source=x", 200, HTML_TYPE, {}),
            ("POST", "/", 405, None, {"Allow": "GET, HEAD"}),
            ("PUT", "/", 405, None, {"Allow": "GET, HEAD"}),
            ("DELETE", "/", 405, None, {"Allow": "GET, HEAD"}),
            ("POST", "/page/2/", 405, None, {"Allow": "GET, HEAD"}),
        ]
        if first:
            table += [
                ("GET", "/articles/%s/" % first, 200, HTML_TYPE, {}),
                ("GET", "/articles/%s" % first, 301, None, {"Location": "/articles/%s/" % first}),
                ("DELETE", "/articles/%s/" % first, 405, None, {"Allow": "GET, HEAD"}),
            ]
        return table

    def check_status_row(self, method, path, status, ctype, want_headers):
        """STATUS is a code or a tuple of acceptable codes."""
        body = b"x=1" if method in ("POST", "PUT") else None
        hdrs = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        r = self.get(path, method, body=body, headers=hdrs)
        allowed = status if isinstance(status, tuple) else (status,)
        ensure(r.status in allowed, "%s %s answered %s %s, want %s"
               % (method, path, r.status, r.reason, " or ".join(map(str, allowed))))
        status = r.status
        ct = r.header("Content-Type", "")
        if ctype == HTML_TYPE:
            ensure(ct.lower().replace(" ", "") == HTML_TYPE.replace(" ", ""),
                   "%s %s Content-Type %r, want %r" % (method, path, ct, HTML_TYPE))
        elif ctype:
            ensure(ct.lower().split(";")[0].strip() == ctype,
                   "%s %s Content-Type %r, want %s" % (method, path, ct, ctype))
        for name, want in want_headers.items():
            got = r.header(name)
            ensure(got is not None, "%s %s: no %s header" % (method, path, name))
            if name == "Location":
                ensure(url_path(self.st.url + path, got) == want,
                       "%s %s: Location %r, want %r" % (method, path, got, want))
            else:
                ensure(norm(got) == want, "%s %s: %s %r, want %r" % (method, path, name, got, want))
        if status >= 400 and method != "HEAD":
            ensure(b"<html" in r.body.lower() or b"<!doctype html" in r.body.lower(),
                   "%s %s: %d page is not an HTML document: %r" % (method, path, status, r.body[:100]))
            self.html_pages["%s (%d)" % (path, status)] = (status, r.text)

    # -- listing ------------------------------------------------------------
    def check_listing_common(self, path, n, total):
        p = self.page(path)
        t = p.text
        skip = [a for a, h in p.links() if a.text() == "Skip to main content"]
        ensure(skip, "%s: no link with text 'Skip to main content'" % path)
        target = skip[0].attrs["href"]
        ensure(target.startswith("#") and len(target) > 1,
               "%s: skip link href %r is not a #fragment" % (path, target))
        ensure(p.dom.find(lambda x: x.attrs.get("id") == target[1:]) is not None,
               "%s: skip link target %s does not exist" % (path, target))
        home = [a for a, h in p.links() if SITE_NAME in a.text() and url_path(p.url, h) == "/"]
        ensure(home, "%s: no %r link to /" % (path, SITE_NAME))
        h1 = [h.text() for h in p.dom.find_all("h1")]
        ensure(h1 == [LISTING_H1], "%s: h1 elements %r, want exactly [%r]" % (path, h1, LISTING_H1))
        ensure(LISTING_INTRO in t, "%s: text %r missing" % (path, LISTING_INTRO))
        want = "Page %d of %d" % (n, total)
        ensure(want in t, "%s: text %r missing" % (path, want))
        cards = p.cards()
        ensure(len(cards) == PER_PAGE, "%s: %d cards, want %d" % (path, len(cards), PER_PAGE))
        infos = [card_info(p.url, c) for c in cards]
        for title, slug, href, text in infos:
            ensure(minutes_in(text) is not None, "%s: card %r has no 'N min read'" % (path, title))
            a = self.articles.get(slug)
            if a and a["summary"]:
                ensure(a["summary"] in text,
                       "%s: card %r does not show the summary %r" % (path, title, a["summary"][:60]))
            if a and a["title"]:
                ensure(title == a["title"], "%s: card title %r, article file says %r"
                       % (path, title, a["title"]))
        return p, infos

    def check_page1(self):
        p, infos = self.check_listing_common("/", 1, 2)
        titles = [i[0] for i in infos]
        ensure(titles == PAGE1_TITLES, "/: card order %r, want %r" % (titles, PAGE1_TITLES))
        mins = [minutes_in(i[3]) for i in infos]
        ensure(mins == PAGE1_MINUTES, "/: min read %r, want %r" % (mins, PAGE1_MINUTES))
        ensure(p.rel_link("prev") is None, "/: page 1 has a rel=prev link")

    def rel_target(self, path, rel, text):
        """The path PATH's rel=REL link points to; the link must read TEXT."""
        p = self.page(path)
        a = p.rel_link(rel)
        ensure(a is not None, '%s: no <a rel="%s">' % (path, rel))
        ensure(a.text() == text, "%s: rel=%s link text %r, want %r" % (path, rel, a.text(), text))
        return url_path(p.url, a.attrs.get("href", ""))

    def check_page1_next(self):
        target = self.rel_target("/", "next", "Next →")
        ensure(target == "/page/2/", "/: rel=next points to %r, want /page/2/" % target)
        self.page(target)

    def check_page2(self):
        p, infos = self.check_listing_common("/page/2/", 2, 2)
        ensure(p.rel_link("next") is None, "/page/2/: last page has a rel=next link")
        ensure("Next →" not in p.text, "/page/2/: last page shows 'Next →'")
        titles2 = [i[0] for i in infos]
        overlap = set(titles2) & set(PAGE1_TITLES)
        ensure(not overlap, "/page/2/: cards also on page 1: %r" % sorted(overlap))
        ensure(len(set(titles2)) == len(titles2), "/page/2/: duplicate cards %r" % titles2)
        # order: published newest first, then slug A-Z (article format)
        if all(i[1] in self.articles for i in infos):
            keys = [(self.articles[i[1]]["published"][:10], i[1]) for i in infos]
            want = sorted(keys, key=lambda k: k[1])
            want = sorted(want, key=lambda k: k[0], reverse=True)
            ensure(keys == want, "/page/2/: order %r, want %r"
                   % ([k[1] for k in keys], [k[1] for k in want]))

    def check_page2_prev(self):
        target = self.rel_target("/page/2/", "prev", "← Previous")
        r = self.get(target)
        if r.status == 301:
            target = url_path(self.st.url + target, r.header("Location", ""))
            r = self.get(target)
        ensure(target == "/", "/page/2/: rel=prev leads to %r, want /" % target)
        ensure(r.status == 200, "/page/2/: rel=prev target answered %s" % r.status)

    def check_listing_covers_all(self):
        self.page("/")
        self.page("/page/2/")
        slugs = {re.fullmatch(r"/articles/([^/]+)/", p).group(1) for p in self.article_cards()}
        ensure(len(slugs) == 20, "listings link %d distinct articles, want 20" % len(slugs))
        if self.articles:
            missing = sorted(set(self.articles) - slugs)
            ensure(not missing, "articles not on any listing page: %r" % missing)

    # -- articles -----------------------------------------------------------
    def article_cards(self):
        out = {}
        for path in ("/", "/page/2/"):
            try:
                p = self.page(path)
            except CheckFailed:
                continue
            for c in p.cards():
                try:
                    title, slug, href, text = card_info(p.url, c)
                except CheckFailed:
                    continue
                out[href] = (title, minutes_in(text))
        return out

    def check_canonical(self, path):
        """<link rel="canonical"> is the page's URL under base_url."""
        if "XSLTPRESS_BASE_URL" in os.environ:
            return
        p = self.page(path)
        links = p.dom.find_all(lambda n: n.tag == "link" and "canonical" in n.rels())
        ensure(len(links) == 1, "%s: %d <link rel=canonical>, want 1" % (path, len(links)))
        href = links[0].attrs.get("href", "")
        ensure(href == self.st.url + path, "%s: canonical %r, want %r (XSLTPRESS_BASE_URL=%s)"
               % (path, href, self.st.url + path, self.st.url))

    def check_article(self, path, title, minutes):
        p = self.page(path)
        h1 = [h.text() for h in p.dom.find_all("h1")]
        ensure(h1 == [title], "%s: h1 %r, want [%r]" % (path, h1, title))
        m = minutes_in(p.text)
        ensure(m is not None, "%s: no 'N min read'" % path)
        ensure(minutes is None or m == minutes,
               "%s: %s min read, the listing card says %s" % (path, m, minutes))
        ensure(title in norm(p.dom.find("title").text() if p.dom.find("title") else ""),
               "%s: <title> does not contain the article title" % path)
        home = [a for a, h in p.links() if url_path(p.url, h) == "/"]
        ensure(home, "%s: no link back to /" % path)
        skip = [a for a, h in p.links() if a.text() == "Skip to main content"]
        ensure(skip, "%s: no 'Skip to main content' link" % path)

    # -- HEAD -----------------------------------------------------------------
    def check_head(self, path):
        """HEAD through the web server answers GET's status and headers
        without a body (a front end in deploy.py reuses this part)."""
        g = self.get(path)
        h = self.get(path, "HEAD")
        ensure(h.status == g.status, "HEAD %s status %s, GET %s" % (path, h.status, g.status))
        ensure(h.body == b"", "HEAD %s has a %d-byte body" % (path, len(h.body)))
        # what a cache in front adds (its status, the copy's age), and the
        # clock second nginx's micro-cache keeps a page to, like Date
        skip = {"date", "content-length", "transfer-encoding", "connection", "keep-alive",
                "age", "x-cache", "x-cache-status", "x-accel-expires"}
        gh = sorted((k.lower(), v) for k, v in g.headers if k.lower() not in skip)
        hh = sorted((k.lower(), v) for k, v in h.headers if k.lower() not in skip)
        ensure(gh == hh, "HEAD %s headers %r differ from GET %r" % (path, hh, gh))
        return g

    def check_head_direct(self, path):
        """HEAD through the web server, then straight from the engine in CGI
        mode (nginx would drop a body on its own)."""
        g = self.check_head(path)
        c = stk.run_cgi(self.st, "HEAD", path)
        ensure(c.status == g.status, "CGI HEAD %s status %s, GET %s" % (path, c.status, g.status))
        ensure(c.body == b"", "CGI HEAD %s printed a %d-byte body" % (path, len(c.body)))
        cl = c.header("Content-Length")
        ensure(cl is None or int(cl) == len(g.body),
               "CGI HEAD %s Content-Length %s, GET body has %d bytes" % (path, cl, len(g.body)))

    # -- tidy -------------------------------------------------------------------
    def check_tidy(self, name, body):
        exe = shutil.which("tidy")
        ensure(exe, "tidy is not installed")
        p = subprocess.run([exe, "-q", "-e", "-utf8", "--gnu-emacs", "no"],
                           input=body.encode("utf-8"), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        msgs = p.stderr.decode("utf-8", "replace").splitlines()
        errors = [m for m in msgs if "Error:" in m]
        ensure(p.returncode < 2 and not errors,
               "%s: tidy errors: %s" % (name, "; ".join(errors or msgs)[:600]))

    # -- other clients --------------------------------------------------------
    def check_cgi_same(self, path):
        n = self.get(path)
        c = stk.run_cgi(self.st, "GET", path)
        ensure(c.status == n.status, "CGI %s status %s, nginx %s" % (path, c.status, n.status))
        ct_c, ct_n = c.header("Content-Type", ""), n.header("Content-Type", "")
        ensure(ct_c == ct_n, "CGI %s Content-Type %r, nginx %r" % (path, ct_c, ct_n))
        ensure(c.body == n.body, "CGI %s body (%d bytes) differs from nginx's (%d bytes)%s"
               % (path, len(c.body), len(n.body), first_diff(c.body, n.body)))

    def check_cgi_metacache_same(self, paths):
        """CGI with the on-disk metadata cache (cold, then warm) answers
        byte for byte what CGI without it answers."""
        cache = tempfile.mkdtemp(prefix="xsltpress-metacache.")
        try:
            for round_name in ("cold cache", "warm cache"):
                for path in paths:
                    plain = stk.run_cgi(self.st, "GET", path)
                    env = stk.cgi_env("GET", path, dict(self.st.engine_env(),
                                                       XSLTPRESS_CACHE_DIR=cache))
                    p = subprocess.run(self.st.engine_cmd(), cwd=stk.ROOT, env=env,
                                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, timeout=30)
                    ensure(p.returncode == 0, "CGI with cache_dir exited %d: %s"
                           % (p.returncode, p.stderr.decode("utf-8", "replace")[-300:]))
                    c = stk.parse_cgi_output(p.stdout)
                    ensure(c.status == plain.status and c.body == plain.body,
                           "%s, %s: status %s vs %s, body %d vs %d bytes%s"
                           % (round_name, path, c.status, plain.status, len(c.body),
                              len(plain.body), first_diff(c.body, plain.body)))
                    ensure(c.header("ETag") == plain.header("ETag"),
                           "%s, %s: ETag %r vs %r" % (round_name, path,
                                                     c.header("ETag"), plain.header("ETag")))
            ensure(os.path.exists(os.path.join(cache, "metadata")),
                   "no metadata file was written in cache_dir")
        finally:
            shutil.rmtree(cache, ignore_errors=True)

    def check_cgi_raw_format(self):
        env = stk.cgi_env("GET", "/", self.st.engine_env())
        p = subprocess.run(self.st.engine_cmd(), cwd=stk.ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=30)
        ensure(p.returncode == 0, "CGI / exited %d" % p.returncode)
        want = b"Status: 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        ensure(p.stdout.startswith(want), "CGI / output starts %r, want %r" % (p.stdout[:80], want))
        head, sep, body = p.stdout.partition(b"\r\n\r\n")
        ensure(sep, "CGI / output has no CRLF CRLF after the headers")
        ensure(body.lstrip().lower().startswith(b"<!doctype html>"),
               "CGI / body starts %r, want <!DOCTYPE html>" % body[:40])
        m = re.search(rb"\r\nContent-Length: *(\d+)", head, re.I)
        ensure(m is None or int(m.group(1)) == len(body),
               "CGI / Content-Length %s but the body has %d bytes" % (m and m.group(1), len(body)))

    def check_render(self, path):
        p = subprocess.run(self.st.engine_cmd() + ["render", path], cwd=stk.ROOT,
                           env=self.st.engine_env(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=30)
        ensure(p.returncode == 0, "render %s exited %d: %s"
               % (path, p.returncode, p.stderr.decode("utf-8", "replace")[-300:]))
        c = stk.parse_cgi_output(p.stdout)
        n = self.get(path)
        ensure(c.status == n.status, "render %s status %s, nginx %s" % (path, c.status, n.status))
        ensure(c.body == n.body, "render %s body differs from nginx's%s"
               % (path, first_diff(c.body, n.body)))

    def check_check_cmd(self):
        p = subprocess.run(self.st.engine_cmd() + ["check"], cwd=stk.ROOT,
                           env=self.st.engine_env(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=60)
        out = (p.stdout + p.stderr).decode("utf-8", "replace").strip()
        ensure(p.returncode == 0, "check on the sample articles exited %d: %s"
               % (p.returncode, out[:600]))

    def check_cgi_fcgi(self, path):
        c = stk.run_cgi_fcgi(self.st, "GET", path)
        n = self.get(path)
        ensure(c.status == n.status, "cgi-fcgi %s status %s, nginx %s" % (path, c.status, n.status))
        ensure(c.body == n.body, "cgi-fcgi %s body differs from nginx's%s"
               % (path, first_diff(c.body, n.body)))

    def check_concurrent(self):
        want = self.get("/").body

        def one(i):
            r = self.get("/" if i % 2 == 0 else "/page/2/")
            return i, r.status, r.body
        with concurrent.futures.ThreadPoolExecutor(16) as ex:
            results = list(ex.map(one, range(64)))
        bad = [(i, s) for i, s, b in results if s != 200]
        ensure(not bad, "concurrent requests failed: %r" % bad[:5])
        diff = [i for i, s, b in results if i % 2 == 0 and b != want]
        ensure(not diff, "%d concurrent GET / answers differ from a single one" % len(diff))

    # -- the deployment config ------------------------------------------------
    def check_site_conf(self):
        """conf/nginx-site.conf, pointed at our socket and a free port, serves
        the same pages, gzip-compressed when asked."""
        import gzip
        with open(os.path.join(stk.ROOT, "conf", "nginx-site.conf"), encoding="utf-8") as f:
            site = f.read()
        port = stk.free_port()
        ensure("unix:/run/xsltpress/xsltpress.sock" in site, "no fastcgi_pass unix:/run/xsltpress/xsltpress.sock")
        site = site.replace("unix:/run/xsltpress/xsltpress.sock", "unix:" + self.st.sock)
        site = re.sub(r"^\s*listen\s+\[::\]:80(\s[^;]*)?;\s*$", "", site, flags=re.M)
        site = re.sub(r"^(\s*)listen\s+80(\s[^;]*)?;", r"\1listen 127.0.0.1:%d\2;" % port,
                      site, flags=re.M)
        d = os.path.join(self.st.dir, "site")
        os.makedirs(d)
        ensure("/var/cache/nginx/xsltpress " in site, "no micro-cache in /var/cache/nginx/xsltpress")
        site = site.replace("/var/cache/nginx/xsltpress ", os.path.join(d, "cache") + " ")
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write("pid %s/nginx.pid;\nerror_log %s/error.log;\nevents { worker_connections 64; }\n"
                    "http {\n client_body_temp_path %s/cb; proxy_temp_path %s/p;"
                    " fastcgi_temp_path %s/f; uwsgi_temp_path %s/u; scgi_temp_path %s/s;\n"
                    " access_log off;\n include /etc/nginx/mime.types;\n%s\n}\n"
                    % ((d,) * 7 + (site,)))
        g = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
        proc = subprocess.Popen([stk.find_nginx(), "-p", d, "-e", os.path.join(d, "error.log"),
                                 "-c", conf, "-g", g], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise CheckFailed("nginx with nginx-site.conf exited: %s"
                                      % proc.stdout.read().decode("utf-8", "replace")[-500:])
                if os.path.exists(os.path.join(d, "nginx.pid")) and stk.Stack._can_connect_tcp(port):
                    break
                time.sleep(0.05)
            else:
                raise CheckFailed("nginx with nginx-site.conf did not start")
            url = "http://127.0.0.1:%d" % port
            for path in ("/", "/style.css"):
                plain = self.get(path)
                r = stk.http_request("GET", url + path, headers={"Accept-Encoding": "gzip"})
                ensure(r.status == plain.status, "site conf %s: status %s, want %s"
                       % (path, r.status, plain.status))
                if len(plain.body) >= 512:
                    ensure(r.header("Content-Encoding") == "gzip",
                           "site conf %s: not gzip-compressed (Content-Type %r)"
                           % (path, r.header("Content-Type")))
                body = gzip.decompress(r.body) if r.header("Content-Encoding") == "gzip" else r.body
                ensure(body == plain.body, "site conf %s: body differs from the dev config's" % path)
        finally:
            stk.stop_process(proc, sig=signal.SIGQUIT)
            proc.stdout.close()

    def check_logs(self):
        bad = [l for l in self.st.app_log().splitlines()
               if re.search(r"\[(warn|warning|error|crit|alert|emerg)\]|error:", l, re.I)]
        ensure(not bad, "engine stderr: %s" % " | ".join(bad[:5]))
        errs = self.st.nginx_errors().strip()
        ensure(not errs, "nginx error.log: %s" % " | ".join(errs.splitlines()[:5]))

    # -- run them all ---------------------------------------------------------
    def run(self):
        R = self.r
        for row in self.status_table():
            R.check("status %s %s" % (row[0], row[1]), self.check_status_row, *row)
        R.check("listing page 1 content", self.check_page1)
        R.check("listing page 1 rel=next", self.check_page1_next)
        R.check("listing page 2 content", self.check_page2)
        R.check("listing page 2 rel=prev", self.check_page2_prev)
        R.check("listings cover all articles", self.check_listing_covers_all)
        cards = self.article_cards()
        if not cards and R.wanted("article"):
            R.fail("article pages", "no article links found on the listings")
        for path, (title, minutes) in sorted(cards.items()):
            R.check("article %s" % path, self.check_article, path, title, minutes)
        for path in ["/", "/page/2/"] + sorted(cards)[:1]:
            R.check("canonical link %s" % path, self.check_canonical, path)
        heads = ["/", "/page/2/", "/style.css", "/no-such-page", "/page/abc/"]
        heads += sorted(cards)[:1]
        for path in heads:
            R.check("HEAD %s" % path, self.check_head_direct, path)
        for name, (status, body) in sorted(self.html_pages.items()):
            R.check("tidy %s" % name, self.check_tidy, name, body)
        R.check("CGI raw output format", self.check_cgi_raw_format)
        cgi_paths = ["/", "/page/2/", "/style.css", "/no-such-page", "/page/abc/"]
        cgi_paths += sorted(cards)[:2]
        for path in cgi_paths:
            R.check("CGI %s same as nginx" % path, self.check_cgi_same, path)
        R.check("CGI with and without the metadata cache: identical pages",
                self.check_cgi_metacache_same, cgi_paths)
        R.check("render /page/2/ same as nginx", self.check_render, "/page/2/")
        R.check("check command on sample articles", self.check_check_cmd)
        R.check("cgi-fcgi / same as nginx", self.check_cgi_fcgi, "/")
        if cards:
            R.check("cgi-fcgi article same as nginx", self.check_cgi_fcgi, sorted(cards)[0])
        R.check("64 concurrent requests", self.check_concurrent)
        R.check("conf/nginx-site.conf serves the site with gzip", self.check_site_conf)
        R.check("no errors in the engine and nginx logs", self.check_logs)


def first_diff(a, b):
    if a == b:
        return ""
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return "; first difference at byte %d: %r vs %r" % (i, a[max(0, i - 20):i + 40], b[max(0, i - 20):i + 40])


# ---------------------------------------------------------------------------
# The article format (shared/article-format.md) and the live folder, on a
# private copy of the sample articles plus crafted files
# ---------------------------------------------------------------------------

def article_xml(title, published, summary="A summary.", body="<p>Text.</p>", extra="",
                doctype=""):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n%s<article>\n  <title>%s</title>\n'
            '  <published>%s</published>\n  <summary>%s</summary>\n%s  <body>%s</body>\n'
            '</article>\n' % (doctype, title, published, summary, extra, body))


# name -> (content, expected: "listed" | "hidden" | "rejected" | "ignored")
def crafted_articles():
    words = " ".join(["word"] * 231)
    deep = "<em>" * 300 + "x" + "</em>" * 300
    return {
        "explicit-minutes.xml": (article_xml("Explicit Minutes", "2026-03-10",
                                             extra="  <reading-minutes>42</reading-minutes>\n"), "listed"),
        "computed-minutes.xml": (article_xml("Computed Minutes", "2026-03-09",
                                             body="<p>%s</p>" % words), "listed"),
        "offset-date.xml": (article_xml("Offset Date", "2026-03-08T09:30:00+01:00"), "listed"),
        "drafted-post.xml": (article_xml("Drafted Post", "2026-03-07", extra="  <draft/>\n"), "hidden"),
        "future-post.xml": (article_xml("Future Post", "2099-01-01"), "hidden"),
        "with-doctype.xml": (article_xml("With Doctype", "2026-03-06",
                                         doctype='<!DOCTYPE article [<!ENTITY x "boom">]>\n'), "rejected"),
        "undeclared-entity.xml": (article_xml("Undeclared Entity", "2026-03-06",
                                              body="<p>a&nbsp;b</p>"), "rejected"),
        "missing-summary.xml": ('<?xml version="1.0"?>\n<article>\n  <title>Missing Summary</title>\n'
                                '  <published>2026-03-06</published>\n  <body><p>x</p></body>\n'
                                '</article>\n', "rejected"),
        "bad-date.xml": (article_xml("Bad Date", "2026-13-45"), "rejected"),
        "not-well-formed.xml": (article_xml("Not Well Formed", "2026-03-06", body="<p>x</b>"), "rejected"),
        "deep-nesting.xml": (article_xml("Deep Nesting", "2026-03-06", body="<p>%s</p>" % deep), "rejected"),
        "My Post.xml": (article_xml("Bad Slug Name", "2026-03-06"), "ignored"),
        "notes.txt": ("not an article\n", "ignored"),
        "backup.xml~": (article_xml("Backup Copy", "2026-03-06"), "ignored"),
        ".swap.xml.swp": ("\0\0binary", "ignored"),
        "#autosave.xml#": (article_xml("Autosave", "2026-03-06"), "ignored"),
    }


class FormatSuite:
    def __init__(self, runner, sample_dir, binary):
        self.r = runner
        self.sample_dir = sample_dir
        self.binary = binary

    def run(self):
        import tempfile
        R = self.r
        if not any(R.wanted(w) for w in ("format", "live")):
            return
        tmp = tempfile.mkdtemp(prefix="xsltpress-articles.")
        try:
            for name in os.listdir(self.sample_dir):
                src = os.path.join(self.sample_dir, name)
                if name.endswith(".xml"):
                    shutil.copy(src, tmp)
                elif os.path.isdir(src):
                    # an article's own files: check reports one missing
                    shutil.copytree(src, os.path.join(tmp, name))
            crafted = crafted_articles()
            for name, (content, _) in crafted.items():
                with open(os.path.join(tmp, name), "w", encoding="utf-8") as f:
                    f.write(content)
            os.makedirs(os.path.join(tmp, "sub"))
            with open(os.path.join(tmp, "sub", "nested.xml"), "w", encoding="utf-8") as f:
                f.write(article_xml("Nested Article", "2026-03-06"))
            st = stk.Stack(articles_dir=tmp, binary=self.binary)
            try:
                st.start()
            except stk.StackError as e:
                R.fail("format: start stack on crafted articles", str(e))
                return
            try:
                self.st = st
                self.tmp = tmp
                self.crafted = crafted
                self.format_checks()
                self.live_checks()
            finally:
                st.stop()
                log = st.app_log()
            R.check("format: engine log names the bad slug file 'My Post.xml'",
                    lambda: ensure("My Post.xml" in log, "no warning naming 'My Post.xml' in the log"))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def get(self, path):
        return stk.http_request("GET", self.st.url + path)

    def listing_titles(self):
        titles = []
        path = "/"
        for _ in range(10):
            r = self.get(path)
            ensure(r.status == 200, "GET %s answered %s" % (path, r.status))
            p = Page(self.st.url + path, r)
            titles += [card_info(p.url, c)[0:1] + (minutes_in(c.text()),) for c in p.cards()]
            nxt = p.rel_link("next")
            if nxt is None:
                return titles, p
            path = url_path(p.url, nxt.attrs.get("href", ""))
        raise CheckFailed("more than 10 listing pages")

    def format_checks(self):
        R = self.r
        state = {}

        def listing():
            titles, first = self.listing_titles()
            state["titles"] = titles
            state["first"] = first
            names = [t for t, _ in titles]
            n_listed = 20 + sum(1 for c, k in self.crafted.values() if k == "listed")
            ensure(len(names) == n_listed, "%d articles listed, want %d: extra %r"
                   % (len(names), n_listed, sorted(set(names) - set(PAGE1_TITLES))[:12]))
            ensure(names[:3] == ["Explicit Minutes", "Computed Minutes", "Offset Date"],
                   "listing starts %r, want the three newest crafted articles" % names[:3])
        R.check("format: listing = 20 samples + 3 valid crafted articles, newest first", listing)

        def intro():
            ensure("titles" in state, "listing not read")
            t = state["first"].text
            ensure("23 deep-dive articles on system design." in t,
                   "intro does not say '23 deep-dive articles on system design.'")
        R.check("format: intro counts the listed articles", intro)

        def minutes():
            ensure("titles" in state, "listing not read")
            d = dict(state["titles"])
            ensure(d.get("Explicit Minutes") == 42, "<reading-minutes>42</reading-minutes> shows %s min"
                   % d.get("Explicit Minutes"))
            ensure(d.get("Computed Minutes") == 2, "231 words show %s min read, want 2 (230 wpm, rounded up)"
                   % d.get("Computed Minutes"))
        R.check("format: reading minutes explicit and computed", minutes)

        for name, (content, kind) in sorted(self.crafted.items()):
            if kind not in ("hidden", "rejected") or not name.endswith(".xml"):
                continue
            slug = name[:-4]

            def hidden(slug=slug, kind=kind):
                r = self.get("/articles/%s/" % slug)
                ensure(r.status == 404, "/articles/%s/ (%s) answered %s, want 404" % (slug, kind, r.status))
                title = re.search(r"<title>(.*?)</title>", self.crafted[slug + ".xml"][0]).group(1)
                ensure(title not in [t for t, _ in state.get("titles", [])],
                       "%r is on the listing" % title)
            R.check("format: %s %s is not served" % (kind, name), hidden)

        def ignored():
            names = [t for t, _ in state.get("titles", [])]
            for t in ("Bad Slug Name", "Backup Copy", "Autosave", "Nested Article"):
                ensure(t not in names, "%r (from an ignored file) is listed" % t)
        R.check("format: ignored files and sub-folders are not listed", ignored)

        def check_cmd():
            p = subprocess.run(self.st.engine_cmd() + ["check"], cwd=stk.ROOT, env=self.st.engine_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, timeout=60)
            out = (p.stdout + p.stderr).decode("utf-8", "replace")
            ensure(p.returncode == 1, "check exited %d, want 1" % p.returncode)
            for name, (_, kind) in sorted(self.crafted.items()):
                if kind != "rejected":
                    continue
                lines = [l for l in out.splitlines() if re.search(re.escape(name) + r":\d+: \S", l)]
                ensure(lines, "no 'FILE:LINE: reason' line for %s in: %s" % (name, out.strip()[:800]))
            for good in ("explicit-minutes.xml", "computed-minutes.xml", "offset-date.xml",
                         "how-distributed-locks-fail.xml"):
                ensure(good + ":" not in out, "check complains about the valid %s: %s"
                       % (good, [l for l in out.splitlines() if good in l][:2]))
        R.check("format: check reports each rejected file as FILE:LINE: reason", check_cmd)

    def wait_for(self, cond, timeout=8.0):
        deadline = time.monotonic() + timeout
        while True:
            v = cond()
            if v or time.monotonic() > deadline:
                return v
            time.sleep(0.2)

    def live_checks(self):
        R = self.r
        path = os.path.join(self.tmp, "live-article.xml")
        url = "/articles/live-article/"

        def write(content):
            # write then rename, as editors do
            tmpf = os.path.join(self.tmp, ".live-article.xml.tmp")
            with open(tmpf, "w", encoding="utf-8") as f:
                f.write(content)
            os.replace(tmpf, path)

        def h1_of(r):
            return [h.text() for h in parse_html(r.text).find_all("h1")]

        def added():
            write(article_xml("Live Article One", "2026-03-11"))
            ok = self.wait_for(lambda: self.get(url).status == 200)
            ensure(ok, "%s still not served 8 s after the file was added" % url)
            ensure("Live Article One" in self.get("/").text, "new article not on the listing")
        if not R.check("live: a new file is served within seconds", added):
            return

        def edited():
            write(article_xml("Live Article Two", "2026-03-11"))
            ok = self.wait_for(lambda: h1_of(self.get(url)) == ["Live Article Two"])
            ensure(ok, "%s still shows %r 8 s after the edit" % (url, h1_of(self.get(url))))
        R.check("live: an edit is served within seconds", edited)

        def broken():
            with open(path, "w", encoding="utf-8") as f:
                f.write('<?xml version="1.0"?>\n<article><title>Broken')
            time.sleep(3)
            r = self.get(url)
            ensure(r.status == 200, "%s answered %s after a broken save, want the last good version"
                   % (url, r.status))
            ensure(h1_of(r) == ["Live Article Two"], "after a broken save h1 is %r" % h1_of(r))
        R.check("live: a broken save keeps the last good version", broken)

        def removed():
            os.unlink(path)
            ok = self.wait_for(lambda: self.get(url).status == 404)
            ensure(ok, "%s still answers %s 8 s after the file was deleted" % (url, self.get(url).status))
            ensure("Live Article" not in self.get("/").text, "deleted article still on the listing")
        R.check("live: a deleted file disappears within seconds", removed)


def check_graceful_stop(articles_dir, binary):
    """SIGTERM while requests are in flight: every 200 is complete, exit 0."""
    import threading
    st = stk.Stack(articles_dir=articles_dir, binary=binary)
    st.start()
    try:
        want = stk.http_request("GET", st.url + "/page/2/").body
        results = []
        stop = threading.Event()

        def loop():
            while not stop.is_set():
                try:
                    r = stk.http_request("GET", st.url + "/page/2/", timeout=10)
                    results.append((r.status, r.body == want))
                except Exception as e:  # connection reset and the like
                    results.append((type(e).__name__, False))
        threads = [threading.Thread(target=loop) for _ in range(8)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        os.kill(st.app.pid, signal.SIGTERM)
        try:
            rc = st.app.wait(15)
        except subprocess.TimeoutExpired:
            rc = "still running 15 s after SIGTERM"
        time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join()
    finally:
        st.stop()
    ok = [r for r in results if r == (200, True)]
    truncated = [r for r in results if r[0] == 200 and not r[1]]
    other = sorted({str(r[0]) for r in results if r[0] not in (200, 502)})
    ensure(rc == 0, "engine exit status %s after SIGTERM under load" % rc)
    ensure(len(ok) > 0, "no request succeeded before SIGTERM")
    ensure(not truncated, "%d responses with status 200 had a wrong/partial body" % len(truncated))
    ensure(not other, "statuses other than 200/502 while stopping: %s" % other)


# ---------------------------------------------------------------------------

def serve_only(args):
    stk.install_signal_handlers()
    signal.signal(signal.SIGINT, lambda s, f: (_ for _ in ()).throw(SystemExit(0)))
    st = stk.Stack(articles_dir=args.articles, binary=args.bin, keep_dir=args.keep)
    try:
        st.start()
        tmp = args.serve_only + ".tmp"
        with open(tmp, "w") as f:
            f.write(st.url + "\n")
        os.replace(tmp, args.serve_only)
        print("serving %s (pid %d)" % (st.url, os.getpid()), file=sys.stderr, flush=True)
        while True:
            if st.app.poll() is not None:
                print("xsltpress exited with status %s:\n%s" % (st.app.returncode, st.app_log()),
                      file=sys.stderr)
                return 1
            if st.nginx.poll() is not None:
                print("nginx exited with status %s" % st.nginx.returncode, file=sys.stderr)
                return 1
            time.sleep(0.2)
    except SystemExit as e:
        return 0 if e.code in (0, 128 + signal.SIGTERM) else 1
    except stk.StackError as e:
        print("cannot start the stack: %s" % e, file=sys.stderr)
        return 1
    finally:
        st.stop()
        log = st.app_log()
        if log.strip():
            sys.stderr.write("--- xsltpress log ---\n" + log[-3000:] + "\n")


def main():
    ap = stk.suite_arguments(__doc__, articles=True)
    ap.add_argument("--serve-only", metavar="URLFILE", default=None)
    args = stk.parse_suite_arguments(ap)

    if args.serve_only:
        return serve_only(args)

    stk.install_signal_handlers()
    runner = Runner(verbose=args.verbose, pattern=args.pattern)
    articles = load_articles(args.articles)
    st = stk.Stack(articles_dir=args.articles, binary=args.bin, keep_dir=args.keep)
    started = False
    try:
        try:
            st.start()
            started = True
        except stk.StackError as e:
            runner.fail("start stack", str(e))
        else:
            Suite(st, runner, articles).run()
    finally:
        st.stop()
    if started:
        FormatSuite(runner, args.articles, args.bin).run()
        runner.check("graceful stop: SIGTERM under load completes requests, exit 0",
                     check_graceful_stop, args.articles, args.bin)
    if started and runner.wanted("SIGTERM"):
        if st.app_status == 0:
            runner.passed += 1
            if runner.verbose:
                print("ok   engine exits 0 on SIGTERM")
        else:
            runner.fail("engine exits 0 on SIGTERM", "exit status %s" % st.app_status)
    if runner.failed:
        stk.print_logs(st)
        if args.keep and st.dir:
            print("logs kept in %s" % st.dir)
    print("%d passed, %d failed" % (runner.passed, runner.failed))
    return 1 if runner.failed else 0


if __name__ == "__main__":
    sys.exit(main())
