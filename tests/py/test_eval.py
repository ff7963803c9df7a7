"""`shmx eval` against numpy evaluating the same string.

Every expression runs through the CLI at -j 1, 2, 3 and 8 with small
chunks (so that there are several, and more workers than rows), its
result is compared with numpy 1.24's (dtype and shape included; values
exactly for integers and booleans, within 1e-12 relative for f64), and
the bytes must be the same for every -j.  Then each dtype, and every error
of the command line: exit 2, one line, nothing left in /dev/shm.
"""
import os
import warnings

import numpy as np

from shmxtest import DiskTestCase, ShmxTestCase, evict, run

NP = {
    "abs": np.abs, "sqrt": np.sqrt, "exp": np.exp, "expm1": np.expm1,
    "log": np.log, "log1p": np.log1p, "log2": np.log2, "log10": np.log10,
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "arcsin": np.arcsin,
    "arccos": np.arccos, "arctan": np.arctan, "sinh": np.sinh,
    "cosh": np.cosh, "tanh": np.tanh, "arctan2": np.arctan2,
    "hypot": np.hypot, "floor": np.floor, "ceil": np.ceil, "rint": np.rint,
    "trunc": np.trunc, "sign": np.sign, "isnan": np.isnan,
    "isinf": np.isinf, "isfinite": np.isfinite, "minimum": np.minimum,
    "maximum": np.maximum, "clip": np.clip, "where": np.where,
    "float32": np.float32, "float64": np.float64, "int8": np.int8,
    "int16": np.int16, "int32": np.int32, "int64": np.int64,
    "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32,
    "uint64": np.uint64, "bool": np.bool_, "sum": np.sum, "prod": np.prod,
    "mean": np.mean, "min": np.min, "max": np.max, "var": np.var,
    "std": np.std, "argmin": np.argmin, "argmax": np.argmax,
    "count_nonzero": np.count_nonzero, "any": np.any, "all": np.all,
    "nansum": np.nansum, "nanmean": np.nanmean, "nanmin": np.nanmin,
    "nanmax": np.nanmax, "nanvar": np.nanvar, "nanstd": np.nanstd,
    "nan": np.nan, "inf": np.inf,
}

DTYPES = ["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32",
          "f64", "bool"]
NPT = {"i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64,
       "u8": np.uint8, "u16": np.uint16, "u32": np.uint32,
       "u64": np.uint64, "f32": np.float32, "f64": np.float64,
       "bool": np.bool_}

