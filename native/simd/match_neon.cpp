// kMatchNeon: AArch64 Advanced SIMD. Untested on x86 hosts; kept deliberately
// simple. A compare gives 0xff/0x00 per byte; AND with the slot's bit value and
// a horizontal add (vaddv, AArch64 only) packs the 8 results into a SlotMask.
#if defined(__aarch64__)

#include <arm_neon.h>

#include "../cpu/cpu_features.h"
#include "match.h"

namespace tophash::simd {
namespace {

inline SlotMask pack(uint8x8_t cmp) {
  const uint8x8_t bits = vcreate_u8(0x8040201008040201ull);  // byte i = 1 << i
  return static_cast<SlotMask>(vaddv_u8(vand_u8(cmp, bits)));
}

SlotMask match_tag(uint64_t ctrl, uint8_t tag) {
  return pack(vceq_u8(vcreate_u8(ctrl), vdup_n_u8(tag)));
}

SlotMask match_empty(uint64_t ctrl) {
  return pack(vcle_u8(vcreate_u8(ctrl), vdup_n_u8(kEmptyOne)));
}

void match_tag_many(const uint64_t* ctrls, const uint8_t* tags, size_t n, uint8_t* masks) {
  for (size_t i = 0; i < n; ++i) masks[i] = static_cast<uint8_t>(match_tag(ctrls[i], tags[i]));
}

}  // namespace

extern const MatchKernel kMatchNeon = {"neon", cpu::kNeon, match_tag, match_empty, match_tag_many};

}  // namespace tophash::simd

#endif  // __aarch64__
