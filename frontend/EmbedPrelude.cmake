# Writes the standard prelude into a C++ source as a string (run at build time).
# Inputs: PRELUDE_IN (the .attn file), PRELUDE_OUT (the .cpp to write).
file(READ "${PRELUDE_IN}" content)
string(FIND "${content}" ")attn_prelude\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "prelude.attn contains the raw-string delimiter")
endif()
file(WRITE "${PRELUDE_OUT}.tmp"
"// Generated from frontend/prelude.attn by EmbedPrelude.cmake: do not edit.
#include \"llvm/ADT/StringRef.h\"
namespace mlir::attn {
llvm::StringRef getEmbeddedPrelude() {
  static const char text[] = R\"attn_prelude(${content})attn_prelude\";
  return llvm::StringRef(text, sizeof(text) - 1);
}
} // namespace mlir::attn
")
# Only touch the output when it changed, so a no-op build recompiles nothing.
file(COPY_FILE "${PRELUDE_OUT}.tmp" "${PRELUDE_OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${PRELUDE_OUT}.tmp")
