"""broker_bad_batches.py - bad record batches in well-formed Produce requests.

Batches built byte by byte (CRC-32C computed here): a bad CRC gets
CORRUPT_MESSAGE for its partition while the other partition of the same
request is appended; wrong record counts, cut batches, old magic, unknown
codecs, garbage compressed payloads, client control batches and lying
record lengths are refused; decompression bombs (gzip: 512 MiB of zeros in
~0.5 MiB; zstd: 4 GiB in 128 KiB of RLE blocks; gzip: one valid record with
a 512 MiB value) are refused while the broker's peak memory (VmHWM) stays
bounded. After every case nothing was appended and a good produce and fetch
work.
Usage: broker_bad_batches.py BINDIR
"""
import os
import sys
import time
import zlib

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import check  # noqa: E402

t = check.Test("broker_bad_batches", budget_s=280)
import kwire  # noqa: E402
from kwire import W  # noqa: E402

b = t.broker()
TOPIC = "bb"
HWM_SLACK_KB = 384 * 1024  # a bomb must not cost more than this at peak
good_count = {0: 0, 1: 0}


def conn():
    return kwire.Conn(b.host, b.port, timeout=60)


def good(i=0):
    return kwire.batch([(b"good-%d" % i, b"a fine value %d" % i, [("ok", b"1")], int(time.time() * 1000))])


def after_case():
    """Nothing bad was appended; a good produce and fetch work."""
    c = conn()
    try:
        lo = kwire.list_offsets(c, TOPIC, {0: -1, 1: -1})
        t.eq({p: lo[p][2] for p in lo}, good_count, "end offsets (only the good batches count)")
        r = kwire.produce(c, TOPIC, {0: good(good_count[0])})
        t.eq(r[0][:2], (0, good_count[0]), "produce of a good batch afterwards")
        good_count[0] += 1
        err, hw, data = kwire.fetch(c, TOPIC, {0: (good_count[0] - 1, 1 << 20)})[0]
        t.eq((err, hw), (0, good_count[0]), "fetch of it: error, high watermark")
        recs = [r for bt in kwire.read_batches(data) for r in kwire.decode_records(bt)]
        t.eq(recs[-1]["key"], b"good-%d" % (good_count[0] - 1), "key fetched")
    finally:
        c.close()


def refused(records_bytes, want=None, what="batch"):
    """Produces records_bytes to partition 0; the answer must be an error
    (want: a list of acceptable codes, else any non-zero), or the broker
    may close the connection. Then after_case()."""
    c = conn()
    try:
        try:
            r = kwire.produce(c, TOPIC, {0: records_bytes})
        except kwire.Closed:
            r = None
        if r is not None:
            err = r[0][0]
            if want:
                t.expect(err in want, "%s: error %s, want one of %s" % (what, kwire.errname(err),
                                                                         [kwire.errname(w) for w in want]))
            else:
                t.expect(err != 0, "%s: accepted (error 0, offset %d)" % (what, r[0][1]))
    finally:
        c.close()
    after_case()


