"""--io stream: the same bits as the mapping for every op, on files numpy
writes (data at 64 or 128), odd row sizes and sizes around a block; the
fallbacks said in --stats; --io auto following the page cache; memory
bounded whatever the file size."""
import json
import os
import subprocess
import unittest

import numpy as np

from shmxtest import SHMX, DiskTestCase, ShmxTestCase, evict, shmx

OPS = ["sum", "mean", "min", "max", "sumsq", "var", "std", "argmin", "argmax",
       "nansum", "nanmean", "nanmax", "nanstd"]
DTYPES = ["i8", "u16", "i32", "u64", "f32", "f64"]
NP = {"i8": np.int8, "u16": np.uint16, "i32": np.int32, "u64": np.uint64,
      "f32": np.float32, "f64": np.float64}


class StreamMatchesMmap(DiskTestCase):
    def file(self, a, name="a.npy"):
        path = os.path.join(self.disk, name)
        np.save(path, a)
        return path

    def run_both(self, op, path, *args):
        outs = {}
        for io in ("mmap", "stream"):
            r = shmx("run", op, path, "--io", io, "--stats", *args)
            self.assertEqual(r.returncode, 0, r.stderr)
            st = json.loads(r.stderr)
            self.assertEqual(st["io"], io, st["io_note"])
            outs[io] = r.stdout
        self.assertEqual(outs["mmap"], outs["stream"], f"{op} {args}")
        return outs["mmap"]

    def test_every_op_and_dtype_same_text_as_the_mapping(self):
        rng = np.random.default_rng(5)
        for dt in DTYPES:
            a = (rng.standard_normal((1001, 3)) * 50).astype(NP[dt])
            path = self.file(a, f"{dt}.npy")
            for op in OPS:
                for axis in ((), ("--axis", 0), ("--axis", 1)):
                    with self.subTest(dtype=dt, op=op, axis=axis):
                        self.run_both(op, path, "--chunk", "1000", "-j", 2,
                                      "--queue-depth", 3, *axis)

    def test_headers_of_64_and_128_bytes_and_sizes_around_a_block(self):
        for n in (1, 4095, 4096, 4097, 3 * 4096 + 5):
            a = (np.arange(n) % 251).astype(np.uint8)
            path = self.file(a, f"u8-{n}.npy")
            with open(path, "rb") as f:
                self.assertIn(f.read(10)[8] + 10, (64, 128))
            with self.subTest(n=n):
                got = self.run_both("sum", path, "--chunk", "1000")
                self.assertEqual(int(got), int(a.astype(np.uint64).sum()))

    def test_maps_read_through_the_stream(self):
        a = np.random.default_rng(2).standard_normal((777, 5))
        path = self.file(a)
        outs = []
        for io in ("mmap", "stream"):
            out = self.kept(f"map-{io}")
            r = shmx("run", "scale:2", path, "--io", io, "-o", f"shm://{out}",
                     "--chunk", "4k", "-j", 2)
            self.assertEqual(r.returncode, 0, r.stderr)
            outs.append(self.load_shm(out).tobytes())
        self.assertEqual(outs[0], outs[1])
        np.testing.assert_array_equal(np.frombuffer(outs[0]).reshape(777, 5), a * 2)

    def test_auto_streams_what_is_not_in_the_page_cache(self):
        a = np.ones((200000, 8))
        path = self.file(a)
        evict(path)
        r = shmx("run", "sum", path, "--stats")
        st = json.loads(r.stderr)
        self.assertEqual(st["io"], "stream", st["io_note"])
        self.assertIn("in the page cache: streamed", st["io_note"])
        with open(path, "rb") as f:
            while f.read(1 << 20):
                pass
        r = shmx("run", "sum", path, "--stats")
        st = json.loads(r.stderr)
        self.assertEqual(st["io"], "mmap", st["io_note"])
        self.assertEqual(float(r.stdout), 1600000.0)

    def test_a_read_error_fails_the_run_and_publishes_nothing(self):
        # the worker's own message crosses to the parent (source.c/run.c)
        path = self.file(np.ones((100000, 10)))
        for op in ("sum", "scale:2"):
            with self.subTest(op=op):
                out = self.kept("eio-" + op.replace(":", ""))
                r = shmx("run", op, path, "--io", "stream", "-o", f"shm://{out}",
                         "--chunk", "64k", "-j", 2,
                         env={"SHMX_FAULT": "stream-eio:3"})
                if "reading chunk" not in r.stderr and r.returncode == 0:
                    self.skipTest("a build without fault injection")
                # which chunk is a worker's 3rd read depends on the race
                self.assertFails(r, 1, f"{path}: reading chunk ")
                self.assertRegex(r.stderr, r"reading chunk \d+ \(bytes "
                                 r"\[\d+, \d+\)\): Input/output error\n$")
                self.assertFalse(os.path.exists(f"/dev/shm/{out}"))

    def test_workers_report_bytes_read_and_io_wait(self):
        path = self.file(np.ones((100000, 10)))
        r = shmx("run", "sum", path, "--io", "stream", "--stats", "-j", 2)
        st = json.loads(r.stderr)
        self.assertGreaterEqual(sum(w["bytes_read"] for w in st["per_worker"]),
                                8000000)
        for w in st["per_worker"]:
            self.assertGreaterEqual(w["io_wait"], 0)

    def test_the_default_queue_depth_keeps_32_mib_in_flight_a_worker(self):
        # 32 MiB of chunks a worker, 256 MiB in all, at least 2, at most the
        # chunks; --queue-depth as given; --stats says which.  A sparse
        # 128 MiB file (64 chunks of 2 MiB): little to read.
        path = os.path.join(self.disk, "sparse.npy")
        rows = (128 << 20) // 80
        hdr = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64,
                                        shape=(rows, 10))
        del hdr
        small = self.file(np.ones((1000, 10)))  # 80 KB
        for src, args, depth in ((path, ("--chunk", "4M", "-j", 2), 8),
                                 (path, ("--chunk", "2M", "-j", 2), 16),
                                 (path, ("--chunk", "1M", "-j", 8), 32),
                                 (path, ("--chunk", "64M", "-j", 1), 2),
                                 (path, ("--chunk", "1M", "--queue-depth", 5), 5),
                                 (small, ("--chunk", "8k", "-j", 2), 10)):
            with self.subTest(args=args):
                r = shmx("run", "max", src, "--io", "stream", "--stats", *args)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(json.loads(r.stderr)["queue_depth"], depth)
        r = shmx("run", "max", small, "--io", "mmap", "--stats")
        self.assertEqual(json.loads(r.stderr)["queue_depth"], 0)

    def test_peak_memory_is_bounded_for_a_4_gib_file(self):
        # A sparse 4 GiB array: the disk work is small, the memory bound is
        # the same.  Bound: workers x queue depth x chunk + 64 MiB.
        path = os.path.join(self.disk, "big.npy")
        rows, cols = (4 << 30) // 80, 10
        hdr = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64,
                                        shape=(rows, cols))
        del hdr
        # RUSAGE_CHILDREN keeps the largest child a process ever waited
        # for: measure in a fresh process that runs only this shmx.
        probe = ("import resource, subprocess, sys; "
                 "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
                 "sys.stdout.write(r.stdout); sys.stderr.write(r.stderr); "
                 "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
        r = subprocess.run(["/usr/bin/python3", "-c", probe, SHMX, "run", "max",
                            path, "--io", "stream", "-j", "2",
                            "--queue-depth", "4", "--stats"],
                           capture_output=True, text=True)
        value, peak_kib = r.stdout.split()
        self.assertEqual(float(value), 0.0, r.stderr)
        bound_kib = (2 * 4 * 4 * 1024) + 64 * 1024
        self.assertLess(int(peak_kib), bound_kib,
                        f"peak RSS {peak_kib} KiB over {bound_kib} KiB")
        read = sum(w["bytes_read"] for w in json.loads(r.stderr)["per_worker"])
        self.assertGreaterEqual(read, rows * cols * 8)


class StreamFallbacks(ShmxTestCase):
    def test_a_segment_is_mapped_and_the_stats_say_why(self):
        name = self.kept("seg")
        self.assertEqual(shmx("gen", "-o", f"shm://{name}", "--shape", "1000x3").returncode, 0)
        r = shmx("run", "sum", f"shm://{name}", "--io", "stream", "--stats")
        self.assertEqual(r.returncode, 0, r.stderr)
        st = json.loads(r.stderr)
        self.assertEqual(st["io"], "mmap")
        self.assertIn("used the mapping", st["io_note"])

    def test_bad_io_options(self):
        src = self.save(np.zeros(4))
        self.assertFails(shmx("run", "sum", src, "--io", "fast"), 2,
                         "run: --io must be auto, mmap or stream, not 'fast'")
        self.assertFails(shmx("run", "sum", src, "--queue-depth", 0), 2,
                         "run: --queue-depth must be between 1 and 256")
        self.assertFails(shmx("run", "neg", src, "--io", "stream", "--in-place"), 2,
                         "--in-place rewrites the mapping")


if __name__ == "__main__":
    unittest.main()
