// The tiny interface every tophash match kernel implements (hashbrown's
// control/group idea, sized for Go's 8-slot buckets).
//
// A bucket's control word is its tophash[8] read as one little-endian u64:
// slot i is byte i. A SlotMask has bit i set for slot i (bits 8.. are 0).
//
// Within one bucket there are only 8 bytes to compare, so SSE2 is already
// wider than the data; wide SIMD (AVX2, AVX-512) earns its keep in
// match_tag_many, which compares the control words of 4 or 8 *different*
// keys' buckets in one instruction.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tophash::simd {

using SlotMask = uint32_t;

// Reserved tophash values (Go's runtime/map.go). Real tophashes are >= kMinTopHash.
inline constexpr uint8_t kEmptyRest = 0;  // this slot and every later one (and overflow) empty
inline constexpr uint8_t kEmptyOne = 1;  // this slot is empty
inline constexpr uint8_t kEvacuatedX = 2;  // moved to the low half of the new array
inline constexpr uint8_t kEvacuatedY = 3;  // moved to the high half
inline constexpr uint8_t kEvacuatedEmpty = 4;  // was empty, bucket evacuated
inline constexpr uint8_t kMinTopHash = 5;

// Which inline one-word match (match_*_word.h) a kernel's match_tag is, for
// loops that take it inline (match_word.h).
enum class WordMatch : uint8_t { kScalar, kSwar, kSse, kNeon };

struct MatchKernel {
  const char* name;  // "scalar", "swar", "sse2", "avx2", "avx512", "neon"
  uint32_t needs;  // tophash::cpu::Feature bits
  // Slots whose tophash byte equals tag.
  SlotMask (*match_tag)(uint64_t ctrl, uint8_t tag);
  // Slots that are free for an insert: tophash <= kEmptyOne.
  SlotMask (*match_empty)(uint64_t ctrl);
  // For i < n: masks[i] = match_tag(ctrls[i], tags[i]). n may be any size.
  void (*match_tag_many)(const uint64_t* ctrls, const uint8_t* tags, size_t n, uint8_t* masks);
  // The inline form of match_tag: the same function, compiled into the loop.
  WordMatch word;
};

// Defined one per ISA translation unit. A kernel for another architecture is
// not declared at all (its file compiles to nothing there), so code that
// names one must sit under the same #if; cpu_registry lists what exists.
extern const MatchKernel kMatchScalar;
extern const MatchKernel kMatchSwar;
#if defined(__x86_64__) || defined(_M_X64)
extern const MatchKernel kMatchSse2;
extern const MatchKernel kMatchAvx2;
extern const MatchKernel kMatchAvx512;
#endif
#if defined(__aarch64__)
extern const MatchKernel kMatchNeon;
#endif

}  // namespace tophash::simd
