"""broker_protocol.py - sluiced's Kafka API contract, request by request,
from an independent raw client (tests/integration/lib/kwire.py).

ApiVersions (v0-v3; the ranges the contract promises), Metadata at every
version 0-12, CreateTopics (validate only, name rules, replication factor,
partitions, unknown configs, existing topics), Produce (acks 0/1/-1,
unknown topic and partition, MESSAGE_TOO_LARGE, NOT_ENOUGH_REPLICAS with
min.insync.replicas=2, LogAppendTime), Fetch (OFFSET_OUT_OF_RANGE, empty at
the end, a first batch larger than the limits, long poll woken by a produce,
long poll expiring), ListOffsets (v0 and v1: earliest, latest, by time),
DescribeCluster, OffsetForLeaderEpoch, IncrementalAlterConfigs (SET and
DELETE) with DescribeConfigs, DeleteTopics.
Usage: broker_protocol.py BINDIR
"""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import check  # noqa: E402

t = check.Test("broker_protocol", budget_s=280)
import kwire  # noqa: E402
from kwire import ERR, W, errname  # noqa: E402

b = t.broker()
c = kwire.Conn(b.host, b.port)


def new_conn():
    return kwire.Conn(b.host, b.port)


def rec(key, value, ts=None):
    ts = int(time.time() * 1000) if ts is None else ts
    return kwire.batch([(key, value, [], ts)], base_ts=ts)


def metadata_any(conn, version, topics):
    """Metadata at any version 0-12; returns (brokers, {topic: (err, {p: (err, leader, epoch)})})."""
    flex = version >= 9
    w = W()
    if flex:
        w.uvarint(len(topics) + 1)
        for name in topics:
            if version >= 10:
                w.raw(bytes(16))
            w.cstring(name).tags()
    else:
        w.i32(len(topics))
        for name in topics:
            w.string(name)
    if version >= 4:
        w.boolean(False)
    if 8 <= version <= 10:
        w.boolean(False)
    if version >= 8:
        w.boolean(False)
    if flex:
        w.tags()
    r = conn.call(3, version, w.bytes(), header_version=2 if flex else 1, resp_flexible=flex)
    s = (lambda: r.cstring()) if flex else (lambda: r.string())
    arr = (lambda f: r.carray(f)) if flex else (lambda f: r.array(f))
    if version >= 3:
        r.i32()

    def broker(x):
        nid, host, port = x.i32(), s(), x.i32()
        if version >= 1:
            s()
        if flex:
            x.skip_tags()
        return (nid, host, port)
    brokers = arr(broker)
    if version >= 2:
        s()
    if version >= 1:
        r.i32()
    out = {}

    def part(x):
        perr, idx, leader = x.i16(), x.i32(), x.i32()
        epoch = x.i32() if version >= 7 else None
        arr(lambda y: y.i32())
        arr(lambda y: y.i32())
        if version >= 5:
            arr(lambda y: y.i32())
        if flex:
            x.skip_tags()
        return idx, (perr, leader, epoch)

    def topic(x):
        err = x.i16()
        name = s()
        if version >= 10:
            x._take(16)
        if version >= 1:
            x.boolean()
        parts = dict(arr(part))
        if version >= 8:
            x.i32()
        if flex:
            x.skip_tags()
        out[name] = (err, parts)
    arr(topic)
    return brokers, out


def describe_topic(name):
    w = W().i32(1).i8(2).string(name).i32(-1).boolean(False)
    r = c.call(32, 1, w.bytes())
    r.i32()
    r.i32()
    err, msg, _typ, rname = r.i16(), r.string(), r.i8(), r.string()
    t.eq((err, rname), (0, name), "DescribeConfigs (%s)" % msg)
    out = {}
    for _ in range(r.i32()):
        n, v, _ro, src, _sens = r.string(), r.string(), r.boolean(), r.i8(), r.boolean()
        r.array(lambda x: (x.string(), x.string(), x.i8()))
        out[n] = (v, src)
    return out


