"""broker_confluent.py - confluent_kafka (Debian's python3-confluent-kafka,
librdkafka) against sluiced: AdminClient topic creation with configs,
keyed produce with headers and acks=all over several partitions, consume of
assigned partitions (no groups) checked message by message, then the admin
calls this client version has: DescribeConfigs (topic and broker),
AlterConfigs, CreatePartitions, ListOffsets (watermarks and offsets for
times), DeleteTopics. (confluent_kafka 1.7 has no DeleteRecords and no
IncrementalAlterConfigs; broker_kafkajs.py and broker_protocol.py cover them.)
Usage: broker_confluent.py BINDIR
"""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import check  # noqa: E402

t = check.Test("broker_confluent", budget_s=280)
import ck  # noqa: E402
import kwire  # noqa: E402
from confluent_kafka.admin import ConfigResource, NewPartitions  # noqa: E402

b = t.broker()
B = b.bootstrap
A = ck.admin(B)  # kept referenced: a dropped AdminClient fails its pending futures
TOPIC = "cf-orders"
N = 3000
NPARTS = 4
T0 = 1_650_000_000_000
sent = []
reports = []

with t.step("AdminClient.create_topics: 4 partitions with topic configs"):
    ck.create_topics(B, [(TOPIC, NPARTS, {"retention.ms": "86400000", "cleanup.policy": "delete",
                                         "max.message.bytes": "500000"})])
    md = A.list_topics(timeout=20)
    t.expect(TOPIC in md.topics, "topic missing from metadata: %s" % sorted(md.topics))
    t.eq(sorted(md.topics[TOPIC].partitions), list(range(NPARTS)), "partitions")
    t.eq({p.leader for p in md.topics[TOPIC].partitions.values()}, {1}, "leaders")

with t.step("AdminClient.create_topics: an existing name gets TOPIC_ALREADY_EXISTS"):
    fs = A.create_topics([ck.confluent_kafka.admin.NewTopic(TOPIC, 1, 1)])
    try:
        fs[TOPIC].result(20)
        raise check.Failed("second create of %s succeeded" % TOPIC)
    except ck.confluent_kafka.KafkaException as e:
        t.eq(e.args[0].code(), ck.KafkaError.TOPIC_ALREADY_EXISTS, "error code (%s)" % e)

with t.step("Producer: %d keyed messages with headers, acks=all, murmur2 partitioner, gzip" % N):
    p = ck.producer(B, **{"partitioner": "murmur2_random", "compression.type": "gzip"})
    for i in range(N):
        sent.append({"topic": TOPIC, "key": b"cust-%d" % (i % 997), "value": b"order %d " % i * 4,
                     "headers": [("seq", b"%d" % i), ("src", b"confluent")], "timestamp": T0 + i})
    reports = ck.produce_all(p, sent)
    for m, (err, part, off) in zip(sent, reports):
        t.eq(part, kwire.partition_for_key(m["key"], NPARTS), "partition of key %r" % m["key"])
    per = {}
    for _e, part, off in reports:
        per.setdefault(part, []).append(off)
    for part, offs in per.items():
        t.eq(offs, list(range(len(offs))), "acknowledged offsets of partition %d" % part)

with t.step("Consumer.assign (no group): every message back with key, value, headers, timestamp"):
    ends = {p: 0 for p in range(NPARTS)}
    for _e, part, off in reports:
        ends[part] = max(ends[part], off + 1)
    got = ck.read_partitions(B, TOPIC, ends)
    byoff = {(part, off): m for m, (_e, part, off) in zip(sent, reports)}
    n = 0
    for part, msgs in got.items():
        for m in msgs:
            w = byoff.get((part, m.offset()))
            t.expect(w is not None, "unexpected message at %d/%d" % (part, m.offset()))
            t.eq((m.key(), m.value(), m.headers(), m.timestamp()),
                 (w["key"], w["value"], w["headers"], (ck.confluent_kafka.TIMESTAMP_CREATE_TIME, w["timestamp"])),
                 "message at partition %d offset %d" % (part, m.offset()))
            n += 1
    t.eq(n, N, "messages read")

with t.step("ListOffsets: watermarks (earliest, latest) and offsets_for_times"):
    wm = ck.watermarks(B, TOPIC, range(NPARTS))
    for part in range(NPARTS):
        t.eq(wm[part], (0, ends[part]), "watermarks of partition %d" % part)
    c = ck.consumer(B)
    try:
        # the timestamp of each partition's 10th message -> offset 10
        qs, want = [], {}
        for m, (_e, part, off) in zip(sent, reports):
            if off == 10:
                qs.append(ck.TopicPartition(TOPIC, part, m["timestamp"]))
                want[part] = 10
        res = c.offsets_for_times(qs, timeout=20)
        # A time past the last message: the end (-1). Its own request, since
        # Kafka answers a partition named twice in one ListOffsets with
        # INVALID_REQUEST.
        past = c.offsets_for_times([ck.TopicPartition(TOPIC, 0, T0 + 10 * N)], timeout=20)
    finally:
        c.close()
    for r in res:
        t.expect(r.error is None, "offsets_for_times %d: %s" % (r.partition, r.error))
        t.eq(r.offset, want[r.partition], "offset for time, partition %d" % r.partition)
    t.expect(past[0].offset in (-1, ends[0]), "offset for a time past the end: %s" % past[0].offset)

