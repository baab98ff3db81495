#!/usr/bin/env python3
"""Writes the seed corpus of attnc-fuzz-npy: make-npy-seeds.py OUTDIR.

Small .npy files written by hand (no numpy needed), byte for byte as NumPy
lays them out: every dtype attnc reads, format versions 1.0, 2.0 and 3.0,
scalars, empty and 3-d arrays, and the header spellings older NumPy versions
wrote. The committed copy is test/fuzz/npy/; rerun this only to change it.
"""
import os
import struct
import sys

DTYPES = {"|b1": "?", "|u1": "B", "|i1": "b", "<i2": "h", "<i4": "i",
          "<i8": "q", "<f2": "e", "<f4": "f", "<f8": "d"}


def npy(descr, shape, values, version=1, order="False", shape_text=None,
        key_order=("descr", "fortran_order", "shape")):
    if shape_text is None:
        shape_text = "(" + ", ".join(str(d) for d in shape) + \
            ("," if len(shape) == 1 else "") + ")"
    quoted = descr if descr.startswith("[") else "'%s'" % descr
    fields = {"descr": quoted, "fortran_order": order,
              "shape": shape_text}
    header = "{" + ", ".join("'%s': %s" % (k, fields[k])
                             for k in key_order) + ", }"
    prefix = 10 if version == 1 else 12
    pad = 64 - (prefix + len(header) + 1) % 64
    header = (header + " " * pad + "\n").encode("utf-8" if version == 3
                                                 else "latin1")
    length = struct.pack("<H" if version == 1 else "<I", len(header))
    data = struct.pack("<%d%s" % (len(values), DTYPES[descr]), *values) \
        if descr in DTYPES else b""
    return b"\x93NUMPY" + bytes([version, 0]) + length + header + data


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    seeds = {}
    for descr, fmt in DTYPES.items():
        name = descr.strip("<|")
        vals = [0, 1, 0, 1, 1, 0] if fmt == "?" else \
            [0.5, -1.25, 3.0, 1e30, -0.0, 7.0] if fmt in "efd" else \
            [0, 1, -1, 2, 127, -128] if fmt in "bhiq" else [0, 1, 2, 3, 254, 255]
        if fmt in "efd":
            vals[3] = 1e4 if fmt == "e" else vals[3]
        seeds["%s-2x3" % name] = npy(descr, (2, 3), vals)
        seeds["%s-scalar" % name] = npy(descr, (), vals[:1])
    seeds["i8-table-2x4x4"] = npy("<i8", (2, 4, 4), list(range(32)))
    seeds["b1-empty-0x4"] = npy("|b1", (0, 4), [])
    seeds["f4-1d"] = npy("<f4", (5,), [1, 2, 3, 4, 5])
    seeds["f4-v2"] = npy("<f4", (2, 2), [1, 2, 3, 4], version=2)
    seeds["u1-v3"] = npy("|u1", (3,), [1, 2, 3], version=3)
    seeds["i4-long-dims"] = npy("<i4", (2, 2), [1, 2, 3, 4],
                                shape_text="(2L, 2L)")
    seeds["i4-keys-reordered"] = npy("<i4", (1, 2), [5, 6],
                                     key_order=("shape", "descr",
                                                "fortran_order"))
    seeds["f8-fortran"] = npy("<f8", (2, 1), [1, 2], order="True")
    seeds["f4-big-endian"] = npy(">f4", (1,), [])
    seeds["structured"] = npy("[('a', '<f4')]", (1,), [])
    seeds["truncated"] = npy("<i8", (4,), [1, 2])
    for name, data in seeds.items():
        with open(os.path.join(out, name + ".npy"), "wb") as f:
            f.write(data)


main()