# over x, y (R x C f64), r (C,) f64 and s (R x 1)
F64_EXPRS = [
    "x", "2*x + 3*y", "x - y / 7", "-x ** 2", "x ** 3", "x ** 0.5",
    "x ** -1", "abs(x - 0.5)", "sqrt(sum((x - 0.5)**2, axis=1))",
    "sum(x * x, axis=1)", "sum(x, axis=0)", "sum(x)", "mean(x)",
    "mean(x, axis=0)", "mean(x, axis=1)", "(x - mean(x, axis=0)) / std(x, axis=0)",
    "x - mean(x)", "var(x)", "var(x, axis=0)", "std(x, axis=1)",
    "where(x > 0.5, log1p(x), -x**2)", "sum(x > 0.5, axis=1)",
    "count_nonzero(x > 0.3, axis=0)", "count_nonzero(x > 0.3)",
    "any(x > 0.9, axis=1)", "all(x > 0.05, axis=0)", "any(x > 2)",
    "min(x, axis=1)", "max(x, axis=0)", "min(x)", "max(x - y)",
    "argmin(x, axis=1)", "argmax(x, axis=0)", "argmax(x)", "argmin(y)",
    "prod(x + 0.5, axis=1)", "prod(x + 0.5)", "x // 0.25", "x % 0.3",
    "y // (x - 0.5)", "y % (x - 0.5)", "minimum(x, y)", "maximum(x, 0.5)",
    "clip(x, 0.2, 0.7)", "clip(x, y, 0.8)", "x[:, 1]", "x[:, 1:3] * 2",
    "x[:, -1] + x[:, 0]", "sum(x[:, 0:2], axis=1)", "x + r", "x * r - s",
    "x + s", "r * 2", "sum(r)", "x - max(x)",
    "exp(x) + log(y + 1)", "sin(x) * cos(y)", "tanh(x - y)",
    "arctan2(x, y)", "hypot(x, y)", "floor(x * 10)", "rint(x * 10)",
    "sign(x - 0.5)", "float32(x) * 2.5", "int32(x * 100) // 3",
    "uint8(x * 300)", "int8(x * 300)", "bool(x > 0.5) & (y < 0.5)",
    "(x > 0.5) | (y > 0.5)", "(x > 0.5) ^ (y > 0.5)", "~(x > 0.5)",
    "isnan(x / (x - x))", "isfinite(1 / (x - x))", "nansum(x / (x > 0.3))",
    # a predicate read by another operation (its result is one byte a value)
    "isnan(log(x - 0.3)) | (x > 0.9)", "isfinite(log(x - 0.3)) * 1.5",
    "sum(isinf(1 / (x > 0.5)), axis=1)", "where(isnan(log(x - 0.3)), 0.5, x)",
    "~isfinite(log(x - 0.3))", "isnan(log(float32(x) - 0.3)) + 1",
    "nanmean(log(x - 0.3), axis=1)", "nanmin(log(x - 0.3), axis=0)",
    "nanmax(log(x - 0.3))", "nanvar(log(x - 0.3), axis=1)",
    "nanstd(log(x - 0.3))", "min(log(x - 0.3), axis=1)",
    "argmax(log(x - 0.3), axis=1)", "sum(sum(x, axis=1))",
    "max(x, axis=1) - min(x, axis=1)",
    "sum(x - mean(x, axis=0), axis=1)", "x * 0 + 1", "1 + 2 * 3",
    "mean(x - mean(x))", "x > y", "x == x", "x != y",
]

JS = (1, 2, 3, 8)
# what the quick run gives every -j (the sweep, test_eval_sweep.py, gives
# them all every -j, every size and every dtype)
KEY_EXPRS = [
    "sqrt(sum((x - 0.5)**2, axis=1))", "2*x + 3*y",
    "where(x > 0.5, log1p(x), -x**2)",
    "(x - mean(x, axis=0)) / std(x, axis=0)", "sum(x > 0.5, axis=1)",
    "argmax(x)", "var(x)", "min(x, axis=0)", "x - sum(x)", "x[:, 1:3] * 2",
]
DTYPE_EXPRS = ["x + y", "x * y", "x // y", "x % y", "x > y", "-x", "x ** 2",
               "sum(x, axis=1)", "mean(x)", "max(x, axis=0)", "argmin(x)",
               "where(x > y, x, y)", "x & y", "float32(x)", "x + 300",
               "x * 2.5", "std(x, axis=1)", "prod(x)"]


def ns(**arrays):
    d = dict(NP)
    d.update(arrays)
    return d


def numpy_eval(expr, arrays):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            return np.asarray(eval(expr, {}, ns(**arrays)))


def close(got, want, rtol, scale):
    """Exact for integers and booleans; floats within rtol of the
    magnitude of the values that made them (scale)."""
    if got.dtype.kind in "biu":
        return np.array_equal(got, want)
    return np.allclose(got, want, rtol=rtol, atol=rtol * scale,
                       equal_nan=True)


def scale_of(arrays):
    s = 1.0
    for a in arrays.values():
        f = np.abs(np.asarray(a, np.float64))
        f = f[np.isfinite(f)]
        if f.size:
            s = max(s, float(f.max()) * f.size)
    return s


