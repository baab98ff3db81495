# Writes deterministic pseudo-random [B, H, N, D] .npy files without numpy.
# usage: make-qkv.py OUT.npy B H N D [f4|f2|i8] [seed]
import struct
import sys

out, b, h, n, d = sys.argv[1], *map(int, sys.argv[2:6])
kind = sys.argv[6] if len(sys.argv) > 6 else "f4"
seed = int(sys.argv[7]) if len(sys.argv) > 7 else 1
count = b * h * n * d
state = seed * 2654435761 % 2**32 or 1
values = []
for _ in range(count):
    state = (state * 1103515245 + 12345) % 2**31
    values.append((state / 2**31) * 4.0 - 2.0)
if kind == "f4":
    data = struct.pack("<%df" % count, *values)
elif kind == "f2":
    data = struct.pack("<%de" % count, *values)
else:
    data = struct.pack("<%dq" % count, *[int(v * 10) for v in values])
header = "{'descr': '<%s', 'fortran_order': False, 'shape': (%d, %d, %d, %d), }" % (
    kind, b, h, n, d)
header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
with open(out, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    f.write(data)
