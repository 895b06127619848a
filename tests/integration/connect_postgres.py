#!/usr/bin/python3
"""connect_postgres.py - PostgresSink in the standalone Connect worker
(sluice-connect-standalone) against a real sluiced and a real PostgreSQL this
test starts (lib/postgres.py: initdb in a temp dir, a loopback port).
Records are produced with confluent_kafka as JSON with Kafka's schema
envelope ({"schema":..., "payload":...}) for keys and values.

Steps:
  - upsert by record_key with auto.create and delete.enabled: the table is
    created from the value's schema (types, NOT NULL, primary key), holds the
    last value of every key, and tombstones deleted their rows (one before
    the table existed deletes nothing);
  - insert with pk.mode=kafka into table.name.format kafka_${topic}, two
    tasks: every record exactly once, values as produced;
  - a worker killed with SIGKILL mid-stream and restarted: after the restart
    both tables are exact (no row lost, none twice);
  - PostgreSQL stopped and started again under a running worker: the failed
    writes are retried (lost connection: retriable) and the table is exact;
  - upsert by record_value (pk.fields) into a table made beforehand (a column
    the records lack keeps its default);
  - auto.evolve: a new optional field becomes a column, a new required one
    fails the task clearly;
  - clear refusals: schemaless values, a missing table without auto.create,
    a tombstone without delete.enabled, PostgreSQL not reachable.
Every wait is bounded; nothing asserts a duration.

Usage: connect_postgres.py BUILD_DIR
"""
import atexit
import base64
import json
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
import postgres  # noqa: E402
import sluiced  # noqa: E402

BUILD = client_drv.build_dir()
t = check.Test("connect_postgres", budget_s=560)
WORKER = os.path.join(BUILD, "bin", "sluice-connect-standalone")
PLUGINS = os.path.join(BUILD, "connect-plugins")
SCRATCH = tempfile.mkdtemp(prefix="connect-pg-it-")
DB = "sink"


atexit.register(shutil.rmtree, SCRATCH, True)


def write_props(name, items):
    path = os.path.join(SCRATCH, name)
    with open(path, "w") as f:
        for k, v in items.items():
            f.write("%s=%s\n" % (k, v))
    return path


class Worker:
    """sluice-connect-standalone WORKER.properties CONNECTOR.properties..."""

    def __init__(self, worker_conf, *connectors):
        if not os.access(WORKER, os.X_OK):
            raise check.Failed("worker not built: %s" % WORKER)
        stamp = int(time.monotonic() * 1000)
        # Its REST service on a port of its own (the default 8083 may be taken).
        worker_props = write_props("worker-%d.properties" % stamp, dict(
            worker_conf, listeners="http://127.0.0.1:%d" % sluiced.free_port()))
        self.log = os.path.join(SCRATCH, "worker-%d.log" % stamp)
        self.out = open(self.log, "w")
        self.proc = subprocess.Popen([WORKER, worker_props] + list(connectors), stdout=self.out,
                                     stderr=subprocess.STDOUT, preexec_fn=sluiced._die_with_parent)

    def text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
                raise check.Failed("worker did not stop within 120 s of SIGTERM\n" + self.text()[-3000:])
        self.out.close()
        marks = [ln for ln in self.text().splitlines() if any(m in ln for m in sluiced.SANITIZER_MARKS)]
        if marks:
            raise check.Failed("sanitizer reports in the worker log:\n" + self.text()[-4000:])
        return self.proc.returncode

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.out.close()

    def wait_log(self, needle, timeout_s=60):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if needle in self.text():
                return
            time.sleep(0.2)
        raise check.Failed("the worker log never said %r within %d s\n%s"
                           % (needle, timeout_s, self.text()[-3000:]))


# ---- records ------------------------------------------------------------------

KEY_SCHEMA = {"type": "struct", "optional": False, "fields": [
    {"field": "id", "type": "int64", "optional": False}]}
