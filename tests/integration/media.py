#!/usr/bin/env python3
"""Articles' own files (articles/SLUG/NAME): served, sized, fingerprinted,
safe, live, in feeds and in the export, through the real engine behind a
real nginx (conf/nginx-dev.conf.in: the engine serves them), through
conf/nginx-site.conf (nginx serves them from the folder), and as CGI.

    python3 tests/integration/media.py          # every case
    python3 tests/integration/media.py -k live  # only cases whose name has "live"
    python3 tests/integration/media.py --articles DIR   # another sample site

The site is the sample articles with their own files (articles/SLUG/), plus
a fixture article "pics" holding every image type of
tests/fixtures/images/.  Expected sizes come from a small reader here (PNG,
GIF, JPEG, SVG) and from the fixtures' table (WebP, AVIF), never from the
engine.  Output: each failure with its reason, then "N passed, N failed".
"""

import html.parser
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
import urllib.parse
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stack as stk  # noqa: E402
from stack import CheckFailed, Skip, ensure, eventually  # noqa: E402,F401

ROOT = stk.ROOT
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "images")
SAMPLES = os.path.join(ROOT, "articles")
WAIT = 5.0
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
         "webp": "image/webp", "avif": "image/avif", "svg": "image/svg+xml"}
FIXTURE_SIZES = {"photo.webp": (32, 20), "photo.avif": (64, 40)}

PICS = """<?xml version="1.0" encoding="UTF-8"?>
<article>
  <title>Pictures of every kind</title>
  <published>@YESTERDAY@</published>
  <summary>One of each image type.</summary>
  <image>diagram.svg</image>
  <body>
    <p>First <a href="photo.png">the PNG as a download</a>.</p>
    <h2>Raster</h2>
    <p><img src="photo.png" alt="png"/><img src="photo.jpg" alt="jpeg"/></p>
    <h2>Raster, more</h2>
    <p><img src="photo.gif" alt="gif"/><img src="photo.webp" alt="webp"/>
       <img src="photo.avif" alt="avif"/></p>
    <h2>Vector</h2>
    <h3>With a size</h3>
    <figure><img src="diagram.svg" alt="a diagram"/><figcaption>Diagram</figcaption></figure>
    <h3>With a viewBox</h3>
    <p><img src="viewbox.svg" alt="a circle"/></p>
  </body>
</article>
"""


# ---------------------------------------------------------------------------
# Expected sizes, read independently of the engine
# ---------------------------------------------------------------------------

def svg_size(data):
    m = re.search(rb"<svg\b[^>]*>", data)
    ensure(m, "no <svg> root")
    tag = m.group(0).decode("utf-8", "replace")

    def attr(name):
        a = re.search(r'\s%s\s*=\s*["\']([^"\']*)["\']' % name, tag)
        return a.group(1) if a else None

    def px(v):
        if v is None:
            return None
        a = re.fullmatch(r"\s*([0-9.]+)\s*(px)?\s*", v)
        return float(a.group(1)) if a else None
    w, h = px(attr("width")), px(attr("height"))
    vb = attr("viewBox")
    if vb:
        nums = [float(x) for x in re.split(r"[\s,]+", vb.strip())]
        vw, vh = nums[2], nums[3]
        if w is None and h is None:
            w, h = vw, vh
        elif w is None:
            w = h * vw / vh
        elif h is None:
            h = w * vh / vw
    ensure(w and h, "svg without a size")
    import math
    return (math.ceil(w - 0.001), math.ceil(h - 0.001))


def jpeg_size(data):
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return (w, h)
        i += 2 + struct.unpack(">H", data[i + 2:i + 4])[0]
    raise CheckFailed("no JPEG frame header")


def image_size(name, data):
    if name in FIXTURE_SIZES and data == read(os.path.join(FIXTURES, name)):
        return FIXTURE_SIZES[name]
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return struct.unpack("<HH", data[6:10])
    if data[:3] == b"\xff\xd8\xff":
        return jpeg_size(data)
    if name.endswith(".svg"):
        return svg_size(data)
    raise CheckFailed("%s: no independent size reader for it" % name)


