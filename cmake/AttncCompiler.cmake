# The build type and the compiler check, run right after project().
#
# attnc builds with clang only: the CPU kernel (runtime/cpu/CpuKernel.inc)
# uses clang's vector builtins (__builtin_elementwise_floor/max), which g++
# lacks. Rather than let a user meet a compiler error in our sources, stop
# here with one line that says what to do. The test is a feature test, not a
# compiler name, so any compiler with the builtins passes.

# A plain `cmake -S . -B build` gets an optimized build, as the preset does:
# without optimization the CPU kernel is far too slow for the tests.
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
  message(STATUS "No CMAKE_BUILD_TYPE given: building Release")
endif()

include(CheckCXXSourceCompiles)
set(CMAKE_REQUIRED_QUIET ON)
check_cxx_source_compiles([[
typedef float vf __attribute__((vector_size(32)));
typedef int vi __attribute__((vector_size(32)));
int main() {
  vf x = {1.5f};
  vf y = __builtin_elementwise_max(__builtin_elementwise_floor(x), x);
  vi i = __builtin_convertvector(y, vi);
  return i[0] - 1;
}
]] ATTNC_CXX_HAS_VECTOR_BUILTINS)
unset(CMAKE_REQUIRED_QUIET)

if(NOT ATTNC_CXX_HAS_VECTOR_BUILTINS)
  # Not cached as false: the next configure with another compiler checks again.
  unset(ATTNC_CXX_HAS_VECTOR_BUILTINS CACHE)
  # The leading space keeps CMake from wrapping the message: one line.
  message(FATAL_ERROR " attnc builds with clang, not ${CMAKE_CXX_COMPILER_ID} "
    "${CMAKE_CXX_COMPILER_VERSION} (${CMAKE_CXX_COMPILER}): use `cmake --preset "
    "default` (clang-22), or CC=clang-22 CXX=clang++-22 and a new build "
    "directory.")
endif()
