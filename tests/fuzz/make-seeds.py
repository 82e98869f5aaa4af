#!/usr/bin/env python3
"""make-seeds.py - (re)writes the seed corpora under tests/fuzz/corpus/.

Run from the repository root: python3 tests/fuzz/make-seeds.py
Real articles are trimmed to their metadata and first few body elements;
the rest are hand-made edge cases of the article format, the CGI request
encoding of fuzz-request.c and the config file syntax."""
import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET

ROOT = os.getcwd()
OUT = os.path.join(ROOT, "tests/fuzz/corpus")
REAL = ["bloom-filters-in-production", "consistent-hashing-explained",
        "designing-a-url-shortener", "rate-limiting-algorithms-compared",
        "understanding-raft-consensus"]


def write(kind, name, data):
    d = os.path.join(OUT, kind)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def trimmed(slug, keep):
    tree = ET.parse(os.path.join(ROOT, "articles", slug + ".xml"))
    root = tree.getroot()
    body = root.find("body")
    for child in list(body)[keep:]:
        body.remove(child)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(root, encoding="unicode") + "\n")


def article(body="<p>Hello <em>world</em>.</p>", extra="",
            published="2026-03-14", title="T", summary="S."):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<article>\n'
            f"<title>{title}</title>\n<published>{published}</published>\n"
            f"<summary>{summary}</summary>\n{extra}<body>{body}</body>\n"
            "</article>\n")


EDGE = {
    "minimal.xml": article(),
    "full.xml": article(
        extra="<updated>2026-03-15T10:00:00+01:00</updated>\n"
              "<author>Ada</author>\n<tags><tag>a</tag><tag>b-c</tag>"
              "<tag>a</tag></tags>\n<reading-minutes>7</reading-minutes>\n"
              "<custom x='1'>kept</custom>\n",
        body="<h2>H</h2><ul><li>x</li></ul><pre><code>a &amp;&lt; b</code>"
             "</pre><table><thead><tr><th>a</th></tr></thead><tbody><tr>"
             "<td>1</td></tr></tbody></table><figure><img src='x.png' "
             "alt='a'/><figcaption>c</figcaption></figure><hr/><br/>"
             "<blockquote>q</blockquote><a href='https://e.org/'>l</a>"),
    "draft.xml": article(extra="<draft/>\n"),
    "future.xml": article(published="9999-12-31T23:59:60Z"),
    "datetime-offset.xml": article(published="2026-03-14T09:30:00.123-11:59"),
    "leap.xml": article(published="2024-02-29"),
    "bad-date.xml": article(published="2026-02-30"),
    "unsafe-html.xml": article(
        body="<script>alert(1)</script><p onclick='x()'>a</p>"
             "<a href='javascript:alert(1)'>j</a><img src='data:x'/>"
             "<iframe src='//e'/><p style='x'>s</p>"),
    "namespaced.xml": article(
        body='<x:p xmlns:x="http://www.w3.org/1999/xhtml">n</x:p>'
             '<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'),
    "numeric-refs.xml": article(title="&#x1F600;&#65;&amp;&lt;&gt;&quot;&apos;",
                                body="<p>&#0;</p>"),
    "cdata-pi-comment.xml": article(
        body="<![CDATA[<p>raw</p>]]><?pi data?><!-- c --><p>x</p>"),
    "doctype.xml": '<?xml version="1.0"?>\n<!DOCTYPE article [\n'
                   '<!ENTITY x "y">]>\n' + article().split("\n", 1)[1]
                   .replace("<title>T", "<title>&x;"),
    "doctype-external.xml": '<!DOCTYPE article SYSTEM "file:///etc/passwd">\n'
                            + article().split("\n", 1)[1],
    "entity-bomb.xml": '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n'
        '<!ENTITY lol "lol">\n'
        + "".join('<!ENTITY lol%d "%s">\n' % (i, ("&lol%s;" % (
            "" if i == 1 else i - 1)) * 10) for i in range(1, 10))
        + ']>\n<article><title>&lol9;</title></article>\n',
    "xxe-param.xml": '<!DOCTYPE a [<!ENTITY % p SYSTEM "http://127.0.0.1/">'
                     '%p;]><article/>',
    "undeclared-entity.xml": article(title="&nbsp;"),
    "deep-255.xml": article(body="<p>" * 250 + "x" + "</p>" * 250),
    "deep-300.xml": article(body="<p>" * 300 + "x" + "</p>" * 300),
    "bad-utf8.xml": article(title="\udcff").encode("utf-8", "surrogateescape"),
    "bad-utf8-body.xml": article().encode().replace(b"world", b"w\xc3\x28\xf0\x90\x80"),
    "latin1-decl.xml": '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
                       + article().split("\n", 1)[1],
    "utf16.xml": ('<?xml version="1.0" encoding="UTF-16"?>\n'
                  + article().split("\n", 1)[1]).encode("utf-16"),
    "bom.xml": b"\xef\xbb\xbf" + article().encode(),
    "nul.xml": article().encode().replace(b"world", b"wo\x00rld"),
    "wrong-root.xml": "<post><title>T</title></post>",
    "ns-root.xml": '<article xmlns="urn:x"><title>T</title></article>',
    "missing-body.xml": article().replace("<body>", "<x>").replace("</body>", "</x>"),
    "twice.xml": article(extra="<title>again</title>\n"),
    "bad-tag.xml": article(extra="<tags><tag>Upper</tag></tags>\n"),
    "minutes-big.xml": article(extra="<reading-minutes>4294967297</reading-minutes>\n"),
    "title-markup.xml": article(title="a<em>b</em>"),
    "truncated.xml": article()[:90],
    "empty.xml": "",
}


