"""perf/hugepages.py - fio's buffers in 2 MiB pages, as the stream's are.

shmx's stream reads into buffers in 2 MiB pages (transparent huge pages,
madvise): a 4 MiB direct read is then one request to the disk.  fio's
buffers are malloc'd 4 KiB pages unless it is given hugetlb pages
(--mem=shmhuge), and a 4 MiB read into 4 KiB pages is split into requests
of max_segments pages (254 on virtio-blk: four requests), which on the
development VM halved fio's cold read speed.  So fio "with the stream's
geometry" must have the stream's page size too.

    with fio_pages(nbytes) as mem:    # mem: ["--mem=shmhuge"] or []
        ...fio ... + mem

reserves hugetlb pages (vm.nr_hugepages, root) for nbytes of fio buffers,
twice over (fio's jobs each round theirs up, and a reservation short of a
job fails it), for the block, and
gives the old count back after, also on failure.  Where the stream has no
huge pages (transparent huge pages "never"), or the reservation falls
short, fio keeps malloc'd 4 KiB pages and `describe` says which.
"""
import contextlib

NR = "/proc/sys/vm/nr_hugepages"
THP = "/sys/kernel/mm/transparent_hugepage/enabled"


def stream_has_huge_pages():
    """Whether madvise(MADV_HUGEPAGE) gives a process 2 MiB pages here."""
    try:
        with open(THP) as f:
            return "[never]" not in f.read()
    except OSError:
        return False


def _free_pages():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("HugePages_Free:"):
                return int(line.split()[1])
    return 0


def _write(n):
    with open(NR, "w") as f:
        f.write(f"{n}\n")


SMALL_PAGES = (1, 32, 4 << 20, "seq")  # the geometry also run in 4 KiB pages


@contextlib.contextmanager
def fio_pages(nbytes):
    """fio's --mem arguments for nbytes of buffers in 2 MiB pages, reserved
    for the block (the old reservation back after)."""
    pages = 2 * -(-nbytes // (2 << 20))
    if not stream_has_huge_pages():
        yield []
        return
    try:
        with open(NR) as f:
            old = int(f.read())
        _write(old + pages)
    except OSError:
        yield []
        return
    try:
        yield ["--mem=shmhuge"] if _free_pages() >= pages else []
    finally:
        _write(old)


def describe(mem):
    return ("fio's buffers in 2 MiB pages (--mem=shmhuge), as the stream's"
            if mem else "fio's buffers in 4 KiB pages (malloc): no huge pages here")
