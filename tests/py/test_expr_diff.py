"""shmx eval against numpy on random expressions (a differential test).

Random, seeded expression trees over inputs of several dtypes and shapes
(R x C, a row vector of C, an R x 1 column, 0-d, a wider array for column
slices, a bool array, an array with NaNs for the nan* reductions):
numbers, arithmetic, comparisons, & | ^ ~, where, the math functions on
safe domains, casts, column selection and the reductions with axis
None/0/1, nested.  Each expression is evaluated by `shmx eval` at several
-j (and a small --chunk, so that there are many chunks) and by numpy: the
same string, eval'd with numpy's functions bound to the names.  dtype and
shape must agree, the values exactly for integers and bools, to 1e-12
relative for f64 and 1e-6 for f32 (a few ulp); the outputs of all -j must
be bit-identical.

Well-conditioned: a tree is built bottom-up and every node is evaluated by
numpy as it is made; one that warns (overflow, division by zero, an
invalid value or cast), gives a non-finite value or float16 (shmx has no
f16: numpy's float16 results are its own rounding, not comparable), or is
large, is made again.  The whole expression is then evaluated twice more
with every computed float perturbed by a few ulp (sums by a few ulp of the
sum of magnitudes, as a different summation order would): an expression
whose result moves by more than an eighth of the tolerance (or whose
integers or bools change at all) is ill-conditioned at these data and
replaced by another.  So a difference is shmx's, not rounding's.

Reproducible: SHMX_DIFF_SEED (default below) fixes every dataset and
expression; a failure prints the expression, its inputs, the seed and
SHMX_DIFF_ONLY=D.K to run that one case alone.  SHMX_DIFF_CASES sets the
number of expressions per dataset (default 32, 12 in a build with the
fault hooks).
"""
import math
import os
import random
import re
import unittest
import warnings

import numpy as np

from shmxtest import ShmxTestCase, fault_hooks, run

SEED = int(os.environ.get("SHMX_DIFF_SEED", "20261201"))
# expressions a dataset: 32 in Release (~6 s of CPU); the builds with the
# fault hooks (ASan, coverage: several times slower) run the first 12
CASES = int(os.environ.get("SHMX_DIFF_CASES") or (12 if fault_hooks() else 32))
ONLY = os.environ.get("SHMX_DIFF_ONLY")  # "D.K": dataset D, case K
JOBS = (1, 2, 3, 8)
RTOL = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-6}
# shmx's one deviation by design: a 0-d value computed by an earlier pass
# (a reduction) is assumed to fit the dtype numpy 1.24's value-based
# casting would give for most values; one that does not is refused after
# that pass (exit 2, this message) rather than retyping the expression.
VALUE_BASED = "which numpy 1.24's value-based casting assumed"

# (rows, cols, --chunk bytes or None): rows 1, primes, more rows than
# workers and fewer; chunks of one row up to the default
DATASETS = [(1, 1, None), (2, 3, 1), (7, 5, 64), (13, 1, 16), (31, 4, 100),
            (97, 3, 1), (257, 6, 1000), (1031, 2, 4096)]

FUNCS = ("abs sqrt exp expm1 log log1p log2 log10 sin cos tan arcsin arccos "
         "arctan sinh cosh tanh arctan2 hypot floor ceil rint trunc sign "
         "isnan isinf isfinite minimum maximum clip where sum prod mean min "
         "max var std argmin argmax count_nonzero any all nansum nanmean "
         "nanmin nanmax nanvar nanstd").split()
CAST_TYPES = {"float32": np.float32, "float64": np.float64, "int8": np.int8,
              "int16": np.int16, "int32": np.int32, "int64": np.int64,
              "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32,
              "uint64": np.uint64, "bool": np.bool_}


def caster(t):
    """numpy's cast to t that keeps the shape: np.float64(a) of an array
    of one element would give a scalar."""
    return lambda v: t(v) if np.ndim(v) == 0 else np.asarray(v).astype(t)


CASTS = {name: caster(t) for name, t in CAST_TYPES.items()}
NAMESPACE = {**{f: getattr(np, f) for f in FUNCS}, **CASTS,
             "nan": np.nan, "inf": np.inf, "__builtins__": {}}

