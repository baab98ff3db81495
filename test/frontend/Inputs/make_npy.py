"""Writes a small .npy file without numpy: make_npy.py OUT DESCR SHAPE VALUES.

DESCR is a NumPy dtype descr such as '|b1', '|u1', '<i4', '<i8', '<f4';
SHAPE is comma-separated; VALUES are comma-separated integers or floats, or
the word `zeros` for an array of zeros of the whole shape.
"""
import struct
import sys

out, descr, shape_s, values_s = sys.argv[1:5]
shape = tuple(int(x) for x in shape_s.split(",") if x)
if values_s == "zeros":
    count = 1
    for d in shape:
        count *= d
    values = [0] * count
else:
    values = [float(v) if "." in v else int(v) for v in values_s.split(",") if v]
fmt = {"|b1": "?", "|u1": "B", "|i1": "b", "<i2": "h", "<i4": "i", "<i8": "q",
       "<f4": "f", "<f8": "d"}[descr]
shape_text = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape_text)
pad = 64 - (10 + len(header) + 1) % 64
header = header + " " * pad + "\n"
with open(out, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00")
    f.write(struct.pack("<H", len(header)))
    f.write(header.encode("latin1"))
    f.write(struct.pack("<%d%s" % (len(values), fmt), *values))
