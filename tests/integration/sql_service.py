"""sql_service.py - the SQL service's REST API against a real sluiced running
the broker and sql roles: GET /info and /healthcheck; POST /ksql with
CREATE STREAM and a CTAS with GROUP BY; records produced by confluent_kafka
and by INSERT VALUES; a pull query on /query-stream returning the current
aggregate; a push query streaming until its LIMIT (delimited, JSON array
and the older /query shapes); /close-query ending a push query that would
run forever; bad requests (not JSON, no statement, a failing statement, a
body over 1 MiB, unknown path, wrong method); and the persistent query
surviving a restart of sluiced (listed again, and it keeps counting).
Usage: sql_service.py BUILD_DIR (sluiced in BUILD_DIR/bin).
"""
import http.client
import json
import os
import struct
import sys
import threading
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
if len(sys.argv) >= 2:
    sys.argv[1] = os.path.join(os.path.abspath(sys.argv[1]), "bin")
import check  # noqa: E402
from confluent_kafka import Producer  # noqa: E402

t = check.Test("sql_service", budget_s=400)
b = t.broker(sql=True)


def request(method, path, body=None, headers=None, raw=None, timeout=60):
    """One request; returns (status, parsed JSON or text)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(b.sql_url + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, text = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def ksql(text, props=None, want=200):
    status, out = request("POST", "/ksql", {"ksql": text, "streamsProperties": props or {}})
    t.eq(status, want, "POST /ksql %r: status (body %r)" % (text, out))
    return out


def query_lines(sql, props=None, accept=None, timeout=60):
    """POST /query-stream; the body's lines as JSON values (the stream must end)."""
    headers = {"Accept": accept} if accept else {}
    status, out = request("POST", "/query-stream", {"sql": sql, "properties": props or {}}, headers=headers,
                          timeout=timeout)
    t.eq(status, 200, "POST /query-stream %r: status (body %r)" % (sql, out))
    if accept == "application/json":
        return out
    return [json.loads(line) for line in out.splitlines() if line.strip()] if isinstance(out, str) else [out]


def pull_until(sql, want, what, wait=60):
    """Pull query repeated until its rows equal want (sorted)."""
    deadline = time.monotonic() + wait
    rows = None
    while time.monotonic() < deadline:
        status, out = request("POST", "/query-stream", {"sql": sql})
        if status == 400 and "not ready" in str(out):  # the query is starting or restoring its store
            rows = out
            time.sleep(0.5)
            continue
        t.eq(status, 200, "POST /query-stream %r: status (body %r)" % (sql, out))
        lines = [out] if isinstance(out, dict) else [json.loads(x) for x in out.splitlines() if x.strip()]
        rows = sorted(lines[1:], key=json.dumps)
        if rows == sorted(want, key=json.dumps):
            return lines
        time.sleep(0.5)
    raise check.Failed("%s: pull query %r gave %r, want %r" % (what, sql, rows, want))


EARLIEST = {"auto.offset.reset": "earliest"}

with t.step("GET /info and /healthcheck answer as ksqlDB"):
    status, info = request("GET", "/info")
    t.eq(status, 200, "/info status")
    si = info["KsqlServerInfo"]
    t.eq(si["serverStatus"], "RUNNING", "serverStatus")
    t.eq(si["ksqlServiceId"], "default_", "ksqlServiceId")
    t.expect(si["version"] and si["kafkaClusterId"], "version and kafkaClusterId set: %r" % si)
    status, health = request("GET", "/healthcheck")
    t.eq(status, 200, "/healthcheck status")
    t.eq(health["isHealthy"], True, "isHealthy")
    t.expect(isinstance(health.get("details"), dict), "details: %r" % health)

