"""shmx-mpi against shmx run, bit for bit, and how a job across ranks
fails: the few mpirun runs that fit ctest's budget (each costs about a
second of MPI start-up, a failing one two: mpirun's abort).
test_mpi_heavy.py (ctest label heavy) has the whole matrix of ops,
dtypes, axes, ranks and -j, and the rarer failures.

Each run is `mpirun -q --oversubscribe -n R shmx-mpi run ...`; the data
is cut into many small chunks (--chunk) so that every rank has a range,
and once into fewer chunks than ranks (ranks with none)."""
import os
import subprocess
import unittest

import numpy as np

import mpitest
import shmxtest


def data(shape, dtype, seed=1, nans=False):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        a = rng.standard_normal(shape).astype(dtype)
        if nans:
            a[rng.random(shape) < 0.05] = np.nan
        return a
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -1000), min(info.max, 1000), shape,
                        dtype=dtype, endpoint=True)


class SameBits(mpitest.MpiTestCase):
    """R = 1..4, every kind of result: printed scalars and rows, a
    per-row result and a map into a file, several -j."""

    def test_reductions_and_maps(self):
        f64 = self.save(data((1009, 13), np.float64), "f64.npy")
        f32 = self.save(data((2003, 7), np.float32, 2, nans=True), "f32.npy")
        u8 = self.save(data((997, 5), np.uint8, 3), "u8.npy")
        i32 = self.save(data(30011, np.int32, 4), "i32.npy")
        # R, args (output: a file name for -o, or None to print)
        cases = [
            (1, ["var", f64, "-j", "2", "--chunk", "4k"], None),
            (2, ["argmax", u8, "--axis", "0", "-j", "3", "--chunk", "512"],
             None),
            (3, ["nansum", f32, "--axis", "1", "-j", "1", "--chunk", "2k"],
             "rows.npy"),
            # 3 chunks over 4 ranks: one rank computes nothing
            (4, ["mean", i32, "-j", "7", "--chunk", "40k"], None),
            (2, ["exp", u8, "-j", "2", "--chunk", "1k"], "exp.npy"),
        ]
        for ranks, args, output in cases:
            with self.subTest(ranks=ranks, args=args):
                self.same_as_shmx(ranks, args, output, stats=ranks == 3)


class EvalSameBits(mpitest.MpiTestCase):
    """shmx-mpi eval against shmx eval, R = 1..4: a per-row reduction of
    integers, an element-wise map of three f32 inputs that broadcast, a
    column reduction in an earlier pass, whole reductions printed."""

    def test_expressions(self):
        x = self.save(data((1009, 13), np.float64, 5), "x.npy")
        i16 = self.save(data((997, 5), np.int16, 6), "i16.npy")
        a = self.save(data((2003, 7), np.float32, 7), "a.npy")
        b = self.save(data(7, np.float32, 8), "b.npy")
        c = self.save(data((2003, 1), np.float32, 9), "c.npy")
        cases = [
            (1, ["sum(x % 7 - x // 3, axis=1)", i16, "-j", "2",
                 "--chunk", "1k"], None),
            (2, ["a * 2.5 + b - c", "a=" + a, "b=" + b, "c=" + c, "-j", "3",
                 "--chunk", "4k"], "map.npy"),
            (3, ["(x - mean(x, axis=0)) / std(x, axis=0)", x, "-j", "2",
                 "--chunk", "3k"], "z.npy"),
            # 4 chunks over 4 ranks, and a pass before the sums
            (4, ["sum(sqrt(abs(x - mean(x)))) + min(x) * 2", x, "-j", "1",
                 "--chunk", "32k"], None),
        ]
        for ranks, args, output in cases:
            with self.subTest(ranks=ranks, args=args):
                self.same_as_shmx(ranks, args, output, stats=ranks == 3,
                                  cmd="eval")

    def test_bad_expression(self):
        x = self.save(data((50, 3), np.float64))
        out = self.path("out.npy")
        r = mpitest.mpirun(3, ["eval", "sum(x, axis=2) + y", x, "-o", out])
        self.assertOneLine(r, 2, "expression: col ")
        self.assertNotIn("rank", r.err)  # every rank alike
        self.assertFalse(os.path.exists(out))
        self.assertNoTemporaries()