def png(w, h, rgb=b"\x80\x40\x20"):
    """A valid W x H PNG of one colour."""
    raw = b"".join(b"\x00" + rgb * w for _ in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data):
    tmp = path + ".tmp~"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


# ---------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------

class Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.imgs, self.links, self.metas = [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a)
        elif tag == "a":
            self.links.append(a)
        elif tag == "meta":
            self.metas.append(a)


def tags(body):
    p = Tags()
    p.feed(body.decode("utf-8", "replace"))
    return p


def own_refs(articles, slug):
    """The plain names SLUG's body gives in img src (from the XML)."""
    text = read(os.path.join(articles, slug + ".xml")).decode("utf-8")
    return re.findall(r'<img\b[^>]*\bsrc="([A-Za-z0-9][A-Za-z0-9._-]*)"', text)


def articles_with_files(articles):
    return sorted(n for n in os.listdir(articles)
                  if os.path.isdir(os.path.join(articles, n))
                  and os.path.exists(os.path.join(articles, n + ".xml")))


def make_site(d):
    """Writes into D (new) a copy of the sample site, own files included,
    plus the fixture article "pics" with one image of each type."""
    shutil.copytree(SAMPLES, d, symlinks=True)
    yesterday = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
    write(os.path.join(d, "pics.xml"), PICS.replace("@YESTERDAY@", yesterday).encode())
    os.mkdir(os.path.join(d, "pics"))
    for n in os.listdir(FIXTURES):
        if not n.endswith(".md"):
            shutil.copy(os.path.join(FIXTURES, n), os.path.join(d, "pics", n))


def add_forbidden(d, outside):
    """Files in D/pics that must never be served, and links to OUTSIDE."""
    write(os.path.join(d, "pics", ".secret.png"), png(2, 2))
    write(os.path.join(d, "pics", "deploy.sh"), b"#!/bin/sh\necho secret\n")
    write(os.path.join(d, "pics", "notes.xml"), b"<secret/>")
    write(os.path.join(d, "pics", "photo.png~"), b"backup")
    os.makedirs(outside, exist_ok=True)
    write(os.path.join(outside, "x.png"), png(3, 3))
    os.symlink(os.path.join(outside, "x.png"), os.path.join(d, "pics", "link.png"))
    os.symlink(outside, os.path.join(d, "linked"))
    write(os.path.join(d, "linked.xml"), PICS.replace("Pictures of every kind", "Linked")
          .replace("@YESTERDAY@", "2020-01-01").encode())


class Ctx(stk.CaseContext):
    prefix = "xsltpress-media."

    def site(self):
        """make_site's folder, plus files that must never be served."""
        d = os.path.join(self.tmpdir(), "articles")
        make_site(d)
        add_forbidden(d, os.path.join(self.tmpdir(), "outside"))
        return d


def get(url, **headers):
    return stk.http_request("GET", url, headers=headers)


def check_article_images(base, articles, slug, fetch=None, prefix="/"):
    """Every own image of SLUG's page: 200, its type, a fingerprinted URL
    under the base path, width/height matching the file, bytes equal."""
    fetch = fetch or (lambda path: get(base + path))
    page = fetch("%sarticles/%s/" % (prefix, slug))
    ensure(page.status == 200, "%s: page answered %s" % (slug, page.status))
    imgs = [i for i in tags(page.body).imgs
            if i.get("src", "").startswith("%sarticles/%s/" % (prefix, slug))]
    names = own_refs(articles, slug)
    ensure(len(imgs) == len(names), "%s: %d own images on the page, the article names %d"
           % (slug, len(imgs), len(names)))
    for k, img in enumerate(imgs):
        u = urllib.parse.urlsplit(img["src"])
        name = u.path.rsplit("/", 1)[1]
        ensure(re.fullmatch(r"v=[0-9a-f]{16}", u.query), "%s: %s has no fingerprint" % (slug, img["src"]))
        r = fetch(img["src"])
        ensure(r.status == 200, "%s: %s answered %s" % (slug, img["src"], r.status))
        ext = name.rsplit(".", 1)[1].lower()
        ensure(r.header("Content-Type", "").split(";")[0] == TYPES[ext],
               "%s: %s has Content-Type %r" % (slug, name, r.header("Content-Type")))
        data = read(os.path.join(articles, slug, name))
        ensure(r.body == data, "%s: %s body differs from the file" % (slug, name))
        w, h = image_size(name, data)
        ensure((img.get("width"), img.get("height")) == (str(w), str(h)),
               "%s: %s width/height %s/%s, the file is %dx%d" % (slug, name, img.get("width"),
                                                                   img.get("height"), w, h))
        lazy = img.get("loading") == "lazy" and img.get("decoding") == "async"
        ensure(lazy == (k > 0), "%s: image %d (%s) loading=%r" % (slug, k, name, img.get("loading")))
        ensure(img.get("alt") is not None, "%s: %s without alt" % (slug, name))
    return page, imgs


