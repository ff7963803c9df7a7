"""shmx-mpi against shmx run over more of the matrix (ctest label heavy):
every reduction (an axis each in turn), ten dtypes in turn (the nan* ops
on floats with NaNs), three maps into a file, --io stream, --in-place (refused),
empty and one-row inputs, R = 1..4
and -j 1, 2, 3, 8 in turn; and the rarer failures: another input on one
rank, a bad option said once, rank 0 killed (its temporary removed by
`shmx rm --stale`), four simulated hosts; shmx-mpi eval against shmx
eval over expressions of every kind of step, a mismatched expression and
a rank killed mid-eval.  About a second of MPI start-up
a run, two for a failing one, so the run count is kept near thirty: every
op x axis x dtype in one process is tests/test_part.c's (the split run
without MPI, which moves the same bytes)."""
import itertools
import os
import shutil
import subprocess
import unittest

import numpy as np

import mpitest
import shmxtest
from test_mpi import data

REDUCTIONS = ["sum", "mean", "min", "max", "sumsq", "var", "std", "argmin",
              "argmax", "nansum", "nanmean", "nanmin", "nanmax", "nanvar",
              "nanstd"]
MAPS = ["exp", "clip:-1:1", "cast:i16"]
DTYPES = [np.float64, np.float32, np.int64, np.int32, np.int16, np.int8,
          np.uint8, np.uint16, np.uint32, np.uint64]


class Inputs(mpitest.MpiTestCase):
    """Ranks and -j in turn, and the inputs (made once a test)."""

    def setUp(self):
        super().setUp()
        self.ranks = itertools.cycle([1, 2, 3, 4])
        self.workers = itertools.cycle(["1", "2", "3", "8"])
        self.inputs = {}

    def input(self, dtype, nans=False):
        key = (np.dtype(dtype).name, nans)
        if key not in self.inputs:
            a = data((1201, 7), dtype, len(self.inputs) + 1, nans)
            self.inputs[key] = self.save(a, "%s-%d.npy" % key)
        return self.inputs[key]


class Matrix(Inputs):
    def test_reductions(self):
        floats = itertools.cycle([np.float64, np.float32])
        dtypes = itertools.cycle(DTYPES)
        axes = itertools.cycle([None, "0", "1"])
        for op, axis in [(op, next(axes)) for op in REDUCTIONS]:
            nan = op.startswith("nan")
            src = self.input(next(floats) if nan else next(dtypes), nan)
            args = [op, src, "-j", next(self.workers), "--chunk", "2k"]
            args += ["--axis", axis] if axis else []
            r = next(self.ranks)
            with self.subTest(op=op, axis=axis, ranks=r):
                self.same_as_shmx(r, args)

    def test_maps(self):
        dtypes = itertools.cycle(DTYPES)
        for op in MAPS:
            src = self.input(next(dtypes))
            r = next(self.ranks)
            with self.subTest(op=op, ranks=r):
                self.same_as_shmx(r, [op, src, "-j", next(self.workers),
                                      "--chunk", "3k"], "map.npy")

    def test_per_row_into_file_and_printed_map(self):
        src = self.input(np.float64)
        self.same_as_shmx(4, ["std", src, "--axis", "1", "--chunk", "1k"],
                          "std.npy")
        self.same_as_shmx(3, ["sqrt", src, "--chunk", "5k", "-j", "2"])

    def test_empty_and_one_row(self):
        empty = self.save(np.zeros((0, 3)), "empty.npy")
        one = self.save(data((1, 5), np.float64), "one.npy")
        self.same_as_shmx(3, ["sum", empty])
        self.same_as_shmx(2, ["square", empty], "e.npy")
        self.same_as_shmx(4, ["var", one, "--axis", "0"])

    def test_stream(self):
        d = shmxtest.disk_dir()
        if not d:
            self.skipTest("no disk filesystem for O_DIRECT")
        src = self.input(np.float64)
        self.same_as_shmx(3, ["mean", src, "--axis", "0", "--io", "stream",
                              "--chunk", "8k"])
        tmp = self.tmp
        self.tmp = mkd = os.path.join(d, "shmx-mpi-%d" % os.getpid())
        os.mkdir(mkd)
        try:
            shutil.copy(src, mkd)
            s = os.path.join(mkd, os.path.basename(src))
            self.same_as_shmx(2, ["exp", s, "--io", "stream", "--chunk",
                                  "8k"], "exp.npy")
        finally:
            shutil.rmtree(mkd)
            self.tmp = tmp

    def test_in_place_refused(self):
        a = data((3001, 5), np.float64)
        many = self.save(a, "many.npy")
        with open(many, "rb") as f:
            before = f.read()
        r = mpitest.mpirun(3, ["run", "neg", many, "--in-place", "--chunk",
                               "2k"])
        self.assertEqual(r.status, 2)
        self.assertIn("--in-place keeps its crash-safe journal", r.err)
        with open(many, "rb") as f:
            self.assertTrue(f.read() == before)
        self.assertEqual([n for n in os.listdir(self.tmp)
                          if n.startswith(".shmx")], [])


