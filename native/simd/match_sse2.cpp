// kMatchSse2: one control word per 128-bit compare for match_tag/match_empty,
// two buckets per vector in match_tag_many. SSE2 is the x86-64 baseline, so
// this kernel runs on every x86-64 CPU.
#if defined(__x86_64__)

#include <emmintrin.h>

#include <cstring>

#include "../cpu/cpu_features.h"
#include "match.h"
#include "match_sse_word.h"

#define TOPHASH_TARGET __attribute__((target("sse2")))

namespace tophash::simd {
namespace {

TOPHASH_TARGET SlotMask match_tag(uint64_t ctrl, uint8_t tag) {
  return sse_word::match_tag(ctrl, tag);
}

TOPHASH_TARGET SlotMask match_empty(uint64_t ctrl) { return sse_word::match_empty(ctrl); }

TOPHASH_TARGET void match_tag_many(const uint64_t* ctrls, const uint8_t* tags, size_t n,
                                   uint8_t* masks) {
  size_t i = 0;
  // Four buckets per iteration: two vectors of two control words each. The
  // four tag bytes are widened to 8 copies each with unpacks (SSE2 has no pshufb).
  for (; i + 4 <= n; i += 4) {
    uint32_t t4;
    std::memcpy(&t4, tags + i, 4);
    __m128i t = _mm_cvtsi32_si128(static_cast<int>(t4));
    t = _mm_unpacklo_epi8(t, t);  // t0 t0 t1 t1 t2 t2 t3 t3 ...
    t = _mm_unpacklo_epi16(t, t);  // t0 x4, t1 x4, t2 x4, t3 x4
    const __m128i t01 = _mm_unpacklo_epi32(t, t);  // t0 x8, t1 x8
    const __m128i t23 = _mm_unpackhi_epi32(t, t);  // t2 x8, t3 x8
    const __m128i c01 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(ctrls + i));
    const __m128i c23 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(ctrls + i + 2));
    const uint32_t m = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(c01, t01))) |
                       (static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(c23, t23))) << 16);
    std::memcpy(masks + i, &m, 4);  // byte k = mask of bucket i+k (little-endian)
  }
  if (i + 2 <= n) {
    uint16_t t2;
    std::memcpy(&t2, tags + i, 2);
    __m128i t = _mm_cvtsi32_si128(t2);
    t = _mm_unpacklo_epi8(t, t);
    t = _mm_unpacklo_epi16(t, t);
    t = _mm_unpacklo_epi32(t, t);  // t0 x8, t1 x8
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(ctrls + i));
    const uint16_t m = static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(c, t)));
    std::memcpy(masks + i, &m, 2);
    i += 2;
  }
  if (i < n) masks[i] = static_cast<uint8_t>(sse_word::match_tag(ctrls[i], tags[i]));
}

}  // namespace

extern const MatchKernel kMatchSse2 = {"sse2",      cpu::kSse2,     match_tag,
                                       match_empty, match_tag_many, WordMatch::kSse};

}  // namespace tophash::simd

#endif  // __x86_64__