BAD_PATHS = [
    "articles/pics/.secret.png", "articles/pics/deploy.sh", "articles/pics/notes.xml",
    "articles/pics/photo.png~", "articles/pics/link.png", "articles/linked/photo.png",
    "articles/pics/%2e%2e/pics.xml", "articles/pics/..%2fpics.xml", "articles/pics/%2E%2E",
    "articles/pics/../pics.xml", "articles/pics/photo.png%00.png", "articles/pics/x/photo.png",
    "articles/pics/photo.png/", "articles/nope/photo.png", "articles/Pics/photo.png",
    "articles/pics/%70hoto.png/..", "articles/pics",
]


def check_refused(fetch, prefix="/", allow=(400, 404)):
    for p in BAD_PATHS:
        r = fetch(prefix + p)
        if p == "articles/pics":
            ensure(r.status == 301, "%s answered %s, want 301 to the page" % (p, r.status))
            continue
        ensure(r.status in allow, "%s answered %s, want one of %s" % (p, r.status, allow))
        ensure(b"secret" not in r.body and b"\x89PNG" not in r.body,
               "%s: the body shows a file" % p)


CASES, case = stk.case_registry()


@case("engine behind nginx: every image of every article with own files")
def engine_images(ctx):
    articles = ctx.site()
    st = ctx.start(articles)
    slugs = articles_with_files(articles)
    ensure("pics" in slugs, "fixture article missing")
    for slug in slugs:
        if slug == "linked":
            continue
        check_article_images(st.url, articles, slug)
    print("  (%d articles with own files)" % len(slugs), flush=True)


@case("engine: caching headers, ETag, 304, HEAD, SVG CSP")
def engine_headers(ctx):
    articles = ctx.site()
    st = ctx.start(articles)
    page, imgs = check_article_images(st.url, articles, "pics")
    png_url = [i["src"] for i in imgs if "photo.png" in i["src"]][0]
    r = get(st.url + png_url)
    ensure(r.header("Cache-Control") == "public, max-age=31536000, immutable",
           "fingerprinted URL: Cache-Control %r" % r.header("Cache-Control"))
    ensure(r.header("X-Content-Type-Options") == "nosniff", "no nosniff")
    etag = r.header("ETag")
    ensure(etag and etag.strip('"') == urllib.parse.urlsplit(png_url).query[2:],
           "ETag %r is not the fingerprint" % etag)
    r304 = get(st.url + png_url, **{"If-None-Match": etag})
    ensure(r304.status == 304 and not r304.body, "If-None-Match: %s" % r304.status)
    head = stk.http_request("HEAD", st.url + png_url)
    ensure(head.status == 200 and not head.body and
           head.header("Content-Length") == str(len(read(os.path.join(articles, "pics", "photo.png")))),
           "HEAD: %s, length %r" % (head.status, head.header("Content-Length")))
    plain = get(st.url + "/articles/pics/photo.png")
    ensure("immutable" not in plain.header("Cache-Control", ""), "unfingerprinted URL is immutable")
    svg = get(st.url + "/articles/pics/script.svg")
    ensure(svg.status == 200 and svg.header("Content-Security-Policy") == SVG_CSP,
           "SVG CSP %r" % svg.header("Content-Security-Policy"))
    check_refused(lambda p: get(st.url + p))


