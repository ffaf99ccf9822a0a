// What the hash suites share: every hash kernel built into this binary, a
// skip for the ones this CPU lacks, test-name suffixes, and a deterministic
// random source independent of the code under test.
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cpu/cpu_features.h"
#include "hash/hash.h"

namespace tophash::hash {

inline std::vector<const HashKernel*> all_kernels() {
  std::vector<const HashKernel*> v = {&kHashFold, &kHashAesPortable};
#if defined(__x86_64__) || defined(_M_X64)
  v.push_back(&kHashAes);
  v.push_back(&kHashVaes);
#endif
  return v;
}

inline std::vector<const HashKernel*> aes_kernels() {
  std::vector<const HashKernel*> v;
  for (const HashKernel* k : all_kernels())
    if (k->family == Family::kAes) v.push_back(k);
  return v;
}

#define SKIP_IF_UNSUPPORTED(k)                                                    \
  do {                                                                            \
    if (!cpu::has_all((k)->needs)) GTEST_SKIP() << (k)->name << ": CPU lacks it"; \
  } while (0)

// "aes_portable": a valid test-name suffix.
inline std::string kernel_name(const ::testing::TestParamInfo<const HashKernel*>& info) {
  std::string n = info.param->name;
  for (char& c : n)
    if (c == '-') c = '_';
  return n;
}

// splitmix64.
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed) {}
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  void fill(uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) p[i] = uint8_t(next() >> 56);
  }
};

}  // namespace tophash::hash
