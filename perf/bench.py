#!/usr/bin/python3
"""perf/bench.py - shmx against numpy, multiprocessing, Dask and hand-written
C, as whole processes, side by side.  Run it through perf/run (which builds).

Method.  Every contender is a whole process (start-up included), timed from
spawn to exit.  bench() runs one warm-up round (this VM hands free pages
back to the host, so the first touch after idle is several times slower),
then N rounds, alternating the contenders (A B C A B C ...), and reports the
median and min-max.  A contender's result is compared with the reference
(np.allclose rtol 1e-12 for f64, or exact) before its times count: in the
warm-up round always, and in every round when the result is small; a
mismatch or a failed run is a FAIL line and the contender drops out.
Contenders that report a "compute" phase (shmx --stats, the C references,
the Python contenders) get GB/s for that phase too.

Everything created in /dev/shm carries the prefix perfb<PID>- and is removed
at exit, also on Ctrl-C, SIGTERM or failure; each contender runs in its own
process group, which is killed when it ends, so no strays remain.
"""
import argparse
import glob
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hugepages import SMALL_PAGES, describe as describe_pages, fio_pages  # noqa: E402

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHMX = os.environ.get("SHMX_BENCH_BIN") or os.path.join(ROOT, "build-perf", "tools", "shmx")
CBIN = os.path.join(ROOT, "build-perf", "perf-c")
PLUGIN = os.path.join(os.path.dirname(os.path.dirname(SHMX)), "tools", "rownorm.so")
PY = "/usr/bin/python3"
CONTENDERS = os.path.join(ROOT, "perf", "contenders.py")
RESULTS = os.path.join(ROOT, "perf", "results")
PREFIX = f"perfb{os.getpid()}-"
NCPU = os.cpu_count()
OMP = {"OMP_NUM_THREADS": str(NCPU)}

# quick: < 2 min in all on 2 cores; full: the sizes the issues state.
SIZES = {
    "quick": dict(reps=5, big_rows=3355443, gen_elems=64 << 20,    # 256 MiB, 512 MiB
                  rowseg_rows=4194304,                            # 256 MiB
                  csv_rows=1000000),                              # ~115 MB of CSV
    "full": dict(reps=7, big_rows=26843545, gen_elems=512 << 20,   # 2 GiB, 4 GiB
                 rowseg_rows=16777216,                            # 1 GiB
                 csv_rows=10000000),                              # ~1.1 GB of CSV
}


class RunError(Exception):
    pass


def shm(name):
    return f"/dev/shm/{PREFIX}{name}"


def target(name):
    return f"shm://{PREFIX}{name}"


def cbin(name):
    return os.path.join(CBIN, name)


# --- running one process ----------------------------------------------------

@dataclass
class C:
    """A contender: a command line, and where its result lands."""
    name: str
    argv: list
    out: str = None       # an NPY path, removed after every run
    stdout: bool = False  # the result is printed instead (%.17g per value)
    check: bool = True    # False for limits and floors: nothing to compare
    env: dict = None
    pre: object = None    # called before every run, untimed (cold: drop caches)
    parse: object = None  # parse(stdout) -> dict merged into the run's stats


