"""Helpers for the tests of shmx-mpi (tests/mpi/), run by /usr/bin/python3.

$SHMX is shmx, $SHMX_MPI shmx-mpi, $MPIRUN mpirun (ctest sets them); by hand:
    SHMX=build/tools/shmx SHMX_MPI=build/tools/mpi/shmx-mpi \\
        /usr/bin/python3 -m unittest discover -s tests/mpi -p 'test_*.py'

Every mpirun is `mpirun -q --oversubscribe` (quiet: mpirun's own banners
would hide the one line shmx-mpi prints), allowed to run as root.  A
result is compared with `shmx run` on one machine, byte for byte: the
printed text (floats as %.17g) or the published NPY file.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "py"))
import shmxtest  # noqa: E402  (after the path)

SHMX_MPI = os.path.abspath(os.environ.get(
    "SHMX_MPI", os.path.join(os.path.dirname(shmxtest.SHMX), "mpi",
                             "shmx-mpi")))
MPIRUN = os.environ.get("MPIRUN", "mpirun")
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1",
           "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           # one rank's workers on all CPUs: the default binding would
           # put every rank on one core of this small machine
           "OMPI_MCA_hwloc_base_binding_policy": "none"}


def mpi_env(extra=None):
    env = dict(os.environ)
    env.pop("SHMX_SHM_DIR", None)
    env.update(MPI_ENV)
    if extra:
        env.update(extra)
    return env


def mpirun_args(ranks, args, opts=()):
    """mpirun's command line: R ranks of shmx-mpi ARGS; or, with ranks a
    list, one app context per rank, each a dict of "mpi" (mpirun options
    for it, e.g. ["--wdir", D]) and "wrap" (a command in front of
    shmx-mpi, e.g. ["env", "X=1"])."""
    cmd = [MPIRUN, "-q", "--oversubscribe"] + list(opts)
    mine = [SHMX_MPI] + [str(a) for a in args]
    if isinstance(ranks, int):
        return cmd + ["-n", str(ranks)] + mine
    for i, rank in enumerate(ranks):
        cmd += ([":"] if i else []) + ["-n", "1"] + rank.get("mpi", [])
        cmd += rank.get("wrap", []) + mine
    return cmd


# mpirun's rsh launcher races its own child (the agent may exec before
# the parent's setpgid) and says so; nothing of shmx-mpi's
RSH_NOISE = re.compile(r"^\[[^]]*\] plm:rsh: Warning: setpgid\(.*\n?",
                       re.M)


def mpirun(ranks, args, opts=(), env=None, timeout=120):
    proc = subprocess.run(mpirun_args(ranks, args, opts), env=mpi_env(env),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout)
    r = shmxtest.Result(proc)
    r.err = r.stderr = RSH_NOISE.sub("", r.err)
    return r


def children(pid):
    """The pids of pid's children (its forked workers)."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return f.read().split()
    except OSError:
        return []


