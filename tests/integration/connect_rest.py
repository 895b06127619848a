#!/usr/bin/python3
"""connect_rest.py - the Connect worker's REST API (Kafka Connect's) and
`sluice connect` against sluice-connect-standalone and a real sluiced, with
the file connectors.

Steps: the worker answers GET / and lists its plugins; validation reports a
missing key in Kafka's shape; a file source and a file sink created over
REST carry lines from one file to another; status, tasks, config; pause
holds lines back until resume; restarts (connector alone: 204; with tasks:
202 and the status; one task: 204) and the lines keep flowing; PUT config
replaces (200) or creates (201); bad JSON, another media type, unknown
names and wrong methods get Kafka's error codes; delete forgets; the CLI
does the same lifecycle with tables and --output json, and fails with the
worker's message. The worker stops cleanly on SIGTERM without sanitizer
reports. Last, the same routes against sluiced's `connect` role (a
distributed worker). Every wait is bounded; nothing asserts a duration.

Usage: connect_rest.py BUILD_DIR
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
t = check.Test("connect_rest", budget_s=400)

WORKER = os.path.join(BUILD, "bin", "sluice-connect-standalone")
CLI = os.path.join(BUILD, "bin", "sluice")
PLUGINS = os.path.join(BUILD, "connect-plugins")
SCRATCH = tempfile.mkdtemp(prefix="connect-rest-it-")
atexit.register(shutil.rmtree, SCRATCH, True)


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
    return data.decode("utf-8").split("\n")[:-1]


def append_lines(path, lines):
    with open(path, "a") as f:
        f.write("".join(ln + "\n" for ln in lines))


class Worker:
    def __init__(self, props):
        if not os.access(WORKER, os.X_OK):
            raise check.Failed("worker not built: %s" % WORKER)
        self.log = os.path.join(SCRATCH, "worker.log")
        self.out = open(self.log, "w")
        self.proc = subprocess.Popen([WORKER, props], stdout=self.out, stderr=subprocess.STDOUT,
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
        self.out.close()
        return rc


class Rest:
    def __init__(self, url):
        self.url = url

    def call(self, method, path, body=None, raw=None, ctype="application/json"):
        """(status, parsed JSON or None, text)."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None and ctype:
            req.add_header("Content-Type", ctype)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, text = r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return status, parsed, text

    def ok(self, method, path, want, body=None):
        status, j, text = self.call(method, path, body)
        if status != want:
            raise check.Failed("%s %s: got %d, want %d: %s" % (method, path, status, want, text[:500]))
        return j

    def error(self, method, path, want, words, body=None, raw=None, ctype="application/json"):
        status, j, text = self.call(method, path, body, raw, ctype)
        if status != want or not isinstance(j, dict) or j.get("error_code") != want \
                or words not in (j.get("message") or ""):
            raise check.Failed("%s %s: want %d with %r, got %d: %s"
                               % (method, path, want, words, status, text[:500]))


def wait_until(what, cond, worker, timeout_s=90):
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        last = cond()
        if last:
            return last
        if not worker.alive():
            raise check.Failed("worker exited (status %s) while waiting for %s\n%s"
                               % (worker.proc.returncode, what, worker.text()[-3000:]))
        time.sleep(0.2)
    raise check.Failed("%s: not within %d s\n%s" % (what, timeout_s, worker.text()[-3000:]))


def state_of(rest, name):
    status, j, _ = rest.call("GET", "/connectors/%s/status" % name)
    if status != 200:
        return None
    return (j["connector"]["state"], [x["state"] for x in j["tasks"]])