def request(*fields):
    return b"\0".join(f if isinstance(f, bytes) else f.encode() for f in fields)


ABSENT = b"\xff"
REQUESTS = {
    "root": request("GET", "/"),
    "article": request("GET", "/articles/understanding-raft-consensus/", "",
                       '"abc"', "Sat, 14 Mar 2026 09:30:00 GMT"),
    "page2": request("HEAD", "/page/2/?x=1", "x=1"),
    "blog": request("GET", "/blog/articles/a-b/"),
    "blog-bare": request("GET", "/blog"),
    "no-slash": request("GET", "/articles/a"),
    "dots": request("GET", "/articles/%2e%2e/%2fetc"),
    "bad-escape": request("GET", "/a%zz%0"),
    "encoded-nul": request("GET", "/a%00b"),
    "relative": request("POST", "articles/x/"),
    "long": request("GET", "/" + "a" * 2100),
    "long-query": request("GET", "/?q", "q" * 1100),
    "cgi-split": request("GET", ABSENT, "", ABSENT, ABSENT, "/blog", "/page/3/"),
    "cgi-empty": request(ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT),
    "odd-method": request("g\x01t", "/style.css", "", "W/\"x\", *",
                          "Sun, 06 Nov 1994 08:49:37 GMT"),
    "ims-negative": request("GET", "/", "", "", "Xxx, -1 Foo -999 -1:-1:-1 GMT"),
    "backslash": request("GET", "/articles\\x/"),
    "fragment": request("GET", "/#frag?x"),
}


def metacache_seeds():
    """Cache files written by the engine itself (build/xsltpress) for a few
    articles: intact, with every record resealed (flag 1), cut short, and
    with a record's title patched.  The first byte is the harness's flags."""
    engine = os.path.join(ROOT, "build", "xsltpress")
    if not os.access(engine, os.X_OK):
        print("make-seeds: build/xsltpress missing, metacache seeds skipped")
        return
    shutil.rmtree(os.path.join(OUT, "metacache"), ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        arts, cache = os.path.join(tmp, "articles"), os.path.join(tmp, "cache")
        os.mkdir(arts)
        for slug, keep in zip(REAL[:3], (2, 3, 4)):
            with open(os.path.join(arts, slug + ".xml"), "w", encoding="utf-8") as f:
                f.write(trimmed(slug, keep))
        with open(os.path.join(arts, "full.xml"), "w", encoding="utf-8") as f:
            f.write(EDGE["full.xml"])
        env = dict(os.environ, XSLTPRESS_ARTICLES_DIR=arts, XSLTPRESS_CACHE_DIR=cache,
                   XSLTPRESS_LOG_LEVEL="error")
        env.pop("GATEWAY_INTERFACE", None)
        subprocess.run([engine, "-c", os.path.join(ROOT, "conf/xsltpress.conf"), "render", "/"],
                       env=env, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
        with open(os.path.join(cache, "metadata"), "rb") as f:
            meta = f.read()
    write("metacache", "intact.bin", b"\0" + meta)
    write("metacache", "resealed.bin", b"\1" + meta)
    write("metacache", "cut-in-records.bin", b"\0" + meta[:len(meta) // 3])
    write("metacache", "header-only.bin", b"\0" + meta[:19 + 24])
    i = meta.find(b"Consistent")
    if i >= 0:
        write("metacache", "title-bad-utf8.bin",
              b"\1" + meta[:i] + b"\xff" + meta[i + 1:])


def main():
    for kind in ("article", "render"):
        shutil.rmtree(os.path.join(OUT, kind), ignore_errors=True)
        for slug, keep in zip(REAL, (2, 3, 4, 6, 8)):
            write(kind, "real-" + slug + ".xml", trimmed(slug, keep))
    for name, data in EDGE.items():
        write("article", name, data)
    for name in ("minimal.xml", "full.xml", "future.xml", "unsafe-html.xml",
                 "namespaced.xml", "cdata-pi-comment.xml", "numeric-refs.xml",
                 "datetime-offset.xml", "deep-255.xml", "draft.xml"):
        write("render", name, EDGE[name])
    shutil.rmtree(os.path.join(OUT, "request"), ignore_errors=True)
    for name, data in REQUESTS.items():
        write("request", name, data)
    metacache_seeds()
    shutil.rmtree(os.path.join(OUT, "config"), ignore_errors=True)
    with open(os.path.join(ROOT, "conf/xsltpress.conf"), "rb") as f:
        write("config", "xsltpress.conf", f.read())
    write("config", "all-keys.conf", "\n".join([
        "articles_dir = a", "xslt_dir = x", "cache_dir = /tmp/c",
        "site_name = S", "listing_heading = H", "listing_intro = i",
        "lang = fr", "base_url = https://e.org/", "base_path = /blog",
        "log_level = debug", "csp = ", "referrer_policy = no-referrer",
        "per_page = 1000", "threads = 1", "max_age = 0",
        "max_article_bytes = 1024", "poll_interval = 3600",
        "cache_size = 0", "watch = poll", "trusted_html = yes",
        "cache = off", "cache_bytes = 0", "sandbox = try",
        "listen_public = no"]) + "\n")
    write("config", "errors.conf", "base_path = //x/../\n")
    write("config", "unknown.conf", "  # c\n\nnope = 1\n")
    write("config", "range.conf", "per_page = 4294967297\n")
    write("config", "no-eq.conf", "just words\r\n")
    write("config", "ctrl.conf", "site_name = a\x01b\n")
    write("config", "base-path-root.conf", "base_path = /\nwatch = off\n")
    write("config", "empty-value.conf", "base_path =\nlang=\n")


if __name__ == "__main__":
    main()
