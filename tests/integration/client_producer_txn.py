"""client_producer_txn.py - transactions from our producer (client/, driven
by client_produce_it --txn) against a real sluiced, read back by a
read_committed confluent_kafka consumer:

- a committed transaction: every record seen, with its key;
- an aborted transaction followed by a committed one: only the committed
  records are seen (read_uncommitted sees both);
- offsets sent to the transaction are the group's committed offset after
  the commit;
- a send outside a transaction is refused.
(Fencing by a newer instance is covered by tests/unit/client/producer_test.c.)
Usage: client_producer_txn.py BUILD_DIR (the driver is
BUILD_DIR/tests/client_produce_it, sluiced BUILD_DIR/bin/sluiced).
"""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import check  # noqa: E402
import client_drv  # noqa: E402

BUILD = client_drv.build_dir()

t = check.Test("client_producer_txn", budget_s=170)
import ck  # noqa: E402

DRV = client_drv.driver(BUILD, "client_produce_it")
NPARTS = 3


def produce(boot, topic, n, *args, timeout=60):
    return client_drv.run(DRV, ["-b", boot, "-t", topic, "-n", str(n), "--quiet"] + list(args), timeout)


def must(rc, out, err):
    t.expect(rc == 0, "driver exit %d: %s\n%s" % (rc, out[-500:], err[-2000:]))


def read_all(boot, topic, isolation, timeout=30):
    """Every record of topic visible under isolation, read until each
    partition reports its end. Returns [(key, value)]."""
    c = ck.consumer(boot, **{"isolation.level": isolation})
    try:
        c.assign([ck.TopicPartition(topic, p, 0) for p in range(NPARTS)])
        eof, out = set(), []
        deadline = time.monotonic() + timeout
        while len(eof) < NPARTS and time.monotonic() < deadline:
            for m in c.consume(1000, 0.5):
                if m.error():
                    if m.error().code() == ck.KafkaError._PARTITION_EOF:
                        eof.add(m.partition())
                        continue
                    raise check.Failed("consumer error: %s" % m.error())
                out.append((m.key(), m.value()))
        t.expect(len(eof) == NPARTS, "no end of partition seen for %s within %ds" % (topic, timeout))
        return out
    finally:
        c.close()


b = t.broker(config={"num.partitions": str(NPARTS)})
boot = b.bootstrap

with t.step("topics are created through confluent_kafka"):
    ck.create_topics(boot, [("tx-commit", NPARTS, {}), ("tx-abort", NPARTS, {}), ("tx-offsets", NPARTS, {})])

with t.step("a committed transaction is read whole by a read_committed consumer"):
    must(*produce(boot, "tx-commit", 2000, "--keys", "-X", "transactional.id=tx-1", "--txn", "commit"))
    got = read_all(boot, "tx-commit", "read_committed")
    t.eq(len(got), 2000, "records read")
    t.eq(sorted(k for k, _ in got), sorted(b"key-%d" % i for i in range(2000)), "keys")

with t.step("an aborted transaction is never seen by read_committed; a later committed one is"):
    must(*produce(boot, "tx-abort", 500, "--keys", "-X", "transactional.id=tx-2", "--txn", "abort"))
    must(*produce(boot, "tx-abort", 20, "--keys", "--size", "40", "-X", "transactional.id=tx-2",
                  "--txn", "commit"))
    got = read_all(boot, "tx-abort", "read_committed")
    t.eq(len(got), 20, "records read_committed")
    t.expect(all(len(v) == 40 for _, v in got), "only the committed (40-byte) records are seen")
    raw = read_all(boot, "tx-abort", "read_uncommitted")
    t.eq(len(raw), 520, "records read_uncommitted (aborted ones included)")

with t.step("offsets sent to the transaction are committed with it"):
    must(*produce(boot, "tx-offsets", 10, "-X", "transactional.id=tx-3", "--txn", "commit",
                  "--txn-offsets", "tx-group"))
    c = ck.consumer(boot, **{"group.id": "tx-group"})
    try:
        parts = c.committed([ck.TopicPartition("tx-offsets", 0)], timeout=20)
    finally:
        c.close()
    t.eq(parts[0].offset, 42, "committed offset of tx-group")

with t.step("without a transaction, sends of a transactional producer are refused"):
    rc, out, err = produce(boot, "tx-commit", 1, "-X", "transactional.id=tx-4")
    t.eq(rc, 1, "driver exit status")
    t.expect("STATE" in err, "the send error names the state: %s" % err[-500:])

t.done()
