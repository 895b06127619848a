"""broker_groups.py - consumer groups with confluent_kafka (librdkafka)
against sluiced: three consumers subscribed in one group to a 6-partition
topic get two partitions each (range assignor) and read every message
between them; their committed offsets are what OffsetFetch returns, also
after a broker restart; when one consumer closes (LeaveGroup), its
partitions move to the other two; ListGroups and DescribeGroups show the
group; a consumer using assign() commits without membership in an empty
group; DeleteGroups refuses a group with members and drops the offsets of
an empty one; a static member (group.instance.id) that restarts gets its
partitions back without a rebalance.
Usage: broker_groups.py BINDIR
"""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import check  # noqa: E402

t = check.Test("broker_groups", budget_s=240)
import ck  # noqa: E402
from ck import TopicPartition  # noqa: E402

b = t.broker(config={"group.initial.rebalance.delay.ms": "500"})
B = b.bootstrap
TOPIC = "grp-events"
NPARTS = 6
PER_PART = 50
GROUP = "grp-three"
members = {}


def member(name):
    c = ck.consumer(B, **{"group.id": GROUP, "client.id": name, "session.timeout.ms": 6000,
                          "heartbeat.interval.ms": 500, "partition.assignment.strategy": "range",
                          "auto.offset.reset": "earliest", "enable.partition.eof": False})
    c.subscribe([TOPIC])
    members[name] = c
    return c


def assignments(consumers, want, timeout=40):
    """Polls every consumer until their assignments have the sizes in want
    (sorted), or timeout. Returns {name: [partitions]} and the messages seen."""
    seen = {}
    end = time.monotonic() + timeout
    got = {}
    while time.monotonic() < end:
        for name, c in consumers.items():
            m = c.poll(0.1)
            if m is not None and m.error() is None:
                seen[(m.partition(), m.offset())] = name
            got[name] = sorted(tp.partition for tp in c.assignment())
        if sorted(len(v) for v in got.values()) == want and \
                sorted(p for v in got.values() for p in v) == list(range(NPARTS)):
            return got, seen
    return got, seen


def err_name(e):
    """kafka-python's admin results hold error classes (or instances)."""
    return e.__name__ if isinstance(e, type) else type(e).__name__


def committed(group, timeout=20):
    c = ck.consumer(B, **{"group.id": group})
    try:
        tps = c.committed([TopicPartition(TOPIC, p) for p in range(NPARTS)], timeout=timeout)
        return {tp.partition: tp.offset for tp in tps}
    finally:
        c.close()


with t.step("a 6-partition topic with %d messages in each partition" % PER_PART):
    ck.create_topics(B, [(TOPIC, NPARTS, {})])
    p = ck.producer(B)
    ck.produce_all(p, [{"topic": TOPIC, "partition": i % NPARTS, "value": b"m%d" % i}
                       for i in range(NPARTS * PER_PART)])

with t.step("three consumers in one group get two partitions each and read everything"):
    for n in ("c1", "c2", "c3"):
        member(n)
    got, seen = assignments(members, [2, 2, 2])
    t.eq(sorted(len(v) for v in got.values()), [2, 2, 2], "partitions per consumer (%s)" % got)
    # range: consecutive pairs
    t.eq(sorted(tuple(v) for v in got.values()), [(0, 1), (2, 3), (4, 5)], "range assignment")
    end = time.monotonic() + 30
    while len(seen) < NPARTS * PER_PART and time.monotonic() < end:
        for name, c in members.items():
            m = c.poll(0.05)
            if m is not None and m.error() is None:
                seen[(m.partition(), m.offset())] = name
    t.eq(len(seen), NPARTS * PER_PART, "messages read by the group")
    for (part, _off), name in seen.items():
        t.expect(part in got[name], "partition %d read by %s, assigned %s" % (part, name, got[name]))

with t.step("commits of the group are what OffsetFetch returns"):
    for c in members.values():
        c.commit(asynchronous=False)
    t.eq(committed(GROUP), {p: PER_PART for p in range(NPARTS)}, "committed offsets")

with t.step("one consumer closes: its partitions move to the other two"):
    gone = sorted(members)[0]
    members.pop(gone).close()
    got, _ = assignments(members, [3, 3])
    t.eq(sorted(len(v) for v in got.values()), [3, 3], "partitions per consumer after %s left (%s)" % (gone, got))

