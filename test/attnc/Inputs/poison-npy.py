# Overwrites element INDEX (flat) of a float .npy file with nan, inf or -inf.
# usage: poison-npy.py FILE INDEX VALUE
import struct
import sys

path, index, value = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
data = bytearray(open(path, "rb").read())
start = 10 + int.from_bytes(data[8:10], "little")
header = data[10:start].decode("latin1")
fmt, size = ("<f", 4) if "'<f4'" in header else ("<e", 2)
struct.pack_into(fmt, data, start + index * size, value)
open(path, "wb").write(data)
