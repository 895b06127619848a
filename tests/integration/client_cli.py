"""client_cli.py - the `sluice` command-line tool end to end against a real
sluiced: cluster; topics create/list/describe/alter/delete; configs
describe/alter; groups list/describe with LAG checked against what
confluent_kafka produced and committed (a group with no live member and one
with a live confluent_kafka member), reset-offsets as a dry run and with
--execute (checked through confluent_kafka's committed()), delete; produce
(keys, headers, a codec, a file, a partition) read back by confluent_kafka;
consume without a group (--offset, --partition, --format) and with one
(--json, then the group's lag); progress only when stderr is a terminal;
--json output parsed by json.loads; the same tool against librdkafka's mock
cluster (three brokers, old Metadata); exit codes 0/1/2 and the error texts
for a refused bootstrap address, an unknown topic and bad command lines.
Usage: client_cli.py BUILD_DIR (sluice and sluiced in BUILD_DIR/bin).
"""
import json
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
if len(sys.argv) >= 2:
    BUILD = os.path.abspath(sys.argv[1])
    sys.argv[1] = os.path.join(BUILD, "bin")
import check  # noqa: E402
import ck  # noqa: E402
import sluiced  # noqa: E402
from confluent_kafka import Consumer, TopicPartition  # noqa: E402

t = check.Test("client_cli", budget_s=280)
SLUICE = os.path.join(BUILD, "bin", "sluice")
b = t.broker()


def sluice(args, want_rc=0, env=None, timeout=60):
    """Runs sluice -b <broker> args; checks the exit status; returns (stdout, stderr)."""
    if not os.access(SLUICE, os.X_OK):
        raise check.Failed("sluice not built: %s" % SLUICE)
    full = [SLUICE] + (["-b", b.bootstrap] if env is None else []) + args
    try:
        p = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                           stdin=subprocess.DEVNULL, env=env)
    except subprocess.TimeoutExpired:
        raise check.Failed("sluice %s did not exit within %ds" % (" ".join(args), timeout))
    out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    for mark in sluiced.SANITIZER_MARKS:
        t.expect(mark not in err, "sluice %s: sanitizer report:\n%s" % (" ".join(args), err[-3000:]))
    if want_rc is not None and p.returncode != want_rc:
        raise check.Failed("sluice %s exited with %d, want %d\nstdout:\n%s\nstderr:\n%s"
                           % (" ".join(args), p.returncode, want_rc, out[-2000:], err[-2000:]))
    return out, err


def sluice_json(args):
    out, _ = sluice(args + ["--json"])
    try:
        return json.loads(out)
    except ValueError as e:
        raise check.Failed("sluice %s --json printed no JSON (%s):\n%s" % (" ".join(args), e, out[:2000]))


def table(out):
    """The rows of a table printed by sluice: a list of dicts by header."""
    lines = [ln for ln in out.splitlines() if ln.strip()]
    for i, ln in enumerate(lines):
        if ln.startswith("GROUP ") or ln.startswith("PARTITION ") or ln.startswith("NAME "):
            heads = ln.split()
            return [dict(zip(heads, row.split())) for row in lines[i + 1:]]
    raise check.Failed("no table in:\n%s" % out)


def committed(group, topic, parts):
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": group, "enable.auto.commit": False,
                  **ck.QUIET})
    try:
        got = c.committed([TopicPartition(topic, p) for p in parts], timeout=20)
    finally:
        c.close()
    return {tp.partition: tp.offset for tp in got}


TOPIC, GROUP, LIVE = "cli-t", "cli-g", "cli-live"

with t.step("sluice cluster: the cluster id, the controller and the broker, as a table and as JSON"):
    out, _ = sluice(["cluster"])
    t.expect("Controller: %d" % b.node_id in out, "no controller line:\n%s" % out)
    t.expect(str(b.port) in out and "127.0.0.1" in out, "the broker is not listed:\n%s" % out)
    j = sluice_json(["cluster"])
    t.eq(j["controller"], b.node_id, "controller")
    t.eq([(x["id"], x["host"], x["port"]) for x in j["brokers"]], [(b.node_id, "127.0.0.1", b.port)], "brokers")
    t.expect(j["cluster_id"], "no cluster id")