def bomb_step(title, data, want=None):
    with t.step(title):
        hwm = b.status_kb("VmHWM")
        refused(data, want, title)
        grew = b.status_kb("VmHWM") - hwm
        t.expect(grew < HWM_SLACK_KB, "peak memory (VmHWM) grew by %d MiB (bound %d MiB)"
                 % (grew // 1024, HWM_SLACK_KB // 1024))
        print("   VmHWM +%d MiB, VmRSS now %d MiB" % (grew // 1024, b.rss_kb() // 1024))


with t.step("create topic bb (2 partitions) with a raw CreateTopics v4"):
    c = conn()
    t.eq(kwire.create_topics(c, [(TOPIC, 2, 1, {})]), {TOPIC: (0, None)}, "CreateTopics answer")
    c.close()

with t.step("bad CRC in partition 0, good batch in partition 1: CORRUPT_MESSAGE for 0 only"):
    g = good()
    bad = bytearray(g)
    bad[-1] ^= 0x55  # a flipped bit in the last record, CRC unchanged
    c = conn()
    try:
        r = kwire.produce(c, TOPIC, {0: bytes(bad), 1: g})
    finally:
        c.close()
    t.eq(kwire.errname(r[0][0]), kwire.errname(2), "partition 0 error")
    t.eq(r[1][:2], (0, 0), "partition 1 (error, base offset)")
    good_count[1] = 1
    after_case()

with t.step("CRC field itself wrong: CORRUPT_MESSAGE"):
    refused(kwire.batch([(b"k", b"v", [], 0)], base_ts=0, crc=0x12345678), [2], "wrong crc field")

with t.step("record count 5 with 1 record: refused"):
    refused(kwire.batch([(b"k", b"v", [], 0)], base_ts=0, count=5), None, "count 5")

with t.step("record count -1: refused"):
    refused(kwire.batch([(b"k", b"v", [], 0)], base_ts=0, count=-1), None, "count -1")

with t.step("batch length longer than the bytes sent: refused"):
    refused(good()[:-7], None, "cut batch")

with t.step("two batches where the second is cut: refused whole (nothing appended)"):
    refused(good(1) + good(2)[:30], None, "good batch + cut batch")

with t.step("magic 1 inside Produce v7: refused"):
    g = bytearray(good())
    g[16] = 1
    refused(bytes(g), None, "magic 1")

with t.step("unknown codec 6 in the attributes: refused"):
    refused(kwire.batch([(b"k", b"v", [], 0)], base_ts=0, attributes=6), None, "codec 6")

with t.step("gzip codec with a payload that is not gzip: refused"):
    refused(kwire.batch([(b"k", b"v", [], 0)], base_ts=0, codec=1, payload=b"not gzip at all" * 10), None,
            "garbage gzip")

with t.step("client control batch (attributes bit 5): refused"):
    refused(kwire.batch([(b"k", b"v", [], 0)], base_ts=0, attributes=0x20), None, "control batch")

with t.step("a record whose length varint runs past the batch: refused"):
    recs = W().varint(5000).raw(b"\x00\x00\x00").bytes()
    refused(kwire.batch([(b"k", b"v", [], 0)], base_ts=0, payload=recs), None, "lying record length")

bomb_step("gzip bomb: 512 MiB of zeros in ~0.5 MiB, 1 record claimed: refused, memory bounded",
          kwire.batch([(b"k", b"v", [], 0)], base_ts=0, codec=1, payload=kwire.gzip_bomb(512 << 20)))

bomb_step("zstd bomb: 4 GiB of zeros in 128 KiB of RLE blocks: refused, memory bounded",
          kwire.batch([(b"k", b"v", [], 0)], base_ts=0, codec=4, payload=kwire.zstd_rle_bomb(4 << 30)))


def valid_record_bomb(value_len):
    """gzip of one well-formed record whose value is value_len zeros."""
    head = W().i8(0).varint(0).varint(0).varint(1).raw(b"k").varint(value_len).bytes()
    tail = W().varint(0).bytes()
    body_len = len(head) + value_len + len(tail)
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [c.compress(W().varint(body_len).raw(head).bytes())]
    zeros = bytes(1 << 20)
    left = value_len
    while left:
        n = min(left, len(zeros))
        out.append(c.compress(zeros[:n]))
        left -= n
    out.append(c.compress(tail))
    out.append(c.flush())
    return b"".join(out)


bomb_step("gzip: one valid record with a 512 MiB value in ~0.5 MiB: refused, memory bounded",
          kwire.batch([(b"k", b"v", [], 0)], base_ts=0, codec=1, payload=valid_record_bomb(512 << 20)))

with t.step("the broker still serves all clients: kcat -L and a kcat round trip"):
    t.run(["kcat", "-b", b.bootstrap, "-L"], timeout=30)
    t.run(["kcat", "-b", b.bootstrap, "-P", "-t", TOPIC, "-p", "1", "-z", "gzip"], input=b"via kcat\n", timeout=30)
    out = t.run(["kcat", "-b", b.bootstrap, "-C", "-t", TOPIC, "-p", "1", "-o", "1", "-e", "-q"], timeout=30).stdout
    t.eq(out, b"via kcat\n", "kcat read back")

t.done()
