# Writes the CUDA kernel headers into a C++ source as strings (run at build
# time), so NVRTC gets them from memory and an installed attnc needs no
# source tree. Inputs: HEADERS_IN (;-list of files), HEADERS_OUT (the .cpp).
set(entries "")
foreach(path IN LISTS HEADERS_IN)
  file(READ "${path}" content)
  string(FIND "${content}" ")attn_header\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${path} contains the raw-string delimiter")
  endif()
  get_filename_component(name "${path}" NAME)
  string(APPEND entries "      {\"${name}\", R\"attn_header(${content})attn_header\"},\n")
endforeach()
file(WRITE "${HEADERS_OUT}.tmp"
"// Generated from runtime/device by EmbedHeaders.cmake: do not edit.
#include \"runtime/jit/Nvrtc.h\"
namespace attn::jit {
const std::vector<EmbeddedHeader> &embeddedDeviceHeaders() {
  static const std::vector<EmbeddedHeader> headers = {
${entries}  };
  return headers;
}
} // namespace attn::jit
")
# Only touch the output when it changed, so a no-op build recompiles nothing.
file(COPY_FILE "${HEADERS_OUT}.tmp" "${HEADERS_OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${HEADERS_OUT}.tmp")
