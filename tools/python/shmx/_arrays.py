"""shmx._arrays - targets, and the arrays themselves: attach, create, ls,
info, rm, rm_stale.

None of these starts a worker.  attach, create, ls and info are done here
in Python (numpy maps the NPY image shmx writes in place; create writes
the same image under a temporary name and renames it into place, as the
engine does); rm and rm_stale are the tool's, so that what may be removed
is decided in one place.
"""
import ctypes
import errno
import itertools
import json
import os
import re
import stat
import struct
import threading
from collections import namedtuple

import numpy as np

from ._tool import ArrayNotFoundError, Error, call

__all__ = ["attach", "create", "ls", "info", "rm", "rm_stale", "Info"]

DATA_OFFSET = 4096  # where shmx's NPY images keep their data
_NAME = re.compile(r"[A-Za-z0-9._-]{1,200}\Z")
_BAD_NAME = "bad shm name (1-200 of A-Za-z0-9._-, not starting with '.')"

# shmx's dtype names (its "i8" is int8: numpy's "i8" is int64); bool is
# read and written everywhere, computed on by eval (run refuses it)
_SHORT = {"i8": "i1", "i16": "<i2", "i32": "<i4", "i64": "<i8",
          "u8": "u1", "u16": "<u2", "u32": "<u4", "u64": "<u8",
          "f32": "<f4", "f64": "<f8", "bool": "|b1"}
SUPPORTED = {np.dtype(v): k for k, v in _SHORT.items()}
_USE = ("use bool i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 or numpy's "
        "names")


def shm_dir():
    """Where shm:// names live: $SHMX_SHM_DIR, or /dev/shm (as the tool)."""
    return os.environ.get("SHMX_SHM_DIR") or "/dev/shm"


class Target(namedtuple("Target", "spec path kind")):
    """A parsed target: spec as the tool reads it, the path, "shm" or
    "file"."""

    @property
    def dir(self):
        return os.path.dirname(os.path.abspath(self.path))

    @property
    def base(self):
        return os.path.basename(self.path)


def target(t):
    """Parse a target.  "shm://NAME" and a bare NAME (no '/') are the
    segment NAME; "file://PATH", a path with a '/' and an os.PathLike are
    files (a file in the current directory: "./data.npy")."""
    if isinstance(t, os.PathLike):
        p = os.fspath(t)
        return Target("file://" + p, p, "file")
    if not isinstance(t, str):
        raise TypeError("a target is a str or a path, not %s"
                        % type(t).__name__)
    if t.startswith("file://"):
        return Target(t, t[len("file://"):], "file")
    if "/" in t and not t.startswith("shm://"):
        return Target(t, t, "file")
    spec = t if t.startswith("shm://") else "shm://" + t
    name = spec[len("shm://"):]
    if not _NAME.match(name) or name.startswith("."):
        raise Error("%s: %s" % (spec, _BAD_NAME))
    return Target(spec, os.path.join(shm_dir(), name), "shm")


def dtype_of(d):
    """A numpy dtype shmx computes on, from shmx's names ("f64", "i8" =
    int8), numpy's names and dtypes; shmx.Error for any other."""
    try:
        dt = np.dtype(_SHORT.get(d, d) if isinstance(d, str) else d)
    except TypeError:
        dt = None
    if dt is not None and dt.byteorder == "=":
        dt = dt.newbyteorder("<")
    if dt not in SUPPORTED:
        raise Error("unsupported dtype '%s' (%s)" % (d, _USE))
    return dt


def shape_of(s):
    """A shape tuple from an int, a tuple of at most 2 ints or "RxC"."""
    orig = s
    if isinstance(s, str):
        try:
            s = tuple(int(p) for p in s.split("x"))
        except ValueError:
            s = None
    elif isinstance(s, (int, np.integer)):
        s = (int(s),)
    try:
        s = tuple(int(n) for n in s)
    except (TypeError, ValueError):
        s = None
    if s is None or len(s) > 2 or any(n < 0 for n in s):
        raise Error("bad shape '%s' (use N or RxC, e.g. 100000x10)" % (orig,))
    return s


