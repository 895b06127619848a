"""broker_idempotence.py - the idempotent producer against sluiced.

InitProducerId v0-v4 (new ids, epoch 0; a transactional id has its own);
Kafka's sequence rules on raw Produce requests (duplicate answered with the
original offset and not appended, gap, old epoch, new epoch from 0); the
producer state survives a clean restart and a kill -9 (rebuilt from the log)
and producer ids are never handed out twice; confluent_kafka with
enable.idempotence=True writes every message exactly once, in order, over
several partitions; its state is snapshotted at a clean shutdown (snapshot
files in each partition directory) and restored from it: after a clean
restart and after kill -9 (snapshot plus the batches after it) a raw
producer re-sending that producer's last batch gets its original offset
and a gap gets OUT_OF_ORDER_SEQUENCE_NUMBER; DeleteRecords up to the end
forgets no producer, across a restart too; with a small
producer.id.expiration.ms an idle producer is forgotten (its next batch is
accepted at any sequence); and with the broker's test hook
SLUICE_TEST_DROP_AFTER_APPEND (the connection is dropped after an append,
before the answer) librdkafka retries and the log still holds every message
exactly once, in order.
Usage: broker_idempotence.py BINDIR
"""
import os
import struct
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import check  # noqa: E402

t = check.Test("broker_idempotence", budget_s=280)
import ck  # noqa: E402
import kwire  # noqa: E402
from kwire import W  # noqa: E402

OUT_OF_ORDER, INVALID_EPOCH, INVALID_REQUEST = 45, 47, 42


def init_pid(c, version, txn=None):
    if version >= 2:
        w = W().cstring(txn).i32(60000)
        if version >= 3:
            w.i64(-1).i16(-1)
        r = c.call(22, version, w.tags().bytes(), header_version=2, resp_flexible=True)
    else:
        r = c.call(22, version, W().string(txn).i32(60000).bytes())
    r.i32()
    return r.i16(), r.i64(), r.i16()


def produce_raw(c, topic, part, batch):
    """Produce v7 of one batch; returns (error, base offset)."""
    w = W().string(None).i16(-1).i32(10000).i32(1).string(topic).i32(1).i32(part).bytes_(batch)
    r = c.call(0, 7, w.bytes())
    t.eq(r.i32(), 1, "Produce response topic count")
    r.string()
    t.eq(r.i32(), 1, "Produce response partition count")
    r.i32()
    err, base = r.i16(), r.i64()
    return err, base


def records(n, tag):
    """Stamped now: a producer's last timestamp is its batches' max
    timestamp (Kafka's rule), and producer.id.expiration.ms forgets one
    whose timestamps are old."""
    now = int(time.time() * 1000)
    return [(None, b"%s-%d" % (tag, i), [], now + i) for i in range(n)]


def idem(pid, epoch, seq, n, tag):
    return kwire.batch(records(n, tag), producer_id=pid, producer_epoch=epoch, base_sequence=seq)


def producer_batches(bk, topic, part):
    """(base offset, producer id, epoch, base sequence, record count) of each
    batch on disk (kwire.read_batches leaves out epoch and sequence)."""
    out = []
    for path in bk.segment_files(topic, part):
        with open(path, "rb") as f:
            data = f.read()
        p = 0
        while len(data) - p >= 61:
            base, length = struct.unpack_from(">qi", data, p)
            if length < 49 or p + 12 + length > len(data):
                break
            pid, epoch, seq, count = struct.unpack_from(">qhii", data, p + 43)
            out.append((base, pid, epoch, seq, count))
            p += 12 + length
    return out


def snapshots(bk, topic, part):
    d = bk.partition_dir(topic, part)
    return sorted(f for f in os.listdir(d) if f.endswith(".snapshot"))


def last_start_log(bk):
    """The broker's log since its latest start."""
    return bk.log_text().split("==== start")[-1]


def delete_records(c, topic, part, offset):
    """DeleteRecords v1 of one partition; returns (error, low watermark)."""
    w = W().i32(1).string(topic).i32(1).i32(part).i64(offset).i32(10000)
    r = c.call(21, 1, w.bytes())
    r.i32()
    t.eq(r.i32(), 1, "DeleteRecords response topic count")
    r.string()
    t.eq(r.i32(), 1, "DeleteRecords response partition count")
    r.i32()
    low = r.i64()
    return r.i16(), low


def end_offset(b, topic, part=0):
    return ck.watermarks(b.bootstrap, topic, [part])[part][1]


