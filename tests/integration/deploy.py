#!/usr/bin/env python3
"""Deployment tests: the configurations in conf/ run for real (Python 3 stdlib).

    python3 tests/integration/deploy.py            # everything
    python3 tests/integration/deploy.py -k apache  # only checks whose name has "apache"
    python3 tests/integration/deploy.py -v         # also print passing checks

What runs (each part in its own temporary directory, every server on
127.0.0.1 and a free port, stopped by pid at the end, also on failure):

  apache proxy_fcgi   a real Apache 2.4 (mpm_event) with conf/apache-proxy-fcgi.conf,
                      the engine on a unix socket (group www-data, mode 0660)
  apache fcgid        Apache starting the engine itself, conf/apache-fcgid.conf
  apache cgi          plain CGI under /blog/ with conf/apache-cgi.htaccess
                      (AllowOverride All, mod_rewrite, mod_cgid, SetEnv)
  nginx /blog/        conf/nginx-dev.conf.in mounted at /blog/, base_path=/blog/
                      Each of these four runs the integration checks of run.py
                      (status table, listings, articles, canonical links, HEAD,
                      content types, concurrency) through the real server.
  fleet               conf/nginx-fleet.conf with two engines; one is killed with
                      SIGKILL under load and restarted: no client request fails;
                      then its micro-cache (on as shipped): HIT, HEAD apart from GET
  lighttpd            conf/lighttpd.conf as shipped (mod_fastcgi) in a generated
                      main config: run.py's checks and a crawl through it
  spawn-fcgi          conf/spawn-fcgi.sh: fd 0 socket, 0660, SIGTERM exit 0
  links               a crawler follows every internal <a href>/<link href> from
                      the home page (nginx at /, nginx at /blog/, the static
                      export served by plain nginx); Debian's linkchecker once
  install             make install/uninstall with DESTDIR and PREFIX
  systemd             systemd-analyze verify of conf/xsltpress.socket/.service
  man                 mandoc -Tlint of man/*.[58]

Needs (scripts/deps.sh test): nginx, apache2, libapache2-mod-fcgid,
lighttpd, spawn-fcgi, libfcgi-bin, mandoc, systemd, linkchecker.  Apache refuses to
serve as root, so its workers run as www-data (as in production): run as
root, or as a user that may start Apache on a high port.

Every failure is printed with its reason; the last line is exactly
"N passed, N failed"; the exit status is 1 when anything failed.
"""

import collections
import grp
import html.parser
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import types
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import stack as stk  # noqa: E402
import run as itest  # noqa: E402  (the check table and the page model)

ROOT = stk.ROOT
CONF = os.path.join(ROOT, "conf")
ensure = itest.ensure
CheckFailed = itest.CheckFailed

APACHE_MODULES = "/usr/lib/apache2/modules"
# what conf/apache-proxy-fcgi.conf's one-second cache needs (a2enmod)
APACHE_CACHE_MODULES = ["cache", "cache_socache", "socache_shmcb", "headers", "env"]
APACHE_CACHE_ROOT = "${APACHE_RUN_DIR}/xsltpress-cache"
# placeholders of the shipped configurations, replaced by the tests
CONF_SOCKET = "/run/xsltpress/xsltpress.sock"
CONF_BIN = "/usr/local/bin/xsltpress"
CONF_FILE = "/etc/xsltpress/xsltpress.conf"
CGI_HOME = "/home/example/xsltpress"

_procs = []          # every Popen started here, stopped at exit
_tmpdirs = []        # removed after each part
_final_dirs = []     # removed at the very end


def cleanup():
    for p in reversed(_procs):
        stk.stop_process(p, timeout=10)
    del _procs[:]
    for d in _tmpdirs:
        shutil.rmtree(d, ignore_errors=True)
    del _tmpdirs[:]
    _public.clear()


def mkdtemp(tag):
    d = tempfile.mkdtemp(prefix="xsltpress-deploy-%s." % tag)
    os.chmod(d, 0o755)      # Apache's workers (www-data) walk into it
    _tmpdirs.append(d)
    return d


_public = {}


def public_site(binary=None):
    """A copy of the program, the articles and the stylesheets that the
    web server's own user (www-data) can reach: the checkout may sit under
    a folder closed to others (a CI clone in a 0700 temp dir), and Apache
    runs mod_fcgid and CGI programs as www-data.  Made once per run."""
    if not _public:
        d = mkdtemp("public")
        shutil.copytree(os.path.join(ROOT, "articles"), os.path.join(d, "articles"))
        shutil.copytree(os.path.join(ROOT, "xslt"), os.path.join(d, "xslt"))
        shutil.copy(binary or stk.default_binary(), os.path.join(d, "xsltpress"))
        os.chmod(os.path.join(d, "xsltpress"), 0o755)
        for root, dirs, files in os.walk(d):
            for n in dirs:
                os.chmod(os.path.join(root, n), 0o755)
            for n in files:
                if n != "xsltpress":
                    os.chmod(os.path.join(root, n), 0o644)
        _public.update(dir=d, articles=os.path.join(d, "articles"),
                       xslt=os.path.join(d, "xslt"), bin=os.path.join(d, "xsltpress"))
    return _public


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, mode)


def tail(path, n=15):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join(lines[-n:])
    except OSError:
        return ""


