#!/usr/bin/python3
"""streams_join.py - joins in an application against a real sluiced,
through streams_join_drv (see its header): views on 3 partitions joined
within 5 s with clicks produced on 2 partitions and re-keyed, so they reach
the join through a repartition topic the app creates with 3 partitions;
and views joined with a global table read from both partitions of its
topic. Record timestamps are set by the test, so stream time, not the
clock, closes the join windows. And views joined with a table (co-partitioned with them).

Steps: the app starts (internal topics made); every view with a click gets
exactly one joined result, whichever arrives first; a restart with the
state directory deleted (the join's stores, including the views waiting
for their window to close, and the table restored from their changelogs;
later views find the restored table rows); views without
a click get exactly one "+null" result, and only after a later record on
every partition closes their windows; every view gets its region (or null)
from the global table and its tier (or null) from the table; a graceful
close, no sanitizer reports.

Usage: streams_join.py BUILD_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
import check  # noqa: E402
import client_drv  # noqa: E402

BUILD = client_drv.build_dir()
t = check.Test("streams_join", budget_s=300)
import ck  # noqa: E402

DRV = client_drv.driver(BUILD, "streams_join_drv")
SCRATCH = tempfile.mkdtemp(prefix="streams-join-it-")
MIN = 60 * 1000
T0 = (int(time.time() * 1000) // MIN - 300) * MIN  # five hours ago
FINAL = T0 + 180 * MIN                             # past every window + grace (1000 s)
VIEWS = 300
VIEWS2 = VIEWS + 6  # a second batch after the restart
USERS = ["u%d" % i for i in range(12)]
REGIONS = {u: "region%d" % (i % 3) for i, u in enumerate(USERS[:9])}  # u9..u11 have none
TIERS = {u: "tier%d" % (i % 2) for i, u in enumerate(USERS[:4])}  # u4..u11 have none

b = t.broker(config={"group.initial.rebalance.delay.ms": "0"})
BS = b.bootstrap


def murmur2_producer():
    """Partitions as Java clients and the app's repartition sink do, so
    a user's views meet its re-keyed clicks and its table row."""
    return ck.producer(BS, partitioner="murmur2_random")


def produce_views(lo, hi):
    ck.produce_all(murmur2_producer(), [{"topic": "views", "key": view(i)[0].encode(), "value": view(i)[1].encode(),
                                         "timestamp": view(i)[2]} for i in range(lo, hi)])


def view(i):
    """View i: its user, page and time (a user's views 12 s apart, so a
    click 100 ms after one is within 5 s of that view only)."""
    return USERS[i % len(USERS)], "p%d" % i, T0 + i * 1000


CLICKED = [i for i in range(VIEWS) if i % 3 != 0]


