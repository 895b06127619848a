#!/usr/bin/python3
"""connect_datagen.py - DatagenSource in the standalone worker
(sluice-connect-standalone) against a real sluiced, read back with
confluent_kafka.

Steps: orders with tasks.max=2 write every orderid of 0..2N-1 once, keyed by
it, in Kafka's JSON envelope with Confluent's orders schema (a nested address
struct); a second connector with the same seed writes the same records, and
nexmark writes person, auction and bid in 1:3:46; a rate-limited pageviews
connector killed with SIGKILL mid-stream and restarted writes its whole
sequence, any record written twice identical both times (the offset is the
record count and a record is a function of seed and index); users through
PostgresSink into a PostgreSQL the test starts make a table typed from the
schema holding the last record per userid. Every wait is bounded; nothing
asserts a duration.

Usage: connect_datagen.py BUILD_DIR
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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import check  # noqa: E402
import ck  # noqa: E402
import client_drv  # noqa: E402
import postgres  # noqa: E402
import sluiced  # noqa: E402

BUILD = client_drv.build_dir()
t = check.Test("connect_datagen", budget_s=400)
WORKER = os.path.join(BUILD, "bin", "sluice-connect-standalone")
SCRATCH = tempfile.mkdtemp(prefix="connect-datagen-it-")
atexit.register(shutil.rmtree, SCRATCH, True)
N = 3000          # orders records per task
PAGEVIEWS = 60000  # the killed run's sequence


def props(name, items):
    path = os.path.join(SCRATCH, name)
    with open(path, "w") as f:
        f.writelines("%s=%s\n" % kv for kv in items.items())
    return path


def start_worker(*connectors):
    if not os.access(WORKER, os.X_OK):
        raise check.Failed("worker not built: %s" % WORKER)
    log = open(os.path.join(SCRATCH, "worker-%d.log" % time.monotonic_ns()), "w+")
    proc = subprocess.Popen([WORKER, worker_props] + list(connectors), stdout=log,
                            stderr=subprocess.STDOUT, preexec_fn=sluiced._die_with_parent)
    return proc, log


def log_text(log):
    log.flush()
    with open(log.name, errors="replace") as f:
        return f.read()


def stop_worker(proc, log):
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)
        raise check.Failed("worker did not stop within 120 s of SIGTERM\n" + log_text(log)[-3000:])
    text = log_text(log)
    t.expect(not any(m in text for m in sluiced.SANITIZER_MARKS),
             "sanitizer reports in the worker log:\n" + text[-4000:])
    t.eq(rc, 0, "worker exit status after SIGTERM")


def ends(topic):
    return {p: hi for p, (lo, hi) in ck.watermarks(b.bootstrap, topic, range(PARTITIONS)).items()}


def wait_records(topic, want, proc, log, timeout_s=180):
    """Waits until topic holds at least want records; bounded."""
    deadline = time.monotonic() + timeout_s
    have = 0
    while time.monotonic() < deadline:
        have = sum(ends(topic).values())
        if have >= want:
            return have
        if proc.poll() is not None:
            raise check.Failed("worker exited (status %s) with %d of %d records in %s\n%s"
                               % (proc.returncode, have, want, topic, log_text(log)[-3000:]))
        time.sleep(0.3)
    raise check.Failed("after %d s %s holds %d of %d records\n%s"
                       % (timeout_s, topic, have, want, log_text(log)[-3000:]))


def read_all(topic):
    """Every record of topic as (key, decoded JSON value)."""
    got = ck.read_partitions(b.bootstrap, topic, ends(topic), timeout=120)
    return [(m.key().decode() if m.key() is not None else None, json.loads(m.value()))
            for p in sorted(got) for m in got[p]]


PARTITIONS = 3
b = t.broker(config={"num.partitions": str(PARTITIONS)})
ck.create_topics(b.bootstrap, [(name, PARTITIONS, None) for name in
                               ("orders-a", "orders-b", "nx-person", "nx-auction", "nx-bid", "pv",
                                "users")])
worker_props = props("worker.properties", {
    "bootstrap.servers": b.bootstrap,
    "connect.plugin.path": os.path.join(BUILD, "connect-plugins"),
    "offset.storage.file.filename": os.path.join(SCRATCH, "offsets.json"),
    "offset.flush.interval.ms": "200",
    "key.converter": "string",
    # The REST service on a port of its own (tests may run side by side).
    "listeners": "http://127.0.0.1:%d" % sluiced.free_port(),
})


def datagen(name, **kw):
    items = {"name": name, "connector.class": "DatagenSource", "max.interval": "0",
             "random.seed": "42"}
    items.update({k.replace("_", "."): v for k, v in kw.items()})
    return props(name + ".properties", items)


with t.step("orders x2 tasks, a twin with the same seed, and nexmark: every record once, shaped"):
    conns = [datagen("orders-a", quickstart="orders", kafka_topic="orders-a", tasks_max="2",
                     iterations=str(N)),
             datagen("orders-b", quickstart="orders", kafka_topic="orders-b", tasks_max="2",
                     iterations=str(N)),
             datagen("nx", quickstart="nexmark", kafka_topic="nx-", iterations="5000",
                     value_converter="json", value_converter_schemas_enable="false")]
    proc, log = start_worker(*conns)
    for topic, want in (("orders-a", 2 * N), ("orders-b", 2 * N), ("nx-bid", 4600)):
        wait_records(topic, want, proc, log)
    time.sleep(1)  # anything beyond the sequence would show now
    stop_worker(proc, log)
    a = read_all("orders-a")
    t.eq(len(a), 2 * N, "records in orders-a (a clean run writes each once)")
    ids = sorted(v["payload"]["orderid"] for _, v in a)
    t.expect(ids == list(range(2 * N)),
             "orderids are not 0..%d once each: %s..." % (2 * N - 1, ids[:10]))
    t.expect(all(k == str(v["payload"]["orderid"]) for k, v in a), "a key is not its orderid")
    schema = a[0][1]["schema"]
    t.eq(schema.get("name"), "ksql.orders", "value schema name")
    fields = {f["field"]: f for f in schema["fields"]}
    t.eq([f["field"] for f in schema["fields"]],
         ["ordertime", "orderid", "itemid", "orderunits", "address"], "orders fields")
    t.eq([fields[f]["type"] for f in ("ordertime", "orderid", "itemid", "orderunits", "address")],
         ["int64", "int32", "string", "double", "struct"], "orders field types")
    t.eq([f["field"] for f in fields["address"]["fields"]], ["city", "state", "zipcode"],
         "address fields")
    p0 = a[0][1]["payload"]
    t.expect(p0["itemid"].startswith("Item_") and 0.1 <= p0["orderunits"] <= 10.0
             and 10000 <= p0["address"]["zipcode"] <= 99999,
             "an order out of Confluent's ranges: %r" % p0)
    twin = {k: v["payload"] for k, v in read_all("orders-b")}
    t.expect(twin == {k: v["payload"] for k, v in a}, "the same seed gave other records")
    counts = {topic: sum(ends(topic).values()) for topic in ("nx-person", "nx-auction", "nx-bid")}
    t.eq(counts, {"nx-person": 100, "nx-auction": 300, "nx-bid": 4600}, "nexmark records per topic")
    person = read_all("nx-person")
    nexmark_person = {"id", "name", "emailAddress", "creditCard", "city", "state", "dateTime",
                      "extra"}
    t.expect(all(k == str(v["id"]) and set(v) == nexmark_person for k, v in person),
             "a person is not keyed by its id or lacks Nexmark's fields: %r" % (person[0],))

with t.step("pageviews killed by SIGKILL mid-stream, restarted: all of it, replays identical"):
    pv = datagen("pv", quickstart="pageviews", kafka_topic="pv", iterations=str(PAGEVIEWS),
                 records_per_second="15000", value_converter="json",
                 value_converter_schemas_enable="false")
    proc, log = start_worker(pv)
    wait_records("pv", PAGEVIEWS // 4, proc, log)
    proc.kill()
    proc.wait(timeout=30)
    before = sum(ends("pv").values())
    t.expect(before < PAGEVIEWS, "the worker had finished before the kill; the step proves nothing")
    proc, log = start_worker(pv)
    wait_records("pv", PAGEVIEWS, proc, log)
    time.sleep(1)
    stop_worker(proc, log)
    seen = {}
    clash = []
    for k, v in read_all("pv"):
        if k in seen and seen[k] != v:
            clash.append((k, seen[k], v))
        seen[k] = v
    t.expect(not clash, "a replayed record differs from its first copy: %r" % clash[:3])
    t.eq(sorted(v["viewtime"] for v in seen.values()), [1 + 10 * i for i in range(PAGEVIEWS)],
         "viewtimes of the whole sequence, once each after dedupe")
    total = sum(ends("pv").values())
    print("   killed at %d records; %d duplicates after the restart" % (before, total - PAGEVIEWS))

with t.step("users through PostgresSink: a table typed from the schema, the last row per userid"):
    pg = postgres.Server(settings={"fsync": "off"}).start()
    pg.create_database("dg")
    USERS = 400
    src = datagen("users", quickstart="users", kafka_topic="users", iterations=str(USERS))
    sink = props("pg.properties", {
        "name": "pg", "connector.class": "PostgresSink", "topics": "users",
        "connection.url": pg.jdbc_url("dg"), "connection.user": pg.user,
        "insert.mode": "upsert", "pk.mode": "record_value", "pk.fields": "userid",
        "auto.create": "true"})
    proc, log = start_worker(src, sink)
    wait_records("users", USERS, proc, log)
    want = {}
    for _, v in read_all("users"):   # a userid's records share a partition, in order
        p = v["payload"]
        want[p["userid"]] = [p["userid"], str(p["registertime"]), p["regionid"], p["gender"]]
    deadline = time.monotonic() + 120
    rows = []
    while time.monotonic() < deadline:
        try:
            rows = pg.query("SELECT userid, registertime, regionid, gender FROM users "
                            "ORDER BY userid", db="dg")
        except postgres.PostgresError:
            rows = []   # the table is not there yet
        if rows == sorted(want.values()):
            break
        t.expect(proc.poll() is None, "worker exited\n" + log_text(log)[-3000:])
        time.sleep(0.5)
    stop_worker(proc, log)
    t.eq(rows, sorted(want.values()), "the table's rows (the last record per userid)")
    cols = pg.query("SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_name = 'users' ORDER BY ordinal_position", db="dg")
    t.eq(cols, [["registertime", "bigint"], ["userid", "text"], ["regionid", "text"],
                ["gender", "text"]], "the columns auto.create made from the value schema")
    pg.close()

t.done()
