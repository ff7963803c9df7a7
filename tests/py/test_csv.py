"""shmx load FILE.csv through the CLI: the values against Python's float()
(and csv.reader), bit for bit, for every -j and --chunk down to one byte;
the dialect features; every dtype; header names where numpy still reads
the array; real CSVs that Debian packages ship, as numpy reads them; and
the errors, with their exact message, exit 2 and nothing left behind."""
import csv
import io
import math
import os
import random
import struct
import unittest

import numpy as np

import json
import subprocess

from shmxtest import DiskTestCase, ShmxTestCase, evict, run

JOBS = (1, 2, 3, 7)
CHUNKS = (1, 2, 3, 5, 7, 13, 64, 4096)
SPECIAL = ["nan", "NaN", "-nan", "+inf", "-Infinity", "INF", "1e-320",
           "4.9e-324", "2.4703282292062328e-324", "1e309", "-1e400",
           "1.7976931348623157e308", "0.1", "-0", "+1.5", "1.", ".5",
           "9007199254740993", "1" * 100 + ".5e-80",
           "3.14159265358979323846264338327950288419716939937510582097494459"
           "2307816406286208998628034825342117067982148086513282306647",
           "2.2250738585072011e-308", "123456789e-330"]


def floats_bits(values, dtype=np.float64):
    return np.array(values, dtype=dtype).tobytes()


def messy_csv(rng, rows, cols, header=True):
    """A CSV text with quotes, CRLF, blanks, blank and comment lines, and
    the parsed values as Python's float() reads them."""
    out, want = [], []
    if header:
        out.append(",".join('"c%d"' % j if j % 2 else "c%d" % j
                            for j in range(cols)) + "\n")
    for i in range(rows):
        fields, vals = [], []
        for j in range(cols):
            k = rng.random()
            if k < 0.15:
                s = rng.choice(SPECIAL)
            elif k < 0.3:
                s = "%.17g" % rng.uniform(-1e6, 1e6)
            elif k < 0.4:
                s = "%.3e" % rng.lognormvariate(0, 50)
            else:
                s = repr(rng.uniform(-1, 1))
            vals.append(float(s))
            r = rng.random()
            if r < 0.1:
                s = '"%s"' % s
            elif r < 0.15:
                s = "  %s\t" % s
            elif r < 0.18:
                vals[-1] = float("nan")
                s = ""
            fields.append(s)
        end = "\r\n" if rng.random() < 0.3 else "\n"
        out.append(",".join(fields) + end)
        want.append(vals)
        if rng.random() < 0.05:
            out.append("\n" if rng.random() < 0.5 else "   \r\n")
        if rng.random() < 0.05:
            out.append('# a comment, with "a quote\n')
    text = "".join(out)
    if rows and rng.random() < 0.5:
        text = text.rstrip("\n").rstrip("\r")  # no final newline
    return text, want


class CsvCase(ShmxTestCase):
    def write(self, text, name="in.csv", mode="w"):
        path = self.path(name)
        with open(path, mode, newline="" if mode == "w" else None) as f:
            f.write(text)
        return path

    def load(self, path, *args, tag="out"):
        out = self.path(tag + ".npy")
        if os.path.exists(out):
            os.unlink(out)
        self.ok("load", path, "-o", out, *args)
        return np.load(out)

    def left_in(self, directory, keep):
        return sorted(n for n in os.listdir(directory) if n not in keep)


