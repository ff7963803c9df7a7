"""shmx run plugin:PATH:NAME: the example plugin (tools/plugins/rownorm.c)
against numpy, and each way a plugin can be wrong (tests/plugins/*.c)
getting its one-line error and exit code, with nothing left in /dev/shm.

The paths come from ctest: $SHMX_ROWNORM (rownorm.so) and
$SHMX_TEST_PLUGINS (the directory of the test plugins)."""
import os
import unittest
import warnings

import numpy as np

from shmxtest import ShmxTestCase, run

ROWNORM = os.environ.get("SHMX_ROWNORM")
PLUGINS = os.environ.get("SHMX_TEST_PLUGINS")

SHAPES = [(0, 5), (1, 1), (1, 7), (13, 7), (101, 3), (7, 0), (257, 11)]
DTYPES = ["int8", "uint16", "int32", "int64", "uint64", "float32", "float64"]


def sample(dtype, shape, seed=3):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return (rng.standard_normal(shape) * 10 + 3).astype(dtype)
    lo = -100 if np.dtype(dtype).kind == "i" else 0
    return rng.integers(lo, 100, size=shape, endpoint=True).astype(dtype)


def l2norm(a):
    return np.sqrt((a.astype(np.float64) ** 2).sum(axis=1))


def zscore(a):
    a = a.astype(np.float64)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows of nothing
        return ((a - a.mean(axis=1, keepdims=True))
                / a.std(axis=1, keepdims=True))


@unittest.skipUnless(ROWNORM and PLUGINS, "run by ctest (SHMX_ROWNORM, SHMX_TEST_PLUGINS)")
class RownormMatchesNumpy(ShmxTestCase):
    def check(self, kernel, ref, a):
        src = self.save(a)
        want = ref(a)
        outs = []
        for j in (1, 2, 3):
            out = self.kept(f"{kernel}-{a.dtype}-{a.shape[0]}x{a.shape[1]}-{j}")
            self.ok("run", f"plugin:{ROWNORM}:{kernel}", src, "-o",
                    f"shm://{out}", "-j", j, "--chunk", "40")
            got = self.load_shm(out)
            self.assertEqual(got.dtype, np.float64)
            self.assertEqual(got.shape, want.shape)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12,
                                       equal_nan=True)
            outs.append(got.tobytes())
        self.assertEqual(len(set(outs)), 1, "results differ across -j")

    def test_l2norm(self):
        for dt in DTYPES:
            for shape in SHAPES:
                with self.subTest(dtype=dt, shape=shape):
                    self.check("l2norm", l2norm, sample(dt, shape))

    def test_zscore(self):
        for dt in DTYPES:
            for shape in SHAPES:
                with self.subTest(dtype=dt, shape=shape):
                    self.check("zscore", zscore, sample(dt, shape))

    def test_zscore_in_place_on_f64(self):
        a = sample("float64", (31, 5))
        src = self.save(a)
        self.ok("run", f"plugin:{ROWNORM}:zscore", src, "--in-place",
                "-j", 2, "--chunk", "80")
        np.testing.assert_allclose(np.load(src), zscore(a), rtol=1e-12,
                                   atol=1e-12)


