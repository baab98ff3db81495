// Escaping user text (paths, names) written into generated code and files.
#include "support/TextEscape.h"

#include <fmt/format.h>

#include <cstdint>

namespace attn {
namespace {

/// Decodes one UTF-8 sequence at the start of `s`: its code point and
/// length, or length 0 when the first byte does not start a valid, shortest
/// sequence of a Unicode scalar value.
struct Decoded {
  uint32_t codePoint = 0;
  size_t length = 0;
};

Decoded decodeUtf8(std::string_view s) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char b0 = byte(0);
  if (b0 < 0x80)
    return {b0, 1};
  size_t length;
  uint32_t cp, min;
  if ((b0 & 0xe0) == 0xc0)
    length = 2, cp = b0 & 0x1f, min = 0x80;
  else if ((b0 & 0xf0) == 0xe0)
    length = 3, cp = b0 & 0x0f, min = 0x800;
  else if ((b0 & 0xf8) == 0xf0)
    length = 4, cp = b0 & 0x07, min = 0x10000;
  else
    return {};
  if (s.size() < length)
    return {};
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xc0) != 0x80)
      return {};
    cp = (cp << 6) | (byte(i) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return {};
  return {cp, length};
}

bool isPrintableAscii(unsigned char c) { return c >= 0x20 && c < 0x7f; }

/// The escapes Python and JSON share for ASCII; "" when `c` needs none.
const char *shortEscape(unsigned char c) {
  switch (c) {
  case '"':
    return "\\\"";
  case '\\':
    return "\\\\";
  case '\n':
    return "\\n";
  case '\r':
    return "\\r";
  case '\t':
    return "\\t";
  default:
    return "";
  }
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

} // namespace

std::string escapeComment(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (isPrintableAscii(c) && c != '\\')
      out += ch;
    else
      out += fmt::format("\\x{:02x}", c);
  }
  return out;
}

namespace {

/// A double-quoted literal of `text`: the short escapes and printable ASCII
/// as they are, every other character (a decoded UTF-8 sequence, or a byte
/// that starts none: `d.length == 0`) as `escape(d, byte)` writes it.
template <class Escape>
std::string quoted(std::string_view text, Escape escape) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (*shortEscape(c)) {
      out += shortEscape(c);
      ++i;
    } else if (isPrintableAscii(c)) {
      out += text[i++];
    } else {
      Decoded d = decodeUtf8(text.substr(i));
      out += escape(d, c);
      i += d.length ? d.length : 1;
    }
  }
  return out + "\"";
}

} // namespace

std::string pythonString(std::string_view text) {
  return quoted(text, [](Decoded d, unsigned char byte) {
    if (d.length == 0)
      return fmt::format("\\udc{:02x}", byte); // os.fsdecode's surrogateescape
    return d.codePoint <= 0xff     ? fmt::format("\\x{:02x}", d.codePoint)
           : d.codePoint <= 0xffff ? fmt::format("\\u{:04x}", d.codePoint)
                                   : fmt::format("\\U{:08x}", d.codePoint);
  });
}

std::string jsonString(std::string_view text) {
  return quoted(text, [](Decoded d, unsigned char) {
    uint32_t cp = d.length ? d.codePoint : 0xfffd;
    if (cp <= 0xffff)
      return fmt::format("\\u{:04x}", cp);
    cp -= 0x10000; // a surrogate pair
    return fmt::format("\\u{:04x}\\u{:04x}", 0xd800 + (cp >> 10),
                       0xdc00 + (cp & 0x3ff));
  });
}

std::string encodeWord(std::string_view text) {
  std::string out;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c > ' ' && c < 0x7f && c != '%')
      out += ch;
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

bool decodeWord(std::string_view word, std::string &out) {
  std::string result;
  for (size_t i = 0; i < word.size(); ++i) {
    if (word[i] != '%') {
      result += word[i];
      continue;
    }
    int hi = i + 2 < word.size() ? hexDigit(word[i + 1]) : -1;
    int lo = hi >= 0 ? hexDigit(word[i + 2]) : -1;
    if (lo < 0)
      return false;
    result += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  out = std::move(result);
  return true;
}

bool isPlainIdentifier(std::string_view text) {
  if (text.empty() || (text[0] >= '0' && text[0] <= '9'))
    return false;
  for (char c : text)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

} // namespace attn
