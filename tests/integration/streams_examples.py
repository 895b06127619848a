"""streams_examples.py - sluice-example-wordcount end to end against a real
sluiced, as README.md tells users to run it:

- --describe prints the topology in Kafka Streams' format (source
  text-input, the store counts-store, the repartition topic, sink
  word-counts);
- it creates its topics, runs, and for a fixed text produced to text-input
  (mixed case, punctuation, digits, '_', a non-ASCII word) writes running
  counts to word-counts whose last value per word equals Python's count of
  the same text, each word's values rising;
- SIGTERM closes it cleanly (exit 0); started again on the same state, more
  text adds to the same counts.
Usage: streams_examples.py BUILD_DIR.
"""
import collections
import os
import random
import re
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
sys.path.insert(0, HERE)
import check  # noqa: E402
import client_drv  # noqa: E402

BUILD = client_drv.build_dir()
t = check.Test("streams_examples", budget_s=420)
import ck  # noqa: E402,F401
import streams_examples_util as exu  # noqa: E402

VOCAB = ["Sluice", "stream", "streams", "Kafka", "table", "window", "join", "store", "LMDB", "topic", "partition",
         "offset", "record", "key", "value", "count", "word", "the", "a", "of", "and", "to", "in", "is", "it",
         "x_1", "v2", "3", "2026", "state_store", "caf\u00e9", "na\u00efve"]
PUNCT = [" ", " ", " ", ", ", ". ", "; ", " - ", "! ", "? ", "\t", " (", ") ", " \"", "\" ", "'s "]


def text(seed, lines):
    rnd = random.Random(seed)
    out = []
    for _ in range(lines):
        n = rnd.randint(0, 14)
        ws = []
        for _ in range(n):
            w = rnd.choice(VOCAB)
            r = rnd.random()
            w = w.upper() if r < 0.1 else w.capitalize() if r < 0.3 else w
            ws.append(w + rnd.choice(PUNCT))
        out.append("".join(ws))
    return out


def count(lines):
    """Python's count: lower-case, words are runs of ASCII [a-z0-9_]
    (the example splits as Java's \\w+ on ASCII does)."""
    c = collections.Counter()
    for ln in lines:
        c.update(re.findall(r"[a-z0-9_]+", ln.lower()))
    return c


def latest(records):
    last = {}
    for _, _, k, v, _ in records:
        last[k] = v
    return last


def check_counts(b, want, timeout=150):
    """Reads word-counts until the last value of every word is want's
    count; then checks that every value is decimal and rises per word."""
    want_s = {k: str(v) for k, v in want.items()}
    recs, ok = exu.read_until(b.bootstrap, "word-counts", lambda r: latest(r) == want_s, timeout=timeout)
    last = latest(recs)
    if not ok:
        missing = sorted(k for k in want_s if last.get(k) != want_s[k])[:10]
        extra = sorted(k for k in last if k not in want_s)[:10]
        raise check.Failed("after %ds word-counts has %d records; words whose last count differs: %s "
                           "(got %s, want %s); words not in the text: %s"
                           % (timeout, len(recs), missing, [last.get(k) for k in missing],
                              [want_s[k] for k in missing], extra))
    prev = {}
    for p, off, k, v, _ in recs:
        t.expect(v is not None and re.fullmatch(r"[1-9][0-9]*", v), "value %r of %r at %d@%d is not a count"
                 % (v, k, p, off))
        t.expect(int(v) >= prev.get(k, 0), "count of %r fell from %d to %s at %d@%d" % (k, prev.get(k, 0), v, p, off))
        prev[k] = int(v)
    return recs


b = t.broker(config={"group.initial.rebalance.delay.ms": "0"})
ex = exu.Example(t, BUILD, "wordcount", b)

with t.step("--describe prints the topology in Kafka Streams' format"):
    d = exu.describe(t, BUILD, "wordcount")
    for want in ("Topologies:", "Sub-topology: 0", "Sub-topology: 1", "Source: lines (topics: [text-input])",
                 "counts-store", "by_word-repartition", "(topic: word-counts)"):
        t.expect(want in d, "%r not in --describe's output:\n%s" % (want, d))

with t.step("--help and a bad argument"):
    h = t.run([ex.exe, "--help"], timeout=30).stdout.decode()
    t.expect("-b HOST:PORT" in h and "text-input" in h and "word-counts" in h, "--help says:\n" + h)
    p = t.run([ex.exe, "--no-such-flag"], timeout=30, check=False)
    t.eq(p.returncode, 2, "exit status for an unknown argument")

first = text(7, 3000)
second = text(8, 1000)
with t.step("it creates its topics and runs"):
    ex.start()
    for topic in ("text-input", "word-counts"):
        t.eq(len(exu.partitions(b.bootstrap, topic)), 3, "partitions of " + topic)

with t.step("counts of a fixed text (3000 lines) equal Python's count"):
    exu.produce(b.bootstrap, "text-input", [(None, ln, None, None) for ln in first])
    want = count(first)
    recs = check_counts(b, want)
    print("   %d words, %d distinct; %d count records" % (sum(want.values()), len(want), len(recs)))

with t.step("SIGTERM closes it cleanly"):
    ex.stop()

with t.step("started again on its state, 1000 more lines add to the same counts"):
    ex.start()
    exu.produce(b.bootstrap, "text-input", [(None, ln, None, None) for ln in second])
    check_counts(b, count(first + second))
    ex.stop()

exu.finish(t, [ex])
t.done()
