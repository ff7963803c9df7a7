"""shmx run against numpy: values and dtypes, for every -j."""
import os
import unittest

import numpy as np

from shmxtest import ShmxTestCase, shmx

DTYPES = ["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64"]
NP = {"i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64,
      "u8": np.uint8, "u16": np.uint16, "u32": np.uint32, "u64": np.uint64,
      "f32": np.float32, "f64": np.float64}
FLOATS_AND_AN_INT = ["i16", "f32", "f64"]


def sample(dtype, shape, seed=7):
    rng = np.random.default_rng(seed)
    if np.issubdtype(NP[dtype], np.floating):
        return (rng.standard_normal(shape) * 10 + 3).astype(NP[dtype])
    info = np.iinfo(NP[dtype])
    lo, hi = max(info.min, -100), min(info.max, 100)
    return rng.integers(lo, hi, size=shape, endpoint=True).astype(NP[dtype])


def widened(a):
    """a in the type numpy sums it in: int64, uint64 or its own float."""
    return a.astype(np.int64 if a.dtype.kind == "i" else
                    np.uint64 if a.dtype.kind == "u" else a.dtype)


def index_of(fn):
    return lambda a, axis: np.asarray(fn(a, axis=axis), dtype=np.int64)


# Every operation that `shmx run --help` lists has one entry in REDUCTIONS
# or MAPS, keyed by its name (test_every_listed_op_has_a_reference): a new
# op needs its entry here and nothing else in this file.
#
# A reduction: numpy's fn(a, axis), and the dtypes to run it on.
REDUCTIONS = {
    "sum": (np.sum, DTYPES),
    "mean": (np.mean, DTYPES),
    "min": (np.min, DTYPES),
    "max": (np.max, DTYPES),
    "sumsq": (lambda a, axis: (widened(a) * widened(a)).sum(axis=axis),
              DTYPES),
    "var": (np.var, DTYPES),
    "std": (np.std, DTYPES),
    "argmin": (index_of(np.argmin), DTYPES),
    "argmax": (index_of(np.argmax), DTYPES),
    "nansum": (np.nansum, FLOATS_AND_AN_INT),
    "nanmean": (np.nanmean, FLOATS_AND_AN_INT),
    "nanmin": (np.nanmin, FLOATS_AND_AN_INT),
    "nanmax": (np.nanmax, FLOATS_AND_AN_INT),
    "nanvar": (np.nanvar, FLOATS_AND_AN_INT),
    "nanstd": (np.nanstd, FLOATS_AND_AN_INT),
}

# A map: the specs to run with numpy's fn(a) for each, the dtypes, whether
# the input must be positive (sqrt, log) and whether the values must be
# equal (else within 1e-15).
MAPS = {
    "square": ([("square", np.square)], DTYPES, False, True),
    "abs": ([("abs", np.abs)], DTYPES, False, True),
    "neg": ([("neg", np.negative)], DTYPES, False, True),
    "sqrt": ([("sqrt", np.sqrt)], ["f64"], True, False),
    "exp": ([("exp", np.exp)], ["f64"], True, False),
    "log": ([("log", np.log)], ["f64"], True, False),
    "scale": ([("scale:2.5", lambda a: a * 2.5)], ["f64"], True, False),
    "add": ([("add:-1", lambda a: a + -1)], ["f64"], True, False),
    "clip": ([("clip:1:5", lambda a: np.clip(a, 1, 5))], ["f64"], True,
             False),
    "cast": ([("cast:f32", lambda a: a.astype(np.float32)),
              ("cast:i32", lambda a: a.astype(np.int32))], ["f64"], True,
             False),
}


def listed_ops():
    """The op names in `shmx run --help` (its OP, ... paragraphs)."""
    r = shmx("run", "--help")
    ops, taking = [], False
    for line in r.stdout.splitlines():
        if line.startswith("OP,"):
            taking = True
        elif taking and line.startswith("  ") and not line.lstrip().startswith("-"):
            ops += [w.split(":")[0] for w in line.split()]
        elif not line.strip():
            taking = False
    return ops


def reference(op, a, axis):
    return REDUCTIONS[op][0](a, axis)


