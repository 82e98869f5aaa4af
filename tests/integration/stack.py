"""Start and stop the xsltpress + nginx stack for tests (Python 3 stdlib only).

    with Stack(articles_dir="articles") as st:
        status, headers, body = http_request("GET", st.url + "/")

Stack creates a private temporary directory holding the FastCGI socket, the
nginx configuration (generated from conf/nginx-dev.conf.in, the same template
scripts/run.sh uses), nginx's pid file, temp paths and logs.  It starts
build/xsltpress on a unix socket and nginx on a free port of 127.0.0.1, and
stops both by their pid (SIGTERM, then SIGKILL after a timeout) when the
`with` block ends, also on an exception; an atexit hook and SIGTERM/SIGHUP
handlers cover the remaining ways out.

Environment:
    XSLTPRESS_BIN   engine binary (default build/xsltpress)
    XSLTPRESS_CONF  config file (default conf/xsltpress.conf when present)
"""

import argparse
import atexit
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATE = os.path.join(ROOT, "conf", "nginx-dev.conf.in")


class StackError(Exception):
    pass


def default_binary():
    b = os.environ.get("XSLTPRESS_BIN", "build/xsltpress")
    return b if os.path.isabs(b) else os.path.join(ROOT, b)


def default_conf():
    c = os.environ.get("XSLTPRESS_CONF", "conf/xsltpress.conf")
    c = c if os.path.isabs(c) else os.path.join(ROOT, c)
    return c if os.path.exists(c) else None


def engine_cmd(binary=None, conf=None):
    """argv prefix for running the engine: [binary, '-c', conf]."""
    cmd = [binary or default_binary()]
    conf = conf if conf is not None else default_conf()
    if conf:
        cmd += ["-c", conf]
    return cmd


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def find_nginx():
    p = shutil.which("nginx")
    if p:
        return p
    if os.access("/usr/sbin/nginx", os.X_OK):
        return "/usr/sbin/nginx"
    raise StackError("nginx not found (run scripts/deps.sh test)")


def render_template(port, tmpdir, sock, root=ROOT, template=TEMPLATE):
    with open(template, encoding="utf-8") as f:
        text = f.read()
    for key, val in (("@PORT@", str(port)), ("@DIR@", tmpdir),
                     ("@SOCKET@", sock), ("@ROOT@", root)):
        text = text.replace(key, val)
    return text


def stop_process(proc, timeout=10.0, sig=signal.SIGTERM):
    """Stop one Popen by its pid; return its exit status (None if not started)."""
    if proc is None:
        return None
    if proc.poll() is None:
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            name = proc.args[0] if isinstance(proc.args, (list, tuple)) else proc.args
            sys.stderr.write("stack: %s (pid %d) ignored %s for %.0fs, killing it\n"
                             % (os.path.basename(str(name)), proc.pid,
                                signal.Signals(sig).name, timeout))
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    return proc.returncode


_live_stacks = []


def _stop_all_live():
    for st in list(_live_stacks):
        st.stop()


atexit.register(_stop_all_live)


def install_signal_handlers():
    """Turn SIGTERM/SIGHUP into SystemExit so that `finally` blocks run."""
    def handler(signum, frame):
        raise SystemExit(128 + signum)
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, handler)


