// kMatchScalar: the reference kernel, a plain loop over the 8 tophash bytes.
// Every other kernel is tested against it.
#include "match.h"

namespace tophash::simd {
namespace {

SlotMask match_tag(uint64_t ctrl, uint8_t tag) {
  SlotMask m = 0;
  for (int i = 0; i < 8; ++i) {
    if (static_cast<uint8_t>(ctrl >> (8 * i)) == tag) m |= SlotMask{1} << i;
  }
  return m;
}

SlotMask match_empty(uint64_t ctrl) {
  SlotMask m = 0;
  for (int i = 0; i < 8; ++i) {
    if (static_cast<uint8_t>(ctrl >> (8 * i)) <= kEmptyOne) m |= SlotMask{1} << i;
  }
  return m;
}

void match_tag_many(const uint64_t* ctrls, const uint8_t* tags, size_t n, uint8_t* masks) {
  for (size_t i = 0; i < n; ++i) masks[i] = static_cast<uint8_t>(match_tag(ctrls[i], tags[i]));
}

}  // namespace

extern const MatchKernel kMatchScalar = {"scalar", 0, match_tag, match_empty, match_tag_many};

}  // namespace tophash::simd
