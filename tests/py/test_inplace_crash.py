"""Crash-safe --in-place runs killed at random moments, as SQLite tests its
journal; each time the bytes must be those of an uninterrupted run:

  - SIGKILL of the run (its whole process group, or one worker, which is
    retried) at a random moment, and of resume, then resume again
  - power loss: SHMX_POWERLOSS keeps the bytes each sync made durable; the
    run (and resume) is killed at a random moment and the disk as a power
    loss could have left it (the synced bytes, and each page written since
    either as it is or as it was) is put in place and resumed

$SHMX_JOURNAL_ITER sets the iterations of each (default 12 here;
tests/stress/run gives hundreds), $SHMX_STRESS_SEED the seed.
"""
import os
import shutil
import signal
import time
import unittest

from shmxtest import fault_hooks, run
from test_inplace_journal import (SEED, Journal, children, journal_of,
                                  kill_group, read, start, write)

ITER = max(1, int(os.environ.get("SHMX_JOURNAL_ITER", "12")))
PAGE = 4096


class Kills(Journal):
    CONFIGS = (("scale:2", "f64", "1"), ("add:7", "i32", "2"),
               ("scale:2", "f32", "3"), ("neg", "i64", "2"))

    def kill_at_random(self, args, span, worker=False):
        """Start args, SIGKILL it (the group, or one worker) at a random
        moment in [0, span); its exit status, or None when killed."""
        # LeakSanitizer's exit check runs in a child of its own, which a
        # random kill of a child may hit: the parent would wait forever
        quiet = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"),
                                       "detect_leaks=0"]))
        p = start(args, **({"ASAN_OPTIONS": quiet} if worker else {}))
        time.sleep(self.rng.uniform(0, span))
        if worker:
            kids = children(p.pid)
            if kids:
                try:
                    os.kill(self.rng.choice(kids), signal.SIGKILL)
                except ProcessLookupError:
                    pass  # it had done its chunks and exited: nothing killed
            err = p.communicate()[1].decode()
            return p.returncode, err
        kill_group(p)
        return None, ""

    def test_killed_at_random_moments(self):
        outcomes = {"interrupted": 0, "finished": 0, "not begun": 0,
                    "retried": 0, "resume killed": 0}
        for i in range(ITER):
            op, dt, j = self.CONFIGS[i % len(self.CONFIGS)]
            path = self.gen("k.npy", "8000x5", dt, seed=i)
            want = self.reference(path, op, "-j", j, "--chunk", "16k")
            args = ["run", op, path, "--in-place", "-j", j, "--chunk", "16k"]
            t0 = time.monotonic()
            shutil.copyfile(path, path + ".orig")
            r = run(*args)
            self.assertEqual(r.status, 0, r.err)
            span = (time.monotonic() - t0) * 1.2
            shutil.copyfile(path + ".orig", path)
            worker = i % 3 == 2
            status, err = self.kill_at_random(args, span, worker)
            if worker:  # one death: retried, the same bytes
                self.assertEqual((status, err), (0, ""))
                outcomes["retried"] += 1
            elif os.path.exists(journal_of(path)):
                outcomes["interrupted"] += 1
                if i % 2:
                    self.kill_at_random(["resume", path, "-j", j], span)
                    outcomes["resume killed"] += 1
                if os.path.exists(journal_of(path)):
                    self.finish(path, "-j", j)
            elif read(path) == read(path + ".orig"):
                outcomes["not begun"] += 1  # killed before its journal
                want = read(path + ".orig")
            else:
                outcomes["finished"] += 1
            self.assertEqual(read(path), want, (i, op, dt, j, outcomes))
            os.unlink(path + ".orig")
        print("\nkills (seed %d): %s" % (SEED, outcomes))
        if ITER >= 8:
            self.assertGreater(outcomes["interrupted"], 0, outcomes)


@unittest.skipUnless(fault_hooks(), "needs a build with fault hooks")
class PowerLoss(Journal):
    """SHMX_POWERLOSS=DIR: DIR/target and DIR/journal hold what the syncs
    made durable; a page written since may or may not have reached the
    disk, so the disk after a power loss is, page by page, either."""

    def mix(self, durable, latest):
        if latest is None or len(latest) != len(durable):
            return durable
        out = bytearray(durable)
        for off in range(0, len(durable), PAGE):
            if durable[off:off + PAGE] != latest[off:off + PAGE] and \
                    self.rng.random() < 0.5:
                out[off:off + PAGE] = latest[off:off + PAGE]
        return bytes(out)

    def crash(self, args, path, mirror, span):
        """Run args under the mirror, cut the power at a random moment,
        and put the disk as it could be in place of path and its journal."""
        p = start(args, SHMX_POWERLOSS=mirror)
        time.sleep(self.rng.uniform(0, span))
        kill_group(p)
        m_target = os.path.join(mirror, "target")
        m_journal = os.path.join(mirror, "journal")
        disk = self.mix(read(m_target), read(path))
        latest = read(journal_of(path)) if os.path.exists(journal_of(path)) \
            else None
        journal = self.mix(read(m_journal), latest) \
            if os.path.exists(m_journal) else None
        # the machine comes back: that disk, and the mirror starts from it
        write(path, disk)
        write(m_target, disk)
        if os.path.exists(journal_of(path)):
            os.unlink(journal_of(path))
        if journal is not None:
            write(journal_of(path), journal)
            write(m_journal, journal)
        elif os.path.exists(m_journal):
            os.unlink(m_journal)
        return journal is not None

    def test_power_loss_at_random_moments(self):
        mirror = os.path.join(self.tmp, "mirror")
        os.mkdir(mirror)
        outcomes = {"journal": 0, "none": 0, "resume cut": 0}
        for i in range(ITER):
            j = str(1 + i % 3)
            path = self.gen("p.npy", "8000x5", seed=i)
            orig = read(path)
            want = self.reference(path, "scale:2", "--chunk", "16k")
            args = ["run", "scale:2", path, "--in-place", "-j", j, "--chunk",
                    "16k"]
            t0 = time.monotonic()
            self.assertEqual(run(*args).status, 0)
            span = (time.monotonic() - t0) * 1.2
            write(path, orig)
            for f in os.listdir(mirror):
                os.unlink(os.path.join(mirror, f))
            write(os.path.join(mirror, "target"), orig)
            if not self.crash(args, path, mirror, span):
                outcomes["none"] += 1
                self.assertIn(read(path), (orig, want), i)
                continue
            outcomes["journal"] += 1
            if i % 2 and self.crash(["resume", path, "-j", j], path, mirror,
                                    span):
                outcomes["resume cut"] += 1
            if os.path.exists(journal_of(path)):
                self.finish(path, "-j", j)
            self.assertIn(read(path), (orig, want) if not
                          os.path.exists(journal_of(path)) else (want,), i)
            self.assertEqual(read(path), want, (i, outcomes))
        print("\npower losses (seed %d): %s" % (SEED, outcomes))
        if ITER >= 8:
            self.assertGreater(outcomes["journal"], 0, outcomes)


if __name__ == "__main__":
    unittest.main()
