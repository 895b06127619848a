"""broker_groups_txn.py - transactional offsets (TxnOffsetCommit, KIP-447's
RequireStable) in the group coordinator, with raw requests written here:
TxnOffsetCommit v2 and v3 answer per partition; their offsets stay pending
(OffsetFetch keeps returning the committed ones, RequireStable answers
UNSTABLE_OFFSET_COMMIT for exactly the pending partitions, a whole-group
fetch shows only committed ones); refusals: unknown topic, metadata above
offset.metadata.max.bytes, an empty group id, an unknown member or another
generation (v3), COORDINATOR_LOAD_IN_PROGRESS while loading; the pending
offsets are still pending after a clean restart and after SIGKILL (the
transactional batch in __consumer_offsets has no marker yet); a group
holding pending offsets survives DeleteGroups' removal of its committed
ones, and expiry of them (test-only SLUICE_TEST_OFFSETS_RETENTION_MS). With the transaction coordinator: a confluent_kafka
transactional producer's send_offsets_to_transaction leaves the offsets
pending (UNSTABLE_OFFSET_COMMIT with RequireStable), commit_transaction
makes them the group's committed offsets (also for confluent_kafka's
committed()), abort_transaction drops them, and both outcomes are the same
after a clean restart and after SIGKILL.
Usage: broker_groups_txn.py BINDIR
"""
import os
import signal
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import check  # noqa: E402

t = check.Test("broker_groups_txn", budget_s=300)
import ck  # noqa: E402
import kwire  # noqa: E402
from kwire import W  # noqa: E402

TOPIC = "txg-events"
NPARTS = 3
GROUP = "txg-group"
PID, EPOCH = 4242, 0
UNKNOWN_TOPIC_OR_PARTITION = 3
OFFSET_METADATA_TOO_LARGE = 12
LOAD_IN_PROGRESS = 14
ILLEGAL_GENERATION = 22
INVALID_GROUP_ID = 24
UNKNOWN_MEMBER_ID = 25
UNSTABLE_OFFSET_COMMIT = 88


def txn_commit(conn, group, offsets, version=3, pid=PID, epoch=EPOCH, generation=-1, member="", metadata=""):
    """TxnOffsetCommit. offsets {(topic, partition): offset}. Returns
    {(topic, partition): error}."""
    topics = {}
    for (name, p), o in offsets.items():
        topics.setdefault(name, []).append((p, o))
    flex = version >= 3
    s = W.cstring if flex else W.string
    w = W()
    s(w, "txg-tx")
    s(w, group)
    w.i64(pid).i16(epoch)
    if flex:
        w.i32(generation).cstring(member).cstring(None)
        w.uvarint(len(topics) + 1)
    else:
        w.i32(len(topics))
    for name, parts in topics.items():
        s(w, name)
        if flex:
            w.uvarint(len(parts) + 1)
        else:
            w.i32(len(parts))
        for p, o in parts:
            w.i32(p).i64(o)
            if version >= 2:
                w.i32(-1)
            s(w, metadata)
            if flex:
                w.tags()
        if flex:
            w.tags()
    if flex:
        w.tags()
    r = conn.call(28, version, w.bytes(), header_version=2 if flex else 1, resp_flexible=flex)
    r.i32()
    out = {}
    arr = r.carray if flex else r.array

    def part(x):
        v = (x.i32(), x.i16())
        if flex:
            x.skip_tags()
        return v

    def topic(x):
        name = x.cstring() if flex else x.string()
        parts = (x.carray if flex else x.array)(part)
        if flex:
            x.skip_tags()
        return name, parts

    for name, parts in arr(topic):
        for p, e in parts:
            out[(name, p)] = e
    return out


def fetch(conn, group, parts, stable):
    """OffsetFetch v7 of TOPIC's partitions (None: the whole group).
    Returns (group error, {(topic, partition): (offset, error)})."""
    w = W().cstring(group)
    if parts is None:
        w.uvarint(0)
    else:
        w.uvarint(2).cstring(TOPIC).uvarint(len(parts) + 1)
        for p in parts:
            w.i32(p)
        w.tags()
    w.boolean(stable).tags()
    r = conn.call(9, 7, w.bytes(), header_version=2, resp_flexible=True)
    r.i32()
    out = {}

    def part(x):
        p, o, _ep, _m, e = x.i32(), x.i64(), x.i32(), x.cstring(), x.i16()
        x.skip_tags()
        return p, o, e

    def topic(x):
        name = x.cstring()
        ps = x.carray(part)
        x.skip_tags()
        return name, ps

    for name, ps in r.carray(topic):
        for p, o, e in ps:
            out[(name, p)] = (o, e)
    err = r.i16()
    return err, out


