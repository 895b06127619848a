"""broker_groups_offsets.py - committed offsets and group metadata in the
compacted internal topic __consumer_offsets: Metadata lists it as internal
with offsets.topic.num.partitions partitions (50, or another count on a
fresh dir, kept when the setting changes later); offsets committed from
confluent_kafka for several groups (one with a non-ASCII id) come back
after a clean restart and after SIGKILL; a consumer reading
__consumer_offsets finds OffsetCommitKey v1 / OffsetCommitValue v3 records
on the partition Kafka's rule gives each group, and a GroupMetadata record
for a subscribed group, which DescribeGroups shows Empty after a restart;
DeleteTopics and CreatePartitions of the topic are refused, CreateTopics
finds it existing; OffsetDelete (raw v0) deletes, refuses a subscribed
topic and an unknown group; DeleteGroups' offsets stay gone after a
restart; offsets expire, also a Stable group's of a topic it does not
subscribe to (test-only SLUICE_TEST_OFFSETS_RETENTION_MS);
group requests answer COORDINATOR_LOAD_IN_PROGRESS while the loader is
held back (test-only SLUICE_TEST_OFFSETS_LOAD_DELAY_MS); once the cleaner
has compacted the topic, a restart loads the latest offsets and the
tombstones still hide a deleted group.
Usage: broker_groups_offsets.py BINDIR
"""
import os
import struct
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import check  # noqa: E402

t = check.Test("broker_groups_offsets", budget_s=420)
import ck  # noqa: E402
import kwire  # noqa: E402
from ck import TopicPartition  # noqa: E402
from kwire import W  # noqa: E402

OFFSETS = "__consumer_offsets"
TOPIC = "off-events"
NPARTS = 4
GROUPS = ["off-g0", "off-g1", "off-g2", "gr\u00fcppe-\U0001F600"]
LOAD_IN_PROGRESS = 14
GROUP_ID_NOT_FOUND = 69
GROUP_SUBSCRIBED_TO_TOPIC = 86
INVALID_TOPIC_EXCEPTION = 17
TOPIC_ALREADY_EXISTS = 36


def java_partition(group, n):
    """Kafka's rule, written independently of the broker: String.hashCode
    over UTF-16 code units, masked with 0x7fffffff, modulo n."""
    b = group.encode("utf-16-be")
    h = 0
    for i in range(0, len(b), 2):
        h = (h * 31 + (b[i] << 8 | b[i + 1])) & 0xFFFFFFFF
    return (h & 0x7FFFFFFF) % n


def meta_internal(conn, topics):
    """Metadata v1 for topics: {name: (error, is_internal, partition count)}."""
    w = W().i32(len(topics))
    for name in topics:
        w.string(name)
    r = conn.call(3, 1, w.bytes())
    r.array(lambda x: (x.i32(), x.string(), x.i32(), x.string()))
    r.i32()
    out = {}
    for _ in range(r.i32()):
        err, name, internal = r.i16(), r.string(), r.boolean()
        parts = r.array(lambda x: (x.i16(), x.i32(), x.i32(), x.array(lambda y: y.i32()),
                                   x.array(lambda y: y.i32())))
        out[name] = (err, internal, len(parts))
    return out


def offset_delete(conn, group, topics):
    """OffsetDelete v0. topics {name: [partitions]}: (error, {(t, p): error})."""
    w = W().string(group).i32(len(topics))
    for name, parts in topics.items():
        w.string(name).i32(len(parts))
        for p in parts:
            w.i32(p)
    r = conn.call(47, 0, w.bytes())
    err = r.i16()
    r.i32()
    out = {}
    for name, parts in r.array(lambda x: (x.string(), x.array(lambda y: (y.i32(), y.i16())))):
        for p, e in parts:
            out[(name, p)] = e
    return err, out


def list_groups_error(conn):
    r = conn.call(16, 0, b"")
    err = r.i16()
    r.array(lambda x: (x.string(), x.string()))
    return err


def heartbeat_error(conn, group):
    r = conn.call(12, 0, W().string(group).i32(1).string("m-1").bytes())
    return r.i16()


