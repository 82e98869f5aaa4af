#!/usr/bin/env python3
"""Hardening tests: hostile articles, stylesheets and requests through a real
nginx to the real program (Python 3 stdlib only).

    python3 tests/integration/hostile.py                     # every case (~2 minutes)
    python3 tests/integration/hostile.py --soak-seconds 600  # long soak ("make soak")
    python3 tests/integration/hostile.py -k utf              # only cases whose name has "utf"
    python3 tests/integration/hostile.py -v                  # also print passing cases

Options: --bin PATH (default build/xsltpress or $XSLTPRESS_BIN), --keep (keep
the temporary folders and logs of failed cases), --soak-seconds N (default 60).

The cases are tables, each row a hostile input and the answer it must get:

  articles     each row runs its own engine + nginx (stack.py) on its own
               temporary copy of articles/ with the hostile file added;
               the engine must answer as the row says (refused with the
               file, line and reason in the log, or served with nothing
               dangerous in any page or the feed);
  stylesheets  each row runs on a temporary copy of xslt/
               (XSLTPRESS_XSLT_DIR) with a hostile template that fires only
               for one article, so the limits must stop that transform and
               leave every other page alone;
  requests     raw bytes to nginx on a socket (nothing "fixes" the request
               on the way), on one shared stack;
  soak         several clients mix valid, missing and hostile requests while
               a writer rewrites, renames, breaks and repairs articles;
  privilege    the socket's mode, user = nobody, sandbox = yes (Landlock);
  faults       SIGTERM with requests in flight, a missing articles folder,
               a folder removed while serving.
  load         the render cache's byte bound (RSS), one render for 12
               concurrent misses, a 1.5 MB quote-heavy JSON Feed, a failing
               page not re-rendered, redirect Locations re-encoded, gzip
               (Vary, ETag, HEAD, 304), listen_public, and sandbox = yes
               refusing to start where a seccomp filter hides Landlock.
  cache        files other processes may change: the metadata cache
               truncated in place under a running server, a record patched,
               a FIFO among the kept copies of cache_dir/bodies, a folder
               link swapped in a tight loop while the article is requested.

After EACH case every good page (listing pages, articles, feed, tags,
archive, sitemap, stylesheet) must still answer 200.

Output as stack.run_cases prints it: each failure with its reason (and the
end of the engine log), each skip with why, then "N passed, N failed".
"""

import concurrent.futures
import ctypes
import html.parser
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stack as stk  # noqa: E402
from stack import (CheckFailed, Skip, ensure, eventually,  # noqa: E402,F401
                   log_lines, vm_rss_kb)

ROOT = stk.ROOT
SAMPLES = os.path.join(ROOT, "articles")
XSLT = os.path.join(ROOT, "xslt")
OPTS = None
WAIT = 5.0

# Pages that must answer 200 after every case (the sample site).
GOOD_PAGES = [
    "/", "/page/2/", "/feed.xml", "/tags/", "/archive/", "/sitemap.xml",
    "/robots.txt", "/style.css", "/search/?q=kafka",
    "/articles/understanding-raft-consensus/",
    "/articles/designing-a-url-shortener/",
    "/articles/bloom-filters-in-production/",
]


# ---------------------------------------------------------------------------
# Articles
# ---------------------------------------------------------------------------

def article(title="Hostile Test Article", summary="A summary.", body="<p>Text.</p>",
            published="2020-01-05", decl='<?xml version="1.0" encoding="UTF-8"?>\n',
            prolog=""):
    """A valid article; the lines are fixed: 1 declaration, 2 prolog or
    <article>, then title, published, summary, body start, BODY, body end."""
    return (decl + prolog +
            "<article>\n"
            "  <title>%s</title>\n"
            "  <published>%s</published>\n"
            "  <summary>%s</summary>\n"
            "  <body>\n"
            "    %s\n"
            "  </body>\n"
            "</article>\n" % (title, published, summary, body))


def abytes(**kw):
    return article(**kw).encode("utf-8")


# ---------------------------------------------------------------------------
# HTTP: the shared helpers of stack.py, and raw sockets
# ---------------------------------------------------------------------------

def get(st, path, method="GET", timeout=15, **kw):
    return stk.http_request(method, st.url + path, timeout=timeout, **kw)


class RawResponse:
    def __init__(self, status, headers, body, raw):
        self.status = status
        self.headers = headers
        self.body = body
        self.raw = raw

    def header(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


def dechunk(body):
    out = b""
    while body:
        line, _, rest = body.partition(b"\r\n")
        try:
            n = int(line.split(b";")[0].strip() or b"0", 16)
        except ValueError:
            return out + body
        if n == 0:
            break
        out += rest[:n]
        body = rest[n + 2:]
    return out


def raw_request(port, data, timeout=15):
    """Sends DATA as is and reads until the server closes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                break
            if not b:
                break
            chunks.append(b)
    finally:
        s.close()
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/\d\.\d (\d{3})", lines[0] if lines else "")
    if not m:
        raise CheckFailed("no HTTP status line in the answer to %r: %r" % (data[:80], raw[:200]))
    headers = []
    for l in lines[1:]:
        if ":" in l:
            k, v = l.split(":", 1)
            headers.append((k.strip(), v.strip()))
    r = RawResponse(int(m.group(1)), headers, body, raw)
    if (r.header("Transfer-Encoding") or "").lower() == "chunked":
        r.body = dechunk(body)
    return r


def raw_get(st, target, method=b"GET", extra=b""):
    if isinstance(target, str):
        target = target.encode("latin-1")
    return raw_request(st.port, method + b" " + target + b" HTTP/1.1\r\nHost: localhost\r\n"
                       + extra + b"Connection: close\r\n\r\n")


# ---------------------------------------------------------------------------
# Page checks
# ---------------------------------------------------------------------------

class TagCollector(html.parser.HTMLParser):
    """Every start tag with its attributes, and the text of <script>s."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.scripts = []
        self._in_script = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        if tag == "script":
            self._in_script = [dict(attrs).get("type", ""), ""]

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        if self._in_script is not None:
            self._in_script[1] += data

    def handle_endtag(self, tag):
        if tag == "script" and self._in_script is not None:
            self.scripts.append(tuple(self._in_script))
            self._in_script = None


def dom_problems(text):
    """What a browser would run in TEXT: scripts other than JSON-LD, event
    handlers, iframes, script URLs.  [] when none."""
    p = TagCollector()
    p.feed(text)
    p.close()
    out = []
    for tag, attrs in p.tags:
        if tag in ("iframe", "object", "embed", "frame", "frameset", "applet", "base"):
            out.append("<%s> element" % tag)
        if tag == "script" and dict(attrs).get("type") != "application/ld+json":
            out.append("<script %r>" % attrs)
        if tag == "style" and p.tags and any(t == "body" for t, _ in p.tags[:p.tags.index((tag, attrs))]):
            out.append("<style> inside the body")
        for k, v in attrs:
            if k.startswith("on"):
                out.append("<%s %s=%r>" % (tag, k, v))
            if k in ("href", "src", "action", "formaction", "xlink:href", "srcdoc", "style") and v:
                vv = re.sub(r"[\x00-\x20]", "", v).lower()
                if vv.startswith(("javascript:", "vbscript:", "data:")) or (k == "srcdoc"):
                    out.append("<%s %s=%r>" % (tag, k, v))
    return out


def raw_problems(body):
    """Raw-byte checks: no '<script>alert' (any case) anywhere."""
    low = body.lower() if isinstance(body, bytes) else body.encode("utf-8", "replace").lower()
    out = []
    for needle in (b"<script>alert", b"<script >alert", b"<script\n>alert"):
        if needle in low:
            i = low.index(needle)
            out.append("raw %r at byte %d: %r" % (needle, i, body[max(0, i - 60):i + 60]))
    return out


def good_pages(st, extra=()):
    """Every good page answers 200 (the shared after-each-case check)."""
    bad = []
    for p in list(GOOD_PAGES) + list(extra):
        try:
            r = get(st, p)
            if r.status != 200:
                bad.append("%s -> %s" % (p, r.status))
        except Exception as e:  # noqa: BLE001
            bad.append("%s -> %s: %s" % (p, type(e).__name__, e))
    if st.app is not None and st.app.poll() is not None:
        bad.append("the engine exited with status %s" % st.app.returncode)
    ensure(not bad, "good pages no longer served: %s" % "; ".join(bad))


def listed_in_sitemap(st, slug):
    r = get(st, "/sitemap.xml")
    ensure(r.status == 200, "/sitemap.xml answered %s" % r.status)
    return ("/articles/%s/" % slug) in r.text


def listing_slugs(st):
    """Every slug on every listing page."""
    slugs, path = set(), "/"
    for _ in range(30):
        r = get(st, path)
        ensure(r.status == 200, "GET %s answered %s" % (path, r.status))
        slugs.update(re.findall(r'/articles/([a-z0-9-]+)/"', r.text))
        m = re.search(r'<a\b[^>]*\brel="next"[^>]*\bhref="([^"]+)"|<a\b[^>]*\bhref="([^"]+)"[^>]*\brel="next"',
                      r.text)
        if not m:
            return slugs
        path = re.sub(r"^https?://[^/]+", "", (m.group(1) or m.group(2)).replace("&amp;", "&"))
    raise CheckFailed("more than 30 listing pages")


def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return line.split(":", 1)[1].split()
    return None


# ---------------------------------------------------------------------------
# Per-case context
# ---------------------------------------------------------------------------

class Ctx(stk.CaseContext):
    prefix = "xsltpress-hostile."

    def __init__(self, name):
        super().__init__(name, OPTS.bin, OPTS.keep)

    def folder(self, extra=None):
        """A temporary copy of the sample articles plus EXTRA {name: bytes}."""
        return super().folder(True, extra)

    def xslt(self):
        d = os.path.join(self.tmpdir(), "xslt")
        shutil.copytree(XSLT, d)
        return d

    def stack(self, folder, env=None, cls=stk.Stack, **kw):
        return self.start(folder, env, cls, **kw)


CASES, case = stk.case_registry()


# ---------------------------------------------------------------------------
# 1. Hostile articles: the table
# ---------------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE article [\n'
    '  <!ENTITY lol "lol">\n' +
    "".join('  <!ENTITY lol%d "%s">\n' % (i, ("&lol%d;" % (i - 1) if i > 1 else "&lol;") * 10)
            for i in range(1, 10)) +
    ']>\n'
    '<article><title>&lol9;</title><published>2020-01-05</published>'
    '<summary>&lol9;</summary><body><p>&lol9;</p></body></article>\n').encode()

XXE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE article [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>\n'
    '<article><title>XXE &xxe;</title><published>2020-01-05</published>'
    '<summary>&xxe;</summary><body><p>&xxe;</p></body></article>\n').encode()

PARAM_ENTITIES = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE article [\n'
    '  <!ENTITY % file SYSTEM "file:///etc/passwd">\n'
    '  <!ENTITY % dtd SYSTEM "http://127.0.0.1:9/evil.dtd">\n'
    '  %dtd; %file;\n'
    ']>\n'
    '<article><title>Param</title><published>2020-01-05</published>'
    '<summary>S</summary><body><p>x</p></body></article>\n').encode()

DOCTYPE_PLAIN = abytes(title="Doctype", prolog='<!DOCTYPE article>\n')

EXTERNAL_DTD = abytes(title="External DTD",
                      prolog='<!DOCTYPE article SYSTEM "http://127.0.0.1:9/evil.dtd">\n')

UNDECLARED_ENTITY = abytes(title="Entity", body="<p>a&nbsp;b &foo; c</p>")

XINCLUDE = abytes(title="XInclude Test",
                  body='<p xmlns:xi="http://www.w3.org/2001/XInclude">'
                       '<xi:include href="file:///etc/passwd" parse="text"/></p>')


def nested(levels, per_line=True):
    sep = "\n" if per_line else ""
    return abytes(title="Deep %d" % levels,
                  body=sep.join(["<blockquote>"] * levels) + "deep" +
                  "".join(["</blockquote>"] * levels))


# line 7: a Latin-1 byte, 0xFF, and a truncated 3-byte sequence
BAD_UTF8 = abytes(title="Bad UTF-8", body="<p>cafXX and YY truncated</p>").replace(
    b"XX", b"\xe9\xff").replace(b"YY", b"\xe2\x82")

UTF16_DECL = article(title="UTF-16 declared",
                     decl='<?xml version="1.0" encoding="UTF-16"?>\n').encode("utf-16")
UTF16_NODECL = article(title="UTF-16 without declaration", decl="").encode("utf-16")
LATIN1_DECL = article(title="Latin-1 caf\xe9", decl='<?xml version="1.0" encoding="ISO-8859-1"?>\n') \
    .encode("latin-1")