def plain_commit(bootstrap, group, offsets):
    c = ck.consumer(bootstrap, **{"group.id": group})
    try:
        c.commit(offsets=[ck.TopicPartition(TOPIC, p, o) for p, o in offsets.items()], asynchronous=False)
    finally:
        c.close()


def tp(p):
    return (TOPIC, p)


b = t.broker(config={"group.initial.rebalance.delay.ms": "0"})
B = b.bootstrap
conn = kwire.Conn(b.host, b.port)

with t.step("create the topic; a plain commit of partition 0"):
    ck.create_topics(B, [(TOPIC, NPARTS, {})])
    plain_commit(B, GROUP, {0: 5})
    t.eq(fetch(conn, GROUP, [0, 1, 2], False),
         (0, {tp(0): (5, 0), tp(1): (-1, 0), tp(2): (-1, 0)}), "offsets before the transaction")

with t.step("TxnOffsetCommit v3 of partitions 0 and 1 succeeds; the offsets stay pending"):
    t.eq(txn_commit(conn, GROUP, {tp(0): 10, tp(1): 11}), {tp(0): 0, tp(1): 0}, "TxnOffsetCommit v3 errors")
    t.eq(fetch(conn, GROUP, [0, 1, 2], False),
         (0, {tp(0): (5, 0), tp(1): (-1, 0), tp(2): (-1, 0)}), "OffsetFetch without RequireStable")
    t.eq(fetch(conn, GROUP, [0, 1, 2], True),
         (0, {tp(0): (-1, UNSTABLE_OFFSET_COMMIT), tp(1): (-1, UNSTABLE_OFFSET_COMMIT), tp(2): (-1, 0)}),
         "OffsetFetch with RequireStable")
    t.eq(fetch(conn, GROUP, None, True), (0, {tp(0): (5, 0)}), "the whole group's committed offsets")

with t.step("TxnOffsetCommit v2 of another producer, for a new group"):
    t.eq(txn_commit(conn, "txg-other", {tp(2): 7}, version=2, pid=PID + 1), {tp(2): 0}, "v2 errors")
    t.eq(fetch(conn, "txg-other", [2], True), (0, {tp(2): (-1, UNSTABLE_OFFSET_COMMIT)}), "v2's pending offset")
    t.eq(fetch(conn, "txg-other", [2], False), (0, {tp(2): (-1, 0)}), "not committed")

with t.step("refusals: unknown partition, metadata too large, empty group id, unknown member, generation"):
    t.eq(txn_commit(conn, GROUP, {("txg-none", 0): 1, tp(9): 1}),
         {("txg-none", 0): UNKNOWN_TOPIC_OR_PARTITION, tp(9): UNKNOWN_TOPIC_OR_PARTITION}, "unknown partitions")
    t.eq(txn_commit(conn, GROUP, {tp(2): 1}, metadata="m" * 4097), {tp(2): OFFSET_METADATA_TOO_LARGE},
         "metadata above offset.metadata.max.bytes")
    t.eq(txn_commit(conn, "", {tp(2): 1}), {tp(2): INVALID_GROUP_ID}, "empty group id")
    t.eq(txn_commit(conn, GROUP, {tp(2): 1}, generation=1, member="nobody"), {tp(2): UNKNOWN_MEMBER_ID},
         "a member the group does not have")
    t.eq(fetch(conn, GROUP, [2], True), (0, {tp(2): (-1, 0)}), "nothing refused became pending")

