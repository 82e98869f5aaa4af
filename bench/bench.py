#!/usr/bin/env python3
"""bench/bench.py - the benchmark behind `make bench` (bench/run.sh calls it).

For each corpus size it starts, in a private temporary directory, on
127.0.0.1 high ports (every process stopped by its pid at the end):

  a  nginx serving the pages as static files (bodies from `xsltpress render`)
  b  xsltpress (render cache on) behind nginx      (conf/nginx-dev.conf.in,
     which keeps connections to the engine: keepalive + fastcgi_keep_conn)
  c  xsltpress with cache = off behind nginx       (conf/nginx-dev.conf.in)
  d  PHP-FPM + XSLTProcessor (bench/peers/php) behind nginx
  e  as b without upstream keepalive, to show what keeping connections is worth
  f  as b behind an nginx fastcgi_cache kept one second and revalidated with
     the engine's ETag (the micro-cache on a 1-worker dev nginx)
  g  conf/nginx-site.conf as shipped (micro-cache on) under a Debian-like
     main nginx.conf (workers auto, access log, gzip on), against g0, a
     static nginx serving stack a's files under the same main config
  h  conf/apache-proxy-fcgi.conf as shipped (mod_cache_socache on) under
     Apache mpm_event with Debian's deflate settings, against h0, Apache
     serving the same files; g and h each with and without
     "Accept-Encoding: gzip", then the time from a file change to the new
     page through each

and measures with wrk, interleaved (a,b,c,d,e for one page, then the next):
listing page 1, a deep listing page and an article page.  Then per corpus:
start time to the first page served (cold: an empty metadata cache, every
file parsed; warm: that cache filled) with the peak RSS of each, VmRSS, file change to new
page through nginx, search latency, and callgrind instructions per request.

Environment (all optional):
  BENCH_SIZES        corpus sizes, default "20 2000 100000"
  BENCH_SECONDS      seconds per wrk measurement, default 10
  BENCH_CONNS        wrk connections, default 8;  BENCH_WRK_THREADS default 1
  BENCH_KEEPALIVE    0 leaves out stack e (no keepalive); default 8
  BENCH_PHP_CHILDREN php-fpm workers, default 4
  BENCH_CALLGRIND_MAX   largest corpus measured under callgrind, default 5000
  BENCH_CALLGRIND_REQS  requests per callgrind figure, default 10
  BENCH_RENDER_MAX   largest corpus whose static pages come from one
                     `xsltpress render` per page (default 5000); above it
                     the same bytes are fetched from the running engine b,
                     because every render process loads the whole corpus
  BENCH_SKIP         stacks to leave out, e.g. "d e"; "cold" leaves out the
                     cold start and keeps b's metadata cache and search file
                     between runs (build/bench/metacache-b-corpus-N, with the
                     articles' copy in build/bench/kept-corpus-N)
  XSLTPRESS_BIN      engine binary, default build/xsltpress
"""

import difflib
import glob
import hashlib
import json
import math
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from stack import (find_nginx, free_port, http_request, parse_cgi_output,  # noqa: E402
                   render_template, stop_process, cgi_env)

BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
BIN = os.environ.get("XSLTPRESS_BIN", os.path.join(BUILD, "xsltpress"))
BIN = BIN if os.path.isabs(BIN) else os.path.join(ROOT, BIN)
CONF = os.path.join(ROOT, "conf", "xsltpress.conf")
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "20 2000 100000").split()]
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNS = int(os.environ.get("BENCH_CONNS", "8"))
WRK_THREADS = int(os.environ.get("BENCH_WRK_THREADS", "1"))
KEEPALIVE = int(os.environ.get("BENCH_KEEPALIVE", "8"))
PHP_CHILDREN = int(os.environ.get("BENCH_PHP_CHILDREN", "4"))
CG_MAX = int(os.environ.get("BENCH_CALLGRIND_MAX", "5000"))
CG_REQS = int(os.environ.get("BENCH_CALLGRIND_REQS", "10"))
RENDER_MAX = int(os.environ.get("BENCH_RENDER_MAX", "5000"))
SKIP = set(os.environ.get("BENCH_SKIP", "").split())
BASE_URL = "http://bench.example"   # the same canonical origin everywhere
PER_PAGE = 10
STACK_NAMES = {
    "a": "static nginx",
    "b": "xsltpress cache",
    "c": "xsltpress cache=off",
    "d": "php-fpm+xslt",
    "e": "xsltpress cache, no keepalive",
    "f": "nginx 1 s micro-cache+xsltpress",
    "g": "conf/nginx-site.conf as shipped",
    "h": "conf/apache-proxy-fcgi.conf as shipped",
}

PROCS = []          # every Popen we started, stopped by pid at exit
PROBLEMS = []       # engine problems seen: printed at the end


def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


def problem(msg):
    PROBLEMS.append(msg)
    log("PROBLEM: " + msg)


def stop(proc, sig=signal.SIGTERM, timeout=20):
    if proc is None:
        return None
    rc = stop_process(proc, timeout=timeout, sig=sig)
    if proc in PROCS:
        PROCS.remove(proc)
    return rc


def stop_all():
    for p in list(reversed(PROCS)):
        stop(p)


def on_signal(signum, frame):
    raise SystemExit(128 + signum)


# -- machine ------------------------------------------------------------------

def machine_description():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = "%.1f GiB" % (kb / 1048576)
    except (OSError, ValueError):
        pass
    load = open("/proc/loadavg").read().split()[:3]
    vers = []
    for cmd in (["nginx", "-v"], ["php", "-v"], ["wrk", "-v"]):
        try:
            out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 timeout=10).stdout.decode(errors="replace")
            vers.append(out.splitlines()[0].strip())
        except (OSError, subprocess.TimeoutExpired, IndexError):
            pass
    return ["machine: nproc %d, CPU %s, memory %s, load average %s"
            % (os.cpu_count(), cpu, mem, " ".join(load)),
            "tools: " + "; ".join(vers),
            "settings: sizes %s, %d s per measurement, wrk -t%d -c%d, keepalive %d, "
            "php-fpm children %d" % (" ".join(map(str, SIZES)), SECONDS, WRK_THREADS,
                                     CONNS, KEEPALIVE, PHP_CHILDREN)]


# -- corpus -------------------------------------------------------------------

def corpus(n):
    """build/bench/corpus-N, generated once (a stamp records the generator's
    content, not its time: a checkout's fresh file times must not make a
    corpus that other worktrees share be written again)."""
    d = os.path.join(BUILD, "bench", "corpus-%d" % n)
    gen = os.path.join(HERE, "gen-corpus.py")
    with open(gen, "rb") as f:
        stamp_want = "%d %s" % (n, hashlib.sha256(f.read()).hexdigest())
    stamp = os.path.join(BUILD, "bench", "corpus-%d.stamp" % n)
    try:
        if open(stamp).read() == stamp_want and os.path.isdir(d):
            return d
    except OSError:
        pass
    t = time.monotonic()
    subprocess.run([sys.executable, gen, str(n), d], check=True)
    log("generated %d articles in %.1f s" % (n, time.monotonic() - t))
    with open(stamp, "w") as f:
        f.write(stamp_want)
    return d


def article_slug(corpus_dir, i):
    hits = glob.glob(os.path.join(corpus_dir, "*-%d.xml" % i))
    if not hits:
        raise SystemExit("bench: no article number %d in %s" % (i, corpus_dir))
    return os.path.basename(hits[0])[:-4]


