#!/usr/bin/python3
"""The UDP-send workload of scripts/bench.sh.

Usage: sendloop.py PORT N

Binds a receiver to 127.0.0.1:PORT (never read: the kernel drops what does
not fit) and sends N small datagrams to it with sendmsg() from an
unconnected socket. Under driftlock nothing here is held by seccomp: every
datagram is judged by the send gate's BPF program in the kernel, so the
ratio is the gate's cost. Deterministic: the same calls every run.
"""

import socket
import sys


def main():
    if len(sys.argv) != 3:
        print("usage: sendloop.py PORT N", file=sys.stderr)
        return 2
    port = int(sys.argv[1])
    n = int(sys.argv[2])
    dest = ("127.0.0.1", port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        rx.bind(dest)
        data = [b"driftlock bench\n"]
        for _ in range(n):
            tx.sendmsg(data, [], 0, dest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
