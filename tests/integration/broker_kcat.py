"""broker_kcat.py - kcat (librdkafka) against sluiced.

- kcat -L: broker id, advertised host:port, topics and partitions;
- kcat -P / -C: 100,000 keyed messages with headers over a 6-partition topic,
  once per codec (none, gzip, snappy, lz4, zstd), checked message by message
  (key, value, headers, partition = murmur2(key), order and contiguous
  offsets within each partition), and the batches on disk really carry the
  codec;
- kcat -Q: offsets for times (known timestamps, earliest, latest, past the end);
- a message over max.message.bytes (topic) and over message.max.bytes
  (server) is refused with MESSAGE_TOO_LARGE while smaller ones still go.
Usage: broker_kcat.py BINDIR
"""
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import check  # noqa: E402

t = check.Test("broker_kcat", budget_s=540)
import ck  # noqa: E402
import kwire  # noqa: E402

N = 100000
NPARTS = 6
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
CODEC_ID = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}

b = t.broker(config={"num.partitions": "1"}, overrides=["node.id=7"])
B = b.bootstrap


def kcat(*args, timeout=120, input=None, check=True):
    return t.run(["kcat", "-b", B] + list(args), timeout=timeout, input=input, check=check)


with t.step("kcat -L: broker id 7 (from --override) at 127.0.0.1:port, topics with partitions"):
    ck.create_topics(B, [("meta-a", 3, {}), ("meta-b", 1, {})])
    md = json.loads(kcat("-L", "-J", timeout=30).stdout)
    t.eq([(x["id"], x["name"]) for x in md["brokers"]], [(7, B)], "brokers")
    topics = {x["topic"]: x for x in md["topics"]}
    for name, n in (("meta-a", 3), ("meta-b", 1)):
        t.expect(name in topics, "topic %s missing from metadata: %s" % (name, sorted(topics)))
        t.expect(topics[name].get("error") in (None, ""), "topic %s error %r" % (name, topics[name].get("error")))
        parts = sorted((p["partition"], p["leader"]) for p in topics[name]["partitions"])
        t.eq(parts, [(i, 7) for i in range(n)], "%s partitions (index, leader)" % name)

with t.step("kcat -L: advertised.listeners is what metadata tells (localhost:port)"):
    b2 = t.broker(advertised_host="localhost")
    md = json.loads(t.run(["kcat", "-b", b2.bootstrap, "-L", "-J"], timeout=30).stdout)
    t.eq([(x["id"], x["name"]) for x in md["brokers"]], [(1, "localhost:%d" % b2.port)], "brokers")
    rc = b2.stop()
    t.eq(rc, 0, "exit status after SIGTERM")

# One input for every codec: keyed, compressible values (so librdkafka does
# compress), keys spread over the partitions by murmur2.
work = b.dir
infile = os.path.join(work, "kcat.in")
keys = ["key-%06d-%d" % (i, i * 7919 % 1000) for i in range(N)]
vals = ["v%06d:" % i + ("sluice-stream-%d " % (i % 10)) * 10 for i in range(N)]
with open(infile, "w") as f:
    for k, v in zip(keys, vals):
        f.write("%s\t%s\n" % (k, v))
want = {p: [] for p in range(NPARTS)}
for k, v in zip(keys, vals):
    want[kwire.partition_for_key(k.encode(), NPARTS)].append((k, v))

with t.step("create the round-trip topics (6 partitions each) with the AdminClient"):
    ck.create_topics(B, [("rt-" + c, NPARTS, {}) for c in CODECS])