class EvalTestCase(ShmxTestCase):
    def inputs(self, arrays):
        args = []
        for name, arr in arrays.items():
            args.append("%s=%s" % (name, self.save(arr, name + ".npy")))
        return args

    def check(self, expr, arrays, js=JS, chunk="64", rtol=1e-12,
              want_dtype=None):
        want = numpy_eval(expr, arrays)
        if want_dtype is None:
            want_dtype = want.dtype
            if want_dtype == np.float16:  # shmx has no f16: f32 instead
                want_dtype = np.dtype(np.float32)
                rtol = max(rtol, 1e-3)
        args = self.inputs(arrays)
        first = None
        for j in js:
            out = self.path("out%d.npy" % j)
            r = run("eval", expr, *args, "-o", out, "-j", j, "--chunk",
                    chunk)
            self.assertEqual((r.status, r.err), (0, ""),
                             "%s -j %d" % (expr, j))
            got = np.load(out)
            os.unlink(out)
            self.assertEqual(got.dtype, want_dtype, expr)
            self.assertEqual(got.shape, want.shape, expr)
            self.assertTrue(close(got, want.astype(want_dtype), rtol,
                                  scale_of(arrays)),
                            "%s -j %d:\n%s\nnumpy:\n%s" % (expr, j, got,
                                                           want))
            if first is None:
                first = got.tobytes()
            self.assertEqual(got.tobytes(), first,
                             "%s: -j %d differs from -j %d" % (expr, j,
                                                               js[0]))


class EvalF64(EvalTestCase):
    """The language over f64 inputs of several shapes."""

    def arrays(self, rows, cols, seed):
        rng = np.random.default_rng(seed)
        return {"x": rng.random((rows, cols)), "y": rng.random((rows, cols)),
                "r": rng.random(cols), "s": rng.random((rows, 1))}

    def sweep(self, exprs, shapes, js):
        for rows, cols in shapes:
            arrays = self.arrays(rows, cols, rows)
            for expr in exprs:
                with self.subTest(expr=expr, shape=(rows, cols)):
                    try:
                        numpy_eval(expr, arrays)
                    except (ValueError, IndexError):  # zero-size min, x[:, 1]
                        continue
                    self.check(expr, arrays, js=js)

    def test_every_expression(self):
        self.sweep(F64_EXPRS, [(13, 5)], (3,))

    def test_the_perf_expressions_at_every_j_and_size(self):
        self.sweep(KEY_EXPRS, [(13, 5)], JS)
        self.sweep(KEY_EXPRS, [(1, 1), (0, 3)], (2,))

    def test_a_larger_array_in_many_chunks(self):
        arrays = self.arrays(1009, 7, 5)
        for expr in ["sqrt(sum((x - 0.5)**2, axis=1))", "sum(x)",
                     "(x - mean(x, axis=0)) / std(x, axis=0)", "var(x)",
                     "argmin(x)", "sum(x > 0.5, axis=1)", "mean(x, axis=0)"]:
            with self.subTest(expr=expr):
                self.check(expr, arrays, chunk="4k")

    def test_one_dimensional_inputs(self):
        rng = np.random.default_rng(3)
        arrays = {"a": rng.random(101), "b": rng.random(101)}
        for expr in ["2*a + 3*b", "sum(a * b)", "a - mean(a)", "argmax(a)",
                     "where(a > b, a, b)", "std(a - b)"]:
            with self.subTest(expr=expr):
                self.check(expr, arrays)

    def test_where_computes_a_branch_only_where_it_is_taken(self):
        # the same values as numpy's, which computes both everywhere
        rng = np.random.default_rng(8)
        arrays = {"x": rng.standard_normal((257, 5)) * 3,
                  "y": rng.standard_normal((257, 5))}
        for expr in ["where(x > 0, log1p(x), -x**2)",
                     "where(x > 0, log(x), exp(x))",
                     "where(y < x, sin(x), cos(y)) + 1",
                     "sum(where(x > -1, log1p(x), 0), axis=1)",
                     "where(x > 0, log(x), exp(x)) * log(x)"]:
            with self.subTest(expr=expr):
                self.check(expr, arrays, js=(1, 3))

    def test_a_row_vector_that_needs_all_rows(self):
        # numpy aligns sum(x, axis=1) (R,) with the columns of x (R x R)
        rng = np.random.default_rng(4)
        arrays = {"x": rng.random((9, 9))}
        self.check("x - sum(x, axis=1)", arrays)
        self.check("x * max(x, axis=1) + mean(x, axis=0)", arrays)

    def test_printed_without_output(self):
        arrays = {"x": np.array([[1.0, 2.0], [3.0, 4.5]])}
        args = self.inputs(arrays)
        r = self.ok("eval", "sum(x, axis=1)", *args)
        self.assertEqual(r.out, "3\n7.5\n")
        self.assertEqual(self.ok("eval", "x > 2", *args).out,
                         "False False\nTrue True\n")
        self.assertEqual(self.ok("eval", "mean(x)", *args).out, "2.625\n")
        self.assertEqual(self.ok("eval", "1 + 2").out, "3\n")

    def test_a_bare_source_is_x_and_segments_work(self):
        src = self.save(np.arange(12.0).reshape(4, 3), "in.npy")
        dst = self.kept("dist")
        self.ok("eval", "sum(x, axis=1)", src, "-o", "shm://" + dst)
        got = self.load_shm(dst)
        self.assertEqual(got.tolist(), [3.0, 12.0, 21.0, 30.0])


