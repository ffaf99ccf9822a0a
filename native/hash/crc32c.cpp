#include "hash/crc32c.h"

#include <array>

#include "cpu/cpu_features.h"

namespace tophash::hash {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;  // Castagnoli, reflected

// Slicing-by-8: eight 256-entry tables let the loop fold 8 bytes per step
// instead of one, which is what makes the portable twin fast enough to be a
// fallback rather than a cliff.
struct Tables {
  std::array<std::array<uint32_t, 256>, 8> t{};
  constexpr Tables() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c >> 1) ^ ((c & 1) ? kPoly : 0);
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
      for (size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    }
  }
};
constexpr Tables kTables;

uint32_t portable_raw(uint32_t c, const uint8_t* p, size_t n) {
  const auto& t = kTables.t;
  for (; n >= 8; n -= 8, p += 8) {
    // Little-endian assembly, so the result does not depend on the host.
    const uint32_t lo =
        (uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24) ^ c;
    c = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
        t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
  }
  for (; n != 0; --n, ++p) c = (c >> 8) ^ t[0][(c ^ *p) & 0xFF];
  return c;
}

using Raw = uint32_t (*)(uint32_t, const uint8_t*, size_t);

Raw pick() {
#if defined(__x86_64__)
  if (cpu::has_all(detail::kVpclmulNeeds)) return detail::crc32c_vpclmul_raw;
  if (cpu::has_all(cpu::kSse42)) return detail::crc32c_sse42_raw;
#endif
  return portable_raw;
}

}  // namespace

uint32_t crc32c(uint32_t crc, const void* data, size_t n) {
  static const Raw raw = pick();
  return ~raw(~crc, static_cast<const uint8_t*>(data), n);
}

uint32_t crc32c_portable(uint32_t crc, const void* data, size_t n) {
  return ~portable_raw(~crc, static_cast<const uint8_t*>(data), n);
}

}  // namespace tophash::hash
