#!/usr/bin/env python3
"""The shipped configurations under load and change (Python 3 stdlib).

    python3 tests/integration/shipped.py             # everything
    python3 tests/integration/shipped.py -k spike    # only checks whose name has "spike"

conf/nginx-site.conf, conf/nginx-fleet.conf and conf/apache-proxy-fcgi.conf
run as a person deploys them: the files as they are, with only the socket,
the listen port and the cache folder (or file) replaced (as deploy.py does), under a
Debian-like main config, the engine started from another working folder
with a config of absolute paths.  What is checked:

  spike         SPIKE_CLIENTS clients at once on distinct search URLs (no
                cache holds them) for SPIKE_SECONDS, through the site config
                and through the fleet (where one backend is killed and
                restarted meanwhile): no 5xx, no refused or dropped client,
                no refused connect() and no "no live upstreams" in nginx's
                log.  Counts, never timings.
  fresh         with the micro-cache on as shipped, through nginx and through
                Apache: an edit, an addition, a deletion and a scheduled
                article show within 1.5 s, also after a quiet spell; a HEAD
                never poisons a GET; a 404 for a new article's URL does not
                stick; Apache does not pass on the engine's X-Accel-Expires.
  dates         Last-Modified on every page kind, If-Modified-Since answered
                304 for it and 200 once the page changed: after a deletion,
                and after a SIGHUP that changed site_name.
  stale         the engine stopped: nginx and Apache go on serving what they
                hold.
  make run      scripts/run.sh stopped by SIGINT or SIGTERM to its process
                group (or to one of its processes first) at any moment of
                its life: it leaves no folder and no process behind.

The last line is exactly "N passed, N failed"; the exit status is 1 when
anything failed.
"""

import asyncio
import email.utils
import glob
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import stack as stk  # noqa: E402
import run as itest  # noqa: E402
import deploy as dp  # noqa: E402  (starting nginx and Apache, cleaning up)

ROOT = stk.ROOT
CONF = dp.CONF
ensure = itest.ensure
CheckFailed = itest.CheckFailed

SPIKE_CLIENTS = int(os.environ.get("SPIKE_CLIENTS", "1000"))
SPIKE_SECONDS = float(os.environ.get("SPIKE_SECONDS", "3"))
FRESH = 1.5          # seconds: the promise of the shipped configs
POLL = 0.05


def raise_fd_limit():
    """A thousand clients, and nginx's connections to them: more than the
    usual 1024 descriptors.  nginx inherits the limit from us."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 65536) if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def http_date(t):
    return email.utils.formatdate(t, usegmt=True)


def parse_date(s):
    return email.utils.parsedate_to_datetime(s).timestamp()


def get(origin, path, method="GET", headers=None):
    return stk.http_request(method, origin + path, headers=headers, timeout=30)


def eventually(fn, limit, what):
    """Polls FN until it returns true; returns the seconds it took, or fails
    once LIMIT (plus a margin to see how late it was) has passed."""
    t0 = time.monotonic()
    while True:
        if fn():
            return time.monotonic() - t0
        if time.monotonic() - t0 > limit + 3:
            raise CheckFailed("%s: not seen within %.1f s" % (what, limit + 3))
        time.sleep(POLL)


ARTICLE = """<?xml version="1.0" encoding="UTF-8"?>
<article>
  <title>%(title)s</title>
  <published>%(published)s</published>
  <summary>A test article for the shipped configs.</summary>
  <tags><tag>%(tag)s</tag></tags>
  <body><p>%(body)s</p></body>