USER_SCHEMA = {"type": "struct", "optional": False, "name": "sluice.test.User", "fields": [
    {"field": "id", "type": "int64", "optional": False},
    {"field": "name", "type": "string", "optional": True},
    {"field": "score", "type": "double", "optional": True},
    {"field": "level", "type": "int16", "optional": False},
    {"field": "active", "type": "boolean", "optional": False},
    {"field": "seen", "type": "int64", "optional": True,
     "name": "org.apache.kafka.connect.data.Timestamp", "version": 1},
    {"field": "avatar", "type": "bytes", "optional": True},
    {"field": "ratio", "type": "float", "optional": True}]}
EVENT_SCHEMA = {"type": "struct", "optional": False, "fields": [
    {"field": "seq", "type": "int64", "optional": False},
    {"field": "kind", "type": "string", "optional": False},
    {"field": "n", "type": "int32", "optional": True},
    {"field": "day", "type": "int32", "optional": True,
     "name": "org.apache.kafka.connect.data.Date"}]}


def envelope(schema, payload):
    return json.dumps({"schema": schema, "payload": payload}).encode()


def user(i, version):
    """Version `version` of user i: every field derived from both."""
    name = None if (i + version) % 7 == 0 else "user-%d-v%d 'q' \"dq\" é" % (i, version)
    return {"id": i, "name": name, "score": (i * 4 + version) / 4.0, "level": (i % 300) - 150,
            "active": (i + version) % 2 == 0, "seen": 1700000000000 + i * 1000 + version,
            "avatar": base64.b64encode(bytes([i % 256, version, 0, 255])).decode() if i % 5 else None,
            "ratio": 0.5 if i % 3 else None}


def user_msg(i, version, tombstone=False):
    return {"topic": "users", "key": envelope(KEY_SCHEMA, {"id": i}),
            "value": None if tombstone else envelope(USER_SCHEMA, user(i, version))}


def event(seq):
    return {"seq": seq, "kind": "kind-%d" % (seq % 5), "n": None if seq % 11 == 0 else seq * 3,
            "day": 19000 + seq % 400}


def event_msg(seq):
    return {"topic": "events", "value": envelope(EVENT_SCHEMA, event(seq))}


def expected_user_row(u):
    """The row the users table should hold for user value u, as psql prints it
    through the query in user_rows()."""
    return [str(u["id"]), u["name"], repr(u["score"]) if u["score"] != int(u["score"]) else
            "%d" % u["score"], str(u["level"]), "t" if u["active"] else "f", str(u["seen"]),
            base64.b64decode(u["avatar"]).hex() if u["avatar"] else None,
            "0.5" if u["ratio"] is not None else None]


def user_rows(pg):
    return pg.query("SELECT id, name, score, level, active, "
                    "(extract(epoch FROM seen AT TIME ZONE 'UTC') * 1000)::bigint, "
                    "encode(avatar, 'hex'), ratio FROM users ORDER BY id", db=DB)


def event_rows(pg, table="kafka_events"):
    return pg.query('SELECT __connect_topic, __connect_partition, __connect_offset, seq, kind, n, '
                    'day - DATE \'1970-01-01\' FROM "%s" ORDER BY seq' % table, db=DB)


def expected_event_row(seq):
    e = event(seq)
    return [str(e["seq"]), e["kind"], None if e["n"] is None else str(e["n"]), str(e["day"])]


def wait_until(what, cond, worker, timeout_s=180):
    """Waits until cond() is true (it returns (ok, detail)); bounded."""
    deadline = time.monotonic() + timeout_s
    detail = ""
    while time.monotonic() < deadline:
        try:
            ok, detail = cond()
        except postgres.PostgresError as e:
            ok, detail = False, str(e)
        if ok:
            return
        if not worker.alive():
            raise check.Failed("worker exited (status %s) while waiting for %s (%s)\n%s"
                               % (worker.proc.returncode, what, detail, worker.text()[-3000:]))
        time.sleep(0.3)
    raise check.Failed("after %d s still waiting for %s: %s\n%s"
                       % (timeout_s, what, detail, worker.text()[-3000:]))


# ---- setup --------------------------------------------------------------------------