with t.step("CREATE STREAM and a CTAS with GROUP BY"):
    out = ksql("CREATE STREAM CLICKS (ID INT KEY, PAGE STRING, MS INT) "
               "WITH (kafka_topic='clicks', value_format='JSON', partitions=1);")
    t.eq(out[0]["@type"], "currentStatus", "CREATE STREAM entity")
    t.eq(out[0]["commandStatus"]["status"], "SUCCESS", "CREATE STREAM status")
    out = ksql("CREATE TABLE PAGES AS SELECT PAGE, COUNT(*) AS N, SUM(MS) AS TOTAL FROM CLICKS GROUP BY PAGE;",
               EARLIEST)
    t.eq(out[0]["commandStatus"]["queryId"], "CTAS_PAGES_1", "CTAS query id")
    out = ksql("SHOW QUERIES;")
    ids = [q["id"] for q in out[0]["queries"]]
    t.expect("CTAS_PAGES_1" in ids, "SHOW QUERIES lists CTAS_PAGES_1: %r" % ids)

with t.step("records from confluent_kafka and INSERT VALUES reach the aggregate (pull query)"):
    p = Producer({"bootstrap.servers": b.bootstrap})
    for i, (page, ms) in enumerate([("home", 10), ("cart", 5), ("home", 20)]):
        p.produce("clicks", key=struct.pack(">i", i), value=json.dumps({"PAGE": page, "MS": ms}).encode())
    t.eq(p.flush(30), 0, "records left unsent")
    t.eq(ksql("INSERT INTO CLICKS (ID, PAGE, MS) VALUES (7, 'cart', 1);"), [], "INSERT VALUES answer")
    lines = pull_until("SELECT * FROM PAGES;", [["home", 2, 30], ["cart", 2, 6]], "after four records")
    t.eq(lines[0]["columnNames"], ["PAGE", "N", "TOTAL"], "header columnNames")
    t.eq(lines[0]["columnTypes"], ["STRING", "BIGINT", "INTEGER"], "header columnTypes")
    lines = query_lines("SELECT N, TOTAL FROM PAGES WHERE PAGE='home';")
    t.eq(lines[1:], [[2, 30]], "key lookup")

with t.step("a push query streams rows until its LIMIT, in the three shapes"):
    lines = query_lines("SELECT ID, PAGE FROM CLICKS EMIT CHANGES LIMIT 2;", EARLIEST)
    t.expect(lines[0]["queryId"].startswith("transient_CLICKS_"), "push query id: %r" % lines[0])
    t.eq(lines[1:], [[0, "home"], [1, "cart"]], "rows")
    arr = query_lines("SELECT ID FROM CLICKS EMIT CHANGES LIMIT 3;", EARLIEST, accept="application/json")
    t.expect(isinstance(arr, list) and len(arr) == 4, "JSON array of header and 3 rows: %r" % arr)
    t.eq(arr[1:], [[0], [1], [2]], "rows of the JSON array")
    status, old = request("POST", "/query", {"ksql": "SELECT PAGE FROM CLICKS EMIT CHANGES LIMIT 1;",
                                             "streamsProperties": EARLIEST})
    t.eq(status, 200, "/query status")
    t.expect("`PAGE` STRING" in old[0]["header"]["schema"], "/query header: %r" % old[0])
    t.eq(old[1], {"row": {"columns": ["home"]}}, "/query row")
    t.expect("finalMessage" in old[-1], "/query final message: %r" % old[-1])

with t.step("/close-query ends a push query that has no LIMIT"):
    conn = http.client.HTTPConnection("127.0.0.1", b.sql_port, timeout=30)
    conn.request("POST", "/query-stream", json.dumps({"sql": "SELECT * FROM CLICKS EMIT CHANGES;",
                                                       "properties": EARLIEST}))
    resp = conn.getresponse()
    t.eq(resp.status, 200, "push status")
    header = json.loads(resp.readline())
    qid = header["queryId"]
    rows = [json.loads(resp.readline()) for _ in range(4)]
    t.eq(len(rows), 4, "rows before closing")
    got = {}

    def drain():
        try:
            got["rest"] = resp.read()
        except Exception as e:  # noqa: BLE001
            got["error"] = e

    th = threading.Thread(target=drain, daemon=True)
    th.start()
    status, out = request("POST", "/close-query", {"queryId": qid})
    t.eq(status, 200, "/close-query status (%r)" % out)
    th.join(30)
    t.expect(not th.is_alive(), "the stream did not end within 30 s of /close-query")
    t.expect("error" not in got, "the stream ended badly: %r" % got.get("error"))
    conn.close()
    status, out = request("POST", "/close-query", {"queryId": qid})
    t.eq(status, 400, "closing it again")
    t.eq(out["@type"], "generic_error", "closing an unknown query: type")

