"""kwire.py - a small, independent Kafka wire client for the broker tests.

It writes requests byte by byte from the public protocol description (not
through Sluice's own codec, so a shared misunderstanding cannot hide), can
send deliberately broken frames, and reads record batches v2 (from Fetch
answers and from the broker's segment files). Only the request versions the
tests use are here, all non-flexible unless a name says otherwise.
"""
import socket
import struct
import time
import zlib

# ---- CRC-32C (Castagnoli), table driven -----------------------------------

_CRC32C_TABLE = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC32C_TABLE.append(_c)


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    t = _CRC32C_TABLE
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283  # the standard check value


# ---- Kafka's murmur2 partitioner -------------------------------------------

def murmur2(data):
    m = 0x5BD1E995
    h = (0x9747B28C ^ len(data)) & 0xFFFFFFFF
    n4 = len(data) // 4
    for i in range(n4):
        k = struct.unpack_from("<I", data, i * 4)[0]
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> 24
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    rest = len(data) & 3
    tail = data[n4 * 4:]
    if rest == 3:
        h ^= tail[2] << 16
    if rest >= 2:
        h ^= tail[1] << 8
    if rest >= 1:
        h ^= tail[0]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def partition_for_key(key, nparts):
    """The Java client's (and librdkafka's murmur2_random) choice for a key."""
    return (murmur2(key) & 0x7FFFFFFF) % nparts


# ---- Encoding --------------------------------------------------------------

class W:
    """Big-endian writer."""

    def __init__(self):
        self.b = bytearray()

    def i8(self, v):
        self.b += struct.pack(">b", v); return self

    def i16(self, v):
        self.b += struct.pack(">h", v); return self

    def i32(self, v):
        self.b += struct.pack(">i", v); return self

    def u32(self, v):
        self.b += struct.pack(">I", v); return self

    def i64(self, v):
        self.b += struct.pack(">q", v); return self

    def boolean(self, v):
        self.b += b"\x01" if v else b"\x00"; return self

    def raw(self, v):
        self.b += v; return self

    def string(self, s):
        if s is None:
            return self.i16(-1)
        s = s.encode() if isinstance(s, str) else s
        self.i16(len(s)); self.b += s; return self

    def bytes_(self, v):
        if v is None:
            return self.i32(-1)
        self.i32(len(v)); self.b += v; return self

    def uvarint(self, v):
        while True:
            if v < 0x80:
                self.b.append(v); return self
            self.b.append((v & 0x7F) | 0x80)
            v >>= 7

    def varint(self, v):
        return self.uvarint((v << 1) ^ (v >> 63) if v < 0 else v << 1)

    def cstring(self, s):  # compact (flexible) string
        if s is None:
            return self.uvarint(0)
        s = s.encode() if isinstance(s, str) else s
        self.uvarint(len(s) + 1); self.b += s; return self

    def tags(self):  # empty tagged-field section
        return self.uvarint(0)

    def bytes(self):
        return bytes(self.b)


def frame(payload):
    return struct.pack(">i", len(payload)) + payload


def request(api_key, version, corr, body, client_id="sluice-it", header_version=1):
    w = W().i16(api_key).i16(version).i32(corr)
    if header_version >= 1:
        w.string(client_id)
    if header_version >= 2:
        w.tags()
    return frame(w.bytes() + body)


# ---- Decoding --------------------------------------------------------------

class ParseError(Exception):
    pass


