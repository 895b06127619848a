"""broker_retention.py - retention deletes old segments and advances the log
start offset.

Small segments (segment.bytes=16384) and a short
log.retention.check.interval.ms (500): with retention.bytes on a topic, the
oldest segments go until the log is within retention.bytes plus one segment;
with retention.ms and old CreateTime timestamps, everything goes (the active
segment rolls first, as Kafka does). ListOffsets earliest > 0 and equals the
first segment file left on disk; fetching below it is OFFSET_OUT_OF_RANGE;
the start offset survives a restart; appends go on at the end.
Usage: broker_retention.py BINDIR
"""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import check  # noqa: E402

t = check.Test("broker_retention", budget_s=280)
import ck  # noqa: E402
import kwire  # noqa: E402

b = t.broker(overrides=["log.retention.check.interval.ms=500"])
B = b.bootstrap
SEG = 16384
RET = 65536


def produce(topic, n, ts=None):
    p = ck.producer(B, **{"linger.ms": 0, "batch.num.messages": 20})
    msgs = [{"topic": topic, "partition": 0, "value": b"retained? %06d " % i * 12} for i in range(n)]
    if ts is not None:
        for m in msgs:
            m["timestamp"] = ts
    return ck.produce_all(p, msgs)


def earliest_latest(topic):
    c = kwire.Conn(b.host, b.port)
    try:
        r = kwire.list_offsets(c, topic, {0: -2})[0]
        t.eq(r[0], 0, "ListOffsets earliest error")
        e = r[2]
        r = kwire.list_offsets(c, topic, {0: -1})[0]
        t.eq(r[0], 0, "ListOffsets latest error")
        return e, r[2]
    finally:
        c.close()


def seg_bases(topic):
    return [int(os.path.basename(f)[:-4]) for f in b.segment_files(topic, 0)]


def log_bytes(topic):
    return sum(os.path.getsize(f) for f in b.segment_files(topic, 0))


with t.step("retention.bytes: old segments are deleted, the log start offset advances"):
    ck.create_topics(B, [("by-size", 1, {"segment.bytes": str(SEG), "retention.bytes": str(RET)})])
    produce("by-size", 1500)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        e, latest = earliest_latest("by-size")
        if e > 0 and log_bytes("by-size") <= RET + SEG:
            break
        time.sleep(0.25)
    t.eq(latest, 1500, "latest offset")
    t.expect(e > 0, "earliest offset still 0 after 30s (segments on disk: %d, %d bytes)"
             % (len(seg_bases("by-size")), log_bytes("by-size")))
    t.expect(log_bytes("by-size") <= RET + SEG, "log is %d bytes on disk, retention.bytes %d + segment %d"
             % (log_bytes("by-size"), RET, SEG))
    t.eq(seg_bases("by-size")[0], e, "base offset of the first segment file left = earliest offset")

with t.step("retention.bytes: reads start at the new start offset; below it is OFFSET_OUT_OF_RANGE"):
    e, latest = earliest_latest("by-size")
    c = kwire.Conn(b.host, b.port)
    try:
        err, hw, recs = kwire.fetch(c, "by-size", {0: (0, 1 << 20)})[0]
        t.eq(kwire.errname(err), kwire.errname(1), "Fetch at offset 0 below the log start")
        err, hw, recs = kwire.fetch(c, "by-size", {0: (e, 1 << 20)})[0]
        t.eq((err, hw), (0, latest), "Fetch at the log start: error, high watermark")
        first = kwire.read_batches(recs)[0]
        t.expect(first.base_offset <= e <= first.last_offset, "first batch %d..%d does not hold %d"
                 % (first.base_offset, first.last_offset, e))
    finally:
        c.close()
    got = ck.read_partitions(B, "by-size", {0: latest}, start={0: e})
    t.eq([m.offset() for m in got[0]], list(range(e, latest)), "offsets read from the log start")

with t.step("retention.bytes: the log start offset survives a restart, appends go on"):
    e, latest = earliest_latest("by-size")
    t.eq(b.stop(), 0, "exit status after SIGTERM")
    b.start()
    e2, latest2 = earliest_latest("by-size")
    t.expect(e2 >= e and latest2 == latest, "earliest/latest %d/%d before, %d/%d after a restart"
             % (e, latest, e2, latest2))
    reps = produce("by-size", 10)
    t.eq(reps[0][2], latest, "offset of the first new message")

with t.step("retention.ms: segments whose records are older than retention.ms go, the active one rolls first"):
    ck.create_topics(B, [("by-time", 1, {"segment.bytes": str(SEG), "retention.ms": "5000"})])
    produce("by-time", 600, ts=int(time.time() * 1000) - 86400000)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        e, latest = earliest_latest("by-time")
        if e == latest:
            break
        time.sleep(0.25)
    t.eq((e, latest), (600, 600), "earliest, latest once every record is past retention.ms")
    t.expect(all(base >= 600 for base in seg_bases("by-time")),
             "segments left on disk: %s" % seg_bases("by-time"))
    reps = produce("by-time", 5)
    t.eq([r[2] for r in reps], list(range(600, 605)), "offsets of new messages")
    e, latest = earliest_latest("by-time")
    t.eq((e, latest), (600, 605), "new records (current timestamps) are kept")

with t.step("DeleteRecords (raw v1) moves the log start offset; ListOffsets earliest follows"):
    ck.create_topics(B, [("del-rec", 1, {})])
    produce("del-rec", 100)
    c = kwire.Conn(b.host, b.port)
    try:
        t.eq(kwire.delete_records(c, "del-rec", {0: 40}), {0: (0, 40)}, "DeleteRecords answer (error, low watermark)")
        t.eq(kwire.list_offsets(c, "del-rec", {0: -2})[0][2], 40, "earliest after DeleteRecords")
        t.eq(kwire.delete_records(c, "del-rec", {0: -1}), {0: (0, 100)}, "DeleteRecords to the high watermark (-1)")
        r = kwire.delete_records(c, "del-rec", {0: 101})
        t.eq(kwire.errname(r[0][0]), kwire.errname(1), "DeleteRecords past the end")
    finally:
        c.close()

t.done()