with t.step("ApiVersions v0-v3 answer; the contract's APIs and version ranges are advertised"):
    want = {"ApiVersions": (0, 3), "Metadata": (0, 12), "Produce": (3, 9), "Fetch": (4, 12),
            "ListOffsets": (0, 7), "CreateTopics": (0, 7), "DeleteTopics": None, "CreatePartitions": None,
            "DescribeConfigs": None, "AlterConfigs": None, "IncrementalAlterConfigs": None,
            "DeleteRecords": None, "DescribeCluster": None, "OffsetForLeaderEpoch": None}
    for v in range(4):
        err, apis = kwire.api_versions(c, v)
        t.eq(err, 0, "ApiVersions v%d error" % v)
    bad = []
    for name, rng in want.items():
        k = kwire.API[name]
        if k not in apis:
            bad.append("%s missing" % name)
        elif rng and (apis[k][0] > rng[0] or apis[k][1] < rng[1]):
            bad.append("%s %d-%d (want %d-%d)" % (name, apis[k][0], apis[k][1], rng[0], rng[1]))
    t.expect(not bad, "; ".join(bad))
    print("   advertised: " + ", ".join("%d:%d-%d" % (k, lo, hi) for k, (lo, hi) in sorted(apis.items())))

with t.step("create topic 'proto' (2 partitions) for the checks below"):
    t.eq(kwire.create_topics(c, [("proto", 2, 1, {})]), {"proto": (0, None)}, "CreateTopics answer")

with t.step("Metadata v0-v12 each answer with this broker and the topic"):
    for v in range(13):
        brokers, topics = metadata_any(c, v, ["proto"])
        t.eq(brokers, [(1, "127.0.0.1", b.port)], "Metadata v%d brokers" % v)
        t.eq(topics.get("proto", (None, {}))[0], 0, "Metadata v%d topic error" % v)
        t.eq(sorted(topics["proto"][1]), [0, 1], "Metadata v%d partitions" % v)
        t.eq({p[1] for p in topics["proto"][1].values()}, {1}, "Metadata v%d leaders" % v)

with t.step("CreateTopics validate_only: answers 0 and creates nothing"):
    t.eq(kwire.create_topics(c, [("dry-run", 3, 1, {})], validate_only=True), {"dry-run": (0, None)},
         "CreateTopics validate_only answer")
    _, topics = kwire.metadata(c, None)
    t.expect("dry-run" not in topics, "validate_only created the topic")

with t.step("CreateTopics name rules: 249 legal chars ok; 250, '/', ' ', '.', '..', '' -> INVALID_TOPIC_EXCEPTION"):
    ok = "a" * 249
    t.eq(kwire.create_topics(c, [(ok, 1, 1, {})])[ok][0], 0, "249-character name")
    for name in ("b" * 250, "bad/name", "bad name", ".", "..", "", "bäd"):
        got = kwire.create_topics(c, [(name, 1, 1, {})])
        t.eq(errname(got.get(name, (None,))[0]), errname(ERR["INVALID_TOPIC_EXCEPTION"]), "name %r" % name[:20])
    t.eq(kwire.create_topics(c, [("Dots.and-dashes_09", 1, 1, {})])["Dots.and-dashes_09"][0], 0, "legal chars")

with t.step("CreateTopics: rf 3 -> INVALID_REPLICATION_FACTOR, 0 partitions -> INVALID_PARTITIONS, "
            "unknown config -> INVALID_CONFIG, existing -> TOPIC_ALREADY_EXISTS"):
    for spec, code in (((("rf3", 1, 3, {})), 38), ((("p0", 0, 1, {})), 37),
                       ((("cfg", 1, 1, {"no.such.config": "1"})), 40), ((("cfg2", 1, 1, {"retention.ms": "x"})), 40),
                       ((("proto", 1, 1, {})), 36)):
        got = kwire.create_topics(c, [spec])
        t.eq(errname(got[spec[0]][0]), errname(code), "CreateTopics %s" % (spec,))
    _, topics = kwire.metadata(c, None)
    t.expect(not {"rf3", "p0", "cfg", "cfg2"} & set(topics), "refused topics exist: %s" % sorted(topics))

