#!/usr/bin/env python3
"""CGI and shared-hosting tests: the program where a shared host runs it.

    python3 tests/integration/cgi.py                  # everything
    python3 tests/integration/cgi.py -k static        # only checks whose name has "static"
    python3 tests/integration/cgi.py --static PATH    # the static binary (default build/static/xsltpress)

What runs (each part in its own temporary folder; Apache on 127.0.0.1 and
a free port, workers as www-data, as in tests/integration/deploy.py):

  mount          the program as CGI with SCRIPT_NAME=/cgi-bin/blog.cgi and
                 PATH_INFO, from a foreign working directory with the
                 shipped conf/xsltpress.conf (paths taken from its folder):
                 listing, page 2, article, stylesheet, feed, the bare
                 script path; every link, Location and URL under the mount
  error          a broken config and a missing stylesheet folder answer
                 Status 500 with a page; stderr names the file and line
  default cache  at 2,000 articles, with no cache_dir, a second CGI request
                 opens no article file (strace)
  apache         a real Apache ScriptAlias /cgi-bin/ with the binary as
                 blog.cgi, crawled link by link from /cgi-bin/blog.cgi/;
                 a self-configuring blog.cgi ("#!/path/xsltpress" and
                 config lines, relative paths); a query without "=" (which
                 Apache passes as arguments) is no command; a broken one answers 500
                 with a body and the error log names file and line
  static         build/static/xsltpress (make static): no dynamic section;
                 alone with the site in an empty chroot, as CGI (listing,
                 article, search), as a self-configuring script, and as
                 `check`; as FastCGI, three 13-byte PARAMS records with a
                 2 GiB name length do not grow the process and it keeps
                 serving; then the CGI checks of run.py against it
  dist-cgi       make dist-cgi's archive unpacked as its README.txt says:
                 the three-line blog.cgi answers the listing

The last line is exactly "N passed, N failed"; exit status 1 on failure.
"""

import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import stack as stk  # noqa: E402
import run as itest  # noqa: E402
import deploy  # noqa: E402  (Apache, the crawler, the public copy of the site)

ROOT = stk.ROOT
ensure = itest.ensure
CheckFailed = itest.CheckFailed
MOUNT = "/cgi-bin/blog.cgi"
LINK_RE = re.compile(r'''\s(?:href|src|action)="([^"]*)"''')


def cgi_run(binary, path, env_extra=None, cwd=None, argv=None, query="", timeout=60,
            wrap=None):
    """Runs BINARY once as CGI under MOUNT for PATH (PATH_INFO); returns
    (Response, stderr text, returncode)."""
    uri = MOUNT + path + ("?" + query if query else "")
    env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "GATEWAY_INTERFACE": "CGI/1.1",
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": MOUNT,
        "REQUEST_URI": uri,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
    }
    if path:
        env["PATH_INFO"] = path
    env.update(env_extra or {})
    cmd = (wrap or []) + (argv or [binary])
    p = subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return stk.parse_cgi_output(p.stdout), p.stderr.decode("utf-8", "replace"), p.returncode


def links_under(r, prefix, what):
    """Every root-relative link of R's HTML body, and its Location, is
    under PREFIX/."""
    text = r.body.decode("utf-8", "replace")
    bad = [u for u in LINK_RE.findall(text)
           if u.startswith("/") and not u.startswith(prefix + "/")]
    ensure(not bad, "%s: links outside %s/: %r" % (what, prefix, bad[:5]))
    return text


