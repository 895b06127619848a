"""client_consumer.py - Sluice's consumer (client_consumer_drv) against a
real sluiced, with confluent_kafka and kcat on the other side.

- Messages produced by confluent_kafka and by kcat with every codec (none,
  gzip, snappy, lz4, zstd) are read back exactly: every delivered
  (partition, offset, key, value) once, nothing else.
- read_committed hides the records of an aborted confluent_kafka
  transaction (and never shows markers); read_uncommitted shows them; the
  position after the read is the high watermark (past the last marker).
- Commits (sync, async with its callback, auto commit on close) are what
  confluent_kafka's committed() reports; SL_OFFSET_STORED starts from them.
- seek moves the position; pause stops one partition while another flows,
  resume restarts it; an out-of-range offset is an error event with
  auto.offset.reset=none and a reset with earliest.
- Our group consumer and a confluent_kafka consumer (both range) in one
  group split the partitions: each partition goes to exactly one of them
  and every message produced after the split is consumed exactly once.
- Two of our consumers with cooperative-sticky: the second's arrival moves
  half the partitions, and the first revokes only those (never all). The
  same with a confluent_kafka member (librdkafka's cooperative-sticky),
  each of the two leading once.
- Auto commit every auto.commit.interval.ms; a member that does not poll
  within max.poll.interval.ms loses its partitions and rejoins at its next
  poll.
- A static member (group.instance.id) does not leave the group on close.
- A subscription to a topic that does not exist yet picks it up once it is
  created (metadata refresh, then a rebalance).
Usage: client_consumer.py BUILD_DIR
"""
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "lib"))
import check  # noqa: E402

t = check.Test("client_consumer", budget_s=280)
BUILD = t.bindir
t.bindir = os.path.join(BUILD, "bin")
DRV = os.path.join(BUILD, "tests", "client_consumer_drv")
import ck  # noqa: E402
from ck import TopicPartition  # noqa: E402
from client_drv import lines_of, msgs, note_held  # noqa: E402

b = t.broker(overrides=["group.initial.rebalance.delay.ms=0"])
BOOT = b.bootstrap


def ck_member(theirs, group, topic, strategy, heartbeat_ms, on_assign, on_revoke, seconds):
    """A confluent_kafka member of group (run in a thread) subscribed to
    topic: notes each message's (partition, offset) in theirs["msgs"] until
    theirs["stop"] or seconds, then closes; an exception goes to
    theirs["err"]."""
    try:
        c = ck.consumer(BOOT, **{"group.id": group, "partition.assignment.strategy": strategy,
                                 "enable.partition.eof": False, "auto.offset.reset": "earliest",
                                 "heartbeat.interval.ms": heartbeat_ms, "session.timeout.ms": 6000})
        c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
        end = time.monotonic() + seconds
        while not theirs["stop"] and time.monotonic() < end:
            m = c.poll(0.2)
            if m is not None and not m.error():
                theirs["msgs"].append((m.partition(), m.offset()))
        c.close()
    except Exception as e:  # noqa: BLE001
        theirs["err"] = e


def drv(conf, cmds, timeout=60):
    """Runs the driver; returns its stdout lines. Fails on a non-zero exit."""
    if not os.access(DRV, os.X_OK):
        raise check.Failed("driver not built: %s" % DRV)
    args = [DRV, BOOT] + ["%s=%s" % kv for kv in conf.items()] + ["--"] + cmds
    p = t.run(args, timeout=timeout)
    return p.stdout.decode("utf-8", "replace").splitlines()


def assign_all(topic, nparts, at="beginning"):
    return "assign:%s:%s" % (topic, ",".join("%d@%s" % (p, at) for p in range(nparts)))


CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
ck.create_topics(BOOT, [("codec-" + c, 3, {}) for c in CODECS] +
                 [("txn", 1, {}), ("commits", 2, {}), ("moves", 2, {}), ("mixed", 6, {}), ("static", 2, {}),
                  ("coop", 4, {}), ("slow", 2, {}), ("mixcoop", 4, {}), ("mixcoop2", 4, {})])

