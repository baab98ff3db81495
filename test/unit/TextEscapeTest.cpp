// Unit tests for support/TextEscape: user text in generated files is inert.
#include "support/TextEscape.h"

#include <gtest/gtest.h>

using namespace attn;

namespace {

// Every byte value, and hostile text: line breaks, quotes, backslashes,
// comment ends, code, a bidi override, invalid UTF-8.
std::vector<std::string> hostileTexts() {
  std::string all;
  for (int c = 0; c < 256; ++c)
    all += static_cast<char>(c);
  return {all,
          "dir\nimport os; os.system('x')\n#",
          "a\rb\r\nc",
          "quote\" and ' and \"\"\" and \\",
          "ends with a backslash\\",
          "*/ int evil(); /*",
          "\xe2\x80\xae reversed",
          "caf\xc3\xa9 \xff\xfe bad",
          std::string("nul\0byte", 8),
          "# -*- coding: utf-7 -*-"};
}

TEST(TextEscape, CommentsArePrintableAsciiOnOneLine) {
  for (const std::string &text : hostileTexts()) {
    std::string out = escapeComment(text);
    for (char c : out)
      EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "byte " << int(c) << " in " << out;
    EXPECT_NE(out.back(), '\\') << out;
  }
  EXPECT_EQ(escapeComment("plain/path.attn:3:4"), "plain/path.attn:3:4");
  EXPECT_EQ(escapeComment("a\nb\rc\td\\e\x01\x7f\xc3\xa9"),
            "a\\nb\\rc\\td\\x5ce\\x01\\x7f\\xc3\\xa9");
}

TEST(TextEscape, PythonStrings) {
  EXPECT_EQ(pythonString("plain"), "\"plain\"");
  EXPECT_EQ(pythonString("q\"b\\n\nr\rt\t"), "\"q\\\"b\\\\n\\nr\\rt\\t\"");
  EXPECT_EQ(pythonString("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\\xe9 \\u20ac \\U0001f600\"");
  // Invalid UTF-8 (a lone byte, an overlong form, a surrogate) as
  // os.fsdecode would decode it.
  EXPECT_EQ(pythonString("\xff\xc0\xaf\xed\xa0\x80"),
            "\"\\udcff\\udcc0\\udcaf\\udced\\udca0\\udc80\"");
  EXPECT_EQ(pythonString(std::string("\0\x1b", 2)), "\"\\x00\\x1b\"");
  for (const std::string &text : hostileTexts()) {
    std::string out = pythonString(text);
    for (char c : out)
      EXPECT_TRUE(c >= 0x20 && c < 0x7f) << out;
  }
}

TEST(TextEscape, JsonStrings) {
  EXPECT_EQ(jsonString("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
  EXPECT_EQ(jsonString(std::string("\0\x1f", 2)), "\"\\u0000\\u001f\"");
  EXPECT_EQ(jsonString("\xc3\xa9\xf0\x9f\x98\x80\xff"),
            "\"\\u00e9\\ud83d\\ude00\\ufffd\"");
}

TEST(TextEscape, ManifestWordsRoundTrip) {
  for (const std::string &text : hostileTexts()) {
    std::string word = encodeWord(text), back;
    for (char c : word)
      EXPECT_TRUE(c > ' ' && c < 0x7f) << word;
    ASSERT_TRUE(decodeWord(word, back));
    EXPECT_EQ(back, text);
  }
  EXPECT_EQ(encodeWord("a b%c\nd"), "a%20b%25c%0Ad");
  std::string out = "unchanged";
  EXPECT_FALSE(decodeWord("bad%", out));
  EXPECT_FALSE(decodeWord("bad%4", out));
  EXPECT_FALSE(decodeWord("bad%zz", out));
  EXPECT_EQ(out, "unchanged");
}

TEST(TextEscape, PlainIdentifiers) {
  EXPECT_TRUE(isPlainIdentifier("a"));
  EXPECT_TRUE(isPlainIdentifier("_x9"));
  EXPECT_FALSE(isPlainIdentifier(""));
  EXPECT_FALSE(isPlainIdentifier("9a"));
  EXPECT_FALSE(isPlainIdentifier("a b"));
  EXPECT_FALSE(isPlainIdentifier("caf\xc3\xa9"));
  EXPECT_FALSE(isPlainIdentifier("x=__import__('os')"));
}

} // namespace