class Parts:
    def __init__(self, runner, binary, static_bin):
        self.r = runner
        self.bin = binary
        self.static = static_bin
        self.articles = itest.load_articles(os.path.join(ROOT, "articles"))

    # one part: all of them, or those -k names; a failing set-up is one failure
    part = deploy.Deploy.part

    # -- the classic mount, straight from the program -----------------------
    def mount(self, binary=None, label="cgi mount"):
        binary = binary or self.bin
        d = deploy.mkdtemp("mount")
        # the shipped config, whose paths are relative to conf/, from a
        # working directory where they would mean nothing
        env = {"XSLTPRESS_CONF": os.path.join(ROOT, "conf", "xsltpress.conf"),
               "XSLTPRESS_BASE_URL": "https://example.org", "HOME": d}
        slug = sorted(self.articles)[0]

        def get(path, want=200, query=""):
            r, err, rc = cgi_run(binary, path, env, cwd=d, query=query)
            ensure(rc == 0, "%s exited %d: %s" % (path, rc, err[-300:]))
            ensure(r.status == want, "%s answered %s, want %s: %s" % (path, r.status, want, err[-300:]))
            return r

        def listing():
            text = links_under(get("/"), MOUNT, "/")
            ensure('href="%s/articles/%s/"' % (MOUNT, slug) in text or
                   "%s/articles/" % MOUNT in text, "no article link under the mount on /")
            ensure('href="%s/page/2/"' % MOUNT in text, "no link to %s/page/2/ on /" % MOUNT)
            ensure('href="%s/style.css?v=' % MOUNT in text, "stylesheet not under the mount")
            ensure('href="%s/favicon.svg?v=' % MOUNT in text, "icon not under the mount")
        self.r.check(label + ": listing, every link under the mount", listing)

        def page2():
            text = links_under(get("/page/2/"), MOUNT, "/page/2/")
            ensure('<link rel="canonical" href="https://example.org%s/page/2/"' % MOUNT in text,
                   "canonical of page 2 is not under the mount")
        self.r.check(label + ": page 2", page2)

        def article():
            text = links_under(get("/articles/%s/" % slug), MOUNT, "article")
            ensure(self.articles[slug]["title"].split()[0] in text, "article title missing")
            ensure("https://example.org%s/articles/%s/" % (MOUNT, slug) in text,
                   "canonical URL of the article is not under the mount")
        self.r.check(label + ": article", article)

        def stylesheet():
            r = get("/style.css")
            ensure((r.header("Content-Type") or "").startswith("text/css"),
                   "style.css Content-Type %r" % r.header("Content-Type"))
        self.r.check(label + ": stylesheet", stylesheet)

        def feeds():
            body = get("/feed.xml").body.decode("utf-8", "replace")
            urls = re.findall(r'href="(https?://[^"]*)"', body)
            ensure(urls, "no URLs in the feed")
            bad = [u for u in urls if not u.startswith("https://example.org%s/" % MOUNT)]
            ensure(not bad, "feed URLs outside the mount: %r" % bad[:3])
            locs = re.findall(r"<loc>([^<]*)</loc>", get("/sitemap.xml").body.decode())
            ensure(locs and all(u.startswith("https://example.org%s/" % MOUNT) for u in locs),
                   "sitemap URLs outside the mount: %r" % locs[:3])
        self.r.check(label + ": feed and sitemap URLs under the mount", feeds)

        def redirects():
            r = get("", want=301)
            ensure(r.header("Location") == MOUNT + "/",
                   "bare script: Location %r, want %s/" % (r.header("Location"), MOUNT))
            r = get("/articles/%s" % slug, want=301)
            ensure(r.header("Location") == "%s/articles/%s/" % (MOUNT, slug),
                   "missing slash: Location %r" % r.header("Location"))
        self.r.check(label + ": the bare script path and a missing slash redirect under it",
                     redirects)

        def rewrite_hides_script():
            # .htaccess style: REQUEST_URI is not under SCRIPT_NAME, base_path applies
            e = dict(env, REQUEST_URI="/blog/page/2/", SCRIPT_NAME="/blog/xsltpress.cgi",
                     XSLTPRESS_BASE_PATH="/blog/")
            r, err, rc = cgi_run(binary, "", e, cwd=d)
            ensure(r.status == 200, "rewritten /blog/page/2/ answered %s: %s" % (r.status, err[-200:]))
            links_under(r, "/blog", "rewritten /blog/page/2/")
        self.r.check(label + ": a rewrite hiding the script keeps base_path", rewrite_hides_script)

    # -- the error path ---------------------------------------------------------
    def error(self):
        d = deploy.mkdtemp("error")
        conf = os.path.join(d, "broken.conf")
        deploy.write(conf, "# a site\nxslt_dir = %s\nper_page = lots\n" % os.path.join(ROOT, "xslt"))

        def broken_config():
            r, err, rc = cgi_run(self.bin, "/", {"XSLTPRESS_CONF": conf}, cwd=d)
            ensure(r.status == 500, "broken config answered %s, want 500" % r.status)
            ensure((r.header("Content-Type") or "").startswith("text/html"),
                   "no HTML Content-Type: %r" % r.header("Content-Type"))
            ensure(b"misconfigured" in r.body and b"error log" in r.body,
                   "the 500 page does not say misconfigured / error log: %r" % r.body[:200])
            ensure("per_page" not in r.body.decode("utf-8", "replace"),
                   "the reason leaks to the browser")
            ensure("%s:3:" % conf in err, "stderr does not name %s:3: %r" % (conf, err[-300:]))
        self.r.check("cgi error: a broken config answers 500 with a page; the log names file:line",
                     broken_config)

        def missing_xslt():
            deploy.write(conf, "articles_dir = %s\nxslt_dir = no-such-folder\n"
                         % os.path.join(ROOT, "articles"))
            r, err, rc = cgi_run(self.bin, "/", {"XSLTPRESS_CONF": conf}, cwd=d)
            ensure(r.status == 500 and b"misconfigured" in r.body,
                   "missing stylesheets answered %s %r" % (r.status, r.body[:100]))
            ensure(os.path.join(d, "no-such-folder") in err,
                   "stderr does not name the folder (taken from the config's folder): %r" % err[-300:])
        self.r.check("cgi error: a missing stylesheet folder answers 500 with a page", missing_xslt)

    # -- the default metadata cache --------------------------------------------
    def default_cache(self):
        if not shutil.which("strace"):
            raise CheckFailed("strace not installed (scripts/deps.sh test)")
        d = deploy.mkdtemp("cache")
        arts = os.path.join(d, "articles")
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen-corpus.py"), "2000", arts],
                       check=True, stdout=subprocess.DEVNULL, timeout=300)
        home = os.path.join(d, "home")
        os.makedirs(home)
        env = {"XSLTPRESS_CONF": os.path.join(ROOT, "conf", "xsltpress.conf"),
               "XSLTPRESS_ARTICLES_DIR": arts, "HOME": home}
        trace = os.path.join(d, "trace")

        def warm_reads_nothing():
            r, err, rc = cgi_run(self.bin, "/", env, cwd=d)
            ensure(r.status == 200, "first CGI request answered %s: %s" % (r.status, err[-300:]))
            r, err, rc = cgi_run(self.bin, "/", env, cwd=d,
                                 wrap=["strace", "-f", "-qq", "-e", "trace=open,openat",
                                       "-o", trace])
            ensure(r.status == 200, "second CGI request answered %s" % r.status)
            opened = [l for l in open(trace) if arts + "/" in l and ".xml" in l]
            ensure(not opened, "the second request opened %d article files, e.g. %s"
                   % (len(opened), opened[:1]))
            made = os.path.join(home, ".cache", "xsltpress")
            ensure(os.path.isdir(made) and os.listdir(made),
                   "no metadata cache under %s" % made)
        self.r.check("cgi default cache: a second request at 2,000 articles opens no article file",
                     warm_reads_nothing)

    # -- a real Apache ----------------------------------------------------------
    def apache(self, binary=None, label="apache cgi-bin"):
        pub = deploy.public_site(binary or self.bin)
        d = deploy.mkdtemp("cgibin")
        port = stk.free_port()
        origin = "http://127.0.0.1:%d" % port
        cgibin = os.path.join(d, "cgi-bin")
        os.makedirs(cgibin)
        os.chmod(cgibin, 0o755)
        shutil.copy(pub["bin"], os.path.join(cgibin, "blog.cgi"))
        os.chmod(os.path.join(cgibin, "blog.cgi"), 0o755)
        conf = deploy.engine_conf(d, origin)
        # the self-configuring script, with paths relative to its folder
        site = os.path.join(d, "site")
        shutil.copytree(pub["articles"], os.path.join(site, "articles"))
        shutil.copytree(pub["xslt"], os.path.join(site, "xslt"))
        for root, dirs, files in os.walk(site):
            os.chmod(root, 0o755)
        deploy.write(os.path.join(cgibin, "self.cgi"),
                     "#!%s\narticles_dir = ../site/articles\nxslt_dir = ../site/xslt\n" % pub["bin"],
                     mode=0o755)
        deploy.write(os.path.join(cgibin, "broken.cgi"),
                     "#!%s\nxslt_dir = ../site/xslt\nno_such_key = 1\n" % pub["bin"], mode=0o755)
        vhost = ("<VirtualHost *:%d>\n    DocumentRoot %s/htdocs\n"
                 "    ScriptAlias /cgi-bin/ %s/\n"
                 "    <Directory %s>\n        Require all granted\n    </Directory>\n"
                 "    <Location /cgi-bin/blog.cgi>\n        SetEnv XSLTPRESS_CONF %s\n"
                 "    </Location>\n</VirtualHost>\n" % (port, d, cgibin, cgibin, conf))
        os.makedirs(os.path.join(d, "htdocs"))
        ap = deploy.Apache(d, port, ["cgid", "alias", "env", "mime"], vhost)
        ap.start()

        def crawled():
            deploy.check_crawl(origin, MOUNT + "/", len(self.articles) + 5)
        self.r.check(label + ": crawled link by link from %s/, every link under it" % MOUNT, crawled)

        def bare():
            r = stk.http_request("GET", origin + MOUNT)
            ensure(r.status == 301, "GET %s answered %s, want 301" % (MOUNT, r.status))
            ensure(urllib.parse.urlsplit(r.header("Location", "")).path == MOUNT + "/",
                   "Location %r" % r.header("Location"))
        self.r.check(label + ": %s redirects to %s/" % (MOUNT, MOUNT), bare)

        def self_config():
            r = stk.http_request("GET", origin + "/cgi-bin/self.cgi/")
            ensure(r.status == 200, "self.cgi/ answered %s" % r.status)
            links_under(r, "/cgi-bin/self.cgi", "self.cgi/")
            slug = sorted(self.articles)[0]
            r = stk.http_request("GET", origin + "/cgi-bin/self.cgi/articles/%s/" % slug)
            ensure(r.status == 200, "self.cgi article answered %s" % r.status)
            r = stk.http_request("GET", origin + "/cgi-bin/self.cgi/search/?q=cache")
            ensure(r.status == 200 and b"/cgi-bin/self.cgi/articles/" in r.body,
                   "self.cgi search answered %s without results" % r.status)
        self.r.check(label + ": a self-configuring blog.cgi with relative paths", self_config)

        def isindex():
            # Apache passes a query without '=' to a CGI as arguments
            for q in ("check", "-s127.0.0.1:1", "render%20/feed.xml"):
                for script in ("blog.cgi", "self.cgi"):
                    r = stk.http_request("GET", origin + "/cgi-bin/%s/?%s" % (script, q))
                    ensure(r.status == 200 and b"<!DOCTYPE html>" in r.body,
                           "%s/?%s answered %s %r" % (script, q, r.status, r.body[:80]))
        self.r.check(label + ": a query without '=' is not taken as arguments", isindex)

        def broken():
            r = stk.http_request("GET", origin + "/cgi-bin/broken.cgi/")
            ensure(r.status == 500, "broken.cgi answered %s, want 500" % r.status)
            ensure(b"misconfigured" in r.body, "broken.cgi: no page: %r" % r.body[:200])
            log = deploy.tail(os.path.join(d, "logs", "error.log"), 200)
            ensure("broken.cgi:3:" in log, "Apache's error log does not name broken.cgi:3: %r"
                   % log[-400:])
        self.r.check(label + ": a broken script answers 500 with a page, the log says why", broken)
        ap.stop()

    # -- the static binary --------------------------------------------------------
    def static_bin(self):
        ensure(self.static and os.access(self.static, os.X_OK),
               "%s is not built (make static)" % self.static)

        def no_dynamic():
            out = subprocess.run(["readelf", "-l", self.static], stdout=subprocess.PIPE,
                                 timeout=30).stdout.decode()
            ensure("INTERP" not in out and "DYNAMIC" not in out,
                   "the static binary has a program interpreter or dynamic section")
        self.r.check("static: no shared libraries, no interpreter", no_dynamic)

        d = deploy.mkdtemp("chroot")
        root = os.path.join(d, "root")
        os.makedirs(os.path.join(root, "site"))
        shutil.copy(self.static, os.path.join(root, "xsltpress"))
        shutil.copytree(os.path.join(ROOT, "articles"), os.path.join(root, "site", "articles"))
        shutil.copytree(os.path.join(ROOT, "xslt"), os.path.join(root, "site", "xslt"))
        deploy.write(os.path.join(root, "site", "blog.cgi"),
                     "#!/xsltpress\narticles_dir = articles\nxslt_dir = xslt\n", mode=0o755)
        wrap = ["chroot", root] if os.geteuid() == 0 else \
            ["unshare", "--user", "--map-root-user", "chroot", root]
        slug = sorted(self.articles)[0]

        def in_chroot(path, query=""):
            r, err, rc = cgi_run(None, path, {"XSLTPRESS_CONF": "/site/blog.cgi"}, cwd=d,
                                 argv=["/xsltpress"], query=query, wrap=wrap)
            ensure(rc == 0 and r.status == 200, "chroot %s answered %s (exit %d): %s"
                   % (path, r.status, rc, err[-300:]))
            return links_under(r, MOUNT, "chroot " + path)

        self.r.check("static: in an empty chroot, CGI listing", in_chroot, "/")
        self.r.check("static: in an empty chroot, CGI article",
                     in_chroot, "/articles/%s/" % slug)

        def search():
            text = in_chroot("/search/", query="q=cache")
            ensure("%s/articles/" % MOUNT in text, "no search results in the chroot")
        self.r.check("static: in an empty chroot, CGI search", search)

        def script():
            r, err, rc = cgi_run(None, "/", None, cwd=d, argv=["/site/blog.cgi"], wrap=wrap)
            ensure(rc == 0 and r.status == 200, "chroot /site/blog.cgi answered %s: %s"
                   % (r.status, err[-300:]))
        self.r.check("static: in an empty chroot, the self-configuring script", script)

        def check():
            p = subprocess.run(wrap + ["/xsltpress", "-c", "/site/blog.cgi", "check"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                               env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
            ensure(p.returncode == 0, "check exited %d: %s" % (p.returncode, p.stdout[-300:]))
            ensure(b"fine" in p.stderr, "check did not say fine: %r" % p.stderr[-200:])
        self.r.check("static: in an empty chroot, check", check)

        self.r.check("static: FastCGI survives 13-byte records announcing a 2 GiB name",
                     self.fcgi_param_cap, d)
        self.mount(self.static, "static cgi mount")
        self.apache(self.static, "static apache cgi-bin")

    def fcgi_param_cap(self, d):
        sock = os.path.join(d, "fcgi.sock")
        p = deploy.start_engine(self.static, sock, {"XSLTPRESS_ARTICLES_DIR": os.path.join(ROOT, "articles")},
                                os.path.join(d, "fcgi.log"),
                                conf=os.path.join(ROOT, "conf", "xsltpress.conf"))

        def vm_kb():
            for line in open("/proc/%d/status" % p.pid):
                if line.startswith("VmSize:"):
                    return int(line.split()[1])
            return 0
        ensure(fcgi_get(sock, "/")[0] == 200, "FastCGI / did not answer 200 before")
        before = vm_kb()
        conns = []
        for _ in range(3):
            c = socket.socket(socket.AF_UNIX)
            c.connect(sock)
            c.sendall(fcgi_record(1, 1, struct.pack(">HB5x", 1, 0)))
            # 13 bytes: a PARAMS header, then a name length of 0x7ffffff0
            c.sendall(struct.pack(">BBHHBx", 1, 4, 1, 5, 0) + struct.pack(">IB", 0xfffffff0, 0))
            conns.append(c)
        time.sleep(0.5)
        after = vm_kb()
        ensure(p.poll() is None, "the process died")
        ensure(after - before < 512 * 1024, "address space grew by %d MiB" % ((after - before) // 1024))
        for c in conns:
            c.close()
        ensure(fcgi_get(sock, "/")[0] == 200, "FastCGI / did not answer 200 after")
        deploy.stop(p)

    def dist_cgi(self):
        """What a customer downloads, unpacked as its README.txt says:
        ~/xsltpress/ and ~/public_html/cgi-bin/blog.cgi with its first
        line set to the program's path."""
        p = subprocess.run(["make", "--no-print-directory", "-C", ROOT, "dist-cgi"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900)
        ensure(p.returncode == 0, "make dist-cgi: %s" % p.stdout[-500:])
        tgz = re.findall(rb"dist-cgi: (\S+\.tar\.gz)", p.stdout)
        ensure(tgz, "make dist-cgi named no archive")
        path = os.path.join(ROOT, tgz[-1].decode())
        ensure(re.search(r"xsltpress-[0-9.]+-x86_64-linux-cgi\.tar\.gz$", path), "archive %s" % path)
        d = deploy.mkdtemp("dist")
        home = os.path.join(d, "home")
        os.makedirs(home)
        subprocess.run(["tar", "-C", home, "-xzf", path], check=True, timeout=60)
        top = os.path.join(home, os.listdir(home)[0])
        for f in ("xsltpress", "blog.cgi", "htaccess", "README.txt", "site/xslt/layout.xsl",
                  "site/xslt/style.css"):
            ensure(os.path.exists(os.path.join(top, f)), "the archive has no %s" % f)
        os.rename(top, os.path.join(home, "xsltpress"))
        cgibin = os.path.join(home, "public_html", "cgi-bin")
        os.makedirs(cgibin)
        lines = open(os.path.join(home, "xsltpress", "blog.cgi")).read().splitlines()
        ensure(len(lines) == 3 and lines[0].startswith("#!"), "blog.cgi is not three lines: %r" % lines)
        lines[0] = "#!" + os.path.join(home, "xsltpress", "xsltpress")
        script = os.path.join(cgibin, "blog.cgi")
        deploy.write(script, "\n".join(lines) + "\n", mode=0o755)
        r, err, rc = cgi_run(None, "/", {"HOME": home}, cwd=cgibin, argv=[script])
        ensure(rc == 0 and r.status == 200, "the unpacked blog.cgi answered %s: %s" % (r.status, err[-300:]))
        links_under(r, MOUNT, "unpacked blog.cgi")

    def static_integration(self):
        """run.py's CGI checks (same pages as nginx, raw format, HEAD, the
        metadata cache) with the static binary behind nginx and as CGI."""
        p = subprocess.run([sys.executable, os.path.join(HERE, "run.py"), "--bin", self.static,
                            "-k", "CGI"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=600)
        out = p.stdout.decode("utf-8", "replace")
        m = re.findall(r"^(\d+) passed, (\d+) failed", out, re.M)
        if not m:
            self.r.fail("static: run.py CGI checks", "no result line: %s" % out[-500:])
            return
        passed, failed = int(m[-1][0]), int(m[-1][1])
        self.r.passed += passed
        for line in out.splitlines():
            if line.startswith("FAIL "):
                self.r.fail("static: run.py " + line[5:].split(":")[0], line[5:])
        self.r.failed += max(0, failed - len([l for l in out.splitlines() if l.startswith("FAIL ")]))
        ensure(passed > 0, "run.py ran no CGI check")

    def run(self):
        self.part("cgi mount", self.mount)
        self.part("cgi error", self.error)
        self.part("cgi default cache", self.default_cache)
        self.part("apache cgi-bin", self.apache)
        self.part("static", self.static_bin)
        self.part("dist-cgi", lambda: self.r.check("dist-cgi: the archive, unpacked as its"
                                                   " README says, serves", self.dist_cgi))
        self.part("static run.py", lambda: self.r.check("static: run.py CGI checks ran",
                                                         self.static_integration))


def fcgi_record(rtype, rid, content):
    return struct.pack(">BBHHBx", 1, rtype, rid, len(content), 0) + content


def fcgi_params(pairs):
    out = b""
    for k, v in pairs.items():
        k, v = k.encode(), v.encode()
        for n in (len(k), len(v)):
            out += bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
        out += k + v
    return out


def fcgi_get(sock, path):
    """One FastCGI GET of PATH on the unix socket SOCK: (status, body)."""
    c = socket.socket(socket.AF_UNIX)
    c.settimeout(30)
    c.connect(sock)
    params = fcgi_params({"REQUEST_METHOD": "GET", "REQUEST_URI": path, "QUERY_STRING": "",
                          "SCRIPT_NAME": "", "GATEWAY_INTERFACE": "CGI/1.1"})
    c.sendall(fcgi_record(1, 1, struct.pack(">HB5x", 1, 0)) + fcgi_record(4, 1, params) +
              fcgi_record(4, 1, b"") + fcgi_record(5, 1, b""))
    data = b""
    out = b""
    while True:
        chunk = c.recv(65536)
        if not chunk:
            break
        data += chunk
        done = False
        while len(data) >= 8:
            _, rtype, _, clen, plen = struct.unpack(">BBHHB", data[:7])
            if len(data) < 8 + clen + plen:
                break
            if rtype == 6:
                out += data[8:8 + clen]
            if rtype == 3:
                done = True
            data = data[8 + clen + plen:]
        if done:
            break
    c.close()
    r = stk.parse_cgi_output(out)
    return r.status, r.body


def main():
    ap = stk.suite_arguments(__doc__, keep=False)
    ap.add_argument("--static", default=os.path.join(ROOT, "build", "static", "xsltpress"))
    args = stk.parse_suite_arguments(ap)
    return deploy.suite_main("cgi", args, lambda runner, binary: Parts(
        runner, binary, os.path.abspath(args.static)).run())


if __name__ == "__main__":
    sys.exit(main())