with t.step("topics create with partitions, replication factor and a config; again: exit 1, --if-not-exists: 0"):
    out, _ = sluice(["topics", "create", TOPIC, "--partitions", "3", "--replication-factor", "1",
                     "--config", "retention.ms=3600000"])
    t.expect("Created topic '%s'" % TOPIC in out, out)
    _, err = sluice(["topics", "create", TOPIC, "--partitions", "3"], want_rc=1)
    t.expect("TOPIC_ALREADY_EXISTS" in err and "--if-not-exists" in err, "error text:\n%s" % err)
    sluice(["topics", "create", TOPIC, "--if-not-exists"])
    md = ck.admin(b.bootstrap).list_topics(TOPIC, timeout=20)
    t.eq(len(md.topics[TOPIC].partitions), 3, "partitions seen by confluent_kafka")

with t.step("topics list and describe (table and JSON)"):
    out, _ = sluice(["topics", "list"])
    t.expect(TOPIC in out.split(), "list:\n%s" % out)
    t.expect(TOPIC in sluice_json(["topics", "list"]), "JSON list")
    out, _ = sluice(["topics", "describe", TOPIC])
    t.expect("PartitionCount: 3" in out and "retention.ms=3600000" in out, "describe:\n%s" % out)
    rows = table(out)
    t.eq([r["PARTITION"] for r in rows], ["0", "1", "2"], "partitions")
    t.eq({r["LEADER"] for r in rows}, {str(b.node_id)}, "leaders")
    j = sluice_json(["topics", "describe", TOPIC])
    t.eq(j[0]["partition_count"], 3, "partition_count")
    t.eq(j[0]["replication_factor"], 1, "replication_factor")
    t.eq(j[0]["configs"].get("retention.ms"), "3600000", "configs")

with t.step("topics alter: 5 partitions and a config set and one deleted"):
    out, _ = sluice(["topics", "alter", TOPIC, "--partitions", "5", "--config", "segment.ms=600000",
                     "--delete-config", "retention.ms"])
    t.expect("5 partitions" in out, out)
    md = ck.admin(b.bootstrap).list_topics(TOPIC, timeout=20)
    t.eq(len(md.topics[TOPIC].partitions), 5, "partitions seen by confluent_kafka")
    j = sluice_json(["topics", "describe", TOPIC])
    t.eq(j[0]["configs"], {"segment.ms": "600000"}, "topic configs after alter")
    _, err = sluice(["topics", "alter", TOPIC, "--partitions", "2"], want_rc=1)
    t.expect("INVALID_PARTITIONS" in err, "shrinking: %s" % err)

with t.step("configs describe/alter of the topic and describe of the broker"):
    out, _ = sluice(["configs", "alter", "--topic", TOPIC, "--set", "retention.ms=7200000", "--delete", "segment.ms"])
    t.expect("Altered" in out, out)
    rows = {r["NAME"]: r for r in table(sluice(["configs", "describe", "--topic", TOPIC])[0])}
    t.eq(rows["retention.ms"]["VALUE"], "7200000", "retention.ms")
    t.eq(rows["retention.ms"]["SOURCE"], "topic", "retention.ms source")
    t.eq(rows["segment.ms"]["SOURCE"], "default", "segment.ms source after delete")
    j = sluice_json(["configs", "describe", "--topic", TOPIC])
    by = {c["name"]: c for c in j["configs"]}
    t.eq(by["retention.ms"]["value"], "7200000", "JSON value")
    j = sluice_json(["configs", "describe", "--broker", str(b.node_id)])
    t.expect(any(c["name"] == "log.dirs" or c["name"] == "node.id" for c in j["configs"]), "broker configs")

