"""broker_cli.py - sluiced's command line and server configuration, as a
person starting it would meet them.

--help; bad values stop start-up with a non-zero exit and a message naming
key, value and why (from the file and from --override); unknown keys are
warned about and start-up goes on; --override wins over the file;
broker.id is an alias of node.id; num.partitions and
auto.create.topics.enable govern topics created by Metadata; a port already
in use stops start-up with a message; SIGINT and SIGTERM exit 0.
Usage: broker_cli.py BINDIR
"""
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import check  # noqa: E402

t = check.Test("broker_cli", budget_s=170)
import kwire  # noqa: E402
import sluiced  # noqa: E402

work = tempfile.mkdtemp(prefix="sluiced-it-cli-")


def run_sluiced(args, timeout=30):
    """Runs sluiced to its exit (it must exit by itself within timeout)."""
    exe = sluiced.binary(t.bindir)
    try:
        p = subprocess.run([exe] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                           cwd=work, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise check.Failed("sluiced %s did not exit within %ds (it should stop at once)" % (" ".join(args), timeout))
    return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")


def props(name, lines):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def base_lines(port=None):
    return ["# test config", "", "listeners=PLAINTEXT://127.0.0.1:%d" % (port or sluiced.free_port()),
            "log.dirs=" + os.path.join(work, "data-%d" % len(os.listdir(work)))]


with t.step("sluiced --help: exit 0, usage with --override and Kafka's key names"):
    rc, out = run_sluiced(["--help"])
    t.eq(rc, 0, "exit status")
    for word in ("--override", "listeners", "log.dirs", "node.id", "message.max.bytes", "log.retention.hours"):
        t.expect(word in out, "--help does not mention %s:\n%s" % (word, out[:2000]))

for title, lines, overrides, key, value in (
        ("num.partitions=abc via --override", [], ["num.partitions=abc"], "num.partitions", "abc"),
        ("num.partitions=0 in the file", ["num.partitions=0"], [], "num.partitions", "0"),
        ("auto.create.topics.enable=maybe in the file", ["auto.create.topics.enable=maybe"], [],
         "auto.create.topics.enable", "maybe"),
        ("message.max.bytes=12x via --override", [], ["message.max.bytes=12x"], "message.max.bytes", "12x"),
        ("listeners=garbage in the file", ["listeners=garbage"], [], "listeners", "garbage"),
        ("log.segment.bytes=-1 in the file", ["log.segment.bytes=-1"], [], "log.segment.bytes", "-1")):
    with t.step("bad value stops start-up: %s (non-zero exit, key, value and why)" % title):
        path = props("bad.properties", base_lines() + lines)
        args = [path]
        for o in overrides:
            args += ["--override", o]
        rc, out = run_sluiced(args)
        t.expect(rc != 0, "exit status 0 with %s=%s; output:\n%s" % (key, value, out[-1500:]))
        line = [ln for ln in out.splitlines() if key in ln and value in ln]
        t.expect(line, "no message naming %s and %s; output:\n%s" % (key, value, out[-1500:]))
        t.expect(len(line[0]) > len(key) + len(value) + 8, "message says no why: %r" % line[0])

with t.step("a config file that does not exist: non-zero exit naming it"):
    rc, out = run_sluiced([os.path.join(work, "nope.properties")])
    t.expect(rc != 0 and "nope.properties" in out, "exit %d, output:\n%s" % (rc, out[-1500:]))

with t.step("--override without KEY=VALUE: non-zero exit"):
    rc, out = run_sluiced([props("ok.properties", base_lines()), "--override", "justakey"])
    t.expect(rc != 0, "exit 0 with --override justakey; output:\n%s" % out[-1500:])

with t.step("unknown keys are warned about and start-up goes on; broker.id is node.id"):
    b = t.broker(config={"broker.id": "5", "no.such.setting": "1"}, node_id=5)
    t.expect("no.such.setting" in b.log_text(), "no warning naming no.such.setting:\n" + b.log_tail(30))
    c = kwire.Conn(b.host, b.port)
    brokers, _ = kwire.metadata(c, [])
    c.close()
    t.eq([x[0] for x in brokers], [5], "node id from broker.id")
    t.eq(b.stop(), 0, "exit status after SIGTERM")

with t.step("--override wins over the file; auto-created topics get num.partitions"):
    b = t.broker(config={"num.partitions": "2"}, overrides=["num.partitions=4"])
    c = kwire.Conn(b.host, b.port)
    try:
        for _ in range(50):
            _, topics = kwire.metadata(c, ["auto-made"], auto_create=True)
            if topics["auto-made"][0] == 0 and topics["auto-made"][1]:
                break
        t.eq(topics["auto-made"][0], 0, "Metadata error for auto-made")
        t.eq(sorted(topics["auto-made"][1]), [0, 1, 2, 3], "partitions of the auto-created topic")
    finally:
        c.close()
    t.eq(b.stop(__import__("signal").SIGINT), 0, "exit status after SIGINT")

with t.step("auto.create.topics.enable=false: Metadata does not create, UNKNOWN_TOPIC_OR_PARTITION"):
    b = t.broker(overrides=["auto.create.topics.enable=false"])
    c = kwire.Conn(b.host, b.port)
    try:
        _, topics = kwire.metadata(c, ["not-made"], auto_create=True)
        t.eq(kwire.errname(topics["not-made"][0]), kwire.errname(3), "Metadata error")
        _, topics = kwire.metadata(c, None)
        t.expect("not-made" not in topics, "topic created anyway")
    finally:
        c.close()
    t.expect(not os.path.exists(b.partition_dir("not-made", 0)), "partition folder created anyway")
    t.eq(b.stop(), 0, "exit status after SIGTERM")

def describe(conn, rtype, name):
    """DescribeConfigs v1 of one resource (2 topic, 4 broker): {name: value}."""
    w = kwire.W().i32(1).i8(rtype).string(name).i32(-1).boolean(False)
    r = conn.call(32, 1, w.bytes())
    r.i32(), r.i32()
    err, msg, _typ, _name = r.i16(), r.string(), r.i8(), r.string()
    t.eq(err, 0, "DescribeConfigs error (%s)" % msg)
    out = {}
    for _ in range(r.i32()):
        n, v, _ro, _src, _sens = r.string(), r.string(), r.boolean(), r.i8(), r.boolean()
        r.array(lambda x: (x.string(), x.string(), x.i8()))
        out[n] = v
    return out


with t.step("every server key of the contract is accepted; topics inherit them (ms > minutes > hours)"):
    keys = {"num.partitions": "2", "auto.create.topics.enable": "true", "message.max.bytes": "2000000",
            "socket.request.max.bytes": "50000000", "log.segment.bytes": "10485760",
            "log.roll.ms": "3600000", "log.roll.hours": "24", "log.retention.minutes": "120",
            "log.retention.hours": "48", "log.retention.bytes": "1073741824",
            "log.retention.check.interval.ms": "60000", "log.flush.interval.messages": "10000",
            "log.flush.interval.ms": "1000", "delete.topic.enable": "false", "log.index.interval.bytes": "8192"}
    b = t.broker(config=keys, advertised_host="127.0.0.1")
    c = kwire.Conn(b.host, b.port)
    try:
        t.eq(kwire.create_topics(c, [("inherits", 1, 1, {})]), {"inherits": (0, None)}, "CreateTopics")
        got = describe(c, 2, "inherits")
        want = {"retention.ms": "7200000", "segment.ms": "3600000", "segment.bytes": "10485760",
                "retention.bytes": "1073741824", "max.message.bytes": "2000000", "flush.messages": "10000",
                "flush.ms": "1000", "index.interval.bytes": "8192"}
        t.eq({k: got.get(k) for k in want}, want, "topic configs inherited from the server keys")
        srv = describe(c, 4, "1")
        t.eq({k: srv.get(k) for k in ("num.partitions", "message.max.bytes", "log.retention.minutes",
                                      "delete.topic.enable")},
             {"num.partitions": "2", "message.max.bytes": "2000000", "log.retention.minutes": "120",
              "delete.topic.enable": "false"}, "broker configs described")
    finally:
        c.close()

with t.step("delete.topic.enable=false: DeleteTopics v3 gets TOPIC_DELETION_DISABLED (v1: INVALID_REQUEST, "
            "as Kafka answers older versions); the topic stays"):
    c = kwire.Conn(b.host, b.port)
    try:
        for v, want in ((1, 42), (3, 73)):
            r = c.call(20, v, kwire.W().i32(1).string("inherits").i32(10000).bytes())
            r.i32()
            res = dict(r.array(lambda x: (x.string(), x.i16())))
            t.eq(kwire.errname(res.get("inherits", 0)), kwire.errname(want), "DeleteTopics v%d error" % v)
        _, topics = kwire.metadata(c, None)
        t.expect("inherits" in topics, "topic deleted anyway")
    finally:
        c.close()
    t.eq(b.stop(), 0, "exit status after SIGTERM")

with t.step("a port already in use stops start-up with a message (non-zero exit)"):
    b = t.broker()
    path = props("clash.properties", base_lines(b.port))
    rc, out = run_sluiced([path], timeout=15)
    t.expect(rc != 0, "second sluiced on port %d exited 0; output:\n%s" % (b.port, out[-1500:]))
    t.expect(str(b.port) in out or "in use" in out.lower(), "message does not say what failed:\n" + out[-1500:])
    t.eq(b.stop(), 0, "first broker's exit status after SIGTERM")

import shutil  # noqa: E402
shutil.rmtree(work, ignore_errors=True)
t.done()
