// Arithmetic modulo the CRC32C polynomial, for kernels that move a CRC over
// bytes they did not read (joining chains, folding blocks): appending n zero
// bits multiplies a raw register by x^n mod P.
#pragma once
#include <cstdint>

namespace tophash::hash::detail {

inline constexpr uint32_t kCrc32cPoly = 0x82F63B78u;  // Castagnoli, reflected: bit 31 is x^0

// a·b mod P, both reflected.
inline uint32_t multiply_mod_p(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (uint32_t m = uint32_t{1} << 31; m != 0; m >>= 1) {
    if (a & m) product ^= b;
    b = (b & 1) ? (b >> 1) ^ kCrc32cPoly : b >> 1;
  }
  return product;
}

// x^n mod P, reflected.
inline uint32_t x_to_the(uint64_t n) {
  uint32_t result = uint32_t{1} << 31;  // x^0
  uint32_t power = uint32_t{1} << 30;  // x^1
  for (; n != 0; n >>= 1) {
    if (n & 1) result = multiply_mod_p(result, power);
    power = multiply_mod_p(power, power);
  }
  return result;
}

}  // namespace tophash::hash::detail
