"""client_drv.py - for the client's integration tests (client_*.py), which
are given the build directory rather than its bin/: that directory, and
the test drivers built in it (BUILD_DIR/tests/<name>), each run with a
bound on its time.
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
