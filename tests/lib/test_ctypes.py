"""libshmx.so loaded into Python with ctypes (a ctest test, py_lib_ctypes).

The shared library must work inside a host process without touching the
host's allocator: it defines no malloc of its own (engine/CMakeLists.txt,
cmake/shmx.map), so after the load the process's malloc is the one it had
before, glibc's (or, in the sanitizer build, the preloaded ASan runtime's),
and what the library allocates and frees internally (the shm directory
listing: calloc, realloc, strdup, free) stays with that allocator.

$SHMX_LIB is the library to load; $SHMX_LIB_VERSION the version it must
report.  Run by hand:
    SHMX_LIB=build/engine/libshmx.so.0 SHMX_LIB_VERSION=0.1.0 \\
        /usr/bin/python3 tests/lib/test_ctypes.py
"""
import ctypes
import os
import shutil
import struct
import tempfile
import unittest

SHMX_F64 = 9          # enum shmx_dtype (shmx/dtype.h)
SHMX_EDTYPE = -1003   # shmx/error.h
SHMX_ESHAPE = -1004
ENOENT = 2

libc = ctypes.CDLL("libc.so.6", use_errno=True)
host = ctypes.CDLL(None)


class DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


class Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                 "fsmblks", "uordblks", "fordblks", "keepcost")]


class Error(ctypes.Structure):  # struct shmx_error
    _fields_ = [("code", ctypes.c_int), ("msg", ctypes.c_char * 512)]


class Shape(ctypes.Structure):  # struct shmx_shape
    _fields_ = [("ndim", ctypes.c_int), ("dim", ctypes.c_uint64 * 2)]


libc.dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(DlInfo)]
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.malloc_usable_size.restype = ctypes.c_size_t
libc.malloc_usable_size.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = Mallinfo2


def address(lib, name):
    """Where name resolves from lib's handle (dlsym), as an int."""
    return ctypes.cast(getattr(lib, name), ctypes.c_void_p).value


def defined_in(addr):
    """The file of the object that defines the code at addr (dladdr)."""
    info = DlInfo()
    if not libc.dladdr(addr, ctypes.byref(info)):
        return None
    return os.path.realpath(info.dli_fname.decode())


# Before the library is loaded: the process's own allocator.
MALLOC_BEFORE = address(host, "malloc")
FREE_BEFORE = address(host, "free")
PRELOADED = bool(os.environ.get("LD_PRELOAD"))  # the ASan build's runtime

lib = ctypes.CDLL(os.environ["SHMX_LIB"])
lib.shmx_version.restype = ctypes.c_char_p
lib.shmx_strerror.restype = ctypes.c_char_p
lib.shmx_strerror.argtypes = [ctypes.c_int]
lib.shmx_dtype_parse.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int),
                                 ctypes.POINTER(Error)]
lib.shmx_dtype_name.restype = ctypes.c_char_p
lib.shmx_dtype_name.argtypes = [ctypes.c_int]
lib.shmx_shape_parse.argtypes = [ctypes.c_char_p, ctypes.POINTER(Shape),
                                 ctypes.POINTER(Error)]
lib.shmx_shape_format.argtypes = [ctypes.POINTER(Shape), ctypes.c_char_p,
                                  ctypes.c_size_t]
lib.shmx_shape_format.restype = None
lib.shmx_shape_bytes.argtypes = [ctypes.POINTER(Shape), ctypes.c_int,
                                 ctypes.POINTER(ctypes.c_uint64)]
lib.shmx_shm_name_valid.argtypes = [ctypes.c_char_p]
ENTRY_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
lib.shmx_catalog_each.argtypes = [ENTRY_FN, ctypes.c_void_p,
                                  ctypes.POINTER(Error)]


def npy_image(rows):
    """A little-endian f64 NPY v1 image of rows values."""
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (%d,), }" % rows
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    return (b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) +
            header.encode() + struct.pack("<%dd" % rows, *range(rows)))


