"""broker_groups_more.py - more consumer-group behaviour against sluiced:
the roundrobin and cooperative-sticky assignors (confluent_kafka) spread a
6-partition topic two partitions to each of three members, the cooperative
group reading every message exactly once; a member killed without leaving
loses its partitions to the others once its session times out, and with a
synchronous commit after each processed message no message is committed
twice and every one is processed; kcat -G reads a topic as a balanced
consumer; a member whose only assignor is not supported by the group is
refused with INCONSISTENT_GROUP_PROTOCOL; with group.max.size=2 a third
member is refused with GROUP_MAX_SIZE_REACHED.
Usage: broker_groups_more.py BINDIR
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import check  # noqa: E402

t = check.Test("broker_groups_more", budget_s=150)
import ck  # noqa: E402
from ck import KafkaError  # noqa: E402
from confluent_kafka import KafkaException  # noqa: E402

# Short sessions need a lower group.min.session.timeout.ms than Kafka's 6000.
b = t.broker(config={"group.initial.rebalance.delay.ms": "0",
                     "group.min.session.timeout.ms": "1000"})
B = b.bootstrap
NPARTS = 6
SESSION_MS = 2500


def consumer(group, name, strategy, **conf):
    c = {"group.id": group, "client.id": name, "session.timeout.ms": SESSION_MS,
         "heartbeat.interval.ms": 300, "partition.assignment.strategy": strategy,
         "auto.offset.reset": "earliest", "enable.partition.eof": False}
    c.update(conf)
    return ck.consumer(B, **c)


def wait_assigned(consumers, want, timeout=30, seen=None):
    """Polls every consumer until their assignment sizes are want (sorted)
    and together cover all partitions. Messages polled go to seen
    {(p, o): [names]}. Returns {name: [partitions]}."""
    end = time.monotonic() + timeout
    got = {}
    while time.monotonic() < end:
        for name, c in consumers.items():
            m = c.poll(0.05)
            if m is not None and m.error() is None and seen is not None:
                seen.setdefault((m.partition(), m.offset()), []).append(name)
            got[name] = sorted(tp.partition for tp in c.assignment())
        if sorted(len(v) for v in got.values()) == want and \
                sorted(p for v in got.values() for p in v) == list(range(NPARTS)):
            return got
    return got


def produce(topic, n, tag):
    p = ck.producer(B)
    ck.produce_all(p, [{"topic": topic, "partition": i % NPARTS, "value": b"%s-%d" % (tag, i)}
                       for i in range(n)])


with t.step("roundrobin: three consumers get two partitions each, interleaved"):
    ck.create_topics(B, [("gm-rr", NPARTS, {})])
    cs = {n: consumer("gm-rr", n, "roundrobin") for n in ("r1", "r2", "r3")}
    try:
        for c in cs.values():
            c.subscribe(["gm-rr"])
        got = wait_assigned(cs, [2, 2, 2])
        t.eq(sorted(len(v) for v in got.values()), [2, 2, 2], "partitions per consumer (%s)" % got)
        # roundrobin deals partitions in turn: each member holds p and p+3
        t.eq(sorted(tuple(v) for v in got.values()), [(0, 3), (1, 4), (2, 5)], "roundrobin assignment")
        g = ck.admin(B).list_groups("gm-rr", timeout=20)[0]
        t.eq((g.state, g.protocol), ("Stable", "roundrobin"), "group state and chosen protocol")
    finally:
        for c in cs.values():
            c.close()

with t.step("cooperative-sticky: two partitions each, the group on cooperative-sticky, every message read exactly once"):
    TOPIC = "gm-coop"
    PER = 40
    ck.create_topics(B, [(TOPIC, NPARTS, {})])
    cs = {}
    seen = {}
    try:
        for n in ("k1", "k2", "k3"):
            cs[n] = consumer("gm-coop", n, "cooperative-sticky")
            cs[n].subscribe([TOPIC])
        got = wait_assigned(cs, [2, 2, 2], seen=seen)
        t.eq(sorted(len(v) for v in got.values()), [2, 2, 2], "partitions per consumer (%s)" % got)
        g = ck.admin(B).list_groups("gm-coop", timeout=20)[0]
        t.eq(g.protocol, "cooperative-sticky", "chosen protocol")
        produce(TOPIC, NPARTS * PER, b"coop")
        end = time.monotonic() + 30
        while sum(len(v) for v in seen.values()) < NPARTS * PER and time.monotonic() < end:
            for name, c in cs.items():
                m = c.poll(0.05)
                if m is not None and m.error() is None:
                    seen.setdefault((m.partition(), m.offset()), []).append(name)
        # a short grace period: a duplicate would show up here
        end = time.monotonic() + 1
        while time.monotonic() < end:
            for name, c in cs.items():
                m = c.poll(0.05)
                if m is not None and m.error() is None:
                    seen.setdefault((m.partition(), m.offset()), []).append(name)
        t.eq(sorted(seen), sorted((p, o) for p in range(NPARTS) for o in range(PER)),
             "messages read by the group")
        dups = {k: v for k, v in seen.items() if len(v) != 1}
        t.eq(dups, {}, "messages read more than once")
        for (part, _o), names in seen.items():
            t.expect(part in got[names[0]], "partition %d read by %s, assigned %s" % (part, names[0], got))
    finally:
        for c in cs.values():
            c.close()

CHILD = r"""
import sys, time
from confluent_kafka import Consumer, TopicPartition
bootstrap, group, topic, out = sys.argv[1:5]
f = open(out, "a", buffering=1)
def on_assign(c, parts):
    f.write("assigned %s\n" % ",".join(str(p.partition) for p in parts))