@case("engine: the picture in og:image, the feeds' images absolute")
def picture_and_feeds(ctx):
    articles = ctx.site()
    st = ctx.start(articles)
    page = get(st.url + "/articles/pics/")
    metas = {m.get("property") or m.get("name"): m.get("content") for m in tags(page.body).metas}
    og = metas.get("og:image", "")
    ensure(og.startswith(st.url + "/articles/pics/diagram.svg?v="), "og:image %r" % og)
    ensure(metas.get("twitter:card") == "summary_large_image", "twitter:card %r" % metas.get("twitter:card"))
    ensure(get(og).status == 200, "og:image does not answer")
    toc = re.search(rb'<nav class="toc" aria-label="Contents">.*?</nav>', page.body, re.S)
    ensure(toc and toc.group(0).count(b"<li>") == 5, "table of contents: %r" % (toc and toc.group(0)[:300]))
    atom = get(st.url + "/feed.xml").body.decode()
    thumb = re.search(r'<media:thumbnail[^>]*url="([^"]+pics/diagram\.svg\?v=[0-9a-f]+)"', atom)
    ensure(thumb and thumb.group(1).startswith(st.url), "Atom entry image: %r" % (thumb and thumb.group(1)))
    srcs = re.findall(r'src="([^"]*)"', atom)
    ensure(srcs and all(s.startswith(st.url + "/articles/") or s.startswith("http") for s in srcs),
           "Atom img src not absolute: %r" % [s for s in srcs if not s.startswith("http")][:3])
    ensure(any("/articles/pics/photo.avif?v=" in s for s in srcs), "Atom lacks the fixture's images")
    jf = get(st.url + "/feed.json").body.decode()
    ensure(re.search(r'"image":"%s/articles/pics/diagram\.svg\?v=' % re.escape(st.url), jf),
           "JSON Feed item image missing or relative")
    ensure('src=\\"/articles' not in jf, "JSON Feed content_html has relative image URLs")


@case("live: a replaced, added and deleted image shows on the next request")
def live(ctx):
    articles = ctx.site()
    st = ctx.start(articles)
    url = st.url + "/articles/pics/"
    first = get(url)
    etag = first.header("ETag")
    old = [i for i in tags(first.body).imgs if "photo.png" in i["src"]][0]
    write(os.path.join(articles, "pics", "photo.png"), png(90, 50))

    def replaced():
        r = get(url)
        img = [i for i in tags(r.body).imgs if "photo.png" in i["src"]][0]
        ensure((img["width"], img["height"]) == ("90", "50"), "still %sx%s" % (img["width"], img["height"]))
        ensure(img["src"] != old["src"], "same fingerprinted URL")
        ensure(r.header("ETag") != etag, "page ETag unchanged")
        ensure(get(url, **{"If-None-Match": etag}).status == 200, "old ETag still answered 304")
        n = get(st.url + img["src"])
        ensure(n.status == 200 and n.body == read(os.path.join(articles, "pics", "photo.png")),
               "new file not served")
        return r
    eventually(replaced, "replaced image on the page", WAIT)
    os.unlink(os.path.join(articles, "pics", "viewbox.svg"))

    def deleted():
        r = get(url)
        ensure(b'src="viewbox.svg"' in r.body, "deleted image still resolved")
        ensure(get(st.url + "/articles/pics/viewbox.svg").status == 404, "deleted file still served")
    eventually(deleted, "deleted image", WAIT)
    shutil.copy(os.path.join(FIXTURES, "viewbox.svg"), os.path.join(articles, "pics", "viewbox.svg"))

    def added():
        r = get(url)
        ensure(re.search(rb'src="/articles/pics/viewbox\.svg\?v=[0-9a-f]{16}"', r.body), "not back")
    eventually(added, "added image", WAIT)


