// The neon kernel's one-word match, inline. A compare gives 0xff/0x00 per
// byte; AND with the slot's bit value and a horizontal add (vaddv, AArch64
// only) packs the 8 results into a SlotMask.
#pragma once
#if defined(__aarch64__)

#include <arm_neon.h>

#include "match.h"

namespace tophash::simd::neon_word {

inline SlotMask pack(uint8x8_t cmp) {
  const uint8x8_t bits = vcreate_u8(0x8040201008040201ull);  // byte i = 1 << i
  return static_cast<SlotMask>(vaddv_u8(vand_u8(cmp, bits)));
}

inline SlotMask match_tag(uint64_t ctrl, uint8_t tag) {
  return pack(vceq_u8(vcreate_u8(ctrl), vdup_n_u8(tag)));
}

inline SlotMask match_empty(uint64_t ctrl) {
  return pack(vcle_u8(vcreate_u8(ctrl), vdup_n_u8(kEmptyOne)));
}

}  // namespace tophash::simd::neon_word

#endif  // __aarch64__
