#!/usr/bin/python3
"""connect_pipeline.py - a connector's record pipeline in the standalone
worker (sluice-connect-standalone) against a real sluiced: error tolerance
with a dead letter queue on a sink, and single message transforms on a
source.

Steps:
- FileStreamSink over a topic where some values are not JSON and some make
  a transform fail, with errors.tolerance=all and a DLQ: the good records
  arrive in the file in order, the others are in the DLQ topic (created by
  the worker, one partition) with their original key, value and headers
  plus Kafka's __connect.errors.* headers, read with confluent_kafka; the
  task stays RUNNING and the log has Kafka's error lines.
- the same with errors.tolerance=none: the task is FAILED at the first bad
  record, its trace saying which stage failed and why.
- a DLQ asked for with Kafka's default replication factor of 3 on this one
  broker: the task fails at the first bad record with the broker's reason
  (why Sluice's default is -1, the broker's own).
- DatagenSource (Nexmark) with RegexRouter + InsertField$Value + Filter
  (predicate TopicNameMatches): every record lands on the renamed topic
  with the inserted fields and no bid is written, compared record by record
  with a twin connector (same seed) that has no transforms.

Every wait is bounded; nothing asserts a duration.

Usage: connect_pipeline.py BUILD_DIR
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
import sluiced  # noqa: E402
import ck  # noqa: E402

BUILD = client_drv.build_dir()
t = check.Test("connect_pipeline", budget_s=280)

WORKER = os.path.join(BUILD, "bin", "sluice-connect-standalone")
PLUGINS = os.path.join(BUILD, "connect-plugins")
SCRATCH = tempfile.mkdtemp(prefix="connect-pipe-it-")
atexit.register(shutil.rmtree, SCRATCH, True)
ERR = "__connect.errors."


def write_props(name, items):
    path = os.path.join(SCRATCH, name)
    with open(path, "w") as f:
        for k, v in items.items():
            f.write("%s=%s\n" % (k, v))
    return path


def rest(port, path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
        return json.loads(r.read().decode("utf-8"))


class Worker:
    """sluice-connect-standalone with a worker file and connector files,
    its output in a log file; REST on its own port."""

    def __init__(self, bootstrap, tag, *connectors):
        if not os.access(WORKER, os.X_OK):
            raise check.Failed("worker not built: %s" % WORKER)
        self.port = sluiced.free_port()
        props = write_props("worker-%s.properties" % tag, {
            "bootstrap.servers": bootstrap,
            "listeners": "http://127.0.0.1:%d" % self.port,
            "connect.plugin.path": PLUGINS,
            "offset.storage.file.filename": os.path.join(SCRATCH, "offsets-%s.json" % tag),
            "offset.flush.interval.ms": "200",
        })
        self.log = os.path.join(SCRATCH, "worker-%s.log" % tag)
        self.out = open(self.log, "w")
        self.proc = subprocess.Popen([WORKER, props] + list(connectors), stdout=self.out,
                                     stderr=subprocess.STDOUT,
                                     preexec_fn=sluiced._die_with_parent)

    def text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def status(self, name):
        try:
            return rest(self.port, "/connectors/%s/status" % name)
        except (OSError, ValueError) as e:
            self.last_error = e
            return None

    def wait_task_state(self, name, states, timeout_s=60):
        deadline = time.monotonic() + timeout_s
        st = None
        while time.monotonic() < deadline:
            t.expect(self.proc.poll() is None, "worker exited\n" + self.text()[-3000:])
            st = self.status(name)
            if st and st.get("tasks") and st["tasks"][0]["state"] in states:
                return st
            time.sleep(0.2)
        raise check.Failed("task of %s not %s within %ds: %s (last REST error: %s)\n%s"
                           % (name, states, timeout_s, st, getattr(self, "last_error", None),
                              self.text()[-3000:]))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)
            raise check.Failed("worker did not stop within 120 s\n" + self.text()[-3000:])
        self.out.close()
        text = self.text()
        if any(m in text for m in sluiced.SANITIZER_MARKS):
            raise check.Failed("sanitizer reports in the worker log:\n" + text[-4000:])
        t.eq(rc, 0, "worker exit status after SIGTERM")


def end_offsets(bootstrap, topic):
    """{partition: end offset} of topic, None when it does not exist (all
    topics are listed: asking for one by name could create it)."""
    md = ck.admin(bootstrap).list_topics(timeout=20)
    tm = md.topics.get(topic)
    if tm is None or tm.error is not None:
        return None
    return {p: ck.watermarks(bootstrap, topic, [p])[p][1] for p in tm.partitions}


def wait_records(bootstrap, topic, want, timeout_s=90):
    """Waits until topic holds want records in all; returns {p: [Message]}."""
    deadline = time.monotonic() + timeout_s
    ends = None
    while time.monotonic() < deadline:
        ends = end_offsets(bootstrap, topic)
        if ends and sum(ends.values()) >= want:
            return ck.read_partitions(bootstrap, topic, ends)
        time.sleep(0.3)
    raise check.Failed("topic %s holds %s records after %ds, want %d"
                       % (topic, ends, timeout_s, want))


def read_file_lines(path, want, worker, timeout_s=90):
    deadline = time.monotonic() + timeout_s
    got = []
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path, "rb") as f:
                got = f.read().decode("utf-8").split("\n")[:-1]
            if len(got) >= len(want):
                return got
        time.sleep(0.2)
    raise check.Failed("%s has %d of %d lines after %ds\n%s"
                       % (path, len(got), len(want), timeout_s, worker.text()[-3000:]))


b = t.broker(config={"num.partitions": "1"})
BS = b.bootstrap

# The sink's input: 12 records; i % 4 == 1 is not JSON (the value converter
# fails), i % 4 == 3 carries a "mangle" header that makes InsertField run on
# a string (the transform fails). The rest are JSON strings.
N = 12
ck.create_topics(BS, [("pipe-in", 1, {})])
inputs = []
for i in range(N):
    value = (b"not json {%d" % i) if i % 4 == 1 else json.dumps("good-%d" % i).encode()
    # Record 1 has no header at all: its DLQ copy has only the error headers.
    headers = ([("trace", b"t%d" % i)] if i != 1 else []) + \
        ([("mangle", b"1")] if i % 4 == 3 else [])
    inputs.append({"topic": "pipe-in", "partition": 0, "key": b"k%d" % i, "value": value,
                   "headers": headers, "timestamp": 1700000000000 + i})
ck.produce_all(ck.producer(BS), inputs)
good = [json.loads(m["value"]) for i, m in enumerate(inputs) if i % 4 in (0, 2)]
bad = [i for i in range(N) if i % 4 in (1, 3)]


def sink_props(name, tolerance, out, **more):
    return write_props("%s.properties" % name, dict({
        "name": name, "connector.class": "FileStreamSink", "topics": "pipe-in", "file": out,
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        "transforms": "mangle",
        "transforms.mangle.type": "org.apache.kafka.connect.transforms.InsertField$Value",
        "transforms.mangle.static.field": "mangled",
        "transforms.mangle.static.value": "yes",
        "transforms.mangle.predicate": "hasMangle",
        "predicates": "hasMangle",
        "predicates.hasMangle.type": "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
        "predicates.hasMangle.name": "mangle",
        "errors.tolerance": tolerance,
        "errors.log.enable": "true",
        "errors.log.include.messages": "true",
        "errors.deadletterqueue.topic.name": "pipe-dlq-" + name,
        "errors.deadletterqueue.context.headers.enable": "true",
    }, **more))


with t.step("errors.tolerance=all: good records reach the sink, the others the DLQ with "
            "Kafka's error headers"):
    out = os.path.join(SCRATCH, "sink-all.txt")
    w = Worker(BS, "all", sink_props("sink-all", "all", out))
    lines = read_file_lines(out, good, w)
    t.eq(lines, good, "the sink's file (the good records, in order)")
    dlq = wait_records(BS, "pipe-dlq-sink-all", len(bad))
    t.eq(sorted(dlq.keys()), [0], "DLQ topic partitions (created with one)")
    msgs = dlq[0]
    t.eq(len(msgs), len(bad), "records in the DLQ")
    for m, i in zip(msgs, bad):
        src = inputs[i]
        t.eq(m.key(), src["key"], "DLQ key of record %d" % i)
        t.eq(m.value(), src["value"], "DLQ value of record %d (the bytes consumed)" % i)
        t.eq(m.timestamp()[1], src["timestamp"], "DLQ timestamp of record %d" % i)
        hs = m.headers() or []
        t.eq(hs[:len(src["headers"])], src["headers"], "original headers of record %d" % i)
        eh = {k[len(ERR):]: v.decode() for k, v in hs if k.startswith(ERR)}
        stage, cls = (("VALUE_CONVERTER", "org.apache.kafka.connect.json.JsonConverter")
                      if i % 4 == 1 else
                      ("TRANSFORMATION", "org.apache.kafka.connect.transforms.InsertField$Value"))
        want = {"topic": "pipe-in", "partition": "0", "offset": str(i),
                "connector.name": "sink-all", "task.id": "0", "stage": stage,
                "class.name": cls,
                "exception.class.name": "org.apache.kafka.connect.errors.DataException"}
        t.eq({k: eh.get(k) for k in want}, want, "error headers of record %d" % i)
        t.expect(eh.get("exception.message"), "no exception message on record %d" % i)
        t.expect(eh.get("exception.stacktrace", "").startswith(
            "org.apache.kafka.connect.errors.DataException: "), "stack trace header %r"
            % eh.get("exception.stacktrace"))
        if i % 4 == 3:
            t.expect("Only Map objects supported in absence of schema for [field insertion], "
                     "found: java.lang.String" in eh["exception.message"],
                     "transform failure message %r" % eh["exception.message"])
    st = w.wait_task_state("sink-all", ("RUNNING",))
    t.eq(st["tasks"][0]["state"], "RUNNING", "task state with errors tolerated")
    log = w.text()
    t.expect("Error encountered in task sink-all-0. Executing stage 'VALUE_CONVERTER' with "
             "class 'org.apache.kafka.connect.json.JsonConverter', where consumed record is "
             "{topic='pipe-in', partition=0, offset=1" in log,
             "no errors.log line in the worker log\n" + log[-3000:])
    w.stop()

with t.step("errors.tolerance=none: the task fails at the first bad record"):
    out = os.path.join(SCRATCH, "sink-none.txt")
    w = Worker(BS, "none", sink_props("sink-none", "none", out))
    st = w.wait_task_state("sink-none", ("FAILED",))
    trace = st["tasks"][0].get("trace") or ""
    t.expect("Tolerance exceeded in error handler" in trace and "VALUE_CONVERTER" in trace
             and "pipe-in-0@1" in trace, "trace of the failed task: %r" % trace)
    t.expect(end_offsets(BS, "pipe-dlq-sink-none") is None,
             "a DLQ topic was made although nothing is tolerated")
    w.stop()

with t.step("a DLQ with replication factor 3 on one broker fails the task with the reason"):
    out = os.path.join(SCRATCH, "sink-rf3.txt")
    w = Worker(BS, "rf3", sink_props("sink-rf3", "all", out, **{
        "errors.deadletterqueue.topic.replication.factor": "3"}))
    st = w.wait_task_state("sink-rf3", ("FAILED",))
    trace = st["tasks"][0].get("trace") or ""
    t.expect("cannot create the dead letter queue topic pipe-dlq-sink-rf3" in trace and
             "INVALID_REPLICATION_FACTOR" in trace, "trace of the failed task: %r" % trace)
    w.stop()

with t.step("a source with RegexRouter + InsertField$Value + Filter writes what Kafka's "
            "would"):
    ITER = 100

    def datagen(name, prefix, transforms):
        props = {"name": name, "connector.class": "DatagenSource", "quickstart": "nexmark",
                 "kafka.topic": prefix, "iterations": str(ITER), "max.interval": "0",
                 "random.seed": "7",
                 "value.converter": "json", "value.converter.schemas.enable": "false",
                 "key.converter": "json", "key.converter.schemas.enable": "false"}
        props.update(transforms)
        return write_props("%s.properties" % name, props)

    shaped = datagen("nx-shaped", "raw.", {
        "transforms": "route,stamp,dropBids",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": "raw\\.(.*)",
        "transforms.route.replacement": "nexmark-$1",
        "transforms.stamp.type": "InsertField$Value",
        "transforms.stamp.topic.field": "origin",
        "transforms.stamp.static.field": "source",
        "transforms.stamp.static.value": "datagen",
        "transforms.dropBids.type": "Filter",
        "transforms.dropBids.predicate": "isBid",
        "predicates": "isBid",
        "predicates.isBid.type": "TopicNameMatches",
        "predicates.isBid.pattern": "nexmark-bid",
    })
    twin = datagen("nx-twin", "twin.", {})
    w = Worker(BS, "source", shaped, twin)
    # The twin's three topics together hold ITER records once it is done.
    total = 0
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        got = {k: end_offsets(BS, "twin." + k) for k in ("person", "auction", "bid")}
        total = sum(sum(e.values()) for e in got.values() if e)
        if total >= ITER:
            break
        time.sleep(0.3)
    t.eq(total, ITER, "records of the twin connector")
    for kind in ("person", "auction"):
        n = sum(got[kind].values()) if got[kind] else 0
        t.expect(n > 0, "the twin wrote no %s (nothing to compare)" % kind)
        twin_msgs = ck.read_partitions(BS, "twin." + kind, got[kind])[0]
        shaped_msgs = wait_records(BS, "nexmark-" + kind, n)[0]
        t.eq(len(shaped_msgs), n, "records on nexmark-%s" % kind)
        for a, s in zip(twin_msgs, shaped_msgs):
            want = json.loads(a.value())
            want["origin"] = "nexmark-" + kind
            want["source"] = "datagen"
            t.eq(json.loads(s.value()), want, "a transformed %s record" % kind)
            t.eq(s.key(), a.key(), "a transformed %s record's key" % kind)
    t.expect(sum(got["bid"].values()) > 0, "the twin wrote no bids (the filter proves nothing)")
    t.eq(end_offsets(BS, "nexmark-bid"), None, "the filtered topic nexmark-bid (never written)")
    t.eq(end_offsets(BS, "raw.person"), None, "the unrouted topic raw.person (never written)")
    w.stop()

t.done()
