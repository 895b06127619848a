"""broker_txn_partition.py - each partition's transactions in sluiced, with
raw requests.

A transactional batch (attribute bit 4, a producer id) is appended and
opens its producer's transaction: Fetch read_uncommitted (IsolationLevel 0)
sees it and everything after it, up to the high watermark, with a null
list of aborted transactions; Fetch read_committed (IsolationLevel 1)
stops before it (LastStableOffset = its first offset, at both isolation
levels) with an empty list; ListOffsets latest answers the LSO under
read_committed and the log end otherwise. Transactional batches
pass the idempotent checks (old epoch: INVALID_PRODUCER_EPOCH, duplicate:
its original offset), a client's control batch is INVALID_RECORD, a plain
batch of a producer inside its transaction INVALID_TXN_STATE. After a
clean restart and after kill -9 the transaction is still open (same LSO),
rebuilt from the producer snapshot or the log, and the producer goes on in
sequence. A long-poll read_committed fetch at the LSO gets none of the
held-back data.
With the coordinator's markers (raw InitProducerId, AddPartitionsToTxn,
EndTxn): an aborted transaction is listed (producer id, first offset) for
a read_committed fetch overlapping it, not for one after it nor for
read_uncommitted; the segment's .txnindex holds its 34-byte entry; after a
clean restart, a kill -9, and a kill -9 with the .txnindex removed (rebuilt
from the log) the list, the file and an open transaction come back.
Usage: broker_txn_partition.py BINDIR
"""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import check  # noqa: E402

t = check.Test("broker_txn_partition", budget_s=200)
import kwire  # noqa: E402
from kwire import W  # noqa: E402

INVALID_EPOCH, INVALID_TXN_STATE, INVALID_RECORD = 47, 48, 87
TOPIC = "txp"


def init_pid(c):
    r = c.call(22, 0, W().string(None).i32(60000).bytes())
    r.i32()
    err, pid, epoch = r.i16(), r.i64(), r.i16()
    t.eq(err, 0, "InitProducerId error")
    return pid, epoch


def recs(n, tag):
    now = int(time.time() * 1000)
    return [(b"k", b"%s-%d" % (tag, i), [], now + i) for i in range(n)]


def txn_batch(pid, epoch, seq, n, tag):
    return kwire.batch(recs(n, tag), attributes=0x10, producer_id=pid, producer_epoch=epoch, base_sequence=seq)


def produce(c, batch):
    out = kwire.produce(c, TOPIC, {0: batch})
    return out[0][0], out[0][1]


def fetch(c, offset, isolation, max_wait_ms=0, min_bytes=0):
    """Fetch v11 of partition 0: (error, high watermark, LSO, aborted list
    or None, batches)."""
    w = W().i32(-1).i32(max_wait_ms).i32(min_bytes).i32(1 << 20).i8(isolation).i32(0).i32(-1)
    w.i32(1).string(TOPIC).i32(1)
    w.i32(0).i32(-1).i64(offset).i64(-1).i32(1 << 20)
    w.i32(0).string("")  # no forgotten topics, rack id
    r = c.call(1, 11, w.bytes())
    r.i32()
    t.eq(r.i16(), 0, "Fetch top-level error")
    r.i32()
    t.eq(r.i32(), 1, "Fetch topic count")
    r.string()
    t.eq(r.i32(), 1, "Fetch partition count")
    r.i32()
    err, hw, lso, _start = r.i16(), r.i64(), r.i64(), r.i64()
    n = r.i32()
    aborted = None if n < 0 else [(r.i64(), r.i64()) for _ in range(n)]
    r.i32()  # preferred read replica
    data = r.bytes_() or b""
    return err, hw, lso, aborted, kwire.read_batches(data)


def list_offset(c, isolation, ts):
    """ListOffsets v2 of partition 0: (error, offset)."""
    w = W().i32(-1).i8(isolation).i32(1).string(TOPIC).i32(1).i32(0).i64(ts)
    r = c.call(2, 2, w.bytes())
    r.i32()
    r.i32()
    r.string()
    r.i32()
    r.i32()
    err, _ts, off = r.i16(), r.i64(), r.i64()
    return err, off


def check_open(c, what):
    err, hw, lso, aborted, batches = fetch(c, 0, 0)
    t.eq((err, hw, lso, aborted), (0, 6, 3, None), "%s: read_uncommitted error, HW, LSO, aborted list" % what)
    t.eq([b.base_offset for b in batches], [0, 3, 5], "%s: read_uncommitted batches" % what)
    t.eq(bool(batches[1].attributes & 0x10), True, "%s: the transactional bit kept" % what)
    err, hw, lso, aborted, batches = fetch(c, 0, 1)
    t.eq((err, hw, lso, aborted), (0, 6, 3, []), "%s: read_committed error, HW, LSO, aborted list" % what)
    t.eq([b.base_offset for b in batches], [0], "%s: read_committed stops before the open transaction" % what)
    err, hw, lso, aborted, batches = fetch(c, 3, 1)
    t.eq((err, lso, len(batches)), (0, 3, 0), "%s: read_committed at the LSO: nothing" % what)
    err, hw, lso, aborted, batches = fetch(c, 5, 1)
    t.eq((err, lso, len(batches)), (0, 3, 0), "%s: read_committed above the LSO: nothing" % what)
    t.eq(list_offset(c, 1, -1), (0, 3), "%s: ListOffsets read_committed latest" % what)
    t.eq(list_offset(c, 0, -1), (0, 6), "%s: ListOffsets read_uncommitted latest" % what)


