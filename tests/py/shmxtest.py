"""Shared helpers for the Python tests of shmx (run by /usr/bin/python3)."""
import os
import subprocess
import tempfile
import unittest

import numpy as np

SHMX = os.environ.get("SHMX") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "tools", "shmx")
SHM_DIR = os.environ.get("SHMX_SHM_DIR") or "/dev/shm"


def shmx(*args, env=None, check=False, **kw):
    """Run the CLI; returns CompletedProcess with text stdout/stderr."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([SHMX, *map(str, args)], capture_output=True,
                          text=True, env=full_env, check=check, **kw)


def shm_listing():
    """This test process's entries (its names, and temporaries made for
    them): other tests and programs may use the directory meanwhile."""
    mine = f"shmxpy-{os.getpid()}-"
    return sorted(n for n in os.listdir(SHM_DIR) if mine in n)


class ShmxTestCase(unittest.TestCase):
    """Gives each test unique segment names and a scratch directory, and
    asserts that the shm directory is left as it was found."""

    def setUp(self):
        self._before = shm_listing()
        self._tmp = tempfile.TemporaryDirectory(prefix="shmx-py-")
        self.tmp = self._tmp.name
        self._names = []

    def name(self, tag):
        n = f"shmxpy-{os.getpid()}-{self.id().rsplit('.', 1)[-1][:40]}-{tag}"
        self._names.append(n)
        return n

    def tearDown(self):
        for n in self._names:
            try:
                os.unlink(os.path.join(SHM_DIR, n))
            except FileNotFoundError:
                pass
        self._tmp.cleanup()
        self.assertEqual(shm_listing(), self._before,
                         "the test changed the shm directory")

    def save(self, arr, name="in.npy"):
        path = os.path.join(self.tmp, name)
        np.save(path, arr)
        return path

    def load_shm(self, name):
        return np.load(os.path.join(SHM_DIR, name))

    def assertFails(self, r, code, message_part):
        self.assertEqual(r.returncode, code, r.stderr)
        lines = r.stderr.strip().split("\n")
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertTrue(lines[0].startswith("shmx: error: "), r.stderr)
        self.assertIn(message_part, lines[0])
