#!/usr/bin/python3
"""connect_standalone_eos.py - the Connect runtime's exactly-once source path
against a real sluiced, through connect_standalone_eos_drv: one
FileStreamSource task with exactly.once.support=required on a runtime with
exactly.once.source.support=enabled, whose offset store writes each poll's
offset to an offsets topic inside the poll's transaction and reads it back
(read_committed) when the driver starts.

Steps: the driver is killed with SIGKILL mid-stream (most likely inside a
transaction) and started again; it resumes from the last committed offset,
and a read_committed consumer then sees every line exactly once, in order:
no line lost, none twice. Then a driver whose connector leaves
exactly.once.support unset (Kafka's default, requested) and whose store
fails every 7th offset send: each such transaction is aborted and its
records sent again, and read_committed still sees every line once. Every wait is bounded; nothing
asserts a duration.

Usage: connect_standalone_eos.py BUILD_DIR
"""
import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import client_drv  # noqa: E402
import check  # noqa: E402
import ck  # noqa: E402
import sluiced  # noqa: E402

BUILD = client_drv.build_dir()
t = check.Test("connect_standalone_eos", budget_s=280)

LINES = int(os.environ.get("SLUICE_IT_CONNECT_EOS_LINES", "200000"))
DRV = client_drv.driver(BUILD, "connect_standalone_eos_drv")
PLUGINS = os.path.join(BUILD, "connect-plugins", "file_source.so")
SCRATCH = tempfile.mkdtemp(prefix="connect-eos-it-")
atexit.register(shutil.rmtree, SCRATCH, True)


class Driver:
    def __init__(self, bootstrap, src_file, topic="eos-lines", offsets="eos-offsets", extra=()):
        if not os.access(DRV, os.X_OK):
            raise check.Failed("driver not built: %s" % DRV)
        self.out = os.path.join(SCRATCH, "drv-%d.out" % int(time.monotonic() * 1000))
        self.err = self.out + ".err"
        self.fo, self.fe = open(self.out, "w"), open(self.err, "w")
        self.proc = subprocess.Popen([DRV, bootstrap, PLUGINS, src_file, topic, offsets]
                                     + list(extra), stdout=self.fo, stderr=self.fe,
                                     stdin=subprocess.DEVNULL,
                                     preexec_fn=sluiced._die_with_parent)

    def lines(self):
        with open(self.out, errors="replace") as f:
            return f.read().splitlines()

    def text(self):
        with open(self.err, errors="replace") as f:
            return "\n".join(self.lines()[-20:]) + "\n" + f.read()[-3000:]

    def position(self):
        """The last offset sent in a transaction (bytes), or -1."""
        pos = -1
        for ln in self.lines():
            if ln.startswith("OFFSET ") and '"position":' in ln:
                pos = int(ln.rsplit('"position":', 1)[1].rstrip("}"))
        return pos

    def wait_position(self, want, timeout_s=180):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.position() >= want:
                return
            if self.proc.poll() is not None:
                raise check.Failed("driver exited (%s) at position %d\n%s"
                                   % (self.proc.returncode, self.position(), self.text()))
            time.sleep(0.05)
        raise check.Failed("driver at position %d of %d after %d s\n%s"
                           % (self.position(), want, timeout_s, self.text()))

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise check.Failed("driver did not stop within 60 s of SIGTERM\n" + self.text())

    def check_clean(self):
        with open(self.err, errors="replace") as f:
            text = f.read()
        if any(m in text for m in sluiced.SANITIZER_MARKS):
            raise check.Failed("sanitizer reports from the driver:\n" + text[-4000:])


