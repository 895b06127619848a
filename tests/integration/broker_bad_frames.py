"""broker_bad_frames.py - malformed frames and requests from a raw socket.

Each case is its own step: the bad bytes go out on a fresh connection, the
broker must close that connection (or answer with an error where Kafka
does) within a bounded wait, never hang or die; then a well-behaved client
(a raw ApiVersions + Metadata, and kcat -L every few cases) proves the
broker still serves. Cases: frame size -1, 0, just over
socket.request.max.bytes, a frame cut short by the client, a truncated
body, an unknown api key, ApiVersions v99 (KIP-511: v0 answer with
UNSUPPORTED_VERSION and the api list), other APIs at unsupported versions,
absurd array counts (2^31-1, -2^31, a huge compact count) in Metadata and
Produce, a client id longer than the frame.
Usage: broker_bad_frames.py BINDIR
"""
import os
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import check  # noqa: E402

t = check.Test("broker_bad_frames", budget_s=280)
import kwire  # noqa: E402
from kwire import W  # noqa: E402

MAXREQ = 1048576
b = t.broker(overrides=["socket.request.max.bytes=%d" % MAXREQ])
cases = 0


def healthy(with_kcat=False):
    c = kwire.Conn(b.host, b.port, timeout=20)
    try:
        err, apis = kwire.api_versions(c, 0)
        t.eq(err, 0, "health check: ApiVersions error")
        brokers, _topics = kwire.metadata(c, [])
        t.eq([x[0] for x in brokers], [b.node_id], "health check: Metadata broker ids")
    finally:
        c.close()
    if with_kcat:
        t.run(["kcat", "-b", b.bootstrap, "-L", "-m", "5"], timeout=30)


def send_raw(data, expect="closed", wait=10.0):
    """Sends data on a new connection. expect: 'closed' (the broker must
    close it), 'closed_or_error' (close, or an answer frame is fine), or
    'answer' (returns the answer frame)."""
    global cases
    cases += 1
    c = kwire.Conn(b.host, b.port, timeout=wait)
    try:
        try:
            c.send(data)
        except kwire.Closed:
            return None  # closed while we were still sending: fine for 'closed'
        if expect == "answer":
            return c.recv_frame()
        if expect == "closed_or_error":
            try:
                return c.recv_frame()
            except kwire.Closed:
                return None
            except OSError as e:
                raise check.Failed("neither an answer nor a close within %.0fs (%s)" % (wait, e))
        t.expect(c.closed_by_peer(wait), "the broker did not close the connection within %.0fs" % wait)
        return None
    finally:
        c.close()
        healthy(with_kcat=cases % 4 == 0)


def hdr(api_key, version, corr=1, client_id=b"bad-input", tags=False):
    w = W().i16(api_key).i16(version).i32(corr).string(client_id)
    if tags:
        w.tags()
    return w.bytes()


with t.step("the broker serves before the bad input"):
    healthy(with_kcat=True)
    c = kwire.Conn(b.host, b.port)
    kwire.create_topics(c, [("victim", 2, 1, {})])
    c.close()

with t.step("frame size -1: connection closed"):
    send_raw(struct.pack(">i", -1) + b"\x00" * 16)

with t.step("frame size 0: connection closed"):
    send_raw(struct.pack(">i", 0))

with t.step("frame size socket.request.max.bytes + 1: closed without reading the body"):
    send_raw(struct.pack(">i", MAXREQ + 1) + hdr(18, 0))

with t.step("frame size 2^31-1 with nothing behind it: connection closed, memory unchanged"):
    rss = b.rss_kb()
    send_raw(struct.pack(">i", 0x7FFFFFFF) + hdr(18, 0))
    t.expect(b.rss_kb() < rss + 65536, "VmRSS grew from %d kB to %d kB" % (rss, b.rss_kb()))

with t.step("a frame cut short by the client (announces 200 bytes, sends 30, closes)"):
    c = kwire.Conn(b.host, b.port)
    c.send(struct.pack(">i", 200) + hdr(3, 4) + b"\x00" * 10)
    c.close()
    healthy()

with t.step("truncated body: Metadata v4 whose topic array stops mid-string"):
    body = W().i32(2).string("victim").raw(struct.pack(">h", 40) + b"vic").bytes()
    send_raw(kwire.frame(hdr(3, 4) + body), expect="closed_or_error")

with t.step("truncated body: Produce v7 whose records field claims 1000 bytes and has 20"):
    body = W().string(None).i16(1).i32(1000).i32(1).string("victim").i32(1).i32(0).i32(1000).raw(b"\x00" * 20).bytes()
    send_raw(kwire.frame(hdr(0, 7) + body), expect="closed_or_error")

with t.step("request header cut inside the client id (length 0x7fff)"):
    send_raw(kwire.frame(struct.pack(">hhih", 3, 4, 1, 0x7FFF) + b"abc"), expect="closed")

with t.step("unknown api key 9999: connection closed"):
    send_raw(kwire.frame(hdr(9999, 0)))

with t.step("unknown api key -1: connection closed"):
    send_raw(kwire.frame(hdr(-1, 0)))