def push_queries():
    return [q["id"] for q in ksql("SHOW QUERIES;")[0]["queries"] if q.get("queryType") == "PUSH"]


with t.step("a push query ends when its client goes away"):
    conn = http.client.HTTPConnection("127.0.0.1", b.sql_port, timeout=30)
    conn.request("POST", "/query-stream", json.dumps({"sql": "SELECT * FROM CLICKS EMIT CHANGES;"}))
    resp = conn.getresponse()
    qid = json.loads(resp.readline())["queryId"]
    t.expect(qid in push_queries(), "%s listed while its client reads: %r" % (qid, push_queries()))
    conn.close()
    deadline = time.monotonic() + 20
    while qid in push_queries() and time.monotonic() < deadline:
        time.sleep(0.2)
    t.expect(qid not in push_queries(), "%s still listed 20 s after its client left" % qid)

with t.step("bad requests get ksqlDB's errors; the service keeps serving"):
    status, out = request("POST", "/ksql", raw=b"{not json")
    t.eq(status, 400, "not JSON: status")
    t.eq((out["@type"], out["error_code"]), ("generic_error", 40000), "not JSON: error")
    status, out = request("POST", "/ksql", {"sql": "SHOW STREAMS;"})
    t.eq(status, 400, "no ksql field: status")
    status, out = request("POST", "/ksql", {"ksql": "CREATE STREAM BROKEN (;"})
    t.eq(status, 400, "syntax error: status")
    t.eq((out["@type"], out["error_code"]), ("statement_error", 40001), "syntax error: error")
    t.eq(out["statementText"], "CREATE STREAM BROKEN (;", "statementText")
    t.eq(out["entities"], [], "entities")
    status, out = request("POST", "/query-stream", {"sql": "SELECT * FROM NOPE EMIT CHANGES;"})
    t.eq(status, 400, "unknown source: status")
    t.expect("NOPE" in out["message"], "unknown source: message %r" % out["message"])
    status, out = request("POST", "/ksql", raw=b'{"ksql":"' + b"x" * (1024 * 1024 + 10) + b'"}')
    t.eq(status, 413, "body over 1 MiB")
    t.eq(request("GET", "/nowhere")[0], 404, "unknown path")
    t.eq(request("GET", "/ksql")[0], 405, "GET /ksql")
    t.eq(request("POST", "/info", {})[0], 405, "POST /info")
    for junk in (b"[]", b"null", b'{"ksql": 5}', b'{"ksql": "SHOW STREAMS;", "streamsProperties": 3}', b"\xff\xfe"):
        status, _ = request("POST", "/ksql", raw=junk)
        t.eq(status, 400, "body %r" % junk)
    t.eq(request("GET", "/healthcheck")[0], 200, "still healthy")

with t.step("the persistent query survives a restart and keeps counting"):
    t.eq(b.stop(), 0, "sluiced exit status")
    b.start()
    out = ksql("SHOW QUERIES;")
    ids = [q["id"] for q in out[0]["queries"]]
    t.expect("CTAS_PAGES_1" in ids, "SHOW QUERIES after the restart: %r" % ids)
    pull_until("SELECT * FROM PAGES;", [["home", 2, 30], ["cart", 2, 6]], "after the restart")
    ksql("INSERT INTO CLICKS (ID, PAGE, MS) VALUES (8, 'home', 100);")
    pull_until("SELECT * FROM PAGES;", [["home", 3, 130], ["cart", 2, 6]], "a record after the restart")

t.done()