def commit(bootstrap, group, offsets):
    """Commits {partition: offset} of TOPIC for group without joining it."""
    c = ck.consumer(bootstrap, **{"group.id": group})
    try:
        c.commit(offsets=[TopicPartition(TOPIC, p, o) for p, o in offsets.items()], asynchronous=False)
    finally:
        c.close()


def committed(bootstrap, group, parts=range(NPARTS)):
    c = ck.consumer(bootstrap, **{"group.id": group})
    try:
        got = c.committed([TopicPartition(TOPIC, p) for p in parts], timeout=20)
        return {tp.partition: tp.offset for tp in got}
    finally:
        c.close()


def want_offsets(i):
    return {p: 10 * (i + 1) + p for p in range(NPARTS)}


def read_offsets_partition(bootstrap, p, timeout=30):
    """Every record of __consumer_offsets partition p: [(key, value)]."""
    c = ck.consumer(bootstrap, **{"group.id": "off-reader", "enable.partition.eof": True})
    out = []
    try:
        c.assign([TopicPartition(OFFSETS, p, 0)])
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == ck.KafkaError._PARTITION_EOF:
                    return out
                raise check.Failed("consuming %s-%d: %s" % (OFFSETS, p, m.error()))
            out.append((m.key(), m.value()))
        raise check.Failed("no end of %s-%d within %ds" % (OFFSETS, p, timeout))
    finally:
        c.close()


def parse_key(k):
    r = kwire.R(k)
    v = r.i16()
    if v in (0, 1):
        return ("offset", r.string(), r.string(), r.i32())
    if v == 2:
        return ("group", r.string())
    return ("other", v)


b = t.broker(config={"group.initial.rebalance.delay.ms": "500"})
B = b.bootstrap
conn = kwire.Conn(b.host, b.port)

with t.step("Metadata lists __consumer_offsets as internal with 50 partitions"):
    md = meta_internal(conn, [OFFSETS])
    t.eq(md.get(OFFSETS), (0, True, 50), "__consumer_offsets in Metadata v1")

with t.step("create the test topic"):
    ck.create_topics(B, [(TOPIC, NPARTS, {})])

with t.step("commit offsets for several groups (one with a non-ASCII id) from confluent_kafka"):
    for i, g in enumerate(GROUPS):
        commit(B, g, want_offsets(i))
    for i, g in enumerate(GROUPS):
        t.eq(committed(B, g), want_offsets(i), "committed offsets of %s" % g)

with t.step("__consumer_offsets holds OffsetCommitKey v1 records on each group's partition"):
    for i, g in enumerate(GROUPS):
        p = java_partition(g, 50)
        recs = read_offsets_partition(B, p)
        mine = {}
        for k, v in recs:
            pk = parse_key(k)
            t.expect(k[:2] != b"\x00\x00", "a key of version 0 in %s-%d" % (OFFSETS, p))
            if pk[0] == "offset" and pk[1] == g and pk[2] == TOPIC:
                t.expect(v is not None and struct.unpack(">h", v[:2])[0] == 3, "value version of %r" % (pk,))
                mine[pk[3]] = struct.unpack(">q", v[2:10])[0]
        t.eq(mine, want_offsets(i), "offsets of %s read back from %s-%d" % (g, OFFSETS, p))

with t.step("a subscribed group's metadata is written and DescribeGroups shows it after a restart"):
    c = ck.consumer(B, **{"group.id": "off-sub", "session.timeout.ms": 6000, "heartbeat.interval.ms": 500,
                          "auto.offset.reset": "earliest", "enable.partition.eof": False})
    c.subscribe([TOPIC])
    end = time.monotonic() + 40
    while time.monotonic() < end and not c.assignment():
        c.poll(0.2)
    t.expect(len(c.assignment()) == NPARTS, "off-sub never got its assignment")
    c.commit(offsets=[TopicPartition(TOPIC, 0, 5)], asynchronous=False)
    c.close()
    kinds = [parse_key(k) for k, _v in read_offsets_partition(B, java_partition("off-sub", 50))]
    t.expect(("group", "off-sub") in kinds, "no GroupMetadata record for off-sub: %r" % kinds[:10])