with t.step("a group member's TxnOffsetCommit v3 is checked against its generation"):
    c = ck.consumer(B, **{"group.id": "txg-member", "session.timeout.ms": 6000, "heartbeat.interval.ms": 500})
    try:
        c.subscribe([TOPIC])
        end = time.monotonic() + 40
        while time.monotonic() < end and not c.assignment():
            c.poll(0.2)
        t.expect(len(c.assignment()) == NPARTS, "txg-member never got its assignment")
        # the member id from DescribeGroups v0 (librdkafka does not expose it)
        r = conn.call(15, 0, W().i32(1).string("txg-member").bytes())
        groups = r.array(lambda x: (x.i16(), x.string(), x.string(), x.string(), x.string(),
                                    x.array(lambda y: (y.string(), y.string(), y.string(), y.bytes_(),
                                                       y.bytes_()))))
        t.eq(len(groups[0][5]), 1, "members of txg-member")
        member = groups[0][5][0][0]
        t.eq(txn_commit(conn, "txg-member", {tp(0): 3}, generation=99, member=member), {tp(0): ILLEGAL_GENERATION},
             "another generation")
        gen = None
        for g in range(1, 6):
            if txn_commit(conn, "txg-member", {tp(0): 3}, generation=g, member=member) == {tp(0): 0}:
                gen = g
                break
        t.expect(gen is not None, "no generation 1..5 was accepted for the member")
        t.eq(fetch(conn, "txg-member", [0], True), (0, {tp(0): (-1, UNSTABLE_OFFSET_COMMIT)}), "member's pending")
    finally:
        c.close()

with t.step("pending offsets are pending again after a clean restart"):
    b.stop()
    b.start()
    conn = kwire.Conn(b.host, b.port)
    t.eq(fetch(conn, GROUP, [0, 1, 2], True),
         (0, {tp(0): (-1, UNSTABLE_OFFSET_COMMIT), tp(1): (-1, UNSTABLE_OFFSET_COMMIT), tp(2): (-1, 0)}),
         "RequireStable after the restart")
    t.eq(fetch(conn, GROUP, [0, 1], False), (0, {tp(0): (5, 0), tp(1): (-1, 0)}), "committed after the restart")

with t.step("... and after SIGKILL, with COORDINATOR_LOAD_IN_PROGRESS while the loader is held back"):
    b.kill()
    os.environ["SLUICE_TEST_OFFSETS_LOAD_DELAY_MS"] = "3000"
    try:
        b.start()
    finally:
        del os.environ["SLUICE_TEST_OFFSETS_LOAD_DELAY_MS"]
    conn = kwire.Conn(b.host, b.port)
    t.eq(txn_commit(conn, GROUP, {tp(2): 1}), {tp(2): LOAD_IN_PROGRESS}, "TxnOffsetCommit while loading")
    got = None
    for _ in range(100):
        got = fetch(conn, GROUP, [0, 1], True)
        if got[0] != LOAD_IN_PROGRESS and all(e != LOAD_IN_PROGRESS for _o, e in got[1].values()):
            break
        time.sleep(0.1)
    t.eq(got, (0, {tp(0): (-1, UNSTABLE_OFFSET_COMMIT), tp(1): (-1, UNSTABLE_OFFSET_COMMIT)}),
         "RequireStable after SIGKILL")

with t.step("DeleteGroups removes the committed offsets, not the pending ones"):
    r = conn.call(42, 0, W().i32(1).string(GROUP).bytes())
    r.i32()
    t.eq(r.array(lambda x: (x.string(), x.i16())), [(GROUP, 0)], "DeleteGroups")
    t.eq(fetch(conn, GROUP, [0, 1], False), (0, {tp(0): (-1, 0), tp(1): (-1, 0)}), "committed after DeleteGroups")
    t.eq(fetch(conn, GROUP, [0, 1], True),
         (0, {tp(0): (-1, UNSTABLE_OFFSET_COMMIT), tp(1): (-1, UNSTABLE_OFFSET_COMMIT)}), "still pending")

CK_GROUP = "txg-ck"


def ck_txn(txnid, offsets, commit_it):
    """A transaction of a confluent_kafka producer that only sends offsets
    {partition: offset} of TOPIC for CK_GROUP; checks they are pending
    before the end, then commits or aborts."""
    p = ck.producer(B, **{"transactional.id": txnid})
    c = ck.consumer(B, **{"group.id": CK_GROUP})
    try:
        p.init_transactions(30)
        p.begin_transaction()
        p.send_offsets_to_transaction([ck.TopicPartition(TOPIC, q, o) for q, o in offsets.items()],
                                      c.consumer_group_metadata(), 30)
        got = fetch(conn, CK_GROUP, sorted(offsets), True)
        t.eq(got, (0, {tp(q): (-1, UNSTABLE_OFFSET_COMMIT) for q in offsets}),
             "pending before the end of %s" % txnid)
        if commit_it:
            p.commit_transaction(30)
        else:
            p.abort_transaction(30)
    finally:
        c.close()