class EvalMatrix(Inputs):
    """shmx-mpi eval against shmx eval: expressions of every kind of step
    (the built-in fast path, per-row reductions, maps, column and whole
    reductions in earlier passes, a per-row vector pass, constant
    results), dtypes in turn, R = 1..4 and -j 1, 2, 3, 8 in turn."""

    CASES = [
        # expression, dtype (square: a per-row vector broadcasts), output
        ("sum(x * x, axis=1)", np.float64, None),
        ("x + 1", np.uint8, "u8.npy"),
        ("where(x > 0, log1p(x), -x**2)", np.float64, "w.npy"),
        ("sum(x > 0.5, axis=1)", np.float32, None),
        ("x - sum(x, axis=1)", "square", "vec.npy"),
        ("mean(x, axis=0) * 2", np.int64, None),
        ("x // 3 - min(x, axis=0)", np.int32, "int.npy"),
        ("nanstd(x) / nanmean(x)", "nan", None),
        ("(x - mean(x)) > std(x)", np.float64, "bool.npy"),
        ("var(x / max(abs(x)), axis=0)", np.float64, None),
        ("float32(x) * 0.5 + int8(3)", np.uint16, "cast.npy"),
    ]

    def test_expressions(self):
        square = self.save(data((211, 211), np.float32, 3), "square.npy")
        for expr, dtype, out in self.CASES:
            src = square if dtype == "square" else \
                self.input(np.float32, True) if dtype == "nan" else \
                self.input(dtype)
            r = next(self.ranks)
            args = [expr, src, "-j", next(self.workers), "--chunk", "2k"]
            with self.subTest(expr=expr, ranks=r):
                self.same_as_shmx(r, args, out, cmd="eval")

    def test_empty(self):
        empty = self.save(np.zeros((0, 3)), "empty.npy")
        self.same_as_shmx(3, ["x - mean(x, axis=0)", empty], "e.npy",
                          cmd="eval")
        self.same_as_shmx(2, ["sum(x) + 1", empty], cmd="eval")