class TestValues(CsvCase):
    def test_every_j_and_chunk_gives_floats_bits(self):
        rng = random.Random(13)
        text, want = messy_csv(rng, 60, 5)
        path = self.write(text)
        ref = floats_bits(want)
        for j in JOBS:
            for c in CHUNKS:
                a = self.load(path, "-j", j, "--chunk", c, "--comment", "#")
                self.assertEqual(a.shape, (60, 5))
                self.assertEqual(a.tobytes(), ref, "-j %d --chunk %d" % (j, c))

    def test_quoted_newlines_at_every_boundary(self):
        text = ('a,b\n"1",2\n"\n1e3\n",4\r\n"5"  ,  "6"\n\n7,"8"\n'
                '"""9""",1\n')
        # the field '"9"' (quoted quotes) is not a number: drop that row
        text = text.replace('"""9""",1\n', "9,1")
        path = self.write(text)
        want = floats_bits([[1, 2], [1e3, 4], [5, 6], [7, 8], [9, 1]])
        for j in (1, 2, 3):
            for c in range(1, len(text) + 1):
                a = self.load(path, "-j", j, "--chunk", c)
                self.assertEqual(a.tobytes(), want, "-j %d --chunk %d" % (j, c))

    def test_agrees_with_csv_reader_and_float(self):
        rng = random.Random(7)
        rows = [[repr(rng.uniform(-1e3, 1e3)) for _ in range(7)]
                for _ in range(97)]
        buf = io.StringIO()
        csv.writer(buf, quoting=csv.QUOTE_NONNUMERIC).writerows(
            [[float(x) for x in r] for r in rows])
        path = self.write(buf.getvalue())
        with open(path, newline="") as f:
            ref = [[float(x) for x in r] for r in csv.reader(f)]
        for j in (1, 2):
            a = self.load(path, "-j", j, "--chunk", 100)
            self.assertEqual(a.tobytes(), floats_bits(ref))

    def test_f32_values(self):
        rng = random.Random(3)
        vals = [["%.9g" % rng.uniform(-1e30, 1e30) for _ in range(3)]
                for _ in range(41)]
        path = self.write("\n".join(",".join(r) for r in vals))
        a = self.load(path, "--dtype", "f32", "-j", 2, "--chunk", 50)
        self.assertEqual(a.dtype, np.float32)
        want = np.array([[np.float32(float(x)) for x in r] for r in vals],
                        dtype=np.float32)
        self.assertEqual(a.tobytes(), want.tobytes())

    def test_f32_is_rounded_once_as_strtof(self):
        # The float nearest the decimal (strtof), not float32(float(x)):
        # 1 + 2^-24 + 2^-60 is above the halfway point between 1 and the
        # next float, but its double is the halfway point, which rounds
        # to even (1.0).  numpy's float32(str) and loadtxt go through the
        # double and give 1.0; shmx gives the correctly rounded float.
        import ctypes
        libc = ctypes.CDLL(None)
        libc.strtof.restype = ctypes.c_float
        libc.strtof.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
        hard = "1.000000059604644776257986737988403547205962240695953369140625"
        rng = random.Random(5)
        vals = [hard, "-" + hard, "1.00000005960464477539062500000000001",
                "3.4028235677973366e38", "1e-46", "7.006492321624085e-46",
                "1.1754942807573642e-38", "0.1", "16777217", "nan", "-inf"]
        vals += ["%.*g" % (rng.randint(6, 20), rng.uniform(-1e6, 1e6))
                 for _ in range(200)]
        vals += ["%.12e" % rng.lognormvariate(0, 40) for _ in range(100)]
        rows = [vals[i:i + 4] for i in range(0, len(vals) - 3, 4)]
        path = self.write("\n".join(",".join(r) for r in rows) + "\n")
        want = np.array([[libc.strtof(x.encode(), None) for x in r]
                         for r in rows], dtype=np.float32)
        for j, c in ((1, 1 << 20), (2, 64), (3, 7)):
            a = self.load(path, "--dtype", "f32", "-j", j, "--chunk", c)
            self.assertEqual(a.tobytes(), want.tobytes())
        self.assertEqual(float(a[0, 0]), float(np.nextafter(np.float32(1), np.float32(2))))
        self.assertEqual(float(np.float32(hard)), 1.0)  # numpy's double rounding

    def test_simple_numbers_of_every_shape(self):
        # The fast path reads a sign, up to 15 digits and a point
        # straight into the row; anything else goes the general way.
        # Every digit count and point position, both sides of the limit,
        # in rows long enough for it, CRLF or LF, -j and --chunk.
        rng = random.Random(11)
        shapes = []
        for d in range(1, 18):
            for dot in range(-1, d + 1):
                for sign in ("", "-", "+"):
                    digits = "".join(rng.choice("0123456789") for _ in range(d))
                    s = digits if dot < 0 else digits[:dot] + "." + digits[dot:]
                    if s != ".":
                        shapes.append(sign + s)
        rng.shuffle(shapes)
        cols = 8
        shapes += ["1"] * (-len(shapes) % cols)
        rows = [shapes[i:i + cols] for i in range(0, len(shapes), cols)]
        text = "".join(",".join(r) + rng.choice(("\n", "\r\n")) for r in rows)
        path = self.write(text)
        ref = floats_bits([[float(x) for x in r] for r in rows])
        for j in (1, 2, 3):
            for c in (1, 33, 4096, 1 << 20):
                a = self.load(path, "-j", j, "--chunk", c)
                self.assertEqual(a.tobytes(), ref, "-j %d --chunk %d" % (j, c))

    def test_records_across_read_blocks(self):
        # Workers read their ranges in 128 KiB blocks: records cut at
        # every block edge, a quoted field longer than several blocks
        # (the buffer grows), and a range boundary inside it.
        rng = random.Random(17)
        rows, out = [], []
        for i in range(9000):
            r = ["%.9f" % rng.uniform(-1e3, 1e3) for _ in range(4)]
            rows.append([float(x) for x in r])
            if i == 4321:
                r[2] = '"' + " " * 300000 + r[2] + '"'
            out.append(",".join(r) + "\n")
        path = self.write("".join(out))
        ref = floats_bits(rows)
        for j, c in ((1, 1 << 20), (2, 100000), (3, 777777), (2, 4096)):
            a = self.load(path, "-j", j, "--chunk", c)
            self.assertEqual(a.tobytes(), ref, "-j %d --chunk %d" % (j, c))

    def test_every_integer_dtype(self):
        for t, np_t in (("i8", np.int8), ("i16", np.int16), ("i32", np.int32),
                        ("i64", np.int64), ("u8", np.uint8),
                        ("u16", np.uint16), ("u32", np.uint32),
                        ("u64", np.uint64)):
            info = np.iinfo(np_t)
            rng = random.Random(t)
            vals = [[rng.randint(int(info.min), int(info.max))
                     for _ in range(4)] for _ in range(23)]
            vals[0] = [int(info.min), int(info.max), 0, 1]
            text = "\n".join(",".join(("+%d" % v if v > 0 and i % 3 == 0
                                       else "%d" % v)
                                      for i, v in enumerate(r))
                             for r in vals) + "\n"
            path = self.write(text, name=t + ".csv")
            for j in (1, 3):
                a = self.load(path, "--dtype", t, "-j", j, "--chunk", 30,
                              tag=t)
                self.assertEqual(a.dtype, np_t)
                self.assertTrue(np.array_equal(a, np.array(vals, dtype=np_t)), t)

    def test_zero_one_and_prime_rows(self):
        for rows, cols in ((0, 3), (1, 1), (1, 4), (2, 3), (31, 7), (101, 2)):
            rng = random.Random(rows * 100 + cols)
            text, want = messy_csv(rng, rows, cols)
            path = self.write(text, name="r%d.csv" % rows)
            for j in (1, 2, 7):
                a = self.load(path, "-j", j, "--chunk", 17, "--comment", "#",
                              tag="r%d" % rows)
                self.assertEqual(a.shape, (rows, cols))
                self.assertEqual(a.tobytes(), floats_bits(want) if rows else b"")

    def test_empty_and_blank_files(self):
        for text in ("", "\n\n", "  \r\n\t\n"):
            a = self.load(self.write(text))
            self.assertEqual(a.shape, (0, 0))
            self.assertEqual(a.dtype, np.float64)