b = t.broker(config={"num.partitions": "2"})
pg = postgres.Server(settings={"fsync": "off"})
with t.step("PostgreSQL starts (initdb in a temp dir, loopback port)"):
    pg.start()
    pg.create_database(DB)
    t.eq(pg.scalar("SELECT current_database()", db=DB), DB, "database")

worker_props = {
    "bootstrap.servers": b.bootstrap,
    "connect.plugin.path": PLUGINS,
    "offset.storage.file.filename": os.path.join(SCRATCH, "offsets.json"),
    "offset.flush.interval.ms": "200",
    "consumer.session.timeout.ms": "6000",
    "consumer.heartbeat.interval.ms": "1000",
}


def sink_props(name, **kw):
    items = {"name": name, "connector.class": "PostgresSink",
             "connection.url": pg.jdbc_url(DB), "connection.user": pg.user}
    items.update({k.replace("_", "."): v for k, v in kw.items()})
    return write_props(name + ".properties", items)


users_props = sink_props("pg-users", topics="users", insert_mode="upsert", pk_mode="record_key",
                         auto_create="true", delete_enabled="true")
# Two tasks (one per partition) race to create the table.
events_props = sink_props("pg-events", topics="events", insert_mode="insert", pk_mode="kafka",
                          auto_create="true", table_name_format="kafka_${topic}", tasks_max="2")

USERS = 500
VERSIONS = 4
EVENTS = 3000
last = {}          # id -> last user value (None: deleted)
producer = ck.producer(b.bootstrap)


def produce_users(versions):
    msgs = []
    for v in versions:
        for i in range(USERS):
            tomb = v == versions[-1] and i % 10 == 3
            msgs.append(user_msg(i, v, tomb))
            last[i] = None if tomb else user(i, v)
    ck.produce_all(producer, msgs)


def users_match():
    want = [expected_user_row(last[i]) for i in sorted(last) if last[i] is not None]
    got = user_rows(pg)
    if got == want:
        return True, ""
    bad = [(g, w) for g, w in zip(got, want) if g != w][:2]
    return False, "%d rows, want %d; first differences %r" % (len(got), len(want), bad)


def events_match(n):
    got = event_rows(pg)
    want = [expected_event_row(s) for s in range(n)]
    if [r[3:] for r in got] == want:
        return True, ""
    return False, "%d rows, want %d" % (len(got), n)


