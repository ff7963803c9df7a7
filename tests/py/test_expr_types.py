"""shmx's expression typing (engine/expr/) against numpy 1.24 itself.

For thousands of (expression, inputs) pairs, numpy evaluates the string
over small arrays of the inputs' dtypes and shapes, and the helper
build/tests/expr_types prints the dtype and shape shmx infers.  They must
agree, numpy's float16 read as shmx's f32 (shmx has no f16 and gives f32
wherever numpy gives float16, as its built-in sqrt/exp/log do); and shmx
must refuse exactly the expressions numpy refuses (an exception, or an
object-dtype result).  Where an expression has no input, shmx folds it,
and the value must be Python's own, bit for bit.  One deviation is by design and left out: an
integer constant beyond 2**64 - 1, which numpy turns into an object array
(or compares as a Python object), shmx refuses (tests/test_expr.c).  The
helper is found beside $SHMX's build
(build/tools/shmx -> build/tests/expr_types) or at $SHMX_EXPR_TYPES.
"""
import itertools
import os
import subprocess
import unittest
import warnings

import numpy as np

DTYPES = ["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64"]
NP = {"i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64,
      "u8": np.uint8, "u16": np.uint16, "u32": np.uint32, "u64": np.uint64,
      "f32": np.float32, "f64": np.float64}
SHMX_NAME = {np.dtype(v).name: k for k, v in NP.items()}
SHMX_NAME["bool"] = "bool"
SHMX_NAME["float16"] = "f32"

FUNCS = ("abs sqrt exp expm1 log log1p log2 log10 sin cos tan arcsin arccos "
         "arctan sinh cosh tanh arctan2 hypot floor ceil rint trunc sign "
         "isnan isinf isfinite minimum maximum clip where sum prod mean min "
         "max var std argmin argmax count_nonzero any all nansum nanmean "
         "nanmin nanmax nanvar nanstd").split()
CASTS = {"float32": np.float32, "float64": np.float64, "int8": np.int8,
         "int16": np.int16, "int32": np.int32, "int64": np.int64,
         "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32,
         "uint64": np.uint64, "bool": np.bool_}


def helper_path():
    path = os.environ.get("SHMX_EXPR_TYPES")
    if not path:
        shmx = os.environ.get("SHMX") or os.path.join(
            os.path.dirname(__file__), "..", "..", "build", "tools", "shmx")
        path = os.path.join(os.path.dirname(os.path.abspath(shmx)), "..",
                            "tests", "expr_types")
    return os.path.abspath(path)


def namespace(inputs):
    ns = {name: getattr(np, name) for name in FUNCS}
    ns.update(CASTS)
    ns.update(nan=np.nan, inf=np.inf, __builtins__={})
    for name, (dt, shape) in inputs.items():
        ns[name] = np.ones(shape, NP[dt])
    return ns