def kill_group(p, grace=3.0):
    """End whatever is left of the contender's process group."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            break
        try:
            p.wait(grace)
            if sig == signal.SIGTERM:
                continue
        except subprocess.TimeoutExpired:
            pass
    if p.poll() is None:
        p.wait()


def run_once(c, timeout=900):
    """Whole-process seconds, the last JSON line on stderr, stdout."""
    env = dict(os.environ, **(c.env or {}))
    if c.pre:
        c.pre()
    t0 = time.perf_counter()
    p = subprocess.Popen(c.argv, stdout=subprocess.PIPE if c.stdout else subprocess.DEVNULL,
                         stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
        wall = time.perf_counter() - t0
    except subprocess.TimeoutExpired:
        kill_group(p, 0.5)
        raise RunError(f"{c.name}: still running after {timeout} s")
    except BaseException:
        kill_group(p)
        raise
    try:
        os.killpg(p.pid, signal.SIGKILL)  # grandchildren left behind
    except ProcessLookupError:
        pass
    err = err.decode(errors="replace")
    if p.returncode:
        tail = " | ".join(err.strip().splitlines()[-3:])
        raise RunError(f"{c.name}: exit status {p.returncode}: {tail}")
    stats = {}
    for line in err.splitlines():
        if line.startswith("{"):
            try:
                stats = json.loads(line)
            except ValueError:
                pass
    if c.parse:
        try:
            stats.update(c.parse(out))
        except (ValueError, KeyError, IndexError, TypeError) as e:
            raise RunError(f"{c.name}: cannot read its output: {e}")
    return wall, stats, out


def remove(path):
    try:
        os.unlink(path)
    except (FileNotFoundError, TypeError):
        pass


def cleanup():
    """Everything this run made in /dev/shm: our names, shmx temporaries
    of our names (.shmx-<pid>-<seq>-NAME), C temporaries (NAME.tmp<pid>)."""
    for path in glob.glob(f"/dev/shm/*{PREFIX}*") + glob.glob(f"/dev/shm/.*{PREFIX}*"):
        remove(path)


# --- checking ---------------------------------------------------------------

def mismatch(a, b, how):
    """None when a and b agree, else what differs.  how: 'close' (f64,
    rtol 1e-12), 'near' (rtol 1e-12 and atol 1e-12: values of about 1 that
    may cancel to near 0), 'exact', or 'shape' (only the shape); 'typed-'
    before one of them: the shapes and dtypes must be the same too."""
    a, b = np.asarray(a) if np.ndim(a) == 0 else a, np.asarray(b) if np.ndim(b) == 0 else b
    if how.startswith("typed-"):
        how = how[6:]
        if (np.shape(a), a.dtype) != (np.shape(b), b.dtype):
            return f"{a.dtype} {np.shape(a)} vs {b.dtype} {np.shape(b)}"
    if how == "shape" or np.size(a) != np.size(b):
        return None if np.shape(a) == np.shape(b) else f"shape {np.shape(a)} vs {np.shape(b)}"
    a, b = a.reshape(-1), b.reshape(-1)
    step = 1 << 22  # compare mapped arrays piece by piece: no big temporaries
    for i in range(0, a.size, step):
        x, y = np.asarray(a[i:i + step]), np.asarray(b[i:i + step])
        if not (np.array_equal(x, y, equal_nan=True) if how == "exact"
                else np.allclose(x, y, rtol=1e-12, atol=1e-12 if how == "near" else 0,
                                 equal_nan=True)):
            with np.errstate(all="ignore"):
                rel = np.nanmax(np.abs(x - y) / np.abs(y))
            return f"max relative difference {rel:.3g} ({how})"
    return None


def load_result(c, stdout):
    if c.stdout:
        return np.array(stdout.split(), dtype=np.float64)
    return np.load(c.out, mmap_mode="r")


# --- the shared helper --------------------------------------------------------

def williams(items, r):
    """Row r of a Williams square over items: over n rows (2n for an odd n:
    the rows and their mirrors) each item runs right after each other
    equally often.  Row 0: 0, 1, n-1, 2, n-2, ...; row r adds r modulo n."""
    n = len(items)
    first = [0] + [(k + 1) // 2 if k % 2 else n - k // 2 for k in range(1, n)]
    row = [items[(i + r) % n] for i in first]
    return row[::-1] if n % 2 and (r // n) % 2 else row


def bench(contenders, reps, how="close", ref=None, balanced=False):
    """Warm-up round, then `reps` rounds of every contender in turn.  Each
    result is checked against `ref` (else the first checked contender's).
    balanced: the rounds after the warm-up run in the orders of a Williams
    square, for a disk whose speed depends on the run before (in one fixed
    order every contender would always follow the same other).
    Returns {name: {wall: [...], compute: [...], median, min, max,
    compute_median, stats, status}}."""
    res = {c.name: dict(wall=[], compute=[], stats={}, status="ok") for c in contenders}
    ref_name, ref_path = ("numpy, in the driver" if ref is not None else None), None
    try:
        for rnd in range(reps + 1):
            for c in williams(contenders, rnd - 1) if balanced and rnd else contenders:
                r = res[c.name]
                if r["status"] != "ok":
                    continue
                try:
                    wall, stats, out = run_once(c)
                    small = c.stdout or (c.out and os.path.getsize(c.out) < (64 << 20))
                    if c.check and (rnd == 0 or small):
                        got = load_result(c, out)
                        if ref is None:
                            ref_name = c.name
                            if c.out:  # keep the reference's output
                                ref_path = c.out + ".ref"
                                os.rename(c.out, ref_path)
                                got = np.load(ref_path, mmap_mode="r")
                            ref = got
                        elif (diff := mismatch(got, ref, how)):
                            raise RunError(f"{c.name}: result differs from {ref_name}: {diff}")
                except (RunError, OSError, ValueError) as e:
                    why = e if isinstance(e, RunError) else f"{c.name}: no readable result: {e}"
                    r["status"] = f"FAIL: {why}"
                    print(f"FAIL {why}", flush=True)
                    continue
                finally:
                    remove(c.out)
                if rnd:
                    r["wall"].append(wall)
                    if "compute" in stats:
                        r["compute"].append(stats["compute"])
                    r["stats"] = {k: v for k, v in stats.items() if k != "per_worker"}
    finally:
        remove(ref_path)
    for name, r in res.items():
        if r["wall"]:
            r.update(median=statistics.median(r["wall"]), min=min(r["wall"]), max=max(r["wall"]))
        if r["compute"]:
            r["compute_median"] = statistics.median(r["compute"])
        print(f"  {name:28} " + (f"{r['median']:.4f} s  ({r['min']:.4f}-{r['max']:.4f})"
              + (f"  compute {r['compute_median']:.4f} s" if r["compute"] else "")
              if r["wall"] else r["status"]), flush=True)
    return res


# --- results bookkeeping -------------------------------------------------------

def group(title, res, nbytes, limit=None, shmx="shmx"):
    """One table: a bench() result, the bytes per run (for GB/s), the name
    of the limit contender and of the shmx contender (for the ratios)."""
    return dict(title=title, bytes=nbytes, results=res, limit=limit, shmx=shmx)


def median(res, name, key="median"):
    return res.get(name, {}).get(key)


def ratio(num, den):
    return num / den if num and den else None


def verdict(targets, text, value, want, unit="x", below=False):
    """A target from the issues: PASS when value >= want (<= with below)."""
    ok = value is not None and (value <= want if below else value >= want)
    shown = "n/a (a contender failed)" if value is None else f"{value:.3g}{unit}"
    targets.append(dict(target=text, value=value, want=want, ok=ok,
                        line=f"{'PASS' if ok else 'FAIL'}  {text}: {shown}"))
    print(targets[-1]["line"], flush=True)


def gen_input(name, shape, seed):
    try:
        subprocess.run([SHMX, "gen", "-o", target(name), "--shape", shape, "--dtype", "f64",
                        "--seed", str(seed), "--force"], check=True, capture_output=True)
    except subprocess.CalledProcessError as e:
        raise RunError(f"shmx gen {shape}: {e.stderr.decode().strip()}")
    return shm(name)


def shmx_run(op, src, *args, out=None):
    argv = [SHMX, "run", *op.split(), "shm://" + os.path.basename(src), *args, "--stats"]
    return argv + (["-o", target(out), "--force"] if out else [])


def numpy_c(name, kind, *args, src, out):
    return C(name, [PY, CONTENDERS, kind, *args, src, shm(out)], out=shm(out))


# --- the workloads ---------------------------------------------------------------

def w_seed(cfg):
    """a. The seed: per-row sum of squares of a 100000x10 f64 array."""
    rows, cols = 100000, 10
    src, nb = gen_input("seed", f"{rows}x{cols}", 1), rows * cols * 8
    a = np.load(src, mmap_mode="r")
    ref = np.einsum("ij,ij->i", a, a)
    slow = bench([numpy_c("numpy einsum", "numpy", "rowsumsq", src=src, out="seed-np"),
                  numpy_c("Pool.map", "pool_map", src=src, out="seed-pool"),
                  numpy_c("shared_memory ranges", "shared_memory", src=src, out="seed-sm")],
                 cfg["reps"], ref=ref)
    # The fast ones get 10x the rounds: their times are milliseconds.
    fast = bench([C("C minimal (1 thread)", [cbin("rowsumsq_min"), src, shm("seed-c")],
                    out=shm("seed-c")),
                  C("shmx", shmx_run("sumsq --axis 1", src, out="seed-shmx"),
                    out=shm("seed-shmx")),
                  C("shmx, printed", shmx_run("sumsq --axis 1", src), stdout=True)],
                 cfg["reps"] * 10, ref=ref)
    res = {**slow, **fast}
    t = []
    verdict(t, "shmx >= 200x faster than Pool.map",
            ratio(median(res, "Pool.map"), median(res, "shmx")), 200)
    verdict(t, "shmx within 1.5x of the minimal C program (time ratio)",
            ratio(median(res, "shmx"), median(res, "C minimal (1 thread)")), 1.5, below=True)
    return dict(groups=[group(f"per-row sumsq, {rows}x{cols} f64 ({nb / 1e6:.0f} MB)", res, nb,
                              limit="C minimal (1 thread)")], targets=t)


BIG = {}


def big_input(cfg):
    """The big f64 array (2 GiB full, 256 MiB quick), made once."""
    if "path" not in BIG:
        BIG["shape"] = f"{cfg['big_rows']}x10"
        BIG["path"] = gen_input("big", BIG["shape"], 2)
        BIG["bytes"] = cfg["big_rows"] * 10 * 8
    return BIG["path"], BIG["bytes"], BIG["shape"]


REDUCTIONS = [  # title, shmx op, numpy/C op, comparison
    ("row sumsq", "sumsq --axis 1", "rowsumsq", "close"),
    ("column mean", "mean --axis 0", "colmean", "close"),
    ("global std", "std", "std", "close"),
    ("global sum", "sum", "sum", "close"),
    ("global min", "min", "min", "exact"),
    ("global max", "max", "max", "exact"),
]


def w_reduce(cfg):
    """b. Reductions of the big array in shm: shmx vs numpy, Dask (column
    mean), a naive OpenMP loop, and the memory read-bandwidth limit."""
    src, nb, shape = big_input(cfg)
    groups, t = [], []
    for title, op, cop, how in REDUCTIONS:
        print(f"- {title}", flush=True)
        cs = [numpy_c("numpy", "numpy", cop, src=src, out="r-np"),
              C("shmx", shmx_run(op, src, out="r-shmx"), out=shm("r-shmx")),
              C("C OpenMP loop", [cbin("omp_reduce"), cop, src, shm("r-c")], out=shm("r-c"),
                env=OMP)]
        if cop == "colmean":
            cs += [numpy_c("dask threads", "dask", "threads", src=src, out="r-dt"),
                   numpy_c("dask processes", "dask", "processes", src=src, out="r-dp")]
        cs.append(C("memread (limit)", [cbin("memread"), src], check=False, env=OMP))
        res = bench(cs, cfg["reps"], how=how)
        groups.append(group(f"{title}, {shape} f64 ({nb / 2**20:.0f} MiB)", res, nb,
                            limit="memread (limit)"))
        bw = ratio(median(res, "memread (limit)", "compute_median"),
                   median(res, "shmx", "compute_median"))
        whole = ratio(median(res, "memread (limit)"), median(res, "shmx"))
        verdict(t, f"{title}: shmx compute >= 85% of memread bandwidth (whole process "
                   f"{fmt(whole and 100 * whole, '%')})", bw and 100 * bw, 85, unit="%")
        verdict(t, f"{title}: shmx >= 4x numpy (whole process; compute ratio "
                   f"{fmt(ratio(median(res, 'numpy', 'compute_median'), median(res, 'shmx', 'compute_median')), 'x')})",
                ratio(median(res, "numpy"), median(res, "shmx")), 4)
    return dict(groups=groups, targets=t)


def w_map(cfg):
    """c. Element-wise map of the big array into a new output."""
    src, nb, shape = big_input(cfg)
    res = bench([numpy_c("numpy into open_memmap", "numpy", "scale:2", src=src, out="m-np"),
                 C("shmx", shmx_run("scale:2", src, out="m-shmx"), out=shm("m-shmx")),
                 C("C loop, fallocated output", [cbin("map_fallocated"), "scale:2", src,
                                                 shm("m-c")], out=shm("m-c"), env=OMP)],
                cfg["reps"], how="exact")
    t = []
    vs_c = ratio(median(res, "C loop, fallocated output"), median(res, "shmx"))
    verdict(t, "scale:2: shmx >= 90% of the C loop (whole process)", vs_c and 100 * vs_c, 90,
            unit="%")
    return dict(groups=[group(f"scale:2 into a new output, {shape} f64 ({nb / 2**20:.0f} MiB)",
                              res, nb, limit="C loop, fallocated output")], targets=t)


def w_rowseg(cfg):
    """A per-row result into a new segment: row sumsq of a warm f64 array of 8
    columns (1 GiB full), shmx against the OpenMP C loop that writes the
    same result into a new segment (posix_fallocate, mmap, rename), and a
    read-only pass as the floor.  Every output is removed between runs, so
    no contender pays for freeing an old one."""
    rows = cfg["rowseg_rows"]
    shape, nb = f"{rows}x8", rows * 8 * 8
    src = gen_input("rowseg", shape, 3)
    cs = [C("shmx", shmx_run("sumsq --axis 1", src, out="rs-shmx"), out=shm("rs-shmx")),
          C("C OpenMP loop into a new segment", [cbin("omp_reduce"), "rowsumsq", src,
                                                 shm("rs-c")], out=shm("rs-c"), env=OMP),
          C("memread (floor)", [cbin("memread"), src], check=False, env=OMP)]
    res = bench(cs, cfg["reps"], how="close")
    t = []
    verdict(t, "row sumsq into a new segment: shmx within 1.2x of the C loop (whole process)",
            ratio(median(res, "shmx"), median(res, "C OpenMP loop into a new segment")), 1.2,
            below=True)
    groups = [group(f"row sumsq into a new segment, {shape} f64 ({nb / 2**20:.0f} MiB)",
                    res, nb, limit="C OpenMP loop into a new segment")]
    # The example plugin's l2norm does the built-in sumsq's work and a sqrt
    # per row; it is checked against numpy, the built-in against nothing
    # (another result).
    a = np.load(src, mmap_mode="r")
    ref = np.sqrt(np.einsum("ij,ij->i", a, a))
    del a
    plug = [C("shmx sumsq --axis 1 (built-in)", shmx_run("sumsq --axis 1", src, out="rs-b"),
              out=shm("rs-b"), check=False),
            C("shmx plugin l2norm", shmx_run(f"plugin:{PLUGIN}:l2norm", src, out="rs-p"),
              out=shm("rs-p"))]
    pres = bench(plug, cfg["reps"], how="close", ref=ref)
    remove(src)
    verdict(t, "plugin l2norm within 10% of the built-in sumsq --axis 1 (whole process)",
            ratio(median(pres, "shmx plugin l2norm"),
                  median(pres, "shmx sumsq --axis 1 (built-in)")), 1.1, below=True)
    groups.append(group(f"the example plugin against the built-in kernel, {shape} f64",
                        pres, nb, limit="shmx sumsq --axis 1 (built-in)",
                        shmx="shmx plugin l2norm"))
    return dict(groups=groups, targets=t)


def w_scaling(cfg):
    """d. Workers: -j 1 vs -j 2 on a compute-bound map (exp), and -j 1..ncpu
    on a memory-bound reduction (sum).  Results must be bit-identical."""
    src, nb, shape = big_input(cfg)
    groups, t, curve = [], [], {}
    for title, op in (("exp (compute-bound)", "exp"), ("sum (memory-bound)", "sum")):
        print(f"- {title}", flush=True)
        out = "s-out" if op == "exp" else None
        cs = [C(f"shmx -j {j}", shmx_run(op, src, "-j", str(j), out=out and f"{out}{j}"),
                out=out and shm(f"{out}{j}"), stdout=not out) for j in range(1, NCPU + 1)]
        res = bench(cs, cfg["reps"], how="exact")
        groups.append(group(f"{title}, {shape} f64 ({nb / 2**20:.0f} MiB)", res, nb,
                            shmx="shmx -j 1"))
        curve[op] = {j: (ratio(median(res, "shmx -j 1", "compute_median"),
                               median(res, f"shmx -j {j}", "compute_median")),
                         ratio(median(res, "shmx -j 1"), median(res, f"shmx -j {j}")))
                     for j in range(1, NCPU + 1)}
    if NCPU >= 2:
        whole = curve["exp"][2][1]
        verdict(t, f"exp: -j 2 >= 1.85x -j 1 (compute phase; whole process {fmt(whole, 'x')})",
                curve["exp"][2][0], 1.85)
    return dict(groups=groups, targets=t, curve=curve)


def w_tiny(cfg):
    """e. A 1000-element array: the whole `shmx run sum` process."""
    src = gen_input("tiny", "1000", 5)
    ref = np.load(src).sum()
    res = bench([C("shmx run sum", [SHMX, "run", "sum", target("tiny")], stdout=True),
                 C("/bin/true (spawn floor)", ["/bin/true"], check=False)],
                cfg["reps"] * 60, ref=ref)
    t = []
    ms = median(res, "shmx run sum")
    verdict(t, "tiny: whole shmx run sum process < 3 ms (median)", ms and ms * 1e3, 3,
            unit=" ms", below=True)
    return dict(groups=[group("sum of 1000 f64, whole process", res, 8000,
                              shmx="shmx run sum")], targets=t)


def w_gen(cfg):
    """f. shmx gen of a big f64 array into a segment vs a C fill of a fresh
    posix_fallocate'd shm file (the memory-speed reference).  The values
    differ (different generators): only the shapes are compared."""
    n = cfg["gen_elems"]
    res = bench([C("shmx gen", [SHMX, "gen", "-o", target("g-shmx"), "--shape", str(n),
                                "--dtype", "f64", "--seed", "7", "--force", "--stats"],
                   out=shm("g-shmx")),
                 C("C fill, fallocated", [cbin("fill_fallocated"), shm("g-c"), str(n)],
                   out=shm("g-c"), env=OMP)],
                cfg["reps"], how="shape")
    return dict(groups=[group(f"gen {n} f64 ({n * 8 / 2**30:.1f} GiB) into a segment",
                              res, n * 8, limit="C fill, fallocated", shmx="shmx gen")],
                targets=[])


# --- cold: a file on the disk, not in the page cache -------------------------------

COLD_BYTES = {"quick": 512 << 20, "full": 2 << 30}  # at least this much f64 data
COLD_QDS = (4, 8, 16, 32)      # --queue-depth values tried besides the default (full)
COLD_CHUNK = 4 << 20           # shmx's default --chunk: the RSS bound's unit
COLD_WORKERS = 2
DATA = os.path.join(ROOT, "perf", "data")


def drop_caches():
    """Write back dirty pages, then drop the page cache (and dentries,
    inodes): `sync; echo 3 > /proc/sys/vm/drop_caches`.  Needs root."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    except OSError as e:
        raise RunError(f"cold: cannot drop the page cache ({e}): run as root")


def fincore(path):
    """(`fincore FILE` as printed, resident bytes)."""
    try:
        shown = subprocess.run(["fincore", path], capture_output=True, text=True,
                               check=True).stdout.rstrip()
        res = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES", path],
                             capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError) as e:
        raise RunError(f"fincore {path}: {getattr(e, 'stderr', '') or e}")
    return shown, int(res[0])


