// Zeroed allocations: huge-page blocks are aligned to 2 MiB, zero-filled and
// freed exactly; a table on them keeps every entry.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/snapshot_reader.h"
#include "core/snapshot_writer.h"
#include "core/table_debug.h"
#include "core/table_snapshot.h"
#include "core/u64_map.h"
#include "core/zeroed_memory.h"
#include "cpu/cpu_registry.h"
#include "test/snapshot_test_util.h"

namespace tophash::core {
namespace {

TEST(ZeroedMemory, HugePageBlocksAreAlignedZeroedAndWritable) {
  for (size_t bytes : {kHugePageBytes, kHugePageBytes * 3 + 4096 * 5 + 144}) {
    auto* p = static_cast<unsigned char*>(zeroed_alloc(bytes, true));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % kHugePageBytes, 0u) << bytes;
    for (size_t i = 0; i < bytes; i += 4096) ASSERT_EQ(p[i], 0) << i;
    EXPECT_EQ(p[bytes - 1], 0);
    std::memset(p, 0xA5, bytes);
    zeroed_free(p, bytes);
  }
}

TEST(ZeroedMemory, SmallBlocksIgnoreTheHugePageRequest) {
  void* p = zeroed_alloc(kHugePageBytes - 1, true);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(static_cast<unsigned char*>(p)[kHugePageBytes - 2], 0);
  zeroed_free(p, kHugePageBytes - 1);
}

TEST(ZeroedMemory, HugePageBlocksGoBackThroughTheGraveyardPiecewise) {
  const size_t bytes = kHugePageBytes * 2 + 144;
  void* p = zeroed_alloc(bytes, true);
  ASSERT_NE(p, nullptr);
  Graveyard g;
  g.bury(p, bytes);
  EXPECT_EQ(g.bytes(), zeroed_paged_size(bytes));
  g.release_some();
  EXPECT_EQ(g.bytes(), zeroed_paged_size(bytes) - Graveyard::kBudget);
  g.release_all();
  EXPECT_EQ(g.bytes(), 0u);
}

TEST(ZeroedMemory, ATableOnHugePagesGrowsAndKeepsEverything) {
  std::string error;
  U64Table t(cpu::select_match(nullptr, &error), cpu::select_hash(nullptr, &error), 3, 0, true);
  EXPECT_TRUE(t.huge_pages());
  std::unordered_map<uint64_t, double> oracle;
  for (uint64_t k = 0; k < 120000; ++k) {
    const uint64_t key = k * 0x9E3779B97F4A7C15ull;
    t.assign(key, t.hash(key), static_cast<double>(k));
    oracle[key] = static_cast<double>(k);
  }
  EXPECT_GE(t.stats().B, 14u);  // arrays of 2.25 MiB and more came from the huge-page path
  ASSERT_EQ(check_invariants(t), "");
  ASSERT_EQ(t.size(), oracle.size());
  for (auto& [k, v] : oracle) {
    const double* got = t.find(k, t.hash(k));
    ASSERT_NE(got, nullptr);
    ASSERT_EQ(*got, v);
  }
}

// Arrays written whole by the call that allocates them come from huge pages
// whatever the table's option: a batch's reserve and a snapshot's load. (The
// option only governs growth, where one insert would wait on compaction.)
TEST(ZeroedMemory, ReserveAndLoadAskForHugePagesWithoutTheOption) {
  std::string error;
  const auto* match = cpu::select_match(nullptr, &error);
  const auto* hash = cpu::select_hash(nullptr, &error);
  auto aligned = [](const void* p) {
    return reinterpret_cast<uintptr_t>(p) % kHugePageBytes == 0;
  };
  U64Table t(match, hash, 3, 0);
  EXPECT_FALSE(t.huge_pages());
  ASSERT_TRUE(t.reserve(200000));
  EXPECT_GE(t.stats().bytes, kHugePageBytes);
  EXPECT_TRUE(aligned(TableSnapshot::buckets(t)));
  for (uint64_t k = 0; k < 200000; ++k) t.assign(k, t.hash(k), 1.0);
  EXPECT_TRUE(aligned(TableSnapshot::buckets(t))) << "no growth after the reserve";
  EXPECT_FALSE(t.huge_pages());

  const auto bytes = test::snapshot_of(t);
  MemorySource src(bytes.data(), bytes.size());
  auto loaded = read_u64_snapshot(src, match, hash);
  EXPECT_TRUE(aligned(TableSnapshot::buckets(*loaded)));
  EXPECT_FALSE(loaded->huge_pages());
  EXPECT_EQ(loaded->size(), 200000u);
  ASSERT_EQ(check_invariants(*loaded), "");
}

}  // namespace
}  // namespace tophash::core