with t.step("offsets are back after a clean restart"):
    b.stop()
    b.start()
    conn = kwire.Conn(b.host, b.port)
    for i, g in enumerate(GROUPS):
        t.eq(committed(B, g), want_offsets(i), "committed offsets of %s" % g)
    from kafka import KafkaAdminClient  # noqa: E402
    ka = KafkaAdminClient(bootstrap_servers=B, request_timeout_ms=20000)
    d = ka.describe_consumer_groups(["off-sub"])[0]
    t.eq((d.state, d.protocol_type), ("Empty", "consumer"), "DescribeGroups of off-sub after the restart")
    ka.close()
    t.eq(committed(B, "off-sub", [0]), {0: 5}, "off-sub's commit")

with t.step("offsets are back after SIGKILL"):
    commit(B, GROUPS[0], {0: 777})
    b.kill()
    b.start()
    conn = kwire.Conn(b.host, b.port)
    want = want_offsets(0)
    want[0] = 777
    t.eq(committed(B, GROUPS[0]), want, "committed offsets of %s" % GROUPS[0])
    for i, g in enumerate(GROUPS[1:], 1):
        t.eq(committed(B, g), want_offsets(i), "committed offsets of %s" % g)

with t.step("DeleteTopics and CreatePartitions of __consumer_offsets are refused; CreateTopics finds it"):
    r = conn.call(20, 1, W().i32(1).string(OFFSETS).i32(10000).bytes())
    r.i32()
    t.eq(r.array(lambda x: (x.string(), x.i16())), [(OFFSETS, INVALID_TOPIC_EXCEPTION)], "DeleteTopics answer")
    r = conn.call(37, 0, W().i32(1).string(OFFSETS).i32(60).i32(-1).i32(10000).boolean(False).bytes())
    r.i32()
    res = r.array(lambda x: (x.string(), x.i16(), x.string()))
    t.eq([(n, e) for n, e, _m in res], [(OFFSETS, INVALID_TOPIC_EXCEPTION)], "CreatePartitions answer")
    got = kwire.create_topics(conn, [(OFFSETS, 50, 1, {})])
    t.eq(got[OFFSETS][0], TOPIC_ALREADY_EXISTS, "CreateTopics answer")
    t.eq(meta_internal(conn, [OFFSETS]).get(OFFSETS), (0, True, 50), "still there")

with t.step("OffsetDelete deletes an empty group's offsets; unknown groups get GROUP_ID_NOT_FOUND"):
    err, parts = offset_delete(conn, GROUPS[1], {TOPIC: [0, 1], "no-such-topic": [0]})
    t.eq(err, 0, "OffsetDelete error")
    t.eq(parts, {(TOPIC, 0): 0, (TOPIC, 1): 0, ("no-such-topic", 0): 3}, "OffsetDelete partitions")
    want = want_offsets(1)
    want[0] = want[1] = -1001
    t.eq(committed(B, GROUPS[1]), want, "offsets of %s after OffsetDelete" % GROUPS[1])
    t.eq(offset_delete(conn, "off-nobody", {TOPIC: [0]})[0], GROUP_ID_NOT_FOUND, "unknown group")

with t.step("OffsetDelete refuses a topic a live member is subscribed to (GROUP_SUBSCRIBED_TO_TOPIC)"):
    c = ck.consumer(B, **{"group.id": "off-live", "session.timeout.ms": 6000, "heartbeat.interval.ms": 500,
                          "auto.offset.reset": "earliest", "enable.partition.eof": False})
    c.subscribe([TOPIC])
    end = time.monotonic() + 40
    while time.monotonic() < end and not c.assignment():
        c.poll(0.2)
    t.expect(len(c.assignment()) == NPARTS, "off-live never got its assignment")
    c.commit(offsets=[TopicPartition(TOPIC, 2, 9)], asynchronous=False)
    err, parts = offset_delete(conn, "off-live", {TOPIC: [2]})
    c.close()
    t.eq((err, parts), (0, {(TOPIC, 2): GROUP_SUBSCRIBED_TO_TOPIC}), "OffsetDelete of a subscribed topic")

