# Runs attnc with hostile file names (quotes, backslashes, newlines, tabs,
# control characters, invalid UTF-8) and checks that every --json output
# parses and gives the names back: exactly for valid UTF-8, with U+FFFD for
# each invalid byte.
# usage: json-strings.py RUN.attn PATTERNS.attn TMPDIR
import json
import os
import subprocess
import sys

run_attn, patterns_attn, tmp = sys.argv[1], sys.argv[2], sys.argv[3]
hostile = 'we"ird\\name\nnew\tline\x01\x1f \u00e9\u4e2d'
failures = 0


def attnc(*args, env=None):
    proc = subprocess.run(["attnc", *args], capture_output=True, env=env)
    if proc.returncode != 0:
        sys.exit("attnc %s failed: %s" % (args, proc.stderr.decode(errors="replace")))
    return json.loads(proc.stdout)  # fails on any malformed JSON


def expect(what, got, want):
    global failures
    if got != want:
        failures += 1
        print("MISMATCH %s: %r != %r" % (what, got, want))
    else:
        print("ok %s" % what)


# The JIT cache under a hostile directory: --path, --list, --clear.
cache = os.path.join(tmp, "cache " + hostile)
env = dict(os.environ, ATTNC_CACHE_DIR=cache)
expect("cache --path", attnc("cache", "--path", "--json", env=env)["path"], cache)
attnc("run", run_attn, "--random", "1,1,20,8", "--json", env=env)
listed = attnc("cache", "--list", "--json", env=env)
expect("cache --list root", listed["root"], cache)
expect("cache --list entries", listed["count"], 1)
expect("cache --list path", listed["entries"][0]["path"].startswith(cache), True)
expect("cache --clear", attnc("cache", "--clear", "--json", env=env)["removed"], 1)

# Output files with hostile names.
out = os.path.join(tmp, hostile + ".npy")
ran = attnc("run", run_attn, "--random", "1,1,20,8", "-o", out, "--check", "--json")
expect("run output", ran["output"], out)
expect("run check", ran["check"]["ok"], True)
image = os.path.join(tmp, hostile + ".svg")
shown = attnc("show", patterns_attn, "--seq", "16", "--json", "-o", image)
expect("show image", shown["image"], image)
expect("show image written", os.path.exists(image), True)

# Invalid UTF-8 in a name: each bad byte reads back as U+FFFD.
raw = os.fsencode(tmp) + b"/bad\xff\xfe\xc3(name.svg"
proc = subprocess.run([b"attnc", b"show", os.fsencode(patterns_attn), b"--seq",
                       b"16", b"--json", b"-o", raw], capture_output=True)
expect("invalid utf-8 exit", proc.returncode, 0)
expect("invalid utf-8 image", json.loads(proc.stdout)["image"],
       tmp + "/bad\ufffd\ufffd\ufffd(name.svg")
sys.exit(1 if failures else 0)