def numpy_answer(expr, inputs):
    """('ok', dtype, shape) or ('error', message)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = eval(expr, namespace(inputs))  # numpy's own answer
        except Exception as e:  # numpy or Python refuses it
            return ("error", "%s: %s" % (type(e).__name__, e))
    r = np.asarray(r)
    if r.dtype.name not in SHMX_NAME:
        return ("error", "numpy gives dtype %s" % r.dtype)
    return ("ok", SHMX_NAME[r.dtype.name],
            "x".join(map(str, r.shape)) if r.shape else "()")


def shape_arg(shape):
    return "x".join(map(str, shape)) if shape else "()"


def cases():
    """(expression, {name: (dtype, shape)}) pairs."""
    out = []
    scalars = ["1", "2", "-1", "300", "-200", "100000", "2.5", "1e10", "1e40",
               "True", "2**63", "nan", "-0.0", "float32(2)",
               "int8(-5)", "uint8(200)"]
    ops = ["+", "-", "*", "/", "//", "%", "**", "<", "==", "&", "|", "^"]
    operands = {dt: ("a", {"a": (dt, (4, 3))}) for dt in DTYPES}
    operands["bool"] = ("(a > 0)", {"a": ("f64", (4, 3))})
    for op in ops:
        for (l, li), (r, ri) in itertools.product(operands.values(), repeat=2):
            rr = r.replace("a", "b")
            ri2 = {"b": v for v in ri.values()}
            out.append(("%s %s %s" % (l, op, rr), {**li, **ri2}))
        for (l, li), s in itertools.product(operands.values(), scalars):
            out.append(("%s %s %s" % (l, op, s), li))
            out.append(("%s %s %s" % (s, op, l), li))
    for s, t in itertools.product(scalars, repeat=2):
        for op in ["+", "//", "%", "**", "/", "&", "<"]:
            if op == "**" and t in ("300", "100000", "2**63"):
                continue  # Python would compute a huge integer
            out.append(("(%s) %s (%s)" % (s, op, t), {}))
    for f in FUNCS[:27]:  # element-wise, one or two arguments
        nargs = 2 if f in ("arctan2", "hypot") else 1
        for l, li in operands.values():
            out.append(("%s(%s)" % (f, ", ".join([l] * nargs)), li))
            if nargs == 2:
                out.append(("%s(%s, 2)" % (f, l), li))
                out.append(("%s(%s, 2.5)" % (f, l), li))
        out.append(("%s(%s)" % (f, ", ".join(["2"] * nargs)), {}))
    for f in ["minimum", "maximum"]:
        for (l, li), s in itertools.product(operands.values(), scalars):
            out.append(("%s(%s, %s)" % (f, l, s), li))
    for (l, li), s in itertools.product(operands.values(), scalars[:10]):
        out.append(("clip(%s, 0, %s)" % (l, s), li))
        out.append(("where(a > 1, %s, %s)" % (l, s), {"a": ("f64", (4, 3)), **li}))
    for f in FUNCS[31:]:  # reductions
        for (l, li), ax in itertools.product(operands.values(),
                                             ["", ", axis=0", ", axis=1",
                                              ", axis=-1", ", axis=None",
                                              ", axis=2"]):
            out.append(("%s(%s%s)" % (f, l, ax), li))
        out.append(("%s(v, axis=1)" % f, {"v": ("f64", (5,))}))
        out.append(("%s(v)" % f, {"v": ("i16", (5,))}))
        out.append(("%s(v)" % f, {"v": ("f32", (0,))}))
    for l, li in operands.values():
        for u in ["-", "+", "~", "--", "-~"]:
            out.append(("%s%s" % (u, l), li))
            out.append(("%s%s ** 2" % (u, l), li))
    for u in ["-", "+", "~"]:
        for s in scalars:
            out.append(("%s%s" % (u, s), {}))
    for c in CASTS:
        for l, li in operands.values():
            out.append(("%s(%s)" % (c, l), li))
    # 0-d values beside arrays: numpy 1.24 casts them by value
    for dt in DTYPES:
        for e in ["a - mean(a)", "a + sum(a)", "a * max(a)", "a / std(a)",
                  "a + s", "s * 2", "s + 2.5", "a - count_nonzero(a)"]:
            out.append((e, {"a": (dt, (4, 3)), "s": (dt, ())}))
    # broadcasting and column selection
    shapes = [(4, 3), (3,), (4, 1), (1, 3), (), (4,), (5, 3), (1,), (0, 3)]
    for sa, sb in itertools.product(shapes, repeat=2):
        out.append(("a + b", {"a": ("f64", sa), "b": ("i32", sb)}))
    for sel in ["0", "2", "-1", "-3", "3", "-4", "0:2", "1:", ":2", ":",
                "-2:", "5:9", "2:1", "-9:2"]:
        out.append(("a[:, %s]" % sel, {"a": ("u16", (4, 3))}))
        out.append(("a[:, %s]" % sel, {"a": ("u16", (4,))}))
        out.append(("sum(a[:, %s] * 2, axis=1)" % sel, {"a": ("i8", (4, 3))}))
    return out


def same_value(expr, dump):
    """Whether shmx's folded constant (its dump, Python syntax) is the
    value Python computes for the expression: bit for bit for floats
    (-0.0 included), NaN for NaN."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = eval(expr, namespace({})), eval(dump, namespace({}))
    if isinstance(a, float) or isinstance(b, float):
        return type(a) == type(b) and (repr(a) == repr(b) or
                                       (a != a and b != b))
    return type(a) == type(b) and a == b


class ExprTypes(unittest.TestCase):
    def test_dtypes_and_shapes_agree_with_numpy(self):
        helper = helper_path()
        if not os.access(helper, os.X_OK):
            self.fail("no expr_types helper at %r (build it, or set "
                      "$SHMX_EXPR_TYPES)" % helper)
        all_cases = cases()
        lines = "".join(
            "%s\t%s\n" % (e, " ".join("%s=%s:%s" % (n, dt, shape_arg(s))
                                      for n, (dt, s) in ins.items()))
            for e, ins in all_cases)
        res = subprocess.run([helper], input=lines.encode(),
                             stdout=subprocess.PIPE, check=True, timeout=120)
        got = res.stdout.decode().splitlines()
        self.assertEqual(len(got), len(all_cases))
        bad = []
        for (e, ins), line in zip(all_cases, got):
            want = numpy_answer(e, ins)
            words = line.split(" ", 4)
            if want[0] == "error":
                if words[0] != "error":
                    bad.append("%s %s: numpy refuses (%s), shmx gives %s"
                               % (e, ins, want[1], line))
            elif words[0] != "ok" or tuple(words[1:3]) != want[1:]:
                bad.append("%s %s: numpy %s %s, shmx %s"
                           % (e, ins, want[1], want[2], line))
            elif not ins and not same_value(e, words[4]):
                bad.append("%s: Python gives %r, shmx folds it to %s"
                           % (e, eval(e, namespace({})), words[4]))
        self.assertEqual(bad, [], "\n%d of %d differ:\n%s"
                         % (len(bad), len(all_cases), "\n".join(bad[:int(os.environ.get("SHOW", "60"))])))


if __name__ == "__main__":
    unittest.main()
