"""A check by hand, not a ctest test (it needs Debian's python3-ipykernel
and python3-jupyter-client): shmx in a real Jupyter kernel, a long
shmx.run interrupted as the notebook's interrupt button does it (SIGINT
to the kernel process alone).

    /usr/bin/python3 tests/py/jupyter_check.py build

Prints what the interrupted cell raised, whether the kernel's SIGINT
handler is still its own, the package's temporaries left in /dev/shm and
the kernel's children afterwards; exit status 1 if any is wrong.
"""
import os
import sys
import time

from jupyter_client.manager import start_new_kernel

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
BIG = "shmxpy-%d-jupyter-in" % os.getpid()


def main():
    km, kc = start_new_kernel(kernel_name="python3")

    def collect(msg_id):
        out = []
        while True:
            m = kc.get_iopub_msg(timeout=120)
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            t, c = m["msg_type"], m["content"]
            if t == "stream":
                out.append(c["text"])
            elif t == "error":
                out.append("ERROR " + c["ename"])
            elif t == "status" and c["execution_state"] == "idle":
                return "".join(out).strip()

    def cell(code):
        return collect(kc.execute(code))

    try:
        pid = int(cell(
            "import os, signal, subprocess, sys\n"
            "sys.path.insert(0, %r); os.environ['SHMX_TOOL'] = %r\n"
            "import numpy as np, shmx\n"
            "h = signal.getsignal(signal.SIGINT)\n"
            "shmx.gen((4 << 20, 8), out=%r, workers=2)\n"
            "print(os.getpid())" % (os.path.join(BUILD, "python"),
                                    os.path.join(BUILD, "tools", "shmx"),
                                    "shm://" + BIG)))
        mark = "-.shmx-%d-" % pid  # the tool's temporary of the result
        msg = kc.execute("shmx.run('exp', %r, workers=2, chunk='256k')"
                         % ("shm://" + BIG))
        t0 = time.time()
        while not any(mark in n for n in os.listdir("/dev/shm")):
            if time.time() - t0 > 60:
                raise SystemExit("the run was not seen")
            time.sleep(0.002)
        km.interrupt_kernel()
        raised = collect(msg)
        after = cell(
            "print(signal.getsignal(signal.SIGINT) is h)\n"
            "print([n for n in os.listdir('/dev/shm') "
            "if n.startswith('.shmx-%%d-' %% os.getpid())])\n"
            "print(subprocess.run(['ps', '--ppid', str(os.getpid()), '-o', "
            "'comm='], capture_output=True, text=True).stdout.split())\n"
            "shmx.rm(%r)" % ("shm://" + BIG)).splitlines()
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        try:
            os.unlink("/dev/shm/" + BIG)
        except FileNotFoundError:
            pass
    print("interrupted cell raised:", raised)
    print("SIGINT handler unchanged:", after[0])
    print("temporaries left:", after[1])
    print("children left:", after[2])
    ok = (raised == "ERROR KeyboardInterrupt" and after[0] == "True" and
          after[1] == "[]" and after[2] == "['ps']")
    print("ok" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