def fio_stats(nbytes):
    """fio --output-format=json -> a "compute" phase: the array's bytes at
    fio's own bandwidth (its I/O phase, start-up excluded)."""
    def parse(out):
        text = out.decode(errors="replace")
        job = json.loads(text[text.index("{"):])["jobs"][0]
        if job.get("error"):
            raise ValueError(f"fio job error {job['error']}")
        bw = job["read"]["bw_bytes"]
        if not bw:
            raise ValueError("fio read nothing")
        return dict(compute=nbytes / bw, fio_bw=bw, fio_io_bytes=job["read"]["io_bytes"])
    return parse


def stream_default_depth(stats):
    """The queue depth `--io stream` uses without --queue-depth (--stats)."""
    return int(stats["queue_depth"]) if stats.get("queue_depth") else None


def stream_geometry(path):
    """(workers, queue depth, bytes a chunk) of one cold default `--io stream`
    run: what fio with the stream's geometry issues."""
    drop_caches()
    p = subprocess.run(shmx_file("mean --axis 0", path, "stream"), capture_output=True,
                       text=True)
    st = next((json.loads(ln) for ln in reversed(p.stderr.splitlines())
               if ln.startswith("{")), None)
    if p.returncode or not st:
        raise RunError(f"cold: the geometry probe failed: {p.stderr.strip()[-300:]}")
    chunk = st["chunk_rows"] * st["bytes_in"] // max(st["rows"], 1)
    return st["workers"], stream_default_depth(st) or 8, -(-chunk // 4096) * 4096


def fio_read(path, nbytes, jobs, depth, bs, layout, mem=()):
    """fio reading the file: "interleave" (job j reads blocks j, j + jobs, ...,
    as the workers claim chunks from one cursor), "split" (job j its jth
    part) or "seq" (one job); mem: its --mem (hugepages.py)."""
    argv = ["fio", "--name=r", f"--filename={path}", f"--bs={bs}", "--direct=1",
            "--ioengine=io_uring", "--fixedbufs=1", f"--iodepth={depth}",
            f"--numjobs={jobs}", "--group_reporting", "--output-format=json", *mem]
    span = nbytes // bs * bs
    if layout == "split":
        share = span // jobs // bs * bs
        return argv + ["--rw=read", f"--size={share}", f"--offset_increment={share}"]
    if layout == "interleave" and jobs > 1:
        return argv + [f"--rw=read:{(jobs - 1) * bs}", f"--offset_increment={bs}",
                       f"--size={span - (jobs - 1) * bs}"]
    return argv + ["--rw=read", f"--size={span}"]


COLD_FIO_BEST = [(2, 32, 4 << 20, "interleave"), (2, 16, 4 << 20, "split"),
                 (1, 16, 4 << 20, "seq"), (1, 32, 4 << 20, "seq")]  # for the best fio


def remove_stale_cold():
    """perf/data files of earlier runs that died without cleaning up."""
    for path in glob.glob(os.path.join(DATA, "perfb*-cold*")):
        pid = os.path.basename(path)[5:].split("-")[0]
        try:
            os.kill(int(pid), 0)
            continue  # that run is still going
        except (ValueError, ProcessLookupError):
            pass
        except PermissionError:
            continue
        remove(path)


def cold_input(cfg):
    """A fresh f64 file on the disk, at least COLD_BYTES of data."""
    os.makedirs(DATA, exist_ok=True)
    remove_stale_cold()
    rows = -(-COLD_BYTES[cfg["size"]] // 80)
    nbytes, path = rows * 80, os.path.join(DATA, f"{PREFIX}cold.npy")
    free = os.statvfs(DATA)
    if free.f_bavail * free.f_frsize < nbytes + (1 << 30):
        raise RunError(f"cold: {nbytes / 2**30:.1f} GiB (+1 GiB spare) do not fit in {DATA}")
    try:
        subprocess.run([SHMX, "gen", "-o", path, "--shape", f"{rows}x10", "--dtype", "f64",
                        "--seed", "11", "--force"], check=True, capture_output=True)
    except subprocess.CalledProcessError as e:
        remove(path)
        raise RunError(f"shmx gen {path}: {e.stderr.decode().strip()}")
    fs = subprocess.run(["findmnt", "-n", "-o", "FSTYPE", "-T", path], capture_output=True,
                        text=True).stdout.strip() or "?"
    return path, nbytes, f"{rows}x10", fs


def shmx_file(op, path, io, *args, out=None):
    argv = [SHMX, "run", *op.split(), path, "--io", io, "-j", str(COLD_WORKERS), *args,
            "--stats"]
    return argv + (["-o", target(out), "--force"] if out else [])


def stream_probe(argv, path, out):
    """One cold run of argv under /usr/bin/time: fincore before and after,
    peak RSS (the largest of the process and its workers), --stats."""
    rss_file = shm("cold-rss")
    drop_caches()
    before = fincore(path)
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file, *argv],
                       capture_output=True, text=True)
    after = fincore(path)
    remove(out)
    try:
        with open(rss_file) as f:
            rss_kib = int(f.read().split()[-1])
    except (OSError, ValueError, IndexError) as e:
        raise RunError(f"cold: no peak RSS from /usr/bin/time: {e}")
    finally:
        remove(rss_file)
    if p.returncode:
        raise RunError(f"cold probe: exit status {p.returncode}: {p.stderr.strip()[-300:]}")
    stats = next((json.loads(ln) for ln in reversed(p.stderr.splitlines())
                  if ln.startswith("{")), {})
    return dict(before=before, after=after, rss=rss_kib << 10, stats=stats)