with t.step("upsert by record_key, auto.create, delete.enabled: the last value per key, "
            "tombstoned keys gone"):
    ck.create_topics(b.bootstrap, [("users", 2, {}), ("events", 2, {})])
    # A tombstone before the table exists: nothing to delete, no failure.
    ck.produce_all(producer, [user_msg(USERS + 1, 0, tombstone=True)])
    produce_users(list(range(VERSIONS)))
    ck.produce_all(producer, [event_msg(s) for s in range(EVENTS)])
    w = Worker(worker_props, users_props, events_props)
    wait_until("the users table to hold the last value of each key", users_match, w)
    cols = pg.query("SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                    "WHERE table_name = 'users' ORDER BY ordinal_position", db=DB)
    t.eq(cols, [["id", "bigint", "NO"], ["name", "text", "YES"], ["score", "double precision", "YES"],
                ["level", "smallint", "NO"], ["active", "boolean", "NO"],
                ["seen", "timestamp without time zone", "YES"], ["avatar", "bytea", "YES"],
                ["ratio", "real", "YES"]], "columns auto.create made")
    pk = pg.query("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                  "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'users'::regclass AND i.indisprimary",
                  db=DB)
    t.eq(pk, [["id"]], "primary key")
    t.eq(pg.scalar("SELECT count(*) FROM users", db=DB),
         str(sum(1 for v in last.values() if v is not None)), "rows (tombstoned keys deleted)")

with t.step("insert with pk.mode=kafka into kafka_${topic}, two tasks: every record once, "
            "as produced"):
    wait_until("kafka_events to hold every event", lambda: events_match(EVENTS), w)
    coords = pg.query("SELECT __connect_topic, count(*), count(DISTINCT (__connect_partition, "
                      "__connect_offset)) FROM kafka_events GROUP BY 1", db=DB)
    t.eq(coords, [["events", str(EVENTS), str(EVENTS)]], "coordinates")
    t.eq(w.stop(), 0, "worker exit status after SIGTERM")

with t.step("kill -9 mid-stream, restart: both tables exact (nothing lost, nothing twice)"):
    MORE = 60000
    ck.produce_all(producer, [event_msg(s) for s in range(EVENTS, EVENTS + MORE)], timeout=120)
    produce_users(list(range(VERSIONS, VERSIONS + 3)))
    small = sink_props("pg-events", topics="events", insert_mode="insert", pk_mode="kafka",
                       auto_create="true", table_name_format="kafka_${topic}", batch_size="200")
    w = Worker(worker_props, users_props, small)
    deadline = time.monotonic() + 120
    done = EVENTS
    while time.monotonic() < deadline:
        done = int(pg.scalar("SELECT count(*) FROM kafka_events", db=DB))
        if done >= EVENTS + MORE // 10 or not w.alive():
            break
        time.sleep(0.02)
    t.expect(w.alive(), "worker exited early\n" + w.text()[-3000:])
    w.kill()
    done = int(pg.scalar("SELECT count(*) FROM kafka_events", db=DB))
    t.expect(done < EVENTS + MORE, "the worker was killed after it had finished; the test proves "
             "nothing (%d rows)" % done)
    w = Worker(worker_props, users_props, small)
    wait_until("kafka_events to hold every event after the restart",
               lambda: events_match(EVENTS + MORE), w, timeout_s=240)
    wait_until("users to hold the last values after the restart", users_match, w)
    t.eq(w.stop(), 0, "worker exit status after SIGTERM")
    print("   killed with %d of %d events in the table" % (done - EVENTS, MORE))


with t.step("PostgreSQL restarted under a running worker: writes resume, nothing lost"):
    MORE2 = 20000
    total = EVENTS + MORE + MORE2
    retrying = sink_props("pg-events", topics="events", insert_mode="insert", pk_mode="kafka",
                          auto_create="true", table_name_format="kafka_${topic}", batch_size="200",
                          retry_backoff_ms="500")
    w = Worker(worker_props, retrying)
    ck.produce_all(producer, [event_msg(s) for s in range(EVENTS + MORE, total)], timeout=120)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = int(pg.scalar("SELECT count(*) FROM kafka_events", db=DB))
        if done >= EVENTS + MORE + MORE2 // 10 or not w.alive():
            break
        time.sleep(0.02)
    pg.stop()
    time.sleep(2)   # the worker's writes fail meanwhile
    pg.start()
    wait_until("kafka_events to hold every event after PostgreSQL's restart",
               lambda: events_match(total), w, timeout_s=240)
    t.expect("will retry" in w.text() or "retry 1 of" in w.text(),
             "the worker never saw a failed write (PostgreSQL stopped after everything was "
             "written?)\n" + w.text()[-2000:])
    t.eq(w.stop(), 0, "worker exit status after SIGTERM")
    print("   stopped PostgreSQL with %d of %d events in the table" % (done - EVENTS - MORE, MORE2))


with t.step("upsert by record_value (pk.fields=seq) into a table made beforehand"):
    pg.query("CREATE TABLE by_seq (seq BIGINT PRIMARY KEY, kind TEXT NOT NULL, n INTEGER, "
             "day DATE, extra TEXT DEFAULT 'kept')", db=DB)
    # Every event twice: the second copy updates the row the first made.
    ck.produce_all(producer, [event_msg(q) for q in range(500)] + [event_msg(q) for q in range(500)],
                   timeout=60)
    props = sink_props("pg-by-seq", topics="events", insert_mode="upsert", pk_mode="record_value",
                       pk_fields="seq", table_name_format="by_seq")
    w = Worker(worker_props, props)
    n_events = EVENTS + MORE + MORE2 + 1000

    def by_seq_full():
        got = pg.query("SELECT seq, kind, n, day - DATE '1970-01-01', extra FROM by_seq ORDER BY seq",
                       db=DB)
        want = [expected_event_row(q) + ["kept"] for q in range(EVENTS + MORE + MORE2)]
        return got == want, "%d rows, want %d (of %d records)" % (len(got), len(want), n_events)
    wait_until("by_seq to hold one row per seq", by_seq_full, w, timeout_s=240)
    t.eq(w.stop(), 0, "worker exit status after SIGTERM")


def refused(name, needle, **kw):
    """A connector that must fail with needle in the worker's log."""
    props = sink_props(name, **kw)
    w = Worker(worker_props, props)
    try:
        w.wait_log(needle)
    finally:
        w.stop()


def evolve_msg(seq, version):
    fields = [{"field": "seq", "type": "int64", "optional": False},
              {"field": "kind", "type": "string", "optional": False}]
    payload = {"seq": seq, "kind": "k%d" % seq}
    if version >= 2:
        fields.append({"field": "note", "type": "string", "optional": True})
        payload["note"] = "note-%d" % seq
    if version >= 3:
        fields.append({"field": "must", "type": "int32", "optional": False})
        payload["must"] = seq
    return {"topic": "evolve", "value": envelope({"type": "struct", "optional": False,
                                                  "fields": fields}, payload)}


with t.step("auto.evolve: a new optional field becomes a column; a required one is refused"):
    ck.produce_all(producer, [evolve_msg(q, 1) for q in range(100)])
    props = sink_props("pg-evolve", topics="evolve", insert_mode="upsert", pk_mode="record_value",
                       pk_fields="seq", auto_create="true", auto_evolve="true")
    w = Worker(worker_props, props)
    wait_until("the evolve table (version 1)", lambda: (
        pg.scalar("SELECT count(*) FROM evolve", db=DB) == "100", "rows"), w)
    ck.produce_all(producer, [evolve_msg(q, 2) for q in range(100, 200)])

    def evolved():
        got = pg.query("SELECT seq, kind, note FROM evolve ORDER BY seq", db=DB)
        want = [[str(q), "k%d" % q, "note-%d" % q if q >= 100 else None] for q in range(200)]
        return got == want, "%d rows, want 200" % len(got)
    wait_until("the evolve table to hold every row with its note", evolved, w)
    t.expect('adding column "note" to table "evolve"' in w.text(),
             "the worker log does not show the column added\n" + w.text()[-2000:])
    ck.produce_all(producer, [evolve_msg(200, 3)])
    w.wait_log('lacks column "must", which auto.evolve does not add: its field is not optional')
    w.stop()
    t.eq(pg.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 'evolve'",
                   db=DB), "3", "columns (none added for the refused field)")

with t.step("refused clearly: schemaless JSON values"):
    ck.produce_all(producer, [{"topic": "loose", "value": b'{"id": 1}'}])
    refused("pg-loose", "needs a struct value with a schema", topics="loose",
            value_converter="json", value_converter_schemas_enable="false", auto_create="true")

with t.step("refused clearly: a missing table without auto.create"):
    ck.produce_all(producer, [{"topic": "nowhere", "value": envelope(EVENT_SCHEMA, event(1))}])
    # batch.size=1: the write is pipelined, its failure read at the next call.
    refused("pg-nowhere", "set auto.create=true", topics="nowhere", batch_size="1")

with t.step("refused clearly: a tombstone without delete.enabled"):
    ck.produce_all(producer, [{"topic": "tomb", "key": envelope(KEY_SCHEMA, {"id": 1}), "value": None}])
    refused("pg-tomb", "set delete.enabled=true", topics="tomb")

with t.step("refused clearly: PostgreSQL not reachable"):
    closed = "jdbc:postgresql://127.0.0.1:%d/%s" % (sluiced.free_port(), DB)
    refused("pg-closed", "cannot connect to PostgreSQL", topics="users", connection_url=closed,
            connection_attempts="2", connection_backoff_ms="100")

pg.close()
t.done()