b = t.broker()
c = kwire.Conn(b.host, b.port)
pid, epoch = init_pid(c)

with t.step("a transactional batch opens its producer's transaction: read_committed stops at its first offset"):
    t.eq(kwire.create_topics(c, [(TOPIC, 1, 1, {})]), {TOPIC: (0, None)}, "CreateTopics answer")
    t.eq(produce(c, kwire.batch(recs(3, b"plain"))), (0, 0), "plain batch (0-2)")
    t.eq(produce(c, txn_batch(pid, epoch, 0, 2, b"txn")), (0, 3), "transactional batch (3-4)")
    t.eq(produce(c, kwire.batch(recs(1, b"after"))), (0, 5), "plain batch after it (5)")
    check_open(c, "open")
    t.eq(list_offset(c, 1, int(time.time() * 1000) - 600000), (0, 0),
         "ListOffsets read_committed by an old timestamp: below the LSO, answered")

with t.step("transactional batches pass the idempotent checks; a client's control batch is refused"):
    t.eq(produce(c, txn_batch(pid, epoch, 0, 2, b"txn")), (0, 3), "duplicate answered with its offset")
    t.eq(produce(c, txn_batch(pid, epoch + 1, 0, 1, b"new"))[0], 0, "a bumped epoch from sequence 0")
    t.eq(produce(c, txn_batch(pid, epoch, 2, 1, b"old"))[0], INVALID_EPOCH, "the old epoch")
    marker = kwire.batch([(b"\x00\x00\x00\x01", b"\x00\x00\x00\x00\x00\x00", [], int(time.time() * 1000))],
                         attributes=0x30, producer_id=pid, producer_epoch=epoch + 1, base_sequence=-1)
    t.eq(produce(c, marker)[0], INVALID_RECORD, "a control batch from a client")
    plain = kwire.batch(recs(1, b"plain"), producer_id=pid, producer_epoch=epoch + 1, base_sequence=1)
    t.eq(produce(c, plain)[0], INVALID_TXN_STATE, "a plain batch of the producer inside its transaction")
    err, hw, lso, _, _ = fetch(c, 0, 1)
    t.eq((err, hw, lso), (0, 7, 3), "the transaction is still open from offset 3 (HW 7)")
    t.eq(list_offset(c, 1, -1), (0, 3), "ListOffsets read_committed latest")

with t.step("a long-poll read_committed fetch at the LSO gets none of the held-back data"):
    err, hw, lso, _, batches = fetch(c, 3, 1, max_wait_ms=300, min_bytes=1)
    t.eq((err, hw, lso, len(batches)), (0, 7, 3, 0), "long-poll read_committed at the LSO")

hw_before, seq = 7, 1
for how in ("clean restart", "kill -9"):
    with t.step("%s: the open transaction is open again (same LSO)" % how):
        c.close()
        if how == "kill -9":
            b.kill()
        else:
            t.eq(b.stop(), 0, "exit status")
        b.start()
        c = kwire.Conn(b.host, b.port)
        err, hw, lso, aborted, batches = fetch(c, 0, 1)
        t.eq((err, hw, lso, aborted), (0, hw_before, 3, []), "read_committed after the %s" % how)
        t.eq([x.base_offset for x in batches], [0], "read_committed batches after the %s" % how)
        t.eq(list_offset(c, 1, -1), (0, 3), "ListOffsets read_committed latest after the %s" % how)
        err, hw, lso, aborted, batches = fetch(c, 0, 0)
        t.eq((err, hw, lso, aborted), (0, hw_before, 3, None), "read_uncommitted after the %s" % how)
        t.eq(produce(c, txn_batch(pid, epoch + 1, seq, 1, b"more")), (0, hw_before),
             "the producer goes on in sequence")
        err, hw, lso, _, _ = fetch(c, 0, 1)
        t.eq((err, hw, lso), (0, hw_before + 1, 3), "LSO unchanged by the producer's next batch")
        hw_before, seq = hw_before + 1, seq + 1


# ---- with the transaction coordinator's markers (EndTxn) ----
T2 = "txp2"


