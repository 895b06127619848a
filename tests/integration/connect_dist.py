#!/usr/bin/python3
"""connect_dist.py - a pair of distributed Connect workers against a real
sluiced: worker A is sluiced's own `connect` role, worker B a
sluice-connect-distributed process, both in one group (protocol type
"connect") sharing the config, offset and status topics.

Steps:
- the group is a "connect" group (ListGroups and DescribeGroups through
  confluent_kafka), its topics exist and are compacted;
- FileStreamSource with tasks.max=2 over two files (one task per file, one
  on each worker) and FileStreamSink: every line arrives, statuses over
  either worker's REST agree, tasks run on both workers;
- B stopped (SIGTERM): its tasks move to A, lines appended meanwhile arrive,
  nothing lost (after removing repeats each file's lines arrive in order);
- a task restart and a connector created on one worker and deleted through
  the other;
- both workers restarted (sluiced too): the connectors' configs and task
  configs survive, lines appended while they were down arrive;
- exactly-once source (exactly.once.source.support=enabled, the connector's
  exactly.once.support=required): B killed with SIGKILL mid-stream, its task
  moves to A, and a read_committed consumer sees every line exactly once;
- existing topics that do not suit (not compacted, a config topic of two
  partitions) are refused;
- sluiced --help lists the role's keys; a missing plugin folder and the
  connect role without the broker role stop sluiced with a sentence.
Every wait is bounded; nothing asserts a duration.

Usage: connect_dist.py BUILD_DIR
"""
import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import client_drv  # noqa: E402
import check  # noqa: E402
import sluiced  # noqa: E402

BUILD = client_drv.build_dir()
t = check.Test("connect_dist", budget_s=560)

LINES = int(os.environ.get("SLUICE_IT_CONNECT_DIST_LINES", "20000"))
EOS_LINES = int(os.environ.get("SLUICE_IT_CONNECT_DIST_EOS_LINES", "200000"))
WORKER = os.path.join(BUILD, "bin", "sluice-connect-distributed")
PLUGINS = os.path.join(BUILD, "connect-plugins")
SCRATCH = tempfile.mkdtemp(prefix="connect-dist-it-")
atexit.register(shutil.rmtree, SCRATCH, True)
GROUP = "dist-it"

# Shared by both workers (sluiced passes connect.X to its worker as X).
SETTINGS = {
    "group.id": GROUP,
    "plugin.path": PLUGINS,
    "key.converter": "string",
    "value.converter": "string",
    "session.timeout.ms": "6000",
    "heartbeat.interval.ms": "1000",
    "offset.flush.interval.ms": "200",
    "exactly.once.source.support": "enabled",
    "consumer.session.timeout.ms": "6000",
    "consumer.heartbeat.interval.ms": "1000",
}


def lines(tag, lo, hi):
    return ["%s-%07d %s" % (tag, i, "x" * (i % 23)) for i in range(lo, hi)]


def append(path, items):
    with open(path, "a") as f:
        f.write("\n".join(items) + "\n")


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        return f.read().decode("utf-8").split("\n")[:-1]


def rest(port, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read().decode("utf-8")
            return r.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        text = e.read().decode("utf-8")
        return e.code, json.loads(text) if text else None


class Worker:
    """Worker B: a sluice-connect-distributed process."""

    def __init__(self, port):
        if not os.access(WORKER, os.X_OK):
            raise check.Failed("worker not built: %s" % WORKER)
        self.port = port
        props = dict(SETTINGS, **{"bootstrap.servers": b.bootstrap,
                                  "listeners": "http://127.0.0.1:%d" % port})
        self.props = os.path.join(SCRATCH, "worker-b.properties")
        with open(self.props, "w") as f:
            for k, v in props.items():
                f.write("%s=%s\n" % (k, v))
        self.proc = None
        self.logs = []

    def start(self):
        log = os.path.join(SCRATCH, "worker-b-%d.log" % len(self.logs))
        self.logs.append(log)
        self.out = open(log, "w")
        self.proc = subprocess.Popen([WORKER, self.props], stdout=self.out, stderr=subprocess.STDOUT,
                                     preexec_fn=sluiced._die_with_parent)

    def text(self):
        with open(self.logs[-1], errors="replace") as f:
            return f.read()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)
            raise check.Failed("worker B did not stop within 120 s of SIGTERM\n" + self.text()[-3000:])
        self.out.close()
        self.check_clean()
        return rc

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.out.close()

    def check_clean(self):
        text = self.text()
        if any(m in text for m in sluiced.SANITIZER_MARKS):
            raise check.Failed("sanitizer reports in worker B's log:\n" + text[-4000:])


