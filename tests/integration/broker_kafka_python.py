"""broker_kafka_python.py - kafka-python (Debian's python3-kafka, pure
Python) against sluiced: KafkaAdminClient topic creation (and
TOPIC_ALREADY_EXISTS, INVALID_REPLICATION_FACTOR, validate_only), keyed
produce with headers and acks=all over several partitions (kafka-python's
murmur2 partitioner), consume of assigned partitions (group_id=None) checked
message by message, then the admin calls this client version has:
describe_configs, alter_configs, create_partitions, ListOffsets through the
consumer (beginning/end offsets, offsets_for_times), delete_topics.
(kafka-python 2.0.2 has no DeleteRecords; broker_kafkajs.py and
broker_protocol.py cover it.)
Usage: broker_kafka_python.py BINDIR
"""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import check  # noqa: E402

t = check.Test("broker_kafka_python", budget_s=280)
import kwire  # noqa: E402

try:
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewPartitions, NewTopic
    from kafka.errors import KafkaError
except ImportError as e:
    raise check.Failed("python3-kafka is not importable by %s (make deps): %s" % (sys.executable, e))

b = t.broker()
B = b.bootstrap
TOPIC = "kp-events"
N = 2000
NPARTS = 3
T0 = 1_660_000_000_000
sent, meta = [], []


def admin():
    return KafkaAdminClient(bootstrap_servers=B, request_timeout_ms=20000, client_id="sluice-it-kafka-python")


def topic_errors(resp, field="topic_errors"):
    return {row[0]: row[1:] for row in getattr(resp, field)}


with t.step("KafkaAdminClient.create_topics: 3 partitions with topic configs"):
    a = admin()
    r = a.create_topics([NewTopic(TOPIC, NPARTS, 1, topic_configs={"retention.bytes": "104857600",
                                                                   "segment.bytes": "1048576"})])
    t.eq(topic_errors(r)[TOPIC][0], 0, "CreateTopics error (%s)" % (topic_errors(r)[TOPIC],))
    a.close()

with t.step("KafkaAdminClient.create_topics: exists -> 36, rf 3 -> 38, validate_only creates nothing"):
    a = admin()
    try:
        for topics, validate, want in (([NewTopic(TOPIC, 1, 1)], False, {TOPIC: 36}),
                                       ([NewTopic("kp-rf3", 1, 3)], False, {"kp-rf3": 38}),
                                       ([NewTopic("kp-dry", 2, 1)], True, {"kp-dry": 0})):
            try:
                r = a.create_topics(topics, validate_only=validate)
                got = {k: v[0] for k, v in topic_errors(r).items()}
            except KafkaError as e:  # kafka-python raises for some codes
                got = {topics[0].name: getattr(e, "errno", str(e))}
            t.eq(got, want, "CreateTopics error codes (validate_only=%s)" % validate)
        t.expect("kp-dry" not in a.list_topics(), "validate_only created kp-dry")
    finally:
        a.close()

with t.step("KafkaProducer: %d keyed messages with headers, acks=all, gzip" % N):
    p = KafkaProducer(bootstrap_servers=B, acks="all", compression_type="gzip", linger_ms=10,
                      request_timeout_ms=20000)
    futs = []
    for i in range(N):
        m = (b"user-%d" % (i % 211), b"event %d " % i * 5, [("n", b"%d" % i), ("lib", b"kafka-python")], T0 + i)
        sent.append(m)
        futs.append(p.send(TOPIC, key=m[0], value=m[1], headers=m[2], timestamp_ms=m[3]))
    p.flush(60)
    for f in futs:
        md = f.get(timeout=30)
        meta.append((md.partition, md.offset))
    p.close(10)
    for (k, _v, _h, _ts), (part, _off) in zip(sent, meta):
        t.eq(part, kwire.partition_for_key(k, NPARTS), "partition of key %r" % k)
    per = {}
    for part, off in meta:
        per.setdefault(part, []).append(off)
    for part, offs in per.items():
        t.eq(offs, list(range(len(offs))), "acknowledged offsets of partition %d" % part)

with t.step("KafkaConsumer.assign (group_id=None): every message back in order"):
    c = KafkaConsumer(bootstrap_servers=B, group_id=None, enable_auto_commit=False,
                      consumer_timeout_ms=5000, auto_offset_reset="earliest")
    tps = [TopicPartition(TOPIC, i) for i in range(NPARTS)]
    c.assign(tps)
    c.seek_to_beginning(*tps)
    got = {}
    deadline = time.monotonic() + 60
    while sum(len(v) for v in got.values()) < N and time.monotonic() < deadline:
        for tp, msgs in c.poll(timeout_ms=1000, max_records=5000).items():
            got.setdefault(tp.partition, []).extend(msgs)
    c.close()
    byoff = {pm: m for m, pm in zip(sent, meta)}
    n = 0
    for part, msgs in got.items():
        for i, m in enumerate(msgs):
            t.eq(m.offset, i, "offset of message %d of partition %d" % (i, part))
            w = byoff[(part, m.offset)]
            t.eq((m.key, m.value, list(m.headers), m.timestamp), (w[0], w[1], w[2], w[3]),
                 "message at %d/%d" % (part, m.offset))
            n += 1
    t.eq(n, N, "messages read")

