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


def call(args, target=None, tmpdirs=()):
    """Run `shmx ARGS...`; (stdout, stderr) as text on success, else raise
    the Error it printed (KeyboardInterrupt when it died of SIGINT: a
    Ctrl-C at the terminal reaches the whole process group).  target
    names the array a missing-file error is about; tmpdirs are where its
    temporaries could be (for a SIGKILL)."""
    p = subprocess.Popen([tool()] + [str(a) for a in args],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, close_fds=True)
    try:
        out, err = p.communicate()
    except BaseException:
        _stop(p, tmpdirs)
        raise
    finally:
        for f in (p.stdout, p.stderr):
            f.close()
    out = out.decode("utf-8", "replace")
    err = err.decode("utf-8", "replace")
    if p.returncode == 0:
        return out, err
    lines = [ln for ln in err.splitlines() if ln.startswith("shmx: error: ")]
    if p.returncode == -signal.SIGINT:
        raise KeyboardInterrupt
    if p.returncode < 0:
        raise Error("the shmx tool died of signal %d" % -p.returncode, False)
    if not lines:
        raise Error(err.strip() or "shmx exited with status %d"
                    % p.returncode, p.returncode == 2)
    raise error_from(lines[-1], p.returncode, target)
