#!/usr/bin/python3
"""perf/csv_bounded.py - a CSV on disk, not in the page cache, into an NPY
file on disk: does `shmx load` stay in bounded memory and leave the page
cache as it found it?  (The loader reads each range with pread and drops
its pages behind it, the output's too: exec/load_csv.c, `cold`.)

    perf/csv_bounded.py [--gib N] [-j N] [--keep]

Writes perf/data/bounded.csv (N GiB, default 2: rows of 8 '%.9f' values, a
block of 65536 distinct rows repeated), writes it back and drops it from
the page cache, then runs shmx load into perf/data/bounded.npy while it
samples, every 20 ms, how much of the input and of the output (its
temporary, perf/data/.shmx-*) is in the page cache (mincore), and
/proc/meminfo.  Reports: the peak page-cache residency of each file; Cached
and Dirty before, at their peak and after (system-wide: on a shared machine
others move them too); the largest resident set of any process of the run
(GNU time's maximum RSS: the parent or a worker); the time; and checks the
array against float() of the block's text.  Bounded means: each file's
residency stays a small multiple of workers x --chunk, not its size, and no
process holds more than a few MiB.
"""
import ctypes
import glob
import mmap
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


LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.mmap.restype = ctypes.c_void_p
LIBC.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                      ctypes.c_int, ctypes.c_long]
LIBC.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
LIBC.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]


def resident(path):
    """Bytes of the file in the page cache (mincore on a fresh mapping)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return 0
    try:
        n = os.fstat(fd).st_size
        p = LIBC.mmap(None, n, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0) if n else None
        if not p or p == ctypes.c_void_p(-1).value:
            return 0
        vec = (ctypes.c_ubyte * ((n + 4095) // 4096))()
        rc = LIBC.mincore(p, n, vec)
        LIBC.munmap(p, n)
        return 0 if rc else sum(v & 1 for v in vec) * 4096
    finally:
        os.close(fd)


def sampler(stop, peak, src):
    while not stop.is_set():
        m = meminfo()
        for k in ("Cached", "Dirty"):
            peak[k] = max(peak.get(k, 0), m[k])
        peak["in"] = max(peak.get("in", 0), resident(src))
        for tmp in glob.glob(os.path.join(DATA, ".shmx-*")):
            peak["out"] = max(peak.get("out", 0), resident(tmp))
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
    t = threading.Thread(target=sampler, args=(stop, peak, src))
    t.start()
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v", SHMX, "load", src, "-o", dst, "-j", str(a.j),
                        "--stats"], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    stop.set()
    t.join()
    after = meminfo()
    after_in, after_out = resident(src), resident(dst)
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
    print(f"  in the page cache at the peak: input {peak.get('in', 0) / mib:.1f} MiB of "
          f"{size / mib:.0f}, output {peak.get('out', 0) / mib:.1f} MiB of {out.nbytes / mib:.0f}; "
          f"after: input {after_in / mib:.1f} MiB, output {after_out / mib:.1f} MiB")
    print(f"  Cached (system-wide): before {before['Cached'] / mib:.0f} MiB, peak {peak['Cached'] / mib:.0f} MiB "
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