# Produce 10, 20 and 30 records to partitions 0, 1, 2 (3 and 4 stay empty).
COUNTS = {0: 10, 1: 20, 2: 30, 3: 0, 4: 0}
with t.step("confluent_kafka produces 10/20/30 records to partitions 0/1/2"):
    p = ck.producer(b.bootstrap)
    msgs = [{"topic": TOPIC, "partition": part, "key": b"k", "value": b"v%d" % i}
            for part, n in COUNTS.items() for i in range(n)]
    reports = ck.produce_all(p, msgs)
    t.eq(sum(1 for r in reports if r[0] is None), 60, "delivered")

with t.step("a group with no live member: committed 4 and 20 on partitions 0 and 1"):
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": GROUP, "enable.auto.commit": False, **ck.QUIET})
    c.commit(offsets=[TopicPartition(TOPIC, 0, 4), TopicPartition(TOPIC, 1, 20)], asynchronous=False)
    c.close()
    t.eq(committed(GROUP, TOPIC, [0, 1]), {0: 4, 1: 20}, "committed")

live = None
with t.step("a group with a live confluent_kafka member that read and committed 7 records of partition 2"):
    live = Consumer({"bootstrap.servers": b.bootstrap, "group.id": LIVE, "client.id": "cli-live-client",
                     "enable.auto.commit": False, "auto.offset.reset": "earliest", **ck.QUIET})
    live.subscribe([TOPIC])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(live.assignment()) < 5:
        live.poll(0.2)
    t.eq(len(live.assignment()), 5, "assigned partitions")
    live.commit(offsets=[TopicPartition(TOPIC, 2, 7)], asynchronous=False)

with t.step("groups list shows both groups with their states (table and JSON)"):
    rows = {r["GROUP"]: r for r in table(sluice(["groups", "list"])[0])}
    t.expect(GROUP in rows and LIVE in rows, "groups: %s" % rows)
    t.eq(rows[GROUP]["STATE"], "Empty", "state of %s" % GROUP)
    t.eq(rows[LIVE]["STATE"], "Stable", "state of %s" % LIVE)
    j = {g["group"]: g for g in sluice_json(["groups", "list"])}
    t.eq(j[LIVE]["protocol_type"], "consumer", "protocol type")

with t.step("groups describe of the group with no live member: CURRENT-OFFSET, LOG-END-OFFSET and LAG"):
    out, _ = sluice(["groups", "describe", GROUP])
    t.expect("has no active members" in out, out)
    rows = {int(r["PARTITION"]): r for r in table(out)}
    t.eq(sorted(rows), [0, 1], "partitions with committed offsets")
    for part, cur in ((0, 4), (1, 20)):
        r = rows[part]
        t.eq((r["CURRENT-OFFSET"], r["LOG-END-OFFSET"], r["LAG"], r["CONSUMER-ID"]),
             (str(cur), str(COUNTS[part]), str(COUNTS[part] - cur), "-"), "row of partition %d" % part)
    j = sluice_json(["groups", "describe", GROUP])[0]
    t.eq(j["members"], 0, "members")
    t.eq({x["partition"]: x["lag"] for x in j["partitions"]}, {0: 6, 1: 0}, "JSON lags")

with t.step("groups describe of the live group: every assigned partition with its owner, lag where committed"):
    out, _ = sluice(["groups", "describe", LIVE])
    rows = {int(r["PARTITION"]): r for r in table(out)}
    t.eq(sorted(rows), [0, 1, 2, 3, 4], "partitions")
    r = rows[2]
    t.eq((r["CURRENT-OFFSET"], r["LOG-END-OFFSET"], r["LAG"]), ("7", "30", "23"), "partition 2")
    t.eq(rows[0]["CURRENT-OFFSET"], "-", "uncommitted partition")
    t.eq({r["CLIENT-ID"] for r in rows.values()}, {"cli-live-client"}, "client ids")
    t.expect(all(r["CONSUMER-ID"].startswith("cli-live-client") for r in rows.values()), out)
    j = sluice_json(["groups", "describe", LIVE])[0]
    t.eq(j["state"], "Stable", "state")
    t.eq(j["members"], 1, "members")
    t.eq({x["partition"]: x["lag"] for x in j["partitions"]}, {0: None, 1: None, 2: 23, 3: None, 4: None}, "lags")

