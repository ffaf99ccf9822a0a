// kMatchNeon: AArch64 Advanced SIMD, one control word per 64-bit compare
// (match_neon_word.h). Run under qemu-aarch64 in CI on x86 hosts.
#if defined(__aarch64__)

#include "../cpu/cpu_features.h"
#include "match.h"
#include "match_neon_word.h"

namespace tophash::simd {
namespace {

SlotMask match_tag(uint64_t ctrl, uint8_t tag) { return neon_word::match_tag(ctrl, tag); }

SlotMask match_empty(uint64_t ctrl) { return neon_word::match_empty(ctrl); }

void match_tag_many(const uint64_t* ctrls, const uint8_t* tags, size_t n, uint8_t* masks) {
  for (size_t i = 0; i < n; ++i) masks[i] = static_cast<uint8_t>(match_tag(ctrls[i], tags[i]));
}

}  // namespace

extern const MatchKernel kMatchNeon = {"neon",      cpu::kNeon,     match_tag,
                                       match_empty, match_tag_many, WordMatch::kNeon};

}  // namespace tophash::simd

#endif  // __aarch64__