</article>
"""


def put_article(folder, slug, title, published="2026-01-05", tag="shipped", body="Body."):
    """Writes SLUG.xml whole: a temporary dotfile renamed into place, as a
    deploy script does."""
    tmp = os.path.join(folder, ".%s.tmp" % slug)
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(ARTICLE % {"title": title, "published": published, "tag": tag, "body": body})
    os.chmod(tmp, 0o644)
    os.rename(tmp, os.path.join(folder, slug + ".xml"))


# ---------------------------------------------------------------------------
# The deployment: engine, main config, shipped site configs
# ---------------------------------------------------------------------------

class Site:
    """One engine (or several) with a private, writable copy of the
    articles, started from its own folder D (not the checkout)."""

    def __init__(self, binary, tag, nengines=1):
        self.bin = binary
        self.d = dp.mkdtemp(tag)
        pub = dp.public_site(binary)
        self.articles = os.path.join(self.d, "articles")
        shutil.copytree(pub["articles"], self.articles)
        os.chmod(self.articles, 0o755)
        self.xslt = pub["xslt"]
        self.port = stk.free_port()
        self.origin = "http://127.0.0.1:%d" % self.port
        self.socks = [os.path.join(self.d, "xsltpress-%d.sock" % i) for i in range(1, nengines + 1)]
        self.conf = os.path.join(self.d, "xsltpress.conf")
        self.write_conf()
        self.log = os.path.join(self.d, "engine.log")
        self.engines = [self.start_engine(s) for s in self.socks]

    def write_conf(self, **extra):
        lines = ["articles_dir = %s" % self.articles, "xslt_dir = %s" % self.xslt,
                 "base_url = %s" % self.origin, "log_level = warn"]
        lines += ["%s = %s" % kv for kv in sorted(extra.items())]
        dp.write(self.conf, "\n".join(lines) + "\n")

    def start_engine(self, sock):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("XSLTPRESS_") and k != "GATEWAY_INTERFACE"}
        out = open(self.log, "ab")
        kw = {}
        uid, gid = dp.www_ids()
        if gid is not None and os.geteuid() == 0:
            kw["group"] = gid          # as Group=www-data in a service
        p = subprocess.Popen([self.bin, "-c", self.conf, "-s", "unix:" + sock], cwd=self.d,
                             env=env, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT, **kw)
        out.close()
        dp._procs.append(p)
        dp.wait_for(lambda: os.path.exists(sock) and dp.can_connect_unix(sock), 15, p,
                    "xsltpress on %s" % sock, self.log)
        return p

    def stop_engine(self, i, sig=signal.SIGTERM):
        dp.stop(self.engines[i], sig)

    def engine_errors(self):
        return [l for l in dp.tail(self.log, 100000).splitlines()
                if re.search(r"\[(error|crit)\]", l)]


def shipped_nginx(name, site, fleet=False):
    return dp.shipped_nginx_site(name, site.socks, site.port, site.d, fleet=fleet)


def debian_main(d, name, site_text):
    """/etc/nginx/nginx.conf as Debian ships it, with the worker_connections
    and descriptor limit the README asks for a spike, the paths under D.
    (Its "user www-data;" is given on the command line, as root: "user
    root;", for the workers to reach the test's folders.)"""
    return """worker_processes auto;
pid %(d)s/%(name)s.pid;
error_log %(d)s/%(name)s-error.log;
worker_rlimit_nofile 16384;
events {
    worker_connections 4096;
}
http {
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    ssl_prefer_server_ciphers on;
    access_log %(d)s/%(name)s-access.log;
    gzip on;
    client_body_temp_path %(d)s/cb; proxy_temp_path %(d)s/p; fastcgi_temp_path %(d)s/f;
    uwsgi_temp_path %(d)s/u; scgi_temp_path %(d)s/s;
%(site)s
}
""" % {"d": d, "name": name, "site": site_text}


def start_shipped_nginx(site, conf_name, fleet=False, name="nginx"):
    text = debian_main(site.d, name, shipped_nginx(conf_name, site, fleet))
    return dp.start_nginx(site.d, None, site.port, name, full_conf=text)


def start_shipped_apache(site):
    text = dp.apache_site("apache-proxy-fcgi.conf", site.port, {
        dp.CONF_SOCKET: site.socks[0], "/var/www/html": os.path.join(site.d, "htdocs"),
        dp.APACHE_CACHE_ROOT: dp.apache_cache_root(site.d)})
    os.makedirs(os.path.join(site.d, "htdocs"), exist_ok=True)
    ap = dp.Apache(site.d, site.port, ["proxy", "proxy_fcgi"] + dp.APACHE_CACHE_MODULES, text)
    ap.start()
    return ap


def nginx_log_problems(d, name="nginx"):
    """What a spike must never leave in nginx's error log."""
    text = dp.tail(os.path.join(d, name + "-error.log"), 1000000)
    pats = (r"connect\(\) to \S+ failed", r"no live upstreams", r"worker_connections are not enough",
            r"Resource temporarily unavailable", r"\[(alert|crit|emerg)\]")
    return [l for l in text.splitlines() if any(re.search(p, l) for p in pats)]


# ---------------------------------------------------------------------------
# The spike
# ---------------------------------------------------------------------------

async def one_request(port, path, timeout):
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    try:
        writer.write(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                      % path).encode())
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", data)
    if not m:
        raise ConnectionError("no status line (%d bytes)" % len(data))
    return int(m.group(1))