# -- processes ----------------------------------------------------------------

def wait_port(port, proc, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.02)
    return False


def nginx_common(d):
    return """worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log warn;
events { worker_connections 1024; }
http {
    access_log %(d)s/access.log;
    client_body_temp_path %(d)s/client_body_temp;
    proxy_temp_path       %(d)s/proxy_temp;
    fastcgi_temp_path     %(d)s/fastcgi_temp;
    uwsgi_temp_path       %(d)s/uwsgi_temp;
    scgi_temp_path        %(d)s/scgi_temp;
    default_type application/octet-stream;
    types { text/html html; text/css css; image/svg+xml svg; }
    server_tokens off;
    sendfile on;
""" % {"d": d}


def start_nginx(d, conf_text, port):
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(conf_text)
    g = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    out = open(os.path.join(d, "nginx.out"), "wb")
    p = subprocess.Popen([find_nginx(), "-p", d, "-e", os.path.join(d, "error.log"),
                          "-c", conf, "-g", g], cwd=d, stdin=subprocess.DEVNULL,
                         stdout=out, stderr=subprocess.STDOUT)
    PROCS.append(p)
    if not wait_port(port, p):
        raise SystemExit("bench: nginx did not start on %d:\n%s"
                         % (port, open(os.path.join(d, "nginx.out")).read()))
    return p


# articles folder -> the corpus it is a copy of: what names its cache
CORPUS_OF = {}


def engine_env(articles, extra=None):
    env = dict(os.environ)
    env.pop("GATEWAY_INTERFACE", None)
    env["XSLTPRESS_ARTICLES_DIR"] = articles
    env["XSLTPRESS_BASE_URL"] = BASE_URL
    # The metadata cache, kept between runs next to the corpus: a large
    # site is run with one (only metadata stays in memory), and "warm"
    # start means this cache is filled.  Named after the corpus, not the
    # copy: every size's copy is a folder called "articles", and sharing
    # one cache made each size start with the other's 100,000 records.
    corpus_dir = CORPUS_OF.get(articles, articles)
    env["XSLTPRESS_CACHE_DIR"] = os.path.join(
        BUILD, "bench", "metacache-" + os.path.basename(corpus_dir.rstrip("/")))
    env.update(extra or {})
    return env


def start_engine(d, sock, articles, extra=None, prefix=None):
    logf = open(os.path.join(d, "xsltpress.log"), "ab")
    cmd = (prefix or []) + [BIN, "-c", CONF, "-s", "unix:" + sock]
    p = subprocess.Popen(cmd, cwd=ROOT, env=engine_env(articles, extra),
                         stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT)
    PROCS.append(p)
    return p


def get(url, path, timeout=600):
    try:
        return http_request("GET", url + path, timeout=timeout)
    except OSError:
        return None


def wait_first_page(url, proc, timeout=900):
    """Seconds until GET / through nginx answers 200 (engine starting)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            return None
        r = get(url, "/", timeout=timeout)
        if r is not None and r.status == 200:
            return time.monotonic() - t0
        time.sleep(0.01)
    return None


def wait_index_built(log_path, proc, before, timeout=600):
    """Seconds until the engine's log at LOG_PATH holds more than BEFORE
    "search index:" lines (the postings built in the background after the
    start), or None."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout and proc.poll() is None:
        try:
            n = open(log_path, errors="replace").read().count("search index:")
        except OSError:
            n = 0
        if n > before:
            return time.monotonic() - t0
        time.sleep(0.2)
    return None


def log_count(log_path, needle):
    try:
        return open(log_path, errors="replace").read().count(needle)
    except OSError:
        return 0


def vm_kb(pid, field):
    """FIELD (VmRSS, VmHWM: the peak) of process PID's /proc status, in kB."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def vmrss_kb(pid):
    return vm_kb(pid, "VmRSS")


def drop_caches():
    try:
        subprocess.run(["sync"], check=False)
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("1\n")
        return True
    except OSError:
        return False


# -- wrk ----------------------------------------------------------------------

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def parse_latency(s):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", s)
    return float(m.group(1)) * UNITS[m.group(2)] if m else None


def wrk(url, seconds=None, conns=None, timeout=None, headers=()):
    seconds = seconds or SECONDS
    conns = conns or CONNS
    cmd = ["wrk", "-t%d" % min(WRK_THREADS, conns), "-c%d" % conns, "-d%ds" % seconds,
           "--latency", "--timeout", "%ds" % (timeout or max(10, 2 * seconds))]
    for h in headers:
        cmd += ["-H", h]
    cmd.append(url)
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=seconds + 660).stdout.decode(errors="replace")
    res = {"rps": None, "p50": None, "p99": None, "requests": 0, "non2xx": 0,
           "errors": 0, "raw": out}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m:
        res["rps"] = float(m.group(1))
    m = re.search(r"(\d+) requests in", out)
    if m:
        res["requests"] = int(m.group(1))
    for pct, key in (("50%", "p50"), ("99%", "p99")):
        m = re.search(r"^\s+%s\s+(\S+)" % re.escape(pct), out, re.M)
        if m:
            res[key] = parse_latency(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if m:
        res["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        res["errors"] = sum(int(x) for x in m.groups())
    if res["requests"] == 0:
        res["p50"] = res["p99"] = None
    return res


def wait_php_idle(url, timeout=600):
    """php-fpm keeps working on requests wrk gave up on: wait them out so
    that they do not steal CPU from the next measurement."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        r = get(url, "/fpm-status", timeout=30)
        if r is not None and r.status == 200:
            m = re.search(r"active processes:\s+(\d+)", r.text)
            if m and int(m.group(1)) <= 1:
                return
        time.sleep(0.2)


# -- callgrind ----------------------------------------------------------------

def cg_totals(path):
    """Total Ir of one callgrind dump file."""
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("totals:") or line.startswith("summary:"):
                return int(line.split()[1])
    return None


