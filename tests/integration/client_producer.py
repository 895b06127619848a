"""client_producer.py - our producer (client/, driven by client_produce_it)
against a real sluiced, read back by kcat and confluent_kafka:

- every codec (none, gzip, snappy, lz4, zstd) with keys and headers, the
  idempotent producer (the default): every record read back exactly once,
  with its key, value and headers, offsets contiguous per partition;
- keys land on the partitions confluent_kafka's murmur2_random partitioner
  (the Java client's) picks for the same keys;
- acks 0, 1 and all; null keys (sticky partitions), an explicit partition;
- a partition out of range and a record over max.request.size are
  reported as errors, a topic that does not exist yet is created;
- a small throughput figure is printed (not asserted).
Usage: client_producer.py BUILD_DIR (the driver is
BUILD_DIR/tests/client_produce_it, sluiced BUILD_DIR/bin/sluiced).
"""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import check  # noqa: E402
import client_drv  # noqa: E402

BUILD = client_drv.build_dir()

t = check.Test("client_producer", budget_s=280)
import ck  # noqa: E402
import kwire  # noqa: E402

DRV = client_drv.driver(BUILD, "client_produce_it")
NPARTS = 3
N = 3000


def produce(boot, topic, n, *args, timeout=90):
    """Runs the driver; returns (rc, {index: (partition, offset, err)}, done
    line fields, stderr)."""
    rc, out, err = client_drv.run(DRV, ["-b", boot, "-t", topic, "-n", str(n)] + list(args), timeout)
    drs, done = {}, None
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == "DR":
            t.expect(int(f[1]) not in drs, "two delivery reports for record %s" % f[1])
            drs[int(f[1])] = (int(f[2]), int(f[3]), f[4])
        elif f and f[0] == "DONE":
            done = f[1:]
    t.expect(done is not None, "driver printed no summary (rc %d); stderr:\n%s" % (rc, err[-3000:]))
    return rc, drs, done, err


def check_all_delivered(rc, drs, done, err, n):
    t.expect(rc == 0, "driver exit %d (%s); stderr:\n%s" % (rc, done, err[-2000:]))
    t.eq(len(drs), n, "delivery reports")
    bad = [(i, r) for i, r in drs.items() if r[2] != "OK"]
    t.expect(not bad, "failed deliveries, first: %s" % (bad[:3],))


def read_back(boot, topic, drs):
    """Reads every partition up to what the reports say and checks each
    record against its report. Returns {index: Message}."""
    ends = {}
    for part, off, _ in drs.values():
        ends[part] = max(ends.get(part, 0), off + 1)
    got = ck.read_partitions(boot, topic, ends)
    by_index = {}
    for part, msgs in got.items():
        offs = [m.offset() for m in msgs]
        t.eq(offs, list(range(ends[part])), "offsets of partition %d" % part)
        for m in msgs:
            v = m.value().decode()
            i = int(v.split("-")[1].rstrip("."))
            t.expect(i not in by_index, "record %d read twice" % i)
            by_index[i] = m
            t.eq((m.partition(), m.offset()), drs[i][:2], "record %d where its report said" % i)
    t.eq(sorted(by_index), sorted(drs), "records read back")
    return by_index


b = t.broker(config={"num.partitions": str(NPARTS)})
boot = b.bootstrap

with t.step("topics are created through confluent_kafka"):
    ck.create_topics(boot, [("p-%s" % c, NPARTS, {}) for c in ("none", "gzip", "snappy", "lz4", "zstd")] +
                     [("p-ck", NPARTS, {}), ("p-acks", NPARTS, {}), ("p-null", NPARTS, {})])

for codec in ("none", "gzip", "snappy", "lz4", "zstd"):
    with t.step("%s: %d keyed records with headers, idempotent, read back exactly once" % (codec, N)):
        topic = "p-%s" % codec
        rc, drs, done, err = produce(boot, topic, N, "--keys", "--headers", "-X", "compression.type=" + codec,
                                     "-X", "linger.ms=5")
        check_all_delivered(rc, drs, done, err, N)
        msgs = read_back(boot, topic, drs)
        for i, m in msgs.items():
            t.eq(m.key(), b"key-%d" % i, "key of record %d" % i)
            t.eq(m.partition(), kwire.partition_for_key(m.key(), NPARTS), "partition of key-%d" % i)
        # Headers through kcat (this confluent_kafka mishandles null header
        # values): h1 with its value, h2 null.
        p = t.run(["kcat", "-b", boot, "-C", "-t", topic, "-e", "-q", "-f", "%k|%h\n"], timeout=60)
        lines = sorted(p.stdout.decode().splitlines())
        t.eq(lines, sorted("key-%d|h1=one-%d,h2=NULL" % (i, i) for i in range(N)), "keys and headers (kcat)")