def read_values(bootstrap, isolation, want, topic="eos-lines", timeout_s=120):
    """Every value of topic read with isolation: at least want of them
    (bounded), then two more seconds for any extra."""
    c = ck.consumer(bootstrap, **{"isolation.level": isolation})
    try:
        c.assign([ck.TopicPartition(topic, 0, 0)])
        got = []
        deadline = time.monotonic() + timeout_s
        quiet_until = None
        while time.monotonic() < deadline:
            msgs = c.consume(10000, 0.5)
            for m in msgs:
                if m.error():
                    if m.error().code() == ck.KafkaError._PARTITION_EOF:
                        continue
                    raise check.Failed("consumer error: %s" % m.error())
                got.append(m.value().decode("utf-8"))
            if len(got) >= want and quiet_until is None:
                quiet_until = time.monotonic() + 2
            if quiet_until is not None and time.monotonic() >= quiet_until:
                break
        return got
    finally:
        c.close()


b = t.broker(config={"num.partitions": "1"})
src_file = os.path.join(SCRATCH, "in.txt")
want = ["eos-%07d %s" % (i, "y" * (i % 23)) for i in range(LINES)]
with open(src_file, "w") as f:
    f.write("\n".join(want) + "\n")
size = os.path.getsize(src_file)

with t.step("the topics exist"):
    ck.create_topics(b.bootstrap, [("eos-lines", 1, {}), ("eos-offsets", 1, {})])

with t.step("killed with SIGKILL mid-stream, restarted: it resumes from the last committed offset"):
    d = Driver(b.bootstrap, src_file)
    d.wait_position(size // 4)
    d.kill()
    killed_at = d.position()
    t.expect(killed_at < size, "the driver finished before the kill; the test proves nothing")
    d2 = Driver(b.bootstrap, src_file)
    d2.wait_position(size)
    resumed = [ln for ln in d2.lines() if ln.startswith("RESUME ")]
    t.expect(len(resumed) == 1, "the restarted driver did not read a committed offset back\n"
             + d2.text())
    pos = int(resumed[0].rsplit('"position":', 1)[1].rstrip("}"))
    t.expect(0 < pos <= killed_at, "resumed at %d, but the first run sent offsets up to %d"
             % (pos, killed_at))
    t.expect(not any(ln.startswith("STATUS 0 FAILED") for ln in d2.lines()),
             "the task failed\n" + d2.text())
    t.eq(d2.stop(), 0, "driver exit status after SIGTERM")
    d.check_clean()
    d2.check_clean()
    print("   killed at byte %d of %d; resumed at byte %d" % (killed_at, size, pos))

with t.step("read_committed sees every line exactly once, in order"):
    got = read_values(b.bootstrap, "read_committed", LINES)
    t.eq(len(got), LINES, "committed records (no line lost, none twice)")
    t.expect(got == want, "the committed records differ from the file's lines")
    raw = read_values(b.bootstrap, "read_uncommitted", LINES)
    print("   %d records in the log, %d of them from aborted transactions"
          % (len(raw), len(raw) - len(got)))

with t.step("failed transactions are aborted and sent again: still every line once"):
    ck.create_topics(b.bootstrap, [("eos-retry", 1, {}), ("eos-retry-offsets", 1, {})])
    d = Driver(b.bootstrap, src_file, "eos-retry", "eos-retry-offsets", ["7"])
    d.wait_position(size)
    t.eq(d.stop(), 0, "driver exit status after SIGTERM")
    d.check_clean()
    failing = [ln for ln in d.lines() if ln.startswith("FAILING ")]
    t.expect(failing, "no offset send failed; the test proves nothing")
    with open(d.err, errors="replace") as f:
        t.expect("transaction is aborted" in f.read(), "no abort was logged\n" + d.text())
    got = read_values(b.bootstrap, "read_committed", LINES, "eos-retry")
    t.eq(len(got), LINES, "committed records")
    t.expect(got == want, "the committed records differ from the file's lines")
    raw = read_values(b.bootstrap, "read_uncommitted", LINES, "eos-retry")
    t.expect(len(raw) > LINES, "no aborted records in the log (%d)" % len(raw))
    print("   %d transactions aborted and retried; %d aborted records in the log"
          % (len(failing), len(raw) - LINES))

t.done()
