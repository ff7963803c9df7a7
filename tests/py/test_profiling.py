"""Profiling hooks: --perf-ctl speaks perf stat's control protocol around the
compute phase only, and --stats splits each worker's time."""
import json
import os
import subprocess
import threading

import numpy as np

from shmxtest import SHMX, ShmxTestCase, shmx


class PerfControl(ShmxTestCase):
    def fake_perf(self, ctl, ack, log):
        """Play perf's side: read commands, ack each one."""
        with open(ctl, "rb", buffering=0) as c, open(ack, "wb", buffering=0) as a:
            while True:
                line = c.readline()
                if not line:
                    return
                log.append(line.decode().strip())
                a.write(b"ack\n")

    def test_enable_before_compute_and_disable_after(self):
        src = self.save(np.arange(60000, dtype=np.float64).reshape(6000, 10))
        ctl, ack = os.path.join(self.tmp, "ctl"), os.path.join(self.tmp, "ack")
        os.mkfifo(ctl)
        os.mkfifo(ack)
        log = []
        t = threading.Thread(target=self.fake_perf, args=(ctl, ack, log))
        t.start()
        r = shmx("run", "sum", src, "-j", 2, "--chunk", "8k",
                 "--perf-ctl", f"{ctl},{ack}", "--stats", timeout=30)
        t.join(10)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(log, ["enable", "disable"])
        self.assertEqual(float(r.stdout), float(np.arange(60000).sum()))

    def test_bad_fifos_are_usage_errors(self):
        src = self.save(np.zeros(10))
        r = shmx("run", "sum", src, "--perf-ctl", "/nonexistent/ctl")
        self.assertFails(r, 2, "--perf-ctl: /nonexistent/ctl: No such file or directory")
        r = shmx("run", "sum", src, "--perf-ctl", src)
        self.assertFails(r, 2, f"--perf-ctl: {src} is not a FIFO")
        r = shmx("run", "sum", src, "--perf-ctl", ",x")
        self.assertFails(r, 2, "--perf-ctl: give CTL_FIFO[,ACK_FIFO]")


class WorkerTimeSplit(ShmxTestCase):
    def test_each_worker_reports_where_its_time_went(self):
        src = self.save(np.ones((20000, 16)))
        r = shmx("run", "sumsq", src, "--axis", 1, "-j", 2, "--chunk", "64k",
                 "--stats", "-o", f"shm://{self.kept('o')}")
        self.assertEqual(r.returncode, 0, r.stderr)
        st = json.loads(r.stderr)
        self.assertEqual(len(st["per_worker"]), 2)
        for w in st["per_worker"]:
            for k in ("seconds", "compute", "user", "sys", "wait", "idle",
                      "page_faults"):
                self.assertGreaterEqual(w[k], 0, k)
            self.assertLessEqual(w["compute"], w["seconds"] + 1e-6)
            self.assertGreater(w["page_faults"], 0)
