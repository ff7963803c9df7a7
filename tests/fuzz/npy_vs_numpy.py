#!/usr/bin/python3
"""tests/fuzz/npy_vs_numpy.py - every NPY header shmx accepts, numpy reads
the same way (dtype, shape, data offset).

    npy_vs_numpy.py NPY_PRINT DIR...      (ctest: fuzz_npy_vs_numpy, on corpus/npy)

NPY_PRINT is the fuzz_npy_print helper (npy_print.c).  The other way round
is allowed: shmx refuses on purpose much that numpy reads (other dtypes,
3-D, Fortran order, misaligned data, a key given twice).  Exit 1 when shmx
accepts a header numpy refuses or reads differently.

One difference is kept: numpy's reader is Python's parser, so padding with
a carriage return followed by a tab after the dict is an IndentationError
to numpy and whitespace to shmx.
"""
import glob
import os
import subprocess
import sys

import numpy as np
import numpy.lib.format as fmt


def numpy_reads(path):
    with open(path, 'rb') as f:
        try:
            version = fmt.read_magic(f)
            shape, fortran, dtype = fmt._read_array_header(
                f, version, max_header_size=1 << 20)
        except Exception as e:  # numpy raises ValueError, EOFError, ...
            return None, e
        return (dtype, tuple(shape), f.tell()), None


def main():
    helper, dirs = sys.argv[1], sys.argv[2:]
    files = sorted(p for d in dirs for p in glob.glob(os.path.join(d, '*')))
    out = subprocess.run([helper] + files, check=True,
                         capture_output=True).stdout.decode('latin-1')
    bad = accepted = 0
    for line in out.splitlines():
        path, verdict, *rest = line.split('\t')
        if verdict != 'ok':
            continue
        accepted += 1
        descr, ndim, d0, d1, offset = rest[0], int(rest[1]), int(rest[2]), int(rest[3]), int(rest[4])
        mine = (np.dtype(descr), (d0, d1)[:ndim], offset)
        theirs, err = numpy_reads(path)
        if err is not None and isinstance(err.__cause__, IndentationError):
            continue
        if theirs is None or theirs[0] != mine[0] or theirs[1:] != mine[1:]:
            bad += 1
            print('%s: shmx reads %s, numpy %s' % (path, mine, theirs if theirs else
                                                   '%s: %s' % (type(err).__name__, err)))
    print('npy_vs_numpy: %d files, %d accepted by shmx, %d read otherwise by numpy'
          % (len(files), accepted, bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
