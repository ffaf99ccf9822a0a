// One control word against one tag, in the low half of an XMM register: the
// single-bucket match_tag/match_empty of the x86 kernels (sse2, avx2,
// avx512). Their batches differ; for one 8-byte word SSE2 is already wider
// than the data, so all three use these. Plain SSE2 (the x86-64 baseline),
// always inlined: inside a target("avx2") caller GCC emits them VEX-encoded.
#pragma once
#if defined(__x86_64__)

#include <emmintrin.h>

#include "match.h"

namespace tophash::simd::sse_word {

// The high 8 bytes of the register are zero, so the movemask is cut to 8
// bits (otherwise tag 0 / empty would match them).
inline __attribute__((always_inline)) SlotMask match_tag(uint64_t ctrl, uint8_t tag) {
  const __m128i c = _mm_cvtsi64_si128(static_cast<long long>(ctrl));
  const __m128i t = _mm_set1_epi8(static_cast<char>(tag));
  return static_cast<SlotMask>(_mm_movemask_epi8(_mm_cmpeq_epi8(c, t))) & 0xffu;
}

// byte <= 1 (empty-rest or empty-one)  <=>  saturating byte - 1 == 0
inline __attribute__((always_inline)) SlotMask match_empty(uint64_t ctrl) {
  const __m128i c = _mm_cvtsi64_si128(static_cast<long long>(ctrl));
  const __m128i le1 = _mm_cmpeq_epi8(_mm_subs_epu8(c, _mm_set1_epi8(1)), _mm_setzero_si128());
  return static_cast<SlotMask>(_mm_movemask_epi8(le1)) & 0xffu;
}

}  // namespace tophash::simd::sse_word

#endif  // __x86_64__