# shape classes: M (R, C), V (C,), R (R,), K (R, 1), S ()
PAIRS = {"M": [("M", "M"), ("M", "V"), ("V", "M"), ("M", "K"), ("K", "M"),
               ("M", "S"), ("S", "M"), ("V", "K"), ("K", "V")],
         "V": [("V", "V"), ("V", "S"), ("S", "V")],
         "R": [("R", "R"), ("R", "S"), ("S", "R")],
         "K": [("K", "K"), ("K", "S"), ("S", "K")],
         "S": [("S", "S")]}
# reductions giving a class: (class of the argument, axis)
REDUCE_TO = {"S": [("M", None), ("V", 0), ("R", 0), ("K", None), ("M", None)],
             "R": [("M", 1), ("K", 1)],
             "V": [("M", 0)],
             "M": [], "K": []}
FLOAT_REDUCE = ("mean", "var", "std", "nanmean", "nanvar", "nanstd")
REDUCE = ("sum", "prod", "mean", "min", "max", "var", "std", "argmin",
          "argmax", "count_nonzero", "any", "all")
NAN_REDUCE = ("nansum", "nanmean", "nanmin", "nanmax", "nanvar", "nanstd")
SMOOTH = ("sin", "cos", "arctan", "tanh")
TRANSCENDENTAL = ("sqrt exp expm1 log log1p log2 log10 sin cos tan arcsin "
                  "arccos arctan sinh cosh tanh arctan2 hypot").split()
INTS = [0, 1, 2, 3, 5, 7, 10, 100]
RARE_INTS = [300, 70000, -1, -7]
FLOATS = [0.5, 0.25, 1.5, 2.5, 3.0, 0.1, 0.001, 10.0]
BIG = 1e8  # floats beyond this are remade (exp of exp...)


def inputs(rows, cols, seed):
    """The named inputs of a dataset: name -> (array, shape class)."""
    g = np.random.default_rng(seed)
    n = g.normal(size=(rows, cols))
    n[g.random((rows, cols)) < 0.25] = np.nan
    return {
        "x": (g.normal(scale=1.5, size=(rows, cols)), "M"),
        "p": (g.uniform(0.5, 2.5, (rows, cols)), "M"),
        "b": (g.normal(size=(rows, cols)).astype(np.float32), "M"),
        "i": (g.integers(-20, 21, (rows, cols)).astype(np.int32), "M"),
        "l": (g.integers(-10**6, 10**6, (rows, cols)), "M"),
        "h": (g.integers(-300, 301, (rows, cols)).astype(np.int16), "M"),
        "u": (g.integers(0, 256, (rows, cols)).astype(np.uint8), "M"),
        "m": (g.random((rows, cols)) < 0.5, "M"),
        "w": (g.normal(size=(rows, cols + 2)), "W"),
        "v": (g.normal(size=cols), "V"),
        "k": (g.integers(1, 10, cols).astype(np.int32), "V"),
        "c": (g.normal(size=(rows, 1)), "K"),
        "z": (np.array(g.uniform(0.5, 2)), "S"),
        "n": (n, "N"),
    }


class Reject(Exception):
    """This node is not well-conditioned (or numpy refuses it): make
    another."""


def checked(fn, *vals):
    """fn(*vals) as numpy computes it; Reject on any warning or error."""
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        try:
            return fn(*vals)
        except Exception as e:  # numpy refuses it, or warns
            raise Reject(str(e)) from None


def is_float(v):
    return np.asarray(v).dtype.kind == "f"


class Node:
    """An expression: its text, its numpy value, how to compute it from
    its children's values (for the perturbed evaluations) and how a
    different evaluator may round it (noise: 'rel' k ulp, 'sum' ulp of
    the sum of magnitudes, 'var', or None: exact)."""

    def __init__(self, text, value, cls, fn=None, kids=(), noise=None, k=1,
                 red=None, uses=()):
        self.text, self.v, self.cls, self.fn = text, value, cls, fn
        self.kids, self.noise, self.k, self.red = kids, noise, k, red
        self.uses = set(uses).union(*(c.uses for c in kids))
        own = RTOL.get(np.asarray(value).dtype, 0) if value is not None else 0
        self.rtol = max([own] + [c.rtol for c in kids])

    @property
    def dtype(self):
        return np.asarray(self.v).dtype

    def ev(self, rng):
        """The value with every computed float perturbed (rng), or not
        (rng None)."""
        if self.fn is None:
            return self.v
        vals = [c.ev(rng) for c in self.kids]
        r = checked(self.fn, *vals)
        return r if rng is None or self.noise is None else perturb(self, r, vals, rng)


