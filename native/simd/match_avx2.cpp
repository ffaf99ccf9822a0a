// kMatchAvx2: match_tag/match_empty are the SSE-width compares (VEX-encoded);
// match_tag_many compares the control words of 4 different buckets against 4
// different tags per 256-bit vector.
//
// Compiled without -mavx2: only the functions below carry target("avx2"), so
// the addon still loads on an SSE2-only CPU and this kernel is picked only when
// cpu::has_all(needs).
#if defined(__x86_64__)

#include <immintrin.h>

#include <cstring>

#include "../cpu/cpu_features.h"
#include "match.h"
#include "match_sse_word.h"

#define TOPHASH_TARGET __attribute__((target("avx2")))

namespace tophash::simd {
namespace {

TOPHASH_TARGET SlotMask match_tag(uint64_t ctrl, uint8_t tag) {
  return sse_word::match_tag(ctrl, tag);
}

TOPHASH_TARGET SlotMask match_empty(uint64_t ctrl) { return sse_word::match_empty(ctrl); }

// pshufb indices that spread tag byte k over the 8 bytes of bucket k's lane.
// vpshufb works within 128-bit lanes; the tag bytes are broadcast to every lane
// first, so lane 1 can pick bytes 2 and 3 (or 6 and 7) of its own copy.
TOPHASH_TARGET inline __m256i spread_idx(char first) {
  const long long l = 0x0101010101010101ll;
  return _mm256_setr_epi64x(l * first, l * (first + 1), l * (first + 2), l * (first + 3));
}

// masks of buckets i..i+3 as a u32 (byte k = bucket k), tags already spread.
TOPHASH_TARGET inline uint32_t cmp4(const uint64_t* ctrls, __m256i spread_tags) {
  const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ctrls));
  return static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(c, spread_tags)));
}

TOPHASH_TARGET void match_tag_many(const uint64_t* ctrls, const uint8_t* tags, size_t n,
                                   uint8_t* masks) {
  const __m256i idx_lo = spread_idx(0);  // tags 0..3
  const __m256i idx_hi = spread_idx(4);  // tags 4..7
  size_t i = 0;
  // Eight buckets per iteration (two independent 256-bit compares).
  for (; i + 8 <= n; i += 8) {
    uint64_t t8;
    std::memcpy(&t8, tags + i, 8);
    const __m256i t = _mm256_set1_epi64x(static_cast<long long>(t8));
    const uint64_t m =
        cmp4(ctrls + i, _mm256_shuffle_epi8(t, idx_lo)) |
        (static_cast<uint64_t>(cmp4(ctrls + i + 4, _mm256_shuffle_epi8(t, idx_hi))) << 32);
    std::memcpy(masks + i, &m, 8);
  }
  if (i + 4 <= n) {
    uint32_t t4;
    std::memcpy(&t4, tags + i, 4);
    const __m256i t = _mm256_set1_epi32(static_cast<int>(t4));
    const uint32_t m = cmp4(ctrls + i, _mm256_shuffle_epi8(t, idx_lo));
    std::memcpy(masks + i, &m, 4);
    i += 4;
  }
  // Narrow tail: at most 3 buckets.
  for (; i < n; ++i) masks[i] = static_cast<uint8_t>(sse_word::match_tag(ctrls[i], tags[i]));
}

}  // namespace

// target("avx2") lets the compiler use any AVX/AVX2 instruction; both need the
// OS to save YMM state.
extern const MatchKernel kMatchAvx2 = {"avx2",         cpu::kAvx | cpu::kAvx2 | cpu::kOsAvx,
                                       match_tag,      match_empty,
                                       match_tag_many, WordMatch::kSse};

}  // namespace tophash::simd

#endif  // __x86_64__
