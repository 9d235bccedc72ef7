#!/usr/bin/env python3
"""Two linked pseudo-terminals, like `socat pty,raw,echo=0,link=A pty,raw,echo=0,link=B`, in the standard library.

Usage: pty-bridge.py LINK_A LINK_B

Opens two ptys in raw mode, points the symlinks LINK_A and LINK_B at their device nodes, prints one JSON line
{"ready": true, "pid": ..., "a": "/dev/pts/N", "b": "/dev/pts/M"} on stdout, then copies bytes both ways between
the two masters until SIGTERM, SIGINT or SIGHUP arrives or stdin reaches end of file (its parent closed the pipe or
died). It then removes the symlinks (if they still point at its ptys) and exits 0. fenghuo's demo uses it when
socat is not installed (node-daemon/sim/pty-pair.ts).
"""

import errno
import json
import os
import select
import signal
import sys
import tty

# Bytes buffered towards one side before the bridge stops reading the other (back-pressure, as socat blocks).
PENDING_LIMIT = 64 * 1024
READ_SIZE = 4096


class Stop(Exception):
    pass


def on_signal(_signum, _frame):
    raise Stop()


def open_pty():
    master, slave = os.openpty()
    # Raw, no echo, no line discipline: bytes go through unchanged (binary protocols). The bridge keeps the slave
    # open so that the master never reads EIO while nobody else has the device open.
    tty.setraw(slave)
    os.set_blocking(master, False)
    return master, slave, os.ttyname(slave)


def place_link(target, link):
    tmp = "%s.%d.tmp" % (link, os.getpid())
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    os.symlink(target, tmp)
    os.replace(tmp, link)


def remove_link(target, link):
    try:
        if os.readlink(link) == target:
            os.unlink(link)
    except OSError:
        pass


def bridge(ma, mb):
    other = {ma: mb, mb: ma}
    # pending[fd]: bytes waiting to be written to master fd.
    pending = {ma: bytearray(), mb: bytearray()}
    stdin_open = True
    while stdin_open:
        readable = [0] + [src for src in (ma, mb) if len(pending[other[src]]) < PENDING_LIMIT]
        writable = [dst for dst in (ma, mb) if pending[dst]]
        r, w, _ = select.select(readable, writable, [])
        if 0 in r:
            try:
                if not os.read(0, READ_SIZE):
                    stdin_open = False
            except OSError:
                stdin_open = False
        for src in (ma, mb):
            if src not in r:
                continue
            try:
                data = os.read(src, READ_SIZE)
            except BlockingIOError:
                continue
            except OSError as e:
                if e.errno == errno.EIO:
                    continue
                raise
            pending[other[src]] += data
        for dst in w:
            try:
                n = os.write(dst, pending[dst])
            except BlockingIOError:
                continue
            del pending[dst][:n]


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: pty-bridge.py LINK_A LINK_B\n")
        return 2
    link_a, link_b = argv[1], argv[2]
    placed = []
    fds = []
    try:
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, on_signal)
        ma, sa, pts_a = open_pty()
        mb, sb, pts_b = open_pty()
        fds.extend([ma, sa, mb, sb])
        for target, link in ((pts_a, link_a), (pts_b, link_b)):
            place_link(target, link)
            placed.append((target, link))
        sys.stdout.write(json.dumps({"ready": True, "pid": os.getpid(), "a": pts_a, "b": pts_b}) + "\n")
        sys.stdout.flush()
        bridge(ma, mb)
    except Stop:
        pass
    except OSError as e:
        sys.stderr.write("pty-bridge: %s\n" % e)
        return 1
    finally:
        # No more signals while tidying up.
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        for target, link in placed:
            remove_link(target, link)
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