def ulp_noise(r, k, rng):
    a = np.asarray(r)
    eps = float(np.finfo(a.dtype).eps)
    return a * (k * eps * rng.sign(a.shape))


def retype(r, a):
    """a with r's type: a Python float stays one, a numpy scalar one."""
    if isinstance(r, float):
        return float(a)
    a = np.asarray(a, dtype=np.asarray(r).dtype)
    return a if isinstance(r, np.ndarray) else a[()]


def perturb(node, r, vals, rng):
    if not is_float(r):
        return r
    with np.errstate(all="ignore"):
        if node.noise == "rel":
            return retype(r, np.asarray(r) + ulp_noise(r, node.k, rng))
        arg, axis = np.asarray(vals[0]), node.red
        count = arg.size if axis is None else arg.shape[axis]
        eps = float(np.finfo(np.asarray(r).dtype).eps)
        scale = 2 * math.sqrt(max(count, 1)) * eps
        if node.noise == "sum":
            mag = np.nansum(np.abs(arg.astype(np.float64)), axis=axis)
            if node.text.startswith(("mean", "nanmean")):
                mag = mag / max(count, 1)
            d = mag * scale * rng.sign(np.shape(r))
        else:  # var, std: relative, and the mean's rounding, squared
            m = np.nanmean(arg.astype(np.float64), axis=axis)
            var = np.nanvar(arg.astype(np.float64), axis=axis)
            dv = (var * scale + (eps * m) ** 2 * 4) * rng.sign(np.shape(r))
            if node.text.startswith(("var", "nanvar")):
                d = dv
            else:
                d = np.sqrt(np.maximum(var + dv, 0)) - np.sqrt(var)
        return retype(r, np.asarray(r) + d)


def number(v):
    """A Python number as a leaf (negative ones in parentheses)."""
    return Node(repr(v) if v >= 0 else "(%r)" % v, v, "S")