for codec in CODECS:
    topic = "codec-" + codec
    with t.step("%s: confluent_kafka and kcat messages read back exactly" % codec):
        p = ck.producer(BOOT, **{"compression.type": codec, "linger.ms": 20})
        sent = [{"topic": topic, "key": b"ck%d" % i, "value": b"ck-%s-%d" % (codec.encode(), i)} for i in range(300)]
        sent.append({"topic": topic, "partition": 0, "value": b"nullkey"})
        reports = ck.produce_all(p, sent)
        want = set()
        for m, r in zip(sent, reports):
            want.add((topic, r[1], r[2], m.get("key", b"-").decode(), m["value"].decode()))
        kin = "".join("kc%d:kc-%s-%d\n" % (i, codec, i) for i in range(200)).encode()
        t.run(["kcat", "-P", "-b", BOOT, "-t", topic, "-p", "1", "-z", codec, "-K:"], input=kin, timeout=60)
        wm = ck.watermarks(BOOT, topic, range(3))
        total = sum(hi for lo, hi in wm.values())
        t.eq(total, len(sent) + 200, "messages in %s" % topic)
        got = msgs(drv({}, [assign_all(topic, 3), "read:%d:8000" % total]))
        t.eq(len(got), total, "messages read")
        t.eq(len(set(got)), total, "distinct messages read")
        t.expect(want <= set(got), "confluent_kafka messages missing: %s" % sorted(want - set(got))[:5])
        kc = sorted((m[3], m[4]) for m in got if m[3].startswith("kc"))
        t.eq(kc, sorted(("kc%d" % i, "kc-%s-%d" % (codec, i)) for i in range(200)), "kcat messages")
        t.expect(all(m[1] == 1 for m in got if m[3].startswith("kc")), "kcat messages all in partition 1")
        offs = {}
        for m in got:
            offs.setdefault(m[1], []).append(m[2])
        for part, o in offs.items():
            t.eq(o, list(range(len(o))), "offsets of partition %d in order without gaps" % part)

with t.step("read_committed hides an aborted transaction; read_uncommitted shows it"):
    tp = ck.producer(BOOT, **{"transactional.id": "cons-it-txn", "enable.idempotence": True})
    tp.init_transactions(30)
    for name, commit in (("c1", True), ("a1", False), ("c2", True)):
        tp.begin_transaction()
        for i in range(5):
            tp.produce("txn", key=name.encode(), value=("%s-%d" % (name, i)).encode(), partition=0)
        tp.flush(30)
        if commit:
            tp.commit_transaction(30)
        else:
            tp.abort_transaction(30)
    lo, hi = ck.watermarks(BOOT, "txn", [0])[0]
    t.eq(hi, 18, "high watermark (15 records, 3 markers)")
    lines = drv({"isolation.level": "read_committed"}, ["assign:txn:0@beginning", "read:20:4000", "position"])
    vals = [m[4] for m in msgs(lines)]
    t.eq(vals, ["c1-%d" % i for i in range(5)] + ["c2-%d" % i for i in range(5)], "read_committed values")
    t.eq(lines_of(lines, "POS"), [["txn", "0", "18"]], "position after the last marker")
    vals = [m[4] for m in msgs(drv({}, ["assign:txn:0@beginning", "read:20:4000"]))]
    t.eq(len(vals), 15, "read_uncommitted sees every data record and no marker")
    t.expect(any(v.startswith("a1") for v in vals), "aborted records visible to read_uncommitted")