with t.step("Produce acks=0: no answer, appended; the next request on the connection is answered"):
    kwire.produce(c, "proto", {0: rec(b"a0", b"acks zero")}, acks=0)
    lo = kwire.list_offsets(c, "proto", {0: -1})
    t.eq(lo[0][2], 1, "end offset after the acks=0 produce")

with t.step("Produce acks=1 and acks=-1: base offsets follow on, v3 to v8"):
    off = 1
    for v, acks in ((3, 1), (5, -1), (7, 1), (8, -1)):
        r = kwire.produce(c, "proto", {0: rec(b"k", b"v%d" % v)}, acks=acks, version=v)
        t.eq(r, {0: (0, off, -1)}, "Produce v%d acks=%d answer" % (v, acks))
        off += 1

with t.step("Produce to an unknown topic / partition: UNKNOWN_TOPIC_OR_PARTITION; bad name: 3 or 17; internal: 17"):
    t.eq(errname(kwire.produce(c, "no-such-topic", {0: rec(b"k", b"v")})[0][0]), errname(3), "unknown topic")
    t.eq(errname(kwire.produce(c, "proto", {7: rec(b"k", b"v")})[7][0]), errname(3), "unknown partition")
    e = kwire.produce(c, "bad name!", {0: rec(b"k", b"v")})[0][0]
    t.expect(e in (3, 17), "Produce to 'bad name!': %s" % errname(e))
    t.eq(errname(kwire.produce(c, "__consumer_offsets", {0: rec(b"k", b"v")})[0][0]), errname(17),
         "Produce to the internal topic __consumer_offsets")

with t.step("Produce over the topic's max.message.bytes: MESSAGE_TOO_LARGE, smaller goes"):
    kwire.create_topics(c, [("tiny-max", 1, 1, {"max.message.bytes": "1000"})])
    t.eq(errname(kwire.produce(c, "tiny-max", {0: rec(b"k", b"x" * 2000)})[0][0]), errname(10), "2000-byte value")
    t.eq(kwire.produce(c, "tiny-max", {0: rec(b"k", b"x" * 100)})[0][:2], (0, 0), "100-byte value")

with t.step("min.insync.replicas=2 on one node: acks=-1 -> NOT_ENOUGH_REPLICAS, acks=1 goes"):
    t.eq(kwire.create_topics(c, [("isr2", 1, 1, {"min.insync.replicas": "2"})])["isr2"][0], 0, "CreateTopics")
    t.eq(errname(kwire.produce(c, "isr2", {0: rec(b"k", b"v")}, acks=-1)[0][0]), errname(19), "acks=-1")
    t.eq(kwire.produce(c, "isr2", {0: rec(b"k", b"v")}, acks=1)[0][:2], (0, 0), "acks=1")

with t.step("message.timestamp.type=LogAppendTime: the answer and the stored batch carry the broker's time"):
    kwire.create_topics(c, [("lat", 1, 1, {"message.timestamp.type": "LogAppendTime"})])
    before = int(time.time() * 1000) - 60000
    r = kwire.produce(c, "lat", {0: rec(b"k", b"v", ts=1000)})
    err, base, lat = r[0]
    t.eq((err, base), (0, 0), "produce answer")
    t.expect(lat >= before, "log_append_time in the answer: %d" % lat)
    err, hw, data = kwire.fetch(c, "lat", {0: (0, 1 << 20)})[0]
    bt = kwire.read_batches(data)[0]
    t.expect(bt.log_append_time and bt.max_ts == lat, "stored batch: attributes %#x max_ts %d (want LogAppendTime, %d)"
             % (bt.attributes, bt.max_ts, lat))
    t.expect(bt.crc_ok, "stored batch CRC does not match after the timestamp rewrite")

