"""sql_cli.py - `sluice sql` against a real sluiced running the broker and sql
roles: --execute; --file with several statements (comments, quotes holding
';', a statement over several lines); --output json parsed by json.loads; a
SELECT with LIMIT printing its rows; statements read from standard input
(the prompt without a terminal); a failing statement's exit status 1 and
message (and the statements after it not run); exit status 2 for bad command
lines and 1 for a server that does not answer.
Usage: sql_cli.py BUILD_DIR (sluice and sluiced in BUILD_DIR/bin).
"""
import json
import os
import pty
import select
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
if len(sys.argv) >= 2:
    BUILD = os.path.abspath(sys.argv[1])
    sys.argv[1] = os.path.join(BUILD, "bin")
import check  # noqa: E402
import sluiced  # noqa: E402

t = check.Test("sql_cli", budget_s=300)
SLUICE = os.path.join(BUILD, "bin", "sluice")
b = t.broker(sql=True)


def sql(args, want_rc=0, stdin=None, server=None, timeout=90):
    """Runs sluice sql --server <service> args; checks the exit status; returns (stdout, stderr)."""
    if not os.access(SLUICE, os.X_OK):
        raise check.Failed("sluice not built: %s" % SLUICE)
    full = [SLUICE, "sql", "--server", server or b.sql_url] + args
    env = dict(os.environ, HOME=b.dir)
    try:
        p = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                           input=stdin.encode() if stdin is not None else None,
                           stdin=None if stdin is not None else subprocess.DEVNULL, env=env)
    except subprocess.TimeoutExpired:
        raise check.Failed("sluice sql %s did not exit within %ds" % (" ".join(args), timeout))
    out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    for mark in sluiced.SANITIZER_MARKS:
        t.expect(mark not in err, "sluice sql: sanitizer report:\n%s" % err[-3000:])
    if want_rc is not None and p.returncode != want_rc:
        raise check.Failed("sluice sql %s exited with %d, want %d\nstdout:\n%s\nstderr:\n%s"
                           % (" ".join(args), p.returncode, want_rc, out[-2000:], err[-2000:]))
    return out, err


with t.step("--execute runs a statement and prints its message"):
    out, _ = sql(["--execute", "CREATE STREAM ORDERS (ID INT KEY, ITEM STRING, QTY INT) "
                  "WITH (kafka_topic='orders', value_format='JSON', partitions=1);"])
    t.expect("Stream created" in out, "output: %r" % out)

with t.step("--file runs several statements in order"):
    script = os.path.join(b.dir, "script.sql")
    with open(script, "w") as f:
        f.write("-- a comment; with a semicolon\n"
                "SET 'auto.offset.reset' = 'earliest';\n"
                "CREATE TABLE ITEMS AS\n  SELECT ITEM, SUM(QTY) AS TOTAL\n  FROM ORDERS\n  GROUP BY ITEM;\n"
                "INSERT INTO ORDERS (ID, ITEM, QTY) VALUES (1, 'tea; green', 2);\n"
                "/* block; comment */ INSERT INTO ORDERS (ID, ITEM, QTY) VALUES (2, 'coffee', 3);\n"
                "INSERT INTO ORDERS (ID, ITEM, QTY) VALUES (3, 'tea; green', 5);\n"
                "SHOW QUERIES;\n")
    out, _ = sql(["--file", script])
    t.expect("Created query with ID CTAS_ITEMS_" in out, "CTAS message: %r" % out)
    t.expect("QUERY ID" in out and "PERSISTENT" in out, "SHOW QUERIES table: %r" % out)

with t.step("--output json prints the server's JSON"):
    out, _ = sql(["--output", "json", "--execute", "SHOW STREAMS;"])
    j = json.loads(out)
    t.eq(j[0]["@type"], "streams", "entity type")
    t.eq([s["name"] for s in j[0]["streams"]], ["ORDERS"], "stream names")

with t.step("a SELECT with LIMIT prints its rows and ends"):
    out, _ = sql(["--execute", "SELECT ID, ITEM FROM ORDERS EMIT CHANGES LIMIT 2;"])
    lines = out.splitlines()
    t.expect(lines and "ID" in lines[0] and "ITEM" in lines[0], "header: %r" % out)
    t.expect(any("tea; green" in x for x in lines) and any("coffee" in x for x in lines), "rows: %r" % out)
    t.expect("(2 rows)" in out, "row count: %r" % out)
    out, _ = sql(["--output", "json", "--execute", "SELECT ID FROM ORDERS EMIT CHANGES LIMIT 3;"])
    lines = [json.loads(x) for x in out.splitlines() if x.strip()]
    t.eq(lines[1:], [[1], [2], [3]], "JSON rows")
    t.eq(lines[0]["columnNames"], ["ID"], "JSON header")

with t.step("a pull query shows the aggregate"):
    deadline = time.monotonic() + 60
    out = ""
    while time.monotonic() < deadline:
        out, err = sql(["--output", "json", "--execute", "SELECT * FROM ITEMS WHERE ITEM='tea; green';"],
                       want_rc=None)
        rows = [json.loads(x) for x in out.splitlines() if x.strip()][1:]
        if rows == [["tea; green", 7]]:
            break
        time.sleep(0.5)
    else:
        raise check.Failed("pull query: %r" % out)

