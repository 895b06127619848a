"""postgres.py - a real PostgreSQL for one integration test or benchmark.

    pg = postgres.Server().start()      # initdb in a temp dir, free port
    pg.create_database("sink")
    rows = pg.query("SELECT id, name FROM t ORDER BY id", db="sink")
    pg.jdbc_url("sink")                 # jdbc:postgresql://127.0.0.1:PORT/sink
    pg.close()                          # also at exit, even after a failure

The server's binaries come from /usr/lib/postgresql/<version>/bin (Debian's
postgresql package; the newest version there). initdb and postgres refuse
to run as root, so when this process is root they run as `nobody` through
setpriv (the temp dir is chowned to it). The server listens on 127.0.0.1 on
a free port and on a unix socket in the temp dir, trusts local users, and
writes its log to postgres.log there (log_tail() for failure reports).
postgres runs with SIGKILL as its parent-death signal, so a test killed by a
ctest timeout leaves no server behind. Queries go through psql (Debian's
postgresql-client): rows come back as lists of strings, None for NULL.
Every wait is bounded.
"""
import atexit
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

NULL_MARK = "\x01NULL\x01"


class PostgresError(Exception):
    pass


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def bindir():
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and postgres."""
    found = []
    for d in glob.glob("/usr/lib/postgresql/*/bin"):
        if os.access(os.path.join(d, "initdb"), os.X_OK) and os.access(os.path.join(d, "postgres"), os.X_OK):
            try:
                found.append((int(d.split("/")[-2]), d))
            except ValueError:
                pass
    if not found:
        raise PostgresError("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin "
                            "(install postgresql: make deps)")
    return max(found)[1]


class Server:
    def __init__(self, settings=None, user="postgres"):
        """settings: extra postgres -c name=value settings (e.g. {"fsync": "off"})."""
        self.bin = bindir()
        self.psql = shutil.which("psql") or os.path.join(self.bin, "psql")
        self.dir = tempfile.mkdtemp(prefix="sluice-pg-")
        self.data = os.path.join(self.dir, "data")
        self.logfile = os.path.join(self.dir, "postgres.log")
        self.user = user
        self.settings = dict(settings or {})
        self.port = None
        self.proc = None
        self.as_user = None
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.dir, nobody.pw_uid, nobody.pw_gid)
            self.as_user = ["setpriv", "--reuid", str(nobody.pw_uid), "--regid", str(nobody.pw_gid),
                            "--clear-groups", "--pdeathsig", "KILL", "--"]
            if not shutil.which("setpriv"):
                raise PostgresError("running as root needs setpriv (util-linux) to run "
                                    "PostgreSQL as nobody")
        atexit.register(self.close)

    # ---- lifecycle -------------------------------------------------------
    def _cmd(self, args):
        return (self.as_user or []) + args

    def _initdb(self):
        p = subprocess.run(self._cmd([os.path.join(self.bin, "initdb"), "-D", self.data, "-U", self.user,
                                      "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120,
                           cwd=self.dir)
        if p.returncode != 0:
            raise PostgresError("initdb failed (%d):\n%s" % (p.returncode, p.stdout.decode(errors="replace")[-3000:]))

    def start(self, wait=60.0):
        """initdb (first start only), then postgres on a free port (a
        restart keeps the port); waits until it answers a query. On the
        first start, a port another process took meanwhile moves the server
        to a new one (at most twice)."""
        first = not os.path.exists(self.data)
        if first:
            self._initdb()
        for attempt in range(3):
            if first or self.port is None:
                self.port = _free_port()
            self._spawn()
            try:
                self._wait_ready(wait)
                return self
            except PostgresError:
                clash = "could not bind" in self.log_text() or "already in use" in self.log_text()
                if self.proc.poll() is None or not clash or not first or attempt == 2:
                    raise
        raise PostgresError("unreachable")

    def _spawn(self):
        if self.proc and self.proc.poll() is None:
            raise PostgresError("start() while the server runs (pid %d)" % self.proc.pid)
        args = [os.path.join(self.bin, "postgres"), "-D", self.data, "-h", "127.0.0.1",
                "-p", str(self.port), "-k", self.dir, "-c", "logging_collector=off",
                "-c", "max_connections=50"]
        for k, v in self.settings.items():
            args += ["-c", "%s=%s" % (k, v)]
        log = open(self.logfile, "ab")
        log.write(("\n==== start: %s\n" % " ".join(args)).encode())
        log.flush()
        if self.as_user:
            os.chown(self.logfile, os.stat(self.dir).st_uid, os.stat(self.dir).st_gid)
        self.proc = subprocess.Popen(self._cmd(args), stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT, cwd=self.dir,
                                     preexec_fn=None if self.as_user else _die_with_parent)
        log.close()

    def _wait_ready(self, wait):
        deadline = time.monotonic() + wait
        last = "no attempt"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise PostgresError("postgres exited with status %s during start-up\n%s"
                                    % (self.proc.returncode, self.log_tail()))
            p = subprocess.run([self.psql, "-X", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user,
                                "-d", "postgres", "-c", "SELECT 1"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
            if p.returncode == 0:
                return
            last = p.stderr.decode(errors="replace").strip()
            time.sleep(0.1)
        raise PostgresError("PostgreSQL did not answer on 127.0.0.1:%d within %.0fs (%s)\n%s"
                            % (self.port, wait, last, self.log_tail()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, wait=60.0):
        """Fast shutdown (SIGINT); SIGKILL when it does not exit in time."""
        if not self.alive():
            return None
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(wait)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(30)
            raise PostgresError("postgres did not exit within %.0fs of SIGINT\n%s" % (wait, self.log_tail()))
        return self.proc.returncode

    def close(self):
        """Stops the server (killing it if need be) and removes its directory."""
        try:
            if self.alive():
                try:
                    self.stop(wait=30)
                except PostgresError:
                    pass
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    # ---- addresses -------------------------------------------------------
    def jdbc_url(self, db="postgres"):
        return "jdbc:postgresql://127.0.0.1:%d/%s" % (self.port, db)

    def conninfo(self, db="postgres"):
        return "host=127.0.0.1 port=%d dbname=%s user=%s" % (self.port, db, self.user)

    # ---- queries -----------------------------------------------------------
    def query(self, sql, db="postgres", timeout=120):
        """Runs sql (one or more statements) through psql; the rows of the
        last one as lists of strings (None for NULL). Raises PostgresError
        with psql's message on any error."""
        p = subprocess.run([self.psql, "-X", "-q", "-A", "-t", "-F", "\x02", "-R", "\x03",
                            "-P", "null=" + NULL_MARK, "-v", "ON_ERROR_STOP=1",
                            "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "-d", db,
                            "-c", sql],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        if p.returncode != 0:
            raise PostgresError("psql: %s\n(for: %s)" % (p.stderr.decode(errors="replace").strip(), sql[:300]))
        out = p.stdout.decode("utf-8")
        if out.endswith("\n"):
            out = out[:-1]
        if not out:
            return []
        return [[None if f == NULL_MARK else f for f in row.split("\x02")]
                for row in out.split("\x03") if row != ""]

    def scalar(self, sql, db="postgres"):
        rows = self.query(sql, db)
        return rows[0][0] if rows else None

    def create_database(self, name):
        self.query('CREATE DATABASE "%s"' % name.replace('"', '""'))

    # ---- logs ------------------------------------------------------------------
    def log_text(self):
        try:
            with open(self.logfile, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, lines=40):
        t = self.log_text().splitlines()
        return "---- postgres log (%s), last %d of %d lines ----\n%s\n---- end of log ----" % (
            self.logfile, min(lines, len(t)), len(t), "\n".join(t[-lines:]))


def _die_with_parent():
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except OSError:
        pass