with t.step("Fetch: past the end -> OFFSET_OUT_OF_RANGE; at the end -> empty, no error"):
    err, hw, data = kwire.fetch(c, "proto", {0: (99, 1 << 20)})[0]
    t.eq(errname(err), errname(1), "Fetch at 99")
    err, hw, data = kwire.fetch(c, "proto", {0: (5, 1 << 20)})[0]
    t.eq((err, hw, data), (0, 5, b""), "Fetch at the end (error, high watermark, records)")

with t.step("Fetch: a first batch larger than partition max_bytes and max_bytes still comes whole (KIP-74)"):
    r = kwire.produce(c, "proto", {1: kwire.batch([(b"big", b"B" * 5000, [], 0)], base_ts=0)})
    t.eq(r[1][:2], (0, 0), "produce of the 5000-byte record")
    fr = kwire.fetch(c, "proto", {1: (0, 100)}, max_bytes=100)[1]
    bts = kwire.read_batches(fr[2])
    t.expect(fr[0] == 0 and len(bts) == 1 and bts[0].count == 1, "Fetch with 100-byte limits: error %d, %d whole batches in %d bytes"
             % (fr[0], len(bts), len(fr[2])))

with t.step("Fetch long poll: a waiting Fetch is answered with the record a later Produce appends"):
    c2 = new_conn()
    try:
        w = W().i32(-1).i32(30000).i32(1).i32(1 << 20).i8(0).i32(1).string("proto").i32(1).i32(1).i64(1).i32(1 << 20)
        c2.corr += 1
        c2.send(kwire.request(1, 4, c2.corr, w.bytes()))
        time.sleep(0.3)  # let the broker park it (not an assertion: the answer is checked below)
        r = kwire.produce(c, "proto", {1: rec(b"wake", b"up")})
        t.eq(r[1][:2], (0, 1), "produce while the fetch waits")
        rr = kwire.R(c2.recv_frame())
        t.eq(rr.i32(), c2.corr, "correlation id")
        rr.i32()
        rr.i32(), rr.string(), rr.i32()
        idx, err, hw, _lso = rr.i32(), rr.i16(), rr.i64(), rr.i64()
        rr.array(lambda x: (x.i64(), x.i64()))
        data = rr.bytes_() or b""
        recs = [x for bt in kwire.read_batches(data) for x in kwire.decode_records(bt)]
        t.eq((idx, err, hw), (1, 0, 2), "partition, error, high watermark")
        t.eq([(x["offset"], x["key"]) for x in recs], [(1, b"wake")], "records in the long-poll answer")
    finally:
        c2.close()

with t.step("Fetch long poll with nothing to read is answered (empty) when max_wait_ms passes"):
    fr = kwire.fetch(c, "proto", {0: (5, 1 << 20)}, max_wait_ms=500, min_bytes=1)
    t.eq(fr[0], (0, 5, b""), "answer after max_wait_ms")

with t.step("ListOffsets v1 by time, earliest, latest; v0 old-style offsets"):
    kwire.create_topics(c, [("when", 1, 1, {})])
    for i, ts in enumerate((1000, 2000, 3000)):
        t.eq(kwire.produce(c, "when", {0: rec(b"k", b"v", ts=ts)})[0][:2], (0, i), "produce at %d" % ts)
    for q, want in ((-2, 0), (-1, 3), (0, 0), (1000, 0), (1500, 1), (3000, 2), (3001, -1)):
        got = kwire.list_offsets(c, "when", {0: q})[0]
        t.eq((got[0], got[2]), (0, want), "ListOffsets v1 timestamp %d (error, offset)" % q)
    got = kwire.list_offsets(c, "when", {0: 1500})[0]
    t.eq(got[1], 2000, "timestamp answered for 1500")
    # inside one batch: the first record at or after the time, not the batch
    kwire.create_topics(c, [("when-batch", 1, 1, {})])
    one = kwire.batch([(b"k", b"v%d" % i, [], 1000 * (i + 1)) for i in range(5)], base_ts=1000)
    t.eq(kwire.produce(c, "when-batch", {0: one})[0][:2], (0, 0), "produce of a 5-record batch")
    for q, want in ((1000, (1000, 0)), (2500, (3000, 2)), (5000, (5000, 4)), (5001, (-1, -1))):
        got = kwire.list_offsets(c, "when-batch", {0: q})[0]
        t.eq((got[0], got[1], got[2]), (0,) + want, "ListOffsets v1 in one batch, time %d (error, timestamp, offset)" % q)
    w = W().i32(-1).i32(1).string("when").i32(1).i32(0).i64(-1).i32(1)
    r = c.call(2, 0, w.bytes())
    r.i32(), r.string(), r.i32()
    idx, err, offs = r.i32(), r.i16(), r.array(lambda x: x.i64())
    t.eq((idx, err, offs), (0, 0, [3]), "ListOffsets v0 latest")

