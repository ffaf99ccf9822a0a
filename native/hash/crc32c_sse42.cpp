// The SSE4.2 crc32 instruction computes CRC32C 8 bytes at a time, but each
// step waits three cycles for the one before it: a single chain reads about
// 8 GB/s, slower than the page cache a snapshot is loaded from (a copy of
// 12 GB/s here), so the checksum was a quarter of a load. Three independent
// chains over three adjacent blocks keep the unit busy every cycle; the
// blocks' CRCs are then joined by shifting each over the bytes after it
// (a multiplication by x^(8·len) mod P, table-driven for the two fixed
// block lengths), as zlib's crc32_combine does for whole messages.
#if defined(__x86_64__)

#include <nmmintrin.h>

#include <array>
#include <cstring>

#include "hash/crc32c.h"
#include "hash/crc32c_poly.h"

#define TOPHASH_TARGET __attribute__((target("sse4.2")))

namespace tophash::hash::detail {
namespace {

// Shifting a register over a fixed number of zero bytes is linear in its
// bits, so four byte-indexed tables do it in four loads.
struct ZeroShift {
  std::array<std::array<uint32_t, 256>, 4> table{};
  explicit ZeroShift(size_t bytes) {
    const uint32_t op = x_to_the(8 * static_cast<uint64_t>(bytes));
    for (int k = 0; k < 4; ++k) {
      for (uint32_t v = 0; v < 256; ++v) table[k][v] = multiply_mod_p(op, v << (8 * k));
    }
  }
  uint32_t operator()(uint32_t c) const {
    return table[0][c & 0xFF] ^ table[1][(c >> 8) & 0xFF] ^ table[2][(c >> 16) & 0xFF] ^
           table[3][c >> 24];
  }
};

constexpr size_t kLongBlock = 4096;
constexpr size_t kShortBlock = 256;

inline uint64_t load_u64(const uint8_t* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// Three chains over p[0, len), p[len, 2·len), p[2·len, 3·len), joined.
TOPHASH_TARGET inline uint64_t three_blocks(uint64_t c0, const uint8_t* p, size_t len,
                                            const ZeroShift& shift) {
  uint64_t c1 = 0;
  uint64_t c2 = 0;
  for (size_t i = 0; i < len; i += 8) {
    c0 = _mm_crc32_u64(c0, load_u64(p + i));
    c1 = _mm_crc32_u64(c1, load_u64(p + len + i));
    c2 = _mm_crc32_u64(c2, load_u64(p + 2 * len + i));
  }
  const uint32_t first_two = shift(static_cast<uint32_t>(c0)) ^ static_cast<uint32_t>(c1);
  return shift(first_two) ^ static_cast<uint32_t>(c2);
}

}  // namespace

TOPHASH_TARGET uint32_t crc32c_sse42_raw(uint32_t state, const uint8_t* p, size_t n) {
  static const ZeroShift long_shift(kLongBlock);
  static const ZeroShift short_shift(kShortBlock);
  uint64_t c = state;
  for (; n >= 3 * kLongBlock; n -= 3 * kLongBlock, p += 3 * kLongBlock) {
    c = three_blocks(c, p, kLongBlock, long_shift);
  }
  for (; n >= 3 * kShortBlock; n -= 3 * kShortBlock, p += 3 * kShortBlock) {
    c = three_blocks(c, p, kShortBlock, short_shift);
  }
  for (; n >= 8; n -= 8, p += 8) c = _mm_crc32_u64(c, load_u64(p));
  uint32_t c32 = static_cast<uint32_t>(c);
  for (; n != 0; --n, ++p) c32 = _mm_crc32_u8(c32, *p);
  return c32;
}

}  // namespace tophash::hash::detail

#endif
