"""check.py - the small harness every broker integration test uses.

    t = check.Test("broker_kcat", budget_s=240)
    b = t.broker(config={...})              # started, cleaned up at exit
    with t.step("kcat -L shows the broker"):
        ...; t.expect(cond, "what was wrong")
    t.done()                               # prints "N passed, N failed", exits

A step that raises fails with the exception text and the test goes on with
the next step. After every step the brokers are checked: one that died is
reported (exit status, log tail) and started again on the same data, so the
rest of the steps still say something. Sanitizer reports in a broker's log
fail the test. A missing client or tool is a failure, never a skip.
The whole script runs under an alarm (budget_s): nothing waits forever.
"""
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import sluiced  # noqa: E402


class Failed(AssertionError):
    pass


class Test:
    def __init__(self, name, budget_s=240):
        if len(sys.argv) < 2:
            print("usage: %s BINDIR" % sys.argv[0])
            sys.exit(2)
        self.name = name
        self.bindir = os.path.abspath(sys.argv[1])
        self.passed = []
        self.failed = []
        self.brokers = []
        self.t0 = time.monotonic()
        signal.signal(signal.SIGALRM, self._out_of_time)
        signal.alarm(budget_s)
        self.budget = budget_s
        print("%s: bin dir %s" % (name, self.bindir), flush=True)

    def _out_of_time(self, *_):
        raise Failed("test budget of %ds used up (a wait did not end)" % self.budget)

    # ---- brokers -------------------------------------------------------
    def broker(self, start=True, **kw):
        b = sluiced.Broker(self.bindir, name="%s-%d" % (self.name, len(self.brokers)), **kw)
        self.brokers.append(b)
        if start:
            b.start()
        return b

    def _check_brokers(self, step):
        for b in self.brokers:
            if b.proc is None or b.alive() or b.down_expected:
                continue
            rc = b.proc.returncode
            b.exits.append(("died", rc))
            b.down_expected = True
            self._fail(step, "broker %s died during the step (exit status %s)\n%s" % (b.name, rc, b.log_tail()))
            try:
                b.start()
                print("   (broker %s started again on the same data for the next steps)" % b.name)
            except Exception as e:  # noqa: BLE001
                print("   (broker %s could not be started again: %s)" % (b.name, e))

    # ---- steps ---------------------------------------------------------
    def step(self, title):
        return _Step(self, title)

    def expect(self, cond, msg):
        if not cond:
            raise Failed(msg)

    def eq(self, got, want, what):
        if got != want:
            raise Failed("%s: got %r, want %r" % (what, got, want))

    def _fail(self, title, msg):
        self.failed.append(title)
        print("FAIL: %s\n   %s" % (title, msg.replace("\n", "\n   ")), flush=True)

    # ---- tools ---------------------------------------------------------
    def need(self, tool):
        path = shutil.which(tool)
        if not path:
            raise Failed("%s is not installed (make deps)" % tool)
        return path

    def run(self, args, timeout=60, input=None, check=True, env=None):
        """Runs a client; returns CompletedProcess (bytes). check: a non-zero
        exit fails with its stderr."""
        self.need(args[0])
        try:
            p = subprocess.run(args, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=timeout, env=env)
        except subprocess.TimeoutExpired as e:
            raise Failed("%s did not finish within %ds; stderr: %s"
                         % (" ".join(args[:6]), timeout, (e.stderr or b"")[-2000:].decode("utf-8", "replace")))
        if check and p.returncode != 0:
            raise Failed("%s exited with %d; stderr:\n%s"
                         % (" ".join(args[:8]), p.returncode, p.stderr[-3000:].decode("utf-8", "replace")))
        return p

    # ---- end -------------------------------------------------------------
    def done(self):
        for b in self.brokers:
            if b.alive():
                try:
                    rc = b.stop()
                    if rc != 0:
                        self._fail("broker %s stops cleanly on SIGTERM at the end" % b.name,
                                   "exit status %s\n%s" % (rc, b.log_tail()))
                except Exception as e:  # noqa: BLE001
                    self._fail("broker %s stops on SIGTERM at the end" % b.name, str(e))
            reports = b.sanitizer_reports()
            if reports:
                self._fail("broker %s log has no sanitizer reports" % b.name,
                           "\n".join(reports[:20]) + "\n" + b.log_tail(120))
        if self.failed:
            for b in self.brokers:
                print(b.log_tail(80))
        keep = bool(self.failed) and os.environ.get("SLUICE_IT_KEEP")
        for b in self.brokers:
            b.close(keep=keep)
            if keep:
                print("kept %s" % b.dir)
        signal.alarm(0)
        print("%s: %.1fs" % (self.name, time.monotonic() - self.t0))
        print("%d passed, %d failed" % (len(self.passed), len(self.failed)), flush=True)
        sys.exit(1 if self.failed else 0)


class _Step:
    def __init__(self, test, title):
        self.t = test
        self.title = title

    def __enter__(self):
        self.t0 = time.monotonic()
        print("-- %s" % self.title, flush=True)
        return self

    def __exit__(self, et, ev, tb):
        if et is None:
            self.t.passed.append(self.title)
            print("ok: %s (%.1fs)" % (self.title, time.monotonic() - self.t0), flush=True)
        elif issubclass(et, (KeyboardInterrupt, SystemExit)):
            return False
        else:
            if isinstance(ev, (Failed, sluiced.BrokerError)):
                msg = str(ev)
            else:
                msg = "".join(traceback.format_exception(et, ev, tb)[-6:])
            self.t._fail(self.title, msg)
        self.t._check_brokers(self.title)
        return True