def init_txn(c, txnid):
    """InitProducerId v1 with a transactional id, until the coordinator has
    loaded (bounded)."""
    deadline = time.monotonic() + 30
    while True:
        r = c.call(22, 1, W().string(txnid).i32(60000).bytes())
        r.i32()
        err, p, e = r.i16(), r.i64(), r.i16()
        if err not in (14, 51) or time.monotonic() > deadline:  # load in progress, concurrent
            t.eq(err, 0, "InitProducerId(%s) error" % txnid)
            return p, e
        time.sleep(0.1)


def add_partition(c, txnid, p, e):
    w = W().string(txnid).i64(p).i16(e).i32(1).string(T2).i32(1).i32(0)
    r = c.call(24, 1, w.bytes())
    r.i32()
    r.i32()
    r.string()
    r.i32()
    r.i32()
    t.eq(r.i16(), 0, "AddPartitionsToTxn error")


def end_txn(c, txnid, p, e, commit):
    r = c.call(26, 1, W().string(txnid).i64(p).i16(e).boolean(commit).bytes())
    r.i32()
    t.eq(r.i16(), 0, "EndTxn(%s) error" % ("commit" if commit else "abort"))


def fetch2(c, offset, isolation):
    global TOPIC
    saved, TOPIC = TOPIC, T2
    try:
        return fetch(c, offset, isolation)
    finally:
        TOPIC = saved


def txnindex(bk):
    d = bk.partition_dir(T2, 0)
    return {f: os.path.getsize(os.path.join(d, f)) for f in os.listdir(d) if f.endswith(".txnindex")}


with t.step("EndTxn markers: an abort is listed for read_committed and kept in the segment's .txnindex"):
    t.eq(kwire.create_topics(c, [(T2, 1, 1, {})]), {T2: (0, None)}, "CreateTopics answer")
    p2, e2 = init_txn(c, "txp-e2e")
    add_partition(c, "txp-e2e", p2, e2)
    t.eq(kwire.produce(c, T2, {0: txn_batch(p2, e2, 0, 2, b"aborted")})[0][:2], (0, 0), "transactional 0-1")
    err, hw, lso, _, _ = fetch2(c, 0, 1)
    t.eq((err, hw, lso), (0, 2, 0), "open: LSO at its first offset")
    end_txn(c, "txp-e2e", p2, e2, False)  # marker at 2
    t.eq(kwire.produce(c, T2, {0: kwire.batch(recs(1, b"plain"))})[0][:2], (0, 3), "plain batch 3")
    add_partition(c, "txp-e2e", p2, e2)
    t.eq(kwire.produce(c, T2, {0: txn_batch(p2, e2, 2, 1, b"committed")})[0][:2], (0, 4), "transactional 4")
    end_txn(c, "txp-e2e", p2, e2, True)  # marker at 5
    err, hw, lso, aborted, batches = fetch2(c, 0, 1)
    t.eq((err, hw, lso, aborted), (0, 6, 6, [(p2, 0)]), "read_committed: HW, LSO, the aborted transaction")
    t.eq([x.base_offset for x in batches], [0, 2, 3, 4, 5], "read_committed batches (markers included)")
    t.eq([x.attributes & 0x30 for x in batches], [0x10, 0x30, 0, 0x10, 0x30], "batch attributes")
    err, hw, lso, aborted, _ = fetch2(c, 0, 0)
    t.eq((err, lso, aborted), (0, 6, None), "read_uncommitted: no list")
    err, hw, lso, aborted, _ = fetch2(c, 3, 1)
    t.eq((err, aborted), (0, []), "read_committed from 3: the abort ended before")
    t.eq(txnindex(b), {"00000000000000000000.txnindex": 34}, ".txnindex files")
    add_partition(c, "txp-e2e", p2, e2)
    t.eq(kwire.produce(c, T2, {0: txn_batch(p2, e2, 3, 1, b"open")})[0][:2], (0, 6), "transactional 6, left open")
    err, hw, lso, aborted, _ = fetch2(c, 0, 1)
    t.eq((err, hw, lso, aborted), (0, 7, 6, [(p2, 0)]), "read_committed with a transaction open")

for how in ("clean restart", "kill -9", "kill -9 with the .txnindex removed"):
    with t.step("%s: the abort list, the .txnindex and the open transaction come back" % how):
        c.close()
        if how.startswith("kill -9"):
            b.kill()
        else:
            t.eq(b.stop(), 0, "exit status")
        if how.endswith("removed"):
            os.remove(os.path.join(b.partition_dir(T2, 0), "00000000000000000000.txnindex"))
        b.start()
        c = kwire.Conn(b.host, b.port)
        err, hw, lso, aborted, batches = fetch2(c, 0, 1)
        t.eq((err, hw, lso, aborted), (0, 7, 6, [(p2, 0)]), "read_committed after the %s" % how)
        t.eq(txnindex(b), {"00000000000000000000.txnindex": 34}, ".txnindex files after the %s" % how)

c.close()
t.done()