with t.step("flexible versions: Produce v9, Fetch v12, ListOffsets v7 round trip"):
    kwire.create_topics(c, [("flex", 1, 1, {})])
    recs = kwire.batch([(b"fk%d" % i, b"flex value %d" % i, [("h", b"%d" % i)], 5000 + i) for i in range(3)],
                       base_ts=5000)
    w = (W().cstring(None).i16(-1).i32(10000).uvarint(2).cstring("flex").uvarint(2)
         .i32(0).uvarint(len(recs) + 1).raw(recs).tags().tags().tags())
    r = c.call(0, 9, w.bytes(), header_version=2, resp_flexible=True)
    res = []
    for _ in range(r.uvarint() - 1):
        r.cstring()
        for _p in range(r.uvarint() - 1):
            idx, err, base, _lat, _lso = r.i32(), r.i16(), r.i64(), r.i64(), r.i64()
            for _e in range(r.uvarint() - 1):
                r.i32(), r.cstring(), r.skip_tags()
            r.cstring()
            r.skip_tags()
            res.append((idx, err, base))
        r.skip_tags()
    t.eq(res, [(0, 0, 0)], "Produce v9 answer (partition, error, base offset)")
    w = (W().i32(-1).i32(100).i32(0).i32(1 << 20).i8(0).i32(0).i32(-1)
         .uvarint(2).cstring("flex").uvarint(2).i32(0).i32(-1).i64(0).i32(-1).i64(-1).i32(1 << 20).tags().tags()
         .uvarint(1).cstring("").tags())
    r = c.call(1, 12, w.bytes(), header_version=2, resp_flexible=True)
    r.i32()
    t.eq(r.i16(), 0, "Fetch v12 top-level error")
    r.i32()
    got = None
    for _ in range(r.uvarint() - 1):
        r.cstring()
        for _p in range(r.uvarint() - 1):
            idx, err, hw, _lso, _ls = r.i32(), r.i16(), r.i64(), r.i64(), r.i64()
            ab = r.uvarint()
            for _a in range(max(ab - 1, 0)):
                r.i64(), r.i64(), r.skip_tags()
            r.i32()
            n = r.uvarint()
            data = bytes(r._take(n - 1)) if n else b""
            r.skip_tags()
            got = (idx, err, hw, data)
        r.skip_tags()
    t.expect(got is not None, "Fetch v12: no partition in the answer")
    t.eq(got[:3], (0, 0, 3), "Fetch v12 (partition, error, high watermark)")
    rs = [x for bt in kwire.read_batches(got[3]) for x in kwire.decode_records(bt)]
    t.eq([(x["offset"], x["key"], x["ts"], x["headers"]) for x in rs],
         [(i, b"fk%d" % i, 5000 + i, [("h", b"%d" % i)]) for i in range(3)], "records from Fetch v12")
    for q, want in ((-2, 0), (-1, 3), (5000, 0), (5003, -1)):
        w = W().i32(-1).i8(0).uvarint(2).cstring("flex").uvarint(2).i32(0).i32(-1).i64(q).tags().tags().tags()
        r = c.call(2, 7, w.bytes(), header_version=2, resp_flexible=True)
        r.i32()
        r.uvarint(), r.cstring(), r.uvarint()
        idx, err, ts, off, _ep = r.i32(), r.i16(), r.i64(), r.i64(), r.i32()
        t.eq((idx, err, off), (0, 0, want), "ListOffsets v7 timestamp %d (partition, error, offset)" % q)

