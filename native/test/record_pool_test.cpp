// The record pool under BpfMap and the Aggregator: every record handed out
// once, LIFO reuse, the first chunk growing in place, clear(), and the CLOCK
// hand's choice.
#include "core/record_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace tophash::core {
namespace {

TEST(RecordPool, HandsOutEveryRecordOnceAndReusesFreedOnes) {
  // A stride that makes chunks of 16 records, and a capacity that ends mid-chunk.
  RecordPool pool(100, RecordPool::kChunkBytes / 16);
  std::vector<uint32_t> taken;
  for (int i = 0; i < 100; ++i) {
    const uint32_t r = pool.take();
    ASSERT_NE(r, RecordPool::kNil);
    std::memset(pool.at(r), i, pool.stride());  // every byte is the record's (ASan checks)
    taken.push_back(r);
  }
  EXPECT_EQ(pool.take(), RecordPool::kNil);
  EXPECT_EQ(pool.in_use(), 100u);
  std::vector<uint32_t> sorted = taken;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::unique(sorted.begin(), sorted.end()), sorted.end());
  EXPECT_EQ(pool.bytes(), 100 * pool.stride());
  for (int i = 0; i < 100; ++i) ASSERT_EQ(pool.at(taken[i])[pool.stride() - 1], i);
  pool.give(taken[10]);
  pool.give(taken[20]);
  EXPECT_EQ(pool.in_use(), 98u);
  const uint32_t a = pool.take(), b = pool.take();
  EXPECT_TRUE((a == taken[20] && b == taken[10]));
  EXPECT_EQ(pool.take(), RecordPool::kNil);
}

TEST(RecordPool, FirstChunkDoublesKeepingContentsThenStaysPut) {
  RecordPool pool(1000, 64);
  std::vector<uint32_t> taken;
  for (uint32_t i = 0; i < 1000; ++i) {
    const uint32_t r = pool.take();
    ASSERT_EQ(r, i);
    std::memcpy(pool.at(r), &i, sizeof i);
    taken.push_back(r);
    if (i + 1 == RecordPool::kFirstRecords) {
      EXPECT_EQ(pool.bytes(), RecordPool::kFirstRecords * 64);
    }
  }
  EXPECT_EQ(pool.bytes(), 1000u * 64);  // grown by doubling, capped at the capacity
  for (uint32_t i = 0; i < 1000; ++i) {
    uint32_t v;
    std::memcpy(&v, pool.at(i), sizeof v);
    ASSERT_EQ(v, i) << "a record lost its contents when the first chunk moved";
  }
}

TEST(RecordPool, OneChunkPoolIsOneArrayThatDoubles) {
  // Past the 2 MiB a chunked pool would stop at: 100000 records of 64 bytes.
  RecordPool pool(100000, 64, RecordPool::kNoClock, RecordPool::kOneChunk);
  uint64_t last_bytes = 0;
  for (uint32_t i = 0; i < 100000; ++i) {
    ASSERT_EQ(pool.take(), i);
    std::memcpy(pool.at(i), &i, sizeof i);
    if (pool.bytes() != last_bytes) {
      EXPECT_TRUE(last_bytes == 0 || pool.bytes() == 2 * last_bytes ||
                  pool.bytes() == 100000u * 64);
      last_bytes = pool.bytes();
    }
  }
  const RecordPool::View rows = pool.view();
  for (uint32_t i = 0; i < 100000; i += 999) {
    ASSERT_EQ(rows.at(i), pool.at(i));
    uint32_t v;
    std::memcpy(&v, rows.at(i), sizeof v);
    ASSERT_EQ(v, i);
  }
}

TEST(RecordPool, ClearHandsOutFromZeroAgainAndKeepsTheMemory) {
  RecordPool pool(50, 16);
  for (int i = 0; i < 40; ++i) pool.take();
  pool.give(7);
  const uint64_t bytes = pool.bytes();
  pool.clear();
  EXPECT_EQ(pool.in_use(), 0u);
  EXPECT_EQ(pool.handed_out(), 0u);
  EXPECT_EQ(pool.bytes(), bytes);
  EXPECT_EQ(pool.take(), 0u);
  EXPECT_EQ(pool.take(), 1u);
}

TEST(RecordPool, ClockPassesReferencedRecordsOnceAndTakeClearsTheReference) {
  RecordPool pool(4, 16, 8);
  for (int i = 0; i < 4; ++i) pool.take();
  pool.touch(1);
  pool.touch(2);
  EXPECT_EQ(pool.clock_victim(), 0u);
  EXPECT_EQ(pool.clock_victim(), 3u);  // 1 and 2 had a second chance
  EXPECT_EQ(pool.at(1)[8], 0);
  pool.touch(1);
  EXPECT_EQ(pool.clock_victim(), 0u);  // the hand wrapped
  EXPECT_EQ(pool.clock_victim(), 2u);
  pool.give(1);
  EXPECT_EQ(pool.take(), 1u);
  EXPECT_EQ(pool.at(1)[8], 0) << "a record taken again starts unreferenced";
}

}  // namespace
}  // namespace tophash::core
