// kMatchSwar: SIMD-within-a-register on the u64 control word
// (match_swar_word.h). Portable C++, no ISA requirement.
#include "match.h"
#include "match_swar_word.h"

namespace tophash::simd {
namespace {

SlotMask match_tag(uint64_t ctrl, uint8_t tag) { return swar_word::match_tag(ctrl, tag); }

SlotMask match_empty(uint64_t ctrl) { return swar_word::match_empty(ctrl); }

void match_tag_many(const uint64_t* ctrls, const uint8_t* tags, size_t n, uint8_t* masks) {
  for (size_t i = 0; i < n; ++i) masks[i] = static_cast<uint8_t>(match_tag(ctrls[i], tags[i]));
}

}  // namespace

extern const MatchKernel kMatchSwar = {"swar",          0, match_tag, match_empty, match_tag_many,
                                       WordMatch::kSwar};

}  // namespace tophash::simd
