#!/usr/bin/python3
"""The file-write workload of scripts/bench.sh.

Usage: fileloop.py DIR N

N times: create and write DIR/fK.tmp, rename it to DIR/fK, unlink DIR/fK,
with K cycling over 8 names. Under driftlock each iteration is three held
calls (the write-open, the rename, the unlink); the names repeat so that the
learned profile stays small (8 + 8 paths), as a real service's would, and
the benchmark measures interception rather than a profile of 10^4 rules.
Deterministic: the same calls in the same order every run, and DIR is left
as it was found.
"""

import os
import sys


def main():
    if len(sys.argv) != 3:
        print("usage: fileloop.py DIR N", file=sys.stderr)
        return 2
    d = sys.argv[1]
    n = int(sys.argv[2])
    data = b"driftlock bench\n" * 4
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
    for i in range(n):
        final = f"{d}/f{i % 8}"
        tmp = final + ".tmp"
        fd = os.open(tmp, flags, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        os.rename(tmp, final)
        os.unlink(final)
    return 0


if __name__ == "__main__":
    sys.exit(main())