b = t.broker()
c = kwire.Conn(b.host, b.port)
ids = []

with t.step("InitProducerId v0-v4: a new producer id each time, epoch 0; a transactional id keeps its own"):
    for v in range(5):
        err, pid, epoch = init_pid(c, v)
        t.eq((err, epoch), (0, 0), "InitProducerId v%d error and epoch" % v)
        t.expect(pid >= 0 and pid not in ids, "v%d producer id %d (earlier: %s)" % (v, pid, ids))
        ids.append(pid)
    # the transaction coordinator's (broker_txn_coord.py checks it in depth)
    err, tpid, tepoch = init_pid(c, 1, "my-txn")
    t.eq((err, tepoch), (0, 0), "InitProducerId with a transactional id")
    t.expect(tpid not in ids, "its producer id %d is its own (earlier: %s)" % (tpid, ids))
    t.eq(init_pid(c, 4, "my-txn"), (0, tpid, 1), "InitProducerId v4 with the same transactional id: epoch bumped")
    t.eq(init_pid(c, 1, "")[0], INVALID_REQUEST, "InitProducerId with an empty transactional id")

RAW = "idem-raw"
PID = ids[0]
with t.step("raw Produce: in sequence appended, duplicate gets its original offset, gap and old epoch refused"):
    t.eq(kwire.create_topics(c, [(RAW, 1, 1, {})]), {RAW: (0, None)}, "CreateTopics answer")
    t.eq(produce_raw(c, RAW, 0, idem(PID, 0, 0, 3, b"a")), (0, 0), "first batch (seq 0-2)")
    t.eq(produce_raw(c, RAW, 0, idem(PID, 0, 0, 3, b"a")), (0, 0), "its duplicate")
    t.eq(produce_raw(c, RAW, 0, idem(PID, 0, 3, 2, b"b")), (0, 3), "next batch (seq 3-4)")
    t.eq(produce_raw(c, RAW, 0, idem(PID, 0, 0, 3, b"a")), (0, 0), "the first batch again")
    t.eq(produce_raw(c, RAW, 0, idem(PID, 0, 9, 1, b"c"))[0], OUT_OF_ORDER, "a gap (seq 9 after 4)")
    t.eq(produce_raw(c, RAW, 0, idem(PID, 1, 5, 1, b"c"))[0], OUT_OF_ORDER, "new epoch not from seq 0")
    t.eq(produce_raw(c, RAW, 0, idem(PID, 1, 0, 1, b"d")), (0, 5), "new epoch from seq 0")
    t.eq(produce_raw(c, RAW, 0, idem(PID, 0, 5, 1, b"e"))[0], INVALID_EPOCH, "the old epoch")
    t.eq(produce_raw(c, RAW, 0, idem(ids[1], 0, 77, 1, b"f")), (0, 6), "an unknown producer at seq 77")
    t.eq(end_offset(b, RAW), 7, "end offset (nothing appended twice)")

for how in ("clean restart", "kill -9"):
    with t.step("%s: producer state rebuilt from the log, producer ids not reused" % how):
        c.close()
        if how == "kill -9":
            b.kill()
        else:
            t.eq(b.stop(), 0, "exit status")
        b.start()
        c = kwire.Conn(b.host, b.port)
        t.eq(produce_raw(c, RAW, 0, idem(PID, 1, 0, 1, b"d")), (0, 5), "duplicate of the epoch 1 batch")
        t.eq(produce_raw(c, RAW, 0, idem(ids[1], 0, 77, 1, b"f")), (0, 6), "duplicate of the seq 77 batch")
        t.eq(produce_raw(c, RAW, 0, idem(PID, 0, 5, 1, b"e"))[0], INVALID_EPOCH, "the old epoch")
        t.eq(produce_raw(c, RAW, 0, idem(PID, 1, 2, 1, b"g"))[0], OUT_OF_ORDER, "a gap")
        err, pid, _ = init_pid(c, 4)
        t.eq(err, 0, "InitProducerId error")
        t.expect(pid > max(ids), "producer id %d after the restart, earlier ones %s" % (pid, ids))
        ids.append(pid)
        t.eq(end_offset(b, RAW), 7, "end offset")
c.close()