class R:
    """Big-endian reader; raises ParseError past the end."""

    def __init__(self, b, pos=0):
        self.b = b
        self.p = pos

    def _take(self, n):
        if n < 0 or self.p + n > len(self.b):
            raise ParseError("need %d bytes at %d of %d" % (n, self.p, len(self.b)))
        v = self.b[self.p:self.p + n]
        self.p += n
        return v

    def i8(self):
        return struct.unpack(">b", self._take(1))[0]

    def i16(self):
        return struct.unpack(">h", self._take(2))[0]

    def i32(self):
        return struct.unpack(">i", self._take(4))[0]

    def u32(self):
        return struct.unpack(">I", self._take(4))[0]

    def i64(self):
        return struct.unpack(">q", self._take(8))[0]

    def boolean(self):
        return self._take(1) != b"\x00"

    def string(self):
        n = self.i16()
        return None if n < 0 else self._take(n).decode()

    def bytes_(self):
        n = self.i32()
        return None if n < 0 else bytes(self._take(n))

    def array(self, fn):
        n = self.i32()
        if n < 0:
            return None
        if n > len(self.b) - self.p:
            raise ParseError("array of %d in %d bytes" % (n, len(self.b) - self.p))
        return [fn(self) for _ in range(n)]

    def uvarint(self):
        v = 0
        for shift in range(0, 64, 7):
            c = self._take(1)[0]
            v |= (c & 0x7F) << shift
            if not c & 0x80:
                return v
        raise ParseError("varint too long")

    def varint(self):
        u = self.uvarint()
        return (u >> 1) ^ -(u & 1)

    def cstring(self):
        n = self.uvarint()
        return None if n == 0 else self._take(n - 1).decode()

    def carray(self, fn):
        n = self.uvarint()
        if n == 0:
            return None
        if n - 1 > len(self.b) - self.p:
            raise ParseError("compact array of %d in %d bytes" % (n - 1, len(self.b) - self.p))
        return [fn(self) for _ in range(n - 1)]

    def skip_tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self._take(self.uvarint())

    def rest(self):
        return len(self.b) - self.p


# ---- Connection ------------------------------------------------------------

class Closed(Exception):
    """The peer closed (or reset) the connection."""


