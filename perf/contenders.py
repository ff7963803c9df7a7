"""perf/contenders.py - the Python contenders, each a whole process.

    /usr/bin/python3 perf/contenders.py KIND ARG... IN.npy OUT.npy

KIND:
  pool_map             multiprocessing.Pool(os.cpu_count()).map(process_row, rows)
  shared_memory        workers attach the input segment and a shared output
                       via multiprocessing.shared_memory, np.einsum on a range
  numpy OP             OP on np.load(IN, mmap_mode='r'): rowsumsq (einsum)
                       colmean sum min max std, or a map (scale:K exp) into
                       np.lib.format.open_memmap(OUT)
  dask SCHED           dask.array.from_array(...).mean(axis=0), ~64 MiB chunks,
                       scheduler SCHED (threads or processes)
  pandas PREC          IN is a CSV: pandas.read_csv(IN, float_precision=PREC)
                       .to_numpy() (C engine; PREC 'default' or 'round_trip')
  csv_reader           IN is a CSV: csv.reader + float() row by row
  seed_queue           IN is a CSV: the csv.reader + multiprocessing.Queue
                       pipeline of the tutorials (chunks of 1000 rows to
                       os.cpu_count() worker processes, float() per field)
  dask_csv SCHED       IN is a CSV: dask.dataframe.read_csv(IN) (pandas'
                       C parser per ~64 MB block), scheduler SCHED
  loadtxt              IN is a CSV: numpy.loadtxt(IN, delimiter=',', skiprows=1)
  expr ENGINE NAME X.npy [Y.npy] OUT.npy
                       one of the expr workload's expressions (EXPRS below) by
                       ENGINE: numpy (as written; the last ufunc into an
                       open_memmap OUT), numexpr (its evaluate doing what it
                       can, numpy the rest), dask (dask.array over the mapped
                       inputs, ~64 MiB row chunks, threads; element-wise
                       results stored into OUT) or pool (rowdist only: Pool.map
                       of the per-row function, as the seed does it)

The result goes to OUT as an NPY file; the seconds spent on the work (after
interpreter start-up and imports, before writing OUT) go to stderr as one
JSON line {"compute": s}, like the C references and shmx --stats.
"""
import json
import os
import sys
import time

import numpy as np


def process_row(x):
    """The seed's per-row function: a plain top-level def (picklable)."""
    return sum(x * x)


def pool_map(src):
    from multiprocessing import Pool

    data = np.load(src, mmap_mode="r")
    with Pool(os.cpu_count()) as pool:
        return np.array(pool.map(process_row, data), dtype=np.float64)


def _attach(name):
    """Attach an existing segment without letting the resource tracker
    unlink it at exit (Python < 3.13 has no track=False)."""
    from multiprocessing import resource_tracker, shared_memory

    shm = shared_memory.SharedMemory(name=name)
    resource_tracker.unregister(shm._name, "shared_memory")
    return shm


def _sm_worker(in_name, offset, shape, out_name, lo, hi):
    from multiprocessing import shared_memory as sm

    # The output was created (and is tracked) by the parent: attach plainly.
    shm_in, shm_out = _attach(in_name), sm.SharedMemory(name=out_name)
    a = np.ndarray(shape, np.float64, buffer=shm_in.buf, offset=offset)
    o = np.ndarray(shape[:1], np.float64, buffer=shm_out.buf)
    np.einsum("ij,ij->i", a[lo:hi], a[lo:hi], out=o[lo:hi])
    del a, o
    shm_in.close()
    shm_out.close()


