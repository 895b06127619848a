#!/usr/bin/python3
"""streams_app.py - the streams runtime (sl_app_*) against a real sluiced,
through streams_app_drv (a word count: lines -> words -> repartition by
word -> a counting processor with a key-value store and its changelog ->
output (word, int64 count)), with confluent_kafka producing the input and
reading the output, and an independent count computed here.

Steps: the word count over many words equals the independent count (and
interactive queries agree); internal topics and the repartition purge; a
graceful close, the state directory deleted, restart: the store is restored
from its changelog; kill -9 mid-run under at_least_once (no count lower
than the truth) and under exactly_once_v2 (every word's counts 1, 2, ..., n
exactly once in the read_committed output); two instances of one
application.id split the tasks, and one takes over when the other stops.
Every wait is bounded.

Usage: streams_app.py BUILD_DIR
"""
import collections
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import client_drv  # noqa: E402
import check  # noqa: E402

BUILD = client_drv.build_dir()
t = check.Test("streams_app", budget_s=560)

import ck  # noqa: E402
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

DRV = client_drv.driver(BUILD, "streams_app_drv")
WORDS = int(os.environ.get("SLUICE_IT_STREAMS_WORDS", "1000000"))
PARTS = 4
TASKS = 2 * PARTS  # two sub-topologies (split, count) of PARTS tasks each
VOCAB = ["w%03d" % i for i in range(400)] + ["Alpha", "beta", "GAMMA", "delta"]
SCRATCH = tempfile.mkdtemp(prefix="streams-app-it-")


