// Reading and writing NumPy .npy files (format 1.0/2.0/3.0, plain dtypes).
#include "support/Npy.h"

#include "support/AtomicFile.h"
#include "support/FileRead.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <utility>

namespace attn {
namespace {

struct DTypeInfo {
  char kind; // NumPy kind letter: 'b', 'u', 'i' or 'f'.
  size_t size;
  std::string_view descr;
  std::string_view name;
};

// Indexed by NpyDType.
constexpr DTypeInfo kDTypes[] = {
    {'b', 1, "|b1", "bool"},    {'u', 1, "|u1", "uint8"},
    {'i', 1, "|i1", "int8"},    {'i', 2, "<i2", "int16"},
    {'i', 4, "<i4", "int32"},   {'i', 8, "<i8", "int64"},
    {'f', 2, "<f2", "float16"}, {'f', 4, "<f4", "float32"},
    {'f', 8, "<f8", "float64"},
};

const DTypeInfo &info(NpyDType dtype) {
  return kDTypes[static_cast<size_t>(dtype)];
}

constexpr uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
// NumPy pads the header so the data starts on a 64-byte boundary, and leaves
// room for the first dimension to grow to 21 digits in place.
constexpr size_t kArrayAlign = 64;
constexpr size_t kGrowthAxisMaxDigits = 21;

uint64_t loadLE(const uint8_t *p, size_t size) {
  uint64_t value = 0;
  for (size_t i = 0; i < size; ++i)
    value |= static_cast<uint64_t>(p[i]) << (8 * i);
  return value;
}

void storeLE(uint8_t *p, size_t size, uint64_t value) {
  for (size_t i = 0; i < size; ++i)
    p[i] = static_cast<uint8_t>(value >> (8 * i));
}

int64_t saturatingToInt(double value) {
  if (std::isnan(value))
    return 0;
  if (value >= 0x1p63)
    return std::numeric_limits<int64_t>::max();
  if (value < -0x1p63)
    return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(value);
}

std::string formatShape(const std::vector<int64_t> &shape) {
  if (shape.size() == 1)
    return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

/// numel * itemSize, or false if a dimension is negative or it overflows.
bool byteSize(const std::vector<int64_t> &shape, size_t itemSize, size_t &bytes,
              std::string &error) {
  size_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0) {
      error = fmt::format("negative dimension {} in shape {}", dim,
                          formatShape(shape));
      return false;
    }
  }
  bool overflow = false;
  for (int64_t dim : shape)
    overflow |= __builtin_mul_overflow(count, static_cast<size_t>(dim), &count);
  overflow |= __builtin_mul_overflow(count, itemSize, &bytes);
  // Reject products that overflow even when a later dimension is 0: such a
  // header is damaged, and rejecting it keeps numel() safe for every
  // accepted array.
  if (overflow ||
      bytes > static_cast<size_t>(std::numeric_limits<int64_t>::max())) {
    error = fmt::format("shape {} is too large: its size in bytes overflows",
                        formatShape(shape));
    return false;
  }
  return true;
}

/// Makes a header excerpt printable and short, for error messages.
std::string excerpt(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 40)) {
    if (c == '\n')
      out += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20 ||
             static_cast<unsigned char>(c) >= 0x7f)
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    else
      out += c;
  }
  if (text.size() > 40)
    out += "...";
  return out;
}

struct Header {
  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
};

/// Parses the Python dict literal NumPy writes as the header, e.g.
/// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
/// Exactly the keys descr, fortran_order and shape are accepted, like NumPy.
class HeaderParser {
public:
  explicit HeaderParser(std::string_view source) : text(source) {}

