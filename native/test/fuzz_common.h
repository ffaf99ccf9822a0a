// What every libFuzzer target here shares: a reader that turns the fuzzer's
// bytes into choices (zeros once they run out), the pick of supported
// kernels from the first bytes, a full scan into a map, and checks that
// abort (libFuzzer reports an abort as a crash and saves the input), plain
// or naming a broken table invariant.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cpu/cpu_registry.h"

namespace tophash::fuzz {

struct Reader {
  const uint8_t* p;
  size_t n;
  bool empty() const { return n == 0; }
  uint8_t byte() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  uint64_t u64() {
    uint64_t v = 0;
    const size_t take = n < 8 ? n : 8;
    std::memcpy(&v, p, take);
    p += take;
    n -= take;
    return v;
  }
};

// A kernel the CPU supports, chosen by b among them.
template <class T>
const T* pick(const std::vector<const T*>& all, uint8_t b) {
  std::vector<const T*> ok;
  for (const T* k : all) {
    if (cpu::supported(k->needs)) ok.push_back(k);
  }
  return ok[b % ok.size()];
}

// The match and hash kernels an input runs with: its first two bytes.
struct Kernels {
  const simd::MatchKernel* match;
  const hash::HashKernel* hash;
};
inline Kernels pick_kernels(Reader& r) {
  const simd::MatchKernel* match = pick(cpu::match_kernels(), r.byte());
  return {match, pick(cpu::hash_kernels(), r.byte())};
}

// Every entry of a table (U64Table, StrTable) through scan(), as a map from
// key_of(slot key) to value; aborts if one is emitted twice.
template <class Map, class Table, class KeyOf>
Map scanned(const Table& t, KeyOf key_of) {
  Map seen;
  uint64_t cursor = 0;
  do {
    cursor = t.scan(cursor, [&](const auto& k, double v) {
      if (!seen.emplace(key_of(k), v).second) std::abort();
    });
  } while (cursor != 0);
  return seen;
}

inline void check(bool ok) {
  if (!ok) std::abort();
}

// Aborts, naming it, on the problem a check_invariants() found ("" is none).
inline void check_sound(const std::string& problem) {
  if (problem.empty()) return;
  std::fprintf(stderr, "table invariant broken: %s\n", problem.c_str());
  std::abort();
}

}  // namespace tophash::fuzz
