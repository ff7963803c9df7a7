#!/usr/bin/python3
"""tests/fuzz/seeds.py - write the hand-made seed corpus, tests/fuzz/corpus/<harness>/seed-*.

Run from anywhere with Debian's python3 (numpy writes the NPY seeds, so
they are what numpy really writes: v1, v2 and v3 headers with data at 64
and 128).  Deterministic; re-running rewrites the same files.  Inputs the
fuzzer found are kept beside these by `tests/fuzz/run --merge` (named by
their SHA-1) and regressions as regress-*.
"""
import io
import os
import struct

import numpy as np
import numpy.lib.format as fmt

HERE = os.path.dirname(os.path.abspath(__file__))


def put(harness, name, data):
    d = os.path.join(HERE, 'corpus', harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode('latin-1')
    with open(os.path.join(d, 'seed-' + name), 'wb') as f:
        f.write(data)


def npy_bytes(a, version=None):
    b = io.BytesIO()
    if version is None:
        np.save(b, a)
    else:
        fmt._write_array_header(b, fmt.header_data_from_array_1_0(a), version)
        b.write(a.tobytes('C'))
    return b.getvalue()


def handmade(dict_text, version=(1, 0), data_at=None, data=b''):
    """An NPY image whose header is dict_text padded to end at data_at."""
    pre = 10 if version[0] == 1 else 12
    body = dict_text.encode('latin-1')
    if data_at is None:
        data_at = pre + len(body) + 1
    hlen = data_at - pre
    assert hlen >= len(body) + 1, 'dict does not fit before data_at'
    body = body + b' ' * (hlen - len(body) - 1) + b'\n'
    lenf = struct.pack('<H', hlen) if pre == 10 else struct.pack('<I', hlen)
    return b'\x93NUMPY' + bytes(version) + lenf + body + data


def npy():
    put('npy', 'f64-3x4-v1', npy_bytes(np.arange(12, dtype='<f8').reshape(3, 4)))
    put('npy', 'i32-5-v1', npy_bytes(np.arange(5, dtype='<i4')))
    put('npy', 'u8-scalar-v1', npy_bytes(np.array(7, dtype='u1')))
    put('npy', 'f32-0x3-v1', npy_bytes(np.zeros((0, 3), dtype='<f4')))
    put('npy', 'i16-2x2-fortran-v1', npy_bytes(np.asfortranarray(np.ones((2, 2), '<i2'))))
    put('npy', 'u64-1x1-fortran-v1', npy_bytes(np.asfortranarray(np.ones((1, 1), '<u8'))))
    put('npy', 'f64-2x3-v2', npy_bytes(np.ones((2, 3)), (2, 0)))
    put('npy', 'i8-4-v3', npy_bytes(np.arange(4, dtype='i1'), (3, 0)))
    for t in ['<i1', '|u1', '<i2', '<u2', '<i4', '<u4', '<i8', '<u8', '<f4', '<f8']:
        put('npy', 'descr-' + t[1:], npy_bytes(np.zeros(2, dtype=t)))
    # what numpy refuses or shmx does not support
    put('npy', 'f64-big-endian', npy_bytes(np.zeros(3, dtype='>f8')))
    put('npy', 'f16', npy_bytes(np.zeros(3, dtype='<f2')))
    put('npy', 'c16', npy_bytes(np.zeros(3, dtype='<c16')))
    put('npy', 'bool', npy_bytes(np.zeros(3, dtype='?')))
    put('npy', 'structured', npy_bytes(np.zeros(2, dtype=[('a', '<i4'), ('b', '<f8')])))
    put('npy', 'unicode', npy_bytes(np.array(['ab', 'c'])))
    put('npy', '3d', npy_bytes(np.zeros((2, 2, 2))))
    # a 64-byte header, and shmx's own 4096-byte one
    d = "{'descr':'|u1','fortran_order':False,'shape':()}"
    put('npy', 'data-at-64', handmade(d, data_at=64, data=b'\x05'))
    d = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"
    put('npy', 'data-at-4096', handmade(d, data_at=4096, data=b'\0' * 48))
    put('npy', 'empty-pad-byte', handmade(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }",
        data_at=4096, data=b'\0'))
    put('npy', 'keys-any-order', handmade(
        '{"shape": (3L, ), "descr": "<i8", "fortran_order": True}', data_at=128))
    put('npy', 'misaligned', handmade(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", data_at=68,
        data=b'\0' * 8))
    base = "{'descr': '<f8', 'fortran_order': False, 'shape': %s, }"
    put('npy', 'negative-dim', handmade(base % '(-1,)', data_at=128))
    put('npy', 'huge-dims', handmade(base % '(4611686018427387904, 2)', data_at=128))
    put('npy', 'long-dim', handmade(base % '(99999999999999999999,)', data_at=128))
    put('npy', 'key-twice', handmade(
        "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,)}",
        data_at=128))
    put('npy', 'missing-key', handmade("{'descr': '<f8', 'shape': (1,)}", data_at=128))
    put('npy', 'extra-key', handmade(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}", data_at=128))
    put('npy', 'bad-magic', b'\x93NUMPZ\x01\x00\x76\x00' + b' ' * 118)
    put('npy', 'version-4', b'\x93NUMPY\x04\x00\x76\x00' + b' ' * 118)
    put('npy', 'truncated', npy_bytes(np.zeros(2))[:40])
    put('npy', 'v2-len-too-large', b'\x93NUMPY\x02\x00\xff\xff\xff\xff{}')


def target():
    for i, s in enumerate([
            'shm://data', 'shm://a.b_C-1', 'shm://.hidden', 'shm://', 'shm://a/b',
            'shm://' + 'n' * 200, 'shm://' + 'n' * 201, 'shm://sp ace',
            'file:///tmp/x.npy', 'file://rel/x', 'file://', 'file:///',
            '/tmp/x.npy', 'x.npy', 'dir/', '.', '..', 'a/..', '/a', '/',
            's3://bucket/x', 'a/b://c', './x', '/tmp/' + 'f' * 255,
            '/tmp/' + 'f' * 256, 'line\nbreak']):
        put('target', '%02d' % i, s)


def shape():
    for i, s in enumerate([
            '100000x10', '7', '0', '0x5', '3X4', '2,3', '007x01',
            '4611686018427387904', '4611686018427387905', '2147483648x2147483648',
            '99999999999999999999', '', 'x', '1x', 'x1', '-1', '+1', ' 1', '1 ',
            '1x2x3', '1.5', '0x4611686018427387904', '1e3']):
        put('shape', '%02d' % i, s)


def dtype():
    names = ('i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 int8 int16 int32 int64 '
             'uint8 uint16 uint32 uint64 float32 float64 float double int uint '
             '<i1 |i1 <i8 <u8 >u1 >f8 =f4 |f4 <f2 <c8 |b1 <U3 f16 bool '
             'complex128 b B h H l L q Q').split()
    for i, s in enumerate(names + ['', ' f64', 'f64 ', 'F64']):
        put('dtype', '%02d' % i, s)


def op():
    # byte 0 dtype (i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 = 0..9),
    # byte 1 ndim | axis << 2 (axis index: -1 0 1 -2 2), byte 2 rows | cols << 3,
    # byte 3 chunk bytes - 1, then OP '\n' data
    def case(name, dt, ndim, axis, rows, cols, chunk, op, data=b''):
        ax = [-1, 0, 1, -2, 2].index(axis)
        put('op', name, bytes([dt, ndim | ax << 2, rows | cols << 3, chunk - 1])
            + op.encode() + b'\n' + data)
    f64 = np.array([1.5, -2.0, np.nan, np.inf, 0.0, -0.0, 1e308, 3.0]).tobytes()
    i32 = np.array([1, -2, 2**31 - 1, -2**31, 0, 7, 100, -100], dtype='<i4').tobytes()
    u8 = bytes(range(0, 256, 9))
    reds = 'sum mean min max sumsq var std argmin argmax nansum nanmean nanmin nanmax nanvar nanstd'
    for i, r in enumerate(reds.split()):
        case('red-%s-f64-ax%d' % (r, i % 3 - 1), 9, 2, i % 3 - 1, 5, 3, 1 + 8 * (i % 4), r, f64)
        case('red-%s-i32' % r, 2, 2, (i + 1) % 3 - 1, 4, 4, 16, r, i32)
    maps = ['square', 'sqrt', 'abs', 'neg', 'exp', 'log', 'scale:2.5', 'scale:-3',
            'add:7', 'add:18446744073709551615', 'add:-9223372036854775809',
            'clip:0:255', 'clip:-1e300:1e300', 'clip:nan:1', 'clip:5:1',
            'clip:-200:300', 'clip:0.5:2.5', 'cast:f32', 'cast:u8', 'cast:i64',
            'cast:int8', 'scale:1e400', 'add:inf', 'scale:0x10']
    for i, m in enumerate(maps):
        case('map-%02d-f64' % i, 9, 1, -1, 7, 0, 24, m, f64)
        case('map-%02d-u8' % i, 4, 2, -1, 3, 7, 5, m, u8)
        case('map-%02d-i32' % i, 2, 2, -1, 6, 2, 9, m, i32)
    for i, bad in enumerate(['', 'summ', 'sum:1', 'scale', 'scale:', 'scale: 1',
                             'scale:1:2', 'clip:1', 'cast:f16', 'cast:', 'add:1x',
                             'scale:' + '9' * 200, 'SUM', 'sum\0x']):
        case('bad-%02d' % i, 9, 2, -1, 2, 2, 8, bad, f64)
    case('axis-on-map', 9, 2, 0, 2, 2, 8, 'square', f64)
    case('axis-1-on-1d', 9, 1, 1, 2, 0, 8, 'sum', f64)
    case('axis-2', 9, 2, 2, 2, 2, 8, 'sum', f64)
    case('axis-minus-2', 9, 2, -2, 2, 2, 8, 'sum', f64)
    case('empty-min', 9, 2, 0, 0, 3, 8, 'min', f64)
    case('empty-rows-min-ax1', 9, 2, 1, 0, 3, 8, 'min', f64)
    case('scalar-mean', 9, 0, -1, 0, 0, 8, 'mean', f64)


def cli():
    for i, (which, s) in enumerate([
            (0, '4'), (0, '0'), (0, '18446744073709551615'), (0, '18446744073709551616'),
            (0, '-1'), (0, ' 1'), (0, '1k'), (1, '4M'), (1, '1G'), (1, '16777216G'),
            (1, '17179869184G'), (1, '4m'), (1, 'k'), (1, '1kk'), (2, '0600'), (2, '640'),
            (2, '0'), (2, '0777'), (2, '1000'), (2, '8'), (2, ''), (3, '8'), (3, ''),
            (3, '0'), (3, '4096'), (3, '4097'), (3, 'x')]):
        put('cli', '%02d' % i, bytes([which]) + s.encode())


def tempname():
    for i, s in enumerate([
            '.shmx-123-0-data', '.shmx-4194304-1-x', '.shmx-4194305-1-x', 'data',
            '.shmx--1-x', '.shmx-12', '.shmx-0-0-', '.shmx-00000000000000000001-2-y',
            '.shmx-99999999999999999999-1-z', 'shmx-1-1-a']):
        put('tempname', '%02d' % i, s)


if __name__ == '__main__':
    npy()
    target()
    shape()
    dtype()
    op()
    cli()
    tempname()