def wait_rest(port, who, timeout_s=90):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if rest(port, "GET", "/connectors")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise check.Failed("%s's REST service never answered on port %d\n%s" % (who, port, logs()))


def logs():
    out = "---- sluiced (worker A) ----\n" + b.log_tail(40)
    if wb.logs:
        out += "\n---- worker B ----\n" + wb.text()[-3000:]
    return out


def wait_status(port, name, pred, what, timeout_s=90):
    """Polls GET status until pred(status) holds; returns it. Bounded."""
    deadline = time.monotonic() + timeout_s
    st = None
    while time.monotonic() < deadline:
        try:
            code, st = rest(port, "GET", "/connectors/%s/status" % name)
            if code == 200 and pred(st):
                return st
        except (OSError, ValueError):
            pass
        time.sleep(0.3)
    raise check.Failed("%s: last status %r\n%s" % (what, st, logs()))


def running(n_tasks, workers=None):
    def pred(st):
        states = [x["state"] for x in st.get("tasks", [])]
        ok = st["connector"]["state"] == "RUNNING" and states == ["RUNNING"] * n_tasks
        if ok and workers is not None:
            ok = {x["worker_id"] for x in st["tasks"]} | {st["connector"]["worker_id"]} <= workers
        return ok
    return pred


def wait_lines(path, want, what, timeout_s=240):
    """Waits until path holds every line of want (a list); bounded."""
    deadline = time.monotonic() + timeout_s
    need = set(want)
    got = set()
    while time.monotonic() < deadline:
        got = set(read_lines(path))
        if need <= got:
            return
        time.sleep(0.3)
    raise check.Failed("%s: %d of %d lines arrived\n%s" % (what, len(need & got), len(need), logs()))


def in_order(got, want, tag):
    seen = set()
    mine = []
    for x in got:
        if x.startswith(tag + "-") and x not in seen:
            seen.add(x)
            mine.append(x)
    return mine == want


A_PORT = sluiced.free_port()
B_PORT = sluiced.free_port()
A_ID = "127.0.0.1:%d" % A_PORT
B_ID = "127.0.0.1:%d" % B_PORT
config = {"num.partitions": "1", "group.initial.rebalance.delay.ms": "0",
          "sluice.roles": "broker,connect", "connect.listeners": "http://%s" % A_ID}
config.update({"connect." + k: v for k, v in SETTINGS.items()})
b = t.broker(config=config)
wb = Worker(B_PORT)

in_a = os.path.join(SCRATCH, "in-a.txt")
in_b = os.path.join(SCRATCH, "in-b.txt")
out = os.path.join(SCRATCH, "out.txt")
want_a = lines("a", 0, LINES)
want_b = lines("b", 0, LINES)

with t.step("two workers (sluiced's connect role and sluice-connect-distributed) form one "
            "\"connect\" group"):
    wait_rest(A_PORT, "worker A (sluiced)")
    wb.start()
    wait_rest(B_PORT, "worker B")
    from confluent_kafka.admin import AdminClient
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    # librdkafka's list_groups: ListGroups, then DescribeGroups of each.
    deadline = time.monotonic() + 60
    g = None
    while time.monotonic() < deadline:
        found = [x for x in admin.list_groups(timeout=30) if x.id == GROUP]
        g = found[0] if found else None
        if g and len(g.members) == 2 and g.state == "Stable":
            break
        time.sleep(0.5)
    t.expect(g is not None, "ListGroups does not list %s" % GROUP)
    t.eq((g.protocol_type, g.protocol, g.state, len(g.members)), ("connect", "sessions", "Stable", 2),
         "the workers' group (protocol type, protocol, state, members)")
    topics = admin.list_topics(timeout=30).topics
    for name in ("connect-configs", "connect-offsets", "connect-status"):
        t.expect(name in topics, "topic %s was not created" % name)
    from confluent_kafka.admin import ConfigResource
    res = ConfigResource(ConfigResource.Type.TOPIC, "connect-offsets")
    cfg = list(admin.describe_configs([res]).values())[0].result(timeout=30)
    t.eq(cfg["cleanup.policy"].value, "compact", "connect-offsets cleanup.policy")