COLD_OPS = [  # title, shmx op, numpy/C op
    ("row sumsq", "sumsq --axis 1", "rowsumsq"),
    ("column mean", "mean --axis 0", "colmean"),
]


def w_cold(cfg):
    """g. Cold-cache reads of a file on the disk: shmx --io stream/mmap/auto
    against fio, a C loop over the cold mapping and numpy (page cache
    dropped before every run of every contender)."""
    drop_caches()  # fail early without root
    path, nb, shape, fs = cold_input(cfg)
    try:
        return cold_runs(cfg, path, nb, shape, fs)
    finally:
        remove(path)


def cold_runs(cfg, path, nb, shape, fs):
    geo = stream_geometry(path)
    gs = [geo] + [g[:3] for g in COLD_FIO_BEST]
    with fio_pages(max(j * d * bs for j, d, bs in gs)) as mem:
        return cold_rounds(cfg, path, nb, shape, fs, geo, mem)


def cold_rounds(cfg, path, nb, shape, fs, geo, mem):
    depth = geo[1]
    dname = f"shmx --io stream (default qd {depth or '?'})"
    fio_same = f"fio, the stream's geometry ({geo[0]} jobs x qd {depth} x {geo[2] >> 10} KiB)"
    fio_name = lambda g: f"fio {g[0]} jobs x qd {g[1]} x {g[2] >> 10} KiB, {g[3]}"
    fios = [(fio_same, geo + ("interleave",), mem)] + [
        (fio_name(g), g, mem) for g in COLD_FIO_BEST if g[:3] != geo]
    if mem:  # for contrast: the same fio in malloc's 4 KiB pages
        fios.append((fio_name(SMALL_PAGES) + ", 4 KiB pages", SMALL_PAGES, []))
    groups, t, notes, picks, qd_med = [], [], [], [], {}
    for title, op, cop in COLD_OPS:
        print(f"- {title}", flush=True)
        o = f"c-{cop}"
        cs = [C("numpy, cold np.load mmap", [PY, CONTENDERS, "numpy", cop, path, shm(o + "-np")],
                out=shm(o + "-np")),
              C(dname, shmx_file(op, path, "stream", out=o + "-s"), out=shm(o + "-s"))]
        cs += [C(f"shmx --io stream --queue-depth {q}",
                 shmx_file(op, path, "stream", "--queue-depth", str(q), out=f"{o}-q{q}"),
                 out=shm(f"{o}-q{q}")) for q in COLD_QDS
               if q != depth and cfg["size"] == "full"]  # quick: no sweep
        cs += [C("shmx --io mmap", shmx_file(op, path, "mmap", out=o + "-m"), out=shm(o + "-m")),
               C("shmx --io auto", shmx_file(op, path, "auto", out=o + "-a"), out=shm(o + "-a")),
               C("C OpenMP loop, cold mapping", [cbin("omp_reduce"), cop, path, shm(o + "-c")],
                 out=shm(o + "-c"), env=OMP)]
        cs += [C(n, fio_read(path, nb, *g, mem=m), stdout=True, check=False,
                 parse=fio_stats(nb)) for n, g, m in fios]
        for c in cs:
            c.pre = drop_caches
        res = bench(cs, cfg["reps"], balanced=True)
        cm = lambda n: median(res, n, "compute_median")
        fio_n, c_n = fio_same, "C OpenMP loop, cold mapping"
        limit = min((n for n in (fio_n, c_n) if cm(n)), key=cm, default=None)
        groups.append(group(f"{title}, cold file {shape} f64 ({nb / 2**20:.0f} MiB, {fs}, "
                            f"perf/data)", res, nb, limit=limit, shmx=dname))
        gbps = lambda n: ratio(nb / 1e9, cm(n))
        bw = ratio(cm(limit), cm(dname)) if limit else None
        whole = ratio(median(res, limit), median(res, dname)) if limit else None
        verdict(t, f"{title}: shmx --io stream >= 90% of the faster of fio and the cold C "
                   f"loop (compute phase: stream {fmt(gbps(dname))}, fio {fmt(gbps(fio_n))}, "
                   f"C loop {fmt(gbps(c_n))} GB/s; whole process {fmt(whole and 100 * whole, '%')})",
                bw and 100 * bw, 90, unit="%")
        best = min((n for n, *_ in fios if cm(n)), key=cm, default=None)
        same_r = ratio(cm(fio_n), cm(dname))
        best_r = ratio(cm(best), cm(dname)) if best else None
        verdict(t, f"{title}: shmx --io stream / fio with the stream's geometry, compute "
                   f"phase (stream {fmt(gbps(dname))}, fio {fmt(gbps(fio_n))} GB/s)",
                same_r and 100 * same_r, 90, unit="%")
        verdict(t, f"{title}: shmx --io stream / the best fio ({best}: {fmt(gbps(best))} GB/s)",
                best_r and 100 * best_r, 85, unit="%")
        # auto: which path it took, and whether that was the faster one
        st = res["shmx --io auto"]["stats"]
        picked = st.get("io")
        paths = {"stream": median(res, dname), "mmap": median(res, "shmx --io mmap")}
        faster = min(paths, key=lambda k: paths[k]) if all(paths.values()) else None
        picks.append(f"{title}: --io auto took **{picked or '?'}** ({st.get('io_note') or 'no note'}); "
                     f"stream {fmt(paths['stream'], ' s', 4)}, mmap {fmt(paths['mmap'], ' s', 4)} "
                     f"(medians, whole process)")
        verdict(t, f"{title}: --io auto picks the faster of stream/mmap (picked {picked}, "
                   f"faster {faster}; faster time / picked time)",
                ratio(paths.get(faster), paths.get(picked)) and
                100 * ratio(paths.get(faster), paths.get(picked)), 100, unit="%")
        for n, r in res.items():
            if n.startswith("shmx --io stream") and r.get("median"):
                q = depth if n == dname else int(n.rsplit(" ", 1)[1])
                qd_med.setdefault(q, {})[title] = r["median"]
        # page cache and peak RSS of one more cold stream run (default depth)
        pr = stream_probe(shmx_file(op, path, "stream", out=o + "-p"), path, shm(o + "-p"))
        workers = pr["stats"].get("workers", COLD_WORKERS)
        depth = stream_default_depth(pr["stats"]) or depth
        out_b = pr["stats"].get("bytes_out", 0)
        bound = workers * (depth or 0) * COLD_CHUNK + (64 << 20)
        read = sum(w.get("bytes_read", 0) for w in pr["stats"].get("per_worker", []))
        notes.append(f"{title}, one more cold `--io stream` run (io {pr['stats'].get('io')}, "
                     f"io_note \"{pr['stats'].get('io_note', '')}\", {read / 2**20:.0f} MiB read "
                     f"by the workers, {workers} workers, queue depth {depth}):\n\n"
                     f"```\n$ fincore FILE   # before (caches dropped)\n{pr['before'][0]}\n"
                     f"$ fincore FILE   # after the stream run\n{pr['after'][0]}\n```\n\n"
                     f"peak RSS (/usr/bin/time %M, the largest of shmx and its workers): "
                     f"{pr['rss'] / 2**20:.1f} MiB; bound {workers} workers x qd {depth} x 4 MiB "
                     f"+ 64 MiB = {bound / 2**20:.0f} MiB"
                     + (f"; the output ({out_b / 2**20:.1f} MiB, mapped shared into the workers "
                        f"as they write it) comes on top" if out_b > (1 << 20) else ""))
        verdict(t, f"{title}: page cache after a stream run <= 1% of the file (resident "
                   f"{pr['before'][1]} B before, {pr['after'][1]} B after)",
                100 * pr["after"][1] / os.path.getsize(path), 1, unit="%", below=True)
        out_share = out_b if out_b > (1 << 20) else 0
        verdict(t, f"{title}: stream peak RSS < workers x qd x 4 MiB + 64 MiB"
                   + (f" + the {out_share / 2**20:.0f} MiB output" if out_share else "")
                   + f" = {(bound + out_share) / 2**20:.0f} MiB",
                pr["rss"] / 2**20, (bound + out_share) / 2**20, unit=" MiB", below=True)
    # the best queue depth over both ops (sum of the medians)
    both = {q: sum(m.values()) for q, m in qd_med.items() if len(m) == len(COLD_OPS)}
    best = min(both, key=both.get) if both else None
    qline = ", ".join(f"qd {q}: " + " + ".join(f"{v:.3f}" for v in qd_med[q].values())
                      + f" = {both[q]:.3f} s" for q in sorted(both))
    print(f"  best queue depth: {best} (default {depth}); {qline}", flush=True)
    # the mapping fills the page cache, for contrast
    drop_caches()
    mo = shm("c-mmap-probe")
    subprocess.run(shmx_file("mean --axis 0", path, "mmap", out="c-mmap-probe"),
                   capture_output=True)
    remove(mo)
    mm = fincore(path)[0]
    note = "\n\n".join([
        f"File: `perf/data/{os.path.basename(path)}` ({fs}, {os.path.getsize(path)} bytes, "
        f"made with `shmx gen`, removed at the end). Before every run of every contender: "
        f"`sync; echo 3 > /proc/sys/vm/drop_caches`. shmx runs use `-j {COLD_WORKERS}`; fio: "
        f"`fio --direct=1 --ioengine=io_uring --fixedbufs=1 --group_reporting`, "
        f"{describe_pages(mem)}, first with "
        f"the stream's geometry ({geo[0]} jobs x iodepth {depth} x {geo[2]} B, the jobs "
        f"interleaved block by block as the workers claim chunks), then "
        + ", ".join(n[4:] for n, *_ in fios[1:]) + " (perf/disk has more); no result to "
        f"check, its compute is the array's bytes at its reported bandwidth. Results are "
        f"checked against numpy's.",
        *[f"- {p}" for p in picks],
        f"Queue depth, sum of the two ops' median seconds: {qline or '—'}. "
        f"Best: **qd {best}** (the default is {depth}).",
        *notes,
        f"For contrast, after one cold `--io mmap` column mean:\n\n```\n{mm}\n```"])
    return dict(groups=groups, targets=t, note=note, best_queue_depth=best,
                default_queue_depth=depth)


