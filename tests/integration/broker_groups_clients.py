"""broker_groups_clients.py - consumer groups driven by kafka-python and
kafkajs against sluiced, and a group shared by two client libraries.

kafka-python (Debian's python3-kafka 2.0.2), once per assignor it has (range,
roundrobin, sticky): three KafkaConsumers in one group, each in its own
thread, on a 6-partition topic get two partitions each; every message
produced before is processed by exactly one member, which commits (sync)
after each poll; when one member closes (LeaveGroup) the other two take its
partitions and read what comes next; once all are closed, a new member
resumes at the committed offsets (nothing read twice, nothing lost); the
KafkaAdminClient's list_consumer_group_offsets, describe_consumer_groups and
list_consumer_groups show the group and its offsets.
kafkajs 2.2.4: broker_groups_kafkajs.js does the same with three kafkajs
consumers (default assignor, eachMessage, auto commit) and admin
fetchOffsets / describeGroups / listGroups; each of its steps is a step here.
Mixed: a kafka-python and a confluent_kafka consumer, both with the "range"
assignor, share one group's partitions.
Usage: broker_groups_clients.py BINDIR
"""
import json
import os
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "lib"))
import check  # noqa: E402

t = check.Test("broker_groups_clients", budget_s=170)
import ck  # noqa: E402
from ck import KafkaError  # noqa: E402
from confluent_kafka import KafkaException  # noqa: E402

try:
    from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
    from kafka.coordinator.assignors.sticky.sticky_assignor import StickyAssignorUserDataV1, StickyPartitionAssignor
    from kafka.coordinator.protocol import ConsumerProtocolMemberMetadata
    from kafka.errors import CommitFailedError
except ImportError as e:  # a missing client is a failure, never a skip
    raise check.Failed("python3-kafka (with its sticky assignor) is not importable by %s (make deps): %s"
                       % (sys.executable, e))

# Kafka's default group.min.session.timeout.ms (6000) allows the 6000 ms
# sessions used here; no wait for more members before the first assignment.
b = t.broker(overrides=["group.initial.rebalance.delay.ms=0"])
B = b.bootstrap
NPARTS = 6
PER = 20  # messages per partition and batch
SESSION_MS = 6000


def wait_until(cond, timeout, step=0.05):
    """Calls cond() until it is true or timeout seconds pass; returns its last value."""
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


def produce_batch(topic, batch, tag):
    """PER messages into each partition; values say batch, partition and index."""
    ck.produce_all(ck.producer(B), [{"topic": topic, "partition": p, "value": b"%s-%d-%d-%d" % (tag, batch, p, i)}
                                    for i in range(PER) for p in range(NPARTS)])


class KPMember(threading.Thread):
    """One kafka-python KafkaConsumer in a group, polled by its own thread:
    it records what it processed and commits synchronously after each poll
    that returned records. stop() closes it (LeaveGroup). Bounded: the
    thread ends by itself after max_s seconds."""

    def __init__(self, name, group, topic, assignor, max_s=90):
        super().__init__(name=name, daemon=True)
        self.group, self.topic, self.assignor, self.max_s = group, topic, assignor, max_s
        self.lock = threading.Lock()
        self.assignment = []
        self.processed = []  # (partition, offset, value)
        self.committed = {}  # partition -> offset committed by this member
        self.commit_failures = []  # [(partition, offset)] processed but not committed
        self.error = None
        self.closed = False
        self._halt = threading.Event()
        self.start()

    def run(self):
        try:
            c = KafkaConsumer(bootstrap_servers=B, group_id=self.group, client_id=self.name,
                              partition_assignment_strategy=[self.assignor],
                              session_timeout_ms=SESSION_MS, heartbeat_interval_ms=500,
                              enable_auto_commit=False, auto_offset_reset="earliest",
                              max_poll_records=25, fetch_max_wait_ms=100)
        except Exception as e:  # noqa: BLE001
            self.error = "KafkaConsumer(): %r" % e
            return
        try:
            c.subscribe([self.topic])
            end = time.monotonic() + self.max_s
            while not self._halt.is_set() and time.monotonic() < end:
                got = c.poll(timeout_ms=100)
                batch = [(r.partition, r.offset, r.value) for recs in got.values() for r in recs]
                with self.lock:
                    self.processed += batch
                    self.assignment = sorted(tp.partition for tp in c.assignment())
                if not batch:
                    continue
                try:
                    c.commit()
                except CommitFailedError:
                    with self.lock:
                        self.commit_failures += [(p, o) for p, o, _v in batch]
                    continue
                with self.lock:
                    for p, o, _v in batch:
                        self.committed[p] = max(self.committed.get(p, 0), o + 1)
        except Exception as e:  # noqa: BLE001
            self.error = "poll/commit: %r\n%s" % (e, "".join(traceback.format_exc().splitlines(True)[-8:]))
        finally:
            c.close(autocommit=False)
            with self.lock:
                self.closed = True

    def snapshot(self):
        with self.lock:
            return list(self.assignment), list(self.processed), dict(self.committed)

    def stop(self, timeout=30):
        self._halt.set()
        self.join(timeout)
        if self.is_alive():
            raise check.Failed("kafka-python member %s did not close within %ds" % (self.name, timeout))


