"""client_core.py - the client core (client/client_int.h) against a real
sluiced: bootstrap, ApiVersions negotiation, Metadata (brokers, controller,
cluster id, topics and leaders; an unknown topic stays unknown because the
core does not ask for auto-creation), FindCoordinator, and a bootstrap
address nobody listens on (an error naming the address).
Usage: client_core.py BUILD_DIR (the driver is BUILD_DIR/tests/client_core_drv,
sluiced BUILD_DIR/bin/sluiced).
"""
import os
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
if len(sys.argv) >= 2:
    BUILD = os.path.abspath(sys.argv[1])
    sys.argv[1] = os.path.join(BUILD, "bin")
import check  # noqa: E402
import ck  # noqa: E402
import sluiced  # noqa: E402

t = check.Test("client_core", budget_s=110)
DRV = os.path.join(BUILD, "tests", "client_core_drv")


def drv(args, timeout=45):
    if not os.access(DRV, os.X_OK):
        raise check.Failed("driver not built: %s" % DRV)
    p = subprocess.run([DRV] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


b = t.broker()

with t.step("a topic with three partitions is created through confluent_kafka"):
    ck.create_topics(b.bootstrap, [("core-t", 3, {})])

with t.step("the core learns brokers, controller, cluster id, topics, leaders and the coordinator"):
    rc, out, err = drv([b.bootstrap, "core-group", "core-t", "core-missing"])
    t.eq(rc, 0, "driver exit status (stderr: %s)" % err[-2000:])
    lines = out.splitlines()
    t.expect(any(l.startswith("cluster ") and not l.startswith("cluster - ") and l.endswith(" controller %d" % b.node_id)
                 for l in lines), "no cluster id / controller line in:\n" + out)
    t.expect("broker %d 127.0.0.1:%d" % (b.node_id, b.port) in lines, "broker line missing in:\n" + out)
    t.expect("topic core-t OK partitions 3" in lines, "core-t not described in:\n" + out)
    for p in range(3):
        t.expect(any(l.startswith("partition core-t %d leader %d epoch " % (p, b.node_id)) for l in lines),
                 "partition %d of core-t has no leader in:\n%s" % (p, out))
    t.expect("topic core-missing UNKNOWN_TOPIC_OR_PARTITION partitions 0" in lines,
             "core-missing should stay unknown (no auto-creation asked) in:\n" + out)
    t.expect("coordinator core-group %d" % b.node_id in lines, "coordinator line missing in:\n" + out)
    v = [l for l in lines if l.startswith("version Metadata ")]
    t.expect(v and int(v[0].split()[2]) >= 9, "Metadata version not negotiated high enough: %s" % v)

with t.step("core-missing was not created by the core's Metadata requests"):
    md = ck.admin(b.bootstrap).list_topics(timeout=20)
    t.expect("core-missing" not in md.topics, "core-missing exists: %s" % sorted(md.topics))

with t.step("a bootstrap address nobody listens on: exit 1, the error names the address"):
    port = sluiced.free_port()
    rc, out, err = drv(["-t", "3", "127.0.0.1:%d" % port, "g", "x"], timeout=60)
    t.eq(rc, 1, "driver exit status")
    t.expect(("127.0.0.1:%d" % port) in err and "refused" in err, "stderr does not name the address and the refusal:\n" + err)

t.done()