with t.step("KafkaConsumer: beginning_offsets, end_offsets, offsets_for_times"):
    c = KafkaConsumer(bootstrap_servers=B, group_id=None, request_timeout_ms=20000)
    tps = [TopicPartition(TOPIC, i) for i in range(NPARTS)]
    ends = {}
    for part, off in meta:
        ends[part] = max(ends.get(part, 0), off + 1)
    t.eq({tp.partition: o for tp, o in c.beginning_offsets(tps).items()}, {i: 0 for i in range(NPARTS)},
         "beginning offsets")
    t.eq({tp.partition: o for tp, o in c.end_offsets(tps).items()}, ends, "end offsets")
    ts_of = {pm: m[3] for m, pm in zip(sent, meta)}
    q = {tp: ts_of[(tp.partition, 7)] for tp in tps}
    res = c.offsets_for_times(q)
    t.eq({tp.partition: (r.offset, r.timestamp) for tp, r in res.items()},
         {tp.partition: (7, ts_of[(tp.partition, 7)]) for tp in tps}, "offsets_for_times")
    res = c.offsets_for_times({tps[0]: T0 + 10 * N})
    t.eq(res[tps[0]], None, "offsets_for_times past the last message")
    c.close()

with t.step("KafkaAdminClient.describe_configs / alter_configs on the topic"):
    a = admin()
    try:
        def described():
            r = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, TOPIC)])[0]
            err, msg, _typ, name, entries = r.resources[0][:5]
            t.eq((err, name), (0, TOPIC), "DescribeConfigs error/name (%s)" % msg)
            return {e[0]: e[1] for e in entries}
        cfg = described()
        t.eq((cfg.get("retention.bytes"), cfg.get("segment.bytes"), cfg.get("cleanup.policy")),
             ("104857600", "1048576", "delete"), "retention.bytes, segment.bytes, cleanup.policy")
        r = a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, TOPIC,
                                            configs={"retention.bytes": "2097152", "segment.bytes": "1048576",
                                                     "message.timestamp.type": "LogAppendTime"})])
        t.eq([row[0] for row in r.resources], [0], "AlterConfigs errors (%s)" % (r.resources,))
        cfg = described()
        t.eq((cfg.get("retention.bytes"), cfg.get("message.timestamp.type")), ("2097152", "LogAppendTime"),
             "after AlterConfigs")
    finally:
        a.close()

with t.step("after AlterConfigs message.timestamp.type=LogAppendTime, new messages carry the broker's time"):
    p = KafkaProducer(bootstrap_servers=B, acks="all")
    md = p.send(TOPIC, value=b"lat", partition=0, timestamp_ms=1000).get(timeout=30)
    p.close(10)
    t.expect(md.timestamp > T0, "record metadata timestamp %d is the producer's, not the log append time"
             % md.timestamp)
    c = KafkaConsumer(bootstrap_servers=B, group_id=None, consumer_timeout_ms=5000)
    tp = TopicPartition(TOPIC, 0)
    c.assign([tp])
    c.seek(tp, md.offset)
    m = next(iter(c))
    c.close()
    t.eq(m.timestamp_type, 1, "timestamp type of the fetched record (1 = LogAppendTime)")
    t.expect(m.timestamp > T0, "fetched timestamp %d" % m.timestamp)

with t.step("KafkaAdminClient.create_partitions: 3 -> 5"):
    a = admin()
    try:
        r = a.create_partitions({TOPIC: NewPartitions(5)})
        t.eq(topic_errors(r)[TOPIC][0], 0, "CreatePartitions error (%s)" % (topic_errors(r)[TOPIC],))
    finally:
        a.close()
    c = KafkaConsumer(bootstrap_servers=B, group_id=None)
    deadline = time.monotonic() + 20
    parts = set()
    while time.monotonic() < deadline:
        c._client.cluster.request_update()
        c._client.poll(timeout_ms=500)
        parts = c.partitions_for_topic(TOPIC) or set()
        if len(parts) == 5:
            break
    c.close()
    t.eq(sorted(parts), list(range(5)), "partitions after CreatePartitions")

with t.step("KafkaAdminClient.delete_topics: gone from list_topics"):
    a = admin()
    try:
        r = a.delete_topics([TOPIC], timeout_ms=20000)
        t.eq(topic_errors(r, "topic_error_codes")[TOPIC][0], 0, "DeleteTopics error")
        deadline = time.monotonic() + 20
        while TOPIC in a.list_topics() and time.monotonic() < deadline:
            time.sleep(0.2)
        t.expect(TOPIC not in a.list_topics(), "topic still listed")
    finally:
        a.close()

t.done()
