// Every (match, hash) kernel pair this CPU runs, for suites instantiated once
// per pair (INSTANTIATE_TEST_SUITE_P(..., ValuesIn(supported_pairs()), pair_name)).
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <vector>

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

}  // namespace tophash::test