NUL_BYTES = abytes(title="NUL", body="<p>before\x00after</p>")
CONTROL_BYTES = abytes(title="Control \x1b[31m red", body="<p>bell\x07 \x01 \x0b \x0c</p>")
C1_BYTES = abytes(title="C1 \u0085 \u009b31m", body="<p>\u0080\u009f \ufffe \uffff</p>")


XSS_TITLE_XML = ('Quote &quot; apos &apos; &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; '
                 '&amp; &lt;b&gt;bold&lt;/b&gt; \u2028end')
XSS_TITLE = 'Quote " apos \' </script><script>alert(1)</script> & <b>bold</b> \u2028end'
XSS_BODY = """<p>Plain <strong>kept</strong> text.</p>
    <script>alert(2)</script>
    <img src="x.png" alt="pic" onerror="alert(3)"/>
    <a href="javascript:alert(4)">js</a>
    <a href="JaVaScRiPt:alert(5)">mixed case</a>
    <a href=" vbscript:msgbox(6)">vb</a>
    <a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxMCk8L3NjcmlwdD4=">data</a>
    <a href="java&#x09;script:alert(9)">tab</a>
    <a href="&#x20;&#x0A;javascript:alert(11)">leading space</a>
    <img src="DATA:image/svg+xml,&lt;svg onload=alert(12)&gt;"/>
    <iframe src="https://evil.example/frame">iframe text</iframe>
    <style>body { display: none } /* style-marker */</style>
    <svg xmlns="http://www.w3.org/2000/svg"><script>alert(7)</script><foreignObject>svg text</foreignObject></svg>
    <p onclick="alert(8)" style="background:url(javascript:alert(13))">click</p>
    <p><a href="https://example.org/ok" title="t" onmouseover="alert(14)">fine link</a></p>
    <object data="x.swf">object</object><embed src="y.swf"/>
    <form action="javascript:alert(15)"><input formaction="javascript:alert(16)"/></form>
    <math><mi xlink:href="javascript:alert(17)" xmlns:xlink="http://www.w3.org/1999/xlink">m</mi></math>
    <base href="https://evil.example/"/>
    <meta http-equiv="refresh" content="0;url=javascript:alert(18)"/>
    <!-- <script>alert(19)</script> -->
    <?php echo "pi"; ?>"""
# dated yesterday: the newest article, so it is on the first listing page
# and in the feed (the newest 20)
RECENT = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
XSS = abytes(title=XSS_TITLE_XML, published=RECENT, summary="Summary &lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot;",
             body=XSS_BODY).replace(b"<summary>", b"<author>Eve &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</author>\n  <summary>", 1)
# the <author> line shifts nothing that the checks depend on


def huge_string_article():
    """About 160 KB made to make the transforms build big strings: a long
    summary of characters the JSON-LD and HTML escapers expand, a long
    attribute, 250 nested allowed elements, thousands of small elements
    with dropped attributes."""
    summary = "&lt;&amp;&quot;" * 9000                      # ~ 108 KB of escapes
    attr = "javascript:" + "A" * 20000
    deep = "<blockquote>" * 250 + "core" + "</blockquote>" * 250
    spans = "".join('<em onclick="x" title="t">w%d</em>' % i for i in range(500))
    body = '<p><a href="%s">long</a><img src="x" alt="%s"/></p>%s<p>%s</p>' % (attr, "B" * 8000, deep, spans)
    data = abytes(title="Huge " + "T" * 4000, summary=summary, body=body)
    return data


HUGE = huge_string_article()


def big_limit():
    return max(os.path.getsize(os.path.join(SAMPLES, n)) for n in os.listdir(SAMPLES)
               if n.endswith(".xml")) + 2048


# name, file name, content (bytes, or None for the symlink), what is expected,
# extra env.  Expected: ("reject", reason regex, line or None or "any"),
# ("xss",), ("bounded",), ("no-leak",).
ARTICLE_TABLE = [
    ("billion laughs entity bomb", "bomb.xml", BILLION_LAUGHS, ("reject", r"DOCTYPE", 2), None),
    ("external entity SYSTEM file:///etc/passwd", "xxe.xml", XXE, ("reject", r"DOCTYPE", 2), None),
    ("parameter entities (file and network)", "param-entities.xml", PARAM_ENTITIES,
     ("reject", r"DOCTYPE", 2), None),
    ("DOCTYPE without entities", "doctype.xml", DOCTYPE_PLAIN, ("reject", r"DOCTYPE", 2), None),
    ("external DTD over the network", "external-dtd.xml", EXTERNAL_DTD, ("reject", r"DOCTYPE", 2), None),
    ("undeclared entity &nbsp;", "entity.xml", UNDECLARED_ENTITY, ("reject", r"[Ee]ntity", 7), None),
    ("XInclude of /etc/passwd", "xinclude.xml", XINCLUDE, ("no-leak",), None),
    ("nesting 300 levels", "deep-300.xml", nested(300), ("reject", r"deep|depth|nest", "any"), None),
    ("nesting 100000 levels", "deep-100000.xml", nested(100000, per_line=False),
     ("reject", r"deep|depth|nest", "any"), None),
    ("bad UTF-8 bytes", "bad-utf8.xml", BAD_UTF8, ("reject", r"UTF-8|encod|[Cc]har", 7), None),
    ("UTF-16 file with declaration", "utf16.xml", UTF16_DECL, ("reject", r"UTF", "any"), None),
    ("UTF-16 file without declaration (BOM only)", "utf16-bom.xml", UTF16_NODECL,
     ("reject", r"UTF|encod", "any"), None),
    ("ISO-8859-1 declared", "latin1.xml", LATIN1_DECL, ("reject", r"UTF-8|encod", "any"), None),
    ("empty file", "empty.xml", b"", ("reject", r"empty", None), None),
    ("file of only whitespace", "blank.xml", b" \n\t\r\n   \n" * 50, ("reject", r"empty|[Ss]tart tag|well-formed|[Dd]ocument", "any"), None),
    ("file over max_article_bytes", "too-big.xml", None, ("reject", r"max_article_bytes", None), "BIG"),
    ("NUL bytes", "nul.xml", NUL_BYTES, ("reject", r"[Cc]har|0x0|NUL|range", 7), None),
    ("odd control bytes (ESC, BEL, SOH, VT, FF)", "control.xml", CONTROL_BYTES,
     ("reject", r"[Cc]har|range", "any"), None),
    ("C1 controls and noncharacters", "c1.xml", C1_BYTES, ("c1",), None),
    ("symlink x.xml to /etc/passwd", "x.xml", None, ("reject", r"symbolic link|outside", None), "SYMLINK"),
    ("script, event handlers, javascript:/data: URLs, iframe, style, svg, hostile title",
     "xss.xml", XSS, ("xss",), None),
    ("160 KB article built to make huge strings", "huge.xml", HUGE, ("bounded",), None),
]


def check_rejected(st, fname, reason, line):
    slug = fname[:-4]
    r = get(st, "/articles/%s/" % slug)
    ensure(r.status == 404, "/articles/%s/ answered %s, want 404 (the file must be refused)"
           % (slug, r.status))
    ensure(not listed_in_sitemap(st, slug), "%s is in the sitemap" % slug)
    ensure(slug not in listing_slugs(st), "%s is on the listing" % slug)
    lines = log_lines(st, fname)
    ensure(lines, "the log never names %s (want a line with the reason /%s/)" % (fname, reason))
    ensure(any(re.search(reason, l) for l in lines),
           "the log names %s but not the reason /%s/: %s" % (fname, reason, lines[0][:300]))
    if line == "any":
        ensure(any(re.search(re.escape(fname) + r":\d+:", l) for l in lines),
               "the log names %s without a line number: %s" % (fname, lines[0][:300]))
    elif line is not None:
        ensure(any((fname + ":%d:" % line) in l for l in lines),
               "the log does not say %s:%d: %s" % (fname, line, lines[0][:300]))
    return lines


def all_pages_of(st, slug):
    """The pages where an article's text shows up."""
    paths = ["/", "/feed.xml", "/sitemap.xml", "/tags/", "/archive/",
             "/archive/%s/" % RECENT[:4], "/archive/%s/%s/" % (RECENT[:4], RECENT[5:7]),
             "/articles/%s/" % slug, "/search/?q=quote", "/search/?q=script"]
    out = {}
    for p in paths + ["/page/2/", "/page/3/"]:
        r = get(st, p)
        if (p.startswith("/page/") or p.startswith("/archive/2")) and r.status == 404:
            continue
        out[p] = r
    return out


def check_xss(st, slug):
    pages = all_pages_of(st, slug)
    art = pages["/articles/%s/" % slug]
    ensure(art.status == 200, "the hostile-markup article answered %s, want 200" % art.status)
    problems = []
    for p, r in pages.items():
        ensure(r.status == 200, "%s answered %s" % (p, r.status))
        problems += ["%s: %s" % (p, x) for x in raw_problems(r.body)]
        if p != "/feed.xml" and p != "/sitemap.xml":
            problems += ["%s: %s" % (p, x) for x in dom_problems(r.text)]
        for n in list(range(2, 20)):
            if ("alert(%d)" % n).encode() in r.body or ("msgbox(%d)" % 6).encode() in r.body:
                problems.append("%s: payload %d survived" % (p, n))
                break
        for marker in (b"style-marker", b"evil.example", b"<?php", b"PHNjcmlwd"):
            if marker in r.body:
                problems.append("%s: %r survived" % (p, marker))
    ensure(not problems, "%d problems: %s" % (len(problems), "; ".join(problems[:6])))
    text = art.text
    # the title, escaped, where it must be (and readable: decoded it is the title)
    m = re.search(r"<title>(.*?)</title>", text, re.S)
    ensure(m and "&lt;/script&gt;&lt;script&gt;alert(1)" in m.group(1),
           "<title> does not hold the escaped title: %r" % (m.group(1)[:200] if m else None))
    metas = re.findall(r'<meta\b[^>]*(?:property|name)="(?:og:title|twitter:title)"[^>]*>', text)
    ensure(metas, "no og:title / twitter:title meta")
    for mt in metas:
        ensure("<script" not in mt.lower() and '" apos' not in mt,
               "a title meta tag is not escaped: %r" % mt[:200])
    jl = re.findall(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)
    ensure(len(jl) == 1, "want exactly one JSON-LD block, found %d" % len(jl))
    ensure("<" not in jl[0] and ">" not in jl[0], "JSON-LD holds a raw < or >: %r" % jl[0][:200])
    try:
        data = json.loads(jl[0])
    except ValueError as e:
        raise CheckFailed("JSON-LD does not parse: %s: %r" % (e, jl[0][:300]))
    ensure(data.get("headline") == XSS_TITLE,
           "JSON-LD headline %r, want %r" % (data.get("headline"), XSS_TITLE))
    ensure(">kept<" in text and "fine link" in text and 'href="https://example.org/ok"' in text,
           "the allowed markup of the body was lost")
    feed = pages["/feed.xml"]
    try:
        root = ET.fromstring(feed.body)
    except ET.ParseError as e:
        raise CheckFailed("the feed is not well-formed XML with the hostile article: %s" % e)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.text or "" for e in root.findall("a:entry/a:title", ns)]
    ensure(XSS_TITLE in titles, "the feed does not carry the title intact: %r" % titles[:3])
    for e in root.iter():
        if e.tag.split("}")[-1] in ("script", "iframe", "style", "object", "embed", "form"):
            problems.append("feed content has <%s>" % e.tag)
        for k, v in e.attrib.items():
            if k.split("}")[-1].startswith("on"):
                problems.append("feed content has %s=%r" % (k, v))
            if re.sub(r"[\x00-\x20]", "", v).lower().startswith(("javascript:", "vbscript:", "data:")):
                problems.append("feed content has %s=%r" % (k, v))
    ensure(not problems, "feed: %s" % "; ".join(problems[:5]))


