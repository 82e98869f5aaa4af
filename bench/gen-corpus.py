#!/usr/bin/env python3
"""gen-corpus.py N DIR - write N synthetic articles into DIR (for make bench).

Every article is valid per shared/article-format.md: <slug>.xml, UTF-8, root
<article> with title, published, author, summary, tags and an XHTML body of
1,500-2,500 words (h2/h3 headings, paragraphs with inline markup, a list, a
code block, sometimes a blockquote).  The output is deterministic: the same N
gives byte-identical files (one seeded generator; no clock, no hash order).

Speed: bodies are assembled from a pool of pre-generated paragraphs, so 100,000
articles (~1.5 GB) take well under a minute; files are written directly.

Every article carries one "topic" word (from TOPICS) in its title, so a search
for a topic word matches about 1/len(TOPICS) of the corpus; the word "zyzzyva"
appears in the body of every 1,000th article (a rare-word search).

Existing *.xml files in DIR that this run would not write are removed, so DIR
holds exactly N articles afterwards.
"""

import datetime
import os
import random
import sys

SEED = 20260314

TOPICS = [
    "kafka", "postgres", "redis", "sharding", "caching", "consensus", "raft",
    "paxos", "queues", "streaming", "indexes", "replication", "gossip",
    "bloom", "hashing", "load-balancing", "rate-limiting", "backpressure",
    "idempotency", "tracing", "metrics", "logging", "compaction", "lsm",
    "btree", "vector-clocks", "crdt", "leases", "quorums", "failover",
    "cdn", "dns", "tls", "http2", "quic", "grpc", "graphql", "websockets",
    "search", "ranking", "recommendations", "feeds", "notifications",
    "payments", "ledgers", "inventory", "scheduling", "batching",
    "serialization", "compression",
]
# topics become single search words (the engine splits on '-')
TOPIC_WORDS = [t.replace("-", "") for t in TOPICS]

TITLE_PATTERNS = [
    "How {T} Works at Scale", "{T} in Practice", "Designing with {T}",
    "{T}: Lessons from Production", "Understanding {T} Internals",
    "When {T} Fails", "A Field Guide to {T}", "{T} Without the Hype",
    "Tuning {T} for Latency", "{T} Trade-offs Explained",
    "Building a {T} Service", "Debugging {T} Under Load",
]

AUTHORS = ["Ada Writer", "Grace Hopper", "Linus Pauling", "Barbara Liskov",
           "Ken Thompson", "SDMastery Team", "Edsger Dijkstra", "Radia Perlman"]

BASE_WORDS = (
    "system design latency throughput partition replica leader follower "
    "commit log segment offset consumer producer broker cluster node shard "
    "key value hash ring token bucket window counter cache miss hit eviction "
    "write read quorum majority timeout retry backoff jitter failure "
    "recovery snapshot checkpoint index tree page block buffer pool memory "
    "disk network packet socket connection stream batch queue worker thread "
    "lock mutex atomic compare swap barrier fence order clock time drift "
    "skew lease heartbeat election vote term epoch generation version "
    "conflict merge resolve vector causal consistent eventual strong linear "
    "serializable isolation snapshot transaction rollback abort prepare "
    "coordinator participant protocol message request response client "
    "server proxy gateway router balancer upstream downstream service "
    "endpoint schema field column row table query plan scan seek filter "
    "join aggregate sort limit cursor pagination cost budget capacity "
    "headroom saturation utilisation error rate percentile tail median "
    "average histogram sample trace span metric alert dashboard runbook "
    "incident postmortem rollout canary feature flag migration backfill "
    "the a an of to in on for with by from at as is are was were be been "
    "that this these those it its they them their we our you your one two "
    "many few most every each some any all no not only also then than so "
    "because while when where which what how why but and or if else yet "
    "simple careful fast slow large small cheap expensive safe unsafe hard "
    "easy common rare typical real practical naive robust fragile subtle"
).split()