with t.step("ApiVersions v99: v0 answer, UNSUPPORTED_VERSION and the api list (KIP-511)"):
    fr = send_raw(kwire.frame(hdr(18, 99, corr=4242, tags=True)), expect="answer")
    r = kwire.R(fr)
    t.eq(r.i32(), 4242, "correlation id")
    err = r.i16()
    t.eq(kwire.errname(err), kwire.errname(35), "error code")
    apis = {k: (lo, hi) for k, lo, hi in r.array(lambda x: (x.i16(), x.i16(), x.i16()))}
    t.expect(18 in apis and apis[18][0] == 0 and apis[18][1] >= 3, "ApiVersions range in the list: %r" % (apis.get(18),))
    t.expect(0 in apis and 1 in apis and 3 in apis, "Produce/Fetch/Metadata missing from the list: %s" % sorted(apis))

with t.step("ApiVersions v99 with a v1 header (no tagged fields) also gets the v0 fallback"):
    fr = send_raw(kwire.frame(hdr(18, 99, corr=7)), expect="closed_or_error")
    if fr is not None:
        r = kwire.R(fr)
        t.eq(r.i32(), 7, "correlation id")
        t.eq(kwire.errname(r.i16()), kwire.errname(35), "error code")

for api, ver, name in ((3, 99, "Metadata v99"), (0, 99, "Produce v99"), (1, 99, "Fetch v99"),
                       (19, 99, "CreateTopics v99")):
    with t.step("%s: connection closed or an error answer" % name):
        body = W().i16(1).i32(1000).i32(0).bytes() if api == 0 else b"\x00" * 32  # Produce: acks=1
        fr = send_raw(kwire.frame(hdr(api, ver) + body), expect="closed_or_error")
        if fr is not None:
            r = kwire.R(fr)
            t.eq(r.i32(), 1, "correlation id of the answer")

with t.step("Produce v2 with an old (magic 1) message set: an error for the partition, or closed"):
    msg = W().i8(1).i8(0).i64(1000).bytes_(b"k").bytes_(b"old format").bytes()
    mset = W().i64(0).i32(4 + len(msg)).u32(kwire.zlib.crc32(msg)).raw(msg).bytes()
    body = W().i16(1).i32(1000).i32(1).string("victim").i32(1).i32(0).bytes_(mset).bytes()
    fr = send_raw(kwire.frame(hdr(0, 2) + body), expect="closed_or_error")
    if fr is not None:
        r = kwire.R(fr)
        t.eq(r.i32(), 1, "correlation id of the answer")
        r.i32(), r.string(), r.i32()
        idx, err = r.i32(), r.i16()
        t.expect(err != 0, "magic 1 message set accepted (partition %d, error 0)" % idx)

for count, label in ((0x7FFFFFFF, "2^31-1"), (-0x80000000, "-2^31"), (-2, "-2")):
    with t.step("Metadata v1 with a topic count of %s: no allocation from it, closed or error" % label):
        rss = b.rss_kb()
        send_raw(kwire.frame(hdr(3, 1) + struct.pack(">i", count) + b"\x00\x01a"), expect="closed_or_error")
        t.expect(b.rss_kb() < rss + 65536, "VmRSS grew from %d kB to %d kB" % (rss, b.rss_kb()))

with t.step("Metadata v9 (flexible) with a compact topic count of 2^31: closed or error"):
    body = W().uvarint((1 << 31) + 1).raw(b"\x02a\x00").bytes()
    send_raw(kwire.frame(hdr(3, 9, tags=True) + body), expect="closed_or_error")

with t.step("Metadata v12 with a compact count of 2^35 (varint past 32 bits): closed or error"):
    body = W().uvarint(1 << 35).bytes()
    send_raw(kwire.frame(hdr(3, 12, tags=True) + body), expect="closed_or_error")

with t.step("Produce v7 with 2^31-1 topics: closed or error"):
    body = W().string(None).i16(1).i32(1000).i32(0x7FFFFFFF).string("victim").bytes()
    send_raw(kwire.frame(hdr(0, 7) + body), expect="closed_or_error")

with t.step("Produce v7 with 2^31-1 partitions in a topic: closed or error"):
    body = W().string(None).i16(1).i32(1000).i32(1).string("victim").i32(0x7FFFFFFF).i32(0).bytes()
    send_raw(kwire.frame(hdr(0, 7) + body), expect="closed_or_error")

with t.step("Produce v9 (flexible) with a compact partition count of 2^31: closed or error"):
    body = (W().cstring(None).i16(1).i32(1000).uvarint(2).cstring("victim").uvarint((1 << 31) + 1)
            .bytes())
    send_raw(kwire.frame(hdr(0, 9, tags=True) + body), expect="closed_or_error")

with t.step("nothing of the bad input reached the log; produce and fetch still work"):
    c = kwire.Conn(b.host, b.port)
    try:
        t.eq(kwire.list_offsets(c, "victim", {0: -1, 1: -1}), {0: (0, -1, 0), 1: (0, -1, 0)},
             "latest offsets of victim")
        recs = kwire.batch([(b"k", b"after the storm", [("h", b"1")], 1000)], base_ts=1000)
        t.eq(kwire.produce(c, "victim", {0: recs}), {0: (0, 0, -1)}, "produce answer")
        err, hw, data = kwire.fetch(c, "victim", {0: (0, 1 << 20)})[0]
        t.eq((err, hw), (0, 1), "fetch error, high watermark")
        got = kwire.decode_records(kwire.read_batches(data)[0])
        t.eq([(r["key"], r["value"], r["headers"]) for r in got], [(b"k", b"after the storm", [("h", b"1")])],
             "records fetched")
    finally:
        c.close()
    healthy(with_kcat=True)

t.done()