with t.step("AdminClient.describe_configs: topic overrides and defaults, with sources"):
    fs = A.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, TOPIC)])
    cfg = list(fs.values())[0].result(20)
    t.eq(cfg["retention.ms"].value, "86400000", "retention.ms")
    src = cfg["retention.ms"].source
    t.eq(int(getattr(src, "value", src)), ck.confluent_kafka.admin.ConfigSource.DYNAMIC_TOPIC_CONFIG.value,
         "retention.ms source (1 = DYNAMIC_TOPIC_CONFIG)")
    t.eq(cfg["max.message.bytes"].value, "500000", "max.message.bytes")
    t.eq(cfg["cleanup.policy"].value, "delete", "cleanup.policy")
    t.expect("segment.bytes" in cfg and cfg["segment.bytes"].value == "1073741824",
             "segment.bytes default: %s" % (cfg.get("segment.bytes") and cfg["segment.bytes"].value))
    for name in ("retention.bytes", "segment.ms", "min.insync.replicas", "flush.messages", "flush.ms",
                 "message.timestamp.type"):
        t.expect(name in cfg, "%s missing from DescribeConfigs" % name)

with t.step("AdminClient.describe_configs: the broker's settings"):
    fs = A.describe_configs([ConfigResource(ConfigResource.Type.BROKER, "1")])
    cfg = list(fs.values())[0].result(20)
    for name, want in (("num.partitions", "1"), ("message.max.bytes", "1048588"),
                       ("log.dirs", b.data), ("auto.create.topics.enable", "true")):
        t.expect(name in cfg, "%s missing" % name)
        t.eq(cfg[name].value, want, name)

with t.step("AdminClient.alter_configs: new retention.ms is described and kept across a restart"):
    res = ConfigResource(ConfigResource.Type.TOPIC, TOPIC,
                         set_config={"retention.ms": "123456789", "max.message.bytes": "500000",
                                     "cleanup.policy": "delete"})
    list(A.alter_configs([res]).values())[0].result(20)
    cfg = list(A.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, TOPIC)])
               .values())[0].result(20)
    t.eq(cfg["retention.ms"].value, "123456789", "retention.ms after AlterConfigs")
    t.eq(b.stop(), 0, "exit status after SIGTERM")
    b.start()
    # The AdminClient reconnects by its own backoff (up to 10 s between
    # attempts by default) after however long the restart took: a bound
    # generous enough for a loaded machine.
    cfg = list(A.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, TOPIC)], request_timeout=90)
               .values())[0].result(90)
    t.eq(cfg["retention.ms"].value, "123456789", "retention.ms after a restart")

with t.step("AdminClient.alter_configs: a bad value is refused (INVALID_CONFIG)"):
    res = ConfigResource(ConfigResource.Type.TOPIC, TOPIC, set_config={"retention.ms": "soon"})
    try:
        list(A.alter_configs([res]).values())[0].result(20)
        raise check.Failed("retention.ms=soon accepted")
    except ck.confluent_kafka.KafkaException as e:
        t.eq(e.args[0].code(), ck.KafkaError.INVALID_CONFIG, "error (%s)" % e)

with t.step("AdminClient.create_partitions: 4 -> 6, the new partitions take messages"):
    list(A.create_partitions([NewPartitions(TOPIC, 6)]).values())[0].result(20)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        md = A.list_topics(TOPIC, timeout=10)
        if len(md.topics[TOPIC].partitions) == 6:
            break
        time.sleep(0.2)
    t.eq(sorted(md.topics[TOPIC].partitions), list(range(6)), "partitions after CreatePartitions")
    p = ck.producer(B)
    r = ck.produce_all(p, [{"topic": TOPIC, "partition": 5, "value": b"new"}])
    t.eq(r[0][1:], (5, 0), "partition, offset of the first message in partition 5")
    got = ck.read_partitions(B, TOPIC, {5: 1})
    t.eq(got[5][0].value(), b"new", "value read back from partition 5")

with t.step("AdminClient.create_partitions: fewer than now is refused (INVALID_PARTITIONS)"):
    try:
        list(A.create_partitions([NewPartitions(TOPIC, 2)]).values())[0].result(20)
        raise check.Failed("shrinking to 2 partitions accepted")
    except ck.confluent_kafka.KafkaException as e:
        t.eq(e.args[0].code(), ck.KafkaError.INVALID_PARTITIONS, "error (%s)" % e)

with t.step("AdminClient.delete_topics: the topic is gone from metadata and disk"):
    # Producers still alive would ask for the topic's metadata again and,
    # with auto.create.topics.enable=true, rightly have it created anew.
    p = None
    __import__("gc").collect()
    list(A.delete_topics([TOPIC], operation_timeout=20).values())[0].result(30)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if TOPIC not in A.list_topics(timeout=10).topics:
            break
        time.sleep(0.2)
    t.expect(TOPIC not in A.list_topics(timeout=10).topics, "topic still in metadata")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(os.path.exists(b.partition_dir(TOPIC, i)) for i in range(6)):
        time.sleep(0.2)
    left = [d for d in os.listdir(b.data) if d.startswith(TOPIC + "-") and not d.endswith("-delete")]
    t.eq(left, [], "partition folders left in log.dirs (Kafka renames to *-delete first)")

with t.step("after a restart the deleted topic stays deleted"):
    t.eq(b.stop(), 0, "exit status after SIGTERM")
    b.start()
    c = kwire.Conn(b.host, b.port)
    _brokers, topics = kwire.metadata(c, None)  # all topics; creates nothing
    c.close()
    t.expect(TOPIC not in topics, "deleted topic is back after a restart: %s" % sorted(topics))

t.done()