def kill_mid_run(ranks, victim, args, pidfile, timeout=120):
    """Run R ranks of shmx-mpi ARGS and SIGKILL rank `victim` once its
    workers exist (it is computing its chunks).  Returns (result, killed):
    killed is False when the run ended before the victim's workers were
    seen (the caller tries again with more work)."""
    wrap = ["sh", "-c", 'echo $$ > "$0"; exec "$@"', pidfile]
    pre = [{"wrap": wrap} if r == victim else {} for r in range(ranks)]
    p = subprocess.Popen(mpirun_args(pre, args), env=mpi_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    killed = False
    deadline = time.monotonic() + timeout
    while p.poll() is None and time.monotonic() < deadline:
        try:
            with open(pidfile) as f:
                pid = int(f.read().strip() or 0)
        except (OSError, ValueError):
            pid = 0
        if pid and children(pid):
            os.kill(pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.001)
    out, err = p.communicate(timeout=timeout)
    p.stdout, p.stderr = out, err
    return shmxtest.Result(p), killed


class MpiTestCase(shmxtest.ShmxTestCase):
    def same_as_shmx(self, ranks, args, output=None, opts=(), env=None,
                     stats=False, cmd="run"):
        """shmx-mpi over R ranks gives shmx run's bytes (shmx eval's with
        cmd "eval"): its printed result, or (output: a file name in the
        scratch directory, given to both as -o) the published file.
        stats: shmx-mpi also prints its --stats lines (checked: R ranks,
        rank 0's share)."""
        one = list(args)
        many = list(args) + (["--stats"] if stats else [])
        if output:
            one += ["-o", self.path("one-" + output)]
            many += ["-o", self.path("mpi-" + output)]
        ref = shmxtest.run(cmd, *one)
        self.assertEqual((ref.status, ref.err), (0, ""),
                         "shmx %s %s" % (cmd, one))
        got = mpirun(ranks, [cmd] + many, opts=opts, env=env)
        what = "R=%s shmx-mpi %s %s" % (ranks, cmd, " ".join(map(str, many)))
        if stats:
            mine, engine = [json.loads(x) for x in got.err.splitlines()]
            self.assertEqual(mine["ranks"], ranks, what)
            self.assertEqual(mine["rank0_chunks"], engine["chunks"], what)
            self.assertEqual(mine["rank0_chunks"],
                             mine["chunks"] // ranks, what)
            got.err = ""
        self.assertEqual((got.status, got.err), (0, ""), what)
        self.assertEqual(got.out, ref.out, what)
        if output:
            with open(self.path("one-" + output), "rb") as a, \
                 open(self.path("mpi-" + output), "rb") as b:
                self.assertTrue(a.read() == b.read(), what + ": files differ")
            os.unlink(self.path("mpi-" + output))
            os.unlink(self.path("one-" + output))
        self.assertNoTemporaries()
        return got

    def kill_rank(self, victim, job=("run", "exp")):
        """SIGKILL rank victim of 2 mid-run (a map into a file; job: the
        command and op, or eval and its expression): the job fails and
        publishes nothing."""
        out = self.path("out.npy")
        rows = 1 << 19
        for _ in range(4):  # more work until the kill lands mid-run
            src = self.path("big.npy")
            shmxtest.run("gen", "-o", src, "--shape", "%dx4" % rows,
                         "--dtype", "f64", "--fill", "uniform")
            r, killed = kill_mid_run(
                2, victim, list(job) + [src, "-o", out, "-j", "1",
                                        "--chunk", "64k"],
                self.path("victim.pid"))
            os.unlink(src)
            if killed:
                break
            os.unlink(out)
            rows *= 2
        self.assertTrue(killed, "the run always ended before the kill")
        self.assertNotEqual(r.status, 0)
        self.assertFalse(os.path.exists(out))
        r.err = RSH_NOISE.sub("", r.err)
        return r

    def assertNoTemporaries(self, d=None):
        d = d or self.tmp
        left = [n for n in os.listdir(d) if n.startswith(".shmx-")]
        self.assertEqual(left, [], "temporaries left in %s" % d)

    def assertOneLine(self, r, status, part):
        """r failed with status and one line from shmx-mpi naming part."""
        self.assertEqual(r.status, status, r.err)
        lines = r.err.strip().split("\n")
        self.assertEqual(len(lines), 1, r.err)
        self.assertTrue(lines[0].startswith("shmx-mpi: error: "), r.err)
        self.assertIn(part, lines[0])
        self.assertEqual(r.out, "")


def netns_possible():
    """None when network namespaces can be made here, else why not."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if not shutil.which("ip"):
        return "no ip(8) (iproute2)"
    name = "shmxt-probe-%d" % os.getpid()
    r = subprocess.run(["ip", "netns", "add", name], capture_output=True,
                       text=True)
    if r.returncode:
        return "ip netns add refused: " + r.stderr.strip()
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


class HostsTestCase(MpiTestCase):
    """An MpiTestCase that simulates hosts (Hosts): skipped where network
    namespaces cannot be made."""

    def setUp(self):
        super().setUp()
        why = netns_possible()
        if why:
            self.skipTest(why)


class Hosts:
    """n simulated hosts on this machine: a network namespace each, joined
    by veth pairs to a bridge in the root namespace (which mpirun, in the
    root namespace, reaches them on), 10.X.0.i/24; a hostfile naming them
    and an rsh agent that enters the namespace named by its host, so
    Open MPI starts an orted per "host" and its ranks talk over TCP."""

    def __init__(self, n, tmp):
        self.net = self.free_net()
        self.ns = ["shmxt-%d-h%d" % (os.getpid(), i) for i in range(n)]
        self.br = "shmxt%db" % (os.getpid() % 100000)
        self.veth = ["shmxt%dv%d" % (os.getpid() % 100000, i)
                     for i in range(n)]
        self.hostfile = os.path.join(tmp, "hosts")
        self.agent = os.path.join(tmp, "agent")
        self.made = []

    @staticmethod
    def free_net():
        """A 10.X.0/24 no route of this machine uses yet."""
        routes = subprocess.run(["ip", "-4", "route"], capture_output=True,
                                text=True).stdout
        for i in range(200):
            net = "10.%d.0" % ((os.getpid() + i) % 200 + 20)
            if net + "." not in routes:
                return net
        raise RuntimeError("no free 10.X.0.0/24 for the simulated hosts")

    def sh(self, *cmd):
        subprocess.run(cmd, check=True, capture_output=True)

    def __enter__(self):
        try:
            self.sh("ip", "link", "add", self.br, "type", "bridge")
            self.made.append(("link", self.br))
            self.sh("ip", "addr", "add", self.net + ".254/24", "dev", self.br)
            self.sh("ip", "link", "set", self.br, "up")
            for i, (ns, v) in enumerate(zip(self.ns, self.veth)):
                self.sh("ip", "netns", "add", ns)
                self.made.append(("netns", ns))
                self.sh("ip", "link", "add", v, "type", "veth", "peer",
                        "name", "eth0", "netns", ns)
                self.made.append(("link", v))
                self.sh("ip", "link", "set", v, "master", self.br, "up")
                ex = ["ip", "netns", "exec", ns]
                self.sh(*ex, "ip", "addr", "add",
                        "%s.%d/24" % (self.net, i + 1), "dev", "eth0")
                self.sh(*ex, "ip", "link", "set", "eth0", "up")
                self.sh(*ex, "ip", "link", "set", "lo", "up")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        with open(self.hostfile, "w") as f:
            f.writelines("%s slots=1\n" % ns for ns in self.ns)
        # each "host" its own TMPDIR, as its own /tmp: Open MPI's session
        # directories (and PMIx's shared-memory stores in them) are per host
        self.tmpdirs = os.path.join(os.path.dirname(self.hostfile), "hosts.d")
        for ns in self.ns:
            os.makedirs(os.path.join(self.tmpdirs, ns), exist_ok=True)
        with open(self.agent, "w") as f:
            f.write('#!/bin/sh\n# plm_rsh_agent: AGENT HOST CMD... runs CMD '
                    'in the namespace HOST\nhost=$1; shift\n'
                    'TMPDIR=%s/$host exec ip netns exec "$host" '
                    '/bin/sh -c "$*"\n' % self.tmpdirs)
        os.chmod(self.agent, 0o755)
        return self

    def __exit__(self, *exc):
        for kind, name in reversed(self.made):
            if kind == "netns":
                subprocess.run(["ip", "netns", "del", name],
                               capture_output=True)
            else:
                subprocess.run(["ip", "link", "del", name],
                               capture_output=True)
        self.made = []

    def opts(self):
        net = self.net + ".0/24"
        return ["--hostfile", self.hostfile,
                "--mca", "plm_rsh_agent", self.agent,
                "--mca", "btl", "tcp,self",
                "--mca", "btl_tcp_if_include", net,
                "--mca", "oob_tcp_if_include", net]