class Gen:
    """Random well-conditioned expression trees over one dataset."""

    def __init__(self, rng, ins, cols):
        self.r, self.ins, self.cols = rng, ins, cols

    def shape_of(self, cls):
        rows, cols = self.ins["x"][0].shape
        return {"M": (rows, cols), "V": (cols,), "R": (rows,), "K": (rows, 1),
                "S": ()}[cls]

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    # --- making a node ------------------------------------------------------

    def node(self, text, cls, fn, kids, noise=None, k=1, red=None, allow_nan=False):
        v = checked(fn, *[c.v for c in kids])
        a = np.asarray(v)
        if a.dtype.kind not in "biuf" or a.dtype == np.float16:
            raise Reject("dtype %s" % a.dtype)
        if a.shape != self.shape_of(cls):
            raise AssertionError("%s: shape %s for class %s" % (text, a.shape, cls))
        if a.dtype.kind == "f" and not allow_nan:
            if not np.all(np.isfinite(a)) or (a.size and np.max(np.abs(a)) > BIG):
                raise Reject("not finite or too large")
        return Node(text, v, cls, fn, kids, noise, k, red)

    def leaf(self, cls, kind):
        """A leaf of class cls and kind ('num', 'int' or 'bool'): an input,
        a column or a slice of one, a number."""
        r = self.r
        if kind == "bool":
            if cls == "S" and r.random() < 0.5:
                v = self.pick([True, False])
                return Node(repr(v), v, "S")
            if cls == "M" and r.random() < 0.4:
                return self.input("m", "M")
            base, lit = self.leaf(cls, "num"), self.literal()
            return self.binop(self.pick(["<", ">"]), base, lit, cls, None)
        names = "ilhu" if kind == "int" else "xxpbbbilhum"
        if cls == "M":
            if kind != "int" and r.random() < 0.15:
                return self.input("w", "M", "[:, %s]" % self.slice_of(self.cols))
            return self.input(self.pick(names), "M")
        if cls == "V":
            return self.input(self.pick("k" if kind == "int" else "vvk"), "V")
        if cls == "K":
            j = r.randrange(-self.cols, self.cols)
            sel = "[:, %d:%d]" % (j, j + 1) if j != -1 else "[:, -1:]"
            if kind != "int" and r.random() < 0.5:
                return self.input("c", "K")
            return self.input(self.pick(names), "K", sel)
        if cls == "R":
            return self.input(self.pick(names), "R", "[:, %d]" % r.randrange(-self.cols,
                                                                            self.cols))
        if kind != "int" and r.random() < 0.2:
            return self.input("z", "S")
        return self.literal(float_ok=kind != "int")

    def input(self, name, cls, sel=""):
        """An input, or its column selection sel ("[:, 2]", "[:, 1:3]")."""
        a = self.ins[name][0]
        return Node(name + sel, eval("a" + sel) if sel else a, cls, uses=name)

    def slice_of(self, cols):
        """A column slice of w (cols + 2 wide) that is cols wide, in one of
        Python's spellings."""
        lo = self.r.randrange(3)
        forms = ["%d:%d" % (lo, lo + cols), "%d:%d" % (lo - cols - 2, lo - 2)]
        if lo == 2:
            forms = ["2:", "%d:" % -cols, "2:%d" % (cols + 2)]
        elif lo == 0:
            forms.append(":%d" % cols)
        return self.pick(forms)

    def literal(self, float_ok=True, ints=None):
        r = self.r
        if float_ok and r.random() < 0.45:
            v = self.pick(FLOATS)
        elif r.random() < 0.08:
            v = self.pick(RARE_INTS)
        else:
            v = self.pick(ints or INTS)
        return number(v)

    # --- the tree -----------------------------------------------------------

    def gen(self, cls, depth, kind="num"):
        for _ in range(12):
            try:
                return self.make(cls, depth, kind)
            except Reject:
                depth = max(0, depth - (self.r.random() < 0.3))
        return self.leaf(cls, kind)

    def make(self, cls, depth, kind):
        if depth <= 0 or self.r.random() < 0.12:
            return self.leaf(cls, kind)
        if kind == "bool":
            return self.make_bool(cls, depth)
        if kind == "int":
            choices = ["arith"] * 4 + ["fdiv", "pow", "neg", "minmax", "clip", "where",
                                       "cast", "bits", "bits", "func"] + \
                      ["reduce"] * (3 if REDUCE_TO[cls] else 0)
        else:
            choices = ["arith"] * 5 + ["div", "pow", "where", "cast"] * 2 + ["func"] * 4 + \
                      ["fdiv", "neg", "func2", "minmax", "clip", "bits", "nan"] + \
                      ["reduce"] * (6 if REDUCE_TO[cls] else 0)
        node = getattr(self, "g_" + self.pick(choices))(cls, depth, kind)
        if kind == "int" and node.dtype.kind not in "iu":
            raise Reject("not an integer")
        return node

    def sub(self, kind):
        """The kind of an operand: mostly the node's own, some integers."""
        return kind if self.r.random() < 0.75 else self.pick(["int", "num", "bool"])

    def pair(self, cls, depth, kind="num", kind2=None):
        ca, cb = self.pick(PAIRS[cls])
        return (self.gen(ca, depth - 1, self.sub(kind)),
                self.gen(cb, depth - 1, kind2 or self.sub(kind)))

    def binop(self, op, a, b, cls, noise="rel", k=1):
        fn = {"+": lambda x, y: x + y, "-": lambda x, y: x - y,
              "*": lambda x, y: x * y, "/": lambda x, y: x / y,
              "//": lambda x, y: x // y, "%": lambda x, y: x % y,
              "**": lambda x, y: x ** y, "<": lambda x, y: x < y,
              "<=": lambda x, y: x <= y, ">": lambda x, y: x > y,
              ">=": lambda x, y: x >= y, "==": lambda x, y: x == y,
              "!=": lambda x, y: x != y, "&": lambda x, y: x & y,
              "|": lambda x, y: x | y, "^": lambda x, y: x ^ y}[op]
        return self.node("(%s %s %s)" % (a.text, op, b.text), cls, fn, [a, b], noise, k)

    def call(self, name, args, cls, noise="rel", k=1, axis="", red=None):
        f = NAMESPACE[name]
        if axis == "":
            fn = f
            text = "%s(%s)" % (name, ", ".join(a.text for a in args))
        else:
            fn = (lambda *v: f(*v, axis=red)) if axis != "omit" else f
            text = "%s(%s%s)" % (name, ", ".join(a.text for a in args),
                                 "" if axis == "omit" else ", axis=%s" % axis)
        return self.node(text, cls, fn, args, noise, k, red,
                         allow_nan=False)

    def nonbool(self, n):
        if n.dtype == np.bool_:
            raise Reject("bool")
        return n

    def safe_divisor(self, d):
        """d, or (abs(d) + 1) where d has zeros or values near 0."""
        a = np.asarray(d.v)
        if a.size and np.min(np.abs(a.astype(np.float64))) >= 0.05 and a.dtype != np.bool_:
            return d
        return self.binop("+", self.call("abs", [d], d.cls, None), Node("1", 1, "S"), d.cls)

    def g_arith(self, cls, depth, kind):
        a, b = self.pair(cls, depth, kind)
        op = self.pick("+-*")
        if op == "-" or (a.dtype == np.bool_ and b.dtype == np.bool_):
            self.nonbool(a), self.nonbool(b)
        return self.binop(op, a, b, cls)

    def g_div(self, cls, depth, kind):
        a, b = self.pair(cls, depth)
        return self.binop("/", a, self.safe_divisor(b), cls)

    def g_fdiv(self, cls, depth, kind):
        a, b = self.pair(cls, depth, kind)
        self.nonbool(a)
        return self.binop(self.pick(["//", "%"]), a, self.safe_divisor(self.nonbool(b)), cls)

    def g_pow(self, cls, depth, kind):
        a = self.nonbool(self.gen(cls, depth - 1, kind))
        if a.dtype.kind in "iu":
            e = self.pick([0, 1, 2, 3])
            return self.binop("**", a, Node(repr(e), e, "S"), cls)
        e = self.pick([2, 3, 0.5, -1, 1.5, 2.0, -2, "array"])
        if e == "array":
            base = self.binop("+", self.call("abs", [a], cls, None), Node("0.5", 0.5, "S"), cls)
            ex = self.call("clip", [self.gen(cls, depth - 1), Node("(-2)", -2, "S"),
                                    Node("2", 2, "S")], cls, None)
            return self.binop("**", base, ex, cls, k=2)
        if isinstance(e, float) and e != int(e):
            a = self.call("abs", [a], cls, None)
        elif e < 0:
            a = self.safe_divisor(a)
        return self.binop("**", a, Node(repr(e) if e >= 0 else "(%r)" % e, e, "S"), cls, k=2)

    def g_neg(self, cls, depth, kind):
        a = self.nonbool(self.gen(cls, depth - 1, kind))
        op = self.pick(["-", "-", "+"])
        return self.node("(%s%s)" % (op, a.text), cls,
                         (lambda v: -v) if op == "-" else (lambda v: +v), [a])

    def g_func(self, cls, depth, kind):
        if kind == "int":
            f = self.pick(["abs", "sign"])
        else:
            f = self.pick(TRANSCENDENTAL[:-2] + ["abs", "sign", "floor", "ceil", "rint", "trunc"])
        a = self.gen(cls, depth - 1, kind)
        if f in ("abs", "sign", "floor", "ceil", "rint", "trunc"):
            if f != "abs":
                self.nonbool(a)
            return self.call(f, [a], cls, None)
        one = Node("1", 1, "S")
        av = np.asarray(a.v).astype(np.float64)
        lo = float(np.min(av)) if av.size else 0.0
        hi = float(np.max(np.abs(av))) if av.size else 0.0
        if f == "sqrt" and lo < 0:
            a = self.call("abs", [a], cls, None)
        elif f in ("log", "log2", "log10") and lo < 0.1:
            a = self.binop("+", self.call("abs", [a], cls, None), one, cls)
        elif f == "log1p" and lo < -0.5:
            a = self.call("abs", [a], cls, None)
        elif f in ("exp", "expm1", "sinh", "cosh") and hi > 20:
            a = self.call("clip", [a, Node("(-5)", -5, "S"), Node("5", 5, "S")], cls, None)
        elif f in ("arcsin", "arccos") and hi > 0.9:
            a = self.call("clip", [a, Node("(-0.9)", -0.9, "S"), Node("0.9", 0.9, "S")], cls,
                          None)
        elif f == "tan" and hi > 1.2:
            a = self.call("clip", [a, Node("(-1.2)", -1.2, "S"), Node("1.2", 1.2, "S")], cls,
                          None)
        elif f in SMOOTH and hi > 1e4:
            raise Reject("large argument")
        return self.call(f, [a], cls, "rel", k=4)

    def g_func2(self, cls, depth, kind):
        a, b = self.pair(cls, depth)
        return self.call(self.pick(["arctan2", "hypot"]), [a, b], cls, "rel", k=4)

    def g_minmax(self, cls, depth, kind):
        a, b = self.pair(cls, depth, kind)
        return self.call(self.pick(["minimum", "maximum"]), [self.nonbool(a), self.nonbool(b)],
                         cls, None)

    def g_clip(self, cls, depth, kind):
        a = self.nonbool(self.gen(cls, depth - 1, kind))
        lo = self.pick([-2, -1, 0, 1, 3] if kind == "int" else [-2, -1, 0, 0.5, 1, 2.5])
        hi = lo + self.pick([1, 2, 10] if kind == "int" else [1, 2, 0.5, 10])
        return self.call("clip", [a, number(lo), number(hi)], cls, None)

    def g_where(self, cls, depth, kind):
        cc, ca = self.pick(PAIRS[cls])
        cond = self.gen(cc, depth - 1, "bool")
        a = self.gen(ca, depth - 1, self.pick([kind, kind, "bool"]))
        b = self.gen(self.pick([cls, "S"]), depth - 1, kind)
        if self.r.random() < 0.5:
            a, b = b, a
        return self.call("where", [cond, a, b], cls, None)

    def g_cast(self, cls, depth, kind):
        a = self.gen(cls, depth - 1, self.pick(["num", "num", "int", "bool"]))
        name = self.pick([c for c in CASTS if kind != "int" or c.startswith(("int", "uint"))])
        t = np.dtype(CAST_TYPES[name])
        if a.dtype.kind == "f" and t.kind in "iu":
            av = np.trunc(np.asarray(a.v))
            info = np.iinfo(t)
            if av.size and (np.min(av) < info.min or np.max(av) > info.max):
                raise Reject("out of the range of %s" % t)
        return self.call(name, [a], cls, "rel" if t.kind == "f" else None)

    def g_bits(self, cls, depth, kind):
        sub = self.pick(["int", "int", "bool"])
        if self.r.random() < 0.3:
            a = self.gen(cls, depth - 1, sub)
            if a.dtype.kind not in "biu":
                raise Reject("bitwise on floats")
            return self.node("(~%s)" % a.text, cls, lambda v: ~v, [a])
        a, b = self.pair(cls, depth, sub)
        for n in (a, b):
            if n.dtype.kind not in "biu":
                raise Reject("bitwise on floats")
        return self.binop(self.pick("&|^"), a, b, cls, None)

    def reduction(self, cls, depth, names, arg_kind=None):
        ac, axis = self.pick(REDUCE_TO[cls])
        f = self.pick(names)
        a = self.gen(ac, depth - 1, arg_kind or self.pick(["num"] * 3 + ["int", "bool"]))
        if f == "prod":
            av = np.abs(np.asarray(a.v).astype(np.float64))
            if av.size and np.max(av) > 4:
                a = self.call("clip", [a, Node("(-2)", -2, "S"), Node("2", 2, "S")], ac, None)
        text_axis = "omit" if axis is None and self.r.random() < 0.5 else str(axis)
        noise = {"sum": "sum", "nansum": "sum", "mean": "sum", "nanmean": "sum",
                 "var": "var", "nanvar": "var", "std": "var", "nanstd": "var",
                 "prod": "rel"}.get(f)
        count = np.asarray(a.v).size if axis is None else np.asarray(a.v).shape[axis]
        return self.call(f, [a], cls, noise, k=2 * count, axis=text_axis, red=axis)

    def g_reduce(self, cls, depth, kind):
        if kind == "int":
            return self.reduction(cls, depth, ("sum", "prod", "min", "max", "argmin", "argmax",
                                               "count_nonzero"), self.pick(["int", "bool"]))
        return self.reduction(cls, depth, REDUCE)

    def g_nan(self, cls, depth, kind):
        """A nan* reduction (of the input with NaNs), or where(isnan(n)...)."""
        if cls == "M" and self.r.random() < 0.5:
            n = Node("n", self.ins["n"][0], "N", uses="n")
            fill = self.literal()
            isn = self.node("isnan(n)", "M", np.isnan, [n])
            return self.call("where", [isn, fill, n], "M", None)
        if not REDUCE_TO[cls]:
            raise Reject("no reduction to %s" % cls)
        ac, axis = self.pick(REDUCE_TO[cls])
        f = self.pick(NAN_REDUCE)
        if ac == "M" and self.r.random() < 0.7:
            a = Node("n", self.ins["n"][0], "N", uses="n")
        else:
            a = self.gen(ac, depth - 1)
        noise = "sum" if f in ("nansum", "nanmean") else \
                "var" if f in ("nanvar", "nanstd") else None
        return self.call(f, [a], cls, noise, axis=str(axis), red=axis)

    def make_bool(self, cls, depth):
        what = self.pick(["cmp"] * 5 + ["logic", "not", "pred", "anyall", "cast"])
        if what == "cmp":
            a, b = self.pair(cls, depth)
            return self.binop(self.pick(["<", "<=", ">", ">=", "==", "!="]), a, b, cls, None)
        if what == "logic":
            a, b = self.pair(cls, depth, "bool")
            return self.binop(self.pick("&|^"), a, b, cls, None)
        if what == "not":
            a = self.gen(cls, depth - 1, "bool")
            return self.node("(~%s)" % a.text, cls, lambda v: ~v, [a])
        if what == "pred":
            a = self.gen(cls, depth - 1)
            return self.call(self.pick(["isnan", "isinf", "isfinite"]), [a], cls, None)
        if what == "cast":
            return self.call("bool", [self.gen(cls, depth - 1)], cls, None)
        if not REDUCE_TO[cls]:
            raise Reject("no reduction to %s" % cls)
        return self.reduction(cls, depth, ("any", "all"), arg_kind="bool")


