#!/usr/bin/env python3
"""Cut one TCP stream of a pcap into a TLS decoder fixture.

usage: extract.py CAPTURE STREAM OUT.bin [MAX_BYTES]

Runs `tshark -q -z follow,tcp,raw,STREAM` (reassembled, in-order payload of
each direction, one chunk per TCP segment) and writes the chunks in capture
order as records of: direction (1 byte: 0 = client/originator, 1 = server),
length (4 bytes, big endian), payload bytes. With MAX_BYTES, chunks
after the first MAX_BYTES payload bytes are left out (the handshake is at
the front; the encrypted bulk is not needed).
"""
import struct
import subprocess
import sys


def chunks(capture, stream):
    out = subprocess.run(
        ["tshark", "-r", capture, "-q", "-z", f"follow,tcp,raw,{stream}"],
        check=True, capture_output=True, text=True,
    ).stdout
    body = False
    for line in out.splitlines():
        if line.startswith("Node 1:"):
            body = True
            continue
        if not body or line.startswith("====="):
            continue
        d = 1 if line.startswith("\t") else 0
        hexdata = line.strip()
        if hexdata:
            yield d, bytes.fromhex(hexdata)


def main():
    capture, stream, dest = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    limit = int(sys.argv[4]) if len(sys.argv) > 4 else None
    total = 0
    with open(dest, "wb") as f:
        for d, data in chunks(capture, stream):
            if limit is not None and total >= limit:
                break
            total += len(data)
            f.write(struct.pack(">BI", d, len(data)))
            f.write(data)


if __name__ == "__main__":
    main()