class Conn:
    """One connection. After the broker closed it (Closed raised), the next
    call() connects again, so one refused request does not spoil the
    requests after it."""

    def __init__(self, host, port, timeout=20.0):
        self.addr = (host, port)
        self.timeout = timeout
        self.corr = 0
        self._connect()

    def _connect(self):
        self.s = socket.create_connection(self.addr, timeout=self.timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.dead = False

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass

    def send(self, data):
        try:
            self.s.sendall(data)
        except (BrokenPipeError, ConnectionResetError) as e:
            self.dead = True
            raise Closed(str(e))

    def _recv_exact(self, n, deadline):
        out = bytearray()
        while len(out) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no answer within %.0fs" % self.timeout)
            self.s.settimeout(left)
            try:
                c = self.s.recv(min(n - len(out), 1 << 20))
            except ConnectionResetError as e:
                self.dead = True
                raise Closed(str(e))
            if not c:
                self.dead = True
                raise Closed("connection closed by the broker after %d of %d bytes" % (len(out), n))
            out += c
        return bytes(out)

    def recv_frame(self):
        deadline = time.monotonic() + self.timeout
        n = struct.unpack(">i", self._recv_exact(4, deadline))[0]
        if n < 4 or n > 256 << 20:
            raise ParseError("answer frame size %d" % n)
        return self._recv_exact(n, deadline)

    def call(self, api_key, version, body, header_version=1, resp_flexible=False):
        """Sends one request; returns a reader positioned after the response
        header (correlation id checked)."""
        if self.dead:
            self.close()
            self._connect()
        self.corr += 1
        self.send(request(api_key, version, self.corr, body, header_version=header_version))
        r = R(self.recv_frame())
        corr = r.i32()
        if corr != self.corr:
            raise ParseError("correlation id %d, expected %d" % (corr, self.corr))
        if resp_flexible:
            r.skip_tags()
        return r

    def closed_by_peer(self, wait=10.0):
        """True when the broker closes this connection within wait seconds
        (reading and discarding anything it sends first)."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            self.s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                c = self.s.recv(65536)
            except socket.timeout:
                return False
            except ConnectionResetError:
                return True
            if not c:
                return True
        return False


# ---- Record batches v2 ------------------------------------------------------

CODEC_NAMES = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}


def encode_records(records, base_ts):
    """records: list of (key, value, headers[(k, v)], timestamp)."""
    w = W()
    for i, (k, v, hdrs, ts) in enumerate(records):
        r = W()
        r.i8(0).varint(ts - base_ts).varint(i)
        if k is None:
            r.varint(-1)
        else:
            r.varint(len(k)).raw(k)
        if v is None:
            r.varint(-1)
        else:
            r.varint(len(v)).raw(v)
        r.varint(len(hdrs))
        for hk, hv in hdrs:
            hk = hk.encode() if isinstance(hk, str) else hk
            r.varint(len(hk)).raw(hk)
            if hv is None:
                r.varint(-1)
            else:
                r.varint(len(hv)).raw(hv)
        body = r.bytes()
        w.varint(len(body)).raw(body)
    return w.bytes()


def batch(records, codec=0, payload=None, base_offset=0, base_ts=None, count=None,
          attributes=None, crc=None, producer_id=-1, producer_epoch=-1, base_sequence=-1):
    """A record batch v2. payload overrides the (compressed) records section;
    count, attributes and crc override what would be right (for bad input)."""
    if base_ts is None:
        base_ts = int(time.time() * 1000)
    if payload is None:
        raw = encode_records(records, base_ts)
        if codec == 0:
            payload = raw
        elif codec == 1:
            c = zlib.compressobj(6, zlib.DEFLATED, 31)
            payload = c.compress(raw) + c.flush()
        else:
            raise ValueError("codec %d: only none and gzip are built here" % codec)
    n = len(records) if count is None else count
    max_ts = max([r[3] for r in records], default=base_ts)
    after_crc = (W().i16(codec if attributes is None else attributes)
                 .i32(max(n - 1, 0)).i64(base_ts).i64(max_ts)
                 .i64(producer_id).i16(producer_epoch).i32(base_sequence)
                 .i32(n).raw(payload).bytes())
    c = crc32c(after_crc) if crc is None else crc
    rest = W().i32(0).i8(2).u32(c).raw(after_crc).bytes()  # leader epoch, magic, crc
    return W().i64(base_offset).i32(len(rest)).raw(rest).bytes()


def zstd_rle_bomb(total):
    """A zstd frame (no content size) of RLE blocks that inflates to total
    zero bytes: 4 bytes per 128 KiB."""
    blk = 128 * 1024
    w = W().raw(struct.pack("<I", 0xFD2FB528)).raw(b"\x00")  # FHD: no size, no checksum
    w.raw(bytes([(17 - 10) << 3]))  # window descriptor: 128 KiB
    left = total
    while left > 0:
        n = min(blk, left)
        left -= n
        hdr = (1 if left == 0 else 0) | (1 << 1) | (n << 3)  # last, RLE, size
        w.raw(struct.pack("<I", hdr)[:3]).raw(b"\x00")
    return w.bytes()


def gzip_bomb(total, chunk=1 << 20):
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(chunk)
    out = []
    left = total
    while left > 0:
        n = min(chunk, left)
        out.append(c.compress(zeros[:n]))
        left -= n
    out.append(c.flush())
    return b"".join(out)


class Batch:
    __slots__ = ("base_offset", "length", "leader_epoch", "magic", "crc", "attributes",
                 "last_offset_delta", "first_ts", "max_ts", "producer_id", "count",
                 "payload", "crc_ok", "size")

    @property
    def codec(self):
        return self.attributes & 7

    @property
    def log_append_time(self):
        return bool(self.attributes & 8)

    @property
    def last_offset(self):
        return self.base_offset + self.last_offset_delta


def read_batches(data, strict=True):
    """Walks record batches back to back; a partial batch at the end (as
    Fetch may return) is ignored."""
    out = []
    p = 0
    while len(data) - p >= 61:
        base, length = struct.unpack_from(">qi", data, p)
        if length < 49:
            raise ParseError("batch at %d: length %d" % (p, length))
        if p + 12 + length > len(data):
            break
        b = Batch()
        b.base_offset, b.length = base, length
        b.leader_epoch, b.magic, b.crc = struct.unpack_from(">ibI", data, p + 12)
        if b.magic != 2:
            raise ParseError("batch at %d: magic %d" % (p, b.magic))
        (b.attributes, b.last_offset_delta, b.first_ts, b.max_ts, b.producer_id, _epoch, _seq,
         b.count) = struct.unpack_from(">hiqqqhii", data, p + 21)
        b.crc_ok = crc32c(data[p + 21:p + 12 + length]) == b.crc
        if strict and not b.crc_ok:
            raise ParseError("batch at %d (offset %d): bad CRC" % (p, base))
        b.payload = data[p + 61:p + 12 + length]
        b.size = 12 + length
        out.append(b)
        p += 12 + length
    return out


def decode_records(b):
    """Records of an uncompressed or gzip batch: list of dicts."""
    if b.codec == 0:
        raw = b.payload
    elif b.codec == 1:
        raw = zlib.decompress(b.payload, 47)
    else:
        raise ValueError("codec %s not decoded here" % CODEC_NAMES.get(b.codec))
    r = R(raw)
    out = []
    for _ in range(b.count):
        ln = r.varint()
        end = r.p + ln
        r.i8()
        ts = b.first_ts + r.varint()
        od = r.varint()
        kl = r.varint()
        k = None if kl < 0 else bytes(r._take(kl))
        vl = r.varint()
        v = None if vl < 0 else bytes(r._take(vl))
        hdrs = []
        for _h in range(r.varint()):
            hk = bytes(r._take(r.varint())).decode()
            hl = r.varint()
            hdrs.append((hk, None if hl < 0 else bytes(r._take(hl))))
        if r.p != end:
            raise ParseError("record length mismatch")
        out.append({"offset": b.base_offset + od, "ts": ts, "key": k, "value": v, "headers": hdrs})
    return out


# ---- Requests the tests use ---------------------------------------------------

API = {"Produce": 0, "Fetch": 1, "ListOffsets": 2, "Metadata": 3, "OffsetCommit": 8,
       "FindCoordinator": 10, "ApiVersions": 18, "CreateTopics": 19, "DeleteTopics": 20,
       "DeleteRecords": 21, "OffsetForLeaderEpoch": 23, "DescribeConfigs": 32,
       "AlterConfigs": 33, "CreatePartitions": 37, "IncrementalAlterConfigs": 44,
       "DescribeCluster": 60}


def api_versions(conn, version=0):
    """ApiVersions v0..v2 (non-flexible) or v3: (error, {key: (min, max)})."""
    if version >= 3:
        body = W().cstring("sluice-it").cstring("0.1").tags().bytes()
        r = conn.call(18, version, body, header_version=2)
    else:
        r = conn.call(18, version, b"")
    err = r.i16()
    apis = {}
    if version >= 3:
        for _ in range((r.uvarint() or 1) - 1):
            k, lo, hi = r.i16(), r.i16(), r.i16()
            r.skip_tags()
            apis[k] = (lo, hi)
    else:
        for k, lo, hi in r.array(lambda x: (x.i16(), x.i16(), x.i16())):
            apis[k] = (lo, hi)
    return err, apis


def metadata(conn, topics=None, auto_create=False):
    """Metadata v4: brokers, topics {name: (error, {partition: (error, leader)})}."""
    w = W()
    if topics is None:
        w.i32(-1)
    else:
        w.i32(len(topics))
        for t in topics:
            w.string(t)
    w.boolean(auto_create)
    r = conn.call(3, 4, w.bytes())
    r.i32()  # throttle
    brokers = r.array(lambda x: (x.i32(), x.string(), x.i32(), x.string()))
    r.string()  # cluster id
    r.i32()  # controller
    out = {}
    for _ in range(r.i32()):
        err, name, _internal = r.i16(), r.string(), r.boolean()
        parts = {}
        for _p in range(r.i32()):
            perr, idx, leader = r.i16(), r.i32(), r.i32()
            r.array(lambda x: x.i32())  # replicas
            r.array(lambda x: x.i32())  # isr (v4 has no offline replicas)
            parts[idx] = (perr, leader)
        out[name] = (err, parts)
    return brokers, out


def create_topics(conn, topics, validate_only=False, timeout_ms=10000):
    """CreateTopics v4. topics: list of (name, partitions, rf, {config: value}).
    Returns {name: (error, message)}."""
    w = W().i32(len(topics))
    for name, parts, rf, cfg in topics:
        w.string(name).i32(parts).i16(rf).i32(0)
        w.i32(len(cfg))
        for k, v in cfg.items():
            w.string(k).string(v)
    w.i32(timeout_ms).boolean(validate_only)
    r = conn.call(19, 4, w.bytes())
    r.i32()
    return {n: (e, m) for n, e, m in r.array(lambda x: (x.string(), x.i16(), x.string()))}


def produce(conn, topic, partitions, acks=-1, timeout_ms=10000, version=7):
    """Produce v3..v8. partitions: {index: records bytes}. Returns
    {index: (error, base_offset, log_append_time)}; None for acks=0."""
    w = W().string(None).i16(acks).i32(timeout_ms).i32(1).string(topic).i32(len(partitions))
    for idx, recs in partitions.items():
        w.i32(idx).bytes_(recs)
    if acks == 0:
        if conn.dead:
            conn.close()
            conn._connect()
        conn.corr += 1
        conn.send(request(0, version, conn.corr, w.bytes()))
        return None
    r = conn.call(0, version, w.bytes())
    out = {}
    for _ in range(r.i32()):
        r.string()
        for _p in range(r.i32()):
            idx, err, base, lat = r.i32(), r.i16(), r.i64(), r.i64()
            if version >= 5:
                r.i64()
            if version >= 8:
                r.array(lambda x: (x.i32(), x.string()))
                r.string()
            out[idx] = (err, base, lat)
    return out


def fetch(conn, topic, partitions, max_wait_ms=0, min_bytes=0, max_bytes=64 << 20):
    """Fetch v4. partitions: {index: (offset, partition_max_bytes)}. Returns
    {index: (error, high_watermark, records bytes)}."""
    w = W().i32(-1).i32(max_wait_ms).i32(min_bytes).i32(max_bytes).i8(0)
    w.i32(1).string(topic).i32(len(partitions))
    for idx, (off, pmax) in partitions.items():
        w.i32(idx).i64(off).i32(pmax)
    r = conn.call(1, 4, w.bytes())
    r.i32()
    out = {}
    for _ in range(r.i32()):
        r.string()
        for _p in range(r.i32()):
            idx, err, hw, _lso = r.i32(), r.i16(), r.i64(), r.i64()
            r.array(lambda x: (x.i64(), x.i64()))
            out[idx] = (err, hw, r.bytes_() or b"")
    return out


def list_offsets(conn, topic, partitions):
    """ListOffsets v1. partitions: {index: timestamp (-2 earliest, -1 latest)}.
    Returns {index: (error, timestamp, offset)}."""
    w = W().i32(-1).i32(1).string(topic).i32(len(partitions))
    for idx, ts in partitions.items():
        w.i32(idx).i64(ts)
    r = conn.call(2, 1, w.bytes())
    out = {}
    for _ in range(r.i32()):
        r.string()
        for _p in range(r.i32()):
            idx, err, ts, off = r.i32(), r.i16(), r.i64(), r.i64()
            out[idx] = (err, ts, off)
    return out


def delete_records(conn, topic, partitions, timeout_ms=10000):
    """DeleteRecords v1. partitions: {index: offset}. {index: (error, low_watermark)}."""
    w = W().i32(1).string(topic).i32(len(partitions))
    for idx, off in partitions.items():
        w.i32(idx).i64(off)
    w.i32(timeout_ms)
    r = conn.call(21, 1, w.bytes())
    r.i32()
    out = {}
    for _ in range(r.i32()):
        r.string()
        for _p in range(r.i32()):
            idx, low, err = r.i32(), r.i64(), r.i16()
            out[idx] = (err, low)
    return out


# Kafka error codes the tests name.
ERR = {"NONE": 0, "OFFSET_OUT_OF_RANGE": 1, "CORRUPT_MESSAGE": 2, "UNKNOWN_TOPIC_OR_PARTITION": 3,
       "MESSAGE_TOO_LARGE": 10, "INVALID_TOPIC_EXCEPTION": 17, "RECORD_LIST_TOO_LARGE": 18,
       "NOT_ENOUGH_REPLICAS": 19, "UNSUPPORTED_VERSION": 35, "TOPIC_ALREADY_EXISTS": 36,
       "INVALID_PARTITIONS": 37, "INVALID_REPLICATION_FACTOR": 38, "INVALID_CONFIG": 40, "INVALID_REQUEST": 42,
       "TOPIC_DELETION_DISABLED": 73, "UNSUPPORTED_COMPRESSION_TYPE": 76, "INVALID_RECORD": 87, "UNKNOWN_SERVER_ERROR": -1}
ERR_NAME = {v: k for k, v in ERR.items()}


def errname(code):
    return "%s(%d)" % (ERR_NAME.get(code, "?"), code)