class EvalDtypes(EvalTestCase):
    """Each dtype through arithmetic, division, comparisons, reductions."""

    EXPRS = ["x + y", "x - y", "x * y", "x // y", "x % y", "x > y",
             "x == y", "x + 1", "x * 2", "-x", "abs(x)", "x ** 2",
             "minimum(x, y)", "maximum(x, y)", "where(x > y, x, y)",
             "sum(x)", "sum(x, axis=1)", "sum(x, axis=0)", "mean(x)",
             "mean(x, axis=1)", "min(x, axis=0)", "max(x)",
             "argmin(x, axis=1)", "argmax(x)", "prod(x, axis=1)",
             "var(x, axis=0)", "std(x)", "count_nonzero(x, axis=1)",
             "any(x, axis=0)", "all(x)", "x & y", "x | y", "x ^ y", "~x",
             "float64(x)", "float32(x)", "int8(x)", "uint16(x)", "bool(x)",
             "sqrt(abs(x))", "x / y", "sign(x)", "clip(x, 1, 5)",
             "nanmax(x, axis=1)", "nansum(x)", "x + 300", "x * 2.5"]

    def sample(self, t, rows, cols, seed):
        rng = np.random.default_rng(seed)
        dt = np.dtype(NPT[t])
        if dt.kind == "b":
            return rng.random((rows, cols)) > 0.5
        if dt.kind == "f":
            a = (rng.standard_normal((rows, cols)) * 10).astype(dt)
            a.flat[0] = 0
            return a
        info = np.iinfo(dt)
        lo, hi = max(info.min, -100), min(info.max, 100)
        a = rng.integers(lo, hi, size=(rows, cols), dtype=dt)
        if a.size > 2:
            a.flat[1] = info.min
            a.flat[2] = info.max
        return a

    def sweep(self, exprs, js):
        for t in DTYPES:
            arrays = {"x": self.sample(t, 11, 3, 1),
                      "y": self.sample(t, 11, 3, 2)}
            for expr in exprs:
                try:
                    want = numpy_eval(expr, arrays)
                except (TypeError, ValueError):
                    continue  # numpy has no such loop: shmx refuses too
                with self.subTest(dtype=t, expr=expr):
                    self.check(expr, arrays, js=js,
                               rtol=1e-5 if want.dtype == np.float32
                               or t == "f32" else 1e-12)

    def test_every_dtype(self):
        self.sweep(DTYPE_EXPRS, (3,))

    def test_python_scalars_keep_the_array_dtype(self):
        arrays = {"x": np.arange(10, dtype=np.uint8).reshape(5, 2) * 30,
                  "f": np.linspace(0, 1, 6, dtype=np.float32)}
        self.check("x + 1", arrays, js=(1, 2))
        self.check("x * 3", arrays, js=(1, 2))   # wraps in u8
        self.check("f * 2.5", arrays, js=(1, 2))
        self.check("x + 300", arrays, js=(1, 2))  # u16
        self.check("x > 300", arrays, js=(1, 2))

    def test_integer_division_by_zero_and_overflow(self):
        x = np.array([[-128, 127, 5, -7, 0]], np.int8)
        y = np.array([[-1, 0, -2, 2, 0]], np.int8)
        for expr in ["x // y", "x % y", "-x", "abs(x)", "x * x",
                     "x ** 3", "x // 0", "x % 0"]:
            with self.subTest(expr=expr):
                self.check(expr, {"x": x, "y": y}, js=(1,))
        f = np.array([1.0, -1.0, 0.0, np.nan, np.inf, -3.5])
        for expr in ["f // 0", "f % 0", "f // -2", "f % -2", "f // 0.7",
                     "f % 0.7"]:
            with self.subTest(expr=expr):
                self.check(expr, {"f": f}, js=(1,))

    def test_f64_comparisons_of_special_values(self):
        # eight at a time and the tail, a scalar on either side: NaN is
        # unordered (only != holds), -0 == 0, infinities compare
        rng = np.random.default_rng(11)
        sp = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5])
        for rows, cols in [(3, 7), (13, 8)]:
            arrays = {"x": rng.choice(sp, (rows, cols)),
                      "y": rng.choice(sp, (rows, cols))}
            for op in ["<", "<=", ">", ">=", "==", "!="]:
                for expr in ["x %s y", "x %s 0.5", "-0.0 %s x",
                             "sum(x %s y, axis=1)"]:
                    with self.subTest(expr=expr % op, shape=(rows, cols)):
                        self.check(expr % op, arrays, js=(1, 3))

    def test_integers_to_negative_powers_fail_at_run_time(self):
        args = self.inputs({"x": np.array([2, 3], np.int64),
                            "y": np.array([1, -1], np.int64)})
        r = run("eval", "x ** y", *args)
        self.assertFails(r, 1, "integers to negative integer powers")