def can_connect_tcp(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def can_connect_unix(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def www_ids():
    try:
        return pwd.getpwnam("www-data").pw_uid, grp.getgrnam("www-data").gr_gid
    except KeyError:
        return None, None


def wait_for(cond, timeout, proc=None, what="", log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise CheckFailed("%s exited with status %s before it was ready%s"
                              % (what, proc.returncode, (":\n" + tail(log)) if log else ""))
        if cond():
            return
        time.sleep(0.05)
    raise CheckFailed("%s not ready within %.0fs%s" % (what, timeout, (":\n" + tail(log)) if log else ""))


# ---------------------------------------------------------------------------
# Starting things
# ---------------------------------------------------------------------------

def start_engine(binary, sock, env_extra, log, group=None, conf=""):
    """The engine on a unix socket; GROUP (a gid) owns the socket, as with
    Group=www-data in a service."""
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("XSLTPRESS_") or k == "GATEWAY_INTERFACE":
            del env[k]
    env.update(env_extra)
    cmd = [binary] + (["-c", conf] if conf else ["-c", os.devnull]) + ["-s", "unix:" + sock]
    out = open(log, "ab")
    kw = {}
    if group is not None and os.geteuid() == 0:
        kw["group"] = group
    p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                         stdout=out, stderr=subprocess.STDOUT, **kw)
    out.close()
    _procs.append(p)
    wait_for(lambda: os.path.exists(sock) and can_connect_unix(sock), 15, p,
             "xsltpress on %s" % sock, log)
    # It listens before it has read its folder and answers 503 meanwhile:
    # the checks start once it has, as a person would after the first 503.
    wait_for(lambda: loaded(sock), 30, p, "xsltpress on %s to load its folder" % sock, log)
    return p


def loaded(sock):
    """True once the engine on SOCK answers anything but 503."""
    try:
        return stk.run_cgi_fcgi(types.SimpleNamespace(sock=sock), "HEAD", "/", timeout=10).status != 503
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return False


def start_nginx(d, http_body, port, log_name="nginx", full_conf=None):
    """nginx with HTTP_BODY inside http {} (or FULL_CONF, whose pid file
    must be D/LOG_NAME.pid) and everything under D."""
    conf = os.path.join(d, log_name + ".conf")
    pid = os.path.join(d, log_name + ".pid")
    err = os.path.join(d, log_name + "-error.log")
    if full_conf is not None:
        write(conf, full_conf)
    else:
        write(conf, "pid %s;\nerror_log %s info;\nworker_processes 2;\n"
                    "events { worker_connections 256; }\nhttp {\n"
                    " client_body_temp_path %s/cb; proxy_temp_path %s/p; fastcgi_temp_path %s/f;"
                    " uwsgi_temp_path %s/u; scgi_temp_path %s/s;\n"
                    " include /etc/nginx/mime.types;\n default_type application/octet-stream;\n%s\n}\n"
              % ((pid, err) + (d,) * 5 + (http_body,)))
    g = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    out = open(os.path.join(d, log_name + ".out"), "ab")
    p = subprocess.Popen([stk.find_nginx(), "-p", d, "-e", err, "-c", conf, "-g", g],
                         cwd=d, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    out.close()
    _procs.append(p)
    wait_for(lambda: os.path.exists(pid) and can_connect_tcp(port), 15, p, "nginx",
             os.path.join(d, log_name + ".out"))
    return p


def stop(p, sig=signal.SIGTERM):
    rc = stk.stop_process(p, sig=sig)
    if p in _procs:
        _procs.remove(p)
    return rc


def nginx_errors(d, name="nginx"):
    lines = tail(os.path.join(d, name + "-error.log"), 10000).splitlines()
    return [l for l in lines if any(t in l for t in ("[error]", "[crit]", "[alert]", "[emerg]"))]


def find_apache():
    for p in (shutil.which("apache2"), "/usr/sbin/apache2"):
        if p and os.access(p, os.X_OK):
            return p
    raise CheckFailed("apache2 not found (apt-get install apache2)")


class Apache:
    """apache2 -d DIR -f DIR/httpd.conf -DFOREGROUND with only the modules
    asked for, on 127.0.0.1:PORT, workers as www-data; mpm_event, or
    mpm_prefork (with mod_cgi, as shared hosts run CGI)."""

    def __init__(self, d, port, modules, site_conf, mpm="event"):
        self.mpm = mpm
        self.d = d
        self.port = port
        self.modules = modules
        self.site_conf = site_conf
        self.proc = None

    def config(self):
        uid, gid = www_ids()
        lines = [
            "ServerRoot %s" % self.d,
            "Define APACHE_LOG_DIR %s/logs" % self.d,
            "DefaultRuntimeDir %s/run" % self.d,
            "PidFile %s/run/apache2.pid" % self.d,
            "Mutex file:%s/run default" % self.d,
            "Listen 127.0.0.1:%d" % self.port,
            "ServerName 127.0.0.1",
            "ErrorLog %s/logs/error.log" % self.d,
            "LogLevel warn",
            "LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b\" combined",
            "CustomLog %s/logs/access.log combined" % self.d,
        ]
        if self.mpm == "prefork":
            lines += [
                "LoadModule mpm_prefork_module %s/mod_mpm_prefork.so" % APACHE_MODULES,
                "StartServers 4", "MinSpareServers 4", "MaxSpareServers 16",
                "MaxRequestWorkers 32",
            ]
        else:
            lines += [
                "LoadModule mpm_event_module %s/mod_mpm_event.so" % APACHE_MODULES,
                "StartServers 1", "ServerLimit 4", "ThreadsPerChild 16",
                "MaxRequestWorkers 64", "MinSpareThreads 8", "MaxSpareThreads 32",
            ]
        lines += [
            "LoadModule authz_core_module %s/mod_authz_core.so" % APACHE_MODULES,
            "ServerTokens Prod",
        ]
        if os.geteuid() == 0 and uid is not None:
            lines += ["User www-data", "Group www-data"]
        for m in self.modules:
            lines.append("LoadModule %s_module %s/mod_%s.so" % (m, APACHE_MODULES, m))
        if "mime" in self.modules:
            lines.append("TypesConfig /etc/mime.types")
        if "cgid" in self.modules:
            lines.append("ScriptSock %s/run/cgisock" % self.d)
        if "fcgid" in self.modules:
            lines += ["FcgidIPCDir %s/run/fcgid" % self.d,
                      "FcgidProcessTableFile %s/run/fcgid_shm" % self.d]
        lines += ["<Directory />", "    AllowOverride None", "    Require all granted",
                  "</Directory>", ""]
        return "\n".join(lines) + "\n" + self.site_conf

    def start(self):
        uid, gid = www_ids()
        for sub in ("logs", "run", "run/fcgid"):
            os.makedirs(os.path.join(self.d, sub), exist_ok=True)
        if os.geteuid() == 0 and uid is not None:
            # the workers write there (cgid socket, fcgid sockets)
            for sub in ("run", "run/fcgid"):
                os.chown(os.path.join(self.d, sub), uid, gid)
        conf = os.path.join(self.d, "httpd.conf")
        write(conf, self.config())
        apache = find_apache()
        t = subprocess.run([apache, "-d", self.d, "-f", conf, "-t"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        if t.returncode != 0:
            raise CheckFailed("apache2 -t: %s" % t.stdout.decode("utf-8", "replace")[-800:])
        out = open(os.path.join(self.d, "logs", "apache.out"), "ab")
        env = dict(os.environ)
        env.pop("GATEWAY_INTERFACE", None)
        self.proc = subprocess.Popen([apache, "-d", self.d, "-f", conf, "-DFOREGROUND"],
                                     cwd=self.d, env=env, stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=subprocess.STDOUT,
                                     # prefork signals its whole process
                                     # group on shutdown: give it its own
                                     start_new_session=True)
        out.close()
        _procs.append(self.proc)
        wait_for(lambda: os.path.exists(os.path.join(self.d, "run", "apache2.pid"))
                 and can_connect_tcp(self.port), 20, self.proc, "apache2",
                 os.path.join(self.d, "logs", "error.log"))

    def stop(self):
        if self.proc is not None:
            stop(self.proc, signal.SIGTERM)
            self.proc = None

    def errors(self):
        lines = tail(os.path.join(self.d, "logs", "error.log"), 10000).splitlines()
        return [l for l in lines if re.search(r":(error|crit|alert|emerg)\]", l)]


# ---------------------------------------------------------------------------
# The integration checks of run.py, through any front end, at any prefix
# ---------------------------------------------------------------------------

ROOT_LINK_RE = re.compile(r'''(\s(?:href|src|action)=")(/[^"]*)"''')


class FrontSuite(itest.Suite):
    """run.py's Suite pointed at ORIGIN + PREFIX.  Under a prefix, every
    root-relative link and Location must carry it; the prefix is then taken
    off so that run.py's checks (written for a site at /) apply unchanged."""

    def __init__(self, runner, articles, origin, prefix, label):
        self.origin = origin.rstrip("/")
        self.prefix = prefix.rstrip("/")          # "" or "/blog"
        self.label = label
        st = types.SimpleNamespace(url=self.origin + self.prefix)
        super().__init__(st, runner, articles)

    def get(self, path, method="GET", **kw):
        r = stk.http_request(method, self.origin + self.prefix + path, **kw)
        if not self.prefix:
            return r
        body = r.body
        ct = (r.header("Content-Type") or "").lower()
        if ct.startswith("text/html") and body:
            text = body.decode("utf-8", "replace")
            bad = [u for _, u in ROOT_LINK_RE.findall(text)
                   if not (u == self.prefix or u.startswith(self.prefix + "/"))]
            ensure(not bad, "%s %s: links outside %s/: %r" % (method, path, self.prefix, bad[:5]))
            text = ROOT_LINK_RE.sub(lambda m: m.group(1) + (m.group(2)[len(self.prefix):] or "/") + '"',
                                    text)
            body = text.encode("utf-8")
        headers = []
        for k, v in r.headers:
            if k.lower() == "location":
                u = urllib.parse.urlsplit(v)
                ensure(u.path.startswith(self.prefix + "/"),
                       "%s %s: Location %r is not under %s/" % (method, path, v, self.prefix))
                v = u.path[len(self.prefix):] + ("?" + u.query if u.query else "")
            headers.append((k, v))
        return stk.Response(r.status, r.reason, headers, body)

    def run(self):
        R = self.r
        L = self.label + ": "
        for row in self.status_table():
            R.check(L + "status %s %s" % (row[0], row[1]), self.check_status_row, *row)
        R.check(L + "listing page 1 content", self.check_page1)
        R.check(L + "listing page 1 rel=next", self.check_page1_next)
        R.check(L + "listing page 2 content", self.check_page2)
        R.check(L + "listing page 2 rel=prev", self.check_page2_prev)
        R.check(L + "listings cover all articles", self.check_listing_covers_all)
        cards = self.article_cards()
        if not cards and R.wanted(L + "article"):
            R.fail(L + "article pages", "no article links found on the listings")
        for path, (title, minutes) in sorted(cards.items()):
            R.check(L + "article %s" % path, self.check_article, path, title, minutes)
        for path in ["/", "/page/2/"] + sorted(cards)[:1]:
            R.check(L + "canonical link %s" % path, self.check_canonical, path)
        for path in ["/", "/page/2/", "/style.css", "/no-such-page", "/page/abc/"] + sorted(cards)[:1]:
            R.check(L + "HEAD %s" % path, self.check_head, path)
        R.check(L + "64 concurrent requests", self.check_concurrent)


def engine_conf(d, origin, base_path=None, name="xsltpress.conf"):
    pub = public_site()
    lines = ["articles_dir = %s" % pub["articles"],
             "xslt_dir = %s" % pub["xslt"],
             "base_url = %s" % origin,
             "log_level = warn"]
    if base_path:
        lines.append("base_path = %s" % base_path)
    path = os.path.join(d, name)
    write(path, "\n".join(lines) + "\n")
    return path


def apache_cache_root(d):
    """Where the shipped config's shared-memory cache would keep its file
    (shmcb uses anonymous memory, and a file only where that is missing):
    in a folder that Apache's workers (www-data) own."""
    root = os.path.join(d, "apache-cache")
    os.makedirs(root, exist_ok=True)
    uid, gid = www_ids()
    if os.geteuid() == 0 and uid is not None:
        os.chown(root, uid, gid)
    return os.path.join(root, "xsltpress-cache")


def shipped_nginx_site(name, socks, port, d, fleet=False, replace=None):
    """conf/NAME as shipped, with only the deployment's socket(s) (SOCKS),
    port and cache folder (under D) replaced, and the REPLACE pairs (such
    as the articles folder) that a person sets when installing it."""
    text = read(os.path.join(ROOT, "conf", name))
    if fleet:
        for i, s in enumerate(socks, 1):
            old = "unix:/run/xsltpress/xsltpress-%d.sock" % i
            ensure(old in text, "%s has no server %s" % (name, old))
            text = text.replace(old, "unix:" + s)
    else:
        ensure(CONF_SOCKET in text, "%s has no %s" % (name, CONF_SOCKET))
        text = text.replace("unix:" + CONF_SOCKET, "unix:" + socks[0])
    for a, b in (replace or {}).items():
        ensure(a in text, "%s does not mention %s" % (name, a))
        text = text.replace(a, b)
    m = re.search(r"^fastcgi_cache_path (\S+) ", text, re.M)
    ensure(m, "%s has no fastcgi_cache_path: the micro-cache is not on" % name)
    cache = os.path.join(d, "nginx-cache")
    os.makedirs(cache, exist_ok=True)
    text = text.replace(m.group(1) + " ", cache + " ")
    text = re.sub(r"^\s*listen\s+\[::\]:80(\s[^;]*)?;\s*$", "", text, flags=re.M)
    ensure(re.search(r"^\s*listen\s+80(\s[^;]*)?;", text, re.M), "%s: no listen 80" % name)
    text = re.sub(r"^(\s*)listen\s+80(\s[^;]*)?;", r"\1listen 127.0.0.1:%d\2;" % port,
                  text, flags=re.M)
    return text


def apache_site(name, port, repl):
    text = read(os.path.join(CONF, name))
    ensure("<VirtualHost *:80>" in text, "%s: no <VirtualHost *:80>" % name)
    text = text.replace("<VirtualHost *:80>", "<VirtualHost *:%d>" % port)
    for a, b in repl.items():
        ensure(a in text, "%s does not mention %s" % (name, a))
        text = text.replace(a, b)
    return text


# ---------------------------------------------------------------------------
# Link crawler
# ---------------------------------------------------------------------------

class LinkParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag in ("a", "link") and a.get("href") is not None:
            self.links.append((tag, a["href"]))

    handle_startendtag = handle_starttag


def crawl(origin, start, limit=3000):
    """Follow every <a href> and <link href> on ORIGIN below START.

    Returns (pages_fetched, problems).  Every internal link must answer
    200 (no redirect), stay under START, and a #fragment must name an id
    of its page."""
    origin = origin.rstrip("/")
    host = urllib.parse.urlsplit(origin).netloc
    seen = {}
    queue = collections.deque([(origin + start, "(start)")])
    problems = []
    fragments = []          # (url, fragment, referrer)
    ids_of = {}
    while queue and len(seen) < limit:
        url, ref = queue.popleft()
        if url in seen:
            continue
        try:
            r = stk.http_request("GET", url, timeout=30)
        except Exception as e:  # noqa: BLE001
            problems.append("%s (linked from %s): %s" % (url, ref, e))
            seen[url] = None
            continue
        seen[url] = r.status
        if r.status != 200:
            problems.append("%s (linked from %s) answered %s%s" % (
                url, ref, r.status,
                " -> " + r.header("Location", "") if r.header("Location") else ""))
            continue
        if not (r.header("Content-Type") or "").lower().startswith("text/html"):
            continue
        p = LinkParser()
        p.feed(r.body.decode("utf-8", "replace"))
        ids_of[url] = p.ids
        for tag, href in p.links:
            full = urllib.parse.urljoin(url, href)
            u = urllib.parse.urlsplit(full)
            if u.scheme not in ("http", "https") or u.netloc != host:
                continue            # external: not ours to check
            target = urllib.parse.urlunsplit((u.scheme, u.netloc, u.path, u.query, ""))
            if not u.path.startswith(start):
                problems.append("%s links <%s href=%r>, outside %s" % (url, tag, href, start))
                continue
            if u.fragment:
                fragments.append((target, u.fragment, url))
            if target not in seen:
                queue.append((target, url))
    for target, frag, ref in fragments:
        if target in ids_of and frag not in ids_of[target]:
            problems.append("%s links #%s, which %s does not have" % (ref, frag, target))
    if queue:
        problems.append("more than %d pages: stopped crawling" % limit)
    return len(seen), problems


def check_crawl(origin, start, min_pages):
    n, problems = crawl(origin, start)
    print("links: %d URLs reached from %s%s" % (n, origin, start), flush=True)
    ensure(not problems, "%d broken links of %d URLs: %s" % (len(problems), n, "; ".join(problems[:6])))
    ensure(n >= min_pages, "only %d URLs reached from %s, want at least %d" % (n, start, min_pages))


# ---------------------------------------------------------------------------
# The parts
# ---------------------------------------------------------------------------

class Deploy:
    def __init__(self, runner, binary, articles_dir):
        self.r = runner
        self.bin = binary
        self.articles_dir = articles_dir
        self.articles = itest.load_articles(articles_dir)
        self.min_pages = len(self.articles) + 5
        self.install_root = None        # a make install tree, for systemd verify

    def part(self, name, fn):
        """Run one part (all of them, or those whose name matches -k); a
        failure to set it up is one failed check."""
        pat = self.r.pattern
        if pat and pat not in name and name not in pat:
            return
        try:
            fn()
        except CheckFailed as e:
            self.r.fail(name + ": set up", str(e))
        except Exception as e:  # noqa: BLE001
            self.r.fail(name + ": set up", "%s: %s" % (type(e).__name__, e))
        finally:
            cleanup()

    # -- Apache: mod_proxy_fcgi ----------------------------------------------
    def apache_proxy_fcgi(self):
        L = "apache proxy_fcgi"
        d = mkdtemp("proxyfcgi")
        port = stk.free_port()
        origin = "http://127.0.0.1:%d" % port
        uid, gid = www_ids()
        conf = engine_conf(d, origin)
        sock = os.path.join(d, "xsltpress.sock")
        start_engine(self.bin, sock, {}, os.path.join(d, "engine.log"), group=gid, conf=conf)

        def socket_mode():
            st = os.stat(sock)
            ensure(st.st_mode & 0o777 == 0o660, "socket mode %o, want 0660" % (st.st_mode & 0o777))
            if os.geteuid() == 0 and gid is not None:
                ensure(st.st_gid == gid, "socket group %d, want www-data (%d)" % (st.st_gid, gid))
        self.r.check(L + ": engine socket is 0660, group www-data", socket_mode)
        os.makedirs(os.path.join(d, "htdocs"))
        site = apache_site("apache-proxy-fcgi.conf", port, {
            CONF_SOCKET: sock, "/var/www/html": os.path.join(d, "htdocs"),
            APACHE_CACHE_ROOT: apache_cache_root(d)})
        ap = Apache(d, port, ["proxy", "proxy_fcgi"] + APACHE_CACHE_MODULES, site)
        ap.start()
        FrontSuite(self.r, self.articles, origin, "", L).run()
        self.r.check(L + ": no errors in Apache's error log",
                     lambda: ensure(not ap.errors(), " | ".join(ap.errors()[:5])))
        ap.stop()

    # -- lighttpd: mod_fastcgi, conf/lighttpd.conf as shipped ------------------------
    def lighttpd(self):
        L = "lighttpd"
        exe = shutil.which("lighttpd") or ("/usr/sbin/lighttpd" if os.access("/usr/sbin/lighttpd", os.X_OK) else None)
        ensure(exe, "lighttpd is not installed (apt-get install lighttpd)")
        d = mkdtemp("lighttpd")
        port = stk.free_port()
        origin = "http://127.0.0.1:%d" % port
        conf = engine_conf(d, origin)
        sock = os.path.join(d, "xsltpress.sock")
        start_engine(self.bin, sock, {}, os.path.join(d, "engine.log"), conf=conf)
        shipped = read(os.path.join(CONF, "lighttpd.conf"))
        ensure(CONF_SOCKET in shipped, "lighttpd.conf has no %s" % CONF_SOCKET)
        write(os.path.join(d, "xsltpress-lighttpd.conf"), shipped.replace(CONF_SOCKET, sock))
        os.makedirs(os.path.join(d, "www"))
        os.makedirs(os.path.join(d, "tmp"))
        # what Debian's /etc/lighttpd/lighttpd.conf sets, with every path in D
        main = ('server.document-root = "%s/www"\nserver.bind = "127.0.0.1"\nserver.port = %d\n'
                'server.pid-file = "%s/lighttpd.pid"\nserver.errorlog = "%s/lighttpd-error.log"\n'
                'server.upload-dirs = ( "%s/tmp" )\nserver.max-connections = 1024\n'
                'include "%s/xsltpress-lighttpd.conf"\n' % (d, port, d, d, d, d))
        write(os.path.join(d, "lighttpd.conf"), main)
        out = open(os.path.join(d, "lighttpd.out"), "ab")
        p = subprocess.Popen([exe, "-D", "-f", os.path.join(d, "lighttpd.conf")], cwd=d,
                             stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        out.close()
        _procs.append(p)
        wait_for(lambda: can_connect_tcp(port), 15, p, "lighttpd", os.path.join(d, "lighttpd.out"))
        FrontSuite(self.r, self.articles, origin, "", L).run()
        self.r.check("links: crawl lighttpd from /", check_crawl, origin, "/", self.min_pages)

        def no_errors():
            bad = [l for l in tail(os.path.join(d, "lighttpd-error.log"), 10000).splitlines()
                   if "error" in l.lower() or "fail" in l.lower()]
            ensure(not bad, " | ".join(bad[:5]))
        self.r.check(L + ": no errors in lighttpd's error log", no_errors)
        stop(p)

    # -- Apache: mod_fcgid -----------------------------------------------------
    def apache_fcgid(self):
        L = "apache fcgid"
        d = mkdtemp("fcgid")
        port = stk.free_port()
        origin = "http://127.0.0.1:%d" % port
        conf = engine_conf(d, origin)
        os.makedirs(os.path.join(d, "htdocs"))
        fcgid_bin = public_site(self.bin)["bin"]
        site = apache_site("apache-fcgid.conf", port, {
            CONF_BIN: fcgid_bin, CONF_FILE: conf, "/var/www/html": os.path.join(d, "htdocs")})
        ap = Apache(d, port, ["fcgid"], site)
        ap.start()
        FrontSuite(self.r, self.articles, origin, "", L).run()

        def spawned():
            out = subprocess.run(["ps", "-eo", "pid,ppid,user,args"], stdout=subprocess.PIPE,
                                 timeout=10).stdout.decode("utf-8", "replace")
            mine = [l for l in out.splitlines() if fcgid_bin in l and conf in l]
            ensure(mine, "no xsltpress process started by mod_fcgid in ps")
            if os.geteuid() == 0:
                ensure(all(l.split()[2] == "www-data" for l in mine),
                       "mod_fcgid's xsltpress does not run as www-data: %r" % mine)
        self.r.check(L + ": Apache runs the program itself, as www-data", spawned)
        self.r.check(L + ": no errors in Apache's error log",
                     lambda: ensure(not ap.errors(), " | ".join(ap.errors()[:5])))
        ap.stop()
        # mod_fcgid stops its processes with SIGTERM when Apache stops
        leftover = subprocess.run(["pgrep", "-f", conf], stdout=subprocess.PIPE).stdout.split()
        self.r.check(L + ": the program stops with Apache",
                     lambda: ensure(not leftover, "processes left: %r" % leftover))

    # -- Apache: plain CGI under /blog/ with .htaccess ------------------------
    def apache_cgi(self):
        """mpm_prefork + mod_cgi, as shared hosts run CGI."""
        self._apache_cgi("apache cgi /blog/", "prefork", "cgi", full=True)

    def apache_cgid(self):
        """mpm_event + mod_cgid, Debian's default Apache: the script's stdin
        and stdout are one socket, so a request body the program leaves
        unread resets the connection (and truncates the answer)."""
        self._apache_cgi("apache cgid /blog/", "event", "cgid", full=False)

    def _apache_cgi(self, L, mpm, cgi_mod, full):
        d = mkdtemp(cgi_mod)
        port = stk.free_port()
        origin = "http://127.0.0.1:%d" % port
        home = os.path.join(d, "home")
        os.makedirs(home)
        # config outside the document root; base_path only from the .htaccess
        engine_conf(home, origin)
        blog = os.path.join(d, "htdocs", "blog")
        os.makedirs(blog)
        shutil.copy(self.bin, os.path.join(blog, "xsltpress.cgi"))
        os.chmod(os.path.join(blog, "xsltpress.cgi"), 0o755)
        ht = read(os.path.join(CONF, "apache-cgi.htaccess"))
        ensure(CGI_HOME in ht, "apache-cgi.htaccess does not mention %s" % CGI_HOME)
        write(os.path.join(blog, ".htaccess"), ht.replace(CGI_HOME, home))
        site = ("<VirtualHost *:%d>\n    DocumentRoot %s/htdocs\n"
                "    <Directory %s/htdocs>\n        AllowOverride All\n        Require all granted\n"
                "    </Directory>\n</VirtualHost>\n" % (port, d, d))
        ap = Apache(d, port, [cgi_mod, "rewrite", "env", "mime", "dir"], site, mpm=mpm)
        ap.start()
        suite = FrontSuite(self.r, self.articles, origin, "/blog/", L)
        if full:
            suite.run()
        else:
            for row in suite.status_table():
                if row[:2] in (("GET", "/"), ("GET", "/no-such-page"), ("GET", "/style.css"),
                               ("POST", "/")):
                    self.r.check(L + ": status %s %s" % (row[0], row[1]), suite.check_status_row, *row)
            self.r.check(L + ": listing page 1 content", suite.check_page1)

        def bare_prefix():
            r = stk.http_request("GET", origin + "/blog")
            ensure(r.status == 301, "GET /blog answered %s, want 301" % r.status)
            ensure(urllib.parse.urlsplit(r.header("Location", "")).path == "/blog/",
                   "GET /blog: Location %r, want /blog/" % r.header("Location"))
        self.r.check(L + ": /blog redirects to /blog/", bare_prefix)

        def hidden():
            for p in ("/blog/.htaccess", "/blog/xsltpress.cgi"):
                r = stk.http_request("GET", origin + p)
                ensure(r.status in (403, 404), "GET %s answered %s" % (p, r.status))
                ensure(b"SetEnv" not in r.body, "GET %s shows the .htaccess" % p)
        self.r.check(L + ": .htaccess and the script name are not pages", hidden)

        def assets_as_files():
            # with style.css and favicon.svg beside the .htaccess, Apache
            # serves them itself at the fingerprinted URLs the pages link
            page = stk.http_request("GET", origin + "/blog/").body.decode("utf-8", "replace")
            for name, ctype in (("style.css", "text/css"), ("favicon.svg", "image/svg+xml")):
                m = re.search(r'href="(/blog/%s\?v=[0-9a-f]+)"' % re.escape(name), page)
                ensure(m, "no fingerprinted link to %s on /blog/" % name)
                by_program = stk.http_request("GET", origin + m.group(1))
                shutil.copy(os.path.join(public_site(self.bin)["xslt"], name), os.path.join(blog, name))
                r = stk.http_request("GET", origin + m.group(1))
                ensure(r.status == 200 and r.body == by_program.body,
                       "%s as a file: %s, %d bytes (program: %d)" % (name, r.status, len(r.body),
                                                                     len(by_program.body)))
                ensure((r.header("Content-Type") or "").startswith(ctype),
                       "%s as a file: Content-Type %r" % (name, r.header("Content-Type")))
                # the program's answers carry its nosniff header; Apache's file does not
                ensure(by_program.header("X-Content-Type-Options") and
                       not r.header("X-Content-Type-Options"),
                       "%s was not served by Apache as a file" % name)
        if full:
            self.r.check(L + ": style.css and favicon.svg served by Apache as files", assets_as_files)
        self.r.check(L + ": no errors in Apache's error log",
                     lambda: ensure(not ap.errors(), " | ".join(ap.errors()[:5])))
        ap.stop()

    # -- nginx under /blog/ -------------------------------------------------------
    def nginx_prefix(self):
        L = "nginx /blog/"
        d = mkdtemp("nginx-blog")
        port = stk.free_port()
        origin = "http://127.0.0.1:%d" % port
        sock = os.path.join(d, "xsltpress.sock")
        start_engine(self.bin, sock, {"XSLTPRESS_ARTICLES_DIR": self.articles_dir,
                                      "XSLTPRESS_BASE_URL": origin,
                                      "XSLTPRESS_BASE_PATH": "/blog/"},
                     os.path.join(d, "engine.log"), conf=stk.default_conf() or "")
        text = stk.render_template(port, d, sock)
        ensure("location / {" in text, "nginx-dev.conf.in has no 'location / {'")
        # /blog, /blog/ and below go to the engine; the rest of the host is
        # someone else's (here: 404 from nginx)
        text = text.replace("location / {", "location / {\n            return 404;\n        }\n"
                            "        location ^~ /blog {", 1)
        text = text.replace("pid %s/nginx.pid;" % d, "pid %s/nginx.pid;" % d)
        text = text.replace("error_log %s/error.log" % d, "error_log %s/nginx-error.log" % d)
        start_nginx(d, None, port, full_conf=text)
        FrontSuite(self.r, self.articles, origin, "/blog/", L).run()

        def outside():
            r = stk.http_request("GET", origin + "/")
            ensure(r.status == 404, "GET / (outside /blog/) answered %s" % r.status)
            r = stk.http_request("GET", origin + "/blog")
            ensure(r.status == 301 and urllib.parse.urlsplit(r.header("Location", "")).path == "/blog/",
                   "GET /blog answered %s Location %r, want 301 /blog/" % (r.status, r.header("Location")))
            r = stk.http_request("GET", origin + "/blogger/")
            ensure(r.status == 404, "GET /blogger/ answered %s, want 404" % r.status)
        self.r.check(L + ": /blog redirects, paths outside /blog/ are 404", outside)
        self.r.check("links: crawl nginx under /blog/ from /blog/",
                     check_crawl, origin, "/blog/", self.min_pages)
        self.r.check(L + ": no errors in nginx's error log",
                     lambda: ensure(not nginx_errors(d), " | ".join(nginx_errors(d)[:5])))

    # -- nginx at / : crawler, linkchecker ------------------------------------------
    def nginx_links(self):
        d = mkdtemp("links")
        port = stk.free_port()
        origin = "http://127.0.0.1:%d" % port
        sock = os.path.join(d, "xsltpress.sock")
        start_engine(self.bin, sock, {"XSLTPRESS_ARTICLES_DIR": self.articles_dir,
                                      "XSLTPRESS_BASE_URL": origin},
                     os.path.join(d, "engine.log"), conf=stk.default_conf() or "")
        # conf/nginx-dev.conf.in as the integration suite runs it, plus the
        # "LinkChecker" header with which linkchecker lifts its default
        # limit of ~3 requests a second to one host
        text = stk.render_template(port, d, sock)
        ensure("server_tokens off;" in text, "nginx-dev.conf.in has no 'server_tokens off;'")
        text = text.replace("server_tokens off;", "server_tokens off;\n    add_header LinkChecker "
                            "tests always;", 1)
        text = text.replace("error_log %s/error.log" % d, "error_log %s/nginx-error.log" % d)
        start_nginx(d, None, port, full_conf=text)
        self.r.check("links: crawl nginx at / from /", check_crawl, origin, "/", self.min_pages)
        self.r.check("links: Debian linkchecker on nginx at /", self.linkchecker, origin, d)

    def linkchecker(self, url, d):
        exe = shutil.which("linkchecker")
        ensure(exe, "linkchecker is not installed (apt-get install linkchecker)")
        rc = os.path.join(d, "linkcheckerrc")
        write(rc, "[checking]\nthreads=8\nmaxrequestspersecond=500\ntimeout=20\n")
        env = dict(os.environ, HOME=d)
        # intern URLs only (the default): nothing leaves 127.0.0.1
        p = subprocess.run([exe, "-f", rc, "--no-status", "--no-warnings", "-r", "-1",
                            "-o", "text", url + "/"],
                           cwd=d, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
        out = p.stdout.decode("utf-8", "replace")
        m = re.search(r"(\d+) links? in (\d+) URLs? checked", out)
        if m:
            print("links: linkchecker: %s" % m.group(0), flush=True)
        ensure(p.returncode == 0, "linkchecker exited %d: %s" % (
            p.returncode, " | ".join(l for l in out.splitlines() if l.strip())[-800:]))
        ensure(m and int(m.group(2)) >= self.min_pages,
               "linkchecker checked too few URLs: %s" % (m.group(0) if m else out[-300:]))

    def export_available(self):
        p = subprocess.run([self.bin, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=10)
        return b"export" in p.stdout

    def static_export(self):
        L = "export"
        if not self.export_available():
            print("skip: %s --help has no export command" % self.bin, flush=True)
            return
        d = mkdtemp("export")
        port = stk.free_port()
        origin = "http://127.0.0.1:%d" % port
        site = os.path.join(d, "site")
        env = {k: v for k, v in os.environ.items() if not k.startswith("XSLTPRESS_")}
        env.update(XSLTPRESS_ARTICLES_DIR=self.articles_dir, XSLTPRESS_BASE_URL=origin)
        cmd = [self.bin] + (["-c", stk.default_conf()] if stk.default_conf() else []) + ["export", site]
        p = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)

        def ran():
            ensure(p.returncode == 0, "export exited %d: %s" % (
                p.returncode, p.stderr.decode("utf-8", "replace")[-500:]))
            for f in ("index.html", "page/2/index.html", "style.css", "404.html", "feed.xml",
                      "feed.json", "sitemap.xml"):
                ensure(os.path.isfile(os.path.join(site, f)), "export has no %s" % f)
            for slug in self.articles:
                ensure(os.path.isfile(os.path.join(site, "articles", slug, "index.html")),
                       "export has no articles/%s/index.html" % slug)
        if not self.r.check(L + ": xsltpress export writes the site", ran):
            return
        # plain nginx, static files only
        start_nginx(d, """
    access_log off;
    server {
        listen 127.0.0.1:%d;
        root %s;
        index index.html;
        error_page 404 /404.html;
        location / { try_files $uri $uri/ =404; }
    }""" % (port, site), port)

        def same_as_engine():
            for path in ("/", "/page/2/", "/style.css", "/articles/%s/" % sorted(self.articles)[0]):
                r = stk.http_request("GET", origin + path)
                ensure(r.status == 200, "static %s answered %s" % (path, r.status))
                c = subprocess.run([self.bin, "render", path] if not stk.default_conf() else
                                   [self.bin, "-c", stk.default_conf(), "render", path],
                                   cwd=ROOT, env=env, stdout=subprocess.PIPE, timeout=30)
                want = stk.parse_cgi_output(c.stdout).body
                ensure(r.body == want, "static %s differs from `render %s`%s"
                       % (path, path, itest.first_diff(r.body, want)))
            r = stk.http_request("GET", origin + "/no-such-page/")
            ensure(r.status == 404 and b"<html" in r.body.lower(), "static 404 page: %s" % r.status)
        self.r.check(L + ": static files equal the engine's pages", same_as_engine)
        self.r.check("links: crawl the static export (plain nginx) from /",
                     check_crawl, origin, "/", self.min_pages)

    # -- fleet: failover under load ----------------------------------------------
    def fleet_conf(self, d, socks, port, cache=False):
        text = read(os.path.join(CONF, "nginx-fleet.conf"))
        for i, s in enumerate(socks, 1):
            name = "unix:/run/xsltpress/xsltpress-%d.sock" % i
            ensure(name in text, "nginx-fleet.conf has no server %s" % name)
            text = text.replace(name, "unix:" + s)
        ensure("fastcgi_next_upstream error timeout;" in text,
               "nginx-fleet.conf lacks 'fastcgi_next_upstream error timeout;'")
        text = re.sub(r"^\s*listen\s+\[::\]:80(\s[^;]*)?;\s*$", "", text, flags=re.M)
        text = re.sub(r"^(\s*)listen\s+80(\s[^;]*)?;", r"\1listen 127.0.0.1:%d\2;" % port,
                      text, flags=re.M)
        # the micro-cache is on as shipped; its key keeps HEAD apart from GET
        ensure(re.search(r"^\s*map \$request_method \$(\w+)", text, re.M)
               and re.search(r"^\s*fastcgi_cache_key .*\$xsltpress_fleet_method", text, re.M),
               "the fleet's fastcgi_cache_key does not tell HEAD from GET")
        cache_dir = os.path.join(d, "cache-%d" % port)
        os.makedirs(cache_dir, exist_ok=True)
        text = text.replace("/var/cache/nginx/xsltpress-fleet", cache_dir)
        return ("    log_format up '$request_method $request_uri $status \"$upstream_addr\"';\n"
                "    access_log %s/access.log up;\n%s" % (d, text))

    def fleet(self):
        L = "fleet"
        d = mkdtemp("fleet")
        port = stk.free_port()
        origin = "http://127.0.0.1:%d" % port
        env = {"XSLTPRESS_ARTICLES_DIR": self.articles_dir, "XSLTPRESS_BASE_URL": origin}
        socks = [os.path.join(d, "xsltpress-%d.sock" % i) for i in (1, 2)]
        log = os.path.join(d, "engine.log")
        conf = stk.default_conf() or ""
        backends = [start_engine(self.bin, s, env, log, conf=conf) for s in socks]
        start_nginx(d, self.fleet_conf(d, socks, port), port)
        paths = ["/", "/page/2/", "/style.css", "/tags/", "/archive/", "/feed.xml"]
        paths += ["/articles/%s/" % s for s in sorted(self.articles)[:6]]
        want = {}
        for p in paths:
            r = stk.http_request("GET", origin + p)
            ensure(r.status == 200, "GET %s answered %s before the load" % (p, r.status))
            want[p] = r.body
        results = []
        lock = threading.Lock()
        stop_at = time.monotonic() + 10.0
        events = []

        def client(n):
            i = n
            while time.monotonic() < stop_at:
                p = paths[i % len(paths)]
                i += 1
                t0 = time.monotonic()
                try:
                    r = stk.http_request("GET", origin + p, timeout=20)
                    ok = r.status == 200 and r.body == want[p]
                    res = (p, r.status, ok, "" if ok else "%d-byte body" % len(r.body))
                except Exception as e:  # noqa: BLE001
                    res = (p, type(e).__name__, False, "%s, sent %.1f s into the run"
                           % (e, t0 - (stop_at - 10.0)))
                with lock:
                    results.append(res)
        threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        try:
            time.sleep(2.5)
            os.kill(backends[0].pid, signal.SIGKILL)
            backends[0].wait(5)
            events.append(("killed", len(results)))
            time.sleep(2.0)
            backends[0] = start_engine(self.bin, socks[0], env, log, conf=conf)
            events.append(("restarted", len(results)))
        finally:
            for t in threads:
                t.join()
        bad = [r for r in results if not r[2]]
        access = tail(os.path.join(d, "access.log"), 1000000).splitlines()

        def no_failure():
            ensure(len(results) > 200, "only %d requests in 10 s" % len(results))
            if bad:
                # what nginx and the engines said, for a failure to explain itself
                for name in ("nginx-error.log", "engine.log"):
                    lines = [l for l in tail(os.path.join(d, name), 200000).splitlines()
                             if not re.search(r"\[(info|notice)\]", l) or "signal" in l]
                    print("fleet: %s, last lines:\n  %s" % (name, "\n  ".join(lines[-15:])))
                print("fleet: events %r" % events)
            ensure(not bad, "%d of %d requests failed, e.g. %r" % (len(bad), len(results), bad[:3]))
        self.r.check(L + ": SIGKILL of one backend under load: no failed request", no_failure)

        def both_used():
            used = collections.Counter()
            for line in access:
                for s in re.findall(r"unix:(\S+?\.sock)", line):
                    used[s] += 1
            ensure(all(used[s] > 0 for s in socks), "requests per backend: %r" % dict(used))
            # "$upstream_addr" lists every backend tried: "a, b" = retried
            retried = [l for l in access if ".sock, unix:" in l]
            print("fleet: %d requests, %d retried on the other backend after the kill"
                  % (len(results), len(retried)), flush=True)
            ensure(retried, "no request was retried on the other backend: the kill did not "
                   "exercise fastcgi_next_upstream")
        self.r.check(L + ": both backends served, failed-over requests were retried", both_used)

        def back_in_service():
            # after fail_timeout (5 s) nginx tries the restarted backend again
            deadline = time.monotonic() + 8
            while time.monotonic() < deadline:
                stk.http_request("GET", origin + "/")
                lines = tail(os.path.join(d, "access.log"), 20).splitlines()
                if any(('"unix:%s"' % socks[0]) in l for l in lines):
                    return
                time.sleep(0.2)
            raise CheckFailed("the restarted backend got no request within 8 s")
        self.r.check(L + ": the restarted backend serves again", back_in_service)
        errs = [l for l in tail(log, 100000).splitlines() if re.search(r"\[(error|crit)\]", l)]
        self.r.check(L + ": no errors in the engines' logs",
                     lambda: ensure(not errs, " | ".join(errs[:5])))
        # the micro-cache, on as shipped, with a fresh store
        stop(self._last_nginx())
        port2 = stk.free_port()
        origin2 = "http://127.0.0.1:%d" % port2
        start_nginx(d, self.fleet_conf(d, socks, port2, cache=True), port2, "nginx-cache")

        def cache_works():
            first = stk.http_request("GET", origin2 + "/")
            second = stk.http_request("GET", origin2 + "/")
            ensure(first.status == 200 and second.status == 200, "GET / answered %s, %s"
                   % (first.status, second.status))
            ensure(second.header("X-Cache-Status") == "HIT",
                   "second GET / X-Cache-Status %r, want HIT" % second.header("X-Cache-Status"))
            ensure(second.body == first.body, "cached GET / differs from the first")
        self.r.check(L + ": the shipped micro-cache works (HIT)", cache_works)

        def head_then_get():
            h = stk.http_request("HEAD", origin2 + "/page/2/")
            ensure(h.status == 200, "HEAD /page/2/ answered %s" % h.status)
            g = stk.http_request("GET", origin2 + "/page/2/")
            ensure(g.status == 200 and g.body == want["/page/2/"],
                   "GET /page/2/ after a HEAD: %s, %d bytes, want the %d-byte page (a cached "
                   "HEAD answer served to GET?)" % (g.status, len(g.body), len(want["/page/2/"])))
            h2 = stk.http_request("HEAD", origin2 + "/page/2/")
            ensure(h2.body == b"", "HEAD after GET has a body")
        self.r.check(L + ": cache key keeps HEAD and GET apart", head_then_get)
        self.r.check(L + ": no errors in nginx's error logs", lambda: ensure(
            not nginx_errors(d, "nginx-cache"), " | ".join(nginx_errors(d, "nginx-cache")[:5])))

    def _last_nginx(self):
        for p in reversed(_procs):
            if p.args and os.path.basename(str(p.args[0])) == "nginx":
                return p
        return None

    # -- spawn-fcgi -----------------------------------------------------------------
    def spawn_fcgi(self):
        L = "spawn-fcgi"
        ensure(shutil.which("spawn-fcgi"), "spawn-fcgi is not installed (apt-get install spawn-fcgi)")
        d = mkdtemp("spawn")
        conf = engine_conf(d, "http://127.0.0.1")
        sock = os.path.join(d, "run", "xsltpress.sock")
        env = {k: v for k, v in os.environ.items() if not k.startswith("XSLTPRESS")}
        user = "www-data" if os.geteuid() == 0 and www_ids()[0] is not None else pwd.getpwuid(os.geteuid()).pw_name
        env.update(XSLTPRESS=public_site(self.bin)["bin"], XSLTPRESS_CONF=conf, SOCKET=sock, FOREGROUND="yes",
                   PIDFILE=os.path.join(d, "run", "xsltpress.pid"), RUN_USER=user, RUN_GROUP=user,
                   SOCKET_USER=user, SOCKET_GROUP=user)
        out = open(os.path.join(d, "spawn.log"), "ab")
        p = subprocess.Popen(["sh", os.path.join(CONF, "spawn-fcgi.sh")], cwd=d, env=env,
                             stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        out.close()
        _procs.append(p)
        wait_for(lambda: os.path.exists(sock) and can_connect_unix(sock), 15, p, "spawn-fcgi",
                 os.path.join(d, "spawn.log"))

        def served():
            st = os.stat(sock)
            ensure(st.st_mode & 0o777 == 0o660, "socket mode %o, want 0660" % (st.st_mode & 0o777))
            ensure(pwd.getpwuid(st.st_uid).pw_name == user, "socket owner %d, want %s" % (st.st_uid, user))
            r = stk.run_cgi_fcgi(types.SimpleNamespace(sock=sock), "GET", "/page/2/")
            ensure(r.status == 200 and b"Page 2 of" in r.body, "GET /page/2/ answered %s" % r.status)
            ps = subprocess.run(["ps", "-o", "user=,args=", "-p", str(p.pid)], stdout=subprocess.PIPE,
                                timeout=10).stdout.decode().split()
            ensure(ps and ps[0] == user and public_site()["bin"] in ps,
                   "pid %d is %r, want %s running as %s"
                   % (p.pid, ps, public_site()["bin"], user))
        self.r.check(L + ": conf/spawn-fcgi.sh serves on fd 0, socket 0660", served)

        def graceful():
            rc = stop(p, signal.SIGTERM)
            ensure(rc == 0, "exit status %s after SIGTERM" % rc)
        self.r.check(L + ": SIGTERM stops it with status 0", graceful)

    # -- user = : least privilege with -s --------------------------------------------
    def drop_user(self):
        L = "user ="
        uid, gid = www_ids()
        if os.geteuid() != 0 or uid is None:
            print("skip: user = needs root and a www-data user", flush=True)
            return
        d = mkdtemp("user")
        sock = os.path.join(d, "xsltpress.sock")
        # the site www-data can read: the checkout may be closed to it (a
        # CI clone in a 0700 temp dir), and the folder is read after the drop
        p = start_engine(self.bin, sock, {"XSLTPRESS_USER": "www-data"},
                         os.path.join(d, "engine.log"), conf=engine_conf(d, "http://127.0.0.1"))

        def dropped():
            st = os.stat(sock)
            ensure(st.st_mode & 0o777 == 0o660, "socket mode %o, want 0660" % (st.st_mode & 0o777))
            ensure((st.st_uid, st.st_gid) == (uid, gid), "socket owned by %d:%d, want www-data"
                   % (st.st_uid, st.st_gid))
            ids = {}
            with open("/proc/%d/status" % p.pid) as f:
                for line in f:
                    k, _, v = line.partition(":")
                    ids[k] = v.split()
            ensure(ids["Uid"] == [str(uid)] * 4 and ids["Gid"] == [str(gid)] * 4,
                   "process ids Uid %r Gid %r, want www-data everywhere" % (ids["Uid"], ids["Gid"]))
            ensure(ids.get("Groups", []) == [], "supplementary groups kept: %r" % ids.get("Groups"))
            r = stk.run_cgi_fcgi(types.SimpleNamespace(sock=sock), "GET", "/")
            ensure(r.status == 200, "GET / answered %s" % r.status)
        self.r.check(L + " www-data: root dropped after listening, socket handed over", dropped)
        self.r.check(L + " www-data: SIGTERM exit 0",
                     lambda: ensure(stop(p) == 0, "exit status %s" % p.returncode))

    # -- make install / uninstall -------------------------------------------------------
    def make(self, *args):
        bdir = os.path.dirname(self.bin)
        cmd = ["make", "--no-print-directory", "-C", ROOT, "BUILD=" + bdir,
               "-o", os.path.join(bdir, "xsltpress")] + list(args)
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)

    def install(self):
        L = "install"
        d = mkdtemp("install")
        for prefix in ("/usr/local", "/usr"):
            dest = os.path.join(d, "root" + prefix.replace("/", "-"))
            p = self.make("install", "DESTDIR=" + dest, "PREFIX=" + prefix)
            if not self.r.check(L + ": make install DESTDIR PREFIX=%s" % prefix, lambda: ensure(
                    p.returncode == 0, "exit %d: %s" % (p.returncode, p.stdout.decode()[-800:]))):
                continue
            pre = dest + prefix
            conf_path = (dest + "/etc/xsltpress/xsltpress.conf" if prefix == "/usr"
                         else pre + "/share/xsltpress/xsltpress.conf")
            binary = pre + "/bin/xsltpress"

            def tree(pre=pre, conf_path=conf_path, binary=binary):
                for f in (binary, conf_path, pre + "/share/man/man8/xsltpress.8",
                          pre + "/share/man/man5/xsltpress.conf.5",
                          pre + "/share/xsltpress/examples/xsltpress.service",
                          pre + "/share/xsltpress/examples/nginx-fleet.conf",
                          pre + "/share/xsltpress/examples/lighttpd.conf"):
                    ensure(os.path.isfile(f), "%s was not installed" % f[len(dest):])
                ensure(os.access(binary, os.X_OK), "the binary is not executable")
                for f in os.listdir(os.path.join(ROOT, "xslt")):
                    g = os.path.join(pre, "share/xsltpress/xslt", f)
                    ensure(os.path.isfile(g) and read(g) == read(os.path.join(ROOT, "xslt", f)),
                           "stylesheet %s missing or different" % f)
                c = read(conf_path)
                ensure("xslt_dir = %s/share/xsltpress/xslt" % prefix in c,
                       "installed config does not point xslt_dir at %s/share/xsltpress/xslt" % prefix)
                outside = [f for f in os.listdir(dest) if f not in ("usr", "etc")]
                ensure(not outside, "files outside PREFIX: %r" % outside)
            self.r.check(L + " PREFIX=%s: files in place" % prefix, tree)

            def runs(pre=pre, conf_path=conf_path, binary=binary):
                v = subprocess.run([binary, "--version"], stdout=subprocess.PIPE, timeout=10)
                ensure(v.returncode == 0 and re.match(rb"xsltpress \d+\.\d+", v.stdout),
                       "--version: %r" % v.stdout)
                env = {k: v for k, v in os.environ.items() if not k.startswith("XSLTPRESS_")}
                # the config names PREFIX's stylesheets; under DESTDIR they are here:
                env.update(XSLTPRESS_XSLT_DIR=pre + "/share/xsltpress/xslt",
                           XSLTPRESS_ARTICLES_DIR=self.articles_dir)
                c = subprocess.run([binary, "-c", conf_path, "check"], env=env, cwd=d,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
                ensure(c.returncode == 0, "installed check exited %d: %s"
                       % (c.returncode, c.stdout.decode("utf-8", "replace")[-600:]))
                r = subprocess.run([binary, "-c", conf_path, "render", "/"], env=env, cwd=d,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
                resp = stk.parse_cgi_output(r.stdout)
                ensure(resp.status == 200 and b"Page 1 of" in resp.body,
                       "installed render / answered %s" % resp.status)
            self.r.check(L + " PREFIX=%s: installed binary runs --version, check, render" % prefix,
                         runs)
            if prefix == "/usr/local":
                # kept for the systemd part (removed at the end of the run)
                keep = tempfile.mkdtemp(prefix="xsltpress-deploy-installed.")
                _final_dirs.append(keep)
                shutil.copytree(dest, keep + "/root", symlinks=True)
                self.install_root = keep + "/root" + prefix
            u = self.make("uninstall", "DESTDIR=" + dest, "PREFIX=" + prefix)

            def removed(u=u, dest=dest):
                ensure(u.returncode == 0, "make uninstall exited %d: %s"
                       % (u.returncode, u.stdout.decode()[-600:]))
                left = [os.path.join(r, f)[len(dest):] for r, _, fs in os.walk(dest) for f in fs]
                ensure(not left, "files left after uninstall: %r" % left[:10])
                ensure(not os.path.exists(dest + prefix + "/share/xsltpress"),
                       "%s/share/xsltpress still exists" % prefix)
            self.r.check(L + " PREFIX=%s: make uninstall removes every file" % prefix, removed)

        def destdir_everywhere():
            # nothing may be written outside DESTDIR, whatever PREFIX says
            prefix = "/opt/xsltpress-destdir-test-%d" % os.getpid()
            dest = os.path.join(d, "root-opt")
            p = self.make("install", "DESTDIR=" + dest, "PREFIX=" + prefix)
            ensure(p.returncode == 0, "install exited %d" % p.returncode)
            ensure(not os.path.exists(prefix), "install wrote to %s outside DESTDIR" % prefix)
            u = self.make("uninstall", "DESTDIR=" + dest, "PREFIX=" + prefix)
            ensure(u.returncode == 0, "uninstall exited %d" % u.returncode)
            recipe = read(os.path.join(ROOT, "mk", "install.mk"))
            lines = [l for l in recipe.splitlines() if l.startswith("\t")
                     and re.search(r"\$\((BINDIR|DATADIR|MANDIR|CONFDIR)\)", l)
                     and not re.search(r"\$\(DESTDIR\)\$\((BINDIR|DATADIR|MANDIR|CONFDIR)\)", l)]
            lines = [l for l in lines if "sed -e" not in l and "xslt_dir = " not in l
                     and "keeping the edited" not in l]
            ensure(not lines, "recipe lines without $(DESTDIR): %r" % lines)
        self.r.check(L + ": DESTDIR on every line, nothing written outside it", destdir_everywhere)

    # -- systemd -----------------------------------------------------------------------
    def systemd(self):
        L = "systemd"
        exe = shutil.which("systemd-analyze")
        ensure(exe, "systemd-analyze not found (apt-get install systemd)")
        d = mkdtemp("systemd")
        sock_unit = read(os.path.join(CONF, "xsltpress.socket"))
        svc_unit = read(os.path.join(CONF, "xsltpress.service"))

        def directives():
            for want in ("StandardInput=socket", "StandardOutput=journal", "StandardError=journal",
                         "ProtectSystem=strict", "ReadOnlyPaths=", "NoNewPrivileges=yes",
                         "PrivateTmp=yes", "ExecReload=/bin/kill -HUP $MAINPID",
                         "ExecStart=%s " % CONF_BIN):
                ensure(re.search(r"^" + re.escape(want), svc_unit, re.M),
                       "xsltpress.service has no %s" % want)
            ensure(re.search(r"^(DynamicUser=yes|User=\S+)", svc_unit, re.M),
                   "xsltpress.service has neither DynamicUser=yes nor User=")
            for want in ("ListenStream=%s" % CONF_SOCKET, "SocketMode=0660", "Accept=no"):
                ensure(re.search(r"^" + re.escape(want) + r"\s*$", sock_unit, re.M),
                       "xsltpress.socket has no %s" % want)
        self.r.check(L + ": units have the sandbox and socket directives", directives)

        def verify():
            # verify checks that ExecStart's program exists and that man
            # pages named in Documentation= open.  Use the installed tree
            # of the install part when /usr/local/bin/xsltpress is absent.
            unit_dir = os.path.join(d, "units")
            os.makedirs(unit_dir)
            env = dict(os.environ)
            svc = svc_unit
            if not os.access(CONF_BIN, os.X_OK):
                root = self.install_root
                if root is None:
                    root = os.path.join(d, "usr-local")
                    os.makedirs(root + "/bin")
                    shutil.copy(self.bin, root + "/bin/xsltpress")
                    for sec, f in (("man8", "xsltpress.8"), ("man5", "xsltpress.conf.5")):
                        os.makedirs(root + "/share/man/" + sec, exist_ok=True)
                        shutil.copy(os.path.join(ROOT, "man", f), root + "/share/man/" + sec)
                svc = svc.replace("ExecStart=%s " % CONF_BIN, "ExecStart=%s/bin/xsltpress " % root)
                env["MANPATH"] = root + "/share/man:" + env.get("MANPATH", "")
            write(os.path.join(unit_dir, "xsltpress.socket"), sock_unit)
            write(os.path.join(unit_dir, "xsltpress.service"), svc)
            p = subprocess.run([exe, "verify", os.path.join(unit_dir, "xsltpress.socket"),
                                os.path.join(unit_dir, "xsltpress.service")],
                               cwd=unit_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=60)
            out = p.stdout.decode("utf-8", "replace").strip()
            ensure(p.returncode == 0 and not out, "systemd-analyze verify exited %d: %s"
                   % (p.returncode, out[-800:]))
        self.r.check(L + ": systemd-analyze verify accepts xsltpress.socket and .service", verify)

    # -- man pages -------------------------------------------------------------------------
    def man(self):
        exe = shutil.which("mandoc")
        ensure(exe, "mandoc is not installed (apt-get install mandoc)")
        pages = [os.path.join(ROOT, "man", f) for f in ("xsltpress.8", "xsltpress.conf.5")]
        for page in pages:
            def lint(page=page):
                ensure(os.path.isfile(page), "%s is missing" % page)
                p = subprocess.run([exe, "-Tlint", page] + [x for x in pages if x != page],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
                msgs = [l for l in p.stdout.decode("utf-8", "replace").splitlines()
                        if os.path.basename(page) in l
                        # the system's manual database, not the page:
                        and "referenced manual not found" not in l]
                ensure(not msgs, "; ".join(msgs[:6]))
            self.r.check("man: mandoc -Tlint %s" % os.path.basename(page), lint)

        def keys_documented():
            src = read(os.path.join(ROOT, "cgi-src", "config.c"))
            keys = re.findall(r'^\s*[SUB]\((\w+),', src, re.M) + re.findall(r'^\s*\{ "(\w+)",', src, re.M)
            text = read(pages[1])
            missing = [k for k in keys if not re.search(r"^\.It Cm %s\b" % k, text, re.M)]
            ensure(keys and not missing, "keys of config.c not in xsltpress.conf.5: %r" % missing)
        self.r.check("man: every config.c key is in xsltpress.conf.5", keys_documented)

        def commands_documented():
            text = read(pages[0])
            out = subprocess.run([self.bin, "--help"], stdout=subprocess.PIPE,
                                 timeout=10).stdout.decode()
            cmds = set(re.findall(r"\] (\w+)", out))
            missing = [c for c in sorted(cmds) if not re.search(r"^\.It Cm %s\b" % c, text, re.M)]
            ensure(not missing, "commands of --help not described in xsltpress.8: %r" % missing)
            for sig in ("SIGHUP", "SIGTERM"):
                ensure(sig in text, "xsltpress.8 does not mention %s" % sig)
        self.r.check("man: every command of --help is in xsltpress.8", commands_documented)

    def run(self):
        parts = [
            ("man", self.man),
            ("install", self.install),
            ("systemd", self.systemd),
            ("apache proxy_fcgi", self.apache_proxy_fcgi),
            ("apache fcgid", self.apache_fcgid),
            ("lighttpd", self.lighttpd),
            ("apache cgi /blog/", self.apache_cgi),
            ("apache cgid /blog/", self.apache_cgid),
            ("nginx /blog/ links", self.nginx_prefix),
            ("links", self.nginx_links),
            ("export links", self.static_export),
            ("fleet", self.fleet),
            ("spawn-fcgi", self.spawn_fcgi),
            ("user =", self.drop_user),
        ]
        for name, fn in parts:
            self.part(name, fn)


def suite_main(label, args, run, final=None):
    """What the suites that run parts share (deploy, cgi, shipped): runs
    RUN(runner, binary) once the binary is there, cleans up whatever
    happens (then FINAL, when given), and prints the suite's time and its
    closing line.  Returns the exit status."""
    binary = args.bin or stk.default_binary()
    stk.install_signal_handlers()
    runner = itest.Runner(verbose=args.verbose, pattern=args.pattern)
    t0 = time.monotonic()
    try:
        if not os.access(binary, os.X_OK):
            runner.fail("engine binary", "%s is not built (run make)" % binary)
        else:
            run(runner, binary)
    finally:
        cleanup()
        if final is not None:
            final()
    print("%s suite: %.0f s" % (label, time.monotonic() - t0), flush=True)
    print("%d passed, %d failed" % (runner.passed, runner.failed))
    return 1 if runner.failed else 0


def main():
    args = stk.parse_suite_arguments(stk.suite_arguments(__doc__, articles=True, keep=False))

    def final():
        for d in _final_dirs:
            shutil.rmtree(d, ignore_errors=True)
    return suite_main("deploy", args, lambda runner, binary: Deploy(
        runner, binary, os.path.abspath(args.articles)).run(), final)


if __name__ == "__main__":
    sys.exit(main())