class TestDialect(CsvCase):
    def test_header_auto_forced_and_none(self):
        path = self.write("x,y\n1,2\n3,4\n")
        self.assertEqual(self.load(path).tolist(), [[1, 2], [3, 4]])
        path = self.write("1,2\n3,4\n", name="n.csv")
        self.assertEqual(self.load(path).tolist(), [[1, 2], [3, 4]])
        self.assertEqual(self.load(path, "--header").tolist(), [[3, 4]])
        path = self.write("nan,inf\n1,2\n", name="s.csv")
        self.assertEqual(self.load(path).shape, (2, 2))
        path = self.write(",\n1,2\n", name="e.csv")
        self.assertEqual(self.load(path).shape, (2, 2))
        r = run("load", self.write("x,y\n1,2\n", name="h.csv"), "-o",
                self.path("o.npy"), "--no-header")
        self.assertFails(r, 2, "h.csv:1:1: 'x' is not a number")

    def test_header_names_in_info_and_numpy_reads_it(self):
        path = self.write('\ufeff"time (s)",b,"say ""hi"""\n1,2,3\n',
                          name="names.csv")
        out = self.spec("named")
        self.ok("load", path, "-o", out)
        try:
            a = np.load(self.shm_path("named"), mmap_mode="r")
            self.assertEqual(a.tolist(), [[1, 2, 3]])
            info = self.ok("info", out).out
            self.assertIn('columns: ["time (s)", "b", "say \\"hi\\""]', info)
            self.ok("run", "sum", out)
        finally:
            self.ok("rm", out)

    def test_columns_by_index_and_name_in_order(self):
        path = self.write("a,b,c\n1,2,3\n4,5,6\n")
        self.assertEqual(self.load(path, "--columns", "2,a").tolist(),
                         [[3, 1], [6, 4]])
        self.assertEqual(self.load(path, "--columns", "b,b,0").tolist(),
                         [[2, 2, 1], [5, 5, 4]])
        out = self.spec("cols")
        self.ok("load", path, "-o", out, "--columns", "c,a")
        try:
            self.assertIn('columns: ["c", "a"]', self.ok("info", out).out)
        finally:
            self.ok("rm", out)

    def test_delimiters(self):
        cases = [(";", "1;2.5\n3;4\n", ()), ("\t", "1\t2.5\n3\t4\n", ()),
                 (" ", "  1   2.5 \n\n3\t 4\n", ("--delimiter", " ")),
                 ("space", "1 2.5\n3 4", ("--delimiter", "space")),
                 ("tab", "1\t2.5\n3\t4", ("--delimiter", "tab"))]
        for name, text, extra in cases:
            args = extra or ("--delimiter", name)
            a = self.load(self.write(text, name="d.csv"), *args)
            self.assertEqual(a.tolist(), [[1, 2.5], [3, 4]], name)
        a = self.load(self.write("1\t2.5\n3\t4\n", name="t.tsv"))
        self.assertEqual(a.tolist(), [[1, 2.5], [3, 4]])
        a = self.load(self.write("1,2\n", name="data.txt"), "--format", "csv")
        self.assertEqual(a.tolist(), [[1, 2]])

    def test_skip_comment_bom_crlf_blank_lines(self):
        text = ("\ufeffjunk line\nmore \"junk\n# comment\r\n\r\nv,w\r\n"
                "1,2 # trailing\r\n\r\n  # indented comment\n3,4")
        a = self.load(self.write(text), "--skip", "2", "--comment", "#")
        self.assertEqual(a.tolist(), [[1, 2], [3, 4]])

    def test_empty_float_fields_are_nan(self):
        a = self.load(self.write("1,,3\n,,\n"))
        self.assertTrue(np.isnan(a[0, 1]) and np.isnan(a[1]).all())
        self.assertEqual(a.shape, (2, 3))

    def test_real_files_that_debian_ships(self):
        base = "/usr/share/matplotlib/mpl-data/sample_data/"
        women = base + "percent_bachelors_degrees_women_usa.csv"
        xx = base + "data_x_x2_x3.csv"
        stocks = base + "Stocks.csv"
        if not os.path.exists(women):
            self.skipTest("python3-matplotlib's sample data is not installed")
        for j in (1, 2):
            a = self.load(women, "-j", j, "--chunk", 257)
            ref = np.loadtxt(women, delimiter=",", skiprows=1)
            self.assertEqual(a.tobytes(), ref.tobytes())
        if os.path.exists(xx):
            a = self.load(xx, "--format", "csv", "--delimiter", " ",
                          "-j", 2, "--chunk", 64)
            self.assertEqual(a.tobytes(), np.loadtxt(xx).tobytes())
        if os.path.exists(stocks):
            a = self.load(stocks, "--comment", "#", "--columns",
                          "IBM,AAPL,MSFT,XRX,AMZN", "-j", 2, "--chunk", 999)
            ref = np.genfromtxt(stocks, delimiter=",", skip_header=2,
                                usecols=range(1, 6))
            self.assertEqual(a.tobytes(), ref.tobytes())


