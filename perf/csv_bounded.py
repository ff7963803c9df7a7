#!/usr/bin/python3
"""perf/csv_bounded.py - a CSV on disk, not in the page cache, into an NPY
file on disk: does `shmx load` stay in bounded memory and leave the page
cache as it found it?  (The loader reads each range with pread and drops
its pages behind it, the output's too: exec/load_csv.c, `cold`.)

    flock /work/wt/.bench.lock perf/csv_bounded.py [--gib N] [-j N] [--keep]

Writes perf/data/bounded.csv (N GiB, default 2: rows of 8 '%.9f' values, a
block of 65536 distinct rows repeated), writes it back and drops it from
the page cache, then runs shmx load into perf/data/bounded.npy while it
samples /proc/meminfo every 20 ms.  Reports: Cached and Dirty before, at
their peak and after; the largest resident set of any process of the run
(GNU time's maximum RSS: the parent or a worker); the time; and checks the
array against float() of the block's text, row for row.  Bounded means:
Cached grows by a small multiple of workers x --chunk, not by the file's
size, and no process holds more than a few MiB of it.
"""
import argparse
import os
import re
import subprocess
import sys
import threading
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHMX = os.environ.get("SHMX_BENCH_BIN") or os.path.join(ROOT, "build", "tools", "shmx")
DATA = os.path.join(ROOT, "perf", "data")


def meminfo():
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":")
            out[k] = int(v.split()[0]) * 1024
    return out


def drop_cache(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def block(rng):
    """65536 rows as text, and their values as float() reads them."""
    vals = rng.uniform(-1000, 1000, (65536, 8))
    lines = ["%.9f,%.9f,%.9f,%.9f,%.9f,%.9f,%.9f,%.9f\n" % tuple(r) for r in vals]
    ref = np.array([[float(x) for x in ln.split(",")] for ln in lines])
    return "".join(lines).encode(), ref


def write_csv(path, gib, text):
    with open(path, "wb") as f:
        f.write(b"c0,c1,c2,c3,c4,c5,c6,c7\n")
        for _ in range(max(1, int(gib * (1 << 30)) // len(text))):
            f.write(text)


def sampler(stop, peak):
    while not stop.is_set():
        m = meminfo()
        for k in ("Cached", "Dirty"):
            peak[k] = max(peak.get(k, 0), m[k])
        time.sleep(0.02)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gib", type=float, default=2.0)
    ap.add_argument("-j", type=int, default=os.cpu_count())
    ap.add_argument("--keep", action="store_true", help="keep the CSV for another run")
    a = ap.parse_args()
    os.makedirs(DATA, exist_ok=True)
    src, dst = os.path.join(DATA, "bounded.csv"), os.path.join(DATA, "bounded.npy")
    text, ref = block(np.random.default_rng(7))
    if not (a.keep and os.path.exists(src)):
        write_csv(src, a.gib, text)
    size = os.path.getsize(src)
    drop_cache(src)
    if os.path.exists(dst):
        os.unlink(dst)
    before, peak, stop = meminfo(), {}, threading.Event()
    t = threading.Thread(target=sampler, args=(stop, peak))
    t.start()
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v", SHMX, "load", src, "-o", dst, "-j", str(a.j),
                        "--stats"], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    stop.set()
    t.join()
    after = meminfo()
    if p.returncode:
        sys.exit("shmx load failed: " + p.stderr.strip().splitlines()[-1])
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) << 10
    note = re.search(r'"io_note":"([^"]*)"', p.stderr)
    out = np.load(dst, mmap_mode="r")
    rows = out.shape[0]
    exact = rows % len(ref) == 0 and all(
        np.array_equal(out[i:i + len(ref)], ref)
        for i in range(0, rows, len(ref) * max(1, rows // len(ref) // 16)))
    mib = 1 << 20
    print(f"CSV {size / 2**30:.2f} GiB on disk (cold) -> {out.nbytes / 2**30:.2f} GiB NPY "
          f"on disk, -j {a.j}: {wall:.1f} s, {size / wall / 1e9:.2f} GB/s")
    print(f"  Cached: before {before['Cached'] / mib:.0f} MiB, peak {peak['Cached'] / mib:.0f} MiB "
          f"(+{(peak['Cached'] - before['Cached']) / mib:.0f}), after {after['Cached'] / mib:.0f} "
          f"MiB (+{(after['Cached'] - before['Cached']) / mib:.0f})")
    print(f"  Dirty: before {before['Dirty'] / mib:.0f} MiB, peak {peak['Dirty'] / mib:.0f} MiB")
    print(f"  largest resident set of a process: {rss / mib:.1f} MiB")
    print(f"  io_note: {note.group(1) if note else ''}")
    print(f"  values: {'exact (sampled blocks equal float() of the text)' if exact else 'WRONG'}")
    with open("/proc/loadavg") as f:
        print(f"  load average: {' '.join(f.read().split()[:3])}")
    os.unlink(dst)
    if not a.keep:
        os.unlink(src)
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
