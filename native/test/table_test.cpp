// The table against std::unordered_map, once per (match, hash) kernel pair:
// random single and batch operations, growth, same-size growth after
// delete-heavy churn, clear, and iteration while the table mutates.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/partitioned_batch.h"
#include "core/table_debug.h"
#include "core/u64_source.h"
#include "core/u64_map.h"
#include "cpu/cpu_registry.h"
#include "test/kernel_pairs.h"
#include "test/table_oracle.h"

namespace tophash::core {
namespace {

using test::KernelPair;
using test::pair_name;
using test::supported_pairs;

class TableTest : public testing::TestWithParam<KernelPair> {
 protected:
  U64Table make(uint64_t seed = 1, uint64_t capacity = 0) {
    return U64Table(GetParam().match, GetParam().hash, seed, capacity);
  }
};

void expect_same(const U64Table& t, const std::unordered_map<uint64_t, double>& oracle) {
  ASSERT_EQ(check_invariants(t), "");
  ASSERT_EQ(t.size(), oracle.size());
  for (auto& [k, v] : oracle) {
    const double* got = t.find(k, t.hash(k));
    ASSERT_NE(got, nullptr) << "missing key " << k;
    ASSERT_EQ(*got, v);
  }
  // Iteration yields exactly the oracle's entries.
  std::unordered_map<uint64_t, double> seen;
  uint64_t cursor = 0;
  do {
    cursor = t.scan(cursor, [&](uint64_t k, double v) {
      ASSERT_TRUE(seen.emplace(k, v).second) << "key " << k << " emitted twice";
    });
  } while (cursor != 0);
  ASSERT_EQ(seen, oracle);
}

TEST_P(TableTest, RandomOpsMatchOracle) {
  std::mt19937_64 rng(42);
  U64Table t = make();
  std::unordered_map<uint64_t, double> oracle;
  // A small key space makes updates, deletes of present keys and reuse of
  // deleted slots common.
  for (int round = 0; round < 20000; ++round) {
    uint64_t key = rng() % 3000;
    if (rng() % 5 == 0) key = rng();  // full 64-bit keys too
    const uint64_t h = t.hash(key);
    ASSERT_NO_FATAL_FAILURE(test::random_op(
        rng, oracle, key, [&](double v) { return t.assign(key, h, v); },
        [&] { return t.erase(key, h); }, [&] { return t.find(key, h); }));
    // Every mutation while the table grows through its first sizes, then a
    // sample (a check walks the whole table).
    if (round < 4000 || round % 64 == 0) {
      ASSERT_EQ(check_invariants(t), "") << "round " << round;
    }
  }
  expect_same(t, oracle);
}

TEST_P(TableTest, GrowsIncrementallyAndKeepsEverything) {
  U64Table t = make(7);
  std::unordered_map<uint64_t, double> oracle;
  bool saw_growing = false;
  unsigned max_b = 0;
  for (uint64_t i = 0; i < 200000; ++i) {
    uint64_t key = i * 0x9E3779B97F4A7C15ull;
    t.assign(key, t.hash(key), static_cast<double>(i));
    oracle[key] = static_cast<double>(i);
    if (t.growing()) {
      saw_growing = true;
      // Every key stays findable mid-evacuation.
      if (i % 997 == 0) {
        ASSERT_NE(t.find(oracle.begin()->first, t.hash(oracle.begin()->first)), nullptr);
        ASSERT_EQ(check_invariants(t), "") << "insert " << i;
      }
    }
    max_b = t.stats().B;
  }
  EXPECT_TRUE(saw_growing);
  // Load never passes 6.5 per bucket (at the moment growth starts it is 6.5).
  EXPECT_LE(t.stats().load_factor, 6.5);
  EXPECT_GE(max_b, 14u);
  expect_same(t, oracle);
}

TEST_P(TableTest, GrowthMovesABoundedAmountPerWrite) {
  // Once a doubling of a big table starts, each write evacuates at most its
  // own old bucket plus kEvacuatePerWrite more, so the table stays "growing"
  // for at least old_buckets / (1 + kEvacuatePerWrite) writes.
  U64Table t = make(3);
  uint64_t i = 0;
  while (!(t.growing() && t.stats().B >= 12)) {
    t.assign(i, t.hash(i), 1.0);
    ++i;
  }
  const uint64_t old_buckets = t.stats().buckets / 2;
  uint64_t writes = 0;
  while (t.growing()) {
    t.assign(i, t.hash(i), 1.0);
    ++i;
    ++writes;
  }
  EXPECT_GE(writes * (1 + kEvacuatePerWrite), old_buckets) << "a write moved more than its bound";
  // And growth does finish: the sequential share alone covers the old array.
  EXPECT_LE(writes * kEvacuatePerWrite, old_buckets + kEvacuatePerWrite);
}

TEST_P(TableTest, DeleteHeavyChurnTriggersSameSizeGrowthAndStaysBounded) {
  // Keep the live count just under the doubling point and replace every key
  // each round: bucket occupancy fluctuates, chains pick up overflow buckets
  // that later sit mostly empty, and same-size growth must compact them.
  U64Table t = make(11);
  std::unordered_map<uint64_t, double> oracle;
  unsigned B = 0;
  uint64_t next = 0;
  uint64_t bytes_after_first_round = 0;
  uint64_t max_bytes = 0;
  for (int round = 0; round < 80; ++round) {
    for (auto& [k, v] : oracle) ASSERT_TRUE(t.erase(k, t.hash(k)));
    oracle.clear();
    for (int j = 0; j < 1500; ++j) {
      uint64_t k = next++;
      t.assign(k, t.hash(k), 1.0);
      oracle[k] = 1.0;
    }
    if (round == 0) {
      bytes_after_first_round = t.bytes();
      B = t.stats().B;
    }
    max_bytes = std::max<uint64_t>(max_bytes, t.bytes());
    ASSERT_EQ(check_invariants(t), "") << "round " << round;
  }
  expect_same(t, oracle);
  EXPECT_GT(t.stats().same_size_grows, 0u) << "overflow chains were never compacted";
  EXPECT_EQ(t.stats().B, B) << "churn at a constant size must not double the table";
  EXPECT_LE(max_bytes, 4 * bytes_after_first_round) << "churn grew memory without bound";
}

TEST_P(TableTest, ClearKeepsBAndEmpties) {
  U64Table t = make();
  for (uint64_t i = 0; i < 5000; ++i) t.assign(i, t.hash(i), 2.0);
  unsigned B = t.stats().B;
  t.clear();
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.stats().B, B);
  EXPECT_EQ(t.find(5, t.hash(5)), nullptr);
  for (uint64_t i = 0; i < 100; ++i) t.assign(i, t.hash(i), 3.0);
  std::unordered_map<uint64_t, double> oracle;
  for (uint64_t i = 0; i < 100; ++i) oracle[i] = 3.0;
  expect_same(t, oracle);
}

TEST_P(TableTest, IterationDuringGrowthAndDeletesYieldsSurvivorsExactlyOnce) {
  std::mt19937_64 rng(99);
  for (int trial = 0; trial < 5; ++trial) {
    U64Table t = make(trial);
    std::set<uint64_t> initial;
    for (uint64_t i = 0; i < 3000; ++i) {
      uint64_t k = rng();
      t.assign(k, t.hash(k), 1.0);
      initial.insert(k);
    }
    std::set<uint64_t> deleted, added;
    std::multiset<uint64_t> emitted;
    uint64_t cursor = 0;
    do {
      cursor = t.scan(cursor, [&](uint64_t k, double) { emitted.insert(k); });
      // Between steps: add keys (forcing growth) and delete some. Fewer keys
      // than one group's worth per step, or the walk would never end.
      for (int j = 0; j < 4; ++j) {
        uint64_t k = rng();
        t.assign(k, t.hash(k), 2.0);
        added.insert(k);
      }
      for (int j = 0; j < 3; ++j) {
        auto it = initial.begin();
        std::advance(it, static_cast<long>(rng() % initial.size()));
        if (!deleted.count(*it) && emitted.count(*it) == 0) {
          t.erase(*it, t.hash(*it));
          deleted.insert(*it);
        }
      }
      if (cursor % 8 == 0) {  // a sample: a check walks it all
        ASSERT_EQ(check_invariants(t), "");
      }
    } while (cursor != 0);
    for (uint64_t k : initial) {
      if (deleted.count(k)) {
        EXPECT_EQ(emitted.count(k), 0u) << "deleted key produced";
      } else {
        EXPECT_EQ(emitted.count(k), 1u) << "survivor produced " << emitted.count(k) << " times";
      }
    }
    for (uint64_t k : added) EXPECT_LE(emitted.count(k), 1u);
  }
}

TEST_P(TableTest, InvariantCheckerCatchesACorruptTophash) {
  U64Table t = make(5);
  for (uint64_t i = 0; i < 100; ++i) t.assign(i, t.hash(i), 1.0);
  ASSERT_EQ(check_invariants(t), "");
  uint8_t* top = TableDebug::occupied_tophash(t);
  ASSERT_NE(top, nullptr);
  *top = *top == 255 ? kMinTopHash : *top + 1;  // still a tag, the wrong one
  EXPECT_NE(check_invariants(t).find("tophash is not the top byte"), std::string::npos)
      << check_invariants(t);
  *top = kEmptyOne;  // the entry vanishes without the count knowing
  EXPECT_NE(check_invariants(t).find("size() is 100 but the chains hold 99"), std::string::npos)
      << check_invariants(t);
  *top = kEvacuatedX;
  EXPECT_NE(check_invariants(t).find("evacuation mark"), std::string::npos) << check_invariants(t);
}

// BpfMap's hooks: erase hands back the old value, and group_cursor names the
// scan group holding a key, in every growth state (not growing, doubling,
// same-size), so a get-next-key walk can resume from a key.
TEST_P(TableTest, EraseReturnsOldValueAndGroupCursorFindsEveryKey) {
  U64Table t = make(21);
  std::mt19937_64 rng(21);
  std::vector<uint64_t> keys;
  bool saw_growing = false;
  auto check_groups = [&] {
    saw_growing |= t.growing();
    for (uint64_t k : keys) {
      bool found = false;
      t.scan(t.group_cursor(t.hash(k)), [&](uint64_t s, double) { found |= s == k; });
      ASSERT_TRUE(found) << "key " << k << " not in its group";
    }
  };
  for (int i = 0; i < 3000; ++i) {
    const uint64_t k = rng();
    t.assign(k, t.hash(k), static_cast<double>(i));
    keys.push_back(k);
    if (t.growing() || i % 97 == 0) check_groups();
  }
  check_groups();
  EXPECT_TRUE(saw_growing);
  for (size_t i = 0; i < keys.size(); i += 2) {
    double old = -1;
    ASSERT_TRUE(t.erase(keys[i], t.hash(keys[i]), &old));
    ASSERT_EQ(old, static_cast<double>(i));
    old = -1;
    ASSERT_FALSE(t.erase(keys[i], t.hash(keys[i]), &old));
    ASSERT_EQ(old, -1) << "a miss must not write old_value";
  }
  keys.erase(std::remove_if(keys.begin(), keys.end(),
                            [&](uint64_t k) { return t.find(k, t.hash(k)) == nullptr; }),
             keys.end());
  check_groups();
}

// Both lookup paths: prefetching stages (any table counts as too big for the
// cache) and key by key (any table counts as cache-resident).
class BatchPathTest : public testing::TestWithParam<std::tuple<KernelPair, size_t>> {};

TEST_P(BatchPathTest, BatchesAgreeWithSingleOps) {
  const KernelPair pair = std::get<0>(GetParam());
  const test::ScopedResidentBytes path(std::get<1>(GetParam()));
  U64Table t(pair.match, pair.hash, 5, 0);
  std::mt19937_64 rng(8);
  std::vector<uint64_t> keys(5000);
  std::vector<double> values(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    keys[i] = rng() % 8000;
    values[i] = static_cast<double>(i);
  }
  KeyBatch kb{KeyBatch::Kind::kU64, keys.data(), keys.size()};
  std::unordered_map<uint64_t, double> oracle;
  for (size_t i = 0; i < keys.size(); ++i) oracle[keys[i]] = values[i];
  EXPECT_EQ(set_batch(t, kb, values.data()), oracle.size());
  expect_same(t, oracle);

  std::vector<double> probe(3000);
  for (size_t i = 0; i < probe.size(); ++i) probe[i] = static_cast<double>(i * 3);
  KeyBatch pb{KeyBatch::Kind::kF64, probe.data(), probe.size()};
  std::vector<double> out(probe.size());
  std::vector<uint8_t> found(probe.size()), has(probe.size());
  size_t hits = get_batch(t, pb, out.data(), found.data());
  EXPECT_EQ(has_batch(t, pb, has.data()), hits);
  auto key = [&](size_t i) {
    return static_cast<uint64_t>(probe[i]);
  };
  ASSERT_NO_FATAL_FAILURE(test::expect_batch_agrees(
      oracle, probe.size(), key,
      [&](size_t i) { return t.find(key(i), t.hash(key(i))) != nullptr; }, out.data(), found.data(),
      has.data(), hits));

  std::vector<uint32_t> dels(2000);
  for (size_t i = 0; i < dels.size(); ++i) dels[i] = static_cast<uint32_t>(i * 2);
  size_t expect_deleted = 0;
  for (uint32_t d : dels) expect_deleted += oracle.erase(d);
  EXPECT_EQ(delete_batch(t, KeyBatch{KeyBatch::Kind::kU32, dels.data(), dels.size()}),
            expect_deleted);
  expect_same(t, oracle);
}

INSTANTIATE_TEST_SUITE_P(AllKernels, BatchPathTest,
                         testing::Combine(testing::ValuesIn(supported_pairs()),
                                          testing::Values(size_t{0}, SIZE_MAX)),
                         test::pair_and_path_name);

TEST_P(TableTest, ABigBatchSizesTheTableOnceAndKeepsWhatWasThere) {
  U64Table t = make(11);
  std::mt19937_64 rng(12);
  std::unordered_map<uint64_t, double> oracle;
  // Leave a growth in progress: reserve() must finish it before moving.
  bool growing = false;
  for (uint64_t i = 0; !growing || i < 600; ++i) {
    const uint64_t k = rng();
    t.assign(k, t.hash(k), static_cast<double>(i));
    oracle[k] = static_cast<double>(i);
    growing = t.growing();
  }
  const unsigned b_before = t.stats().B;
  // Fewer than two doublings away: left to ordinary growth.
  EXPECT_FALSE(t.reserve(t.size() * 2));
  EXPECT_EQ(t.stats().B, b_before);

  std::vector<uint64_t> keys(40000);
  std::vector<double> values(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    // Some keys already present, some repeated within the batch.
    keys[i] = i % 7 == 0 ? oracle.begin()->first : (i % 5 == 0 ? keys[i / 2] : rng());
    values[i] = static_cast<double>(i) + 0.5;
  }
  for (size_t i = 0; i < keys.size(); ++i) oracle[keys[i]] = values[i];
  const size_t before = t.size();
  EXPECT_EQ(set_batch(t, KeyBatch{KeyBatch::Kind::kU64, keys.data(), keys.size()}, values.data()),
            oracle.size() - before);
  // Sized once for every key of the batch: no doubling left in progress.
  EXPECT_FALSE(t.growing());
  EXPECT_EQ(t.stats().B, b_for_capacity(before + keys.size()));
  expect_same(t, oracle);
}

// Every (key, value) in scan order: bucket by bucket, slot by slot.
std::vector<std::pair<uint64_t, double>> scan_order(const U64Table& t) {
  std::vector<std::pair<uint64_t, double>> out;
  uint64_t cursor = 0;
  do {
    cursor = t.scan(cursor, [&](uint64_t k, double v) { out.emplace_back(k, v); });
  } while (cursor != 0);
  return out;
}

// A batch applied a region at a time leaves every bucket as the same batch
// applied in order does: same slots, same order, the last value of a
// repeated key, and keys already there (and slots freed by deletes) used
// alike.
TEST_P(TableTest, APartitionedSetLeavesEveryBucketAsInOrderInsertsDo) {
  const test::ScopedResidentBytes any_table_is_big(0);
  for (const bool empty_before : {true, false})
    for (const size_t piece : {batch::kMaxPieceKeys, size_t{7777}}) {
      SCOPED_TRACE(empty_before ? "into an empty table" : "into a table with keys and deletes");
      SCOPED_TRACE("pieces of " + std::to_string(piece) + " keys");
      U64Table in_order = make(21);
      U64Table partitioned = make(21);
      std::mt19937_64 rng(22);
      std::vector<uint64_t> before;
      for (int i = 0; !empty_before && i < 30000; ++i) before.push_back(rng());
      for (U64Table* t : {&in_order, &partitioned}) {
        for (uint64_t k : before) t->assign(k, t->hash(k), 1.0);
        for (size_t i = 0; i < before.size(); i += 3) t->erase(before[i], t->hash(before[i]));
        while (t->growing()) t->assign(before[0], t->hash(before[0]), 2.0);
      }
      std::vector<uint64_t> keys(100000);
      std::vector<double> values(keys.size());
      for (size_t i = 0; i < keys.size(); ++i) {
        keys[i] = i % 11 == 0 && !before.empty() ? before[i % before.size()]
                                                 : (i % 7 == 0 ? keys[i / 2] : rng());
        values[i] = static_cast<double>(i) + 0.25;
      }
      const KeyBatch kb{KeyBatch::Kind::kU64, keys.data(), keys.size()};
      // As set_batch does first: room for every key of the batch.
      for (U64Table* t : {&in_order, &partitioned}) t->reserve(t->size() + keys.size());
      ASSERT_TRUE(batch::worth_partitioning(partitioned, keys.size()));
      size_t added_in_order = 0;
      for (size_t i = 0; i < keys.size(); ++i) {
        added_in_order += in_order.assign(keys[i], in_order.hash(keys[i]), values[i]);
      }
      size_t added = 0;
      ASSERT_TRUE(batch::set_partitioned(partitioned, U64Source{kb}, values.data(), added, piece));
      EXPECT_EQ(added, added_in_order);
      EXPECT_EQ(partitioned.size(), in_order.size());
      EXPECT_EQ(check_invariants(partitioned), "");
      EXPECT_EQ(partitioned.stats().B, in_order.stats().B);
      EXPECT_EQ(partitioned.stats().overflow_buckets, in_order.stats().overflow_buckets);
      EXPECT_TRUE(scan_order(partitioned) == scan_order(in_order)) << "slots differ";
    }
}

// Lookups region by region find what lookups in order find, each result at
// its key's place in the batch: hits, misses, repeated keys, several pieces.
TEST_P(TableTest, PartitionedLookupsAgreeWithLookupsInOrder) {
  const test::ScopedResidentBytes any_table_is_big(0);
  U64Table t = make(23);
  std::mt19937_64 rng(24);
  std::vector<uint64_t> present(60000);
  for (uint64_t& k : present) k = rng();
  for (size_t i = 0; i < present.size(); ++i) t.assign(present[i], t.hash(present[i]), i + 0.5);
  while (t.growing()) t.assign(present[0], t.hash(present[0]), 0.5);
  std::vector<uint64_t> keys(90000);
  for (size_t i = 0; i < keys.size(); ++i) {
    keys[i] = i % 3 == 0 ? rng() : (i % 7 == 0 ? keys[i / 2] : present[rng() % present.size()]);
  }
  const KeyBatch kb{KeyBatch::Kind::kU64, keys.data(), keys.size()};
  ASSERT_TRUE(batch::worth_partitioning_lookups(t, keys.size()));
  // The thread holds a used block (batch_scratch.h) the batch takes dirty.
  size_t dirty_bytes = keys.size() * sizeof(batch::GetRecord<U64Table>);
  void* dirty = take_batch_scratch(dirty_bytes);
  ASSERT_NE(dirty, nullptr);
  std::memset(dirty, 0xab, dirty_bytes);
  keep_batch_scratch(dirty, dirty_bytes, SIZE_MAX);
  ASSERT_EQ(held_batch_scratch_bytes(), dirty_bytes);
  for (const size_t piece : {batch::kMaxPieceKeys, size_t{7777}}) {
    SCOPED_TRACE("pieces of " + std::to_string(piece) + " keys");
    std::vector<const double*> got(keys.size(), nullptr);
    std::vector<uint8_t> visited(keys.size(), 0);
    size_t hits = 0;
    auto on_result = [&](size_t i, const double* v) {
      got[i] = v;
      ++visited[i];
    };
    ASSERT_TRUE(batch::lookup_partitioned(t, U64Source{kb}, on_result, hits, piece));
    size_t expect_hits = 0;
    for (size_t i = 0; i < keys.size(); ++i) {
      ASSERT_EQ(visited[i], 1) << "key " << i << " reported once";
      const double* want = t.find(keys[i], t.hash(keys[i]));
      ASSERT_EQ(got[i], want) << "key " << i;
      expect_hits += want != nullptr;
    }
    EXPECT_EQ(hits, expect_hits);
    EXPECT_GT(hits, 0u);
    EXPECT_LT(hits, keys.size());
  }
  // Within this table's array: both batches took the same block, and it is
  // held for the next. The table's end lets go of it.
  EXPECT_GE(t.bucket_bytes(), dirty_bytes);
  EXPECT_EQ(held_batch_scratch_bytes(), dirty_bytes);
}

TEST_P(TableTest, ReserveOnAnEmptyTableSkipsTheDoublings) {
  U64Table t = make(13);
  EXPECT_TRUE(t.reserve(100000));
  EXPECT_EQ(t.stats().B, b_for_capacity(100000));
  EXPECT_EQ(t.size(), 0u);
  std::unordered_map<uint64_t, double> oracle;
  for (uint64_t k = 0; k < 100000; ++k) {
    t.assign(k * 977, t.hash(k * 977), static_cast<double>(k));
    oracle[k * 977] = static_cast<double>(k);
    ASSERT_FALSE(t.growing()) << k;
  }
  expect_same(t, oracle);
}

TEST(KeyValidation, Float64KeysMustBeSafeNonNegativeIntegers) {
  EXPECT_TRUE(is_valid_f64_key(0));
  EXPECT_TRUE(is_valid_f64_key(-0.0));
  EXPECT_TRUE(is_valid_f64_key(9007199254740991.0));
  EXPECT_FALSE(is_valid_f64_key(9007199254740992.0));
  EXPECT_FALSE(is_valid_f64_key(-1));
  EXPECT_FALSE(is_valid_f64_key(1.5));
  EXPECT_FALSE(is_valid_f64_key(std::nan("")));
  EXPECT_FALSE(is_valid_f64_key(INFINITY));
  std::vector<double> keys = {1, 2, 3.5, 4};
  EXPECT_EQ(first_invalid_key(KeyBatch{KeyBatch::Kind::kF64, keys.data(), keys.size()}), 2u);
}

// The branch-free check against the plain definition (a non-negative double
// that survives the round trip through u64, at most 2^53 - 1), on the edges
// of its rounding trick and on random bit patterns; and the blocked batch
// scan finds a bad key at every position of a batch longer than two blocks.
TEST(KeyValidation, BranchFreeCheckAgreesWithTheDefinition) {
  auto by_definition = [](double x) {
    return x >= 0 && x <= 9007199254740991.0 && x == static_cast<double>(static_cast<uint64_t>(x));
  };
  std::vector<double> edges = {0.0,          -0.0,         0.5,          1.0,     1.5,
                               0x1p51 + 0.5, 0x1p52 - 1,   0x1p52 - 0.5, 0x1p52,  0x1p52 + 1,
                               0x1p53 - 1,   0x1p53,       0x1p53 + 2,   0x1p64,  4.9e-324,
                               1e-300,       -4.9e-324,    -1,           -0x1p52, INFINITY,
                               -INFINITY,    std::nan(""), 2.5,          3.5,     0x1p52 - 1.5};
  std::mt19937_64 rng(11);
  for (int i = 0; i < 200000; ++i) {
    uint64_t bits = rng();
    if (i % 2) bits &= 0x433FFFFFFFFFFFFFu;  // mostly below 2^53, half integers
    double x;
    std::memcpy(&x, &bits, sizeof x);
    if (i % 4 == 1) x = std::nearbyint(x);
    edges.push_back(x);
  }
  std::vector<double> block(8, 1.0);
  for (double x : edges) {
    ASSERT_EQ(is_valid_f64_key(x), by_definition(x)) << x;
    // Through the vector check of a batch, at a place that varies.
    const size_t at = static_cast<size_t>(rng() % block.size());
    block[at] = x;
    ASSERT_EQ(first_invalid_key(KeyBatch{KeyBatch::Kind::kF64, block.data(), block.size()}),
              by_definition(x) ? block.size() : at)
        << x;
    block[at] = 1.0;
  }
  std::vector<double> batch(37);
  for (size_t i = 0; i < batch.size(); ++i) batch[i] = static_cast<double>(i * 1000003);
  EXPECT_EQ(first_invalid_key(KeyBatch{KeyBatch::Kind::kF64, batch.data(), batch.size()}),
            batch.size());
  for (size_t bad = 0; bad < batch.size(); ++bad) {
    for (double wrong : {-1.0, 0.25, std::nan(""), 0x1p53}) {
      std::vector<double> b = batch;
      b[bad] = wrong;
      if (bad + 3 < b.size()) b[bad + 3] = -2;  // a later bad key does not hide the first
      ASSERT_EQ(first_invalid_key(KeyBatch{KeyBatch::Kind::kF64, b.data(), b.size()}), bad);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllKernels, TableTest, testing::ValuesIn(supported_pairs()), pair_name);

}  // namespace
}  // namespace tophash::core