class EvalErrors(ShmxTestCase):
    """Bad input: exit 2, one line, no output left behind."""

    def setUp(self):
        super().setUp()
        self.src = self.save(np.zeros((4, 3)), "x.npy")

    def bad(self, expr, msg, *extra):
        out = self.spec("never")
        self.fails(["eval", expr, self.src, "-o", out] + list(extra), 2,
                   msg)
        self.assertFalse(os.path.exists(self.shm_path("never")))

    def test_expression_errors(self):
        cases = [
            ("sqr(x)", "expression: col 1: unknown function 'sqr' "
             "(did you mean 'sqrt'?)"),
            ("x +", "expression: col 4: unexpected end of expression"),
            ("y + 1", "expression: col 1: unknown name 'y'"),
            ("sum(x, axis=2)", "expression: col 13: axis 2 is out of "
             "bounds for array of dimension 2"),
            ("x & 1", "expression: col 3: bitwise '&' needs booleans or "
             "integers, not f64"),
            ("x[:, 5]", "expression: col 2: index 5 is out of bounds for "
             "axis 1 with size 3"),
            ("x.T", "expression: col 2: attributes are not supported "
             "(write functions: sum(x), not x.sum())"),
            ("sqrt(x, x)", None),
            ("x + zeros(3)", None),
            ("lambda: x", None),
            ("x @ x", None),
            ("sum(x, keepdims=True)", None),
            ("(" * 60000 + "x" + ")" * 60000, None),
        ]
        for expr, msg in cases:
            with self.subTest(expr=expr[:20]):
                if msg:
                    self.bad(expr, msg)
                    continue
                r = run("eval", expr, self.src, "-o", self.spec("never"))
                self.assertFails(r, 2, "expression: ")
                self.assertFalse(os.path.exists(self.shm_path("never")))

    def test_shapes_that_do_not_broadcast(self):
        y = self.save(np.zeros((4, 2)), "y.npy")
        self.fails(["eval", "x + y", "x=" + self.src, "y=" + y], 2,
                   "expression: col 3: operands could not be broadcast "
                   "together with shapes (4,3) (4,2)")

    def test_command_line_errors(self):
        self.fails(["eval"], 2, "eval: no expression given (see shmx eval "
                   "--help)")
        self.fails(["eval", "x + y", self.src, self.src], 2,
                   "eval: name the sources (NAME=SOURCE): only one may be "
                   "the bare x")
        self.fails(["eval", "x", "x=" + self.src, "x=" + self.src], 2,
                   "expression: input 'x' is named twice")
        self.fails(["eval", "x", self.src, "--io", "bad"], 2,
                   "eval: --io must be auto, mmap or stream, not 'bad'")
        self.fails(["eval", "x", self.src, "-j", "0"], 2,
                   "eval: -j must be between 1 and 4096")
        self.fails(["eval", "x", "shm://" + self.name("nope")], 2,
                   "shm://%s: no such segment" % self.name("nope"))
        self.fails(["eval", "x", "x="], 2, "eval: 'x=' names no source")
        self.fails(["eval", "x", self.src, "--axis", "1"], 2,
                   "eval: unknown option '--axis' (see shmx eval --help)")

    def test_help(self):
        r = self.ok("eval", "--help")
        self.assertTrue(r.out.startswith("usage: shmx eval EXPR"))
        self.assertIn("eval", self.ok("--help").out)

    def test_an_expression_may_begin_with_a_minus(self):
        self.assertEqual(self.ok("eval", "-x[:, 0] - 1", self.src).out,
                         "-1\n-1\n-1\n-1\n")

    def test_an_existing_output_needs_force(self):
        dst = self.kept("out")
        self.ok("eval", "x + 1", self.src, "-o", "shm://" + dst)
        r = run("eval", "x + 2", self.src, "-o", "shm://" + dst)
        self.assertFails(r, 2, "exists")
        self.assertEqual(self.load_shm(dst).tolist(), [[1.0] * 3] * 4)
        self.ok("eval", "x + 2", self.src, "-o", "shm://" + dst, "--force")
        self.assertEqual(self.load_shm(dst).tolist(), [[2.0] * 3] * 4)

    def test_a_pass_value_that_would_change_numpy_dtype(self):
        # numpy 1.24: u8 + a u64 scalar is u8 when the value fits, else u16
        src = self.save(np.array([[100, 200], [3, 4]], np.uint8), "u.npy")
        self.fails(["eval", "x + sum(x)", src, "-o", self.spec("never")], 2,
                   "expression: col 5: this u64 value does not fit u8, "
                   "which numpy 1.24's value-based casting assumed for "
                   "the result's dtype: cast it (int64(...))")
        self.assertFalse(os.path.exists(self.shm_path("never")))
        r = self.ok("eval", "x + sum(x[:, 0])", src)
        self.assertEqual(r.out, "203 47\n106 107\n")


class EvalStreams(DiskTestCase):
    """Inputs on a disk stream (--io stream) and an element-wise result
    into a file there streams its writes: the same bits as mapped."""

    def test_streamed_inputs_and_writes(self):
        rng = np.random.default_rng(9)
        x, y = rng.random((3001, 16)), rng.random((3001, 16))
        xp, yp = os.path.join(self.disk, "x.npy"), os.path.join(self.disk,
                                                                  "y.npy")
        np.save(xp, x)
        np.save(yp, y)
        for expr in ["2*x + 3*y", "sum((x - mean(x, axis=0))**2, axis=1)"]:
            with self.subTest(expr=expr):
                want = numpy_eval(expr, {"x": x, "y": y})
                outs = []
                for io in ("mmap", "stream"):
                    out = os.path.join(self.disk, "out-%s.npy" % io)
                    evict(xp)
                    evict(yp)
                    self.ok("eval", expr, "x=" + xp, "y=" + yp, "-o", out,
                            "--io", io, "--chunk", "64k", "-j", "3")
                    outs.append(np.load(out))
                    os.unlink(out)
                self.assertEqual(outs[0].tobytes(), outs[1].tobytes())
                self.assertTrue(np.allclose(outs[0], want, rtol=1e-12))
