"""broker_txn_compaction.py - the log cleaner and transactions.

A compacted topic with small segments, cleaned every half second. A
transaction commits key "k" = "committed"; filler updates roll segments; a
second transaction writes "k" = "pending" and stays open while more filler
rolls more segments. The cleaner cleans only below the last stable offset
(the first offset of the open transaction), as Kafka's does: had it cleaned
past it, the pending value would have superseded the committed one, and the
abort that follows would leave no value for "k" at all. After the abort a
read_committed consumer reads "k" = "committed"; once the cleaner has run
again, the aborted record is gone also for read_uncommitted consumers
(Kafka's cleaner removes aborted data) and every key keeps its latest
committed value.
Usage: broker_txn_compaction.py BINDIR
"""
import os
import re
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import check  # noqa: E402

t = check.Test("broker_txn_compaction", budget_s=110)
import ck  # noqa: E402

b = t.broker(config={"log.cleaner.backoff.ms": "500"})
B = b.bootstrap
TOPIC = "txn-compacted"
FILLER_KEYS = 20
PROBE = "probe"


def passes(topic=TOPIC):
    """The offsets the cleaner logged it cleaned topic's partition 0 up to."""
    return [int(x) for x in re.findall(r"/%s-0: cleaned up to offset (\d+)" % topic, b.log_text())]


def cleaner_cycles(p, n):
    """Makes sure the cleaner went over every partition at least once from
    now on: dirties the probe topic and waits for its pass, twice (the first
    pass may belong to a cycle that started before the call)."""
    for r in range(2):
        seen = len(passes(PROBE))
        ck.produce_all(p, [{"topic": PROBE, "partition": 0, "key": b"p%d" % (i % 5), "value": b"." * 200}
                           for i in range(n)])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(passes(PROBE)) <= seen:
            time.sleep(0.2)
        t.expect(len(passes(PROBE)) > seen, "the cleaner did not clean %s within 30 s" % PROBE)


def read_all(isolation, timeout=30):
    """{key: value} of everything readable from the start, latest last."""
    c = ck.consumer(B, **{"isolation.level": isolation})
    try:
        c.assign([ck.TopicPartition(TOPIC, 0, 0)])
        got, values = {}, []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == ck.KafkaError._PARTITION_EOF:
                    return got, values
                raise check.Failed("consumer error: %s" % m.error())
            got[m.key()] = m.value()
            values.append(m.value())
        raise check.Failed("no end of partition within %ds" % timeout)
    finally:
        c.close()


def filler(p, start, n):
    ck.produce_all(p, [{"topic": TOPIC, "partition": 0, "key": b"f%02d" % (i % FILLER_KEYS),
                        "value": b"filler-%05d" % i + b"." * 100} for i in range(start, start + n)])


with t.step("a committed value, filler, then an open transaction and more filler"):
    spec = {"cleanup.policy": "compact", "segment.bytes": "4096", "min.cleanable.dirty.ratio": "0.01"}
    ck.create_topics(B, [(TOPIC, 1, spec), (PROBE, 1, spec)])
    a = ck.producer(B, **{"transactional.id": "txc-a"})
    a.init_transactions(30)
    a.begin_transaction()
    a.produce(TOPIC, key=b"k", value=b"committed", partition=0)
    a.commit_transaction(30)
    plain = ck.producer(B, **{"batch.num.messages": 5})
    filler(plain, 0, 200)
    pend = ck.producer(B, **{"transactional.id": "txc-b"})
    pend.init_transactions(30)
    pend.begin_transaction()
    pend.produce(TOPIC, key=b"k", value=b"pending", partition=0)
    pend.flush(30)
    filler(plain, 200, 200)
    t.expect(len(b.segment_files(TOPIC, 0)) > 5, "segments: %d" % len(b.segment_files(TOPIC, 0)))

with t.step("the cleaner stops below the open transaction"):
    cleaner_cycles(plain, 100)
    t.expect(passes(), "the cleaner never cleaned %s" % TOPIC)
    # The open transaction's first offset: 1 committed record + its marker +
    # 200 filler records.
    lso = 202
    t.expect(max(passes()) <= lso, "cleaned up to %s, past the open transaction at %d" % (passes(), lso))

with t.step("after the abort, read_committed still reads the committed value"):
    pend.abort_transaction(30)
    got, _ = read_all("read_committed")
    t.eq(got.get(b"k"), b"committed", "value of k (read_committed)")

with t.step("the cleaner goes on past the ended transaction and removes the aborted record"):
    filler(plain, 400, 100)  # rolls the segment holding the abort marker
    seen = len(passes())
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline and not any(x > lso for x in passes()[seen - 1:]):
        time.sleep(0.3)
    t.expect(any(x > lso for x in passes()), "no pass beyond offset %d: %s" % (lso, passes()))
    got, values = read_all("read_uncommitted")
    t.expect(b"pending" not in values, "the aborted record is still there after cleaning")
    t.eq(got.get(b"k"), b"committed", "value of k (read_uncommitted)")
    for i in range(FILLER_KEYS):
        last = max(j for j in range(500) if j % FILLER_KEYS == i)
        t.eq(got.get(b"f%02d" % i), b"filler-%05d" % last + b"." * 100, "latest value of f%02d" % i)

t.done()
