// Variable-length byte keys (core/byte_keys.h, core/str_map.h) against
// std::unordered_map<std::string, double>, once per (match, hash) kernel
// pair: random single ops over keys of every shape (empty, NUL bytes, 1..1024
// bytes, shared prefixes, exactly the inline limit and one past it), packed
// batches against single ops, iteration while the table grows and shrinks,
// keys flush against an unmapped page; and, once, the slot images, batch
// validation, and memory under insert/delete churn.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/str_map.h"
#include "core/table_debug.h"
#include "cpu/cpu_registry.h"
#include "test/kernel_pairs.h"
#include "test/table_oracle.h"

namespace tophash::core {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

using test::KernelPair;
using test::pair_name;
using test::supported_pairs;

using Oracle = std::unordered_map<std::string, double>;

std::string as_string(const ByteSlot& slot) {
  const ByteView v = key_bytes(slot);
  return std::string(reinterpret_cast<const char*>(v.data), v.len);
}

const double* find(const StrTable& t, const std::string& k) {
  const ByteProbe p = str_probe(t, k.data(), k.size());
  return t.find(p, p.hash);
}
bool assign(StrTable& t, const std::string& k, double v) {
  const ByteProbe p = str_probe(t, k.data(), k.size());
  return t.assign(p, p.hash, v);
}
bool erase(StrTable& t, const std::string& k) {
  const ByteProbe p = str_probe(t, k.data(), k.size());
  return t.erase(p, p.hash);
}

// Keys of every shape the table must tell apart.
std::string random_key(std::mt19937_64& rng) {
  auto bytes = [&](size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    return s;
  };
  switch (rng() % 10) {
    case 0:  // short, any bytes (NUL included), empty too
      return bytes(rng() % 8);
    case 1:  // exactly at the inline limit, one past it, one below
      return bytes(kInlineKeyBytes - 1 + rng() % 3);
    case 2:  // NUL-heavy keys of mixed length: "\0", "\0\0", ... differ
      return std::string(rng() % 20, '\0') + (rng() % 2 ? std::string(1, char(rng() % 3)) : "");
    case 3:  // a shared prefix, short and long
      return "user:" + std::to_string(rng() % 5000);
    case 4:  // a long shared prefix, equal lengths, differing in the tail
      return std::string(40, 'p') + std::to_string(100000 + rng() % 5000);
    case 5:  // long
      return bytes(16 + rng() % 200);
    case 6:  // up to 1 KiB
      return bytes(rng() % 1025);
    case 7: {  // keys that are prefixes of each other
      std::string s = "/api/v1/items/" + std::to_string(rng() % 300);
      return s.substr(0, rng() % (s.size() + 1));
    }
    default:  // a small space, so updates and deletes of present keys are common
      return bytes(1 + rng() % 2);
  }
}

std::vector<std::string> key_pool(uint64_t seed, size_t n) {
  std::mt19937_64 rng(seed);
  std::set<std::string> uniq;
  std::vector<std::string> keys;
  uniq.insert("");
  keys.push_back("");  // the empty key is always there
  while (keys.size() < n) {
    std::string k = random_key(rng);
    if (uniq.insert(k).second) keys.push_back(k);
  }
  return keys;
}

void expect_same(const StrTable& t, const Oracle& oracle) {
  ASSERT_EQ(check_invariants(t), "");
  ASSERT_EQ(t.size(), oracle.size());
  for (auto& [k, v] : oracle) {
    const double* got = find(t, k);
    ASSERT_NE(got, nullptr) << "missing key of length " << k.size();
    ASSERT_EQ(*got, v);
  }
  Oracle seen;
  uint64_t cursor = 0;
  do {
    cursor = t.scan(cursor, [&](const ByteSlot& k, double v) {
      ASSERT_TRUE(seen.emplace(as_string(k), v).second) << "key emitted twice";
    });
  } while (cursor != 0);
  ASSERT_EQ(seen, oracle);
}

// A packed batch over a list of keys.
struct Packed {
  std::vector<uint8_t> bytes;
  std::vector<uint32_t> offsets{0};
  explicit Packed(const std::vector<std::string>& keys) {
    for (const std::string& k : keys) {
      bytes.insert(bytes.end(), k.begin(), k.end());
      offsets.push_back(static_cast<uint32_t>(bytes.size()));
    }
  }
  ByteBatch view() const { return {bytes.data(), offsets.data(), offsets.size() - 1}; }
};

class StrTableTest : public testing::TestWithParam<KernelPair> {
 protected:
  StrTable make(uint64_t seed = 1, uint64_t capacity = 0) {
    return StrTable(GetParam().match, GetParam().hash, seed, capacity);
  }
};

TEST_P(StrTableTest, RandomOpsMatchOracle) {
  const std::vector<std::string> pool = key_pool(42, 3000);
  std::mt19937_64 rng(7);
  StrTable t = make();
  Oracle oracle;
  for (int round = 0; round < 20000; ++round) {
    const std::string& key = pool[rng() % pool.size()];
    ASSERT_NO_FATAL_FAILURE(test::random_op(
        rng, oracle, key, [&](double v) { return assign(t, key, v); },
        [&] { return erase(t, key); }, [&] { return find(t, key); }));
    if (round < 4000 || round % 64 == 0) {
      ASSERT_EQ(check_invariants(t), "") << "round " << round;
    }
  }
  expect_same(t, oracle);
}

TEST_P(StrTableTest, GrowthRelocatesLongKeysAndKeepsEverything) {
  const std::vector<std::string> pool = key_pool(3, 12000);
  StrTable t = make(9);
  Oracle oracle;
  bool saw_growing = false;
  for (size_t i = 0; i < pool.size(); ++i) {
    ASSERT_TRUE(assign(t, pool[i], static_cast<double>(i)));
    oracle[pool[i]] = static_cast<double>(i);
    if (t.growing()) {
      saw_growing = true;
      // Keys in both arrays (and so both arenas) stay findable mid-evacuation.
      if (i % 101 == 0) {
        for (size_t j = 0; j <= i; j += 97) ASSERT_NE(find(t, pool[j]), nullptr) << j;
        ASSERT_EQ(check_invariants(t), "") << "insert " << i;
      }
    }
  }
  EXPECT_TRUE(saw_growing);
  expect_same(t, oracle);
  for (size_t i = 0; i < pool.size(); i += 2) {
    ASSERT_TRUE(erase(t, pool[i]));
    oracle.erase(pool[i]);
  }
  expect_same(t, oracle);
  t.clear();
  EXPECT_EQ(find(t, pool[1]), nullptr);
  expect_same(t, Oracle{});
}

TEST_P(StrTableTest, BatchesAgreeWithSingleOps) {
  const std::vector<std::string> pool = key_pool(5, 4000);
  std::mt19937_64 rng(8);
  StrTable t = make(5);
  // A batch with repeats: the last value of a repeated key wins.
  std::vector<std::string> keys(5000);
  std::vector<double> values(keys.size());
  Oracle oracle;
  for (size_t i = 0; i < keys.size(); ++i) {
    keys[i] = pool[rng() % 3000];
    values[i] = static_cast<double>(i);
    oracle[keys[i]] = values[i];
  }
  const Packed set(keys);
  EXPECT_EQ(first_invalid_key(set.view(), set.bytes.size()), keys.size());
  EXPECT_EQ(set_batch(t, set.view(), values.data()), oracle.size());
  expect_same(t, oracle);

  // Lookups of present and absent keys (pool[3000..] were never inserted).
  std::vector<std::string> probes(3000);
  for (std::string& p : probes) p = pool[rng() % pool.size()];
  const Packed pb(probes);
  // Both lookup paths: the prefetching stages, and key by key.
  for (size_t resident_limit : {size_t{0}, SIZE_MAX}) {
    const test::ScopedResidentBytes path(resident_limit);
    std::vector<double> out(probes.size());
    std::vector<uint8_t> found(probes.size()), has(probes.size());
    const size_t hits = get_batch(t, pb.view(), out.data(), found.data());
    EXPECT_EQ(has_batch(t, pb.view(), has.data()), hits);
    ASSERT_NO_FATAL_FAILURE(test::expect_batch_agrees(
        oracle, probes.size(), [&](size_t i) { return probes[i]; },
        [&](size_t i) { return find(t, probes[i]) != nullptr; }, out.data(), found.data(),
        has.data(), hits));
    // found is optional.
    EXPECT_EQ(get_batch(t, pb.view(), out.data(), nullptr), hits);
  }

  std::vector<std::string> dels(probes.begin(), probes.begin() + 2000);
  size_t expect_deleted = 0;
  for (const std::string& d : dels) expect_deleted += oracle.erase(d);
  EXPECT_EQ(delete_batch(t, Packed(dels).view()), expect_deleted);
  expect_same(t, oracle);

  // Empty batches touch nothing.
  const Packed none(std::vector<std::string>{});
  EXPECT_EQ(set_batch(t, none.view(), nullptr), 0u);
  EXPECT_EQ(get_batch(t, none.view(), nullptr, nullptr), 0u);
  EXPECT_EQ(delete_batch(t, none.view()), 0u);
}

TEST_P(StrTableTest, ABigBatchMovesLongKeysIntoTheReservedTable) {
  const std::vector<std::string> pool = key_pool(17, 30000);
  StrTable t = make(17);
  Oracle oracle;
  for (size_t i = 0; i < 500; ++i) {
    ASSERT_TRUE(assign(t, pool[i], static_cast<double>(i)));
    oracle[pool[i]] = static_cast<double>(i);
  }
  // Delete some, so the arena holds garbage the move must leave behind.
  for (size_t i = 0; i < 500; i += 3) {
    ASSERT_TRUE(erase(t, pool[i]));
    oracle.erase(pool[i]);
  }
  std::vector<std::string> keys(pool.begin() + 250, pool.end());
  std::vector<double> values(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    values[i] = static_cast<double>(i) + 0.25;
    oracle[keys[i]] = values[i];
  }
  const Packed batch(keys);
  const size_t before = t.size();
  EXPECT_EQ(set_batch(t, batch.view(), values.data()), oracle.size() - before);
  EXPECT_FALSE(t.growing());
  expect_same(t, oracle);
}

TEST_P(StrTableTest, IterationDuringGrowthAndDeletesYieldsSurvivorsExactlyOnce) {
  const std::vector<std::string> pool = key_pool(11, 9000);
  std::mt19937_64 rng(99);
  StrTable t = make(4);
  std::set<std::string> initial;
  size_t next = 0;
  for (; next < 2500; ++next) {
    assign(t, pool[next], 1.0);
    initial.insert(pool[next]);
  }
  const std::vector<std::string> initial_list(initial.begin(), initial.end());
  std::set<std::string> deleted;
  std::multiset<std::string> emitted;
  uint64_t cursor = 0;
  do {
    cursor = t.scan(cursor, [&](const ByteSlot& k, double) { emitted.insert(as_string(k)); });
    // Add keys (forcing growth, relocating long keys) and delete some
    // (leaving arena garbage) between steps.
    for (int j = 0; j < 4 && next < pool.size(); ++j) assign(t, pool[next++], 2.0);
    for (int j = 0; j < 3; ++j) {
      const std::string& k = initial_list[rng() % initial_list.size()];
      if (!deleted.count(k) && emitted.count(k) == 0) {
        ASSERT_TRUE(erase(t, k));
        deleted.insert(k);
      }
    }
  } while (cursor != 0);
  for (const std::string& k : initial) {
    if (deleted.count(k)) {
      EXPECT_EQ(emitted.count(k), 0u) << "deleted key produced";
    } else {
      EXPECT_EQ(emitted.count(k), 1u) << "survivor produced " << emitted.count(k) << " times";
    }
  }
  for (size_t i = 2500; i < next; ++i) EXPECT_LE(emitted.count(pool[i]), 1u);
}

// Two pages, the second PROT_NONE: a key placed flush against the second
// page faults if anything reads one byte past its end.
class GuardedPage {
 public:
  GuardedPage() {
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    base_ = static_cast<uint8_t*>(
        mmap(nullptr, 2 * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (base_ == MAP_FAILED) std::abort();
    if (mprotect(base_ + page_, page_, PROT_NONE) != 0) std::abort();
  }
  ~GuardedPage() { munmap(base_, 2 * page_); }
  uint8_t* end() const { return base_ + page_; }  // first unreadable byte
  size_t page() const { return page_; }

 private:
  uint8_t* base_;
  size_t page_;
};

TEST_P(StrTableTest, KeysEndingAtAPageBoundary) {
  GuardedPage guard;
  StrTable t = make(21);
  std::mt19937_64 rng(1);
  Oracle oracle;
  std::vector<size_t> lengths;
  for (size_t n = 0; n <= 40; ++n) lengths.push_back(n);
  for (size_t n : {63u, 64u, 65u, 127u, 128u, 129u, 200u, 1000u, 4000u}) lengths.push_back(n);
  for (size_t n : lengths) {
    uint8_t* key = guard.end() - n;
    for (size_t i = 0; i < n; ++i) key[i] = static_cast<uint8_t>(rng());
    const std::string k(reinterpret_cast<const char*>(key), n);
    // Hash, probe, insert, compare and delete straight from the guarded bytes.
    const ByteProbe p = str_probe(t, key, n);
    ASSERT_EQ(p.hash, GetParam().hash->bytes(k.data(), n, t.hasher().seed));
    ASSERT_TRUE(t.assign(p, p.hash, static_cast<double>(n)));
    ASSERT_FALSE(t.assign(p, p.hash, static_cast<double>(n) + 0.5));
    ASSERT_NE(t.find(p, p.hash), nullptr);
    ASSERT_EQ(*t.find(p, p.hash), static_cast<double>(n) + 0.5);
    oracle[k] = static_cast<double>(n) + 0.5;
    // A stored key equal to the guarded one but for its last byte.
    if (n > 0) {
      std::string other = k;
      other.back() = static_cast<char>(other.back() ^ 1);
      ASSERT_TRUE(assign(t, other, -1.0));
      oracle[other] = -1.0;
      ASSERT_EQ(*t.find(p, p.hash), static_cast<double>(n) + 0.5);
    }
    // The same key as a one-key batch whose bytes end at the page.
    const uint32_t offsets[2] = {0, static_cast<uint32_t>(n)};
    const ByteBatch b{key, offsets, 1};
    double out = 0;
    uint8_t found = 0;
    ASSERT_EQ(get_batch(t, b, &out, &found), 1u);
    ASSERT_EQ(out, static_cast<double>(n) + 0.5);
  }
  // A batch of the keys up to 200 bytes back to back, ending flush against
  // the page with the longest.
  std::vector<std::string> keys;
  for (auto& [k, v] : oracle) {
    if (k.size() <= 200) keys.push_back(k);
  }
  std::sort(keys.begin(), keys.end(),
            [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
  const Packed packed(keys);
  uint8_t* start = guard.end() - packed.bytes.size();
  ASSERT_LE(packed.bytes.size(), guard.page());
  std::memcpy(start, packed.bytes.data(), packed.bytes.size());
  const ByteBatch b{start, packed.offsets.data(), keys.size()};
  std::vector<double> out(keys.size());
  ASSERT_EQ(get_batch(t, b, out.data(), nullptr), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) ASSERT_EQ(out[i], oracle[keys[i]]);
  std::vector<double> values(keys.size(), 3.0);
  ASSERT_EQ(set_batch(t, b, values.data()), 0u);
  ASSERT_EQ(delete_batch(t, b), keys.size());
  EXPECT_EQ(t.size(), oracle.size() - keys.size());
}

INSTANTIATE_TEST_SUITE_P(AllKernels, StrTableTest, testing::ValuesIn(supported_pairs()), pair_name);

// ---- kernel-independent ----

StrTable default_table(uint64_t seed) {
  return StrTable(cpu::select_match(nullptr, nullptr), cpu::select_hash(nullptr, nullptr), seed, 0);
}

TEST(ByteKeys, SlotImagesOfInlineKeysAreThePaddedBytesAndLength) {
  std::mt19937_64 rng(3);
  for (size_t n = 0; n <= kInlineKeyBytes; ++n) {
    uint8_t key[16];
    for (uint8_t& c : key) c = static_cast<uint8_t>(rng() | 1);  // no accidental zeros
    uint8_t image[16] = {};
    std::memcpy(image, key, n);
    image[15] = static_cast<uint8_t>(n);
    const ByteProbe p = make_byte_probe(key, n, 0x123456789abcdefull);
    uint8_t got[16];
    std::memcpy(got, &p.lo, 8);
    std::memcpy(got + 8, &p.hi, 8);
    ASSERT_EQ(std::memcmp(got, image, 16), 0) << "length " << n;
    // Stored inline, the slot is the image and reads back as the key.
    ByteSlot slot;
    KeyArena arena;
    BytesPolicy::store(slot, p, arena);
    EXPECT_EQ(arena.bytes(), 0u);
    const ByteView v = key_bytes(slot);
    ASSERT_EQ(v.len, n);
    ASSERT_EQ(std::memcmp(v.data, key, n), 0);
    ASSERT_TRUE(BytesPolicy::equal(slot, p));
  }
}

TEST(ByteKeys, LongKeysGoToTheArenaAndCompareExactly) {
  KeyArena arena;
  std::string a(16, 'x'), b = a;
  b[15] = 'y';
  const ByteProbe pa = make_byte_probe(reinterpret_cast<const uint8_t*>(a.data()), a.size(), 77);
  const ByteProbe pb = make_byte_probe(reinterpret_cast<const uint8_t*>(b.data()), b.size(), 77);
  ByteSlot slot;
  BytesPolicy::store(slot, pa, arena);
  EXPECT_TRUE(is_long_key(slot));
  EXPECT_EQ(arena.live_bytes(), 16u);
  EXPECT_GE(arena.bytes(), 16u);
  EXPECT_TRUE(BytesPolicy::equal(slot, pa));
  EXPECT_FALSE(BytesPolicy::equal(slot, pb)) << "same length and hash bits, different bytes";
  EXPECT_EQ(as_string(slot), a);
  BytesPolicy::forget(slot, arena);
  EXPECT_EQ(arena.live_bytes(), 0u);
  EXPECT_EQ(arena.garbage_bytes(), 16u);
}

TEST(ByteKeys, DistinctShapesAreDistinctKeys) {
  StrTable t = default_table(1);
  const std::vector<std::string> keys = {"",
                                         std::string(1, '\0'),
                                         std::string(2, '\0'),
                                         std::string(15, '\0'),
                                         std::string(16, '\0'),
                                         std::string(17, '\0'),
                                         "a",
                                         std::string("a\0", 2),
                                         std::string(15, 'k'),
                                         std::string(16, 'k'),
                                         std::string(14, 'k'),
                                         std::string(15, 'k') + std::string(1, '\0'),
                                         "\xff",
                                         "\xff\xff"};
  for (size_t i = 0; i < keys.size(); ++i) ASSERT_TRUE(assign(t, keys[i], double(i))) << i;
  for (size_t i = 0; i < keys.size(); ++i) ASSERT_EQ(*find(t, keys[i]), double(i)) << i;
  // The longest key allowed.
  std::string longest(kMaxByteKeyLength, 'z');
  ASSERT_TRUE(assign(t, longest, 1e9));
  longest.back() = 'y';
  ASSERT_EQ(find(t, longest), nullptr);
  longest.back() = 'z';
  ASSERT_EQ(*find(t, longest), 1e9);
}

TEST(ByteKeys, BatchValidationNamesTheFirstBadKey) {
  const uint8_t bytes[10] = {};
  const uint32_t ok[4] = {0, 3, 3, 10};
  EXPECT_EQ(first_invalid_key(ByteBatch{bytes, ok, 3}, 10), 3u);
  const uint32_t decreasing[4] = {0, 5, 4, 10};
  EXPECT_EQ(first_invalid_key(ByteBatch{bytes, decreasing, 3}, 10), 1u);
  const uint32_t past_end[4] = {0, 3, 11, 11};
  EXPECT_EQ(first_invalid_key(ByteBatch{bytes, past_end, 3}, 10), 1u);
  const uint32_t bad_start[2] = {11, 11};
  EXPECT_EQ(first_invalid_key(ByteBatch{bytes, bad_start, 1}, 10), 0u);
  std::vector<uint8_t> big(kMaxByteKeyLength + 1);
  const uint32_t too_long[3] = {0, 0, static_cast<uint32_t>(big.size())};
  EXPECT_EQ(first_invalid_key(ByteBatch{big.data(), too_long, 2}, big.size()), 1u);
  const uint32_t longest[2] = {1, static_cast<uint32_t>(big.size())};
  EXPECT_EQ(first_invalid_key(ByteBatch{big.data(), longest, 1}, big.size()), 1u);
}

// Insert N fresh keys, delete them all, N fresh keys again, for many rounds:
// deleted long keys leave arena garbage that growth and the garbage trigger
// must reclaim, so memory stays within a small factor of one round's.
TEST(ByteKeys, ChurnKeepsMemoryBounded) {
  const size_t n = kSanitized ? 20000 : 100000;
  const int rounds = 24;
  StrTable t = default_table(5);
  uint64_t next = 0;
  uint64_t one_round = 0, max_bytes = 0;
  std::vector<std::string> live;
  live.reserve(n);
  auto make_key = [](uint64_t i) {
    // 1 in 4 short (inline), the rest 20..83 bytes (arena).
    std::string k = "session:" + std::to_string(i);
    if (i % 4 != 0) k += std::string(12 + i % 64, static_cast<char>('a' + i % 26));
    return k;
  };
  for (int round = 0; round < rounds; ++round) {
    live.clear();
    for (size_t j = 0; j < n; ++j) {
      live.push_back(make_key(next++));
      ASSERT_TRUE(assign(t, live.back(), 1.0));
      max_bytes = std::max<uint64_t>(max_bytes, t.bytes());
    }
    if (round == 0) one_round = t.bytes();
    ASSERT_EQ(t.size(), n);
    // Spot checks: this round's keys are all there, last round's are gone.
    for (size_t j = 0; j < n; j += 997) ASSERT_NE(find(t, live[j]), nullptr);
    if (round > 0) {
      ASSERT_EQ(find(t, make_key(next - n - 1)), nullptr);
    }
    for (const std::string& k : live) ASSERT_TRUE(erase(t, k));
    ASSERT_EQ(t.size(), 0u);
    max_bytes = std::max<uint64_t>(max_bytes, t.bytes());
  }
  EXPECT_GT(t.stats().same_size_grows, 0u);
  EXPECT_LE(max_bytes, 3 * one_round)
      << "one round " << one_round << " bytes, peak " << max_bytes << " bytes";
}

}  // namespace
}  // namespace tophash::core