def check_errors(members):
    for m in members:
        t.expect(m.error is None, "member %s: %s" % (m.name, m.error))


def wait_assigned(members, sizes, timeout=40):
    """Waits until the members' assignments have these sizes (sorted) and
    cover all partitions. Returns {name: [partitions]}."""
    def ok():
        check_errors(members)
        got = {m.name: m.snapshot()[0] for m in members}
        return got if (sorted(len(v) for v in got.values()) == sizes and
                       sorted(p for v in got.values() for p in v) == list(range(NPARTS))) else None
    got = wait_until(ok, timeout)
    t.expect(got, "assignments did not become %s within %ds: %s"
             % (sizes, timeout, {m.name: m.snapshot()[0] for m in members}))
    return got


def wait_committed(members, upto, timeout=40):
    """Waits until every partition is committed up to upto by some member."""
    def ok():
        check_errors(members)
        best = {}
        for m in members:
            for p, o in m.snapshot()[2].items():
                best[p] = max(best.get(p, 0), o)
        return all(best.get(p, 0) >= upto for p in range(NPARTS))
    if not wait_until(ok, timeout):
        raise check.Failed("offsets %d not committed on every partition within %ds: %s; commit failures %s"
                           % (upto, timeout, {m.name: m.snapshot()[2] for m in members},
                              {m.name: m.commit_failures[:5] for m in members}))


def processed_by(members, lo, hi):
    """{(p, o): [member names]} for offsets lo <= o < hi."""
    seen = {}
    for m in members:
        for p, o, _v in m.snapshot()[1]:
            if lo <= o < hi:
                seen.setdefault((p, o), []).append(m.name)
    return seen