with t.step("ListGroups/DescribeGroups (AdminClient.list_groups): the group is Stable with two members, hosts given"):
    groups = {g.id: g for g in ck.admin(B).list_groups(timeout=20)}
    t.expect(GROUP in groups, "group missing from ListGroups: %s" % sorted(groups))
    g = ck.admin(B).list_groups(GROUP, timeout=20)[0]
    t.eq((g.state, g.protocol_type, g.protocol), ("Stable", "consumer", "range"), "state, type, protocol")
    t.eq(sorted(m.client_id for m in g.members), sorted(members), "member client ids")
    t.eq(sorted(m.client_host for m in g.members), ["/127.0.0.1"] * len(members),
         "member hosts (Kafka's form: the client's address)")
    t.expect(all(len(m.assignment) > 0 and len(m.metadata) > 0 for m in g.members),
             "members carry subscription and assignment bytes")

with t.step("DeleteGroups (kafka-python) refuses a group with members"):
    from kafka import KafkaAdminClient  # noqa: E402
    ka = KafkaAdminClient(bootstrap_servers=B, request_timeout_ms=20000)
    res = dict(ka.delete_consumer_groups([GROUP]))
    ka.close()
    t.eq(err_name(res[GROUP]), "NonEmptyGroupError", "error for a group with members")
    for c in members.values():
        c.close()
    members.clear()

with t.step("commit without membership (assign, generation -1) while the group is empty"):
    c = ck.consumer(B, **{"group.id": "grp-assign"})
    c.commit(offsets=[TopicPartition(TOPIC, 0, 7), TopicPartition(TOPIC, 5, 11)], asynchronous=False)
    c.close()
    got = committed("grp-assign")
    t.eq((got[0], got[5], got[1]), (7, 11, -1001), "committed offsets (-1001: none)")

with t.step("committed offsets survive a broker restart"):
    t.eq(b.stop(), 0, "exit status")
    b.start()
    t.eq(committed(GROUP), {p: PER_PART for p in range(NPARTS)}, "committed offsets of %s" % GROUP)
    got = committed("grp-assign")
    t.eq((got[0], got[5]), (7, 11), "committed offsets of grp-assign")

with t.step("a new member after the restart resumes at the committed offsets (nothing to read)"):
    c = member("c4")
    got, seen = assignments({"c4": c}, [6], timeout=30)
    t.eq(got.get("c4"), list(range(NPARTS)), "assignment of the only member")
    t.eq(len(seen), 0, "messages read again after the commit")
    c.close()
    members.clear()

with t.step("DeleteGroups of an empty group drops its offsets, also across a restart"):
    from kafka import KafkaAdminClient  # noqa: E402
    ka = KafkaAdminClient(bootstrap_servers=B, request_timeout_ms=20000)
    res = dict(ka.delete_consumer_groups(["grp-assign", "no-such-group"]))
    ka.close()
    t.eq(err_name(res["grp-assign"]), "NoError", "error for grp-assign")
    t.eq(err_name(res["no-such-group"]), "GroupIdNotFoundError", "error for an unknown group")
    t.eq(committed("grp-assign")[0], -1001, "offset after delete")
    t.eq(b.stop(), 0, "exit status")
    b.start()
    t.eq(committed("grp-assign")[0], -1001, "offset after delete and restart")
    t.eq(committed(GROUP), {p: PER_PART for p in range(NPARTS)}, "the other group keeps its offsets")

with t.step("static members (group.instance.id): one restarts and gets its partitions back, no rebalance"):
    revoked = []

    def static(name, on_revoke=None):
        c = ck.consumer(B, **{"group.id": "grp-static", "group.instance.id": name, "client.id": name,
                              "session.timeout.ms": 6000, "heartbeat.interval.ms": 500,
                              "partition.assignment.strategy": "range", "auto.offset.reset": "earliest",
                              "enable.partition.eof": False})
        if on_revoke:
            c.subscribe([TOPIC], on_revoke=on_revoke)
        else:
            c.subscribe([TOPIC])
        return c

    s1 = static("s1", on_revoke=lambda c, parts: revoked.append(len(parts)))
    s2 = static("s2")
    got, _ = assignments({"s1": s1, "s2": s2}, [3, 3])
    t.eq(sorted(len(v) for v in got.values()), [3, 3], "partitions per static member (%s)" % got)
    before = got["s2"]
    revoked_before = len(revoked)
    s2.close()  # a static member does not leave on close
    s2 = static("s2")
    got2, _ = assignments({"s1": s1, "s2": s2}, [3, 3], timeout=20)
    t.eq(got2.get("s2"), before, "partitions of s2 after its restart")
    t.eq(got2.get("s1"), got["s1"], "partitions of s1")
    t.eq(len(revoked), revoked_before, "revocations seen by s1 during s2's restart")
    s1.close()
    s2.close()

t.done()