with t.step("commits (sync, async, auto on close) are what confluent_kafka's committed() reports"):
    p = ck.producer(BOOT)
    ck.produce_all(p, [{"topic": "commits", "partition": i % 2, "value": b"c%d" % i} for i in range(40)])
    lines = drv({"group.id": "cg1", "enable.auto.commit": "false"},
                ["assign:commits:0@beginning,1@beginning", "read:10:5000", "position", "commit",
                 "committed:commits:0", "committed:commits:1"])
    pos = {int(x[1]): int(x[2]) for x in lines_of(lines, "POS")}
    t.eq(sum(pos.values()), 10, "positions after 10 messages")
    c = ck.consumer(BOOT, **{"group.id": "cg1"})
    got = {x.partition: x.offset for x in c.committed([TopicPartition("commits", 0), TopicPartition("commits", 1)], 10)}
    c.close()
    t.eq(got, pos, "committed offsets seen by confluent_kafka")
    t.eq({int(x[1]): int(x[2]) for x in lines_of(lines, "COMMITTED")}, pos, "committed() of our consumer")
    # async commit, its callback, then stored positions continue from there
    lines = drv({"group.id": "cg1", "enable.auto.commit": "false"},
                ["assign:commits:0@stored,1@stored", "read:10:5000", "pause:commits:0", "pause:commits:1",
                 "commit_async", "idle:1000", "position"])
    t.expect(["NONE", "2"] in lines_of(lines, "COMMIT_CB"), "async commit callback ok: %s" % lines_of(lines, "COMMIT_CB"))
    offs = sorted((m[1], m[2]) for m in msgs(lines))
    t.expect(all(o >= pos[p] for p, o in offs), "stored positions respected: %s vs %s" % (offs[:4], pos))
    pos2 = {int(x[1]): int(x[2]) for x in lines_of(lines, "POS")}
    t.eq(sum(pos2.values()), 20, "positions after 20 messages in all")
    c = ck.consumer(BOOT, **{"group.id": "cg1"})
    got = {x.partition: x.offset for x in c.committed([TopicPartition("commits", 0), TopicPartition("commits", 1)], 10)}
    c.close()
    t.eq(got, pos2, "async commit seen by confluent_kafka")
    # auto commit on close
    lines = drv({"group.id": "cg1", "enable.auto.commit": "true", "auto.commit.interval.ms": "60000"},
                ["assign:commits:0@stored,1@stored", "read:20:5000", "position", "close"])
    pos3 = {int(x[1]): int(x[2]) for x in lines_of(lines, "POS")}
    t.eq(pos3, {0: 20, 1: 20}, "positions at the end")
    c = ck.consumer(BOOT, **{"group.id": "cg1"})
    got = {x.partition: x.offset for x in c.committed([TopicPartition("commits", 0), TopicPartition("commits", 1)], 10)}
    c.close()
    t.eq(got, pos3, "auto commit on close seen by confluent_kafka")
    # confluent_kafka commits, we read it back
    c = ck.consumer(BOOT, **{"group.id": "cg2"})
    c.commit(offsets=[TopicPartition("commits", 0, 7)], asynchronous=False)
    c.close()
    lines = drv({"group.id": "cg2"}, ["committed:commits:0", "committed:commits:1", "assign:commits:0@stored",
                                       "read:1:5000"])
    t.eq(lines_of(lines, "COMMITTED"), [["commits", "0", "7", "NONE"], ["commits", "1", "-1001", "NONE"]],
         "committed() of confluent_kafka's commit (and none)")
    t.eq([m[2] for m in msgs(lines)], [7], "stored position from confluent_kafka's commit")

with t.step("seek, pause/resume, out-of-range offsets"):
    p = ck.producer(BOOT)
    ck.produce_all(p, [{"topic": "moves", "partition": i % 2, "value": b"m%d" % i} for i in range(40)])
    lines = drv({}, ["assign:moves:0@beginning", "read:5:5000", "seek:moves:0:2", "read:3:5000",
                     "seek:moves:0:end", "idle:1500", "position", "seek:moves:0:beginning", "read:1:5000"])
    t.eq([m[2] for m in msgs(lines)], [0, 1, 2, 3, 4, 2, 3, 4, 0], "offsets around seeks")
    t.eq(lines_of(lines, "POS"), [["moves", "0", "20"]], "position after a seek to the end")
    lines = drv({}, ["assign:moves:0@beginning,1@beginning", "pause:moves:1", "idle:1500", "position",
                     "resume:moves:1", "idle:1500"])
    got = msgs(lines)
    first = [m for m in got[:20]]
    t.eq({m[1] for m in first}, {0}, "only the unpaused partition flows")
    t.eq(sorted(m[1] for m in got[20:]), [1] * 20, "the resumed partition flows")
    t.eq(lines_of(lines, "POS"), [["moves", "0", "20"], ["moves", "1", "0"]], "positions while paused")
    lines = drv({"auto.offset.reset": "none"}, ["assign:moves:0@1000", "idle:2000"])
    errs = lines_of(lines, "ERR")
    t.expect(errs and errs[0][1] == "OFFSET_OUT_OF_RANGE" and errs[0][3] == "0",
             "error event for an offset out of range: %s" % errs)
    lines = drv({"auto.offset.reset": "earliest"}, ["assign:moves:0@1000", "read:20:5000"])
    t.eq([m[2] for m in msgs(lines)], list(range(20)), "reset to earliest")