class Stack:
    def __init__(self, articles_dir=None, binary=None, conf=None, port=None,
                 extra_env=None, start_timeout=15.0, keep_dir=False, wait_loaded=True):
        self.wait_loaded = wait_loaded
        self.articles_dir = os.path.abspath(articles_dir or os.path.join(ROOT, "articles"))
        self.binary = binary or default_binary()
        self.conf = conf if conf is not None else default_conf()
        self.want_port = port
        self.extra_env = dict(extra_env or {})
        self.start_timeout = start_timeout
        self.keep_dir = keep_dir
        self.dir = None
        self.sock = None
        self.port = None
        self.url = None
        self.app = None
        self.nginx = None
        self.app_status = None
        self.nginx_status = None
        self._app_log = None
        self._nginx_out = None

    # -- environment shared by every way of running the engine ----------------
    def engine_env(self):
        env = dict(os.environ)
        env.pop("GATEWAY_INTERFACE", None)
        env["XSLTPRESS_ARTICLES_DIR"] = self.articles_dir
        if self.url and "XSLTPRESS_BASE_URL" not in os.environ:
            env["XSLTPRESS_BASE_URL"] = self.url
        env.update(self.extra_env)
        return env

    def engine_cmd(self):
        return engine_cmd(self.binary, self.conf or "")

    # -- start / stop ------------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        if not os.access(self.binary, os.X_OK):
            raise StackError("%s is not built (run make)" % self.binary)
        if not os.path.isdir(self.articles_dir):
            raise StackError("articles folder %s does not exist" % self.articles_dir)
        self.dir = tempfile.mkdtemp(prefix="xsltpress-test.")
        _live_stacks.append(self)
        # the port is chosen first so that the engine can be told its
        # public URL (canonical links) before it starts
        self.port = self.want_port or free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        try:
            self._start_app()
            self._start_nginx()
            if self.wait_loaded:
                self._wait_loaded()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_loaded(self):
        """The engine listens before it has read its folder and answers
        503 (Retry-After) meanwhile: a test starts once it has read it
        (slow under valgrind), as a person would after the first 503."""
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                c.request("HEAD", "/")
                status = c.getresponse().status
                c.close()
            except OSError:
                status = None
            if status is not None and status != 503:
                return
            if self.app.poll() is not None:
                raise StackError("xsltpress exited with status %s while loading:\n%s"
                                 % (self.app.returncode, self.app_log()))
            time.sleep(0.05)
        raise StackError("xsltpress did not finish loading within %.0fs:\n%s"
                         % (self.start_timeout, self.app_log()))

    def _start_app(self):
        self.sock = os.path.join(self.dir, "xsltpress.sock")
        self._app_log = open(os.path.join(self.dir, "xsltpress.log"), "wb")
        cmd = self.engine_cmd() + ["-s", "unix:" + self.sock]
        self.app = subprocess.Popen(cmd, cwd=ROOT, env=self.engine_env(),
                                    stdin=subprocess.DEVNULL,
                                    stdout=self._app_log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.app.poll() is not None:
                raise StackError("xsltpress exited with status %s before listening:\n%s"
                                 % (self.app.returncode, self.app_log()))
            if os.path.exists(self.sock) and self._can_connect_unix():
                return
            time.sleep(0.05)
        raise StackError("xsltpress did not listen on %s within %.0fs:\n%s"
                         % (self.sock, self.start_timeout, self.app_log()))

    def _can_connect_unix(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(self.sock)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def _start_nginx(self):
        nginx = find_nginx()
        conf = os.path.join(self.dir, "nginx.conf")
        g = "daemon off;"
        if os.geteuid() == 0:
            # workers as root: as nobody they could not reach the socket
            # inside our private 0700 directory
            g += " user root;"
        port = self.port
        with open(conf, "w", encoding="utf-8") as f:
            f.write(render_template(port, self.dir, self.sock))
        pidfile = os.path.join(self.dir, "nginx.pid")
        self._nginx_out = open(os.path.join(self.dir, "nginx.out"), "wb")
        self.nginx = subprocess.Popen(
            [nginx, "-p", self.dir, "-e", os.path.join(self.dir, "error.log"),
             "-c", conf, "-g", g],
            cwd=self.dir, stdin=subprocess.DEVNULL,
            stdout=self._nginx_out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.nginx.poll() is not None:
                break
            # the pid file appears once the listening sockets are bound
            if os.path.exists(pidfile) and os.path.getsize(pidfile) > 0 \
                    and self._can_connect_tcp(port):
                return
            time.sleep(0.05)
        stop_process(self.nginx)
        self.nginx = None
        self._nginx_out.close()
        raise StackError("nginx did not start on 127.0.0.1:%d:\n%s"
                         % (port, self._read("nginx.out")))

    @staticmethod
    def _can_connect_tcp(port):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    def stop(self):
        """Stop nginx, then the engine (both by pid); remove the temp dir."""
        if self.nginx is not None:
            # SIGQUIT = graceful shutdown; fall back to SIGKILL after 10 s
            self.nginx_status = stop_process(self.nginx, sig=signal.SIGQUIT)
            self.nginx = None
        if self.app is not None:
            self.app_status = stop_process(self.app)
            self.app = None
        for f in (self._app_log, self._nginx_out):
            if f is not None and not f.closed:
                f.close()
        if self in _live_stacks:
            _live_stacks.remove(self)
        if self.dir and not self.keep_dir:
            self._final_app_log = self.app_log()
            self._final_nginx_errors = self.nginx_errors()
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    # -- logs --------------------------------------------------------------------
    def _read(self, name):
        if not self.dir:
            return ""
        try:
            with open(os.path.join(self.dir, name), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def app_log(self):
        if self.dir is None:
            return getattr(self, "_final_app_log", "")
        return self._read("xsltpress.log")

    def nginx_errors(self):
        """[error]/[crit]/[alert]/[emerg] lines of nginx's error log."""
        if self.dir is None:
            return getattr(self, "_final_nginx_errors", "")
        lines = self._read("error.log").splitlines()
        return "\n".join(l for l in lines
                         if any(t in l for t in ("[error]", "[crit]", "[alert]", "[emerg]")))


# -- HTTP and FastCGI/CGI clients ---------------------------------------------

class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers          # list of (name, value)
        self.body = body                # bytes

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return "<Response %s %s, %d bytes>" % (self.status, self.reason, len(self.body))


def http_request(method, url, body=None, headers=None, timeout=30):
    """One request, no redirects followed; a new connection each time."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)
    try:
        path = u.path or "/"
        if u.query:
            path += "?" + u.query
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return Response(r.status, r.reason, r.getheaders(), data)
    finally:
        conn.close()


def parse_cgi_output(out):
    """Split a CGI response (Status:/headers, blank line, body) into a Response."""
    sep = out.find(b"\r\n\r\n")
    seplen = 4
    if sep < 0:
        sep = out.find(b"\n\n")
        seplen = 2
    if sep < 0:
        raise ValueError("no blank line after the CGI headers: %r" % out[:200])
    head = out[:sep].decode("latin-1")
    body = out[sep + seplen:]
    headers = []
    for line in head.replace("\r\n", "\n").split("\n"):
        if not line:
            continue
        if ":" not in line:
            raise ValueError("bad CGI header line %r" % line)
        k, v = line.split(":", 1)
        headers.append((k.strip(), v.strip()))
    status, reason = 200, "OK"
    for k, v in headers:
        if k.lower() == "status":
            parts = v.split(None, 1)
            status = int(parts[0])
            reason = parts[1] if len(parts) > 1 else ""
    return Response(status, reason, [(k, v) for k, v in headers if k.lower() != "status"], body)


def cgi_env(method, uri, base_env=None):
    path, _, query = uri.partition("?")
    env = dict(base_env if base_env is not None else os.environ)
    env.update({
        "GATEWAY_INTERFACE": "CGI/1.1",
        "REQUEST_METHOD": method,
        "REQUEST_URI": uri,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "localhost",
    })
    return env


def run_cgi(stack, method, uri, timeout=30):
    """Run the engine once in CGI mode for METHOD URI."""
    p = subprocess.run(stack.engine_cmd(), cwd=ROOT, env=cgi_env(method, uri, stack.engine_env()),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    if p.returncode != 0:
        raise ValueError("CGI run exited %d: %s" % (p.returncode, p.stderr.decode("utf-8", "replace")[-500:]))
    return parse_cgi_output(p.stdout)


def run_cgi_fcgi(stack, method, uri, timeout=30):
    """Ask the running engine through libfcgi's cgi-fcgi client."""
    exe = shutil.which("cgi-fcgi")
    if not exe:
        raise StackError("cgi-fcgi not found (apt-get install libfcgi-bin)")
    p = subprocess.run([exe, "-bind", "-connect", stack.sock], cwd=ROOT,
                       env=cgi_env(method, uri, {"PATH": os.environ.get("PATH", "")}),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    if p.returncode != 0:
        raise ValueError("cgi-fcgi exited %d: %s" % (p.returncode, p.stderr.decode("utf-8", "replace")))
    return parse_cgi_output(p.stdout)


# -- shared by the suites: a failed check, a skipped one, bounded waits ------

class CheckFailed(Exception):
    """A check that did not hold; its message is the reason printed."""


class Skip(Exception):
    """A case that cannot run on this machine; its message says why."""


def ensure(cond, msg):
    if not cond:
        raise CheckFailed(msg)


def eventually(fn, what, timeout=5.0, interval=0.05):
    """Calls FN until it does not raise CheckFailed; fails after TIMEOUT s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except (CheckFailed, OSError) as e:
            if time.monotonic() >= deadline:
                raise CheckFailed("%s: not reached within %.0f s (last: %s)" % (what, timeout, e))
        time.sleep(interval)


def log_lines(st, needle):
    """The engine log lines of stack ST that contain NEEDLE."""
    return [l for l in st.app_log().splitlines() if needle in l]


def print_logs(st, app_lines=40, nginx_lines=20, indent=""):
    """Prints the end of the engine's and nginx's logs of stack ST: what a
    failed suite or case shows to explain itself."""
    log = st.app_log().strip()
    if log:
        print("%s--- xsltpress log (last %d lines) ---" % (indent, app_lines))
        for line in log.splitlines()[-app_lines:]:
            print(indent + line[:300])
    errs = st.nginx_errors().strip()
    if errs:
        print("%s--- nginx error.log ---" % indent)
        for line in errs.splitlines()[-nginx_lines:]:
            print(indent + line[:300])


class CaseContext:
    """What one test case owns: temporary folders and running stacks, all
    stopped and removed by cleanup(), logs shown when the case failed.
    Suites subclass it for their own helpers."""

    prefix = "xsltpress-case."

    def __init__(self, name, binary=None, keep=False):
        self.name = name
        self.binary = binary
        self.keep = keep
        self.dirs = []
        self.stacks = []

    def tmpdir(self, prefix=None):
        d = tempfile.mkdtemp(prefix=prefix or self.prefix)
        self.dirs.append(d)
        return d

    def folder(self, samples=True, extra=None):
        """A temporary articles folder: a copy of the sample articles
        (unless SAMPLES is false) plus EXTRA {name: bytes}."""
        d = os.path.join(self.tmpdir(), "articles")
        os.mkdir(d)
        src = os.path.join(ROOT, "articles")
        for n in os.listdir(src) if samples else ():
            if n.endswith(".xml"):
                shutil.copy(os.path.join(src, n), d)
            elif os.path.isdir(os.path.join(src, n)):
                # an article's own files (diagrams): without them its
                # page names a missing file, and the log says so
                shutil.copytree(os.path.join(src, n), os.path.join(d, n))
        for name, data in (extra or {}).items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        return d

    def start(self, folder, env=None, cls=Stack, **kw):
        kw.setdefault("binary", self.binary)
        st = cls(articles_dir=folder, extra_env=dict(env or {}), keep_dir=self.keep, **kw)
        self.stacks.append(st)
        st.start()
        return st

    def cleanup(self, failed):
        for st in self.stacks:
            try:
                st.stop()
            except Exception as e:  # noqa: BLE001
                print("  (stopping a stack: %s)" % e)
        if failed:
            for st in self.stacks:
                print_logs(st, 15, 5, indent="  ")
        if failed and self.keep:
            print("  kept: %s" % " ".join(self.dirs + [s.dir for s in self.stacks if s.dir]))
            return
        for d in self.dirs:
            subprocess.run(["chmod", "-R", "u+rwX", d], stderr=subprocess.DEVNULL)
            shutil.rmtree(d, ignore_errors=True)


def case_registry():
    """Returns (CASES, case): a list of (name, function) and a decorator
    that appends to it, for suites that are a list of named cases."""
    cases = []

    def case(name):
        def deco(fn):
            cases.append((name, fn))
            return fn
        return deco
    return cases, case


def suite_arguments(description, articles=False, keep=True):
    """The command line the suites share: --bin, --keep (when KEEP), -v,
    -k and, when ARTICLES, --articles.  Add a suite's own options to the
    parser returned, then read them with parse_suite_arguments."""
    ap = argparse.ArgumentParser(description=description,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    if articles:
        ap.add_argument("--articles", default=os.path.join(ROOT, "articles"))
    ap.add_argument("--bin", default=None, help="the engine (default %s)" % default_binary())
    if keep:
        ap.add_argument("--keep", action="store_true",
                        help="keep the temporary folders and logs of failures")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("-k", dest="pattern", default=None,
                    help="only cases or checks whose name contains this")
    return ap


def parse_suite_arguments(ap):
    """Parses AP's command line, making --bin absolute."""
    args = ap.parse_args()
    if args.bin:
        args.bin = os.path.abspath(args.bin)
    return args


def run_cases(cases, make_ctx, opts, on_failure=None):
    """Runs each (name, function) of CASES whose name has opts.pattern, with
    a fresh MAKE_CTX(name).  A case passes by returning, is skipped by
    raising Skip, and fails by raising anything else; each failure and skip
    is printed with why (and ON_FAILURE(name) runs), then the closing line
    "N passed, N failed".  Returns the exit status."""
    install_signal_handlers()
    passed = failed = skipped = 0
    t_all = time.monotonic()
    for name, fn in cases:
        if opts.pattern and opts.pattern not in name:
            continue
        ctx = make_ctx(name)
        t0 = time.monotonic()
        ok = False
        try:
            fn(ctx)
            ok = True
        except Skip as e:
            skipped += 1
            print("SKIP %s: %s" % (name, e), flush=True)
            ctx.cleanup(False)
            continue
        except CheckFailed as e:
            print("FAIL %s: %s" % (name, e), flush=True)
        except StackError as e:
            print("FAIL %s: cannot start the stack: %s" % (name, e), flush=True)
        except Exception as e:  # noqa: BLE001  a crash in a case fails that case
            print("FAIL %s: %s: %s" % (name, type(e).__name__, e), flush=True)
            if opts.verbose:
                traceback.print_exc()
        if not ok and on_failure is not None:
            on_failure(name)
        ctx.cleanup(not ok)
        if ok:
            passed += 1
            if opts.verbose:
                print("ok   %s (%.1f s)" % (name, time.monotonic() - t0), flush=True)
        else:
            failed += 1
    if opts.verbose:
        print("(%.0f s in all%s)" % (time.monotonic() - t_all,
                                      ", %d skipped" % skipped if skipped else ""))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def vm_rss_kb(pid):
    """Resident memory of process PID in kB, from /proc."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise CheckFailed("no VmRSS for pid %d" % pid)
