"""client_consumer_mock.py - Sluice's consumer (client_consumer_drv)
against librdkafka's mock cluster (bench's peer_mock), a broker
implementation other than sluiced: reads of assigned partitions (lz4
batches produced by confluent_kafka), a group member, and its commits as
confluent_kafka's committed() sees them.
Usage: client_consumer_mock.py BUILD_DIR
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "lib"))
import check  # noqa: E402

t = check.Test("client_consumer_mock", budget_s=110)
BUILD = t.bindir
DRV = os.path.join(BUILD, "tests", "client_consumer_drv")
import ck  # noqa: E402
from ck import TopicPartition  # noqa: E402
from client_drv import lines_of, msgs  # noqa: E402


with t.step("against librdkafka's mock cluster: assigned reads, a group member, commits"):
    mock_bin = os.path.join(BUILD, "bin", "peer_mock")
    t.expect(os.access(mock_bin, os.X_OK), "peer_mock not built at %s" % mock_bin)
    mock = subprocess.Popen([mock_bin, "mock-t:3"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        first = mock.stdout.readline().decode().strip()
        t.expect(first.startswith("bootstrap="), "peer_mock said %r" % first)
        MBOOT = first.split("=", 1)[1]
        p = ck.producer(MBOOT, **{"compression.type": "lz4"})
        reports = ck.produce_all(p, [{"topic": "mock-t", "key": b"k%d" % i, "value": b"mv%d" % i} for i in range(90)])
        want = sorted((r[1], r[2]) for r in reports)
        args = [DRV, MBOOT, "--", "assign:mock-t:0@beginning,1@beginning,2@beginning", "read:90:8000"]
        got = msgs(t.run(args, timeout=60).stdout.decode().splitlines())
        t.eq(sorted((m[1], m[2]) for m in got), want, "messages read from the mock cluster")
        args = [DRV, MBOOT, "group.id=mock-g", "auto.offset.reset=earliest", "enable.auto.commit=false",
                "--", "subscribe:mock-t", "read:90:10000", "commit", "position", "close"]
        lines = t.run(args, timeout=60).stdout.decode().splitlines()
        t.eq(len(msgs(lines)), 90, "messages read by a group member of the mock cluster")
        pos = {int(x[1]): int(x[2]) for x in lines_of(lines, "POS")}
        c = ck.consumer(MBOOT, **{"group.id": "mock-g"})
        got = {x.partition: x.offset for x in c.committed([TopicPartition("mock-t", i) for i in range(3)], 10)}
        c.close()
        t.eq(got, pos, "commits seen by confluent_kafka on the mock cluster")
    finally:
        mock.terminate()
        try:
            mock.wait(10)
        except subprocess.TimeoutExpired:
            mock.kill()

t.done()