# --- coldmap: a map from a cold file on the disk into a new file on the disk ----

def fio_rw_stats(nbytes):
    """fio with a read job (the input) and a write job (a new file) side by
    side: the disk work of a map.  Its "compute" is the slower job's runtime."""
    def parse(out):
        text = out.decode(errors="replace")
        jobs = json.loads(text[text.index("{"):])["jobs"]
        if any(j.get("error") for j in jobs) or len(jobs) != 2:
            raise ValueError("fio job error")
        least = nbytes - (4 << 20)  # whole 4M blocks of the file
        if jobs[0]["read"]["io_bytes"] < least or jobs[1]["write"]["io_bytes"] < least:
            raise ValueError("fio moved less than the array")
        return dict(compute=max(j["job_runtime"] for j in jobs) / 1e3,
                    fio_read_bw=jobs[0]["read"]["bw_bytes"],
                    fio_write_bw=jobs[1]["write"]["bw_bytes"])
    return parse


def synced(argv, out):
    """argv, then `sync OUT` (fsync): a map counts as done when its output
    is on the disk, whether it wrote directly or through the page cache."""
    return ["sh", "-c", '"$@" && sync "$0"', out, *argv]


def w_coldmap(cfg):
    """h. Map a cold file on the disk into a new file on the disk: shmx
    --io stream (reads and writes streamed) against the mapping, numpy, a C
    loop and fio's read+write of the same bytes; every output fsynced."""
    drop_caches()
    path, nb, shape, fs = cold_input(cfg)
    outs = []
    try:
        return coldmap_runs(cfg, path, nb, shape, fs, outs)
    finally:
        remove(path)
        for o in outs:
            remove(o)


def coldmap_runs(cfg, path, nb, shape, fs, outs):
    def out(tag):
        outs.append(os.path.join(DATA, f"{PREFIX}cold-map-{tag}.npy"))
        return outs[-1]

    def shmx_map(io, o):
        return [SHMX, "run", "scale:2", path, "--io", io, "-j", str(COLD_WORKERS), "-o", o,
                "--force", "--stats"]

    fio_out = out("fio")
    fio = ["fio", "--bs=4M", "--direct=1", "--ioengine=io_uring", "--iodepth=8",
           "--output-format=json", "--name=r", f"--filename={path}", "--rw=read",
           "--name=w", f"--filename={fio_out}", "--rw=write", f"--size={nb}",
           "--end_fsync=1"]  # on the disk, as every other contender's output
    cs = []
    for name, argv, o in [
            ("shmx --io stream", None, out("s")), ("shmx --io mmap", None, out("m")),
            ("shmx --io auto", None, out("a")),
            ("numpy into open_memmap", None, out("np")),
            ("C loop, fallocated output", None, out("c"))]:
        if name.startswith("shmx"):
            argv = shmx_map(name.split()[-1], o)
        elif name.startswith("numpy"):
            argv = [PY, CONTENDERS, "numpy", "scale:2", path, o]
        else:
            argv = [cbin("map_fallocated"), "scale:2", path, o]
        cs.append(C(name, synced(argv, o), out=o, env=OMP if name.startswith("C") else None))
    cs.append(C("fio read + write (O_DIRECT, io_uring, 4M, iodepth 8)", fio, stdout=True,
                check=False, parse=fio_rw_stats(nb)))
    for c in cs:
        c.pre = lambda: (remove(fio_out), drop_caches())
    print("- scale:2", flush=True)
    res = bench(cs, cfg["reps"], how="exact")
    remove(fio_out)
    t, sname = [], "shmx --io stream"
    fio_n = cs[-1].name
    # fio has no start-up to speak of: compare whole shmx runs with its I/O time
    vs_fio = ratio(median(res, fio_n, "compute_median"), median(res, sname))
    verdict(t, "scale:2 cold map: shmx --io stream (whole process, output fsynced) vs fio "
               "reading and writing the same bytes (its I/O time)",
            vs_fio and 100 * vs_fio, 90, unit="%")
    for other in ("shmx --io mmap", "numpy into open_memmap", "C loop, fallocated output"):
        r = ratio(median(res, other), median(res, sname))
        verdict(t, f"scale:2 cold map: shmx --io stream at least as fast as {other} "
                   f"(their time / stream's, whole process with fsync)", r, 1.0)
    st = res["shmx --io auto"]["stats"]
    notes = [f"--io auto took **{st.get('io', '?')}** ({st.get('io_note') or 'no note'})"]
    # one more stream run: page cache of input and output, peak RSS
    o = out("p")
    rss_file = shm("coldmap-rss")
    drop_caches()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file, *shmx_map("stream", o)],
                       capture_output=True, text=True)
    if p.returncode:
        raise RunError(f"coldmap probe: exit status {p.returncode}: {p.stderr.strip()[-300:]}")
    with open(rss_file) as f:
        rss = int(f.read().split()[-1]) << 10
    remove(rss_file)
    stats = json.loads(p.stderr.strip().splitlines()[-1])
    fin_in, fin_out = fincore(path), fincore(o)
    remove(o)
    workers = stats.get("workers", COLD_WORKERS)
    depth = stream_default_depth(stats) or 8
    bound = workers * (depth * COLD_CHUNK + (64 << 20)) + (64 << 20)
    written = sum(w.get("bytes_written", 0) for w in stats.get("per_worker", []))
    notes.append(f"One more cold `--io stream` map ({workers} workers, queue depth {depth}, "
                 f"io_note \"{stats.get('io_note', '')}\", {written / 2**20:.0f} MiB written by "
                 f"the workers):\n\n```\n$ fincore INPUT OUTPUT   # after the run\n"
                 f"{fin_in[0]}\n{fin_out[0]}\n```\n\npeak RSS (/usr/bin/time %M): "
                 f"{rss / 2**20:.1f} MiB; bound {workers} x (qd {depth} x 4 MiB read + 64 MiB "
                 f"of write buffers) + 64 MiB = {bound / 2**20:.0f} MiB")
    verdict(t, "scale:2 cold map: page cache after a stream run <= 1% of input + output "
               f"(resident {fin_in[1]} + {fin_out[1]} B)",
            100 * (fin_in[1] + fin_out[1]) / (2 * nb), 1, unit="%", below=True)
    verdict(t, f"scale:2 cold map: stream peak RSS < {bound / 2**20:.0f} MiB",
            rss / 2**20, bound / 2**20, unit=" MiB", below=True)
    note = "\n\n".join([
        f"Input: `perf/data/{os.path.basename(path)}` ({fs}, {nb} bytes of f64 data); each "
        f"contender writes a new NPY file next to it, then `sync FILE` (fsync) inside its "
        f"timed command, so that writing through the page cache is not counted as done "
        f"before the data is on the disk. Before every run: the page cache is dropped. "
        f"fio: one job reading the input and one writing a new file of the same size, "
        f"`--bs=4M --direct=1 --ioengine=io_uring --iodepth=8`, the writer with "
        f"`--end_fsync=1` (direct writes can sit in the disk's write cache until a flush); "
        f"its time is the slower job's runtime, the fsync included. Outputs are checked bit for bit against the first contender's.",
        *notes])
    group_ = group(f"scale:2, cold file {shape} f64 into a new file ({nb / 2**20:.0f} MiB in, "
                   f"{nb / 2**20:.0f} MiB out, {fs}, perf/data)", res, nb, limit=fio_n,
                   shmx=sname)
    return dict(groups=[group_], targets=t, note=note)


def csv_input(rows, cols=8, seed=42):
    """A numeric CSV (a header, then rows x cols of '%.9f' uniform in
    [-1000, 1000), seeded) in /dev/shm as a plain file: warm by nature.
    Written by numpy in blocks; the values are exactly what the text says,
    so the reference is float() of the text, i.e. pandas' round_trip."""
    path = f"/dev/shm/{PREFIX}data.csv"
    rng = np.random.default_rng(seed)
    with open(path, "w") as f:
        f.write(",".join(f"c{j}" for j in range(cols)) + "\n")
        for lo in range(0, rows, 1 << 18):
            n = min(1 << 18, rows - lo)
            np.savetxt(f, rng.uniform(-1000, 1000, (n, cols)), fmt="%.9f", delimiter=",")
    return path


