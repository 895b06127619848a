"""broker_compaction.py - the log cleaner on a compacted topic.

A topic with cleanup.policy=compact, small segments (segment.bytes=16384)
and min.cleanable.dirty.ratio=0.01 gets 10,000 updates over 100 keys from
confluent_kafka. The cleaner runs every 15 s (log.cleaner.backoff.ms);
within a bounded wait the partition's segment files shrink. Reading from
the beginning then gives, for every key, its latest value at the offset the
producer was told, offsets still increasing, and at most one record per
key below the active segment. A record without a key is refused
with INVALID_RECORD. After a restart the same records read back.
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

b = t.broker()
B = b.bootstrap
TOPIC = "compacted"
KEYS = 100
N = 10000


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
    t.expect(len(b.segment_files(TOPIC, 0)) > 5, "expected many segments, got %d"
             % len(b.segment_files(TOPIC, 0)))

with t.step("a record without a key is refused with INVALID_RECORD"):
    result = []
    p.produce(TOPIC, value=b"no key", partition=0, on_delivery=lambda err, msg: result.append(err))
    p.flush(30)
    t.eq(len(result), 1, "delivery reports")
    t.expect(result[0] is not None and result[0].code() == ck.KafkaError.INVALID_RECORD,
             "keyless record on a compacted topic: %s" % (result[0],))

with t.step("the cleaner runs within a bounded wait and the log shrinks"):
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and log_bytes() * 2 > before:
        time.sleep(0.5)
    after = log_bytes()
    t.expect(after * 2 <= before, "log still %d bytes after 90s (was %d)" % (after, before))
    t.expect("cleaned up to offset" in b.log_text(), "no cleaner pass in the broker log")

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

with t.step("after a restart the same records read back"):
    b.stop()
    b.start()
    t.eq(read_all(N), recs, "records after restart")

t.done()