def _missing(t):
    what = "no such segment" if t.kind == "shm" else "no such file"
    return ArrayNotFoundError("%s: %s" % (t.spec, what), t.spec)


def _os_error(t, e, what=None):
    """An OSError about target t as the shmx.Error the tool would give."""
    if e.errno == errno.ENOENT and what is None:
        return _missing(t)
    msg = "%s: %s%s" % (t.spec, what + ": " if what else "", e.strerror)
    runtime = e.errno in (errno.ENOSPC, errno.EIO, errno.ENOMEM, errno.EFBIG,
                          errno.EDQUOT)
    return Error(msg, not runtime)


# ---------------------------------------------------------------- attach

def _mark(a, spec, path, st):
    """Remember, on this very object (not its views), which array it maps
    whole, so that run() and eval() hand the tool its name, not a copy."""
    a._shmx_source = (spec, path, st.st_dev, st.st_ino)
    return a


def source_spec(a):
    """The target an array that shmx attached maps whole (and that still
    holds that file), else None."""
    src = a.__dict__.get("_shmx_source") if isinstance(a, np.memmap) else None
    if not src:
        return None
    spec, path, dev, ino = src
    try:
        st = os.stat(path)
    except OSError:
        return None
    return spec if (st.st_dev, st.st_ino) == (dev, ino) else None


def read_header(f):
    """(shape, fortran_order, dtype, data offset) of the NPY file f."""
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, fortran, dt = np.lib.format.read_array_header_1_0(f)
    elif version in ((2, 0), (3, 0)):
        shape, fortran, dt = np.lib.format.read_array_header_2_0(f)
    else:
        raise ValueError("not an NPY array")
    return shape, fortran, dt, f.tell()


def attach_path(t, path, writable):
    """A numpy.memmap of the NPY array at path, marked as t when t is
    given (an empty array: a plain empty array)."""
    flags = (os.O_RDWR if writable else os.O_RDONLY) | os.O_CLOEXEC
    with open(os.open(path, flags), "r+b" if writable else "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("not an NPY array")
        shape, fortran, dt, offset = read_header(f)
        if dt.hasobject:
            raise ValueError("not an NPY array of numbers")
        if int(np.prod(shape, dtype=np.int64)) == 0:
            a = np.empty(shape, dt)
            a.flags.writeable = writable
            return a
        a = np.memmap(f, dtype=dt, mode="r+" if writable else "r",
                      offset=offset, shape=tuple(shape),
                      order="F" if fortran else "C")
    return _mark(a, t.spec, path, st) if t else a


def attach(target_, writable=False):
    """A numpy array over the array at target, without a copy.

    target is "shm://NAME" or a bare NAME (a segment), or a file
    ("file://PATH", a path with a '/', a pathlib.Path).  The array is a
    numpy.memmap of the segment's or file's own pages: what another
    process writes into them is seen here, and with writable=True what is
    written here is seen there.  Read-only unless writable.  The mapping
    stays valid after the array is removed or replaced by name.

    Raises FileNotFoundError (shmx.ArrayNotFoundError) when there is no
    such array, shmx.Error when it is not an NPY array.
    """
    t = target(target_)
    try:
        return attach_path(t, t.path, writable)
    except FileNotFoundError:
        raise _missing(t) from None
    except (ValueError, OSError) as e:
        call(["info", t.spec], target=t.spec)  # raises the tool's message
        if isinstance(e, OSError):
            raise _os_error(t, e) from None
        raise Error("%s: %s" % (t.spec, e)) from None


# ---------------------------------------------------------------- create

_seq = itertools.count()
_seq_lock = threading.Lock()


def temporary(directory, base):
    """A name for a temporary of this process in directory, as the engine
    names its own (".shmx-<pid>-<seq>-<base>"), so that `shmx ls` hides
    it and `shmx rm --stale` removes it once this process is gone."""
    with _seq_lock:
        n = next(_seq)
    return os.path.join(directory, ".shmx-%d-%d-%s" % (os.getpid(), n,
                                                        base[:200]))


def npy_header(dt, shape):
    """The 4096-byte NPY v1.0 header shmx writes (data at byte 4096)."""
    shape_s = repr(tuple(int(n) for n in shape))  # numpy's: (3,) (3, 2) ()
    d = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (dt.str,
                                                                      shape_s)
    body = d.ljust(DATA_OFFSET - 10 - 1) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(body)) + body.encode()


