"""perf/py_seed.py - the seed workload (per-row sum of squares of a
100000x10 f64 array, as the multiprocessing tutorials run it) from inside
one Python process:
shmx.run against numpy and multiprocessing.Pool.map, after the imports.

    /usr/bin/python3 perf/py_seed.py [BUILD_DIR] [--reps N] [--rows R]

BUILD_DIR (default build/) holds python/shmx (the package from the build
tree) and tools/shmx.  Contenders, alternating, each checked against numpy
(rtol 1e-12) before its time counts:

  numpy               (data * data).sum(axis=1)
  Pool.map            the seed's process_data(): a Pool of cpu_count()
                      processes created per call, pool.map(process_row, data)
  Pool.map, warm      the same map on a pool created once, beforehand
  shmx.run, ndarray   shmx.run("sumsq", data, axis=1): data copied once
                      into a temporary segment, the result in memory
  shmx.run, segment   the same with data created by shmx.create (attached:
                      handed over by name, no copy)

Medians, min and max of N rounds (Pool.map: N // 4 + 1), ratios to shmx,
and the load average before and after.  --rows R (default 100000, the
seed's) scales the array; the Pool contenders run only up to 200000 rows.
"""
import multiprocessing
import os
import statistics
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPS = 21
args = sys.argv[1:]
if "--reps" in args:
    i = args.index("--reps")
    REPS = int(args[i + 1])
    del args[i:i + 2]
ROWS = 100000
if "--rows" in args:
    i = args.index("--rows")
    ROWS = int(args[i + 1])
    del args[i:i + 2]
BUILD = os.path.abspath(args[0] if args else os.path.join(ROOT, "build"))
sys.path.insert(0, os.path.join(BUILD, "python"))
os.environ.setdefault("SHMX_TOOL", os.path.join(BUILD, "tools", "shmx"))
import shmx  # noqa: E402

NAME = "shmxpy-perf%d-seed" % os.getpid()


def process_row(row):  # the seed's, as written
    result = np.sum(row**2)
    return result


def process_data(data, num_processes):  # the seed's, as written
    with multiprocessing.Pool(processes=num_processes) as pool:
        results = pool.map(process_row, data)
    return np.array(results)


def main():
    data = np.random.rand(ROWS, 10)
    want = (data * data).sum(axis=1)
    ncpu = multiprocessing.cpu_count()
    with shmx.create("shm://" + NAME, data.shape, data.dtype) as seg:
        seg[:] = data
    warm = multiprocessing.Pool(processes=ncpu)
    try:
        contenders = {
            "numpy": lambda: (data * data).sum(axis=1),
            "Pool.map": lambda: process_data(data, ncpu),
            "Pool.map, warm": lambda: np.array(warm.map(process_row, data)),
            "shmx.run, ndarray": lambda: shmx.run("sumsq", data, axis=1),
            "shmx.run, segment": lambda: shmx.run("sumsq", seg, axis=1),
        }
        slow = {"Pool.map", "Pool.map, warm"}
        if ROWS > 200000:
            for k in slow:
                del contenders[k]
        for k, f in contenders.items():  # warm-up and check
            if not np.allclose(f(), want, rtol=1e-12, atol=0):
                raise SystemExit("%s: wrong result" % k)
        times = {k: [] for k in contenders}
        load0 = os.getloadavg()
        for r in range(REPS):
            for k, f in contenders.items():
                if k in slow and r % 4:
                    continue
                t0 = time.perf_counter()
                f()
                times[k].append(time.perf_counter() - t0)
        load1 = os.getloadavg()
    finally:
        warm.terminate()
        warm.join()
        shmx.rm("shm://" + NAME, missing_ok=True)
    med = {k: statistics.median(t) for k, t in times.items()}
    print("seed workload (row sumsq, %dx10 f64) in one Python process, "
          "seconds: median [min, max] of N; %d CPUs; load %.2f -> %.2f"
          % (ROWS, ncpu, load0[0], load1[0]))
    for k, t in times.items():
        print("  %-20s %9.5f [%.5f, %.5f] N=%-3d  %7.1fx shmx.run, segment"
              % (k, med[k], min(t), max(t), len(t),
                 med[k] / med["shmx.run, segment"]))


if __name__ == "__main__":
    main()
