# ctest `configure-gcc`, `configure-clang14`, `configure-plain`: the plain CMake flow without the
# preset, `cmake -S . -B DIR -G Ninja` with the compiler given as CC/CXX in
# the environment. Run by test/install/CMakeLists.txt with cmake -P and
#   SOURCE_DIR WORK_DIR GENERATOR CC CXX EXPECT [EXPECT_ID]
# EXPECT=stop: the configuration stops at once (before looking for MLIR)
# with the one-line message that says to use clang 22, naming the compiler
# (EXPECT_ID: GNU, Clang); nothing is compiled.
# EXPECT=ok: the configuration succeeds, as a Release build.
cmake_minimum_required(VERSION 3.20)
include(${CMAKE_CURRENT_LIST_DIR}/Step.cmake)

file(REMOVE_RECURSE ${WORK_DIR})
set(configure ${CMAKE_COMMAND} -E env CC=${CC} CXX=${CXX}
    ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR} -G ${GENERATOR})

if(EXPECT STREQUAL "stop")
  step(NAME configure-${CXX} FAILS COMMAND ${configure}
    MATCH "\n   attnc builds with clang 22 or newer, not ${EXPECT_ID} [^\n]*: use `cmake --preset default` \\(clang-22\\), or CC=clang-22 CXX=clang\\+\\+-22 and a new build directory\\.\n"
    NOMATCH "Using MLIR" "error:")
elseif(EXPECT STREQUAL "ok")
  step(NAME configure-${CXX} COMMAND ${configure}
    MATCH "No CMAKE_BUILD_TYPE given: building Release" "Using MLIR"
          "Generating done")
  file(STRINGS ${WORK_DIR}/CMakeCache.txt build_type
       REGEX "^CMAKE_BUILD_TYPE:")
  if(NOT build_type STREQUAL "CMAKE_BUILD_TYPE:STRING=Release")
    message(FATAL_ERROR "[configure-${CXX}] ${build_type}, expected Release")
  endif()
else()
  message(FATAL_ERROR "ConfigureTest.cmake: EXPECT must be stop or ok")
endif()
file(REMOVE_RECURSE ${WORK_DIR})
