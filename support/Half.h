// Bit-exact conversions between float and the 16-bit formats fp16 and bf16.
#ifndef ATTN_RUNTIME_HALF_H
#define ATTN_RUNTIME_HALF_H

#include <bit>
#include <cstdint>

namespace attn {

/// Converts a float to IEEE binary16 bits, rounding to nearest even.
/// Values beyond the fp16 range become infinity; NaN stays a (quiet) NaN with
/// its sign and top payload bits.
constexpr uint16_t floatToHalf(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  uint32_t abs = bits & 0x7fffffffu;
  if (abs >= 0x7f800000u) {
    if (abs > 0x7f800000u) // NaN: force the quiet bit so it cannot become inf.
      return static_cast<uint16_t>(sign | 0x7e00u | ((abs >> 13) & 0x3ffu));
    return static_cast<uint16_t>(sign | 0x7c00u);
  }
  // 65520 is halfway between 65504 (max fp16, odd mantissa) and 2^16: ties
  // round to even, i.e. up to infinity.
  if (abs >= 0x477ff000u)
    return static_cast<uint16_t>(sign | 0x7c00u);
  if (abs >= 0x38800000u) { // Normal in fp16 (>= 2^-14).
    uint32_t half = ((abs >> 23) - 127 + 15) << 10 | ((abs & 0x7fffffu) >> 13);
    uint32_t rest = abs & 0x1fffu;
    // A carry out of the mantissa correctly bumps the exponent.
    if (rest > 0x1000u || (rest == 0x1000u && (half & 1u)))
      ++half;
    return static_cast<uint16_t>(sign | half);
  }
  // 2^-25 is the tie between zero and the smallest subnormal; it goes to 0.
  if (abs <= 0x33000000u)
    return sign;
  // Subnormal in fp16: value / 2^-24 = mantissa >> (126 - exponent).
  uint32_t exponent = abs >> 23;
  uint32_t mantissa = (abs & 0x7fffffu) | 0x800000u;
  uint32_t shift = 126 - exponent; // In [14, 24].
  uint32_t half = mantissa >> shift;
  uint32_t rest = mantissa & ((1u << shift) - 1);
  uint32_t tie = 1u << (shift - 1);
  if (rest > tie || (rest == tie && (half & 1u)))
    ++half; // May become 0x400, the smallest normal: still correct.
  return static_cast<uint16_t>(sign | half);
}

/// Converts a double to IEEE binary16 bits with a single rounding to nearest
/// even. (Going through floatToHalf(float(x)) would round twice and can be
/// one ulp off at ties; rounding to odd first makes the second rounding exact.)
constexpr uint16_t doubleToHalf(double value) {
  float narrow = static_cast<float>(value);
  if (static_cast<double>(narrow) != value && value == value &&
      narrow - narrow == 0.0f) {
    uint32_t bits = std::bit_cast<uint32_t>(narrow);
    double absNarrow = narrow < 0 ? -static_cast<double>(narrow) : narrow;
    double absValue = value < 0 ? -value : value;
    if (absNarrow > absValue)
      --bits; // Step toward zero: truncate instead of rounding up.
    narrow = std::bit_cast<float>(bits | 1u);
  }
  return floatToHalf(narrow);
}

/// Converts IEEE binary16 bits to a float (exact).
constexpr float halfToFloat(uint16_t half) {
  uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  uint32_t exponent = (half >> 10) & 0x1fu;
  uint32_t mantissa = half & 0x3ffu;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in float.
    float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31)
    return std::bit_cast<float>(sign | 0x7f800000u | mantissa << 13);
  return std::bit_cast<float>(sign | (exponent - 15 + 127) << 23 |
                              mantissa << 13);
}

/// Converts a float to bfloat16 bits, rounding to nearest even; NaN stays a
/// quiet NaN (truncation alone could turn a NaN into infinity).
constexpr uint16_t floatToBf16(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

/// Converts bfloat16 bits to a float (exact).
constexpr float bf16ToFloat(uint16_t bf16) {
  return std::bit_cast<float>(static_cast<uint32_t>(bf16) << 16);
}

} // namespace attn

#endif // ATTN_RUNTIME_HALF_H