def w_csv(cfg):
    """h. A numeric CSV into a segment: shmx load (parallel, correctly
    rounded) against pandas.read_csv (C engine), numpy.loadtxt, Dask's
    read_csv, csv.reader + float(), the seed's csv.reader +
    multiprocessing.Queue pipeline and wc -l (the floor: one pass that
    only counts lines)."""
    rows = cfg["csv_rows"]
    path = csv_input(rows)
    nb = os.path.getsize(path)
    subprocess.run([PY, "-c", "import sys, numpy as np, pandas as pd; "
                          "np.save(sys.argv[2], pd.read_csv(sys.argv[1], "
                          "float_precision='round_trip').to_numpy())", path,
                          shm("csv-ref.npy")], check=True)
    ref = np.load(shm("csv-ref.npy"))
    remove(shm("csv-ref.npy"))
    cs = [C("shmx", [SHMX, "load", path, "-o", target("csv-shmx"), "--force", "--stats"],
            out=shm("csv-shmx")),
          C("pandas read_csv", [PY, CONTENDERS, "pandas", "default", path, shm("csv-pd")],
            out=shm("csv-pd")),
          C("pandas round_trip", [PY, CONTENDERS, "pandas", "round_trip", path,
                                  shm("csv-pdrt")], out=shm("csv-pdrt")),
          C("numpy loadtxt", [PY, CONTENDERS, "loadtxt", path, shm("csv-lt")],
            out=shm("csv-lt")),
          C("dask read_csv", [PY, CONTENDERS, "dask_csv", "threads", path,
                              shm("csv-dask")], out=shm("csv-dask"), env=OMP),
          C("wc -l", ["wc", "-l", path], check=False)]
    if rows <= SIZES["quick"]["csv_rows"]:  # ~10 MB/s: only at the quick size
        cs.insert(5, C("csv.reader + float", [PY, CONTENDERS, "csv_reader", path,
                                              shm("csv-py")], out=shm("csv-py")))
        # its queue holds Python lists of strings: ~6x the CSV in memory
        cs.insert(6, C("seed: csv.reader + Queue", [PY, CONTENDERS, "seed_queue", path,
                                                    shm("csv-seed")], out=shm("csv-seed")))
    try:
        # "close": pandas' default parser is not correctly rounded; shmx's
        # bits are checked exactly against round_trip below
        res = bench(cs, cfg["reps"], how="close", ref=ref)
        subprocess.run(cs[0].argv, check=True, capture_output=True)
        exact = np.array_equal(np.load(shm("csv-shmx"), mmap_mode="r"), ref)
        remove(shm("csv-shmx"))
    finally:
        remove(path)
    t = []
    verdict(t, "shmx load >= 8x pandas.read_csv",
            ratio(median(res, "pandas read_csv"), median(res, "shmx")), 8)
    gbps = nb / median(res, "shmx") / 1e9 if median(res, "shmx") else None
    verdict(t, f"shmx load >= 1.2 GB/s whole process on {NCPU} cores", gbps, 1.2, unit=" GB/s")
    verdict(t, "shmx's values equal pandas round_trip bit for bit", 1.0 if exact else 0.0, 1.0,
            unit="")
    return dict(groups=[group(f"CSV {rows}x8 '%.9f' with a header ({nb / 1e6:.0f} MB) "
                              "into a segment", res, nb, limit="wc -l")], targets=t)


SHMX_MPI = os.path.join(os.path.dirname(SHMX), "mpi", "shmx-mpi")
MPIRUN = ["mpirun", "-q", "--oversubscribe", "--bind-to", "none"]


def w_mpi(cfg):
    """h. shmx-mpi: R = 1, 2, 4 ranks x local workers against shmx run on
    one machine (overhead, not speed-up, is what 2 cores can show): a
    global sum and a column mean of the big array in a tmpfs file, and an
    expression of two passes against shmx eval, every result
    bit-identical; mpirun of /bin/true is MPI's start-up floor."""
    if not os.access(SHMX_MPI, os.X_OK):
        raise RunError(f"no {SHMX_MPI} (MPI not found when shmx was built)")
    src, nb, shape = big_input(cfg)
    path = f"/dev/shm/{PREFIX}mpi.npy"  # a file path: shmx-mpi refuses shm://
    subprocess.run(["cp", src, path], check=True)
    env = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}
    groups, t, over = [], [], {}
    try:
        for title, cmd, op in (("global sum", "run", ["sum"]),
                               ("column mean", "run", ["mean", "--axis", "0"]),
                               ("eval std(x - mean(x, axis=0)): two passes", "eval",
                                ["std(x - mean(x, axis=0))"])):
            print(f"- {title}", flush=True)
            one = [SHMX, cmd, *op, path, "--stats"]
            ref = f"shmx {cmd} -j {NCPU}"
            cs = [C(ref, one, stdout=True)]
            for r, j in ((1, NCPU), (2, 1), (2, NCPU), (4, 1)):
                cs.append(C(f"shmx-mpi R={r} -j {j}",
                            MPIRUN + ["-n", str(r), SHMX_MPI, cmd, *op, path, "-j", str(j),
                                      "--stats"], stdout=True, env=env))
            cs.append(C("mpirun -n 1 /bin/true", MPIRUN + ["-n", "1", "/bin/true"],
                        check=False, env=env))
            res = bench(cs, cfg["reps"], how="exact")
            groups.append(group(f"{title}, {shape} f64 ({nb / 2**20:.0f} MiB) in a tmpfs file",
                                res, nb, shmx=ref))
            over[title] = {n: ratio(median(res, n), median(res, ref)) for n in res}
    finally:
        remove(path)
    return dict(groups=groups, targets=t, overhead=over)

INPLACE_BYTES = {"quick": 256 << 20, "full": 2 << 30}


def w_inplace(cfg):
    """i. Rewrite a file on the disk in place: shmx --in-place (crash-safe:
    its undo journal, one flush a chunk) against a C loop that rewrites the
    mapping with no safety at all and msyncs once at the end."""
    os.makedirs(DATA, exist_ok=True)
    remove_stale_cold()
    rows = INPLACE_BYTES[cfg["size"]] // 80
    nb, path = rows * 80, os.path.join(DATA, f"{PREFIX}cold-inplace.npy")
    journal = os.path.join(DATA, ".shmx-journal-" + os.path.basename(path))
    try:
        subprocess.run([SHMX, "gen", "-o", path, "--shape", f"{rows}x10", "--dtype", "f64",
                        "--seed", "12", "--force"], check=True, capture_output=True)
        return inplace_runs(cfg, path, nb, rows)
    except subprocess.CalledProcessError as e:
        raise RunError(f"shmx gen {path}: {e.stderr.decode().strip()}")
    finally:
        remove(path)
        remove(journal)
        remove(path + ".undo")


def inplace_runs(cfg, path, nb, rows):
    fs = subprocess.run(["findmnt", "-n", "-o", "FSTYPE", "-T", path], capture_output=True,
                        text=True).stdout.strip() or "?"
    head = np.array(np.load(path, mmap_mode="r")[-1000:])  # the last rows, for the check
    settle = lambda: subprocess.run(["sync", path], check=True)  # nothing left to write back
    cs = [C("shmx --in-place", [SHMX, "run", "scale:2", path, "--in-place", "-j", str(NCPU),
                                "--stats"], check=False, pre=settle),
          C("C loop in place, no safety", [cbin("inplace_loop"), "scale:2", path],
            check=False, env=OMP, pre=settle),
          C("C loop in place, undo journal", [cbin("inplace_undo"), "scale:2", path],
            check=False, env=OMP, pre=settle)]
    print("- scale:2 in place", flush=True)
    res = bench(cs, cfg["reps"])
    t = []
    if all(r["status"] == "ok" for r in res.values()):
        runs = sum(len(r["wall"]) + 1 for r in res.values())  # warm-up rounds too
        got = np.array(np.load(path, mmap_mode="r")[-1000:])
        if not np.array_equal(got, head * 2.0 ** runs):
            raise RunError(f"inplace: after {runs} runs of scale:2 the rows differ from "
                           "the original times 2**runs")
    r = ratio(median(res, "shmx --in-place"), median(res, "C loop in place, no safety"))
    verdict(t, "scale:2 in place: shmx --in-place (crash-safe) within 1.25x of a C loop "
               "rewriting the file with no safety (whole process, data on the disk)",
            r, 1.25, below=True)
    st = res["shmx --in-place"]["stats"]
    note = (f"Input: `perf/data/` ({fs}), {rows}x10 f64 ({nb / 2**20:.0f} MiB), in the page "
            f"cache; before every run `sync FILE`, untimed, so no run writes back another's "
            f"pages. shmx: `run scale:2 FILE --in-place -j {NCPU}` ({st.get('chunks', '?')} "
            f"chunks of {st.get('chunk_rows', '?')} rows): each chunk's original bytes are "
            f"written to the journal and fdatasynced before it changes, its new bytes written "
            f"back and made durable by the next chunk's sync before it is marked done, so it "
            f"writes every byte twice with one flush a chunk. "
            f"C: `perf/c/inplace_loop.c`, the mapping rewritten by an OpenMP loop and one "
            f"msync of the whole file: once written, one sync, and a crash midway leaves it "
            f"half scaled. `perf/c/inplace_undo.c`: what the safety costs by hand, each 64 MiB "
            f"chunk's bytes written to a journal file and fdatasynced, then rewritten and "
            f"msynced (every byte written twice, two flushes a chunk, no records or resume). "
            f"Every run doubles the file; after the last the rows are checked "
            f"against the original times 2**runs.")
    return dict(groups=[group(f"scale:2 in place, {rows}x10 f64 ({nb / 2**20:.0f} MiB, {fs})",
                              res, nb, shmx="shmx --in-place")], targets=t, note=note)

# --- expr: shmx eval against hand-written C, numexpr, numpy, Dask, Pool.map -------

EXPR_ROWS_OF = {"quick": 838861, "full": 26843545}  # x and y: 64 MiB / 2 GiB each
EXPR_POOL_PART = 64      # Pool.map runs the row function on rows / 64 (time scaled)
EXPR_BLOCK = 1 << 18     # rows per block of the driver's numpy reference


def expr_inputs(rows):
    """x and y, rows x 10 f64, normal (half of x is > 0: where() takes both
    branches), fixed seeds."""
    paths = []
    for name, seed in (("ex", 21), ("ey", 22)):
        try:
            subprocess.run([SHMX, "gen", "-o", target(name), "--shape", f"{rows}x10",
                            "--dtype", "f64", "--fill", "normal", "--seed", str(seed),
                            "--force"], check=True, capture_output=True)
        except subprocess.CalledProcessError as e:
            raise RunError(f"shmx gen {rows}x10: {e.stderr.decode().strip()}")
        paths.append(shm(name))
    return paths