def produce_and_check(bk, topic, nparts, n, **conf):
    """Idempotent confluent_kafka produce of n messages round-robin over
    nparts partitions; checks that the log holds each exactly once, in
    send order, and returns the producer ids found in the batches."""
    p = ck.producer(bk.bootstrap, **{"enable.idempotence": True, **conf})
    sent = [{"topic": topic, "partition": i % nparts, "key": b"k%d" % i, "value": b"%s-%d" % (topic.encode(), i)}
            for i in range(n)]
    reports = ck.produce_all(p, sent, timeout=120)
    per = {q: [] for q in range(nparts)}
    for m, (_err, part, off) in zip(sent, reports):
        t.eq(part, m["partition"], "partition of %r" % m["value"])
        per[part].append((off, m["value"]))
    for q, lst in per.items():
        t.eq([o for o, _ in lst], list(range(len(lst))), "delivered offsets of partition %d in send order" % q)
    ends = {q: len(per[q]) for q in per}
    t.eq({q: ck.watermarks(bk.bootstrap, topic, [q])[q][1] for q in per}, ends, "end offsets")
    got = ck.read_partitions(bk.bootstrap, topic, ends)
    for q in per:
        t.eq([m.value() for m in got[q]], [v for _, v in per[q]], "values of partition %d" % q)
    pids = set()
    for q in per:
        for bt in bk.read_segments(topic, q):
            pids.add(bt.producer_id)
    return pids


with t.step("confluent_kafka enable.idempotence=True: 3000 messages over 4 partitions, exactly once, in order"):
    ck.create_topics(b.bootstrap, [("idem-cf", 4, {})])
    pids = produce_and_check(b, "idem-cf", 4, 3000, **{"linger.ms": 2, "batch.num.messages": 40})
    t.expect(len(pids) == 1 and min(pids) >= 0, "producer ids in the batches: %s" % sorted(pids))

SNAP = "idem-snap"
with t.step("confluent_kafka idempotent producer, clean restart: snapshot files hold its state; its last batch "
            "re-sent raw gets the original offset, a gap OUT_OF_ORDER_SEQUENCE_NUMBER"):
    ck.create_topics(b.bootstrap, [(SNAP, 2, {})])
    pids = produce_and_check(b, SNAP, 2, 400, **{"linger.ms": 2, "batch.num.messages": 30})
    t.expect(len(pids) == 1 and min(pids) >= 0, "producer ids in the batches: %s" % sorted(pids))
    last = {q: producer_batches(b, SNAP, q)[-1] for q in (0, 1)}
    t.eq(b.stop(), 0, "exit status")
    for q in (0, 1):
        snaps = snapshots(b, SNAP, q)
        t.expect(1 <= len(snaps) <= 2, "partition %d: snapshot files %s" % (q, snaps))
        base, _pid, _epoch, _seq, n = last[q]
        t.eq(int(snaps[-1].split(".")[0]), base + n, "partition %d: newest snapshot at the log end" % q)
    b.start()
    c = kwire.Conn(b.host, b.port)
    for q in (0, 1):
        base, pid, epoch, seq, n = last[q]
        t.eq(produce_raw(c, SNAP, q, idem(pid, epoch, seq, n, b"dup")), (0, base),
             "partition %d: the last batch (seq %d-%d) again" % (q, seq, seq + n - 1))
        t.eq(produce_raw(c, SNAP, q, idem(pid, epoch, seq + n + 5, 1, b"gap"))[0], OUT_OF_ORDER,
             "partition %d: a gap" % q)
        t.eq(produce_raw(c, SNAP, q, idem(pid, epoch, seq + n, 2, b"next")), (0, base + n),
             "partition %d: the next sequence, appended" % q)
    loaded = [ln for ln in last_start_log(b).splitlines() if "producer state loaded" in ln and SNAP in ln]
    t.eq(len(loaded), 2, "state loads logged: %s" % loaded)
    t.expect(all("snapshot at" in ln for ln in loaded), "loaded from snapshots: %s" % loaded)

with t.step("kill -9: the state comes back from the snapshot and the batches after it"):
    c.close()
    b.kill()
    b.start()
    c = kwire.Conn(b.host, b.port)
    for q in (0, 1):
        base, pid, epoch, seq, n = last[q]
        t.eq(produce_raw(c, SNAP, q, idem(pid, epoch, seq + n, 2, b"next")), (0, base + n),
             "partition %d: the batch appended after the snapshot, again" % q)
        t.eq(produce_raw(c, SNAP, q, idem(pid, epoch, seq, n, b"dup")), (0, base),
             "partition %d: the snapshot's last batch, again" % q)
        t.eq(produce_raw(c, SNAP, q, idem(pid, epoch, seq + n + 3, 1, b"gap"))[0], OUT_OF_ORDER,
             "partition %d: a gap" % q)
        t.eq(produce_raw(c, SNAP, q, idem(pid, epoch, seq + n + 2, 1, b"more")), (0, base + n + 2),
             "partition %d: in sequence, appended" % q)
        t.expect(len(snapshots(b, SNAP, q)) <= 2, "partition %d: at most two snapshots" % q)
    loaded = [ln for ln in last_start_log(b).splitlines() if "producer state loaded" in ln and SNAP in ln]
    t.eq(len(loaded), 2, "state loads logged: %s" % loaded)
    t.expect(all("snapshot at" in ln for ln in loaded), "loaded from snapshots, then the log: %s" % loaded)

