#!/usr/bin/python3
"""postgres_sink.py - PostgresSink's rows/s: a fixed number of records
already in a topic (JSON with Kafka's schema envelope, a six-field struct
value and a struct key, produced with confluent_kafka before the clock
starts), then a standalone worker (sluice-connect-standalone) with one
PostgresSink task writing them into a table it creates (auto.create), timed
from the worker's start until the table holds every row ("end to end", which
includes the consumer group's join) and from the first row to the last
("steady"). Two runs, each on its own topic and table:

  insert   insert.mode=insert, pk.mode=kafka (ON CONFLICT DO NOTHING on the
           coordinates: the idempotent insert)
  upsert   insert.mode=upsert, pk.mode=record_key (every key new: each row an
           INSERT .. ON CONFLICT DO UPDATE that inserts)

The table must then hold exactly the records' count. CPU over the run is
shown as cores busy for the worker and for PostgreSQL (every server process).
sluiced (broker only) and PostgreSQL 15 (its default settings: fsync and
synchronous_commit on; a temp dir, a loopback port) are this script's own and
are stopped and removed however it exits.

Usage: postgres_sink.py BINDIR   (SL_BENCH_PG_RECORDS, default 200000)
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import shutil
import time
import atexit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration", "lib"))

import postgres  # noqa: E402
import sluiced  # noqa: E402

try:
    from confluent_kafka import Producer
except ImportError as e:
    sys.exit("postgres_sink.py: python3-confluent-kafka is not importable by %s (make deps): %s"
             % (sys.executable, e))

HZ = os.sysconf("SC_CLK_TCK")
KEY_SCHEMA = {"type": "struct", "optional": False, "fields": [
    {"field": "id", "type": "int64", "optional": False}]}
VALUE_SCHEMA = {"type": "struct", "optional": False, "name": "bench.Order", "fields": [
    {"field": "id", "type": "int64", "optional": False},
    {"field": "customer", "type": "string", "optional": False},
    {"field": "amount", "type": "double", "optional": False},
    {"field": "qty", "type": "int32", "optional": False},
    {"field": "paid", "type": "boolean", "optional": False},
    {"field": "at", "type": "int64", "optional": False,
     "name": "org.apache.kafka.connect.data.Timestamp"}]}


def fail(msg):
    sys.exit("postgres_sink.py: " + msg)


def ticks(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])   # utime, stime
    except (OSError, IndexError, ValueError):
        return 0


def pg_ticks(postmaster):
    """CPU ticks of the postmaster and every process it started."""
    total = ticks(postmaster)
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == postmaster:
                total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total


def produce(bootstrap, topic, n):
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 20,
                  "batch.num.messages": 10000, "log_level": 3})
    failed = []

    def cb(err, _msg):
        if err is not None:
            failed.append(err)

    for i in range(n):
        key = json.dumps({"schema": KEY_SCHEMA, "payload": {"id": i}}).encode()
        value = json.dumps({"schema": VALUE_SCHEMA, "payload": {
            "id": i, "customer": "customer-%05d" % (i % 50000), "amount": (i % 10000) / 100.0,
            "qty": i % 17 + 1, "paid": i % 3 != 0, "at": 1764000000000 + i}}).encode()
        while True:
            try:
                p.produce(topic, value, key, on_delivery=cb)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
    if p.flush(120) or failed:
        fail("producing %d records to %s failed (%s)" % (n, topic, failed[:1] or "not delivered"))


def run(label, bindir, broker, pg, scratch, n, props):
    topic = "pg-bench-" + label
    produce(broker.bootstrap, topic, n)
    wprops = os.path.join(scratch, "worker-%s.properties" % label)
    with open(wprops, "w") as f:
        f.write("bootstrap.servers=%s\nconnect.plugin.path=%s\noffset.storage.file.filename=%s\n"
                "offset.flush.interval.ms=1000\nlog.level=warn\nlisteners=http://127.0.0.1:%d\n"
                % (broker.bootstrap, os.path.join(bindir, "..", "connect-plugins"),
                   os.path.join(scratch, "offsets-%s.json" % label), sluiced.free_port()))
    cprops = os.path.join(scratch, "sink-%s.properties" % label)
    conf = {"name": "pg-bench-" + label, "connector.class": "PostgresSink", "topics": topic,
            "connection.url": pg.jdbc_url("bench"), "connection.user": pg.user,
            "auto.create": "true", "table.name.format": "${topic}"}
    conf.update(props)
    with open(cprops, "w") as f:
        f.writelines("%s=%s\n" % kv for kv in conf.items())
    log = open(os.path.join(scratch, "worker-%s.log" % label), "w+")
    t0 = time.monotonic()
    w = subprocess.Popen([os.path.join(bindir, "sluice-connect-standalone"), wprops, cprops],
                         stdout=log, stderr=subprocess.STDOUT, preexec_fn=sluiced._die_with_parent)
    c0, p0 = ticks(w.pid), pg_ticks(pg.proc.pid)
    tfirst = first = None
    got = 0
    deadline = t0 + 900
    try:
        while True:
            try:
                got = int(pg.scalar('SELECT count(*) FROM "%s"' % topic, db="bench"))
            except postgres.PostgresError:
                got = 0   # the table is not there yet
            if tfirst is None and got > 0:
                tfirst, first = time.monotonic(), got
            if got >= n:
                break
            if w.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                fail("%s: %d of %d rows arrived; the worker said:\n%s"
                     % (label, got, n, log.read()[-3000:]))
            time.sleep(0.05)
        t1 = time.monotonic()
        c1, p1 = ticks(w.pid), pg_ticks(pg.proc.pid)
    finally:
        if w.poll() is None:
            w.send_signal(signal.SIGTERM)
            try:
                w.wait(60)
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait(30)
        log.close()
    final = int(pg.scalar('SELECT count(*) FROM "%s"' % topic, db="bench"))
    if final != n:
        fail("%s: the table holds %d rows, want %d" % (label, final, n))
    return {"label": label, "records": n, "seconds": t1 - t0, "rows_s": n / (t1 - t0),
            "steady_rows_s": (n - first) / (t1 - tfirst) if t1 > tfirst else 0.0,
            "worker_cores": (c1 - c0) / HZ / (t1 - t0), "pg_cores": (p1 - p0) / HZ / (t1 - t0)}


def commas(x):
    return "{:,.0f}".format(x)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: postgres_sink.py BINDIR")
    bindir = os.path.abspath(sys.argv[1])
    n = int(os.environ.get("SL_BENCH_PG_RECORDS", "200000"))
    for f in ("sluiced", "sluice-connect-standalone"):
        if not os.access(os.path.join(bindir, f), os.X_OK):
            fail("%s is not built in %s" % (f, bindir))
    if not os.path.exists(os.path.join(bindir, "..", "connect-plugins", "postgres_sink.so")):
        fail("connect-plugins/postgres_sink.so is not built")
    scratch = tempfile.mkdtemp(prefix="sluice-bench-pg-")
    atexit.register(shutil.rmtree, scratch, True)
    print()
    print("== connect: PostgresSink, %d records a run already in the topic, PostgreSQL defaults "
          "(fsync, synchronous_commit on), load average %s (a shared machine skews every figure)"
          % (n, " ".join(open("/proc/loadavg").read().split()[:3])), flush=True)
    broker = sluiced.Broker(bindir, config={"num.partitions": "1",
                                            "group.initial.rebalance.delay.ms": "0"},
                            name="bench-pg")
    atexit.register(broker.close)
    broker.start()
    pg = postgres.Server()
    pg.start()
    pg.create_database("bench")
    results = []
    for label, props in (("insert", {"insert.mode": "insert", "pk.mode": "kafka"}),
                         ("upsert", {"insert.mode": "upsert", "pk.mode": "record_key"})):
        r = run(label, bindir, broker, pg, scratch, n, props)
        results.append(r)
        print("  result label=pg mode=%s records=%d rows_s=%.0f steady_rows_s=%.0f seconds=%.2f "
              "worker_cores=%.2f pg_cores=%.2f" % (label, n, r["rows_s"], r["steady_rows_s"],
                                                   r["seconds"], r["worker_cores"], r["pg_cores"]),
              flush=True)
    broker.stop()
    pg.close()
    print()
    print("| run | rows | end to end | steady (first row to last) | worker cores | PostgreSQL cores |")
    print("|---|---:|---:|---:|---:|---:|")
    names = {"insert": "insert, pk.mode=kafka (ON CONFLICT DO NOTHING)",
             "upsert": "upsert, pk.mode=record_key (ON CONFLICT DO UPDATE)"}
    for r in results:
        print("| %s | %s | %s rows/s | %s rows/s | %.2f | %.2f |"
              % (names[r["label"]], commas(r["records"]), commas(r["rows_s"]),
                 commas(r["steady_rows_s"]), r["worker_cores"], r["pg_cores"]))


if __name__ == "__main__":
    main()