def callgrind(n, articles, tmp, slug):
    """Instructions per request inside route_respond (the whole answer: route,
    fingerprint, cache lookup, document, transform, serialisation), for a
    cached and an uncached listing and article page.  The engine runs under
    callgrind with --toggle-collect=route_respond and --dump-after=
    route_respond, so each request is one dump; cgi-fcgi sends the requests.
    (route_respond_fd, which FastCGI calls: route_respond is only the
    export's wrapper, and toggling on it gave no dumps at all.)  A request
    answered 503 while the engine still loads its folder makes no dump and
    is sent again.  Deterministic: the same binary and corpus give the same
    counts."""
    if not shutil.which("valgrind") or not shutil.which("cgi-fcgi"):
        return {"note": "valgrind or cgi-fcgi missing"}
    pages = [("listing /", "/"), ("article", "/articles/%s/" % slug)]
    runs = {}
    procs = {}
    for mode, extra in (("cached", {}), ("uncached", {"XSLTPRESS_CACHE": "off"})):
        d = os.path.join(tmp, "cg-" + mode)
        os.makedirs(d)
        sock = os.path.join(d, "cg.sock")
        extra = dict(extra, XSLTPRESS_WATCH="off", XSLTPRESS_THREADS="1")
        prefix = ["valgrind", "--tool=callgrind", "--toggle-collect=route_respond_fd",
                  "--dump-after=route_respond_fd", "--callgrind-out-file=%s/cg.out" % d]
        procs[mode] = (start_engine(d, sock, articles, extra, prefix), d, sock)
    for mode, (p, d, sock) in procs.items():
        deadline = time.monotonic() + 3600
        while not os.path.exists(sock) and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.2)
        if p.poll() is not None or not os.path.exists(sock):
            runs[mode] = None
            problem("%d articles: engine under callgrind did not listen" % n)
            continue
        seq = []
        for label, path in pages:
            for k in range(1 + CG_REQS):
                env = cgi_env("GET", path, {"PATH": os.environ.get("PATH", "")})
                while True:
                    r = subprocess.run(["cgi-fcgi", "-bind", "-connect", sock], env=env,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       timeout=600)
                    st = parse_cgi_output(r.stdout).status if r.returncode == 0 else None
                    if st != 503 or time.monotonic() > deadline:
                        break
                    time.sleep(1)   # still loading: no dump was made
                if st != 200:
                    problem("%d articles: callgrind %s request %s answered %s"
                            % (n, mode, path, st))
                seq.append((label, k))
        stop(p, timeout=120)
        dumps = sorted(glob.glob(os.path.join(d, "cg.out.*")),
                       key=lambda s: int(s.rsplit(".", 1)[1]) if s.rsplit(".", 1)[1].isdigit() else -1)
        dumps = [x for x in dumps if x.rsplit(".", 1)[1].isdigit()]
        if len(dumps) < len(seq):
            problem("%d articles: callgrind %s wrote %d dumps for %d requests"
                    % (n, mode, len(dumps), len(seq)))
            runs[mode] = None
            continue
        # dumps are numbered from 1 in request order; a trailing one may come
        # from the shutdown
        irs = [cg_totals(x) for x in dumps[:len(seq)]]
        res = {}
        for label, _ in pages:
            vals = [ir for (lab, k), ir in zip(seq, irs) if lab == label]
            res[label] = {"first": vals[0], "per_request": sum(vals[1:]) / CG_REQS}
        runs[mode] = res
    return runs


# -- the run ------------------------------------------------------------------

def fmt_ms(v):
    if v is None:
        return "-"
    if v >= 1000:
        return "%.2fs" % (v / 1000)
    if v >= 10:
        return "%.1fms" % v
    return "%.2fms" % v


def fmt_ratio(v, base):
    if v is None or base in (None, 0):
        return "-"
    return "%.2f" % (v / base)


def micro_cache(text, d):
    """TEXT (the dev nginx config) with a one-second micro-cache: nginx
    keeps each page for one second and revalidates it with the engine's
    ETag (conf/nginx-site.conf has its own, measured as stack g)."""
    cache_zone = ("    fastcgi_cache_path %s/fcache levels=1:2 keys_zone=xp:10m "
                  "max_size=256m inactive=1m use_temp_path=off;\n" % d)
    cache_loc = ("fastcgi_pass xsltpress;\n"
                 "            fastcgi_cache xp;\n"
                 "            fastcgi_cache_key $request_method$request_uri;\n"
                 "            fastcgi_cache_valid 200 301 404 1s;\n"
                 "            fastcgi_ignore_headers Cache-Control Expires;\n"
                 "            fastcgi_cache_revalidate on;\n"
                 "            fastcgi_cache_lock on;\n"
                 "            fastcgi_cache_use_stale updating error timeout;\n"
                 "            fastcgi_cache_background_update on;")
    text2 = text.replace("    upstream xsltpress {", cache_zone + "    upstream xsltpress {", 1)
    text2 = text2.replace("fastcgi_pass xsltpress;", cache_loc, 1)
    if "keys_zone=xp" not in text2 or "fastcgi_cache xp;" not in text2:
        raise SystemExit("bench: cannot add a cache to conf/nginx-dev.conf.in")
    return text2


def engine_stack(tmp, name, articles, edit_conf=None, extra=None):
    """Stack NAME in TMP/NAME: nginx from conf/nginx-dev.conf.in (through
    EDIT_CONF(text, the stack's folder) when given) in front of a fresh engine with the
    EXTRA environment.  Returns the stack {url, engine, nginx, dir, sock}
    and the seconds from start to the first page (None when it never
    came)."""
    d = os.path.join(tmp, name)
    os.makedirs(d)
    port = free_port()
    sock = os.path.join(d, "xsltpress.sock")
    text = render_template(port, d, sock)
    if edit_conf is not None:
        text = edit_conf(text, d)
    ng = start_nginx(d, text, port)
    url = "http://127.0.0.1:%d" % port
    eng = start_engine(d, sock, articles, extra)
    return ({"url": url, "engine": eng, "nginx": ng, "dir": d, "sock": sock},
            wait_first_page(url, eng))


# -- g and h: the shipped configs ---------------------------------------------

GZIP = "Accept-Encoding: gzip"


def public_dir(tmp, name):
    """A folder under /tmp that Apache's workers (www-data) can walk into:
    the run's own folder under build/ may be closed to them."""
    d = tempfile.mkdtemp(prefix="xsltpress-bench-%s." % name)
    os.chmod(d, 0o755)
    SHIPPED_DIRS.append(d)
    return d


SHIPPED_DIRS = []


