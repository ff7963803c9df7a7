"""Shared helpers for the Python tests of shmx (run by /usr/bin/python3).

The binary comes from $SHMX (ctest sets it); run by hand with
    SHMX=build/tools/shmx /usr/bin/python3 -m unittest discover -s tests/py -p 'test_*.py'

$SHMX_WRAP, when set, is a command that run() puts in front of every shmx
it starts (scripts/test runs the CLI tests under valgrind this way:
SHMX_WRAP="valgrind --error-exitcode=99 ..."); run()'s timeouts are then
ten times longer.  Tests that start shmx themselves (Popen, to signal it)
are not wrapped.

Every segment a test names carries the marker "shmxpy-<pid>-", and
ShmxTestCase checks after each test that no name with that marker is left
in /dev/shm (temporaries included: they embed the target's name).  Only our
own names are compared: /dev/shm is shared with the Criterion tests that
ctest runs in parallel and with anything else on the machine.
"""
import json
import os
import shlex
import shutil
import subprocess
import tempfile
import unittest

import numpy as np

SHM_DIR = "/dev/shm"
MARK = "shmxpy-%d-" % os.getpid()


def shmx_binary():
    path = os.environ.get("SHMX")
    if not path:
        here = os.path.dirname(os.path.abspath(__file__))
        path = os.path.join(here, "..", "..", "build", "tools", "shmx")
    path = os.path.abspath(path)
    if not os.access(path, os.X_OK):
        raise RuntimeError("no shmx binary at %r: set $SHMX" % path)
    return path


SHMX = shmx_binary()
WRAP = shlex.split(os.environ.get("SHMX_WRAP", ""))


class Result:
    """A finished shmx: status/out/err (also as returncode/stdout/stderr)."""

    def __init__(self, proc):
        self.status = self.returncode = proc.returncode
        self.out = self.stdout = proc.stdout.decode("utf-8", "replace")
        self.err = self.stderr = proc.stderr.decode("utf-8", "replace")


def run(*args, cwd=None, env=None, timeout=60):
    """Run shmx with args (behind $SHMX_WRAP); never raises on a non-zero
    exit."""
    full_env = dict(os.environ)
    full_env.pop("SHMX_SHM_DIR", None)
    if env:
        full_env.update(env)
    proc = subprocess.run(WRAP + [SHMX] + [str(a) for a in args], cwd=cwd,
                          env=full_env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE,
                          timeout=timeout * 10 if WRAP else timeout)
    return Result(proc)


shmx = run

_hooks = None


def fault_hooks():
    """Whether this shmx has the SHMX_FAULT test hooks (Release builds do
    not): its --version says "fault injection: on" or "off"; a build that
    says neither is asked by injecting a worker death into a tiny gen."""
    global _hooks
    if _hooks is None:
        out = subprocess.run([SHMX, "--version"], stdout=subprocess.PIPE,
                             text=True).stdout
        if "fault injection:" in out:
            _hooks = "fault injection: on" in out
        else:
            with tempfile.TemporaryDirectory(prefix="shmx-probe-") as d:
                env = dict(os.environ, SHMX_FAULT="worker-chunk:0")
                p = subprocess.run(
                    [SHMX, "gen", "-o", os.path.join(d, "p.npy"), "-s", "1",
                     "-j", "1", "--stats"], env=env, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, text=True)
                try:
                    _hooks = json.loads(p.stderr)["deaths"] == 1
                except (ValueError, KeyError):
                    _hooks = False
    return _hooks


def ours():
    """The names in /dev/shm that carry this process's marker."""
    return sorted(n for n in os.listdir(SHM_DIR) if MARK in n)


def fingerprint(path):
    st = os.stat(path)
    with open(path, "rb") as f:
        return (f.read(), st.st_ino, st.st_mtime_ns, st.st_mode)


class ShmxTestCase(unittest.TestCase):
    """A scratch directory per test, unique segment names, and the check
    that nothing was left behind in /dev/shm.

    name()/spec() are names the test must not leave behind (it removes
    what it makes); kept() names an output the test may leave for tearDown
    to remove.  Anything else carrying the marker fails the test."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="shmx-pytest-")
        # a cleanup rather than tearDown: it runs too when a subclass's
        # setUp skips the test or fails after this
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.shm_before = ours()
        self._kept = []

    def tearDown(self):
        for n in self._kept:
            try:
                os.unlink(os.path.join(SHM_DIR, n))
            except FileNotFoundError:
                pass
        left = [n for n in ours() if n not in self.shm_before]
        for n in left:
            try:
                os.unlink(os.path.join(SHM_DIR, n))
            except OSError:
                pass
        self.assertEqual(left, [], "left behind in /dev/shm")

    def name(self, tag):
        return MARK + tag

    def kept(self, tag):
        n = self.name(tag)
        self._kept.append(n)
        return n

    def spec(self, tag):
        return "shm://" + self.name(tag)

    def shm_path(self, tag):
        return os.path.join(SHM_DIR, self.name(tag))

    def path(self, name):
        return os.path.join(self.tmp, name)

    def save(self, arr, name="in.npy"):
        path = self.path(name)
        np.save(path, arr)
        return path

    def load_shm(self, name):
        return np.load(os.path.join(SHM_DIR, name))

    def ok(self, *args, **kw):
        r = run(*args, **kw)
        self.assertEqual(r.status, 0, "shmx %s: exit %d: %s"
                         % (" ".join(map(str, args)), r.status, r.err))
        self.assertEqual(r.err, "")
        return r

    def fails(self, args, status, msg, **kw):
        """shmx args must exit with status and exactly this error line."""
        r = run(*args, **kw)
        self.assertEqual((r.status, r.err, r.out),
                         (status, "shmx: error: %s\n" % msg, ""),
                         "shmx %s" % " ".join(map(str, args)))
        return r

    def assertFails(self, r, status, message_part):
        """r exited with status and one error line containing part."""
        self.assertEqual(r.status, status, r.err)
        lines = r.err.strip().split("\n")
        self.assertEqual(len(lines), 1, r.err)
        self.assertTrue(lines[0].startswith("shmx: error: "), r.err)
        self.assertIn(message_part, lines[0])


def disk_dir():
    """A directory on a disk filesystem: --io stream wants O_DIRECT, which
    tmpfs lacks.  None when there is none."""
    for d in ("/var/tmp", "/tmp", os.getcwd()):
        kind = subprocess.run(["stat", "-f", "-c", "%T", d],
                              capture_output=True, text=True).stdout.strip()
        if os.path.isdir(d) and kind not in ("tmpfs", "ramfs"):
            return d
    return None


def evict(path):
    """Drop a file's clean pages from the page cache."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


class DiskTestCase(ShmxTestCase):
    """ShmxTestCase plus self.disk, a scratch directory on a disk
    filesystem (skips when there is none), removed after each test."""

    def setUp(self):
        super().setUp()
        d = disk_dir()
        if d is None:
            self.skipTest("no disk filesystem for O_DIRECT")
        self._disk = tempfile.TemporaryDirectory(prefix="shmx-disk-", dir=d)
        self.disk = self._disk.name

    def tearDown(self):
        self._disk.cleanup()
        super().tearDown()
