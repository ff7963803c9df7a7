"""The Python package `import shmx` (tools/python/shmx), from the build
tree: every function, zero copy, create's atomicity, results against
numpy, errors, a threaded host, Ctrl-C, nothing left in /dev/shm.

The package is imported from build/python (beside $SHMX's build) and runs
$SHMX as its tool.  By hand:
    SHMX=build/tools/shmx /usr/bin/python3 -m unittest tests/py/test_package.py
"""
import os
import pydoc
import select
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest

import numpy as np

from shmxtest import SHM_DIR, SHMX, ShmxTestCase, fault_hooks

BUILD_PY = os.path.join(os.path.dirname(os.path.dirname(SHMX)), "python")
sys.path.insert(0, BUILD_PY)
os.environ["SHMX_TOOL"] = SHMX
import shmx  # noqa: E402
from shmx import _compute  # noqa: E402

PY = "/usr/bin/python3"
MY_TEMPS = ".shmx-%d-" % os.getpid()  # the package's temporaries


def child_env():
    return dict(os.environ, PYTHONPATH=BUILD_PY, SHMX_TOOL=SHMX)


def mapped_range(path):
    """(start, end) of this process's mappings of path (/proc/self/maps)."""
    spans = []
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and parts[5] == path:
                a, b = parts[0].split("-")
                spans.append((int(a, 16), int(b, 16)))
    return spans


class Case(ShmxTestCase):
    def setUp(self):
        super().setUp()
        self.copies = 0
        real = _compute.Call.copy

        def counting(call, x):
            self.copies += 1
            return real(call, x)
        _compute.Call.copy = counting
        self.addCleanup(setattr, _compute.Call, "copy", real)
        self.made = []

    def tearDown(self):
        for spec in self.made:
            shmx.rm(spec, missing_ok=True)
        left = [n for n in os.listdir(SHM_DIR) if n.startswith(MY_TEMPS)]
        super().tearDown()
        self.assertEqual(left, [], "package temporaries left in /dev/shm")

    def make(self, tag, values):
        """A published segment holding values; its spec (removed after)."""
        with shmx.create(self.spec(tag), values.shape, values.dtype) as a:
            a[...] = values
        if self.spec(tag) not in self.made:
            self.made.append(self.spec(tag))
        return self.spec(tag)


class Attach(Case):
    def test_write_through_one_attachment_is_seen_through_another(self):
        spec = self.make("z", np.zeros((100, 3)))
        w = shmx.attach(spec, writable=True)
        r = shmx.attach(self.name("z"))  # the bare name is the segment
        w[7, 1] = 42.5
        self.assertEqual(r[7, 1], 42.5)
        self.assertIsInstance(r, np.memmap)
        # the buffer is the segment's mapping, not a copy of it
        spans = mapped_range(self.shm_path("z"))
        addr = r.__array_interface__["data"][0]
        self.assertTrue(any(a <= addr < b for a, b in spans), spans)
        self.assertEqual(addr % 4096, 0)
        with self.assertRaises(ValueError):
            r[0, 0] = 1.0  # read-only unless asked
        # another process sees the write too
        code = "import shmx; print(shmx.attach(%r)[7, 1])" % self.name("z")
        out = subprocess.run([PY, "-c", code], env=child_env(), check=True,
                             stdout=subprocess.PIPE, text=True).stdout
        self.assertEqual(out.strip(), "42.5")
        del w, r

    def test_every_dtype_and_shape(self):
        for dt in ("i1", "<i2", "<i4", "<i8", "u1", "<u2", "<u4", "<u8",
                   "<f4", "<f8"):
            for shape in ((0,), (1,), (7,), (3, 5), (0, 4), ()):
                v = (np.arange(int(np.prod(shape))) % 100).astype(dt)
                v = v.reshape(shape)
                spec = self.make("d", v)
                a = shmx.attach(spec)
                self.assertEqual((a.dtype, a.shape), (np.dtype(dt), shape))
                np.testing.assert_array_equal(a, v)
                # numpy reads the same image as is
                b = np.load(self.shm_path("d"), mmap_mode="r")
                np.testing.assert_array_equal(b, v)
                os.unlink(self.shm_path("d"))  # shmx.rm: Catalog

    def test_files_and_npy_written_by_numpy(self):
        path = self.save(np.arange(12, dtype=np.int32).reshape(3, 4))
        for t in (path, "file://" + path):
            np.testing.assert_array_equal(shmx.attach(t)[2],
                                          [8, 9, 10, 11])

    def test_missing_and_not_an_array(self):
        with self.assertRaises(FileNotFoundError) as c:
            shmx.attach(self.spec("nope"))
        self.assertIsInstance(c.exception, shmx.Error)
        self.assertEqual(str(c.exception), "%s: no such segment"
                         % self.spec("nope"))
        with self.assertRaises(FileNotFoundError):
            shmx.attach(self.path("nope.npy"))
        junk = self.path("junk.npy")
        with open(junk, "wb") as f:
            f.write(b"not an array")
        with self.assertRaises(shmx.Error) as c:
            shmx.attach(junk)
        self.assertEqual(c.exception.message, junk + ": not an NPY array")
        self.assertTrue(c.exception.bad_input)
        with self.assertRaises(shmx.Error) as c:
            shmx.attach("shm://a/b")
        self.assertIn("bad shm name", str(c.exception))