def shipped_stacks(n, tmp, articles, www, pages):
    """Stacks g, g0, h, h0 (see the top of this file); returns their
    measurements and the change-to-visible times through g and h."""
    import deploy as dp      # Apache, as the deploy suite runs it
    import shipped as sh     # the shipped configs under a Debian-like nginx.conf
    import types
    res = {"pages": {}, "change": {}}
    servers = {}
    gid = dp.www_ids()[1]
    pub = public_dir(tmp, "www")
    shutil.copytree(www, os.path.join(pub, "www"))
    for root, dirs, files in os.walk(pub):
        for x in dirs:
            os.chmod(os.path.join(root, x), 0o755)
        for x in files:
            os.chmod(os.path.join(root, x), 0o644)
    docroot = os.path.join(pub, "www")

    def engine(d):
        sock = os.path.join(d, "xsltpress.sock")
        logf = open(os.path.join(d, "xsltpress.log"), "ab")
        kw = {"group": gid} if gid is not None and os.geteuid() == 0 else {}
        p = subprocess.Popen([BIN, "-c", CONF, "-s", "unix:" + sock], cwd=ROOT,
                             env=engine_env(articles), stdin=subprocess.DEVNULL,
                             stdout=logf, stderr=subprocess.STDOUT, **kw)
        PROCS.append(p)
        deadline = time.monotonic() + 600
        while not os.path.exists(sock) and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if not os.path.exists(sock):
            problem("%d articles: the engine for %s did not listen:\n%s" % (
                n, d, open(os.path.join(d, "xsltpress.log"), errors="replace").read()[-1000:]))
        return p, sock

    if "g" not in SKIP:
        d = public_dir(tmp, "g")
        eng, sock = engine(d)
        site = types.SimpleNamespace(d=d, port=free_port(), socks=[sock])
        text = sh.debian_main(d, "nginx", sh.shipped_nginx("nginx-site.conf", site))
        servers["g"] = {"url": "http://127.0.0.1:%d" % site.port, "engine": eng,
                        "nginx": start_nginx(d, text, site.port), "dir": d}
        d0 = public_dir(tmp, "g0")
        port0 = free_port()
        static = """server {
    listen 127.0.0.1:%d;
    server_name localhost;
    root %s;
    index index.html;
    location / { try_files $uri $uri/ =404; }
}""" % (port0, docroot)
        servers["g0"] = {"url": "http://127.0.0.1:%d" % port0,
                         "nginx": start_nginx(d0, sh.debian_main(d0, "nginx", static), port0),
                         "dir": d0}
    if "h" not in SKIP:
        deflate = ("<IfModule mod_deflate.c>\n    AddOutputFilterByType DEFLATE text/html "
                   "text/plain text/xml text/css text/javascript application/javascript "
                   "application/rss+xml application/xml application/atom+xml\n</IfModule>\n")
        d = public_dir(tmp, "h")
        eng, sock = engine(d)
        port = free_port()
        site = dp.apache_site("apache-proxy-fcgi.conf", port, {
            dp.CONF_SOCKET: sock, "/var/www/html": docroot,
            dp.APACHE_CACHE_ROOT: dp.apache_cache_root(d)})
        ap = dp.Apache(d, port, ["proxy", "proxy_fcgi", "deflate", "filter", "mime"]
                       + dp.APACHE_CACHE_MODULES, deflate + site)
        ap.start()
        servers["h"] = {"url": "http://127.0.0.1:%d" % port, "engine": eng, "apache": ap,
                        "dir": d}
        d0 = public_dir(tmp, "h0")
        port0 = free_port()
        static = ("<VirtualHost *:%d>\n    DocumentRoot %s\n    DirectoryIndex index.html\n"
                  "</VirtualHost>\n" % (port0, docroot))
        ap0 = dp.Apache(d0, port0, ["deflate", "filter", "mime", "dir"], deflate + static)
        ap0.start()
        servers["h0"] = {"url": "http://127.0.0.1:%d" % port0, "apache": ap0, "dir": d0}
    try:
        order = [s for s in ("g0", "g", "h0", "h") if s in servers]
        for label, path in pages:
            res["pages"][label] = {}
            for gz in (False, True):
                for s in order:
                    st = servers[s]
                    first = get(st["url"], path)
                    if first is None or first.status != 200:
                        problem("%d articles: %s %s answered %s before the run"
                                % (n, s, path, first and first.status))
                    r = wrk(st["url"] + path, headers=(GZIP,) if gz else ())
                    del r["raw"]
                    if r["non2xx"] or r["errors"]:
                        problem("%d articles: %s %s%s: %d non-2xx/3xx, %d socket errors"
                                % (n, s, path, " gzip" if gz else "", r["non2xx"], r["errors"]))
                    res["pages"][label][s + (" gzip" if gz else "")] = r
                    log("%d %-11s %-4s %-5s %8s req/s  p50 %-8s p99 %-8s"
                        % (n, label, s, "gzip" if gz else "", "%.1f" % r["rps"]
                           if r["rps"] is not None else "-", fmt_ms(r["p50"]), fmt_ms(r["p99"])))
        # a file change to the new page, through each shipped config
        slug1 = article_slug(articles, 2)
        f = os.path.join(articles, slug1 + ".xml")
        orig = open(f, encoding="utf-8").read()
        for s in ("g", "h"):
            if s not in servers:
                continue
            for p in ("/articles/%s/" % slug1, "/"):
                get(servers[s]["url"], p)          # in the cache before the change
            title = "Shipped change %s %d" % (s, int(time.time() * 1000) % 1000000)
            with open(f + ".tmp", "w", encoding="utf-8") as fh:
                fh.write(re.sub(r"<title>.*?</title>", "<title>%s</title>" % title, orig, count=1))
            t0 = time.monotonic()
            os.replace(f + ".tmp", f)
            seen = {}
            while time.monotonic() - t0 < 60 and len(seen) < 2:
                for what, p in (("article", "/articles/%s/" % slug1), ("listing", "/")):
                    if what not in seen:
                        r = get(servers[s]["url"], p)
                        if r is not None and r.status == 200 and title in r.text:
                            seen[what] = time.monotonic() - t0
                time.sleep(0.005)
            res["change"][s] = seen
            log("%d change -> served through %s: %s" % (n, s, ", ".join(
                "%s %.3f s" % kv for kv in seen.items())))
        with open(f + ".tmp", "w", encoding="utf-8") as fh:
            fh.write(orig)
        os.replace(f + ".tmp", f)
    finally:
        for s, st in servers.items():
            if "apache" in st:
                st["apache"].stop()
            for key in ("nginx", "engine"):
                if key in st:
                    stop(st[key], sig=signal.SIGQUIT if key == "nginx" else signal.SIGTERM)
        for d in SHIPPED_DIRS:
            shutil.rmtree(d, ignore_errors=True)
        del SHIPPED_DIRS[:]
    return res


def report_shipped(res, w):
    w("shipped configs (req/s; ratio to the static server under the same main config):\n")
    w("%-12s %-6s %12s %12s %7s %12s %12s %7s\n"
      % ("page", "gzip", "g0 static", "g nginx", "g/g0", "h0 static", "h Apache", "h/h0"))
    for label, pr in res["pages"].items():
        for gz in ("", " gzip"):
            row = [pr.get(k + gz, {}).get("rps") for k in ("g0", "g", "h0", "h")]
            w("%-12s %-6s %12s %12s %7s %12s %12s %7s\n"
              % (label, "yes" if gz else "no",
                 *("%.1f" % v if v is not None else "-" for v in row[:2]),
                 fmt_ratio(row[1], row[0]),
                 *("%.1f" % v if v is not None else "-" for v in row[2:]),
                 fmt_ratio(row[3], row[2])))
    for s, seen in res["change"].items():
        w("title change -> served through %s: %s\n" % (STACK_NAMES[s], ", ".join(
            "%s %.3f s" % kv for kv in seen.items()) or "never"))