with t.step("DeleteGroups drops the offsets, also after a restart"):
    from kafka import KafkaAdminClient  # noqa: E402
    ka = KafkaAdminClient(bootstrap_servers=B, request_timeout_ms=20000)
    res = dict(ka.delete_consumer_groups([GROUPS[2]]))
    ka.close()
    t.expect(getattr(res.get(GROUPS[2]), "errno", 0) == 0, "DeleteGroups answered %r" % res)
    t.eq(committed(B, GROUPS[2]), {p: -1001 for p in range(NPARTS)}, "after DeleteGroups")
    b.stop()
    b.start()
    conn = kwire.Conn(b.host, b.port)
    t.eq(committed(B, GROUPS[2]), {p: -1001 for p in range(NPARTS)}, "after DeleteGroups and a restart")
    t.eq(committed(B, GROUPS[3]), want_offsets(3), "the other groups keep theirs")

# ---- expiry ---------------------------------------------------------------
os.environ["SLUICE_TEST_OFFSETS_RETENTION_MS"] = "1500"
e = t.broker(config={"group.initial.rebalance.delay.ms": "0"},
             overrides=["offsets.retention.check.interval.ms=300"])
del os.environ["SLUICE_TEST_OFFSETS_RETENTION_MS"]
E = e.bootstrap

with t.step("offsets expire: an assign()-only group's by commit time, a former member group's once empty, "
            "a Stable group's of an unsubscribed topic"):
    ck.create_topics(E, [(TOPIC, NPARTS, {}), ("exp-other", 1, {})])
    commit(E, "exp-standalone", {0: 3})
    c = ck.consumer(E, **{"group.id": "exp-members", "session.timeout.ms": 6000, "heartbeat.interval.ms": 500,
                          "auto.offset.reset": "earliest", "enable.partition.eof": False})
    c.subscribe([TOPIC])
    end = time.monotonic() + 40
    while time.monotonic() < end and not c.assignment():
        c.poll(0.2)
    t.expect(len(c.assignment()) == NPARTS, "exp-members never got its assignment")
    c.commit(offsets=[TopicPartition(TOPIC, 1, 4), TopicPartition("exp-other", 0, 7)], asynchronous=False)
    t.eq(committed(E, "exp-members", [1]), {1: 4}, "the member's commit")
    # while the member stays, its group's offsets of the subscribed topic
    # stay; those of a topic nobody subscribes to expire (KIP-496)
    other = None
    end = time.monotonic() + 20
    while time.monotonic() < end:
        c.poll(0.2)
        oc = ck.consumer(E, **{"group.id": "exp-members"})
        other = oc.committed([TopicPartition("exp-other", 0)], timeout=20)[0].offset
        oc.close()
        if other == -1001:
            break
    t.eq(other, -1001, "the offset of an unsubscribed topic in a Stable group after the retention")
    kept = committed(E, "exp-members", [1])
    c.close()
    t.eq(kept, {1: 4}, "offsets of a group with a live member after the retention")
    gone = {}
    end = time.monotonic() + 30
    while time.monotonic() < end:
        gone = {"exp-standalone": committed(E, "exp-standalone", [0]), "exp-members": committed(E, "exp-members", [1])}
        if gone == {"exp-standalone": {0: -1001}, "exp-members": {1: -1001}}:
            break
        time.sleep(0.5)
    t.eq(gone, {"exp-standalone": {0: -1001}, "exp-members": {1: -1001}}, "offsets after expiry")
    e.stop()
    e.start()
    t.eq(committed(E, "exp-standalone", [0]), {0: -1001}, "expired offsets stay gone after a restart")

# ---- load in progress, partition count ---------------------------------------
os.environ["SLUICE_TEST_OFFSETS_LOAD_DELAY_MS"] = "5000"
lb = t.broker(overrides=["offsets.topic.num.partitions=3"])
del os.environ["SLUICE_TEST_OFFSETS_LOAD_DELAY_MS"]

