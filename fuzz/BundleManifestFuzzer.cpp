//===- BundleManifestFuzzer.cpp - libFuzzer target: CUDA bundle manifests -===//
//
// Each input is the text of a bundle's manifest.txt. Bundle::parseManifest
// must throw attn::Error with a message or return a bundle whose manifest()
// text parses back to the same bundle.
//
//===----------------------------------------------------------------------===//
#include "attn/attn.h"
#include "runtime/cuda/Bundle.h"
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  attn::cuda::Bundle bundle;
  try {
    bundle = attn::cuda::Bundle::parseManifest(text, "fuzz/manifest.txt");
  } catch (const attn::Error &e) {
    if (std::string(e.what()).empty())
      std::abort(); // A rejection must say why.
    return 0;
  }
  // parseManifest leaves the expected checksum in `binary` (Bundle::read
  // swaps in the file's bytes); the round trip compares everything else.
  bundle.binary.clear();
  std::string printed = bundle.manifest();
  try {
    attn::cuda::Bundle again =
        attn::cuda::Bundle::parseManifest(printed, "printed manifest");
    again.binary.clear();
    if (again.manifest() != printed)
      std::abort();
  } catch (const attn::Error &) {
    std::abort(); // What we print we must read.
  }
  return 0;
}
