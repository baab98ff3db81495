# Checks `attnc show --json` against the exact mask of `attnc mask`: the
# allowed pair count and every cell density of the grid (cells laid out as
# attnc does: row r covers queries [r*Nq//rows, (r+1)*Nq//rows)).
# Usage: show-vs-mask.py MASK.npy SHOW.json
import ast
import json
import sys

data = open(sys.argv[1], "rb").read()
assert data[:6] == b"\x93NUMPY", "bad magic"
hlen, start = int.from_bytes(data[8:10], "little"), 10
meta = ast.literal_eval(data[start:start + hlen].decode("latin1"))
heads, nq, nk = meta["shape"]
body = data[start + hlen:]
show = json.load(open(sys.argv[2]))
h = show["head"]
assert show["seq"] == [nq, nk], (show["seq"], nq, nk)
plane = body[h * nq * nk:(h + 1) * nq * nk]

allowed = sum(plane)
problems = []
if show["allowed_pairs"] != allowed:
    problems.append("allowed_pairs %d, mask %d" % (show["allowed_pairs"], allowed))
if show["pairs"] != nq * nk:
    problems.append("pairs %d, expected %d" % (show["pairs"], nq * nk))

grid = show["grid"]
rows, cols = grid["rows"], grid["cols"]
for r in range(rows):
    q0, q1 = r * nq // rows, (r + 1) * nq // rows
    for c in range(cols):
        k0, k1 = c * nk // cols, (c + 1) * nk // cols
        count = sum(sum(plane[q * nk + k0:q * nk + k1]) for q in range(q0, q1))
        exact = count / ((q1 - q0) * (k1 - k0))
        got = grid["density"][r][c]
        if abs(got - exact) > 0.00005 + 1e-9:
            problems.append("cell (%d, %d): %s, exact %.6f" % (r, c, got, exact))

if problems:
    print("MISMATCH", "; ".join(problems[:5]))
else:
    print("ok: %d allowed pairs, %d x %d cells" % (allowed, rows, cols))
