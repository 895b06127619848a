"""broker_txn_coord.py - the transaction coordinator of sluiced through raw
requests (kwire): FindCoordinator for a transactional id, InitProducerId
with a transactional id (timeout checks, epoch bumps fencing the previous
producer, PRODUCER_FENCED or INVALID_PRODUCER_EPOCH by version),
AddPartitionsToTxn (missing partitions, OPERATION_NOT_ATTEMPTED),
AddOffsetsToTxn, EndTxn commit and abort with their markers in the
partitions and their retries, a new producer aborting the ongoing
transaction (CONCURRENT_TRANSACTIONS, then an epoch two above),
DescribeTransactions and ListTransactions (state and producer id filters),
and after a restart: the ids reloaded from __transaction_state, an Ongoing
transaction aborted by its timeout at a bumped epoch, and an idle id
expired.
Usage: broker_txn_coord.py BINDIR
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "lib"))
import check  # noqa: E402
import kwire  # noqa: E402
from kwire import W  # noqa: E402

t = check.Test("broker_txn_coord", budget_s=240)

NONE, UNKNOWN_TOPIC, INVALID_REQUEST = 0, 3, 42
INVALID_PRODUCER_EPOCH, INVALID_TXN_STATE, INVALID_TIMEOUT = 47, 48, 50
CONCURRENT, NOT_ATTEMPTED, PRODUCER_FENCED, NOT_FOUND = 51, 55, 90, 105
MAX_TIMEOUT = 60000

CONFIG = {"transaction.state.log.num.partitions": "3", "offsets.topic.num.partitions": "3",
          "transaction.max.timeout.ms": str(MAX_TIMEOUT)}
b = t.broker(config=CONFIG, overrides=["transaction.abort.timed.out.transaction.cleanup.interval.ms=300"])
conn = kwire.Conn(b.host, b.port)


def find_coordinator(key, key_type=1):
    r = conn.call(10, 1, W().string(key).i8(key_type).bytes())
    r.i32()
    err, _msg, node, _host, port = r.i16(), r.string(), r.i32(), r.string(), r.i32()
    return err, node, port


def init_pid(txnid, timeout_ms=MAX_TIMEOUT, version=1, pid=-1, epoch=-1):
    if version >= 2:  # flexible
        w = W().cstring(txnid).i32(timeout_ms)
        if version >= 3:
            w.i64(pid).i16(epoch)
        r = conn.call(22, version, w.tags().bytes(), header_version=2, resp_flexible=True)
    else:
        r = conn.call(22, version, W().string(txnid).i32(timeout_ms).bytes())
    r.i32()
    return r.i16(), r.i64(), r.i16()


def add_partitions(txnid, pid, epoch, topics, version=1):
    w = W().string(txnid).i64(pid).i16(epoch).i32(len(topics))
    for name, parts in topics.items():
        w.string(name).i32(len(parts))
        for p in parts:
            w.i32(p)
    r = conn.call(24, version, w.bytes())
    r.i32()
    out = {}
    for _ in range(r.i32()):
        name = r.string()
        for _p in range(r.i32()):
            p, err = r.i32(), r.i16()
            out[(name, p)] = err
    return out


def add_offsets(txnid, pid, epoch, group):
    r = conn.call(25, 1, W().string(txnid).i64(pid).i16(epoch).string(group).bytes())
    r.i32()
    return r.i16()


def end_txn(txnid, pid, epoch, commit, version=1):
    r = conn.call(26, version, W().string(txnid).i64(pid).i16(epoch).boolean(commit).bytes())
    r.i32()
    return r.i16()


def carray(r, fn):
    return [fn(r) for _ in range((r.uvarint() or 1) - 1)]


def describe(*ids):
    w = W().uvarint(len(ids) + 1)
    for i in ids:
        w.cstring(i)
    r = conn.call(65, 0, w.tags().bytes(), header_version=2, resp_flexible=True)
    r.i32()
    out = {}

    def topic(x):
        name, parts = x.cstring(), carray(x, lambda y: y.i32())
        x.skip_tags()
        return name, parts

    for _ in range((r.uvarint() or 1) - 1):
        err, txnid, state, timeout, start, pid, epoch = (r.i16(), r.cstring(), r.cstring(), r.i32(), r.i64(),
                                                         r.i64(), r.i16())
        parts = set()
        for name, ps in carray(r, topic):
            parts.update((name, p) for p in ps)
        r.skip_tags()
        out[txnid] = {"error": err, "state": state, "timeout": timeout, "start": start, "pid": pid,
                      "epoch": epoch, "partitions": parts}
    return out


def list_txns(states=(), pids=()):
    w = W().uvarint(len(states) + 1)
    for s in states:
        w.cstring(s)
    w.uvarint(len(pids) + 1)
    for p in pids:
        w.i64(p)
    r = conn.call(66, 0, w.tags().bytes(), header_version=2, resp_flexible=True)
    r.i32()
    err = r.i16()
    unknown = carray(r, lambda x: x.cstring())

    def state(x):
        v = (x.cstring(), x.i64(), x.cstring())
        x.skip_tags()
        return v

    return err, unknown, {i: (p, s) for i, p, s in carray(r, state)}


def control_batches(topic, part):
    got = kwire.fetch(conn, topic, {part: (0, 1 << 20)})[part]
    return [bt for bt in kwire.read_batches(got[2]) if bt.attributes & 0x20]


def wait_for(what, fn, secs=30):
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    raise check.Failed("timed out waiting for " + what)


def retry_init(txnid, secs=30, **kw):
    """InitProducerId until the coordinator has loaded (bounded)."""
    deadline = time.monotonic() + secs
    while True:
        res = init_pid(txnid, **kw)
        if res[0] not in (14, 51) or time.monotonic() > deadline:  # load in progress, concurrent
            return res
        time.sleep(0.1)


with t.step("a topic and FindCoordinator for a transactional id"):
    res = kwire.create_topics(conn, [("tc-a", 2, 1, {}), ("tc-b", 1, 1, {})])
    t.eq(res, {"tc-a": (0, None), "tc-b": (0, None)}, "topics created")
    err, node, port = find_coordinator("t1")
    t.eq((err, node, port), (NONE, b.node_id, b.port), "the coordinator of t1")
    t.eq(find_coordinator("")[0], INVALID_REQUEST, "an empty transactional id")

with t.step("InitProducerId: timeout checks, a new id, a second producer fences the first"):
    t.eq(init_pid("t1", timeout_ms=0)[0], INVALID_TIMEOUT, "timeout 0")
    t.eq(init_pid("t1", timeout_ms=MAX_TIMEOUT + 1)[0], INVALID_TIMEOUT, "timeout above the maximum")
    t.eq(init_pid("", version=1)[0], INVALID_REQUEST, "an empty transactional id")
    err, pid, epoch = retry_init("t1")
    t.eq((err, epoch), (NONE, 0), "a new transactional id starts at epoch 0")
    t.expect(pid >= 0, "a producer id")
    err, pid2, epoch2 = init_pid("t1")
    t.eq((err, pid2, epoch2), (NONE, pid, 1), "the second producer gets epoch 1")
    t.eq(add_partitions("t1", pid, 0, {"tc-a": [0]}, version=1), {("tc-a", 0): INVALID_PRODUCER_EPOCH},
         "the first producer is fenced (v1)")
    t.eq(add_partitions("t1", pid, 0, {"tc-a": [0]}, version=2), {("tc-a", 0): PRODUCER_FENCED},
         "the first producer is fenced (v2)")
    t.eq(end_txn("t1", pid, 0, True, version=2), PRODUCER_FENCED, "EndTxn of the fenced producer")
    t.eq(end_txn("t1", pid + 1000, 1, True), 49, "EndTxn of another producer id")
    t.eq(end_txn("nobody", pid, 1, True), 49, "EndTxn of an unknown transactional id")
    # KIP-360: the producer names its id and epoch (v3): bumped once
    err, pid3, epoch3 = init_pid("t1", version=3, pid=pid, epoch=1)
    t.eq((err, pid3, epoch3), (NONE, pid, 2), "KIP-360 bump")
    t.eq(init_pid("t1", version=3, pid=pid, epoch=0)[0], INVALID_PRODUCER_EPOCH, "an old epoch, v3")
    t.eq(init_pid("t1", version=4, pid=pid, epoch=0)[0], PRODUCER_FENCED, "an old epoch, v4")
    epoch = 2

with t.step("AddPartitionsToTxn and AddOffsetsToTxn; Describe/ListTransactions show them"):
    res = add_partitions("t1", pid, epoch, {"tc-a": [0, 7], "nope": [0]})
    t.eq(res, {("tc-a", 0): NOT_ATTEMPTED, ("tc-a", 7): UNKNOWN_TOPIC, ("nope", 0): UNKNOWN_TOPIC},
         "missing partitions answered, the rest not attempted")
    t.eq(describe("t1")["t1"]["state"], "Empty", "nothing was added")
    res = add_partitions("t1", pid, epoch, {"tc-a": [0, 1], "tc-b": [0]})
    t.eq(set(res.values()), {NONE}, "partitions added")
    t.eq(add_offsets("t1", pid, epoch, "grp"), NONE, "offsets added")
    d = describe("t1", "unknown-id")
    t.eq(d["unknown-id"]["error"], NOT_FOUND, "an unknown id")
    d1 = d["t1"]
    t.eq((d1["error"], d1["state"], d1["pid"], d1["epoch"], d1["timeout"]),
         (NONE, "Ongoing", pid, epoch, MAX_TIMEOUT), "t1 described")
    names = {n for n, _p in d1["partitions"]}
    t.eq(names, {"tc-a", "tc-b", "__consumer_offsets"}, "its partitions")
    t.eq(len(d1["partitions"]), 4, "four partitions")
    t.expect(d1["start"] > 0, "a start time")
    err, unknown, ls = list_txns()
    t.eq((err, unknown, ls.get("t1")), (NONE, [], (pid, "Ongoing")), "listed")
    t.eq(list_txns(states=["Ongoing", "Bogus"])[1:], (["Bogus"], {"t1": (pid, "Ongoing")}), "state filter")
    t.eq(list_txns(states=["Empty"])[2], {}, "another state")
    t.eq(list_txns(pids=[pid + 1])[2], {}, "another producer id")
    t.eq(list_txns(pids=[pid])[2], {"t1": (pid, "Ongoing")}, "its producer id")

with t.step("EndTxn commit: markers in every partition, retries, then an abort"):
    before = len(control_batches("tc-a", 0))
    t.eq(end_txn("t1", pid, epoch, True), NONE, "committed")
    t.eq(describe("t1")["t1"]["state"], "CompleteCommit", "complete")
    t.eq(describe("t1")["t1"]["partitions"], set(), "no partitions left")
    for topic, p in (("tc-a", 0), ("tc-a", 1), ("tc-b", 0)):
        t.eq(len(control_batches(topic, p)), before + 1 if (topic, p) == ("tc-a", 0) else 1,
             "a marker in %s-%d" % (topic, p))
    t.eq(end_txn("t1", pid, epoch, True), NONE, "a retried commit")
    t.eq(end_txn("t1", pid, epoch, False), INVALID_TXN_STATE, "an abort after the commit")
    t.eq(set(add_partitions("t1", pid, epoch, {"tc-b": [0]}).values()), {NONE}, "the next transaction")
    t.eq(end_txn("t1", pid, epoch, False), NONE, "aborted")
    t.eq(describe("t1")["t1"]["state"], "CompleteAbort", "complete abort")
    t.eq(len(control_batches("tc-b", 0)), 2, "its marker")

with t.step("a new producer aborts the ongoing transaction, then gets an epoch two above"):
    t.eq(set(add_partitions("t1", pid, epoch, {"tc-a": [1]}).values()), {NONE}, "ongoing")
    err, _p, _e = init_pid("t1")
    t.eq(err, CONCURRENT, "the client is told to retry while the abort completes")
    t.eq(describe("t1")["t1"]["state"], "CompleteAbort", "the ongoing transaction was aborted")
    t.eq(len(control_batches("tc-a", 1)), 2, "its marker")
    err, pid4, epoch4 = retry_init("t1")
    t.eq((err, pid4, epoch4), (NONE, pid, epoch + 2), "epoch two above")
    t.eq(end_txn("t1", pid, epoch + 1, True, version=1), INVALID_PRODUCER_EPOCH, "the fencing epoch is not usable")
    epoch += 2

with t.step("restart: ids reloaded, an Ongoing transaction aborted by its timeout"):
    err, tpid, tepoch = retry_init("t-short", timeout_ms=1500)
    t.eq(err, NONE, "t-short")
    t.eq(set(add_partitions("t-short", tpid, tepoch, {"tc-b": [0]}).values()), {NONE}, "t-short ongoing")
    conn.close()
    t.eq(b.stop(), 0, "clean stop")
    b.start()
    conn = kwire.Conn(b.host, b.port)
    d = wait_for("the coordinator to load", lambda: (lambda x: x if x["t1"]["error"] != 14 else None)(
        describe("t1", "t-short")))
    t.eq((d["t1"]["state"], d["t1"]["pid"], d["t1"]["epoch"]), ("Empty", pid, epoch), "t1 reloaded")
    d = wait_for("t-short to be aborted", lambda: (lambda x: x if x["state"] == "CompleteAbort" else None)(
        describe("t-short")["t-short"]))
    t.eq(d["epoch"], tepoch + 1, "aborted at a bumped epoch (the zombie is fenced)")
    t.eq(end_txn("t-short", tpid, tepoch, True, version=2), PRODUCER_FENCED, "the zombie's commit")
    t.eq(len(control_batches("tc-b", 0)), 3, "its abort marker")

with t.step("idle transactional ids expire"):
    conn.close()
    t.eq(b.stop(), 0, "clean stop")
    b.overrides += ["transactional.id.expiration.ms=1000",
                    "transaction.remove.expired.transaction.cleanup.interval.ms=300"]
    b.start()
    conn = kwire.Conn(b.host, b.port)
    wait_for("t1 to expire", lambda: describe("t1")["t1"]["error"] == NOT_FOUND)
    wait_for("t-short to expire too", lambda: list_txns()[2] == {})
    err, npid, nepoch = retry_init("t1")
    t.eq((err, nepoch), (NONE, 0), "t1 starts anew")
    t.expect(npid != pid, "with a new producer id")

conn.close()
t.done()
