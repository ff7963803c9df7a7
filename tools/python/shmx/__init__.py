"""shmx - shared-memory, zero-copy arrays and parallel operations on them.

What multiprocessing.shared_memory makes you write by hand (create a
segment, copy the array in, spawn processes on index ranges, guard the
writes, close() and unlink()) is one call each here, and an array is
published atomically under its name: a reader sees all of it or nothing.

    import shmx
    with shmx.create("shm://data", (n, 10), "f64") as a:   # a numpy array
        a[:] = ...                        # written in place, no copy
    # published now, by one rename; an exception would have published nothing
    d = shmx.eval("sqrt(sum(x**2, axis=1))", x="shm://data")  # every core
    r = shmx.run("sum", "shm://data", axis=1, out="shm://rowsum")
    b = shmx.attach("data")               # another process: the same pages

Arrays
    attach(target, writable=False)      a numpy.memmap over the array, no copy
    create(target, shape, dtype, force=False, mode=0o600)
                                        with ...: a new array, published
                                        atomically on a clean exit
    ls(), info(target)                  what is there (shmx.Info)
    rm(*targets), rm_stale()            remove arrays; dead runs' temporaries

Computing (workers in parallel, results bit-identical for any count)
    run(op, source, out=None, axis=None, workers=None, chunk=None, io=None)
    eval(expr, out=None, workers=None, **sources)
                                        a numpy expression, one fused pass
    load(path, out=None, ...)           an NPY, raw or CSV file into an array
    gen(shape, dtype, fill, seed, out=None)

Targets: "shm://NAME" or a bare NAME is the POSIX shm segment /dev/shm/NAME
($SHMX_SHM_DIR moves them); "file://PATH", a path with a '/' or a
pathlib.Path is a file (".npy", an NPY image).  Every array shmx creates
is an NPY v1.0 image with its data at byte 4096, so numpy.load(path,
mmap_mode="r") reads it too.  dtypes: bool i8 i16 i32 i64 u8 u16 u32 u64
f32 f64 (shmx's "i8" is int8) or numpy's names and dtypes.

Sources of run and eval (and load's files) are named, never pickled: a
target, an array that shmx attached (recognised and handed over by name),
or any other numpy array, which is copied once into a temporary segment
that is removed when the call returns.  Without out=, a result is an array over
the tool's own output pages (a private, already unlinked segment): no
copy either.

Errors: shmx.Error, with e.message the line the shmx CLI prints after
"shmx: error: " and e.bad_input (True: bad usage or input, nothing was
done; False: a failure while running, nothing was published).  A missing
array raises shmx.ArrayNotFoundError, a FileNotFoundError.

Processes and signals: each computing call (run, eval, load, gen) runs
the `shmx` tool as one child process ($SHMX_TOOL, else the one installed
with this package), which forks the workers; the host is never forked.
So numpy's BLAS threads, other Python threads, Jupyter kernels and the
host's own signal handlers are left alone: no signal disposition is
changed, every child is waited for, and calls may come from several
threads at once.  Ctrl-C
(KeyboardInterrupt) during a long run stops the tool and its workers,
removes the unpublished output and the temporaries, and re-raises.
"""
from ._tool import ArrayNotFoundError, Error
from ._arrays import Info, attach, create, info, ls, rm, rm_stale
from ._compute import eval, gen, load, run  # noqa: A001 (shmx.eval)

__all__ = ["Error", "ArrayNotFoundError", "Info", "attach", "create", "ls",
           "info", "rm", "rm_stale", "run", "eval", "load", "gen"]
__version__ = "0.1.0"
