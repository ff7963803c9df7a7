"""numpy and shmx read each other's arrays, bit for bit.

shmx writes NPY v1.0 images with the data at byte 4096, so numpy maps them
in place; shmx reads every NPY file numpy writes for its dtypes (v1, v2,
v3, data at 64 or 128), and refuses the rest with one clear line.
"""
import io
import os
import unittest

import numpy as np

from shmxtest import ShmxTestCase, fingerprint, run

# shmx name -> numpy dtype
DTYPES = {
    "i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64,
    "u8": np.uint8, "u16": np.uint16, "u32": np.uint32, "u64": np.uint64,
    "f32": np.float32, "f64": np.float64,
}
SHAPES = [(), (0,), (1,), (7,), (3, 5), (0, 4), (4, 0)]
FILLS = ["uniform", "normal", "range", "zeros"]


def sample(dtype, shape, seed=0):
    """Values that exercise the whole type: extremes, signs, NaN, -0."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64))
    if dt.kind == "f":
        a = rng.standard_normal(n).astype(dt) * 1e3
        specials = np.array([np.nan, np.inf, -np.inf, -0.0,
                             np.finfo(dt).tiny, np.finfo(dt).max], dt)
        k = min(n, len(specials))
        a[:k] = specials[:k]
    else:
        info = np.iinfo(dt)
        a = rng.integers(info.min, info.max, size=n, dtype=dt,
                         endpoint=True)
        if n >= 2:
            a[0], a[1] = info.min, info.max
    return a.reshape(shape)


def parse_cat(text, dtype, shape):
    """`shmx cat` output back into an array of dtype and shape."""
    words = text.split()
    if np.dtype(dtype).kind == "f":
        vals = [float(w) for w in words]
    else:
        vals = [int(w) for w in words]
    return np.array(vals, dtype=dtype).reshape(shape)


def load_shm(path, shape_hint=None):
    """numpy.load in place, empty arrays included (their file has one pad
    byte so that numpy's mmap can attach it: see include/shmx/npy.h)."""
    return np.load(path, mmap_mode="r")


class NumpyReadsShmx(ShmxTestCase):
    def check_in_place(self, tag, dtype, shape_arg, shape):
        a = load_shm(self.shm_path(tag))
        if a.size:
            self.assertIsInstance(a, np.memmap)
            self.assertEqual(a.offset, 4096, "data not at 4096")
        self.assertEqual(a.dtype, np.dtype(dtype))
        self.assertEqual(a.shape, shape)
        self.assertTrue(a.flags["C_CONTIGUOUS"])
        return a

    def test_numpy_maps_every_dtype_and_fill_in_place(self):
        for name, dtype in DTYPES.items():
            for fill in FILLS:
                with self.subTest(dtype=name, fill=fill):
                    tag = "%s-%s" % (name, fill)
                    self.ok("gen", "-o", self.spec(tag), "--shape", "7x3",
                            "--dtype", name, "--fill", fill, "--seed", "5")
                    a = self.check_in_place(tag, dtype, "7x3", (7, 3))
                    text = self.ok("cat", self.spec(tag)).out
                    self.assertEqual(text.count("\n"), 7)
                    b = parse_cat(text, dtype, (7, 3))
                    self.assertEqual(a.tobytes(), b.tobytes(),
                                     "cat and numpy disagree")
                    if fill == "range":
                        want = np.arange(21, dtype=np.uint64).astype(dtype)
                        self.assertEqual(a.tobytes(), want.tobytes())
                    elif fill == "zeros":
                        self.assertFalse(np.any(a))
                    elif fill == "uniform":
                        if np.dtype(dtype).kind == "f":
                            self.assertTrue(np.all((a >= 0) & (a < 1)))
                        elif np.dtype(dtype).kind == "i":
                            self.assertTrue(np.all((a >= -100) & (a <= 100)))
                        else:
                            self.assertTrue(np.all(a <= 200))
                    del a
                    os.unlink(self.shm_path(tag))

    def test_numpy_maps_every_shape(self):
        for shape_arg, shape in [("0", (0,)), ("1", (1,)), ("5", (5,)),
                                 ("3x5", (3, 5)), ("0x4", (0, 4)),
                                 ("4x0", (4, 0)), ("1x1", (1, 1))]:
            with self.subTest(shape=shape_arg):
                tag = "s" + shape_arg
                self.ok("gen", "-o", self.spec(tag), "--shape", shape_arg,
                        "--dtype", "f32", "--fill", "range")
                a = self.check_in_place(tag, np.float32, shape_arg, shape)
                n = int(np.prod(shape))
                self.assertEqual(a.tobytes(),
                                 np.arange(n, dtype=np.float32).tobytes())
                # an empty array carries one pad byte (include/shmx/npy.h)
                self.assertEqual(os.path.getsize(self.shm_path(tag)),
                                 4096 + (4 * n or 1))
                del a
                self.ok("rm", self.spec(tag))

    def test_numpy_reads_a_file_target_too(self):
        path = self.path("g.npy")
        self.ok("gen", "-o", path, "--shape", "10x2", "--dtype", "u64",
                "--fill", "range")
        a = np.load(path)
        self.assertEqual(a.dtype, np.uint64)
        self.assertEqual(a.tolist(), np.arange(20).reshape(10, 2).tolist())
        with open(path, "rb") as f:
            self.assertEqual(np.lib.format.read_magic(f), (1, 0))
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            self.assertEqual(f.tell(), 4096)
        self.assertEqual((shape, fortran, dtype),
                         ((10, 2), False, np.dtype(np.uint64)))

    def test_same_seed_same_array_different_seed_different(self):
        for seed, tag in (("3", "a"), ("3", "b"), ("4", "c")):
            self.ok("gen", "-o", self.spec(tag), "--shape", "50",
                    "--fill", "normal", "--seed", seed)
        a, b, c = (np.load(self.shm_path(t)) for t in "abc")
        self.assertEqual(a.tobytes(), b.tobytes())
        self.assertNotEqual(a.tobytes(), c.tobytes())
        for t in "abc":
            os.unlink(self.shm_path(t))


class ShmxReadsNumpy(ShmxTestCase):
    def write(self, path, arr, writer):
        if writer == "save":
            np.save(path, arr)
        else:
            with open(path, "wb") as f:
                np.lib.format.write_array(f, arr, version=writer,
                                          allow_pickle=False)

    def test_load_round_trips_every_dtype_shape_and_version(self):
        writers = ["save", (1, 0), (2, 0), (3, 0)]
        for name, dtype in DTYPES.items():
            for shape in SHAPES:
                for writer in writers:
                    with self.subTest(dtype=name, shape=shape, writer=writer):
                        arr = sample(dtype, shape, seed=len(shape))
                        src = self.path("in.npy")
                        self.write(src, arr, writer)
                        before = fingerprint(src)
                        self.ok("load", src, "-o", self.spec("rt"))
                        try:
                            self.assertEqual(fingerprint(src), before)
                            got = load_shm(self.shm_path("rt"))
                            self.assertEqual(got.dtype, arr.dtype)
                            self.assertEqual(got.shape, arr.shape)
                            self.assertEqual(got.tobytes(), arr.tobytes())
                            del got
                        finally:
                            os.unlink(self.shm_path("rt"))

    def test_cat_prints_what_numpy_wrote(self):
        for name, dtype in DTYPES.items():
            with self.subTest(dtype=name):
                arr = sample(dtype, (4, 3), seed=7)
                src = self.path("c.npy")
                np.save(src, arr)
                text = self.ok("cat", src).out
                got = parse_cat(text, dtype, (4, 3))
                self.assertEqual(got.tobytes(), arr.tobytes())

    def test_scalar_prints_one_value(self):
        src = self.path("s.npy")
        np.save(src, np.float64(2.5))
        self.assertEqual(self.ok("cat", src).out, "2.5\n")
        self.ok("load", src, "-o", self.spec("scalar"))
        got = np.load(self.shm_path("scalar"))
        self.assertEqual((got.shape, float(got)), ((), 2.5))
        os.unlink(self.shm_path("scalar"))

    def test_load_into_a_file_round_trips(self):
        arr = sample(np.int32, (6, 4), seed=3)
        src, dst = self.path("a.npy"), self.path("b.npy")
        np.save(src, arr)
        self.ok("load", src, "-o", dst)
        with open(dst, "rb") as f:
            head = f.read(4096)
        self.assertEqual(head[:8], b"\x93NUMPY\x01\x00")
        self.assertTrue(head.endswith(b"\n"))
        got = np.load(dst)
        self.assertEqual(got.tobytes(), arr.tobytes())
        self.assertEqual(os.stat(dst).st_mode & 0o7777, 0o600)

    def test_raw_files_load_with_numpy_dtype_names(self):
        for dname, dtype, shape_arg, shape in [
                ("float32", np.float32, "3x5", (3, 5)),
                ("<i4", np.int32, "15", (15,)),
                ("uint8", np.uint8, "5x3", (5, 3)),
                ("f8", np.float64, "1x15", (1, 15))]:
            with self.subTest(dtype=dname):
                arr = sample(dtype, shape, seed=11)
                src = self.path("raw.bin")
                arr.tofile(src)
                self.ok("load", src, "-o", self.spec("raw"), "--dtype",
                        dname, "--shape", shape_arg)
                got = np.load(self.shm_path("raw"))
                self.assertEqual(got.dtype, np.dtype(dtype))
                self.assertEqual(got.shape, shape)
                self.assertEqual(got.tobytes(), arr.tobytes())
                os.unlink(self.shm_path("raw"))

    def test_fortran_order_is_fine_for_one_dimension(self):
        src = self.path("f1.npy")
        arr = np.arange(5, dtype=np.float64)
        with open(src, "wb") as f:
            np.lib.format.write_array_header_1_0(
                f, {"descr": "<f8", "fortran_order": True, "shape": (5,)})
            f.write(arr.tobytes())
        self.assertEqual(np.load(src).tolist(), arr.tolist())
        self.assertEqual(self.ok("cat", src).out, "0\n1\n2\n3\n4\n")


class ShmxRefusesWhatItCannotRead(ShmxTestCase):
    """Each file numpy can write but shmx cannot compute on: exit 2, one
    line naming the file, the input untouched, nothing in /dev/shm."""

    def refused(self, arr_or_bytes, msg_tail, name="bad.npy"):
        src = self.path(name)
        if isinstance(arr_or_bytes, bytes):
            with open(src, "wb") as f:
                f.write(arr_or_bytes)
        else:
            np.save(src, arr_or_bytes)
        before = fingerprint(src)
        self.fails(["load", src, "-o", self.spec("x")], 2,
                   "%s: %s" % (src, msg_tail))
        self.fails(["cat", src], 2, "%s: %s" % (src, msg_tail))
        self.assertEqual(fingerprint(src), before, "input changed")

    def test_complex(self):
        self.refused(np.zeros(3, np.complex128), "unsupported dtype '<c16'")

    def test_bool_loads_and_cats_but_the_ops_refuse_it(self):
        src = self.path("b.npy")
        arr = np.array([[True, False], [False, True], [True, True]])
        np.save(src, arr)
        self.ok("load", src, "-o", self.spec("b"))
        got = np.load(self.shm_path("b"))
        self.assertEqual(got.dtype, np.bool_)
        self.assertEqual(got.tobytes(), arr.tobytes())
        self.assertEqual(self.ok("cat", self.spec("b")).out,
                         "True False\nFalse True\nTrue True\n")
        self.assertIn("dtype: bool", self.ok("info", self.spec("b")).out)
        self.fails(["run", "sum", self.spec("b")], 2,
                   "operation 'sum' does not take bool input "
                   "(shmx eval computes on booleans)")
        os.unlink(self.shm_path("b"))

    def test_float16(self):
        self.refused(np.zeros(3, np.float16), "unsupported dtype '<f2'")

    def test_strings(self):
        self.refused(np.array(["ab", "c"]), "unsupported dtype '<U2'")

    def test_big_endian(self):
        self.refused(np.arange(3, dtype=">f8"),
                     "big-endian dtype '>f8' is not supported "
                     "(convert with a.astype('<f8'))")
        self.refused(np.arange(3, dtype=">i4"),
                     "big-endian dtype '>i4' is not supported "
                     "(convert with a.astype('<i4'))")

    def test_structured(self):
        self.refused(np.zeros(3, [("a", "<f8"), ("b", "<i4")]),
                     "unsupported dtype (structured or not a plain type)")

    def test_three_dimensions(self):
        self.refused(np.zeros((2, 3, 4)),
                     "3-D arrays are not supported (shmx handles N or RxC)")

    def test_fortran_order_matrix(self):
        self.refused(np.asfortranarray(np.ones((3, 4))),
                     "fortran_order arrays are not supported "
                     "(save with np.ascontiguousarray)")

    def test_truncated_data(self):
        buf = io.BytesIO()
        np.save(buf, np.arange(10, dtype=np.float64))
        self.refused(buf.getvalue()[:-3],
                     "data is 77 bytes, shorter than the 80 its header says")

    def test_trailing_bytes(self):
        buf = io.BytesIO()
        np.save(buf, np.arange(10, dtype=np.float64))
        self.refused(buf.getvalue() + b"\0",
                     "data is 81 bytes, longer than the 80 its header says")

    def test_not_npy_at_all(self):
        self.refused(b"just some text\n",
                     "not an NPY file (bad magic); raw data needs --dtype "
                     "and --shape", name="notes.txt")

    def test_raw_of_the_wrong_size(self):
        src = self.path("data.bin")
        np.zeros(1000001, np.uint8).tofile(src)
        before = fingerprint(src)
        self.fails(["load", "data.bin", "-o", self.spec("x"), "--dtype",
                    "f64", "--shape", "12500x10"], 2,
                   "data.bin: 1000001 bytes is not a whole number of f64 "
                   "rows of 10", cwd=self.tmp)
        self.assertEqual(fingerprint(src), before)


if __name__ == "__main__":
    unittest.main()
