"""streams_examples_more.py - sluice-example-fraud and sluice-example-sessions
end to end against a real sluiced, with record timestamps set by the test
(stream time, not the clock, drives both):

- fraud: cards making more than 5 transactions within a minute, or spending
  more than 1000 within one, get exactly one alert each on fraud-alerts
  (rule, count and amount as the data says); honest cards (one transaction
  every two minutes) get none;
- sessions: clicks of 12 users, sessions computed in Python (clicks at most
  a minute apart in one session): once a newer click on every partition
  closes them, user-sessions holds each session exactly once, with its
  start, end and click count, and no session still open;
- --describe of both (processor and store; session store and suppression),
  a clean SIGTERM.
Usage: streams_examples_more.py BUILD_DIR.
"""
import json
import os
import random
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
sys.path.insert(0, HERE)
import check  # noqa: E402
import client_drv  # noqa: E402

BUILD = client_drv.build_dir()
t = check.Test("streams_examples_more", budget_s=420)
import ck  # noqa: E402,F401
import streams_examples_util as exu  # noqa: E402

MIN = 60 * 1000
T0 = (int(time.time() * 1000) // MIN - 600) * MIN  # ten hours ago, on a minute
FINAL = T0 + 300 * MIN                             # closes everything before T0 + 4 h

b = t.broker(config={"group.initial.rebalance.delay.ms": "0"})
fraud = exu.Example(t, BUILD, "fraud", b, args=["--check-ms", "5000"])
sessions = exu.Example(t, BUILD, "sessions", b, args=["--gap-ms", str(MIN)])


def ticks(bootstrap, topic, key, value):
    """One record at FINAL on every partition: moves each task's stream
    time past everything else."""
    return [("%s-%d" % (key, p), value, FINAL, p) for p in exu.partitions(bootstrap, topic)]


with t.step("--describe: fraud's processor and store, sessions' session store and suppression"):
    d = exu.describe(t, BUILD, "fraud")
    for want in ("Source: transactions (topics: [transactions])", "Processor: alerts (stores: [card-activity])",
                 "(topic: fraud-alerts)"):
        t.expect(want in d, "%r not in fraud --describe:\n%s" % (want, d))
    d = exu.describe(t, BUILD, "sessions")
    for want in ("Source: clicks (topics: [clicks])", "clicks-per-session-store", "final_counts",
                 "(topic: user-sessions)"):
        t.expect(want in d, "%r not in sessions --describe:\n%s" % (want, d))

# ---- fraud ----------------------------------------------------------------
rnd = random.Random(11)
tx = []
for i in range(20):                      # honest: every 2 minutes, 10.00
    for j in range(10):
        tx.append(("honest-%d" % i, "10.00", T0 + j * 2 * MIN + i * 1000))
for i in range(3):                       # 8 transactions within 21 s
    base = T0 + (5 + 3 * i) * MIN
    for j in range(8):
        tx.append(("burst-%d" % i, "%d.%02d" % (rnd.randint(1, 20), rnd.randint(0, 99)), base + j * 3000))
for i in range(2):                       # two of 700.00 within 30 s
    base = T0 + (7 + 4 * i) * MIN
    tx.append(("big-%d" % i, "700.00", base))
    tx.append(("big-%d" % i, "700", base + 30000))
tx.append(("bad-amount", "twelve", T0 + 2 * MIN))  # skipped, logged
tx.sort(key=lambda r: r[2])

with t.step("fraud: it creates its topics and runs"):
    fraud.start()

with t.step("fraud: one alert per offending card, none for honest ones"):
    exu.produce(b.bootstrap, "transactions", [(k, v, ts, None) for k, v, ts in tx])
    exu.produce(b.bootstrap, "transactions", ticks(b.bootstrap, "transactions", "tick", "0.01"))
    want = {"burst-0", "burst-1", "burst-2", "big-0", "big-1"}

    def all_alerted(recs):
        return {k for _, _, k, _, _ in recs} >= want

    recs, ok = exu.read_until(b.bootstrap, "fraud-alerts", all_alerted, timeout=120)
    time.sleep(2)  # room for a wrong extra alert to show up
    recs, _ = exu.read_until(b.bootstrap, "fraud-alerts", all_alerted, timeout=30)
    keys = sorted(k for _, _, k, _, _ in recs)
    t.eq(keys, sorted(want), "cards alerted (one alert each)")
    for _, _, k, v, ts in recs:
        a = json.loads(v)
        t.eq(a["card"], k, "alert's card")
        if k.startswith("burst"):
            t.eq(a["rule"], "count", "rule of " + k)
            t.expect(6 <= a["transactions"] <= 8, "transactions of %s: %s" % (k, a))
        else:
            t.eq((a["rule"], a["transactions"], a["amount"]), ("amount", 2, "1400.00"), "alert of " + k)
        t.expect(a["window_end"] - a["window_start"] < MIN and a["window_end"] == ts,
                 "window of %s: %s (record timestamp %d)" % (k, a, ts))

with t.step("fraud: the bad amount was skipped and logged; SIGTERM closes it cleanly"):
    t.expect("bad-amount" not in {k for _, _, k, _, _ in recs}, "alert for bad-amount")
    t.expect("no card or not an amount" in fraud.text(), "no log line for the bad amount\n" + fraud.tail())
    fraud.stop()

# ---- sessions ---------------------------------------------------------------
clicks = []
for u in range(12):
    at = T0 + u * 7000
    for s in range(rnd.randint(1, 4)):
        for _ in range(rnd.randint(1, 6)):
            clicks.append(("user-%d" % u, "/page/%d" % rnd.randint(1, 50), at))
            at += rnd.randint(0, 59) * 1000          # within the gap
        at += rnd.randint(61, 30 * 60) * 1000        # past the gap: a new session
clicks.sort(key=lambda r: r[2])


def python_sessions(cs):
    out = set()
    per = {}
    for k, _, ts in cs:
        per.setdefault(k, []).append(ts)
    for k, tss in per.items():
        tss.sort()
        start = prev = tss[0]
        n = 1
        for ts in tss[1:]:
            if ts - prev > MIN:
                out.add((k, start, prev, n))
                start, n = ts, 0
            prev = ts
            n += 1
        out.add((k, start, prev, n))
    return out


with t.step("sessions: every closed session once, with its start, end and clicks"):
    sessions.start()
    exu.produce(b.bootstrap, "clicks", [(k, v, ts, None) for k, v, ts in clicks])
    exu.produce(b.bootstrap, "clicks", ticks(b.bootstrap, "clicks", "tick", "/"))
    want = python_sessions(clicks)

    def got_of(recs):
        return [(k, json.loads(v)["start"], json.loads(v)["end"], json.loads(v)["clicks"]) for _, _, k, v, _ in recs]

    recs, ok = exu.read_until(b.bootstrap, "user-sessions", lambda r: set(got_of(r)) >= want, timeout=120)
    time.sleep(2)
    recs, _ = exu.read_until(b.bootstrap, "user-sessions", lambda r: set(got_of(r)) >= want, timeout=30)
    got = got_of(recs)
    t.expect(set(got) == want, "sessions differ: missing %s, unexpected %s"
             % (sorted(want - set(got))[:8], sorted(set(got) - want)[:8]))
    t.eq(len(got), len(set(got)), "records on user-sessions (each session once)")
    for _, _, k, v, _ in recs:
        t.eq(json.loads(v)["user"], k, "user field")
    print("   %d clicks, %d sessions" % (len(clicks), len(want)))

with t.step("sessions: SIGTERM closes it cleanly"):
    sessions.stop()

exu.finish(t, [fraud, sessions])
t.done()