@unittest.skipUnless(ROWNORM and PLUGINS, "run by ctest (SHMX_ROWNORM, SHMX_TEST_PLUGINS)")
class PluginErrors(ShmxTestCase):
    def setUp(self):
        super().setUp()
        self.src = self.save(np.arange(40, dtype=np.float64).reshape(20, 2))

    def plugin(self, name):
        return os.path.join(PLUGINS, name + ".so")

    def refused(self, op, msg, status=2):
        """shmx run op fails with exactly msg and publishes nothing."""
        out = self.spec("out")
        self.fails(["run", op, self.src, "-o", out, "--chunk", "32"],
                   status, msg)
        self.assertFalse(os.path.exists(self.shm_path("out")))

    def test_a_missing_file(self):
        path = os.path.join(self.tmp, "none.so")
        self.refused(f"plugin:{path}:l2norm",
                     f"plugin {path}: No such file or directory")

    def test_a_path_without_a_slash_is_never_searched_for(self):
        self.refused("plugin:rownorm.so:l2norm",
                     "plugin 'rownorm.so': the path must contain a '/' "
                     "(./rownorm.so): plugins are never searched for")

    def test_not_a_shared_object(self):
        r = run("run", f"plugin:{self.src}:l2norm", self.src)
        self.assertFails(r, 2, f"plugin {self.src}: cannot load it: ")

    def test_no_kernel_list(self):
        path = self.plugin("nosym")
        self.refused(f"plugin:{path}:l2norm",
                     f"plugin {path}: no shmx_plugin_kernels symbol (a "
                     "plugin writes SHMX_PLUGIN(&kernel, ...))")

    def test_an_unknown_kernel_lists_the_names(self):
        self.refused(f"plugin:{ROWNORM}:l2nrm",
                     f"plugin {ROWNORM} has no kernel 'l2nrm' (it has: "
                     "l2norm zscore)")

    def test_no_kernel_name(self):
        self.refused(f"plugin:{ROWNORM}",
                     "operation 'plugin' needs the form "
                     "plugin:PATH:NAME[:ARGS]")

    def test_a_wrong_abi_number(self):
        path = self.plugin("badabi")
        self.refused(f"plugin:{path}:copy",
                     f"plugin {path}: kernel 'copy' is built for kernel "
                     "ABI 2, this shmx has ABI 1")

    def test_a_wrong_struct_size(self):
        path = self.plugin("badsize")
        r = run("run", f"plugin:{path}:copy", self.src)
        self.assertFails(r, 2, f"plugin {path}: kernel 'copy' has a struct "
                         "shmx_kernel of ")

    def test_arguments_and_axis_it_does_not_take(self):
        self.refused(f"plugin:{ROWNORM}:l2norm:3",
                     f"operation 'l2norm' (plugin {ROWNORM}) takes no "
                     "arguments")
        out = self.spec("out")
        self.fails(["run", f"plugin:{ROWNORM}:l2norm", self.src, "--axis",
                    "1", "-o", out],
                   2, f"operation 'l2norm' (plugin {ROWNORM}) takes no axis")

    def test_prepare_breaking_the_contract(self):
        path = self.plugin("fail")
        self.refused(f"plugin:{path}:broken",
                     f"kernel 'broken' (plugin {path}) breaks the kernel "
                     "ABI: 3 values a row over 20 rows for an output of 40")

    def test_a_chunk_that_fails(self):
        path = self.plugin("fail")
        for j in (1, 3):
            with self.subTest(j=j):
                out = self.spec("out")
                self.fails(["run", f"plugin:{path}:chunkfail", self.src,
                            "-o", out, "--chunk", "32", "-j", j],
                           1, f"operation 'chunkfail' (plugin {path}) "
                           "failed: row 5 is not allowed")
                self.assertFalse(os.path.exists(self.shm_path("out")))

    def test_a_merge_that_fails(self):
        path = self.plugin("fail")
        self.refused(f"plugin:{path}:mergefail",
                     f"operation 'mergefail' (plugin {path}) failed: the "
                     "partials do not add up", status=1)

    def test_a_chunk_that_crashes(self):
        path = self.plugin("crash")
        out = self.spec("out")
        # under ASan the signal kills the worker, not ASan's report
        asan = os.environ.get("ASAN_OPTIONS", "")
        r = run("run", f"plugin:{path}:crash", self.src, "-o", out, "-j", 2,
                env={"ASAN_OPTIONS": asan + ":handle_segv=0"})
        self.assertFails(r, 1, "killed by SIGSEGV")
        self.assertIn("retries used up", r.err)
        self.assertFalse(os.path.exists(self.shm_path("out")))


if __name__ == "__main__":
    unittest.main()