with t.step("DeleteRecords to the end forgets no producer, across a clean restart too"):
    base, pid, epoch, seq, n = last[0]
    end = end_offset(b, SNAP, 0)
    t.eq(end, base + n + 3, "end offset")
    t.eq(delete_records(c, SNAP, 0, end), (0, end), "DeleteRecords answer")
    for how in ("before", "after"):
        if how == "after":
            c.close()
            t.eq(b.stop(), 0, "exit status")
            b.start()
            c = kwire.Conn(b.host, b.port)
        t.eq(produce_raw(c, SNAP, 0, idem(pid, epoch, seq + n + 2, 1, b"more")), (0, base + n + 2),
             "%s the restart: its last batch, deleted, still a duplicate" % how)
        t.eq(produce_raw(c, SNAP, 0, idem(pid, epoch, seq + n + 9, 1, b"gap"))[0], OUT_OF_ORDER,
             "%s the restart: a gap" % how)
    t.eq(end_offset(b, SNAP, 0), end, "nothing appended")
c.close()

with t.step("producer.id.expiration.ms=3000, checked every 200 ms: an idle producer is forgotten"):
    eb = t.broker(overrides=["producer.id.expiration.ms=3000", "producer.id.expiration.check.interval.ms=200"])
    ec = kwire.Conn(eb.host, eb.port)
    t.eq(kwire.create_topics(ec, [("idem-exp", 1, 1, {})]), {"idem-exp": (0, None)}, "CreateTopics answer")
    err, epid, _ = init_pid(ec, 4)
    t.eq(err, 0, "InitProducerId error")
    t.eq(produce_raw(ec, "idem-exp", 0, idem(epid, 0, 0, 3, b"a")), (0, 0), "first batch (seq 0-2)")
    t.eq(produce_raw(ec, "idem-exp", 0, idem(epid, 0, 40, 1, b"b"))[0], OUT_OF_ORDER, "a gap while known")
    deadline = time.time() + 60
    while "idle producer ids expired" not in eb.log_text() and time.time() < deadline:
        time.sleep(0.2)
    t.expect("idle producer ids expired" in eb.log_text(), "the broker logged the expiry")
    t.eq(produce_raw(ec, "idem-exp", 0, idem(epid, 0, 40, 1, b"b")), (0, 3),
         "seq 40 after the expiry: accepted, as for an unknown producer")
    t.eq(produce_raw(ec, "idem-exp", 0, idem(epid, 0, 0, 3, b"a"))[0], OUT_OF_ORDER,
         "the forgotten first batch is no longer a duplicate")
    t.eq(end_offset(eb, "idem-exp"), 4, "end offset")
    ec.close()

os.environ["SLUICE_TEST_DROP_AFTER_APPEND"] = "3"
try:
    hb = t.broker()
finally:
    del os.environ["SLUICE_TEST_DROP_AFTER_APPEND"]

with t.step("test hook drops every 3rd produce answer after the append: librdkafka retries, "
            "every message once, in order"):
    ck.create_topics(hb.bootstrap, [("idem-drop", 3, {})])
    pids = produce_and_check(hb, "idem-drop", 3, 1500,
                             **{"linger.ms": 1, "batch.num.messages": 25, "retry.backoff.ms": 20,
                                "reconnect.backoff.ms": 10, "reconnect.backoff.max.ms": 100,
                                "message.send.max.retries": 1000000})
    drops = hb.log_text().count("test hook SLUICE_TEST_DROP_AFTER_APPEND")
    t.expect(drops >= 3, "connections dropped by the hook: %d" % drops)
    t.expect(len(pids) == 1 and min(pids) >= 0, "producer ids in the batches: %s" % sorted(pids))
    print("   %d answers dropped by the hook" % drops)

t.done()