with t.step("reset-offsets is a dry run by default: the plan is printed and nothing changes"):
    out, err = sluice(["groups", "reset-offsets", GROUP, "--topic", TOPIC, "--to-earliest"])
    rows = {int(r["PARTITION"]): r for r in table(out)}
    t.eq({p: r["NEW-OFFSET"] for p, r in rows.items()}, {p: "0" for p in range(5)}, "planned offsets")
    t.expect("Dry run" in err and "--execute" in err, "dry-run notice: %s" % err)
    t.eq(committed(GROUP, TOPIC, [0, 1]), {0: 4, 1: 20}, "committed after the dry run")

with t.step("reset-offsets --execute: to-offset 5 (kept within each log), shift-by -2, to-latest, to-datetime"):
    sluice(["groups", "reset-offsets", GROUP, "--topic", TOPIC, "--to-offset", "5", "--execute"])
    t.eq(committed(GROUP, TOPIC, range(5)), {0: 5, 1: 5, 2: 5, 3: 0, 4: 0}, "after --to-offset 5")
    sluice(["groups", "reset-offsets", GROUP, "--topic", TOPIC + ":1,2", "--shift-by", "-2", "--execute"])
    t.eq(committed(GROUP, TOPIC, range(3)), {0: 5, 1: 3, 2: 3}, "after --shift-by -2 on 1,2")
    j = sluice_json(["groups", "reset-offsets", GROUP, "--topic", TOPIC, "--to-latest", "--execute"])
    t.eq(j["executed"], True, "executed")
    t.eq({x["partition"]: x["new_offset"] for x in j["partitions"]}, COUNTS, "JSON new offsets")
    t.eq(committed(GROUP, TOPIC, range(5)), COUNTS, "after --to-latest")
    sluice(["groups", "reset-offsets", GROUP, "--topic", TOPIC + ":2", "--to-datetime", "2000-01-01T00:00:00Z",
            "--execute"])
    t.eq(committed(GROUP, TOPIC, [2]), {2: 0}, "after --to-datetime in the past")
    rows = {int(r["PARTITION"]): r for r in table(sluice(["groups", "describe", GROUP])[0])}
    t.eq(rows[2]["LAG"], "30", "lag of partition 2 after the reset")

with t.step("reset-offsets --execute on a group with a live member fails (exit 1) and says why"):
    _, err = sluice(["groups", "reset-offsets", LIVE, "--topic", TOPIC, "--to-earliest", "--execute"], want_rc=1)
    t.expect("active members" in err, err)
    t.eq(committed(LIVE, TOPIC, [2]), {2: 7}, "live group's offset untouched")

with t.step("groups delete: a group with a live member is refused (exit 1), an empty one goes"):
    _, err = sluice(["groups", "delete", LIVE], want_rc=1)
    t.expect("NON_EMPTY_GROUP" in err, err)
    out, _ = sluice(["groups", "delete", GROUP])
    t.expect("Deleted group '%s'" % GROUP in out, out)
    t.expect(GROUP not in [g["group"] for g in sluice_json(["groups", "list"])], "deleted group still listed")
    _, err = sluice(["groups", "describe", GROUP], want_rc=1)
    t.expect("does not exist" in err, err)
    if live is not None:
        live.close()

with t.step("topics delete, then describe of it: exit 1 naming the topic and what to do"):
    out, _ = sluice(["topics", "delete", TOPIC])
    t.expect("Deleted topic '%s'" % TOPIC in out, out)
    _, err = sluice(["topics", "describe", TOPIC], want_rc=1)
    t.expect(TOPIC in err and "UNKNOWN_TOPIC_OR_PARTITION" in err and "topics list" in err, err)
    _, err = sluice(["configs", "describe", "--topic", "no-such-topic"], want_rc=1)
    t.expect("no-such-topic" in err and "UNKNOWN_TOPIC_OR_PARTITION" in err, err)

