"""client_drv.py - for the client's integration tests (client_*.py), which
are given the build directory rather than its bin/: that directory, the
test drivers built in it (BUILD_DIR/tests/<name>), each run with a bound
on its time, and the lines client_consumer_drv prints (MSG, POS, ...,
ASSIGNED/REVOKED/LOST).
"""
import os
import subprocess
import sys

import check


def build_dir():
    """The build directory given as argv[1] (None when there is none);
    argv[1] becomes its bin/, the bin dir check.Test reads."""
    if len(sys.argv) < 2:
        return None
    build = os.path.abspath(sys.argv[1])
    sys.argv[1] = os.path.join(build, "bin")
    return build


def driver(build, name):
    """The path of driver name in the build directory."""
    return os.path.join(build or "", "tests", name)


def run(drv, args, timeout):
    """Runs driver drv with args; returns (rc, stdout, stderr) as text.
    Fails when it is not built or does not end within timeout seconds."""
    if not os.access(drv, os.X_OK):
        raise check.Failed("driver not built: %s" % drv)
    try:
        p = subprocess.run([drv] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise check.Failed("%s did not finish within %ds" % (os.path.basename(drv), timeout))
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def msgs(lines):
    """MSG lines as (topic, partition, offset, key, value)."""
    out = []
    for ln in lines:
        if ln.startswith("MSG "):
            _, topic, p, off, key, value = ln.split(" ", 5)
            out.append((topic, int(p), int(off), key, value))
    return out


def lines_of(lines, tag):
    """The fields after tag of the lines starting with it."""
    return [ln.split(" ")[1:] for ln in lines if ln.startswith(tag + " ")]


def note_held(cur, ln):
    """Updates cur, the partitions held, by one ASSIGNED/REVOKED/LOST line
    (other lines leave it)."""
    kind, _, rest = ln.partition(" ")
    if kind == "ASSIGNED":
        cur.add(int(rest.split()[1]))
    elif kind in ("REVOKED", "LOST"):
        cur.discard(int(rest.split()[1]))
