"""Compiles a pattern from a directory whose name holds a newline, a CR,
quotes, a backslash, `*/`, Python and C++ code, with --emit=flex and
--emit=cuda, and checks that both outputs are inert: the Python module
parses, imports without running the injected code and gives the right mask;
no line of either output starts with the injected code.

usage: flex_hostile_path.py ATTNC WORKDIR
"""
import ast
import importlib.util
import os
import subprocess
import sys


def main():
    attnc, work = sys.argv[1:3]
    marker = os.path.join(work, "INJECTED")
    evil = ("evil\nimport os; open(%r, 'w').write('x')\n#error INJECTED\r\n"
            "int injected = 1; */ \"\"\" ' \\ {open(%r, 'w')}\n#" % (marker,
                                                                       marker))
    src_dir = os.path.join(work, evil)
    os.makedirs(src_dir, exist_ok=True)
    attn = os.path.join(src_dir, "p.attn")
    with open(attn, "w") as f:
        f.write("pattern p(param n: int) {\n  mask sliding(n)\n}\n")
    py = os.path.join(work, "hostile_flex.py")
    outputs = {}
    for emit, out in (("flex", py), ("cuda", os.path.join(work, "p.cu"))):
        r = subprocess.run([attnc, "compile", attn, "--emit=" + emit, "-o",
                            out], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"FAIL: --emit={emit}: {r.stderr}")
        with open(out, "rb") as f:
            outputs[emit] = f.read().decode("ascii")  # plain ASCII
    for emit, text in outputs.items():
        for number, line in enumerate(text.splitlines(), 1):
            rest = line.lstrip()
            for bad in ("import os", "#error", "int injected"):
                if rest.startswith(bad):
                    sys.exit(f"FAIL: --emit={emit} line {number} is live "
                             f"injected code: {line}")
    ast.parse(outputs["flex"])
    spec = importlib.util.spec_from_file_location("hostile_flex", py)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mm = mod.make_mask_mod(20, 20, n=3)
    for q in range(20):
        for k in range(20):
            if mm(0, 0, q, k) != (q - 3 < k <= q):
                sys.exit(f"FAIL: mask differs at q={q} k={k}")
    if os.path.exists(marker):
        sys.exit("FAIL: the injected code ran")
    print("ok")


if __name__ == "__main__":
    main()