def shared_memory(src, out):
    """The input is already a segment (/dev/shm/NAME): attach it by name."""
    from multiprocessing import Process
    from multiprocessing import shared_memory as sm

    assert os.path.dirname(src) == "/dev/shm", "shared_memory needs a /dev/shm input"
    a = np.load(src, mmap_mode="r")
    rows, n = a.shape[0], os.cpu_count()
    res = sm.SharedMemory(name=os.path.basename(out) + "-sm", create=True, size=rows * 8)
    try:
        procs = [Process(target=_sm_worker,
                         args=(os.path.basename(src), a.offset, a.shape, res.name,
                               rows * i // n, rows * (i + 1) // n)) for i in range(n)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
            if p.exitcode:
                raise SystemExit(f"shared_memory: a worker exited with {p.exitcode}")
        return np.ndarray((rows,), np.float64, buffer=res.buf).copy()
    finally:
        res.close()
        res.unlink()


def numpy_op(op, src, out):
    a = np.load(src, mmap_mode="r")
    if op == "rowsumsq":
        return np.einsum("ij,ij->i", a, a)
    if op == "colmean":
        return a.mean(axis=0)
    if op in ("sum", "min", "max", "std"):
        return getattr(a, op)()
    o = np.lib.format.open_memmap(out, mode="w+", dtype=a.dtype, shape=a.shape)
    if op == "exp":
        np.exp(a, out=o)
    elif op.startswith("scale:"):
        np.multiply(a, float(op[6:]), out=o)
    else:
        raise SystemExit(f"numpy: unknown op {op}")
    return None  # already in OUT


class NpyFile:
    """An array-like that pickles as its path: each dask worker process maps
    the file itself.  (from_array on the np.load memmap pickles the whole
    array into every task under the processes scheduler: 18.7 s for 256 MiB
    when measured, so that variant measures pickle, not the scheduler.)"""

    def __init__(self, path):
        a = np.load(path, mmap_mode="r")
        self.path, self.shape, self.dtype, self.ndim = path, a.shape, a.dtype, a.ndim

    def __getitem__(self, idx):
        return np.load(self.path, mmap_mode="r")[idx]


def dask_mean0(sched, src):
    import dask.array as da

    if sched == "threads":
        a = np.load(src, mmap_mode="r")
    else:
        a = NpyFile(src)
    rows = max(1, (64 << 20) // (a.shape[1] * a.dtype.itemsize))
    x = da.from_array(a, chunks=(rows, a.shape[1]), asarray=False)
    return x.mean(axis=0).compute(scheduler=sched)


def pandas_csv(prec, src):
    import pandas as pd

    kw = {} if prec == "default" else {"float_precision": prec}
    return pd.read_csv(src, engine="c", **kw).to_numpy(dtype=np.float64)


def csv_reader(src):
    import csv

    with open(src, newline="") as f:
        rows = csv.reader(f)
        next(rows)  # the header
        return np.array([[float(x) for x in r] for r in rows], dtype=np.float64)


def _seed_worker(input_queue, output_queue):
    """The seed's process_chunk, with process_row a row of floats."""
    while True:
        item = input_queue.get(True)
        if item is None:
            break
        i, chunk = item
        output_queue.put((i, [[float(x) for x in row] for row in chunk]))
    output_queue.put(None)


def seed_queue(src, chunksize=1000):
    """The seed's process_csv, changed only where it does not work as
    written: the workers start before the reading (not after the whole
    file has been queued), the parent collects every chunk (not one per
    worker) before it joins them (a worker with queued output cannot
    exit), and the chunks carry their index so that the rows keep their
    order."""
    import csv
    import multiprocessing

    n = os.cpu_count()
    input_queue, output_queue = multiprocessing.Queue(), multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_seed_worker, args=(input_queue, output_queue))
             for _ in range(n)]
    for p in procs:
        p.start()
    chunks = 0
    with open(src, "r", newline="") as f:
        reader = csv.reader(f)
        next(reader)  # the header
        chunk = []
        for row in reader:
            chunk.append(row)
            if len(chunk) == chunksize:
                input_queue.put((chunks, chunk))
                chunks, chunk = chunks + 1, []
        if chunk:
            input_queue.put((chunks, chunk))
            chunks += 1
    for _ in procs:
        input_queue.put(None)
    parts, done = {}, 0
    while done < n:
        item = output_queue.get()
        if item is None:
            done += 1
        else:
            parts[item[0]] = item[1]
    for p in procs:
        p.join()
    if len(parts) != chunks:
        raise SystemExit(f"seed_queue: {len(parts)} of {chunks} chunks came back")
    return np.array([r for i in range(chunks) for r in parts[i]], dtype=np.float64)


def dask_csv(sched, src):
    import dask.dataframe as dd

    return dd.read_csv(src).compute(scheduler=sched).to_numpy(dtype=np.float64)

# --- the expr workload ---------------------------------------------------------

EXPRS = {  # NAME: the expression shmx eval is given
    "rowdist": "sqrt(sum((x - 0.5)**2, axis=1))",
    "axpy": "2*x + 3*y",
    "where": "where(x > 0, log1p(x), -x**2)",
    "zscore": "(x - mean(x, axis=0)) / std(x, axis=0)",
    "rowcount": "sum(x > 0.5, axis=1)",
}
EXPR_ROWS = ("rowdist", "rowcount")  # one value per row; the rest x's shape


def process_row_dist(row):
    """The row function as a Pool.map user writes it."""
    return np.sqrt(np.sum((row - 0.5)**2))


def expr_numpy(name, x, y, o):
    if name == "rowdist":
        return np.sqrt(np.sum((x - 0.5)**2, axis=1))
    if name == "axpy":
        np.add(2*x, 3*y, out=o)
    elif name == "where":
        np.copyto(o, np.where(x > 0, np.log1p(x), -x**2))  # where() has no out=
    elif name == "zscore":
        np.divide(x - np.mean(x, axis=0), np.std(x, axis=0), out=o)
    elif name == "rowcount":
        return np.sum(x > 0.5, axis=1)
    return None


def expr_numexpr(name, x, y, o):
    """numexpr nests no reduction and has sum only as the outermost call, so
    what is inside a reduction, and each reduction, is one evaluate."""
    import numexpr as ne

    if name == "rowdist":
        s = ne.evaluate("sum((x - 0.5)**2, axis=1)")
        return ne.evaluate("sqrt(s)")
    if name == "rowcount":  # numexpr sums no bool: where() makes the ones
        return ne.evaluate("sum(where(x > 0.5, 1, 0), axis=1)").astype(np.int64)
    if name == "zscore":
        n = x.shape[0]
        m = ne.evaluate("sum(x, axis=0)") / n
        s = np.sqrt(ne.evaluate("sum((x - m)**2, axis=0)", local_dict={"x": x, "m": m}) / n)
        ne.evaluate("(x - m) / s", local_dict={"x": x, "m": m, "s": s}, out=o)
    else:
        ne.evaluate(EXPRS[name], local_dict={"x": x, "y": y}, out=o)
    return None


def expr_dask(name, x, y, o):
    import dask.array as da

    rows = max(1, (64 << 20) // (x.shape[1] * x.dtype.itemsize))
    x = da.from_array(x, chunks=(rows, x.shape[1]))
    if y is not None:
        y = da.from_array(y, chunks=(rows, y.shape[1]))
    e = {"rowdist": lambda: da.sqrt(da.sum((x - 0.5)**2, axis=1)),
         "axpy": lambda: 2*x + 3*y,
         "where": lambda: da.where(x > 0, da.log1p(x), -x**2),
         "zscore": lambda: (x - da.mean(x, axis=0)) / da.std(x, axis=0),
         "rowcount": lambda: da.sum(x > 0.5, axis=1)}[name]()
    if name in EXPR_ROWS:
        return e.compute(scheduler="threads")
    da.store(e, o, lock=False, scheduler="threads")  # disjoint chunks: no lock
    return None


def expr_pool(name, x):
    from multiprocessing import Pool

    assert name == "rowdist", "pool: only the row function"
    with Pool(os.cpu_count()) as pool:
        return np.array(pool.map(process_row_dist, x), dtype=np.float64)


def expr(args):
    """ENGINE NAME X.npy [Y.npy] OUT.npy: the result is written to OUT (its
    own dtype) here; returns the seconds of the work."""
    engine, name, *paths, out = args
    x = np.load(paths[0], mmap_mode="r")
    y = np.load(paths[1], mmap_mode="r") if len(paths) > 1 else None
    t0 = time.perf_counter()
    o = None
    if name not in EXPR_ROWS and engine != "pool":
        o = np.lib.format.open_memmap(out, mode="w+", dtype=np.float64, shape=x.shape)
    with np.errstate(all="ignore"):  # where(): log1p(x) of x < -1 is NaN, unused
        if engine == "pool":
            r = expr_pool(name, x)
        else:
            r = {"numpy": expr_numpy, "numexpr": expr_numexpr,
                 "dask": expr_dask}[engine](name, x, y, o)
    if o is not None:
        o.flush()
        del o
    seconds = time.perf_counter() - t0
    if r is not None:
        with open(out, "wb") as f:
            np.save(f, r)
    return seconds


def main(argv):
    kind, *args = argv
    if kind == "expr":
        print(json.dumps({"compute": round(expr(args), 6)}), file=sys.stderr)
        return
    src, out = args[-2], args[-1]
    t0 = time.perf_counter()
    if kind == "pool_map":
        r = pool_map(src)
    elif kind == "shared_memory":
        r = shared_memory(src, out)
    elif kind == "numpy":
        r = numpy_op(args[0], src, out)
    elif kind == "dask":
        r = dask_mean0(args[0], src)
    elif kind == "pandas":
        r = pandas_csv(args[0], src)
    elif kind == "csv_reader":
        r = csv_reader(src)
    elif kind == "seed_queue":
        r = seed_queue(src)
    elif kind == "dask_csv":
        r = dask_csv(args[0], src)
    elif kind == "loadtxt":
        r = np.loadtxt(src, delimiter=",", skiprows=1)
    else:
        raise SystemExit(f"contenders: unknown kind {kind}")
    seconds = time.perf_counter() - t0
    if r is not None:
        with open(out, "wb") as f:
            np.save(f, np.asarray(r, dtype=np.float64))
    print(json.dumps({"compute": round(seconds, 6)}), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