def new_file(path, dt, shape, mode):
    """Create path (O_EXCL, O_NOFOLLOW, mode whatever the umask) holding
    an NPY image of dt x shape, zero, its size reserved (a full tmpfs is
    an error now, never a SIGBUS later).  The open descriptor."""
    nbytes = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
    size = DATA_OFFSET + (nbytes or 1)  # an empty array keeps a pad byte
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW |
                 os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, mode)
        os.posix_fallocate(fd, 0, size)
        os.pwrite(fd, npy_header(dt, shape), 0)
    except BaseException:
        os.close(fd)
        os.unlink(path)
        raise
    return fd


_libc = ctypes.CDLL(None, use_errno=True)
_AT_FDCWD = -100
_RENAME_NOREPLACE = 1


def publish(tmp, path, force):
    """Rename tmp to path: atomically, never over an existing name unless
    force (and then never over another user's).  OSError on failure."""
    if force:
        try:
            st = os.lstat(path)
            if st.st_uid != os.geteuid():
                raise PermissionError(errno.EPERM, "owned by another user "
                                      "(uid %d): not replaced" % st.st_uid)
        except FileNotFoundError:
            pass
        os.rename(tmp, path)
        return
    rc = _libc.renameat2(_AT_FDCWD, os.fsencode(tmp), _AT_FDCWD,
                         os.fsencode(path), _RENAME_NOREPLACE)
    if rc == 0:
        return
    e = ctypes.get_errno()
    if e not in (errno.EINVAL, errno.ENOSYS):
        raise OSError(e, os.strerror(e))
    os.link(tmp, path)  # a filesystem without renameat2: link is atomic too
    os.unlink(tmp)


class create:
    """with shmx.create(target, shape, dtype="f64") as a: ... - a new array.

    Yields a writable numpy array (a numpy.memmap of a temporary in the
    target's directory, zero-filled, its size reserved up front).  On a
    clean exit of the with block the array is published under its name by
    one rename: a reader that attaches by name sees the old array or
    nothing until then, never a half-written one.  On an exception the
    temporary is removed and nothing is published.  After the block the
    array is the published one's mapping (attach it elsewhere by name).

    shape: N, (N,), (R, C) or "RxC"; dtype: "f64", numpy's names or a
    numpy dtype (i8 .. u64, f32, f64; shmx's "i8" is int8).  An existing
    target is refused (shmx.Error) unless force=True, which replaces only
    the caller's own arrays.  mode: the permissions (0o600 by default,
    whatever the umask).  A process killed meanwhile (SIGKILL) leaves its
    temporary for shmx.rm_stale().
    """

    def __init__(self, target_, shape, dtype="f64", force=False, mode=0o600):
        self.target = target(target_)
        self.dtype = dtype_of(dtype)
        self.shape = shape_of(shape)
        self.force = bool(force)
        self.mode = int(mode)
        self._tmp = None
        self.array = None
        if not self.force and os.path.lexists(self.target.path):
            raise self._exists()

    def _exists(self):
        return Error("%s: already exists (use force=True to replace it)"
                     % self.target.spec)

    def __enter__(self):
        t = self.target
        tmp = temporary(t.dir, t.base)
        try:
            fd = new_file(tmp, self.dtype, self.shape, self.mode)
        except OSError as e:
            raise _os_error(t, e, "cannot create") from None
        try:
            with open(fd, "r+b") as f:
                self.array = np.memmap(f, dtype=self.dtype, mode="r+",
                                       offset=DATA_OFFSET, shape=self.shape)
                self._st = os.fstat(f.fileno())
        except BaseException:
            os.unlink(tmp)
            raise
        self._tmp = tmp
        return self.array

    def __exit__(self, exc_type, exc, tb):
        tmp, self._tmp = self._tmp, None
        if exc_type is not None:
            os.unlink(tmp)
            return False
        try:
            publish(tmp, self.target.path, self.force)
        except OSError as e:
            os.unlink(tmp)
            if e.errno == errno.EEXIST:
                raise self._exists() from None
            raise _os_error(self.target, e, "cannot publish") from None
        _mark(self.array, self.target.spec, self.target.path, self._st)
        return False