async def spike_clients(port, nclients, seconds):
    """NCLIENTS clients, all started at once, each asking for distinct
    search URLs one after the other until SECONDS have passed."""
    statuses, errors = {}, {}
    deadline = time.monotonic() + seconds

    async def client(i):
        n = 0
        while True:
            path = "/search/?q=cache&spike=%d-%d" % (i, n)
            n += 1
            try:
                s = await one_request(port, path, 60)
                statuses[s] = statuses.get(s, 0) + 1
            except Exception as e:  # noqa: BLE001  (each is counted)
                k = type(e).__name__
                errors[k] = errors.get(k, 0) + 1
            if time.monotonic() >= deadline:
                return
    await asyncio.gather(*(client(i) for i in range(nclients)))
    return statuses, errors


def spike(port):
    return asyncio.run(spike_clients(port, SPIKE_CLIENTS, SPIKE_SECONDS))


def judge_spike(statuses, errors, problems):
    total = sum(statuses.values())
    bad = {s: n for s, n in statuses.items() if s >= 500}
    print("spike: %d clients, %d answers %r, client errors %r"
          % (SPIKE_CLIENTS, total, statuses, errors), flush=True)
    ensure(total >= SPIKE_CLIENTS, "only %d answers for %d clients" % (total, SPIKE_CLIENTS))
    ensure(not bad, "%d of %d answers were 5xx: %r" % (sum(bad.values()), total, bad))
    ensure(not errors, "clients failed: %r" % errors)
    ensure(set(statuses) == {200}, "answers other than 200: %r" % statuses)
    ensure(not problems, "%d lines in nginx's error log, e.g. %s"
           % (len(problems), " | ".join(problems[:3])))


# ---------------------------------------------------------------------------
# The parts
# ---------------------------------------------------------------------------