with t.step("while loading, group requests answer COORDINATOR_LOAD_IN_PROGRESS, then are served"):
    lc = kwire.Conn(lb.host, lb.port)
    t.eq(list_groups_error(lc), LOAD_IN_PROGRESS, "ListGroups while loading")
    t.eq(heartbeat_error(lc, "any-group"), LOAD_IN_PROGRESS, "Heartbeat while loading")
    t.eq(offset_delete(lc, "any-group", {})[0], LOAD_IN_PROGRESS, "OffsetDelete while loading")
    end = time.monotonic() + 30
    err = LOAD_IN_PROGRESS
    while time.monotonic() < end and err == LOAD_IN_PROGRESS:
        time.sleep(0.2)
        err = list_groups_error(lc)
    t.eq(err, 0, "ListGroups once loaded")
    t.eq(heartbeat_error(lc, "any-group"), 25, "Heartbeat of an unknown member once loaded")

with t.step("offsets.topic.num.partitions: 3 on a fresh dir, kept when the setting changes"):
    lc = kwire.Conn(lb.host, lb.port)
    t.eq(meta_internal(lc, [OFFSETS]).get(OFFSETS), (0, True, 3), "__consumer_offsets with 3 partitions")
    lb.stop()
    lb.overrides = ["offsets.topic.num.partitions=5"]
    lb.start()
    lc = kwire.Conn(lb.host, lb.port)
    t.eq(meta_internal(lc, [OFFSETS]).get(OFFSETS), (0, True, 3), "after a restart asking for 5")
    t.expect("keeping 3" in lb.log_text(), "the kept count is not logged")

# ---- a compacted __consumer_offsets ---------------------------------------------
cb = t.broker(config={"offsets.topic.num.partitions": "1", "offsets.topic.segment.bytes": "4096",
                      "log.cleaner.backoff.ms": "200", "log.cleaner.min.cleanable.ratio": "0.01"})
CB = cb.bootstrap

with t.step("a compacted __consumer_offsets loads the latest offsets and keeps the tombstones"):
    ck.create_topics(CB, [(TOPIC, NPARTS, {})])
    commit(CB, "cmp-del", {0: 1, 1: 2})
    c = ck.consumer(CB, **{"group.id": "cmp-keep"})
    for i in range(400):
        c.commit(offsets=[TopicPartition(TOPIC, i % NPARTS, i)], asynchronous=False)
    c.close()
    from kafka import KafkaAdminClient  # noqa: E402
    ka = KafkaAdminClient(bootstrap_servers=CB, request_timeout_ms=20000)
    ka.delete_consumer_groups(["cmp-del"])
    ka.close()
    c = ck.consumer(CB, **{"group.id": "cmp-keep"})
    for i in range(400, 440):  # more segments after the tombstones
        c.commit(offsets=[TopicPartition(TOPIC, i % NPARTS, i)], asynchronous=False)
    c.close()
    end = time.monotonic() + 60
    while time.monotonic() < end and OFFSETS + "-0: cleaned up to offset" not in cb.log_text():
        time.sleep(0.3)
    t.expect(OFFSETS + "-0: cleaned up to offset" in cb.log_text(), "the cleaner never cleaned %s-0" % OFFSETS)
    recs = read_offsets_partition(CB, 0)
    keep = [k for k, _v in recs if parse_key(k)[:2] == ("offset", "cmp-keep")]
    t.expect(len(keep) < 200, "cmp-keep still has %d offset records after cleaning" % len(keep))
    dels = [v for k, v in recs if parse_key(k)[:2] == ("offset", "cmp-del")]
    t.expect(dels and dels[-1] is None, "the tombstones of cmp-del are gone: %r" % dels)
    cb.stop()
    cb.start()
    want = {p: max(i for i in range(440) if i % NPARTS == p) for p in range(NPARTS)}
    t.eq(committed(CB, "cmp-keep"), want, "cmp-keep after cleaning and a restart")
    t.eq(committed(CB, "cmp-del", [0, 1]), {0: -1001, 1: -1001}, "cmp-del after cleaning and a restart")

t.done()
