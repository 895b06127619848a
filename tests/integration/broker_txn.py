"""broker_txn.py - transactions and read_committed against sluiced, with
confluent_kafka (librdkafka 2.0.2) and kafkajs 2.2.4.

A committed transaction over 3 partitions of 2 topics is read whole by a
read_committed consumer; an aborted one is seen by no read_committed
consumer and by every read_uncommitted one; markers never reach the
application (the offsets have a gap where each marker is). A
consume-transform-produce application (txn_app.py: group, read_committed,
send_offsets_to_transaction) is killed with SIGKILL at random points and
restarted with the same transactional.id many times: the output read with
read_committed holds every input exactly once. A second producer with the
same transactional.id fences the first (fatal error on its next commit)
and nothing the first wrote is visible to read_committed. sluiced killed
with SIGKILL mid-transaction and restarted: the open transaction is
aborted after transaction.timeout.ms, the last stable offset moves on,
and a transaction committed before the kill is whole. Then
broker_txn_kafkajs.js: kafkajs' transactional producer commits and
aborts, its read_committed consumer sees exactly the committed messages.
Usage: broker_txn.py BINDIR
"""
import json
import os
import random
import select
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "lib"))
import check  # noqa: E402

t = check.Test("broker_txn", budget_s=280)
import ck  # noqa: E402
from ck import KafkaError, TopicPartition  # noqa: E402
from confluent_kafka import KafkaException  # noqa: E402

# Small internal topics (fewer files, faster start) and a short check for
# timed-out transactions, so the crash step's 5 s timeout acts within ~6 s.
CONFIG = {"transaction.state.log.num.partitions": "4", "offsets.topic.num.partitions": "4",
          "group.initial.rebalance.delay.ms": "0"}
OVERRIDES = ["transaction.abort.timed.out.transaction.cleanup.interval.ms=500"]
FENCE_CODES = (KafkaError._FENCED, KafkaError.PRODUCER_FENCED, KafkaError.INVALID_PRODUCER_EPOCH)

b = t.broker(config=CONFIG, overrides=OVERRIDES)


def txn_producer(txnid, **conf):
    return ck.producer(b.bootstrap, **{"transactional.id": txnid, **conf})


def hw(topic, parts, isolation="read_uncommitted"):
    """{p: end}: the high watermark, or with read_committed the last stable
    offset (librdkafka's ListOffsets takes the consumer's isolation level)."""
    c = ck.consumer(b.bootstrap, **{"isolation.level": isolation})
    try:
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=20)[1] for p in parts}
    finally:
        c.close()


def read_to(ends, isolation, timeout=30):
    """Reads {(topic, p): end} from offset 0 with assign() until each
    partition reports its end (partition EOF at an offset >= end: for
    read_committed the last stable offset). Returns {(topic, p): [(offset,
    value)]}; fails naming the partitions that stopped short."""
    c = ck.consumer(b.bootstrap, **{"isolation.level": isolation})
    try:
        c.assign([TopicPartition(tp[0], tp[1], 0) for tp in ends])
        got = {tp: [] for tp in ends}
        at = {tp: 0 for tp in ends}
        need = {tp for tp, e in ends.items() if e > 0}
        deadline = time.monotonic() + timeout
        while need and time.monotonic() < deadline:
            for m in c.consume(10000, 0.3):
                tp = (m.topic(), m.partition())
                if m.error():
                    if m.error().code() != KafkaError._PARTITION_EOF:
                        raise check.Failed("%s consumer error on %s: %s" % (isolation, tp, m.error()))
                    at[tp] = m.offset()
                    if m.offset() >= ends[tp]:
                        need.discard(tp)
                    continue
                got[tp].append((m.offset(), m.value()))
                at[tp] = m.offset() + 1
        if need:
            raise check.Failed("%s read stopped short within %ds: %s" % (
                isolation, timeout, ", ".join("%s[%d] at %d of %d" % (tp[0], tp[1], at[tp], ends[tp])
                                              for tp in sorted(need))))
        return got
    finally:
        c.close()


def values(got):
    return {tp: [v for _o, v in lst] for tp, lst in got.items()}


def commit_error(fn, what):
    """Runs a transactional call expected to fail; returns its KafkaError."""
    try:
        fn()
    except KafkaException as e:
        return e.args[0]
    raise check.Failed("%s succeeded, want a fencing error" % what)


# ---- commit, abort, markers -----------------------------------------------
TA, TB = "txn-a", "txn-b"
TPS = [(tp, p) for tp in (TA, TB) for p in range(3)]
N = 600

