#!/bin/sh
# Cut one TCP stream of a corpus pcap into a segment fixture (see README.md).
# usage: extract.sh PCAP STREAM OUT.seg
set -eu
tshark -r "$1" -q -z "follow,tcp,raw,$2" 2>/dev/null | python3 -c '
import sys, struct
out = bytearray()
body = False
for line in sys.stdin:
    if line.startswith("Node 1:"):
        body = True
        continue
    if not body or line.startswith("====") or not line.strip():
        continue
    d = b"S" if line.startswith("\t") else b"C"
    data = bytes.fromhex(line.strip())
    out += d + struct.pack(">I", len(data)) + data
sys.stdout.buffer.write(out)
' > "$3"
