// kMatchAvx512: match_tag/match_empty are the SSE-width compares; match_tag_many
// compares the control words of 8 different buckets against 8 different tags
// per 512-bit vector, with _mm512_cmpeq_epi8_mask (AVX512BW) giving the 64-bit
// mask whose byte k is bucket k's SlotMask directly.
//
// Only AVX512F+BW are enabled (not VL): every 128/256-bit op here is plain
// VEX AVX/AVX2, which target("avx512f") implies, hence the needs list.
#if defined(__x86_64__)

#include <immintrin.h>

#include <cstring>

#include "../cpu/cpu_features.h"
#include "match.h"
#include "match_sse_word.h"

#define TOPHASH_TARGET __attribute__((target("avx2,avx512f,avx512bw")))

namespace tophash::simd {
namespace {

TOPHASH_TARGET SlotMask match_tag(uint64_t ctrl, uint8_t tag) {
  return sse_word::match_tag(ctrl, tag);
}

TOPHASH_TARGET SlotMask match_empty(uint64_t ctrl) { return sse_word::match_empty(ctrl); }

TOPHASH_TARGET void match_tag_many(const uint64_t* ctrls, const uint8_t* tags, size_t n,
                                   uint8_t* masks) {
  const long long l = 0x0101010101010101ll;
  // vpshufb indices: qword k is all k, so 128-bit lane j (qwords 2j, 2j+1)
  // picks tag bytes 2j and 2j+1 from its copy of the broadcast tags.
  const __m512i idx8 = _mm512_setr_epi64(0, l, 2 * l, 3 * l, 4 * l, 5 * l, 6 * l, 7 * l);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t t8;
    std::memcpy(&t8, tags + i, 8);
    const __m512i t = _mm512_shuffle_epi8(_mm512_set1_epi64(static_cast<long long>(t8)), idx8);
    const __m512i c = _mm512_loadu_si512(ctrls + i);
    const uint64_t m = _mm512_cmpeq_epi8_mask(c, t);
    std::memcpy(masks + i, &m, 8);  // byte k = mask of bucket i+k
  }
  // Narrow tail (< 8 buckets): one 256-bit step of 4, then one bucket at a time.
  if (i + 4 <= n) {
    uint32_t t4;
    std::memcpy(&t4, tags + i, 4);
    const __m256i idx4 = _mm256_setr_epi64x(0, l, 2 * l, 3 * l);
    const __m256i t = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(t4)), idx4);
    const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ctrls + i));
    const uint32_t m = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(c, t)));
    std::memcpy(masks + i, &m, 4);
    i += 4;
  }
  for (; i < n; ++i) masks[i] = static_cast<uint8_t>(sse_word::match_tag(ctrls[i], tags[i]));
}

}  // namespace

extern const MatchKernel kMatchAvx512 = {
    "avx512",
    cpu::kAvx | cpu::kAvx2 | cpu::kOsAvx | cpu::kAvx512f | cpu::kAvx512bw | cpu::kOsAvx512,
    match_tag,
    match_empty,
    match_tag_many,
    WordMatch::kSse};

}  // namespace tophash::simd

#endif  // __x86_64__