PC = "cli-pc"
with t.step("sluice produce: lines with keys (--key-separator) and a header, zstd, acks=all; a summary"):
    sluice(["topics", "create", PC, "--partitions", "2"])
    lines = "".join("key-%d:value-%d\n" % (i % 5, i) for i in range(200))
    p = subprocess.run([SLUICE, "-b", b.bootstrap, "produce", PC, "--key-separator", ":", "--header", "src=cli",
                        "--compression", "zstd", "--acks", "all"], input=lines.encode(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    out = p.stdout.decode()
    t.eq(p.returncode, 0, "exit status (stderr: %s)" % p.stderr.decode()[-1000:])
    t.expect("Produced 200 messages" in out and "msg/s" in out, out)
    # confluent_kafka reads them back: keys, values, the header, and murmur2 placement.
    ends = ck.watermarks(b.bootstrap, PC, [0, 1])
    got = ck.read_partitions(b.bootstrap, PC, {pp: hi for pp, (lo, hi) in ends.items()})
    recs = [m for ms in got.values() for m in ms]
    t.eq(len(recs), 200, "records read by confluent_kafka")
    t.eq(sorted(m.value().decode() for m in recs), sorted("value-%d" % i for i in range(200)), "values")
    t.expect(all(m.key().decode() == "key-%d" % (int(m.value().decode()[6:]) % 5) for m in recs), "keys")
    t.expect(all(m.headers() == [("src", b"cli")] for m in recs), "headers: %s" % recs[0].headers())
    where = {}
    for m in recs:
        where.setdefault(m.key(), set()).add(m.partition())
    t.expect(all(len(v) == 1 for v in where.values()), "one partition per key: %s" % where)

with t.step("sluice produce --file and --partition; a line without the separator fails (exit 1)"):
    path = os.path.join(b.dir, "in.txt")
    with open(path, "w") as f:
        f.write("a\nb\nc\n")
    out, _ = sluice(["produce", PC, "--file", path, "--partition", "1"])
    t.expect("Produced 3 messages" in out, out)
    _, err = sluice(["produce", PC, "--file", path, "--key-separator", ":"], want_rc=1)
    t.expect("no key separator" in err, err)
    _, err = sluice(["produce", "no-such-topic", "--file", path], want_rc=1)
    t.expect("no-such-topic" in err and "UNKNOWN_TOPIC_OR_PARTITION" in err, err)

with t.step("sluice consume without a group: --offset, --partition, --max and --format"):
    out, _ = sluice(["consume", PC, "--partition", "1", "--offset", "beginning", "--max", "500", "--timeout", "3000",
                     "--format", "{partition}|{key}|{value}|{headers}\\n"])
    rows = [ln.split("|") for ln in out.splitlines()]
    t.expect(["1", "", "c", ""] in rows, "the --partition 1 records: %s" % rows[-5:])
    t.expect(all(r[0] == "1" for r in rows), "only partition 1")
    t.expect(any(r[2].startswith("value-") and r[3] == "src=cli" for r in rows), "keyed records with the header")

with t.step("sluice consume --group: then groups describe shows the group's lag as produced minus consumed"):
    out, err = sluice(["consume", PC, "--group", "cli-pc-g", "--from-beginning", "--max", "150", "--timeout",
                       "20000", "--json"])
    recs = [json.loads(ln) for ln in out.splitlines()]
    t.eq(len(recs), 150, "records consumed (stderr: %s)" % err[-500:])
    t.expect(all(r["headers"].get("src") == "cli" for r in recs if r["key"]), "headers in JSON")
    j = sluice_json(["groups", "describe", "cli-pc-g"])[0]
    t.eq(sum(x["current_offset"] or 0 for x in j["partitions"]), 150, "committed in total")
    t.eq(sum(x["lag"] for x in j["partitions"]), 203 - 150, "lag in total")

with t.step("progress on stderr only when it is a terminal (produce fed slowly, consume waiting)"):
    import pty
    import select
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([SLUICE, "-b", b.bootstrap, "produce", PC], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=slave)
        for i in range(30):
            p.stdin.write(b"slow-%d\n" % i)
            p.stdin.flush()
            time.sleep(0.1)
        p.stdin.close()
        out = p.stdout.read().decode()
        p.wait(timeout=60)
        t.eq(p.returncode, 0, "exit status")
        seen = b""
        while select.select([master], [], [], 0.5)[0]:
            seen += os.read(master, 4096)
        t.expect(b"messages produced" in seen and b"msg/s" in seen, "no progress on the terminal: %r" % seen)
        t.expect("Produced 30 messages" in out, out)
    finally:
        os.close(master)
        os.close(slave)
    _, err = sluice(["consume", PC, "--offset", "end", "--timeout", "1500"])
    t.expect("msg/s" not in err, "progress on a stderr that is no terminal: %r" % err)

with t.step("against librdkafka's mock cluster (3 brokers, Metadata v2 only): cluster, topics, produce, consume"):
    mock_exe = os.path.join(BUILD, "bin", "peer_mock")
    if not os.access(mock_exe, os.X_OK):
        raise check.Failed("peer_mock not built: %s" % mock_exe)
    mock = subprocess.Popen([mock_exe, "--brokers", "3", "mock-t:6"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        line = mock.stdout.readline().decode().strip()
        t.expect(line.startswith("bootstrap="), "peer_mock said %r" % line)
        mb = line.split("=", 1)[1]
        j = json.loads(subprocess.run([SLUICE, "-b", mb, "cluster", "--json"], stdout=subprocess.PIPE,
                                      timeout=60).stdout)
        t.eq(sorted(x["id"] for x in j["brokers"]), [1, 2, 3], "mock brokers")
        j = json.loads(subprocess.run([SLUICE, "-b", mb, "topics", "describe", "mock-t", "--json"],
                                      stdout=subprocess.PIPE, timeout=60).stdout)
        t.eq(j[0]["partition_count"], 6, "mock partitions")
        p = subprocess.run([SLUICE, "-b", mb, "produce", "mock-t", "--key-separator", ":"],
                           input="".join("k%d:v%d\n" % (i, i) for i in range(100)).encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        t.eq(p.returncode, 0, "produce to the mock (%s)" % p.stderr.decode()[-500:])
        p = subprocess.run([SLUICE, "-b", mb, "consume", "mock-t", "--offset", "beginning", "--max", "100",
                            "--timeout", "15000", "--format", "{key}={value}\\n"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        t.eq(p.returncode, 0, "consume from the mock (%s)" % p.stderr.decode()[-500:])
        t.eq(sorted(p.stdout.decode().split()), sorted("k%d=v%d" % (i, i) for i in range(100)), "records")
    finally:
        mock.terminate()
        mock.wait(timeout=20)

with t.step("a refused bootstrap address: exit 1 naming the address, the reason and what to do"):
    port = sluiced.free_port()
    addr = "127.0.0.1:%d" % port
    _, err = sluice(["-b", addr, "--timeout", "1500", "topics", "list"], want_rc=1)
    t.expect(addr in err and "Connection refused" in err, err)
    t.expect("SLUICE_BOOTSTRAP" in err and "-b HOST:PORT" in err, err)

with t.step("SLUICE_BOOTSTRAP is used without -b"):
    env = dict(os.environ, SLUICE_BOOTSTRAP=b.bootstrap)
    out, _ = sluice(["cluster"], env=env)
    t.expect(str(b.port) in out, out)

with t.step("bad command lines: exit 2 with a message"):
    for args, words in ((["topics", "create"], "one topic name"),
                        (["topics", "create", "x", "--partitions", "zero"], "--partitions"),
                        (["topics", "frobnicate"], "unknown topics command"),
                        (["nonsense"], "unknown command"),
                        (["topics", "list", "--bogus"], "unknown option --bogus"),
                        (["groups", "reset-offsets", "g", "--topic", "x"], "--to-earliest"),
                        (["groups", "reset-offsets", "g", "--topic", "x", "--to-datetime", "soon"], "--to-datetime"),
                        (["configs", "describe"], "--topic")):
        _, err = sluice(args, want_rc=2)
        t.expect(words in err, "sluice %s: %s" % (" ".join(args), err))
    out, _ = sluice(["--help"])
    t.expect("topics create" in out and "groups reset-offsets" in out, out)

t.done()
