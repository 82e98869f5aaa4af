#!/usr/bin/env python3
"""Search on a judged corpus (tests/search-corpus/, 30 articles written so
that each query below has a known answer): stemming, phrases, prefixes,
exclusion, accents, ranking, excerpts with <mark>, drafts and scheduled
articles never found, markup in queries shown as text.

Every query is asked through nginx (FastCGI, searching the postings built
in the background) and as plain CGI, with and without a metadata cache
(scanning the articles' words): the ordered results must be identical.

    python3 tests/integration/search.py          # ~10 s
    python3 tests/integration/search.py -k phrase

Prints each failure with its reason, then "N passed, N failed".
"""

import html
import os
import re
import shutil
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stack as stk  # noqa: E402
from stack import CheckFailed, ensure, eventually, log_lines  # noqa: E402

CORPUS = os.path.join(stk.ROOT, "tests", "search-corpus")
CARD_RE = re.compile(r'class="card-title"><a href="/articles/([a-z0-9-]+)/"')
COUNT_RE = re.compile(r'class="lead search-status">(\d+) results? for')
EXCERPT_RE = re.compile(r'<p class="card-excerpt">(.*?)</p>', re.S)
MARK_RE = re.compile(r"<mark>(.*?)</mark>")

# (name, query, the results in order when ORDERED, else as a set; for
# ordered rows only the listed leaders are checked, in this order)
JUDGED = [
    ("stemming: hashing finds hashes and hashed", "hashing",
     ["consistent-hashing-guide", "hash-tables", "bloom-filters", "edge-caching-notes"], False),
    ("stemming: hashes, the same articles", "hashes",
     ["consistent-hashing-guide", "hash-tables", "bloom-filters", "edge-caching-notes"], False),
    ("ranking: the article about hashing before a newer passing mention", "hashing",
     ["consistent-hashing-guide"], True),
    ("stemming: sharded finds sharding", "sharded",
     ["sharding-in-depth", "replication-basics"], False),
    ("ranking: title, tags and summary before a body mention", "sharded",
     ["sharding-in-depth", "replication-basics"], True),
    ("phrase: only the adjacent words", '"leader election"',
     ["raft-leader-election"], False),
    ("no phrase: both words anywhere", "leader election",
     ["raft-leader-election", "election-of-a-leader"], False),
    ("phrase and a word", '"virtual nodes" hashing', ["consistent-hashing-guide"], False),
    ("prefix: kuber*", "kuber*", ["kubernetes-operators"], False),
    ("prefix: kube* (the indexed length)", "kube*",
     ["kubernetes-operators", "kubelet-internals"], False),
    ("accents: cafe finds Café", "cafe", ["cafe-ordering", "cafe-plain-spelling"], False),
    ("accents: Café finds cafe", "Café", ["cafe-ordering", "cafe-plain-spelling"], False),
    ("exclusion: raft -paxos", "raft -paxos",
     ["raft-leader-election", "raft-log-compaction"], False),
    ("ranking: the latency article first", "latency",
     ["latency-budgets", "throughput-vs-latency"], True),
    ("ranking: consensus by its tags and title", "raft",
     ["raft-leader-election", "raft-log-compaction", "paxos-and-raft"], False),
    ("drafts and scheduled articles are never found", "zanzibarium", [], False),
    ("markup in a query is words", "<script>", ["markup-in-text"], False),
    ("unbalanced quote is text", '"leader', ["raft-leader-election", "election-of-a-leader",
                                             "replication-basics"], False),
    ("a lone star is text", "*", [], False),
    ("a lone dash is text", "-", [], False),
    ("only an excluded word finds nothing", "-raft", [], False),
]


def path_of(q):
    return "/search/?" + urllib.parse.urlencode({"q": q})


def results(text):
    """(the slugs of the cards in order, the count the page states)."""
    m = COUNT_RE.search(text)
    return CARD_RE.findall(text), int(m.group(1)) if m else 0


class Ctx(stk.CaseContext):
    prefix = "xsltpress-search."