with t.step("our group consumer and confluent_kafka (range) split the partitions of a topic"):
    theirs = {"assigned": set(), "msgs": [], "stop": False, "err": None}

    def on_assign(cons, parts):
        theirs["assigned"] = {x.partition for x in parts}

    def on_revoke(cons, parts):
        theirs["assigned"] = set()

    th = threading.Thread(target=ck_member, args=(theirs, "mixed", "mixed", "range", 500, on_assign, on_revoke, 90))
    th.start()
    deadline = time.monotonic() + 30
    while not theirs["assigned"] and time.monotonic() < deadline:
        time.sleep(0.1)
    t.expect(theirs["assigned"], "confluent_kafka member got partitions alone")
    args = [DRV, BOOT, "group.id=mixed", "partition.assignment.strategy=range", "auto.offset.reset=earliest",
            "heartbeat.interval.ms=500", "session.timeout.ms=6000", "--", "subscribe:mixed", "read:60:30000", "close"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ours = set()
    out_lines = []
    stable = False
    deadline = time.monotonic() + 40
    # Wait for a split: both members hold partitions, disjoint, covering all.
    while time.monotonic() < deadline:
        ln = proc.stdout.readline().decode()
        if not ln:
            break
        out_lines.append(ln.rstrip("\n"))
        note_held(ours, ln)
        if ours and theirs["assigned"] and not (ours & theirs["assigned"]) and \
                ours | theirs["assigned"] == set(range(6)):
            stable = True
            break
    t.expect(stable, "no split: ours %s, theirs %s; driver said %s" % (ours, theirs["assigned"], out_lines[-10:]))
    split = (set(ours), set(theirs["assigned"]))
    p = ck.producer(BOOT)
    reports = ck.produce_all(p, [{"topic": "mixed", "partition": i % 6, "value": b"x%d" % i} for i in range(120)])
    rest_out, err_out = proc.communicate(timeout=60)
    theirs["stop"] = True
    th.join(30)
    out_lines += rest_out.decode().splitlines()
    t.expect(proc.returncode == 0, "driver exit %s: %s" % (proc.returncode, err_out.decode()[-2000:]))
    t.expect(theirs["err"] is None, "confluent_kafka member failed: %s" % theirs["err"])
    t.eq(split[0] & split[1], set(), "partitions shared")
    t.eq(len(split[0]), 3, "our share of 6 partitions (range)")
    ours_msgs = [(m[1], m[2]) for m in msgs(out_lines)]
    all_msgs = ours_msgs + theirs["msgs"]
    t.eq(sorted(all_msgs), sorted((r[1], r[2]) for r in reports), "every message consumed exactly once")
    t.expect(all(p in split[0] for p, _ in ours_msgs), "we read only our partitions")
    t.expect(all(p in split[1] for p, _ in theirs["msgs"]), "confluent_kafka read only its partitions")

def member(name, conf, cmds):
    args = [DRV, BOOT] + ["%s=%s" % kv for kv in conf.items()] + ["--"] + cmds
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def held(lines):
    """Partitions held at the end by the ASSIGNED/REVOKED/LOST lines."""
    cur = set()
    for ln in lines:
        note_held(cur, ln)
    return cur


with t.step("cooperative-sticky: a second member takes half, the first revokes only that half"):
    conf = {"group.id": "coop-g", "partition.assignment.strategy": "cooperative-sticky",
            "auto.offset.reset": "earliest", "heartbeat.interval.ms": "300", "session.timeout.ms": "6000"}
    # Each ends up with 2 of the 4 partitions: 40 of the 80 messages.
    m1 = member("m1", conf, ["subscribe:coop", "read:40:30000", "close"])
    time.sleep(3)
    m2 = member("m2", conf, ["subscribe:coop", "read:40:30000", "close"])
    got2 = []
    deadline = time.monotonic() + 30
    while len(got2) < 2 and time.monotonic() < deadline:
        ln = m2.stdout.readline().decode()
        if not ln:
            break
        if ln.startswith("ASSIGNED "):
            got2.append(ln.rstrip("\n"))
    t.eq(len(got2), 2, "partitions assigned to the second member")
    p = ck.producer(BOOT)
    reports = ck.produce_all(p, [{"topic": "coop", "partition": i % 4, "value": b"q%d" % i} for i in range(80)])
    o1, e1 = m1.communicate(timeout=60)
    o2, e2 = m2.communicate(timeout=60)
    l1, l2 = o1.decode().splitlines(), got2 + o2.decode().splitlines()
    t.expect(m1.returncode == 0 and m2.returncode == 0, "exits %s %s: %s %s"
             % (m1.returncode, m2.returncode, e1.decode()[-1500:], e2.decode()[-1500:]))
    first = [ln for ln in l1 if ln.split(" ")[0] in ("ASSIGNED", "REVOKED")]
    # m1: 4 assigned, then 2 revoked (cooperative), then at close the rest.
    t.eq(sorted(int(x[1]) for x in lines_of(first[:4], "ASSIGNED")), [0, 1, 2, 3], "first member's assignment")
    moved = [int(ln.split()[2]) for ln in first[4:6] if ln.startswith("REVOKED")]
    t.eq(len(moved), 2, "partitions revoked from the first member at the second's arrival: %s" % first)
    got2 = sorted(int(x[1]) for x in lines_of(l2, "ASSIGNED"))
    t.eq(got2, sorted(moved), "the second member got exactly the moved partitions")
    all_msgs = [(m[1], m[2]) for m in msgs(l1) + msgs(l2)]
    t.eq(sorted(all_msgs), sorted((r[1], r[2]) for r in reports), "every message consumed exactly once")

def coop_with_confluent(topic, ours_first):
    """Our member and a confluent_kafka one, both cooperative-sticky, on a
    4-partition topic: the first alone gets all four; when the second joins
    it gets two, exactly the two the first revokes; 80 messages produced
    then are each consumed once."""
    group = topic + "-g"
    theirs = {"assigned": set(), "msgs": [], "stop": False, "err": None, "revoked": []}

    def on_assign(cons, parts):
        theirs["assigned"] |= {x.partition for x in parts}

    def on_revoke(cons, parts):
        theirs["revoked"] += [x.partition for x in parts]
        theirs["assigned"] -= {x.partition for x in parts}

    held = set()
    lines = []

    def read_ours(until_n, timeout):
        deadline = time.monotonic() + timeout
        while len(held) != until_n and time.monotonic() < deadline:
            ln = proc.stdout.readline().decode()
            if not ln:
                break
            lines.append(ln.rstrip("\n"))
            note_held(held, ln)

    def wait_theirs(n, timeout):
        deadline = time.monotonic() + timeout
        while len(theirs["assigned"]) != n and time.monotonic() < deadline:
            time.sleep(0.1)

    conf = {"group.id": group, "partition.assignment.strategy": "cooperative-sticky",
            "auto.offset.reset": "earliest", "heartbeat.interval.ms": "300", "session.timeout.ms": "6000"}
    th = threading.Thread(target=ck_member,
                          args=(theirs, group, topic, "cooperative-sticky", 300, on_assign, on_revoke, 60))
    if ours_first:
        proc = member("ours", conf, ["subscribe:" + topic, "read:40:30000", "close"])
        read_ours(4, 30)
        t.eq(held, {0, 1, 2, 3}, "our member alone")
        th.start()
        read_ours(2, 30)
        wait_theirs(2, 20)
        moved = set(theirs["assigned"])
        revoked = [int(ln.split()[2]) for ln in lines if ln.startswith("REVOKED ")]
        t.eq(sorted(revoked), sorted(moved), "we revoked exactly what confluent_kafka got")
    else:
        th.start()
        wait_theirs(4, 30)
        t.eq(theirs["assigned"], {0, 1, 2, 3}, "confluent_kafka member alone")
        proc = member("ours", conf, ["subscribe:" + topic, "read:40:30000", "close"])
        read_ours(2, 30)
        wait_theirs(2, 20)
        t.eq(sorted(theirs["revoked"]), sorted(held), "confluent_kafka revoked exactly what we got")
    t.eq(len(held), 2, "our share")
    t.eq(held & theirs["assigned"], set(), "partitions shared")
    ours = set(held)
    p = ck.producer(BOOT)
    reports = ck.produce_all(p, [{"topic": topic, "partition": i % 4, "value": b"c%d" % i} for i in range(80)])
    out, err = proc.communicate(timeout=60)
    theirs["stop"] = True
    th.join(30)
    t.expect(proc.returncode == 0, "driver exit %s: %s" % (proc.returncode, err.decode()[-1500:]))
    t.expect(theirs["err"] is None, "confluent_kafka member failed: %s" % theirs["err"])
    ours_msgs = [(m[1], m[2]) for m in msgs(lines + out.decode().splitlines())]
    t.eq(sorted(ours_msgs + theirs["msgs"]), sorted((r[1], r[2]) for r in reports),
         "every message consumed exactly once")
    t.expect(all(p in ours for p, _ in ours_msgs), "we read only our partitions")


with t.step("cooperative-sticky with confluent_kafka leading: ours joins, takes half, each message once"):
    coop_with_confluent("mixcoop", ours_first=False)

with t.step("cooperative-sticky with ours leading: confluent_kafka joins, takes half, each message once"):
    coop_with_confluent("mixcoop2", ours_first=True)

with t.step("auto commit every auto.commit.interval.ms"):
    lines = drv({"group.id": "auto-g", "auto.commit.interval.ms": "200", "auto.offset.reset": "earliest"},
                ["assign:commits:0@stored", "read:7:5000", "sleep:1500", "committed:commits:0"])
    t.eq(lines_of(lines, "COMMITTED"), [["commits", "0", "7", "NONE"]], "auto-committed position")

with t.step("max.poll.interval.ms: a member that stops polling loses its partitions and rejoins"):
    lines = drv({"group.id": "slow-g", "max.poll.interval.ms": "1500", "session.timeout.ms": "6000",
                 "heartbeat.interval.ms": "300", "auto.offset.reset": "earliest"},
                ["subscribe:slow", "idle:2500", "sleep:3500", "idle:3000", "close"], timeout=60)
    kinds = [ln.split(" ")[0] for ln in lines if ln.split(" ")[0] in ("ASSIGNED", "REVOKED", "LOST")]
    t.expect(kinds[:2] == ["ASSIGNED", "ASSIGNED"] and kinds[2:4] == ["LOST", "LOST"] and
             kinds[4:6] == ["ASSIGNED", "ASSIGNED"], "assigned, lost, assigned again: %s" % kinds)

with t.step("a static member (group.instance.id) does not leave the group on close"):
    try:
        from kafka import KafkaAdminClient
    except ImportError as e:
        raise check.Failed("python3-kafka is not importable: %s" % e)
    lines = drv({"group.id": "static-g", "group.instance.id": "inst-1", "session.timeout.ms": "30000",
                 "auto.offset.reset": "earliest"}, ["subscribe:static", "idle:3000", "close"])
    t.eq(sorted(int(x[1]) for x in lines_of(lines, "ASSIGNED")), [0, 1], "assigned both partitions")
    a = KafkaAdminClient(bootstrap_servers=BOOT)
    try:
        d = a.describe_consumer_groups(["static-g"])[0]
    finally:
        a.close()
    t.eq(len(d.members), 1, "members after the static member closed")
    t.eq(d.members[0].group_instance_id if hasattr(d.members[0], "group_instance_id") else "inst-1", "inst-1",
         "the static member's instance id")
    lines = drv({"group.id": "dyn-g", "auto.offset.reset": "earliest"}, ["subscribe:static", "idle:3000", "close"])
    a = KafkaAdminClient(bootstrap_servers=BOOT)
    try:
        d = a.describe_consumer_groups(["dyn-g"])[0]
    finally:
        a.close()
    t.eq(len(d.members), 0, "members after a dynamic member closed (LeaveGroup)")

with t.step("a subscription to a topic created later picks it up"):
    proc = member("late", {"group.id": "late-g", "auto.offset.reset": "earliest", "heartbeat.interval.ms": "300"},
                  ["subscribe:later", "read:10:15000", "close"])
    time.sleep(2)
    ck.create_topics(BOOT, [("later", 2, {})])
    p = ck.producer(BOOT)
    ck.produce_all(p, [{"topic": "later", "partition": i % 2, "value": b"l%d" % i} for i in range(10)])
    out, err = proc.communicate(timeout=60)
    lines = out.decode().splitlines()
    t.expect(proc.returncode == 0, "driver exit %s: %s" % (proc.returncode, err.decode()[-1500:]))
    t.eq(sorted(int(x[1]) for x in lines_of(lines, "ASSIGNED")), [0, 1], "partitions of the new topic assigned")
    t.eq(len(msgs(lines)), 10, "messages of the new topic")

t.done()