with t.step("file source (tasks.max=2, two files) and file sink spread over both workers; "
            "every line arrives"):
    append(in_a, want_a)
    append(in_b, want_b)
    code, body = rest(A_PORT, "POST", "/connectors", {"name": "src", "config": {
        "connector.class": "FileStreamSource", "tasks.max": "2", "files": "%s,%s" % (in_a, in_b),
        "topic": "lines"}})
    t.eq(code, 201, "POST /connectors src on A: %r" % (body,))
    code, body = rest(B_PORT, "POST", "/connectors", {"name": "sink", "config": {
        "connector.class": "FileStreamSink", "file": out, "topics": "lines"}})
    t.eq(code, 201, "POST /connectors sink on B: %r" % (body,))
    code, body = rest(B_PORT, "POST", "/connectors", {"name": "sink", "config": {
        "connector.class": "FileStreamSink", "file": out, "topics": "lines"}})
    t.eq(code, 409, "POST of an existing connector")
    st = wait_status(B_PORT, "src", running(2), "src RUNNING with 2 tasks")
    t.eq({x["worker_id"] for x in st["tasks"]}, {A_ID, B_ID}, "the two source tasks' workers")
    wait_status(A_PORT, "sink", running(1), "sink RUNNING")
    code, names = rest(B_PORT, "GET", "/connectors")
    t.eq(sorted(names), ["sink", "src"], "GET /connectors on B")
    code, tasks = rest(A_PORT, "GET", "/connectors/src/tasks")
    t.eq(sorted(x["config"]["file"] for x in tasks), sorted([in_a, in_b]), "task configs' files")
    wait_lines(out, want_a + want_b, "first lines")