class Refused(mpitest.MpiTestCase):
    def test_segment_refused(self):
        src = self.save(data(10, np.float64))
        r = mpitest.mpirun(2, ["run", "sum", src, "-o",
                               "shm://" + self.name("y")])
        self.assertOneLine(r, 2, "shm://%s is a segment in one host's "
                           "memory" % self.name("y"))

    def test_other_command_line(self):
        src = self.save(data(10, np.float64))
        ranks = [{}, {"wrap": ["env", "SHMX_X=1"]}]
        cmd = mpitest.mpirun_args(ranks, ["run", "sum", src])
        # rank 1 runs mean: MPMD, another command line
        cmd[cmd.index(":") + 1:] = cmd[cmd.index(":") + 1:][:-3] + [
            "run", "mean", src]
        p = subprocess.run(cmd, env=mpitest.mpi_env(), capture_output=True)
        r = shmxtest.Result(p)
        self.assertOneLine(r, 2, "rank 1: its command line is not rank 0's")


class OneRankFails(mpitest.MpiTestCase):
    """What only one rank sees fails the job, with that rank's line, and
    publishes nothing."""

    def setUp(self):
        super().setUp()
        self.a = os.path.join(self.tmp, "a")
        self.b = os.path.join(self.tmp, "b")
        os.mkdir(self.a)
        os.mkdir(self.b)
        np.save(os.path.join(self.a, "x.npy"), data((300, 4), np.float64))
        self.out = self.path("out.npy")

    def run_in(self, args):
        ranks = [{"mpi": ["--wdir", self.a]}, {"mpi": ["--wdir", self.b]}]
        return mpitest.mpirun(ranks, args)

    def test_missing_input_on_one_rank(self):
        r = self.run_in(["run", "exp", "x.npy", "-o", self.out])
        self.assertOneLine(r, 2, "rank 1: x.npy: ")
        self.assertFalse(os.path.exists(self.out))
        self.assertNoTemporaries()

    def test_worker_past_retries_on_one_rank(self):
        if not shmxtest.fault_hooks():
            self.skipTest("needs the SHMX_FAULT hooks (a test build)")
        src = os.path.join(self.a, "x.npy")
        # 300 rows of 32 B in 1k chunks: 10 chunks, rank 1 has 5-9
        ranks = [{}, {"wrap": ["env", "SHMX_FAULT=worker-chunk:8:persist"]}]
        r = mpitest.mpirun(ranks, ["run", "exp", src, "-o", self.out,
                                   "--chunk", "1k", "--retries", "0"])
        self.assertOneLine(r, 1, "rank 1: exp: worker ")
        self.assertIn("killed by SIGKILL", r.err)
        self.assertFalse(os.path.exists(self.out))
        self.assertNoTemporaries()


class RankDies(mpitest.MpiTestCase):
    """SIGKILL of one rank while its workers compute its chunks."""

    def test_rank1_killed(self):
        # rank 0 is ended by mpirun (SIGTERM), says so in one line and
        # removes its temporary
        r = self.kill_rank(1)
        self.assertEqual(r.err, "shmx-mpi: error: rank 0: ended by SIGTERM "
                         "(from mpirun: a rank died, or the job was "
                         "stopped): nothing published\n")
        self.assertNoTemporaries()



class ThreeHosts(mpitest.HostsTestCase):
    """Three simulated hosts: network namespaces joined by veth pairs to a
    bridge, an orted per namespace (started by an rsh agent that enters
    it), ranks talking over TCP only."""

    def test_across_hosts(self):
        src = self.save(data((3001, 9), np.float64, 7))
        with mpitest.Hosts(3, self.tmp) as hosts:
            self.same_as_shmx(3, ["var", src, "--axis", "0", "--chunk",
                                  "2k", "-j", "2"], opts=hosts.opts())
            self.same_as_shmx(3, ["sqrt", src, "--chunk", "5k"], "sqrt.npy",
                              opts=hosts.opts())
            # a pass whose per-row vector goes to every host, and its
            # column values from rank 0
            sq = self.save(data((301, 301), np.float64, 8), "sq.npy")
            self.same_as_shmx(3, ["(x - sum(x, axis=1)) / std(x, axis=0)",
                                  sq, "--chunk", "64k"], "v.npy",
                              opts=hosts.opts(), cmd="eval")


if __name__ == "__main__":
    unittest.main()
