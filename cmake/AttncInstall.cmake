# `cmake --install`: the public headers, the libraries and the CMake package.
#
#   find_package(attnc REQUIRED)                     # or COMPONENTS runtime
#   target_link_libraries(app PRIVATE attnc::attnc)  # or attnc::runtime
#
# attnc::attnc is the JIT library (attn/attn.h): the compiler, the runtime and
# their MLIR/LLVM dependency (the shared libMLIR.so and libLLVM.so of the
# LLVM the build used). attnc::runtime is the runtime alone (attn/runtime.h:
# ahead-of-time CUDA bundles), with no MLIR or LLVM. The libraries are static
# archives; the compiler's internal archives are exported too, because
# attnc::attnc's link interface names them.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The installed names work in the build tree as well.
add_library(attnc::attnc ALIAS attn_jit)
add_library(attnc::runtime ALIAS attn_rt)
set_target_properties(attn_jit PROPERTIES EXPORT_NAME attnc)
set_target_properties(attn_rt PROPERTIES EXPORT_NAME runtime)

set(ATTNC_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/attnc)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime/include/attn
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")

# Two export sets, so that find_package(attnc COMPONENTS runtime) loads no
# MLIR: attncTargets refers to attnc::runtime, which the config loads first.
install(TARGETS attn_rt attn_support EXPORT attncRuntimeTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS attn_jit attn_reference AttnCodegen AttnFrontend AttnPasses
                AttnDialect
  EXPORT attncTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT attncRuntimeTargets NAMESPACE attnc::
  DESTINATION ${ATTNC_INSTALL_CMAKEDIR})
install(EXPORT attncTargets NAMESPACE attnc::
  DESTINATION ${ATTNC_INSTALL_CMAKEDIR})

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/attncConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/attncConfig.cmake
  INSTALL_DESTINATION ${ATTNC_INSTALL_CMAKEDIR})
# 0.x: a new minor version may change the API.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/attncConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/cmake/attncConfig.cmake
  ${PROJECT_BINARY_DIR}/cmake/attncConfigVersion.cmake
  DESTINATION ${ATTNC_INSTALL_CMAKEDIR})