  bool parse(Header &header, std::string &error) {
    bool seenDescr = false, seenOrder = false, seenShape = false;
    skipSpace();
    if (!consume('{'))
      return fail(error, "expected '{'");
    skipSpace();
    while (!consume('}')) {
      std::string key;
      if (!parseString(key, error))
        return false;
      skipSpace();
      if (!consume(':'))
        return fail(error, fmt::format("expected ':' after key '{}'", key));
      skipSpace();
      bool *seen = key == "descr"           ? &seenDescr
                   : key == "fortran_order" ? &seenOrder
                   : key == "shape"         ? &seenShape
                                            : nullptr;
      if (!seen) {
        error = fmt::format("unexpected key '{}' in the header (expected "
                            "'descr', 'fortran_order' and 'shape')",
                            key);
        return false;
      }
      if (*seen) {
        error = fmt::format("duplicate key '{}' in the header", key);
        return false;
      }
      *seen = true;
      bool ok = key == "descr"   ? parseDescr(header.descr, error)
                : key == "shape" ? parseShape(header.shape, error)
                                 : parseBool(header.fortranOrder, error);
      if (!ok)
        return false;
      skipSpace();
      if (consume(',')) {
        skipSpace();
        continue;
      }
      skipSpace();
      if (!consume('}'))
        return fail(error, "expected ',' or '}'");
      break;
    }
    skipSpace();
    if (pos != text.size())
      return fail(error, "unexpected text after the header dictionary");
    for (auto [seen, key] :
         {std::pair{seenDescr, "descr"}, std::pair{seenOrder, "fortran_order"},
          std::pair{seenShape, "shape"}}) {
      if (!seen) {
        error = fmt::format("the header has no '{}' key", key);
        return false;
      }
    }
    return true;
  }

private:
  std::string_view text;
  size_t pos = 0;

  bool fail(std::string &error, std::string_view what) {
    error = fmt::format("unparsable header dictionary: {} at offset {} (near "
                        "\"{}\")",
                        what, pos, excerpt(text.substr(pos)));
    return false;
  }

  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                                 text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  bool consume(char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }

  bool startsWith(std::string_view word) const {
    return text.substr(pos, word.size()) == word;
  }

  bool parseString(std::string &out, std::string &error) {
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
      return fail(error, "expected a quoted string");
    char quote = text[pos++];
    out.clear();
    while (pos < text.size() && text[pos] != quote) {
      if (text[pos] == '\\' && pos + 1 < text.size())
        ++pos; // Keep the escaped character as is; descrs never need more.
      out += text[pos++];
    }
    if (!consume(quote))
      return fail(error, "unterminated string");
    return true;
  }

  bool parseDescr(std::string &out, std::string &error) {
    if (pos < text.size() && text[pos] == '[') {
      error = "structured dtypes (a list as 'descr') are not supported";
      return false;
    }
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
      return fail(error, "'descr' must be a string");
    return parseString(out, error);
  }

  bool parseBool(bool &out, std::string &error) {
    if (startsWith("True")) {
      pos += 4;
      out = true;
      return true;
    }
    if (startsWith("False")) {
      pos += 5;
      out = false;
      return true;
    }
    return fail(error, "'fortran_order' must be True or False");
  }

  bool parseInt(int64_t &out, std::string &error) {
    bool negative = consume('-');
    if (pos >= text.size() || text[pos] < '0' || text[pos] > '9')
      return fail(error, "'shape' must be a tuple of integers");
    // Accumulate negatively so that the int64 minimum parses too.
    int64_t value = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      int digit = text[pos] - '0';
      if (__builtin_mul_overflow(value, 10, &value) ||
          __builtin_sub_overflow(value, digit, &value)) {
        error = "a dimension in 'shape' does not fit in 64 bits";
        return false;
      }
      ++pos;
    }
    if (!negative && value == std::numeric_limits<int64_t>::min()) {
      error = "a dimension in 'shape' does not fit in 64 bits";
      return false;
    }
    consume('L'); // Python 2 long literal, as old NumPy versions wrote.
    out = negative ? value : -value;
    return true;
  }

  bool parseShape(std::vector<int64_t> &out, std::string &error) {
    if (!consume('('))
      return fail(error, "'shape' must be a tuple");
    out.clear();
    skipSpace();
    bool sawComma = false;
    while (!consume(')')) {
      int64_t dim = 0;
      if (!parseInt(dim, error))
        return false;
      out.push_back(dim);
      skipSpace();
      sawComma = consume(',');
      skipSpace();
      if (!sawComma && !(pos < text.size() && text[pos] == ')'))
        return fail(error, "expected ',' or ')' in 'shape'");
    }
    // "(3)" is the integer 3 in Python, not a tuple.
    if (out.size() == 1 && !sawComma) {
      error = "'shape' must be a tuple, found a parenthesized integer";
      return false;
    }
    return true;
  }
};