# ---------------------------------------------------------------- ls, info

Info = namedtuple("Info", "name path kind dtype shape nbytes size owner "
                  "mode mtime columns")
Info.__doc__ = """What an array is: name (the target, or the segment's
NAME in ls()), path, kind ("shm" or "file"), dtype (numpy's), shape
(a tuple), nbytes (of data), size (of the file), owner (uid), mode
(permission bits), mtime (seconds since the epoch) and columns (the
names a CSV's header gave, shmx.load; None when it had none)."""

_COLUMNS = re.compile(r"#\s*columns:\s*(\[.*\])\s*$")


def describe(name, path, kind):
    """Info for the NPY array at path; ValueError when it is not one
    shmx reads, OSError when it cannot be opened."""
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("not an NPY array")
        shape, fortran, dt, offset = read_header(f)
        f.seek(0)
        head = f.read(offset).decode("latin-1")
    if fortran or dt not in SUPPORTED or len(shape) > 2:
        raise ValueError("not an array shmx reads")
    nbytes = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
    if st.st_size not in (offset + nbytes, offset + 1 if nbytes == 0 else -1):
        raise ValueError("size does not match dtype and shape")
    m = _COLUMNS.search(head.rstrip("\n"))
    columns = None
    if m:
        try:
            columns = json.loads(m.group(1))
        except ValueError:
            columns = None
    return Info(name, path, kind, dt, tuple(shape), nbytes, st.st_size,
                st.st_uid, stat.S_IMODE(st.st_mode), st.st_mtime, columns)


def ls():
    """The arrays in the shm directory (/dev/shm or $SHMX_SHM_DIR), sorted
    by name, as a list of shmx.Info; as `shmx ls`, temporaries and
    entries that are not arrays are left out."""
    d = shm_dir()
    out = []
    for n in sorted(os.listdir(d)):
        if n.startswith("."):
            continue
        try:
            out.append(describe(n, os.path.join(d, n), "shm"))
        except (OSError, ValueError, EOFError):
            continue
    return out


def info(target_):
    """shmx.Info of one array (dtype, shape, bytes, owner, mode, age...),
    read from its header alone.  FileNotFoundError when it does not exist,
    shmx.Error (the tool's message) when it is not an array."""
    t = target(target_)
    try:
        return describe(t.spec, t.path, t.kind)
    except FileNotFoundError:
        raise _missing(t) from None
    except (OSError, ValueError, EOFError) as e:
        call(["info", t.spec], target=t.spec)  # raises the tool's message
        raise Error("%s: %s" % (t.spec, e)) from None


def rm(*targets, missing_ok=False):
    """Remove arrays by name (segments or files), as `shmx rm`: anything
    that is not an NPY array is refused (shmx.Error) and nothing else is
    removed; a missing one is FileNotFoundError unless missing_ok."""
    if not targets:
        return
    specs = [target(t).spec for t in targets]
    call(["rm"] + (["-f"] if missing_ok else []) + specs,
         target=specs[0] if len(specs) == 1 else None)


def rm_stale():
    """Remove the temporaries of runs (and of Python processes using
    shmx) that no longer run, as `shmx rm --stale`; the names removed."""
    out, _ = call(["rm", "--stale"])
    return [ln[len("removed "):] for ln in out.splitlines()
            if ln.startswith("removed ")]