def expression(seed, ins, cols):
    """One accepted expression: (text, numpy's value, the names it uses,
    the relative tolerance of its least precise float)."""
    r = random.Random(seed)
    g = Gen(r, ins, cols)
    for _ in range(200):
        cls = r.choice("MMMRRVSSK")
        try:
            node = g.make(cls, r.randint(2, 5), r.choice(["num"] * 4 + ["int", "bool"]))
        except Reject:
            continue
        if not node.uses or node.fn is None:  # no input, or only an input
            continue
        want = np.asarray(eval(node.text, dict(NAMESPACE), {n: ins[n][0] for n in node.uses}))
        if want.dtype != node.dtype or not np.array_equal(want, np.asarray(node.v),
                                                         equal_nan=want.dtype.kind == "f"):
            raise AssertionError("the generator's value of %s is not numpy's" % node.text)
        if stable(node, want, seed):
            return node.text, want, sorted(node.uses), node.rtol
    raise AssertionError("seed %d: no well-conditioned expression in 200 tries" % seed)


class Signs:
    """The direction of each perturbation: random, all up or all down."""

    def __init__(self, seed, how):
        self.g, self.how = np.random.default_rng(seed), how

    def sign(self, shape):
        """Factors in [-1, -0.5] and [0.5, 1]: unequal, so that even the
        all-up run moves differences."""
        size = self.g.uniform(0.5, 1, shape)
        if self.how:
            return size * self.how
        return np.where(self.g.random(shape) < 0.5, -size, size)


