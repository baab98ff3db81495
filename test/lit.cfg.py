# lit configuration for attnc.
import os
import shutil
import sys

import lit.formats
from lit.llvm import llvm_config

config.name = "attnc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".attn", ".test"]
config.excludes = ["Inputs", "unit", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attnc_obj_root, "test")

config.environment["FILECHECK_OPTS"] = "--enable-var-scope"
# A fixed cache directory per run keeps tests from touching the user's cache.
config.environment["ATTNC_CACHE_DIR"] = os.path.join(config.test_exec_root, "cache")

llvm_config.with_system_environment(["HOME", "TMPDIR"])
llvm_config.use_default_substitutions()

tools = ["attn-opt", "attn-translate", "attnc", "attnc-unittests"]
llvm_config.add_tool_substitutions(tools, [config.attnc_tools_dir])
llvm_config.with_environment("PATH", config.attnc_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

config.substitutions.append(("%python", sys.executable))
config.substitutions.append(("%examples", os.path.join(config.attnc_src_root, "examples")))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "Inputs")))

# NVRTC tests need no GPU, only an attnc built with the CUDA toolkit.
if getattr(config, "attnc_have_nvrtc", False):
    config.available_features.add("nvrtc")
config.substitutions.append(("%device_include", os.path.join(config.attnc_src_root, "runtime", "device")))

# GPU tests run only where a device is really usable: the driver loads,
# initializes and reports a device (ATTNC_HAVE_CUDA=0 turns them off).
def cuda_usable():
    if os.environ.get("ATTNC_HAVE_CUDA") == "0":
        return False
    import ctypes
    try:
        lib = ctypes.CDLL(os.environ.get("ATTNC_LIBCUDA", "libcuda.so.1"))
        count = ctypes.c_int(0)
        return (lib.cuInit(0) == 0 and
                lib.cuDeviceGetCount(ctypes.byref(count)) == 0 and
                count.value > 0)
    except (OSError, AttributeError):
        return False


if cuda_usable():
    config.available_features.add("cuda")
