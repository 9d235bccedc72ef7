#!/usr/bin/python3
"""Stands in for systemd's end of sd_notify(3) in tests: binds a unix datagram socket (the NOTIFY_SOCKET a
service gets), prints one JSON line per datagram received ({"t": epoch ms, "fields": [...], "pid": sender,
"fds": n}) and closes every file descriptor passed with it, as PID 1 does, which is what releases a
`systemd-notify` waiting on its BARRIER=1. Prints READY once bound. Runs until killed."""
import array
import json
import os
import socket
import struct
import sys
import time

path = sys.argv[1]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
os.chmod(path, 0o777)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
print("READY", flush=True)
while True:
    msg, anc, _flags, _addr = sock.recvmsg(65536, socket.CMSG_SPACE(16 * 4) + socket.CMSG_SPACE(12))
    fds = []
    pid = None
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            a = array.array("i")
            a.frombytes(data[: len(data) - (len(data) % a.itemsize)])
            fds.extend(a)
        elif level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", data[:12])[0]
    text = msg.decode("utf-8", "replace")
    print(json.dumps({"t": time.time() * 1000, "fields": [f for f in text.split("\n") if f], "pid": pid, "fds": len(fds)}), flush=True)
    for fd in fds:
        os.close(fd)