def run_article_row(ctx, fname, data, expect, special):
    env = {}
    extra = {}
    outside = None
    if special == "BIG":
        limit = big_limit()
        env["XSLTPRESS_MAX_ARTICLE_BYTES"] = str(limit)
        filler = "<p>%s</p>" % ("word " * ((limit + 4096) // 5))
        extra[fname] = abytes(title="Too big", body=filler)
        ensure(len(extra[fname]) > limit, "test bug: file not over the limit")
    elif special == "SYMLINK":
        pass
    else:
        extra[fname] = data
    folder = ctx.folder(extra)
    if special == "SYMLINK":
        os.symlink("/etc/passwd", os.path.join(folder, fname))
        outside = ctx.tmpdir()
        # also a link to a *valid* article outside the folder
        with open(os.path.join(outside, "valid.xml"), "wb") as f:
            f.write(abytes(title="Outside the folder"))
        os.symlink(os.path.join(outside, "valid.xml"), os.path.join(folder, "y.xml"))
    st = ctx.stack(folder, env)
    slug = fname[:-4]
    kind = expect[0]
    t0 = time.monotonic()
    if kind == "reject":
        check_rejected(st, fname, expect[1], expect[2])
        if special == "SYMLINK":
            r = get(st, "/articles/y/")
            ensure(r.status == 404, "a symlink to a valid article outside the folder answered %s" % r.status)
            ensure(log_lines(st, "y.xml"), "the log does not name the outside link y.xml")
    elif kind == "xss":
        check_xss(st, slug)
    elif kind == "no-leak":
        r = get(st, "/articles/%s/" % slug)
        ensure(r.status in (200, 404), "answered %s" % r.status)
        for p, rr in all_pages_of(st, slug).items():
            ensure(b"root:" not in rr.body, "%s shows /etc/passwd content" % p)
    elif kind == "c1":
        # valid XML characters: served, or refused with a reason; never a 5xx
        r = get(st, "/articles/%s/" % slug)
        ensure(r.status in (200, 404), "answered %s" % r.status)
        if r.status == 404:
            ensure(log_lines(st, fname), "refused but the log does not name %s" % fname)
        for p, rr in all_pages_of(st, slug).items():
            if p != "/articles/%s/" % slug:
                ensure(rr.status == 200, "%s answered %s" % (p, rr.status))
            ensure(not raw_problems(rr.body), "%s: %s" % (p, raw_problems(rr.body)))
    elif kind == "bounded":
        r = get(st, "/articles/%s/" % slug, timeout=30)
        took = time.monotonic() - t0
        rss = vm_rss_kb(st.app.pid)
        ensure(took < 5.0, "the huge article took %.1f s to answer" % took)
        ensure(r.status in (200, 404), "answered %s" % r.status)
        if r.status == 404:
            ensure(log_lines(st, fname), "refused but the log does not name %s" % fname)
        else:
            ensure(not raw_problems(r.body) and not dom_problems(r.text),
                   "the huge article page runs script: %s" % (raw_problems(r.body) + dom_problems(r.text))[:3])
        for p in ("/feed.xml", "/", "/search/?q=huge"):
            t1 = time.monotonic()
            rr = get(st, p, timeout=30)
            ensure(rr.status == 200 and time.monotonic() - t1 < 5.0,
                   "%s answered %s in %.1f s" % (p, rr.status, time.monotonic() - t1))
        rss = max(rss, vm_rss_kb(st.app.pid))
        ensure(rss < 300 * 1024, "the engine grew to %d MB" % (rss // 1024))
        if OPTS.verbose:
            print("  huge: %s in %.2f s, %d bytes, RSS %d MB" % (r.status, took, len(r.body), rss // 1024))
    # never any passwd content, anywhere
    ensure(b"root:x:0:0" not in get(st, "/articles/%s/" % slug).body, "passwd content served")
    good_pages(st)
    if kind == "reject":
        n = len(log_lines(st, fname))
        ensure(n == 1, "the problem with %s is logged %d times, want once" % (fname, n))


for _name, _fname, _data, _expect, _special in ARTICLE_TABLE:
    def _mk(fname=_fname, data=_data, expect=_expect, special=_special):
        return lambda ctx: run_article_row(ctx, fname, data, expect, special)
    case("article: " + _name)(_mk())


@case("article: hostile file added while serving is refused, log once")
def c_article_live(ctx):
    folder = ctx.folder()
    st = ctx.stack(folder)
    good_pages(st)
    with open(os.path.join(folder, "live-bomb.xml"), "wb") as f:
        f.write(BILLION_LAUGHS)
    with open(os.path.join(folder, "live-ok.xml"), "wb") as f:
        f.write(abytes(title="Live sentinel"))
    eventually(lambda: ensure(get(st, "/articles/live-ok/").status == 200, "sentinel not served"),
               "sentinel article served")
    check_rejected(st, "live-bomb.xml", r"DOCTYPE", 2)
    # a good article turned hostile keeps its last good version
    p = os.path.join(folder, "understanding-raft-consensus.xml")
    with open(p, "wb") as f:
        f.write(XXE)
    with open(os.path.join(folder, "live-ok2.xml"), "wb") as f:
        f.write(abytes(title="Live sentinel 2"))
    eventually(lambda: ensure(get(st, "/articles/live-ok2/").status == 200, "sentinel not served"),
               "second sentinel served")
    r = get(st, "/articles/understanding-raft-consensus/")
    ensure(r.status == 200 and b"root:" not in r.body,
           "a good article overwritten with an XXE file answered %s" % r.status)
    ensure(any("still serving" in l for l in log_lines(st, "understanding-raft-consensus.xml")),
           "the log does not say the last good version is still served")
    good_pages(st)


# ---------------------------------------------------------------------------
# 2. Hostile stylesheets: a template in a temporary copy of article.xsl that
#    fires only for the article "hostile-sheet"
# ---------------------------------------------------------------------------

SHEET_TARGET = "hostile-sheet"


def inject(xslt_dir, template, ns=""):
    p = os.path.join(xslt_dir, "article.xsl")
    with open(p, encoding="utf-8") as f:
        text = f.read()
    if ns:
        text = text.replace('<xsl:stylesheet version="1.0"', '<xsl:stylesheet version="1.0" ' + ns, 1)
    text = text.replace("</xsl:stylesheet>", template + "\n</xsl:stylesheet>")
    with open(p, "w", encoding="utf-8") as f:
        f.write(text)


def sheet_template(inner):
    return ('<xsl:template match="page[entry/@slug = \'%s\']" priority="50">'
            '<html><body><main><p>hostile-sheet-ran</p>%s</main></body></html></xsl:template>'
            % (SHEET_TARGET, inner))


def sheet_stack(ctx, inner, ns="", env=None, body="<p>Text.</p>"):
    xd = ctx.xslt()
    inject(xd, sheet_template(inner), ns)
    folder = ctx.folder({SHEET_TARGET + ".xml": abytes(title="Hostile sheet target", body=body)})
    e = {"XSLTPRESS_XSLT_DIR": xd}
    e.update(env or {})
    st = ctx.stack(folder, e)
    return st, xd, folder


def secret_outside(ctx):
    d = ctx.tmpdir("xsltpress-secret.")
    os.chmod(d, 0o755)
    p = os.path.join(d, "secret.xml")
    with open(p, "w") as f:
        f.write("<secret>TOPSECRET-%d</secret>\n" % os.getpid())
    os.chmod(p, 0o644)
    return p


@case("stylesheet: document('/etc/passwd') and files outside the folder are refused")
def c_sheet_document(ctx):
    secret = secret_outside(ctx)
    inner = ('<pre id="a"><xsl:value-of select="document(\'/etc/passwd\')"/></pre>'
             '<pre id="b"><xsl:value-of select="document(\'file:///etc/passwd\')"/></pre>'
             '<pre id="c"><xsl:value-of select="document(\'%s\')"/></pre>'
             '<pre id="d"><xsl:value-of select="document(\'file://%s\')"/></pre>'
             '<pre id="e"><xsl:value-of select="document(\'link.xml\')"/></pre>'
             '<pre id="f"><xsl:value-of select="document(\'../../../../../../..%s\')"/></pre>'
             % (secret, secret, secret))
    st, xd, folder = sheet_stack(ctx, inner)
    # a link inside the stylesheet folder that leads outside it
    os.symlink(secret, os.path.join(xd, "link.xml"))
    r = get(st, "/articles/%s/" % SHEET_TARGET)
    ensure(r.status in (200, 500), "answered %s, want 200 or a 500 page" % r.status)
    ensure(b"root:" not in r.body, "the page shows /etc/passwd")
    ensure(b"TOPSECRET" not in r.body, "the page shows a file outside the stylesheet folder")
    refused = [l for l in st.app_log().splitlines() if "refused" in l]
    ensure(any("/etc/passwd" in l for l in refused), "the log does not say reading /etc/passwd was refused")
    ensure(any(os.path.basename(secret) in l or "link.xml" in l for l in refused),
           "the log does not say reading the outside file was refused")
    good_pages(st)


@case("stylesheet: exsl:document cannot write files")
def c_sheet_write(ctx):
    tok = "%d-%d" % (os.getpid(), random.randrange(1 << 30))
    target = "/tmp/xsltpress-pwned-%s" % tok
    rel = "xsltpress-pwned-rel-%s.txt" % tok
    ns = 'xmlns:exsl="http://exslt.org/common" xmlns:saxon="http://icl.com/saxon" ' \
         'extension-element-prefixes="exsl saxon"'
    inner = ('<exsl:document href="%s" method="text">pwned</exsl:document>'
             '<exsl:document href="%s" method="text">pwned</exsl:document>'
             '<exsl:document href="file://%s-2" method="text">pwned</exsl:document>'
             '<saxon:output href="%s-3" method="text">pwned</saxon:output>'
             % (target, rel, target, target))
    st, xd, folder = sheet_stack(ctx, inner, ns)
    try:
        r = get(st, "/articles/%s/" % SHEET_TARGET)
        ensure(r.status in (200, 500), "answered %s, want 200 or a 500 page" % r.status)
        made = [p for p in (target, target + "-2", target + "-3", os.path.join(ROOT, rel),
                            os.path.join(xd, rel), os.path.join("/tmp", rel)) if os.path.exists(p)]
        ensure(not made, "the stylesheet wrote %s" % made)
        ensure(any("refused" in l and "pwned" in l for l in st.app_log().splitlines()),
               "the log does not say the write was refused")
        good_pages(st)
    finally:
        for p in (target, target + "-2", target + "-3", os.path.join(ROOT, rel),
                  os.path.join(xd, rel), os.path.join("/tmp", rel)):
            if os.path.exists(p):
                os.unlink(p)


def timed_get(st, path, timeout=30):
    t0 = time.monotonic()
    r = get(st, path, timeout=timeout)
    return r, time.monotonic() - t0


def run_runaway(ctx, inner, within, what, n=3, body="<p>Text.</p>"):
    st, xd, folder = sheet_stack(ctx, inner, env={"XSLTPRESS_CACHE": "off"}, body=body)
    # several at once, and good pages served meanwhile
    try:
        with concurrent.futures.ThreadPoolExecutor(n + 1) as ex:
            futs = [ex.submit(timed_get, st, "/articles/%s/" % SHEET_TARGET, within + 2) for _ in range(n)]
            time.sleep(0.1)
            t0 = time.monotonic()
            r2 = get(st, "/articles/understanding-raft-consensus/", timeout=within + 2)
            side = time.monotonic() - t0
            results = [f.result() for f in futs]
    except (socket.timeout, TimeoutError):
        # the transform is not stopped: do not wait for the drain on SIGTERM
        os.kill(st.app.pid, signal.SIGKILL)
        raise CheckFailed("%s: no answer within %.0f s (the transform is not stopped by the limits)"
                          % (what, within + 2))
    for r, took in results:
        ensure(r.status == 500, "%s answered %s, want the 500 page" % (what, r.status))
        ensure(took < within, "%s took %.1f s, want under %.0f s" % (what, took, within))
        ensure(b"<html" in r.body.lower(), "the 500 answer is not the site's error page")
    ensure(r2.status == 200 and side < within,
           "another article meanwhile answered %s in %.1f s" % (r2.status, side))
    ensure(any("hostile" in l or "article.xsl" in l or "transform failed" in l
               for l in st.app_log().splitlines() if "[error]" in l or "[warn]" in l),
           "no logged error for the %s" % what)
    good_pages(st)
    if OPTS.verbose:
        print("  %s: %s" % (what, ", ".join("%.2f s" % t for _, t in results)))


@case("stylesheet: infinitely recursive template -> 500 within seconds, others served")
def c_sheet_recursion(ctx):
    inner = '<xsl:call-template name="forever"/></main></body></html></xsl:template>' \
            '<xsl:template name="forever"><xsl:param name="n" select="0"/>' \
            '<xsl:call-template name="forever"><xsl:with-param name="n" select="$n + 1"/>' \
            '</xsl:call-template><html><body><main>'
    run_runaway(ctx, inner, 5.0, "infinite recursion")


@case("stylesheet: exploding XPath -> bounded by the operation limit")
def c_sheet_xpath(ctx):
    inner = '<p><xsl:value-of select="count(//node()[count(//node()[count(//node()[count(//node()) &gt; 0]) &gt; 0]) &gt; 0])"/></p>'
    body = "\n    ".join("<p>p%d <em>e</em></p>" % i for i in range(400))
    run_runaway(ctx, inner, 10.0, "exploding XPath", body=body)


@case("stylesheet: exponential template recursion (depth stays small) is bounded")
def c_sheet_exponential(ctx):
    inner = '<xsl:call-template name="tree"><xsl:with-param name="n" select="60"/></xsl:call-template>' \
            '</main></body></html></xsl:template>' \
            '<xsl:template name="tree"><xsl:param name="n"/><xsl:if test="$n &gt; 0">' \
            '<xsl:call-template name="tree"><xsl:with-param name="n" select="$n - 1"/></xsl:call-template>' \
            '<xsl:call-template name="tree"><xsl:with-param name="n" select="$n - 1"/></xsl:call-template>' \
            '</xsl:if><html><body><main>'
    # each call costs a few XPath operations: the 50 M operation limit is
    # reached after ~4 M calls, some 10 s of CPU; one request only
    run_runaway(ctx, inner, 25.0, "exponential recursion", n=1)


# ---------------------------------------------------------------------------
# 3. Hostile requests: raw bytes to nginx, one shared stack
# ---------------------------------------------------------------------------

TRAVERSALS = [
    "/../etc/passwd", "/../../../../etc/passwd", "/%2e%2e/etc/passwd", "/%2E%2E%2Fetc%2Fpasswd",
    "/..%2fetc%2fpasswd", "/..%2F..%2F..%2Fetc%2Fpasswd", "/articles/..%2f..%2fetc%2fpasswd/",
    "/articles/%2e%2e/%2e%2e/etc/passwd", "/articles/%2e%2e%2f%2e%2e%2fetc%2fpasswd/",
    "/%252e%252e/etc/passwd", "/articles/%252e%252e%252f%252e%252e%252fetc%252fpasswd/",
    "/%c0%ae%c0%ae/etc/passwd", "/%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%afetc%c0%afpasswd",
    "/%e0%80%ae%e0%80%ae/etc/passwd", "/articles/..\\..\\etc\\passwd", "/..\\..\\etc\\passwd",
    "/articles/%5c..%5c..%5cetc%5cpasswd/", "/style.css/../../etc/passwd", "/./etc/passwd",
    "/articles/./understanding-raft-consensus/", "/articles/%2e/", "//etc/passwd",
    "/articles//etc/passwd/", "/articles/understanding-raft-consensus/../../../etc/passwd",
    "/.%2e/.%2e/etc/passwd", "/%2e./%2e./etc/passwd", "/..;/etc/passwd", "/....//....//etc/passwd",
    "/articles/....%2f....%2fetc%2fpasswd/", "/etc/passwd", "/xslt/article.xsl", "/conf/xsltpress.conf",
    "/articles/understanding-raft-consensus.xml", "/articles/../articles/understanding-raft-consensus.xml",
    "/.git/config", "/Makefile",
]

NUL_REQUESTS = ["/%00", "/articles/a%00b/", "/articles/understanding-raft-consensus%00.xml/",
                "/page/%00/", "/%00/../etc/passwd"]

ODD_BYTES = ["/%01/", "/%7f/", "/%1b%5b31m/", "/%ff/", "/%fe%ff/", "/articles/%C3%A9t%C3%A9/",
             "/articles/%e2%80%ae/", "/%0d%0aSet-Cookie:%20x=1/", "/articles/%0aX:y/",
             "/tags/%3Cscript%3Ealert(1)%3C%2Fscript%3E/", "/%", "/%g0/", "/%2", "/articles/%zz/",
             "/archive/9999999999999999999/", "/archive/2020/99/", "/archive/-1/",
             "/tags/" + "a" * 300 + "/", "/articles/" + "b" * 150 + "/"]

# path, allowed statuses, Location for 301
PAGE_NUMBERS = [
    ("/page/0/", {400, 404}), ("/page/-1/", {400}), ("/page/01/", {400, 301}),
    ("/page/1e9/", {400}), ("/page/99999999999999999999999/", {400, 404}),
    ("/page/18446744073709551617/", {400, 404}), ("/page/4294967297/", {400, 404}),
    ("/page/%31/", {301}), ("/page/1/", {301}), ("/page/+2/", {400}), ("/page/2.0/", {400}),
    ("/page/ 2/", {400}), ("/page/0x2/", {400}), ("/page/2/x/", {404}),
    ("/page/1000000/", {404}), ("/tags/kafka/page/0/", {400, 404}),
    ("/tags/kafka/page/99999999999999999999/", {400, 404}), ("/archive/2026/page/-5/", {400}),
    ("/search/?q=kafka&page=0", {400, 404, 200}), ("/search/?q=kafka&page=-1", {400, 200}),
    ("/search/?q=kafka&page=99999999999999999999999", {400, 404, 200}),
    ("/search/?q=kafka&page=1e9", {400, 200}),
]

SEARCH_QUERIES = [
    ("5000 chars", "q=" + "a" * 5000, {414, 400}),
    ("1000 chars", "q=" + "b" * 1000, {200}),
    ("NUL", "q=%00", {400}),
    ("NUL inside", "q=kafka%00x", {400}),
    ("invalid UTF-8", "q=%FF%FE", {200, 400}),
    ("overlong UTF-8", "q=%c0%bcscript%c0%be", {200, 400}),
    ("script", "q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", {200}),
    ("attribute break", "q=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E", {200}),
    ("single quotes", "q=%27%20onfocus%3D%27alert(1)", {200}),
    ("only punctuation", "q=%21%40%23%24%25%5E%26*()_%2B-%3D%7B%7D%5B%5D%7C%3A%3B%22%27%3C%3E%2C.%3F%2F", {200}),
    ("100 words", "q=" + "+".join("word%d" % i for i in range(100)), {200, 400}),
    ("empty", "q=", {200}),
    ("no q", "", {200}),
    ("q twice", "q=kafka&q=%3Cscript%3E", {200}),
    ("bad percent", "q=%zz%", {200, 400}),
    ("CRLF", "q=%0d%0aSet-Cookie:x=1", {200, 400}),
    ("control bytes", "q=%01%1b%7f", {200, 400}),
    ("unicode tricks", "q=%E2%80%AE%EF%BB%BF%E2%80%8B", {200}),
]


def no_5xx(r, what):
    ensure(r.status < 500, "%s answered %s" % (what, r.status))


def no_passwd(r, what):
    ensure(b"root:x:0:0" not in r.body, "%s served /etc/passwd content (status %s)" % (what, r.status))
    ensure(b"<xsl:stylesheet" not in r.body and b"articles_dir" not in r.body and b"[core]" not in r.body,
           "%s served a file of the site's own" % what)


class RequestStack:
    """One stack shared by the request rows (started on first use)."""
    st = None
    ctx = None


def shared_stack():
    if RequestStack.st is None or RequestStack.st.app is None or RequestStack.st.app.poll() is not None:
        RequestStack.ctx = Ctx("requests")
        RequestStack.st = RequestStack.ctx.stack(RequestStack.ctx.folder())
    return RequestStack.st


def request_case(name):
    def deco(fn):
        def run(ctx):
            st = shared_stack()
            fn(st)
            good_pages(st)
            # no 5xx anywhere in nginx's log of this stack so far
        CASES.append(("request: " + name, run))
        return fn
    return deco


@request_case("path traversal in every encoding -> 400/404, never file content")
def r_traversal(st):
    bad = []
    for t in TRAVERSALS:
        r = raw_get(st, t)
        if r.status == 301 and ".." not in t and "%2e" not in t.lower():
            # "/articles/x.xml" is a slug without its slash: the redirect
            # must lead to a 404, never to the file
            loc = re.sub(r"^https?://[^/]+", "", r.header("Location") or "")
            r2 = raw_get(st, loc) if loc.startswith("/") else None
            if r2 is None or r2.status != 404:
                bad.append("%s -> 301 to %r -> %s" % (t, loc, r2.status if r2 else "?"))
            else:
                no_passwd(r2, loc)
        elif r.status not in (400, 404):
            bad.append("%s -> %s" % (t, r.status))
        try:
            no_passwd(r, t)
        except CheckFailed as e:
            bad.append(str(e))
    ensure(not bad, "; ".join(bad[:8]))


@request_case("NUL (%00) and raw NUL bytes -> 400")
def r_nul(st):
    bad = []
    for t in NUL_REQUESTS:
        r = raw_get(st, t)
        if r.status != 400:
            bad.append("%s -> %s" % (t, r.status))
    for t in (b"/\x00", b"/articles/a\x00b/"):
        r = raw_get(st, t)
        if r.status != 400:
            bad.append("%r -> %s" % (t, r.status))
    ensure(not bad, "; ".join(bad))


@request_case("odd bytes in the path -> 4xx, no header injection")
def r_odd(st):
    bad = []
    for t in ODD_BYTES:
        r = raw_get(st, t)
        if r.status not in (400, 404, 414):
            bad.append("%s -> %s" % (t, r.status))
        if any(k.lower() in ("set-cookie", "x") for k, _ in r.headers):
            bad.append("%s injected a header" % t)
        if b"<script>alert" in r.body:
            bad.append("%s reflected unescaped" % t)
    for t in (b"/\x01/", b"/\x7f/", b"/\xff\xfe/", b"/articles/\xc3\xa9/", b"/\x1b[31m/", b"/a b/"):
        r = raw_get(st, t)
        if r.status not in (400, 404):
            bad.append("%r -> %s" % (t, r.status))
    ensure(not bad, "; ".join(bad[:8]))


@request_case("hostile page numbers -> 400/404/301 as documented")
def r_pages(st):
    bad = []
    for t, allowed in PAGE_NUMBERS:
        r = raw_get(st, t.replace(" ", "%20"))
        if r.status not in allowed:
            bad.append("%s -> %s (want %s)" % (t, r.status, sorted(allowed)))
        if r.status == 301:
            loc = r.header("Location") or ""
            if not re.match(r"^(https?://127\.0\.0\.1:\d+)?/$", loc):
                bad.append("%s -> 301 to %r, want /" % (t, loc))
    ensure(not bad, "; ".join(bad[:8]))


@request_case("hostile search queries -> 200/400/414, never 5xx, reflected text escaped")
def r_search(st):
    bad = []
    for name, q, allowed in SEARCH_QUERIES:
        r = raw_get(st, "/search/?" + q if q else "/search/")
        if r.status not in allowed:
            bad.append("%s -> %s (want %s)" % (name, r.status, sorted(allowed)))
        if r.status >= 500:
            bad.append("%s -> %s" % (name, r.status))
        bad += ["%s: %s" % (name, x) for x in raw_problems(r.body)]
        if r.status == 200 or b"<html" in r.body[:500].lower():
            bad += ["%s: %s" % (name, x) for x in dom_problems(r.text)]
            if b"<img src=x" in r.body.lower():
                bad.append("%s: the attribute break is reflected raw" % name)
    # the reflected query is there, escaped
    r = raw_get(st, "/search/?q=%3Cb%3Ehello%22%3C%2Fb%3E")
    ensure(r.status == 200, "a search for <b>hello\"</b> answered %s" % r.status)
    ensure(b"&lt;b&gt;hello" in r.body, "the query is not reflected escaped")
    ensure(b"<b>hello" not in r.body, "the query is reflected raw")
    ensure(not bad, "; ".join(bad[:8]))


@request_case("URLs over 2048 bytes -> 414 (engine), 64 KB -> 414 (nginx)")
def r_long(st):
    bad = []
    for t in ("/articles/" + "a" * 2100 + "/", "/" + "x/" * 1100, "/search/?q=" + "c" * 2100):
        r = raw_get(st, t)
        if r.status != 414:
            bad.append("%d bytes -> %s" % (len(t), r.status))
    for t in ("/" + "y" * 65536, "/search/?q=" + "z" * 65536):
        r = raw_get(st, t)
        if r.status not in (414, 400):
            bad.append("64 KB -> %s" % r.status)
        elif r.status == 400 and b"414" not in r.body and b"Too Large" not in r.body:
            bad.append("64 KB -> 400 that is not a size refusal")
    ensure(not bad, "; ".join(bad))


@request_case("unknown methods -> 405 with Allow: GET, HEAD")
def r_methods(st):
    bad = []
    for m in ("PUT", "DELETE", "PATCH", "OPTIONS", "FOO", "PROPFIND", "CONNECT-X", "TRACE"):
        for path in ("/", "/articles/understanding-raft-consensus/", "/no-such-page/"):
            extra = b"Content-Length: 0\r\n" if m in ("PUT", "PATCH") else b""
            r = raw_get(st, path, method=m.encode(), extra=extra)
            allow = (r.header("Allow") or "").replace(" ", "")
            if m == "TRACE" and r.status == 405 and not allow:
                # nginx refuses TRACE itself (ngx_http_parse: NGX_HTTP_TRACE
                # -> 405) before the request reaches the engine
                continue
            if r.status != 405 or allow != "GET,HEAD":
                bad.append("%s %s -> %s, Allow %r" % (m, path, r.status, r.header("Allow")))
    ensure(not bad, "; ".join(bad[:8]))
    r = get(st, "/", method="HEAD")
    ensure(r.status == 200 and not r.body, "HEAD / answered %s with %d body bytes" % (r.status, len(r.body)))


@request_case("POST with a 1 MB body -> 405 (2 MB -> 413), the next request works")
def r_post(st):
    for size, allowed in ((1000 * 1000, {405}), (2 * 1024 * 1024, {405, 413})):
        body = b"x" * size
        r = raw_request(st.port, b"POST /search/?q=x HTTP/1.1\r\nHost: localhost\r\n"
                        b"Content-Type: application/x-www-form-urlencoded\r\n"
                        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % size + body, timeout=30)
        ensure(r.status in allowed, "POST of %d bytes answered %s, want %s" % (size, r.status, sorted(allowed)))
        for _ in range(3):
            rr = get(st, "/")
            ensure(rr.status == 200, "after a POST of %d bytes, GET / answered %s" % (size, rr.status))
    # keep-alive: a POST with a body, then a GET on the same connection
    s = socket.create_connection(("127.0.0.1", st.port), timeout=15)
    try:
        body = b"y" * 200000
        s.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n" % len(body) + body +
                  b"GET /tags/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    finally:
        s.close()
    statuses = re.findall(rb"HTTP/1\.1 (\d{3})", data)
    ensure(statuses[:1] == [b"405"], "pipelined POST answered %s" % statuses[:1])
    ensure(b"200" in statuses[1:2] or len(statuses) == 1,
           "the GET after a POST on one connection answered %s" % statuses[1:2])


@request_case("aborted clients (half request, close before reading, half a response) -> next requests work")
def r_aborted(st):
    port = st.port
    for i in range(20):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /articles/understanding-raft-consensus/ HT")
        s.close()
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /search/?q=system%%20design&x=%d HTTP/1.1\r\nHost: localhost\r\n\r\n" % i)
        s.close()
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n" + b"z" * 5000)
        s.close()
    # half of a large response (feed: full content of 20 articles), then RST
    for i in range(10):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(5)
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /feed.xml?n=%d HTTP/1.1\r\nHost: localhost\r\n\r\n" % i)
        got = 0
        while got < 20000:
            b = s.recv(4096)
            if not b:
                break
            got += len(b)
        ensure(got > 0, "no bytes of the feed before aborting")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()
    time.sleep(0.2)
    ensure(st.app.poll() is None, "the engine exited with status %s" % st.app.returncode)
    for _ in range(3):
        r = get(st, "/feed.xml")
        ensure(r.status == 200 and r.body.rstrip().endswith(b"</feed>"),
               "after aborted clients the feed answered %s (%d bytes)" % (r.status, len(r.body)))


@request_case("50 parallel connections all answered")
def r_parallel(st):
    paths = GOOD_PAGES + ["/no-such-%d/" % i for i in range(5)] + ["/page/0/", "/%2e%2e/"]

    def one(i):
        p = paths[i % len(paths)]
        t = p + ("&" if "?" in p else "?") + "c=%d" % i if i % 3 == 0 else p
        return p, raw_get(st, t)
    with concurrent.futures.ThreadPoolExecutor(50) as ex:
        res = list(ex.map(one, range(50)))
    bad = ["%s -> %s" % (p, r.status) for p, r in res
           if r.status >= 500 or (p in GOOD_PAGES and r.status != 200)]
    ensure(len(res) == 50 and not bad, "%d bad answers: %s" % (len(bad), "; ".join(bad[:5])))


@request_case("slow and idle connections do not starve the engine")
def r_slow(st):
    socks = []
    try:
        for i in range(40):
            s = socket.create_connection(("127.0.0.1", st.port), timeout=5)
            s.sendall(b"GET / HTTP/1.1\r\nHost: local")
            socks.append(s)
        for i in range(10):
            socks.append(socket.create_connection(("127.0.0.1", st.port), timeout=5))
        t0 = time.monotonic()
        r = get(st, "/articles/how-distributed-locks-fail/")
        ensure(r.status == 200 and time.monotonic() - t0 < 3,
               "with 50 idle half-requests open, an article answered %s in %.1f s"
               % (r.status, time.monotonic() - t0))
    finally:
        for s in socks:
            s.close()


@request_case("hostile headers (If-None-Match, If-Modified-Since, Host) -> never 5xx")
def r_headers(st):
    bad = []
    for h in (b"If-None-Match: " + b"\"" * 5000 + b"\r\n", b"If-None-Match: *\r\n",
              b"If-Modified-Since: Sat, 99 Foo 99999 99:99:99 GMT\r\n",
              b"If-Modified-Since: " + b"9" * 3000 + b"\r\n",
              b"If-None-Match: \"\x01\xff\"\r\n", b"X-Forwarded-Host: evil.example\r\n",
              b"Cookie: " + b"c=" + b"d" * 4000 + b"\r\n"):
        for host in (b"localhost", b"evil.example"):
            data = b"GET / HTTP/1.1\r\nHost: " + host + b"\r\n" + h + b"Connection: close\r\n\r\n"
            r = raw_request(st.port, data)
            if r.status not in (200, 304, 400, 412):
                bad.append("%r -> %s" % (h[:40], r.status))
            if b"evil.example" in r.body:
                bad.append("%r: the Host/X-Forwarded-Host shows in the page" % h[:40])
    ensure(not bad, "; ".join(bad[:6]))


@request_case("security headers on pages and error pages")
def r_security_headers(st):
    # (/%00 is refused by nginx itself, before the engine)
    for p in ("/", "/articles/understanding-raft-consensus/", "/no-such/", "/page/0/", "/articles/a%00b/",
              "/%2e%2e/", "/search/?q=" + "x" * 1100, "/feed.xml", "/style.css"):
        r = raw_get(st, p)
        if b"<center>nginx</center>" in r.body:
            continue        # nginx's own error page: the engine never saw it
        ensure((r.header("X-Content-Type-Options") or "").lower() == "nosniff",
               "%s (%s) lacks X-Content-Type-Options: nosniff" % (p, r.status))
        ensure(r.header("Content-Security-Policy"), "%s (%s) lacks Content-Security-Policy" % (p, r.status))
        ensure(r.header("Referrer-Policy"), "%s (%s) lacks Referrer-Policy" % (p, r.status))


# ---------------------------------------------------------------------------
# 4. Soak
# ---------------------------------------------------------------------------

BROKEN = b'<?xml version="1.0" encoding="UTF-8"?>\n<article>\n  <title>Broken save\n  <published>2020-01-0'


@case("soak: valid, missing and hostile requests while articles change")
def c_soak(ctx):
    n_art = 6
    extra = {("soak-%d.xml" % i): abytes(title="Soak %d v0" % i, published="2019-06-%02d" % (i + 1))
             for i in range(n_art)}
    folder = ctx.folder(extra)
    st = ctx.stack(folder)
    pid = st.app.pid
    duration = OPTS.soak_seconds
    stop = threading.Event()
    problems = []
    counts = {"requests": 0, "valid": 0, "missing": 0, "hostile": 0, "soak": 0, "ops": 0}
    lock = threading.Lock()
    names = {i: "soak-%d" % i for i in range(n_art)}

    def problem(msg):
        with lock:
            if len(problems) < 30:
                problems.append(msg)

    def count(k):
        with lock:
            counts[k] += 1
            counts["requests"] += 1

    def write(p, data, atomic):
        if atomic:
            tmp = os.path.join(os.path.dirname(p), ".%s.tmp" % os.path.basename(p))
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, p)
        else:
            with open(p, "wb") as f:
                f.write(data)

    def writer():
        rnd = random.Random(7)
        version = {i: 0 for i in range(n_art)}
        broken = set()
        while not stop.is_set():
            i = rnd.randrange(n_art)
            p = os.path.join(folder, names[i] + ".xml")
            op = rnd.random()
            try:
                if i in broken:
                    version[i] += 1
                    write(p, abytes(title="Soak %d v%d" % (i, version[i])), False)   # repair
                    broken.discard(i)
                elif op < 0.3:
                    version[i] += 1
                    write(p, abytes(title="Soak %d v%d" % (i, version[i])), True)
                elif op < 0.55:
                    new = names[i] + "-b" if not names[i].endswith("-b") else names[i][:-2]
                    os.rename(p, os.path.join(folder, new + ".xml"))
                    names[i] = new
                elif op < 0.75:
                    write(p, BROKEN, False)
                    broken.add(i)
                elif op < 0.85:
                    write(p, rnd.choice((BILLION_LAUGHS, XXE, NUL_BYTES, b"")), True)
                    broken.add(i)
                else:
                    hp = os.path.join(folder, "soak-hostile.xml")
                    if os.path.exists(hp):
                        os.unlink(hp)
                    else:
                        write(hp, rnd.choice((XSS, nested(300), BAD_UTF8)), True)
            except OSError as e:
                problem("writer: %s" % e)
            with lock:
                counts["ops"] += 1
            time.sleep(rnd.random() * 0.05)
        for i in range(n_art):
            write(os.path.join(folder, names[i] + ".xml"), abytes(title="Soak %d final" % i), False)

    hostile = [t for t in TRAVERSALS[:12]] + ["/page/0/", "/page/1e9/", "/%00", "/search/?q=" + "a" * 1500,
                                              "/search/?q=%3Cscript%3E", "/articles/%ff/"]

    def client(seed):
        rnd = random.Random(seed)
        while not stop.is_set():
            x = rnd.random()
            try:
                if x < 0.5:
                    p = rnd.choice(GOOD_PAGES)
                    r = get(st, p)
                    count("valid")
                    if r.status != 200:
                        problem("valid %s answered %s" % (p, r.status))
                elif x < 0.65:
                    p = "/articles/soak-%d%s/" % (rnd.randrange(n_art), rnd.choice(("", "-b")))
                    r = get(st, p)
                    count("soak")
                    if r.status not in (200, 404):
                        problem("changing %s answered %s" % (p, r.status))
                    elif r.status == 200 and b"Soak" not in r.body:
                        problem("changing %s served without its title" % p)
                elif x < 0.78:
                    p = "/articles/missing-%d/" % rnd.randrange(1000)
                    r = get(st, p)
                    count("missing")
                    if r.status != 404:
                        problem("missing %s answered %s" % (p, r.status))
                else:
                    if rnd.random() < 0.2:
                        m = rnd.choice((b"PUT", b"DELETE", b"FOO"))
                        r = raw_get(st, "/", method=m)
                        ok = r.status == 405
                        p = m.decode() + " /"
                    else:
                        p = rnd.choice(hostile)
                        r = raw_get(st, p)
                        ok = 400 <= r.status < 500 or (p.startswith("/search/") and r.status == 200)
                    count("hostile")
                    if not ok or r.status >= 500:
                        problem("hostile %s answered %s" % (p, r.status))
                    if b"root:x:0:0" in r.body:
                        problem("hostile %s served /etc/passwd" % p)
            except Exception as e:  # noqa: BLE001
                problem("client: %s: %s" % (type(e).__name__, e))
                time.sleep(0.05)

    threads = [threading.Thread(target=writer)] + \
        [threading.Thread(target=client, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    base = end = None
    try:
        t0 = time.monotonic()
        warm = min(15.0, max(2.0, duration / 4))
        while time.monotonic() - t0 < duration:
            time.sleep(0.25)
            if st.app.poll() is not None:
                problem("the engine exited with status %s" % st.app.returncode)
                break
            if base is None and time.monotonic() - t0 >= warm:
                base = vm_rss_kb(pid)
        if st.app.poll() is None:
            end = vm_rss_kb(pid)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    ensure(st.app.poll() is None, "the engine exited with status %s" % st.app.returncode)
    print("  soak: %d requests in %.0f s (%d valid, %d changing, %d missing, %d hostile), "
          "%d folder changes, VmRSS %s kB after warm-up -> %s kB at the end"
          % (counts["requests"], duration, counts["valid"], counts["soak"], counts["missing"],
             counts["hostile"], counts["ops"], base, end), flush=True)
    ensure(not problems, "%d problems, first: %s" % (len(problems), "; ".join(problems[:5])))
    ensure(counts["valid"] > 20 and counts["ops"] > 20, "too little traffic: %r" % counts)
    if base is not None and end is not None:
        ensure(end <= base * 1.10 + 4096,
               "VmRSS grew from %d kB after warm-up to %d kB at the end (+%.0f%%)"
               % (base, end, 100.0 * (end - base) / base))
    for i in range(n_art):
        eventually(lambda i=i: ensure(get(st, "/articles/%s/" % names[i]).status == 200,
                                      "soak article %s not served" % names[i]),
                   "final soak article %d" % i)
    good_pages(st)


# ---------------------------------------------------------------------------
# 5. Least privilege
# ---------------------------------------------------------------------------

class OpenDirStack(stk.Stack):
    """The stack with its private directory traversable by others, so that
    an engine dropping to nobody can still use what is inside."""

    def _start_app(self):
        os.chmod(self.dir, 0o711)
        super()._start_app()


def public_folder(ctx, extra=None):
    folder = ctx.folder(extra)
    os.chmod(os.path.dirname(folder), 0o755)
    os.chmod(folder, 0o755)
    for n in os.listdir(folder):
        os.chmod(os.path.join(folder, n), 0o644)
    return folder


@case("privilege: the FastCGI socket is mode 0660 or tighter")
def c_socket_mode(ctx):
    st = ctx.stack(ctx.folder())
    mode = os.stat(st.sock).st_mode & 0o777
    ensure(mode & ~0o660 == 0, "socket %s has mode %o" % (st.sock, mode))
    good_pages(st)


@case("privilege: started as root with user = nobody, runs as nobody and serves")
def c_user_nobody(ctx):
    if os.geteuid() != 0:
        raise Skip("needs root to drop privileges")
    try:
        import pwd
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        raise Skip("no user nobody")
    folder = public_folder(ctx)
    st = ctx.stack(folder, {"XSLTPRESS_USER": "nobody"}, cls=OpenDirStack)
    pid = st.app.pid
    uids = proc_status(pid, "Uid")
    gids = proc_status(pid, "Gid")
    groups = proc_status(pid, "Groups")
    ensure(uids == [str(nobody.pw_uid)] * 4, "engine Uid %s, want %d everywhere" % (uids, nobody.pw_uid))
    ensure(gids == [str(nobody.pw_gid)] * 4, "engine Gid %s, want %d everywhere" % (gids, nobody.pw_gid))
    ensure(not groups, "engine keeps supplementary groups %s" % groups)
    ensure(log_lines(st, "running as nobody"), "the log does not say it runs as nobody")
    good_pages(st)
    # the watcher still sees the folder as nobody
    p = os.path.join(folder, "as-nobody.xml")
    with open(p, "wb") as f:
        f.write(abytes(title="Written while nobody"))
    os.chmod(p, 0o644)
    eventually(lambda: ensure(get(st, "/articles/as-nobody/").status == 200, "not served"),
               "an article added while running as nobody")
    good_pages(st)


def landlock_abi():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        nr = {"x86_64": 444, "aarch64": 444}.get(os.uname().machine)
        if nr is None:
            return -1
        return libc.syscall(nr, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    except Exception:  # noqa: BLE001
        return -1


@case("privilege: sandbox = yes (Landlock) serves, outside reads fail")
def c_sandbox(ctx):
    abi = landlock_abi()
    if abi < 1:
        raise Skip("this kernel has no Landlock (landlock_create_ruleset failed)")
    outside = ctx.tmpdir("xsltpress-outside.")
    with open(os.path.join(outside, "valid.xml"), "wb") as f:
        f.write(abytes(title="Outside article"))
    with open(os.path.join(outside, "evil.xsl"), "w") as f:
        f.write('<?xml version="1.0"?>\n<xsl:stylesheet version="1.0" '
                'xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
                '<xsl:template match="page" priority="100"><html><body>OUTSIDE-READ-MARKER'
                '</body></html></xsl:template></xsl:stylesheet>\n')
    secret = secret_outside(ctx)
    xd = ctx.xslt()
    inject(xd, sheet_template('<pre><xsl:value-of select="document(\'%s\')"/></pre>' % secret))
    folder = ctx.folder({SHEET_TARGET + ".xml": abytes(title="Hostile sheet target")})
    os.symlink(os.path.join(outside, "valid.xml"), os.path.join(folder, "leak.xml"))
    st = ctx.stack(folder, {"XSLTPRESS_SANDBOX": "yes", "XSLTPRESS_XSLT_DIR": xd})
    pid = st.app.pid
    ensure(log_lines(st, "sandboxed"), "the log does not say the engine is sandboxed: %s"
           % st.app_log().strip().splitlines()[-3:])
    ensure(proc_status(pid, "NoNewPrivs") == ["1"], "NoNewPrivs is %s" % proc_status(pid, "NoNewPrivs"))
    good_pages(st)
    r = get(st, "/articles/leak/")
    ensure(r.status == 404, "an article symlink leading outside answered %s" % r.status)
    r = get(st, "/articles/%s/" % SHEET_TARGET)
    ensure(r.status in (200, 500) and b"TOPSECRET" not in r.body,
           "a stylesheet read outside the folders answered %s%s"
           % (r.status, " with the secret" if b"TOPSECRET" in r.body else ""))
    # A stylesheet edited while serving that includes a file outside the
    # allowed folders: under Landlock the (re)compile cannot read it.
    p = os.path.join(xd, "article.xsl")
    with open(p, encoding="utf-8") as f:
        text = f.read()
    text = text.replace("</xsl:stylesheet>", '<xsl:include href="file://%s/evil.xsl"/>\n</xsl:stylesheet>'
                        % outside)
    with open(p + ".new", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(p + ".new", p)

    def reacted():
        log = st.app_log()
        ensure("still serving the stylesheets of before" in log or "stylesheets reloaded" in log,
               "the engine has not looked at the edited stylesheet yet")
    eventually(reacted, "the engine reacts to the edited article.xsl")
    r = get(st, "/articles/understanding-raft-consensus/")
    ensure(b"OUTSIDE-READ-MARKER" not in r.body,
           "under sandbox = yes a stylesheet recompiled while serving read %s/evil.xsl outside the "
           "allowed folders (the page shows its marker; log: %s)"
           % (outside, [l for l in st.app_log().splitlines() if "stylesheets" in l][-1:]))
    good_pages(st)


# ---------------------------------------------------------------------------
# 6. Faults
# ---------------------------------------------------------------------------

@case("fault: SIGTERM with requests in flight -> they complete, exit status 0")
def c_sigterm(ctx):
    # a slow article page: 2^18 template calls, well under the limits
    # (about 1.5 s per render, cache off)
    inner = '<xsl:call-template name="tree"><xsl:with-param name="n" select="18"/></xsl:call-template>' \
            '<p>slow-done</p></main></body></html></xsl:template>' \
            '<xsl:template name="tree"><xsl:param name="n"/><xsl:if test="$n &gt; 0">' \
            '<xsl:call-template name="tree"><xsl:with-param name="n" select="$n - 1"/></xsl:call-template>' \
            '<xsl:call-template name="tree"><xsl:with-param name="n" select="$n - 1"/></xsl:call-template>' \
            '</xsl:if><html><body><main>'
    body = "<p>slow</p>"
    xd = ctx.xslt()
    inject(xd, sheet_template(inner))
    folder = ctx.folder({SHEET_TARGET + ".xml": abytes(title="Slow page", body=body)})
    st = ctx.stack(folder, {"XSLTPRESS_XSLT_DIR": xd, "XSLTPRESS_CACHE": "off"})
    r, took = timed_get(st, "/articles/%s/" % SHEET_TARGET)
    ensure(r.status == 200 and b"slow-done" in r.body, "the slow page answered %s" % r.status)
    if took < 0.3:
        raise CheckFailed("test bug: the slow page took only %.2f s" % took)
    with concurrent.futures.ThreadPoolExecutor(6) as ex:
        futs = [ex.submit(timed_get, st, "/articles/%s/" % SHEET_TARGET) for _ in range(4)]
        time.sleep(min(0.25, took / 3))
        os.kill(st.app.pid, signal.SIGTERM)
        t_term = time.monotonic()
        results = [f.result() for f in futs]
        t_done = time.monotonic() - t_term
    try:
        status = st.app.wait(15)
    except subprocess.TimeoutExpired:
        raise CheckFailed("the engine did not exit within 15 s of SIGTERM")
    bad = ["%s (%d bytes)" % (r.status, len(r.body)) for r, _ in results
           if r.status != 200 or b"slow-done" not in r.body or not r.body.rstrip().endswith(b"</html>")]
    ensure(not bad, "requests in flight at SIGTERM answered: %s" % ", ".join(bad))
    t_exit = time.monotonic() - t_term
    ensure(status == 0, "the engine exited with status %s after SIGTERM" % status)
    ensure(t_exit < t_done + 2.0, "the engine exited %.1f s after SIGTERM, %.1f s after the last "
           "request in flight was answered" % (t_exit, t_exit - t_done))
    ensure(not os.path.exists(st.sock), "the socket %s is left behind" % st.sock)
    if OPTS.verbose:
        print("  sigterm: render %.2f s, in flight done %.2f s and exit %.2f s after SIGTERM, status %s"
              % (took, t_done, t_exit, status))


@case("fault: articles folder missing at start -> non-zero exit naming the folder")
def c_missing_folder(ctx):
    d = ctx.tmpdir()
    missing = os.path.join(d, "no-such-articles-folder")
    env = dict(os.environ)
    env.pop("GATEWAY_INTERFACE", None)
    env["XSLTPRESS_ARTICLES_DIR"] = missing
    cmd = stk.engine_cmd(OPTS.bin or stk.default_binary()) + ["-s", "unix:" + os.path.join(d, "s.sock")]
    try:
        p = subprocess.run(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
    except subprocess.TimeoutExpired:
        raise CheckFailed("the engine kept running with a missing articles folder")
    out = p.stdout.decode("utf-8", "replace")
    ensure(p.returncode != 0, "exit status 0 with a missing articles folder")
    ensure(missing in out, "the message does not name %s: %r" % (missing, out[-300:]))
    ensure(not os.path.exists(os.path.join(d, "s.sock")), "a socket was left behind")


@case("fault: articles folder removed while running keeps serving, recovers when restored")
def c_folder_removed(ctx):
    folder = ctx.folder()
    st = ctx.stack(folder)
    good_pages(st)
    aside = folder + ".aside"
    os.rename(folder, aside)
    time.sleep(0.5)
    for _ in range(3):
        good_pages(st)
    shutil.rmtree(aside)
    time.sleep(0.3)
    good_pages(st)
    # restored, with one change
    restored = ctx.folder({"came-back.xml": abytes(title="Came back")})
    os.rename(restored, folder)
    eventually(lambda: ensure(get(st, "/articles/came-back/").status == 200, "not served yet"),
               "an article of the restored folder shows", timeout=15)
    with open(os.path.join(folder, "after-restore.xml"), "wb") as f:
        f.write(abytes(title="After restore"))
    eventually(lambda: ensure(get(st, "/articles/after-restore/").status == 200, "not served yet"),
               "a change after the restore shows", timeout=10)
    good_pages(st)


# ---------------------------------------------------------------------------
# 7. Rendering under load and the answer's form: the render cache's bound
#    and single render, the JSON Feed's cost, failures remembered,
#    redirects, gzip, who may reach the socket, sandbox = yes
# ---------------------------------------------------------------------------

_PARAGRAPHS = []


def big_body(n_bytes, seed):
    """Article body XML of about N_BYTES: paragraphs of varied words (so
    that gzip cannot shrink it to nothing), numbered so no two repeat."""
    if not _PARAGRAPHS:
        rnd = random.Random(1)
        words = ["alpha", "beta", "gamma", "delta", "queue", "shard", "replica", "leader",
                 "quorum", "latency", "cache", "index", "commit", "offset", "epoch"]
        _PARAGRAPHS.extend(" ".join(rnd.choice(words) + str(rnd.randrange(1000))
                                    for _ in range(120)) for _ in range(64))
    paras, size, i = [], 0, 0
    while size < n_bytes:
        p = "<p>%d.%d %s</p>\n" % (seed, i, _PARAGRAPHS[(seed * 7 + i) % len(_PARAGRAPHS)])
        paras.append(p)
        size += len(p)
        i += 1
    return "".join(paras)


@case("cache: large cached pages keep the engine's memory under cache_bytes")
def c_cache_bytes(ctx):
    n, size, cap_mib = 12, 1_200_000, 4
    extra = {}
    for i in range(n):
        extra["big-%02d.xml" % i] = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<article>\n'
            '  <title>Big %d</title>\n  <published>2020-02-%02d</published>\n'
            '  <summary>Large.</summary>\n  <tags><tag>bigtag%02d</tag></tags>\n'
            '  <body>\n%s  </body>\n</article>\n' % (i, i + 1, i, big_body(size, i))).encode()
    folder = ctx.folder(extra)
    st = ctx.stack(folder, {"XSLTPRESS_CACHE_BYTES": str(cap_mib << 20)})
    ensure(get(st, "/").status == 200, "the listing does not answer")
    pages = ["/articles/big-%02d/" % i for i in range(n)] + \
            ["/tags/bigtag%02d/feed.xml" % i for i in range(n)]
    # one render of each kind first, so that the baseline holds what any
    # render leaves behind (libxslt's and malloc's own)
    for p in (pages[0], pages[n]):
        ensure(get(st, p).status == 200, "%s does not answer" % p)
    before = vm_rss_kb(st.app.pid)
    total = 0
    for p in pages:
        r = get(st, p, timeout=60)
        ensure(r.status == 200, "%s answered %s" % (p, r.status))
        total += len(r.body)
    grown = (vm_rss_kb(st.app.pid) - before) / 1024.0
    if OPTS.verbose:
        print("  %d pages, %.0f MiB; the engine grew by %.0f MiB" % (len(pages), total / 1048576.0, grown))
    ensure(total > 4 * (cap_mib << 20), "the pages are too small to test the cap: %d bytes" % total)
    # the cap, plus what rendering one large page at a time may leave
    ensure(grown < cap_mib + 12,
           "the engine grew by %.0f MiB caching %.0f MiB of pages with cache_bytes = %d MiB"
           % (grown, total / 1048576.0, cap_mib))


def concurrently(n, fn):
    """Runs FN(i) on N threads released at the same moment; their results."""
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        return fn(i)
    with concurrent.futures.ThreadPoolExecutor(n) as ex:
        return list(ex.map(run, range(n)))


@case("cache: 12 concurrent misses of /feed.json render it once")
def c_single_flight(ctx):
    extra = {"wide-%02d.xml" % i: abytes(title="Wide %d" % i, published="2026-01-%02d" % (i + 1),
                                         body=big_body(150_000, 100 + i))
             for i in range(20)}
    st = ctx.stack(ctx.folder(extra), {"XSLTPRESS_LOG_LEVEL": "debug"})
    ensure(get(st, "/").status == 200, "the listing does not answer")
    results = concurrently(12, lambda i: get(st, "/feed.json", timeout=60))
    statuses = sorted(set(r.status for r in results))
    ensure(statuses == [200], "the concurrent requests answered %s" % statuses)
    ensure(len(set(r.body for r in results)) == 1, "the concurrent answers differ")
    renders = log_lines(st, "/feed.json: rendered in")
    ensure(len(renders) == 1, "12 concurrent misses of /feed.json rendered it %d times%s"
           % (len(renders), "" if renders else " (no render log line at all)"))


@case("feed: JSON Feed of a 1.5 MB quote-and-backslash article is valid, not a 500")
def c_json_feed_quotes(ctx):
    chunk = '"\\' * 3000 + ' "quoted" \\back\\ &lt;&amp;&gt; '
    paras = ["<p>%s%d</p>" % (chunk, i) for i in range(250)]
    folder = ctx.folder({"quotes.xml": abytes(title='Quotes "and" \\ slashes',
                                              published="2026-11-30", body="\n".join(paras))})
    ensure(os.path.getsize(os.path.join(folder, "quotes.xml")) > 1_500_000, "the article is too small")
    st = ctx.stack(folder)
    t0 = time.monotonic()
    r = get(st, "/feed.json", timeout=60)
    took = time.monotonic() - t0
    ensure(r.status == 200, "/feed.json answered %s after %.1f s" % (r.status, took))
    try:
        feed = json.loads(r.body)
    except ValueError as e:
        raise CheckFailed("/feed.json is not valid JSON: %s" % e)
    item = [i for i in feed["items"] if i["id"].endswith("/articles/quotes/")]
    ensure(item, "the quote-heavy article is not in the feed")
    ensure(item[0]["title"] == 'Quotes "and" \\ slashes', "title came back as %r" % item[0]["title"][:60])
    html_text = item[0]["content_html"]
    for i in (0, 249):
        want = "<p>%s%d</p>" % (chunk, i)
        ensure(want in html_text, "paragraph %d is not in content_html as written" % i)
    if OPTS.verbose:
        print("  /feed.json with a 1.5 MB quote-heavy article: %.2f s" % took)


FAILING_FEED = ('<xsl:template match="entry[contains(title, \'BOOM\')]" priority="50">'
                '<xsl:message terminate="yes">refusing BOOM</xsl:message></xsl:template>')


@case("render: a page that fails is not rendered again for the same inputs")
def c_failure_remembered(ctx):
    xd = ctx.xslt()
    p = os.path.join(xd, "feed-json.xsl")
    with open(p, encoding="utf-8") as f:
        text = f.read()
    with open(p, "w", encoding="utf-8") as f:
        f.write(text.replace("</xsl:stylesheet>", FAILING_FEED + "\n</xsl:stylesheet>"))
    folder = ctx.folder({"boom.xml": abytes(title="BOOM", published="2026-11-30")})
    st = ctx.stack(folder, {"XSLTPRESS_XSLT_DIR": xd})
    statuses = [get(st, "/feed.json").status for _ in range(6)]
    ensure(statuses == [500] * 6, "the failing feed answered %s" % statuses)
    fails = log_lines(st, "transform failed for /feed.json")
    ensure(len(fails) == 1, "6 requests for a failing /feed.json rendered it %d times" % len(fails))
    ensure(get(st, "/feed.xml").status == 200, "the Atom feed fails too")
    # new inputs: rendered again, and this time it works
    with open(os.path.join(folder, "boom.xml"), "wb") as f:
        f.write(abytes(title="Fixed", published="2026-11-30"))
    eventually(lambda: ensure(get(st, "/feed.json").status == 200, "still failing"),
               "the feed renders once the article changed")
    good_pages(st)


REDIRECTS = [
    # (request target, the Location's path and query, after the base)
    (b"/tags/a%3fb", "/tags/a%3Fb/"),
    (b"/tags/a%23b", "/tags/a%23b/"),
    (b"/tags/x%20y", "/tags/x%20y/"),
    (b"/tags/%C0%AF", "/tags/%C0%AF/"),
    (b"/tags/100%25", "/tags/100%25/"),
    (b"/tags/a%3fb?page=2&q=x%20y", "/tags/a%3Fb/?page=2&q=x%20y"),
    (b"/articles/a%3Fb", "/articles/a%3Fb/"),
]


@request_case("redirect Location is the path percent-encoded again")
def r_redirect_location(st):
    bad = []
    for target, want in REDIRECTS:
        r = raw_get(st, target)
        loc = r.header("Location") or ""
        if r.status != 301 or loc != want:
            bad.append("%s -> %s Location %r, want %r" % (target.decode("latin-1"), r.status,
                                                         loc, want))
        elif any(c <= 0x20 or c >= 0x7f for c in loc.encode("latin-1")):
            bad.append("%s -> raw bytes in Location %r" % (target.decode("latin-1"), loc))
    ensure(not bad, "; ".join(bad))


GZIP_PAGES = ["/", "/page/2/", "/articles/understanding-raft-consensus/", "/tags/",
              "/feed.xml", "/feed.json", "/sitemap.xml", "/style.css", "/robots.txt"]


@request_case("gzip: Accept-Encoding gets the page compressed, Vary, its own ETag; HEAD and 304 agree")
def r_gzip(st):
    import gzip
    bad = []
    gz = {"Accept-Encoding": "gzip, deflate, br"}
    for p in GZIP_PAGES:
        plain = get(st, p)
        packed = get(st, p, headers=gz)
        head = get(st, p, method="HEAD", headers=gz)
        vary = [v.lower() for v in packed.header_all("Vary") + plain.header_all("Vary")]
        if plain.status != 200 or packed.status != 200:
            bad.append("%s: %s/%s" % (p, plain.status, packed.status))
            continue
        if plain.header("Content-Encoding") is not None:
            bad.append("%s: identity request got Content-Encoding %s" % (p, plain.header("Content-Encoding")))
        if packed.header("Content-Encoding") != "gzip":
            bad.append("%s: Accept-Encoding gzip got Content-Encoding %s" % (p, packed.header("Content-Encoding")))
            continue
        if sum("accept-encoding" in v for v in vary) != 2:
            bad.append("%s: Vary: Accept-Encoding missing (%s)" % (p, vary))
        try:
            if gzip.decompress(packed.body) != plain.body:
                bad.append("%s: the gzip body is not the page" % p)
        except OSError as e:
            bad.append("%s: the gzip body does not decompress: %s" % (p, e))
        e_plain, e_gz = plain.header("ETag"), packed.header("ETag")
        if not e_plain or not e_gz or e_plain == e_gz or not e_gz.endswith('-gz"'):
            bad.append("%s: ETags identity %s, gzip %s" % (p, e_plain, e_gz))
        if head.header("Content-Encoding") != "gzip" or head.header("ETag") != e_gz or \
                head.header("Content-Length") != packed.header("Content-Length") or head.body:
            bad.append("%s: HEAD with gzip differs from GET: %s" % (p, head.headers))
        nm = get(st, p, headers=dict(gz, **{"If-None-Match": e_gz}))
        if nm.status != 304 or nm.header("ETag") != e_gz or \
                "accept-encoding" not in (nm.header("Vary") or "").lower():
            bad.append("%s: If-None-Match %s with gzip answered %s %s" % (p, e_gz, nm.status, nm.headers))
        other = get(st, p, headers={"If-None-Match": e_gz})
        if other.status != 200 or other.header("Content-Encoding") is not None:
            bad.append("%s: the gzip ETag without Accept-Encoding answered %s %s"
                       % (p, other.status, other.header("Content-Encoding")))
        refused = get(st, p, headers={"Accept-Encoding": "gzip;q=0, identity"})
        if refused.header("Content-Encoding") is not None:
            bad.append("%s: gzip;q=0 still got %s" % (p, refused.header("Content-Encoding")))
    r = get(st, "/no/such/page/", headers=gz)
    if r.status != 404 or r.header("Content-Encoding") is not None:
        bad.append("404 page: %s %s" % (r.status, r.header("Content-Encoding")))
    ensure(not bad, "; ".join(bad[:6]))


def engine_alone(ctx, args, env, preexec_fn=None, wrap=()):
    """Starts the engine without nginx; returns (Popen, log path)."""
    log = os.path.join(ctx.tmpdir(), "engine.log")
    e = dict(os.environ)
    e.pop("GATEWAY_INTERFACE", None)
    e["XSLTPRESS_ARTICLES_DIR"] = ctx.folder()
    e.update(env)
    with open(log, "wb") as out:
        proc = subprocess.Popen(list(wrap) + stk.engine_cmd(OPTS.bin, stk.default_conf() or "") + args,
                                cwd=ROOT, env=e, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, preexec_fn=preexec_fn)
    return proc, log


def read_log(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def exits_within(proc, seconds):
    try:
        proc.wait(seconds)
        return proc.returncode
    except subprocess.TimeoutExpired:
        return None


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@case("privilege: a TCP listen address other than loopback needs listen_public = yes")
def c_listen_public(ctx):
    # Everything that would listen beyond loopback runs in a network
    # namespace of its own, holding no interface but a down loopback: even
    # the program before the fix never listened where anyone could reach.
    if subprocess.run(["unshare", "-n", "true"], stderr=subprocess.DEVNULL).returncode != 0:
        raise Skip("unshare -n is not permitted here")
    port = stk.free_port()
    for spec in ("0.0.0.0:%d" % port, ":%d" % port, "*:%d" % port):
        proc, log = engine_alone(ctx, ["-s", spec], {}, wrap=("unshare", "-n"))
        rc = exits_within(proc, 10)
        stop(proc)
        ensure(rc not in (None, 0), "-s %s was not refused (exit %s): %s"
               % (spec, rc, read_log(log).strip().splitlines()[-2:]))
        ensure("listen_public" in read_log(log), "the refusal of -s %s does not name listen_public: %s"
               % (spec, read_log(log).strip().splitlines()[-1:]))
    # A listening socket handed over on fd 0 (spawn-fcgi, systemd) too.
    handover = ("import os, socket, sys\n"
                "s = socket.socket(); s.bind(('0.0.0.0', %d)); s.listen(8)\n"
                "os.dup2(s.fileno(), 0); os.execv(sys.argv[1], sys.argv[1:])\n" % port)
    proc, log = engine_alone(ctx, [], {}, wrap=("unshare", "-n", sys.executable, "-c", handover))
    rc = exits_within(proc, 10)
    stop(proc)
    ensure(rc not in (None, 0), "a public socket on fd 0 was not refused (exit %s)" % rc)
    # listen_public = yes: allowed (still inside the empty namespace).
    proc, log = engine_alone(ctx, ["-s", "0.0.0.0:%d" % port], {"XSLTPRESS_LISTEN_PUBLIC": "yes"},
                             wrap=("unshare", "-n"))
    eventually(lambda: ensure("serving FastCGI" in read_log(log), "not serving"),
               "listen_public = yes serves on 0.0.0.0", timeout=10)
    stop(proc)
    # Loopback needs nothing.
    for host in ("127.0.0.1", "localhost"):
        port = stk.free_port()
        proc, log = engine_alone(ctx, ["-s", "%s:%d" % (host, port)], {})
        eventually(lambda: ensure("serving FastCGI" in read_log(log), "not serving: %s"
                                  % read_log(log).strip().splitlines()[-1:]),
                   "-s %s:PORT serves" % host, timeout=10)
        stop(proc)


def without_landlock():
    """A preexec_fn that installs a seccomp filter answering ENOSYS to the
    three Landlock system calls, exactly what a kernel built without
    Landlock answers; everything else is allowed.  None when this machine's
    architecture is not known here."""
    arch = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}.get(os.uname().machine)
    if arch is None:
        return None

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8),
                    ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(SockFilter))]
    ld, jeq, ret = 0x20, 0x15, 0x06
    prog = [(ld, 0, 0, 4), (jeq, 0, 5, arch),          # other ABI: allow
            (ld, 0, 0, 0),
            (jeq, 2, 0, 444), (jeq, 1, 0, 445), (jeq, 0, 1, 446),
            (ret, 0, 0, 0x00050000 | 38),              # SECCOMP_RET_ERRNO | ENOSYS
            (ret, 0, 0, 0x7FFF0000)]                   # SECCOMP_RET_ALLOW
    filters = (SockFilter * len(prog))(*[SockFilter(*f) for f in prog])
    fprog = SockFprog(len(prog), filters)

    def preexec():
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(38, 1, 0, 0, 0) != 0 or \
                libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:   # NO_NEW_PRIVS, SECCOMP
            os._exit(97)
    return preexec


@case("privilege: sandbox = yes without Landlock refuses to start; try serves")
def c_sandbox_unavailable(ctx):
    preexec = without_landlock()
    if preexec is None:
        raise Skip("no seccomp filter for %s here" % os.uname().machine)
    # The filter itself: Landlock's probe must now fail with ENOSYS.
    probe = subprocess.run([sys.executable, "-c",
                            "import ctypes\nl = ctypes.CDLL(None, use_errno=True)\n"
                            "r = l.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1))\n"
                            "print(r, ctypes.get_errno())"],
                           preexec_fn=preexec, capture_output=True, text=True)
    ensure(probe.stdout.split() == ["-1", "38"],
           "the seccomp filter does not hide Landlock: %r %r" % (probe.stdout, probe.stderr[-200:]))
    sock = os.path.join(ctx.tmpdir(), "x.sock")
    proc, log = engine_alone(ctx, ["-s", "unix:" + sock], {"XSLTPRESS_SANDBOX": "yes"}, preexec)
    rc = exits_within(proc, 10)
    stop(proc)
    text = read_log(log)
    ensure(rc not in (None, 0), "sandbox = yes without Landlock kept running unconfined (exit %s): %s"
           % (rc, text.strip().splitlines()[-2:]))
    ensure("Landlock is not available" in text and "sandbox = yes" in text,
           "the log does not say why it stopped: %s" % text.strip().splitlines()[-2:])
    ensure(not os.path.exists(sock) or "serving FastCGI" not in text, "it served before stopping")
    proc, log = engine_alone(ctx, ["-s", "unix:" + sock], {"XSLTPRESS_SANDBOX": "try"}, preexec)
    eventually(lambda: ensure("serving FastCGI" in read_log(log), "not serving"),
               "sandbox = try serves without Landlock", timeout=10)
    stop(proc)
    ensure("serving unconfined" in read_log(log), "sandbox = try does not warn: %s"
           % read_log(log).strip().splitlines()[-3:])
# 8. The metadata cache and kept bodies: files other processes may change
# ---------------------------------------------------------------------------

def cache_env(ctx, **more):
    """Env for a stack with its own cache_dir (returned too)."""
    cache = os.path.join(ctx.tmpdir(), "cache")
    env = {"XSLTPRESS_CACHE_DIR": cache}
    env.update(more)
    return env, cache


def warm_stack(ctx, folder, env):
    """Starts, stops (the metadata cache is then written) and starts again:
    the second engine reads its articles from the cache."""
    first = ctx.stack(folder, env)
    good_pages(first)
    first.stop()
    ensure(first.app_status == 0, "the cold engine exited with %s" % first.app_status)
    return ctx.stack(folder, env)


def index_builds(st):
    return len(log_lines(st, "search index:"))


def search_finds(st, word, slug):
    r = get(st, "/search/?q=" + word)
    ensure(r.status == 200, "search %s answered %s" % (word, r.status))
    ensure("/articles/%s/" % slug in r.text, "search %s does not find %s" % (word, slug))


@case("cache: metadata truncated in place while serving -> the engine survives, the index rebuilds")
def c_cache_truncated(ctx):
    gen = {"gen-%03d.xml" % i: abytes(title="Generated %d" % i,
                                      body="<p>okapi%d and common words</p>" % i)
           for i in range(80)}
    folder = ctx.folder(gen)      # with the samples: 100 articles
    env, cache = cache_env(ctx)
    st = warm_stack(ctx, folder, env)
    eventually(lambda: ensure(index_builds(st) >= 1, "no index yet"), "the search index is built")
    builds = index_builds(st)
    # another process cuts the file short, in place (cp over it, rsync --inplace)
    with open(os.path.join(cache, "metadata"), "r+b") as f:
        f.truncate(300)
    for i in range(75):           # enough changes for a new index
        os.utime(os.path.join(folder, "gen-%03d.xml" % i))

    def rebuilt():
        if st.app.poll() is not None:
            return      # said below, at once
        ensure(index_builds(st) > builds, "not rebuilt yet")
    eventually(rebuilt, "the search index is rebuilt", timeout=15)
    ensure(st.app.poll() is None, "the engine died (status %s)" % st.app.poll())
    search_finds(st, "okapi78", "gen-078")     # an article left untouched
    search_finds(st, "okapi3", "gen-003")      # a touched one
    good_pages(st)


def patch_file(path, old, new):
    with open(path, "rb") as f:
        data = f.read()
    ensure(data.count(old) == 1, "test setup: %r is in %s %d times" % (old, path, data.count(old)))
    ensure(len(old) == len(new), "test setup: a patch must keep the length")
    with open(path, "r+b") as f:
        f.seek(data.index(old))
        f.write(new)


@case("cache: a patched record is dropped and its article read again (text, bad UTF-8)")
def c_cache_record(ctx):
    folder = ctx.folder({"cache-victim.xml": abytes(title="Cache Victim Title"),
                         "cache-utf.xml": abytes(title="Cache Utf Title")})
    env, cache = cache_env(ctx, XSLTPRESS_CACHE="off")
    first = ctx.stack(folder, env)
    good_pages(first)
    first.stop()
    meta = os.path.join(cache, "metadata")
    patch_file(meta, b"Cache Victim Title", b"Cache Victim Tampr")
    patch_file(meta, b"Cache Utf Title", b"Cache Utf T\xfftle")
    st = ctx.stack(folder, env)
    for slug, title in (("cache-victim", "Cache Victim Title"), ("cache-utf", "Cache Utf Title")):
        r = get(st, "/articles/%s/" % slug)
        ensure(r.status == 200, "/articles/%s/ answered %s" % (slug, r.status))
        ensure(title in r.text, "/articles/%s/ does not show its title from the file" % slug)
    page = get(st, "/").text + get(st, "/feed.xml").text
    ensure("Tampr" not in page, "the patched title is served")
    feed = get(st, "/feed.xml")
    try:
        ET.fromstring(feed.body)
    except ET.ParseError as e:
        raise CheckFailed("/feed.xml is not well-formed: %s" % e)
    ensure(log_lines(st, "damaged record"), "the log does not say records were dropped")
    good_pages(st)


@case("cache: a FIFO in cache_dir/bodies hangs no worker")
def c_cache_fifo(ctx):
    # the newest article, so that the feed reads it too
    folder = ctx.folder({"fifo-victim.xml": abytes(title="Fifo Victim", published="2026-11-30")})
    env, cache = cache_env(ctx, XSLTPRESS_CACHE="off")
    st = ctx.stack(folder, env)
    bodies = os.path.join(cache, "bodies")
    kept = [n for n in os.listdir(bodies) if n.startswith("fifo-victim-")]
    ensure(len(kept) == 1, "test setup: kept bodies %r" % kept)
    os.unlink(os.path.join(bodies, kept[0]))
    os.mkfifo(os.path.join(bodies, kept[0]))
    # a broken save: the last good version is served from its kept copy
    with open(os.path.join(folder, "fifo-victim.xml"), "wb") as f:
        f.write(b"<article><title>broken")
    eventually(lambda: ensure(log_lines(st, "fifo-victim.xml"), "not seen yet"),
               "the broken save is logged")

    def one(path):
        t0 = time.monotonic()
        try:
            r = get(st, path, timeout=15)   # a hang is forever; a busy machine is slow
            return "%s %s in %.1f s" % (path, r.status, time.monotonic() - t0)
        except OSError as e:
            return "%s TIMEOUT (%s)" % (path, e)

    with concurrent.futures.ThreadPoolExecutor(6) as ex:
        got = list(ex.map(one, ["/articles/fifo-victim/"] * 4 + ["/feed.xml", "/"]))
    ensure(not [g for g in got if "TIMEOUT" in g], "requests hung: %s" % "; ".join(got))
    good_pages(st)


# Swaps FOLDER/current and FOLDER/current.alt (two symbolic links) with
# renameat2(RENAME_EXCHANGE) for SECONDS, re-pointing the article's own link
# now and then so that the engine reads it again; a process of its own, so
# that the swaps come as fast as a deploy script's, not at the test's pace.
SWAPPER = r"""
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
d, seconds = sys.argv[1], float(sys.argv[2])
cur, alt = (os.path.join(d, n).encode() for n in ("current", "current.alt"))
end, n = time.monotonic() + seconds, 0
while time.monotonic() < end:
    for _ in range(500):
        if libc.renameat2(-100, cur, -100, alt, 2) != 0:
            sys.exit("renameat2: errno %d" % ctypes.get_errno())
    n += 500
    os.symlink("current/race.xml", os.path.join(d, "race.tmp"))
    os.replace(os.path.join(d, "race.tmp"), os.path.join(d, "race.xml"))
if not os.readlink(os.path.join(d, "current")).endswith("releases-in"):
    libc.renameat2(-100, cur, -100, alt, 2)
print(n)
"""


@case("cache: a directory symlink swapped in a tight loop never publishes the outside file")
def c_symlink_race(ctx):
    folder = ctx.folder()
    inside = os.path.join(folder, "releases-in")
    os.mkdir(inside)
    with open(os.path.join(inside, "race.xml"), "wb") as f:
        f.write(abytes(title="Race Inside", body="<p>inside version</p>"))
    outside = ctx.tmpdir("xsltpress-outside.")
    with open(os.path.join(outside, "race.xml"), "wb") as f:
        f.write(abytes(title="Race Outside", body="<p>OUTSIDE-RACE-MARKER</p>"))
    os.symlink("releases-in", os.path.join(folder, "current"))
    os.symlink(outside, os.path.join(folder, "current.alt"))
    os.symlink("current/race.xml", os.path.join(folder, "race.xml"))
    env, _ = cache_env(ctx, XSLTPRESS_CACHE="off")
    st = ctx.stack(folder, env)
    eventually(lambda: ensure(b"Race Inside" in get(st, "/articles/race/").body, "not served"),
               "the linked article is served")
    seconds = 4.0
    swapper = subprocess.Popen([sys.executable, "-c", SWAPPER, folder, str(seconds)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stop = time.monotonic() + seconds
    leaks = []

    def read(_):
        n = 0
        while time.monotonic() < stop:
            for path in ("/articles/race/",) * 4 + ("/",):
                r = get(st, path)
                n += 1
                if b"OUTSIDE-RACE-MARKER" in r.body or b"Race Outside" in r.body:
                    leaks.append(path)
        return n

    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        counts = list(ex.map(read, range(2)))
    out, err = swapper.communicate(timeout=30)
    ensure(swapper.returncode == 0, "the swapper failed: %s" % err.decode()[-300:])
    if OPTS.verbose:
        print("  %s swaps, %d requests, %d leaks" % (out.decode().strip(), sum(counts), len(leaks)))
    ensure(sum(counts) > 20, "too few requests to mean anything: %r" % counts)
    ensure(not leaks, "the outside file was served %d times in %d requests (%s)"
           % (len(leaks), sum(counts), sorted(set(leaks))))
    os.symlink("current/race.xml", os.path.join(folder, "race.tmp"))
    os.replace(os.path.join(folder, "race.tmp"), os.path.join(folder, "race.xml"))
    eventually(lambda: ensure(b"Race Inside" in get(st, "/articles/race/").body, "not served"),
               "the inside version is served after the swaps")
    ensure(b"OUTSIDE-RACE-MARKER" not in get(st, "/feed.xml").body, "the feed shows the outside file")
    good_pages(st)


# ---------------------------------------------------------------------------

def show_shared_log(name):
    """After a failed request case, the end of the shared stack's log."""
    if name.startswith("request: ") and RequestStack.ctx is not None:
        for l in RequestStack.st.app_log().strip().splitlines()[-6:]:
            print("  " + l[:300])


def main():
    global OPTS
    ap = stk.suite_arguments(__doc__)
    ap.add_argument("--soak-seconds", type=float, default=60.0, help="soak duration (default 60)")
    OPTS = stk.parse_suite_arguments(ap)
    try:
        return stk.run_cases(CASES, Ctx, OPTS, on_failure=show_shared_log)
    finally:
        if RequestStack.ctx is not None:
            RequestStack.ctx.cleanup(False)


if __name__ == "__main__":
    sys.exit(main())
