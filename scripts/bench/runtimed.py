#!/usr/bin/python3
"""Times one command for scripts/bench.sh on the monotonic clock.

Usage: runtimed.py TIMEOUT_SECONDS CMD [ARG...]

Prints "ELAPSED_NS STATUS CPU_NS" on stdout: STATUS is the command's exit
status (128+N if signal N killed it, 124 if it ran past TIMEOUT_SECONDS),
CPU_NS the user+system time of the command and of every descendant it
reaped (a shell its children, driftlock and strace the whole tree they
supervise, their own time included): less sensitive than the elapsed time
to other tenants of a shared machine.
The command's stdin and stdout are /dev/null (opened here, so that no
variant pays for them under supervision); its stderr is ours, which is
where driftlock's --stats line ends up.

The command runs in a session of its own: on a timeout or when we are
interrupted, every process of that session is killed, so a hung
supervised tree never outlives the benchmark.
"""

import os
import signal
import subprocess
import sys
import threading
import time


def kill_session(sid):
    """SIGKILLs every process whose session id is SID."""
    for _ in range(3):
        found = False
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            # The fields after the command name (which may hold spaces and
            # parentheses) start after the last ')': state ppid pgrp session.
            fields = stat[stat.rfind(b")") + 2:].split()
            if len(fields) > 3 and int(fields[3]) == sid:
                found = True
                try:
                    os.kill(int(name), signal.SIGKILL)
                except OSError:
                    pass
        if not found:
            return
        time.sleep(0.05)


def main():
    if len(sys.argv) < 3:
        print("usage: runtimed.py TIMEOUT_SECONDS CMD [ARG...]", file=sys.stderr)
        return 2
    timeout = float(sys.argv[1])
    cmd = sys.argv[2:]

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(signum)

    signal.signal(signal.SIGTERM, interrupted)

    timed_out = threading.Event()
    t0 = time.monotonic_ns()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            start_new_session=True)

    def expire():
        timed_out.set()
        kill_session(proc.pid)

    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    try:
        # wait4 rather than Popen.wait: it also gives the CPU time.
        _, wstatus, rusage = os.wait4(proc.pid, 0)
        t1 = time.monotonic_ns()
    except KeyboardInterrupt:
        kill_session(proc.pid)
        os.waitpid(proc.pid, 0)
        raise
    finally:
        timer.cancel()
    proc.returncode = 0     # reaped above; keeps Popen from waiting again
    status = os.waitstatus_to_exitcode(wstatus)
    if timed_out.is_set():
        print(f"runtimed: timed out after {timeout:g} s: {' '.join(cmd)}",
              file=sys.stderr)
        status = 124
    cpu_ns = round((rusage.ru_utime + rusage.ru_stime) * 1e9)
    if status < 0:
        status = 128 - status
    print(f"{t1 - t0} {status} {cpu_ns}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