/// Maps a NumPy descr such as "<f4" or "|u1" to a dtype.
bool dtypeFromDescr(const std::string &descr, NpyDType &out,
                    std::string &error) {
  std::string_view rest = descr;
  char order = '=';
  if (!rest.empty() &&
      std::string_view("<>|=").find(rest[0]) != std::string_view::npos) {
    order = rest[0];
    rest.remove_prefix(1);
  }
  size_t size = 0;
  if (rest.size() >= 2) {
    for (char c : rest.substr(1)) {
      if (c < '0' || c > '9' || size > 1000) {
        size = 0;
        break;
      }
      size = size * 10 + static_cast<size_t>(c - '0');
    }
  }
  char kind = rest.empty() ? '\0' : rest[0];
  for (size_t i = 0; i < std::size(kDTypes); ++i) {
    if (kDTypes[i].kind != kind || kDTypes[i].size != size)
      continue;
    if (order == '>' && size > 1) {
      error = fmt::format("big-endian data (dtype '{}') is not supported; "
                          "save it as little-endian, e.g. with "
                          "a.astype(a.dtype.newbyteorder('<'))",
                          descr);
      return false;
    }
    out = static_cast<NpyDType>(i);
    return true;
  }
  error = fmt::format("unsupported dtype '{}' (supported: bool, uint8, int8, "
                      "int16, int32, int64, float16, float32, float64)",
                      descr);
  return false;
}

} // namespace

size_t npyDTypeSize(NpyDType dtype) { return info(dtype).size; }
std::string_view npyDTypeDescr(NpyDType dtype) { return info(dtype).descr; }
std::string_view npyDTypeName(NpyDType dtype) { return info(dtype).name; }

NpyArray NpyArray::zeros(NpyDType dtype, std::vector<int64_t> shape) {
  NpyArray a;
  a.dtype = dtype;
  a.shape = std::move(shape);
  a.data.assign(a.numel() * a.itemSize(), 0);
  return a;
}

size_t NpyArray::numel() const {
  size_t count = 1;
  for (int64_t dim : shape)
    count *= static_cast<size_t>(dim);
  return count;
}

int64_t NpyArray::intAt(size_t i) const {
  assert(i < numel() && "NpyArray::intAt index out of range");
  size_t size = itemSize();
  const uint8_t *p = data.data() + i * size;
  uint64_t bits = loadLE(p, size);
  switch (dtype) {
  case NpyDType::Bool:
    return bits != 0;
  case NpyDType::U8:
    return static_cast<int64_t>(bits);
  case NpyDType::I8:
    return static_cast<int8_t>(bits);
  case NpyDType::I16:
    return static_cast<int16_t>(bits);
  case NpyDType::I32:
    return static_cast<int32_t>(bits);
  case NpyDType::I64:
    return static_cast<int64_t>(bits);
  case NpyDType::F16:
  case NpyDType::F32:
  case NpyDType::F64:
    return saturatingToInt(floatAt(i));
  }
  return 0;
}

