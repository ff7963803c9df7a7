"""Streamed writes: a map read with --io stream into a file on a disk writes
its output with io_uring and O_DIRECT (engine/io/writer.c).  The file must
hold the same bytes as when written through the mapping, for every dtype,
row sizes that put chunk edges anywhere in a block, sizes 0, 1 and primes,
any -j; the page cache must not fill; a failed write must fail the run and
publish nothing; memory stays bounded whatever the output size."""
import json
import os
import pty
import subprocess

import numpy as np

from shmxtest import SHMX, DiskTestCase, evict, fault_hooks, shmx

DTYPES = {"i8": np.int8, "u16": np.uint16, "i32": np.int32,
          "u64": np.uint64, "f32": np.float32, "f64": np.float64}


def resident_bytes(path):
    """Bytes of path in the page cache (fincore)."""
    out = subprocess.run(["fincore", "-b", "-n", "-o", "RES", path],
                         capture_output=True, text=True, check=True).stdout
    return int(out.split()[0])


class StreamedWrites(DiskTestCase):

    def dpath(self, name):
        return os.path.join(self.disk, name)

    def both(self, op, a, *args, tag="x"):
        """Run op on a through the mapping and through the stream, each
        into a new file; return (mapped bytes, streamed bytes, stats)."""
        src = self.dpath(f"in-{tag}.npy")
        np.save(src, a)
        got = {}
        for io in ("mmap", "stream"):
            out = self.dpath(f"out-{tag}-{io}.npy")
            r = shmx("run", op, src, "-o", out, "--io", io, "--stats", *args)
            self.assertEqual(r.status, 0, r.err)
            st = json.loads(r.err)
            with open(out, "rb") as f:
                got[io] = (f.read(), st)
        return got["mmap"][0], got["stream"][0], got["stream"][1]

    def test_same_bytes_as_the_mapping_every_dtype_and_edge(self):
        rng = np.random.default_rng(7)
        # (rows, cols): empty, one element, primes, fewer rows than workers,
        # rows of 3 elements (24 bytes for f64) so chunk edges fall
        # anywhere in a block
        shapes = [(0, 3), (1, 1), (7, 3), (2, 13), (1009, 3), (40009, 7)]
        n = 0
        for dt, t in DTYPES.items():
            for shape in shapes:
                a = (rng.standard_normal(shape) * 50).astype(t)
                # a map that keeps the dtype and one that widens it: the
                # writer sees only the output's rows, so another map of
                # the same output dtype asserts nothing more here
                for op in ("scale:3", "cast:f64"):
                    for j, chunk in ((1, "4k"), (2, "10000"), (3, "64k")):
                        with self.subTest(dt=dt, shape=shape, op=op, j=j):
                            m, s, st = self.both(op, a, "-j", j, "--chunk",
                                                 chunk, tag=f"{dt}{n}")
                            n += 1
                            self.assertEqual(m, s)
                            if shape[0] * shape[1]:
                                self.assertIn("output streamed", st["io_note"])
        # the first case checked against numpy too, not just the mapping
        a = rng.standard_normal((1009, 3))
        m, s, _ = self.both("scale:3", a, "--chunk", "4k", tag="np")
        np.testing.assert_array_equal(np.load(self.dpath("out-np-stream.npy")),
                                      a * 3)

    def test_the_page_cache_does_not_fill(self):
        a = np.ones((1 << 20, 8))  # 64 MiB in, 64 MiB out
        src = self.dpath("in.npy")
        np.save(src, a)
        evict(src)
        out = self.dpath("out.npy")
        r = shmx("run", "scale:2", src, "-o", out, "--io", "stream", "-j", 2,
                 "--stats")
        self.assertEqual(r.status, 0, r.err)
        st = json.loads(r.err)
        chunks = st["chunks"]
        # two edge blocks a chunk go through the cache, and the header
        self.assertLessEqual(resident_bytes(out), (2 * chunks + 2) * 4096)
        self.assertLess(resident_bytes(src), 4 << 20)
        written = sum(w["bytes_written"] for w in st["per_worker"])
        self.assertEqual(written, a.nbytes)
        for w in st["per_worker"]:
            self.assertGreaterEqual(w["write_wait"], 0)
        np.testing.assert_array_equal(np.load(out, mmap_mode="r"), a * 2)

    def test_segments_and_reductions_are_not_streamed_out(self):
        a = np.arange(3000.0).reshape(1000, 3)
        src = self.dpath("in.npy")
        np.save(src, a)
        seg = self.kept("wr-seg")
        r = shmx("run", "scale:2", src, "-o", f"shm://{seg}", "--io", "stream",
                 "--stats")
        self.assertEqual(r.status, 0, r.err)
        self.assertNotIn("output streamed", json.loads(r.err)["io_note"])
        np.testing.assert_array_equal(self.load_shm(seg), a * 2)
        out = self.dpath("rows.npy")
        r = shmx("run", "sum", src, "--axis", 1, "-o", out, "--io", "stream",
                 "--stats")
        self.assertEqual(r.status, 0, r.err)
        self.assertNotIn("output streamed", json.loads(r.err)["io_note"])
        np.testing.assert_array_equal(np.load(out), a.sum(axis=1))

    def test_progress_shows_bytes_read_written_and_io_wait(self):
        a = np.ones((200000, 8))
        src = self.dpath("in.npy")
        np.save(src, a)
        master, slave = pty.openpty()  # --progress draws on a terminal only
        try:
            r = subprocess.run([SHMX, "run", "scale:2", src, "-o",
                                self.dpath("out.npy"), "--io", "stream",
                                "--chunk", "64k", "--progress"],
                               stderr=slave, stdout=subprocess.PIPE)
            os.close(slave)
            drawn = b""
            while True:
                try:
                    part = os.read(master, 65536)
                except OSError:  # EIO: the terminal's other end is gone
                    break
                if not part:
                    break
                drawn += part
        finally:
            os.close(master)
        self.assertEqual(r.returncode, 0)
        last = drawn.decode().rstrip("\r\n").split("\r")[-1]
        self.assertRegex(last, r"^scale:2 \[#{40}\] 100% [0-9.]+ GB/s, "
                         r"read 0\.01 GB \(wait \d+%\), "
                         r"written 0\.01 GB \(wait \d+%\)\x1b\[K$")

    def test_peak_memory_is_bounded_for_a_large_map(self):
        # 512 MiB of zeros (sparse input) mapped into 512 MiB written to
        # the disk.  Bound: workers x (read depth x chunk + 64 MiB of write
        # buffers) + 64 MiB, whatever the size.
        path = self.dpath("big.npy")
        rows, cols = (512 << 20) // 64, 8
        m = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64,
                                      shape=(rows, cols))
        del m
        out = self.dpath("big-out.npy")
        probe = ("import resource, subprocess, sys; "
                 "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
                 "sys.stderr.write(r.stderr); "
                 "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
        r = subprocess.run(["/usr/bin/python3", "-c", probe, SHMX, "run",
                            "add:1", path, "-o", out, "--io", "stream",
                            "-j", "2", "--queue-depth", "4"],
                           capture_output=True, text=True)
        status, peak_kib = map(int, r.stdout.split())
        self.assertEqual(status, 0, r.stderr)
        bound_kib = 2 * (4 * 4 * 1024 + 64 * 1024) + 64 * 1024
        self.assertLess(peak_kib, bound_kib,
                        f"peak RSS {peak_kib} KiB over {bound_kib} KiB")
        got = np.load(out, mmap_mode="r")
        self.assertEqual(got.shape, (rows, cols))
        self.assertTrue((got[:: 4099] == 1.0).all())
        self.assertEqual(float(got[-1, -1]), 1.0)


class StreamedWriteFaults(DiskTestCase):
    def setUp(self):
        super().setUp()
        if not fault_hooks():
            self.skipTest("a build without fault injection")
        self.a = np.random.default_rng(3).standard_normal((20011, 3))
        self.src = os.path.join(self.disk, "in.npy")
        np.save(self.src, self.a)
        with open(self.src, "rb") as f:
            self.src_bytes = f.read()

    def tearDown(self):
        # the input is never changed, whatever failed
        with open(self.src, "rb") as f:
            self.assertEqual(f.read(), self.src_bytes)
        self.assertEqual([n for n in os.listdir(self.disk) if n.startswith(".shmx-")],
                         [], "a temporary was left")
        super().tearDown()

    def run_map(self, fault, *args):
        out = os.path.join(self.disk, "out.npy")
        r = shmx("run", "scale:2", self.src, "-o", out, "--io", "stream",
                 "--chunk", "16k", "--stats", *args, env={"SHMX_FAULT": fault})
        return r, out

    def test_a_failed_write_fails_the_run_and_publishes_nothing(self):
        for fault, text in (("write-eio:3", "Input/output error"),
                            ("write-enospc:2", "No space left on device"),
                            ("write-eio:1:persist", "Input/output error")):
            for j in (1, 2):
                with self.subTest(fault=fault, j=j):
                    r, out = self.run_map(fault, "-j", j)
                    self.assertEqual(r.status, 1, r.err)
                    self.assertRegex(r.err, r"^shmx: error: .*out\.npy: writing "
                                     r"chunk \d+ \(bytes \[\d+, \d+\)\): "
                                     + text + "\n$")
                    self.assertFalse(os.path.exists(out))

    def test_short_and_refused_writes_still_give_the_same_bytes(self):
        want = None
        for fault, note in (("none:1", None), ("write-short:5000", None),
                            ("write-einval:1", "O_DIRECT write refused")):
            for j in (1, 2):
                with self.subTest(fault=fault, j=j):
                    r, out = self.run_map(fault, "-j", j)
                    self.assertEqual(r.status, 0, r.err)
                    if note:
                        self.assertIn(note, json.loads(r.err)["io_note"])
                    with open(out, "rb") as f:
                        got = f.read()
                    os.unlink(out)
                    want = want or got
                    self.assertEqual(got, want)
        np.testing.assert_array_equal(
            np.frombuffer(want[4096:], dtype=np.float64).reshape(self.a.shape),
            self.a * 2)

    def test_a_failed_o_direct_reopen_falls_back_and_a_failed_create_fails(self):
        """open-output's first call creates the output's temporary (the
        parent's): its failure is the run's, one line, exit 1, nothing
        left.  Its second is the writer's O_DIRECT reopen in each worker
        (which inherits the count): buffered writes take over, the same
        bytes, and --stats says why."""
        r, out = self.run_map("none:1", "-j", 1)
        self.assertEqual(r.status, 0, r.err)
        self.assertNotIn("O_DIRECT:", json.loads(r.err)["io_note"])
        with open(out, "rb") as f:
            want = f.read()
        os.unlink(out)
        for fault in ("open-output:1", "open-output:1:persist"):
            for j in (1, 2):
                with self.subTest(fault=fault, j=j):
                    r, out = self.run_map(fault, "-j", j)
                    self.assertEqual((r.status, r.out), (1, ""), r.err)
                    self.assertRegex(r.err, r"^shmx: error: [^\n]*out\.npy: "
                                     r"cannot create: Too many open files\n$")
                    self.assertFalse(os.path.exists(out))
        for fault in ("open-output:2", "open-output:2:persist"):
            for j in (1, 2, 3):
                with self.subTest(fault=fault, j=j):
                    r, out = self.run_map(fault, "-j", j)
                    got = None
                    if os.path.exists(out):
                        with open(out, "rb") as f:
                            got = f.read()
                        os.unlink(out)
                    self.assertEqual(r.status, 0, r.err)
                    self.assertIn("O_DIRECT: Too many open files: buffered "
                                  "writes", json.loads(r.err)["io_note"])
                    self.assertEqual(got, want)

    def test_a_worker_killed_mid_write_is_replaced_with_the_same_bytes(self):
        r, out = self.run_map("none:1", "-j", 2)
        self.assertEqual(r.status, 0, r.err)
        with open(out, "rb") as f:
            want = f.read()
        os.unlink(out)
        for k in (0, 5, 13):
            with self.subTest(chunk=k):
                r, out = self.run_map(f"worker-chunk:{k}", "-j", 2)
                self.assertEqual(r.status, 0, r.err)
                self.assertEqual(json.loads(r.err)["deaths"], 1)
                with open(out, "rb") as f:
                    self.assertEqual(f.read(), want)
                os.unlink(out)