def main():
    args = stk.parse_suite_arguments(stk.suite_arguments(__doc__))
    stk.install_signal_handlers()
    tmp = tempfile.mkdtemp(prefix="xsltpress-search.")
    folder = os.path.join(tmp, "articles")
    shutil.copytree(CORPUS, folder)
    cache = os.path.join(tmp, "cache")
    # the server keeps its own cache: its search file is written by the
    # background thread and held open, the CGI one by a request
    st = stk.Stack(articles_dir=folder, binary=args.bin,
                   extra_env={"XSLTPRESS_CACHE_DIR": os.path.join(tmp, "server-cache")})
    passed = failed = 0
    pages = {}   # (way, query) -> (status, text)
    try:
        st.start()
        eventually(lambda: ensure(log_lines(st, "search index:"), "no search index built"),
                   "the search index", timeout=15)
        # "ready": the file written, checked and handed to the postings,
        # so that nginx's phrases are checked from it
        eventually(lambda: ensure(log_lines(st, "search positions: ready"),
                                  "no search file ready"),
                   "the search file", timeout=15)

        def ask(way, q):
            key = (way, q)
            if key not in pages:
                if way == "nginx":
                    r = stk.http_request("GET", st.url + path_of(q))
                    pages[key] = (r.status, r.text)
                else:
                    env = {"cgi": {"XSLTPRESS_CACHE_DIR": ""},
                           "cgi-cache": {"XSLTPRESS_CACHE_DIR": cache}}[way]
                    saved = dict(st.extra_env)
                    st.extra_env.update(env)
                    try:
                        r = stk.run_cgi(st, "GET", path_of(q))
                    finally:
                        st.extra_env = saved
                    pages[key] = (r.status, r.text)
            return pages[key]

        def check(name, fn):
            nonlocal passed, failed
            if args.pattern and args.pattern not in name:
                return
            try:
                fn()
                passed += 1
                if args.verbose:
                    print("ok   %s" % name)
            except CheckFailed as e:
                failed += 1
                print("FAIL %s: %s" % (name, e), flush=True)

        # the CGI cache is filled by a first run, then read by the rest
        ask("cgi-cache", "warm-up")
        for name, q, want, ordered in JUDGED:
            def judged(q=q, want=want, ordered=ordered):
                status, text = ask("nginx", q)
                ensure(status == 200, "%r answered %s" % (q, status))
                got, count = results(text)
                if ordered:
                    ensure(got[:len(want)] == want, "%r: %r, want first %r" % (q, got, want))
                else:
                    ensure(sorted(got) == sorted(want) and count == len(want),
                           "%r: %r (count %d), want %r" % (q, got, count, want))
            check(name, judged)

            def same_everywhere(q=q):
                base = results(ask("nginx", q)[1])
                for way in ("cgi", "cgi-cache"):
                    status, text = ask(way, q)
                    ensure(status == 200, "%s %r answered %s" % (way, q, status))
                    ensure(results(text) == base, "%s %r: %r, nginx %r"
                           % (way, q, results(text), base))
            check("nginx = CGI = CGI with cache: " + name, same_everywhere)

        def excerpts():
            text = ask("nginx", "hashing")[1]
            ex = EXCERPT_RE.findall(text)
            ensure(len(ex) == len(CARD_RE.findall(text)), "%d excerpts for %d cards"
                   % (len(ex), len(CARD_RE.findall(text))))
            marks = MARK_RE.findall(ex[0])
            ensure(marks, "no <mark> in the first excerpt: %r" % ex[0])
            ensure(all(m.lower().startswith("hash") for m in marks),
                   "marked words that do not match hashing: %r" % marks)
            words = html.unescape(re.sub(r"<[^>]+>", "", ex[0])).split()
            ensure(5 <= len([w for w in words if w != "\u2026"]) <= 30,
                   "excerpt of %d words: %r" % (len(words), ex[0]))
        check("excerpts: every result, matched words in <mark>, about 30 words", excerpts)

        def phrase_marks():
            ex = EXCERPT_RE.findall(ask("nginx", '"leader election"')[1])
            ensure(ex and "<mark>leader</mark> <mark>election</mark>" in ex[0].lower(),
                   "the phrase is not marked: %r" % ex[:1])
        check("excerpts: a phrase's words marked where they match", phrase_marks)

        def markup():
            q = "<b>raft</b> <img src=x onerror=alert(1)>"
            status, text = ask("nginx", q)
            ensure(status == 200, "answered %s" % status)
            ensure("<b>raft</b>" not in text and "<img src=x" not in text,
                   "the query's markup reached the page")
            ensure("&lt;b&gt;raft&lt;/b&gt;" in text, "the query is not shown as text")
            for way in ("cgi", "cgi-cache"):
                ensure(results(ask(way, q)[1]) == results(text), "%s differs" % way)
        check("markup in a query is shown as text, everywhere", markup)

        def help_line():
            text = ask("nginx", "raft")[1]
            ensure('class="search-help"' in text and "-word" in text and "*" in text,
                   "no one-line syntax help on the search page")
        check("the search page explains the syntax", help_line)

        def excerpt_pages_only():
            # a second page: its own excerpts, none of the first page's
            q = "the"
            first = ask("nginx", q)[1]
            got, count = results(first)
            if count <= 10:
                raise CheckFailed("%r: only %d results, want a second page" % (q, count))
            r = stk.http_request("GET", st.url + path_of(q) + "&page=2")
            ensure(r.status == 200, "page 2 answered %s" % r.status)
            two, _ = results(r.text)
            ensure(len(EXCERPT_RE.findall(r.text)) == len(two) and not set(two) & set(got),
                   "page 2: %r after %r" % (two, got))
        check("pagination: every result once, excerpts on each page", excerpt_pages_only)

        def no_empty_search_file():
            # before the folder is read the index is empty: the search
            # file must not be written then, for no articles
            empty = [l for l in log_lines(st, "search positions:")
                     if re.search(r"search positions: (ready, )?0 articles", l)]
            ensure(not empty, "a search file written for no articles: %r" % empty)
        check("start: no search file written before the folder is read", no_empty_search_file)
    except stk.StackError as e:
        failed += 1
        print("FAIL search: cannot start the stack: %s" % e)
    finally:
        if failed:
            stk.print_logs(st, 20, 5)
        st.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
