"""ck.py - confluent_kafka (Debian's python3-confluent-kafka, librdkafka)
helpers shared by the broker tests: topic creation through the AdminClient,
a bounded produce with delivery accounting, and a bounded read of assigned
partitions (no consumer groups). Run under /usr/bin/python3: that is where
Debian installs the module.
"""
import time

from check import Failed

try:
    import confluent_kafka
    from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic
except ImportError as e:  # a missing client is a failure, never a skip
    raise Failed("python3-confluent-kafka is not importable by %s (make deps): %s"
                 % (__import__("sys").executable, e))

QUIET = {"log_level": 3}  # errors only: librdkafka's warnings would flood the output


def admin(bootstrap):
    return AdminClient({"bootstrap.servers": bootstrap, **QUIET})


def create_topics(bootstrap, specs, timeout=30):
    """specs: list of (name, partitions, {config: value}). Fails the step
    with the broker's error for any topic not created."""
    a = admin(bootstrap)
    fs = a.create_topics([NewTopic(n, num_partitions=p, replication_factor=1, config=c or {})
                          for n, p, c in specs], request_timeout=timeout, operation_timeout=timeout)
    errors = []
    for name, f in fs.items():
        try:
            f.result(timeout)
        except Exception as e:  # noqa: BLE001
            errors.append("%s: %s" % (name, e))
    if errors:
        raise Failed("CreateTopics through confluent_kafka AdminClient failed: " + "; ".join(errors))


def producer(bootstrap, **conf):
    c = {"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5, **QUIET}
    c.update(conf)
    return Producer(c)


def produce_all(p, messages, timeout=60):
    """messages: iterable of dicts (topic, partition?, key, value, headers?,
    timestamp?). Returns the list of delivery reports (err, partition,
    offset) in send order; fails if any is not delivered in time."""
    reports = [None] * len(messages)

    def cb(i):
        def f(err, msg):
            reports[i] = (err, msg.partition(), msg.offset())
        return f

    for i, m in enumerate(messages):
        kw = {k: m[k] for k in ("key", "value", "headers", "timestamp", "partition") if k in m}
        for _ in range(1000):
            try:
                p.produce(m["topic"], on_delivery=cb(i), **kw)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
    left = p.flush(timeout)
    if left:
        raise Failed("%d messages not delivered within %ds" % (left, timeout))
    errs = [(i, r) for i, r in enumerate(reports) if r is None or r[0] is not None]
    if errs:
        raise Failed("%d of %d messages failed delivery; first: %s"
                     % (len(errs), len(messages), errs[0]))
    return reports


def consumer(bootstrap, **conf):
    c = {"bootstrap.servers": bootstrap, "group.id": "unused-no-groups",
         "enable.auto.commit": False, "enable.partition.eof": True,
         "auto.offset.reset": "error", **QUIET}
    c.update(conf)
    return Consumer(c)


def read_partitions(bootstrap, topic, ends, start=None, timeout=60, **conf):
    """Reads partitions {p: end_offset} with assign() (no group) from start
    ({p: offset}, default 0) up to end_offset. Returns {p: [Message]}."""
    c = consumer(bootstrap, **conf)
    try:
        start = start or {}
        c.assign([TopicPartition(topic, p, start.get(p, 0)) for p in ends])
        got = {p: [] for p in ends}
        need = {p for p, e in ends.items() if e > start.get(p, 0)}
        deadline = time.monotonic() + timeout
        while need and time.monotonic() < deadline:
            msgs = c.consume(10000, 0.5)
            for m in msgs:
                if m.error():
                    if m.error().code() == KafkaError._PARTITION_EOF:
                        continue
                    raise Failed("consumer error on %s [%s]: %s" % (m.topic(), m.partition(), m.error()))
                p = m.partition()
                got[p].append(m)
                if m.offset() + 1 >= ends[p]:
                    need.discard(p)
        if need:
            raise Failed("read of %s stopped short within %ds: partitions %s have %s of %s"
                         % (topic, timeout, sorted(need), [len(got[p]) for p in sorted(need)],
                            [ends[p] for p in sorted(need)]))
        return got
    finally:
        c.close()


def watermarks(bootstrap, topic, partitions, timeout=20):
    c = consumer(bootstrap)
    try:
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout) for p in partitions}
    finally:
        c.close()


__all__ = ["confluent_kafka", "KafkaError", "TopicPartition", "admin", "create_topics", "producer",
           "produce_all", "consumer", "read_partitions", "watermarks"]