c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "client.id": "victim",
              "session.timeout.ms": int(sys.argv[5]), "heartbeat.interval.ms": 300,
              "partition.assignment.strategy": "range", "auto.offset.reset": "earliest",
              "enable.auto.commit": False, "enable.partition.eof": False, "log_level": 3})
c.subscribe([topic], on_assign=on_assign)
end = time.monotonic() + 120
while time.monotonic() < end:
    m = c.poll(0.1)
    if m is None or m.error() is not None:
        continue
    f.write("processed %d %d\n" % (m.partition(), m.offset()))
    c.commit(offsets=[TopicPartition(topic, m.partition(), m.offset() + 1)], asynchronous=False)
    f.write("committed %d %d\n" % (m.partition(), m.offset()))
    time.sleep(0.1)
"""

with t.step("a member killed without leaving: its partitions move after the session timeout, "
            "nothing is committed twice and everything is processed"):
    TOPIC = "gm-kill"
    GROUP = "gm-kill"
    PER = 30
    ck.create_topics(B, [(TOPIC, NPARTS, {})])
    out = tempfile.NamedTemporaryFile(prefix="gm-victim-", suffix=".log", delete=False).name
    child = subprocess.Popen([sys.executable, "-c", CHILD, B, GROUP, TOPIC, out, str(SESSION_MS)],
                             start_new_session=True)
    cs = {}
    processed = {}  # (p, o) -> [names]
    committed = {}  # (p, o) -> [names]
    commit_errors = []

    def handle(name, c, m):
        key = (m.partition(), m.offset())
        processed.setdefault(key, []).append(name)
        try:
            c.commit(offsets=[ck.TopicPartition(TOPIC, m.partition(), m.offset() + 1)], asynchronous=False)
            committed.setdefault(key, []).append(name)
        except KafkaException as e:  # a commit refused during a rebalance: the message comes again
            commit_errors.append((name, key, str(e)))

    def child_lines():
        with open(out) as f:
            return [ln.split() for ln in f.read().splitlines() if ln]

    try:
        for n in ("s1", "s2"):
            cs[n] = consumer(GROUP, n, "range")
            cs[n].subscribe([TOPIC])
        # wait until the three members share the topic: the survivors hold 4 partitions
        end = time.monotonic() + 30
        got = {}
        while time.monotonic() < end:
            for name, c in cs.items():
                c.poll(0.05)
                got[name] = sorted(tp.partition for tp in c.assignment())
            victim = [ln for ln in child_lines() if ln[0] == "assigned"]
            if sorted(len(v) for v in got.values()) == [2, 2] and victim and \
                    len(victim[-1][1].split(",")) == 2 and child.poll() is None:
                break
        t.eq(sorted(len(v) for v in got.values()), [2, 2], "survivors' partitions before the kill (%s)" % got)
        vparts = sorted(int(p) for p in victim[-1][1].split(","))
        t.eq(sorted(vparts + [p for v in got.values() for p in v]), list(range(NPARTS)), "all partitions shared")
        produce(TOPIC, NPARTS * PER, b"kill")
        # the victim processes slowly; kill it once it has committed a few messages
        end = time.monotonic() + 30
        while time.monotonic() < end:
            for name, c in cs.items():
                m = c.poll(0.05)
                if m is not None and m.error() is None:
                    handle(name, c, m)
            if sum(1 for ln in child_lines() if ln[0] == "committed") >= 4:
                break
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(10)
        t0 = time.monotonic()
        for ln in child_lines():
            if ln[0] in ("processed", "committed"):
                d = processed if ln[0] == "processed" else committed
                d.setdefault((int(ln[1]), int(ln[2])), []).append("victim")
        # the survivors take the victim's partitions once its session expires, and finish the topic
        end = time.monotonic() + 40
        moved = None
        while time.monotonic() < end:
            for name, c in cs.items():
                m = c.poll(0.05)
                if m is not None and m.error() is None:
                    handle(name, c, m)
                got[name] = sorted(tp.partition for tp in c.assignment())
            if moved is None and sorted(len(v) for v in got.values()) == [3, 3]:
                moved = time.monotonic() - t0
            if moved is not None and len(processed) == NPARTS * PER and \
                    all((p, PER - 1) in committed for p in range(NPARTS)):
                break
        t.expect(moved is not None, "the victim's partitions did not move to the survivors (%s)" % got)
        print("   victim's partitions %s moved after %.1fs" % (vparts, moved))
        want = [(p, o) for p in range(NPARTS) for o in range(PER)]
        missing = [k for k in want if k not in processed]
        t.eq(missing, [], "messages never processed")
        twice = {k: v for k, v in committed.items() if len(v) > 1}
        t.eq(twice, {}, "messages committed twice")
        # a message processed twice must be one the victim processed without committing, or one
        # whose commit was refused
        last = {}
        for (p, o), names in committed.items():
            if "victim" in names:
                last[p] = max(last.get(p, -1), o)
        refused = {k for _n, k, _e in commit_errors}
        bad = {k: v for k, v in processed.items()
               if len(v) > 1 and not (k in refused or ("victim" in v and k[1] > last.get(k[0], -1)))}
        t.eq(bad, {}, "messages processed twice that had been committed")
        print("   victim processed %d, committed %d; processed twice: %d; commits refused: %d"
              % (sum(1 for v in processed.values() if "victim" in v),
                 sum(1 for v in committed.values() if "victim" in v),
                 sum(1 for v in processed.values() if len(v) > 1), len(commit_errors)))
        c = ck.consumer(B, **{"group.id": GROUP})
        try:
            tps = c.committed([ck.TopicPartition(TOPIC, p) for p in range(NPARTS)], timeout=20)
        finally:
            c.close()
        t.eq({tp.partition: tp.offset for tp in tps}, {p: PER for p in range(NPARTS)}, "committed offsets")
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(10)
        for c in cs.values():
            c.close()
        os.unlink(out)

with t.step("kcat -G (balanced consumer) reads every message of a topic"):
    TOPIC = "gm-kcat"
    N = 60
    ck.create_topics(B, [(TOPIC, 3, {})])
    p = ck.producer(B)
    ck.produce_all(p, [{"topic": TOPIC, "partition": i % 3, "value": b"kc-%d" % i} for i in range(N)])
    r = t.run(["kcat", "-b", B, "-G", "gm-kcat-grp", TOPIC, "-q", "-e", "-c", str(N),
               "-f", "%p %o %s\n", "-X", "auto.offset.reset=earliest",
               "-X", "session.timeout.ms=%d" % SESSION_MS], timeout=60)
    lines = r.stdout.decode().split("\n")
    vals = sorted(ln.split()[2] for ln in lines if ln)
    t.eq(vals, sorted("kc-%d" % i for i in range(N)), "values read by kcat -G")

with t.step("a member with an assignor the group does not support gets INCONSISTENT_GROUP_PROTOCOL"):
    TOPIC = "gm-mixed"
    ck.create_topics(B, [(TOPIC, NPARTS, {})])
    a = consumer("gm-mixed", "a", "range")
    bc = consumer("gm-mixed", "b", "roundrobin")
    try:
        a.subscribe([TOPIC])
        got = wait_assigned({"a": a}, [6])
        t.eq(got.get("a"), list(range(NPARTS)), "assignment of the range member")
        bc.subscribe([TOPIC])
        err = None
        end = time.monotonic() + 20
        while err is None and time.monotonic() < end:
            a.poll(0.05)
            try:
                m = bc.poll(0.1)
            except KafkaException as e:
                err = e.args[0]
                print("   (raised by poll)")
                break
            if m is not None and m.error() is not None:
                err = m.error()
        t.expect(err is not None, "the roundrobin member saw no error")
        print("   the roundrobin member saw: %s" % err)
        t.eq(err.code(), KafkaError.INCONSISTENT_GROUP_PROTOCOL, "error of the roundrobin member (%s)" % err)
        t.eq(bc.assignment(), [], "assignment of the refused member")
        a.poll(0.5)
        t.eq(sorted(tp.partition for tp in a.assignment()), list(range(NPARTS)),
             "the range member keeps its partitions")
    finally:
        a.close()
        bc.close()

with t.step("group.max.size=2: a third member gets GROUP_MAX_SIZE_REACHED, the two keep the partitions"):
    b.stop()
    small = t.broker(config={"group.initial.rebalance.delay.ms": "0", "group.min.session.timeout.ms": "1000",
                             "group.max.size": "2"})
    B = small.bootstrap
    TOPIC = "gm-full"
    ck.create_topics(B, [(TOPIC, NPARTS, {})])
    members = {n: consumer("gm-full", n, "range") for n in ("a", "b")}
    third = consumer("gm-full", "c", "range")
    try:
        for c in members.values():
            c.subscribe([TOPIC])
        got = wait_assigned(members, [3, 3])
        t.eq(sorted(len(v) for v in got.values()), [3, 3], "assignment of the two members (%s)" % got)
        third.subscribe([TOPIC])
        err = None
        end = time.monotonic() + 20
        while err is None and time.monotonic() < end:
            for c in members.values():
                c.poll(0.05)
            try:
                m = third.poll(0.1)
            except KafkaException as e:
                err = e.args[0]
                break
            if m is not None and m.error() is not None:
                err = m.error()
        t.expect(err is not None, "the third member saw no error")
        print("   the third member saw: %s" % err)
        t.eq(err.code(), KafkaError.GROUP_MAX_SIZE_REACHED, "error of the third member (%s)" % err)
        t.eq(third.assignment(), [], "assignment of the refused member")
        got = wait_assigned(members, [3, 3], timeout=10)
        t.eq(sorted(p for v in got.values() for p in v), list(range(NPARTS)), "the two members' partitions")
    finally:
        for c in members.values():
            c.close()
        third.close()

t.done()
