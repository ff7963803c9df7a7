"""Crash-safe --in-place runs: the journal, its refusals, shmx resume.

Each result is compared with an uninterrupted run of the same op on a copy
of the same input (the bytes must be the same) and, where it applies,
with numpy:

  - results of --in-place against numpy, every -j that matters, sizes 0,
    1, primes, several dtypes, segments and a file; no journal left
  - every command refuses an interrupted target (exit 1, one line that
    says how to finish), info and ls show it, resume finishes it; resume's
    own errors
  - a failure injected at every journal write and sync site (the fault
    hooks: journal-open, journal-write, journal-sync, target-sync), in the
    run and in resume, N = 1 until the run has no Nth call, and :persist;
    a worker killed at every chunk is retried with the same bytes

test_inplace_crash.py kills runs and cuts the power at random moments.
"""
import os
import random
import re
import shutil
import signal
import subprocess
import time
import unittest
import zlib

import numpy as np

from shmxtest import SHMX, DiskTestCase, fault_hooks, run

SEED = int(os.environ.get("SHMX_STRESS_SEED", str(int(time.time()))))
REFUSED = re.compile(r"^shmx: error: (.*): an --in-place run was interrupted "
                     r"\((.*), (\d+) of (\d+) chunks done\): finish it with "
                     r"'shmx resume (.*)'\n$")


def journal_of(path):
    d, b = os.path.split(path)
    return os.path.join(d, ".shmx-journal-" + b)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def env_with(**kw):
    e = dict(os.environ)
    e.pop("SHMX_SHM_DIR", None)
    e.update({k: str(v) for k, v in kw.items()})
    return e


def start(args, **env):
    """shmx in a process group of its own, so that a kill takes the
    workers too."""
    return subprocess.Popen([SHMX] + [str(a) for a in args],
                            env=env_with(**env), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)