class Shipped:
    def __init__(self, runner, binary):
        self.r = runner
        self.bin = binary

    # one part: all of them, or those -k names; a failing set-up is one failure
    part = dp.Deploy.part

    # -- spike ------------------------------------------------------------------
    def spike_site(self):
        site = Site(self.bin, "spike")
        start_shipped_nginx(site, "nginx-site.conf")
        self.r.check("spike: %d clients through conf/nginx-site.conf: no 5xx, nothing refused"
                     % SPIKE_CLIENTS,
                     lambda: judge_spike(*spike(site.port), nginx_log_problems(site.d)))

    def spike_fleet(self):
        site = Site(self.bin, "spikefleet", nengines=2)
        start_shipped_nginx(site, "nginx-fleet.conf", fleet=True)
        events = []

        def kill_and_restart():
            time.sleep(SPIKE_SECONDS / 3)
            os.kill(site.engines[0].pid, signal.SIGKILL)
            site.engines[0].wait(5)
            events.append("killed")
            time.sleep(SPIKE_SECONDS / 3)
            site.engines[0] = site.start_engine(site.socks[0])
            events.append("restarted")

        def run():
            t = threading.Thread(target=kill_and_restart)
            t.start()
            try:
                result = spike(site.port)
            finally:
                t.join()
            ensure(events == ["killed", "restarted"], "the backend was not killed and "
                   "restarted during the spike: %r" % events)
            # a killed backend refuses connections: those lines are the
            # failover working, not a busy backend refused
            dead = site.socks[0]
            problems = [l for l in nginx_log_problems(site.d)
                        if not (dead in l and re.search(r"\((2|111): ", l))]
            judge_spike(*result, problems)
            up = [l for l in dp.tail(os.path.join(site.d, "nginx-error.log"), 100000).splitlines()
                  if "no live upstreams" in l]
            ensure(not up, "a backend was marked dead while the other was busy: %s" % up[:1])
        self.r.check("spike: %d clients through conf/nginx-fleet.conf, a backend killed and "
                     "restarted: no 5xx, no healthy backend marked dead" % SPIKE_CLIENTS, run)

    # -- freshness ----------------------------------------------------------------
    def freshness(self, label, site):
        """Edits, additions, deletions and a scheduled article through the
        front end at SITE.origin with its cache on."""
        o = site.origin
        R = self.r
        L = "fresh %s: " % label

        def cached():
            r1, r2 = get(o, "/page/2/"), get(o, "/page/2/")
            ensure(r1.status == r2.status == 200, "GET /page/2/: %s %s" % (r1.status, r2.status))
            hit = r2.header("X-Cache-Status") or r2.header("X-Cache") or ""
            ensure("HIT" in hit.upper(), "the second GET was not a cache hit (%r): the cache "
                   "is not on as shipped" % hit)
        R.check(L + "the cache is on as shipped", cached)

        def edit():
            slug = "how-discord-stores-trillions-of-messages"     # on page 1
            path = "/articles/%s/" % slug
            ensure(get(o, path).status == 200 and get(o, "/").status == 200, "not served")
            put_article(site.articles, slug, "Edited In Place", published="2026-02-16")
            took = eventually(lambda: b"Edited In Place" in get(o, path).body, FRESH, "the edit")
            ensure(took <= FRESH, "the edit showed after %.2f s" % took)
            took = eventually(lambda: b"Edited In Place" in get(o, "/").body, FRESH, "edit on /")
            ensure(took <= FRESH, "the edit showed on / after %.2f s" % took)
        R.check(L + "an edit shows within %.1f s" % FRESH, edit)

        def edit_after_quiet():
            slug = "bloom-filters-in-production"
            path = "/articles/%s/" % slug
            ensure(get(o, path).status == 200, "not served")
            time.sleep(0.3)
            put_article(site.articles, slug, "Edited While Nobody Looked")
            time.sleep(FRESH + 1.0)
            r = get(o, path)
            ensure(b"Edited While Nobody Looked" in r.body,
                   "%.1f s after the edit the first request got the old page (X-Cache-Status %r)"
                   % (FRESH + 1.0, r.header("X-Cache-Status")))
        R.check(L + "after a quiet spell the first request gets the edit", edit_after_quiet)

        def add():
            slug = "shipped-new-%d" % site.port
            path = "/articles/%s/" % slug
            r = get(o, path)
            ensure(r.status == 404, "GET %s before it exists answered %s" % (path, r.status))
            put_article(site.articles, slug, "Brand New Article", published="2026-12-01")
            took = eventually(lambda: get(o, path).status == 200, FRESH, "the new article")
            ensure(took <= FRESH, "the 404 stuck for %.2f s" % took)
            took = eventually(lambda: b"Brand New Article" in get(o, "/").body, FRESH, "on /")
            ensure(took <= FRESH, "the new article showed on / after %.2f s" % took)
        R.check(L + "a new article answers within %.1f s (its 404 does not stick)" % FRESH, add)

        def delete():
            slug = "rate-limiting-algorithms-compared"
            path = "/articles/%s/" % slug
            ensure(get(o, path).status == 200, "not served before")
            get(o, "/tags/")
            os.unlink(os.path.join(site.articles, slug + ".xml"))
            took = eventually(lambda: get(o, path).status == 404, FRESH, "the deletion")
            ensure(took <= FRESH, "the deleted article was served %.2f s" % took)
            took = eventually(lambda: ("/articles/%s/" % slug).encode() not in get(o, "/page/2/").body
                              and ("/articles/%s/" % slug).encode() not in get(o, "/").body,
                              FRESH, "gone from the listing")
            ensure(took <= FRESH, "the listing showed it %.2f s" % took)
        R.check(L + "a deletion shows within %.1f s" % FRESH, delete)

        def scheduled():
            slug = "shipped-scheduled-%d" % site.port
            path = "/articles/%s/" % slug
            due = int(time.time()) + 4
            put_article(site.articles, slug, "Scheduled Arrival",
                        published=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(due)))
            time.sleep(0.5)
            r = get(o, path)
            ensure(r.status == 404, "served %.1f s before it is due: %s" % (due - time.time(), r.status))
            ensure(b"Scheduled Arrival" not in get(o, "/").body, "listed before it is due")

            def capped():
                # no cache may keep the listing past the arrival, stale or not
                cc = get(o, "/").header("Cache-Control") or ""
                m = re.search(r"max-age=(\d+)", cc)
                return m and int(m.group(1)) <= due - int(time.time()) + 1 and "stale-" not in cc
            took = eventually(capped, FRESH, "Cache-Control capped at the arrival")
            ensure(took <= FRESH and time.time() < due, "the listing's Cache-Control was capped "
                   "%.2f s after the article was scheduled" % (took + 0.5))
            while time.time() < due:
                time.sleep(POLL)
            took = eventually(lambda: get(o, path).status == 200, FRESH, "the scheduled article")
            late = time.time() - due
            ensure(late <= FRESH + POLL, "the scheduled article answered %.2f s after it was due"
                   % late)
            eventually(lambda: b"Scheduled Arrival" in get(o, "/").body, FRESH, "listed")
            late = time.time() - due
            ensure(late <= FRESH + 0.3, "listed %.2f s after it was due" % late)
            return took
        R.check(L + "a scheduled article shows within %.1f s of its time" % FRESH, scheduled)

        def head_first():
            for path in ("/tags/caching/", "/archive/"):
                h = get(o, path, "HEAD")
                ensure(h.status == 200 and h.body == b"", "HEAD %s: %s" % (path, h.status))
                g = get(o, path)
                ensure(g.status == 200 and b"</html>" in g.body and
                       int(g.header("Content-Length") or len(g.body)) == len(g.body),
                       "GET %s right after a HEAD: %s, %d bytes (the HEAD's empty answer "
                       "served to a GET?)" % (path, g.status, len(g.body)))
        R.check(L + "a HEAD never poisons a GET", head_first)

    def fresh_nginx(self):
        site = Site(self.bin, "freshnginx")
        start_shipped_nginx(site, "nginx-site.conf")
        self.freshness("conf/nginx-site.conf", site)
        errs = dp.nginx_errors(site.d)
        self.r.check("fresh conf/nginx-site.conf: no errors in nginx's log",
                     lambda: ensure(not errs, " | ".join(errs[:3])))
        self.stale(site, "conf/nginx-site.conf")

    def fresh_apache(self):
        site = Site(self.bin, "freshapache")
        ap = start_shipped_apache(site)
        self.freshness("conf/apache-proxy-fcgi.conf", site)

        def no_accel():
            # the engine's X-Accel-Expires is for nginx's micro-cache:
            # neither the answer that fills Apache's cache nor a copy
            # from it passes it on
            path = "/?accel=%d" % time.time_ns()
            for n in range(2):
                r = get(site.origin, path)
                ensure(r.status == 200, "GET %s: %s" % (path, r.status))
                ensure(r.header("X-Accel-Expires") is None, "answer %d (%s) carries "
                       "X-Accel-Expires: %s" % (n + 1, r.header("X-Cache"),
                                                r.header("X-Accel-Expires")))
        self.r.check("fresh conf/apache-proxy-fcgi.conf: X-Accel-Expires is not passed on",
                     no_accel)
        self.stale(site, "conf/apache-proxy-fcgi.conf")
        ap.stop()

    # -- stale-if-error ----------------------------------------------------------
    def stale(self, site, label):
        o = site.origin
        paths = ["/", "/tags/", "/articles/consistent-hashing-explained/"]

        def run():
            want = {}
            for p in paths:
                r = get(o, p)
                ensure(r.status == 200, "GET %s: %s" % (p, r.status))
                want[p] = r.body
            site.stop_engine(0)
            time.sleep(FRESH)        # every copy is past its second
            for p in paths:
                r = get(o, p)
                ensure(r.status == 200 and r.body == want[p],
                       "engine stopped: GET %s answered %s (%d bytes)" % (p, r.status, len(r.body)))
        self.r.check("stale %s: the engine stopped, cached pages still served" % label, run)

    # -- Last-Modified and If-Modified-Since ----------------------------------------
    def dates(self):
        site = Site(self.bin, "dates")
        start_shipped_nginx(site, "nginx-site.conf")
        o = site.origin
        R = self.r
        gone = "database-sharding-in-practice"      # on page 1, tagged, in a month
        arts = itest.load_articles(site.articles)
        tag = "databases"
        ensure(gone in arts, "fixture %s missing" % gone)
        pub = arts[gone]["published"] if isinstance(arts[gone], dict) else None
        year, month = (pub or "2026-02-16")[:4], (pub or "2026-02-16")[5:7]
        paths = ["/", "/page/2/", "/tags/", "/tags/%s/" % tag, "/tags/%s/feed.xml" % tag,
                 "/tags/%s/feed.json" % tag, "/archive/", "/archive/%s/" % year,
                 "/archive/%s/%s/" % (year, month), "/search/?q=database", "/feed.xml",
                 "/feed.json", "/sitemap.xml", "/robots.txt", "/style.css", "/favicon.svg",
                 "/articles/how-discord-stores-trillions-of-messages/",
                 "/articles/understanding-raft-consensus/"]
        time.sleep(2.1)       # a date is left out for two seconds after a change
        before = {}

        def every_kind():
            bad = []
            for p in paths:
                r = get(o, p)
                lm, etag = r.header("Last-Modified"), r.header("ETag")
                if r.status != 200 or not lm or not etag:
                    bad.append("%s: %s, Last-Modified %r, ETag %r" % (p, r.status, lm, etag))
                    continue
                before[p] = r
                c = get(o, p, headers={"If-Modified-Since": lm})
                if c.status != 304 or c.body:
                    bad.append("%s: If-Modified-Since its own date answered %s" % (p, c.status))
                c = get(o, p, headers={"If-Modified-Since": http_date(parse_date(lm) - 1)})
                if c.status != 200:
                    bad.append("%s: If-Modified-Since a second earlier answered %s" % (p, c.status))
            ensure(not bad, "; ".join(bad))
        R.check("dates: Last-Modified and If-Modified-Since on every page kind", every_kind)

        def cache_control():
            page = get(o, "/")
            cc = page.header("Cache-Control") or ""
            ensure(re.search(r"max-age=\d+, stale-while-revalidate=\d+, stale-if-error=\d+", cc),
                   "a page's Cache-Control %r lacks the stale-* extensions" % cc)
            links = re.findall(rb'href="(/(?:style\.css|favicon\.svg)\?v=[0-9a-f]+)"', page.body)
            ensure(len(links) == 2, "no fingerprinted style.css and favicon.svg links: %r" % links)
            for link in links:
                cc = get(o, link.decode()).header("Cache-Control") or ""
                ensure(cc == "public, max-age=31536000, immutable",
                       "%s: Cache-Control %r, want immutable for a year" % (link.decode(), cc))
            cc = get(o, "/style.css?v=00000000").header("Cache-Control") or ""
            ensure("immutable" not in cc, "a stale fingerprint is immutable too: %r" % cc)
            cc = get(o, "/style.css").header("Cache-Control") or ""
            ensure("immutable" not in cc, "the bare /style.css is immutable: %r" % cc)
        R.check("dates: stale-* on pages, immutable only for fingerprinted assets", cache_control)

        def changed_pages(what, change, settle):
            change()
            settle()
            time.sleep(2.1)
            bad, moved = [], 0
            for p, old in list(before.items()):
                r = get(o, p)
                if r.status != 200:
                    continue
                if r.body == old.body:
                    before[p] = r
                    continue
                lm = r.header("Last-Modified")
                c = get(o, p, headers={"If-Modified-Since": old.header("Last-Modified")})
                if c.status != 200 or c.body != r.body:
                    bad.append("%s: changed, but If-Modified-Since %s answered %s"
                               % (p, old.header("Last-Modified"), c.status))
                elif not lm or parse_date(lm) <= parse_date(old.header("Last-Modified")):
                    bad.append("%s: changed, Last-Modified %r did not move past %r"
                               % (p, lm, old.header("Last-Modified")))
                elif get(o, p, headers={"If-Modified-Since": lm}).status != 304:
                    bad.append("%s: If-Modified-Since its new date is not 304" % p)
                moved += 1
                before[p] = r
            ensure(not bad, "after %s: %s" % (what, "; ".join(bad)))
            return moved

        def deletion():
            moved = changed_pages(
                "a deletion", lambda: os.unlink(os.path.join(site.articles, gone + ".xml")),
                lambda: eventually(lambda: get(o, "/articles/%s/" % gone).status == 404,
                                   FRESH, "the deletion"))
            ensure(moved >= 10, "only %d pages changed with the deletion" % moved)
        if before:
            R.check("dates: after a deletion, every page it left answers 200 to its old date",
                    deletion)

        def reload_site_name():
            def change():
                site.write_conf(site_name="Renamed By SIGHUP")
                os.kill(site.engines[0].pid, signal.SIGHUP)
            moved = changed_pages(
                "SIGHUP changing site_name", change,
                lambda: eventually(lambda: b"Renamed By SIGHUP" in get(
                    o, "/articles/understanding-raft-consensus/").body, FRESH + 2, "the new name"))
            ensure(moved >= 10, "only %d pages changed with the site name" % moved)
        if before:
            R.check("dates: SIGHUP changing site_name: If-Modified-Since alone gets 200, "
                    "not 304", reload_site_name)

    # -- make run leaves nothing -------------------------------------------------------
    def make_run(self):
        d = dp.mkdtemp("makerun")
        tmp = os.path.join(d, "tmp")
        os.makedirs(tmp)
        plans = [("group", signal.SIGINT, 0.05), ("group", signal.SIGTERM, 0.2),
                 ("group", signal.SIGINT, 0.4), ("group", signal.SIGINT, None),
                 ("group", signal.SIGTERM, None), ("nginx", signal.SIGTERM, None),
                 ("engine", signal.SIGINT, None)]

        def members(pgid):
            out = []
            for stat in glob.glob("/proc/[0-9]*/stat"):
                try:
                    with open(stat) as f:
                        text = f.read()
                except OSError:
                    continue
                comm = text[text.index("(") + 1:text.rindex(")")]
                fields = text[text.rindex(")") + 2:].split()
                if int(fields[2]) == pgid and fields[0] != "Z":
                    out.append((int(stat.split("/")[2]), comm))
            return out

        def one(first, sig, delay):
            port = stk.free_port()
            env = dict(os.environ, PORT=str(port), TMPDIR=tmp,
                       ARTICLES_DIR=os.path.join(ROOT, "articles"),
                       XSLTPRESS_BIN=os.path.abspath(self.bin))
            env.pop("XSLTPRESS_CONF", None)
            log = open(os.path.join(d, "run.log"), "ab")
            p = subprocess.Popen(["bash", os.path.join(ROOT, "scripts", "run.sh")], cwd=d, env=env,
                                 stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                 start_new_session=True)
            log.close()
            dp._procs.append(p)
            if delay is None:
                dp.wait_for(lambda: dp.can_connect_tcp(port), 15, p, "make run")
            else:
                time.sleep(delay)
            if first != "group":
                want = "nginx" if first == "nginx" else "xsltpress"
                for pid, comm in members(p.pid):
                    if comm.startswith(want):
                        os.kill(pid, sig)
                        break
                else:
                    raise CheckFailed("no %s process in the group" % want)
                time.sleep(0.01)
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                raise CheckFailed("run.sh did not stop within 20 s")
            dp._procs.remove(p)
            deadline = time.monotonic() + 5
            while members(p.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            left = members(p.pid)
            for pid, _ in left:
                os.kill(pid, signal.SIGKILL)
            ensure(not left, "processes left running: %r" % left)
            stray = os.listdir(tmp)
            for n in stray:
                shutil.rmtree(os.path.join(tmp, n), ignore_errors=True)
            ensure(not stray, "left behind in TMPDIR: %r" % stray)

        for first, sig, delay in plans:
            when = "while serving" if delay is None else "%.2f s after start" % delay
            who = "its process group" if first == "group" else "%s first, then the group" % first
            self.r.check("make run: %s to %s %s leaves no folder, no process"
                         % (signal.Signals(sig).name, who, when), one, first, sig, delay)

    def run(self):
        raise_fd_limit()
        self.part("spike: site", self.spike_site)
        self.part("spike: fleet", self.spike_fleet)
        self.part("fresh conf/nginx-site.conf", self.fresh_nginx)
        self.part("fresh conf/apache-proxy-fcgi.conf", self.fresh_apache)
        self.part("dates", self.dates)
        self.part("make run", self.make_run)


def main():
    args = stk.parse_suite_arguments(stk.suite_arguments(__doc__, keep=False))
    return dp.suite_main("shipped", args,
                         lambda runner, binary: Shipped(runner, binary).run())


if __name__ == "__main__":
    sys.exit(main())
