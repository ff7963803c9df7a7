"""Stress: signals and processes at random moments of real runs, a signal
storm for EINTR paths, resource limits, and an input truncated under a run.

Every iteration ends in one of the outcomes the contract allows, checked
in full: a result bit-identical to a quiet run, or a clean failure (its
exit status and one error line), and in every case nothing left in
/dev/shm (beyond a SIGKILLed run's temporary, which `shmx rm --stale`
removes) and no worker left running.

$SHMX_STRESS_ITER sets the iterations of the random tests (default 10 here;
tests/stress/run uses 1000; the slower tests take a fraction of it); $SHMX_STRESS_SEED makes a run repeatable (the
seed is printed with every failure).  With $SHMX_STRESS_REPORT set, each
test appends one JSON line (test, iterations, failures, outcomes) to that
file for tests/stress/run's summary.

Iterations that fail are collected, not raised at once, so that a report
says how many of them failed; the test then fails showing the first few.
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

# also when run by path (python3 -m unittest tests/py/test_stress.py)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from shmxtest import (MARK, SHM_DIR, SHMX, ShmxTestCase, disk_dir,
                      fault_hooks, shmx)

ITER = max(1, int(os.environ.get("SHMX_STRESS_ITER", "10")))
SEED = int(os.environ.get("SHMX_STRESS_SEED", str(int(time.time()))))
REPORT = os.environ.get("SHMX_STRESS_REPORT")
SHAPE = "2500000x8"  # 160 MB of f64: `exp` runs for a few hundred ms
CHUNK = "256k"

# Built once for the module (setUpModule): the inputs and quiet results.
M = {}


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []


def alive(pid):
    """Running or stopped, not a zombie.  (A pid could be reused, but not
    within the seconds these tests look.)"""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def wait_gone(pids, timeout=5.0):
    """The pids among these still alive after timeout seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        left = [p for p in pids if alive(p)]
        if not left:
            return []
        time.sleep(0.005)
    return [p for p in pids if alive(p)]


def shm_file(name):
    return os.path.join(SHM_DIR, name)


def data_of(name):
    """The bytes of an array shmx wrote to the segment name (data at 4096)."""
    with open(shm_file(name), "rb") as f:
        f.seek(4096)
        return f.read()


def temporaries_of(pid):
    return [n for n in os.listdir(SHM_DIR) if n.startswith(f".shmx-{pid}-")]


def no_leak_check(env):
    """env for a sanitizer build's shmx whose children we kill or stop at
    random: LeakSanitizer's exit check runs in a child of its own (it
    ptraces the process), and if that child is the one we hit, the parent
    waits for it forever.  Harmless elsewhere."""
    env["ASAN_OPTIONS"] = ":".join(
        filter(None, [env.get("ASAN_OPTIONS"), "detect_leaks=0"]))
    return env


def setUpModule():
    M["dir"] = tempfile.mkdtemp(prefix="shmx-stress-", dir=disk_dir())
    M["rng"] = random.Random(SEED)
    M["in"] = MARK + "stress-in"
    M["small"] = MARK + "stress-small"
    M["file"] = os.path.join(M["dir"], "in.npy")
    for target, shape in (("shm://" + M["in"], SHAPE), (M["file"], SHAPE),
                          ("shm://" + M["small"], "200000x8")):
        r = shmx("gen", "-o", target, "--shape", shape, "--seed", 7)
        if r.status:
            raise RuntimeError(r.err)
    # the quiet results every disturbed run must reproduce bit for bit
    ref = MARK + "stress-ref"
    for key, args in (("exp", ("exp", "shm://" + M["in"])),
                      ("sumsq", ("sumsq", M["file"], "--axis", 1))):
        r = shmx("run", *args, "-o", "shm://" + ref, "-j", 1, "--chunk",
                 CHUNK)
        if r.status:
            raise RuntimeError(r.err)
        M[key] = data_of(ref)
        os.unlink(shm_file(ref))