double NpyArray::floatAt(size_t i) const {
  assert(i < numel() && "NpyArray::floatAt index out of range");
  size_t size = itemSize();
  const uint8_t *p = data.data() + i * size;
  uint64_t bits = loadLE(p, size);
  switch (dtype) {
  case NpyDType::F16:
    return halfToFloat(static_cast<uint16_t>(bits));
  case NpyDType::F32:
    return std::bit_cast<float>(static_cast<uint32_t>(bits));
  case NpyDType::F64:
    return std::bit_cast<double>(bits);
  default:
    return static_cast<double>(intAt(i));
  }
}

void NpyArray::setInt(size_t i, int64_t value) {
  assert(i < numel() && "NpyArray::setInt index out of range");
  size_t size = itemSize();
  uint8_t *p = data.data() + i * size;
  auto clamp = [&](int64_t lo, int64_t hi) {
    return static_cast<uint64_t>(std::min(std::max(value, lo), hi));
  };
  switch (dtype) {
  case NpyDType::Bool:
    p[0] = value != 0;
    return;
  case NpyDType::U8:
    p[0] = static_cast<uint8_t>(clamp(0, 255));
    return;
  case NpyDType::I8:
    p[0] = static_cast<uint8_t>(clamp(-128, 127));
    return;
  case NpyDType::I16:
    storeLE(p, 2, clamp(-32768, 32767));
    return;
  case NpyDType::I32:
    storeLE(p, 4,
            clamp(std::numeric_limits<int32_t>::min(),
                  std::numeric_limits<int32_t>::max()));
    return;
  case NpyDType::I64:
    storeLE(p, 8, static_cast<uint64_t>(value));
    return;
  case NpyDType::F16:
    storeLE(p, 2, floatToHalf(static_cast<float>(value)));
    return;
  case NpyDType::F32:
    storeLE(p, 4, std::bit_cast<uint32_t>(static_cast<float>(value)));
    return;
  case NpyDType::F64:
    storeLE(p, 8, std::bit_cast<uint64_t>(static_cast<double>(value)));
    return;
  }
}

void NpyArray::setFloat(size_t i, double value) {
  assert(i < numel() && "NpyArray::setFloat index out of range");
  uint8_t *p = data.data() + i * itemSize();
  switch (dtype) {
  case NpyDType::Bool:
    p[0] = value != 0; // NaN is truthy, as in NumPy.
    return;
  case NpyDType::F16:
    storeLE(p, 2, doubleToHalf(value));
    return;
  case NpyDType::F32:
    storeLE(p, 4, std::bit_cast<uint32_t>(static_cast<float>(value)));
    return;
  case NpyDType::F64:
    storeLE(p, 8, std::bit_cast<uint64_t>(value));
    return;
  default:
    setInt(i, saturatingToInt(value));
    return;
  }
}

bool checkNpyArray(const NpyArray &a, std::string &error) {
  if (static_cast<size_t>(a.dtype) >= std::size(kDTypes)) {
    error = "invalid dtype";
    return false;
  }
  size_t bytes = 0;
  if (!byteSize(a.shape, a.itemSize(), bytes, error))
    return false;
  if (a.data.size() != bytes) {
    error = fmt::format("shape {} of {} needs {} bytes of data, the array has "
                        "{}",
                        formatShape(a.shape), npyDTypeName(a.dtype), bytes,
                        a.data.size());
    return false;
  }
  return true;
}