def resident(path):
    """Bytes of path in the page cache (util-linux fincore)."""
    out = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES",
                          path], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


class TestCold(DiskTestCase):
    def test_a_cold_input_on_disk_leaves_the_page_cache_alone(self):
        rng = random.Random(5)
        vals = [[rng.uniform(-1, 1) for _ in range(6)] for _ in range(40000)]
        src = os.path.join(self.disk, "cold.csv")
        with open(src, "w") as f:
            f.write("a,b,c,d,e,f\n")
            f.writelines(",".join(repr(v) for v in r) + "\n" for r in vals)
        out = os.path.join(self.disk, "cold.npy")
        evict(src)
        r = run("load", src, "-o", out, "-j", 2, "--chunk", "64k", "--stats")
        self.assertEqual(r.status, 0, r.err)
        note = json.loads(r.err.strip().splitlines()[-1])["io_note"]
        self.assertIn("a cold input: pages dropped behind each range, "
                      "the output's too", note)
        size = os.path.getsize(src)
        # the pages of range edges may stay: one or two per 64 KiB range
        self.assertLess(resident(src), size // 4, "input left in the cache")
        self.assertLess(resident(out), os.path.getsize(out) // 4,
                        "output left in the cache")
        self.assertEqual(np.load(out).tobytes(), floats_bits(vals))


class TestErrors(CsvCase):
    def fails_clean(self, text, args, msg, name="bad.csv"):
        """Exit 2 with exactly msg, for every -j and a few chunk sizes,
        leaving nothing in the output directory (nor /dev/shm: the base
        class checks)."""
        path = self.write(text, name=name)
        outdir = os.path.join(self.tmp, "out")
        os.makedirs(outdir, exist_ok=True)
        for j in (1, 2, 3):
            for c in (1, 7, 4096):
                self.fails(["load", path, "-o", os.path.join(outdir, "o.npy"),
                            "-j", j, "--chunk", c] + list(args), 2,
                           msg.replace("FILE", path))
                self.fails(["load", path, "-o", self.spec("err"), "-j", j,
                            "--chunk", c] + list(args), 2,
                           msg.replace("FILE", path))
        self.assertEqual(os.listdir(outdir), [])

    def test_ragged_rows(self):
        self.fails_clean("a,b,c\n1,2,3\n4,5\n", (),
                         "FILE:3:4: row has 2 fields, expected 3")
        self.fails_clean("1,2\n3,4,5\n", (),
                         "FILE:2:5: row has 3 fields, expected 2")

    def test_not_a_number(self):
        self.fails_clean("1,2\n3,abc\n", (), "FILE:2:3: 'abc' is not a number")
        self.fails_clean("1,2\n3,\"4\"x\n", (),
                         "FILE:2:3: '\"4\"x' is not a number")
        self.fails_clean("1,2\n3,  1 2\n", (), "FILE:2:5: '1 2' is not a number")

    def test_integers(self):
        self.fails_clean("1,2\n3,300\n", ("--dtype", "u8"),
                         "FILE:2:3: '300' is out of range for u8")
        self.fails_clean("1,2\n-1,3\n", ("--dtype", "u16"),
                         "FILE:2:1: '-1' is out of range for u16")
        self.fails_clean("1,2\n3,1.5\n", ("--dtype", "i32"),
                         "FILE:2:3: '1.5' is not a whole number (i32)")
        self.fails_clean("1,2\n3,\n", ("--dtype", "i64"),
                         "FILE:2:3: empty field in an integer column (i64)")
        self.fails_clean("1,2\n3,x\n", ("--dtype", "i8"),
                         "FILE:2:3: 'x' is not an integer (i8)")

    def test_lines_ending_in_a_lone_carriage_return(self):
        # old Mac files: not read, and said so (not a header that eats
        # the file, not an anonymous "not a number"); CR before LF, or
        # as a blank around a field, is still fine
        cr = ("a carriage return inside a field: lines that end in '\\r' "
              "alone (old Mac files) are not read; make them '\\n' "
              "(tr '\\r' '\\n')")
        self.fails_clean("a,b\r1,2\r3,4\r", (), "FILE:1:4: " + cr)
        self.fails_clean("1\r2\r3\r", ("--no-header",), "FILE:1:2: " + cr)
        self.fails_clean("a,b\n1,2\r3,4\r5,6\n", (), "FILE:2:4: " + cr)
        self.fails_clean("1,2\n3,4\n5,6\r7\n", (), "FILE:3:4: " + cr)
        self.fails_clean("1,2\n3,4\r5\n", ("--dtype", "i32"), "FILE:2:4: " + cr)
        path = self.write("1\r,\r2\r\r\n3,4\r\n")
        self.assertEqual(self.load(path).tobytes(), floats_bits([[1, 2], [3, 4]]))

    def test_unterminated_quote(self):
        self.fails_clean('a,b\n1,2\n3,"4\n5,6\n', (),
                         "FILE:3:3: unterminated quote")
        self.fails_clean('"a,b\n1,2\n', (), "FILE:1:1: unterminated quote")

    def test_the_first_error_in_the_file_whatever_the_split(self):
        lines = ["%d,%d" % (i, i) for i in range(300)]
        lines[150] = "1,x"
        lines[290] = "1,2,3"
        self.fails_clean("\n".join(lines) + "\n", (),
                         "FILE:151:3: 'x' is not a number")

    def test_line_numbers_found_by_the_last_worker(self):
        lines = ['%d,"%d\n"' % (i, i) for i in range(400)]  # two lines each
        lines[-1] = "7,oops"
        path = self.write("\n".join(lines), name="late.csv")
        for j in (2, 3, 7):
            self.fails(["load", path, "-o", self.spec("late"), "-j", j,
                        "--chunk", 97], 2,
                       "%s:799:3: 'oops' is not a number" % path)

    def test_bad_options(self):
        path = self.write("1,2\n")
        out = self.spec("opt")
        self.fails(["load", path, "-o", out, "--delimiter", '"'], 2,
                   "load: --delimiter cannot be a quote or a line break")
        self.fails(["load", path, "-o", out, "--delimiter", ";;"], 2,
                   "load: --delimiter must be one character, not ';;'")
        self.fails(["load", path, "-o", out, "--comment", ","], 2,
                   "load: --comment cannot be a quote, a blank, a line "
                   "break or the delimiter")
        self.fails(["load", path, "-o", out, "--columns", "5"], 2,
                   "load: --columns: column 5 is out of range (%s has 2)" % path)
        self.fails(["load", path, "-o", out, "--columns", "x"], 2,
                   "load: --columns: 'x' is not a column (no header)")
        self.fails(["load", path, "-o", out, "--shape", "2"], 2,
                   "load: a CSV's shape comes from the file (no --shape)")
        self.fails(["load", path, "-o", out, "--format", "json"], 2,
                   "load: --format must be csv, not 'json'")
        npy = self.save(np.zeros(3))
        self.fails(["load", npy, "-o", out, "--delimiter", ";"], 2,
                   "load: --delimiter is for CSV sources (.csv, .tsv or "
                   "--format csv)")
        self.assertFails(run("load", path, "-o", out, "--dtype", "f16"), 2,
                         "unsupported dtype 'f16'")


if __name__ == "__main__":
    unittest.main()