with t.step("kcat reads back every record of the zstd topic with its key"):
    p = t.run(["kcat", "-b", boot, "-C", "-t", "p-zstd", "-e", "-q", "-f", "%k %s\\n"], timeout=60)
    lines = p.stdout.decode().splitlines()
    t.eq(len(lines), N, "records kcat read")
    pairs = {tuple(line.split(" ", 1)) for line in lines}
    t.eq(pairs, {("key-%d" % i, "value-%d" % i) for i in range(N)}, "key/value pairs")

with t.step("keys land where confluent_kafka's murmur2_random partitioner puts them"):
    keys = [("key-%d" % i).encode() for i in range(500)]
    reports = ck.produce_all(ck.producer(boot, partitioner="murmur2_random"),
                             [{"topic": "p-ck", "key": k, "value": b"x"} for k in keys])
    rc, drs, done, err = produce(boot, "p-none-again", 500, "--keys", "-X", "linger.ms=0")
    check_all_delivered(rc, drs, done, err, 500)
    for i, k in enumerate(keys):
        t.eq(drs[i][0], reports[i][1], "partition of %s (ours vs confluent_kafka)" % k.decode())

for acks in ("0", "1", "all"):
    with t.step("acks=%s: every record delivered and read back" % acks):
        args = ["-X", "acks=" + acks]
        if acks != "all":
            args += ["-X", "enable.idempotence=false"]
        topic = "p-acks-%s" % acks
        rc, drs, done, err = produce(boot, topic, N, "--keys", *args)
        check_all_delivered(rc, drs, done, err, N)
        if acks == "0":
            t.expect(all(r[1] == -1 for r in drs.values()), "acks=0 reports have no offset")
            marks = ck.watermarks(boot, topic, range(NPARTS))
            t.eq(sum(hi - lo for lo, hi in marks.values()), N, "records stored with acks=0")
        else:
            read_back(boot, topic, drs)

with t.step("null keys: sticky partitions, every record read back"):
    rc, drs, done, err = produce(boot, "p-null", N, "-X", "linger.ms=0", "-X", "batch.size=2000")
    check_all_delivered(rc, drs, done, err, N)
    msgs = read_back(boot, "p-null", drs)
    t.expect(all(m.key() is None for m in msgs.values()), "null keys stay null")
    # Records stick to a partition in runs (a batch at a time), not one by one.
    switches = sum(1 for i in range(1, N) if drs[i][0] != drs[i - 1][0])
    t.expect(switches < N // 4, "null-key records switch partition %d times in %d records" % (switches, N))

with t.step("an explicit partition is kept"):
    rc, drs, done, err = produce(boot, "p-none", 200, "--keys", "--partition", "2")
    check_all_delivered(rc, drs, done, err, 200)
    t.eq({r[0] for r in drs.values()}, {2}, "partitions used")

with t.step("a partition out of range is reported, not sent"):
    rc, drs, done, err = produce(boot, "p-none", 5, "--partition", "7")
    t.eq(rc, 1, "driver exit status")
    t.eq({r[2] for r in drs.values()}, {"UNKNOWN_TOPIC_OR_PARTITION"}, "delivery errors")

with t.step("a record over max.request.size is refused by send"):
    rc, drs, done, err = produce(boot, "p-none", 1, "--size", "200000", "-X", "max.request.size=100000")
    t.eq(rc, 1, "driver exit status")
    t.expect("MESSAGE_TOO_LARGE" in err, "send error names MESSAGE_TOO_LARGE: %s" % err[-500:])

with t.step("a topic that does not exist is created by the first send"):
    rc, drs, done, err = produce(boot, "p-auto", 100, "--keys")
    check_all_delivered(rc, drs, done, err, 100)
    read_back(boot, "p-auto", drs)

with t.step("throughput: 200,000 records of 100 bytes, acks=all, lz4 (figure only)"):
    rc, drs, done, err = produce(boot, "p-bench", 200000, "--size", "100", "--quiet", "-X",
                                 "compression.type=lz4", "-X", "linger.ms=5", timeout=120)
    t.expect(rc == 0, "driver exit %d: %s" % (rc, err[-1000:]))
    print("   %s records delivered, %s msg/s" % (done[0], done[2]))

t.done()
