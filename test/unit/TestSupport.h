//===- TestSupport.h - small helpers shared by the unit tests ---*- C++ -*-===//
#ifndef ATTN_TEST_UNIT_TESTSUPPORT_H
#define ATTN_TEST_UNIT_TESTSUPPORT_H

#include "attn/attn.h"
#include <functional>
#include <string>

namespace attn::test {

/// The message of the attn::Error `fn` throws, or "<no error>".
inline std::string errorOf(const std::function<void()> &fn) {
  try {
    fn();
  } catch (const Error &e) {
    return e.what();
  }
  return "<no error>";
}

} // namespace attn::test

#endif // ATTN_TEST_UNIT_TESTSUPPORT_H
