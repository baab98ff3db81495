# ctest `install`: installs the build into a fresh prefix and uses it the way
# a user would. Run by test/install/CMakeLists.txt with cmake -P and
#   BUILD_DIR SOURCE_DIR WORK_DIR LIBDIR CXX GENERATOR HAVE_NVRTC PYTHON [GXX]
# Checks, each a step that stops the test with its output on failure:
#  - the installed tools (attnc, attn-opt, attn-translate) start and work
#    under `env -i` (no LD_LIBRARY_PATH, no HOME);
#  - the installed package names no path of the build or source tree;
#  - app/ (example 02 with a naive check) builds with find_package(attnc)
#    and attnc::attnc, and computes attention correctly, also when built
#    with g++ (GXX, when there is one);
#  - runtime-app/ builds with find_package(attnc COMPONENTS runtime) and
#    attnc::runtime alone (no MLIR or LLVM linked), and runs a cubin bundle
#    compiled by the installed attnc: without a GPU it must fail with
#    "CUDA is not available: ..."; with one it must compute correctly.
cmake_minimum_required(VERSION 3.20)

foreach(var BUILD_DIR SOURCE_DIR WORK_DIR LIBDIR CXX GENERATOR PYTHON)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "InstallTest.cmake needs -D${var}=...")
  endif()
endforeach()

set(prefix ${WORK_DIR}/prefix)
set(here ${SOURCE_DIR}/test/install)
set(cache ${WORK_DIR}/cache)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

include(${CMAKE_CURRENT_LIST_DIR}/Step.cmake)

# Installed programs run with an empty environment, except a cache directory
# for the JIT (so the test leaves the user's cache alone).
set(bare env -i)
set(bare_cache env -i ATTNC_CACHE_DIR=${cache})

step(NAME install COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

foreach(f include/attn/attn.h include/attn/types.h include/attn/runtime.h
          ${LIBDIR}/libattn_rt.a ${LIBDIR}/libattn_support.a ${LIBDIR}/libattn_jit.a
          ${LIBDIR}/cmake/attnc/attncConfig.cmake
          ${LIBDIR}/cmake/attnc/attncConfigVersion.cmake
          bin/attnc bin/attn-opt bin/attn-translate share/attnc/prelude.attn)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "[install] ${prefix}/${f} was not installed")
  endif()
endforeach()