class App:
    """streams_join_drv: stdout lines read by a thread, the log in a file."""

    def __init__(self):
        if not os.access(DRV, os.X_OK):
            raise check.Failed("driver not built: %s" % DRV)
        self.errpath = os.path.join(SCRATCH, "app-%d.log" % int(time.monotonic() * 1000))
        self.err = open(self.errpath, "w")
        self.p = subprocess.Popen([DRV, "-b", BS, "--app", "it-join", "--state", os.path.join(SCRATCH, "state"),
                                   "--max-ms", "250000"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.err)
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.p.stdout:
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
        self.lines.append("EOF")

    def log_tail(self, n=40):
        with open(self.errpath, errors="replace") as f:
            return "\n".join(f.read().splitlines()[-n:])

    def running(self, timeout=90):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            states = [ln for ln in self.lines if ln.startswith("STATE ") or ln == "EOF"
                      or ln.startswith("START-FAILED")]
            if states and states[-1] == "STATE RUNNING":
                return
            if states and states[-1] in ("EOF", "STATE ERROR") or any(s.startswith("START-") for s in states):
                break
            time.sleep(0.2)
        raise check.Failed("not RUNNING within %ds (%s); log:\n%s" % (timeout, self.lines[-5:], self.log_tail()))

    def quit(self, timeout=90):
        self.p.stdin.write(b"quit\n")
        self.p.stdin.flush()
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            raise check.Failed("graceful close took over %ds; log:\n%s" % (timeout, self.log_tail()))
        self.err.close()
        if rc != 0:
            raise check.Failed("the app exited with %d (%s); log:\n%s" % (rc, self.lines[-3:], self.log_tail()))


class Output:
    """Everything on an output topic, read from the beginning as it grows."""

    def __init__(self, topic, parts):
        self.c = ck.consumer(BS)
        self.c.assign([ck.TopicPartition(topic, p, 0) for p in range(parts)])
        self.recs = []

    def until(self, n, timeout, what):
        end = time.monotonic() + timeout
        while len(self.recs) < n and time.monotonic() < end:
            for m in self.c.consume(1000, 0.3):
                if not m.error():
                    self.recs.append((m.key().decode() if m.key() is not None else None,
                                      m.value().decode() if m.value() is not None else None, m.timestamp()[1]))
        if len(self.recs) < n:
            raise check.Failed("%s: %d of %d records within %ds; log:\n%s"
                               % (what, len(self.recs), n, timeout, app.log_tail()))

    def settle(self, s=2.0):
        """Reads for s more seconds (what arrives beyond the expected)."""
        end = time.monotonic() + s
        while time.monotonic() < end:
            for m in self.c.consume(1000, 0.3):
                if not m.error():
                    self.recs.append((m.key().decode() if m.key() is not None else None,
                                      m.value().decode() if m.value() is not None else None, m.timestamp()[1]))


app = None
with t.step("topics made; the global table's topic filled; the app starts and is RUNNING"):
    ck.create_topics(BS, [("views", 3, {}), ("clicks", 2, {}), ("user-regions", 2, {}), ("user-tiers", 3, {}),
                          ("view-clicks", 3, {}), ("view-regions", 3, {}), ("view-tiers", 3, {})])
    ck.produce_all(ck.producer(BS), [{"topic": "user-regions", "key": u.encode(), "value": r.encode(),
                                      "timestamp": T0} for u, r in REGIONS.items()])
    ck.produce_all(murmur2_producer(), [{"topic": "user-tiers", "key": u.encode(), "value": r.encode(),
                                         "timestamp": T0} for u, r in TIERS.items()])
    app = App()
    app.running()
    # the table is in its store (and changelog) before any view comes
    end = time.monotonic() + 60
    while time.monotonic() < end:
        rows = sum(hi for _, hi in ck.watermarks(BS, "it-join-tiers-changelog", range(3)).values())
        if rows >= len(TIERS):
            break
        time.sleep(0.2)
    t.expect(rows >= len(TIERS), "the table's changelog holds %d of %d rows after 60 s" % (rows, len(TIERS)))
    parts = {m.topic: len(m.partitions) for m in ck.admin(BS).list_topics(timeout=20).topics.values()}
    rep = [n for n in parts if n.startswith("it-join-") and n.endswith("-repartition")]
    t.expect(rep == ["it-join-view_clicks-right-repartition"], "repartition topics: %s" % rep)
    t.expect(parts.get(rep[0]) == 3, "the repartition topic has %s partitions, not the views' 3" % parts.get(rep[0]))
    for store in ("view_clicks-this-join-store", "view_clicks-other-join-store",
                  "view_clicks-outer-shared-join-store"):
        t.expect(parts.get("it-join-%s-changelog" % store) == 3, "changelog of %s: %s" % (store, sorted(parts)))

vc = Output("view-clicks", 3)
vr = Output("view-regions", 3)
vt = Output("view-tiers", 3)
with t.step("every clicked view joins its click exactly once, clicks first or views first"):
    p = murmur2_producer()
    msgs = []
    for i in range(VIEWS):
        u, page, ts = view(i)
        click = {"topic": "clicks", "key": ("c%d" % i).encode(), "value": ("%s|ad%d" % (u, i)).encode(),
                 "timestamp": ts + 100}
        v = {"topic": "views", "key": u.encode(), "value": page.encode(), "timestamp": ts}
        if i in CLICKED:
            msgs += [click, v] if i % 2 else [v, click]
        else:
            msgs.append(v)
    ck.produce_all(p, msgs)
    vc.until(len(CLICKED), 120, "joined views")
    vc.settle()
    want = sorted((view(i)[0], "%s+ad%d" % (view(i)[1], i), view(i)[2] + 100) for i in CLICKED)
    t.eq(sorted(vc.recs), want, "view-clicks before the windows close")

with t.step("a graceful close, the state directory deleted, a restart: the waiting views come back from the "
            "changelogs"):
    app.quit()
    shutil.rmtree(os.path.join(SCRATCH, "state"))
    app = App()
    app.running()
    vc.settle()
    t.eq(len(vc.recs), len(CLICKED), "view-clicks records after the restart (none again, no +null yet)")
    produce_views(VIEWS, VIEWS2)
    vt.until(VIEWS2, 120, "view-tiers")
    got = sorted(r for r in vt.recs if int(r[1].split("+")[0][1:]) >= VIEWS)
    t.eq(got, sorted((view(i)[0], "%s+%s" % (view(i)[1], TIERS.get(view(i)[0], "null")), view(i)[2])
                     for i in range(VIEWS, VIEWS2)), "view-tiers of the views after the restart")

with t.step("unclicked views get one +null result each once a later record on every partition closes them"):
    flush = [{"topic": "views", "key": ("flush%d" % q).encode(), "value": b"f", "timestamp": FINAL, "partition": q}
             for q in range(3)]
    ck.produce_all(ck.producer(BS), flush)
    unclicked = [i for i in range(VIEWS2) if i not in CLICKED]
    vc.until(len(CLICKED) + len(unclicked), 120, "+null results")
    vc.settle()
    want_null = sorted((view(i)[0], "%s+null" % view(i)[1], view(i)[2]) for i in unclicked)
    got_null = sorted(r for r in vc.recs if r[1].endswith("+null"))
    t.eq(got_null, want_null, "left-join results without a click")
    t.eq(len(vc.recs), len(CLICKED) + len(unclicked), "view-clicks records in all")

with t.step("every view gets its region from the global table (null for users without one)"):
    vr.until(VIEWS2 + 3, 120, "view-regions")
    vr.settle()
    want = sorted([(view(i)[0], "%s+%s" % (view(i)[1], REGIONS.get(view(i)[0], "null")), view(i)[2])
                   for i in range(VIEWS2)] + [("flush%d" % q, "f+null", FINAL) for q in range(3)])
    t.eq(sorted(vr.recs), want, "view-regions")

with t.step("every view gets its tier from the table (null for users without one)"):
    vt.until(VIEWS2 + 3, 120, "view-tiers")
    vt.settle()
    want = sorted([(view(i)[0], "%s+%s" % (view(i)[1], TIERS.get(view(i)[0], "null")), view(i)[2])
                   for i in range(VIEWS2)] + [("flush%d" % q, "f+null", FINAL) for q in range(3)])
    t.eq(sorted(vt.recs), want, "view-tiers")

with t.step("a graceful close; no sanitizer reports in the apps' logs"):
    if app is None:
        raise check.Failed("the app did not start")
    app.quit()
    for name in sorted(os.listdir(SCRATCH)):
        if name.endswith(".log"):
            with open(os.path.join(SCRATCH, name), errors="replace") as f:
                bad = [ln for ln in f.read().splitlines() if any(m in ln for m in check.sluiced.SANITIZER_MARKS)]
            t.expect(not bad, "sanitizer reports in %s:\n%s" % (name, "\n".join(bad[:20])))

shutil.rmtree(SCRATCH, ignore_errors=True)
t.done()