def expect_exactly_once(members, lo, hi, what, tag):
    """Every offset lo <= o < hi of every partition processed by exactly one
    member, with the value produce_batch(tag) wrote there."""
    seen = processed_by(members, lo, hi)
    wrong = [(p, o, v) for m in members for p, o, v in m.snapshot()[1]
             if lo <= o < hi and v != b"%s-%d-%d-%d" % (tag, o // PER, p, o % PER)]
    t.eq(wrong[:5], [], "%s: values read" % what)
    want = [(p, o) for p in range(NPARTS) for o in range(lo, hi)]
    missing = [k for k in want if k not in seen]
    t.eq(missing, [], "%s: messages never processed" % what)
    twice = {k: v for k, v in seen.items() if len(v) > 1}
    failures = {m.name: m.commit_failures for m in members if m.commit_failures}
    t.eq(twice, {}, "%s: messages processed more than once (commits refused: %s)" % (what, failures))
    return seen


def kp_admin():
    return KafkaAdminClient(bootstrap_servers=B, request_timeout_ms=20000, client_id="sluice-it-groups-admin")


def sticky_of_one_member():
    """kafka-python 2.0.2's StickyPartitionAssignor keeps the last assignment
    in class attributes, shared by every consumer of the process, and builds
    its JoinGroup user data from an iterator, which raises TypeError in
    encode() on every join after a first assignment (dpkp/kafka-python#2153,
    fixed after 2.0.2). A subclass per member, encoding a list, keeps the
    client's assignment algorithm and its protocol name "sticky"."""
    class MemberSticky(StickyPartitionAssignor):
        member_assignment = None
        generation = StickyPartitionAssignor.DEFAULT_GENERATION_ID

        @classmethod
        def metadata(cls, topics):
            user_data = b""
            if cls.member_assignment is not None:
                by_topic = {}
                for tp in cls.member_assignment:
                    by_topic.setdefault(tp.topic, []).append(tp.partition)
                data = StickyAssignorUserDataV1(list(by_topic.items()), cls.generation)
                user_data = data.encode()  # a weak method: data must live through the call
            return ConsumerProtocolMemberMetadata(cls.version, list(topics), user_data)
    return MemberSticky


# ---- kafka-python, once per assignor -----------------------------------------
# (protocol name, assignor class of a member, assignment of three members):
# range deals consecutive partitions, roundrobin deals them in turn; sticky
# only promises a balanced spread.
ASSIGNORS = (("range", lambda: RangePartitionAssignor, [[0, 1], [2, 3], [4, 5]]),
             ("roundrobin", lambda: RoundRobinPartitionAssignor, [[0, 3], [1, 4], [2, 5]]),
             ("sticky", sticky_of_one_member, None))

for name, assignor, pattern in ASSIGNORS:
    topic, group = "kp-%s" % name, "kp-grp-%s" % name
    members = []
    try:
        with t.step("kafka-python %s: three members get two partitions each; %d messages produced before "
                    "are each processed by exactly one member and committed" % (name, NPARTS * PER)):
            ck.create_topics(B, [(topic, NPARTS, {})])
            produce_batch(topic, 0, name.encode())
            members = [KPMember("%s-m%d" % (name, i), group, topic, assignor()) for i in (1, 2, 3)]
            got = wait_assigned(members, [2, 2, 2])
            if pattern:
                t.eq(sorted(got.values()), pattern, "%s assignment" % name)
            wait_committed(members, PER)
            expect_exactly_once(members, 0, PER, "batch produced before the members started", name.encode())

        with t.step("kafka-python %s: a member closes, the other two take its partitions and read "
                    "the next batch exactly once" % name):
            t.expect(len(members) == 3, "no members from the step before")
            gone = members[2]
            before = gone.snapshot()[0]
            gone.stop()
            rest = members[:2]
            got = wait_assigned(rest, [3, 3])
            t.expect(all(any(p in v for v in got.values()) for p in before),
                     "the closed member's partitions %s are not all taken: %s" % (before, got))
            produce_batch(topic, 1, name.encode())
            wait_committed(rest, 2 * PER)
            seen = expect_exactly_once(rest, PER, 2 * PER, "batch after the rebalance", name.encode())
            t.eq(sorted({k[0] for k, v in seen.items() if v[0] == rest[0].name}), got[rest[0].name],
                 "partitions %s read" % rest[0].name)

        with t.step("kafka-python %s: with the group empty, a new member resumes at the committed offsets"
                    % name):
            t.expect(len(members) == 3, "no members from the steps before")
            for m in members:
                m.stop()
            a = kp_admin()
            try:
                g = a.describe_consumer_groups([group])[0]
            finally:
                a.close()
            t.eq((g.state, g.members), ("Empty", []), "group state and members once all closed (LeaveGroup)")
            produce_batch(topic, 2, name.encode())
            late = KPMember("%s-m4" % name, group, topic, assignor())
            members.append(late)
            wait_assigned([late], [NPARTS])
            wait_committed([late], 3 * PER)
            time.sleep(0.3)  # anything read twice would arrive with the rest
            expect_exactly_once([late], 2 * PER, 3 * PER, "batch produced while the group was empty", name.encode())
            early = [(p, o) for p, o, _v in late.snapshot()[1] if o < 2 * PER]
            t.eq(early, [], "messages below the committed offsets read again by the new member")

        with t.step("kafka-python %s: KafkaAdminClient shows the group, its member and its offsets" % name):
            t.expect(len(members) == 4 and members[3].is_alive(), "no running member from the step before")
            a = kp_admin()
            try:
                offs = a.list_consumer_group_offsets(group)
                t.eq({tp.partition: om.offset for tp, om in offs.items() if tp.topic == topic},
                     {p: 3 * PER for p in range(NPARTS)}, "list_consumer_group_offsets")
                g = a.describe_consumer_groups([group])[0]
                t.eq((g.error_code, g.group, g.state, g.protocol_type, g.protocol),
                     (0, group, "Stable", "consumer", name), "describe_consumer_groups")
                t.eq([m.client_id for m in g.members], ["%s-m4" % name], "members' client ids")
                t.eq(sorted(tp.partition for tp in g.members[0].member_assignment.partitions()),
                     list(range(NPARTS)), "the member's assignment")
                t.eq(list(g.members[0].member_metadata.subscription), [topic], "the member's subscription")
                listed = a.list_consumer_groups()
                t.expect((group, "consumer") in listed, "list_consumer_groups %s lacks (%s, consumer)"
                         % (listed, group))
            finally:
                a.close()
    finally:
        for m in members:
            if m.is_alive():
                m.stop()

# ---- a kafka-python and a confluent_kafka member in one group -----------------
with t.step("mixed group: a kafka-python and a confluent_kafka member, both \"range\", "
            "share the partitions and read every message once"):
    topic, group = "mix-range", "mix-grp"
    ck.create_topics(B, [(topic, NPARTS, {})])
    produce_batch(topic, 0, b"mix")
    kp = KPMember("mix-kp", group, topic, RangePartitionAssignor)
    cc = ck.consumer(B, **{"group.id": group, "client.id": "mix-ck", "session.timeout.ms": SESSION_MS,
                           "heartbeat.interval.ms": 500, "partition.assignment.strategy": "range",
                           "auto.offset.reset": "earliest", "enable.partition.eof": False})
    ck_seen = []
    ck_committed = {}
    ck_refused = set()
    try:
        cc.subscribe([topic])
        end = time.monotonic() + 40
        while time.monotonic() < end:
            check_errors([kp])
            m = cc.poll(0.05)
            if m is not None and m.error() is None:
                ck_seen.append((m.partition(), m.offset()))
                try:
                    cc.commit(message=m, asynchronous=False)
                    ck_committed[m.partition()] = m.offset() + 1
                except KafkaException as e:
                    # refused while the group completes a rebalance (as Kafka does): read again later
                    err = e.args[0]
                    t.expect(err.code() in (KafkaError.REBALANCE_IN_PROGRESS, KafkaError.ILLEGAL_GENERATION),
                             "confluent_kafka commit failed: %s" % err)
                    ck_refused.add((m.partition(), m.offset()))
            mine = sorted(tp.partition for tp in cc.assignment())
            theirs, _proc, kp_committed = kp.snapshot()
            done = {**kp_committed, **{p: o for p, o in ck_committed.items() if o > kp_committed.get(p, 0)}}
            if len(mine) == 3 and len(theirs) == 3 and \
                    all(done.get(p, 0) >= PER for p in range(NPARTS)):
                break
        t.eq((len(mine), len(theirs), sorted(mine + theirs)), (3, 3, list(range(NPARTS))),
             "partitions of the confluent_kafka and the kafka-python member (%s, %s)" % (mine, theirs))
        seen = {}
        for p, o in ck_seen:
            seen.setdefault((p, o), []).append("mix-ck")
        for p, o, _v in kp.snapshot()[1]:
            seen.setdefault((p, o), []).append("mix-kp")
        t.eq(sorted(seen), [(p, o) for p in range(NPARTS) for o in range(PER)], "messages read by the group")
        t.eq({k: v for k, v in seen.items() if len(v) > 1 and k not in ck_refused}, {},
             "messages read twice (kafka-python commit failures: %s)" % kp.commit_failures)
        if ck_refused:
            print("   confluent_kafka commits refused during a rebalance: %d (read again)" % len(ck_refused))
        g = ck.admin(B).list_groups(group, timeout=20)[0]
        t.eq((g.state, g.protocol_type, g.protocol), ("Stable", "consumer", "range"), "group state and protocol")
        t.eq(sorted(mb.client_id for mb in g.members), ["mix-ck", "mix-kp"], "members")
    finally:
        cc.close()
        if kp.is_alive():
            kp.stop()

# ---- kafkajs ---------------------------------------------------------------------
with t.step("node and kafkajs 2.2.4 are installed"):
    t.need("node")
    pkg = os.path.join(HERE, "js", "node_modules", "kafkajs", "package.json")
    t.expect(os.path.exists(pkg), "%s missing: run make deps (npm ci --prefix tests/integration/js)" % pkg)
    with open(pkg) as f:
        t.eq(json.load(f)["version"], "2.2.4", "installed kafkajs version")

js = None
with t.step("kafkajs group script runs to its end"):
    js = t.run(["node", os.path.join(HERE, "broker_groups_kafkajs.js"), B], timeout=100, check=False)
# The script prints one JSON object per step: {"step": title, "ok": bool, "why": text}.
steps = 0
for line in (js.stdout.decode("utf-8", "replace").splitlines() if js else []):
    if not line.startswith("{"):
        print("   " + line)
        continue
    r = json.loads(line)
    steps += 1
    if r["ok"]:
        t.passed.append("kafkajs: " + r["step"])
        print("ok: kafkajs: %s (%.1fs)" % (r["step"], r.get("s", 0)))
    else:
        t._fail("kafkajs: " + r["step"], r["why"])
if js is not None and (js.returncode != 0 or steps == 0) and not any(f.startswith("kafkajs: ") for f in t.failed):
    t._fail("kafkajs group script exits 0 after its steps", "exit %d, %d steps\nstderr:\n%s"
            % (js.returncode, steps, js.stderr.decode("utf-8", "replace")[-3000:]))
elif js is not None and js.stderr.strip():
    print("kafkajs stderr:\n" + js.stderr.decode("utf-8", "replace")[-3000:])

t.done()