with t.step("worker B stops: its tasks move to A, lines appended meanwhile arrive, none lost"):
    rc = wb.stop()
    t.eq(rc, 0, "worker B's exit status after SIGTERM")
    more_a, more_b = lines("a", LINES, LINES + LINES // 2), lines("b", LINES, LINES + LINES // 2)
    append(in_a, more_a)
    append(in_b, more_b)
    for name, n in (("src", 2), ("sink", 1)):
        wait_status(A_PORT, name, running(n, {A_ID}), "%s's units all on A" % name)
    want_a += more_a
    want_b += more_b
    wait_lines(out, want_a + want_b, "lines after B stopped")
    got = read_lines(out)
    t.expect(in_order(got, want_a, "a") and in_order(got, want_b, "b"),
             "after removing repeats, a file's lines are not in order")
    t.expect(set(got) <= set(want_a + want_b), "the sink wrote lines the sources never had")

with t.step("pause and resume through B's REST reach the tasks on A"):
    wb.start()
    wait_rest(B_PORT, "worker B")
    t.eq(rest(B_PORT, "PUT", "/connectors/src/pause")[0], 202, "PUT pause")
    wait_status(A_PORT, "src", lambda st: [x["state"] for x in st["tasks"]] == ["PAUSED"] * 2,
                "src's tasks PAUSED")
    t.eq(rest(A_PORT, "PUT", "/connectors/src/resume")[0], 202, "PUT resume")
    wait_status(B_PORT, "src", running(2), "src RUNNING again")

with t.step("restart of a task and delete of a connector through one worker reach the other"):
    code, _ = rest(A_PORT, "POST", "/connectors/src/tasks/1/restart")
    t.expect(code in (200, 202, 204), "POST task restart answered %d" % code)
    t.eq(rest(A_PORT, "POST", "/connectors/src/tasks/7/restart")[0], 404, "restart of a task that is not")
    wait_status(B_PORT, "src", running(2), "src RUNNING after the task restart")
    extra_out = os.path.join(SCRATCH, "extra.txt")
    code, body = rest(A_PORT, "PUT", "/connectors/extra/config", {
        "connector.class": "FileStreamSink", "file": extra_out, "topics": "lines"})
    t.eq(code, 201, "PUT /connectors/extra/config: %r" % (body,))
    wait_status(B_PORT, "extra", running(1), "extra RUNNING")
    t.eq(rest(B_PORT, "DELETE", "/connectors/extra")[0], 204, "DELETE extra on B")
    deadline = time.monotonic() + 30
    names = None
    while time.monotonic() < deadline:
        names = rest(A_PORT, "GET", "/connectors")[1]
        if "extra" not in names:
            break
        time.sleep(0.2)
    t.eq(sorted(names), ["sink", "src"], "A's connectors after B deleted extra")
    t.eq(rest(A_PORT, "GET", "/connectors/extra/status")[0], 404, "status of the deleted connector")
    t.eq(rest(B_PORT, "DELETE", "/connectors/extra")[0], 404, "a second DELETE")

with t.step("both workers restart: configs survive, lines appended while down arrive"):
    t.eq(wb.stop(), 0, "worker B's exit status")
    t.eq(b.stop(), 0, "sluiced's exit status after SIGTERM (worker A inside)")
    more_a, more_b = lines("a", 2 * LINES, 2 * LINES + 1000), lines("b", 2 * LINES, 2 * LINES + 1000)
    append(in_a, more_a)
    append(in_b, more_b)
    want_a += more_a
    want_b += more_b
    b.start()
    wait_rest(A_PORT, "worker A after the restart")
    wb.start()
    wait_rest(B_PORT, "worker B after the restart")
    code, names = rest(A_PORT, "GET", "/connectors")
    t.eq(sorted(names or []), ["sink", "src"], "connectors after the restart")
    code, cfg = rest(B_PORT, "GET", "/connectors/src/config")
    t.eq(cfg.get("files"), "%s,%s" % (in_a, in_b), "src's config after the restart")
    wait_status(A_PORT, "src", running(2), "src RUNNING after the restart")
    wait_lines(out, want_a + want_b, "lines after the restart")
    got = read_lines(out)
    t.expect(in_order(got, want_a, "a") and in_order(got, want_b, "b"),
             "after removing repeats, a file's lines are not in order")

with t.step("exactly-once source, worker B killed with SIGKILL mid-stream: a read_committed "
            "consumer sees every line exactly once"):
    from confluent_kafka import Consumer, TopicPartition
    eos_a, eos_b = os.path.join(SCRATCH, "eos-a.txt"), os.path.join(SCRATCH, "eos-b.txt")
    want = lines("ea", 0, EOS_LINES) + lines("eb", 0, EOS_LINES)
    append(eos_a, want[:EOS_LINES])
    append(eos_b, want[EOS_LINES:])
    code, body = rest(B_PORT, "POST", "/connectors", {"name": "eos", "config": {
        "connector.class": "FileStreamSource", "tasks.max": "2", "files": "%s,%s" % (eos_a, eos_b),
        "topic": "eos-lines", "exactly.once.support": "required"}})
    t.eq(code, 201, "POST /connectors eos: %r" % (body,))
    st = wait_status(A_PORT, "eos", running(2), "eos RUNNING")
    t.eq({x["worker_id"] for x in st["tasks"]}, {A_ID, B_ID}, "the eos tasks' workers")
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "eos-watch", "enable.auto.commit": False})
    deadline = time.monotonic() + 120
    hw = 0
    while hw < len(want) // 10 and time.monotonic() < deadline:
        hw = c.get_watermark_offsets(TopicPartition("eos-lines", 0), timeout=10)[1]
        time.sleep(0.02)
    c.close()
    t.expect(hw >= len(want) // 10, "the exactly-once source never got going (%d records)" % hw)
    wb.kill()
    t.expect(hw < len(want), "B was killed after everything was written; the step proves nothing")
    wait_status(A_PORT, "eos", running(2, {A_ID}), "eos's tasks all on A after the kill",
                timeout_s=120)
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "eos-check", "enable.auto.commit": False,
                  "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    c.subscribe(["eos-lines"])
    got = []
    deadline = time.monotonic() + 300
    quiet = 0
    while time.monotonic() < deadline and (len(got) < len(want) or quiet < 10):
        m = c.poll(0.5)
        if m is None:
            quiet += 1
            continue
        if m.error():
            continue
        quiet = 0
        got.append(m.value().decode("utf-8"))
    c.close()
    dups = len(got) - len(set(got))
    t.eq(set(got), set(want), "the lines a read_committed consumer sees (missing %d)"
         % len(set(want) - set(got)))
    t.eq(dups, 0, "lines seen twice by the read_committed consumer")
    print("   killed B with %d of %d records in the topic" % (hw, len(want)))

with t.step("a worker refuses existing topics that do not suit: not compacted, a config topic of "
            "two partitions"):
    from confluent_kafka.admin import NewTopic
    futs = admin.create_topics([
        NewTopic("plain-configs", 1, 1),
        NewTopic("split-configs", 2, 1, config={"cleanup.policy": "compact"})])
    for f in futs.values():
        f.result(timeout=30)
    for topic, words in (("plain-configs", "cleanup.policy=delete"), ("split-configs", "2 partitions")):
        props = os.path.join(SCRATCH, "bad-%s.properties" % topic)
        with open(props, "w") as f:
            for k, v in dict(SETTINGS, **{"bootstrap.servers": b.bootstrap, "group.id": "bad-" + topic,
                                          "config.storage.topic": topic,
                                          "offset.storage.topic": topic + "-offsets",
                                          "status.storage.topic": topic + "-status",
                                          "listeners": "http://127.0.0.1:%d" % sluiced.free_port()}).items():
                f.write("%s=%s\n" % (k, v))
        p = subprocess.run([WORKER, props], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120,
                           preexec_fn=sluiced._die_with_parent)
        text = p.stdout.decode("utf-8", "replace")
        t.eq(p.returncode, 1, "sluice-connect-distributed's exit status with %s" % topic)
        t.expect(("config.storage.topic=" + topic) in text and words in text,
                 "the refusal does not say why (%s):\n%s" % (words, text[-2000:]))

with t.step("sluiced: --help lists the connect role's keys; a bad connect.plugin.path stops it"):
    exe = sluiced.binary(t.bindir)
    p = subprocess.run([exe, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    text = p.stdout.decode("utf-8", "replace")
    t.eq(p.returncode, 0, "sluiced --help exit status")
    for key in ("sluice.roles=broker,sql,connect", "connect.listeners=http://127.0.0.1:8083",
                "connect.plugin.path", "connect.group.id=sluice-connect", "connect.config.storage.topic"):
        t.expect(key in text, "sluiced --help does not list %s" % key)
    data = os.path.join(SCRATCH, "bad-data")
    p = subprocess.run([exe, "--override", "listeners=PLAINTEXT://127.0.0.1:%d" % sluiced.free_port(),
                        "--override", "log.dirs=" + data, "--override", "sluice.roles=broker,connect",
                        "--override", "connect.plugin.path=" + os.path.join(SCRATCH, "no-such-dir")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60, cwd=SCRATCH)
    text = p.stdout.decode("utf-8", "replace")
    t.eq(p.returncode, 1, "sluiced's exit status with a missing plugin folder")
    t.expect("connect.plugin.path" in text and "no-such-dir does not exist" in text,
             "the error does not name the missing folder:\n" + text[-2000:])
    p = subprocess.run([exe, "--override", "sluice.roles=connect", "--override", "log.dirs=" + data],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60, cwd=SCRATCH)
    t.eq(p.returncode, 1, "sluiced's exit status with the connect role alone")
    t.expect("the connect role needs the broker role" in p.stdout.decode("utf-8", "replace"),
             "no sentence for the connect role without the broker role")

t.done()