namespace {

/// What the magic string, version and header of a .npy file say.
struct NpyLayout {
  size_t prefix = 0;       ///< Magic, version and header length field.
  size_t headerLength = 0; ///< The header dict with its padding.
  NpyDType dtype = NpyDType::F32;
  std::vector<int64_t> shape;
  size_t dataBytes = 0;
  size_t dataOffset() const { return prefix + headerLength; }
};

/// Checks the magic string and version in the first `size` bytes (all of
/// the file when it is shorter than 12 bytes) and finds the header length.
bool parsePreamble(const uint8_t *bytes, size_t size, NpyLayout &layout,
                   std::string &error) {
  if (size == 0) {
    error = "not a .npy file: the file is empty";
    return false;
  }
  if (std::memcmp(bytes, kMagic, std::min(size, sizeof(kMagic))) != 0) {
    error = "not a .npy file: bad magic string (expected \"\\x93NUMPY\")";
    return false;
  }
  if (size < 8) {
    error = fmt::format("truncated .npy file: {} bytes, too short for the "
                        "magic string and version",
                        size);
    return false;
  }
  unsigned major = bytes[6], minor = bytes[7];
  if (major < 1 || major > 3 || minor != 0) {
    error = fmt::format("unsupported .npy format version {}.{} (supported: "
                        "1.0, 2.0, 3.0)",
                        major, minor);
    return false;
  }
  size_t lengthSize = major == 1 ? 2 : 4;
  layout.prefix = 8 + lengthSize;
  if (size < layout.prefix) {
    error = fmt::format("truncated .npy file: {} bytes, too short for the "
                        "header length field",
                        size);
    return false;
  }
  layout.headerLength = loadLE(bytes + 8, lengthSize);
  return true;
}

/// Parses the header text (after the preamble) into the dtype, shape and
/// data size.
bool parseHeader(std::string_view text, NpyLayout &layout, std::string &error) {
  Header header;
  if (!HeaderParser(text).parse(header, error))
    return false;
  if (!dtypeFromDescr(header.descr, layout.dtype, error))
    return false;
  if (header.fortranOrder) {
    error = "Fortran-order arrays are not supported (save a C-order array, "
            "e.g. numpy.ascontiguousarray(a))";
    return false;
  }
  if (!byteSize(header.shape, npyDTypeSize(layout.dtype), layout.dataBytes,
                error))
    return false;
  layout.shape = std::move(header.shape);
  return true;
}

/// Checks that `available` bytes follow the header: exactly the data.
bool checkDataSize(const NpyLayout &layout, uint64_t available,
                   std::string &error) {
  if (layout.dataBytes > available) {
    error = fmt::format("truncated .npy file: shape {} of {} needs {} bytes of "
                        "data, the file has {}",
                        formatShape(layout.shape), npyDTypeName(layout.dtype),
                        layout.dataBytes, available);
    return false;
  }
  if (layout.dataBytes < available) {
    error = fmt::format("damaged .npy file: {} unexpected bytes after the {} "
                        "bytes of data for shape {} of {}",
                        available - layout.dataBytes, layout.dataBytes,
                        formatShape(layout.shape), npyDTypeName(layout.dtype));
    return false;
  }
  return true;
}

std::string truncatedHeader(const NpyLayout &layout, uint64_t size) {
  return fmt::format("truncated .npy file: the header length is {} bytes "
                     "but only {} bytes follow the length field",
                     layout.headerLength, size - layout.prefix);
}

} // namespace

bool parseNpy(const uint8_t *bytes, size_t size, NpyArray &out,
              std::string &error) {
  NpyLayout layout;
  if (!parsePreamble(bytes, size, layout, error))
    return false;
  if (layout.headerLength > size - layout.prefix) {
    error = truncatedHeader(layout, size);
    return false;
  }
  std::string_view text(reinterpret_cast<const char *>(bytes + layout.prefix),
                        layout.headerLength);
  if (!parseHeader(text, layout, error) ||
      !checkDataSize(layout, size - layout.dataOffset(), error))
    return false;
  NpyArray result;
  result.dtype = layout.dtype;
  result.shape = std::move(layout.shape);
  const uint8_t *data = bytes + layout.dataOffset();
  result.data.assign(data, data + layout.dataBytes);
  out = std::move(result);
  return true;
}

