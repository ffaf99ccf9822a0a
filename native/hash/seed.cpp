// expand_seed: the 8 key words every kernel reads, derived once per map.
//
// splitmix64 turns any 64-bit seed, including 0 and small counters, into
// words with no visible relation to each other or to the seed; the kernels
// then never need to whiten the seed per call. The AES family reads the words
// as four 128-bit round keys, the fold family as eight 64-bit multipliers.
#include "cpu/cpu_features.h"
#include "hash/aes_family.h"
#include "hash/hash.h"

namespace tophash::hash {

Seed expand_seed(uint64_t seed) {
  Seed s;
  uint64_t state = seed;
  for (uint64_t& w : s.k) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    w = z ^ (z >> 31);
  }
#if defined(__x86_64__) || defined(_M_X64)
  if (cpu::has_all(cpu::kAes | cpu::kSse41)) {
    aesfam::short_starts_ni(s.k, s.aes_start);
    return s;
  }
#endif
  for (size_t len = 0; len <= aesfam::kShortMax; ++len)
    aesfam::start_portable(s.k, len, s.aes_start[len]);
  return s;
}

}  // namespace tophash::hash
