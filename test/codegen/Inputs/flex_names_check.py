"""Checks an --emit=flex module whose run-time parameters are named like the
module's own names (nq, nk, device, batch, BLOCK_SIZE, params, ...), and the
device block_mask() chooses, without torch: a fake `torch` module stands in
for PyTorch and records what create_block_mask receives.

Every parameter gets a different value; mask_mod must equal `attnc mask`
with those values, through make_mask_mod(nq, nk, **values) and through
block_mask(nq, nk, ..., params={...}, **values).

usage: flex_names_check.py ATTNC WORKDIR FILE.attn PATTERN
"""
import importlib.util
import os
import subprocess
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flex_check import read_npy, run  # noqa: E402


class FakeTensor:
    """Just what the module asks of a tensor: shape, dim(), device."""

    def __init__(self, shape, device, value=None):
        self.shape, self.device, self.value = tuple(shape), device, value

    def dim(self):
        return len(self.shape)

    def __index__(self):
        assert not self.shape, "only a 0-d tensor is a length"
        return self.value


CUDA = {"available": False}
CALLS = []


def create_block_mask(mask_mod, B=None, H=None, Q_LEN=None, KV_LEN=None,
                      device="cuda", BLOCK_SIZE=128):
    CALLS.append(dict(mask_mod=mask_mod, B=B, H=H, Q_LEN=Q_LEN, KV_LEN=KV_LEN,
                      device=device, BLOCK_SIZE=BLOCK_SIZE))
    return "block mask"


def install_fake_torch():
    torch = types.ModuleType("torch")
    torch.Tensor = FakeTensor
    torch.cuda = types.SimpleNamespace(is_available=lambda: CUDA["available"])
    flex = types.ModuleType("torch.nn.attention.flex_attention")
    flex.create_block_mask = create_block_mask
    sys.modules["torch"] = torch
    sys.modules["torch.nn"] = types.ModuleType("torch.nn")
    sys.modules["torch.nn.attention"] = types.ModuleType("torch.nn.attention")
    sys.modules["torch.nn.attention.flex_attention"] = flex


def fail(message):
    sys.exit(f"FAIL: {message}")


def expect_raises(exc, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except exc as e:
        return str(e)
    fail(f"{fn.__name__}{args} {kw} did not raise {exc.__name__}")


def compare(mask_mod, expected, nq, nk, what):
    for q in range(nq):
        for k in range(nk):
            if mask_mod(0, 0, q, k) != bool(expected[q * nk + k]):
                fail(f"{what}: q={q} k={k} differs from attnc mask")


def main():
    attnc, work, attn_file, pattern = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    py = os.path.join(work, "flex_names_module.py")
    run([attnc, "compile", attn_file, "--pattern", pattern, "--emit=flex",
         "-o", py])
    install_fake_torch()
    spec = importlib.util.spec_from_file_location("flex_names_module", py)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)

    own = {"device", "batch", "BLOCK_SIZE", "params", "heads"}
    nq, nk = 23, 31
    for values in ({n: i + 1 for i, n in enumerate(mod.PARAMS)},
                   {n: 40 - 2 * i for i, n in enumerate(mod.PARAMS)}):
        npy = os.path.join(work, "mask.npy")
        cmd = [attnc, "mask", attn_file, "--pattern", pattern, "--seq",
               str(nq), "--kv-seq", str(nk), "-o", npy]
        for name, value in values.items():
            cmd += ["--set", f"{name}={value}"]
        run(cmd)
        shape, expected = read_npy(npy)
        assert shape == (1, nq, nk), shape

        # make_mask_mod: nq and nk positional, every parameter by keyword.
        compare(mod.make_mask_mod(nq, nk, **values), expected, nq, nk,
                f"make_mask_mod {values}")

        # block_mask: its own names by keyword mean its own arguments; the
        # parameters named like them go in params=.
        mine = {n: v for n, v in values.items() if n in own}
        rest = {n: v for n, v in values.items() if n not in own}
        CALLS.clear()
        CUDA["available"] = False
        if mod.block_mask(nq, nk, params=mine, **rest) != "block mask":
            fail("block_mask did not return create_block_mask's result")
        call = CALLS[-1]
        compare(call["mask_mod"], expected, nq, nk, f"block_mask {values}")
        want = dict(B=None, H=None, Q_LEN=nq, KV_LEN=nk, device="cpu",
                    BLOCK_SIZE=128)
        got = {k: v for k, v in call.items() if k != "mask_mod"}
        if got != want:
            fail(f"create_block_mask got {got}, expected {want}")
        # Its own arguments and the parameters side by side.
        mod.block_mask(nq, nk, device="meta", BLOCK_SIZE=64, params=mine,
                       **rest)
        call = CALLS[-1]
        compare(call["mask_mod"], expected, nq, nk, "block_mask(device=...)")
        if (call["device"], call["BLOCK_SIZE"]) != ("meta", 64):
            fail(f"device/BLOCK_SIZE not passed through: {call}")
        # Every parameter may come in params=.
        mod.block_mask(nq, nk, params=values)
        compare(CALLS[-1]["mask_mod"], expected, nq, nk, "params=values")

    values = {n: 1 for n in mod.PARAMS}
    mine = {n: v for n, v in values.items() if n in own}
    rest = {n: v for n, v in values.items() if n not in own}

    # The device: explicit, else the tensors', else CUDA only if available.
    CUDA["available"] = True
    mod.block_mask(nq, nk, params=mine, **rest)
    if CALLS[-1]["device"] != "cuda":
        fail(f"with CUDA available the default is {CALLS[-1]['device']}")
    mod.block_mask(nq, nk, device="cpu", params=mine, **rest)
    if CALLS[-1]["device"] != "cpu":
        fail("an explicit device is not used")
    q = FakeTensor((2, 3, nq, 16), "xpu:1")
    k = FakeTensor((2, 3, nk, 16), "xpu:1")
    mod.block_mask(q, k, params=mine, **rest)
    call = CALLS[-1]
    if (call["device"], call["Q_LEN"], call["KV_LEN"]) != ("xpu:1", nq, nk):
        fail(f"query/key tensors: {call}")
    mod.block_mask(FakeTensor((), "xpu:2", nq), nk, params=mine, **rest)
    if (CALLS[-1]["device"], CALLS[-1]["Q_LEN"]) != ("xpu:2", nq):
        fail(f"a 0-d length tensor: {CALLS[-1]}")
    CUDA["available"] = False

    # Errors: a parameter given twice, one left out (device= is block_mask's
    # own argument, not the parameter), an unknown one.
    msg = expect_raises(TypeError, mod.block_mask, nq, nk,
                        params=dict(mine, nq=1), **rest)
    assert "'nq' is given twice" in msg, msg
    msg = expect_raises(TypeError, mod.block_mask, nq, nk, device="cpu",
                        params={n: v for n, v in mine.items()
                                if n != "device"}, **rest)
    assert "parameter 'device'" in msg, msg
    msg = expect_raises(TypeError, mod.block_mask, nq, nk, params=mine,
                        devcie=1, **rest)
    assert "no run-time parameter 'devcie'" in msg, msg
    msg = expect_raises(TypeError, mod.make_mask_mod, nq, nk, **dict(
        values, extra=1))
    assert "'extra'" in msg, msg
    print("ok")


if __name__ == "__main__":
    main()