class HostAllocator(unittest.TestCase):
    """Loading libshmx.so leaves the process's malloc alone."""

    def test_malloc_unchanged_by_the_load(self):
        self.assertEqual(address(host, "malloc"), MALLOC_BEFORE)
        self.assertEqual(address(host, "free"), FREE_BEFORE)

    def test_library_defines_no_malloc(self):
        # dlsym on the library's handle searches the library first, then
        # its dependencies: a malloc of its own (a static jemalloc) would be
        # found in it, glibc's (or the preloaded runtime's) otherwise
        me = os.path.realpath(os.environ["SHMX_LIB"])
        self.assertEqual(defined_in(address(lib, "shmx_version")), me)
        for name in ("malloc", "free", "calloc", "realloc", "aligned_alloc",
                     "malloc_usable_size"):
            where = defined_in(address(lib, name))
            self.assertNotEqual(where, me, name)
            if not PRELOADED:
                self.assertEqual(where, defined_in(address(libc, name)), name)
        for name in ("mallocx", "je_malloc", "shmx__malloc"):
            with self.assertRaises(AttributeError, msg=name):
                getattr(lib, name)

    @unittest.skipIf(PRELOADED, "a preloaded runtime owns malloc")
    def test_process_malloc_is_glibc(self):
        # the process's malloc (through the executable's PLT) is the one
        # glibc accounts for: 64 KiB, above what its thread cache keeps
        # (counted as in use) and below its mmap threshold
        host.malloc.restype = ctypes.c_void_p
        host.malloc.argtypes = [ctypes.c_size_t]
        host.free.argtypes = [ctypes.c_void_p]
        before = libc.mallinfo2().uordblks
        p = host.malloc(65536)
        self.assertTrue(p)
        try:
            self.assertGreaterEqual(libc.malloc_usable_size(p), 65536)
            self.assertLess(libc.malloc_usable_size(p), 65536 + 64)
            self.assertGreaterEqual(libc.mallinfo2().uordblks, before + 65536)
        finally:
            host.free(p)
        self.assertTrue(os.path.basename(
            defined_in(address(libc, "malloc"))).startswith("libc.so"))


class Calls(unittest.TestCase):
    """A few of the library's functions, called from Python."""

    def test_version(self):
        self.assertEqual(lib.shmx_version().decode(),
                         os.environ["SHMX_LIB_VERSION"])

    def test_strerror(self):
        self.assertEqual(lib.shmx_strerror(SHMX_EDTYPE), b"unsupported dtype")
        self.assertEqual(lib.shmx_strerror(-ENOENT),
                         os.strerror(ENOENT).encode())

    def test_dtype_parse(self):
        t, err = ctypes.c_int(-1), Error()
        self.assertEqual(lib.shmx_dtype_parse(b"float64", ctypes.byref(t),
                                              ctypes.byref(err)), 0)
        self.assertEqual(t.value, SHMX_F64)
        self.assertEqual(lib.shmx_dtype_name(t.value), b"f64")
        rc = lib.shmx_dtype_parse(b"f128", ctypes.byref(t), ctypes.byref(err))
        self.assertEqual((rc, err.code), (SHMX_EDTYPE, SHMX_EDTYPE))
        self.assertIn(b"f128", err.msg)

    def test_shape(self):
        s, err, buf = Shape(), Error(), ctypes.create_string_buffer(64)
        n = ctypes.c_uint64()
        self.assertEqual(lib.shmx_shape_parse(b"100000x10", ctypes.byref(s),
                                              ctypes.byref(err)), 0)
        self.assertEqual((s.ndim, s.dim[0], s.dim[1]), (2, 100000, 10))
        lib.shmx_shape_format(ctypes.byref(s), buf, len(buf))
        self.assertEqual(buf.value, b"100000x10")
        self.assertEqual(lib.shmx_shape_bytes(ctypes.byref(s), SHMX_F64,
                                              ctypes.byref(n)), 0)
        self.assertEqual(n.value, 8000000)
        self.assertEqual(lib.shmx_shape_parse(b"10xx", ctypes.byref(s),
                                              ctypes.byref(err)), SHMX_ESHAPE)
        self.assertTrue(err.msg)

    def test_name_valid(self):
        self.assertEqual(lib.shmx_shm_name_valid(b"data-1"), 1)
        self.assertEqual(lib.shmx_shm_name_valid(b"a/b"), 0)

    def test_catalog_allocates_and_frees_inside_the_host(self):
        # the listing allocates (calloc, realloc, strdup) and frees in the
        # library; repeated with more names than its first allocation holds
        tmp = tempfile.mkdtemp(prefix="shmx-pytest-lib-")
        old = os.environ.get("SHMX_SHM_DIR")
        try:
            for i in range(100):
                with open(os.path.join(tmp, "a%03d" % i), "wb") as f:
                    f.write(npy_image(i + 1))
            os.environ["SHMX_SHM_DIR"] = tmp
            names = []
            fn = ENTRY_FN(lambda e, ctx: names.append(
                ctypes.string_at(e).decode()) or 0)
            err = Error()
            for _ in range(20):
                names.clear()
                self.assertEqual(lib.shmx_catalog_each(fn, None,
                                                       ctypes.byref(err)), 0,
                                 err.msg)
            self.assertEqual(names, ["a%03d" % i for i in range(100)])
            self.assertEqual(address(host, "malloc"), MALLOC_BEFORE)
        finally:
            if old is None:
                os.environ.pop("SHMX_SHM_DIR", None)
            else:
                os.environ["SHMX_SHM_DIR"] = old
            shutil.rmtree(tmp)


if __name__ == "__main__":
    unittest.main(verbosity=2)
