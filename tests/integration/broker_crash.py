"""broker_crash.py - SIGKILL in the middle of acks=all traffic loses nothing
that was acknowledged.

A confluent_kafka producer streams acks=all messages to a topic with
flush.messages=1 (fsync before the ack), counting every delivery report.
The broker is killed with SIGKILL while messages are in flight, then started
again: every acknowledged message is at its acknowledged offset, offsets are
contiguous from 0, and the log takes appends again (the producer's pending
messages are delivered after the restart; retries may add duplicates, which
Kafka allows without idempotence). Then a torn tail: a partial batch written
at the end of the active segment while the broker is down is cut at start-up
and appends go on after the last whole batch.
Usage: broker_crash.py BINDIR
"""
import os
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import check  # noqa: E402

t = check.Test("broker_crash", budget_s=280)
import ck  # noqa: E402
import kwire  # noqa: E402

b = t.broker()
B = b.bootstrap
TOPIC = "crashy"
NPARTS = 2
acked = {}  # (partition, offset) -> value
lock = threading.Lock()
stop = threading.Event()
sent_count = [0]


def on_delivery(err, msg):
    if err is None:
        with lock:
            acked[(msg.partition(), msg.offset())] = msg.value()


def stream(p):
    i = 0
    deadline = time.monotonic() + 90
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            p.produce(TOPIC, key=b"k%d" % i, value=b"crash-msg-%08d " % i * 4, partition=i % NPARTS,
                      on_delivery=on_delivery)
            i += 1
            sent_count[0] = i
        except BufferError:
            pass
        p.poll(0.001 if i % 20 else 0.01)


def read_all(ends):
    got = ck.read_partitions(B, TOPIC, ends, timeout=90)
    return {part: [(m.offset(), m.value()) for m in msgs] for part, msgs in got.items()}


def check_acked(what):
    wm = ck.watermarks(B, TOPIC, range(NPARTS))
    with lock:
        snap = dict(acked)
    for (part, off) in snap:
        t.expect(off < wm[part][1], "%s: acknowledged offset %d of partition %d is past the end %d"
                 % (what, off, part, wm[part][1]))
    got = read_all({p: wm[p][1] for p in range(NPARTS)})
    for part in range(NPARTS):
        offs = [o for o, _v in got[part]]
        t.eq(offs, list(range(wm[part][1])), "%s: offsets of partition %d are 0..end-1" % (what, part))
    have = {(part, o): v for part in got for o, v in got[part]}
    lost = [(k, v) for k, v in snap.items() if have.get(k) != v]
    t.expect(not lost, "%s: %d of %d acknowledged messages missing or changed; first: %s (found %r)"
             % (what, len(lost), len(snap), lost[:1], have.get(lost[0][0]) if lost else None))
    return wm


with t.step("create a topic with flush.messages=1"):
    ck.create_topics(B, [(TOPIC, NPARTS, {"flush.messages": "1", "segment.bytes": "262144"})])

producer = ck.producer(B, **{"linger.ms": 1, "message.timeout.ms": 120000, "retry.backoff.ms": 200,
                             "reconnect.backoff.max.ms": 500})
th = threading.Thread(target=stream, args=(producer,), daemon=True)

with t.step("SIGKILL while acks=all messages stream in; every acknowledged one survives"):
    th.start()
    deadline = time.monotonic() + 60
    while len(acked) < 3000 and time.monotonic() < deadline and th.is_alive():
        time.sleep(0.05)
    t.expect(len(acked) >= 3000, "only %d messages acknowledged before the kill (in 60s)" % len(acked))
    with lock:
        at_kill = dict(acked)
    b.kill()
    in_flight = sent_count[0] - len(at_kill)
    print("   killed with %d acknowledged, %d sent and not yet acknowledged" % (len(at_kill), in_flight))
    time.sleep(0.5)
    stop.set()
    th.join(30)
    b.start()
    left = producer.flush(60)
    t.eq(left, 0, "messages still undelivered 60s after the restart")
    wm = check_acked("after SIGKILL and restart")
    print("   after restart: %d acknowledged in all, end offsets %s" % (len(acked), {p: wm[p][1] for p in wm}))

