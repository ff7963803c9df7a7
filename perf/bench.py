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

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHMX = os.environ.get("SHMX_BENCH_BIN") or os.path.join(ROOT, "build-perf", "tools", "shmx")
CBIN = os.path.join(ROOT, "build-perf", "perf-c")
PY = "/usr/bin/python3"
CONTENDERS = os.path.join(ROOT, "perf", "contenders.py")
RESULTS = os.path.join(ROOT, "perf", "results")
PREFIX = f"perfb{os.getpid()}-"
NCPU = os.cpu_count()
OMP = {"OMP_NUM_THREADS": str(NCPU)}

# quick: < 2 min in all on 2 cores; full: the sizes the issues state.
SIZES = {
    "quick": dict(reps=5, big_rows=3355443, gen_elems=64 << 20),   # 256 MiB, 512 MiB
    "full": dict(reps=7, big_rows=26843545, gen_elems=512 << 20),  # 2 GiB, 4 GiB
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
    rtol 1e-12), 'exact', or 'shape' (only the shape)."""
    a, b = np.asarray(a) if np.ndim(a) == 0 else a, np.asarray(b) if np.ndim(b) == 0 else b
    if how == "shape" or np.size(a) != np.size(b):
        return None if np.shape(a) == np.shape(b) else f"shape {np.shape(a)} vs {np.shape(b)}"
    a, b = a.reshape(-1), b.reshape(-1)
    step = 1 << 22  # compare mapped arrays piece by piece: no big temporaries
    for i in range(0, a.size, step):
        x, y = np.asarray(a[i:i + step]), np.asarray(b[i:i + step])
        if not (np.array_equal(x, y, equal_nan=True) if how == "exact"
                else np.allclose(x, y, rtol=1e-12, atol=0, equal_nan=True)):
            with np.errstate(all="ignore"):
                rel = np.nanmax(np.abs(x - y) / np.abs(y))
            return f"max relative difference {rel:.3g} ({how})"
    return None


def load_result(c, stdout):
    if c.stdout:
        return np.array(stdout.split(), dtype=np.float64)
    return np.load(c.out, mmap_mode="r")


# --- the shared helper --------------------------------------------------------

def bench(contenders, reps, how="close", ref=None):
    """Warm-up round, then `reps` rounds of every contender in turn.  Each
    result is checked against `ref` (else the first checked contender's).
    Returns {name: {wall: [...], compute: [...], median, min, max,
    compute_median, stats, status}}."""
    res = {c.name: dict(wall=[], compute=[], stats={}, status="ok") for c in contenders}
    ref_name, ref_path = ("numpy, in the driver" if ref is not None else None), None
    try:
        for rnd in range(reps + 1):
            for c in contenders:
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


def w_cold(cfg):
    """Cold-cache streaming (files not in the page cache, --io stream vs a
    fio baseline on perf/data/): a later issue.  Its place is here."""
    print("  (not implemented yet: a later issue)")
    return dict(groups=[], targets=[], note="cold-cache streaming: not implemented yet")


WORKLOADS = {"seed": w_seed, "reduce": w_reduce, "map": w_map, "scaling": w_scaling,
             "tiny": w_tiny, "gen": w_gen, "cold": w_cold}
DEFAULT = ["seed", "reduce", "map", "scaling", "tiny", "gen"]


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
    ap = argparse.ArgumentParser(prog="perf/run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", choices=SIZES, default="quick")
    ap.add_argument("--reps", type=int, help="timed rounds (default: quick 5, full 7)")
    ap.add_argument("--only", help="comma-separated workloads: " + ", ".join(WORKLOADS))
    args = ap.parse_args()
    cfg = dict(SIZES[args.size], size=args.size)
    if args.reps:
        cfg["reps"] = max(1, args.reps)
    names = args.only.split(",") if args.only else DEFAULT
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
    print("\n" + md + f"\n({report['seconds']} s; perf/results/latest.{{md,json}}, *.png)")
    bad = any("error" in w or any(r["status"] != "ok" for g in w["groups"] for r in g["rows"])
              for w in report["workloads"].values())
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
