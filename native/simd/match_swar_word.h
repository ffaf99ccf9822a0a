// The swar kernel's one-word match, inline: SIMD within a register on the
// u64 control word. Portable C++, no ISA requirement.
//
// Exact zero-byte detection (no false positives, unlike the classic
// (x - 0x01..01) & ~x & 0x80..80 trick, which can flag a 0x01 byte sitting
// above a zero byte because of the borrow):
//   y = ((x & 0x7f..7f) + 0x7f..7f) | x
// The add cannot carry across bytes (each byte is at most 0x7f + 0x7f), and
// sets a byte's high bit iff its low 7 bits are non-zero; OR-ing x adds the
// original high bit. So the high bit of byte i of y is set iff byte i of x != 0,
// and ~y & 0x80..80 marks exactly the zero bytes.
//
// Those 8 marker bits (at bit 8i+7) are packed into an 8-bit SlotMask with one
// multiply: after >> 7 they sit at bit 8i, and multiplying by
// 0x0102040810204080 = sum of 2^(56-7i) moves bit 8i to bit 56+i; every other
// partial product lands on a distinct position outside bits 56..63, so there
// are no carries into the result byte.
#pragma once
#include <cstdint>

#include "match.h"

namespace tophash::simd::swar_word {

inline constexpr uint64_t kLsb = 0x0101010101010101ull;
inline constexpr uint64_t kLow7 = 0x7f7f7f7f7f7f7f7full;
inline constexpr uint64_t kMsb = 0x8080808080808080ull;

// High bit of each byte of the result set iff that byte of x is zero.
inline uint64_t zero_bytes(uint64_t x) { return ~(((x & kLow7) + kLow7) | x) & kMsb; }

// Packs the high bits of the 8 bytes into bits 0..7.
inline SlotMask pack_msb(uint64_t hi) {
  return static_cast<SlotMask>(((hi >> 7) * 0x0102040810204080ull) >> 56);
}

inline SlotMask match_tag(uint64_t ctrl, uint8_t tag) {
  return pack_msb(zero_bytes(ctrl ^ (kLsb * tag)));
}

// byte <= 1  <=>  (byte & 0xfe) == 0
inline SlotMask match_empty(uint64_t ctrl) { return pack_msb(zero_bytes(ctrl & ~kLsb)); }

}  // namespace tophash::simd::swar_word
