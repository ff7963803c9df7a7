"""Worker deaths and signals during `shmx run`: a correct result or a clean
failure, never a half-published output, a leaked segment or a live worker."""
import os
import signal
import subprocess
import time
import unittest

import numpy as np

from shmxtest import SHMX, SHM_DIR, ShmxTestCase, fault_hooks, shmx


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except FileNotFoundError:
        return []


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def wait_for_children(proc, n=1, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        kids = children(proc.pid)
        if len(kids) >= n:
            return kids
        if proc.poll() is not None:
            break
        time.sleep(0.002)
    raise AssertionError("no worker appeared")


# A worker that raises SIGSEGV must die of it, also in the sanitizer build
# (ASan would catch the signal, print a report and exit instead).
NO_ASAN_SEGV = {"ASAN_OPTIONS": ":".join(
    filter(None, [os.environ.get("ASAN_OPTIONS"), "handle_segv=0"]))}


class WorkerFaults(ShmxTestCase):
    def setUp(self):
        super().setUp()
        if not fault_hooks():
            self.skipTest("this shmx has no test hooks (a Release build): "
                          "SHMX_FAULT=worker-chunk is compiled out")
        self.a = np.random.default_rng(1).standard_normal((4000, 16))
        self.src = self.save(self.a)

    def run_op(self, out, *extra, env=None):
        return shmx("run", "sumsq", self.src, "--axis", 1, "-o", f"shm://{out}",
                    "--chunk", "4k", *extra, env=env)

    def test_injected_kill_is_recovered_with_the_same_bits(self):
        ref = self.kept("ref")
        self.assertEqual(self.run_op(ref, "-j", 1).returncode, 0)
        for sig in ("KILL", "SEGV"):
            with self.subTest(signal=sig):
                out = self.kept(f"rec-{sig}")
                r = self.run_op(out, "-j", 2, "--stats",
                                env={"SHMX_FAULT": "worker-chunk:5",
                                     "SHMX_FAULT_SIGNAL": sig, **NO_ASAN_SEGV})
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn('"deaths":1', r.stderr)
                self.assertEqual(self.load_shm(out).tobytes(),
                                 self.load_shm(ref).tobytes())

    def test_without_retries_a_death_fails_and_publishes_nothing(self):
        out = self.kept("noretry")
        r = self.run_op(out, "-j", 2, "--retries", 0,
                        env={"SHMX_FAULT": "worker-chunk:3"})
        self.assertFails(r, 1, "killed by SIGKILL at rows 96-127")
        self.assertIn("worker ", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(SHM_DIR, out)))

    def test_persistent_fault_exhausts_retries(self):
        out = self.kept("persist")
        r = self.run_op(out, "-j", 2, "--retries", 3,
                        env={"SHMX_FAULT": "worker-chunk:7:persist",
                             "SHMX_FAULT_SIGNAL": "SEGV", **NO_ASAN_SEGV})
        self.assertFails(r, 1, "killed by SIGSEGV")
        self.assertIn("--retries 3", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(SHM_DIR, out)))


class OutsideSignals(ShmxTestCase):
    """Real signals from outside, on a run long enough to catch."""

    def setUp(self):
        super().setUp()
        self.big = self.kept("big")
        r = shmx("gen", "-o", f"shm://{self.big}", "--shape", "4000000x8",
                 "--seed", 3)
        self.assertEqual(r.returncode, 0, r.stderr)

    def start(self, out, *extra):
        return subprocess.Popen(
            [SHMX, "run", "exp", f"shm://{self.big}", "-o", f"shm://{out}",
             "-j", "2", "--chunk", "256k", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def test_a_worker_killed_from_outside_is_replaced(self):
        ref = self.kept("ref")
        self.assertEqual(shmx("run", "exp", f"shm://{self.big}", "-o",
                              f"shm://{ref}", "-j", 1).returncode, 0)
        out = self.kept("killed")
        p = self.start(out, "--stats")
        victim = wait_for_children(p)[0]
        os.kill(victim, signal.SIGKILL)
        _, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        got, want = self.load_shm(out), self.load_shm(ref)
        self.assertEqual(got.tobytes(), want.tobytes())

    def test_parent_signals_stop_workers_and_remove_the_temporary(self):
        for sig, code in ((signal.SIGINT, -signal.SIGINT),
                          (signal.SIGTERM, -signal.SIGTERM)):
            with self.subTest(signal=sig):
                out = self.kept(f"sig{int(sig)}")
                p = self.start(out)
                kids = wait_for_children(p, 2)
                os.kill(p.pid, sig)
                p.communicate(timeout=30)
                self.assertEqual(p.returncode, code)
                time.sleep(0.2)
                self.assertFalse(any(alive(k) for k in kids), "a worker lives on")
                self.assertFalse(os.path.exists(os.path.join(SHM_DIR, out)))

    def test_parent_sigkill_leaves_no_worker_and_a_stale_temporary(self):
        out = self.kept("sigkill")
        p = self.start(out)
        kids = wait_for_children(p, 2)
        os.kill(p.pid, signal.SIGKILL)
        p.communicate(timeout=30)
        deadline = time.monotonic() + 5
        while any(alive(k) for k in kids) and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertFalse(any(alive(k) for k in kids), "a worker outlived SIGKILL")
        self.assertFalse(os.path.exists(os.path.join(SHM_DIR, out)))
        stale = [n for n in os.listdir(SHM_DIR)
                 if n.startswith(f".shmx-{p.pid}-")]
        self.assertEqual(len(stale), 1, "the temporary should be left for rm --stale")
        r = shmx("rm", "--stale")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(stale[0], r.stdout)
        self.assertFalse(os.path.exists(os.path.join(SHM_DIR, stale[0])))


if __name__ == "__main__":
    unittest.main()
