"""sluiced.py - start, probe and stop a real sluiced for an integration test.

Each Broker gets its own temporary directory (server.properties, data/,
sluiced.log) and a free port on 127.0.0.1. start() waits until the broker
answers ApiVersions; stop() sends SIGTERM and waits for a clean exit; kill()
sends SIGKILL; start() again reuses the same data (restart/recovery tests).
Every wait is bounded. The broker's stdout and stderr go to sluiced.log,
which log_tail() returns for failure reports.

Brokers run with sluice.roles=broker unless the test asks for more:
Broker(..., sql=True) also runs the SQL role with its REST API on a free
port (sql_url), and start() then waits for GET /healthcheck too.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import kwire

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "WARNING: ThreadSanitizer", "AddressSanitizer:DEADLYSIGNAL")


class BrokerError(Exception):
    pass


def _die_with_parent():
    """In the child before exec: SIGKILL when the test process dies (a ctest
    timeout kills only the test), so no broker outlives its test."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except OSError:
        pass


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# SLUICE_IT_TARGET=wiretap runs sluice-wiretap instead, with 6 partitions
# per topic and none of sluiced's settings: only for trying a client script
# before the broker exists (most steps then fail, as they should).
WIRETAP = os.environ.get("SLUICE_IT_TARGET") == "wiretap"


def binary(bindir):
    path = os.path.join(bindir, "sluice-wiretap" if WIRETAP else "sluiced")
    if not os.access(path, os.X_OK):
        raise BrokerError("sluiced not found or not executable at %s (build the sluiced target)" % path)
    return path