for codec in CODECS:
    topic = "rt-" + codec
    with t.step("kcat -P/-C %s: %d keyed messages with headers round trip over 6 partitions" % (codec, N)):
        with open(infile, "rb") as f:
            data = f.read()
        p = kcat("-P", "-t", topic, "-K", "\t", "-z", codec, "-H", "codec=" + codec, "-H", "h2=second",
                 "-X", "partitioner=murmur2_random", "-X", "linger.ms=20", input=data, timeout=180)
        t.expect(b"fail" not in p.stderr.lower() and b"error" not in p.stderr.lower(),
                 "kcat -P reported: %s" % p.stderr[-2000:].decode("utf-8", "replace"))
        out = kcat("-C", "-t", topic, "-o", "beginning", "-e", "-q",
                   "-f", "%p\t%o\t%k\t%s\t%h\n", timeout=180).stdout.decode()
        lines = out.split("\n")
        t.eq(lines[-1], "", "output ends with a newline")
        got = {p: [] for p in range(NPARTS)}
        for ln in lines[:-1]:
            f = ln.split("\t")
            t.expect(len(f) == 5, "malformed kcat line %r" % ln[:200])
            got[int(f[0])].append((int(f[1]), f[2], f[3], f[4]))
        hdr = "codec=%s,h2=second" % codec
        for part in range(NPARTS):
            g, w = got[part], want[part]
            t.expect(len(g) == len(w), "partition %d: %d messages back, %d sent" % (part, len(g), len(w)))
            for i, (off, k, v, h) in enumerate(g):
                if off != i or (k, v) != w[i] or h != hdr:
                    raise check.Failed("partition %d, message %d: got offset %d key %r value %r headers %r; "
                                       "want offset %d key %r value %r headers %r"
                                       % (part, i, off, k, v[:40], h, i, w[i][0], w[i][1][:40], hdr))
    with t.step("the %s batches on disk carry codec %s" % (topic, codec)):
        per = {}
        total = 0
        for part in range(NPARTS):
            for bt in b.read_segments(topic, part):
                per[bt.codec] = per.get(bt.codec, 0) + bt.count
                total += bt.count
        t.eq(total, N, "records in %s segment files" % topic)
        mine = per.get(CODEC_ID[codec], 0)
        t.expect(set(per) <= {0, CODEC_ID[codec]} and mine >= 0.9 * N,
                 "records per codec on disk: %s (want %s)" % (
                     {kwire.CODEC_NAMES.get(c, c): n for c, n in per.items()}, codec))

with t.step("kcat -Q: offsets for times"):
    ck.create_topics(B, [("times", 2, {})])
    p = ck.producer(B)
    msgs = [{"topic": "times", "partition": 0, "key": b"t%d" % i, "value": b"at %d" % i,
             "timestamp": 1_600_000_000_000 + 1000 * i} for i in range(10)]
    msgs += [{"topic": "times", "partition": 1, "value": b"late", "timestamp": 1_700_000_000_000}]
    ck.produce_all(p, msgs)
    cases = [("times:0:1600000000000", "times [0] offset 0"),
             ("times:0:1600000004500", "times [0] offset 5"),
             ("times:0:1600000009000", "times [0] offset 9"),
             ("times:0:1600000009001", "times [0] offset -1"),
             ("times:0:-2", "times [0] offset 0"),
             ("times:0:-1", "times [0] offset 10"),
             ("times:1:1600000000000", "times [1] offset 0")]
    for q, wantline in cases:
        out = kcat("-Q", "-t", q, timeout=30).stdout.decode().strip()
        t.eq(out, wantline, "kcat -Q -t %s" % q)

with t.step("kcat -P: a message over the topic's max.message.bytes gets MESSAGE_TOO_LARGE, smaller ones go"):
    ck.create_topics(B, [("small-max", 1, {"max.message.bytes": "20000"})])
    p = kcat("-P", "-t", "small-max", "-p", "0", input=b"x" * 30000 + b"\n", check=False, timeout=60)
    err = p.stderr.decode("utf-8", "replace")
    t.expect("Message size too large" in err or "MSG_SIZE_TOO_LARGE" in err,
             "kcat exit %d, stderr: %s" % (p.returncode, err[-1500:]))
    small = b"".join(b"small-%d\n" % i for i in range(10))
    kcat("-P", "-t", "small-max", "-p", "0", input=small, timeout=60)
    out = kcat("-C", "-t", "small-max", "-p", "0", "-o", "beginning", "-e", "-q", timeout=60).stdout
    t.eq(out, small, "what is in small-max")

with t.step("kcat -P: a message over the server's message.max.bytes gets MESSAGE_TOO_LARGE, smaller ones go"):
    b3 = t.broker(overrides=["message.max.bytes=20000"])
    ck.create_topics(b3.bootstrap, [("m", 1, {})])
    p = t.run(["kcat", "-b", b3.bootstrap, "-P", "-t", "m", "-p", "0"], input=b"y" * 30000 + b"\n",
              check=False, timeout=60)
    err = p.stderr.decode("utf-8", "replace")
    t.expect("Message size too large" in err or "MSG_SIZE_TOO_LARGE" in err,
             "kcat exit %d, stderr: %s" % (p.returncode, err[-1500:]))
    small = b"".join(b"ok-%d\n" % i for i in range(10))
    t.run(["kcat", "-b", b3.bootstrap, "-P", "-t", "m", "-p", "0"], input=small, timeout=60)
    out = t.run(["kcat", "-b", b3.bootstrap, "-C", "-t", "m", "-p", "0", "-o", "beginning", "-e", "-q"],
                timeout=60).stdout
    t.eq(out, small, "what is in m")

t.done()