class App:
    """One streams_app_drv process: stdout lines collected by a reader
    thread, stderr (the runtime's log) in a file."""

    def __init__(self, bootstrap, app_id, out, state, *extra):
        if not os.access(DRV, os.X_OK):
            raise check.Failed("driver not built: %s" % DRV)
        self.errpath = os.path.join(SCRATCH, "%s-%d.log" % (app_id, int(time.monotonic() * 1000)))
        self.err = open(self.errpath, "w")
        args = [DRV, "-b", bootstrap, "--app", app_id, "--in", "text-input", "--out", out, "--state", state,
                "--commit-ms", "500", "--max-ms", "400000", "--set", "repartition.purge.interval.ms=1000"]
        self.p = subprocess.Popen(args + list(extra), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.err)
        self.lines = []
        self.cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.p.stdout:
            with self.cv:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self.cv.notify_all()
        with self.cv:
            self.lines.append("EOF")
            self.cv.notify_all()

    def wait_line(self, pred, timeout, what, start=0):
        """The first line from index start on that pred accepts."""
        end = time.monotonic() + timeout
        with self.cv:
            seen = start
            while True:
                for ln in self.lines[seen:]:
                    if pred(ln):
                        return ln
                seen = len(self.lines)
                if "EOF" in self.lines:
                    raise check.Failed("%s: the app ended first; output %r; log:\n%s"
                                       % (what, self.lines[-10:], self.log_tail()))
                left = end - time.monotonic()
                if left <= 0:
                    raise check.Failed("%s: not within %ds; output %r; log:\n%s"
                                       % (what, timeout, self.lines[-10:], self.log_tail()))
                self.cv.wait(min(left, 0.5))

    def running(self, timeout=90):
        """Waits until the latest state the app printed is RUNNING."""
        end = time.monotonic() + timeout
        while True:
            with self.cv:
                states = [ln for ln in self.lines if ln.startswith("STATE ") or ln == "EOF"]
            if states and states[-1] == "STATE RUNNING":
                return
            if (states and states[-1] in ("EOF", "STATE ERROR")) or time.monotonic() > end:
                raise check.Failed("not RUNNING within %ds (states %s); log:\n%s"
                                   % (timeout, states[-5:], self.log_tail()))
            time.sleep(0.2)

    def send(self, text):
        self.p.stdin.write(text.encode())
        self.p.stdin.flush()

    def get(self, word, timeout=30):
        start = len(self.lines)
        self.send("get %s\n" % word)
        ln = self.wait_line(lambda x: x.startswith("GET %s " % word), timeout, "query %s" % word, start)
        rest = ln.split(" ", 2)[2]
        return None if rest == "none" else int(rest) if rest.lstrip("-").isdigit() else rest

    def quit(self, timeout=90):
        self.send("quit\n")
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            raise check.Failed("graceful close took over %ds; log:\n%s" % (timeout, self.log_tail()))
        self.err.close()
        if rc != 0:
            raise check.Failed("the app exited with %d; output %r; log:\n%s" % (rc, self.lines[-5:], self.log_tail()))

    def kill9(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait(30)
        self.err.close()

    def log(self):
        with open(self.errpath, errors="replace") as f:
            return f.read()

    def log_tail(self, n=40):
        return "\n".join(self.log().splitlines()[-n:])

    def sanitizer_free(self):
        bad = [ln for ln in self.log().splitlines() if any(m in ln for m in check.sluiced.SANITIZER_MARKS)]
        if bad:
            raise check.Failed("sanitizer reports in the app's log:\n" + "\n".join(bad[:20]))

    def tasks_now(self, kind="active"):
        """The active (standby) task count of the latest assignment of
        each thread, summed."""
        got = {}
        for ln in self.log().splitlines():
            m = re.search(r"(StreamThread-\d+): generation \d+: (\d+) active and (\d+) standby", ln)
            if m:
                got[m.group(1)] = int(m.group(2 if kind == "active" else 3))
        return sum(got.values()) if got else None


def produce(bootstrap, nwords, seed):
    """Lines of 1-12 words to text-input; returns the words' Counter."""
    rnd = random.Random(seed)
    counts = collections.Counter()
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.num.messages": 10000, **ck.QUIET})
    left = nwords
    failed = []
    while left > 0:
        n = min(left, rnd.randint(1, 12))
        ws = [rnd.choice(VOCAB) for _ in range(n)]
        counts.update(w.lower() for w in ws)
        line = (" " if rnd.random() < 0.8 else ", ").join(ws)
        while True:
            try:
                p.produce("text-input", value=line.encode(),
                          on_delivery=lambda err, m: failed.append(err) if err else None)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
        left -= n
    if p.flush(120) != 0 or failed:
        raise check.Failed("producing the input failed: %s" % failed[:3])
    return counts


class Output:
    """Reads an output topic from the beginning as it grows: every word's
    counts in offset order."""

    def __init__(self, bootstrap, topic, committed=False):
        self.c = Consumer({"bootstrap.servers": bootstrap, "group.id": "it-reader-%s" % topic,
                           "enable.auto.commit": False,
                           "isolation.level": "read_committed" if committed else "read_uncommitted", **ck.QUIET})
        self.c.assign([TopicPartition(topic, p, 0) for p in range(PARTS)])
        self.seq = collections.defaultdict(list)

    def latest(self):
        return {w: s[-1] for w, s in self.seq.items()}

    def until(self, cond, timeout, what):
        end = time.monotonic() + timeout
        while True:
            for m in self.c.consume(10000, 0.2):
                if m.error():
                    continue
                self.seq[m.key().decode()].append(struct.unpack(">q", m.value())[0])
            if cond(self.latest()):
                return self.latest()
            if time.monotonic() > end:
                lat = self.latest()
                raise check.Failed("%s: not within %ds (%d words seen)" % (what, timeout, len(lat)))

    def close(self):
        self.c.close()


def exact(expected):
    return lambda got: all(got.get(w) == n for w, n in expected.items())


def at_least(expected):
    return lambda got: all(got.get(w, 0) >= n for w, n in expected.items())


def diff(expected, got, limit=5):
    bad = [(w, n, got.get(w)) for w, n in sorted(expected.items()) if got.get(w) != n]
    return "%d words differ, e.g. %s" % (len(bad), bad[:limit])


b = t.broker()
BS = b.bootstrap
total = collections.Counter()
state = os.path.join(SCRATCH, "state")

with t.step("input and output topics"):
    ck.create_topics(BS, [("text-input", PARTS, {}), ("counts-1", PARTS, {}), ("counts-eos", PARTS, {}),
                          ("counts-2", PARTS, {}), ("counts-alos", PARTS, {}), ("counts-dsl", PARTS, {})])

with t.step("start fails clearly: a missing source topic, co-partitioned topics of different counts"):
    ck.create_topics(BS, [("odd-input", 3, {})])
    for topics, want in (("text-input,no-such-topic", "source topic no-such-topic does not exist"),
                         ("text-input,odd-input", "co-partitioned topics text-input (4 partitions) and odd-input "
                                                  "(3 partitions) must have the same partition count")):
        bad = App(BS, "bad", "counts-1", os.path.join(SCRATCH, "bad"), "--in", topics)
        ln = bad.wait_line(lambda x: x.startswith("START-FAILED"), 60, "a start that fails")
        t.expect(want in ln, "start failure %r does not say %r" % (ln, want))
        bad.p.wait(30)
        bad.err.close()

with t.step("word count over %d words equals an independent count" % WORDS):
    total += produce(BS, WORDS, 1)
    app = App(BS, "wc", "counts-1", state, "--threads", "2")
    app.running()
    out = Output(BS, "counts-1")
    t0 = time.monotonic()
    got = out.until(exact(total), 240, "the counts of %d words" % WORDS)
    print("   %d words counted in %.1fs after the app ran" % (WORDS, time.monotonic() - t0))
    t.expect(set(got) == set(total), "words in the output that were never sent: %s"
             % sorted(set(got) - set(total))[:5])

with t.step("the same count written with the DSL (flat_map_values, group_by, count, to_stream)"):
    dapp = App(BS, "wcdsl", "counts-dsl", state, "--threads", "2", "--dsl")
    dapp.running()
    dout = Output(BS, "counts-dsl")
    dout.until(exact(total), 240, "the DSL counts of %d words" % WORDS)
    for w in ["beta", "w042"]:
        t.eq(dapp.get(w), total[w], "kv_get(%s) of the DSL count's store" % w)
    dapp.quit()
    dapp.sanitizer_free()
    dout.close()

with t.step("a windowed count (tumbling hours) read back through window-store fetches"):
    wapp = App(BS, "wcwin", "counts-dsl", state, "--threads", "2", "--windowed")
    wapp.running()
    for w in ["alpha", "w001", "w250"]:
        end = time.monotonic() + 120
        while True:
            start = len(wapp.lines)
            wapp.send("win %s\n" % w)
            ln = wapp.wait_line(lambda x: x.startswith("WIN %s " % w), 30, "a window fetch", start)
            f = ln.split(" ")
            got = int(f[3]) if f[2] != "error" else None
            if got == total[w] or time.monotonic() > end:
                break
            time.sleep(0.5)
        t.eq(got, total[w], "the windows' counts of %s (%s)" % (w, ln))
    wapp.quit()
    wapp.sanitizer_free()

with t.step("interactive queries (get, range) answer the same counts"):
    for w in ["alpha", "gamma", "w000", "w399", "w123"]:
        t.eq(app.get(w), total[w], "kv_get(%s)" % w)
    t.eq(app.get("neverseen"), None, "kv_get of a word never sent")
    start = len(app.lines)
    app.send("all\n")
    ln = app.wait_line(lambda x: x.startswith("ALL "), 30, "a range query", start)
    t.eq(ln, "ALL %d %d" % (len(total), sum(total.values())), "kv_range over every local store")

with t.step("internal topics: changelog and repartition topics with %d partitions, repartition purged" % PARTS):
    md = ck.admin(BS).list_topics(timeout=10).topics
    for name in ("wc-counts-changelog", "wc-by-word-repartition"):
        t.expect(name in md, "%s missing; topics: %s" % (name, sorted(md)))
        t.eq(len(md[name].partitions), PARTS, "partitions of %s" % name)
    c = Consumer({"bootstrap.servers": BS, "group.id": "it-wm", **ck.QUIET})
    end = time.monotonic() + 30
    while True:
        lows = [c.get_watermark_offsets(TopicPartition("wc-by-word-repartition", p), timeout=10)[0]
                for p in range(PARTS)]
        if all(lo > 0 for lo in lows) or time.monotonic() > end:
            break
        time.sleep(0.5)
    c.close()
    t.expect(all(lo > 0 for lo in lows), "repartition topic not purged (low watermarks %s)" % lows)

with t.step("graceful close, state directory deleted, restart: restored from the changelog"):
    app.quit()
    app.sanitizer_free()
    shutil.rmtree(os.path.join(state, "wc"))
    app = App(BS, "wc", "counts-1", state, "--threads", "2")
    app.running()
    restored = re.findall(r"restored (\d+) records of counts in", app.log())
    t.expect(restored and sum(int(x) for x in restored) > 0,
             "no restore from the changelog logged:\n%s" % app.log_tail())
    for w in ["alpha", "w007", "w300"]:
        t.eq(app.get(w), total[w], "kv_get(%s) after the restore" % w)
    more = produce(BS, 20000, 2)
    total += more
    got = out.until(exact(total), 120, "the counts after restore and more input")

with t.step("kill -9 under at_least_once mid-run, restart: no count lower than the truth"):
    app.quit()
    app = App(BS, "wcalos", "counts-alos", state, "--threads", "2")
    app.running()
    out2 = Output(BS, "counts-alos")
    got = out2.until(lambda got: sum(got.values()) > 0, 120, "some progress")
    app.kill9()
    t.expect(not exact(total)(got), "the run ended before the kill (more words needed for a mid-run kill)")
    app = App(BS, "wcalos", "counts-alos", state, "--threads", "2")
    app.running()
    got = out2.until(at_least(total), 240, "counts after the restart")
    over = sum(1 for w in total if got[w] > total[w])
    print("   %d of %d words counted more than once for some records (at least once)" % (over, len(total)))
    app.quit()
    app.sanitizer_free()
    out2.close()

with t.step("exactly_once_v2: kill -9 mid-run, restart: every count exactly once (read_committed)"):
    app = App(BS, "wceos", "counts-eos", state, "--threads", "2", "--eos")
    app.running()
    out3 = Output(BS, "counts-eos", committed=True)
    got = out3.until(lambda got: sum(got.values()) > 0, 120, "some committed progress")
    app.kill9()
    t.expect(not exact(total)(got), "the run ended before the kill (more words needed for a mid-run kill)")
    app = App(BS, "wceos", "counts-eos", state, "--threads", "2", "--eos")
    app.running()
    got = out3.until(exact(total), 300, "exact counts after the restart")
    bad = [(w, s[:6]) for w, s in out3.seq.items() if s != list(range(1, len(s) + 1))]
    t.expect(not bad, "counts not 1..n in the committed output: %s" % bad[:3])
    t.expect("no clean checkpoint under exactly-once: wiping" in app.log(),
             "the state of the unclean stop was not wiped:\n%s" % app.log_tail(60))
    app.quit()
    app.sanitizer_free()
    out3.close()

with t.step("two instances split the tasks; one takes over when the other stops"):
    sa, sb = os.path.join(SCRATCH, "a"), os.path.join(SCRATCH, "b")
    a = App(BS, "wc2", "counts-2", sa, "--standby", "1")
    a.running()
    bb = App(BS, "wc2", "counts-2", sb, "--standby", "1")
    end = time.monotonic() + 90
    while time.monotonic() < end:
        na, nb = a.tasks_now(), bb.tasks_now()
        sta, stb = a.tasks_now("standby"), bb.tasks_now("standby")
        if na and nb and na + nb == TASKS and sta and stb and sta + stb == TASKS:
            break
        time.sleep(0.5)
    t.expect(na and nb and na + nb == TASKS, "tasks not split: first %s, second %s" % (na, nb))
    t.expect(sta + stb == TASKS, "standby tasks (num.standby.replicas=1): first %s, second %s" % (sta, stb))
    out4 = Output(BS, "counts-2")
    out4.until(exact(total), 240, "counts with two instances")
    bb.quit()
    bb.sanitizer_free()
    end = time.monotonic() + 60
    while time.monotonic() < end and a.tasks_now() != TASKS:
        time.sleep(0.5)
    t.eq(a.tasks_now(), TASKS, "tasks of the remaining instance")
    total += produce(BS, 5000, 3)
    out4.until(exact(total), 120, "counts after the takeover")
    a.quit()
    a.sanitizer_free()
    out4.close()

out.close()
shutil.rmtree(SCRATCH, ignore_errors=True)
t.done()