class Broker:
    def __init__(self, bindir, config=None, overrides=(), name="sluiced", node_id=1,
                 advertised_host=None, sql=False):
        self.exe = binary(bindir)
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="sluiced-it-%s-" % name)
        self.data = os.path.join(self.dir, "data")
        self.logfile = os.path.join(self.dir, "sluiced.log")
        self.port = free_port()
        self.host = "127.0.0.1"
        self.node_id = 0 if WIRETAP else node_id
        self.advertised_host = advertised_host
        self.config = dict(config or {})
        self.overrides = list(overrides)
        self.proc = None
        self.down_expected = False  # stopped or killed on purpose
        self.starts = 0
        self.exits = []  # (how, returncode) of every stop, kill or crash
        self.sql = sql
        self.sql_port = free_port() if sql else None
        self._write_config()

    @property
    def sql_url(self):
        return "http://127.0.0.1:%d" % self.sql_port if self.sql else None

    @property
    def bootstrap(self):
        return "%s:%d" % (self.host, self.port)

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def _write_config(self):
        cfg = {"node.id": str(self.node_id),
               "listeners": "PLAINTEXT://127.0.0.1:%d" % self.port,
               "log.dirs": self.data}
        if self.advertised_host:
            cfg["advertised.listeners"] = "PLAINTEXT://%s:%d" % (self.advertised_host, self.port)
        if "broker.id" in self.config:  # the alias, on its own
            del cfg["node.id"]
        if self.sql:
            cfg["sluice.roles"] = "broker,sql"
            cfg["sql.listeners"] = self.sql_url
        elif not WIRETAP:
            cfg["sluice.roles"] = "broker"
        cfg.update(self.config)
        self.config_file = os.path.join(self.dir, "server.properties")
        with open(self.config_file, "w") as f:
            f.write("# written by tests/integration/lib/sluiced.py\n")
            for k, v in cfg.items():
                f.write("%s=%s\n" % (k, v))

    def start(self, wait=60.0):
        """Starts the broker and waits until it answers ApiVersions. On a
        port clash (another process took the free port) it moves to a new
        port, at most twice, before the first successful start only."""
        for attempt in range(3):
            self._spawn()
            try:
                self.wait_ready(wait)
                self.starts += 1
                return self
            except BrokerError:
                log = self.log_text()
                clash = "in use" in log.lower() or "EADDRINUSE" in log
                if self.proc.poll() is None or not clash or self.starts or attempt == 2:
                    raise
                self.port = free_port()
                if self.sql:
                    self.sql_port = free_port()
                self._write_config()
        raise BrokerError("unreachable")

    def _spawn(self):
        if self.proc and self.proc.poll() is None:
            raise BrokerError("start() while the broker runs (pid %d)" % self.proc.pid)
        self.down_expected = False
        log = open(self.logfile, "ab")
        log.write(("\n==== start %d: %s %s %s\n" % (self.starts + 1, self.exe, self.config_file,
                                                   " ".join("--override " + o for o in self.overrides))).encode())
        log.flush()
        args = [self.exe, self.config_file]
        for o in self.overrides:
            args += ["--override", o]
        if WIRETAP:
            args = [self.exe, "--listen", self.bootstrap, "--partitions", "6"]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                     cwd=self.dir, preexec_fn=_die_with_parent)
        log.close()

    def wait_ready(self, wait=60.0):
        deadline = time.monotonic() + wait
        last = "no attempt"
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                self.exits.append(("exited during start-up", rc))
                raise BrokerError("sluiced exited with status %s during start-up\n%s" % (rc, self.log_tail()))
            try:
                c = kwire.Conn(self.host, self.port, timeout=5)
                try:
                    err, apis = kwire.api_versions(c, 0)
                finally:
                    c.close()
                if err == 0 and 18 in apis:
                    if self.sql:
                        self._wait_sql(deadline)
                    return
                last = "ApiVersions error %d" % err
            except (OSError, kwire.Closed, kwire.ParseError) as e:
                last = str(e)
            time.sleep(0.1)
        raise BrokerError("sluiced did not answer ApiVersions on %s within %.0fs (%s)\n%s"
                          % (self.bootstrap, wait, last, self.log_tail()))

    def _wait_sql(self, deadline):
        import urllib.request
        last = "no attempt"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BrokerError("sluiced exited with status %s during start-up\n%s"
                                  % (self.proc.returncode, self.log_tail()))
            try:
                with urllib.request.urlopen(self.sql_url + "/healthcheck", timeout=5) as r:
                    if r.status == 200:
                        return
                    last = "status %d" % r.status
            except OSError as e:
                last = str(e)
            time.sleep(0.1)
        raise BrokerError("the SQL service did not answer on %s (%s)\n%s" % (self.sql_url, last, self.log_tail()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, wait=60.0):
        """Sends sig and waits for the exit; returns the exit status. Raises
        BrokerError when it does not exit in time (then it is SIGKILLed)."""
        if not self.proc:
            return None
        self.down_expected = True
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)
                self.exits.append(("hung after %s, killed" % signal.Signals(sig).name, self.proc.returncode))
                raise BrokerError("sluiced did not exit within %.0fs of %s\n%s"
                                  % (wait, signal.Signals(sig).name, self.log_tail()))
            self.exits.append((signal.Signals(sig).name, self.proc.returncode))
        else:
            self.exits.append(("had already exited", self.proc.returncode))
        return self.proc.returncode

    def kill(self):
        """SIGKILL, as a crash would."""
        self.down_expected = True
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)
            self.exits.append(("SIGKILL", self.proc.returncode))

    def status_kb(self, field):
        """A kB figure of /proc/PID/status: VmRSS (now), VmHWM (peak)."""
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return -1

    def rss_kb(self):
        return self.status_kb("VmRSS")

    def log_text(self):
        try:
            with open(self.logfile, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, lines=60):
        t = self.log_text().splitlines()
        return "---- %s log (%s), last %d of %d lines ----\n%s\n---- end of log ----" % (
            self.name, self.logfile, min(lines, len(t)), len(t), "\n".join(t[-lines:]))

    def sanitizer_reports(self):
        t = self.log_text()
        return [line for line in t.splitlines() if any(m in line for m in SANITIZER_MARKS)]

    def partition_dir(self, topic, partition):
        return os.path.join(self.data, "%s-%d" % (topic, partition))

    def segment_files(self, topic, partition):
        d = self.partition_dir(topic, partition)
        try:
            return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".log"))
        except FileNotFoundError:
            return []

    def read_segments(self, topic, partition):
        """Every record batch on disk for one partition (segment order)."""
        out = []
        for path in self.segment_files(topic, partition):
            with open(path, "rb") as f:
                out += kwire.read_batches(f.read(), strict=False)
        return out

    def close(self, keep=False):
        """Kills a still running broker and removes the directory unless keep."""
        if self.proc and self.proc.poll() is None:
            self.kill()
        # SLUICE_IT_KEEP_LOGS=DIR keeps a copy of every broker log (to tabulate
        # which client used which API version, for docs/COMPATIBILITY.md).
        keep_logs = os.environ.get("SLUICE_IT_KEEP_LOGS")
        if keep_logs and os.path.exists(self.logfile):
            os.makedirs(keep_logs, exist_ok=True)
            shutil.copy(self.logfile, os.path.join(keep_logs, "%s-%d.log" % (os.path.basename(self.dir), os.getpid())))
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)