def expr_reference(name, x, y):
    """numpy's result, computed once here by blocks of rows (row-wise
    expressions give numpy's very bits; the column statistics are numpy's
    to within rounding), kept in /dev/shm when it is big."""
    from contenders import EXPR_ROWS, expr_numpy

    rows = x.shape[0]
    if name in EXPR_ROWS:
        return np.concatenate([expr_numpy(name, x[i:i + EXPR_BLOCK], None, None)
                               for i in range(0, rows, EXPR_BLOCK)])
    path = shm(f"ref-{name}")
    o = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=x.shape)
    if name == "zscore":
        m = np.mean(x, axis=0)
        var = sum(np.sum((x[i:i + EXPR_BLOCK] - m)**2, axis=0)
                  for i in range(0, rows, EXPR_BLOCK)) / rows
        s = np.sqrt(var)
    with np.errstate(all="ignore"):
        for i in range(0, rows, EXPR_BLOCK):
            xb, sl = x[i:i + EXPR_BLOCK], slice(i, i + EXPR_BLOCK)
            if name == "axpy":
                o[sl] = 2*xb + 3*y[sl]
            elif name == "where":
                o[sl] = np.where(xb > 0, np.log1p(xb), -xb**2)
            else:
                o[sl] = (xb - m) / s
    o.flush()
    del o
    return np.load(path, mmap_mode="r")


def expr_contenders(name, ins, tag):
    """shmx eval, the C loop, numpy, numexpr and Dask on one expression."""
    from contenders import EXPRS

    used = ins if name == "axpy" else ins[:1]
    binds = [f"{v}=shm://{os.path.basename(p)}" for v, p in zip("xy", used)]
    def py(label, engine, env=OMP):
        return C(label, [PY, CONTENDERS, "expr", engine, name, *used, shm(f"{tag}-{engine}")],
                 out=shm(f"{tag}-{engine}"), env=env)
    return [py("numpy", "numpy"),
            C("shmx", [SHMX, "eval", EXPRS[name], *binds, "-o", target(f"{tag}-shmx"),
                       "--force", "--stats"], out=shm(f"{tag}-shmx")),
            C("C OpenMP loop", [cbin("expr_omp"), name, *used, shm(f"{tag}-c")],
              out=shm(f"{tag}-c"), env=OMP),
            py("numexpr", "numexpr", dict(NUMEXPR_NUM_THREADS=str(NCPU), **OMP)),
            py("dask threads", "dask")]


