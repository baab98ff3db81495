// Escaping user text (paths, names) written into generated code and files.
#ifndef ATTN_RUNTIME_TEXTESCAPE_H
#define ATTN_RUNTIME_TEXTESCAPE_H

#include <string>
#include <string_view>

namespace attn {

/// `text` made safe for the rest of a one-line comment in generated C++,
/// CUDA, Python or LLVM IR: printable ASCII stays as it is except the
/// backslash; tab, newline and carriage return become `\t`, `\n`, `\r`;
/// every other byte (the backslash, control characters, DEL, anything
/// non-ASCII) becomes `\xNN`. The result is plain printable ASCII and every
/// backslash in it starts an escape: it cannot end the comment or the line,
/// splice lines (a backslash at the end of a C++ line), change a Python source
/// encoding, or hide code behind bidirectional-text controls; and it is
/// unambiguous.
std::string escapeComment(std::string_view text);

/// A double-quoted Python string literal whose value is `text` read as UTF-8;
/// bytes that are not valid UTF-8 become lone surrogates U+DC80..U+DCFF, as
/// os.fsdecode does. Plain ASCII apart from the escapes.
std::string pythonString(std::string_view text);

/// A double-quoted JSON string for `text` read as UTF-8 (invalid bytes become
/// U+FFFD). Plain ASCII apart from the escapes.
std::string jsonString(std::string_view text);

/// `text` as one word without white space for line-based files (the CUDA
/// bundle manifest): the bytes '!'..'~' stay, except '%', and every other
/// byte becomes %XX (upper-case hex).
std::string encodeWord(std::string_view text);
/// Reverses encodeWord; false for a '%' not followed by two hex digits.
bool decodeWord(std::string_view word, std::string &out);

/// Whether `text` is a plain ASCII identifier: [A-Za-z_][A-Za-z0-9_]*.
bool isPlainIdentifier(std::string_view text);

} // namespace attn

#endif // ATTN_RUNTIME_TEXTESCAPE_H
