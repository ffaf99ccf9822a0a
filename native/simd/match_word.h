// A kernel's one-word match as a type, for loops that match one bucket per
// key with nothing to spread an indirect call over: the resident lookup loop
// (batch_pipeline.h). There the call per key also cost the loop its
// registers (its counters and pointers lived on the stack across the call),
// and taking the match inline made 1e3-key batches ~1.5x faster.
//
// with_word_match(kernel, f) calls f with the kernel's word matcher, so the
// loop is compiled once per word kind and chosen once per batch. The matcher
// runs the kernel's own code (match_*_word.h, which its match_tag wraps): the
// x86 kernels share the SSE2 word, as their match_tag does; they differ in
// match_tag_many.
#pragma once
#include <cstdint>

#include "match.h"
#include "match_neon_word.h"
#include "match_scalar_word.h"
#include "match_sse_word.h"
#include "match_swar_word.h"

namespace tophash::simd {

struct ScalarWord {
  static constexpr const char* kName = "scalar";
  SlotMask operator()(uint64_t ctrl, uint8_t tag) const {
    return scalar_word::match_tag(ctrl, tag);
  }
};
struct SwarWord {
  static constexpr const char* kName = "swar";
  SlotMask operator()(uint64_t ctrl, uint8_t tag) const { return swar_word::match_tag(ctrl, tag); }
};
#if defined(__x86_64__)
struct SseWord {
  static constexpr const char* kName = "sse";
  SlotMask operator()(uint64_t ctrl, uint8_t tag) const { return sse_word::match_tag(ctrl, tag); }
};
#endif
#if defined(__aarch64__)
struct NeonWord {
  static constexpr const char* kName = "neon";
  SlotMask operator()(uint64_t ctrl, uint8_t tag) const { return neon_word::match_tag(ctrl, tag); }
};
#endif

template <class F>
decltype(auto) with_word_match(const MatchKernel& kernel, F&& f) {
  switch (kernel.word) {
    case WordMatch::kSwar: return f(SwarWord{});
#if defined(__x86_64__)
    case WordMatch::kSse: return f(SseWord{});
#endif
#if defined(__aarch64__)
    case WordMatch::kNeon: return f(NeonWord{});
#endif
    default: return f(ScalarWord{});
  }
}

}  // namespace tophash::simd
