"""Every error a user can reach from the command line: one line
"shmx: error: ..." on stderr, nothing on stdout, exit 2 for bad usage or
bad input and 1 for a failure while running, nothing left in /dev/shm and
the input untouched."""
import errno
import os
import shutil
import subprocess
import unittest
from concurrent.futures import ThreadPoolExecutor

from shmxtest import SHMX, ShmxTestCase, fingerprint, run

BAD_NAME = "bad shm name (1-200 of A-Za-z0-9._-, not starting with '.')"
DTYPES = ("use bool i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 or numpy's names")


class Usage(ShmxTestCase):
    def test_table_of_usage_errors(self):
        s = self.spec("t")
        cases = [
            (["frob"], "unknown command 'frob' (see shmx --help)"),
            (["gen", "--bogus"],
             "gen: unknown option '--bogus' (see shmx gen --help)"),
            (["gen", "-q"], "gen: unknown option '-q' (see shmx gen --help)"),
            (["rm", "-fq", "x"],
             "rm: unknown option '-q' (see shmx rm --help)"),
            (["load", "--nope", "x"],
             "load: unknown option '--nope' (see shmx load --help)"),
            (["info", "--all"],
             "info: unknown option '--all' (see shmx info --help)"),
            (["ls", "--long"],
             "ls: unknown option '--long' (see shmx ls --help)"),
            (["cat", "-x", "a.npy"],
             "cat: unknown option '-x' (see shmx cat --help)"),
            (["gen", "-o"], "gen: option '-o' needs a value"),
            (["gen", "-o", s, "--shape"],
             "gen: option '--shape' needs a value"),
            (["gen", "-o", s, "--seed"], "gen: option '--seed' needs a value"),
            (["gen", "-o", s, "--mode"], "gen: option '--mode' needs a value"),
            (["gen", "-o", s, "--fill"], "gen: option '--fill' needs a value"),
            (["load", "a.npy", "-o"], "load: option '-o' needs a value"),
            (["cat", "a.npy", "--head"], "cat: option '--head' needs a value"),
            (["gen", "-s", "3"], "gen: no output given (-o TARGET)"),
            (["gen", "-o", s], "gen: no shape given (--shape N or RxC)"),
            (["gen", "-o", s, "-s", "3", "x"],
             "gen: unexpected argument 'x'"),
            (["gen", "-o", s, "-s", "3", "-t", "float16"],
             "unsupported dtype 'float16' (%s)" % DTYPES),
            (["gen", "-o", s, "-s", "3", "-t", ">f8"],
             "unsupported dtype '>f8' (%s)" % DTYPES),
            (["gen", "-o", s, "-s", "3x4x5"],
             "bad shape '3x4x5' (use N or RxC, e.g. 100000x10)"),
            (["gen", "-o", s, "-s", "1e6"],
             "bad shape '1e6' (use N or RxC, e.g. 100000x10)"),
            (["gen", "-o", s, "-s", "99999999999999999999"],
             "shape '99999999999999999999' has too many elements"),
            (["gen", "-o", s, "-s", "3", "--fill", "ones"],
             "unknown fill 'ones' (use uniform, normal, range or zeros)"),
            (["gen", "-o", s, "-s", "3", "--seed", "x"],
             "--seed: bad value 'x' (a whole number)"),
            (["gen", "-o", s, "-s", "3", "-j", "0"],
             "gen: -j must be between 1 and 4096"),
            (["run"], "run: no operation given (see shmx run --help)"),
            (["run", "sum"], "run: no source given"),
            (["run", "sum", "a.npy", "b"], "operation 'sum' takes 1 input, not 2"),
            (["run", "sum", "a.npy", "-j", "0"],
             "run: -j must be between 1 and 4096"),
            (["run", "sum", "a.npy", "--axis", "2"],
             "run: --axis must be 0 or 1, not '2'"),
            (["run", "sum", "a.npy", "--chunk", "0"],
             "run: --chunk must be at least 1 byte"),
            (["run", "sum", "a.npy", "--chunk", "4X"],
             "--chunk: bad value '4X' (a whole number, optionally with k, M or G)"),
            (["run", "sum", "a.npy", "--retries", "1001"],
             "run: --retries must be at most 1000"),
            (["run", "sum", "a.npy", "--dtype", "f64"],
             "run: a raw source needs both --dtype and --shape"),
            (["run", "frob", "a.npy"],
             "unknown operation 'frob' (see shmx run --help)"),
            (["gen", "-o", s, "-s", "3", "--mode", "rw"],
             "--mode: bad mode 'rw' (octal, e.g. 0640)"),
            (["gen", "-o", s, "-s", "3", "--mode", "0800"],
             "--mode: bad mode '0800' (octal, e.g. 0640)"),
            (["gen", "-o", "shm://a/b", "-s", "3"], "shm://a/b: " + BAD_NAME),
            (["gen", "-o", "shm://../x", "-s", "3"],
             "shm://../x: " + BAD_NAME),
            (["gen", "-o", "shm://" + "n" * 201, "-s", "3"],
             "shm://%s: %s" % ("n" * 201, BAD_NAME)),
            (["gen", "-o", "ftp://x", "-s", "3"],
             "ftp://x: unknown scheme (use shm://NAME, file://PATH or a "
             "path)"),
            (["load", "-o", s], "load: no source given"),
            (["load", "a.npy"], "load: no output given (-o TARGET)"),
            (["load", "a.npy", "-o", s, "-t", "f64"],
             "load: a raw source needs both --dtype and --shape"),
            (["info"], "info: no target given"),
            (["rm"], "rm: no target given"),
            (["rm", "--stale", s], "rm: --stale takes no targets"),
            (["ls", "x"], "ls: unexpected argument 'x'"),
            (["cat"], "cat: no target given"),
            (["cat", "a", "b"], "cat: unexpected argument 'b'"),
            (["cat", "a.npy", "-s", "3"],
             "cat: a raw file needs both --dtype and --shape"),
            (["cat", "a.npy", "--head", "1.5"],
             "--head: bad value '1.5' (a whole number)"),
        ]
        # the runs side by side, as many as there are CPUs (scripts/test
        # runs this file under valgrind, a second of CPU a run); each
        # makes nothing, so none can see another's
        with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
            results = list(pool.map(lambda c: run(*c[0], cwd=self.tmp),
                                    cases))
        for (args, msg), r in zip(cases, results):
            with self.subTest(args=args):
                self.assertEqual((r.status, r.err, r.out),
                                 (2, "shmx: error: %s\n" % msg, ""),
                                 "shmx %s" % " ".join(map(str, args)))
        self.assertEqual(os.listdir(self.tmp), [])

    def test_help_and_version_exit_0(self):
        for cmd in ("gen", "load", "info", "ls", "rm", "cat"):
            with self.subTest(cmd=cmd):
                r = self.ok(cmd, "--help")
                self.assertTrue(r.out.startswith("usage: shmx " + cmd), r.out)
        r = self.ok("--help")
        self.assertTrue(r.out.startswith("usage: shmx <command>"))
        r = self.ok("--version")
        self.assertRegex(r.out, r"^shmx \d+\.\d+\.\d+\n"
                                r"fault injection: (on|off)\n$")

    def test_no_command_is_one_error_line_and_exit_2(self):
        r = run()
        self.assertEqual(r.status, 2)
        self.assertEqual(r.out, "")
        self.assertEqual(r.err, "shmx: error: no command given (see shmx --help)\n")