def gone(pgid, timeout=10.0):
    """Wait until no process of the group is left."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.002)
    return False


def kill_group(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.wait()
    p.stderr.close()
    assert gone(p.pid), "a worker outlived its run"


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


class Journal(DiskTestCase):
    """Arrays on the disk filesystem (the syncs are real there)."""

    def setUp(self):
        super().setUp()
        self.rng = random.Random(SEED ^ zlib.crc32(self.id().encode()))

    def gen(self, name, shape, dtype="f64", seed=1, where=None):
        path = os.path.join(where or self.disk, name)
        r = run("gen", "-o", path, "--shape", shape, "--dtype", dtype,
                "--fill", "uniform", "--seed", seed, "-f")
        self.assertEqual(r.status, 0, r.err)
        return path

    def reference(self, src, op, *extra):
        """The bytes of an uninterrupted run of op on a copy of src."""
        ref = src + ".ref"
        shutil.copyfile(src, ref)
        r = run("run", op, ref, "--in-place", *extra)
        self.assertEqual(r.status, 0, r.err)
        data = read(ref)
        os.unlink(ref)
        return data

    def finish(self, path, *extra, env=None):
        r = run("resume", path, *extra, env=env)
        self.assertEqual((r.status, r.err), (0, ""), path)
        self.assertFalse(os.path.exists(journal_of(path)))

    def interrupted(self, path, op="scale:2", *extra):
        """Kill an --in-place run of op on path once its journal exists
        (it is rewriting then).  Retries with the run slowed by smaller
        chunks if it finished first."""
        for chunk in ("4k", "1k", "512"):
            before = read(path)
            p = start(["run", op, path, "--in-place", "-j", "1", "--chunk",
                       chunk] + list(extra))
            while p.poll() is None and not os.path.exists(journal_of(path)):
                time.sleep(0.0005)
            time.sleep(0.005)
            kill_group(p)
            if os.path.exists(journal_of(path)):
                return chunk
            write(path, before)  # it finished: start again from the same bytes
        self.skipTest("could not catch an --in-place run midway")

    def listing(self):
        return sorted(n for n in os.listdir(self.disk)
                      if not n.startswith(".shmx-journal-"))


class Results(Journal):
    OPS = (("scale:2", {"f64": lambda a: a * 2, "f32": lambda a: a * np.float32(2),
                        "i32": lambda a: (a * 2).astype(np.int32),
                        "u8": lambda a: (a * 2).astype(np.uint8)}),
           ("neg", {"f64": np.negative, "i64": np.negative}),
           ("add:3", {"f32": lambda a: a + np.float32(3), "i32": lambda a: a + 3}))

    def test_results_match_numpy_and_leave_no_journal(self):
        # segments (their syncs cost nothing), then one file on the disk
        spec, path = self.spec("r"), self.shm_path("r")
        for op, refs in self.OPS:
            for dt, ref in refs.items():
                for shape in ("0", "1", "7x3", "1009x3", "5x0"):
                    for j in ("1", "2", "3", "64"):
                        self.check(op, dt, shape, j, spec, path, ref)
        os.unlink(path)
        path = os.path.join(self.disk, "a.npy")
        self.check("scale:2", "f64", "3001x3", "2", path, path,
                   self.OPS[0][1]["f64"])

    def check(self, op, dt, shape, j, spec, path, ref):
        r = run("gen", "-o", spec, "--shape", shape, "--dtype", dt, "-f")
        self.assertEqual(r.status, 0, r.err)
        want = ref(np.load(path))
        where, base = os.path.split(path)
        mine = lambda: sorted(n for n in os.listdir(where) if base in n)
        before = mine()
        r = run("run", op, spec, "--in-place", "-j", j, "--chunk", "1k")
        self.assertEqual((r.status, r.err, r.out), (0, "", ""))
        got = np.load(path)
        self.assertEqual(got.dtype, want.dtype)
        self.assertTrue(np.array_equal(got, want), (op, dt, shape, j))
        self.assertEqual(mine(), before)


class Refusals(Journal):
    def test_every_command_refuses_an_interrupted_target(self):
        path = self.gen("a.npy", "4000x4")
        other = self.gen("b.npy", "4000x4", seed=2)
        want = self.reference(path, "scale:2")
        self.interrupted(path)
        st = os.stat(path)
        before = self.listing()
        seg = self.name("load")
        for args in (["run", "sum", path], ["run", "sum", path, "--axis", "1"],
                     ["run", "scale:2", path, "--in-place"],
                     ["run", "scale:2", other, "-o", path, "--force"],
                     ["run", "neg", path, "-o", self.spec("out")],
                     ["cat", path, "--head", "1"],
                     ["load", path, "-o", "shm://" + seg],
                     ["load", other, "-o", path, "--force"],
                     ["gen", "-o", path, "--shape", "3", "--force"],
                     ["rm", path]):
            r = run(*args)
            m = REFUSED.match(r.err)
            self.assertEqual((r.status, r.out), (1, ""), args)
            self.assertTrue(m, "%s: %r" % (args, r.err))
            self.assertEqual((m.group(1), m.group(2), m.group(4), m.group(5)),
                             (path, "scale:2", m.group(4), path))
            self.assertLess(int(m.group(3)), int(m.group(4)))
            self.assertEqual(self.listing(), before, args)
            self.assertEqual(os.stat(path).st_mtime_ns, st.st_mtime_ns, args)
        self.assertFalse(os.path.exists(os.path.join("/dev/shm", seg)))
        r = run("info", path)
        self.assertEqual(r.status, 0, r.err)
        self.assertRegex(r.out, r"\nstate: interrupted --in-place run "
                         r"\(scale:2, \d+ of \d+ chunks done\): finish it "
                         r"with 'shmx resume %s'\n" % re.escape(path))
        self.finish(path)
        self.assertEqual(read(path), want)
        self.assertNotIn("state:", run("info", path).out)
        self.assertEqual(run("cat", path, "--head", "1").status, 0)

    def test_ls_shows_an_interrupted_segment(self):
        # an interrupted file's target and journal, put in the shm directory
        path = self.gen("a.npy", "4000x4")
        want = self.reference(path, "scale:2")
        self.interrupted(path)
        name = self.name("ls")
        seg = os.path.join("/dev/shm", name)
        shutil.copyfile(path, seg)
        shutil.copyfile(journal_of(path), journal_of(seg))
        try:
            line = [l for l in run("ls").out.split("\n") if name in l]
            self.assertEqual(len(line), 1)
            self.assertTrue(line[0].endswith("  (interrupted)"), line)
            r = run("cat", "shm://" + name)
            self.assertEqual(r.status, 1)
            self.assertTrue(REFUSED.match(r.err), r.err)
            self.finish("shm://" + name)
            self.assertEqual(read(seg), want)
            line = [l for l in run("ls").out.split("\n") if name in l]
            self.assertFalse(line[0].endswith("(interrupted)"))
        finally:
            for p in (seg, journal_of(seg)):
                if os.path.exists(p):
                    os.unlink(p)
        self.finish(path)

    def test_resume_errors(self):
        path = self.gen("a.npy", "4000x4")
        self.assertEqual((run("resume", path).status, run("resume", path).err),
                         (2, "shmx: error: %s: nothing to resume (no "
                             "interrupted --in-place run)\n" % path))
        self.fails(["resume"], 2, "resume: no target given")
        self.fails(["resume", path, "x"], 2, "resume: unexpected argument 'x'")
        self.fails(["resume", path, "-j", "0"], 2,
                   "resume: -j must be between 1 and 4096")
        # the header changed under the journal: refused, journal kept
        self.interrupted(path)
        saved = read(path)
        data = bytearray(saved)
        data[200] = ord("#")  # in the header's padding
        write(path, bytes(data))
        self.fails(["resume", path], 1,
                   "%s: not the array the interrupted run began on (its "
                   "header or size changed): the journal is kept" % path)
        self.assertTrue(os.path.exists(journal_of(path)))
        write(path, saved)
        self.finish(path)
        # a journal whose headers are torn: its run never began
        self.interrupted(path)
        write(path, saved)
        j = bytearray(read(journal_of(path)))
        j[0:8192] = b"\0" * 8192
        write(journal_of(path), bytes(j))
        self.fails(["resume", path], 1,
                   "%s: the interrupted run had not begun (its journal was "
                   "incomplete, now removed): %s is unchanged, run it again"
                   % (path, path))
        self.assertFalse(os.path.exists(journal_of(path)))
        self.assertEqual(read(path), saved)

    def test_resume_refuses_while_the_run_lives(self):
        path = self.gen("a.npy", "4000x4")
        self.original = read(path)
        want = self.reference(path, "scale:2")
        p = start(["run", "scale:2", path, "--in-place", "-j", "1", "--chunk",
                   "2k"])
        while p.poll() is None and not os.path.exists(journal_of(path)):
            time.sleep(0.0005)
        os.killpg(p.pid, signal.SIGSTOP)
        try:
            if os.path.exists(journal_of(path)):
                self.fails(["resume", path], 1,
                           "%s: its --in-place run is still running: wait "
                           "for it (or kill it) first" % journal_of(path))
                r = run("cat", path)
                self.assertEqual(r.status, 1)
                self.assertRegex(r.err, r"an --in-place run is rewriting it "
                                 r"\(scale:2, \d+ of \d+ chunks done\): wait "
                                 r"for it to finish\n$")
        finally:
            kill_group(p)  # stopped, it dies of SIGKILL all the same
        if os.path.exists(journal_of(path)):
            self.finish(path)
        self.assertIn(read(path), (want, self.original))


@unittest.skipUnless(fault_hooks(), "needs a build with fault hooks")
class Faults(Journal):
    SITES = ("journal-open", "journal-write", "journal-sync", "target-sync")

    def attempt(self, path, orig, want, args, fault):
        log = os.path.join(self.tmp, "fault.log")
        if os.path.exists(log):
            os.unlink(log)
        before = self.listing()
        r = run(*args, env={"SHMX_FAULT": fault, "SHMX_FAULT_LOG": log})
        hit = os.path.exists(log)
        if not hit:
            self.assertEqual((r.status, r.err), (0, ""), fault)
        else:
            self.assertEqual(r.status, 1, (fault, r.err))
            self.assertEqual(len(r.err.strip().split("\n")), 1, r.err)
            self.assertTrue(r.err.startswith("shmx: error: "), r.err)
        if os.path.exists(journal_of(path)):
            self.assertIn("finish it with 'shmx resume %s'" % path, r.err)
            self.finish(path)
            self.assertEqual(read(path), want, (fault, r.err))
        elif hit and "is unchanged" in r.err:
            self.assertEqual(read(path), orig, (fault, r.err))
        elif hit:  # failed before a row changed, or after the last
            self.assertIn(read(path), (want, orig), (fault, r.err))
        else:
            self.assertEqual(read(path), want, fault)
        self.assertEqual(self.listing(), before, fault)
        return hit

    def sweep(self, path, want, args, prepare=None):
        orig = read(path)
        scenarios = 0
        for site in self.SITES:
            for fault in ["%s:%d" % (site, n) for n in range(1, 200)]:
                write(path, orig)
                if prepare:
                    prepare(path)
                scenarios += 1
                if not self.attempt(path, orig, want, args, fault):
                    break
            write(path, orig)
            if prepare:
                prepare(path)
            self.attempt(path, orig, want, args, site + ":1:persist")
        return scenarios

    def test_a_fault_at_every_journal_site_of_a_run(self):
        path = self.gen("f.npy", "2000x4")
        orig = read(path)
        want = self.reference(path, "scale:2", "--chunk", "8k")
        for j in ("1", "2"):
            write(path, orig)
            n = self.sweep(path, want, ["run", "scale:2", path, "--in-place",
                                        "-j", j, "--chunk", "8k"])
            self.assertGreater(n, 20)

    def test_a_fault_at_every_journal_site_of_a_resume(self):
        path = self.gen("f.npy", "2000x4")
        want = self.reference(path, "scale:2", "--chunk", "8k")

        def interrupt(p):
            r = run("run", "scale:2", p, "--in-place", "-j", "1", "--chunk",
                    "8k", "--retries", "0",
                    env={"SHMX_FAULT": "worker-chunk:3"})
            self.assertEqual(r.status, 1, r.err)
            self.assertTrue(os.path.exists(journal_of(p)))

        self.sweep(path, want, ["resume", path, "-j", "1"], interrupt)

    def test_a_worker_killed_at_every_chunk_is_retried(self):
        path = self.gen("w.npy", "2000x4")
        orig = read(path)
        want = self.reference(path, "scale:2", "--chunk", "8k")
        for k in range(8):
            for sig in ("KILL", "TERM"):
                write(path, orig)
                r = run("run", "scale:2", path, "--in-place", "-j", "2",
                        "--chunk", "8k", env={"SHMX_FAULT": "worker-chunk:%d" % k,
                                              "SHMX_FAULT_SIGNAL": sig})
                self.assertEqual((r.status, r.err), (0, ""), (k, sig))
                self.assertEqual(read(path), want, (k, sig))


if __name__ == "__main__":
    unittest.main()
