"""shmx_attach - attach shmx arrays from Python by name, without a copy.

    import shmx_attach
    a = shmx_attach.attach("rowsumsq")          # numpy.memmap, read-only
    b = shmx_attach.attach("shm://data", mode="r+")
    for name, dtype, shape in shmx_attach.list_arrays():
        ...

Every array shmx publishes is an NPY v1.0 image with its data at byte 4096,
so numpy maps it in place; this module only turns shmx names into paths and
skips what is not an array (shmx's temporaries, other programs' segments).
"""
import os

import numpy

__all__ = ["path_of", "attach", "list_arrays"]

SHM_DIR = os.environ.get("SHMX_SHM_DIR") or "/dev/shm"
_ALLOWED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def path_of(target):
    """The path of a target: "shm://NAME", "NAME" (a segment), or a file path."""
    if target.startswith("file://"):
        return target[len("file://"):]
    if "/" in target and not target.startswith("shm://"):
        return target
    name = target[len("shm://"):] if target.startswith("shm://") else target
    if not 1 <= len(name) <= 200 or name[0] == "." or not set(name) <= _ALLOWED:
        raise ValueError(f"bad shm name {name!r}")
    return os.path.join(SHM_DIR, name)


def attach(target, mode="r"):
    """Map the array read-only (mode "r") or read-write ("r+"); no copy."""
    if mode not in ("r", "r+"):
        raise ValueError("mode must be 'r' or 'r+'")
    return numpy.load(path_of(target), mmap_mode=mode, allow_pickle=False)


def list_arrays():
    """(name, dtype, shape) of each NPY array in the shm directory."""
    out = []
    for name in sorted(os.listdir(SHM_DIR)):
        if name.startswith("."):
            continue
        try:
            a = numpy.load(os.path.join(SHM_DIR, name), mmap_mode="r",
                           allow_pickle=False)
        except (ValueError, OSError):
            continue
        out.append((name, a.dtype, a.shape))
    return out
