"""txn_app.py - the consume-transform-produce application broker_txn.py
kills and restarts: reads INPUT in consumer group GROUP (static member,
read_committed), writes each record to OUTPUT (same key and partition,
value prefixed with "T:") and commits the input offsets inside the same
transaction (send_offsets_to_transaction), one transaction per polled
batch, with transactional.id TXNID; at most 20 records per transaction, and
--pace S waits S seconds inside each one.

Prints "ready" once it has its assignment, "txn N" after each committed
transaction. On an error that needs an abort it aborts and exits 4 (the
test restarts it, which resumes from the committed offsets); on a fatal
error it exits 3. Runs until killed; --max-seconds bounds it anyway.
Usage: txn_app.py BOOTSTRAP INPUT OUTPUT GROUP TXNID [--max-seconds S] [--pace S]
"""
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main():
    if len(sys.argv) < 6:
        print(__doc__, file=sys.stderr)
        return 2
    bootstrap, src, dst, group, txnid = sys.argv[1:6]
    opts = dict(zip(sys.argv[6::2], sys.argv[7::2]))
    max_s = float(opts.get("--max-seconds", 300))
    pace = float(opts.get("--pace", 0))
    quiet = {"log_level": 3}
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": txnid, "linger.ms": 5, **quiet})
    # Before subscribing: fences an earlier instance and ends its transaction,
    # so the committed offsets this consumer fetches are stable.
    p.init_transactions(60)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "group.instance.id": txnid,
                  "session.timeout.ms": 6000, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest", "isolation.level": "read_committed", **quiet})
    c.subscribe([src])
    deadline = time.monotonic() + max_s
    ready = False
    n = 0
    try:
        while time.monotonic() < deadline:
            msgs = c.consume(20, 0.3)
            if not ready and c.assignment():
                ready = True
                say("ready")
            msgs = [m for m in msgs if m.error() is None]
            if not msgs:
                continue
            p.begin_transaction()
            for m in msgs:
                p.produce(dst, key=m.key(), value=b"T:" + m.value(), partition=m.partition())
            if pace:
                time.sleep(pace)  # a wider window for the test's kills to land inside a transaction
            p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 30)
            p.commit_transaction(30)
            n += 1
            say("txn %d" % n)
    except KafkaException as e:
        err = e.args[0]
        say("error %s fatal=%s abortable=%s" % (err, err.fatal(), err.txn_requires_abort()))
        if err.txn_requires_abort():
            p.abort_transaction(30)
            return 4
        return 3
    finally:
        c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