# The package must work after the build tree is gone.
file(GLOB package_files ${prefix}/${LIBDIR}/cmake/attnc/*.cmake)
foreach(f IN LISTS package_files)
  file(READ ${f} text)
  foreach(tree ${SOURCE_DIR} ${BUILD_DIR})
    string(FIND "${text}" "${tree}" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "[package] ${f} names ${tree}")
    endif()
  endforeach()
endforeach()
message(STATUS "[package] ok")

# --- The installed tools, with no environment ----------------------------
step(NAME attnc-help COMMAND ${bare} ${prefix}/bin/attnc --help MATCH "attnc")
# streaming_llm calls the prelude's `streaming`: the prelude is built in.
step(NAME attnc-show
  COMMAND ${bare} ${prefix}/bin/attnc show ${here}/app/sliding.attn
          --pattern streaming_llm --seq 256
  MATCH "pattern streaming_llm" "density")
step(NAME attnc-run
  COMMAND ${bare_cache} ${prefix}/bin/attnc run ${here}/app/sliding.attn
          --random 1,2,130,32 --check
  MATCH "check: largest absolute error [^\n]*: ok")
step(NAME attn-opt COMMAND ${bare} ${prefix}/bin/attn-opt --version
  MATCH "LLVM")
step(NAME attn-translate COMMAND ${bare} ${prefix}/bin/attn-translate --version
  MATCH "LLVM")

# --- attnc::attnc: the JIT library ---------------------------------------
set(configure_args -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX}
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix})
step(NAME app-configure
  COMMAND ${CMAKE_COMMAND} -S ${here}/app -B ${WORK_DIR}/app ${configure_args})
file(STRINGS ${WORK_DIR}/app/CMakeCache.txt found REGEX "^attnc_DIR:")
if(NOT found STREQUAL "attnc_DIR:PATH=${prefix}/${LIBDIR}/cmake/attnc")
  message(FATAL_ERROR "[app-configure] found attnc elsewhere: ${found}")
endif()
step(NAME app-build COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/app)
step(NAME app-run
  COMMAND ${bare_cache} ${WORK_DIR}/app/sliding_app ${here}/app/sliding.attn
  MATCH "pattern sliding_window" "check: ok")

# attnc itself needs clang, a project using it does not: the headers are
# plain C++17 and the archives use the same C++ library.
if(GXX)
  step(NAME app-gcc-configure
    COMMAND ${CMAKE_COMMAND} -S ${here}/app -B ${WORK_DIR}/app-gcc -G ${GENERATOR}
            -DCMAKE_CXX_COMPILER=${GXX} -DCMAKE_BUILD_TYPE=Release
            -DCMAKE_PREFIX_PATH=${prefix}
    MATCH "The CXX compiler identification is GNU")
  step(NAME app-gcc-build COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/app-gcc)
  step(NAME app-gcc-run
    COMMAND ${bare_cache} ${WORK_DIR}/app-gcc/sliding_app ${here}/app/sliding.attn
    MATCH "check: ok")
endif()

# --- attnc::runtime: ahead-of-time bundles, no MLIR ----------------------
step(NAME runtime-app-configure
  COMMAND ${CMAKE_COMMAND} -S ${here}/runtime-app -B ${WORK_DIR}/runtime-app
          ${configure_args}
  NOMATCH "MLIR")
step(NAME runtime-app-build
  COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/runtime-app)
set(bundle_app ${WORK_DIR}/runtime-app/bundle_app)
find_program(READELF readelf)
if(READELF)
  step(NAME runtime-app-needs COMMAND ${READELF} -d ${bundle_app}
    MATCH "NEEDED" NOMATCH "libMLIR" "libLLVM" "libnvrtc" "libcuda")
endif()
step(NAME bundle-missing
  COMMAND ${bare} ${bundle_app} ${WORK_DIR}/no-such.bundle 48 RC 1
  MATCH "cannot read '${WORK_DIR}/no-such.bundle/manifest.txt'")

if(NOT HAVE_NVRTC)
  message(STATUS "[bundle] skipped: attnc was built without NVRTC, so it "
                 "cannot compile a bundle")
  return()
endif()

set(compile ${bare_cache} ${prefix}/bin/attnc compile ${here}/app/sliding.attn
    --pattern sliding_window --set w=48 --dtype bf16 --head-dim 64)
step(NAME bundle-compile
  COMMAND ${compile} --emit=cubin --target sm_90a -o ${WORK_DIR}/sm90a.bundle)

file(COPY ${WORK_DIR}/sm90a.bundle/ DESTINATION ${WORK_DIR}/damaged.bundle)
file(APPEND ${WORK_DIR}/damaged.bundle/kernels.cubin "x")
step(NAME bundle-damaged
  COMMAND ${bare} ${bundle_app} ${WORK_DIR}/damaged.bundle 48 RC 1
  MATCH "damaged.bundle/kernels.cubin' is damaged")

# A usable GPU, as the runtime decides: the driver loads and initializes,
# and device 0 has compute capability 8.0 or newer.
execute_process(COMMAND ${PYTHON} -c [[
import ctypes
try:
    cuda = ctypes.CDLL("libcuda.so.1")
    n, major = ctypes.c_int(0), ctypes.c_int(0)
    ok = (cuda.cuInit(0) == 0 and cuda.cuDeviceGetCount(ctypes.byref(n)) == 0
          and n.value > 0 and
          cuda.cuDeviceGetAttribute(ctypes.byref(major), 75, 0) == 0 and
          major.value >= 8)
except (OSError, AttributeError):
    ok = False
print("gpu" if ok else "none")
]] OUTPUT_VARIABLE gpu OUTPUT_STRIP_TRAILING_WHITESPACE)

if(gpu STREQUAL "gpu")
  # PTX for compute_80 runs on every GPU the kernels support.
  step(NAME bundle-compile-ptx
    COMMAND ${compile} --emit=ptx --target sm_80 -o ${WORK_DIR}/sm80.bundle)
  step(NAME bundle-run
    COMMAND ${bare} ${bundle_app} ${WORK_DIR}/sm80.bundle 48
    MATCH "bundle sliding_window" "check: ok")
else()
  step(NAME bundle-no-gpu
    COMMAND ${bare} ${bundle_app} ${WORK_DIR}/sm90a.bundle 48 RC 1
    MATCH "^CUDA is not available: [^\n]+\n$")
endif()
