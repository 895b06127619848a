"""streams_examples_more.py - sluice-example-fraud, -sessions and -pageviews
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
- pageviews: views of users with and without a region counted per region in
  hopping windows (5 min advancing 1 min; an hour of grace, as views from
  three partitions meet out of order in the repartition topic): the last
  count of every region and window equals Python's, users without a region
  under "unknown". The table is loaded (its changelog full) before the views
  are produced: views produced before the app starts, with newer timestamps
  than the table's rows, are not yet joined in timestamp order by the
  runtime (they all came out "unknown");
- --describe of each (processor and store; session store and suppression;
  the join, its table store and the repartition), a clean SIGTERM.
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
import ck  # noqa: E402
import streams_examples_util as exu  # noqa: E402

MIN = 60 * 1000
T0 = (int(time.time() * 1000) // MIN - 600) * MIN  # ten hours ago, on a minute
FINAL = T0 + 300 * MIN                             # closes everything before T0 + 4 h

b = t.broker(config={"group.initial.rebalance.delay.ms": "0"})
fraud = exu.Example(t, BUILD, "fraud", b, args=["--check-ms", "5000"])
sessions = exu.Example(t, BUILD, "sessions", b, args=["--gap-ms", str(MIN)])
pageviews = exu.Example(t, BUILD, "pageviews", b, args=["--grace-ms", str(60 * MIN)])


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

# ---- pageviews ----------------------------------------------------------------
regions = {"user-%d" % u: ("europe", "asia", "america")[u % 3] for u in range(9)}  # user-9: none
views = []
for i in range(240):
    views.append(("user-%d" % rnd.randint(0, 9), "/page/%d" % rnd.randint(1, 20), T0 + MIN + i * 3000))


def python_views(vs):
    """{(region, window_start): views} for hopping windows of 5 min
    advancing by 1 min: a view at ts is in the windows starting at
    multiples of 1 min in (ts - 5 min, ts]."""
    out = {}
    for user, _, ts in vs:
        region = regions.get(user, "unknown")
        start = ts - ts % MIN
        while start > ts - 5 * MIN:
            out[(region, start)] = out.get((region, start), 0) + 1
            start -= MIN
    return out


with t.step("pageviews: --describe shows the join, its table store and the repartition"):
    d = exu.describe(t, BUILD, "pageviews")
    for want in ("Source: views (topics: [page-views])", "Source: regions (topics: [user-regions])",
                 "user-regions-store", "by_region-repartition", "views-per-region-store",
                 "(topic: pageviews-per-region)"):
        t.expect(want in d, "%r not in pageviews --describe:\n%s" % (want, d))

with t.step("pageviews: counts per region and hopping window equal Python's"):
    pageviews.start()
    exu.produce(b.bootstrap, "user-regions", [(u, r, T0, None) for u, r in sorted(regions.items())])
    changelog = pageviews.app_id + "-user-regions-store-changelog"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ends = exu.watermark_ends(b.bootstrap, changelog)
        if sum(ends.values()) >= len(regions):
            break
        time.sleep(0.2)
    t.expect(sum(ends.values()) >= len(regions), "the table's changelog holds %s of %d rows after 60 s"
             % (ends, len(regions)))
    exu.produce(b.bootstrap, "page-views", [(u, p, ts, None) for u, p, ts in views])
    want = python_views(views)

    def final(recs):
        last = {}
        for _, _, k, v, _ in recs:
            a = json.loads(v)
            last[(a["region"], a["window_start"])] = a["views"]
        return last

    recs, ok = exu.read_until(b.bootstrap, "pageviews-per-region", lambda r: final(r) == want, timeout=120)
    got = final(recs)
    if not ok:
        diff = sorted(k for k in set(want) | set(got) if want.get(k) != got.get(k))

        def per_region(m):
            r = {}
            for (region, _), n in m.items():
                r[region] = r.get(region, 0) + n
            return r
        raise check.Failed("after 120 s, %d (region, window) counts differ, e.g. %s: got %s, want %s; "
                           "views x windows per region: got %s, want %s"
                           % (len(diff), diff[:6], [got.get(k) for k in diff[:6]], [want.get(k) for k in diff[:6]],
                              per_region(got), per_region(want)))
    for _, _, k, v, _ in recs:
        a = json.loads(v)
        t.eq(a["window_end"] - a["window_start"], 5 * MIN, "window size")
        t.eq(k, a["region"], "key")
    print("   %d views, %d (region, window) counts" % (len(views), len(want)))

with t.step("pageviews: SIGTERM closes it cleanly"):
    pageviews.stop()

exu.finish(t, [fraud, sessions, pageviews])
t.done()
