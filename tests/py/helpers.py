"""Shared helpers for the Python tests of the shmx command-line tool.

The binary comes from $SHMX (ctest sets it); run by hand with
    SHMX=build/tools/shmx /usr/bin/python3 -m unittest discover -s tests/py -p 'test_*.py'

Every segment a test creates carries the marker "shmxt-<pid>-", like the C
tests' names, and ShmxTestCase checks after each test that no name with
that marker is left in /dev/shm.  Only our own names are compared: /dev/shm
is shared with the Criterion tests that ctest runs in parallel and with
anything else running on the machine.
"""
import os
import shutil
import subprocess
import tempfile
import unittest

SHM_DIR = "/dev/shm"
MARK = "shmxt-%d-" % os.getpid()


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


class Result:
    def __init__(self, proc):
        self.status = proc.returncode
        self.out = proc.stdout.decode("utf-8", "replace")
        self.err = proc.stderr.decode("utf-8", "replace")


def run(*args, cwd=None, env=None, timeout=30):
    """Run shmx with args; never raises on a non-zero exit."""
    full_env = dict(os.environ)
    full_env.pop("SHMX_SHM_DIR", None)
    if env:
        full_env.update(env)
    proc = subprocess.run([SHMX] + [str(a) for a in args], cwd=cwd,
                          env=full_env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout)
    return Result(proc)


def ours():
    """The names in /dev/shm that carry this process's marker."""
    return sorted(n for n in os.listdir(SHM_DIR) if MARK in n)


def fingerprint(path):
    st = os.stat(path)
    with open(path, "rb") as f:
        return (f.read(), st.st_ino, st.st_mtime_ns, st.st_mode)


class ShmxTestCase(unittest.TestCase):
    """A scratch directory per test, unique segment names, and the check
    that nothing was left behind in /dev/shm."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="shmx-pytest-")
        self.shm_before = ours()

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        left = [n for n in ours() if n not in self.shm_before]
        for n in left:
            try:
                os.unlink(os.path.join(SHM_DIR, n))
            except OSError:
                pass
        self.assertEqual(left, [], "left behind in /dev/shm")

    def name(self, tag):
        return MARK + tag

    def spec(self, tag):
        return "shm://" + self.name(tag)

    def shm_path(self, tag):
        return os.path.join(SHM_DIR, self.name(tag))

    def path(self, name):
        return os.path.join(self.tmp, name)

    def ok(self, *args, **kw):
        r = run(*args, **kw)
        self.assertEqual(r.status, 0, "shmx %s: exit %d: %s"
                         % (" ".join(map(str, args)), r.status, r.err))
        self.assertEqual(r.err, "")
        return r

    def fails(self, args, status, msg, **kw):
        """shmx args must exit with status and exactly one error line."""
        r = run(*args, **kw)
        self.assertEqual((r.status, r.err, r.out),
                         (status, "shmx: error: %s\n" % msg, ""),
                         "shmx %s" % " ".join(map(str, args)))
        return r
