// Fixed-width byte keys (core/fixed_map.h) against
// std::unordered_map<std::string, double>, once per (match, hash) kernel pair
// and for key sizes 1, 3, 8, 13, 16, 64, 256 and sizes just past a class
// boundary: random single ops, packed batches against single ops, iteration,
// growth, keys flush against an unmapped page.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/fixed_map.h"
#include "cpu/cpu_registry.h"
#include "test/kernel_pairs.h"
#include "test/table_oracle.h"

namespace tophash::core {
namespace {

using test::KernelPair;
using test::pair_name;
using test::supported_pairs;

using Oracle = std::unordered_map<std::string, double>;

const size_t kKeySizes[] = {1, 3, 8, 13, 16, 17, 33, 64, 65, 129, 256};

const uint8_t* bytes_of(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// Keys of `size` bytes from a small space (so hits, updates and deletes are
// common), mostly zero bytes with one or two random ones: keys that differ
// only near the end, or only in a byte the padding would hide if it leaked.
std::vector<std::string> key_pool(size_t size, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> keys;
  std::unordered_map<std::string, int> seen;
  const size_t distinct = size == 1 ? 256 : n;
  while (keys.size() < distinct) {
    std::string k(size, '\0');
    if (size == 1) {
      k[0] = static_cast<char>(keys.size());
    } else if (rng() % 2) {
      for (char& c : k) c = static_cast<char>(rng());
    } else {
      k[rng() % size] = static_cast<char>(rng());
      k[size - 1 - rng() % 2] = static_cast<char>(rng());
    }
    if (seen.emplace(k, 0).second) keys.push_back(k);
  }
  return keys;
}

void expect_same(const FixedMap& m, const Oracle& oracle) {
  ASSERT_EQ(m.check_invariants(), "");
  ASSERT_EQ(m.size(), oracle.size());
  for (auto& [k, v] : oracle) {
    const double* got = m.find(bytes_of(k));
    ASSERT_NE(got, nullptr);
    ASSERT_EQ(*got, v);
  }
  Oracle seen;
  uint64_t cursor = 0;
  do {
    cursor = m.scan(cursor, [&](const uint8_t* k, double v) {
      std::string key(reinterpret_cast<const char*>(k), m.key_size());
      ASSERT_TRUE(seen.emplace(key, v).second) << "key emitted twice";
    });
  } while (cursor != 0);
  ASSERT_EQ(seen, oracle);
}

class FixedTableTest : public testing::TestWithParam<KernelPair> {
 protected:
  FixedMap make(size_t key_size, uint64_t seed = 1) {
    return FixedMap(key_size, GetParam().match, GetParam().hash, seed, 0);
  }
};

TEST_P(FixedTableTest, RandomOpsMatchOracleForEveryKeySize) {
  for (size_t size : kKeySizes) {
    SCOPED_TRACE("keySize " + std::to_string(size));
    const std::vector<std::string> pool = key_pool(size, 600, size);
    std::mt19937_64 rng(size * 31);
    FixedMap m = make(size, size);
    EXPECT_EQ(m.key_class(), fixed_key_class(size));
    Oracle oracle;
    // Enough inserts to grow a few times; deletes to reuse slots.
    for (int round = 0; round < 3000; ++round) {
      const std::string& key = pool[rng() % pool.size()];
      ASSERT_NO_FATAL_FAILURE(test::random_op(
          rng, oracle, key, [&](double v) { return m.assign(bytes_of(key), v); },
          [&] { return m.erase(bytes_of(key)); }, [&] { return m.find(bytes_of(key)); }));
      ASSERT_EQ(m.check_invariants(), "") << "round " << round;
    }
    expect_same(m, oracle);
    m.clear();
    expect_same(m, Oracle{});
  }
}

TEST_P(FixedTableTest, BatchesAgreeWithSingleOps) {
  for (size_t size : {size_t{3}, size_t{13}, size_t{64}, size_t{256}}) {
    SCOPED_TRACE("keySize " + std::to_string(size));
    const std::vector<std::string> pool = key_pool(size, 1500, size + 1);
    std::mt19937_64 rng(size);
    FixedMap m = make(size, 2);
    auto pack = [&](const std::vector<std::string>& keys) {
      std::string packed;
      for (const std::string& k : keys) packed += k;
      return packed;
    };
    std::vector<std::string> keys(2000);
    std::vector<double> values(keys.size());
    Oracle oracle;
    for (size_t i = 0; i < keys.size(); ++i) {
      keys[i] = pool[rng() % 1000];
      values[i] = static_cast<double>(i);
      oracle[keys[i]] = values[i];
    }
    const std::string set = pack(keys);
    EXPECT_EQ(m.set_batch(bytes_of(set), keys.size(), values.data()), oracle.size());
    expect_same(m, oracle);

    std::vector<std::string> probes(1500);
    for (std::string& p : probes) p = pool[rng() % pool.size()];
    const std::string pb = pack(probes);
    // Both lookup paths: the prefetching stages, and key by key.
    for (size_t resident_limit : {size_t{0}, SIZE_MAX}) {
      const test::ScopedResidentBytes path(resident_limit);
      std::vector<double> out(probes.size());
      std::vector<uint8_t> found(probes.size()), has(probes.size());
      const size_t hits = m.get_batch(bytes_of(pb), probes.size(), out.data(), found.data());
      EXPECT_EQ(m.has_batch(bytes_of(pb), probes.size(), has.data()), hits);
      ASSERT_NO_FATAL_FAILURE(test::expect_batch_agrees(
          oracle, probes.size(), [&](size_t i) { return probes[i]; },
          [&](size_t i) { return m.find(bytes_of(probes[i])) != nullptr; }, out.data(),
          found.data(), has.data(), hits));
    }

    std::vector<std::string> dels(probes.begin(), probes.begin() + 800);
    size_t expect_deleted = 0;
    for (const std::string& d : dels) expect_deleted += oracle.erase(d);
    const std::string db = pack(dels);
    EXPECT_EQ(m.delete_batch(bytes_of(db), dels.size()), expect_deleted);
    expect_same(m, oracle);
  }
}

TEST_P(FixedTableTest, KeysEndingAtAPageBoundary) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  auto* base = static_cast<uint8_t*>(
      mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(base, MAP_FAILED);
  ASSERT_EQ(mprotect(base + page, page, PROT_NONE), 0);
  uint8_t* end = base + page;
  std::mt19937_64 rng(5);
  for (size_t size : kKeySizes) {
    SCOPED_TRACE("keySize " + std::to_string(size));
    FixedMap m = make(size, 3);
    // Single ops on a key flush against the unmapped page.
    uint8_t* key = end - size;
    for (size_t i = 0; i < size; ++i) key[i] = static_cast<uint8_t>(rng());
    ASSERT_TRUE(m.assign(key, 1.5));
    ASSERT_NE(m.find(key), nullptr);
    ASSERT_EQ(*m.find(key), 1.5);
    ASSERT_TRUE(m.erase(key));
    // A batch of 8 keys whose last one ends at the page.
    const size_t n = 8;
    uint8_t* keys = end - n * size;
    for (size_t i = 0; i < n * size; ++i) keys[i] = static_cast<uint8_t>(rng());
    std::vector<double> values(n, 2.5), out(n);
    m.set_batch(keys, n, values.data());
    ASSERT_EQ(m.get_batch(keys, n, out.data(), nullptr), n);
    for (double v : out) ASSERT_EQ(v, 2.5);
    ASSERT_EQ(m.delete_batch(keys, n), n);
    ASSERT_EQ(m.size(), 0u);
  }
  munmap(base, 2 * page);
}

INSTANTIATE_TEST_SUITE_P(AllKernels, FixedTableTest, testing::ValuesIn(supported_pairs()),
                         pair_name);

TEST(FixedKeys, SizeClasses) {
  const std::pair<size_t, size_t> classes[] = {{0, 0},     {1, 8},     {8, 8},   {9, 16},  {13, 16},
                                               {17, 24},   {33, 48},   {37, 48}, {49, 64}, {65, 96},
                                               {129, 192}, {256, 256}, {257, 0}};
  for (auto [size, cls] : classes) EXPECT_EQ(fixed_key_class(size), cls) << "keySize " << size;
  for (size_t s = 1; s <= kMaxFixedKeySize; ++s) {
    const size_t c = fixed_key_class(s);
    ASSERT_GE(c, s);
    ASSERT_EQ(c % 8, 0u);
    // Up to 32 bytes at most 7 bytes of padding, past that at most 1.5x.
    if (s <= 32) {
      ASSERT_LE(c - s, 7u) << s;
    } else {
      ASSERT_LE(2 * c, 3 * s) << s;
    }
  }
  const auto* m = cpu::select_match(nullptr, nullptr);
  const auto* h = cpu::select_hash(nullptr, nullptr);
  EXPECT_THROW(FixedMap(0, m, h, 1, 0), std::invalid_argument);
  EXPECT_THROW(FixedMap(257, m, h, 1, 0), std::invalid_argument);
}

TEST(FixedKeys, GrowsAndKeepsEveryKey) {
  // One size per class boundary family, enough keys to double several times.
  for (size_t size : {size_t{13}, size_t{100}}) {
    FixedMap m(size, cpu::select_match(nullptr, nullptr), cpu::select_hash(nullptr, nullptr), 9, 0);
    Oracle oracle;
    std::string k(size, '\0');
    for (uint32_t i = 0; i < 20000; ++i) {
      std::memcpy(&k[size - 4], &i, 4);
      ASSERT_TRUE(m.assign(bytes_of(k), i));
      oracle[k] = i;
    }
    EXPECT_GE(m.stats().B, 11u);
    expect_same(m, oracle);
  }
}

}  // namespace
}  // namespace tophash::core