class Create(Case):
    def test_published_on_exit_and_zero_filled(self):
        spec = self.spec("c")
        with shmx.create(spec, (5, 2), "i32") as a:
            self.assertFalse(os.path.exists(self.shm_path("c")))
            np.testing.assert_array_equal(a, np.zeros((5, 2), np.int32))
            a[:] = 3
        self.made.append(spec)
        self.assertEqual(os.stat(self.shm_path("c")).st_mode & 0o777, 0o600)
        np.testing.assert_array_equal(np.load(self.shm_path("c")),
                                      np.full((5, 2), 3, np.int32))
        a[0, 0] = 9  # after the block: the published array's mapping
        self.assertEqual(shmx.attach(spec)[0, 0], 9)
        self.assertEqual(shmx.info(spec).shape, (5, 2))

    def test_exception_publishes_nothing(self):
        with self.assertRaises(ZeroDivisionError):
            with shmx.create(self.spec("e"), 1000, "f64") as a:
                a[:] = 1
                1 / 0
        self.assertFalse(os.path.exists(self.shm_path("e")))
        self.assertEqual([n for n in os.listdir(SHM_DIR)
                          if self.name("e") in n], [])

    def test_existing_refused_force_replaces_mode(self):
        spec = self.make("x", np.ones(3))
        with self.assertRaises(shmx.Error) as c:
            shmx.create(spec, 3)
        self.assertEqual(str(c.exception), "%s: already exists (use "
                         "force=True to replace it)" % spec)
        self.assertTrue(c.exception.bad_input)
        # published by someone else meanwhile: refused at the rename
        with self.assertRaises(shmx.Error):
            with shmx.create(self.spec("y"), 2) as a:
                self.make("y", np.ones(2))
        self.assertEqual(shmx.attach(self.spec("y"))[0], 1.0)
        with shmx.create(spec, 4, "u8", force=True, mode=0o640) as a:
            a[:] = 200
        self.assertEqual(os.stat(self.shm_path("x")).st_mode & 0o777, 0o640)
        np.testing.assert_array_equal(shmx.attach(spec), [200] * 4)

    def test_bad_arguments(self):
        for kw, msg in ((dict(dtype="f128"), "unsupported dtype 'f128'"),
                        (dict(dtype=object), "unsupported dtype"),
                        (dict(shape="3x"), "bad shape '3x'"),
                        (dict(shape=(2, 3, 4)), "bad shape"),
                        (dict(shape=-1), "bad shape")):
            args = dict(shape=3, dtype="f64")
            args.update(kw)
            with self.assertRaises(shmx.Error) as c:
                shmx.create(self.spec("b"), **args)
            self.assertIn(msg, str(c.exception))
        with self.assertRaises(shmx.Error) as c:
            with shmx.create(os.path.join(self.tmp, "no", "dir.npy"), 3):
                pass
        self.assertIn("No such file or directory", str(c.exception))
        self.assertNotIsInstance(c.exception, FileNotFoundError)

    def test_dtype_names(self):
        for name, want in (("i8", np.int8), ("int64", np.int64),
                           ("<f4", np.float32), (np.uint16, np.uint16)):
            with shmx.create(self.spec("n"), 2, name) as a:
                self.assertEqual(a.dtype, np.dtype(want))
            shmx.rm(self.spec("n"))

    def test_file_target_and_empty(self):
        path = self.path("out.npy")
        with shmx.create(path, (0, 3)) as a:
            self.assertEqual(a.shape, (0, 3))
        self.assertEqual(np.load(path).shape, (0, 3))
        self.assertEqual(shmx.attach(path).shape, (0, 3))

    def test_concurrent_reader_never_sees_the_name_before_the_data(self):
        name = self.name("atomic")
        rows = 1 << 17  # 8 MiB of f64, written in 8 steps
        reader = subprocess.Popen([PY, "-c", textwrap.dedent("""
            import os, sys, time, numpy as np
            path = sys.argv[1]
            t0 = time.time()
            while not os.path.exists(path):
                if time.time() - t0 > 30:
                    print("timeout"); sys.exit(1)
            a = np.load(path, mmap_mode="r")
            print("complete" if (a == 7.0).all() else "incomplete")
            """), os.path.join(SHM_DIR, name)], stdout=subprocess.PIPE,
            text=True)
        try:
            time.sleep(0.2)
            with shmx.create("shm://" + name, (rows, 8)) as a:
                for i in range(8):
                    a[i * rows // 8:(i + 1) * rows // 8] = 7.0
                    time.sleep(0.02)
                    self.assertFalse(os.path.exists(
                        os.path.join(SHM_DIR, name)))
            out, _ = reader.communicate(timeout=60)
        finally:
            reader.kill()
            reader.wait()
            shmx.rm(name, missing_ok=True)
        self.assertEqual(out.strip(), "complete")


class Catalog(Case):
    def test_ls_info_rm(self):
        spec = self.make("l", np.arange(6, dtype=np.int16).reshape(2, 3))
        names = [e.name for e in shmx.ls()]
        self.assertIn(self.name("l"), names)
        self.assertEqual(names, sorted(names))
        self.assertFalse(any(n.startswith(".") for n in names))
        i = shmx.info(spec)
        self.assertEqual((i.dtype, i.shape, i.nbytes, i.size, i.kind,
                          i.owner, i.mode),
                         (np.dtype(np.int16), (2, 3), 12, 4096 + 12, "shm",
                          os.geteuid(), 0o600))
        self.assertIsNone(i.columns)
        shmx.rm(spec)
        self.assertNotIn(self.name("l"), [e.name for e in shmx.ls()])
        with self.assertRaises(FileNotFoundError):
            shmx.info(spec)
        with self.assertRaises(FileNotFoundError) as c:
            shmx.rm(spec)
        self.assertEqual(str(c.exception), spec + ": no such segment")
        shmx.rm(spec, missing_ok=True)
        junk = self.path("junk")
        with open(junk, "w") as f:
            f.write("x")
        for fn in (shmx.info, shmx.rm):
            with self.assertRaises(shmx.Error) as c:
                fn(junk)
            self.assertTrue(c.exception.message.startswith(
                junk + ": not an NPY array"), c.exception.message)
        self.assertTrue(os.path.exists(junk))

    def test_rm_stale(self):
        d = tempfile.mkdtemp(prefix="shmx-pytest-stale-")
        self.addCleanup(os.rmdir, d)
        dead = subprocess.Popen(["true"])
        dead.wait()
        old = os.environ.get("SHMX_SHM_DIR")
        os.environ["SHMX_SHM_DIR"] = d
        try:
            stale = ".shmx-%d-0-x" % dead.pid
            live = ".shmx-%d-0-y" % os.getpid()
            for n in (stale, live):
                with open(os.path.join(d, n), "wb") as f:
                    f.write(b"\x93NUMPY")
            self.assertEqual(shmx.rm_stale(), [stale])
            self.assertEqual(os.listdir(d), [live])
            os.unlink(os.path.join(d, live))
            self.assertEqual(shmx.ls(), [])
        finally:
            if old is None:
                del os.environ["SHMX_SHM_DIR"]
            else:
                os.environ["SHMX_SHM_DIR"] = old


OPS = ("sum", "mean", "min", "max", "sumsq", "var", "std", "argmin",
       "argmax")


def numpy_op(op, a, axis):
    if op == "sumsq":
        w = a.astype({"i": np.int64, "u": np.uint64}.get(a.dtype.kind,
                                                          a.dtype))
        return (w * w).sum(axis=axis)
    return getattr(np, op)(a, axis=axis)


class Run(Case):
    def check(self, got, want):
        want = np.asarray(want)
        self.assertEqual(np.asarray(got).dtype, want.dtype)
        if want.dtype.kind == "f":
            np.testing.assert_allclose(got, want, rtol=1e-5 if
                                       want.dtype.itemsize == 4 else 1e-12)
        else:
            np.testing.assert_array_equal(got, want)

    def test_results_equal_numpy(self):
        rng = np.random.default_rng(5)
        for d, dt in enumerate((np.int8, np.uint16, np.int32, np.int64,
                                np.float32, np.float64)):
            v = (rng.random((13, 7)) * 100 - 30).astype(dt)
            spec = self.make("r", v)
            for i, op in enumerate(OPS):  # each op meets every axis
                axis = (None, 0, 1)[(i + d) % 3]
                got = shmx.run(op, spec, axis=axis)
                self.check(got, numpy_op(op, v, axis))
            shmx.rm(spec)
        self.assertEqual(self.copies, 0)

    def test_workers_and_sizes(self):
        for rows in (0, 1, 2, 3, 17, 97):
            v = np.arange(rows * 3, dtype=np.float64).reshape(rows, 3)
            spec = self.make("w", v)
            for k, j in enumerate((1, 2, 3, rows + 5)):
                if k % 2:
                    got = shmx.run("sum", spec, axis=1, workers=j, chunk=64)
                    np.testing.assert_array_equal(got, v.sum(axis=1))
                else:
                    got = shmx.run("scale:2", spec, workers=j, chunk="4k")
                    np.testing.assert_array_equal(got, v * 2)
            if rows:
                self.assertEqual(shmx.run("max", spec, workers=2), v.max())
            else:
                with self.assertRaises(shmx.Error) as c:
                    shmx.run("max", spec)
                self.assertTrue(c.exception.bad_input)
            shmx.rm(spec)

    def test_sources_attached_plain_and_views(self):
        v = np.random.default_rng(1).random((50, 4))
        spec = self.make("s", v)
        a = shmx.attach(spec)
        self.assertEqual(shmx.run("sum", a, axis=0).tolist(),
                         shmx.run("sum", spec, axis=0).tolist())
        self.assertEqual(self.copies, 0)  # recognised, not copied
        # a view is not the whole array: copied, and right
        np.testing.assert_allclose(shmx.run("sum", a[10:20], axis=0),
                                   v[10:20].sum(axis=0), rtol=1e-12)
        np.testing.assert_allclose(shmx.run("sum", a[:, 1]),
                                   v[:, 1].sum(), rtol=1e-12)
        self.assertEqual(self.copies, 2)
        # plain arrays: C order, Fortran order, big-endian, lists
        for x in (v, np.asfortranarray(v), v.astype(">f8")):
            np.testing.assert_allclose(shmx.run("sumsq", x, axis=1),
                                       (v * v).sum(axis=1), rtol=1e-12)
        self.assertEqual(shmx.run("sum", [[1, 2], [3, 4]], axis=1).tolist(),
                         [3, 7])
        # republished under the same name: the old attachment is copied
        with shmx.create(spec, 3, force=True) as b:
            b[:] = 1
        before = self.copies
        np.testing.assert_allclose(shmx.run("sum", a), v.sum(), rtol=1e-12)
        self.assertEqual(self.copies, before + 1)
        self.assertEqual(shmx.run("sum", spec), 3.0)

    def test_out_in_place_stats_and_results(self):
        v = np.arange(20, dtype=np.float64).reshape(5, 4)
        spec = self.make("o", v)
        out = self.spec("out")
        r = shmx.run("sum", spec, axis=1, out=out)
        self.made.append(out)
        np.testing.assert_array_equal(r, v.sum(axis=1))
        np.testing.assert_array_equal(np.load(self.shm_path("out")),
                                      v.sum(axis=1))
        with self.assertRaises(ValueError):
            r[0] = 1  # read-only, as attach
        with self.assertRaises(shmx.Error) as c:
            shmx.run("sum", spec, axis=1, out=out)
        self.assertIn("already exists", str(c.exception))
        shmx.run("mean", spec, axis=1, out=out, force=True)
        np.testing.assert_array_equal(shmx.attach(out), v.mean(axis=1))
        # in memory: writable, a scalar for one value
        m = shmx.run("square", spec)
        m[0, 0] = -1
        s = shmx.run("sum", spec)
        self.assertIsInstance(s, np.float64)
        self.assertEqual(s, v.sum())
        r, st = shmx.run("sum", spec, axis=0, workers=2, stats=True)
        self.assertEqual((st["op"], st["rows"]), ("sum", 5))
        shmx.run("scale:3", spec, in_place=True)
        np.testing.assert_array_equal(shmx.attach(spec), v * 3)
        with self.assertRaises(ValueError):
            shmx.run("scale:3", v, in_place=True)
        with self.assertRaises(ValueError):
            shmx.run("sum", spec, axis=2)
        # a raw file
        raw = self.path("raw.bin")
        v.astype("<i4").tofile(raw)
        self.assertEqual(shmx.run("sum", raw, dtype="i32", shape=(5, 4)),
                         v.sum())

    def test_plugin_of_two_inputs(self):
        plugins = os.environ.get("SHMX_ROWNORM")
        if not plugins:
            self.skipTest("no $SHMX_ROWNORM")
        v = np.random.default_rng(2).random((9, 5))
        got = shmx.run("plugin:%s:l2norm" % plugins, v)
        np.testing.assert_allclose(got, np.sqrt((v * v).sum(axis=1)),
                                   rtol=1e-12)

    def test_errors(self):
        with self.assertRaises(shmx.Error) as c:
            shmx.run("sqr", np.ones(3))
        e = c.exception
        self.assertEqual((e.message, e.bad_input, e.status),
                         ("unknown operation 'sqr' (see shmx run --help)",
                          True, 2))
        with self.assertRaises(FileNotFoundError) as c:
            shmx.run("sum", self.spec("missing"))
        self.assertEqual(c.exception.filename, self.spec("missing"))
        with self.assertRaises(FileNotFoundError):
            shmx.run("sum", self.path("missing.npy"))
        with self.assertRaises(shmx.Error) as c:
            shmx.run("sum", np.ones((2, 2, 2)))
        self.assertIn("bad shape", str(c.exception))
        with self.assertRaises(shmx.Error) as c:
            shmx.run("sum", np.array(["a"]))
        self.assertIn("unsupported dtype", str(c.exception))

    def test_runtime_failure(self):
        if not fault_hooks():
            self.skipTest("no fault hooks in this build")
        os.environ["SHMX_FAULT"] = "worker-chunk:0"
        try:
            with self.assertRaises(shmx.Error) as c:
                shmx.run("sum", np.ones((100, 2)), axis=1, retries=0,
                         workers=1)
        finally:
            del os.environ["SHMX_FAULT"]
        self.assertFalse(c.exception.bad_input)
        self.assertEqual(c.exception.status, 1)
        self.assertIn("worker", c.exception.message)


class Eval(Case):
    def test_results_equal_numpy(self):
        rng = np.random.default_rng(7)
        x = rng.random((31, 6))
        w = rng.random(6)
        k = (rng.random((31, 6)) * 100).astype(np.int32)
        spec = self.make("ex", x)
        ax = shmx.attach(spec)
        cases = (
            ("sqrt(sum(x**2, axis=1))", np.sqrt((x ** 2).sum(axis=1))),
            ("(x - mean(x, axis=0)) / std(x, axis=0)",
             (x - x.mean(axis=0)) / x.std(axis=0)),
            ("sum(x > w, axis=1)", (x > w).sum(axis=1)),
            ("sum(x[:, 2:5] > 0.5, axis=1)", (x[:, 2:5] > 0.5).sum(axis=1)),
            ("2*x + 3*k", 2 * x + 3 * k),
            ("where(k % 2 == 0, k // 2, -k)",
             np.where(k % 2 == 0, k // 2, -k)),
            ("x > 0.5", x > 0.5),
            ("max(x)", x.max()),
            ("-x[:, 1]", -x[:, 1]),
        )
        for expr, want in cases:
            want = np.asarray(want)
            for src, j in ((spec, 1), (ax, 2), (spec, 3), (ax, 40)):
                got = shmx.eval(expr, x=src, w=w, k=k, workers=j)
                self.assertEqual(np.asarray(got).dtype, want.dtype, expr)
                np.testing.assert_allclose(got, want, rtol=1e-12,
                                           err_msg=expr)
        # x by name (never copied), w and k copied once per call
        self.assertEqual(self.copies, 2 * len(cases) * 4)

    def test_out_bool_sizes_and_errors(self):
        for rows in (0, 1, 7):
            x = np.arange(rows * 2, dtype=np.float32).reshape(rows, 2)
            got = shmx.eval("x * 2.5", x=x)
            self.assertEqual(got.dtype, np.float32)  # numpy 1.24's rule
            np.testing.assert_array_equal(got, x * 2.5)
        b = shmx.eval("x > 2", x=np.arange(5), out=self.spec("eb"))
        self.made.append(self.spec("eb"))
        self.assertEqual(b.dtype, np.bool_)
        np.testing.assert_array_equal(shmx.attach(self.spec("eb")),
                                      np.arange(5) > 2)
        self.assertEqual(shmx.info(self.spec("eb")).dtype, np.bool_)
        # bool sources copy and compute too
        self.assertEqual(shmx.eval("count_nonzero(m)",
                                   m=np.array([True, False, True])), 2)
        with self.assertRaises(shmx.Error) as c:
            shmx.eval("sqr(x)", x=np.ones(3))
        self.assertEqual(c.exception.message, "expression: col 1: unknown "
                         "function 'sqr' (did you mean 'sqrt'?)")
        self.assertTrue(c.exception.bad_input)
        with self.assertRaises(FileNotFoundError):
            shmx.eval("x + 1", x=self.spec("none"))
        with self.assertRaises(shmx.Error):
            shmx.eval("x + y", x=np.ones(3))
        self.assertFalse(os.path.exists(self.shm_path("none")))


class LoadGen(Case):
    def test_load_npy_csv_and_errors(self):
        v = np.arange(6, dtype=np.uint8).reshape(2, 3)
        path = self.save(v)
        np.testing.assert_array_equal(shmx.load(path), v)
        out = self.spec("csv")
        csv = self.path("d.csv")
        with open(csv, "w") as f:
            f.write("a,b,c\n1,2,3\n4.5,nan,6\n")
        a = shmx.load(csv, out)
        self.made.append(out)
        np.testing.assert_array_equal(a, [[1, 2, 3], [4.5, np.nan, 6]])
        self.assertEqual(shmx.info(out).columns, ["a", "b", "c"])
        b = shmx.load(csv, columns=["c", 0], dtype="f32")
        np.testing.assert_array_equal(b, np.array([[3, 1], [6, 4.5]],
                                                  np.float32))
        tsv = self.path("d.txt")
        with open(tsv, "w") as f:
            f.write("# c\n1;2\n3;4\n")
        c = shmx.load(tsv, format="csv", delimiter=";", comment="#",
                      header=False, dtype="i64")
        np.testing.assert_array_equal(c, [[1, 2], [3, 4]])
        with open(csv, "w") as f:
            f.write("1,2\n3,n/a\n")
        with self.assertRaises(shmx.Error) as e:
            shmx.load(csv, self.spec("bad"))
        self.assertEqual(e.exception.message,
                         "%s:2:3: 'n/a' is not a number" % csv)
        self.assertTrue(e.exception.bad_input)
        self.assertFalse(os.path.exists(self.shm_path("bad")))
        with self.assertRaises(FileNotFoundError):
            shmx.load(self.path("none.csv"))

    def test_gen(self):
        g1 = shmx.gen((1000, 3), "f64", seed=4, workers=1)
        g3 = shmx.gen("1000x3", "f64", seed=4, workers=3)
        np.testing.assert_array_equal(g1, g3)
        self.assertTrue(((g1 >= 0) & (g1 < 1)).all())
        r = shmx.gen(7, "i16", fill="range", out=self.spec("g"))
        self.made.append(self.spec("g"))
        np.testing.assert_array_equal(r, np.arange(7, dtype=np.int16))
        with self.assertRaises(shmx.Error) as c:
            shmx.gen(3, fill="sideways")
        self.assertTrue(c.exception.bad_input)


class Host(Case):
    """A host with threads (numpy's BLAS among them), its own signal
    handlers and children."""

    def test_threads_blas_handlers_and_children(self):
        caught = []
        old_int = signal.signal(signal.SIGINT, lambda s, f: caught.append(s))
        old_chld = signal.signal(signal.SIGCHLD,
                                 lambda s, f: caught.append(s))
        self.addCleanup(signal.signal, signal.SIGINT, old_int)
        self.addCleanup(signal.signal, signal.SIGCHLD, old_chld)
        before = {s: signal.getsignal(s) for s in signal.valid_signals()
                  if s not in (signal.SIGKILL, signal.SIGSTOP)}
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        own = subprocess.Popen(["sleep", "30"])  # the host's own child
        v = np.random.default_rng(3).random((2000, 8))
        spec = self.make("t", v)
        want = (v * v).sum(axis=1)
        errors, stop = [], threading.Event()

        def blas():
            m = np.random.default_rng(0).random((300, 300))
            while not stop.is_set():
                m = (m @ m) / 300.0

        def worker():
            try:
                for i in range(6):
                    src = v if i % 2 else spec
                    got = shmx.run("sumsq", src, axis=1, workers=2)
                    np.testing.assert_allclose(got, want, rtol=1e-12)
            except BaseException as e:  # noqa: B902
                errors.append(e)
        bg = threading.Thread(target=blas)
        bg.start()
        ts = [threading.Thread(target=worker) for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        stop.set()
        bg.join()
        self.assertEqual(errors, [])
        after = {s: signal.getsignal(s) for s in before}
        self.assertEqual(before, after)
        self.assertEqual(signal.pthread_sigmask(signal.SIG_BLOCK, []), mask)
        self.assertNotIn(signal.SIGINT, caught)
        # the host's own child is untouched and still ours to reap; no
        # other child (no zombie) is left
        self.assertIsNone(own.poll())
        own.kill()
        self.assertEqual(own.wait(), -signal.SIGKILL)
        with self.assertRaises(ChildProcessError):
            os.waitpid(-1, os.WNOHANG)


HOSTILE = textwrap.dedent("""
    import signal, sys, time, numpy as np, shmx
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children reap themselves
    print(shmx.run("sum", np.arange(1000.0), workers=2), flush=True)
    try:
        shmx.run("sqr", np.ones(2))
    except shmx.Error as e:
        print(e, flush=True)
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM])
    t0 = time.time()
    try:
        shmx.run("exp", sys.argv[1], workers=2, chunk="256k")
        print("finished")
    except KeyboardInterrupt:
        print("KeyboardInterrupt %.1f" % (time.time() - t0))
""")


INTERRUPTED = textwrap.dedent("""
    import sys, shmx
    try:
        shmx.run("exp", sys.argv[1], workers=int(sys.argv[2]), chunk="256k")
        print("finished")
    except KeyboardInterrupt:
        print("KeyboardInterrupt")
""")


def children(pid):
    out = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                out += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return out


def alive(pid):
    """pid runs (a zombie counts: it is not gone until reaped)."""
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def state(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            return [ln for ln in f if ln.startswith(("State", "PPid"))]
    except OSError:
        return "gone"


class Interrupt(Case):
    """SIGINT to a Python running a long shmx.run: KeyboardInterrupt, no
    temporary, no worker left."""

    @classmethod
    def setUpClass(cls):
        cls.big = "shmxpy-%d-ctrlc-in" % os.getpid()
        # 256 MiB of f64: exp over it at -j 2 runs for about a second
        shmx.gen((4 << 20, 8), seed=1, out="shm://" + cls.big, workers=2)

    @classmethod
    def tearDownClass(cls):
        shmx.rm("shm://" + cls.big, missing_ok=True)

    def interrupt(self, group):
        p = subprocess.Popen([PY, "-c", INTERRUPTED, "shm://" + self.big,
                              "2"], env=child_env(), stdout=subprocess.PIPE,
                             text=True, start_new_session=True)
        try:
            mark = "-.shmx-%d-" % p.pid  # the tool's temporary of our output
            t0 = time.time()
            while not any(mark in n for n in os.listdir(SHM_DIR)):
                self.assertIsNone(p.poll(), "the child ended first")
                self.assertLess(time.time() - t0, 60)
                time.sleep(0.002)
            tool = children(p.pid)
            workers = [w for t in tool for w in children(t)]
            self.assertEqual(len(tool), 1)
            if group:  # Ctrl-C at a terminal: the whole foreground group
                os.killpg(p.pid, signal.SIGINT)
            else:      # Jupyter's interrupt: the kernel process alone
                os.kill(p.pid, signal.SIGINT)
            out, _ = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(out.strip(), "KeyboardInterrupt")
        self.assertEqual(p.returncode, 0)
        # the workers die with the tool (PR_SET_PDEATHSIG), a moment after
        t0 = time.time()
        while any(map(alive, tool + workers)) and time.time() - t0 < 10:
            time.sleep(0.01)
        for pid in tool + workers:
            self.assertFalse(alive(pid), "process %d left: %s"
                             % (pid, state(pid)))
        left = [n for n in os.listdir(SHM_DIR)
                if ".shmx-%d-" % p.pid in n or
                any(".shmx-%d-" % t in n for t in tool)]
        self.assertEqual(left, [])

    def test_interrupt_while_the_tool_starts(self):
        # a KeyboardInterrupt after the fork, before Popen() returns (it
        # waits for the exec there): the child is stopped and reaped, and
        # nothing is published after the caller has cleaned up
        real, calls = os.read, []

        def read(fd, n):
            if not calls:
                calls.append(fd)
                raise KeyboardInterrupt
            return real(fd, n)
        os.read = read
        try:
            with self.assertRaises(KeyboardInterrupt):
                shmx.run("exp", "shm://" + self.big, out=self.spec("late"))
        finally:
            os.read = real
        self.assertEqual(len(calls), 1)
        with self.assertRaises(ChildProcessError):
            os.waitpid(-1, os.WNOHANG)
        time.sleep(0.2)
        self.assertFalse(os.path.exists(self.shm_path("late")))

    def test_interrupts_anywhere_in_a_call(self):
        # KeyboardInterrupt in the main thread at any point of a call
        # (_thread.interrupt_main after 0-8 ms): it completes or raises,
        # and leaves no child, no temporary, no late publication
        import _thread
        v = np.ones((1000, 4))
        outcomes = set()
        for i in range(24):
            t = threading.Timer(i / 3000.0, _thread.interrupt_main)
            try:
                t.start()
                shmx.run("sum", v, axis=1, out=self.spec("i"))
                outcomes.add("done")
                time.sleep(0.02)  # a late interrupt lands here
            except KeyboardInterrupt:
                outcomes.add("interrupted")
            t.join()
            with self.assertRaises(ChildProcessError):
                os.waitpid(-1, os.WNOHANG)
            time.sleep(0.01)
            shmx.rm(self.spec("i"), missing_ok=True)
        self.assertIn("interrupted", outcomes)

    def test_host_ignoring_sigchld_and_blocking_sigterm(self):
        # the tool inherits both across exec; it must neither wait forever
        # for workers the kernel reaped nor ignore the package's SIGTERM
        p = subprocess.Popen([PY, "-c", HOSTILE, "shm://" + self.big],
                             env=child_env(), stdout=subprocess.PIPE,
                             text=True)
        try:
            ready, _, _ = select.select([p.stdout], [], [], 30)
            self.assertTrue(ready, "the run in a SIGCHLD-ignoring host hangs")
            self.assertEqual(p.stdout.readline().strip(), "499500.0")
            self.assertEqual(p.stdout.readline().strip(),
                             "unknown operation 'sqr' (see shmx run --help)")
            mark = "-.shmx-%d-" % p.pid
            while not any(mark in n for n in os.listdir(SHM_DIR)):
                self.assertIsNone(p.poll(), "the child ended first")
                time.sleep(0.002)
            t0 = time.time()
            os.kill(p.pid, signal.SIGINT)
            out, _ = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertTrue(out.startswith("KeyboardInterrupt"), out)
        self.assertLess(time.time() - t0, 5.0)  # not the 10 s grace
        self.assertEqual([n for n in os.listdir(SHM_DIR)
                          if ".shmx-%d-" % p.pid in n], [])

    def test_sigint_to_python_alone(self):
        self.interrupt(group=False)

    def test_sigint_to_the_process_group(self):
        self.interrupt(group=True)


class Program(Case):
    """The README's program: create, compute, attach in a second process,
    without a copy of the data."""

    def test_readme_program(self):
        n = 100000
        data = self.spec("data")
        with shmx.create(data, (n, 10), "f64") as a:
            a[:] = np.random.default_rng(0).random((n, 10))
        self.made.append(data)
        d = shmx.eval("sqrt(sum(x**2, axis=1))", x=data)
        np.testing.assert_allclose(d, np.sqrt((a ** 2).sum(axis=1)),
                                   rtol=1e-12)
        code = ("import shmx; b = shmx.attach(%r); print(b.shape, b[5, 3])"
                % self.name("data"))
        out = subprocess.run([PY, "-c", code], env=child_env(), check=True,
                             stdout=subprocess.PIPE, text=True).stdout
        self.assertEqual(out.strip(), "(100000, 10) %r" % a[5, 3])
        self.assertEqual(self.copies, 0)


    def test_readme_seed_rewrites(self):
        data = np.random.rand(1000)
        np.testing.assert_array_equal(shmx.run("square", data), data ** 2)
        with shmx.create(self.spec("sd"), data.shape) as a:
            a[:] = data
        self.made += [self.spec("sd"), self.spec("sr")]
        shmx.run("square", self.spec("sd"), out=self.spec("sr"))
        np.testing.assert_array_equal(shmx.attach(self.name("sr")), data ** 2)
        rows = np.random.rand(1000, 10)
        want = np.array([np.sum(r ** 2) for r in rows])
        np.testing.assert_allclose(shmx.run("sumsq", rows, axis=1), want,
                                   rtol=1e-12)
        self.assertEqual(self.copies, 2)


class Docs(unittest.TestCase):
    def test_help_and_docstrings(self):
        text = pydoc.render_doc(shmx)
        for name in shmx.__all__:
            obj = getattr(shmx, name)
            self.assertTrue(obj.__doc__ and len(obj.__doc__) > 40, name)
            self.assertIn(name, text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