def bench_size(n, out):
    src = corpus(n)
    tmp = tempfile.mkdtemp(prefix="run-%d." % n, dir=os.path.join(BUILD, "bench"))
    # a private copy of the corpus made of hard links: the change test
    # replaces one file in it (rename), never the cached corpus
    articles = os.path.join(tmp, "articles")
    if "cold" in SKIP:
        # the metadata cache kept for BENCH_SKIP=cold knows its folder by
        # path: the copy is kept too (build/bench/kept-corpus-N)
        articles = os.path.join(BUILD, "bench", "kept-" + os.path.basename(src.rstrip("/")))
    if not os.path.isdir(articles):
        subprocess.run(["cp", "-al", src, articles], check=True)
    CORPUS_OF[articles] = src
    result = {"size": n, "pages": {}, "start": {}, "rss_kb": {}, "search": {},
              "change": {}, "callgrind": None}
    pages_total = max(1, math.ceil(n / PER_PAGE))
    deep = min(5000, pages_total)
    slug = article_slug(articles, n // 2)
    pages = [("listing 1", "/"),
             ("listing %d" % deep, "/page/%d/" % deep if deep > 1 else "/"),
             ("article", "/articles/%s/" % slug)]
    stacks = {}
    try:
        # -- b: the engine with its cache; cold start, then warm start ------
        # Cold: an empty metadata cache of its own, so every file is
        # parsed (the first start of a site); warm: the same cache, filled.
        own_cache = {"XSLTPRESS_CACHE_DIR": os.path.join(tmp, "metacache-b")}
        if "cold" in SKIP:
            # BENCH_SKIP=cold: b's cache (and its search file) is kept
            # between runs in build/bench/metacache-b-corpus-N, with the
            # articles' copy in build/bench/kept-corpus-N, and only the
            # warm start is measured: a search-only run takes a minute at
            # 100,000 articles, not three (the first such run fills it)
            keep = os.path.join(BUILD, "bench", "metacache-b-" + os.path.basename(src.rstrip("/")))
            os.makedirs(keep, exist_ok=True)
            own_cache = {"XSLTPRESS_CACHE_DIR": keep}
            b, warm = engine_stack(tmp, "b", articles, extra=own_cache)
            stacks["b"] = b
            if warm is None:
                problem("%d articles: engine did not serve / after start" % n)
                raise SystemExit(1)
            result["start"]["warm"] = warm
            result["start"]["warm_peak_kb"] = vm_kb(b["engine"].pid, "VmHWM")
            b_log = os.path.join(b["dir"], "xsltpress.log")
            result["start"]["warm_index"] = wait_index_built(b_log, b["engine"], 0)
            result["start"]["warm_index_peak_kb"] = vm_kb(b["engine"].pid, "VmHWM")
            log("%d: start to first page: warm %.2f s (kept cache, cold skipped)" % (n, warm))
        else:
            dropped = drop_caches()
            b, cold = engine_stack(tmp, "b", articles, extra=own_cache)
            stacks["b"] = b
            if cold is None:
                problem("%d articles: engine did not serve / after start:\n%s"
                        % (n, open(os.path.join(b["dir"], "xsltpress.log")).read()[-2000:]))
                raise SystemExit(1)
            result["start"]["cold"] = cold
            result["start"]["cold_peak_kb"] = vm_kb(b["engine"].pid, "VmHWM")
            result["start"]["cold_note"] = "page cache dropped" if dropped else "page cache not dropped"
            # The peaks the targets name include the search postings, built
            # in the background after the first page: read them once built.
            b_log = os.path.join(b["dir"], "xsltpress.log")
            t = wait_index_built(b_log, b["engine"], 0)
            result["start"]["cold_index"] = t
            result["start"]["cold_index_peak_kb"] = vm_kb(b["engine"].pid, "VmHWM")
            stop(b["engine"])
            before = log_count(b_log, "search index:")
            # The cold start left gigabytes to write back (kept bodies, the
            # cache file, the search files): a warm start is a restart of a
            # running site, not one racing that writeback for the disk.
            subprocess.run(["sync"], check=False)
            b["engine"] = start_engine(b["dir"], b["sock"], articles, own_cache)
            result["start"]["warm"] = wait_first_page(b["url"], b["engine"])
            result["start"]["warm_peak_kb"] = vm_kb(b["engine"].pid, "VmHWM")
            t = wait_index_built(b_log, b["engine"], before)
            result["start"]["warm_index"] = t
            result["start"]["warm_index_peak_kb"] = vm_kb(b["engine"].pid, "VmHWM")
            log("%d: start to first page: cold %.2f s, warm %.2f s"
                % (n, cold, result["start"]["warm"] or -1))

        # -- a: static files ------------------------------------------------
        if "a" not in SKIP:
            d = os.path.join(tmp, "a")
            www = os.path.join(d, "www")
            os.makedirs(www)
            extra_pages = ["/page/2/" if pages_total > 1 else "/", "/style.css",
                           "/articles/%s/" % article_slug(articles, 0),
                           "/articles/%s/" % article_slug(articles, n - 1)]
            t = time.monotonic()
            for _, path in pages + [(None, p) for p in extra_pages]:
                if n <= RENDER_MAX:
                    r = subprocess.run([BIN, "-c", CONF, "render", path], cwd=ROOT,
                                       env=engine_env(articles), stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, timeout=1800)
                    resp = parse_cgi_output(r.stdout) if r.returncode == 0 else None
                else:
                    resp = get(stacks["b"]["url"], path)
                if resp is None or resp.status != 200:
                    problem("%d articles: rendering %s for the static site failed (%s)"
                            % (n, path, resp and resp.status))
                    continue
                f = os.path.join(www, path.strip("/"), "index.html") if path.endswith("/") \
                    else os.path.join(www, path.strip("/"))
                os.makedirs(os.path.dirname(f), exist_ok=True)
                with open(f, "wb") as fh:
                    fh.write(resp.body)
            result["static_render_s"] = time.monotonic() - t
            result["static_how"] = "render" if n <= RENDER_MAX else "fetched from engine b"
            port = free_port()
            conf = nginx_common(d) + """    server {
        listen 127.0.0.1:%d;
        server_name localhost;
        root %s;
        location / { try_files $uri $uri/index.html =404; }
    }
}
""" % (port, www)
            ng = start_nginx(d, conf, port)
            stacks["a"] = {"url": "http://127.0.0.1:%d" % port, "nginx": ng, "dir": d}

        # -- c: cache off -----------------------------------------------------
        if "c" not in SKIP:
            stacks["c"], result["start"]["c_warm"] = engine_stack(
                tmp, "c", articles, extra={"XSLTPRESS_CACHE": "off"})

        # -- e: cache, without upstream keepalive ------------------------------
        # The shipped config keeps connections to the engine (b); e shows
        # what that is worth.
        if "e" not in SKIP and KEEPALIVE > 0:
            def no_keepalive(text, _d):
                text2 = re.sub(r"\n\s*keepalive \d+;", "", text, count=1)
                text2 = text2.replace("\n            fastcgi_keep_conn on;", "", 1)
                if "keepalive" in re.sub(r"#.*", "", text2) or "fastcgi_keep_conn" in text2:
                    raise SystemExit("bench: cannot take keepalive out of conf/nginx-dev.conf.in")
                return text2
            stacks["e"], result["start"]["e_warm"] = engine_stack(
                tmp, "e", articles, edit_conf=no_keepalive)

        # -- f: nginx micro-cache in front of the engine ------------------------
        # A one-second fastcgi_cache on the one-worker dev config: nginx
        # keeps each page a second and revalidates it with the engine's
        # ETag (a 304 costs no rendering), so an edit shows within a second
        # while nearly every request is served like a static file.  The
        # shipped config itself is measured as stack g.
        if "f" not in SKIP:
            stacks["f"], _ = engine_stack(tmp, "f", articles, edit_conf=micro_cache)

        # -- d: php-fpm --------------------------------------------------------
        if "d" not in SKIP:
            fpm = shutil.which("php-fpm") or (sorted(glob.glob("/usr/sbin/php-fpm*")) or [None])[-1]
            if fpm is None:
                problem("php-fpm not installed: stack d skipped")
            else:
                d = os.path.join(tmp, "d")
                os.makedirs(d)
                port = free_port()
                tpl = open(os.path.join(HERE, "peers", "php", "php-fpm.conf.in")).read()
                for k, v in (("@DIR@", d), ("@ROOT@", ROOT), ("@ARTICLES@", articles),
                             ("@BASE_URL@", BASE_URL), ("@CHILDREN@", str(PHP_CHILDREN))):
                    tpl = tpl.replace(k, v)
                with open(os.path.join(d, "php-fpm.conf"), "w") as f:
                    f.write(tpl)
                cmd = [fpm, "-F", "-y", os.path.join(d, "php-fpm.conf"), "-p", d]
                if os.geteuid() == 0:
                    cmd.insert(1, "-R")
                fp = subprocess.Popen(cmd, cwd=d, stdin=subprocess.DEVNULL,
                                      stdout=open(os.path.join(d, "php-fpm.out"), "wb"),
                                      stderr=subprocess.STDOUT)
                PROCS.append(fp)
                fsock = os.path.join(d, "php-fpm.sock")
                for _ in range(200):
                    if os.path.exists(fsock) or fp.poll() is not None:
                        break
                    time.sleep(0.05)
                conf = nginx_common(d) + """    server {
        listen 127.0.0.1:%(port)d;
        server_name localhost;
        location = /fpm-status {
            fastcgi_pass unix:%(sock)s;
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME /fpm-status;
            fastcgi_param SCRIPT_NAME /fpm-status;
        }
        location / {
            fastcgi_pass unix:%(sock)s;
            fastcgi_read_timeout 900s;
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME %(script)s;
            fastcgi_param SCRIPT_NAME /index.php;
        }
    }
}
""" % {"port": port, "sock": fsock, "script": os.path.join(HERE, "peers", "php", "index.php")}
                ng = start_nginx(d, conf, port)
                stacks["d"] = {"url": "http://127.0.0.1:%d" % port, "nginx": ng, "dir": d,
                               "fpm": fp}

        # -- throughput, interleaved --------------------------------------------
        order = [s for s in "abcdef" if s in stacks]
        for label, path in pages:
            result["pages"][label] = {"path": path}
            for s in order:
                st = stacks[s]
                t = time.monotonic()
                first = get(st["url"], path)
                first_ms = (time.monotonic() - t) * 1000
                if first is None or first.status != 200:
                    problem("%d articles: %s %s answered %s before the run"
                            % (n, STACK_NAMES[s], path, first and first.status))
                timeout = conns = None
                if s == "d":
                    # a request may take longer than the whole measurement
                    timeout = max(60, int(first_ms / 1000 * 4) + 10)
                    # seconds per request: one connection, else the requests
                    # wrk leaves queued would run for minutes after it
                    if first_ms > 1000:
                        conns = 1
                r = wrk(st["url"] + path, timeout=timeout, conns=conns)
                r["conns"] = conns or CONNS
                r["first_ms"] = first_ms
                r["bytes"] = len(first.body) if first is not None else None
                if s == "d":
                    wait_php_idle(st["url"])
                if r["non2xx"] or r["errors"]:
                    problem("%d articles: %s %s: %d non-2xx/3xx responses, %d socket errors"
                            % (n, STACK_NAMES[s], path, r["non2xx"], r["errors"]))
                del r["raw"]
                result["pages"][label][s] = r
                log("%d %-11s %-26s %8s req/s  p50 %-8s p99 %-8s"
                    % (n, label, STACK_NAMES[s], "%.1f" % r["rps"] if r["rps"] is not None else "-",
                       fmt_ms(r["p50"]), fmt_ms(r["p99"])))
            if "a" in stacks and "b" in stacks:
                # bodies: the static page is the engine's page
                fa = get(stacks["a"]["url"], path)
                fb = get(stacks["b"]["url"], path)
                if fa is not None and fb is not None and fa.body != fb.body:
                    la = fa.body.decode("utf-8", "replace").splitlines()
                    lb = fb.body.decode("utf-8", "replace").splitlines()
                    diff = [l[:200] for l in difflib.unified_diff(la, lb, "static", "engine",
                                                                  n=0, lineterm="")][2:8]
                    problem("%d articles: static %s differs from the engine's:\n  %s"
                            % (n, path, "\n  ".join(diff)))

        # -- memory -------------------------------------------------------------
        for s in ("b", "c", "e"):
            if s in stacks:
                result["rss_kb"][s] = vmrss_kb(stacks[s]["engine"].pid)
        # the other servers go before the latency tests
        for s in ("a", "c", "d", "e"):
            if s in stacks:
                for key in ("nginx", "engine", "fpm"):
                    if key in stacks[s]:
                        rc = stop(stacks[s][key], sig=signal.SIGQUIT if key == "nginx" else signal.SIGTERM)
                        if key == "engine" and rc not in (0, None):
                            problem("%d articles: engine %s exited with %s on SIGTERM"
                                    % (n, STACK_NAMES[s], rc))
                stacks[s]["stopped"] = True

        # -- search latency (not cached: every query is computed) ---------------
        b = stacks["b"]
        # The postings are built in the background after start; until then
        # search scans.  Measure the index, not the scan.
        built = None
        deadline = time.monotonic() + 600
        while built is None and time.monotonic() < deadline:
            lg = open(os.path.join(b["dir"], "xsltpress.log"), errors="replace").read()
            built = re.findall(r"search index: (\d+) articles, (\d+) words, ([\d.]+) MiB,"
                               r" built in ([\d.]+) s", lg)
            built = built[-1] if built else None
            if built is None:
                time.sleep(0.2)
        if built is None:
            problem("%d articles: no search index built within 600 s" % n)
        else:
            result["search_index"] = {"articles": int(built[0]), "words": int(built[1]),
                                      "mib": float(built[2]), "seconds": float(built[3])}
            log("%d search index: %s articles, %s words, %s MiB, built in %s s" % ((n,) + built))
        topic = article_slug(articles, 0).split("-")[0]

        def measure_search(q):
            path = "/search/?q=" + q.replace(" ", "+").replace('"', "%22")
            first = get(b["url"], path)
            count = None
            if first is not None:
                m = re.search(r"(\d+) results? for", first.text)
                count = int(m.group(1)) if m else (0 if "No articles match" in first.text else None)
            r = wrk(b["url"] + path, seconds=max(2, min(SECONDS, 5)), conns=1)
            del r["raw"]
            r["results"] = count
            if first is None or first.status != 200:
                problem("%d articles: search %s answered %s" % (n, q, first and first.status))
            result["search"][q] = r
            log("%d search %-20s %s results: p50 %s p99 %s" % (n, q, count, fmt_ms(r["p50"]), fmt_ms(r["p99"])))

        # a word in nearly every article, a topic (a few %), a rare word
        for q in ("latency", topic, "zyzzyva"):
            measure_search(q)
        # the phrases' word order (cache_dir/search): written after the
        # postings from the articles' text the first time (long: every
        # article is parsed again), read after
        pos = None
        deadline = time.monotonic() + 1800
        while pos is None and time.monotonic() < deadline:
            lg = open(os.path.join(b["dir"], "xsltpress.log"), errors="replace").read()
            pos = re.findall(r"search positions: ready, (\d+) articles", lg)
            if not pos:
                pos = None
                time.sleep(0.5)
        written = re.findall(r"search positions: (\d+) articles, written in ([\d.]+) s",
                             open(os.path.join(b["dir"], "xsltpress.log"), errors="replace").read())
        # b's own cache folder, where its engine writes the file
        sfile = os.path.join(own_cache["XSLTPRESS_CACHE_DIR"], "search")
        result["search_positions"] = {
            "ready": pos is not None,
            "written_s": float(written[-1][1]) if written else None,
            "mib": os.path.getsize(sfile) / 1048576 if os.path.exists(sfile) else None}
        log("%d search positions: %s" % (n, result["search_positions"]))
        # a two-word phrase of the titles ("A Field Guide to ...": one title
        # in twelve, and "field" in most bodies)
        measure_search('"field guide"')
        # two body words each in most articles: without the pairs of
        # common words, some 88,000 streams read at 100,000 articles
        measure_search('"quorum lease"')
        measure_search('"consistent hashing"')

        # -- CGI: a search against a listing, same warm metadata cache -----------
        # (every CGI request loads the whole site: left out above 5,000)
        if n <= 5000:
            cgi = {}
            for label, path in (("listing", "/"), ("search latency", "/search/?q=latency"),
                                ("search phrase", "/search/?q=%22field+guide%22")):
                env = cgi_env("GET", path, engine_env(articles))
                times = []
                for _ in range(6):
                    t0 = time.monotonic()
                    subprocess.run([BIN, "-c", CONF], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    times.append(time.monotonic() - t0)
                cgi[label] = sorted(times[1:])[len(times[1:]) // 2]
            result["cgi_search"] = cgi
            log("%d CGI median: %s" % (n, ", ".join("%s %.1f ms" % (k, v * 1000)
                                                    for k, v in cgi.items())))

        # -- a file change through nginx ---------------------------------------
        slug1 = article_slug(articles, 1)
        f = os.path.join(articles, slug1 + ".xml")
        orig = open(f, encoding="utf-8").read()
        for round_ in (1, 2):
            title = "Changed title %d %d" % (round_, int(time.time() * 1000) % 1000000)
            new = re.sub(r"<title>.*?</title>", "<title>%s</title>" % title, orig, count=1)
            tmpf = f + ".tmp"   # not an article name: ignored by the engine
            with open(tmpf, "w", encoding="utf-8") as fh:
                fh.write(new)
            t0 = time.monotonic()
            os.replace(tmpf, f)
            seen = {}
            while time.monotonic() - t0 < 600 and len(seen) < 2:
                for what, path in (("article", "/articles/%s/" % slug1), ("listing", "/")):
                    if what in seen:
                        continue
                    r = get(b["url"], path)
                    if r is not None and r.status == 200 and title in r.text:
                        seen[what] = time.monotonic() - t0
                time.sleep(0.005)
            result["change"]["round%d" % round_] = seen
            if len(seen) < 2:
                problem("%d articles: a title change was not served within 600 s" % n)
            log("%d change -> served: %s" % (n, ", ".join("%s %.3f s" % kv for kv in seen.items())))
        with open(f + ".tmp", "w", encoding="utf-8") as fh:
            fh.write(orig)
        os.replace(f + ".tmp", f)
        result["rss_kb"]["b_end"] = vmrss_kb(b["engine"].pid)
        stop(b["nginx"], sig=signal.SIGQUIT)
        rc = stop(b["engine"])
        if rc not in (0, None):
            problem("%d articles: engine b exited with %s on SIGTERM" % (n, rc))
        for s, st in stacks.items():
            if "engine" in st:
                lg = open(os.path.join(st["dir"], "xsltpress.log"), errors="replace").read()
                bad = [l for l in lg.splitlines() if re.search(r"error|crit|fatal|assert", l, re.I)]
                if bad:
                    problem("%d articles: engine %s logged %d error lines, e.g. %s"
                            % (n, STACK_NAMES[s], len(bad), bad[0][:300]))
            ep = os.path.join(st["dir"], "error.log")
            if os.path.exists(ep):
                errs = [l for l in open(ep, errors="replace").read().splitlines()
                        if re.search(r"\[(error|crit|alert|emerg)\]", l)
                        # 502s while the engine was starting (no socket yet)
                        and not re.search(r"connect\(\) to unix:\S+ failed", l)]
                if errs:
                    problem("%d articles: nginx %s logged %d errors, e.g. %s"
                            % (n, STACK_NAMES[s], len(errs), errs[0][:300]))

        # -- g, h: the shipped configs against static servers --------------------
        if ("g" not in SKIP or "h" not in SKIP) and "a" in stacks:
            result["shipped"] = shipped_stacks(n, tmp, articles, www, pages)
        elif "g" not in SKIP or "h" not in SKIP:
            problem("stacks g and h need the static files of stack a")

        # -- CGI, as a shared host runs it -----------------------------------------
        if "cgi" not in SKIP:
            result["cgi"] = cgi_listing(articles, tmp)
            log("%d CGI listing: %s" % (n, result["cgi"]))

        # -- callgrind ----------------------------------------------------------
        if n <= CG_MAX:
            t = time.monotonic()
            result["callgrind"] = callgrind(n, articles, tmp, slug)
            log("%d callgrind done in %.0f s" % (n, time.monotonic() - t))
        else:
            result["callgrind"] = {"note": "skipped above BENCH_CALLGRIND_MAX=%d "
                                   "(start-up under callgrind would take too long)" % CG_MAX}
    finally:
        stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    report_size(result, out)
    return result


CGI_RUNS = 15
STATIC_BIN = os.path.join(BUILD, "static", "xsltpress")


def cgi_listing(articles, tmp):
    """Milliseconds for the listing as CGI under /cgi-bin/blog.cgi with no
    cache_dir (the default metadata cache, in a fresh $HOME): the first
    request, which fills the cache, then the median of CGI_RUNS more; for
    the ordinary build and, when built, the static one."""
    res = {}
    for name, binary in (("dynamic", BIN), ("static", STATIC_BIN)):
        if not os.access(binary, os.X_OK):
            continue
        home = tempfile.mkdtemp(prefix="cgi-home.", dir=tmp)
        env = engine_env(articles, {"HOME": home})
        env.pop("XSLTPRESS_CACHE_DIR", None)
        env.update(cgi_env("GET", "/cgi-bin/blog.cgi/", env))
        env.update(SCRIPT_NAME="/cgi-bin/blog.cgi", PATH_INFO="/")
        times, cpu = [], []
        for _ in range(CGI_RUNS + 1):
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.monotonic()
            r = subprocess.run([binary, "-c", CONF], cwd=tmp, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=1800)
            times.append((time.monotonic() - t) * 1000)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            # CPU time too: on a shared machine the wall clock is mostly
            # other processes' load
            cpu.append((r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1000)
            if r.returncode != 0 or parse_cgi_output(r.stdout).status != 200:
                problem("CGI listing (%s) failed: %s" % (name, r.stderr[-300:]))
                break
        else:
            res[name] = {"first_ms": times[0], "p50_ms": statistics.median(times[1:]),
                         "cpu_p50_ms": statistics.median(cpu[1:])}
    return res


def report_cgi_ratio(results, out):
    """The CGI listing at the largest size against the smallest: the
    shared-hosting target is about 3x at most (2,000 against 20)."""
    have = [r for r in results if r.get("cgi")]
    if len(have) < 2:
        return
    lo, hi = have[0], have[-1]
    for name in lo["cgi"]:
        if name in hi["cgi"]:
            h, l = hi["cgi"][name], lo["cgi"][name]
            out.write("CGI listing (%s), %s against %s articles: %.1fx wall (%.1f / %.1f ms),"
                      " %.1fx CPU (%.1f / %.1f ms); target <= 3x\n"
                      % (name, format(hi["size"], ","), format(lo["size"], ","),
                         h["p50_ms"] / l["p50_ms"], h["p50_ms"], l["p50_ms"],
                         h["cpu_p50_ms"] / l["cpu_p50_ms"], h["cpu_p50_ms"], l["cpu_p50_ms"]))


def report_size(res, out):
    n = res["size"]
    w = out.write
    w("\n== %s articles ==\n" % format(n, ","))
    w("%-12s %-26s %9s %9s %9s %8s %8s %8s %7s\n"
      % ("page", "server", "req/s", "p50", "p99", "rps/a", "p50/a", "p99/a", "non2xx"))
    for label, pr in res["pages"].items():
        a = pr.get("a", {})
        for s in "abcdef":
            if s not in pr:
                continue
            r = pr[s]
            w("%-12s %-26s %9s %9s %9s %8s %8s %8s %7s\n"
              % (label, s + " " + STACK_NAMES[s] + ("" if r.get("conns", CONNS) == CONNS else " -c%d" % r["conns"]),
                 "%.1f" % r["rps"] if r["rps"] is not None else "-",
                 fmt_ms(r["p50"]), fmt_ms(r["p99"]),
                 fmt_ratio(r["rps"], a.get("rps")), fmt_ratio(r["p50"], a.get("p50")),
                 fmt_ratio(r["p99"], a.get("p99")), r["non2xx"] + r["errors"]))
        w("\n")
    st = res["start"]
    w("start to first page (s): cold %s (%s), warm %s; cache=off engine %s; no-keepalive engine %s\n"
      % (fmt_s(st.get("cold")), st.get("cold_note", ""), fmt_s(st.get("warm")),
         fmt_s(st.get("c_warm")), fmt_s(st.get("e_warm"))))
    targets = START_TARGETS.get(n)
    if targets and st.get("cold") is not None:
        # the targets for this size, as ratios (under 1 meets them)
        w("start targets (ratio to target, under 1 is met): cold %s of %d s, peak %s of %d MB;"
          " warm %s of %d s, peak %s of %d MB\n"
          % (fmt_ratio(st.get("cold"), targets[0]), targets[0],
             fmt_ratio(kb_mb(st.get("cold_index_peak_kb") or st.get("cold_peak_kb")),
                       targets[1]), targets[1],
             fmt_ratio(st.get("warm"), targets[2]), targets[2],
             fmt_ratio(kb_mb(st.get("warm_index_peak_kb") or st.get("warm_peak_kb")),
                       targets[3]), targets[3]))
    w("peak RSS at the first page: cold %s MB (empty metadata cache), warm %s MB\n"
      % (fmt_mb(st.get("cold_peak_kb")), fmt_mb(st.get("warm_peak_kb"))))
    w("peak RSS once the search postings are built: cold %s MB (%s s after the first"
      " page), warm %s MB (%s s after)\n"
      % (fmt_mb(st.get("cold_index_peak_kb")), fmt_s(st.get("cold_index")),
         fmt_mb(st.get("warm_index_peak_kb")), fmt_s(st.get("warm_index"))))
    if "static_render_s" in res:
        w("static pages for (a): %s, %.1f s\n" % (res["static_how"], res["static_render_s"]))
    w("VmRSS after the run: %s\n" % ", ".join(
        "%s %.1f MiB" % (STACK_NAMES.get(k, k.replace("b_end", "xsltpress cache, after change test")),
                         v / 1024) for k, v in res["rss_kb"].items() if v))
    if res.get("shipped"):
        report_shipped(res["shipped"], w)
    for rnd, seen in res["change"].items():
        w("title change -> served through nginx (%s): %s\n" % (rnd, ", ".join(
            "%s %.3f s" % (k, v) for k, v in seen.items()) or "never"))
    si = res.get("search_index")
    if si:
        w("search index: %d articles, %d words, %.1f MiB, built in %.2f s (in the background"
          " after start)\n" % (si["articles"], si["words"], si["mib"], si["seconds"]))
    sp = res.get("search_positions")
    if sp:
        w("search positions (cache_dir/search, for phrases): %s MiB, %s\n"
          % ("%.1f" % sp["mib"] if sp["mib"] is not None else "-",
             "written in %.1f s (in the background, from the articles' text)" % sp["written_s"]
             if sp["written_s"] is not None else "read from the previous run"
             if sp["ready"] else "NOT READY"))
    cgi = res.get("cgi_search")
    if cgi:
        w("CGI (warm metadata cache), median of 5: %s; search/listing %s\n"
          % (", ".join("%s %.1f ms" % (k, v * 1000) for k, v in cgi.items()),
             ", ".join("%s %.2f" % (k, v / cgi["listing"]) for k, v in cgi.items()
                       if k != "listing")))
    for q, r in res["search"].items():
        w("search %-22s %6s results  p50 %-9s p99 %-9s %s req/s (1 connection, uncached)\n"
          % ('"%s"' % q, r.get("results"), fmt_ms(r["p50"]), fmt_ms(r["p99"]),
             "%.1f" % r["rps"] if r["rps"] is not None else "-"))
    for name, c in (res.get("cgi") or {}).items():
        w("CGI listing (%s build, default metadata cache): first %.1f ms, then p50 %.1f ms"
          " (CPU %.1f ms)\n" % (name, c["first_ms"], c["p50_ms"], c["cpu_p50_ms"]))
    cg = res["callgrind"]
    if cg and "note" not in cg:
        for mode, pages in cg.items():
            if not pages:
                w("callgrind %s: failed\n" % mode)
                continue
            for label, v in pages.items():
                w("callgrind Ir/request %-8s %-10s %12s  (first request %s)\n"
                  % (mode, label, format(int(v["per_request"]), ","), format(v["first"], ",")))
    elif cg:
        w("callgrind: %s\n" % cg["note"])
    out.flush()


def fmt_s(v):
    return "-" if v is None else "%.2f" % v


# Cold start (s, peak MB) and warm start (s, peak MB) targets by corpus size.
START_TARGETS = {100000: (30, 300, 3, 150)}


def kb_mb(kb):
    return None if kb is None else kb * 1024 / 1e6


def fmt_mb(kb):
    return "-" if kb is None else "%.0f" % kb_mb(kb)


class Tee:
    def __init__(self, *files):
        self.files = files

    def write(self, s):
        for f in self.files:
            f.write(s)

    def flush(self):
        for f in self.files:
            f.flush()


def main():
    for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(s, on_signal)
    if not os.access(BIN, os.X_OK):
        raise SystemExit("bench: %s is not built" % BIN)
    os.makedirs(os.path.join(BUILD, "bench"), exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    txt = open(os.path.join(BUILD, "bench", "results-%s.txt" % stamp), "w")
    out = Tee(sys.stdout, txt)
    for line in machine_description():
        out.write(line + "\n")
    out.write("stacks: " + "; ".join("%s = %s" % kv for kv in STACK_NAMES.items()
                                     if kv[0] not in SKIP) + "\n")
    out.write("ratios (rps/a, p50/a, p99/a) are to the static nginx (a) of the same run\n")
    out.flush()
    t0 = time.monotonic()
    results = []
    try:
        for n in SIZES:
            results.append(bench_size(n, out))
    finally:
        stop_all()
        report_cgi_ratio(results, out)
        out.write("\nengine problems seen: %s\n" % ("none" if not PROBLEMS else ""))
        for p in PROBLEMS:
            out.write("  - %s\n" % p)
        out.write("total bench time %.0f s\n" % (time.monotonic() - t0))
        with open(os.path.join(BUILD, "bench", "results-%s.json" % stamp), "w") as f:
            json.dump({"machine": machine_description(), "results": results,
                       "problems": PROBLEMS}, f, indent=1, default=str)
        out.write("results: %s\n" % txt.name)
        txt.close()
    return 1 if any("did not" in p or "exited" in p for p in PROBLEMS) else 0


if __name__ == "__main__":
    sys.exit(main())