with t.step("after the crash the log takes appends at the end offsets"):
    wm = ck.watermarks(B, TOPIC, range(NPARTS))
    reps = ck.produce_all(ck.producer(B), [{"topic": TOPIC, "partition": p, "value": b"after-%d" % p}
                                           for p in range(NPARTS)])
    t.eq([(r[1], r[2]) for r in reps], [(p, wm[p][1]) for p in range(NPARTS)], "(partition, offset) of new messages")
    for r, p in zip(reps, range(NPARTS)):
        acked[(p, r[2])] = b"after-%d" % p

with t.step("a torn batch at the end of the active segment is cut at start-up; appends go on"):
    wm = ck.watermarks(B, TOPIC, range(NPARTS))
    b.kill()
    seg = b.segment_files(TOPIC, 0)[-1]
    size = os.path.getsize(seg)
    # the first 40 bytes of a real batch that claims 4 KiB: a write cut short
    torn = kwire.batch([(b"k", b"x" * 4000, [], 0)], base_offset=wm[0][1], base_ts=0)[:40]
    with open(seg, "ab") as f:
        f.write(torn)
    b.start()
    t.eq(ck.watermarks(B, TOPIC, range(NPARTS)), wm, "watermarks after recovery")
    t.eq(os.path.getsize(seg), size, "size of %s after recovery (the torn bytes cut)" % os.path.basename(seg))
    reps = ck.produce_all(ck.producer(B), [{"topic": TOPIC, "partition": 0, "value": b"after-torn"}])
    t.eq(reps[0][2], wm[0][1], "offset of the first message after recovery")
    acked[(0, reps[0][2])] = b"after-torn"
    check_acked("after the torn-tail recovery")

with t.step("index files deleted or garbled while the broker is down are rebuilt: reads and time lookups agree"):
    c = kwire.Conn(b.host, b.port)
    before_end = kwire.list_offsets(c, TOPIC, {1: -1})[1][2]
    mid = before_end // 2
    err, _hw, data = kwire.fetch(c, TOPIC, {1: (mid, 1 << 16)})[1]
    want_first = [r for bt in kwire.read_batches(data) for r in kwire.decode_records(bt) if r["offset"] >= mid][0]
    want_ts = kwire.list_offsets(c, TOPIC, {1: want_first["ts"]})[1]
    c.close()
    b.kill()
    d = b.partition_dir(TOPIC, 1)
    idx = sorted(f for f in os.listdir(d) if f.endswith((".index", ".timeindex")))
    t.expect(idx, "no index files in %s: %s" % (d, sorted(os.listdir(d))))
    for i, f in enumerate(idx):
        if i % 2:
            os.remove(os.path.join(d, f))
        else:
            with open(os.path.join(d, f), "r+b") as fh:
                fh.write(b"\xff" * 7)  # entries out of order / size not a multiple of the entry size
    b.start()
    c = kwire.Conn(b.host, b.port)
    try:
        t.eq(kwire.list_offsets(c, TOPIC, {1: -1})[1][2], before_end, "end offset after the index rebuild")
        err, _hw, data = kwire.fetch(c, TOPIC, {1: (mid, 1 << 16)})[1]
        t.eq(err, 0, "fetch error at offset %d" % mid)
        got = [r for bt in kwire.read_batches(data) for r in kwire.decode_records(bt) if r["offset"] >= mid][0]
        t.eq((got["offset"], got["value"]), (want_first["offset"], want_first["value"]), "first record at %d" % mid)
        t.eq(kwire.list_offsets(c, TOPIC, {1: want_first["ts"]})[1], want_ts, "ListOffsets by time after the rebuild")
    finally:
        c.close()
    check_acked("after the index rebuild")

t.done()