def cli(*args, want_rc=0):
    if not os.access(CLI, os.X_OK):
        raise check.Failed("sluice not built: %s" % CLI)
    p = subprocess.run([CLI, "connect"] + list(args) + ["--server", rest.url], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    out, err = p.stdout.decode(), p.stderr.decode()
    if p.returncode != want_rc:
        raise check.Failed("sluice connect %s: exit %d, want %d\nstdout: %s\nstderr: %s"
                           % (" ".join(args), p.returncode, want_rc, out[-2000:], err[-2000:]))
    return out, err


b = t.broker(config={"num.partitions": "1"})
port = sluiced.free_port()
worker_props = write_props("worker.properties", {
    "bootstrap.servers": b.bootstrap,
    "connect.plugin.path": PLUGINS,
    "offset.storage.file.filename": os.path.join(SCRATCH, "offsets.json"),
    "offset.flush.interval.ms": "200",
    "listeners": "http://127.0.0.1:%d" % port,
})
rest = Rest("http://127.0.0.1:%d" % port)
w = Worker(worker_props)
src_file = os.path.join(SCRATCH, "in.txt")
sink_file = os.path.join(SCRATCH, "out.txt")
sink2_file = os.path.join(SCRATCH, "out2.txt")
src_config = {"connector.class": "FileStreamSource", "file": src_file, "topic": "rest-lines",
              "tasks.max": "1"}
sink_config = {"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
               "file": sink_file, "topics": "rest-lines"}
lines = ["line-%05d" % i for i in range(2000)]
append_lines(src_file, lines[:500])

with t.step("the worker answers GET / and lists the file connectors"):
    def root():
        try:
            return rest.call("GET", "/")
        except OSError:
            return None
    status, j, text = wait_until("GET / to answer", root, w, timeout_s=60)
    t.eq(status, 200, "GET / status")
    t.expect(set(j) >= {"version", "commit", "kafka_cluster_id"}, "GET / keys: %s" % text)
    plugins = rest.ok("GET", "/connector-plugins", 200)
    classes = {(p["class"], p["type"]) for p in plugins}
    t.expect(("FileStreamSource", "source") in classes and ("FileStreamSink", "sink") in classes,
             "plugins: %s" % plugins)
    everything = rest.ok("GET", "/connector-plugins?connectorsOnly=false", 200)
    t.expect(any(p["type"] == "transformation" for p in everything), "no transforms listed with "
             "connectorsOnly=false: %s" % everything)
    t.eq(rest.ok("GET", "/connectors", 200), [], "connectors at start")

with t.step("validate: a missing key is reported in Kafka's shape; a good config has none"):
    j = rest.ok("PUT", "/connector-plugins/FileStreamSource/config/validate", 200,
                {"connector.class": "FileStreamSource", "name": "x", "file": "/tmp/x", "batch.size": "lots"})
    t.expect(j["error_count"] == 2 and isinstance(j["groups"], list), "validation: %s" % j)
    by_name = {c["definition"]["name"]: c for c in j["configs"]}
    t.expect(by_name["topic"]["value"]["errors"], "no error on topic: %s" % by_name.get("topic"))
    t.expect(by_name["batch.size"]["value"]["errors"], "no error on batch.size: %s" % by_name.get("batch.size"))
    t.eq(by_name["file"]["value"]["value"], "/tmp/x", "file's value")
    t.expect(set(by_name["file"]["definition"]) >= {"name", "type", "required", "default_value",
                                                    "importance", "documentation", "group"},
             "definition keys: %s" % by_name["file"]["definition"])
    j = rest.ok("PUT", "/connector-plugins/FileStreamSourceConnector/config/validate", 200,
                dict(src_config, name="x"))
    t.eq(j["error_count"], 0, "errors of a good config (%s)" % j)
    rest.error("PUT", "/connector-plugins/FileStreamSink/config/validate", 400, "does not match",
               body={"connector.class": "FileStreamSource"})

with t.step("create a file source and a file sink over REST: 201 with Kafka's ConnectorInfo"):
    j = rest.ok("POST", "/connectors", 201, {"name": "src", "config": src_config})
    t.eq(j["name"], "src", "name")
    t.eq(j["type"], "source", "type")
    t.eq(j["config"]["file"], src_file, "config.file")
    t.eq(j["config"]["name"], "src", "config.name")
    t.eq(j["tasks"], [{"connector": "src", "task": 0}], "tasks")
    j = rest.ok("POST", "/connectors", 201, {"name": "sink", "config": sink_config})
    t.eq(j["type"], "sink", "sink type")
    rest.error("POST", "/connectors", 409, "Connector src already exists",
               body={"name": "src", "config": src_config})
    wait_until("the first 500 lines in the sink's file", lambda: read_lines(sink_file) == lines[:500], w)
    t.eq(rest.ok("GET", "/connectors", 200), ["sink", "src"], "connectors")

with t.step("status, tasks, config, info and the expanded list"):
    wait_until("src RUNNING", lambda: state_of(rest, "src") == ("RUNNING", ["RUNNING"]), w)
    st = rest.ok("GET", "/connectors/src/status", 200)
    t.eq(st["name"], "src", "status name")
    t.eq(st["type"], "source", "status type")
    t.expect(st["connector"]["worker_id"], "worker_id is empty")
    t.eq(st["tasks"][0]["id"], 0, "task id")
    ts = rest.ok("GET", "/connectors/src/tasks/0/status", 200)
    t.eq((ts["id"], ts["state"]), (0, "RUNNING"), "task status")
    tasks = rest.ok("GET", "/connectors/src/tasks", 200)
    t.eq(tasks[0]["id"], {"connector": "src", "task": 0}, "task id")
    t.expect(isinstance(tasks[0]["config"], dict), "task config: %s" % tasks)
    t.eq(rest.ok("GET", "/connectors/sink/config", 200)["file"], sink_file, "sink config")
    t.eq(rest.ok("GET", "/connectors/sink", 200)["name"], "sink", "info name")
    ex = rest.ok("GET", "/connectors?expand=status&expand=info", 200)
    t.eq(sorted(ex), ["sink", "src"], "expanded names")
    t.eq(ex["src"]["status"]["connector"]["state"], "RUNNING", "expanded status")
    t.eq(ex["sink"]["info"]["type"], "sink", "expanded info")

with t.step("pause holds new lines back; resume lets them through"):
    t.eq(rest.call("PUT", "/connectors/src/pause")[0], 202, "pause status")
    wait_until("src PAUSED", lambda: state_of(rest, "src") == ("PAUSED", ["PAUSED"]), w)
    append_lines(src_file, lines[500:1000])
    time.sleep(2)
    t.eq(len(read_lines(sink_file)), 500, "lines in the sink while the source is paused")
    t.eq(rest.call("PUT", "/connectors/src/resume")[0], 202, "resume status")
    wait_until("src RUNNING again", lambda: state_of(rest, "src") == ("RUNNING", ["RUNNING"]), w)
    wait_until("1000 lines in the sink", lambda: read_lines(sink_file) == lines[:1000], w)

with t.step("restarts: connector 204, with tasks 202 and the status, one task 204; lines keep flowing"):
    status, j, text = rest.call("POST", "/connectors/src/restart")
    t.eq((status, text), (204, ""), "restart status and body")
    status, j, text = rest.call("POST", "/connectors/src/restart?includeTasks=true")
    t.eq(status, 202, "restart with tasks")
    t.eq(j["name"], "src", "restart answer")
    t.eq(rest.call("POST", "/connectors/sink/tasks/0/restart")[0], 204, "task restart")
    rest.error("POST", "/connectors/sink/tasks/5/restart", 404, "sink-5")
    wait_until("both RUNNING after the restarts",
               lambda: state_of(rest, "src") == ("RUNNING", ["RUNNING"])
               and state_of(rest, "sink") == ("RUNNING", ["RUNNING"]), w)
    append_lines(src_file, lines[1000:1500])
    wait_until("1500 lines in the sink (duplicates allowed after restarts)",
               lambda: set(read_lines(sink_file)) == set(lines[:1500]), w)

with t.step("PUT config: 200 replacing the sink (new file), 201 creating another"):
    j = rest.ok("PUT", "/connectors/sink/config", 200, dict(sink_config, file=sink2_file))
    t.eq(j["config"]["file"], sink2_file, "replaced config")
    wait_until("the replaced sink writes its new file (offsets kept: only new lines)",
               lambda: state_of(rest, "sink") == ("RUNNING", ["RUNNING"]), w)
    append_lines(src_file, lines[1500:2000])
    wait_until("the new lines in the new file", lambda: set(lines[1500:2000]) <= set(read_lines(sink2_file)), w)
    t.expect(not set(lines[:1000]) & set(read_lines(sink2_file)),
             "the replaced sink started over from the beginning")
    j = rest.ok("PUT", "/connectors/copy/config", 201,
                {"connector.class": "FileStreamSink", "file": os.path.join(SCRATCH, "copy.txt"),
                 "topics": "rest-lines"})
    t.eq(j["name"], "copy", "created by PUT")
    rest.error("PUT", "/connectors/copy/config", 400, "doesn't match connector name in the URL",
               body={"name": "other", "connector.class": "FileStreamSink", "topics": "x", "file": "/tmp/x"})

with t.step("bad requests: invalid config, bad JSON, media type, unknown names, wrong methods"):
    rest.error("POST", "/connectors", 400, "Connector configuration is invalid",
               body={"name": "bad", "config": {"connector.class": "FileStreamSource", "file": "/tmp/x"}})
    rest.error("POST", "/connectors", 400, "JSON", raw=b'{"name": "bad", "config": {')
    rest.error("POST", "/connectors", 415, "Unsupported Media Type", raw=b"name=bad",
               ctype="application/x-www-form-urlencoded")
    rest.error("GET", "/connectors/nope/status", 404, "Connector nope not found")
    rest.error("PUT", "/connectors/nope/pause", 404, "Connector nope not found")
    rest.error("DELETE", "/connectors/nope", 404, "Connector nope not found")
    rest.error("GET", "/no/such/route", 404, "Not Found")
    rest.error("DELETE", "/connector-plugins", 405, "Method Not Allowed")
    rest.error("POST", "/connectors", 413, "larger than", raw=b" " * (1024 * 1024 + 10))
    t.eq(sorted(rest.ok("GET", "/connectors", 200)), ["copy", "sink", "src"], "connectors after bad requests")

with t.step("delete: 204, then 404 and gone from the list"):
    for name in ("copy", "sink", "src"):
        t.eq(rest.call("DELETE", "/connectors/" + name)[0], 204, "delete " + name)
    rest.error("GET", "/connectors/src", 404, "Connector src not found")
    t.eq(rest.ok("GET", "/connectors", 200), [], "connectors after delete")

with t.step("sluice connect: the same lifecycle from the command line"):
    props = write_props("cli-src.properties", {"name": "cli-src", "connector.class": "FileStreamSource",
                                                "file": src_file, "topic": "rest-lines"})
    out, _ = cli("create", "-f", props)
    t.expect("Created connector cli-src" in out, "create output: %s" % out)
    cfg = os.path.join(SCRATCH, "cli-sink.json")
    with open(cfg, "w") as f:
        json.dump({"name": "cli-sink", "config": dict(sink_config, file=os.path.join(SCRATCH, "cli.txt"))}, f)
    cli("create", "-f", cfg)
    out, _ = cli("list")
    t.expect(out.splitlines()[0].split()[:4] == ["NAME", "TYPE", "STATE", "TASKS"], "list header: %s" % out)
    t.expect("cli-src" in out and "cli-sink" in out, "list: %s" % out)
    out, _ = cli("list", "--output", "json")
    t.eq(sorted(json.loads(out)), ["cli-sink", "cli-src"], "list --output json")
    wait_until("cli-src RUNNING", lambda: state_of(rest, "cli-src") == ("RUNNING", ["RUNNING"]), w)
    out, _ = cli("status", "cli-src")
    t.expect("RUNNING" in out and "TASK" in out, "status: %s" % out)
    out, _ = cli("status", "cli-src", "--output", "json")
    t.eq(json.loads(out)["connector"]["state"], "RUNNING", "status --output json")
    out, _ = cli("config", "cli-src")
    t.expect("FileStreamSource" in out, "config: %s" % out)
    out, _ = cli("tasks", "cli-src", "--output", "json")
    t.eq(json.loads(out)[0]["id"], {"connector": "cli-src", "task": 0}, "tasks --output json")
    out, _ = cli("pause", "cli-src")
    t.expect("Paused connector cli-src" in out, "pause: %s" % out)
    wait_until("cli-src PAUSED", lambda: state_of(rest, "cli-src") == ("PAUSED", ["PAUSED"]), w)
    cli("resume", "cli-src")
    wait_until("cli-src RUNNING", lambda: state_of(rest, "cli-src") == ("RUNNING", ["RUNNING"]), w)
    out, _ = cli("restart", "cli-src")
    t.expect("Restarted connector cli-src" in out, "restart: %s" % out)
    out, _ = cli("restart", "cli-src", "--include-tasks", "--only-failed")
    t.expect("cli-src" in out, "restart --include-tasks: %s" % out)
    cli("restart", "cli-sink", "--task", "0")
    out, _ = cli("update", "cli-sink", "--config",
                 json.dumps(dict(sink_config, file=os.path.join(SCRATCH, "cli2.txt"))))
    t.expect("Updated connector cli-sink (sink, 1 task)" in out, "update: %s" % out)
    t.eq(rest.ok("GET", "/connectors/cli-sink/config", 200)["file"], os.path.join(SCRATCH, "cli2.txt"),
         "config after update")
    out, _ = cli("plugins")
    t.expect("FileStreamSink" in out and "CLASS" in out, "plugins: %s" % out)
    out, _ = cli("plugins", "--all", "--output", "json")
    t.expect(any(p["type"] == "converter" for p in json.loads(out)), "plugins --all: %s" % out)
    out, _ = cli("validate", "--config", json.dumps(dict(src_config, name="v")))
    t.expect("0 errors" in out, "validate: %s" % out)
    out, _ = cli("validate", "FileStreamSource", "--config", '{"name": "v", "file": "/tmp/x"}', want_rc=1)
    t.expect("topic" in out and "1 error" in out, "validate with an error: %s" % out)
    _, err = cli("status", "nope", want_rc=1)
    t.expect("Connector nope not found" in err, "the worker's message on stderr: %s" % err)
    _, err = cli("create", "--config", json.dumps({"name": "cli-src", "config": src_config}), want_rc=1)
    t.expect("already exists" in err, "create twice: %s" % err)
    _, err = cli("create", "--config", "{", want_rc=1)
    t.expect("not JSON" in err, "bad --config: %s" % err)
    cli("create", want_rc=2)
    out, _ = cli("delete", "cli-src")
    t.expect("Deleted connector cli-src" in out, "delete: %s" % out)
    cli("delete", "cli-sink")
    t.eq(json.loads(cli("list", "--output", "json")[0]), {}, "list after delete")
    p = subprocess.run([CLI, "connect", "list", "--server", "http://127.0.0.1:%d" % sluiced.free_port()],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    t.eq(p.returncode, 1, "exit status with no worker")
    t.expect(b"cannot connect" in p.stderr, "no worker: %s" % p.stderr)

with t.step("the worker stops cleanly on SIGTERM, no sanitizer reports"):
    rc = w.stop()
    text = w.text()
    marks = [ln for ln in text.splitlines() if any(m in ln for m in sluiced.SANITIZER_MARKS)]
    t.expect(not marks, "sanitizer reports in the worker log:\n" + text[-4000:])
    t.eq(rc, 0, "worker exit status")

with t.step("the same routes against sluiced's connect role (a distributed worker)"):
    dport = sluiced.free_port()
    db = t.broker(config={"num.partitions": "1", "group.initial.rebalance.delay.ms": "0",
                          "sluice.roles": "broker,connect", "connect.listeners": "http://127.0.0.1:%d" % dport,
                          "connect.plugin.path": PLUGINS, "connect.group.id": "rest-it",
                          "connect.session.timeout.ms": "6000", "connect.heartbeat.interval.ms": "1000",
                          "connect.offset.flush.interval.ms": "200"})
    drest = Rest("http://127.0.0.1:%d" % dport)

    class Role:
        """The broker standing in for the worker in wait_until."""
        def alive(self):
            return db.alive()

        def text(self):
            return db.log_tail(80)

        proc = db.proc
    role = Role()

    def droot():
        try:
            status, j, _ = drest.call("GET", "/connectors")
            return status == 200 and j == []
        except OSError:
            return False
    wait_until("the connect role's REST service", droot, role, timeout_s=90)
    d_in = os.path.join(SCRATCH, "d-in.txt")
    d_out = os.path.join(SCRATCH, "d-out.txt")
    append_lines(d_in, lines[:300])
    j = drest.ok("POST", "/connectors", 201, {"name": "dsrc", "config": dict(src_config, file=d_in, topic="d")})
    t.eq(j["type"], "source", "type")
    drest.ok("POST", "/connectors", 201, {"name": "dsink", "config": dict(sink_config, file=d_out, topics="d")})
    drest.error("POST", "/connectors", 409, "Connector dsrc already exists",
                body={"name": "dsrc", "config": dict(src_config, file=d_in, topic="d")})
    wait_until("300 lines through the distributed worker", lambda: read_lines(d_out) == lines[:300], role)
    wait_until("dsrc RUNNING", lambda: state_of(drest, "dsrc") == ("RUNNING", ["RUNNING"]), role)
    t.eq(drest.call("PUT", "/connectors/dsrc/pause")[0], 202, "pause")
    wait_until("dsrc PAUSED", lambda: state_of(drest, "dsrc") == ("PAUSED", ["PAUSED"]), role)
    t.eq(drest.call("PUT", "/connectors/dsrc/resume")[0], 202, "resume")
    wait_until("dsrc RUNNING again", lambda: state_of(drest, "dsrc") == ("RUNNING", ["RUNNING"]), role)
    t.eq(drest.call("POST", "/connectors/dsrc/restart")[0], 204, "restart")
    status, j, _ = drest.call("POST", "/connectors/dsrc/restart?includeTasks=true")
    t.eq((status, j and j.get("name")), (202, "dsrc"), "restart with tasks")
    t.eq(drest.call("POST", "/connectors/dsink/tasks/0/restart")[0], 204, "task restart")
    wait_until("both RUNNING after the restarts",
               lambda: state_of(drest, "dsrc") == ("RUNNING", ["RUNNING"])
               and state_of(drest, "dsink") == ("RUNNING", ["RUNNING"]), role)
    append_lines(d_in, lines[300:600])
    wait_until("600 lines through the distributed worker",
               lambda: set(read_lines(d_out)) == set(lines[:600]), role)
    t.eq(drest.ok("GET", "/connectors/dsink/tasks", 200)[0]["id"], {"connector": "dsink", "task": 0}, "tasks")
    for name in ("dsrc", "dsink"):
        t.eq(drest.call("DELETE", "/connectors/" + name)[0], 204, "delete " + name)
    drest.error("GET", "/connectors/dsrc/status", 404, "Connector dsrc not found")
    t.eq(drest.ok("GET", "/connectors", 200), [], "connectors after delete")

t.done()
