#!/usr/bin/env python3
"""The engine's start on a corpus, in time and peak memory, without nginx.

    bench/start-mem.py CORPUS CACHE_DIR [cold|warm] [--positions] [--drop]

Starts build/xsltpress (XSLTPRESS_BIN) on CORPUS with the metadata cache
CACHE_DIR (emptied first for "cold"), and prints, from its own log, when
the folder was loaded and when the search postings were built, with
VmRSS and VmHWM (the peak RSS) read from /proc at each.  With
--positions it also waits for the search file for phrases; with --drop
it drops the page cache first (as root), as make bench does.  Run it under
the shared bench lock: it measures."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("XSLTPRESS_BIN", os.path.join(ROOT, "build", "xsltpress"))


def vm(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k = line.split(":")[0]
                if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
                    out[k] = int(line.split()[1]) // 1024
    except OSError:
        pass
    return out


def cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        parts = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(parts[11]) / tick, int(parts[12]) / tick


def main():
    corpus, cache = sys.argv[1], sys.argv[2]
    mode = sys.argv[3] if len(sys.argv) > 3 else "cold"
    want_positions = "--positions" in sys.argv
    if mode == "cold":
        shutil.rmtree(cache, ignore_errors=True)
    if "--drop" in sys.argv:
        subprocess.run(["sync"])
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    tmp = tempfile.mkdtemp(prefix="xp-start-")
    log = os.path.join(tmp, "log")
    env = dict(os.environ, XSLTPRESS_ARTICLES_DIR=corpus,
               XSLTPRESS_CACHE_DIR=cache)
    env.pop("GATEWAY_INTERFACE", None)
    t0 = time.monotonic()
    with open(log, "wb") as lf:
        p = subprocess.Popen([BIN, "-c", os.path.join(ROOT, "conf", "xsltpress.conf"),
                              "-s", "unix:" + os.path.join(tmp, "sock")],
                             env=env, stdin=subprocess.DEVNULL, stdout=lf,
                             stderr=subprocess.STDOUT)
    marks = [("loaded", "articles loaded in"), ("postings", "search index:")]
    if want_positions:
        marks.append(("positions", "search positions: ready"))
    seen = {}
    peak_seen = 0
    peak_at = None
    try:
        while len(seen) < len(marks) and p.poll() is None and time.monotonic() - t0 < 600:
            text = open(log, errors="replace").read()
            for name, needle in marks:
                if name not in seen and needle in text:
                    seen[name] = (time.monotonic() - t0, vm(p.pid), cpu(p.pid))
            m = vm(p.pid)
            if m.get("VmRSS", 0) > peak_seen:
                peak_seen = m.get("VmRSS", 0)
                peak_at = (time.monotonic() - t0, m)
            time.sleep(0.02)
        time.sleep(0.5)
        after = vm(p.pid)
    finally:
        p.terminate()
        p.wait(timeout=60)
    print("%s start on %s" % (mode, corpus))
    for name, _ in marks:
        if name in seen:
            t, m, (u, s) = seen[name]
            print("  %-9s %6.2f s  cpu %.1f+%.1f s  VmHWM %4d MB  VmRSS %4d MB"
                  " (anon %d, file %d, shmem %d)"
                  % (name, t, u, s, m.get("VmHWM", -1), m.get("VmRSS", -1),
                     m.get("RssAnon", -1), m.get("RssFile", -1), m.get("RssShmem", -1)))
        else:
            print("  %-9s not seen" % name)
    print("  after     VmHWM %d MB VmRSS %d MB (largest RSS sampled %d MB)"
          % (after.get("VmHWM", -1), after.get("VmRSS", -1), peak_seen))
    if peak_seen:
        print("  largest sample at %.2f s: %s" % peak_at)
    for line in open(log, errors="replace"):
        if ("loaded in" in line or "search index" in line or "positions" in line
                or "[error]" in line or len(seen) < len(marks)):
            print("  log: " + line.rstrip()[-150:])
    shutil.rmtree(tmp, ignore_errors=True)


main()
