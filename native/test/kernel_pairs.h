// Every (match, hash) kernel pair this CPU runs, for suites instantiated once
// per pair (INSTANTIATE_TEST_SUITE_P(..., ValuesIn(supported_pairs()), pair_name)).
#pragma once
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <tuple>
#include <vector>

#include "core/batch_pipeline.h"
#include "cpu/cpu_registry.h"

namespace tophash::test {

struct KernelPair {
  const simd::MatchKernel* match;
  const hash::HashKernel* hash;
};

inline std::vector<KernelPair> supported_pairs() {
  std::vector<KernelPair> pairs;
  for (auto* m : cpu::match_kernels()) {
    if (!cpu::supported(m->needs)) continue;
    for (auto* h : cpu::hash_kernels()) {
      if (cpu::supported(h->needs)) pairs.push_back({m, h});
    }
  }
  return pairs;
}

// "avx2_aes_portable": a valid test-name suffix.
inline std::string pair_name(const testing::TestParamInfo<KernelPair>& info) {
  std::string s = std::string(info.param.match->name) + "_" + info.param.hash->name;
  for (char& c : s) {
    if (c == '-') c = '_';
  }
  return s;
}

// Sets which tables batch lookups treat as cache-resident (key by key rather
// than the prefetching stages) for one test, and puts the limit back after.
class ScopedResidentBytes {
 public:
  explicit ScopedResidentBytes(size_t bytes) : saved_(core::batch::cache_resident_bytes()) {
    core::batch::set_cache_resident_bytes(bytes);
  }
  ~ScopedResidentBytes() { core::batch::set_cache_resident_bytes(saved_); }
  ScopedResidentBytes(const ScopedResidentBytes&) = delete;
  ScopedResidentBytes& operator=(const ScopedResidentBytes&) = delete;

 private:
  size_t saved_;
};

// "avx2_aes_key_by_key" / "avx2_aes_pipelined" for (pair, resident limit) suites.
inline std::string pair_and_path_name(
    const testing::TestParamInfo<std::tuple<KernelPair, size_t>>& info) {
  std::string s = pair_name(testing::TestParamInfo<KernelPair>(std::get<0>(info.param), 0));
  return s + (std::get<1>(info.param) == 0 ? "_pipelined" : "_key_by_key");
}

}  // namespace tophash::test
