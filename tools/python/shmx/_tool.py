"""shmx._tool - running the `shmx` tool for the package, and its errors.

Every call that computes (run, eval, load, gen) and every call that removes
(rm, rm_stale) is one child process of the `shmx` tool, never a fork of
the host: the host's threads, its signal handlers and dispositions, its
allocator and its own children are left alone, and a crash inside the
engine cannot take the host down (the README's Python section has the
measurements behind this choice).  The child is always waited for (no
zombie); a KeyboardInterrupt (or any exception) while it runs sends it
SIGTERM, on which the tool removes its unpublished output and its workers
die with it, then waits for it and re-raises.
"""
import errno
import os
import shutil
import signal
import subprocess
import threading

__all__ = ["Error", "ArrayNotFoundError", "tool", "call"]

# How long a child has, after SIGTERM, to clean up before it is killed.
_TERM_GRACE_S = 10.0


class Error(Exception):
    """A failure the shmx tool reported.

    str(e) and e.message are the one line the CLI prints after
    "shmx: error: ".  e.bad_input is True for bad usage or bad input (the
    CLI's exit status 2: nothing was started, nothing left behind) and
    False for a failure while running (exit 1: a worker died, no space, an
    I/O error).  e.status is that exit status.
    """

    def __init__(self, message, bad_input=True):
        super().__init__(message)
        self.message = message
        self.bad_input = bool(bad_input)
        self.status = 2 if bad_input else 1

    def __str__(self):
        return self.message


class ArrayNotFoundError(Error, FileNotFoundError):
    """A target that does not exist: both a shmx.Error (bad input) and a
    FileNotFoundError (errno ENOENT, filename the target)."""

    def __init__(self, message, target=None):
        Error.__init__(self, message, True)
        self.errno = errno.ENOENT
        self.strerror = message
        self.filename = target

    def __str__(self):
        return self.message


_MISSING = (": no such segment", ": no such file",
            ": No such file or directory")


def error_from(message, status, target=None):
    """The exception for one line of the tool's stderr and its status."""
    if message.startswith("shmx: error: "):
        message = message[len("shmx: error: "):]
    if (status == 2 and message.endswith(_MISSING) and
            ": cannot create: " not in message):
        return ArrayNotFoundError(message, target)
    return Error(message, status == 2)


def tool():
    """The shmx tool this package runs: $SHMX_TOOL, else the one it was
    built or installed with (shmx._config), else `shmx` on $PATH."""
    path = os.environ.get("SHMX_TOOL")
    if not path:
        try:
            from . import _config
            path = _config.tool()
        except ImportError:
            path = None
    if not path or not os.access(path, os.X_OK):
        path = shutil.which("shmx") or path
    if not path:
        raise Error("the shmx tool was not found: set $SHMX_TOOL", False)
    return path


class _Child(subprocess.Popen):
    """A Popen that never loses its child: an exception (a Ctrl-C) after
    the fork but before Popen() returns (while it waits for the exec)
    would leave the tool running unseen, to publish after the caller has
    cleaned up and to become a zombie; here the child is stopped and
    waited for before the exception goes on."""

    def __init__(self, args, tmpdirs=(), **kwargs):
        self._tmpdirs = tmpdirs
        super().__init__(args, **kwargs)

    def _execute_child(self, *args, **kwargs):
        try:
            super()._execute_child(*args, **kwargs)
        except BaseException:
            if getattr(self, "_child_created", False) and self.pid:
                _stop(self, self._tmpdirs)
            raise


def _stop(p, tmpdirs):
    """Stop child p: SIGTERM (it removes its temporary), then SIGKILL after
    a grace period; wait for it in any case.  After a SIGKILL, remove the
    temporaries it may have left (.shmx-<its pid>-...) from tmpdirs."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    killed = False
    while True:
        try:
            p.wait(timeout=None if killed else _TERM_GRACE_S)
            break
        except subprocess.TimeoutExpired:
            p.kill()
            killed = True
        except KeyboardInterrupt:  # a second Ctrl-C: no more waiting
            p.kill()
            killed = True
    if killed:
        prefix = ".shmx-%d-" % p.pid
        for d in tmpdirs:
            try:
                names = os.listdir(d)
            except OSError:
                continue
            for n in names:
                if n.startswith(prefix):
                    try:
                        os.unlink(os.path.join(d, n))
                    except OSError:
                        pass


class _Runner(threading.Thread):
    """Starts the tool and collects its output, in a thread of its own.

    A Ctrl-C is raised as KeyboardInterrupt in the main thread only, at
    any bytecode; if the main thread started the tool itself, one landing
    between the fork and Popen() returning would lose the child (measured:
    it happens, and the tool then publishes after the caller has cleaned
    up, and is never reaped).  Here the main thread only waits: the child
    is always known to this thread, which the interrupted caller asks for
    it before it stops it."""

    def __init__(self, argv, tmpdirs):
        super().__init__(name="shmx-tool", daemon=True)
        self.argv, self.tmpdirs = argv, tmpdirs
        self.p = self.exc = None
        self.out = self.err = b""
        self.spawned = threading.Event()

    def run(self):
        try:
            self.p = _Child(self.argv, self.tmpdirs,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, close_fds=True)
        except BaseException as e:  # the exec failed: no child is left
            self.exc = e
            return
        finally:
            self.spawned.set()
        try:
            self.out, self.err = self.p.communicate()
        except BaseException as e:
            self.exc = e
        finally:
            for f in (self.p.stdout, self.p.stderr):
                f.close()

    def abort(self):
        """Stop the child (once it exists) and wait for it and for this
        thread; called by the interrupted caller."""
        if not self._started.wait(1.0):
            return  # interrupted in start(), before the thread was made
        while True:
            try:
                self.spawned.wait()
                break
            except KeyboardInterrupt:
                continue
        if self.p is not None:
            _stop(self.p, self.tmpdirs)
        while True:
            try:
                self.join()
                break
            except KeyboardInterrupt:
                continue


def call(args, target=None, tmpdirs=()):
    """Run `shmx ARGS...`; (stdout, stderr) as text on success, else raise
    the Error it printed (KeyboardInterrupt when it died of SIGINT: a
    Ctrl-C at the terminal reaches the whole process group).  target
    names the array a missing-file error is about; tmpdirs are where its
    temporaries could be (for a SIGKILL)."""
    r = _Runner([tool()] + [str(a) for a in args], tuple(tmpdirs))
    try:
        r.start()
        r.join()
    except BaseException:
        r.abort()
        raise
    if r.exc is not None:
        raise r.exc
    p, out, err = r.p, r.out, r.err
    out = out.decode("utf-8", "replace")
    err = err.decode("utf-8", "replace")
    lines = [ln for ln in err.splitlines() if ln.startswith("shmx: error: ")]
    if p.returncode == 0 and lines:
        # a host that ignores SIGCHLD: the kernel reaped the tool and its
        # status is lost (Popen says 0); its message is not
        raise error_from(lines[-1], 1, target)
    if p.returncode == 0:
        return out, err
    if p.returncode == -signal.SIGINT:
        raise KeyboardInterrupt
    if p.returncode < 0:
        raise Error("the shmx tool died of signal %d" % -p.returncode, False)
    if not lines:
        raise Error(err.strip() or "shmx exited with status %d"
                    % p.returncode, p.returncode == 2)
    raise error_from(lines[-1], p.returncode, target)