class RunMatchesNumpy(ShmxTestCase):
    def check(self, op, a, axis, jobs=(1, 2, 3)):
        src = self.save(a)
        want = np.asarray(reference(op, a, axis))
        outs = []
        for j in jobs:
            out = self.kept(f"{op}-{a.dtype}-{axis}-{j}-{len(self._kept)}")
            args = ["run", op, src, "-o", f"shm://{out}", "-j", j,
                    "--chunk", "64"]
            if axis is not None:
                args += ["--axis", axis]
            r = shmx(*args)
            self.assertEqual(r.returncode, 0, r.stderr)
            got = self.load_shm(out)
            self.assertEqual(got.dtype, want.dtype, f"{op} {a.dtype} axis={axis}")
            self.assertEqual(got.shape, want.shape)
            tol = 1e-5 if a.dtype == np.float32 or want.dtype == np.float32 else 1e-12
            if want.dtype.kind == "f":
                np.testing.assert_allclose(got, want, rtol=tol, atol=tol * np.nanmax(np.abs(a), initial=1))
            else:
                np.testing.assert_array_equal(got, want)
            outs.append(got.tobytes())
        self.assertEqual(len(set(outs)), 1, "results differ across -j")

    def test_every_listed_op_has_a_reference(self):
        ops = listed_ops()
        self.assertIn("sum", ops)
        self.assertIn("cast", ops)
        for op in ops:
            with self.subTest(op=op):
                self.assertTrue(op in REDUCTIONS or op in MAPS,
                                f"{op} has no numpy reference in this file")
        for op in list(REDUCTIONS) + list(MAPS):
            with self.subTest(op=op):
                self.assertIn(op, ops, f"{op} is not in shmx run --help")

    def test_reductions_every_dtype_and_axis(self):
        for op, (_, dtypes) in REDUCTIONS.items():
            for dt in dtypes:
                a = sample(dt, (37, 11))
                for axis in (None, 0, 1):
                    with self.subTest(op=op, dtype=dt, axis=axis):
                        self.check(op, a, axis, jobs=(1, 3))

    def test_one_dimensional_input(self):
        a = sample("f64", (101,))
        for op in ("sum", "std", "argmax"):
            self.check(op, a, None)
            self.check(op, a, 0)

    def test_nan_aware_reductions(self):
        a = sample("f64", (13, 5))
        a[2, 3] = np.nan
        a[7, :] = np.nan
        for op in ("nansum", "nanmean", "nanmin", "nanmax", "nanvar", "nanstd"):
            for axis in (None, 0):
                with self.subTest(op=op, axis=axis):
                    src = self.save(a)
                    out = self.kept(f"{op}-{axis}-{len(self._kept)}")
                    args = ["run", op, src, "-o", f"shm://{out}"]
                    if axis is not None:
                        args += ["--axis", axis]
                    r = shmx(*args)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    np.testing.assert_allclose(self.load_shm(out),
                                               getattr(np, op)(a, axis=axis),
                                               rtol=1e-12)

    def test_nan_propagates_like_numpy(self):
        a = sample("f64", (6, 4))
        a[3, 1] = np.nan
        for op, axis in (("sum", None), ("max", 0), ("argmin", None), ("var", 1)):
            with self.subTest(op=op):
                self.check(op, a, axis, jobs=(1, 2))

    def test_maps(self):
        for op, (specs, dtypes, positive, exact) in MAPS.items():
            for dt in dtypes:
                a = sample(dt, (17, 3) if exact else (29, 7))
                if positive:
                    a = np.abs(a) + 0.5
                for spec, fn in specs:
                    with self.subTest(op=spec, dtype=dt):
                        src = self.save(a)
                        out = self.kept(f"{spec.replace(':', '_')}-{dt}")
                        r = shmx("run", spec, src, "-o", f"shm://{out}",
                                 "-j", 2 if exact else 3)
                        self.assertEqual(r.returncode, 0, r.stderr)
                        got = self.load_shm(out)
                        with np.errstate(all="ignore"):
                            want = fn(a)
                        self.assertEqual(got.dtype, want.dtype)
                        if exact:
                            np.testing.assert_array_equal(got, want)
                        else:
                            np.testing.assert_allclose(got, want, rtol=1e-15)

    def test_in_place_map_rewrites_the_input(self):
        a = sample("f64", (31, 4))
        src = self.save(a)
        r = shmx("run", "scale:3", src, "--in-place", "-j", 2, "--chunk", "96")
        self.assertEqual(r.returncode, 0, r.stderr)
        np.testing.assert_array_equal(np.load(src), a * 3)

    def test_print_without_output(self):
        a = np.arange(12, dtype=np.float64).reshape(3, 4)
        r = shmx("run", "sum", self.save(a), "--axis", "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "6\n22\n38\n")
        r = shmx("run", "mean", self.save(a))
        self.assertEqual(r.stdout, "5.5\n")

    def test_sizes_zero_one_and_more_workers_than_rows(self):
        for shape in ((0, 3), (1, 1), (2, 5), (3, 0)):
            a = sample("f64", shape)
            for op, axis in (("sum", None), ("sum", 1), ("mean", 0)):
                with self.subTest(shape=shape, op=op, axis=axis):
                    with np.errstate(all="ignore"):
                        self.check(op, a, axis, jobs=(1, 4, 8))

    def test_zero_size_min_is_an_error_and_leaves_nothing(self):
        src = self.save(np.zeros((0, 3)))
        out = self.kept("empty")
        r = shmx("run", "min", src, "-o", f"shm://{out}")
        self.assertFails(r, 2, "zero-size array")
        self.assertFalse(os.path.exists(f"/dev/shm/{out}"))

    def test_stats_json(self):
        import json
        a = sample("f64", (1000, 8))
        r = shmx("run", "sumsq", self.save(a), "--axis", "1", "-o",
                 f"shm://{self.kept('st')}", "-j", 2, "--chunk", "8k", "--stats")
        self.assertEqual(r.returncode, 0, r.stderr)
        st = json.loads(r.stderr)
        for k in ("op", "workers", "chunks", "rows", "bytes_in", "bytes_out",
                  "setup", "compute", "merge", "publish", "total", "gb_per_s",
                  "per_worker"):
            self.assertIn(k, st)
        self.assertEqual(st["workers"], 2)
        self.assertEqual(st["rows"], 1000)
        self.assertEqual(st["chunks"], 8)  # 8 KiB / 64 B = 128 rows a chunk
        self.assertEqual(sum(w["rows"] for w in st["per_worker"]), 1000)
        self.assertEqual(st["bytes_in"], 64000)


if __name__ == "__main__":
    unittest.main()