with t.step("CreateTopics %s, %s (3 partitions each)" % (TA, TB)):
    ck.create_topics(b.bootstrap, [(TA, 3, {}), (TB, 3, {})])

committed = {tp: [] for tp in TPS}
marks = {tp: 0 for tp in TPS}  # high watermarks after each write step
p = None
with t.step("a transactional producer commits %d messages over 3 partitions of 2 topics" % N):
    p = txn_producer("it-commit")
    p.init_transactions(30)
    p.begin_transaction()
    for i in range(N):
        tp = TPS[i % len(TPS)]
        v = b"c-%04d" % i
        p.produce(tp[0], value=v, partition=tp[1])
        committed[tp].append(v)
        if i % 100 == 0:
            p.poll(0)
    p.commit_transaction(30)
    marks = {(TA, q): e for q, e in hw(TA, range(3)).items()}
    marks.update({(TB, q): e for q, e in hw(TB, range(3)).items()})
    # One control batch (the commit marker) after each partition's records.
    t.eq(marks, {tp: len(committed[tp]) + 1 for tp in TPS}, "high watermarks (records + 1 marker)")

with t.step("read_committed sees every committed message, in order, and no marker"):
    got = read_to(marks, "read_committed")
    t.eq(values(got), committed, "values read_committed")
    t.expect(all(o == i for lst in got.values() for i, (o, _v) in enumerate(lst)),
             "offsets 0..n-1 before the marker")

