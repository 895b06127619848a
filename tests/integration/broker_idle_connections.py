"""broker_idle_connections.py - thousands of idle connections do not stop
the broker from serving.

2000 sockets are opened to the broker and left idle (a quarter of them
having sent the first bytes of a frame, and stopped); meanwhile
confluent_kafka produces and consumes 5000 messages and kcat -L answers. The
idle sockets must all have been accepted (the broker is not out of file
descriptors: both sides get a 20000 soft limit where the hard limit allows),
the broker's memory stays bounded, and after they all close it still serves.
Usage: broker_idle_connections.py BINDIR
"""
import os
import resource
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import check  # noqa: E402

t = check.Test("broker_idle_connections", budget_s=280)
import ck  # noqa: E402
import kwire  # noqa: E402

IDLE = 2000
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = 20000 if hard == resource.RLIM_INFINITY else min(20000, hard)
if soft < want:
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
print("fd limit: %d (hard %s)" % (resource.getrlimit(resource.RLIMIT_NOFILE)[0], hard))

b = t.broker()  # inherits the raised limit
B = b.bootstrap
idle = []
ends = None

with t.step("fd limit allows the test (>= %d + margin)" % IDLE):
    t.expect(resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= IDLE + 500,
             "RLIMIT_NOFILE is %d and cannot be raised" % resource.getrlimit(resource.RLIMIT_NOFILE)[0])

with t.step("open %d idle connections (every 4th sends 3 bytes of a frame header)" % IDLE):
    rss0 = b.rss_kb()
    deadline = time.monotonic() + 60
    for i in range(IDLE):
        t.expect(time.monotonic() < deadline, "only %d connections opened in 60s" % len(idle))
        s = socket.create_connection((b.host, b.port), timeout=10)
        if i % 4 == 0:
            s.sendall(b"\x00\x00\x00")
        idle.append(s)
    # every one was accepted: a request on the last one is answered
    last = kwire.Conn(b.host, b.port)
    err, _ = kwire.api_versions(last, 0)
    last.close()
    t.eq(err, 0, "ApiVersions on connection %d" % (IDLE + 1))
    # Each network thread has its own SO_REUSEPORT listener and accept queue:
    # the one that answered above may be done while another is still
    # accepting its share, so wait (bounded) for the count to catch up.
    deadline = time.monotonic() + 20
    n_fds = len(os.listdir("/proc/%d/fd" % b.pid))
    while n_fds < IDLE and time.monotonic() < deadline:
        time.sleep(0.1)
        n_fds = len(os.listdir("/proc/%d/fd" % b.pid))
    t.expect(n_fds >= IDLE, "the broker holds %d file descriptors; %d connections are open" % (n_fds, IDLE))
    print("   broker: %d fds, VmRSS %d -> %d MiB" % (n_fds, rss0 // 1024, b.rss_kb() // 1024))

with t.step("while they idle: produce and consume 5000 messages, kcat -L answers"):
    ck.create_topics(B, [("busy", 3, {})])
    msgs = [{"topic": "busy", "partition": i % 3, "key": b"%d" % i, "value": b"busy %d" % i} for i in range(5000)]
    reps = ck.produce_all(ck.producer(B), msgs)
    ends = {p: 0 for p in range(3)}
    for _e, part, off in reps:
        ends[part] = max(ends[part], off + 1)
    got = ck.read_partitions(B, "busy", ends)
    want = {(part, off): m["value"] for m, (_e, part, off) in zip(msgs, reps)}
    t.eq(sum(len(v) for v in got.values()), 5000, "messages read")
    for part, ms in got.items():
        for m in ms:
            t.eq(m.value(), want[(part, m.offset())], "message %d/%d" % (part, m.offset()))
    t.run(["kcat", "-b", B, "-L"], timeout=30)

with t.step("the idle connections are still open (none dropped while under the idle timeout)"):
    dropped = 0
    for s in idle:
        s.setblocking(False)
        try:
            if s.recv(1) == b"":
                dropped += 1
        except BlockingIOError:
            pass
        except OSError:
            dropped += 1
    t.eq(dropped, 0, "idle connections closed by the broker")

with t.step("memory stays bounded with %d connections (VmRSS < 1 GiB)" % IDLE):
    t.expect(b.rss_kb() < 1 << 20, "VmRSS %d MiB" % (b.rss_kb() // 1024))

with t.step("after closing them all the broker serves (and its fds go back down)"):
    for s in idle:
        s.close()
    idle.clear()
    deadline = time.monotonic() + 30
    n_fds = len(os.listdir("/proc/%d/fd" % b.pid))
    while n_fds > 500 and time.monotonic() < deadline:
        time.sleep(0.2)
        n_fds = len(os.listdir("/proc/%d/fd" % b.pid))
    t.expect(n_fds <= 500, "the broker still holds %d fds 30s after the clients closed" % n_fds)
    reps = ck.produce_all(ck.producer(B), [{"topic": "busy", "partition": 0, "value": b"after"}])
    if ends is not None:
        t.eq(reps[0][2], ends[0], "offset of a message after the idle storm")

t.done()