def expr_pool(name, x, rows, cfg):
    """Pool.map of the row function cannot finish the big array in a round:
    it and shmx run on its first rows / EXPR_POOL_PART rows, and its time is
    also scaled up to the whole array."""
    from contenders import EXPRS, expr_numpy

    part = max(1, rows // EXPR_POOL_PART)
    src = shm("ex-part")
    with open(src, "wb") as f:  # an NPY of the first rows
        np.save(f, np.asarray(x[:part]))
    ref = expr_numpy(name, np.load(src, mmap_mode="r"), None, None)
    res = bench([C("Pool.map(process_row)", [PY, CONTENDERS, "expr", "pool", name, src,
                                             shm("pp-pool")], out=shm("pp-pool")),
                 C("shmx", [SHMX, "eval", EXPRS[name], f"x=shm://{os.path.basename(src)}",
                            "-o", target("pp-shmx"), "--force", "--stats"],
                   out=shm("pp-shmx"))],
                max(1, cfg["reps"] // 2), how="typed-close", ref=ref)
    remove(src)
    return res, part


def w_expr(cfg):
    """i. shmx eval of five expressions over two f64 arrays in /dev/shm,
    against a hand-written OpenMP C loop of each, numpy, numexpr, Dask
    and, for the row function, Pool.map; and the row function at the
    seed's size against a minimal single-threaded C program."""
    from contenders import EXPRS

    rows = EXPR_ROWS_OF[cfg["size"]]
    ins = expr_inputs(rows)
    x, y = (np.load(p, mmap_mode="r") for p in ins)
    nb, mib = rows * 80, rows * 80 / 2**20
    groups, t, notes = [], [], []
    with_red = ("rowdist", "zscore", "rowcount")
    for name, e in EXPRS.items():
        print(f"- {e}", flush=True)
        ref = expr_reference(name, x, y)
        how = {"rowcount": "typed-exact", "zscore": "typed-near"}.get(name, "typed-close")
        res = bench(expr_contenders(name, ins, f"e{name}"), cfg["reps"], how=how, ref=ref)
        del ref
        remove(shm(f"ref-{name}"))
        inputs = "x, y" if name == "axpy" else "x"
        groups.append(group(f"`{e}`, {inputs}: {rows}x10 f64 ({mib:.0f} MiB each)", res,
                            nb * (2 if name == "axpy" else 1), limit="C OpenMP loop"))
        shmx_t = median(res, "shmx")
        verdict(t, f"{name}: shmx within 1.3x of the C loop (time ratio)",
                ratio(shmx_t, median(res, "C OpenMP loop")), 1.3, below=True)
        want = 3 if name in with_red else 1
        verdict(t, f"{name}: shmx {'>= 3x' if want > 1 else 'faster than'} numexpr",
                ratio(median(res, "numexpr"), shmx_t), want)
        if name != "axpy":
            verdict(t, f"{name}: shmx >= 3x numpy", ratio(median(res, "numpy"), shmx_t), 3)
        if name == "rowdist":
            pres, part = expr_pool(name, x, rows, cfg)
            pool = median(pres, "Pool.map(process_row)")
            scaled = ratio(pool and pool * EXPR_POOL_PART, shmx_t)
            notes.append(f"Pool.map(process_row) cannot do the {rows} rows in a round: it ran "
                         f"on the first {part} (its table), and {EXPR_POOL_PART}x its median "
                         f"is {fmt(scaled, 'x')} shmx's on the whole array.")
            print(notes[-1], flush=True)
            groups.append(group(f"`{e}` on the first {part} rows of x", pres, part * 80,
                                limit="Pool.map(process_row)"))
    del x, y
    for p in ins:
        remove(p)
    groups.append(expr_seed(cfg, t))
    return dict(groups=groups, targets=t, note=" ".join(notes))


def expr_seed(cfg, t):
    """The row function at the seed's size, 100000 x 10: shmx against the
    minimal single-threaded C program, both whole processes."""
    from contenders import EXPRS, expr_numpy

    name, e = "rowdist", EXPRS["rowdist"]
    src = gen_input("eseed", "100000x10", 1)
    ref = expr_numpy(name, np.load(src, mmap_mode="r"), None, None)
    slow = bench([C("numpy", [PY, CONTENDERS, "expr", "numpy", name, src, shm("es-np")],
                    out=shm("es-np")),
                  C("Pool.map(process_row)", [PY, CONTENDERS, "expr", "pool", name, src,
                                              shm("es-pool")], out=shm("es-pool"))],
                 cfg["reps"], how="typed-close", ref=ref)
    fast = bench([C("C minimal (1 thread)", [cbin("rowdist_min"), src, shm("es-c")],
                    out=shm("es-c")),
                  C("shmx", [SHMX, "eval", e, f"x=shm://{os.path.basename(src)}", "-o",
                             target("es-shmx"), "--force", "--stats"], out=shm("es-shmx"))],
                 cfg["reps"] * 10, how="typed-close", ref=ref)
    remove(src)
    res = {**slow, **fast}
    verdict(t, "rowdist 100000x10: shmx within 1.5x of the minimal C program (time ratio)",
            ratio(median(res, "shmx"), median(res, "C minimal (1 thread)")), 1.5, below=True)
    verdict(t, "rowdist 100000x10: shmx >= 100x Pool.map",
            ratio(median(res, "Pool.map(process_row)"), median(res, "shmx")), 100)
    return group(f"`{e}` at the seed's size, 100000x10 f64 (8 MB)", res, 8000000,
                 limit="C minimal (1 thread)")


WORKLOADS = {"seed": w_seed, "reduce": w_reduce, "map": w_map, "scaling": w_scaling,
             "tiny": w_tiny, "gen": w_gen, "cold": w_cold, "coldmap": w_coldmap,
             "rowseg": w_rowseg, "csv": w_csv, "mpi": w_mpi, "inplace": w_inplace,
             "expr": w_expr}
DEFAULT = ["seed", "reduce", "map", "rowseg", "scaling", "tiny", "gen", "cold", "coldmap",
           "csv", "inplace", "expr"]


# --- report ------------------------------------------------------------------------

def fmt(v, unit="", digits=3):
    return "—" if v is None else f"{v:.{digits}g}{unit}"


def table_rows(g):
    """The rows of one group's table, as dicts (also kept in the JSON)."""
    res, nb = g["results"], g["bytes"]
    s_wall, s_comp = median(res, g["shmx"]), median(res, g["shmx"], "compute_median")
    l_wall, l_comp = (median(res, g["limit"]), median(res, g["limit"], "compute_median")) \
        if g["limit"] else (None, None)
    rows = []
    for name, r in res.items():
        m, cm = r.get("median"), r.get("compute_median")
        rows.append(dict(
            contender=name, status=r["status"], median=m, min=r.get("min"), max=r.get("max"),
            gbps=ratio(nb / 1e9, m), compute=cm, compute_gbps=ratio(nb / 1e9, cm),
            shmx_faster=ratio(m, s_wall), shmx_faster_compute=ratio(cm, s_comp),
            of_limit=ratio(l_wall, m), of_limit_compute=ratio(l_comp, cm)))
    return rows


def markdown(report):
    m = report["machine"]
    out = [f"# shmx benchmarks ({report['config']['size']})", "",
           f"{m['date']} · {m['cpu']} · {m['nproc']} CPUs · {m['memory_gib']} GiB · "
           f"Linux {m['kernel']} · shmx {m['commit']} · {report['config']['reps']} reps "
           f"after a warm-up round, contenders alternating · load average "
           f"{m['loadavg_at_start']:.2f} at start, {m['loadavg_at_end']:.2f} at end "
           f"(other work on the machine skews the numbers)", "",
           "Times are whole processes (start-up included): median and min–max. GB/s = the "
           "array's bytes / time. *compute* is the phase each reports (shmx `--stats` "
           "compute, the C loop, the Python work after imports). *shmx ×* = this contender's "
           "time / shmx's (how many times faster shmx is); *of limit* = limit's time / this "
           "one's, whole process / compute.", ""]
    for wname, w in report["workloads"].items():
        out += [f"## {wname}", ""]
        if "error" in w:
            out += [f"FAIL: {w['error']}", ""]
            continue
        if w.get("note"):
            out += [w["note"], ""]
        for g in w["groups"]:
            out += [f"**{g['title']}**", "",
                    "| contender | median s | min–max s | GB/s | compute s | compute GB/s "
                    "| shmx × (whole / compute) | of limit (whole / compute) |",
                    "|---|---:|---:|---:|---:|---:|---:|---:|"]
            for r in g["rows"]:
                if r["median"] is None:
                    out.append(f"| {r['contender']} | {r['status']} | | | | | | |")
                    continue
                pct = lambda v: "—" if v is None else f"{100 * v:.0f}%"
                out.append(
                    f"| {r['contender']} | {r['median']:.4f} | {r['min']:.4f}–{r['max']:.4f} "
                    f"| {fmt(r['gbps'])} | {fmt(r['compute'], '', 4)} | {fmt(r['compute_gbps'])} "
                    f"| {fmt(r['shmx_faster'], '×')} / {fmt(r['shmx_faster_compute'], '×')} "
                    f"| {pct(r['of_limit'])} / {pct(r['of_limit_compute'])} |")
            out.append("")
        out += [f"- {t['line']}" for t in w["targets"]] + [""]
    allt = [t for w in report["workloads"].values() for t in w.get("targets", [])]
    out += ["## Targets", "", f"{sum(t['ok'] for t in allt)} of {len(allt)} PASS", ""]
    out += [f"- {t['line']}" for t in allt]
    return "\n".join(out) + "\n"


def gnuplot(script):
    try:
        subprocess.run(["gnuplot"], input=script.encode(), check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"perf: gnuplot: {getattr(e, 'stderr', b'').decode().strip() or e}", file=sys.stderr)


def plot_bars(name, title, ylabel, clusters, key="gbps", logy=False):
    """clusters: [(label, rows)]; one bar per contender in each cluster."""
    series = list(dict.fromkeys(r["contender"] for _, rows in clusters for r in rows))
    dat = os.path.join(RESULTS, name + ".dat")
    with open(dat, "w") as f:
        f.write("cluster\t" + "\t".join(f'"{s}"' for s in series) + "\n")
        for label, rows in clusters:
            vals = {r["contender"]: r[key] for r in rows}
            f.write(f'"{label}"\t' + "\t".join(
                "?" if vals.get(s) is None else f"{vals[s]:.6g}" for s in series) + "\n")
    cols = len(series) + 1
    gnuplot(f"""set terminal pngcairo noenhanced size 1100,520 font ",10"
set output "{os.path.join(RESULTS, name + '.png')}"
set title "{title}"
set ylabel "{ylabel}"
set datafile missing "?"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key outside right top
set grid ytics
{"set logscale y" if logy else "set yrange [0:*]"}
plot for [i=2:{cols}] "{dat}" using i:xtic(1) title columnheader(i)
""")


def plots(report):
    W = report["workloads"]
    for wname, w in W.items():
        if "error" in w or not w.get("groups"):
            continue
        if wname == "reduce":
            plot_bars("reduce", "Reductions: compute-phase throughput", "GB/s (compute phase)",
                      [(g["title"].split(",")[0], g["rows"]) for g in w["groups"]],
                      key="compute_gbps")
        elif wname == "cold":
            plot_bars("cold", "Cold file on disk: compute-phase throughput (fio: its bandwidth)",
                      "GB/s (compute phase)",
                      [(g["title"].split(",")[0], g["rows"]) for g in w["groups"]],
                      key="compute_gbps")
        elif wname in ("seed", "tiny"):
            plot_bars(wname, w["groups"][0]["title"], "seconds, whole process (log)",
                      [(wname, w["groups"][0]["rows"])], key="median", logy=True)
        elif wname != "scaling":
            plot_bars(wname, w["groups"][0]["title"], "GB/s, whole process",
                      [(wname, w["groups"][0]["rows"])])
    if "curve" in W.get("scaling", {}):
        dat = os.path.join(RESULTS, "scaling.dat")
        curve = W["scaling"]["curve"]
        with open(dat, "w") as f:
            f.write("workers\texp\texp_whole\tsum\tsum_whole\n")
            for j in sorted(curve["exp"]):
                f.write(f"{j}\t" + "\t".join(
                    "?" if v is None else f"{v:.4f}"
                    for op in ("exp", "sum") for v in curve[op][j]) + "\n")
        gnuplot(f"""set terminal pngcairo noenhanced size 800,520 font ",10"
set output "{os.path.join(RESULTS, 'scaling.png')}"
set title "shmx scaling with workers (-j)"
set xlabel "workers"; set ylabel "speed-up over -j 1"
set datafile missing "?"
set key left top; set grid
set xtics 1; set xrange [0.8:{NCPU}.2]; set yrange [0:{NCPU}+0.5]
plot x title "ideal" dt 2 lc "gray", \\
  "{dat}" using 1:2 with linespoints lw 2 title "exp, compute phase", \\
  "{dat}" using 1:3 with linespoints dt 3 title "exp, whole process", \\
  "{dat}" using 1:4 with linespoints lw 2 title "sum, compute phase", \\
  "{dat}" using 1:5 with linespoints dt 3 title "sum, whole process"
""")


def machine():
    def first(path, key):
        try:
            with open(path) as f:
                return next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith(key)), "?")
        except OSError:
            return "?"

    def cmd(*argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT).stdout.strip()
        except OSError:
            return "?"

    dirty = "+dirty" if cmd("git", "status", "--porcelain", "--untracked-files=no") else ""
    mem = first("/proc/meminfo", "MemTotal").split()[0]
    return dict(date=time.strftime("%Y-%m-%d %H:%M:%S %z"), nproc=NCPU,
                loadavg_at_start=os.getloadavg()[0],
                memory_gib=round(int(mem) / 2**20, 1) if mem.isdigit() else "?",
                kernel=platform.release(), cpu=first("/proc/cpuinfo", "model name"),
                commit=cmd("git", "rev-parse", "--short", "HEAD") + dirty,
                python=platform.python_version(), numpy=np.__version__,
                gcc=cmd("gcc", "-dumpfullversion"))


# --- main ---------------------------------------------------------------------------

def on_signal(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    global RESULTS
    ap = argparse.ArgumentParser(prog="perf/run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", choices=SIZES, default="quick")
    ap.add_argument("--reps", type=int, help="timed rounds (default: quick 5, full 7)")
    ap.add_argument("--only", help="comma-separated workloads: " + ", ".join(WORKLOADS))
    args = ap.parse_args()
    cfg = dict(SIZES[args.size], size=args.size)
    if args.reps:
        cfg["reps"] = max(1, args.reps)
    names = args.only.split(",") if args.only else DEFAULT
    # Only a complete full run replaces the committed results; quick and
    # partial runs go to perf/results/scratch/ (git ignores it).
    if args.size != "full" or args.only:
        RESULTS = os.path.join(RESULTS, "scratch")
    for n in names:
        if n not in WORKLOADS:
            ap.error(f"unknown workload {n!r} (one of {', '.join(WORKLOADS)})")
    if not os.access(SHMX, os.X_OK):
        sys.exit(f"perf: {SHMX} is missing: run perf/run (it builds)")
    signal.signal(signal.SIGINT, on_signal)  # also when started with SIGINT ignored (&)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    report = dict(machine=machine(), config=cfg, workloads={})
    t0 = time.time()
    try:
        for n in names:
            print(f"== {n}: {WORKLOADS[n].__doc__.splitlines()[0]}", flush=True)
            try:
                w = WORKLOADS[n](cfg)
                for g in w["groups"]:
                    g["rows"] = table_rows(g)
                report["workloads"][n] = w
            except RunError as e:
                print(f"FAIL {e}", flush=True)
                report["workloads"][n] = dict(error=str(e), groups=[], targets=[])
    except KeyboardInterrupt:
        print("perf: interrupted; removing what it made in /dev/shm", file=sys.stderr)
        cleanup()
        sys.exit(130)
    finally:
        cleanup()
    report["seconds"] = round(time.time() - t0, 1)
    report["machine"]["loadavg_at_end"] = os.getloadavg()[0]
    os.makedirs(RESULTS, exist_ok=True)
    for old in glob.glob(os.path.join(RESULTS, "*.png")) + glob.glob(os.path.join(RESULTS, "*.dat")):
        remove(old)  # plots of workloads this run did not do
    with open(os.path.join(RESULTS, "latest.json"), "w") as f:
        json.dump(report, f, indent=1, default=str)
    md = markdown(report)
    with open(os.path.join(RESULTS, "latest.md"), "w") as f:
        f.write(md)
    plots(report)
    where = os.path.relpath(RESULTS, ROOT)
    print("\n" + md + f"\n({report['seconds']} s; {where}/latest.{{md,json}}, *.png)")
    bad = any("error" in w or any(r["status"] != "ok" for g in w["groups"] for r in g["rows"])
              for w in report["workloads"].values())
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
