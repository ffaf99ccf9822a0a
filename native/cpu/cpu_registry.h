// The kernel registry (in the manner of simdjson's/simdutf's implementation
// lists): every match and hash kernel compiled into the addon, whether this CPU
// can run it, and the rule that turns a requested name into a kernel.
//
// Resolution rule for select_match / select_hash(requested, &error):
//   1. requested non-null and non-empty: that name ("for match" / "for hash"
//      in error messages);
//   2. else the env var TOPHASH_FORCE_MATCH / TOPHASH_FORCE_HASH if set and
//      non-empty (error messages say "for TOPHASH_FORCE_MATCH" etc.);
//   3. else the default: for match the best supported kernel (the last
//      supported one in match_kernels()); for hash the first supported name of
//      kHashDefaultOrder in cpu_registry.cpp ("vaes", "aes", then "fold").
// An unknown or unsupported name returns nullptr and sets *error (if error is
// non-null), e.g.
//   Expected one of scalar, swar, sse2, avx2, avx512 for match but received 'foo'
//   Expected a match kernel this CPU supports (scalar, swar, sse2) for match but received 'avx512' (needs avx512f, avx512bw)
// The "(needs ...)" part lists the features this CPU lacks; OS-state bits
// (os_avx, os_avx512) are listed only when nothing else is missing, i.e. when
// the silicon has the feature but the OS does not enable it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "../hash/hash.h"
#include "../simd/match.h"
#include "cpu_features.h"

namespace tophash::cpu {

struct KernelInfo {
  const char* kind;  // "match" | "hash"
  const char* name;
  uint32_t needs;
  bool supported;  // has_all(needs) on this CPU (after TOPHASH_CPU_MASK)
};

// All match kernels compiled in, in preference order worst -> best
// (scalar, swar, sse2, avx2, avx512 on x86-64; scalar, swar, neon on arm64).
std::vector<const simd::MatchKernel*> match_kernels();
// All hash kernels compiled in: aes, vaes, aes-portable, fold (x86-64);
// aes-portable, fold elsewhere.
std::vector<const hash::HashKernel*> hash_kernels();
// Every kernel above as a row (match kernels first), for bindings / diagnostics.
std::vector<KernelInfo> kernels();

// Resolve a requested name (see the rule above). Never returns an unsupported kernel.
const simd::MatchKernel* select_match(const char* requested, std::string* error);
const hash::HashKernel* select_hash(const char* requested, std::string* error);

// "avx512f, avx512bw": names of the set bits in kFeatureNames order; bits with
// no name in this build are written "bit<N>". Empty string for 0.
std::string describe_needs(uint32_t needs);

// has_all(needs): whether this CPU (after TOPHASH_CPU_MASK) runs a kernel.
bool supported(uint32_t needs);

// --- Testing seam: the lookup behind select_*, with the CPU's features passed
// in so tests can check messages for a simulated CPU or a fake kernel. ---
struct Candidate {
  const char* name;
  uint32_t needs;
};
// Index of `name` in `candidates`, or -1 with *error set (if non-null) when
// the name is unknown or (needs & ~features) != 0. `kind` is "match"/"hash";
// `source` is what the name came from ("match", "hash", "TOPHASH_FORCE_MATCH"...).
int find_candidate(const std::vector<Candidate>& candidates, const char* kind, const char* source,
                   const std::string& name, uint32_t features, std::string* error);

}  // namespace tophash::cpu
