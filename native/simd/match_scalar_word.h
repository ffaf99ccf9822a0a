// The scalar kernel's one-word match, inline: a plain loop over the 8
// tophash bytes, the reference every other kernel is tested against.
#pragma once
#include <cstdint>

#include "match.h"

namespace tophash::simd::scalar_word {

inline SlotMask match_tag(uint64_t ctrl, uint8_t tag) {
  SlotMask m = 0;
  for (int i = 0; i < 8; ++i) {
    if (static_cast<uint8_t>(ctrl >> (8 * i)) == tag) m |= SlotMask{1} << i;
  }
  return m;
}

inline SlotMask match_empty(uint64_t ctrl) {
  SlotMask m = 0;
  for (int i = 0; i < 8; ++i) {
    if (static_cast<uint8_t>(ctrl >> (8 * i)) <= kEmptyOne) m |= SlotMask{1} << i;
  }
  return m;
}

}  // namespace tophash::simd::scalar_word