bool readNpy(const std::string &path, NpyArray &out, std::string &error) {
  // The header bounds the data: read it first, check the size it implies
  // against the file and the limits, then read exactly the data.
  RegularFile file;
  if (!file.open(path, error))
    return false;
  auto fail = [&](const std::string &why) {
    error = fmt::format("{}: {}", path, why);
    return false;
  };
  // Magic and version, then the length field (2 or 4 bytes by version), so
  // nothing past the preamble is read yet.
  uint8_t preamble[12];
  size_t got = 0, more = 0;
  if (!file.read(preamble, 8, got, error))
    return false;
  if (got == 8 &&
      !file.read(preamble + 8, preamble[6] == 1 ? 2 : 4, more, error))
    return false;
  got += more;
  NpyLayout layout;
  if (!parsePreamble(preamble, got, layout, error))
    return fail(error);
  uint64_t size = std::max<uint64_t>(file.size(), got);
  if (layout.headerLength > kMaxNpyHeaderBytes)
    return fail(fmt::format("the header is {} long, more than the limit of {}",
                            formatByteSize(layout.headerLength),
                            formatByteSize(kMaxNpyHeaderBytes)));
  if (layout.headerLength > size - layout.prefix)
    return fail(truncatedHeader(layout, size));
  std::string text(layout.headerLength, '\0');
  if (!file.read(text.data(), text.size(), got, error))
    return false;
  if (got < text.size())
    return fail(truncatedHeader(layout, layout.prefix + got));
  if (!parseHeader(text, layout, error))
    return fail(error);
  if (layout.dataBytes > kMaxNpyDataBytes)
    return fail(fmt::format(
        "shape {} of {} needs {} of data, more than the "
        "limit of {}",
        formatShape(layout.shape), npyDTypeName(layout.dtype),
        formatByteSize(layout.dataBytes), formatByteSize(kMaxNpyDataBytes)));
  if (!checkDataSize(layout, size - layout.dataOffset(), error))
    return fail(error);
  NpyArray result;
  result.dtype = layout.dtype;
  result.shape = std::move(layout.shape);
  result.data.resize(layout.dataBytes);
  if (!file.read(result.data.data(), layout.dataBytes, got, error))
    return false;
  // The file may have changed size since it was opened.
  uint8_t extra = 0;
  more = 0;
  if (got == layout.dataBytes && !file.read(&extra, 1, more, error))
    return false;
  if (!checkDataSize(layout, got + more, error))
    return fail(error);
  out = std::move(result);
  return true;
}

std::vector<uint8_t> serializeNpy(const NpyArray &a) {
  std::string header =
      fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                  npyDTypeDescr(a.dtype), formatShape(a.shape));
  if (!a.shape.empty())
    header.append(kGrowthAxisMaxDigits - fmt::formatted_size("{}", a.shape[0]),
                  ' ');
  size_t withNewline = header.size() + 1;
  size_t prefix = 10;
  size_t padding = kArrayAlign - (prefix + withNewline) % kArrayAlign;
  if (withNewline + padding > 0xffff) {
    prefix = 12; // Format 2.0: a 4-byte header length.
    padding = kArrayAlign - (prefix + withNewline) % kArrayAlign;
  }
  size_t headerLength = withNewline + padding;
  std::vector<uint8_t> bytes(prefix + headerLength + a.data.size());
  uint8_t *out = bytes.data();
  std::memcpy(out, kMagic, sizeof(kMagic));
  out[6] = prefix == 10 ? 1 : 2;
  out[7] = 0;
  storeLE(out + 8, prefix - 8, headerLength);
  std::memcpy(out + prefix, header.data(), header.size());
  std::memset(out + prefix + header.size(), ' ', padding);
  out[prefix + headerLength - 1] = '\n';
  if (!a.data.empty())
    std::memcpy(out + prefix + headerLength, a.data.data(), a.data.size());
  return bytes;
}

bool writeNpy(const std::string &path, const NpyArray &a, std::string &error) {
  if (!checkNpyArray(a, error)) {
    error = fmt::format("cannot write '{}': {}", path, error);
    return false;
  }
  std::vector<uint8_t> bytes = serializeNpy(a);
  return writeFileAtomic(path, bytes.data(), bytes.size(), error);
}

} // namespace attn