class BadInput(ShmxTestCase):
    def test_missing_inputs(self):
        self.fails(["load", "nope.npy", "-o", self.spec("o")], 2,
                   "nope.npy: no such file", cwd=self.tmp)
        self.fails(["cat", self.spec("nope")], 2,
                   "%s: no such segment" % self.spec("nope"))
        self.fails(["info", self.spec("nope")], 2,
                   "%s: no such segment" % self.spec("nope"))

    def test_a_bad_worker_count_in_the_environment(self):
        for bad in ("x", "0", "-2", "5000", "3 "):
            with self.subTest(value=bad):
                self.fails(["ls"], 2, "SHMX_WORKERS: bad value '%s' (a whole "
                           "number from 1 to 4096)" % bad,
                           env={"SHMX_WORKERS": bad})
        self.ok("gen", "-o", self.path("w.npy"), "-s", "3",
                env={"SHMX_WORKERS": "3"})

    def test_existing_target_needs_force(self):
        self.ok("gen", "-o", self.spec("e"), "-s", "3", "--fill", "range")
        before = fingerprint(self.shm_path("e"))
        self.fails(["gen", "-o", self.spec("e"), "-s", "5"], 2,
                   "%s: already exists (use --force to replace it)"
                   % self.spec("e"))
        self.assertEqual(fingerprint(self.shm_path("e")), before)
        self.ok("gen", "-o", self.spec("e"), "-s", "5", "--force")
        self.assertEqual(os.path.getsize(self.shm_path("e")), 4096 + 40)
        self.ok("rm", self.spec("e"))

    def test_a_shape_too_wide_for_axis_0_is_bad_input(self):
        raw = self.path("empty.raw")
        open(raw, "wb").close()
        self.fails(["run", "sum", raw, "--dtype", "f64", "--shape",
                    "0x4611686018427387904", "--axis", "0"], 2,
                   "4611686018427387904 columns are too many for --axis 0")
        r = self.ok("run", "sum", raw, "--dtype", "f64", "--shape",
                    "0x4611686018427387904", "--axis", "1")
        self.assertEqual(r.out, "")

    def test_an_empty_array_with_rows_wider_than_2_64_bytes(self):
        # 0 x 2^62 f64: no element, but a row would be 2^65 bytes; every
        # width computed from it must not wrap (numpy refuses this shape)
        src, out = self.path("wide.npy"), self.path("wide2.npy")
        self.ok("gen", "-o", src, "-s", "0x4611686018427387904")
        self.assertEqual(self.ok("run", "sum", src).out, "0\n")
        self.assertEqual(self.ok("run", "sum", "--axis", "1", src).out, "")
        self.assertEqual(self.ok("cat", src).out, "")
        self.ok("run", "scale:2", src, "-o", out)
        with open(out, "rb") as f:
            head = f.read(4096)
        self.assertIn(b"'shape': (0, 4611686018427387904)", head)
        self.assertEqual(os.path.getsize(out), 4097)  # the empty pad byte
        raw = self.path("eight.raw")
        with open(raw, "wb") as f:
            f.write(bytes(8))
        self.fails(["run", "sum", raw, "--dtype", "f64", "--shape",
                    "0x4611686018427387904"], 2,
                   "%s: 8 bytes is not a whole number of f64 rows of "
                   "4611686018427387904" % raw)

    def test_another_users_array_is_never_replaced(self):
        self.ok("gen", "-o", self.spec("theirs"), "-s", "3", "--fill", "range")
        path = self.shm_path("theirs")
        try:
            os.chown(path, 65534, 65534)
        except PermissionError:
            os.unlink(path)
            self.skipTest("cannot give a segment to uid 65534 (not root)")
        before = fingerprint(path)
        msg = ("%s: already exists and belongs to another user (uid 65534): "
               "not replaced" % self.spec("theirs"))
        src = self.path("in.npy")
        self.ok("gen", "-o", src, "-s", "3")
        for args in (["gen", "-o", self.spec("theirs"), "-s", "5", "--force"],
                     ["run", "scale:2", src, "-o", self.spec("theirs"),
                      "--force"],
                     ["load", src, "-o", self.spec("theirs"), "--force"]):
            with self.subTest(args=args[0]):
                self.fails(args, 2, msg)
                self.assertEqual(fingerprint(path), before)
                self.assertEqual(os.stat(path).st_uid, 65534)
        os.unlink(path)

    def test_rm_keeps_what_is_not_an_array(self):
        path = self.shm_path("plain")
        with open(path, "w") as f:
            f.write("not ours to delete")
        before = fingerprint(path)
        self.fails(["rm", self.spec("plain")], 2,
                   "%s: not an NPY array; shmx rm removes only arrays"
                   % self.spec("plain"))
        self.assertEqual(fingerprint(path), before)
        os.unlink(path)

    def test_rm_of_a_missing_segment(self):
        self.fails(["rm", self.spec("gone")], 2,
                   "%s: no such segment" % self.spec("gone"))
        r = self.ok("rm", "-f", self.spec("gone"))
        self.assertEqual(r.out, "")

    def test_input_is_untouched_by_a_failed_load(self):
        src = os.path.join(self.tmp, "in.npy")
        self.ok("gen", "-o", src, "-s", "10")
        before = fingerprint(src)
        for args, status, msg in [
                (["-o", self.spec("x"), "-t", "f64", "-s", "11"], 2,
                 "%s: 4176 bytes, but f64 x 11 elements need 88" % src),
                (["-o", "shm://bad/name"], 2, "shm://bad/name: " + BAD_NAME),
                (["-o", src], 2,
                 "%s: already exists (use --force to replace it)" % src)]:
            with self.subTest(args=args):
                self.fails(["load", src] + args, status, msg)
                self.assertEqual(fingerprint(src), before)