def tearDownModule():
    for key in ("in", "small"):
        try:
            os.unlink(shm_file(M[key]))
        except (KeyError, FileNotFoundError):
            pass
    if "dir" in M:
        shutil.rmtree(M["dir"], ignore_errors=True)


class StressCase(ShmxTestCase):
    """Iterations with outcomes counted and failures collected."""

    def setUp(self):
        super().setUp()
        self.rng = random.Random(f"{SEED}-{self.id()}")
        self.outcomes = {}
        self.failures = []
        self.iterations = 0

    def count(self, outcome):
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def failed(self, i, what):
        self.failures.append(f"iteration {i}: {what}")

    def finish(self):
        if REPORT:
            with open(REPORT, "a") as f:
                f.write(json.dumps({
                    "test": self.id().split(".", 1)[-1],
                    "iterations": self.iterations,
                    "failures": len(self.failures),
                    "outcomes": self.outcomes}) + "\n")
        self.assertEqual(self.failures[:5], [],
                         f"{len(self.failures)} of {self.iterations} "
                         f"iterations failed (SHMX_STRESS_SEED={SEED})")

    def start(self, out, job, *extra, env=None):
        """Popen one run: job "exp" (the segment, mapped) or "sumsq" (the
        file, --io stream, --axis 1), writing shm://out."""
        if job == "exp":
            args = ["exp", "shm://" + M["in"]]
        else:
            args = ["sumsq", M["file"], "--io", "stream", "--axis", "1"]
        full_env = no_leak_check(dict(os.environ, **(env or {})))
        full_env.pop("SHMX_SHM_DIR", None)
        return subprocess.Popen(
            [SHMX, "run", *args, "-o", "shm://" + out, "-j", "2",
             "--chunk", CHUNK, *map(str, extra)], env=full_env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def check_output(self, i, out, job, complete):
        """complete: the output must be there and bit-identical; else it
        may be absent, but if present it must be whole."""
        path = shm_file(out)
        if not os.path.exists(path):
            if complete:
                self.failed(i, f"{job}: no output after exit 0")
            return
        if data_of(out) != M[job]:
            self.failed(i, f"{job}: output differs from the quiet run")
        os.unlink(path)

    def check_one_error_line(self, i, err, *parts):
        lines = err.strip().split("\n")
        if len(lines) != 1 or not lines[0].startswith("shmx: error: ") or \
                not all(p in lines[0] for p in parts):
            self.failed(i, f"expected one error line with {parts}: {err!r}")


class WorkerKilled(StressCase):
    """A worker SIGKILLed at a random moment: with --retries 1 the run
    recovers with the same bits; with --retries 0 it either finishes
    (the kill missed) or fails with exit 1 and its message."""

    def test_a_worker_killed_at_random_moments(self):
        for i in range(ITER):
            self.iterations += 1
            job = ("exp", "sumsq")[i % 2]
            retries = (1, 0)[(i // 2) % 2]
            out = self.name(f"wk{i}")
            p = self.start(out, job, "--retries", retries)
            time.sleep(self.rng.uniform(0.005, 0.15))
            kids = children(p.pid)
            if kids:
                try:
                    os.kill(self.rng.choice(kids), signal.SIGKILL)
                except ProcessLookupError:  # it had exited and been reaped
                    kids = []
            _, err = p.communicate(timeout=60)
            if not kids:
                self.count("no worker at that moment")
            if p.returncode == 0:
                self.count(f"retries {retries}: same bits")
                self.check_output(i, out, job, complete=True)
            elif p.returncode == 1 and retries == 0:
                self.count("retries 0: failed cleanly")
                self.check_one_error_line(i, err, "killed by SIGKILL",
                                          "--retries 0")
                self.check_output(i, out, job, complete=False)
                if os.path.exists(shm_file(out)):
                    self.failed(i, "published after a failure")
            else:
                self.failed(i, f"retries {retries}: exit {p.returncode}: "
                            f"{err.strip()}")
                self.check_output(i, out, job, complete=False)
            if temporaries_of(p.pid):
                self.failed(i, f"temporaries left: {temporaries_of(p.pid)}")
            if wait_gone(kids, 2.0):
                self.failed(i, "a worker outlived the run")
        self.finish()


class ParentSignalled(StressCase):
    """The parent gets SIGINT, SIGTERM or SIGKILL at a random moment: it
    dies of it (or had finished), publishes nothing half-done, leaves no
    worker; INT and TERM leave no temporary, KILL leaves at most one, for
    `shmx rm --stale`."""

    def test_the_parent_signalled_at_random_moments(self):
        sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)
        for i in range(ITER):
            self.iterations += 1
            sig = sigs[i % 3]
            job = ("exp", "sumsq")[(i // 3) % 2]
            out = self.name(f"ps{i}")
            p = self.start(out, job)
            time.sleep(self.rng.uniform(0, 0.25))
            kids = children(p.pid)
            p.send_signal(sig)
            _, err = p.communicate(timeout=60)
            name = sig.name
            if p.returncode == 0:
                self.count(f"{name}: finished first")
                self.check_output(i, out, job, complete=True)
            elif p.returncode == -sig:
                self.count(f"{name}: died of it")
                self.check_output(i, out, job, complete=False)
            else:
                self.failed(i, f"{name}: exit {p.returncode}: {err.strip()}")
            left = wait_gone(kids, 5.0)
            if left:
                self.failed(i, f"{name}: workers {left} outlived the parent")
            stale = temporaries_of(p.pid)
            if sig != signal.SIGKILL and stale:
                self.failed(i, f"{name}: temporaries left: {stale}")
            if sig == signal.SIGKILL and stale:
                self.count("SIGKILL: temporary left for rm --stale")
                r = shmx("rm", "--stale")
                if r.status or any(n not in r.out for n in stale) or \
                        temporaries_of(p.pid):
                    self.failed(i, f"rm --stale: exit {r.status}: "
                                f"{r.out!r} {r.err!r}")
            if len(stale) > 1:
                self.failed(i, f"more than one temporary: {stale}")
        self.finish()


class StoppedAndContinued(StressCase):
    """SIGSTOP then SIGCONT, to the parent or to a worker, once or twice
    at random moments: the run finishes with the same bits."""

    def test_stop_and_continue_mid_run(self):
        n = max(4, ITER // 4)
        for i in range(n):
            self.iterations += 1
            job = ("exp", "sumsq")[i % 2]
            out = self.name(f"sc{i}")
            p = self.start(out, job)
            stopped = []
            for _ in range(self.rng.randint(1, 2)):
                time.sleep(self.rng.uniform(0, 0.12))
                kids = children(p.pid)
                who = "parent" if not kids or self.rng.random() < 0.4 \
                    else "worker"
                pid = p.pid if who == "parent" else self.rng.choice(kids)
                try:
                    os.kill(pid, signal.SIGSTOP)
                    time.sleep(self.rng.uniform(0.01, 0.1))
                    os.kill(pid, signal.SIGCONT)
                    stopped.append(who)
                except ProcessLookupError:
                    pass
            _, err = p.communicate(timeout=60)
            self.count("stopped " + (" and ".join(stopped) or "nothing"))
            if p.returncode != 0:
                self.failed(i, f"exit {p.returncode}: {err.strip()}")
            self.check_output(i, out, job, complete=True)
        self.finish()


class SignalStorm(StressCase):
    """SHMX_SIGNAL_STORM=USEC: every blocking call in the parent and the
    workers keeps seeing EINTR.  gen, run (mapped, streamed, printed),
    load and cat give what they give without it."""

    def setUp(self):
        super().setUp()
        if not fault_hooks():
            self.skipTest("this shmx has no test hooks (a Release build): "
                          "SHMX_SIGNAL_STORM is compiled out")

    def same(self, i, usec, label, args, read, slow_reader=False):
        """Run args quietly and under the storm; read(result) gives what
        must match.  slow_reader: stdout is read only after a pause, so
        that shmx blocks on a full pipe (where EINTR strikes)."""
        got = []
        for env in ({}, {"SHMX_SIGNAL_STORM": str(usec)}):
            if slow_reader:
                r = self.slowly(args(len(got)), env)
            else:
                r = shmx(*args(len(got)), env=env, timeout=120)
            if r.status:
                self.failed(i, f"{label} (storm {usec if env else 0}): "
                            f"exit {r.status}: {r.err.strip()}")
                return
            got.append(read(r, len(got)))
        if got[0] != got[1]:
            self.failed(i, f"{label}: storm {usec} us changed the result")
        else:
            self.count(label)

    def slowly(self, args, env):
        full_env = dict(os.environ, **env)
        full_env.pop("SHMX_SHM_DIR", None)
        p = subprocess.Popen([SHMX, *map(str, args)], env=full_env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        time.sleep(0.2)
        out, err = p.communicate(timeout=120)
        p.status, p.out, p.err = p.returncode, out, err
        return p

    def test_a_signal_storm_changes_nothing(self):
        rounds = max(2, ITER // 20)
        for i in range(rounds):
            self.iterations += 1
            usec = self.rng.choice((50, 100, 200, 500))
            outs = [self.name(f"st{i}-{k}") for k in range(2)]

            def take(r, k):
                data = data_of(outs[k])
                os.unlink(shm_file(outs[k]))
                return data

            self.same(i, usec, "gen", lambda k: (
                "gen", "-o", "shm://" + outs[k], "--shape", "500000x8",
                "--fill", "normal", "--seed", i, "-j", 2),
                take)
            self.same(i, usec, "run exp (mmap)", lambda k: (
                "run", "exp", "shm://" + M["small"], "-o",
                "shm://" + outs[k], "-j", 2, "--chunk", "64k"), take)
            self.same(i, usec, "run sumsq --io stream", lambda k: (
                "run", "sumsq", M["file"], "--io", "stream", "--axis", 1,
                "-o", "shm://" + outs[k], "-j", 2, "--chunk", CHUNK), take)
            self.same(i, usec, "run sum --axis 1, printed", lambda k: (
                "run", "sum", "shm://" + M["small"], "--axis", 1, "-j", 2,
                "--chunk", "64k"), lambda r, k: r.out, slow_reader=True)
            self.same(i, usec, "load", lambda k: (
                "load", "shm://" + M["small"], "-o", "shm://" + outs[k]),
                take)
            self.same(i, usec, "cat", lambda k: (
                "cat", "shm://" + M["small"], "--head", 50000),
                lambda r, k: r.out, slow_reader=True)
        self.finish()


class StdoutFailure(ShmxTestCase):
    """Printed results that cannot be written are a failure (exit 1, one
    line), never exit 0 with output lost."""

    def test_a_full_stdout_fails_cat_and_run(self):
        if not os.path.exists("/dev/full"):
            self.skipTest("no /dev/full")
        for args in (("cat", "shm://" + M["small"]),
                     ("run", "sum", "shm://" + M["small"], "--axis", "1")):
            with self.subTest(cmd=args[0]), open("/dev/full", "w") as full:
                p = subprocess.run([SHMX, *args], stdout=full,
                                   stderr=subprocess.PIPE, text=True,
                                   timeout=60)
                self.assertEqual((p.returncode, p.stderr), (
                    1, "shmx: error: cannot write to stdout: No space left "
                    "on device\n"))


class Limits(StressCase):
    """Limits that force fallbacks or failures: a run must succeed with the
    same bits and say why in --stats, or fail cleanly."""

    def stream_run(self, out, prefix=(), env=None):
        full_env = dict(os.environ, **(env or {}))
        full_env.pop("SHMX_SHM_DIR", None)
        p = subprocess.run(
            [*prefix, SHMX, "run", "sumsq", M["file"], "--io", "stream",
             "--axis", "1", "-o", "shm://" + out, "-j", "2", "--chunk",
             CHUNK, "--stats"], env=full_env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        stats = json.loads(p.stderr)
        self.assertEqual(data_of(out), M["sumsq"])
        os.unlink(shm_file(out))
        return stats

    def test_memlock_64k_streams_with_plain_buffers_and_says_so(self):
        if not shutil.which("prlimit"):
            self.skipTest("no prlimit(1)")
        prefix = ["prlimit", "--memlock=65536"]
        if os.geteuid() == 0:
            # root's CAP_IPC_LOCK ignores the limit: drop it
            if not shutil.which("setpriv"):
                self.skipTest("root without setpriv(1) ignores memlock")
            prefix = ["setpriv", "--bounding-set=-ipc_lock",
                      "--inh-caps=-ipc_lock"] + prefix
        st = self.stream_run(self.name("memlock"), prefix)
        self.assertEqual(st["io"], "stream")
        self.assertIn("memlock 64 KiB", st["io_note"])

    def test_io_uring_refused_streams_with_pread_and_says_so(self):
        if not fault_hooks():
            self.skipTest("this shmx has no test hooks (a Release build): "
                          "no uring-setup site (the system-wide "
                          "io_uring_disabled switch is left to "
                          "tests/stress/run)")
        log = self.path("fault.log")
        st = self.stream_run(self.name("nouring"), env={
            "SHMX_FAULT": "uring-setup:1:persist", "SHMX_FAULT_LOG": log})
        if not os.path.exists(log):
            self.skipTest("this build has no uring-setup fault site")
        self.assertEqual(st["io"], "stream")
        self.assertIn("io_uring: ", st["io_note"])
        self.assertIn("pread", st["io_note"])

    def test_io_uring_disabled_system_wide(self):
        """Sets the kernel's io_uring_disabled switch for one run: every
        process on the machine is affected meanwhile, so only
        tests/stress/run (SHMX_STRESS_SYSCTL=1) does it."""
        knob = "/proc/sys/kernel/io_uring_disabled"
        if os.environ.get("SHMX_STRESS_SYSCTL") != "1":
            self.skipTest("system-wide switch: tests/stress/run only "
                          "(SHMX_STRESS_SYSCTL=1)")
        if not os.path.exists(knob) or os.geteuid() != 0:
            self.skipTest(f"needs root and {knob}")
        with open(knob) as f:
            before = f.read().strip()
        try:
            with open(knob, "w") as f:
                f.write("2")
            st = self.stream_run(self.name("sysctl"))
        finally:
            with open(knob, "w") as f:
                f.write(before)
        self.assertIn("io_uring_disabled=2", st["io_note"])
        self.assertIn("pread", st["io_note"])

    def test_fork_refused_by_nproc_is_a_clean_error(self):
        """A real fork failure (not the injected one): nobody's process
        limit of 1 lets shmx start and refuses its first worker."""
        if os.geteuid() != 0 or not shutil.which("setpriv") or \
                not shutil.which("prlimit"):
            self.skipTest("needs root, setpriv(1) and prlimit(1) to run "
                          "shmx as nobody (root ignores RLIMIT_NPROC)")
        out = self.spec("nproc")
        p = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             "prlimit", "--nproc=1", SHMX, "gen", "-o", out, "--shape",
             "100000x8", "-j", "2"], cwd="/", env=no_leak_check(
                 dict(os.environ)), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout), (1, ""), p.stderr)
        self.assertEqual(p.stderr, "shmx: error: gen: cannot start a "
                         "worker: Resource temporarily unavailable\n")
        self.assertFalse(os.path.exists(self.shm_path("nproc")))


class Truncated(StressCase):
    """The input file cut short while workers map it (--io mmap): exit 1
    with one line saying it shrank, never a crash of the parent, nothing
    published; or, if the cut came after the last read, the same bits."""

    def test_an_input_truncated_during_the_run(self):
        n = max(3, ITER // 10)
        src = os.path.join(M["dir"], "cut.npy")
        hits = 0
        for i in range(n):
            self.iterations += 1
            shutil.copyfile(M["file"], src)
            out = self.name(f"tr{i}")
            p = subprocess.Popen(
                [SHMX, "run", "sumsq", src, "--io", "mmap", "--axis", "1",
                 "-o", "shm://" + out, "-j", "2", "--chunk", "64k"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            end = time.monotonic() + 10
            while not children(p.pid) and p.poll() is None and \
                    time.monotonic() < end:
                time.sleep(0.001)
            time.sleep(self.rng.uniform(0, 0.02))
            kids = children(p.pid)
            os.truncate(src, self.rng.choice((0, 4096, 4096 + 8 * 1000)))
            _, err = p.communicate(timeout=60)
            if p.returncode == 1:
                hits += 1
                self.count("exit 1: shrank")
                self.check_one_error_line(i, err, "shrank during the run",
                                          "SIGBUS at rows")
                if os.path.exists(shm_file(out)):
                    self.failed(i, "published after the input shrank")
            elif p.returncode == 0:
                self.count("finished before the cut")
                self.check_output(i, out, "sumsq", complete=True)
            else:
                self.failed(i, f"exit {p.returncode}: {err.strip()}")
            if temporaries_of(p.pid):
                self.failed(i, "temporary left")
            if wait_gone(kids, 2.0):
                self.failed(i, "a worker outlived the run")
        os.unlink(src)
        self.finish()
        self.assertGreater(hits, 0, "no run saw its input shrink")

    def test_an_input_truncated_during_load_or_cat(self):
        # the parent copies (load) or prints (cat) from its own mapping:
        # a SIGBUS there becomes an error line, exit 1, nothing published
        src = os.path.join(M["dir"], "cut-load.npy")
        hits = {"load": 0, "cat": 0}
        # the cut lands by chance: go on (at most 10 times as long) until
        # one run has seen it, so that the assertion below is never luck
        n, i = max(4, ITER // 5), -1
        while (i := i + 1) < n or (not sum(hits.values()) and i < 10 * n):
            cmd = ("load", "cat")[i % 2]
            self.iterations += 1
            shutil.copyfile(M["file"], src)
            out = self.name(f"tl{i}")
            args = ["load", src, "-o", "shm://" + out] if cmd == "load" \
                else ["cat", src]
            p = subprocess.Popen([SHMX, *args], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
            time.sleep(self.rng.uniform(0, 0.01 if cmd == "load" else 0.1))
            os.truncate(src, self.rng.choice((0, 4096, 4096 + 8 * 1000)))
            _, err = p.communicate(timeout=60)
            if p.returncode == 1:
                hits[cmd] += 1
                self.count(f"{cmd}: exit 1, shrank")
                self.check_one_error_line(i, err, src,
                                          "shrank while it was read")
            elif p.returncode == 0:
                self.count(f"{cmd}: finished before the cut")
            elif p.returncode == 2:  # cut before it opened: a bad input
                self.count(f"{cmd}: cut before the open")
                self.check_one_error_line(i, err, src)
            else:
                self.failed(i, f"{cmd}: exit {p.returncode}: {err.strip()}")
            if cmd == "load":
                if p.returncode and os.path.exists(shm_file(out)):
                    self.failed(i, "load published after the input shrank")
                if os.path.exists(shm_file(out)):
                    os.unlink(shm_file(out))
            if temporaries_of(p.pid):
                self.failed(i, "temporary left")
        os.unlink(src)
        self.finish()
        self.assertGreater(hits["load"] + hits["cat"], 0,
                           "no load or cat saw its input shrink")


if __name__ == "__main__":
    unittest.main()
