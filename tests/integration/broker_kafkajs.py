"""broker_kafkajs.py - runs broker_kafkajs.js (kafkajs 2.2.4 under node)
against a fresh sluiced and turns its per-step lines into this test's
result. kafkajs lives in tests/integration/js/node_modules (make deps runs
npm ci there); node or kafkajs missing is a failure.
Usage: broker_kafkajs.py BINDIR
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "lib"))
import check  # noqa: E402

t = check.Test("broker_kafkajs", budget_s=280)

with t.step("node and kafkajs 2.2.4 are installed"):
    t.need("node")
    pkg = os.path.join(HERE, "js", "node_modules", "kafkajs", "package.json")
    t.expect(os.path.exists(pkg), "%s missing: run make deps (npm ci --prefix tests/integration/js)" % pkg)
    import json
    with open(pkg) as f:
        t.eq(json.load(f)["version"], "2.2.4", "installed kafkajs version")

b = t.broker()
p = None
with t.step("kafkajs script runs to its end"):
    p = t.run(["node", os.path.join(HERE, "broker_kafkajs.js"), b.bootstrap], timeout=240, check=False)
out = p.stdout.decode("utf-8", "replace") if p else ""
# Each of the script's steps becomes a step here.
title = None
why = []
for line in out.splitlines() + ["-- end"]:
    if line.startswith("ok: "):
        t.passed.append("kafkajs: " + line[4:])
        print(line)
    elif line.startswith("FAIL: "):
        title = line[6:]
        why = []
    elif title is not None and (line.startswith("   ") or line.startswith("-- ") or line.startswith("kafkajs:")):
        if line.startswith("   "):
            why.append(line[3:])
            continue
        t._fail("kafkajs: " + title, "\n".join(why))
        title = None
if p is not None and p.returncode != 0 and not any(f.startswith("kafkajs: ") for f in t.failed):
    t._fail("kafkajs script exits 0", "exit %d\nstdout:\n%s\nstderr:\n%s"
            % (p.returncode, out[-3000:], p.stderr.decode("utf-8", "replace")[-3000:]))
elif p is not None and p.stderr.strip():
    print("kafkajs stderr:\n" + p.stderr.decode("utf-8", "replace")[-3000:])
t.done()