class Runtime(ShmxTestCase):
    """A full /dev/shm: root runs shmx in a private mount namespace with a
    1 MiB tmpfs over /dev/shm.  Skipped (never passed) elsewhere."""

    def setUp(self):
        super().setUp()
        if os.geteuid() != 0 or not shutil.which("unshare"):
            self.skipTest("needs root and unshare(1)")
        probe = subprocess.run(["unshare", "-m", "sh", "-c",
                                "mount -t tmpfs -o size=1m tmpfs /dev/shm"],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
        if probe.returncode != 0:
            self.skipTest("cannot mount in a private namespace: %s"
                          % probe.stderr.decode().strip())

    def in_full_shm(self, *args):
        """Run shmx args in a 1 MiB /dev/shm; returns (status, stdout,
        stderr, what the tmpfs held afterwards)."""
        script = ('mount -t tmpfs -o size=1m tmpfs /dev/shm || exit 99; '
                  '"$0" "$@" >"$OUT" 2>"$ERR"; rc=$?; '
                  'ls -A /dev/shm >"$LEFT"; exit $rc')
        files = {k: os.path.join(self.tmp, k) for k in ("OUT", "ERR", "LEFT")}
        env = dict(os.environ, **files)
        env.pop("SHMX_SHM_DIR", None)
        p = subprocess.run(["unshare", "-m", "sh", "-c", script, SHMX]
                           + list(args), env=env, timeout=30)
        with open(files["OUT"]) as o, open(files["ERR"]) as e, \
                open(files["LEFT"]) as left:
            return p.returncode, o.read(), e.read(), left.read()

    def test_gen_into_a_full_dev_shm_exits_1_and_leaves_nothing(self):
        spec = self.spec("full")
        status, out, err, left = self.in_full_shm(
            "gen", "-o", spec, "--shape", "262144")
        self.assertEqual((status, out, left), (1, "", ""))
        self.assertEqual(err, "shmx: error: %s: no space left in /dev/shm "
                         "for 2101248 bytes\n" % spec)

    def test_load_into_a_full_dev_shm_exits_1_and_leaves_nothing(self):
        src = os.path.join(self.tmp, "big.npy")
        self.ok("gen", "-o", src, "--shape", "512x512", "--fill", "range")
        before = fingerprint(src)
        spec = self.spec("full")
        status, out, err, left = self.in_full_shm("load", src, "-o", spec)
        self.assertEqual((status, out, left), (1, "", ""))
        self.assertEqual(err, "shmx: error: %s: no space left in /dev/shm "
                         "for 2101248 bytes\n" % spec)
        self.assertEqual(fingerprint(src), before)

    def test_run_into_a_full_dev_shm_exits_1_and_leaves_nothing(self):
        # the workers reserve the output rows they write: a full tmpfs is
        # their -ENOSPC, reported like a failed create, never a SIGBUS
        src = os.path.join(self.tmp, "in.npy")
        self.ok("gen", "-o", src, "--shape", "512x512")
        before = fingerprint(src)
        for op in ("scale:2", "exp"):
            with self.subTest(op=op):
                spec = self.spec("full-" + op.replace(":", ""))
                status, out, err, left = self.in_full_shm(
                    "run", op, src, "-o", spec, "-j", "2", "--chunk", "64k")
                self.assertEqual((status, out, left), (1, "", ""))
                self.assertEqual(err, "shmx: error: %s: no space left in "
                                 "/dev/shm for 2101248 bytes\n" % spec)
        self.assertEqual(fingerprint(src), before)

    def test_load_csv_into_a_full_dev_shm_exits_1_and_leaves_nothing(self):
        # the parse writes its rows with pwrite: a full tmpfs is -ENOSPC
        # from the write, said like a failed create
        src = os.path.join(self.tmp, "big.csv")
        with open(src, "w") as f:
            f.write("".join("%d.5,%d.25\n" % (i, -i) for i in range(131072)))
        before = fingerprint(src)
        for j in ("1", "2", "3"):
            with self.subTest(j=j):
                spec = self.spec("full-csv" + j)
                status, out, err, left = self.in_full_shm(
                    "load", src, "-o", spec, "-j", j, "--chunk", "64k")
                self.assertEqual((status, out, left), (1, "", ""))
                self.assertEqual(err, "shmx: error: %s: no space left in "
                                 "/dev/shm for 2101248 bytes\n" % spec)
        self.assertEqual(fingerprint(src), before)

    def test_what_fits_still_works(self):
        status, out, err, left = self.in_full_shm(
            "gen", "-o", self.spec("fits"), "--shape", "1000")
        self.assertEqual((status, err), (0, ""))
        self.assertEqual(left, self.name("fits") + "\n")


if __name__ == "__main__":
    unittest.main()
