"""broker_persistence.py - what sluiced wrote is there after a clean restart.

Produce to several partitions (small segments, so the log spans many segment
files), stop with SIGTERM (exit status 0), start on the same data: topics,
partition counts, topic configs, every message and every offset are as
before, and appends go on at the old end offsets. Then the same with SIGINT,
and an empty topic that must survive too.
Usage: broker_persistence.py BINDIR
"""
import os
import signal
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import check  # noqa: E402

t = check.Test("broker_persistence", budget_s=280)
import ck  # noqa: E402
from confluent_kafka.admin import ConfigResource  # noqa: E402

b = t.broker()
B = b.bootstrap
TOPIC = "durable"
NPARTS = 3
log = []  # (partition, offset, key, value)


def produce(n, tag):
    p = ck.producer(B, **{"linger.ms": 2, "batch.num.messages": 50})
    msgs = [{"topic": TOPIC, "partition": i % NPARTS, "key": b"%s-%d" % (tag, i),
             "value": b"%s value %d " % (tag, i) * 8, "headers": [("tag", tag)]} for i in range(n)]
    reps = ck.produce_all(p, msgs)
    for m, (_e, part, off) in zip(msgs, reps):
        log.append((part, off, m["key"], m["value"]))


def ends():
    e = {p: 0 for p in range(NPARTS)}
    for part, off, _k, _v in log:
        e[part] = max(e[part], off + 1)
    return e


def check_all():
    e = ends()
    wm = ck.watermarks(B, TOPIC, range(NPARTS))
    t.eq(wm, {p: (0, e[p]) for p in range(NPARTS)}, "watermarks (low, high)")
    got = ck.read_partitions(B, TOPIC, e)
    want = {(p, o): (k, v) for p, o, k, v in log}
    for part, msgs in got.items():
        t.eq([m.offset() for m in msgs], list(range(e[part])), "offsets of partition %d" % part)
        for m in msgs:
            t.eq((m.key(), m.value()), want[(part, m.offset())], "message %d/%d" % (part, m.offset()))


def topic_cfg(name):
    a = ck.admin(B)  # referenced until the answer is in
    fs = a.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, name)])
    return {k: v.value for k, v in list(fs.values())[0].result(20).items()}


with t.step("create a 3-partition topic with 64 KiB segments and an empty topic; produce 6000 messages"):
    ck.create_topics(B, [(TOPIC, NPARTS, {"segment.bytes": "65536", "retention.ms": "-1"}),
                         ("empty-one", 2, {"cleanup.policy": "delete", "retention.bytes": "1234567"})])
    produce(6000, b"first")
    check_all()
    segs = [len(b.segment_files(TOPIC, p)) for p in range(NPARTS)]
    t.expect(all(n >= 3 for n in segs), "segment files per partition: %s (want several with 64 KiB segments)" % segs)

for sig in (signal.SIGTERM, signal.SIGINT):
    name = signal.Signals(sig).name
    with t.step("%s: the broker exits with status 0" % name):
        t.eq(b.stop(sig), 0, "exit status after %s" % name)
    with t.step("after %s and a start: topics, partitions, configs, messages and offsets unchanged" % name):
        b.start()
        md = ck.admin(B).list_topics(timeout=20)
        for topic, n in ((TOPIC, NPARTS), ("empty-one", 2)):
            t.expect(topic in md.topics, "topic %s missing after restart: %s" % (topic, sorted(md.topics)))
            t.eq(sorted(md.topics[topic].partitions), list(range(n)), "partitions of %s" % topic)
        t.eq(topic_cfg(TOPIC)["segment.bytes"], "65536", "segment.bytes of %s" % TOPIC)
        t.eq(topic_cfg("empty-one")["retention.bytes"], "1234567", "retention.bytes of empty-one")
        t.eq(ck.watermarks(B, "empty-one", range(2)), {0: (0, 0), 1: (0, 0)}, "empty-one watermarks")
        check_all()
    with t.step("after %s: appends go on at the old end offsets" % name):
        before = ends()
        n0 = len(log)
        produce(1500, name.encode())
        first = {}
        for part, off, _k, _v in log[n0:]:
            first.setdefault(part, off)
        t.eq(first, before, "first new offset per partition")
        check_all()

t.done()