@case("CGI: images, refusals, the page")
def cgi(ctx):
    articles = ctx.site()
    st = ctx.start(articles)

    def fetch(path):
        return stk.run_cgi(st, "GET", path)
    check_article_images(st.url, articles, "pics", fetch=fetch)
    svg = fetch("/articles/pics/diagram.svg")
    ensure(svg.header("Content-Security-Policy") == SVG_CSP, "CGI SVG CSP")
    check_refused(fetch)


@case("check: reports every problem of own files as file:line")
def check(ctx):
    d = os.path.join(ctx.tmpdir(), "articles")
    os.mkdir(d)
    write(os.path.join(d, "bad.xml"), b"""<article><title>Bad</title><published>2020-01-01</published>
<summary>s</summary><body>
<p><img src="nope.png" alt="x"/></p>
<p><img src="big.png" alt="x"/></p>
<p><img src="ok.png"/></p>
<p><img src="../up.png" alt="x"/></p>
<p><a href="script.sh">x</a></p>
<p><img src="broken.png" alt="x"/></p>
</body></article>""")
    os.mkdir(os.path.join(d, "bad"))
    write(os.path.join(d, "bad", "ok.png"), png(4, 4))
    write(os.path.join(d, "bad", "big.png"), png(4, 4) + b"\0" * 5000)
    write(os.path.join(d, "bad", "broken.png"), b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    write(os.path.join(d, "bad", "script.sh"), b"#!/bin/sh\n")
    env = dict(os.environ, XSLTPRESS_ARTICLES_DIR=d, XSLTPRESS_MAX_MEDIA_BYTES="4096")
    p = subprocess.run(stk.engine_cmd() + ["check"], cwd=ROOT, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    out = p.stdout.decode()
    ensure(p.returncode == 1, "check exited %d" % p.returncode)
    want = [(3, "nope.png"), (4, "max_media_bytes"), (5, "no alt"), (6, "not a valid name"),
            (7, "not served"), (8, "cannot be read")]
    for line, what in want:
        ensure(re.search(r"bad\.xml:%d: .*%s" % (line, re.escape(what)), out),
               "check lacks line %d (%s): %s" % (line, what, out))
    st = ctx.start(d, env={"XSLTPRESS_MAX_MEDIA_BYTES": "4096"})
    for _ in range(3):
        get(st.url + "/articles/bad/")
    get(st.url + "/articles/bad/big.png")
    log = st.app_log()
    ensure(log.count("nope.png") == 1, "server logs the missing file %d times" % log.count("nope.png"))
    ensure("max_media_bytes" in log, "server does not log the file over the cap")
    ensure(get(st.url + "/articles/bad/big.png").status == 404, "file over the cap served")


@case("nginx-site.conf: nginx serves own files from the folder itself")
def site_conf(ctx):
    articles = ctx.site()
    st = ctx.start(articles)
    import deploy as dp
    port = stk.free_port()
    d = ctx.tmpdir()
    text = dp.shipped_nginx_site("nginx-site.conf", [st.sock], port, d,
                                 replace={"/srv/xsltpress/articles": articles})
    conf = os.path.join(d, "nginx.conf")
    write(conf, ("pid %s/nginx.pid;\nerror_log %s/error.log;\nevents { worker_connections 64; }\n"
                 "http {\n client_body_temp_path %s/cb; proxy_temp_path %s/p;"
                 " fastcgi_temp_path %s/f; uwsgi_temp_path %s/u; scgi_temp_path %s/s;\n"
                 " access_log off;\n include /etc/nginx/mime.types;\n%s\n}\n"
                 % ((d,) * 7 + (text,))).encode())
    g = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    proc = subprocess.Popen([stk.find_nginx(), "-p", d, "-e", os.path.join(d, "error.log"),
                             "-c", conf, "-g", g], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        eventually(lambda: ensure(stk.Stack._can_connect_tcp(port), "nginx not up"), "nginx", 10)
        base = "http://127.0.0.1:%d" % port
        page, imgs = check_article_images(base, articles, "pics")
        for i in imgs:
            r = get(base + i["src"])
            # nginx's own answer: byte ranges, its ETag form
            ensure(r.header("Accept-Ranges") == "bytes", "%s not served by nginx" % i["src"])
            ensure(r.header("Cache-Control") == "public, max-age=31536000, immutable",
                   "%s: Cache-Control %r" % (i["src"], r.header("Cache-Control")))
            ensure(r.header("X-Content-Type-Options") == "nosniff", "%s: no nosniff" % i["src"])
        svg = get(base + "/articles/pics/script.svg")
        ensure(svg.header("Content-Security-Policy") == SVG_CSP, "nginx SVG CSP %r"
               % svg.header("Content-Security-Policy"))
        png_ = get(base + "/articles/pics/photo.png")
        ensure(png_.header("Content-Security-Policy") is None, "a PNG got the SVG policy")
        ensure("immutable" not in png_.header("Cache-Control", ""), "unfingerprinted URL immutable")
        # a symlink: nginx refuses it (403), everything else as the engine
        check_refused(lambda p: get(base + p), allow=(400, 403, 404))
    finally:
        stk.stop_process(proc, sig=signal.SIGQUIT)


@case("apache-proxy-fcgi.conf: Apache serves own files from the folder itself")
def apache_conf(ctx):
    import deploy as dp
    dp.find_apache()
    try:
        d = dp.mkdtemp("media-apache")
        articles = os.path.join(d, "articles")
        make_site(articles)
        add_forbidden(articles, os.path.join(d, "outside"))
        for root, dirs, files in os.walk(d):      # Apache's workers read it
            for n in dirs:
                os.chmod(os.path.join(root, n), 0o755)
            for n in files:
                os.chmod(os.path.join(root, n), 0o644)
        port = stk.free_port()
        origin = "http://127.0.0.1:%d" % port
        conf = os.path.join(d, "xsltpress.conf")
        dp.write(conf, "articles_dir = %s\nxslt_dir = %s\nbase_url = %s\nlog_level = warn\n"
                 % (articles, os.path.join(ROOT, "xslt"), origin))
        sock = os.path.join(d, "xsltpress.sock")
        dp.start_engine(stk.default_binary(), sock, {}, os.path.join(d, "engine.log"),
                        group=dp.www_ids()[1], conf=conf)
        os.makedirs(os.path.join(d, "htdocs"))
        site = dp.apache_site("apache-proxy-fcgi.conf", port, {
            dp.CONF_SOCKET: sock, "/var/www/html": os.path.join(d, "htdocs"),
            "/srv/xsltpress/articles": articles,
            dp.APACHE_CACHE_ROOT: dp.apache_cache_root(d)})
        ap = dp.Apache(d, port, ["proxy", "proxy_fcgi", "alias", "mime"] +
                       dp.APACHE_CACHE_MODULES, site)
        ap.start()
        page, imgs = check_article_images(origin, articles, "pics")
        for i in imgs:
            r = get(origin + i["src"])
            ensure(r.header("Accept-Ranges") == "bytes", "%s not served by Apache" % i["src"])
            ensure(r.header("Cache-Control") == "public, max-age=31536000, immutable",
                   "%s: Cache-Control %r" % (i["src"], r.header("Cache-Control")))
            ensure(r.header("X-Content-Type-Options") == "nosniff", "%s: no nosniff" % i["src"])
        svg = get(origin + "/articles/pics/script.svg")
        ensure(svg.header("Content-Security-Policy") == SVG_CSP, "Apache SVG CSP %r"
               % svg.header("Content-Security-Policy"))
        plain = get(origin + "/articles/pics/photo.png")
        ensure("immutable" not in plain.header("Cache-Control", ""), "unfingerprinted URL immutable")
        check_refused(lambda p: get(origin + p), allow=(400, 403, 404))
        ensure(not ap.errors() or all("symbolic link" in e.lower() or "link.png" in e
                                      or "linked" in e for e in ap.errors()),
               "Apache error log: %s" % " | ".join(ap.errors()[:3]))
    finally:
        dp.cleanup()


@case("export: own files byte for byte, and linkchecker finds nothing broken")
def export(ctx):
    articles = ctx.site()
    shutil.rmtree(os.path.join(articles, "linked.xml"), ignore_errors=True)
    os.unlink(os.path.join(articles, "linked.xml"))
    out = os.path.join(ctx.tmpdir(), "site")
    port = stk.free_port()
    origin = "http://127.0.0.1:%d" % port
    env = {k: v for k, v in os.environ.items() if not k.startswith("XSLTPRESS_")}
    env.update(XSLTPRESS_ARTICLES_DIR=articles, XSLTPRESS_BASE_URL=origin)
    conf = stk.default_conf()
    p = subprocess.run([stk.default_binary()] + (["-c", conf] if conf else []) + ["export", out],
                       cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    ensure(p.returncode == 0, "export exited %d: %s" % (p.returncode, p.stderr.decode()[-400:]))
    copied = 0
    for slug in articles_with_files(articles):
        if slug == "linked":
            continue
        for name in own_refs(articles, slug):
            src, dst = os.path.join(articles, slug, name), os.path.join(out, "articles", slug, name)
            ensure(os.path.exists(dst), "export lacks %s/%s" % (slug, name))
            ensure(read(src) == read(dst), "export's %s/%s differs" % (slug, name))
            copied += 1
    for bad in (".secret.png", "deploy.sh", "notes.xml", "photo.png~", "link.png"):
        ensure(not os.path.exists(os.path.join(out, "articles", "pics", bad)), "export copied %s" % bad)
    exe = shutil.which("linkchecker")
    if not exe:
        raise Skip("linkchecker is not installed")
    d = ctx.tmpdir()
    conf_text = ("pid %s/nginx.pid;\nerror_log %s/error.log;\nevents { worker_connections 64; }\n"
                 "http {\n client_body_temp_path %s/cb; proxy_temp_path %s/p;"
                 " fastcgi_temp_path %s/f; uwsgi_temp_path %s/u; scgi_temp_path %s/s;\n"
                 " access_log off;\n include /etc/nginx/mime.types;\n"
                 " server { listen 127.0.0.1:%d; root %s; add_header LinkChecker tests always; }\n}\n"
                 % ((d,) * 7 + (port, out)))
    write(os.path.join(d, "nginx.conf"), conf_text.encode())
    g = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    proc = subprocess.Popen([stk.find_nginx(), "-p", d, "-e", os.path.join(d, "error.log"),
                             "-c", os.path.join(d, "nginx.conf"), "-g", g],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        eventually(lambda: ensure(stk.Stack._can_connect_tcp(port), "nginx not up"), "nginx", 10)
        rc = os.path.join(d, "linkcheckerrc")
        write(rc, b"[checking]\nthreads=8\nmaxrequestspersecond=500\ntimeout=20\n")
        lc = subprocess.run([exe, "-f", rc, "--no-status", "--no-warnings", "-r", "-1", "-o", "text",
                             origin + "/articles/pics/"], cwd=d, env=dict(os.environ, HOME=d),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        text = lc.stdout.decode("utf-8", "replace")
        ensure(lc.returncode == 0, "linkchecker: %s" % " | ".join(
            l for l in text.splitlines() if l.strip())[-600:])
        m = re.search(r"(\d+) links? in (\d+) URLs? checked", text)
        print("  (%d own files exported; linkchecker: %s)" % (copied, m and m.group(0)), flush=True)
    finally:
        stk.stop_process(proc, sig=signal.SIGQUIT)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--make-site":
        make_site(sys.argv[2])     # for tests/browser/run.sh
        return 0
    global SAMPLES
    ap = stk.suite_arguments(__doc__.split("\n\n")[0], articles=True)
    opts = stk.parse_suite_arguments(ap)
    SAMPLES = os.path.abspath(opts.articles)
    return stk.run_cases(CASES, lambda name: Ctx(name, opts.bin, opts.keep), opts)


if __name__ == "__main__":
    sys.exit(main())