with t.step("CreateTopics with every per-topic config of the contract; DescribeConfigs shows them as DYNAMIC_TOPIC"):
    cfg = {"retention.ms": "3600000", "retention.bytes": "10485760", "segment.bytes": "1048576",
           "segment.ms": "600000", "max.message.bytes": "200000", "min.insync.replicas": "1",
           "flush.messages": "10", "flush.ms": "1000", "cleanup.policy": "delete",
           "message.timestamp.type": "CreateTime"}
    t.eq(kwire.create_topics(c, [("all-configs", 1, 1, cfg)]), {"all-configs": (0, None)}, "CreateTopics")
    got = describe_topic("all-configs")
    t.eq({k: got.get(k) for k in cfg}, {k: (v, 1) for k, v in cfg.items()}, "described (value, source)")

with t.step("DescribeCluster v0: this broker as controller"):
    w = W().boolean(False).tags()
    r = c.call(60, 0, w.bytes(), header_version=2, resp_flexible=True)
    r.i32()
    err, _msg, cluster_id, controller = r.i16(), r.cstring(), r.cstring(), r.i32()

    def brk(x):
        v = (x.i32(), x.cstring(), x.i32(), x.cstring())
        x.skip_tags()
        return v[:3]
    brokers = r.carray(brk)
    t.eq((err, controller, brokers), (0, 1, [(1, "127.0.0.1", b.port)]), "error, controller, brokers")
    t.expect(cluster_id, "empty cluster id")

with t.step("OffsetForLeaderEpoch v3: the current epoch ends at the log end offset"):
    _b, topics = metadata_any(c, 7, ["proto"])
    epoch = topics["proto"][1][0][2]
    w = W().i32(-1).i32(1).string("proto").i32(1).i32(0).i32(epoch).i32(epoch)
    r = c.call(23, 3, w.bytes())
    r.i32(), r.i32(), r.string(), r.i32()
    err, idx, le, end = r.i16(), r.i32(), r.i32(), r.i64()
    t.eq((err, idx, le, end), (0, 0, epoch, 5), "error, partition, leader epoch, end offset")


def incremental(name, ops):
    w = W().i32(1).i8(2).string(name).i32(len(ops))
    for k, op, v in ops:
        w.string(k).i8(op).string(v)
    w.boolean(False)
    r = c.call(44, 0, w.bytes())
    r.i32()
    return [(x[0], x[1]) for x in r.array(lambda x: (x.i16(), x.string(), x.i8(), x.string()))]


with t.step("IncrementalAlterConfigs v0 SET then DELETE; DescribeConfigs v1 shows value and source"):
    t.eq(describe_topic("proto")["retention.ms"], ("604800000", 5), "retention.ms default (value, source DEFAULT)")
    t.eq(incremental("proto", [("retention.ms", 0, "1000000")])[0][0], 0, "SET retention.ms")
    t.eq(describe_topic("proto")["retention.ms"], ("1000000", 1), "after SET (value, source DYNAMIC_TOPIC)")
    t.eq(incremental("proto", [("retention.ms", 1, None)])[0][0], 0, "DELETE retention.ms")
    t.eq(describe_topic("proto")["retention.ms"], ("604800000", 5), "after DELETE")
    got = incremental("proto", [("retention.ms", 0, "forever")])
    t.eq(errname(got[0][0]), errname(40), "SET retention.ms=forever")

with t.step("DeleteTopics v1: the topic goes; an unknown one gets UNKNOWN_TOPIC_OR_PARTITION"):
    w = W().i32(2).string("when").string("never-was").i32(20000)
    r = c.call(20, 1, w.bytes())
    r.i32()
    res = dict(r.array(lambda x: (x.string(), x.i16())))
    t.eq((res.get("when"), errname(res.get("never-was", 0))), (0, errname(3)), "DeleteTopics answers")
    _, topics = kwire.metadata(c, None)
    t.expect("when" not in topics, "deleted topic still in Metadata")

c.close()
t.done()
