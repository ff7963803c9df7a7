"""shmx._compute - run, load and gen: one `shmx` tool process each (see
_tool.py for why), its sources named, its result attached.

Sources: a target string or path is handed to the tool by name; an array
that shmx attached (attach, create, a published result) by the name of
what it maps; any other array-like is copied once into a temporary in the
shm directory, which is removed when the call returns, whatever happens.
Results: with out= the tool publishes there and the array is attached
from it; without, the tool publishes to a private temporary that is
attached and unlinked at once, so the result is the tool's own output
pages (no copy, and they go away with the array).
"""
import contextlib
import json
import os

import numpy as np

from ._arrays import (SUPPORTED, Error, attach, attach_path, dtype_of,
                      new_file, shape_of, shm_dir, source_spec, target,
                      temporary, DATA_OFFSET)
from ._tool import call

__all__ = ["run", "eval", "load", "gen"]


class Call:
    """One tool call's sources, output and temporaries."""

    def __init__(self):
        self.temps = []
        self.dirs = {shm_dir()}
        self.out_path = None

    def source(self, x):
        """The spec of one source for the tool."""
        if isinstance(x, (str, os.PathLike)):
            t = target(x)
            return t.spec
        if isinstance(x, np.ndarray):
            spec = source_spec(x)
            if spec:
                return spec
        return self.copy(x)

    def copy(self, x):
        """x copied into a temporary of the shm directory: its spec.  The
        bytes go in by pwrite (the kernel copies them, with no page faults
        here: twice as fast as through a mapping); an array that is not
        C-contiguous goes through a staging buffer of about 1 MiB."""
        a = np.asarray(x)
        if a.dtype.byteorder == ">":
            a = a.astype(a.dtype.newbyteorder("<"))
        if a.dtype not in SUPPORTED:
            dtype_of(a.dtype.str)  # the tool's message
        if a.ndim > 2:
            raise Error("bad shape '%s': shmx arrays have at most 2 "
                        "dimensions" % "x".join(map(str, a.shape)))
        path = temporary(shm_dir(), "py-source")
        # listed before it exists: a KeyboardInterrupt landing between
        # new_file's return and the append would leave it behind
        self.temps.append(path)
        fd = new_file(path, a.dtype, a.shape, 0o600)
        try:
            if a.flags.c_contiguous:
                _write(fd, a, DATA_OFFSET)
            else:
                row = max(1, a.itemsize * (a.shape[1] if a.ndim == 2 else 1))
                step = max(1, (1 << 20) // row)
                off = DATA_OFFSET
                for i in range(0, len(a), step):
                    off += _write(fd, np.ascontiguousarray(a[i:i + step]),
                                  off)
        finally:
            os.close(fd)
        return "file://" + path

    def output(self, out):
        """The spec of the output: out's, or a private temporary's."""
        if out is not None:
            t = target(out)
            self.dirs.add(t.dir)
            self.out_target = t
            return t.spec
        self.out_target = None
        self.out_path = temporary(shm_dir(), "py-result")
        self.temps.append(self.out_path)
        return "file://" + self.out_path

    def result(self):
        """The output as a numpy array (a private result: writable, and a
        numpy scalar for a 0-d one)."""
        if self.out_target is not None:
            return attach(self.out_target.spec)
        a = attach_path(None, self.out_path, True)
        os.unlink(self.out_path)  # the mapping lives on with a
        self.temps.remove(self.out_path)
        return a[()] if a.ndim == 0 else a

    def cleanup(self):
        for p in self.temps:
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass


def _write(fd, a, off):
    """All of C-contiguous a's bytes into fd at off; how many."""
    mv = memoryview(a.reshape(-1).view(np.uint8))
    done = 0
    while done < len(mv):
        done += os.pwrite(fd, mv[done:], off + done)
    return done


@contextlib.contextmanager
def _call():
    c = Call()
    try:
        yield c
    finally:
        c.cleanup()


def _options(workers=None, chunk=None, io=None, retries=None, force=False,
             mode=None, stats=False):
    a = []
    if workers is not None:
        a += ["-j", int(workers)]
    if chunk is not None:
        a += ["--chunk", chunk]
    if io is not None:
        a += ["--io", io]
    if retries is not None:
        a += ["--retries", int(retries)]
    if force:
        a += ["--force"]
    if mode is not None:
        a += ["--mode", "%o" % int(mode)]
    if stats:
        a += ["--stats"]
    return a


def _finish(c, args, stats, target_=None):
    _, err = call(args, target=target_, tmpdirs=c.dirs)
    r = c.result()
    if not stats:
        return r
    lines = [ln for ln in err.splitlines() if ln.startswith("{")]
    return r, (json.loads(lines[-1]) if lines else None)


def run(op, source, out=None, axis=None, workers=None, chunk=None, io=None,
        retries=None, in_place=False, force=False, mode=None, dtype=None,
        shape=None, stats=False):
    """Run one operation over an array in parallel; the result as numpy.

    op: a reduction (sum mean min max sumsq var std argmin argmax, nansum
    nanmean nanmin nanmax nanvar nanstd) with axis None, 0 or 1; a map
    (square sqrt abs neg exp log scale:K add:K clip:LO:HI cast:DTYPE); or
    a user's kernel, "plugin:PATH.so:NAME[:ARGS]".  Results are numpy's
    for the same operation (dtype included) and bit-identical for any
    worker count.

    source: a target ("shm://NAME", NAME, a file), an array that shmx
    attached (handed over by name, not copied), or any other array (copied
    once into a temporary segment that is removed when run returns); a
    list or tuple of them (targets or numpy arrays) for a kernel of
    several inputs (any other list is one array-like).  dtype and shape read a
    raw (not NPY) file.

    out: publish the result there atomically and return it attached
    (read-only); without out the result stays in memory: a writable array
    over the tool's own output (no copy), or a numpy scalar for a
    reduction to one value.  in_place=True rewrites the source (a target
    or an attached array) and returns it attached.

    workers (default: the CPUs, or $SHMX_WORKERS), chunk (bytes, or "4M"),
    io ("auto", "mmap", "stream"), retries (worker deaths survived), force
    (replace an existing out), mode (out's permissions), as `shmx run`.
    stats=True returns (result, the --stats dict).

    Raises shmx.Error (the CLI's message; e.bad_input), FileNotFoundError
    for a missing source; a KeyboardInterrupt stops the workers and
    removes the unpublished output and the temporaries first.
    """
    sources = [source]
    if isinstance(source, (list, tuple)) and source and all(
            isinstance(s, (str, os.PathLike, np.ndarray)) for s in source):
        sources = list(source)
    with _call() as c:
        specs = [c.source(s) for s in sources]
        args = ["run", op] + specs
        if in_place:
            if out is not None:
                raise ValueError("in_place and out exclude each other")
            if any(s.startswith("file://" + shm_dir() + "/.shmx-")
                   for s in specs):
                raise ValueError("in_place needs a target or an array "
                                 "that shmx attached, not a copy")
            args += ["--in-place"]
        else:
            args += ["-o", c.output(out)]
        if axis is not None:
            if axis not in (0, 1):
                raise ValueError("axis must be None, 0 or 1")
            args += ["--axis", axis]
        if dtype is not None or shape is not None:
            args += ["--dtype", _dtype_arg(dtype),
                     "--shape", "x".join(map(str, shape_of(shape)))]
        args += _options(workers, chunk, io, retries, force, mode, stats)
        if in_place:
            _, err = call(args, target=specs[0], tmpdirs=c.dirs)
            r = attach(specs[0])
            if not stats:
                return r
            lines = [ln for ln in err.splitlines() if ln.startswith("{")]
            return r, (json.loads(lines[-1]) if lines else None)
        return _finish(c, args, stats,
                       specs[0] if len(specs) == 1 else None)


def eval(expr, out=None, workers=None, chunk=None, io=None, force=False,
         mode=None, stats=False, **sources):
    """Evaluate a numpy expression over arrays in one fused parallel pass.

        shmx.eval("sqrt(sum(x**2, axis=1))", x="shm://data")
        shmx.eval("2*a + 3*b", a=a, b="b.npy", out="shm://c")

    expr: Python's expression syntax over the named sources (numbers,
    True, False, nan, inf; + - * / // % ** and unary - + ~; comparisons;
    & | ^; x[:, j] and x[:, a:b]), the element-wise functions abs sqrt
    exp expm1 log log1p log2 log10 sin cos tan arcsin arccos arctan sinh
    cosh tanh arctan2 hypot floor ceil rint trunc sign isnan isinf
    isfinite minimum maximum clip where, the casts float32 .. uint64
    bool, and the reductions sum prod mean min max var std argmin argmax
    count_nonzero any all nansum nanmean nanmin nanmax nanvar nanstd with
    axis=None|0|1, nested anywhere.  Semantics (broadcasting, dtypes,
    wrapping, NaN) are numpy 1.24's; results are bit-identical for any
    worker count.  Nothing is handed to Python's eval.

    sources: NAME=SOURCE, each a target, an array that shmx attached (by
    name, no copy) or any other array (copied once into a temporary
    segment, removed when eval returns).  (A source cannot be called
    out, workers, chunk, io, force, mode or stats.)

    out, workers, chunk, io, force, mode, stats as for run(): without out
    the result stays in memory (no copy; a numpy scalar for one value).
    A bad expression is shmx.Error (bad input) naming the column and the
    token.
    """
    with _call() as c:
        args = ["eval", "-o", c.output(out)]
        args += _options(workers, chunk, io, None, force, mode, stats)
        args += ["--", expr]
        args += ["%s=%s" % (name, c.source(src))
                 for name, src in sources.items()]
        return _finish(c, args, stats)


def _dtype_arg(d):
    """shmx's name of a dtype (its "i8" is int8)."""
    return SUPPORTED[dtype_of(d)]


def load(path, out=None, dtype=None, shape=None, format=None,
         delimiter=None, header=None, skip=None, columns=None, comment=None,
         chunk=None, workers=None, force=False, mode=None, stats=False):
    """Load a file into a new array (a segment or a file); as numpy.

    path: an NPY file, a raw file (with dtype and shape), or a CSV (a name
    ending in .csv or .tsv, or format="csv"): a str or os.PathLike, always
    a file (a bare name is in the current directory).  A CSV becomes a
    2-D array of dtype (default f64), parsed in parallel and exactly (see
    the README): delimiter (",", "\\t", ";", " "), header (True, False,
    None: detected), skip (lines first), columns (indices or header
    names, a list or "2,0,name"), comment (a character), chunk and
    workers.

    out: the target to publish (then the array is attached from it,
    read-only); None keeps the result in memory (no copy).  force, mode
    as `shmx load`.  shmx.Error names the place of bad data
    ("data.csv:1042:17: 'n/a' is not a number"); FileNotFoundError for a
    missing file.
    """
    p = os.fspath(path)
    with _call() as c:
        args = ["load", p, "-o", c.output(out)]
        if dtype is not None:
            args += ["--dtype", _dtype_arg(dtype)]
        if shape is not None:
            args += ["--shape", "x".join(map(str, shape_of(shape)))]
        if format is not None:
            args += ["--format", format]
        if delimiter is not None:
            args += ["--delimiter", delimiter]
        if header is not None:
            args += ["--header" if header else "--no-header"]
        if skip is not None:
            args += ["--skip", int(skip)]
        if columns is not None:
            if not isinstance(columns, str):
                columns = ",".join(str(k) for k in columns)
            args += ["--columns", columns]
        if comment is not None:
            args += ["--comment", comment]
        args += _options(workers, chunk, None, None, force, mode, stats)
        return _finish(c, args, stats, p)


def gen(shape, dtype="f64", fill="uniform", seed=0, out=None, workers=None,
        force=False, mode=None, stats=False):
    """Generate an array in parallel; as numpy.

    fill: "uniform" (floats in [0, 1), signed ints in [-100, 100],
    unsigned in [0, 200]), "normal", "range" (the flat index) or "zeros";
    element i depends only on (fill, seed, i), so any worker count gives
    the same bytes.  out, workers, force, mode as for run().
    """
    with _call() as c:
        args = ["gen", "-o", c.output(out),
                "--shape", "x".join(map(str, shape_of(shape))),
                "--dtype", _dtype_arg(dtype), "--fill", fill,
                "--seed", int(seed)]
        args += _options(workers, None, None, None, force, mode, stats)
        return _finish(c, args, stats)
