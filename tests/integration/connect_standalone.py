#!/usr/bin/python3
"""connect_standalone.py - the standalone Connect worker
(sluice-connect-standalone) against a real sluiced: FileStreamSource tails a
file into a topic (JSON converter with schemas, Kafka's envelope), and
FileStreamSink writes the topic back into a file.

Steps: 1,000,000 lines (SLUICE_IT_CONNECT_LINES changes it) arrive
identical while the worker's REST service (on a free port given as
`listeners`) reports both connectors RUNNING, pauses them mid-stream (the
topic and the sink's file stop growing) and resumes them, and the topic
holds Kafka's JSON envelope; a worker killed with SIGKILL mid-stream and restarted (with
more lines appended while it was down) loses no line: every line is unique,
so removing repeated lines removes exactly the records delivered twice for
one source offset (at least once), and the output then equals the input, in
order. Every wait is bounded; nothing asserts a duration.

Usage: connect_standalone.py BUILD_DIR
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
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import client_drv  # noqa: E402
import check  # noqa: E402
import ck  # noqa: E402
import sluiced  # noqa: E402

BUILD = client_drv.build_dir()
t = check.Test("connect_standalone", budget_s=560)

LINES = int(os.environ.get("SLUICE_IT_CONNECT_LINES", "1000000"))
WORKER = os.path.join(BUILD, "bin", "sluice-connect-standalone")
PLUGINS = os.path.join(BUILD, "connect-plugins")
SCRATCH = tempfile.mkdtemp(prefix="connect-it-")
# Files and worker logs: whatever a failure needs is printed by its step.
atexit.register(shutil.rmtree, SCRATCH, True)


def lines(lo, hi):
    # Unique, varied lengths, a few characters JSON must escape.
    return ["line-%07d %s \"q\" \\ %s" % (i, "x" * (i % 37), "é" if i % 11 == 0 else "")
            for i in range(lo, hi)]


def write_props(name, items):
    path = os.path.join(SCRATCH, name)
    with open(path, "w") as f:
        for k, v in items.items():
            f.write("%s=%s\n" % (k, v))
    return path


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        data = f.read()
    # Only complete lines: the sink may be between a write and its newline.
    return data.decode("utf-8").split("\n")[:-1]


def count_lines(path):
    if not os.path.exists(path):
        return 0
    n = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            n += block.count(b"\n")
    return n


def rest_get(port, path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
        return json.loads(r.read().decode("utf-8"))


def rest_put(port, path):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method="PUT")
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status


def wait_states(port, names, state, worker, timeout_s=60):
    """Waits until the connectors and all their tasks are in state."""
    deadline = time.monotonic() + timeout_s
    states = None
    while time.monotonic() < deadline:
        try:
            states = [rest_get(port, "/connectors/%s/status" % n) for n in names]
            if all(st["connector"]["state"] == state and st["tasks"] and
                   all(x["state"] == state for x in st["tasks"]) for st in states):
                return states
        except (OSError, ValueError, KeyError):
            pass
        if not worker.alive():
            raise check.Failed("worker exited early\n" + worker.text()[-3000:])
        time.sleep(0.1)
    raise check.Failed("connectors %s not %s within %d s: %r" % (names, state, timeout_s, states))


class Worker:
    def __init__(self, worker_props, *connectors):
        if not os.access(WORKER, os.X_OK):
            raise check.Failed("worker not built: %s" % WORKER)
        self.log = os.path.join(SCRATCH, "worker-%d.log" % int(time.monotonic() * 1000))
        self.err = open(self.log, "w")
        self.proc = subprocess.Popen([WORKER, worker_props] + list(connectors),
                                     stdout=self.err, stderr=subprocess.STDOUT,
                                     preexec_fn=sluiced._die_with_parent)

    def text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)
            raise check.Failed("worker did not stop within 120 s of SIGTERM\n" + self.text()[-3000:])
        self.err.close()
        return rc

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.err.close()

    def check_clean(self):
        text = self.text()
        marks = [ln for ln in text.splitlines() if any(m in ln for m in sluiced.SANITIZER_MARKS)]
        if marks:
            raise check.Failed("sanitizer reports in the worker log:\n" + text[-4000:])


def wait_for_lines(path, want, worker, timeout_s=400):
    """Waits until path holds every line of want (a set); bounded. The
    lines are compared only once there are enough of them."""
    deadline = time.monotonic() + timeout_s
    got = set()
    while time.monotonic() < deadline:
        if count_lines(path) >= len(want):
            got = set(read_lines(path))
            if want <= got:
                return
        if not worker.alive():
            raise check.Failed("worker exited (status %s) with %d of %d lines written\n%s"
                               % (worker.proc.returncode, len(want & got), len(want),
                                  worker.text()[-3000:]))
        time.sleep(0.5)
    got = set(read_lines(path))
    raise check.Failed("after %d s only %d of %d lines arrived\n%s"
                       % (timeout_s, len(want & got), len(want), worker.text()[-3000:]))


def dedupe(seq):
    seen = set()
    out = []
    for x in seq:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


b = t.broker(config={"num.partitions": "1"})
REST_PORT = sluiced.free_port()
worker_props = write_props("worker.properties", {
    "bootstrap.servers": b.bootstrap,
    "listeners": "http://127.0.0.1:%d" % REST_PORT,
    "connect.plugin.path": PLUGINS,
    "offset.storage.file.filename": os.path.join(SCRATCH, "offsets.json"),
    "offset.flush.interval.ms": "200",
    # The killed worker's sink leaves the group when its session expires.
    "consumer.session.timeout.ms": "6000",
    "consumer.heartbeat.interval.ms": "1000",
})


def connector_pair(tag):
    src_file = os.path.join(SCRATCH, "in-%s.txt" % tag)
    sink_file = os.path.join(SCRATCH, "out-%s.txt" % tag)
    src = write_props("src-%s.properties" % tag, {
        "name": "file-source-%s" % tag, "connector.class": "FileStreamSource",
        "file": src_file, "topic": "lines-%s" % tag})
    sink = write_props("sink-%s.properties" % tag, {
        "name": "file-sink-%s" % tag, "connector.class": "FileStreamSink",
        "file": sink_file, "topics": "lines-%s" % tag})
    return src_file, sink_file, src, sink


with t.step("%d lines through file source -> topic -> file sink arrive identical" % LINES):
    src_file, sink_file, src, sink = connector_pair("a")
    want = lines(0, LINES)
    with open(src_file, "w") as f:
        f.write("\n".join(want) + "\n")
    w = Worker(worker_props, src, sink)
    # The REST service answers on the listener while the lines flow.
    names = ("file-source-a", "file-sink-a")
    states = wait_states(REST_PORT, names, "RUNNING", w)
    t.eq([st["type"] for st in states], ["source", "sink"], "connector types over REST")
    t.eq(states[0]["tasks"][0]["worker_id"], "127.0.0.1:%d" % REST_PORT, "worker id")
    t.eq(rest_get(REST_PORT, "/")["kafka_cluster_id"],
         ck.admin(b.bootstrap).list_topics(timeout=10).cluster_id, "GET / kafka_cluster_id")
    # Paused mid-stream: the source stops producing and the sink stops
    # writing until resumed; nothing is lost or written twice.
    deadline = time.monotonic() + 120
    while count_lines(sink_file) < LINES // 10 and time.monotonic() < deadline:
        t.expect(w.alive(), "worker exited early\n" + w.text()[-3000:])
        time.sleep(0.02)
    t.eq([rest_put(REST_PORT, "/connectors/%s/pause" % n) for n in names], [202, 202],
         "pause answers")
    wait_states(REST_PORT, names, "PAUSED", w)
    time.sleep(0.5)
    paused_lines = count_lines(sink_file)
    paused_end = ck.watermarks(b.bootstrap, "lines-a", [0])[0][1]
    time.sleep(1.5)
    t.eq(count_lines(sink_file), paused_lines, "lines the paused sink wrote")
    t.eq(ck.watermarks(b.bootstrap, "lines-a", [0])[0][1], paused_end,
         "records the paused source produced")
    t.expect(paused_lines < LINES, "everything arrived before the pause; it proves nothing")
    t.eq([rest_put(REST_PORT, "/connectors/%s/resume" % n) for n in names], [202, 202],
         "resume answers")
    wait_states(REST_PORT, names, "RUNNING", w)
    print("   paused at %d lines written, %d records in the topic" % (paused_lines, paused_end))
    wait_for_lines(sink_file, set(want), w)
    rc = w.stop()
    w.check_clean()
    t.eq(rc, 0, "worker exit status after SIGTERM")
    got = read_lines(sink_file)
    t.eq(len(got), len(want), "lines written by the sink (a clean run has no duplicates)")
    t.expect(got == want, "the sink's file differs from the source's file")

with t.step("the topic holds Kafka's JSON envelope, one record per line"):
    p = t.run([t.need("kcat"), "-b", b.bootstrap, "-C", "-t", "lines-a", "-o", "beginning",
               "-c", "1", "-e", "-q", "-f", "%s\\n"], timeout=60)
    first = p.stdout.decode("utf-8").strip()
    t.eq(first, '{"schema":{"type":"string","optional":false},"payload":"line-0000000  \\"q\\" \\\\ é"}',
         "first record")
    p = t.run([t.need("kcat"), "-b", b.bootstrap, "-C", "-t", "lines-a", "-o", "beginning",
               "-e", "-q", "-f", "x\\n"], timeout=120)
    t.eq(p.stdout.count(b"\n"), LINES, "records in the topic")

with t.step("kill -9 mid-stream, restart: no line lost, duplicates only from replays"):
    src_file, sink_file, src, sink = connector_pair("b")
    first_half = lines(0, LINES // 2)
    second_half = lines(LINES // 2, LINES)
    with open(src_file, "w") as f:
        f.write("\n".join(first_half) + "\n")
    w = Worker(worker_props, src, sink)
    deadline = time.monotonic() + 240
    while count_lines(sink_file) < LINES // 4 and time.monotonic() < deadline:
        t.expect(w.alive(), "worker exited early\n" + w.text()[-3000:])
        time.sleep(0.05)
    t.expect(count_lines(sink_file) >= LINES // 4, "the sink never got going")
    w.kill()
    before = count_lines(sink_file)
    t.expect(before < LINES // 2, "the worker was killed after it had finished; the test "
             "proves nothing (%d lines)" % before)
    with open(src_file, "a") as f:
        f.write("\n".join(second_half) + "\n")
    w = Worker(worker_props, src, sink)
    want = first_half + second_half
    wait_for_lines(sink_file, set(want), w)
    rc = w.stop()
    w.check_clean()
    t.eq(rc, 0, "worker exit status after SIGTERM")
    got = read_lines(sink_file)
    extra = set(got) - set(want)
    t.expect(not extra, "lines the source never had: %r" % sorted(extra)[:5])
    t.expect(dedupe(got) == want, "after dedupe the output differs from the input "
             "(order or content)")
    print("   killed at %d lines written; %d duplicates after the restart"
          % (before, len(got) - len(want)))

t.done()