CODE_SNIPPETS = [
    "def handle(request):\n    key = request.headers.get(\"Idempotency-Key\")\n"
    "    if key in seen:\n        return seen[key]\n    response = process(request)\n"
    "    seen[key] = response\n    return response",
    "for (i = 0; i &lt; n; i++) {\n    h = hash(keys[i]) % ring_size;\n"
    "    owner[i] = lookup(ring, h);\n}",
    "SELECT id, title, published\n  FROM articles\n WHERE published &lt;= now()\n"
    " ORDER BY published DESC, slug\n LIMIT 10 OFFSET 40;",
    "while True:\n    batch = queue.poll(max_records=500, timeout_ms=100)\n"
    "    for record in batch:\n        apply(record)\n    queue.commit()",
    "ssize_t n = sendfile(out_fd, in_fd, &amp;offset, count);\n"
    "if (n &lt; 0 &amp;&amp; errno == EAGAIN)\n    wait_writable(out_fd);",
    "func (b *Bucket) Allow() bool {\n\tb.mu.Lock()\n\tdefer b.mu.Unlock()\n"
    "\tb.refill(time.Now())\n\tif b.tokens &lt; 1 {\n\t\treturn false\n\t}\n"
    "\tb.tokens--\n\treturn true\n}",
]


def make_vocab(rng):
    """BASE_WORDS plus ~1,500 made-up but pronounceable words."""
    cons = "bcdfghjklmnprstvwz"
    vows = "aeiou"
    vocab = list(BASE_WORDS) * 3  # common words weigh more
    seen = set(BASE_WORDS)
    while len(seen) < len(BASE_WORDS) + 1500:
        w = "".join(rng.choice(cons) + rng.choice(vows)
                    for _ in range(rng.randint(2, 4)))
        if w not in seen and w != "zyzzyva":
            seen.add(w)
            vocab.append(w)
    return vocab


def make_sentence(rng, vocab):
    words = [rng.choice(vocab) for _ in range(rng.randint(8, 20))]
    # inline markup now and then
    r = rng.random()
    if r < 0.15:
        i = rng.randrange(len(words))
        words[i] = "<em>%s</em>" % words[i]
    elif r < 0.25:
        i = rng.randrange(len(words))
        words[i] = "<strong>%s</strong>" % words[i]
    elif r < 0.30:
        i = rng.randrange(len(words))
        words[i] = "<code>%s()</code>" % words[i]
    s = " ".join(words)
    return s[0].upper() + s[1:] + rng.choice([".", ".", ".", "?", "!"])


def make_paragraph_pool(rng, vocab, n):
    """N (text, word_count) paragraphs of 40-140 words."""
    pool = []
    for _ in range(n):
        sentences = []
        words = 0
        target = rng.randint(40, 140)
        while words < target:
            s = make_sentence(rng, vocab)
            words += s.count(" ") + 1
            sentences.append(s)
        pool.append(("<p>%s</p>" % " ".join(sentences), words))
    return pool


def make_list_pool(rng, vocab, n):
    pool = []
    for _ in range(n):
        tag = rng.choice(["ul", "ul", "ol"])
        items = []
        words = 0
        for _ in range(rng.randint(3, 6)):
            it = " ".join(rng.choice(vocab) for _ in range(rng.randint(5, 14)))
            words += it.count(" ") + 1
            items.append("<li>%s</li>" % it)
        pool.append(("<%s>\n      %s\n    </%s>" % (tag, "\n      ".join(items), tag), words))
    return pool


def make_heading_pool(rng, vocab, n):
    pool = []
    for _ in range(n):
        h = " ".join(rng.choice(vocab) for _ in range(rng.randint(2, 5)))
        pool.append((h[0].upper() + h[1:], h.count(" ") + 1))
    return pool


