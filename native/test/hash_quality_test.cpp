// Keyset quality tests of the hash families, in the spirit of the public
// SMHasher suite's keysets (written here, not taken from it). Each keyset is
// hashed by every kernel forced in turn under several seeds, and the results
// are held to what random 64-bit outputs would give:
//   - full 64-bit collisions: at most the Poisson bound for n keys;
//   - collisions of the low and of the high 32 bits (the bucket index and the
//     tophash come from those ends): within 6 sd of the birthday expectation;
//   - the low bits and the top byte binned as the table uses them: a
//     chi-square within 6 sd;
//   - avalanche: flipping any input bit flips every output bit with
//     probability 1/2 within max(1 %, 6 sd of the sampling noise).
// Sizes: TOPHASH_HASH_QUALITY=full runs the whole set (scripts/hash-quality.sh,
// minutes); CI runs a subset, and a smaller one under sanitizers or with
// TOPHASH_HASH_QUALITY=smoke (under emulation). Every
// keyset prints a QUALITY line, which the script turns into the README's
// table. All inputs and seeds are fixed, so nothing here is flaky.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

#include "hash/hash.h"
#include "test/hash_kernels.h"

namespace tophash::hash {
namespace {

enum class Scale { kSmoke, kCi, kFull };

Scale scale() {
  const char* v = std::getenv("TOPHASH_HASH_QUALITY");
  if (v != nullptr && std::strcmp(v, "full") == 0) return Scale::kFull;
  if (v != nullptr && std::strcmp(v, "smoke") == 0) return Scale::kSmoke;  // e.g. under emulation
#if defined(__SANITIZE_ADDRESS__)
  return Scale::kSmoke;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return Scale::kSmoke;
#endif
#endif
  return Scale::kCi;
}

size_t sized(size_t smoke, size_t ci, size_t full) {
  switch (scale()) {
    case Scale::kSmoke: return smoke;
    case Scale::kCi: return ci;
    case Scale::kFull: break;
  }
  return full;
}

std::vector<uint64_t> seeds() {
  if (scale() == Scale::kFull) return {0, 0x0123456789abcdefull, 0xfeedfacecafebeefull};
  return {0x0123456789abcdefull};
}

// ---------------------------------------------------------------------------
// Statistics of random 64-bit outputs.

// Expected number of repeats (n minus the distinct values) among n uniform
// draws from 2^bits values.
double expected_repeats(double n, int bits) {
  const double m = std::ldexp(1.0, bits);
  if (bits > 48) return n * (n - 1) / (2 * m);  // the exact form cancels in double
  return n - m * -std::expm1(n * std::log1p(-1 / m));
}

// The smallest k with P(Poisson(lambda) > k) < 1e-9.
uint64_t poisson_bound(double lambda) {
  double term = std::exp(-lambda), cdf = term;
  uint64_t k = 0;
  while (1 - cdf >= 1e-9 && k < 1000000) {
    ++k;
    term *= lambda / double(k);
    cdf += term;
  }
  return k;
}

uint64_t repeats(std::vector<uint64_t> v) {
  std::sort(v.begin(), v.end());
  uint64_t r = 0;
  for (size_t i = 1; i < v.size(); ++i) r += v[i] == v[i - 1];
  return r;
}

template <class Project>
uint64_t repeats_of(const std::vector<uint64_t>& h, Project project) {
  std::vector<uint64_t> v(h.size());
  for (size_t i = 0; i < h.size(); ++i) v[i] = project(h[i]);
  return repeats(std::move(v));
}

// (chi-square - df) / sd of hashes binned by `bits` bits from `shift`.
double chi_square_z(const std::vector<uint64_t>& h, int shift, int bits) {
  const size_t bins = size_t{1} << bits;
  std::vector<uint32_t> count(bins);
  for (uint64_t x : h) count[(x >> shift) & (bins - 1)]++;
  const double expected = double(h.size()) / double(bins);
  double chi = 0;
  for (uint32_t c : count) chi += (c - expected) * (c - expected) / expected;
  const double df = double(bins - 1);
  return (chi - df) / std::sqrt(2 * df);
}

// Checks one keyset's hashes and prints its QUALITY line.
void expect_random_like(const std::vector<uint64_t>& h, const std::string& keyset,
                        const HashKernel& k, uint64_t seed) {
  const double n = double(h.size());
  const uint64_t full = repeats(h);
  const uint64_t lo = repeats_of(h, [](uint64_t x) { return x & 0xffffffffu; });
  const uint64_t hi = repeats_of(h, [](uint64_t x) { return x >> 32; });
  const double e64 = expected_repeats(n, 64), e32 = expected_repeats(n, 32);
  // Bins of the low bits: as many as keep ~16 keys in each, up to 2^20.
  int low_bits = 4;
  while (low_bits < 20 && n / std::ldexp(1.0, low_bits + 1) >= 16) ++low_bits;
  const double z_low = chi_square_z(h, 0, low_bits), z_top = chi_square_z(h, 56, 8);
  std::printf(
      "QUALITY | %s | %s | %016llx | %zu | %llu | %.2g | %llu | %llu | %.1f | %+.1f | %+.1f\n",
      keyset.c_str(), k.name, static_cast<unsigned long long>(seed), h.size(),
      static_cast<unsigned long long>(full), e64, static_cast<unsigned long long>(lo),
      static_cast<unsigned long long>(hi), e32, z_low, z_top);
  const std::string what = keyset + " / " + k.name + " / seed " + std::to_string(seed);
  EXPECT_LE(full, poisson_bound(e64)) << what << ": 64-bit collisions";
  const double slack = 6 * std::sqrt(e32) + 3;
  EXPECT_NEAR(double(lo), e32, slack) << what << ": low 32 bits";
  EXPECT_NEAR(double(hi), e32, slack) << what << ": high 32 bits";
  EXPECT_LT(std::fabs(z_low), 6.0) << what << ": low " << low_bits << " bits";
  EXPECT_LT(std::fabs(z_top), 6.0) << what << ": top byte";
}

// ---------------------------------------------------------------------------
// Keysets. Each calls emit(bytes, len) once per key; keys are distinct.

// Every key of 1..max_len bytes with one or two non-zero bytes, all lengths
// in one set: the cross-length case that broke the one-round start block.
template <class Emit>
void sparse_byte_keys(size_t max_len, Emit&& emit) {
  uint8_t b[16] = {};
  for (size_t len = 1; len <= max_len; ++len)
    for (size_t i = 0; i < len; ++i)
      for (int v = 1; v < 256; ++v) {
        b[i] = uint8_t(v);
        emit(b, len);
        for (size_t j = i + 1; j < len; ++j)
          for (int w = 1; w < 256; ++w) {
            b[j] = uint8_t(w);
            emit(b, len);
            b[j] = 0;
          }
        b[i] = 0;
      }
}

// Keys of `bits` bits with at most `max_set` bits set (the zero key included).
template <class Emit>
void sparse_bit_keys(size_t bits, int max_set, Emit&& emit) {
  std::vector<uint8_t> b(bits / 8);
  emit(b.data(), b.size());
  auto rec = [&](auto& self, size_t from, int left) -> void {
    for (size_t i = from; i < bits; ++i) {
      b[i / 8] ^= uint8_t(1u << (i % 8));
      emit(b.data(), b.size());
      if (left > 1) self(self, i + 1, left - 1);
      b[i / 8] ^= uint8_t(1u << (i % 8));
    }
  };
  rec(rec, 0, max_set);
}

// `count` distinct keys, each a random cycle of `cycle` bytes repeated `reps` times.
template <class Emit>
void cyclic_keys(size_t cycle, size_t reps, size_t count, Emit&& emit) {
  Rng rng(cycle * 1000 + reps);
  std::unordered_set<std::string> seen;
  std::vector<uint8_t> b(cycle * reps);
  while (seen.size() < count) {
    rng.fill(b.data(), cycle);
    if (!seen.emplace(reinterpret_cast<const char*>(b.data()), cycle).second) continue;
    for (size_t r = 1; r < reps; ++r) std::memcpy(b.data() + r * cycle, b.data(), cycle);
    emit(b.data(), b.size());
  }
}

// Keys that differ only in how many zero bytes follow them: all-zero keys of
// every length up to `zeros`, and `prefixes` distinct random prefixes of 1..8
// bytes ending in a non-zero byte (so no two keys are equal), each followed
// by 0..64 zero bytes.
template <class Emit>
void zero_extended_keys(size_t zeros, size_t prefixes, Emit&& emit) {
  std::vector<uint8_t> b(std::max<size_t>(zeros, 8 + 64), 0);
  for (size_t len = 0; len <= zeros; ++len) emit(b.data(), len);
  Rng rng(5);
  std::unordered_set<std::string> seen;
  for (size_t attempt = 0; seen.size() < prefixes; ++attempt) {
    const size_t plen = 1 + attempt % 8;  // 1-byte prefixes run out at 255
    std::fill(b.begin(), b.end(), 0);
    rng.fill(b.data(), plen);
    if (b[plen - 1] == 0) b[plen - 1] = 1;
    if (!seen.emplace(reinterpret_cast<const char*>(b.data()), plen).second) continue;
    for (size_t z = 0; z <= 64; ++z) emit(b.data(), plen + z);
  }
}

// Text with common prefixes and suffixes: "user:<n>", "/api/v2/users/<n>/orders",
// and "Foo" + every string of `core` characters from [A-Za-z0-9] + "Bar".
template <class Emit>
void text_keys(size_t users, size_t paths, int core, Emit&& emit) {
  char buf[64];
  for (size_t n = 0; n < users; ++n) {
    const int len = std::snprintf(buf, sizeof buf, "user:%zu", n);
    emit(reinterpret_cast<const uint8_t*>(buf), size_t(len));
  }
  for (size_t n = 0; n < paths; ++n) {
    const int len = std::snprintf(buf, sizeof buf, "/api/v2/users/%zu/orders", n);
    emit(reinterpret_cast<const uint8_t*>(buf), size_t(len));
  }
  static const char kAlnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::memcpy(buf, "Foo", 3);
  std::memcpy(buf + 3 + core, "Bar", 3);
  size_t total = 1;
  for (int i = 0; i < core; ++i) total *= 62;
  for (size_t n = 0; n < total; ++n) {
    size_t v = n;
    for (int i = 0; i < core; ++i, v /= 62) buf[3 + i] = kAlnum[v % 62];
    emit(reinterpret_cast<const uint8_t*>(buf), size_t(core + 6));
  }
}

// ---------------------------------------------------------------------------

class HashQuality : public ::testing::TestWithParam<const HashKernel*> {
 protected:
  // Hashes a keyset with bytes() under every seed and checks it.
  template <class Generate>
  void check(const std::string& keyset, Generate&& generate) {
    const HashKernel& k = *GetParam();
    for (uint64_t seed : seeds()) {
      const Seed s = expand_seed(seed);
      std::vector<uint64_t> h;
      generate([&](const uint8_t* p, size_t len) { h.push_back(k.bytes(p, len, s)); });
      expect_random_like(h, keyset, k, seed);
    }
  }
};

INSTANTIATE_TEST_SUITE_P(Hash, HashQuality, ::testing::ValuesIn(all_kernels()), kernel_name);

TEST_P(HashQuality, OneOrTwoNonZeroBytesAcrossLengths) {
  SKIP_IF_UNSUPPORTED(GetParam());
  const size_t max_len = sized(4, 8, 16);
  check("<=2 non-zero bytes, len 1.." + std::to_string(max_len),
        [&](auto&& emit) { sparse_byte_keys(max_len, emit); });
}

TEST_P(HashQuality, SparseKeys) {
  SKIP_IF_UNSUPPORTED(GetParam());
  struct Set {
    size_t bits;
    int san, ci, full;
  };
  for (const Set& set : {Set{32, 3, 4, 6}, Set{64, 2, 4, 5}, Set{128, 2, 3, 4}, Set{256, 2, 2, 3},
                         Set{1024, 1, 2, 2}}) {
    const int max_set = int(sized(size_t(set.san), size_t(set.ci), size_t(set.full)));
    check("sparse " + std::to_string(set.bits) + "-bit, <=" + std::to_string(max_set) + " bits",
          [&](auto&& emit) { sparse_bit_keys(set.bits, max_set, emit); });
  }
}

// The u64 entry point the U64Map uses, over sparse 64-bit keys.
TEST_P(HashQuality, SparseU64KeysThroughTheBatchPath) {
  const HashKernel& k = *GetParam();
  SKIP_IF_UNSUPPORTED(&k);
  const int max_set = int(sized(2, 4, 5));
  std::vector<uint64_t> keys;
  sparse_bit_keys(64, max_set, [&](const uint8_t* p, size_t) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    keys.push_back(v);
  });
  for (uint64_t seed : seeds()) {
    std::vector<uint64_t> h(keys.size());
    k.u64_many(keys.data(), keys.size(), expand_seed(seed), h.data());
    expect_random_like(h, "sparse u64, <=" + std::to_string(max_set) + " bits (u64_many)", k, seed);
  }
}

TEST_P(HashQuality, CyclicKeys) {
  SKIP_IF_UNSUPPORTED(GetParam());
  const size_t count = sized(10000, 100000, 1000000);
  for (size_t cycle : {3, 4, 8, 12, 16})
    check("cyclic " + std::to_string(cycle) + " x 8 bytes",
          [&](auto&& emit) { cyclic_keys(cycle, 8, count, emit); });
}

TEST_P(HashQuality, KeysThatDifferOnlyInLength) {
  SKIP_IF_UNSUPPORTED(GetParam());
  const size_t zeros = sized(256, 2048, 16384), prefixes = sized(500, 4000, 40000);
  check("zero-extended", [&](auto&& emit) { zero_extended_keys(zeros, prefixes, emit); });
}

TEST_P(HashQuality, TextKeys) {
  SKIP_IF_UNSUPPORTED(GetParam());
  const size_t users = sized(20000, 1000000, 10000000), paths = sized(20000, 200000, 2000000);
  const int core = int(sized(2, 3, 4));
  check("text: user:<n>, paths, Foo" + std::string(size_t(core), '*') + "Bar",
        [&](auto&& emit) { text_keys(users, paths, core, emit); });
}

// Flip each input bit of random keys: every output bit must flip half the
// time. The bias |2p - 1| of the worst (input, output) pair is held to 1 %,
// or to 6 sd of the sampling noise (1/sqrt(reps)) where fewer reps run.
TEST_P(HashQuality, Avalanche) {
  const HashKernel& k = *GetParam();
  SKIP_IF_UNSUPPORTED(&k);
  const Seed s = expand_seed(seeds()[0]);
  std::vector<size_t> lens = {4, 8, 16, 24, 64};
  if (scale() == Scale::kFull) lens = {3, 4, 8, 12, 16, 20, 24, 32, 48, 64, 128, 160};
  Rng rng(41);
  for (size_t len : lens) {
    const size_t reps = len <= 32 ? sized(2000, 20000, 1000000) : sized(1000, 10000, 300000);
    const size_t in_bits = len * 8;
    std::vector<uint32_t> flips(in_bits * 64);
    std::vector<uint8_t> key(len);
    for (size_t r = 0; r < reps; ++r) {
      rng.fill(key.data(), len);
      const uint64_t h0 = k.bytes(key.data(), len, s);
      for (size_t b = 0; b < in_bits; ++b) {
        key[b / 8] ^= uint8_t(1u << (b % 8));
        const uint64_t d = h0 ^ k.bytes(key.data(), len, s);
        key[b / 8] ^= uint8_t(1u << (b % 8));
        uint32_t* row = &flips[b * 64];
        for (int o = 0; o < 64; ++o) row[o] += uint32_t(d >> o) & 1;
      }
    }
    double worst = 0;
    size_t worst_at = 0;
    for (size_t i = 0; i < flips.size(); ++i) {
      const double bias = std::fabs(2.0 * flips[i] / double(reps) - 1);
      if (bias > worst) worst = bias, worst_at = i;
    }
    const double bound = std::max(0.01, 6 / std::sqrt(double(reps)));
    std::printf("AVALANCHE | %s | %zu bytes | %zu reps | worst bias %.3f %% (bound %.2f %%)\n",
                k.name, len, reps, 100 * worst, 100 * bound);
    EXPECT_LT(worst, bound) << k.name << " len " << len << ": input bit " << worst_at / 64
                            << " -> output bit " << worst_at % 64;
  }
}

// The statistics themselves: a deliberately weak "hash" (the identity on
// the first 8 bytes) must fail the keyset checks, so a pass above means
// something.
TEST(HashQualityChecks, RejectAWeakHash) {
  std::vector<uint64_t> h;
  sparse_byte_keys(3, [&](const uint8_t* p, size_t len) {
    uint64_t v = 0;
    std::memcpy(&v, p, len);
    h.push_back(v);
  });
  EXPECT_GT(repeats(h), poisson_bound(expected_repeats(double(h.size()), 64)));
  EXPECT_GT(std::fabs(chi_square_z(h, 56, 8)), 6.0);
}

}  // namespace
}  // namespace tophash::hash
