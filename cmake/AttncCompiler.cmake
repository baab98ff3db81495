# The build type and the compiler check, run right after project().
#
# attnc builds with clang, of at least the LLVM version it is built on
# (ATTNC_LLVM_VERSION): the CPU kernel (runtime/cpu/CpuKernel.inc) uses
# clang's vector builtins (__builtin_elementwise_floor/max), which g++ lacks,
# and _Float16 and __builtin_cpu_supports("f16c"), which clang 14, Debian
# 12's default clang, rejects. clang-22 comes with LLVM 22 and is the
# compiler attnc is tested with. Rather than let a user meet a compiler
# error in our sources, stop here with one line that says what to do.

# A plain `cmake -S . -B build` gets an optimized build, as the preset does:
# without optimization the CPU kernel is far too slow for the tests.
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
  message(STATUS "No CMAKE_BUILD_TYPE given: building Release")
endif()

if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR
   CMAKE_CXX_COMPILER_VERSION VERSION_LESS ATTNC_LLVM_VERSION)
  # The leading space keeps CMake from wrapping the message: one line.
  message(FATAL_ERROR " attnc builds with clang ${ATTNC_LLVM_VERSION} or "
    "newer, not ${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION} "
    "(${CMAKE_CXX_COMPILER}): use `cmake --preset default` "
    "(clang-${ATTNC_LLVM_VERSION}), or CC=clang-${ATTNC_LLVM_VERSION} "
    "CXX=clang++-${ATTNC_LLVM_VERSION} and a new build directory.")
endif()
