"""broker_compaction.py - the log cleaner on compacted topics.

The broker runs the cleaner every second (log.cleaner.backoff.ms=1000) with
the smallest key map allowed (log.cleaner.dedupe.buffer.size=1 MiB: 39,321
keys). A topic with cleanup.policy=compact, small segments
(segment.bytes=16384) and min.cleanable.dirty.ratio=0.01 gets 10,000
updates over 100 keys from confluent_kafka, in dozens of segments. Within a
bounded wait the partition's segment files shrink, and the cleaned
segments are merged into a few. Reading from the beginning then gives, for
every key, its latest value at the offset the producer was told, offsets
still increasing, and at most one record per key below the active
segment. A record without a key is refused with INVALID_RECORD.
A second topic gets 45,000 keys written twice: more keys than the map
holds, so the cleaner needs several passes (the broker log says the map
was full); in the end every key is there once, with its second value at
its original offset. After a restart the same records read back. Deleted keys
keep only their tombstone after the first cleaning, and lose it in a pass
after delete.retention.ms (5 s here). A topic
with max.compaction.lag.ms=1000 has its one segment rolled and cleaned
although segment.ms is the default 7 days (Kafka caps a compacted log's
segment.ms by its max.compaction.lag.ms). A broker
with log.cleaner.enable=false leaves a compacted topic as written.
Usage: broker_compaction.py BINDIR
"""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import check  # noqa: E402

t = check.Test("broker_compaction", budget_s=280)
import ck  # noqa: E402

b = t.broker(config={"log.cleaner.backoff.ms": "1000", "log.cleaner.dedupe.buffer.size": "1048576"})
B = b.bootstrap
TOPIC = "compacted"
KEYS = 100
N = 10000
MANY = "manykeys"
MANY_KEYS = 45000


def log_bytes():
    return sum(os.path.getsize(f) for f in b.segment_files(TOPIC, 0))


def read_all(end):
    got = ck.read_partitions(B, TOPIC, {0: end}, timeout=60)[0]
    return [(m.offset(), m.key(), m.value()) for m in got]


with t.step("produce 10,000 updates over 100 keys to a compacted topic"):
    ck.create_topics(B, [(TOPIC, 1, {"cleanup.policy": "compact", "segment.bytes": "16384",
                                     "min.cleanable.dirty.ratio": "0.01"})])
    p = ck.producer(B, **{"linger.ms": 5, "batch.num.messages": 50})
    msgs = [{"topic": TOPIC, "partition": 0, "key": b"key-%03d" % (i % KEYS), "value": b"value-%05d" % i}
            for i in range(N)]
    reports = ck.produce_all(p, msgs)
    latest = {}
    for i, r in enumerate(reports):
        latest[msgs[i]["key"]] = (r[2], msgs[i]["value"])
    t.eq(reports[-1][2], N - 1, "offset of the last update")
    before = log_bytes()
    segs_before = len(b.segment_files(TOPIC, 0))
    t.expect(segs_before > 10, "expected many segments, got %d" % segs_before)

with t.step("a record without a key is refused with INVALID_RECORD"):
    result = []
    p.produce(TOPIC, value=b"no key", partition=0, on_delivery=lambda err, msg: result.append(err))
    p.flush(30)
    t.eq(len(result), 1, "delivery reports")
    t.expect(result[0] is not None and result[0].code() == ck.KafkaError.INVALID_RECORD,
             "keyless record on a compacted topic: %s" % (result[0],))

with t.step("the cleaner runs within a bounded wait and the log shrinks"):
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and (log_bytes() * 2 > before or "cleaned up to offset" not in b.log_text()):
        time.sleep(0.5)
    after = log_bytes()
    t.expect(after * 2 <= before, "log still %d bytes after 90s (was %d)" % (after, before))
    t.expect("cleaned up to offset" in b.log_text(), "no cleaner pass in the broker log")

with t.step("the small cleaned segments are merged into a few"):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(b.segment_files(TOPIC, 0)) > 3:
        time.sleep(0.5)
    segs_after = len(b.segment_files(TOPIC, 0))
    t.expect(segs_after <= 3, "%d segments after cleaning (were %d)" % (segs_after, segs_before))
    for f in b.segment_files(TOPIC, 0):
        t.expect(os.path.getsize(f) <= 16384, "%s has %d bytes, above segment.bytes"
                 % (f, os.path.getsize(f)))