with t.step("statements from standard input (no terminal), one over several lines"):
    out, _ = sql([], stdin="SHOW\n  TABLES;\nDESCRIBE ITEMS;\n")
    t.expect("ITEMS" in out, "output: %r" % out)

def pty_until(fd, want, seen, wait=60):
    """Reads the terminal until want appears in what was read since the last
    call (seen: a list of byte strings, extended; seen[0] marks where the
    last call stopped)."""
    deadline = time.monotonic() + wait
    if not seen:
        seen.append(0)
    while time.monotonic() < deadline:
        text = b"".join(seen[1:])
        at = text.find(want.encode(), seen[0])
        if at >= 0:
            seen[0] = at + len(want)
            return
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen.append(chunk)
    raise check.Failed("the terminal did not show %r; it showed:\n%s"
                       % (want, b"".join(seen[1:])[-3000:].decode("utf-8", "replace")))


with t.step("at a terminal: a statement over two lines, Ctrl-C stops a push query, history is kept"):
    hist = os.path.join(b.dir, ".sluice_sql_history")
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["HOME"] = b.dir
        os.execv(SLUICE, [SLUICE, "sql", "--server", b.sql_url])
    seen = []
    try:
        pty_until(fd, "sql> ", seen)
        os.write(fd, b"SHOW\n")
        pty_until(fd, "> ", seen)
        os.write(fd, b"  STREAMS;\n")
        pty_until(fd, "ORDERS", seen)
        pty_until(fd, "sql> ", seen)  # input typed before the prompt races libedit's terminal setup
        os.write(fd, b"SELECT ITEM FROM ORDERS EMIT CHANGES;\n")
        pty_until(fd, "coffee", seen)
        time.sleep(0.5)
        os.write(fd, b"\x03")
        pty_until(fd, "Query terminated", seen)
        pty_until(fd, "sql> ", seen)
        os.write(fd, b"SHOW TABLES;\n")
        pty_until(fd, "ITEMS", seen)
        pty_until(fd, "sql> ", seen)
        os.write(fd, b"\x04")
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                try:
                    os.read(fd, 65536)
                except OSError:
                    pass
        else:
            raise check.Failed("sluice sql did not exit after Ctrl-D")
        pid = None
        t.eq(os.waitstatus_to_exitcode(status), 0, "exit status after Ctrl-D")
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    text = b"".join(seen[1:]).decode("utf-8", "replace")
    for mark in sluiced.SANITIZER_MARKS:
        t.expect(mark not in text, "sanitizer report at the terminal:\n%s" % text[-3000:])
    with open(hist) as f:
        h = f.read().replace("\\040", " ")  # libedit's file escapes blanks
    t.expect("SHOW STREAMS;" in h, "history file: %r" % h)
    t.expect("TABLES" not in h.split("SELECT")[0], "statements from a pipe are not in the history: %r" % h)
    t.expect("SELECT ITEM FROM ORDERS EMIT CHANGES;" in h, "history file: %r" % h)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        out, _ = sql(["--output", "json", "--execute", "SHOW QUERIES;"])
        if "PUSH" not in [q.get("queryType") for q in json.loads(out)[0]["queries"]]:
            break
        time.sleep(0.5)
    else:
        raise check.Failed("the push query is still listed after Ctrl-C: %r" % out)


with t.step("a failing statement: exit status 1, its message, nothing after it runs"):
    out, err = sql(["--execute", "SELECT * FROM NOPE; CREATE STREAM AFTER_FAIL (A INT) "
                    "WITH (kafka_topic='af', value_format='JSON', partitions=1);"], want_rc=1)
    t.expect("NOPE" in err, "message: %r" % err)
    out, err = sql(["--execute", "CREATE STREAM ORDERS (A INT) WITH (kafka_topic='o2', value_format='JSON');"],
                   want_rc=1)
    t.expect("ORDERS" in err and "exists" in err, "message: %r" % err)
    out, _ = sql(["--output", "json", "--execute", "SHOW STREAMS;"])
    t.eq([s["name"] for s in json.loads(out)[0]["streams"]], ["ORDERS"], "streams after the failures")
    out, err = sql([], stdin="SELEC 1;\nSHOW STREAMS;\n", want_rc=1)
    t.expect("ORDERS" in out, "the prompt goes on after a failure: %r" % out)
    t.expect("SELEC" in err, "the prompt's failure message: %r" % err)

with t.step("bad command lines exit 2; an unreachable server exits 1"):
    _, err = sql(["--output", "xml", "--execute", "SHOW STREAMS;"], want_rc=2)
    t.expect("table or json" in err, "message: %r" % err)
    sql(["--execute", "SHOW STREAMS;", "--file", "x.sql"], want_rc=2)
    sql(["--execute", "SHOW STREAMS;"], server="ftp://x", want_rc=2)
    _, err = sql(["--execute", "SHOW STREAMS;"], server="http://127.0.0.1:%d" % sluiced.free_port(), want_rc=1)
    t.expect("connect" in err, "message: %r" % err)
    with tempfile.TemporaryDirectory() as d:
        _, err = sql(["--file", os.path.join(d, "missing.sql")], want_rc=1)
        t.expect("missing.sql" in err, "message: %r" % err)

t.done()