class RareFailures(mpitest.MpiTestCase):
    def test_other_input_on_one_rank(self):
        a, b = os.path.join(self.tmp, "a"), os.path.join(self.tmp, "b")
        os.mkdir(a)
        os.mkdir(b)
        np.save(os.path.join(a, "x.npy"), data((300, 4), np.float64))
        np.save(os.path.join(b, "x.npy"), data((301, 4), np.float64))
        out = self.path("out.npy")
        r = mpitest.mpirun([{"mpi": ["--wdir", a]}, {"mpi": ["--wdir", b]}],
                           ["run", "exp", "x.npy", "-o", out, "--chunk", "1k"])
        self.assertOneLine(r, 2, "rank 1: its inputs give another run than "
                           "rank 0's")
        self.assertFalse(os.path.exists(out))
        self.assertNoTemporaries()

    def test_bad_usage_said_once(self):
        src = self.save(data(10, np.float64))
        r = mpitest.mpirun(3, ["run", "sum", src, "--axis", "2"])
        self.assertEqual((r.status, r.err, r.out),
                         (2, "shmx-mpi: error: run: --axis must be 0 or 1, "
                          "not '2'\n", ""))

    def test_segment_input_refused(self):
        r = mpitest.mpirun(2, ["run", "sum", "shm://" + self.name("x")])
        self.assertOneLine(r, 2, "is a segment in one host's memory")

    def test_eval_other_command_line(self):
        src = self.save(data((40, 3), np.float64))
        cmd = mpitest.mpirun_args([{}, {}], ["eval", "x - mean(x, axis=0)",
                                             src])
        cmd[-2] = "x - mean(x, axis=1)"  # rank 1's expression differs
        r = shmxtest.Result(subprocess.run(cmd, env=mpitest.mpi_env(),
                                           capture_output=True))
        self.assertOneLine(r, 2, "rank 1: its command line is not rank 0's")

    def test_eval_value_refused_after_a_pass(self):
        # max(y) does not fit the u8 that numpy's value-based casting
        # assumed: every rank sees it in the values rank 0 sent
        x = self.save(np.arange(100, dtype=np.uint8).reshape(50, 2), "u8.npy")
        y = self.save(np.arange(100, dtype=np.int64).reshape(50, 2) * 100,
                      "i64.npy")
        out = self.path("out.npy")
        r = mpitest.mpirun(3, ["eval", "x + max(y)", "x=" + x, "y=" + y,
                               "-o", out, "--chunk", "100"])
        self.assertOneLine(r, 2, "expression: col 5: this i64 value does "
                           "not fit u8")
        self.assertNotIn("rank", r.err)
        self.assertFalse(os.path.exists(out))
        self.assertNoTemporaries()

    def test_eval_rank1_killed(self):
        # killed in its pass (rank 0 waits for its slots), or in the main
        # pass: nothing published either way
        r = self.kill_rank(1, ("eval", "exp(x - mean(x, axis=0))"))
        self.assertIn("rank 0: ended by SIGTERM", r.err)
        self.assertNoTemporaries()

    def test_eval_segments_and_in_place_refused(self):
        src = self.save(data(10, np.float64))
        r = mpitest.mpirun(2, ["eval", "x + 1", "shm://" + self.name("x")])
        self.assertOneLine(r, 2, "eval: shm://%s is a segment in one "
                           "host's memory" % self.name("x"))
        r = mpitest.mpirun(2, ["eval", "x + 1", src, "-o",
                               "shm://" + self.name("y")])
        self.assertOneLine(r, 2, "is a segment in one host's memory")
        r = mpitest.mpirun(2, ["eval", "x + 1", src, "--in-place"])
        self.assertOneLine(r, 2, "eval: unknown option '--in-place'")

    def test_rank0_killed(self):
        # its temporary stays, named by its dead pid: rm --stale takes it
        self.kill_rank(0)
        left = [n for n in os.listdir(self.tmp) if n.startswith(".shmx-")]
        self.assertEqual(len(left), 1, left)
        r = shmxtest.run("rm", "--stale", env={"SHMX_SHM_DIR": self.tmp})
        self.assertEqual(r.status, 0, r.err)
        self.assertNoTemporaries()


class FourHosts(mpitest.HostsTestCase):
    def test_across_hosts(self):
        src = self.save(data((4001, 6), np.float32, 9, nans=True))
        with mpitest.Hosts(4, self.tmp) as hosts:
            for args, out in [(["nanstd", src, "--chunk", "1k"], None),
                              (["argmin", src, "--axis", "1"], "am.npy"),
                              (["add:1", src, "--chunk", "4k"], "add.npy")]:
                self.same_as_shmx(4, args, out, opts=hosts.opts())


if __name__ == "__main__":
    unittest.main()