with t.step("consuming from the beginning: the latest value of every key at its original offset"):
    recs = read_all(N)
    offsets = [o for o, _, _ in recs]
    t.expect(offsets == sorted(set(offsets)), "offsets not strictly increasing")
    t.expect(len(recs) < N, "nothing was removed: %d records" % len(recs))
    by_off = {o: (k, v) for o, k, v in recs}
    for k, (off, val) in latest.items():
        t.eq(by_off.get(off), (k, val), "record at offset %d (latest of %s)" % (off, k))
    last = {}
    for o, k, v in recs:
        last[k] = (o, v)
    t.eq(last, latest, "last value per key")
    t.eq(len(set(k for _, k, _ in recs)), KEYS, "distinct keys")
    active = int(os.path.basename(b.segment_files(TOPIC, 0)[-1])[:-4])
    cleaned = [k for o, k, _ in recs if o < active]
    t.expect(len(cleaned) > 0, "nothing below the active segment (base %d)" % active)
    t.eq(len(cleaned), len(set(cleaned)), "records per key below the active segment (base %d)" % active)

with t.step("45,000 keys written twice: more than the key map holds, cleaned in several passes"):
    ck.create_topics(B, [(MANY, 1, {"cleanup.policy": "compact", "segment.bytes": "131072",
                                    "min.cleanable.dirty.ratio": "0.01"})])
    many = [{"topic": MANY, "partition": 0, "key": b"mk-%05d" % (i % MANY_KEYS),
             "value": b"r%d-%05d" % (i // MANY_KEYS, i % MANY_KEYS)} for i in range(2 * MANY_KEYS)]
    p2 = ck.producer(B, **{"linger.ms": 20, "batch.num.messages": 1000})
    mreports = ck.produce_all(p2, many, timeout=120)
    mend = mreports[-1][2] + 1
    t.eq(mend, 2 * MANY_KEYS, "end offset")

    def many_below_active():
        files = b.segment_files(MANY, 0)
        return int(os.path.basename(files[-1])[:-4]), files

    def many_bytes():
        return sum(os.path.getsize(f) for f in b.segment_files(MANY, 0))

    def expected_below(active):
        last = {}
        for i, r in enumerate(mreports):
            if r[2] < active:
                last[many[i]["key"]] = (r[2], many[i]["key"], many[i]["value"])
        return sorted(last.values())

    # Done when the records below the active segment are the latest of each
    # key there (the log about halves first).
    mbefore = many_bytes()
    deadline = time.monotonic() + 120
    mrecs, ok = [], False
    while time.monotonic() < deadline and not ok:
        time.sleep(1)
        if many_bytes() * 10 > mbefore * 7:
            continue
        active, _ = many_below_active()
        mrecs = [(m.offset(), m.key(), m.value()) for m in ck.read_partitions(B, MANY, {0: mend}, timeout=60)[0]]
        ok = [r for r in mrecs if r[0] < active] == expected_below(active)
    t.expect("key map full" in b.log_text(), "the cleaner never reported a full key map")
    active, _ = many_below_active()
    t.expect(active > MANY_KEYS, "active segment starts at %d" % active)
    t.eq([r for r in mrecs if r[0] < active], expected_below(active),
         "records below the active segment (base %d): the latest of each key, at its offset" % active)
    t.eq([r for r in mrecs if r[0] >= active],
         [(mreports[i][2], m["key"], m["value"]) for i, m in enumerate(many) if mreports[i][2] >= active],
         "records of the active segment, untouched")
    t.eq(len(set(k for _, k, _ in mrecs)), MANY_KEYS, "distinct keys")

with t.step("after a restart the same records read back"):
    b.stop()
    b.start()
    t.eq(read_all(N), recs, "records after restart")
    again = [(m.offset(), m.key(), m.value()) for m in ck.read_partitions(B, MANY, {0: mend}, timeout=60)[0]]
    t.eq(again, mrecs, "records of %s after restart" % MANY)

TOMB = "tombstones"


def tomb_read():
    """{key: [(offset, value)]} of the whole TOMB partition."""
    c = ck.consumer(B, **{"auto.offset.reset": "earliest"})
    out = {}
    try:
        lo, hi = c.get_watermark_offsets(ck.TopicPartition(TOMB, 0), timeout=10)
        c.assign([ck.TopicPartition(TOMB, 0, lo)])
        deadline = time.monotonic() + 30
        last = lo - 1
        while last < hi - 1 and time.monotonic() < deadline:
            m = c.poll(0.2)
            if m is None or m.error() is not None:
                continue
            out.setdefault(m.key(), []).append((m.offset(), m.value()))
            last = m.offset()
    finally:
        c.close()
    return out


with t.step("tombstones: kept by the first cleaning, gone once delete.retention.ms has passed"):
    ck.create_topics(B, [(TOMB, 1, {"cleanup.policy": "compact", "segment.bytes": "16384",
                                    "min.cleanable.dirty.ratio": "0.01", "delete.retention.ms": "5000"})])
    pt = ck.producer(B, **{"linger.ms": 5, "batch.num.messages": 50})
    ups = [{"topic": TOMB, "partition": 0, "key": b"k%02d" % (i % 20), "value": b"v%05d" % i} for i in range(1000)]
    urep = ck.produce_all(pt, ups)
    dels = [{"topic": TOMB, "partition": 0, "key": b"k%02d" % i, "value": None} for i in range(10)]
    drep = ck.produce_all(pt, dels)
    filler = [{"topic": TOMB, "partition": 0, "key": b"f%d" % (i % 10), "value": b"x" * 100} for i in range(600)]
    ck.produce_all(pt, filler)
    tomb_at = {b"k%02d" % i: drep[i][2] for i in range(10)}
    kept_at = {}
    for i, r in enumerate(urep):
        if i % 20 >= 10:
            kept_at[ups[i]["key"]] = (r[2], ups[i]["value"])
    deadline = time.monotonic() + 30
    got = {}
    while time.monotonic() < deadline:
        got = tomb_read()
        if all(len(got.get(k, [])) == 1 for k in list(tomb_at) + list(kept_at)):
            break
        time.sleep(0.5)
    t.eq({k: got.get(k) for k in tomb_at}, {k: [(o, None)] for k, o in tomb_at.items()},
         "after the first cleaning: only the tombstone of each deleted key, at its offset")
    t.eq({k: got.get(k) for k in kept_at}, {k: [v] for k, v in kept_at.items()}, "the other keys' latest values")
    time.sleep(5.5)
    # A second pass needs dirty records: more filler, rolled past the active segment.
    ck.produce_all(pt, filler)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        got = tomb_read()
        if not any(k in got for k in tomb_at):
            break
        time.sleep(0.5)
    t.eq({k: got.get(k) for k in tomb_at if k in got}, {}, "tombstones left after delete.retention.ms")
    t.eq({k: got.get(k) for k in kept_at}, {k: [v] for k, v in kept_at.items()},
         "the other keys' latest values, at their offsets")

with t.step("max.compaction.lag.ms rolls a compacted topic's only segment, so the cleaner reaches it"):
    LAG = "lagged"
    ck.create_topics(B, [(LAG, 1, {"cleanup.policy": "compact", "max.compaction.lag.ms": "1000"})])
    p4 = ck.producer(B, **{"linger.ms": 5})
    lrep = ck.produce_all(p4, [{"topic": LAG, "partition": 0, "key": b"k%d" % (i % 2), "value": b"v%03d" % i}
                               for i in range(200)])
    want = sorted((r[2], b"k%d" % (i % 2), b"v%03d" % i) for i, r in enumerate(lrep) if i >= 198)
    deadline = time.time() + 60
    got = []
    while time.time() < deadline:
        got = [(m.offset(), m.key(), m.value()) for m in ck.read_partitions(B, LAG, {0: 200}, timeout=30)[0]]
        if got == want:
            break
        time.sleep(0.5)
    t.eq(got, want, "the latest value of each key at its original offset (segment.ms is 7 days by default)")

with t.step("log.cleaner.enable=false: a compacted topic is left as written"):
    b.stop()
    off = t.broker(config={"log.cleaner.enable": "false", "log.cleaner.backoff.ms": "100"})
    ck.create_topics(off.bootstrap, [(TOPIC, 1, {"cleanup.policy": "compact", "segment.bytes": "16384",
                                                 "min.cleanable.dirty.ratio": "0.01"})])
    p3 = ck.producer(off.bootstrap, **{"linger.ms": 5, "batch.num.messages": 50})
    ck.produce_all(p3, [{"topic": TOPIC, "partition": 0, "key": b"key-%d" % (i % 10), "value": b"v%05d" % i}
                        for i in range(3000)])
    sizes = [os.path.getsize(f) for f in off.segment_files(TOPIC, 0)]
    t.expect(len(sizes) > 3, "expected several segments, got %d" % len(sizes))
    # Thirty cleaner periods: an enabled cleaner would have run.
    time.sleep(3)
    t.eq([os.path.getsize(f) for f in off.segment_files(TOPIC, 0)], sizes, "segment sizes")
    t.expect("cleaned up to offset" not in off.log_text(), "the cleaner ran although disabled")
    got = ck.read_partitions(off.bootstrap, TOPIC, {0: 3000}, timeout=60)[0]
    t.eq(len(got), 3000, "records")

t.done()