aborted = {tp: [] for tp in TPS}
after = {tp: [] for tp in TPS}
with t.step("an aborted transaction, then a committed one, on the same partitions"):
    p.begin_transaction()
    for i in range(N // 2):
        tp = TPS[i % len(TPS)]
        v = b"x-%04d" % i
        p.produce(tp[0], value=v, partition=tp[1])
        aborted[tp].append(v)
    p.flush(30)
    p.abort_transaction(30)
    p.begin_transaction()
    for i in range(60):
        tp = TPS[i % len(TPS)]
        v = b"d-%04d" % i
        p.produce(tp[0], value=v, partition=tp[1])
        after[tp].append(v)
    p.commit_transaction(30)
    marks = {(TA, q): e for q, e in hw(TA, range(3)).items()}
    marks.update({(TB, q): e for q, e in hw(TB, range(3)).items()})
    t.eq(marks, {tp: len(committed[tp]) + len(aborted[tp]) + len(after[tp]) + 3 for tp in TPS},
         "high watermarks (records + 3 markers)")

with t.step("read_committed: none of the aborted messages; the later committed ones after an offset gap"):
    got = read_to(marks, "read_committed")
    t.eq(values(got), {tp: committed[tp] + after[tp] for tp in TPS}, "values read_committed")
    for tp, lst in got.items():
        n0 = len(committed[tp])
        # commit marker at n0, aborted records n0+1.., abort marker, then the rest
        want_first = n0 + 1 + len(aborted[tp]) + 1
        t.eq(lst[n0][0], want_first, "%s[%d] offset of the first message after the aborted transaction" % tp)

with t.step("read_uncommitted sees the aborted messages too, markers still hidden"):
    got = read_to(marks, "read_uncommitted")
    t.eq(values(got), {tp: committed[tp] + aborted[tp] + after[tp] for tp in TPS}, "values read_uncommitted")
    for tp, lst in got.items():
        offs = [o for o, _v in lst]
        n0, na = len(committed[tp]), len(aborted[tp])
        t.eq(offs, list(range(n0)) + list(range(n0 + 1, n0 + 1 + na)) + [o + n0 + na + 2 for o in range(len(after[tp]))],
             "%s[%d] offsets (gaps at the markers)" % tp)
p = None

# ---- zombie fencing -------------------------------------------------------
FT = "txn-fence"
with t.step("a second producer with the same transactional.id fences the first"):
    ck.create_topics(b.bootstrap, [(FT, 1, {})])
    p1 = txn_producer("it-fence")
    p1.init_transactions(30)
    p1.begin_transaction()
    for i in range(10):
        p1.produce(FT, value=b"z1-before-%d" % i, partition=0)
    t.eq(p1.flush(30), 0, "first producer's messages not delivered")
    p2 = txn_producer("it-fence")
    p2.init_transactions(30)  # bumps the epoch, aborts p1's open transaction
    p2.begin_transaction()
    for i in range(5):
        p2.produce(FT, value=b"z2-%d" % i, partition=0)
    p2.commit_transaction(30)
    reports = []
    for i in range(10):
        p1.produce(FT, value=b"z1-after-%d" % i, partition=0,
                   on_delivery=lambda err, msg: reports.append(err))
    err = commit_error(lambda: p1.commit_transaction(15), "the fenced producer's commit_transaction")
    p1.flush(10)  # serves the delivery reports of the messages sent after the fence
    print("   fenced producer's commit_transaction: %s (code %d, fatal %s); delivery errors: %s"
          % (err.name(), err.code(), err.fatal(), sorted({e.name() for e in reports if e is not None})))
    t.expect(err.code() in FENCE_CODES or err.fatal(),
             "fenced commit_transaction: %s, want one of _FENCED / PRODUCER_FENCED / INVALID_PRODUCER_EPOCH"
             % err)
    t.expect(err.fatal(), "fencing error is not fatal: %s" % err)
    e = hw(FT, [0])[0]
    got = read_to({(FT, 0): e}, "read_committed")
    t.eq(values(got)[(FT, 0)], [b"z2-%d" % i for i in range(5)], "read_committed values of %s" % FT)
    p1 = p2 = None

# ---- consume-transform-produce killed many times --------------------------
CIN, COUT, M = "ctp-in", "ctp-out", 6000
KILLS = 15


class App:
    """txn_app.py as a child process; stdout read without blocking."""

    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "txn_app.py"), b.bootstrap, CIN, COUT, "ctp-group",
             "it-ctp-app", "--max-seconds", "240", "--pace", "0.03"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=check.sluiced._die_with_parent)
        self.lines = []
        self.buf = b""

    def pump(self, wait):
        r, _w, _x = select.select([self.proc.stdout], [], [], wait)
        if r:
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            self.buf += chunk
            *done, self.buf = self.buf.split(b"\n")
            self.lines += [x.decode("utf-8", "replace") for x in done]
            return bool(chunk)
        return False

    def wait_for(self, word, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if any(x.startswith(word) for x in self.lines):
                return True
            self.pump(0.2)
        return any(x.startswith(word) for x in self.lines)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        return self.proc.stderr.read().decode("utf-8", "replace")


def out_count():
    e = hw(COUT, range(3), "read_committed")  # the app's open transaction, if any, ends later
    got = read_to({(COUT, q): e[q] for q in range(3)}, "read_committed", timeout=20)
    return [v for lst in values(got).values() for v in lst]


with t.step("consume-transform-produce: %d inputs, app killed with SIGKILL %d times" % (M, KILLS)):
    ck.create_topics(b.bootstrap, [(CIN, 3, {}), (COUT, 3, {})])
    ck.produce_all(ck.producer(b.bootstrap, **{"enable.idempotence": True}),
                   [{"topic": CIN, "partition": i % 3, "key": b"k%d" % i, "value": b"in-%05d" % i}
                    for i in range(M)])
    rng = random.Random(int(os.environ.get("SLUICE_IT_SEED", "0")) or None)
    seen = []
    for k in range(KILLS):
        app = App()
        # Even runs die early (around start-up and the first transactions),
        # odd ones once a transaction went through (mid-stream).
        word = "ready" if k % 2 == 0 else "txn "
        if not app.wait_for(word, 40):
            err = app.kill()
            raise check.Failed("app run %d: no %r within 40 s; stdout %s; stderr:\n%s"
                               % (k, word, app.lines[-5:], err[-2000:]))
        end = time.monotonic() + rng.uniform(0.2, 1.5)
        while time.monotonic() < end and app.proc.poll() is None:
            app.pump(max(0.0, end - time.monotonic()))
        rc = app.proc.poll()
        err = app.kill()
        txns = sum(1 for x in app.lines if x.startswith("txn "))
        seen.append(txns)
        if rc is not None and rc != 4:
            raise check.Failed("app run %d exited on its own with %d; stdout %s; stderr:\n%s"
                               % (k, rc, app.lines[-5:], err[-2000:]))
    print("   transactions committed per run before its kill: %s" % seen)
    t.expect(sum(seen) > 0, "no run committed a transaction before its kill")

with t.step("the app, left running, brings the output to every input exactly once (read_committed)"):
    want = sorted(b"T:in-%05d" % i for i in range(M))
    outs = []
    deadline = time.monotonic() + 120
    restarts = 0
    app = App()
    while time.monotonic() < deadline:
        app.pump(1.0)
        if app.proc.poll() is not None:
            restarts += 1
            t.expect(restarts <= 5 and app.proc.returncode == 4,
                     "app exited with %d (restarts %d); stdout %s; stderr %s"
                     % (app.proc.returncode, restarts, app.lines[-5:], app.kill()[-2000:]))
            app = App()
        outs = out_count()
        if len(outs) >= M:
            break
    err = app.kill()
    dup = len(outs) - len(set(outs))
    missing = len(set(want) - set(outs))
    t.expect(sorted(outs) == want, "output read_committed: %d records, %d duplicates, %d inputs missing "
             "(after %d restarts); app stderr: %s" % (len(outs), dup, missing, restarts, err[-1500:]))
    e = hw(COUT, range(3))
    unc = read_to({(COUT, q): e[q] for q in range(3)}, "read_uncommitted", timeout=20)
    n_unc = sum(len(v) for v in unc.values())
    print("   output: %d records read_committed, %d read_uncommitted (aborted attempts included)"
          % (len(outs), n_unc))

# ---- broker killed mid-transaction ----------------------------------------
KT = "txn-crash"
with t.step("sluiced killed with SIGKILL: committed transaction whole, open one aborted by its timeout"):
    ck.create_topics(b.bootstrap, [(KT, 2, {})])
    pa = txn_producer("it-crash-commit")
    pa.init_transactions(30)
    pa.begin_transaction()
    for i in range(50):
        pa.produce(KT, value=b"a-%02d" % i, partition=i % 2)
    pa.commit_transaction(30)
    pb = txn_producer("it-crash-open", **{"transaction.timeout.ms": 5000})
    pb.init_transactions(30)
    pb.begin_transaction()
    for i in range(50):
        pb.produce(KT, value=b"b-%02d" % i, partition=i % 2)
    t.eq(pb.flush(30), 0, "open transaction's messages not delivered")
    b.kill()
    pa = pb = None  # the open transaction is left to the coordinator's timeout
    b.start()
    pc = txn_producer("it-crash-after")
    pc.init_transactions(30)
    pc.begin_transaction()
    for i in range(20):
        pc.produce(KT, value=b"c-%02d" % i, partition=i % 2)
    pc.commit_transaction(30)
    e = hw(KT, [0, 1])
    lso = hw(KT, [0, 1], "read_committed")
    print("   after the restart and a new commit: high watermarks %s, last stable offsets %s" % (e, lso))
    deadline = time.monotonic() + 40
    while lso != e and time.monotonic() < deadline:
        time.sleep(0.5)
        e, lso = hw(KT, [0, 1]), hw(KT, [0, 1], "read_committed")
    t.eq(lso, e, "last stable offsets (want the high watermarks) within 40 s of the restart "
         "(transaction.timeout.ms of the open transaction: 5 s)")
    got = read_to({(KT, q): e[q] for q in (0, 1)}, "read_committed", timeout=40)
    want = {(KT, q): [b"a-%02d" % i for i in range(q, 50, 2)] + [b"c-%02d" % i for i in range(q, 20, 2)]
            for q in (0, 1)}
    t.eq(values(got), want, "read_committed values after the restart")
    unc = read_to({(KT, q): e[q] for q in (0, 1)}, "read_uncommitted", timeout=20)
    t.eq(sorted(v for lst in values(unc).values() for v in lst if v.startswith(b"b-")),
         [b"b-%02d" % i for i in range(50)], "read_uncommitted: the aborted transaction's messages")
    pc = None

# ---- kafkajs --------------------------------------------------------------
with t.step("node and kafkajs 2.2.4 are installed"):
    t.need("node")
    pkg = os.path.join(HERE, "js", "node_modules", "kafkajs", "package.json")
    t.expect(os.path.exists(pkg), "%s missing: run make deps (npm ci --prefix tests/integration/js)" % pkg)
    with open(pkg) as f:
        t.eq(json.load(f)["version"], "2.2.4", "installed kafkajs version")

with t.step("kafkajs: transactional commit and abort, read_committed consumer"):
    r = t.run(["node", os.path.join(HERE, "broker_txn_kafkajs.js"), b.bootstrap], timeout=120, check=False)
    out = r.stdout.decode("utf-8", "replace")
    print("   " + out.strip().replace("\n", "\n   "))
    t.expect(r.returncode == 0 and "FAIL" not in out,
             "broker_txn_kafkajs.js exited %d; stderr:\n%s" % (r.returncode, r.stderr.decode("utf-8", "replace")[-3000:]))

t.done()