def stable(node, want, seed):
    """Whether the perturbed evaluations (two random, all up, all down)
    stay well inside the tolerance."""
    for i, how in enumerate((0, 0, 1, -1)):
        try:
            got = np.asarray(node.ev(Signs(seed * 4 + i, how)))
        except Reject:
            return False
        if got.shape != want.shape:
            return False
        if want.dtype.kind != "f":
            if not np.array_equal(got, want):
                return False
        elif len(bad_values(got, want, node.rtol / 8)):
            return False
    return True


def bad_values(got, want, rtol):
    """The indices where got is not within rtol of want (NaN = NaN)."""
    g, w = got.astype(np.float64), want.astype(np.float64)
    with np.errstate(all="ignore"):
        ok = (np.abs(g - w) <= rtol * np.abs(w)) | (np.isnan(g) & np.isnan(w)) | (g == w)
    return np.argwhere(~ok)


def has_eval():
    """Whether this shmx has `shmx eval` (the command this tests)."""
    r = run("eval", "--help")
    return not (r.status == 2 and "unknown command 'eval'" in r.err)


class ExprDiff(ShmxTestCase):
    @unittest.skipUnless(has_eval(), "this shmx has no eval command")
    def test_random_expressions_equal_numpy(self):
        failures, refused, n = [], [], 0
        for d, (rows, cols, chunk) in enumerate(DATASETS):
            if ONLY and ONLY.split(".")[0] != str(d):
                continue
            ins = inputs(rows, cols, SEED * 100 + d)
            paths = {}
            for name, (arr, _) in ins.items():
                paths[name] = self.save(arr, "%s.npy" % name)
            for k in range(CASES):
                if ONLY and ONLY != "%d.%d" % (d, k):
                    continue
                seed = SEED * 100000 + d * 1000 + k
                text, want, uses, rtol = expression(seed, ins, cols)
                n += 1
                why = self.check(text, want, uses, rtol, paths, chunk, seed)
                case = "%d.%d" % (d, k)
                if why and VALUE_BASED in why:
                    refused.append("%s: %s" % (case, text))
                    continue
                if why:
                    failures.append("%s\n    %s\n    inputs: %s; dataset %d (%dx%d, --chunk "
                                    "%s), seed %d; rerun: SHMX_DIFF_SEED=%d "
                                    "SHMX_DIFF_ONLY=%d.%d"
                                    % (text, why, " ".join(
                                        "%s=%s%s" % (u, ins[u][0].dtype, list(ins[u][0].shape))
                                        for u in uses), d, rows, cols, chunk, seed, SEED, d, k))
        self.assertTrue(n > 0)
        for what, cases in (("refused by value-based casting (by design)", refused),):
            if cases:
                print("\n%s:\n  %s" % (what, "\n  ".join(cases)))
        self.assertEqual(failures, [], "\n%d of %d expressions differ from numpy:\n%s"
                         % (len(failures), n, "\n".join(failures)))

    def check(self, text, want, uses, rtol, paths, chunk, seed):
        """None, or what is wrong with shmx's results for text."""
        outs = []
        for j in JOBS:
            # a segment: removing a file of the disk's /tmp took 22 ms
            out = self.shm_path("diff-j%d" % j)
            args = ["eval", text]
            if uses == ["x"] and seed % 2:
                args.append(paths["x"])  # one bare SOURCE is x
            else:
                args += ["%s=%s" % (u, paths[u]) for u in uses]
            args += ["-o", self.spec("diff-j%d" % j), "-j", j]
            r = run(*args + (["--chunk", chunk] if chunk else []), timeout=60)
            if r.status != 0 or r.err:
                return "-j %d: exit %d: %s" % (j, r.status, r.err.strip()[:300])
            try:
                got = np.load(out)
            except (OSError, ValueError) as e:
                return "-j %d: no readable output: %s" % (j, e)
            finally:
                if os.path.exists(out):
                    os.unlink(out)
            outs.append((j, got))
            if (got.dtype, got.shape) != (want.dtype, want.shape):
                return "-j %d: %s %s, numpy %s %s" % (j, got.dtype, got.shape, want.dtype,
                                                      want.shape)
            if want.dtype.kind == "f":
                bad = bad_values(got, want, rtol)
            else:
                bad = np.argwhere(np.atleast_1d(got != want))
            if len(bad):
                at = tuple(bad[0]) if want.ndim else ()
                return "-j %d: %d values differ, first at %s: shmx %r, numpy %r" % (
                    j, len(bad), at, got[at] if want.ndim else got[()],
                    want[at] if want.ndim else want[()])
        for j, got in outs[1:]:
            if got.tobytes() != outs[0][1].tobytes():
                return "-j %d and -j %d differ in their bits" % (outs[0][0], j)
        return None


if __name__ == "__main__":
    unittest.main()
