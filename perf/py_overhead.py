"""perf/py_overhead.py - what one call from Python costs: libshmx.so through
ctypes (in process) against the `shmx` tool (a child process), on a tiny
array, so that the figure is the per-call overhead and not the work.

    /usr/bin/python3 perf/py_overhead.py [BUILD_DIR] [--reps N] [--host-mb M]

BUILD_DIR (default build/) holds tools/shmx and engine/libshmx.so.0.  Each
contender computes `sum` of the same 1000 f64 in a segment (result in
memory): ctypes calls shmx_run() with the result in memory; the tool
variants run `shmx run sum shm://... ` (printed) and `shmx run sum ... -o
shm://tmp` then attach and unlink (what the package does), and the
package's own shmx.run when it is importable from BUILD_DIR/python.  Rounds
alternate the contenders; medians and quartiles of N calls each are
printed (milliseconds), with the load average before and after.
--host-mb M has the host hold M MiB of numpy data of its own meanwhile (a
fork copies the host's page tables; a child started by exec does not).
"""
import ctypes
import os
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPS = 200
args = sys.argv[1:]
if "--reps" in args:
    i = args.index("--reps")
    REPS = int(args[i + 1])
    del args[i:i + 2]
HOST_MB = 0
if "--host-mb" in args:
    i = args.index("--host-mb")
    HOST_MB = int(args[i + 1])
    del args[i:i + 2]
BUILD = os.path.abspath(args[0] if args else os.path.join(ROOT, "build"))
TOOL = os.path.join(BUILD, "tools", "shmx")
LIB = os.path.join(BUILD, "engine", "libshmx.so.0")
NAME = "shmxpy-perf%d-tiny" % os.getpid()


class Shape(ctypes.Structure):
    _fields_ = [("ndim", ctypes.c_int), ("dim", ctypes.c_uint64 * 2)]


class CreateOpts(ctypes.Structure):
    _fields_ = [("force", ctypes.c_int), ("mode", ctypes.c_uint32)]


class OpenOpts(ctypes.Structure):
    _fields_ = [("writable", ctypes.c_int), ("raw", ctypes.c_int),
                ("dtype", ctypes.c_int), ("shape", Shape),
                ("raw_offset", ctypes.c_uint64)]


class RunOpts(ctypes.Structure):  # struct shmx_run_opts (shmx/run.h)
    _fields_ = [("size", ctypes.c_uint32), ("output", ctypes.c_char_p),
                ("create", CreateOpts), ("input", OpenOpts),
                ("axis", ctypes.c_int), ("workers", ctypes.c_uint),
                ("chunk_bytes", ctypes.c_uint64), ("retries", ctypes.c_uint),
                ("in_place", ctypes.c_int), ("progress", ctypes.c_int),
                ("want_stats", ctypes.c_int), ("perf_ctl", ctypes.c_char_p),
                ("io", ctypes.c_int), ("queue_depth", ctypes.c_uint)]


class Stats(ctypes.Structure):  # struct shmx_stats (shmx/stats.h)
    _fields_ = ([("op", ctypes.c_char * 64)] +
                [(n, ctypes.c_uint)
                 for n in ("workers", "spawned", "deaths")] +
                [(n, ctypes.c_uint64) for n in ("chunks", "chunk_rows", "rows",
                                                "bytes_in", "bytes_out")] +
                [(n, ctypes.c_double) for n in ("setup_s", "compute_s",
                                                "merge_s", "publish_s",
                                                "total_s", "gb_per_s")] +
                [("io", ctypes.c_char * 8), ("io_note", ctypes.c_char * 400),
                 ("worker", ctypes.c_void_p)])


class Result(ctypes.Structure):  # struct shmx_result
    _fields_ = [("dtype", ctypes.c_int), ("shape", Shape),
                ("data", ctypes.c_void_p), ("stats", Stats),
                ("priv_map", ctypes.c_void_p), ("priv_len", ctypes.c_uint64)]


class Error(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("msg", ctypes.c_char * 512)]


def ctypes_contender():
    lib = ctypes.CDLL(LIB)
    lib.shmx_run.argtypes = [ctypes.c_char_p, ctypes.c_char_p,
                             ctypes.POINTER(RunOpts), ctypes.POINTER(Result),
                             ctypes.POINTER(Error)]
    lib.shmx_result_free.argtypes = [ctypes.POINTER(Result)]
    spec = ("shm://" + NAME).encode()

    def call():
        o = RunOpts(size=ctypes.sizeof(RunOpts), retries=1)
        r, e = Result(), Error()
        if lib.shmx_run(b"sum", spec, ctypes.byref(o), ctypes.byref(r),
                        ctypes.byref(e)):
            raise RuntimeError(e.msg.decode())
        v = ctypes.cast(r.data, ctypes.POINTER(ctypes.c_double))[0]
        lib.shmx_result_free(ctypes.byref(r))
        return v
    return call


def tool_printed():
    return float(subprocess.run([TOOL, "run", "sum", "shm://" + NAME],
                                stdout=subprocess.PIPE, check=True).stdout)


def tool_segment():
    out = NAME + "-out"
    subprocess.run([TOOL, "run", "sum", "shm://" + NAME, "-o", "shm://" + out],
                   check=True)
    path = "/dev/shm/" + out
    a = np.load(path, mmap_mode="r")
    os.unlink(path)
    return float(a)


def package_contender():
    sys.path.insert(0, os.path.join(BUILD, "python"))
    try:
        import shmx
    except ImportError:
        return None
    return lambda: float(shmx.run("sum", "shm://" + NAME))


def main():
    subprocess.run([TOOL, "gen", "-o", "shm://" + NAME, "-s", "1000",
                    "--fill", "range"], check=True)
    try:
        want = float(np.arange(1000.0).sum())
        contenders = {"ctypes shmx_run (in process)": ctypes_contender(),
                      "tool, printed result": tool_printed,
                      "tool, -o segment + attach": tool_segment}
        pkg = package_contender()
        if pkg:
            contenders["shmx.run (the package)"] = pkg
        # the host's own memory: a fork (what shmx_run does in process)
        # copies its page tables, a child process started by exec does not
        ballast = np.ones(HOST_MB << 17) if HOST_MB else None
        times = {k: [] for k in contenders}
        load0 = os.getloadavg()
        for f in contenders.values():  # warm-up, and the check
            assert f() == want
        for _ in range(REPS):
            for k, f in contenders.items():
                t0 = time.perf_counter()
                f()
                times[k].append((time.perf_counter() - t0) * 1e3)
        load1 = os.getloadavg()
        print("per-call time of sum over 1000 f64, ms (median [q1, q3] of %d; "
              "%d CPUs; load %.2f -> %.2f; host holds %d MiB)" %
              (REPS, os.cpu_count(), load0[0], load1[0], HOST_MB))
        del ballast
        base = statistics.median(times["ctypes shmx_run (in process)"])
        for k, t in times.items():
            q = statistics.quantiles(t, n=4)
            m = statistics.median(t)
            print("  %-32s %7.3f [%.3f, %.3f]  %5.1fx ctypes" %
                  (k, m, q[0], q[2], m / base))
    finally:
        for n in (NAME, NAME + "-out"):
            try:
                os.unlink("/dev/shm/" + n)
            except FileNotFoundError:
                pass


if __name__ == "__main__":
    main()