def ck_committed(parts):
    c = ck.consumer(B, **{"group.id": CK_GROUP, "isolation.level": "read_committed"})
    try:
        got = c.committed([ck.TopicPartition(TOPIC, q) for q in parts], timeout=20)
        return {x.partition: x.offset for x in got}
    finally:
        c.close()


WANT_CK = (0, {tp(0): (21, 0), tp(1): (22, 0), tp(2): (-1, 0)})

with t.step("confluent_kafka: send_offsets_to_transaction then commit_transaction makes them visible"):
    ck_txn("txg-ck-commit", {0: 21, 1: 22}, True)
    got = None
    for _ in range(50):  # the markers are written before EndTxn answers; allow a moment all the same
        got = fetch(conn, CK_GROUP, [0, 1, 2], True)
        if got == WANT_CK:
            break
        time.sleep(0.1)
    t.eq(got, WANT_CK, "offsets after commit_transaction (RequireStable)")
    t.eq(ck_committed([0, 1]), {0: 21, 1: 22}, "confluent_kafka committed() after the commit")

with t.step("confluent_kafka: abort_transaction drops them"):
    ck_txn("txg-ck-abort", {1: 90, 2: 91}, False)
    got = None
    for _ in range(50):
        got = fetch(conn, CK_GROUP, [0, 1, 2], True)
        if got == WANT_CK:
            break
        time.sleep(0.1)
    t.eq(got, WANT_CK, "offsets after abort_transaction (RequireStable)")

with t.step("committed and aborted transactions load the same after a clean restart and after SIGKILL"):
    b.stop()
    b.start()
    conn = kwire.Conn(b.host, b.port)
    t.eq(fetch(conn, CK_GROUP, [0, 1, 2], True), WANT_CK, "after a clean restart")
    b.kill()
    b.start()
    conn = kwire.Conn(b.host, b.port)
    got = None
    for _ in range(100):
        got = fetch(conn, CK_GROUP, [0, 1, 2], True)
        if got[0] != LOAD_IN_PROGRESS and all(e != LOAD_IN_PROGRESS for _o, e in got[1].values()):
            break
        time.sleep(0.1)
    t.eq(got, WANT_CK, "after SIGKILL")
    t.eq(ck_committed([0, 1, 2]), {0: 21, 1: 22, 2: -1001}, "confluent_kafka committed() after SIGKILL")

def list_groups(conn):
    r = conn.call(16, 0, b"")
    err = r.i16()
    return err, sorted(g for g, _pt in r.array(lambda x: (x.string(), x.string())))


with t.step("expiry removes a group's committed offsets but keeps the group while offsets are pending"):
    os.environ["SLUICE_TEST_OFFSETS_RETENTION_MS"] = "1000"
    e = t.broker(config={"group.initial.rebalance.delay.ms": "0"},
                 overrides=["offsets.retention.check.interval.ms=200"])
    del os.environ["SLUICE_TEST_OFFSETS_RETENTION_MS"]
    econn = kwire.Conn(e.host, e.port)
    ck.create_topics(e.bootstrap, [(TOPIC, NPARTS, {})])
    plain_commit(e.bootstrap, "txg-exp", {0: 3})
    plain_commit(e.bootstrap, "txg-exp-plain", {0: 4})
    t.eq(txn_commit(econn, "txg-exp", {tp(1): 6}), {tp(1): 0}, "TxnOffsetCommit")
    got = None
    for _ in range(100):  # expiry runs every 200 ms; 1 s retention
        got = list_groups(econn)
        if "txg-exp-plain" not in got[1]:
            break
        time.sleep(0.1)
    t.eq(got, (0, ["txg-exp"]), "groups once the plain group expired")
    t.eq(fetch(econn, "txg-exp", [0, 1], True), (0, {tp(0): (-1, 0), tp(1): (-1, UNSTABLE_OFFSET_COMMIT)}),
         "the committed offset expired, the pending one stays")

t.done()
