# Prints a bool .npy mask [H, Nq, Nk] as its header and one 0/1 string per row.
# Parses the format by hand (no numpy): magic, version, header length, header.
import ast
import sys

data = open(sys.argv[1], "rb").read()
assert data[:6] == b"\x93NUMPY", "bad magic"
major, minor = data[6], data[7]
if major == 1:
    hlen, start = int.from_bytes(data[8:10], "little"), 10
else:
    hlen, start = int.from_bytes(data[8:12], "little"), 12
header = data[start:start + hlen].decode("latin1")
assert (start + hlen) % 64 == 0, "header not padded to 64 bytes"
assert header.endswith("\n"), "header does not end in a newline"
meta = ast.literal_eval(header)
shape = meta["shape"]
print("version %d.%d descr %s fortran %s shape %s" % (
    major, minor, meta["descr"], meta["fortran_order"],
    "x".join(str(d) for d in shape)))
body = data[start + hlen:]
h, nq, nk = shape
assert len(body) == h * nq * nk, "data has %d bytes, expected %d" % (len(body), h * nq * nk)
assert set(body) <= {0, 1}, "bool data must be 0 or 1"
for i in range(h):
    print("head %d" % i)
    for q in range(nq):
        row = body[(i * nq + q) * nk:(i * nq + q + 1) * nk]
        print("".join(str(b) for b in row))
