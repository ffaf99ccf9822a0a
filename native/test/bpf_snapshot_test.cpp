// BpfMap snapshots (core/bpf_snapshot.h): per kernel pair and map type, a
// loaded map is the saved one (same iteration, same answers, the same
// E2BIG and LRU victims under the same later operations) and passes the
// invariant check; every byte of a snapshot is covered by a check; a forged
// file (checksums resealed) with a shared, out-of-range or looping record
// index is refused; another map kind's snapshot is ERR_SNAPSHOT_KIND.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/bpf_map.h"
#include "core/bpf_snapshot.h"
#include "core/snapshot_reader.h"
#include "core/snapshot_writer.h"
#include "test/fuzz_reseal.h"
#include "test/kernel_pairs.h"
#include "test/snapshot_test_util.h"

namespace tophash::core {
namespace {

using test::KernelPair;
using test::pair_name;
using test::snapshot_of;
using test::supported_pairs;

std::unique_ptr<BpfMap> read(const std::vector<uint8_t>& bytes, const KernelPair& k) {
  MemorySource src(bytes.data(), bytes.size());
  return BpfMap::read_snapshot(src, k.match, k.hash);
}

std::string code_of(const std::vector<uint8_t>& bytes, const KernelPair& k) {
  try {
    read(bytes, k);
  } catch (const SnapshotError& e) {
    return e.code();
  }
  return "accepted";
}

// Every entry in iteration order, keys and values packed.
std::vector<uint8_t> dump(BpfMap& m) {
  std::vector<uint8_t> keys, values;
  m.lookup_batch(0, SIZE_MAX, false, &keys, &values);
  keys.insert(keys.end(), values.begin(), values.end());
  return keys;
}

// Random updates (all flags), deletes and lookups on a small key space,
// applied to both maps; every outcome must agree.
void churn(BpfMap& a, BpfMap* b, std::mt19937_64& rng, int ops) {
  std::vector<uint8_t> key(a.key_size()), value(a.value_size());
  for (int i = 0; i < ops; ++i) {
    for (auto& c : key) c = static_cast<uint8_t>(rng() % 3);
    key[0] = static_cast<uint8_t>(rng() % 97);
    for (auto& c : value) c = static_cast<uint8_t>(rng());
    const int op = static_cast<int>(rng() % 10);
    if (op < 6) {
      const uint64_t flags = rng() % 3;
      const BpfStatus s = a.update(key.data(), value.data(), flags);
      if (b != nullptr) {
        ASSERT_EQ(s, b->update(key.data(), value.data(), flags)) << i;
      }
    } else if (op < 8) {
      const BpfStatus s = a.erase(key.data());
      if (b != nullptr) {
        ASSERT_EQ(s, b->erase(key.data())) << i;
      }
    } else {
      const uint8_t* va = a.lookup(key.data());
      if (b == nullptr) continue;
      const uint8_t* vb = b->lookup(key.data());
      ASSERT_EQ(va == nullptr, vb == nullptr) << i;
      if (va != nullptr) {
        ASSERT_EQ(std::memcmp(va, vb, a.value_size()), 0) << i;
      }
    }
  }
}

class BpfSnapshotTest : public testing::TestWithParam<KernelPair> {};

TEST_P(BpfSnapshotTest, ALoadedMapBehavesAsTheSavedOne) {
  const KernelPair k = GetParam();
  for (BpfType type : {BpfType::kHash, BpfType::kLruHash}) {
    for (size_t key_size : {4, 13, 40}) {
      std::mt19937_64 rng(key_size * 7 + static_cast<int>(type));
      BpfMap m(type, key_size, 11, 60, k.match, k.hash, 77 + key_size);
      churn(m, nullptr, rng, 400);
      const auto bytes = snapshot_of(m);
      auto loaded = read(bytes, k);
      ASSERT_EQ(loaded->check_invariants(), "");
      ASSERT_EQ(loaded->size(), m.size());
      ASSERT_EQ(loaded->type(), type);
      ASSERT_EQ(loaded->max_entries(), 60u);
      ASSERT_EQ(dump(*loaded), dump(m));
      ASSERT_EQ(loaded->stats().evictions, m.stats().evictions);
      ASSERT_EQ(loaded->stats().table.B, m.stats().table.B);
      // Past the save, the same operations give the same outcomes: E2BIG
      // when full, the same LRU victims, the same growth.
      std::mt19937_64 again(5);
      churn(m, loaded.get(), again, 2000);
      ASSERT_EQ(dump(*loaded), dump(m));
      ASSERT_EQ(loaded->stats().evictions, m.stats().evictions);
      ASSERT_EQ(loaded->check_invariants(), "");
      ASSERT_EQ(snapshot_of(*loaded), snapshot_of(m)) << "a loaded map saves the same bytes";
    }
  }
}

TEST_P(BpfSnapshotTest, AnEmptyAndAFullMapRoundTrip) {
  const KernelPair k = GetParam();
  BpfMap empty(BpfType::kHash, 8, 8, 1, k.match, k.hash, 1);
  EXPECT_EQ(read(snapshot_of(empty), k)->size(), 0u);
  BpfMap full(BpfType::kHash, 8, 8, 100, k.match, k.hash, 2);
  for (uint64_t i = 0; i < 100; ++i) {
    ASSERT_EQ(full.update(reinterpret_cast<uint8_t*>(&i), reinterpret_cast<uint8_t*>(&i), 0),
              BpfStatus::kOk);
  }
  auto loaded = read(snapshot_of(full), k);
  const uint64_t extra = 1000;
  EXPECT_EQ(loaded->update(reinterpret_cast<const uint8_t*>(&extra),
                           reinterpret_cast<const uint8_t*>(&extra), 0),
            BpfStatus::kFull);
  EXPECT_EQ(dump(*loaded), dump(full));
}

INSTANTIATE_TEST_SUITE_P(Pairs, BpfSnapshotTest, testing::ValuesIn(supported_pairs()), pair_name);

// A small lru_hash map with deletes (a free list) and padding after each section.
std::vector<uint8_t> small_snapshot(const KernelPair& k) {
  BpfMap m(BpfType::kLruHash, 8, 3, 16, k.match, k.hash, 9);
  for (uint64_t i = 0; i < 12; ++i) {
    m.update(reinterpret_cast<uint8_t*>(&i), reinterpret_cast<const uint8_t*>("abc"), 0);
  }
  for (uint64_t i = 0; i < 12; i += 3) m.erase(reinterpret_cast<uint8_t*>(&i));
  return snapshot_of(m);
}

TEST(BpfSnapshotChecks, EveryByteIsCovered) {
  const KernelPair k = supported_pairs().front();
  auto bytes = small_snapshot(k);
  for (size_t at = 0; at < bytes.size(); ++at) {
    bytes[at] ^= 0x10;
    EXPECT_NE(code_of(bytes, k), "accepted") << "a flip at offset " << at << " went unnoticed";
    bytes[at] ^= 0x10;
  }
  EXPECT_EQ(read(bytes, k)->size(), 8u);
}

// The first live slot's value word in the buckets section (8-byte keys:
// 8 tags, 8 keys of 8 bytes, then the 8 u32 record indices).
struct Slots {
  std::vector<uint8_t>& bytes;
  uint64_t buckets_at;
  uint8_t* index(size_t bucket, int slot) {
    return bytes.data() + buckets_at + bucket * 112 + 8 + 64 + slot * 4;
  }
  uint8_t tag(size_t bucket, int slot) { return bytes[buckets_at + bucket * 112 + slot]; }
};

TEST(BpfSnapshotChecks, ForgedIndicesAreRefused) {
  const KernelPair k = supported_pairs().front();
  const auto good = small_snapshot(k);
  SnapshotSectionEntry s[3];
  std::memcpy(s, good.data() + kSnapshotHeaderBytes, sizeof s);
  std::vector<std::pair<size_t, int>> live;
  {
    auto copy = good;
    Slots slots{copy, s[0].offset};
    for (size_t b = 0; b < s[0].length / 112; ++b) {
      for (int i = 0; i < 8; ++i) {
        if (slots.tag(b, i) >= kMinTopHash) live.emplace_back(b, i);
      }
    }
  }
  ASSERT_GE(live.size(), 2u);
  auto forge = [&](auto&& change) {
    auto bytes = good;
    Slots slots{bytes, s[0].offset};
    change(slots, bytes);
    fuzz::reseal(bytes);
    return code_of(bytes, k);
  };
  // Two slots naming one record.
  EXPECT_EQ(forge([&](Slots& sl, auto&) {
              std::memcpy(sl.index(live[1].first, live[1].second),
                          sl.index(live[0].first, live[0].second), 4);
            }),
            kSnapshotCorrupt);
  // A record past those written.
  EXPECT_EQ(forge([&](Slots& sl, auto&) {
              const uint32_t past = 12;
              std::memcpy(sl.index(live[0].first, live[0].second), &past, 4);
            }),
            kSnapshotCorrupt);
  // A free list that loops (the free head's link names itself).
  EXPECT_EQ(forge([&](Slots&, std::vector<uint8_t>& bytes) {
              BpfPoolState st;
              std::memcpy(&st, bytes.data() + s[2].offset, sizeof st);
              const size_t stride = 8 + 8 + 8;
              std::memcpy(bytes.data() + s[2].offset + sizeof st + st.free_head * stride,
                          &st.free_head, 4);
            }),
            kSnapshotCorrupt);
  // An lru_hash record whose key copy is another key.
  EXPECT_EQ(forge([&](Slots&, std::vector<uint8_t>& bytes) {
              bytes[s[2].offset + sizeof(BpfPoolState) + 24 + 8] ^= 1;  // record 1: key 1
            }),
            kSnapshotCorrupt);
  // A header declaring more records than maxEntries.
  EXPECT_EQ(forge([&](Slots&, std::vector<uint8_t>& bytes) {
              const uint64_t records = 17;
              std::memcpy(bytes.data() + offsetof(SnapshotHeader, params) + 24, &records, 8);
            }),
            kSnapshotCorrupt);
  EXPECT_EQ(forge([](Slots&, auto&) {}), "accepted");
}

TEST(BpfSnapshotChecks, OtherKindsAreRefusedByKind) {
  const KernelPair k = supported_pairs().front();
  U64Table t(k.match, k.hash, 1, 0);
  const auto u64 = snapshot_of(t);
  EXPECT_EQ(code_of(u64, k), kSnapshotKind);
  const auto bpf = small_snapshot(k);
  MemorySource src(bpf.data(), bpf.size());
  try {
    read_u64_snapshot(src, k.match, k.hash);
    ADD_FAILURE() << "a BpfMap snapshot read as a U64Map's";
  } catch (const SnapshotError& e) {
    EXPECT_STREQ(e.code(), kSnapshotKind);
  }
}

}  // namespace
}  // namespace tophash::core