def generate(n, out_dir):
    rng = random.Random(SEED)
    vocab = make_vocab(rng)
    paragraphs = make_paragraph_pool(rng, vocab, 4000)
    lists = make_list_pool(rng, vocab, 300)
    headings = make_heading_pool(rng, vocab, 600)
    sentences = [make_sentence(rng, vocab) for _ in range(2000)]
    tails = [" ".join(rng.choice(vocab) for _ in range(rng.randint(12, 24)))
             for _ in range(2000)]
    os.makedirs(out_dir, exist_ok=True)

    # the i-th article: its own generator state derived from (SEED, i) so
    # that article i is the same whatever N is
    # published: spread backwards from 2025-12-31 at ~2 h 37 min steps, so
    # 100,000 articles span ~30 years and dates are unique
    end = datetime.datetime(2025, 12, 31, 18, 0, 0, tzinfo=datetime.timezone.utc)
    step = datetime.timedelta(minutes=157)
    # two workers (fork): the pools above are built before the fork, and
    # each article has its own generator, so the split changes nothing
    workers = 2 if n >= 1000 and hasattr(os, "fork") else 1
    rfd, wfd = os.pipe() if workers > 1 else (None, None)
    pid = os.fork() if workers > 1 else 0
    me = 1 if (workers > 1 and pid == 0) else 0
    written = set()
    total_words = 0
    for i in range(me, n, workers):
        r = random.Random(SEED * 1000003 + i)
        rnd = r.random

        def pick(pool):
            return pool[int(rnd() * len(pool))]

        def ri(a, b):
            return a + int(rnd() * (b - a + 1))

        ti = int(rnd() * len(TOPICS))
        topic = TOPICS[ti]
        topic_word = TOPIC_WORDS[ti]
        pattern = pick(TITLE_PATTERNS)
        title = pattern.replace("{T}", topic_word.capitalize())
        extra = pick(headings)[0].split()[0].lower()
        title = "%s, Part %d" % (title, i % 7 + 1) if rnd() < 0.3 else title
        slug = "%s-%s-%d" % (topic, extra, i)
        pub = end - step * i
        if i % 3 == 0:
            published = pub.strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            published = pub.strftime("%Y-%m-%d")
        tags = [topic]
        for _ in range(ri(0, 3)):
            t = pick(TOPICS)
            if t not in tags:
                tags.append(t)
        author = pick(AUTHORS)
        summary = "A practical look at %s: %s." % (topic_word, pick(tails))

        target = ri(1500, 2250)
        words = 0
        parts = []
        code_at = ri(2, 5)
        list_at = ri(1, 4)
        section = 0
        while words < target:
            h, hw = pick(headings)
            parts.append("<h2>%s</h2>" % h)
            words += hw
            for k in range(ri(2, 5)):
                p, pw = pick(paragraphs)
                parts.append(p)
                words += pw
                if words >= target:
                    break
                if k == 1 and rnd() < 0.3:
                    h3, h3w = pick(headings)
                    parts.append("<h3>%s</h3>" % h3)
                    words += h3w
            if section == list_at:
                l, lw = pick(lists)
                parts.append(l)
                words += lw
            if section == code_at:
                parts.append("<pre><code>%s</code></pre>" % pick(CODE_SNIPPETS))
            if rnd() < 0.1:
                parts.append("<blockquote><p>%s</p></blockquote>" % pick(sentences))
            section += 1
        if section <= code_at:
            parts.append("<pre><code>%s</code></pre>" % pick(CODE_SNIPPETS))
        if i % 1000 == 999:
            parts.append("<p>A rare word for search benchmarks: zyzzyva.</p>")
        parts.append('<p>See also <a href="/tags/%s/">more on %s</a>.</p>' % (topic, topic_word))
        total_words += words

        text = "".join((
            '<?xml version="1.0" encoding="UTF-8"?>\n<article>\n',
            "  <title>", title, "</title>\n",
            "  <published>", published, "</published>\n",
            "  <author>", author, "</author>\n",
            "  <summary>", summary, "</summary>\n",
            "  <tags>", "".join("<tag>%s</tag>" % t for t in tags), "</tags>\n",
            "  <body>\n    ", "\n    ".join(parts), "\n  </body>\n</article>\n",
        ))
        name = slug + ".xml"
        written.add(name)
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            f.write(text)

    if workers > 1 and pid == 0:
        os.close(rfd)
        with os.fdopen(wfd, "w") as w:
            w.write("%d\n" % total_words)
            w.write("\n".join(written))
        os._exit(0)
    if workers > 1:
        os.close(wfd)
        with os.fdopen(rfd) as rd:
            lines = rd.read().split("\n")
        _, status = os.waitpid(pid, 0)
        if status != 0 or not lines[0]:
            raise SystemExit("gen-corpus: the second worker failed")
        total_words += int(lines[0])
        written.update(l for l in lines[1:] if l)
    # exactly N articles: remove any other article files
    for name in os.listdir(out_dir):
        if name.endswith(".xml") and name not in written:
            os.unlink(os.path.join(out_dir, name))
    return total_words


def main():
    if len(sys.argv) != 3 or not sys.argv[1].isdigit():
        sys.stderr.write("usage: gen-corpus.py N DIR\n")
        return 2
    n = int(sys.argv[1])
    words = generate(n, sys.argv[2])
    sys.stderr.write("gen-corpus: %d articles in %s (%.0f words each on average)\n"
                     % (n, sys.argv[2], words / n if n else 0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
