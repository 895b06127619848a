"""streams_examples_util.py - what the examples' integration tests
(streams_examples*.py) share: an example program (BUILD_DIR/bin/
sluice-example-<name>) run as a process against the test's sluiced with its
own application.id and state directory, waited for until it runs, stopped
with SIGTERM and checked for a clean exit; and a bounded read of a whole
topic with confluent_kafka until a condition on what was read holds.
"""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import check
import ck
import sluiced

SANITIZER = sluiced.SANITIZER_MARKS


class Example:
    """One run of sluice-example-<name> (start() / stop() may be repeated:
    the state directory is kept between runs)."""

    def __init__(self, t, build, name, broker, args=(), app_id=None):
        self.t = t
        self.exe = os.path.join(build, "bin", "sluice-example-" + name)
        if not os.access(self.exe, os.X_OK):
            raise check.Failed("example not built: %s" % self.exe)
        self.name = name
        self.broker = broker
        self.dir = tempfile.mkdtemp(prefix="sluice-example-%s-" % name)
        self.state_dir = os.path.join(self.dir, "state")
        self.log = os.path.join(self.dir, "example.log")
        self.app_id = app_id or "it-%s-%d" % (name, os.getpid())
        self.args = list(args)
        self.proc = None
        self.runs = 0

    def command(self, *extra):
        return [self.exe, "-b", self.broker.bootstrap, "-X", "application.id=" + self.app_id,
                "-X", "state.dir=" + self.state_dir, "-X", "commit.interval.ms=200",
                "-X", "consumer.auto.offset.reset=earliest"] + self.args + list(extra)

    def start(self, wait=90.0):
        """Starts the example and waits until it reports RUNNING."""
        self.runs += 1
        start_mark = "==== run %d\n" % self.runs
        with open(self.log, "a") as f:
            f.write(start_mark)
        out = open(self.log, "ab")
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                     preexec_fn=sluiced._die_with_parent)
        out.close()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            text = self.this_run()
            if re.search(r"state \S+ -> RUNNING", text):
                return
            if self.proc.poll() is not None:
                raise check.Failed("%s exited with %s before running\n%s" % (self.name, self.proc.returncode,
                                                                            self.tail()))
            time.sleep(0.1)
        raise check.Failed("%s did not reach RUNNING within %.0fs\n%s" % (self.name, wait, self.tail()))

    def stop(self, wait=60.0):
        """SIGTERM; fails unless it exits 0 within wait, saying it closed."""
        if self.proc is None:
            return
        p, self.proc = self.proc, None
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(wait)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(30)
                raise check.Failed("%s did not exit within %.0fs of SIGTERM\n%s" % (self.name, wait, self.tail()))
        if p.returncode != 0:
            raise check.Failed("%s exited with %s on SIGTERM\n%s" % (self.name, p.returncode, self.tail()))
        if not re.search(r"^sluice-example-\S+: closed$", self.this_run(), re.M):
            raise check.Failed("%s did not say it closed\n%s" % (self.name, self.tail()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def text(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def this_run(self):
        return self.text().rsplit("==== run %d\n" % self.runs, 1)[-1]

    def tail(self, n=40):
        lines = self.text().splitlines()
        return "---- %s log, last %d of %d lines ----\n%s\n---- end ----" % (
            self.name, min(n, len(lines)), len(lines), "\n".join(lines[-n:]))

    def sanitizer_reports(self):
        return [ln for ln in self.text().splitlines() if any(m in ln for m in SANITIZER)]

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)


def describe(t, build, name, *args):
    """The example's --describe text (no broker needed)."""
    exe = os.path.join(build, "bin", "sluice-example-" + name)
    p = t.run([exe, "--describe"] + list(args), timeout=30)
    return p.stdout.decode("utf-8", "replace")


def partitions(bootstrap, topic, timeout=20):
    md = ck.admin(bootstrap).list_topics(topic, timeout=timeout)
    tm = md.topics.get(topic)
    if tm is None or tm.error is not None or not tm.partitions:
        raise check.Failed("topic %s has no metadata: %s" % (topic, tm.error if tm else "missing"))
    return sorted(tm.partitions)


def watermark_ends(bootstrap, topic):
    """{partition: high watermark} of every partition of topic."""
    parts = partitions(bootstrap, topic)
    return {p: hw for p, (_, hw) in ck.watermarks(bootstrap, topic, parts).items()}


def read_until(bootstrap, topic, done, timeout=120):
    """Reads every partition of topic from the start, in batches, until
    done(records) is true for the records read so far (a list of
    (partition, offset, key, value, timestamp) in arrival order), or
    timeout seconds. Returns (records, ok)."""
    parts = partitions(bootstrap, topic)
    c = ck.consumer(bootstrap, **{"auto.offset.reset": "earliest", "enable.partition.eof": False})
    got = []
    try:
        c.assign([ck.TopicPartition(topic, p, 0) for p in parts])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in c.consume(10000, 0.5):
                if m.error():
                    raise check.Failed("consumer error on %s [%s]: %s" % (m.topic(), m.partition(), m.error()))
                k = m.key().decode("utf-8", "replace") if m.key() is not None else None
                v = m.value().decode("utf-8", "replace") if m.value() is not None else None
                got.append((m.partition(), m.offset(), k, v, m.timestamp()[1]))
            if done(got):
                return got, True
        return got, False
    finally:
        c.close()


def produce(bootstrap, topic, records, timeout=120):
    """records: (key, value, timestamp_ms or None, partition or None)."""
    p = ck.producer(bootstrap)
    msgs = []
    for k, v, ts, part in records:
        m = {"topic": topic, "key": k, "value": v}
        if ts is not None:
            m["timestamp"] = ts
        if part is not None:
            m["partition"] = part
        msgs.append(m)
    ck.produce_all(p, msgs, timeout=timeout)


def finish(t, examples):
    """Stops what still runs, fails on sanitizer reports, removes the
    examples' directories (kept with SLUICE_IT_KEEP on failure)."""
    for ex in examples:
        with t.step("%s: no sanitizer reports in its output" % ex.name):
            if ex.alive():
                ex.stop()
            reports = ex.sanitizer_reports()
            t.expect(not reports, "\n".join(reports[:20]) + "\n" + ex.tail(120))
    keep = bool(t.failed) and os.environ.get("SLUICE_IT_KEEP")
    for ex in examples:
        if t.failed:
            print(ex.tail(80))
        if keep:
            print("kept %s" % ex.dir)
        else:
            ex.close()
